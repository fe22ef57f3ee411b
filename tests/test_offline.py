"""The whole pipeline runs with networking cut: a new network namespace with no interfaces up."""

import os
import shutil
import subprocess
import sys

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.slow

SCRIPT = """
import sys
from index.settings import Settings
from index.store import Store
from index.embedding import make_embedder
from index.ingest import run_index
s = Settings.from_env()
summary = run_index(Store(s), make_embedder(s), [sys.argv[1]], s.chunk_tokens)
assert summary.indexed == 3, summary
store = Store(s)
vec = make_embedder(s).embed(["Who launched Operation 1027?"])[0]
print("DENSE", store.dense(vec, 3)[0].text[:80])
print("LEXICAL", store.lexical("Who launched Operation 1027?", 3)[0].text[:80])
"""


def offline(cmd):
    if shutil.which("unshare") is None:
        pytest.fail("unshare (util-linux) is needed to cut the network for this test")
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.fail(f"cannot create a network namespace here: {probe.stderr.decode()}")
    return ["unshare", "-n", *cmd]


def test_network_is_really_cut():
    out = subprocess.run(
        offline(
            [sys.executable, "-c", "import socket; socket.create_connection(('1.1.1.1', 443), timeout=3)"]
        ),
        capture_output=True,
        text=True,
    )
    assert out.returncode != 0 and "unreachable" in out.stderr.lower()


def test_index_and_retrieve_with_no_network(tmp_path, seeds):
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env.update(QA_DATA_DIR=str(tmp_path / "d"), HF_HUB_OFFLINE="0", PYTHONPATH=str(ROOT))
    out = subprocess.run(
        offline([sys.executable, "-c", SCRIPT, str(seeds)]),
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert "DENSE" in out.stdout and "LEXICAL" in out.stdout
