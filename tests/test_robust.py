"""Issue 8's indexing rows: huge files, text that used to stall Punkt, unreadable files and folders,
a progress bar with an ETA, and no half-written chunks after a failure."""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from index.chunking import chunk_article, sentence_spans
from index.embedding import HashingEmbedder
from index.errors import ModelUnavailableError
from index.ingest import run_index
from index.store import Store

from .conftest import ROOT, SEEDS


def test_a_file_over_the_size_limit_is_skipped_as_too_large_and_the_rest_indexed(settings, seeds):
    (seeds / "huge.txt").write_text(
        "Huge\n\n" + "All work and no play. " * 300_000, encoding="utf-8"
    )  # 6.6 MB
    store = Store(settings)
    summary = run_index(store, HashingEmbedder(), [str(seeds)], 128)
    reasons = dict(summary.skipped)
    assert reasons[str(seeds / "huge.txt")].startswith("too large (6.3 MB; the limit is 5 MB)")
    assert "QA_MAX_FILE_MB" in reasons[str(seeds / "huge.txt")]
    assert summary.indexed == 3 and store.chunks.count() == summary.chunks


@pytest.mark.parametrize("shape, size", [("no blank lines", 20), ("paragraphs", 5), ("no spaces", 5)])
def test_sentence_splitting_finishes_on_a_huge_text_of_any_shape(shape, size):
    code = f"""
import random
from index.chunking import chunk_article
random.seed(1)
words = "the minister said on Tuesday that prices rose in the third quarter of 1987 and more".split()
def sentence():
    return " ".join(random.choice(words) for _ in range(random.randint(5, 40))).capitalize() + ". "
shape = {shape!r}
if shape == "no spaces":
    text = "x" * {size} * 1_000_000
else:
    parts, n = [], 0
    while n < {size} * 1_000_000:
        s = sentence() + ("\\n\\n" if shape == "paragraphs" and random.random() < 0.1 else "")
        parts.append(s); n += len(s)
    text = "".join(parts)
chunks = chunk_article(text, ((0, len(text)),), 128)
assert all(text[c.start:c.end] == c.text for c in chunks[:1000])
print(len(chunks))
"""
    # the bound is a safety net for the test run, not a speed target (that is in qa bench)
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout) > 2_000


def test_sentences_never_cross_a_piece_boundary_badly():
    text = ("Prices rose. " * 2000).strip()
    spans = sentence_spans(text, 0, len(text))
    assert len(spans) == 2000 and all(text[s:e] == "Prices rose." for s, e in spans)
    assert len(chunk_article(text, ((0, len(text)),), 64)) > 80


def test_progress_reports_bytes_done_of_the_total(settings, seeds):
    calls = []
    run_index(
        Store(settings), HashingEmbedder(), [str(seeds)], 128, progress=lambda d, t, s: calls.append((d, t))
    )
    total = sum(p.stat().st_size for p in seeds.iterdir())
    assert calls[-1] == (total, total) and all(t == total for _, t in calls)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


def test_cli_shows_a_progress_bar_with_an_eta_in_a_terminal(tmp_path, seeds):
    """`script` gives `qa index` a pseudo-terminal, where click draws the bar."""
    cmd = f"{sys.executable} -m qa --data-dir {tmp_path / 'd'} index --embedder hash {seeds}"
    done = subprocess.run(
        ["script", "-qec", cmd, "/dev/null"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout[-2000:]
    assert "Indexing" in done.stdout and "100%" in done.stdout and "3 indexed" in done.stdout


class FailingEmbedder(HashingEmbedder):
    """Fails on its second call, after the first slice of chunks was written (an embedding server dying)."""

    def embed(self, texts):
        if self.count:
            raise ModelUnavailableError("the embedding server went away")
        return super().embed(texts)


def test_a_failure_mid_batch_leaves_no_half_written_chunks(settings, tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    body = " ".join(f"Sentence number {i} says something about the harbour strike." for i in range(3000))
    (folder / "long.txt").write_text(f"Long story\n\n{body}\n", encoding="utf-8")  # > 1,024 chunks of 32
    store = Store(settings)
    with pytest.raises(ModelUnavailableError):
        run_index(store, FailingEmbedder(), [str(folder)], 32)
    assert store.chunks.count() == 0 and store.manifest() == {}
    assert not store.files.get(where={"kind": "pending"})["ids"]


def _world_dir() -> Path:
    path = Path(tempfile.mkdtemp(prefix="qa-perm-", dir="/tmp"))
    path.chmod(0o777)
    return path


def _as_unprivileged(*args: str, data: Path):
    """`qa ARGS` without the power to read everything: as root (CI here), drop the capabilities that
    bypass file permissions (setpriv), so a mode-000 file or folder is unreadable as for a user."""
    drop = "-dac_override,-dac_read_search"
    prefix = ["setpriv", f"--inh-caps={drop}", f"--bounding-set={drop}"] if os.geteuid() == 0 else []
    env = {**os.environ, "QA_DATA_DIR": str(data), "QA_EMBEDDER": "hash"}
    cmd = [*prefix, sys.executable, "-m", "qa", *args]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_unreadable_files_and_folders_are_reported_and_kept_not_a_traceback():
    root = _world_dir()
    try:
        articles, data = root / "articles", root / "data"
        shutil.copytree(SEEDS, articles)
        data.mkdir()
        for p in [root, articles, data, *articles.iterdir()]:
            p.chmod(0o777 if p.is_dir() else 0o666)
        first = _as_unprivileged("index", str(articles), data=data)
        assert first.returncode == 0 and "3 indexed" in first.stdout, first.stderr
        locked_dir, locked_file = articles / "locked", next(articles.glob("001_*.txt"))
        locked_dir.mkdir()
        (locked_dir / "x.txt").write_text("Hidden\n\nA story nobody may read.\n")
        locked_dir.chmod(0o000)
        locked_file.chmod(0o000)  # indexed before, unreadable now
        second = _as_unprivileged("index", str(articles), data=data)
        assert second.returncode == 0, second.stderr
        assert "Traceback" not in second.stderr
        assert f"skipped {locked_dir}: cannot read this folder (permission denied)" in second.stdout
        assert f"skipped {locked_file}: cannot read it (permission denied)" in second.stdout
        assert "0 removed" in second.stdout  # the unreadable file stays indexed
    finally:
        for p in root.rglob("*"):
            p.chmod(0o777)
        shutil.rmtree(root)
