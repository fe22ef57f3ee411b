"""Hybrid retrieval: BM25 and dense (Chroma) results fused by reciprocal rank fusion.

Returns `Passage`s with their article metadata, exact offsets, cluster id and both raw scores, so
the engine can decide from numbers whether the articles cover a question at all. It does not
rerank with a cross-encoder (none is installable offline) and does not filter by date.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from index.embedding import Embedder
from index.store import Hit, Store

RRF_K = 60  # the constant from Cormack et al. (2009); 60 is the usual choice


@dataclass(frozen=True)
class Passage:
    chunk_id: str
    doc_id: str
    source: str
    path: str
    title: str
    date: str | None
    start: int
    end: int
    text: str
    cluster: str
    dense: float  # cosine similarity to the question (0 when only BM25 found it)
    lexical: float  # BM25 score (0 when only the dense search found it)
    fused: float


class Retriever:
    """Question in, top-k passages out. Holds the store and the embedder."""

    def __init__(self, store: Store, embedder: Embedder):
        self.store, self.embedder = store, embedder

    def embed(self, texts: list[str]) -> np.ndarray:
        return self.embedder.embed(texts)

    def retrieve(self, question: str, k: int) -> list[Passage]:
        self.store.require_nonempty()
        pool = max(20, 3 * k)
        dense = self.store.dense(self.embedder.embed([question])[0], pool)
        lexical = self.store.lexical(question, pool)
        return fuse(dense, lexical, self.store.clusters())[:k]


def fuse(dense: list[Hit], lexical: list[Hit], clusters: dict[str, str]) -> list[Passage]:
    """Reciprocal rank fusion of two ranked lists, keeping each list's raw score."""
    fused: dict[str, float] = {}
    hits: dict[str, Hit] = {}
    for ranked in (dense, lexical):
        for rank, hit in enumerate(ranked):
            fused[hit.chunk_id] = fused.get(hit.chunk_id, 0.0) + 1.0 / (RRF_K + rank + 1)
            hits.setdefault(hit.chunk_id, hit)
    dense_score = {h.chunk_id: h.score for h in dense}
    lexical_score = {h.chunk_id: h.score for h in lexical}
    out = []
    for chunk_id in sorted(fused, key=lambda c: (-fused[c], c)):
        h = hits[chunk_id]
        m = h.meta
        out.append(
            Passage(
                chunk_id,
                h.doc_id,
                m["source"],
                m.get("path", m["source"]),
                m.get("title", ""),
                m.get("date") or None,
                int(m["start"]),
                int(m["end"]),
                h.text,
                clusters.get(h.doc_id, h.doc_id),
                dense_score.get(chunk_id, 0.0),
                lexical_score.get(chunk_id, 0.0),
                fused[chunk_id],
            )
        )
    return out
