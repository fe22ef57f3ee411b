"""`qa bench`: how fast the system is, and how it compares with a plain llama-index pipeline.

Measured, each in a private folder under a temporary directory (the user's index is never used):
- ingest: `qa index --json` in a subprocess on synthetic corpora (see `qa.measure.corpus`) of each size:
  wall time, chunks/s and the subprocess's peak RSS (`ru_maxrss`); plus the embedder alone;
- retrieval: our hybrid `Retriever.retrieve` (BM25 + Chroma + fusion) against llama-index's
  default `VectorStoreIndex.as_retriever` on the same collection, p50/p95 over fixed queries
  after warm-up (the first, cold query that builds the BM25 index is reported on its own);
- answers: our engine against llama-index's default query engine on single-turn items of the eval
  set over the indexed seeds (`qa.measure.baseline.compare_answers`): accuracy, refusal of unanswerable
  questions, first-token and total latency;
- cold start: one `qa ask` subprocess per backend, from process start to exit;
- soak (`qa.measure.soak`): 16 readers against a real `qa serve`, some leaving mid-answer.

It does not measure answer quality beyond `qa.measure.evaluate`'s lexical checks, or a Chroma
server; it does not tune anything. `qa.measure.report` writes the results as Markdown and a plot.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from index.settings import Settings
from qa.llm import LLM

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"


def cold_item() -> Any:
    """The first answerable question of the seeds question set: what the cold `qa ask` asks."""
    from qa.measure.devset import load_items

    return next(i for i in load_items() if i.answerable and not i.turns)


Say = Callable[[str], None]


@dataclass(frozen=True)
class Options:
    sizes: tuple[int, ...] = (1000, 10000, 100000)
    real_embed_max: int = 1000  # corpora up to this many chunks are embedded with MiniLM
    queries: int = 50
    warmup: int = 5
    eval_items: int = 16  # single-turn eval items answered by both pipelines (0: skip)
    ingest_timeout: float = 600  # seconds per `qa index` run (0: none)
    cold_backends: tuple[str, ...] = ("local", "extractive")
    soak: Any = None  # qa.measure.soak.SoakOptions: many readers against `qa serve` (None: skip)
    query_embedder: str = "minilm"
    seed: int = 0
    workdir: Path | None = None
    archive: Path | None = None  # a real archive (folder or .tar.xz): ingest, re-run, duplicates
    questions: Path | None = None  # answer on this question set over `corpus` (default: the seeds set)
    corpus: Path | None = None
    split: str = "check"  # which half of the question set
    conversations: int = 6  # conversations whose follow-up turns are timed (0: skip)
    surfaces: int = 8  # answerable questions timed on a real `qa serve`: SSE and browser (0: skip)


@dataclass(frozen=True)
class Ingest:
    target: int
    chunks: int
    files: int
    embedder: str
    seconds: float  # run_index's own time (what `qa index` reports)
    wall_seconds: float  # the whole subprocess, imports and model loading included
    peak_rss_mb: float
    finished: bool = True  # False: stopped at the time limit; chunks/files are what it had committed

    @property
    def chunks_per_s(self) -> float:
        return self.chunks / max(self.seconds, 1e-9)


@dataclass(frozen=True)
class Latency:
    p50: float
    p95: float
    mean: float
    n: int
    cold_ms: float = 0.0  # the first call, before warm-up


@dataclass(frozen=True)
class Retrieval:
    chunks: int
    ours: Latency
    baseline: Latency


@dataclass(frozen=True)
class Cold:
    backend: str
    seconds: float
    peak_rss_mb: float
    ok: bool
    question: str = ""
    load_seconds: float = 0.0  # the local model's load alone, in its own process
    first_token_ms: float = 0.0  # as the cold process reported it


@dataclass
class Report:
    started: str
    machine: dict[str, str]
    settings: dict[str, Any]
    options: dict[str, Any]
    embed_only_per_s: float = 0.0
    ingest: list[Ingest] = field(default_factory=list)
    retrieval: list[Retrieval] = field(default_factory=list)
    items: list[Any] = field(default_factory=list)
    followup_ms: list[float] = field(default_factory=list)  # follow-up turns, ours (total per turn)
    cold: list[Cold] = field(default_factory=list)
    load: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    soak: Any = None  # qa.measure.soak.Soak when the soak ran
    peak_rss_mb: float = 0.0  # this process: retrieval and both answer pipelines
    seconds: float = 0.0
    archive: Any = None  # archive.ArchiveRun
    duplicates: list[Any] = field(default_factory=list)  # duplicates.Scores: fit, check, all
    surfaces: Any = None  # surfaces.Surfaces: first words over SSE and in the browser


# ----- machine and processes --------------------------------------------------------------------
def machine() -> dict[str, str]:
    info = _read("/proc/cpuinfo").splitlines()
    model = next((ln.split(":", 1)[1].strip() for ln in info if ln.startswith("model name")), "?")
    flags = next((ln for ln in info if ln.startswith("flags")), "")
    mem_kb = int((_read("/proc/meminfo").split() or ["", "0"])[1])
    return {
        "cpu": model,
        "cores": str(os.cpu_count()),
        "memory": f"{mem_kb / 2**20:.1f} GiB",
        "avx512": "yes" if " avx512f" in flags else "no",
        "python": sys.version.split()[0],
        "platform": sys.platform,
    }


def _read(path: str) -> str:
    return Path(path).read_text() if Path(path).is_file() else ""


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env.update(ANONYMIZED_TELEMETRY="False", HF_HUB_OFFLINE="1", GRADIO_ANALYTICS_ENABLED="False")
    return env


def qa_command() -> list[str]:
    script = Path(sys.executable).parent / "qa"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "qa"]


# A fork's peak RSS starts at its parent's size (the bench process may hold an LLM), so the command
# runs under this small launcher, which also enforces the time limit (exit 124, like `timeout`).
_LAUNCHER = """import resource, subprocess, sys
try:
    code = subprocess.run(sys.argv[2:], timeout=float(sys.argv[1]) or None).returncode
except subprocess.TimeoutExpired:
    code = 124
print("\\npeak_kb=%d" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)
sys.exit(code)"""
TIMED_OUT = 124


def run_measured(
    cmd: list[str], timeout: float = 0, env: dict[str, str] | None = None
) -> tuple[float, float, int, str]:
    """(wall seconds, peak RSS in MB, exit status, stdout) of one subprocess (killed after timeout s)."""
    launcher = [sys.executable, "-c", _LAUNCHER, str(timeout), *cmd]
    t0 = time.perf_counter()
    done = subprocess.run(launcher, capture_output=True, env={**_env(), **(env or {})})
    seconds = time.perf_counter() - t0
    peak = re.findall(r"^peak_kb=(\d+)$", done.stderr.decode("utf-8", "replace"), re.M)
    out = done.stdout.decode("utf-8", "replace")
    return seconds, int(peak[-1]) / 1024 if peak else 0.0, done.returncode, out


# ----- ingest -----------------------------------------------------------------------------------
def ingest(folder: Path, data_dir: Path, embedder: str, target: int, timeout: float = 0) -> Ingest:
    """`qa index` in a subprocess; stopped after `timeout` s, counting what it had committed."""
    cmd = qa_command() + ["--data-dir", str(data_dir), "index", str(folder), "--embedder", embedder, "--json"]
    wall, peak, status, out = run_measured(cmd, timeout)
    if status == TIMED_OUT:
        from index.store import Store

        manifest = Store(Settings(data_dir=data_dir)).manifest()
        chunks = sum(r.chunks for r in manifest.values())
        return Ingest(target, chunks, len(manifest), embedder, wall, wall, peak, finished=False)
    if status != 0:
        raise RuntimeError(f"`{' '.join(cmd)}` failed with status {status}")
    summary = json.loads(out)
    return Ingest(target, summary["chunks"], summary["files"], embedder, summary["seconds"], wall, peak)


def embed_only(embedder: Any, texts: list[str]) -> float:
    """Texts per second for the embedder alone, after one warm-up batch."""
    embedder.embed(texts[:8])
    t0 = time.perf_counter()
    embedder.embed(texts)
    return len(texts) / (time.perf_counter() - t0)


# ----- retrieval --------------------------------------------------------------------------------
def queries(sentences: list[str], n: int, seed: int) -> list[str]:
    """Fixed queries: the opening words of sampled sentences."""
    rng = random.Random(seed + 1)
    picked = [" ".join(s.split()[:8]) for s in rng.sample(sentences, min(n, len(sentences)))]
    return picked[:n]


def time_calls(call: Callable[[str], object], qs: list[str], warmup: int) -> Latency:
    t0 = time.perf_counter()
    call(qs[0])
    cold = (time.perf_counter() - t0) * 1000
    for q in qs[:warmup]:
        call(q)
    ms = []
    for q in qs:
        t0 = time.perf_counter()
        call(q)
        ms.append((time.perf_counter() - t0) * 1000)
    return Latency(*_p50_p95(ms), float(np.mean(ms)), len(ms), cold)


def _p50_p95(values: list[float]) -> tuple[float, float]:
    return (float(np.percentile(values, 50)), float(np.percentile(values, 95))) if values else (0.0, 0.0)


def retrieval(settings: Settings, embedder: Any, qs: list[str], warmup: int, chunks: int) -> Retrieval:
    from index.store import Store
    from qa.measure import baseline
    from qa.stages.retrieve import Retriever

    store = Store(settings)
    ours = Retriever(store, embedder)
    base = baseline.retriever(store, embedder, settings.k)
    return Retrieval(
        chunks,
        time_calls(lambda q: ours.retrieve(q, settings.k), qs, warmup),
        time_calls(base.retrieve, qs, warmup),
    )


def answer_settings(settings: Settings, data_dir: Path) -> Settings:
    """Settings for a private seeds index; a named local model is resolved to its file once."""
    if settings.backend == "local":
        from index.models import model_path

        settings = settings.replace(model=str(model_path(settings.model, settings.model_dir)))
    return settings.replace(data_dir=data_dir, chroma_url=None, collection="bench")


def cold_ask(settings: Settings, backend: str, item: Any = None) -> Cold:
    """One `qa ask` from process start to exit, on the index answered over (the seeds by default),
    with the first answerable question of its set; for the local model also the model's load alone."""
    item = item or cold_item()
    cmd = qa_command() + ["--data-dir", str(settings.data_dir), "--collection", settings.collection]
    cmd += ["ask", item.question, "--backend", backend, "--json"]
    if backend == "local":
        cmd += ["--model", settings.model]
    env = {"QA_EMBEDDER": settings.embedder}
    if settings.models_dir is not None:
        env["QA_MODELS_DIR"] = str(settings.models_dir)
    seconds, peak, status, out = run_measured(cmd, env=env)
    from qa.measure.devset import answer_correct

    ok, first_ms = False, 0.0
    if status == 0:
        with contextlib.suppress(ValueError, KeyError):
            answer = json.loads(out)
            ok = not answer["refused"] and answer_correct(item, answer["answer"])
            timings = answer["timings"]
            first_ms = float(timings.get("model_token_ms", timings.get("first_token_ms", 0.0)))
    load = model_load_seconds(settings) if backend == "local" else 0.0
    return Cold(backend, seconds, peak, ok, item.question, load, first_ms)


def model_load_seconds(settings: Settings) -> float:
    """Loading the local model alone, in a fresh process (the file is in the page cache)."""
    from index.models import model_path

    path = model_path(settings.model, settings.model_dir)
    code = (  # the product's own loader, so the load is the one `qa ask` and `qa serve` pay
        "import time; t = time.perf_counter(); from qa.llm import LocalLLM; "
        f"LocalLLM({str(path)!r}, {settings.model!r}, {settings.threads}).load(); "
        "print(time.perf_counter() - t)"
    )
    seconds, _, status, out = run_measured([sys.executable, "-c", code])
    return float(out.strip().splitlines()[-1]) if status == 0 and out.strip() else 0.0


# ----- the whole run ------------------------------------------------------------------------------
def run(settings: Settings, options: Options, say: Say = lambda s: None, llm: LLM | None = None) -> Report:
    """Every measurement above, in order; `say` gets one line per step (progress). `llm` answers
    instead of the settings' backend (tests pass a fake)."""
    import resource
    from datetime import UTC, datetime

    t0 = time.perf_counter()
    report = Report(
        datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        machine(),
        {"backend": settings.backend, "model": settings.model, "k": settings.k,
         "chunk_tokens": settings.chunk_tokens, "threads": settings.threads, "embedder": settings.embedder},
        {k: str(v) for k, v in dataclasses.asdict(options).items() if k != "soak"},
    )  # fmt: skip
    report.load["start"] = os.getloadavg()
    with tempfile.TemporaryDirectory(dir=options.workdir) as tmp:
        _answers(settings, options, Path(tmp), report, say, llm)  # first: a model problem shows early
        if options.archive is not None:
            from qa.measure import archive

            report.duplicates = archive.duplicate_scores(settings, options.archive, Path(tmp), say)
            report.archive = archive.run(settings, options.archive, Path(tmp), options.ingest_timeout, say)
        _speed(settings, options, Path(tmp), report, say)
        if options.soak is not None:
            from qa.measure import soak

            report.soak = soak.run(settings, SEEDS, options.soak, Path(tmp), say)
    report.load["end"] = os.getloadavg()
    report.peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    report.seconds = time.perf_counter() - t0
    return report


def _speed(settings: Settings, options: Options, tmp: Path, report: Report, say: Say) -> None:
    from index.embedding import make_embedder
    from qa.measure import corpus

    sentences = corpus.pool(SEEDS)
    qs = queries(sentences, options.queries, options.seed)
    query_embedder = make_embedder(settings.replace(embedder=options.query_embedder))
    report.embed_only_per_s = embed_only(query_embedder, _sample_texts(sentences, 256, options.seed))
    say(f"embedder alone: {report.embed_only_per_s:.0f} chunk-sized texts/s")
    for size in options.sizes:
        folder, data = tmp / f"corpus-{size}", tmp / f"index-{size}"
        corpus.write_corpus(folder, size, sentences, settings.chunk_tokens, options.seed)
        embedder = options.query_embedder if size <= options.real_embed_max else "hash"
        result = ingest(folder, data, embedder, size, options.ingest_timeout)
        report.ingest.append(result)
        stopped = "" if result.finished else " (STOPPED at the time limit)"
        say(f"ingest {result.chunks} chunks ({embedder}){stopped}: {result.seconds:.1f} s, "
            f"{result.chunks_per_s:.0f} chunks/s, peak {result.peak_rss_mb:.0f} MB")  # fmt: skip
        store_settings = settings.replace(
            data_dir=data, chroma_url=None, collection="articles", embedder=embedder
        )
        r = retrieval(store_settings, query_embedder, qs, options.warmup, result.chunks)
        report.retrieval.append(r)
        say(f"retrieve at {r.chunks}: ours p50 {r.ours.p50:.1f} ms, baseline p50 {r.baseline.p50:.1f} ms")


def _sample_texts(sentences: list[str], n: int, seed: int) -> list[str]:
    """Chunk-sized texts (about 100 words) for timing the embedder alone."""
    rng = random.Random(seed + 2)
    return [" ".join(rng.sample(sentences, 5)) for _ in range(n)]


def _answers(
    settings: Settings, options: Options, tmp: Path, report: Report, say: Say, llm: LLM | None
) -> None:
    from qa.measure.baseline import compare_answers, follow_up_times, pick_items
    from qa.measure.devset import load_items

    answer = answer_settings(settings, tmp / "seeds-index")
    cold_settings, asked_items = answer, load_items()
    if options.eval_items and answer.backend != "extractive":
        if options.questions and options.corpus:  # a real archive, indexed once under the data folder
            from qa.measure.evaluate import eval_index

            every = load_items(options.questions, options.split)
            indexed = eval_index(answer.replace(data_dir=settings.data_dir), options.corpus)
            report.items = compare_answers(indexed, pick_items(every, options.eval_items), llm=llm)
            convs = [i for i in every if i.turns][: options.conversations]
            report.followup_ms = follow_up_times(indexed, convs)
            cold_settings, asked_items = indexed, every
        else:
            indexed = answer
            report.items = compare_answers(answer, pick_items(load_items(), options.eval_items), SEEDS, llm)
        if options.surfaces:
            from qa.measure import surfaces

            asked = [r.question for r in report.items if r.answerable][: options.surfaces]
            report.surfaces = surfaces.run(indexed, asked, say)
        ours = sum(r.ours_ok for r in report.items)
        base = sum(r.base_ok for r in report.items)
        say(f"answers: ours {ours}/{len(report.items)} correct, baseline {base}/{len(report.items)}")
    else:
        from index.embedding import make_embedder
        from index.ingest import run_index
        from index.store import Store

        run_index(Store(answer), make_embedder(answer), [str(SEEDS)], answer.chunk_tokens)
    # a question the engine answered above (a refusal never reaches the model)
    answered = {r.id for r in report.items if r.answerable and r.ours_ok}
    single = [i for i in asked_items if i.answerable and not i.turns]
    first = next((i for i in single if i.id in answered), single[0] if single else None)
    for backend in options.cold_backends:
        if backend != "local" or answer.backend == "local":
            report.cold.append(cold_ask(cold_settings, backend, first))
            say(f"cold qa ask ({backend}): {report.cold[-1].seconds:.1f} s")
