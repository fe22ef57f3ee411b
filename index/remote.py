"""An embedder that sends texts to any OpenAI-compatible `/v1/embeddings` server.

llama.cpp's server, vLLM, TEI and Ollama all speak this API. Texts go in batches of
`QA_EMBED_BATCH`; a batch that fails on the network or with a 5xx/429 is retried (up to
`QA_EMBED_RETRIES` attempts, backing off), then the run stops with an error saying what to do.
Vectors are L2-normalised, so cosine works the same as with the local embedder (per-token vectors,
which llama.cpp returns for a model without pooling, are mean-pooled first). Every vector must
have the dimension of the first one the server returned (and of the index; see
`Store.check_embedder`). It does not start, pick or cache a server.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from index.errors import ModelUnavailableError

_RETRY_STATUS = {408, 409, 429, 500, 502, 503, 504}


def _pooled(embedding: Any) -> np.ndarray:
    """One vector; a server that returns one vector per token (llama.cpp with a model that has no
    pooling) gets them mean-pooled."""
    array = np.asarray(embedding, dtype=np.float32)
    return array.mean(axis=0) if array.ndim == 2 else array


class RemoteEmbedder:
    """Embeddings from an OpenAI-compatible server: `POST {url}/embeddings`."""

    def __init__(self, url: str, model: str, api_key: str = "", batch: int = 64, timeout: float = 120.0,
                 retries: int = 3):  # fmt: skip
        self.url = url.rstrip("/") + ("/embeddings" if not url.rstrip("/").endswith("/embeddings") else "")
        self.model, self.api_key, self.batch = model, api_key, batch
        self.timeout, self.retries = timeout, max(1, retries)
        self.name = f"server:{model}"
        self.dim = 0  # known after the first answer
        self.count = 0
        self._client: Any = None

    def embed(self, texts: list[str]) -> np.ndarray:
        out = [self._batch(texts[i : i + self.batch]) for i in range(0, len(texts), self.batch)]
        self.count += len(texts)
        return np.vstack(out) if out else np.zeros((0, self.dim), dtype=np.float32)

    def _batch(self, texts: list[str]) -> np.ndarray:
        data = self._post({"model": self.model, "input": texts})
        rows = sorted(data.get("data", []), key=lambda d: d.get("index", 0))
        if len(rows) != len(texts):
            raise ModelUnavailableError(
                f"The embedding server at {self.url} returned {len(rows)} vectors for {len(texts)} texts; "
                "check that it serves an embedding model (llama.cpp: start it with --embedding)."
            )
        vectors = np.vstack([_pooled(r["embedding"]) for r in rows])
        if self.dim and vectors.shape[1] != self.dim:
            raise ModelUnavailableError(
                f"The embedding server at {self.url} returned {vectors.shape[1]}-dimensional vectors after "
                f"{self.dim}-dimensional ones: it changed model mid-run. Restart the run with one model."
            )
        self.dim = vectors.shape[1]
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return (vectors / np.maximum(norms, 1e-9)).astype(np.float32)

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        import httpx

        if self._client is None:
            headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
            self._client = httpx.Client(timeout=self.timeout, headers=headers)
        problem = ""
        for attempt in range(self.retries):
            if attempt:
                time.sleep(min(2.0**attempt, 10.0))
            try:
                response = self._client.post(self.url, json=body)
            except httpx.HTTPError as e:
                problem = f"cannot reach it ({type(e).__name__}: {e})"
                continue
            if response.status_code in _RETRY_STATUS:
                problem = f"HTTP {response.status_code}: {response.text[:200]}"
                continue
            if response.status_code != 200:
                raise ModelUnavailableError(
                    f"The embedding server at {self.url} refused the request (HTTP {response.status_code}: "
                    f"{response.text[:200]}); check QA_EMBED_MODEL ({self.model!r}) and QA_EMBED_API_KEY."
                )
            return dict(response.json())
        raise ModelUnavailableError(
            f"The embedding server at {self.url} failed {self.retries} times ({problem}). Start it (e.g. "
            "`python -m llama_cpp.server --model FILE.gguf --embedding true`), fix QA_EMBED_URL, or unset "
            "QA_EMBED_URL to embed locally. Files committed so far stay indexed; re-run to finish."
        )
