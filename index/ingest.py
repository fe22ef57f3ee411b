"""`qa index`: bring the store in step with a set of article files, incrementally.

For each file (or export record): unchanged content (the same doc_id as its manifest record, or
an export whose bytes did not change) costs a hash and nothing else; new or changed content is
read, cleaned, chunked, and committed in batches by `index.commit`; a file that cannot be used
(unreadable, too large, binary, empty, a bad record) is skipped with its reason and the rest go
on. Records whose file vanished are pruned unless `prune=False` (a file that exists but cannot be
read is kept, and reported). After each batch, its articles are compared with their nearest
neighbours (`index.duplicates`): same-story articles share a cluster, and every article stays.

`progress(done, total, label)` is called as bytes are processed, for a bar with an ETA. It does
not watch folders or read PDF/Word files.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from index.articles import Article, doc_id_for, load_article, load_records
from index.chunking import chunk_article
from index.commit import Batch, commit
from index.duplicates import Profiles, place
from index.embedding import Embedder
from index.errors import BadInputError
from index.reading.walk import RECORD_SUFFIXES, Found, walk
from index.store import FileRecord, Store

# files are committed in batches: each Chroma write costs ~40 ms here whatever its size, so a batch of
# ~1,000 chunks keeps writes under 10 % of embedding time; a crash loses at most one batch of work
BATCH_FILES = 128
BATCH_CHUNKS = 1024
Progress = Callable[[int, int, str], None]


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
    duplicates: list[tuple[str, str, str]] = field(default_factory=list)  # origin, other, relation
    encodings: list[tuple[str, str]] = field(default_factory=list)  # origin, encoding (non-UTF-8)
    recovered: int = 0
    seconds: float = 0.0


class _Run:
    """One `run_index` call: the manifest at the start, the batch being filled, what was seen."""

    def __init__(self, store: Store, embedder: Embedder, chunk_tokens: int, progress: Progress | None):
        self.store, self.embedder, self.chunk_tokens = store, embedder, chunk_tokens
        self.settings = store.settings
        self.progress = progress or (lambda done, total, label: None)
        self.summary = Summary()
        self.manifest = store.manifest()
        self.batch = Batch()
        self.seen: set[str] = set()  # manifest keys met this run
        self.parsed: set[str] = set()  # exports read record by record this run
        self.hashes: dict[str, str] = {}  # export path -> content hash
        self.profiles = Profiles()
        self.done, self.total = 0, 0
        self._count0 = int(getattr(embedder, "count", 0))
        self.writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="qa-index-writer")
        self.pending: Future[None] | None = None

    def file(self, found: Found) -> None:
        if found.path.suffix.lower() in RECORD_SUFFIXES:
            self.export(found)
            return
        key = str(found.path.resolve())
        self.seen.add(key)
        record = self.manifest.get(key)
        try:
            data = found.path.read_bytes()
            if record and record.doc_id == doc_id_for(data):
                self.summary.unchanged += 1
                return
            article = load_article(found.path, found.source, self.text_dir, data)
        except (BadInputError, OSError) as e:
            self.summary.skipped.append((found.source, _reason(e)))
            return
        self.add(article, record)

    def export(self, found: Found) -> None:
        container = str(found.path.resolve())
        mine = self._by_container().get(container, [])
        digest = _file_hash(found.path)
        self.hashes[container] = digest
        if mine and all(r.container_hash == digest for r in mine):
            self.seen.update(r.path for r in mine)
            self.summary.unchanged += len(mine)
            return
        self.parsed.add(container)
        fields, limit = self.settings.record_fields, self.settings.max_file_mb
        try:
            for item in load_records(found.path, found.source, self.text_dir, fields, limit):
                if isinstance(item, tuple):
                    self.summary.skipped.append(item)
                    continue
                self.seen.add(item.key)
                record = self.manifest.get(item.key)
                if record and record.doc_id == item.doc_id:
                    self.summary.unchanged += 1
                else:
                    self.add(item, record)
        except (BadInputError, OSError) as e:
            self.parsed.discard(container)  # keep what was indexed from it; nothing is pruned
            self.summary.skipped.append((found.source, _reason(e)))

    def add(self, article: Article, record: FileRecord | None) -> None:
        chunks = chunk_article(article.text, article.segments, self.chunk_tokens)
        self.batch.items.append((article, chunks, record))
        if article.encoding != "utf_8":
            self.summary.encodings.append((article.origin, article.encoding))
        if len(self.batch.items) >= BATCH_FILES or self.batch.chunks >= BATCH_CHUNKS:
            self.flush()

    def flush(self, wait: bool = False) -> None:
        """Hand the batch to the writer thread (embedding and Chroma writes release the GIL), so
        reading and chunking the next batch overlaps them; at most one batch is in flight."""
        if self.pending is not None:
            self.pending.result()  # re-raises the writer's error here
            self.pending = None
        if self.batch.items:
            batch, self.batch = self.batch, Batch()
            self.pending = self.writer.submit(self._write, batch, dict(self.hashes))
        if wait and self.pending is not None:
            self.pending.result()
            self.pending = None

    def _write(self, batch: Batch, hashes: dict[str, str]) -> None:
        done = commit(self.store, self.embedder, batch, hashes, lambda n: None)
        s = self.summary
        s.indexed += len(done)
        s.chunks += sum(d.record.chunks for d in done)
        s.embedded = self.embedder_count
        for d in done:
            a = d.article
            s.dropped += [(a.origin, x.reason, x.end - x.start) for x in a.dropped if x.reason != "header"]
        s.duplicates += place(self.store, done, self.profiles, self.settings.duplicates)

    @property
    def embedder_count(self) -> int:
        return int(getattr(self.embedder, "count", 0)) - self._count0

    @property
    def text_dir(self) -> Path:
        return self.settings.data_dir / "text"

    def _by_container(self) -> dict[str, list[FileRecord]]:
        if not hasattr(self, "_containers"):
            self._containers: dict[str, list[FileRecord]] = {}
            for r in self.manifest.values():
                if r.container:
                    self._containers.setdefault(r.container, []).append(r)
        return self._containers


def run_index(
    store: Store,
    embedder: Embedder,
    paths: Iterable[str],
    chunk_tokens: int,
    prune: bool = True,
    progress: Progress | None = None,
) -> Summary:
    """Index the files under `paths`; see the module docstring. Raises only for a store or
    embedder problem (IndexMismatchError, ModelUnavailableError, StoreUnavailableError)."""
    started = time.perf_counter()
    store.check_embedder(embedder.name)
    run = _Run(store, embedder, chunk_tokens, progress)
    run.summary.recovered = store.reconcile()
    found = walk(paths, store.settings.max_file_mb)
    run.summary.skipped += found.skipped
    run.total = sum(f.size for f in found.files)
    run.summary.files = len(found.files)
    try:
        for f in found.files:
            run.progress(run.done, run.total, f.source)
            run.file(f)
            run.done += f.size
        run.flush(wait=True)
    finally:
        run.writer.shutdown(wait=True)  # an interrupted run still finishes (or rolls back) its batch
    run.progress(run.total, run.total, "")
    if prune:
        run.summary.removed = _prune(run, found.unreadable)
    run.summary.embedded = run.embedder_count
    run.summary.seconds = time.perf_counter() - started
    return run.summary


def _prune(run: _Run, unreadable: set[str]) -> list[str]:
    """Remove records whose file is gone (or whose export no longer has them); keep unreadable ones."""
    store, gone = run.store, []
    for key, r in list(store.manifest().items()):
        if r.container:
            missing = (r.container in run.parsed and key not in run.seen) or _missing(r.container, unreadable)
        else:
            missing = _missing(key, unreadable)
        if missing:
            gone.append(r)
    if gone:
        doc_ids = sorted({r.doc_id for r in gone})
        store.mark_pending(doc_ids)
        store.remove_files([r.path for r in gone])
        store.reconcile(doc_ids)
        _drop_texts(run, doc_ids)
    return [r.origin or r.source for r in gone]


def _missing(path: str, unreadable: set[str]) -> bool:
    if path in unreadable or any(path.startswith(u + "/") for u in unreadable):
        return False
    try:
        Path(path).stat()
    except FileNotFoundError:
        return True
    except OSError:  # e.g. its folder lost its permissions: it may still be there
        return False
    return False


def _drop_texts(run: _Run, doc_ids: list[str]) -> None:
    live = run.store.live_doc_ids()
    for doc_id in doc_ids:
        if doc_id not in live:
            (run.text_dir / f"{doc_id}.txt").unlink(missing_ok=True)


def _file_hash(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()[:16]


def _reason(e: Exception) -> str:
    if isinstance(e, PermissionError):
        return "cannot read it (permission denied); fix its permissions"
    return str(e)
