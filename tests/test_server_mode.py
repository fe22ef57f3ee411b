"""The same indexing against a real Chroma server (`chroma run` on loopback), chosen by settings only."""

import pytest

from index.embedding import HashingEmbedder
from index.ingest import run_index
from index.store import Store

from .conftest import free_port, run_qa

pytestmark = pytest.mark.slow


def test_index_and_query_through_a_chroma_server(settings, seeds, chroma_server):
    settings = settings.replace(chroma_url=chroma_server, collection="server_test")
    first = run_index(Store(settings), HashingEmbedder(), [str(seeds)], 128)
    assert first.indexed == 3 and first.chunks > 10
    emb = HashingEmbedder()
    again = run_index(Store(settings), emb, [str(seeds)], 128)
    assert emb.count == 0 and again.unchanged == 3
    store = Store(settings)
    assert len(store.manifest()) == 3
    assert "Three Brotherhood Alliance" in store.lexical("Three Brotherhood Alliance offensive", 1)[0].text
    # nothing was written to the local embedded store
    assert not (settings.data_dir / "chroma").exists()


def test_cli_switches_to_the_server_with_QA_CHROMA_URL(tmp_path, seeds, chroma_server):
    out = run_qa(
        "index",
        str(seeds),
        QA_CHROMA_URL=chroma_server,
        QA_COLLECTION="cli_test",
        QA_EMBEDDER="hash",
        QA_DATA_DIR=str(tmp_path / "d"),
    )
    assert out.returncode == 0, out.stderr
    assert "3 files: 3 indexed" in out.stdout


def test_server_down_is_a_clear_error(tmp_path, seeds):
    out = run_qa(
        "index",
        str(seeds),
        QA_CHROMA_URL=f"http://127.0.0.1:{free_port()}",
        QA_EMBEDDER="hash",
        QA_DATA_DIR=str(tmp_path / "d"),
    )
    assert out.returncode == 1
    assert "Cannot open the Chroma store" in out.stderr and "chroma run" in out.stderr
    assert "Traceback" not in out.stderr
