"""Text embedders behind one factory: `make_embedder(settings)`.

- `minilm` (default): all-MiniLM-L6-v2 as int8 ONNX on onnxruntime (already required by
  chromadb), WordPiece tokenizer from `tokenizers`, mean pooling, L2-normalised. No torch.
- `hash`: a deterministic feature-hashing embedder for fast unit tests. Word overlap still ranks
  sensibly, so tests about ranking mean something. Not for real use.
- a server: with `QA_EMBED_URL` (and `QA_EMBED_MODEL`) set, any OpenAI-compatible
  `/v1/embeddings` server (`index.remote`), whatever `QA_EMBEDDER` says.

`identity(settings)` names the embedder the settings select without loading it; the store records
it and refuses to mix embedders in one index.

Every embedder counts the texts it embedded (`count`), so tests can prove a re-run did no work.
It does not cache vectors; the store decides what needs embedding.
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from index.errors import BadInputError

if TYPE_CHECKING:
    from index.settings import Settings

DIM = 384


class Embedder(Protocol):
    name: str
    dim: int
    count: int

    def embed(self, texts: list[str]) -> np.ndarray: ...


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 (int8 ONNX). Loads lazily; one session per process."""

    name = "all-MiniLM-L6-v2-int8"
    dim = DIM

    def __init__(self, model_file: str, tokenizer_file: str, threads: int = 2, batch: int = 32):
        self.model_file, self.tokenizer_file = model_file, tokenizer_file
        self.threads, self.batch, self.count = threads, batch, 0
        self._session: Any = None
        self._tokenizer: Any = None

    def _load(self) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = self.threads
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        self._session = ort.InferenceSession(self.model_file, opts, providers=["CPUExecutionProvider"])
        self._tokenizer = Tokenizer.from_file(self.tokenizer_file)
        self._tokenizer.enable_truncation(256)
        self._tokenizer.enable_padding()

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit vectors, in the order given. Texts are batched by length, so little is padding."""
        if self._session is None:
            self._load()
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        ranked = [texts[i] for i in order]
        out = [self._embed_batch(ranked[i : i + self.batch]) for i in range(0, len(ranked), self.batch)]
        self.count += len(texts)
        if not out:
            return np.zeros((0, DIM), dtype=np.float32)
        vectors = np.empty((len(texts), DIM), dtype=np.float32)
        vectors[order] = np.vstack(out)
        return vectors

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        enc = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self._session.run(None, feed)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        return _normalise(pooled)


class HashingEmbedder:
    """Deterministic bag of hashed words and word pairs. For tests only."""

    name = "hashing-test-embedder"
    dim = DIM

    def __init__(self) -> None:
        self.count = 0

    def embed(self, texts: list[str]) -> np.ndarray:
        self.count += len(texts)
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for row, text in enumerate(texts):
            words = re.findall(r"\w+", text.lower())
            for feature in words + [f"{a} {b}" for a, b in zip(words, words[1:])]:
                digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
                slot = int.from_bytes(digest[:4], "little") % DIM
                out[row, slot] += 1.0 if digest[4] & 1 else -1.0
        return _normalise(out)


def _normalise(v: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    return (v / np.maximum(norms, 1e-9)).astype(np.float32)


def identity(settings: Settings) -> str:
    """The name of the embedder these settings select (what an index records), loading nothing."""
    if settings.embed_url:
        return f"server:{settings.embed_model}"
    return {"minilm": MiniLMEmbedder.name, "hash": HashingEmbedder.name}.get(
        settings.embedder, settings.embedder
    )


def make_embedder(settings: Settings) -> Embedder:
    from index.models import model_path

    if settings.embed_url:
        from index.remote import RemoteEmbedder

        return RemoteEmbedder(
            settings.embed_url,
            settings.embed_model,
            settings.embed_api_key,
            settings.embed_batch,
            settings.embed_timeout,
            settings.embed_retries,
        )
    match settings.embedder:
        case "minilm":
            model = model_path("minilm-int8", settings.model_dir)
            tokenizer = model_path("minilm-tokenizer", settings.model_dir)
            return MiniLMEmbedder(str(model), str(tokenizer), threads=settings.threads)
        case "hash":
            return HashingEmbedder()
        case other:
            raise BadInputError(f"Unknown embedder {other!r}: use minilm or hash.")
