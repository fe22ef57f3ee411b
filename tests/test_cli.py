"""The `qa` command end to end through click's CliRunner, on a copy of the seeds."""

import json
import os
import shutil

import pytest
from click.testing import CliRunner

from qa.cli import main

from .conftest import SEEDS

KEYS = {"question", "rewritten_question", "answer", "refused", "citations", "model", "timings"}
CITATION_KEYS = {"n", "doc_id", "source", "title", "date", "start", "end", "quote", "supported"}


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    shutil.copytree(SEEDS, tmp_path / "seeds")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("QA_DATA_DIR", str(tmp_path / "data"))
    for var in ("QA_BACKEND", "QA_MODEL", "QA_CHROMA_URL", "QA_EMBEDDER"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path


def run(*args, **kw):
    result = CliRunner().invoke(main, list(args), catch_exceptions=False, **kw)
    return result


def test_ask_before_indexing_says_what_to_run(workdir):
    result = run("ask", "--backend", "extractive", "Who launched Operation 1027?")
    assert result.exit_code == 1 and "qa index" in result.output


def test_index_then_ask_json_is_one_object_with_the_contract(workdir):
    first = run("index", "seeds")
    assert first.exit_code == 0 and "3 files: 3 indexed" in first.output
    assert "tail section 'More from GZERO Media'" in first.output and "duplicate:" in first.output
    again = run("index", "seeds")
    assert "0 indexed, 3 unchanged" in again.output and "(0 embedded)" in again.output
    result = run("ask", "--backend", "extractive", "--json", "Who launched Operation 1027?")
    assert result.exit_code == 0
    data = json.loads(result.output)  # exactly one JSON object, nothing else on stdout
    timings = {"retrieve_ms", "first_quote_ms", "first_token_ms", "total_ms"}
    assert set(data) >= KEYS and set(data["timings"]) == timings
    assert data["refused"] is False and "Three Brotherhood Alliance" in data["answer"]
    for c in data["citations"]:
        assert set(c) >= CITATION_KEYS
        assert c["source"].startswith("seeds" + os.sep)  # relative, as it was indexed
        with open(c["source"], encoding="utf-8", newline="") as f:
            assert f.read()[c["start"] : c["end"]] == c["quote"]


def test_ask_prints_answer_and_numbered_sources(workdir):
    run("index", "seeds")
    result = run("ask", "--backend", "extractive", "How many civilians have been displaced?")
    out = result.output
    assert "335,000" in out and "Sources:" in out and "[1] " in out and "seeds/" in out
    assert "Sources differ" in out


def test_ask_refusal_shows_closest_passages(workdir):
    run("index", "seeds")
    out = run("ask", "--backend", "extractive", "What is the capital of France?").output
    assert "The articles don't say" in out and "Closest passages" in out


def test_chat_keeps_the_conversation(workdir):
    run("index", "seeds")
    result = run(
        "chat", "--backend", "extractive", input="Who launched Operation 1027?\nWhen did they launch it?\n\n"
    )
    assert result.exit_code == 0
    assert "Three Brotherhood Alliance" in result.output
    searched = "(searching for: When did they launch it? (follow-up to: Who launched Operation 1027?"
    assert searched in result.output
    assert "October 27" in result.output


def test_bad_options_are_clear(workdir):
    run("index", "seeds")
    result = run("ask", "--backend", "extractive", "--k", "0", "Who?")
    assert result.exit_code == 1 and "k must be between 1 and 50" in result.output
    result = run("ask", "--backend", "local", "--model", "no-such-model", "Who launched Operation 1027?")
    assert result.exit_code == 1 and "Unknown model 'no-such-model'" in result.output
