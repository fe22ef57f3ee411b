"""`qa bench` on tiny sizes: hashing embedder, scripted LLM, real Chroma, real `qa` subprocesses."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from index.embedding import HashingEmbedder
from index.ingest import run_index
from index.settings import Settings
from index.store import Store
from qa.measure import baseline, bench, corpus, report
from qa.measure.devset import load_items
from tests.conftest import SEEDS
from tests.fakes import ScriptedLLM

ANSWER = "The Three Brotherhood Alliance launched Operation 1027 [1]."


def test_corpus_is_deterministic_and_sized(tmp_path: Path) -> None:
    sentences = corpus.pool(SEEDS, limit_files=40)
    assert len(sentences) > 200
    n = corpus.write_corpus(tmp_path / "a", 300, sentences, 128, seed=3)
    corpus.write_corpus(tmp_path / "b", 300, sentences, 128, seed=3)
    a, b = sorted((tmp_path / "a").rglob("*.txt")), sorted((tmp_path / "b").rglob("*.txt"))
    assert len(a) == n and [p.read_text() for p in a] == [p.read_text() for p in b]
    summary = run_index(
        Store(Settings(data_dir=tmp_path / "d", embedder="hash")),
        HashingEmbedder(),
        [str(tmp_path / "a")],
        128,
    )
    assert summary.skipped == [] and 200 <= summary.chunks <= 450


def test_baseline_is_plain_llama_index_over_our_collection(settings: Settings, seeds: Path) -> None:
    store, embedder, llm = Store(settings), HashingEmbedder(), ScriptedLLM([ANSWER])
    run_index(store, embedder, [str(seeds)], settings.chunk_tokens)
    nodes = baseline.retriever(store, embedder, 3).retrieve("Who launched Operation 1027?")
    assert len(nodes) == 3 and all(n.node.metadata["doc_id"] for n in nodes)
    got = baseline.ask(baseline.query_engine(store, embedder, llm, 3, 50), "Who launched Operation 1027?")
    assert got.text == ANSWER and got.sources == 3 and 0 < got.first_token_ms <= got.total_ms
    prompt = llm.prompts[0][0]["content"]  # llama-index's default QA template, not ours
    assert "Context information is below." in prompt and "Who launched Operation 1027?" in prompt


def test_pick_items_keeps_the_mix_and_skips_conversations() -> None:
    items = baseline.pick_items(load_items(), 8)
    assert len(items) == 8 and not any(i.turns for i in items)
    assert 1 <= sum(not i.answerable for i in items) <= 3


def test_bench_run_writes_report_and_plot(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", embedder="hash", backend="openai")  # a model, not local
    options = bench.Options(
        sizes=(150, 300), queries=8, warmup=2, eval_items=3, cold_backends=("local", "extractive"),
        query_embedder="hash", workdir=tmp_path, surfaces=0,
    )  # fmt: skip
    result = bench.run(settings, options, llm=ScriptedLLM([ANSWER]))
    out, png = tmp_path / "docs" / "BENCHMARKS.md", tmp_path / "docs" / "bench.png"
    report.write(result, out, png)
    text = out.read_text()
    for heading in ("# Benchmarks", "## Ingest", "## Retrieval latency", "## Answers against the baseline"):
        assert heading in text
    assert "## Cold `qa ask`" in text and "](bench.png)" in text
    assert [i.chunks > 0 and i.chunks_per_s > 0 and i.peak_rss_mb > 0 for i in result.ingest] == [True, True]
    assert all(r.ours.p50 > 0 and r.baseline.p95 > 0 for r in result.retrieval)
    assert len(result.items) == 3 and result.items[0].ours_ok  # a01 answered correctly by the script
    assert [c.backend for c in result.cold] == ["extractive"] and result.cold[0].ok  # no local LLM asked
    assert re.search(r"\| answer accuracy \(answerable\) \| [\d.]+ \| [\d.]+ \| ", text)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    answers_png = png.with_name("bench-answers.png")
    assert "](bench-answers.png)" in text and answers_png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_run_measured_reports_status_peak_memory_and_time_limit() -> None:
    seconds, peak, status, out = bench.run_measured(
        [sys.executable, "-c", "x = bytearray(200 << 20); print(1)"]
    )
    assert status == 0 and out.strip() == "1" and peak > 200 and seconds > 0
    seconds, _, status, _ = bench.run_measured([sys.executable, "-c", "import time; time.sleep(30)"], 0.5)
    assert status == bench.TIMED_OUT and seconds < 10


@pytest.mark.slow
def test_bench_with_a_real_small_model(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", embedder="minilm", backend="local", model="smollm2-135m")
    options = bench.Options(sizes=(200,), queries=8, warmup=2, eval_items=2, workdir=tmp_path)
    result = bench.run(settings, options)
    assert result.ingest[0].embedder == "minilm" and len(result.items) == 2
    assert [c.backend for c in result.cold] == ["local", "extractive"]
    assert all(c.seconds > 0 for c in result.cold)
    local = result.cold[0]  # the model's load alone, measured in its own process, is part of a cold ask
    assert 0 < local.load_seconds < local.seconds and local.question
    # the answered questions again on a real `qa serve`: SSE stream and headless Chromium
    s = result.surfaces
    asked = sum(i.answerable for i in result.items)
    assert asked and s.questions == asked and not s.failures and not s.browser_note
    assert len(s.sse_quote_ms) == len(s.widget_first_ms) == len(s.chat_first_ms) == asked
    assert all(0 < q <= f for q, f in zip(s.sse_quote_ms, s.sse_final_ms, strict=True))
    out = tmp_path / "BENCH.md"
    report.write(result, out, None)
    row = r"\| browser, widget: first verified words visible \| \d+ \| \d+ \| \d+ \|"
    assert re.search(row, out.read_text())
