"""kill -9 in the middle of `qa index`: the index stays consistent and the next run resumes."""

import os
import random
import signal
import subprocess
import sys
import time

from index.articles import read_text
from index.embedding import HashingEmbedder
from index.ingest import run_index
from index.settings import Settings
from index.store import Store

from .conftest import ROOT, SEEDS


def make_corpus(folder, n):
    sentences = [
        s.strip() + "." for p in SEEDS.glob("*.txt") for s in read_text(p).split(". ") if len(s) > 40
    ]
    rng = random.Random(7)
    folder.mkdir()
    for i in range(n):
        body = " ".join(rng.sample(sentences, 8))
        (folder / f"a{i:04d}.txt").write_text(f"Story number {i}\n\n{body}\n", encoding="utf-8")
    return folder


def assert_consistent(settings):
    store = Store(settings)
    manifest = store.manifest()
    for record in manifest.values():
        got = store.chunks.get(where={"doc_id": record.doc_id}, include=[])
        assert len(got["ids"]) == record.chunks, record.source
    live = store.live_doc_ids()
    if live:
        assert all(h.doc_id in live for h in store.lexical("Operation 1027 alliance", 10))
        vec = HashingEmbedder().embed(["Operation 1027 alliance"])[0]
        assert all(h.doc_id in live for h in store.dense(vec, 10))
    return len(manifest)


def test_kill_9_mid_index_leaves_a_consistent_index_and_the_next_run_resumes(tmp_path):
    n = 600
    corpus = make_corpus(tmp_path / "many", n)
    committed, settings = 0, None
    delays = (2.5, 3.5, 4.5, 6.0, 8.0, 11.0, 15.0)  # bounded: until a kill lands mid-way
    for attempt, delay in enumerate(delays):
        settings = Settings(data_dir=tmp_path / f"data{attempt}", embedder="hash")
        env = {**os.environ, "QA_DATA_DIR": str(settings.data_dir), "QA_EMBEDDER": "hash"}
        proc = subprocess.Popen(
            [sys.executable, "-m", "qa", "index", str(corpus)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        committed = assert_consistent(settings) if settings.data_dir.exists() else 0
        if 0 < committed < n:
            break
    assert settings is not None and 0 < committed < n, "never caught the indexer mid-way"
    embedder = HashingEmbedder()
    summary = run_index(Store(settings), embedder, [str(corpus)], 128)
    assert summary.unchanged >= committed  # work already committed is not redone
    assert summary.indexed + summary.unchanged == n
    assert embedder.count == summary.embedded == summary.chunks
    assert assert_consistent(settings) == n
    store = Store(settings)
    assert store.chunks.count() == sum(r.chunks for r in store.manifest().values()) > summary.chunks
