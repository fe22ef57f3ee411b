"""Article indexing: load, clean, chunk, embed and store news articles.

This is the bottom layer: it imports neither `qa` nor `ui`.
"""
