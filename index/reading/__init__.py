"""Turning files into article text: decoding, dates, HTML and export records, cleaning, walking folders.

Each module does one step and knows nothing of the index; `index.articles` puts them together.
"""
