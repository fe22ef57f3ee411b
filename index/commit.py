"""Write a batch of new or changed articles: embed, write chunks, commit the manifest, clean up.

Order (see `index.store` for why it is crash-safe): embed a slice of chunks, mark the batch's
doc_ids pending, save canonical texts, write the chunks; repeat per slice (so one huge article
never holds all its vectors in memory); then commit the batch's manifest records; then delete the
chunks the new versions replaced. If anything fails or is interrupted before the commit, the
chunks this batch wrote are deleted at once, so nothing half-written stays behind; a `kill -9`
leaves pending markers that the next run cleans up.

It does not decide what changed, and does not compare articles (that is `index.duplicates`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from index.articles import Article, save_canonical
from index.chunking import Chunk
from index.embedding import Embedder
from index.store import FileRecord, Store
from index.store.records import date_number

SLICE_CHUNKS = 1024  # chunks embedded and written at a time (bounds memory for a huge article)


@dataclass
class Batch:
    items: list[tuple[Article, list[Chunk], FileRecord | None]] = field(default_factory=list)

    @property
    def chunks(self) -> int:
        return sum(len(c) for _, c, _ in self.items)


@dataclass(frozen=True)
class Committed:
    article: Article
    record: FileRecord
    mean: np.ndarray  # the article's mean chunk vector (unit length)


def commit(
    store: Store,
    embedder: Embedder,
    batch: Batch,
    container_hash: dict[str, str],
    tick: Callable[[int], None],
) -> list[Committed]:
    """Write and commit one batch; returns what was committed. `tick(n)` after each n chunks."""
    new = {a.doc_id for a, _, _ in batch.items}
    replaced = {o.doc_id for a, _, o in batch.items if o and o.doc_id != a.doc_id}
    pending = sorted(new | replaced)
    reuse = store.existing_chunks(sorted(new))
    sums: dict[str, np.ndarray] = {}
    marked = False
    try:
        first = {a.doc_id: (a, chunks) for a, chunks, _ in reversed(batch.items)}  # same bytes twice: once
        todo = [(a, c) for doc_id, (a, chunks) in first.items() if doc_id not in reuse for c in chunks]
        for i in range(0, len(todo), SLICE_CHUNKS):
            part = todo[i : i + SLICE_CHUNKS]
            vectors = embedder.embed([f"{a.title}\n{c.text}" for a, c in part])
            if not marked:
                store.bind_embedder(embedder.name, int(vectors.shape[1]))
                store.mark_pending(pending)
                marked = True
            for article in {a.doc_id: a for a, _ in part}.values():
                save_canonical(article)
            store.add_nodes([node(a, c, v) for (a, c), v in zip(part, vectors)])
            for (a, _), v in zip(part, vectors):
                sums[a.doc_id] = sums.get(a.doc_id, 0) + v
            tick(len(part))
        if not marked:
            store.mark_pending(pending)
        for doc_id in reuse & new:
            sums[doc_id] = store.chunk_vectors(doc_id).sum(axis=0)
        done = [_committed(a, len(c), sums.get(a.doc_id), container_hash) for a, c, _ in batch.items]
        store.commit_files([(d.record, d.mean, _extra(d.article)) for d in done])
    except BaseException:
        store.reconcile(pending)  # the chunks written above belong to no committed record: delete them
        raise
    store.reconcile(pending)  # now: the replaced versions' chunks
    return done


def _committed(article: Article, n_chunks: int, total: Any, container_hash: dict[str, str]) -> Committed:
    mean = np.asarray(total, dtype=np.float32) if total is not None else np.zeros(1, dtype=np.float32)
    mean = mean / max(float(np.linalg.norm(mean)), 1e-9)
    record = FileRecord(
        article.key,
        article.source,
        article.doc_id,
        article.title,
        article.date,
        n_chunks,
        article.n_chars,
        article.doc_id,
        origin=article.origin,
        url=article.url,
        date_source=article.date_source,
        encoding=article.encoding,
        kind=article.kind,
        container=article.container,
        container_hash=container_hash.get(article.container, ""),
    )
    return Committed(article, record, mean)


def _extra(article: Article) -> dict[str, Any]:
    return {"bytes": article.n_bytes, "dropped_chars": article.dropped_chars}


def node(article: Article, chunk: Chunk, vector: np.ndarray) -> object:
    from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode

    meta: dict[str, Any] = {
        "doc_id": article.doc_id,
        "source": article.source,
        "path": article.path,
        "origin": article.origin,
        "url": article.url,
        "title": article.title,
        "date": article.date or "",
        "date_source": article.date_source,
        "start": chunk.start,
        "end": chunk.end,
        "chunk": chunk.index,
    }
    if article.date:
        meta["date_num"] = date_number(article.date)
    return TextNode(
        id_=f"{article.doc_id}:{chunk.index:04d}",
        text=chunk.text,
        embedding=vector.tolist(),
        start_char_idx=chunk.start,
        end_char_idx=chunk.end,
        metadata=meta,
        relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=article.doc_id)},
    )
