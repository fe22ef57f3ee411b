"""The BM25 side of retrieval (bm25s), built from the live chunks and cached on disk.

The index is derived from Chroma, never written on its own: it is rebuilt when the set of live
documents changes (the cache folder is named by a fingerprint of that set), so it cannot drift.
A date range is applied as a weight mask over the chunks, so BM25 scores only chunks in range.
It does not stem beyond bm25s's tokenizer or know anything of the manifest.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from index.store.records import Hit

_PAGE = 5000


@dataclass
class Lexical:
    index: Any
    ids: list[str]
    texts: list[str]
    metas: list[dict[str, Any]]
    _dates: np.ndarray | None = None

    def search(self, query: str, n: int, bounds: tuple[int, int] | None = None) -> list[Hit]:
        import bm25s

        if not self.ids:
            return []
        tokens = bm25s.tokenize([query], stopwords="en", show_progress=False)
        if not tokens.vocab:
            return []
        mask = self.mask(bounds)
        if mask is not None and not mask.any():
            return []
        k = min(n, len(self.ids))
        docs, scores = self.index.retrieve(tokens, k=k, show_progress=False, n_threads=1, weight_mask=mask)
        return [
            Hit(self.ids[i], self.metas[i]["doc_id"], self.texts[i], float(s), self.metas[i])
            for i, s in zip(docs[0], scores[0])
            if s > 0
        ]

    def term_counts(self, normalise: Any) -> tuple[dict[str, int], int]:
        """Document frequency of each normalised (e.g. stemmed) term, and the number of chunks."""
        if getattr(self, "_counts_for", None) is not normalise:
            counts: dict[str, int] = {}
            if self.ids:
                indptr = self.index.scores["indptr"]
                for word, t in self.index.vocab_dict.items():
                    if word and t + 1 < len(indptr):
                        norm = normalise(word)
                        counts[norm] = max(counts.get(norm, 0), int(indptr[t + 1] - indptr[t]))
            self._counts, self._counts_for = counts, normalise
        return self._counts, len(self.ids)

    def mask(self, bounds: tuple[int, int] | None) -> np.ndarray | None:
        """1.0 for chunks dated within the bounds, 0.0 for the rest (undated included)."""
        if bounds is None:
            return None
        if self._dates is None:
            self._dates = np.array([int(m.get("date_num") or -1) for m in self.metas], dtype=np.int64)
        return ((self._dates >= bounds[0]) & (self._dates <= bounds[1])).astype(np.float32)


FORMAT = "t1"  # bumped when what is indexed changes (t1: headline + chunk text), so old caches rebuild


def live_chunks(collection: Any, live: set[str]) -> tuple[list[str], list[str], list[dict[str, Any]]]:
    """Ids, texts and metadata of the chunks of live documents, read page by page."""
    ids: list[str] = []
    texts: list[str] = []
    metas: list[dict[str, Any]] = []
    offset = 0
    while True:
        got = collection.get(include=["documents", "metadatas"], limit=_PAGE, offset=offset)
        for i, t, m in zip(got["ids"], got["documents"], got["metadatas"]):
            if m.get("doc_id") in live:
                ids.append(i)
                texts.append(t)
                metas.append({k: v for k, v in m.items() if not k.startswith("_")})
        if len(got["ids"]) < _PAGE:
            return ids, texts, metas
        offset += _PAGE


def build(chunks: tuple[list[str], list[str], list[dict[str, Any]]], folder: Path) -> Lexical:
    import bm25s

    ids, texts, metas = chunks
    index = bm25s.BM25()
    if ids:
        titled = [f"{m.get('title', '')}\n{t}" for t, m in zip(texts, metas)]  # a headline names the subject
        index.index(bm25s.tokenize(titled, stopwords="en", show_progress=False), show_progress=False)
        tmp = folder.with_name(folder.name + ".tmp")
        if tmp.exists():
            shutil.rmtree(tmp)
        index.save(str(tmp))
        (tmp / "qa_chunks.json").write_text(json.dumps({"ids": ids, "texts": texts, "metas": metas}))
        if folder.exists():
            shutil.rmtree(folder)
        tmp.rename(folder)
    return Lexical(index, ids, texts, metas)


def load(folder: Path) -> Lexical | None:
    if not (folder / "qa_chunks.json").is_file():
        return None
    import bm25s

    data = json.loads((folder / "qa_chunks.json").read_text())
    return Lexical(bm25s.BM25.load(str(folder)), data["ids"], data["texts"], data["metas"])
