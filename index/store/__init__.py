"""The index on disk (or on a Chroma server): chunk vectors, a file manifest, and a BM25 index.

`Store` (in `chroma`) is the one entry point; `records` holds the data shapes it returns and
`lexical` the BM25 side. See `chroma`'s docstring for the consistency rules.
"""

from index.store.chroma import Store, open_client
from index.store.records import FileRecord, Hit, Relation

__all__ = ["FileRecord", "Hit", "Relation", "Store", "open_client"]
