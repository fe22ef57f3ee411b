"""Question answering over the indexed articles: retrieval, answering, citations, CLI.

Imports `index`, never `ui` (the `serve` command imports `ui` lazily).
"""
