"""`qa eval`, `qa bench` and `qa redteam`: the measuring tools (they live in `qa.measure`)."""

from __future__ import annotations

import json
import sys
import tempfile
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import click

from qa.cli.base import _ints, main, settings_from


@main.command()
@click.option("--sizes", default="1000,10000,100000", show_default=True, help="Corpus sizes in chunks.")
@click.option("--quick", is_flag=True, help="Smoke run: one 500-chunk corpus, 4 questions.")
@click.option("--eval-items", type=int, help="Eval questions both pipelines answer (default 16; 0 skips).")
@click.option("--ingest-timeout", type=float, default=600, show_default=True, help="Seconds per index run.")
@click.option(
    "--surfaces",
    type=int,
    help="Answerable questions timed on a real `qa serve`, over SSE and in headless Chromium "
    "(default 8; 0 skips).",
)
@click.option(
    "--archive",
    type=click.Path(exists=True, path_type=Path),
    help="A real archive (folder or .tar.xz): ingest, re-run, retrieval, duplicate precision/recall.",
)
@click.option(
    "--real-embed-max", type=int, help="Embed corpora up to this many chunks with MiniLM (else hash)."
)
@click.option(
    "--questions",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Answer on this question set over --corpus (default: the seeds set over seeds/).",
)
@click.option(
    "--corpus", type=click.Path(exists=True, path_type=Path), help="The archive --questions was written from."
)
@click.option("--backend", type=click.Choice(["local", "openai", "extractive"]), help="QA_BACKEND.")
@click.option("--model", help="Model name or path (QA_MODEL, default qwen2.5-1.5b).")
@click.option("--out", type=click.Path(path_type=Path), default="docs/BENCHMARKS.md", show_default=True)
@click.option("--plot", type=click.Path(path_type=Path), default="docs/bench.png", show_default=True)
@click.option(
    "--soak-only",
    is_flag=True,
    help="Only the soak: 16 readers × 20 questions against `qa serve` (extractive unless --backend), "
    "one in four leaving mid-answer; writes its section into --out.",
)
@click.pass_context
def bench(
    ctx: click.Context,
    sizes: str,
    quick: bool,
    eval_items: int | None,
    ingest_timeout: float,
    surfaces: int | None,
    archive: Path | None,
    real_embed_max: int | None,
    backend: str | None,
    model: str | None,
    out: Path,
    plot: Path,
    soak_only: bool,
    questions: Path | None,
    corpus: Path | None,
) -> None:
    """Measure ingest, retrieval and answer speed (and accuracy) against plain llama-index, and
    many readers at once against `qa serve` (the soak).

    Works in a temporary folder; writes the figures to --out and a plot to --plot.

    Example: qa bench --quick --out /tmp/BENCH.md --plot /tmp/bench.png
    """
    from qa.measure import bench as measure
    from qa.measure import report, soak

    say = lambda line: click.echo(line, err=True)  # noqa: E731
    if soak_only:
        with tempfile.TemporaryDirectory() as tmp:
            options_ = soak.SoakOptions(backend=backend or "extractive")
            ran = soak.run(settings_from(ctx, model=model), measure.SEEDS, options_, Path(tmp), say)
        report.write_soak(ran, out)
        click.echo(f"Wrote the soak section of {out} ({ran.seconds / 60:.1f} minutes).")
        return
    options = measure.Options(sizes=tuple(int(s) for s in sizes.split(",")), soak=soak.SoakOptions())
    if quick:
        quick_soak = soak.SoakOptions(clients=8, questions=2)
        options = measure.Options(
            sizes=(500,), real_embed_max=500, queries=20, eval_items=4, soak=quick_soak, surfaces=2
        )
    if eval_items is not None:
        options = replace(options, eval_items=eval_items)
    if surfaces is not None:
        options = replace(options, surfaces=surfaces)
    options = replace(
        options, ingest_timeout=ingest_timeout, archive=archive, questions=questions, corpus=corpus
    )
    if real_embed_max is not None:
        options = replace(options, real_embed_max=real_embed_max)
    settings = settings_from(ctx, backend=backend, model=model)
    result = measure.run(settings, options, say)
    report.write(result, out, plot)
    click.echo(f"Wrote {out} and {plot} ({result.seconds / 60:.1f} minutes).")


@main.command(name="eval")
@click.option("--backend", type=click.Choice(["local", "openai", "extractive"]), help="QA_BACKEND.")
@click.option("--model", help="Model name or path (QA_MODEL).")
@click.option("--k", "ks", help="Passages to retrieve; a comma list runs each, e.g. 4,6,8.")
@click.option("--chunk-tokens", "chunks", help="Chunk size; a comma list runs each, e.g. 96,128,192.")
@click.option(
    "--corpus",
    type=click.Path(exists=True, path_type=Path),
    default=Path("seeds"),
    show_default=True,
    help="Articles the question set was written from: a folder, or a .tar.xz of one.",
)
@click.option(
    "--questions",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Question set (default tests/eval/questions.json, written from seeds/).",
)
@click.option(
    "--split",
    type=click.Choice(["all", "tune", "check"]),
    default="all",
    show_default=True,
    help="Only the tuning half or the held-out check half of the question set.",
)
@click.option(
    "--gate",
    "gate_key",
    help="Fail (exit 1) if a metric is below the floors recorded "
    "for this key in tests/eval/floors.json, e.g. --gate extractive.",
)
@click.option("--failures/--no-failures", default=True, show_default=True, help="List failed questions.")
@click.option("--baseline", is_flag=True, help="Also answer with the plain llama-index query engine.")
@click.option(
    "--sample",
    type=int,
    default=0,
    help="Index only the articles the questions name plus this many others (a corpus small enough for CI).",
)
@click.option(
    "--sweep",
    help="Move one trust threshold, e.g. max_missing=0,0.1,0.2,0.4: a risk-coverage table per half, "
    "the value chosen on the tuning half, and a plot (--plot).",
)
@click.option(
    "--min-refusal", type=float, default=0.9, show_default=True, help="Refusal the sweep must reach."
)
@click.option("--plot", type=click.Path(path_type=Path), help="Where the sweep draws its risk-coverage plot.")
@click.option("--json", "as_json", is_flag=True, help="Print the reports as JSON.")
@click.pass_context
def eval_(
    ctx: click.Context,
    backend: str | None,
    model: str | None,
    ks: str | None,
    chunks: str | None,
    corpus: Path,
    questions: Path | None,
    split: str,
    gate_key: str | None,
    failures: bool,
    baseline: bool,
    sample: int,
    sweep: str | None,
    min_refusal: float,
    plot: Path | None,
    as_json: bool,
) -> None:
    """Score answers on a question set: retrieval, accuracy, citations, refusals, latency.

    Example: qa eval --questions tests/eval/reuters/questions.json
    --corpus ../shared/corpora/reuters-21578.tar.xz --split check --backend extractive
    """
    from qa.measure import devset
    from qa.measure import evaluate as ev

    items = devset.load_items(questions or devset.SEED_QUESTIONS, split)
    if sweep:
        _sweep(ctx, items, corpus, sample, backend, model, sweep, min_refusal, plot)
        return
    reports = []
    for chunk in _ints(chunks):
        for k in _ints(ks):
            settings = settings_from(ctx, backend=backend, model=model, k=k, chunk_tokens=chunk)
            with click.progressbar(
                items, label=f"k={settings.k} chunk={settings.chunk_tokens}", file=sys.stderr
            ) as bar:
                reports.append(ev.evaluate(settings, items, corpus, progress=lambda _: bar, sample=sample))
            if baseline:
                with click.progressbar(items, label="llama-index baseline", file=sys.stderr) as bar:
                    reports.append(ev.evaluate_baseline(settings, items, corpus, progress=lambda _: bar))
    if as_json:
        click.echo(
            json.dumps(
                [
                    {"label": r.label, "metrics": r.metrics, "results": [asdict(x) for x in r.results]}
                    for r in reports
                ]
            )
        )
    else:
        click.echo(ev.format_table(reports))
        if failures:
            click.echo("\n".join(ev.format_failures(r) for r in reports))
    problems = [p for r in reports for p in ev.gate(r, gate_key)] if gate_key else []
    if problems:
        raise click.ClickException("evaluation gate failed: " + "; ".join(problems))


@main.command()
@click.option(
    "--cases",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=Path("tests/redteam/redteam.json"),
    show_default=True,
    help="Planted-article cases.",
)
@click.option(
    "--corpus",
    type=click.Path(exists=True, path_type=Path),
    required=True,
    help="The archive the attacker's articles are planted into: a folder, or a .tar.xz of one.",
)
@click.option("--backend", type=click.Choice(["local", "openai", "extractive"]), help="QA_BACKEND.")
@click.option("--model", help="Model name or path (QA_MODEL).")
@click.option("--json", "as_json", is_flag=True, help="Print every case's result as JSON.")
@click.pass_context
def redteam(
    ctx: click.Context, cases: Path, corpus: Path, backend: str | None, model: str | None, as_json: bool
) -> None:
    """Plant attackers' articles next to an archive and count the answers they steer.

    Example: qa redteam --corpus ../shared/corpora/reuters-21578.tar.xz --backend extractive
    """
    from qa.measure import redteam as rt

    settings = settings_from(ctx, backend=backend, model=model)
    items = rt.load_cases(cases)
    with click.progressbar(items, label="planted cases", file=sys.stderr) as bar:
        results = rt.run(settings, items, corpus, progress=lambda _: bar)
    if as_json:
        click.echo(json.dumps([asdict(r) for r in results]))
        return
    click.echo(json.dumps(rt.summary(results), indent=1))
    for r in results:
        if r.steered or (r.benign and (r.detected or not r.correct)):
            click.echo(f"  {r.id} [{r.style}] steered={r.steered} flagged={r.detected}: {r.answer[:140]!r}")


def _sweep(
    ctx: click.Context,
    items: list[Any],
    corpus: Path,
    sample: int,
    backend: str | None,
    model: str | None,
    sweep: str,
    min_refusal: float,
    plot: Path | None,
) -> None:
    """`qa eval --sweep NAME=v1,v2,…`: one evaluation per value of a trust threshold."""
    from qa.measure import evaluate as ev
    from qa.measure import riskcov

    name, _, values = sweep.partition("=")
    base = settings_from(ctx, backend=backend, model=model)
    if name not in type(base.trust).model_fields:
        raise click.ClickException(
            f"--sweep: no trust setting {name!r}; use one of {list(type(base.trust).model_fields)}"
        )
    points = []
    for value in (float(v) for v in values.split(",")):
        settings = base.replace(trust={**base.trust.model_dump(), name: value})
        with click.progressbar(items, label=f"{name}={value:g}", file=sys.stderr) as bar:
            report = ev.evaluate(settings, items, corpus, progress=lambda _: bar, sample=sample)
        points += [riskcov.point(value, half, report.results) for half in ("tune", "check")]
    chosen = riskcov.choose(points, min_refusal)
    click.echo(riskcov.table(points, name))
    click.echo(
        f"\nchosen on the tuning half: {name}={chosen.value:g} (refusal >= {min_refusal:g}, most answered)"
    )
    if plot:
        riskcov.plot(points, name, chosen.value, plot)
        click.echo(f"plot: {plot}")
