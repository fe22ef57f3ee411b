"""`Store`: the chunk and file collections in Chroma, the manifest, and the BM25 index beside them.

Two Chroma collections:
- `<name>_chunks`: one record per chunk, written through llama-index's `ChromaVectorStore` (so a
  plain llama-index pipeline can read the same collection), with exact offsets and the article's
  date (`date`, ISO, and `date_num`, e.g. 19870226, for range filters).
- `<name>_files`: the manifest, one record per indexed article (its embedding is the article's
  mean vector, used to find duplicates), plus `pending:` markers, a `generation` counter and the
  embedder that built the index (name and dimension).

Consistency: a batch's new chunks are written first, then its manifest records (the commit), then
the chunks they replaced are deleted. Readers only trust chunks whose doc_id a manifest record
names, so a crash at any point leaves the previous consistent state visible; `pending:` markers
let the next run delete what a crash left behind. An index answers only to the embedder that
built it: any other is refused with a message saying how to rebuild.

It does not chunk, embed, or decide what changed (that is `ingest`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import urlparse

import numpy as np

from index.errors import IndexEmptyError, IndexMismatchError, StoreUnavailableError
from index.settings import Settings
from index.store import lexical as bm25
from index.store.records import SAME_STORY, FileRecord, Hit, date_bounds, date_where

_GENERATION, _EMBEDDER = "__generation__", "__embedder__"
LEGACY_DIM = 384  # indexes made before the embedder was recorded were all 384-dimensional


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
        from index.embedding import identity

        self.settings = settings
        self.expected_embedder = identity(settings)
        self.client = client or open_client(settings)
        config = {"hnsw": {"space": "cosine"}}
        name = settings.collection
        self.chunks = self.client.get_or_create_collection(
            f"{name}_chunks", configuration=config, embedding_function=None
        )
        self.files = self.client.get_or_create_collection(
            f"{name}_files", configuration=config, embedding_function=None
        )
        self._vector_store: Any = None
        self._manifest: dict[str, FileRecord] | None = None
        self._generation: int | None = None
        self._embedder: tuple[str, int] | None = None
        self._bm25: bm25.Lexical | None = None

    @property
    def vector_store(self) -> Any:
        """llama-index's view of the chunks collection (imported only when something is written)."""
        if self._vector_store is None:
            from llama_index.vector_stores.chroma import ChromaVectorStore

            self._vector_store = ChromaVectorStore(chroma_collection=self.chunks)
        return self._vector_store

    # ----- the embedder that built the index --------------------------------------------------
    @property
    def dim(self) -> int:
        return self._embedder[1] if self._embedder else LEGACY_DIM

    def check_embedder(self, name: str | None = None, dim: int | None = None) -> None:
        """Refuse an embedder other than the one that built this index, saying how to rebuild."""
        self.manifest()
        if self._embedder is None:
            return
        built, built_dim = self._embedder
        name = name or self.expected_embedder
        if name != built or (dim is not None and dim != built_dim):
            got = f"{name!r}" + (f" ({dim} dimensions)" if dim is not None else "")
            raise IndexMismatchError(
                f"This index (collection {self.settings.collection!r}) was built with the embedder "
                f"{built!r} ({built_dim} dimensions), but {got} was given. Use the same embedder "
                "(QA_EMBEDDER, QA_EMBED_URL, QA_EMBED_MODEL as when it was built), or rebuild the index "
                "with the new one: `qa index --rebuild <your folders>` (or another QA_COLLECTION)."
            )

    def bind_embedder(self, name: str, dim: int) -> None:
        """Record the embedder of a new index; check it against the recorded one otherwise."""
        self.check_embedder(name, dim)
        if self._embedder is None:
            self.files.upsert(
                ids=[_EMBEDDER],
                embeddings=[[0.0] * dim],
                metadatas=[{"kind": "embedder", "name": name, "dim": dim}],
            )
            self._embedder = (name, dim)

    # ----- manifest -------------------------------------------------------------------------
    def generation(self) -> int:
        got = self.files.get(ids=[_GENERATION, _EMBEDDER], include=["metadatas"])
        meta = dict(zip(got["ids"], got["metadatas"]))
        if _EMBEDDER in meta:
            self._embedder = (str(meta[_EMBEDDER]["name"]), int(meta[_EMBEDDER]["dim"]))
        return int(meta[_GENERATION]["gen"]) if _GENERATION in meta else 0

    def manifest(self) -> dict[str, FileRecord]:
        """Indexed articles by manifest key; reloaded when another process committed."""
        gen = self.generation()
        if self._manifest is None or gen != self._generation:
            self._manifest, self._generation, self._bm25 = self._load_manifest(), gen, None
        return self._manifest

    def _load_manifest(self) -> dict[str, FileRecord]:
        got = self.files.get(where={"kind": "file"}, include=["metadatas"])
        return {key: FileRecord.from_meta(key, m) for key, m in zip(got["ids"], got["metadatas"])}

    def live_doc_ids(self) -> set[str]:
        return {r.doc_id for r in self.manifest().values()}

    def clusters(self) -> dict[str, str]:
        """doc_id -> same-story cluster id (identical copies and updated versions share one)."""
        return {r.doc_id: r.cluster for r in self.manifest().values()}

    def relations(self, doc_id: str) -> dict[str, str]:
        """Other doc_id -> "identical" | "update" | "same_topic", as recorded on either side."""
        out: dict[str, str] = {}
        for r in self.manifest().values():
            if r.doc_id == doc_id:
                out.update(r.links)
            elif doc_id in r.links:
                out[r.doc_id] = r.links[doc_id]
        out.pop(doc_id, None)
        return out

    def relation(self, a: str, b: str) -> str | None:
        """How two articles relate: "identical", "update", "same_topic", or None (not compared)."""
        return self.relations(a).get(b)

    def same_story(self, a: str, b: str) -> bool:
        return a != b and (
            self.relation(a, b) in SAME_STORY or self.clusters().get(a) == self.clusters().get(b)
        )

    def _bump(self, change: Callable[[dict[str, FileRecord]], object]) -> None:
        """Advance the generation; apply our own change to the cached manifest if it was current."""
        gen = self.generation() + 1
        self.files.upsert(
            ids=[_GENERATION], embeddings=[[0.0] * self.dim], metadatas=[{"kind": "generation", "gen": gen}]
        )
        if self._manifest is not None and self._generation == gen - 1:
            change(self._manifest)
            self._generation, self._bm25 = gen, None
        else:
            self._manifest = None

    # ----- writes ---------------------------------------------------------------------------
    def mark_pending(self, doc_ids: list[str]) -> None:
        if doc_ids:
            self.files.upsert(
                ids=[f"pending:{d}" for d in doc_ids],
                embeddings=[[0.0] * self.dim] * len(doc_ids),
                metadatas=[{"kind": "pending", "doc_id": d} for d in doc_ids],
            )

    def existing_chunks(self, doc_ids: list[str]) -> set[str]:
        """Which of these doc_ids already have chunks (the same bytes under another name)."""
        got = self.chunks.get(ids=[f"{d}:0000" for d in doc_ids], include=[]) if doc_ids else {"ids": []}
        return {i.split(":")[0] for i in got["ids"]}

    def add_nodes(self, nodes: list[Any]) -> None:
        for i in range(0, len(nodes), 1000):
            self.vector_store.add(nodes[i : i + 1000])

    def delete_chunks(self, doc_ids: list[str]) -> None:
        if doc_ids:
            self.chunks.delete(where={"doc_id": {"$in": doc_ids}})

    def commit_files(self, records: list[tuple[FileRecord, np.ndarray, dict[str, Any]]]) -> None:
        """Point the manifest at the new versions: the commit of a batch of articles."""
        import time

        ids = [r.path for r, _, _ in records]
        vectors = [v.tolist() for _, v, _ in records]
        metas = [{**r.meta(), "indexed_at": time.time(), **extra} for r, _, extra in records]
        self.files.upsert(ids=ids, embeddings=vectors, metadatas=metas)
        self._bump(lambda m: m.update({r.path: r for r, _, _ in records}))

    def update_records(self, records: list[FileRecord]) -> None:
        """Change the duplicate fields (cluster, relation, links) of committed records."""
        if not records:
            return
        self.files.update(
            ids=[r.path for r in records],
            metadatas=[
                {"cluster": r.cluster, "relation": r.relation, "links": r.meta()["links"]} for r in records
            ],
        )
        self._bump(lambda m: m.update({r.path: r for r in records}))

    def remove_files(self, keys: list[str]) -> None:
        if keys:
            self.files.delete(ids=keys)
            self._bump(lambda m: [m.pop(k, None) for k in keys])

    def remove_file(self, key: str) -> None:
        self.remove_files([key])

    def reconcile(self, doc_ids: list[str] | None = None) -> int:
        """Delete chunks of pending doc_ids (all, or these) that no manifest record names.

        Returns how many half-written or replaced documents were cleaned up."""
        if doc_ids is None:
            pending = self.files.get(where={"kind": "pending"}, include=["metadatas"])
        else:
            pending = self.files.get(ids=[f"pending:{d}" for d in doc_ids], include=["metadatas"])
        live = self.live_doc_ids()
        dead = sorted({m["doc_id"] for m in pending["metadatas"] if m["doc_id"] not in live})
        self.delete_chunks(dead)
        if pending["ids"]:
            self.files.delete(ids=pending["ids"])
        return len(dead)

    def drop(self) -> None:
        """Delete both collections (for `qa index --rebuild`); the Store is unusable afterwards."""
        for collection in (self.chunks, self.files):
            self.client.delete_collection(collection.name)

    # ----- reads ----------------------------------------------------------------------------
    def nearest_files(self, vectors: np.ndarray, n: int) -> list[list[tuple[FileRecord, float]]]:
        """For each mean vector, the n nearest indexed articles with their cosine, nearest first."""
        if not len(vectors):
            return []
        got = self.files.query(
            query_embeddings=vectors.tolist(), n_results=n, where={"kind": "file"}, include=["distances"]
        )
        manifest = self.manifest()
        return [
            [(manifest[k], 1.0 - float(d)) for k, d in zip(keys, dists) if k in manifest]
            for keys, dists in zip(got["ids"], got["distances"])
        ]

    def chunk_vectors(self, doc_id: str, count: int | None = None) -> np.ndarray:
        """A document's chunk vectors; by id (fast at any size) when the chunk count is known."""
        if count is None:
            got = self.chunks.get(where={"doc_id": doc_id}, include=["embeddings"])
        else:
            got = self.chunks.get(ids=[f"{doc_id}:{i:04d}" for i in range(count)], include=["embeddings"])
        return np.asarray(got["embeddings"], dtype=np.float32).reshape(-1, self.dim)

    def require_nonempty(self) -> None:
        if not self.manifest():
            raise IndexEmptyError("The index is empty: run `qa index seeds/` (or your folder) first.")
        self.check_embedder()

    def dense(
        self, vector: np.ndarray, n: int, since: date | str | None = None, until: date | str | None = None
    ) -> list[Hit]:
        """The n chunks nearest the vector (cosine), only from articles dated within [since, until]
        when either is given (ISO dates or `date`s, both ends included; undated articles excluded)."""
        live = self.live_doc_ids()
        self.check_embedder()
        if len(vector) != self.dim:
            self.check_embedder(dim=len(vector))
        got = self.chunks.query(
            query_embeddings=[np.asarray(vector, dtype=np.float32).tolist()],
            n_results=n + 20,
            where=date_where(date_bounds(since, until)),
            include=["documents", "metadatas", "distances"],
        )
        hits = []
        for cid, text, meta, dist in zip(
            got["ids"][0], got["documents"][0], got["metadatas"][0], got["distances"][0]
        ):
            if meta.get("doc_id") in live:
                clean = {k: v for k, v in meta.items() if not k.startswith("_")}
                hits.append(Hit(cid, meta["doc_id"], text, 1.0 - float(dist), clean))
        return hits[:n]

    def lexical(
        self, query: str, n: int, since: date | str | None = None, until: date | str | None = None
    ) -> list[Hit]:
        """The n best BM25 chunks, with the same date range rule as `dense`."""
        bounds = date_bounds(since, until)
        return self._bm25_index().search(query, n, bounds)

    def term_counts(self, normalise: Callable[[str], str]) -> tuple[dict[str, int], int]:
        """Document frequency of each normalised (e.g. stemmed) BM25 term, and the number of chunks."""
        return self._bm25_index().term_counts(normalise)

    def _bm25_index(self) -> bm25.Lexical:
        live = self.live_doc_ids()
        if self._bm25 is not None:
            return self._bm25
        fingerprint = hashlib.sha256(" ".join(sorted(live)).encode()).hexdigest()[:16]
        folder = self.settings.data_dir / "bm25" / f"{self.settings.collection}-{bm25.FORMAT}-{fingerprint}"
        self._bm25 = bm25.load(folder) or bm25.build(bm25.live_chunks(self.chunks, live), folder)
        return self._bm25
