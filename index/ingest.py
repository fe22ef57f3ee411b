"""`qa index`: bring the store in step with a set of article files, incrementally.

For each file: unchanged content (same doc_id as its manifest record) costs nothing; new or
changed content is cleaned, chunked, embedded and committed (see `store` for the order that makes
a crash safe); a bad file is skipped with its reason and the rest go on. Files that vanished from
disk are pruned unless `prune=False`. Near-duplicate articles are put in one cluster (recorded,
never dropped): two articles are the same story when most chunks of the shorter one have a close
paraphrase in the other.

It does not watch folders or parse HTML/PDF.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index.articles import SUFFIXES, Article, doc_id_for, load_article
from index.chunking import Chunk, chunk_article
from index.embedding import Embedder
from index.errors import BadInputError
from index.store import FileRecord, Store

# A chunk "has a paraphrase" in another article above DUP_CHUNK_COSINE; the story is shared when
# at least DUP_SHARE of the shorter article's chunks have one. Measured on the seeds: 000/001 (one
# story) have 3 of 4 chunks at >= 0.82; 002 (same topic, another article) at most 1 of 4 at >= 0.8.
DUP_CHUNK_COSINE = 0.8
DUP_SHARE = 0.5
# files are committed in batches: fewer Chroma writes; a crash loses at most one batch of work
BATCH_FILES = 32
BATCH_CHUNKS = 256


@dataclass
class Summary:
    files: int = 0
    indexed: int = 0
    unchanged: int = 0
    chunks: int = 0
    embedded: int = 0
    removed: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    dropped: list[tuple[str, str, int]] = field(default_factory=list)  # source, reason, chars
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # source, same story as
    recovered: int = 0
    seconds: float = 0.0


def discover(paths: Iterable[str]) -> tuple[list[tuple[Path, str]], list[tuple[str, str]]]:
    """(file, source-as-given) pairs under the given files/folders, and unusable arguments."""
    found: list[tuple[Path, str]] = []
    bad: list[tuple[str, str]] = []
    for arg in paths:
        p = Path(arg)
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.is_file() and f.suffix.lower() in SUFFIXES and not f.name.startswith("."):
                    found.append((f, str(f)))
        elif p.is_file():
            if p.suffix.lower() in SUFFIXES:
                found.append((p, str(p)))
            else:
                bad.append((arg, f"unsupported type {p.suffix or '(none)'}; use .txt or .md"))
        else:
            bad.append((arg, "no such file or folder"))
    return found, bad


def run_index(
    store: Store,
    embedder: Embedder,
    paths: Iterable[str],
    chunk_tokens: int,
    prune: bool = True,
    progress: Callable[[Iterable[tuple[Path, str]]], Iterable[tuple[Path, str]]] = lambda x: x,
) -> Summary:
    started = time.perf_counter()
    summary = Summary(recovered=store.reconcile())
    files, summary.skipped = discover(paths)
    summary.files = len(files)
    manifest = store.manifest()
    batch: list[tuple[Article, list[Chunk], FileRecord | None]] = []
    changed: list[Article] = []
    for path, source in progress(files):
        record = manifest.get(str(path.resolve()))
        try:
            if record and record.doc_id == doc_id_for(path.read_bytes()):
                summary.unchanged += 1
                continue
            article = load_article(path, source)
        except (BadInputError, OSError) as e:
            summary.skipped.append((source, str(e)))
            continue
        batch.append((article, chunk_article(article.text, article.segments, chunk_tokens), record))
        changed.append(article)
        if len(batch) >= BATCH_FILES or sum(len(c) for _, c, _ in batch) >= BATCH_CHUNKS:
            _commit_batch(store, embedder, batch, summary)
            batch = []
    if batch:
        _commit_batch(store, embedder, batch, summary)
    if prune:
        summary.removed = _prune(store)
    summary.duplicates = _cluster(store, changed)
    summary.indexed = len(changed)
    summary.seconds = time.perf_counter() - started
    return summary


def _commit_batch(
    store: Store,
    embedder: Embedder,
    batch: list[tuple[Article, list[Chunk], FileRecord | None]],
    summary: Summary,
) -> None:
    """Write new chunks, then commit the manifest records, then drop what they replaced."""
    pending = sorted(
        {a.doc_id for a, _, _ in batch} | {o.doc_id for a, _, o in batch if o and o.doc_id != a.doc_id}
    )
    store.mark_pending(pending)
    vectors: dict[str, np.ndarray] = {}
    todo: list[tuple[Article, Chunk]] = []
    for article, chunks, _ in batch:
        if article.doc_id in vectors or store.has_chunks(article.doc_id):  # same bytes, other path
            vectors.setdefault(article.doc_id, store.chunk_vectors(article.doc_id, len(chunks)))
        else:
            vectors[article.doc_id] = np.zeros((0, 384), dtype=np.float32)
            todo.extend((article, c) for c in chunks)
    embedded = embedder.embed([f"{a.title}\n{c.text}" for a, c in todo])
    summary.embedded += len(todo)
    store.add_nodes([_node(a, c, v) for (a, c), v in zip(todo, embedded)])
    for (article, _), v in zip(todo, embedded):
        vectors[article.doc_id] = np.vstack([vectors[article.doc_id], v])
    records = []
    for article, chunks, _ in batch:
        summary.chunks += len(chunks)
        summary.dropped += [
            (article.source, d.reason, d.end - d.start) for d in article.dropped if d.reason != "header"
        ]
        mean = vectors[article.doc_id].mean(axis=0)
        record = FileRecord(
            article.path,
            article.source,
            article.doc_id,
            article.title,
            article.date,
            len(chunks),
            article.n_chars,
            article.doc_id,
        )
        records.append(
            (
                record,
                mean / max(float(np.linalg.norm(mean)), 1e-9),
                {"bytes": article.n_bytes, "dropped_chars": article.dropped_chars},
            )
        )
    store.commit_files(records)
    store.reconcile(pending)


def _node(article: Article, chunk: Chunk, vector: np.ndarray) -> object:
    from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode

    return TextNode(
        id_=f"{article.doc_id}:{chunk.index:04d}",
        text=chunk.text,
        embedding=vector.tolist(),
        start_char_idx=chunk.start,
        end_char_idx=chunk.end,
        metadata={
            "doc_id": article.doc_id,
            "source": article.source,
            "path": article.path,
            "title": article.title,
            "date": article.date or "",
            "start": chunk.start,
            "end": chunk.end,
            "chunk": chunk.index,
        },
        relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=article.doc_id)},
    )


def _prune(store: Store) -> list[str]:
    removed = []
    for path, record in list(store.manifest().items()):
        if not Path(path).is_file():
            store.mark_pending([record.doc_id])
            store.remove_file(path)
            store.reconcile([record.doc_id])
            removed.append(record.source)
    return removed


def _cluster(store: Store, changed: list[Article]) -> list[tuple[str, str]]:
    """Put each changed article into the cluster of a similar article telling the same story."""
    found = []
    paths_of: dict[str, list[str]] = {}
    for record in store.manifest().values():
        paths_of.setdefault(record.doc_id, []).append(record.path)
    for article in changed:
        twins = [p for p in paths_of.get(article.doc_id, []) if p != article.path]
        if twins:  # the very same bytes under another name
            twin = store.manifest()[twins[0]]
            store.set_cluster(article.path, twin.cluster)
            found.append((article.source, twin.source))
            continue
        mine = store.chunk_vectors(article.doc_id, store.manifest()[article.path].chunks)
        for other in store.similar_files(article.path, article.doc_id, n=5) if len(mine) else []:
            if other.cluster == store.manifest()[article.path].cluster:
                break  # already grouped, from the other side
            if same_story(mine, store.chunk_vectors(other.doc_id, other.chunks)):
                store.set_cluster(article.path, other.cluster)
                found.append((article.source, other.source))
                break
    return found


def same_story(a: np.ndarray, b: np.ndarray) -> bool:
    shorter, longer = (a, b) if len(a) <= len(b) else (b, a)
    best = (shorter @ longer.T).max(axis=1)
    return float((best >= DUP_CHUNK_COSINE).mean()) >= DUP_SHARE
