"""The index on disk (or on a Chroma server): chunk vectors, a file manifest, and a BM25 index.

Two Chroma collections:
- `<name>_chunks`: one record per chunk, written through llama-index's `ChromaVectorStore`
  (so a plain llama-index pipeline can read the same collection), with exact offsets.
- `<name>_files`: the manifest, one record per indexed file (its embedding is the article's mean
  vector, used to find near-duplicates), plus `pending:` markers and a `generation` counter.

Consistency: a file's new chunks are written first, then its manifest record (the commit), then
its old chunks are deleted. Readers only trust chunks whose doc_id a manifest record names, so a
crash at any point leaves the previous consistent state visible; `pending:` markers let the next
run delete what a crash left behind. The BM25 index is derived from the live chunks and cached
per manifest fingerprint, so it can never drift from Chroma.

It does not chunk, embed or decide what changed (that is `ingest`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from index.errors import IndexEmptyError, StoreUnavailableError
from index.settings import Settings

_GENERATION = "__generation__"
_PAGE = 5000


@dataclass(frozen=True)
class FileRecord:
    path: str  # absolute path: the manifest key
    source: str
    doc_id: str
    title: str
    date: str | None
    chunks: int
    chars: int
    cluster: str


@dataclass(frozen=True)
class Hit:
    chunk_id: str
    doc_id: str
    text: str
    score: float
    meta: dict[str, Any]


def open_client(settings: Settings) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    try:
        if settings.chroma_url:
            url = urlparse(settings.chroma_url)
            return chromadb.HttpClient(
                host=url.hostname or "127.0.0.1",
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
        path = settings.data_dir / "chroma"
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except Exception as e:  # chromadb raises ValueError/ConnectionError/... depending on mode
        where = settings.chroma_url or str(settings.data_dir / "chroma")
        raise StoreUnavailableError(
            f"Cannot open the Chroma store at {where} ({e}). Start the server "
            "(`chroma run --path DIR --host 127.0.0.1 --port 8000`) or unset QA_CHROMA_URL."
        ) from e


class Store:
    """Chunks + manifest + BM25 for one collection name."""

    def __init__(self, settings: Settings, client: Any = None):
        from llama_index.vector_stores.chroma import ChromaVectorStore

        self.settings = settings
        self.client = client or open_client(settings)
        config = {"hnsw": {"space": "cosine"}}
        self.chunks = self.client.get_or_create_collection(
            f"{settings.collection}_chunks", configuration=config, embedding_function=None
        )
        self.files = self.client.get_or_create_collection(
            f"{settings.collection}_files", configuration=config, embedding_function=None
        )
        self.vector_store = ChromaVectorStore(chroma_collection=self.chunks)
        self._manifest: dict[str, FileRecord] | None = None
        self._generation: int | None = None
        self._bm25: Any = None

    # ----- manifest -------------------------------------------------------------------------
    def generation(self) -> int:
        got = self.files.get(ids=[_GENERATION], include=["metadatas"])
        return int(got["metadatas"][0]["gen"]) if got["ids"] else 0

    def manifest(self) -> dict[str, FileRecord]:
        """Indexed files by absolute path; reloaded when another process committed."""
        gen = self.generation()
        if self._manifest is None or gen != self._generation:
            self._manifest, self._generation, self._bm25 = self._load_manifest(), gen, None
        return self._manifest

    def _load_manifest(self) -> dict[str, FileRecord]:
        got = self.files.get(where={"kind": "file"}, include=["metadatas"])
        records = {}
        for key, m in zip(got["ids"], got["metadatas"]):
            records[key] = FileRecord(
                key,
                m["source"],
                m["doc_id"],
                m["title"],
                m.get("date") or None,
                int(m["chunks"]),
                int(m["chars"]),
                m.get("cluster") or m["doc_id"],
            )
        return records

    def live_doc_ids(self) -> set[str]:
        return {r.doc_id for r in self.manifest().values()}

    def clusters(self) -> dict[str, str]:
        return {r.doc_id: r.cluster for r in self.manifest().values()}

    def _bump(self, change: Callable[[dict[str, FileRecord]], object]) -> None:
        """Advance the generation; apply our own change to the cached manifest if it was current."""
        gen = self.generation() + 1
        self.files.upsert(
            ids=[_GENERATION], embeddings=[[0.0] * 384], metadatas=[{"kind": "generation", "gen": gen}]
        )
        if self._manifest is not None and self._generation == gen - 1:
            change(self._manifest)
            self._generation, self._bm25 = gen, None
        else:
            self._manifest = None

    # ----- writes ---------------------------------------------------------------------------
    def mark_pending(self, doc_ids: list[str]) -> None:
        self.files.upsert(
            ids=[f"pending:{d}" for d in doc_ids],
            embeddings=[[0.0] * 384] * len(doc_ids),
            metadatas=[{"kind": "pending", "doc_id": d} for d in doc_ids],
        )

    def has_chunks(self, doc_id: str) -> bool:
        return bool(self.chunks.get(ids=[f"{doc_id}:0000"], include=[])["ids"])

    def add_nodes(self, nodes: list[Any]) -> None:
        for i in range(0, len(nodes), 1000):
            self.vector_store.add(nodes[i : i + 1000])

    def commit_files(self, records: list[tuple[FileRecord, np.ndarray, dict[str, Any]]]) -> None:
        """Point the manifest at the new versions: the commit of a batch of files."""
        ids, vectors, metas = [], [], []
        for r, vector, extra in records:
            ids.append(r.path)
            vectors.append(vector.tolist())
            metas.append(
                {
                    "kind": "file",
                    "source": r.source,
                    "doc_id": r.doc_id,
                    "title": r.title,
                    "date": r.date or "",
                    "chunks": r.chunks,
                    "chars": r.chars,
                    "cluster": r.cluster,
                    "indexed_at": time.time(),
                    **extra,
                }
            )
        self.files.upsert(ids=ids, embeddings=vectors, metadatas=metas)
        self._bump(lambda m: m.update({r.path: r for r, _, _ in records}))

    def set_cluster(self, path: str, cluster: str) -> None:
        self.files.update(ids=[path], metadatas=[{"cluster": cluster}])
        self._bump(lambda m: m.__setitem__(path, dataclasses.replace(m[path], cluster=cluster)))

    def remove_file(self, path: str) -> None:
        self.files.delete(ids=[path])
        self._bump(lambda m: m.pop(path, None))

    def reconcile(self, doc_ids: list[str] | None = None) -> int:
        """Delete chunks of pending doc_ids (all, or these) that no manifest record names.

        Returns how many half-written or replaced documents were cleaned up."""
        if doc_ids is None:
            pending = self.files.get(where={"kind": "pending"}, include=["metadatas"])
        else:
            pending = self.files.get(ids=[f"pending:{d}" for d in doc_ids], include=["metadatas"])
        live = self.live_doc_ids()
        dead = sorted({m["doc_id"] for m in pending["metadatas"] if m["doc_id"] not in live})
        if dead:
            self.chunks.delete(where={"doc_id": {"$in": dead}})
        if pending["ids"]:
            self.files.delete(ids=pending["ids"])
        return len(dead)

    # ----- reads ----------------------------------------------------------------------------
    def similar_files(self, path: str, doc_id: str, n: int) -> list[FileRecord]:
        """Other indexed files whose mean vector is nearest to this file's, nearest first."""
        mine = self.files.get(ids=[path], include=["embeddings"])
        if not mine["ids"]:
            return []
        got = self.files.query(
            query_embeddings=[mine["embeddings"][0]], n_results=n + 1, where={"kind": "file"}, include=[]
        )
        manifest = self.manifest()
        return [manifest[k] for k in got["ids"][0] if k in manifest and manifest[k].doc_id != doc_id]

    def chunk_vectors(self, doc_id: str, count: int | None = None) -> np.ndarray:
        """A document's chunk vectors; by id (fast at any size) when the chunk count is known."""
        if count is None:
            got = self.chunks.get(where={"doc_id": doc_id}, include=["embeddings"])
        else:
            got = self.chunks.get(ids=[f"{doc_id}:{i:04d}" for i in range(count)], include=["embeddings"])
        return np.asarray(got["embeddings"], dtype=np.float32).reshape(-1, 384)

    def require_nonempty(self) -> None:
        if not self.manifest():
            raise IndexEmptyError("The index is empty: run `qa index seeds/` (or your folder) first.")

    def dense(self, vector: np.ndarray, n: int) -> list[Hit]:
        from llama_index.core.vector_stores.types import VectorStoreQuery

        live = self.live_doc_ids()
        result = self.vector_store.query(
            VectorStoreQuery(query_embedding=vector.tolist(), similarity_top_k=n + 20)
        )
        hits = []
        for node, sim in zip(result.nodes or [], result.similarities or []):
            meta = dict(node.metadata)
            if meta.get("doc_id") in live:
                cosine = 1.0 + float(np.log(max(sim, 1e-12)))  # ChromaVectorStore gives exp(-distance)
                hits.append(Hit(node.node_id, meta["doc_id"], node.get_content(), cosine, meta))
        return hits[:n]

    def lexical(self, query: str, n: int) -> list[Hit]:
        index, ids, texts, metas = self._bm25_index()
        if not ids:
            return []
        import bm25s

        tokens = bm25s.tokenize([query], stopwords="en", show_progress=False)
        if not tokens.vocab:
            return []
        k = min(n, len(ids))
        docs, scores = index.retrieve(tokens, k=k, show_progress=False, n_threads=1)
        return [
            Hit(ids[i], metas[i]["doc_id"], texts[i], float(s), metas[i])
            for i, s in zip(docs[0], scores[0])
            if s > 0
        ]

    def term_counts(self, normalise: Callable[[str], str]) -> tuple[dict[str, int], int]:
        """Document frequency of each normalised (e.g. stemmed) BM25 term, and the number of chunks."""
        index, ids, _, _ = self._bm25_index()
        key = (id(index), normalise)
        if getattr(self, "_term_counts_key", None) != key:
            counts: dict[str, int] = {}
            if ids:
                indptr = index.scores["indptr"]
                for word, t in index.vocab_dict.items():
                    if word and t + 1 < len(indptr):
                        norm = normalise(word)
                        counts[norm] = max(counts.get(norm, 0), int(indptr[t + 1] - indptr[t]))
            self._term_counts, self._term_counts_key = counts, key
        return self._term_counts, len(ids)

    def _bm25_index(self) -> tuple[Any, list[str], list[str], list[dict[str, Any]]]:
        live = self.live_doc_ids()
        if self._bm25 is not None:
            return self._bm25
        fingerprint = hashlib.sha256(" ".join(sorted(live)).encode()).hexdigest()[:16]
        folder = self.settings.data_dir / "bm25" / f"{self.settings.collection}-{fingerprint}"
        self._bm25 = _load_bm25(folder) or _build_bm25(self._live_chunks(live), folder)
        return self._bm25

    def _live_chunks(self, live: set[str]) -> tuple[list[str], list[str], list[dict[str, Any]]]:
        ids: list[str] = []
        texts: list[str] = []
        metas: list[dict[str, Any]] = []
        offset = 0
        while True:
            got = self.chunks.get(include=["documents", "metadatas"], limit=_PAGE, offset=offset)
            for i, t, m in zip(got["ids"], got["documents"], got["metadatas"]):
                if m.get("doc_id") in live:
                    ids.append(i)
                    texts.append(t)
                    metas.append({k: v for k, v in m.items() if not k.startswith("_")})
            if len(got["ids"]) < _PAGE:
                return ids, texts, metas
            offset += _PAGE


def _build_bm25(chunks: tuple[list[str], list[str], list[dict[str, Any]]], folder: Path) -> Any:
    import bm25s

    ids, texts, metas = chunks
    index = bm25s.BM25()
    if ids:
        index.index(bm25s.tokenize(texts, stopwords="en", show_progress=False), show_progress=False)
        tmp = folder.with_name(folder.name + ".tmp")
        index.save(str(tmp))
        (tmp / "qa_chunks.json").write_text(json.dumps({"ids": ids, "texts": texts, "metas": metas}))
        if folder.exists():
            import shutil

            shutil.rmtree(folder)
        tmp.rename(folder)
    return index, ids, texts, metas


def _load_bm25(folder: Path) -> Any:
    if not (folder / "qa_chunks.json").is_file():
        return None
    import bm25s

    data = json.loads((folder / "qa_chunks.json").read_text())
    return bm25s.BM25.load(str(folder)), data["ids"], data["texts"], data["metas"]
