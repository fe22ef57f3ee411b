"""Scale-out embedding: a real OpenAI-compatible /v1/embeddings server on loopback (llama.cpp's
server with the small SmolLM2 GGUF), batching, clear errors, and an index that refuses another
embedder."""

import subprocess
import sys

import numpy as np
import pytest

from index.embedding import HashingEmbedder, make_embedder
from index.errors import IndexMismatchError, ModelUnavailableError
from index.ingest import run_index
from index.models import model_path
from index.remote import RemoteEmbedder
from index.store import Store

from .conftest import free_port, run_qa, wait_until_up

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def embed_server(tmp_path_factory):
    gguf = model_path("smollm2-135m", tmp_path_factory.mktemp("models"))
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--embedding", "true",
         "--host", "127.0.0.1", "--port", str(port), "--model_alias", "smol-embed", "--n_threads", "1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_until_up(f"http://127.0.0.1:{port}/v1/models", proc, "llama_cpp.server", 60)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_batched_unit_vectors_from_the_server(embed_server):
    emb = RemoteEmbedder(embed_server, "smol-embed", batch=3)
    texts = [
        "The rebels took the town.",
        "Rebels captured the town.",
        "Wheat prices rose.",
        "Cocoa talks",
        "x",
    ]
    vectors = emb.embed(texts)
    assert vectors.shape[0] == 5 and vectors.shape[1] == emb.dim > 100 and emb.count == 5
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    # (llama.cpp's server gives a causal model's texts batch-dependent vectors, so no equality check)


def test_index_and_query_through_the_server_then_refuse_another_embedder(settings, seeds, embed_server):
    settings = settings.replace(embed_url=embed_server, embed_model="smol-embed")
    store = Store(settings)
    embedder = make_embedder(settings)
    summary = run_index(store, embedder, [str(seeds)], 128)
    assert summary.indexed == 3 and summary.embedded == summary.chunks > 10
    hits = store.dense(embedder.embed(["Three Brotherhood Alliance offensive"])[0], 3)
    assert len(hits) == 3 and store.dim == embedder.dim
    # the same index with the local embedder: refused, saying how to rebuild
    other = Store(settings.replace(embed_url=None, embed_model="", embedder="hash"))
    with pytest.raises(IndexMismatchError, match=r"server:smol-embed.*qa index --rebuild"):
        other.require_nonempty()
    with pytest.raises(IndexMismatchError):
        run_index(other, HashingEmbedder(), [str(seeds)], 128)
    # a vector of another dimension (a server now serving another model under the same name)
    with pytest.raises(IndexMismatchError, match=r"384 dimensions"):
        store.dense(np.ones(384, dtype=np.float32) / np.sqrt(384), 3)


def test_cli_index_with_qa_embed_url_and_rebuild_with_another_embedder(tmp_path, seeds, embed_server):
    env = {"QA_DATA_DIR": str(tmp_path / "d"), "QA_EMBED_URL": embed_server, "QA_EMBED_MODEL": "smol-embed"}
    assert "3 indexed" in run_qa("index", str(seeds), **env).stdout
    refused = run_qa("index", str(seeds), QA_DATA_DIR=env["QA_DATA_DIR"], QA_EMBEDDER="hash")
    assert (
        refused.returncode == 1
        and "qa index --rebuild" in refused.stderr
        and "Traceback" not in refused.stderr
    )
    rebuilt = run_qa("index", "--rebuild", str(seeds), QA_DATA_DIR=env["QA_DATA_DIR"], QA_EMBEDDER="hash")
    assert rebuilt.returncode == 0 and "3 indexed" in rebuilt.stdout, rebuilt.stderr


def test_server_down_is_a_clear_error_after_retries(settings, seeds):
    url = f"http://127.0.0.1:{free_port()}/v1"
    emb = RemoteEmbedder(url, "smol-embed", retries=2)
    with pytest.raises(ModelUnavailableError, match=r"failed 2 times .*cannot reach it.*QA_EMBED_URL"):
        emb.embed(["hello"])
    out = run_qa("index", str(seeds), QA_DATA_DIR=str(settings.data_dir), QA_EMBED_URL=url,
                 QA_EMBED_MODEL="smol-embed", QA_EMBED_RETRIES="1")  # fmt: skip
    assert out.returncode == 1 and "embedding server" in out.stderr and "Traceback" not in out.stderr
    assert Store(settings.replace(embed_url=url, embed_model="smol-embed")).chunks.count() == 0
