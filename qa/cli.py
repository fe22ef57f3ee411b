"""The `qa` command line: one thin command per verb; library errors become click errors.

Settings are read from `QA_*` variables once here, overridden by flags, and passed down.
"""

from __future__ import annotations

import json
import sys
import tempfile
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import click

from index.errors import QAError
from index.settings import Settings


class _Group(click.Group):
    """Turns the product's errors into a one-line message and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except QAError as e:
            raise click.ClickException(str(e)) from e


@click.group(cls=_Group)
@click.option("--data-dir", type=click.Path(path_type=Path), help="Index folder (QA_DATA_DIR, default .qa).")
@click.option("--chroma-url", help="Use a Chroma server, e.g. http://127.0.0.1:8000 (QA_CHROMA_URL).")
@click.option("--collection", help="Collection name (QA_COLLECTION, default articles).")
@click.pass_context
def main(ctx: click.Context, data_dir: Path | None, chroma_url: str | None, collection: str | None) -> None:
    """Ask questions of news articles and get answers that cite their passages."""
    ctx.obj = {"data_dir": data_dir, "chroma_url": chroma_url, "collection": collection}


def settings_from(ctx: click.Context, **flags: object) -> Settings:
    return Settings.from_env(**ctx.obj, **flags)


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--prune/--no-prune",
    default=True,
    show_default=True,
    help="Remove indexed files that no longer exist on disk.",
)
@click.option("--chunk-tokens", type=int, help="Chunk size in tokens (QA_CHUNK_TOKENS, default 128).")
@click.option("--embedder", type=click.Choice(["minilm", "hash"]), help="QA_EMBEDDER (default minilm).")
@click.option("--max-file-mb", type=float, help="Skip larger files (QA_MAX_FILE_MB, default 5).")
@click.option(
    "--rebuild", is_flag=True, help="Delete this index first and build it anew (e.g. new embedder)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
@click.pass_context
def index(
    ctx: click.Context,
    paths: tuple[str, ...],
    prune: bool,
    chunk_tokens: int | None,
    embedder: str | None,
    max_file_mb: float | None,
    rebuild: bool,
    as_json: bool,
) -> None:
    """Index articles: .txt/.md, .html pages, and .jsonl/.csv exports (one article per record),
    or folders of them. Re-runs only redo what changed.

    Example: qa index seeds/
    """
    from index.embedding import make_embedder
    from index.ingest import run_index
    from index.store import Store

    settings = settings_from(ctx, chunk_tokens=chunk_tokens, embedder=embedder, max_file_mb=max_file_mb)
    store = Store(settings)
    if rebuild:
        store.drop()
        store = Store(settings)
    bar: Any = click.progressbar(
        length=1, label="Indexing", file=sys.stderr, show_eta=True, width=30, item_show_func=lambda s: s
    )
    with bar:

        def progress(done: int, total: int, label: str) -> None:
            bar.length = max(total, 1)
            bar.update(done - bar.pos, current_item=label)

        summary = run_index(store, make_embedder(settings), paths, settings.chunk_tokens, prune, progress)
    if as_json:
        click.echo(json.dumps(asdict(summary)))
        return
    click.echo(_format_summary(summary))


def _format_summary(s: Any) -> str:
    lines = [
        f"{s.files} files: {s.indexed} indexed, {s.unchanged} unchanged, {len(s.skipped)} skipped, "
        f"{len(s.removed)} removed; {s.chunks} chunks ({s.embedded} embedded) in {s.seconds:.1f} s",
    ]
    lines += [f"  skipped {src}: {why}" for src, why in s.skipped]
    lines += [f"  removed {src} (file no longer exists)" for src in s.removed]
    lines += [f"  decoded {src} as {enc}" for src, enc in s.encodings]
    lines += [f"  dropped from {src}: {why} ({n} chars)" for src, why, n in s.dropped]
    words = {"identical": "is an identical copy of", "update": "is another version of the same story as"}
    lines += [f"  duplicate: {a} {words.get(rel, rel)} {b} (same cluster)" for a, b, rel in s.duplicates]
    if s.recovered:
        lines.append(f"  recovered: cleaned up {s.recovered} half-written article(s) from an interrupted run")
    return "\n".join(lines)


@main.command()
@click.option("--sizes", default="1000,10000,100000", show_default=True, help="Corpus sizes in chunks.")
@click.option("--quick", is_flag=True, help="Smoke run: one 500-chunk corpus, 4 questions.")
@click.option("--eval-items", type=int, help="Eval questions both pipelines answer (default 16; 0 skips).")
@click.option("--ingest-timeout", type=float, default=600, show_default=True, help="Seconds per index run.")
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
        options = measure.Options(sizes=(500,), real_embed_max=500, queries=20, eval_items=4, soak=quick_soak)
    if eval_items is not None:
        options = replace(options, eval_items=eval_items)
    options = replace(
        options, ingest_timeout=ingest_timeout, archive=archive, questions=questions, corpus=corpus
    )
    if real_embed_max is not None:
        options = replace(options, real_embed_max=real_embed_max)
    settings = settings_from(ctx, backend=backend, model=model)
    result = measure.run(settings, options, say)
    report.write(result, out, plot)
    click.echo(f"Wrote {out} and {plot} ({result.seconds / 60:.1f} minutes).")


def _answer_options(f: Any) -> Any:
    f = click.option("--k", type=int, help="Passages to retrieve (QA_K, default 6).")(f)
    f = click.option("--model", help="Model name or .gguf path (local), or served model name (openai).")(f)
    f = click.option(
        "--backend", type=click.Choice(["local", "openai", "extractive"]), help="QA_BACKEND (default local)."
    )(f)
    return f


def _engine(ctx: click.Context, backend: str | None, model: str | None, k: int | None) -> Any:
    from qa.engine import build_engine

    return build_engine(settings_from(ctx, backend=backend, model=model, k=k))


@main.command()
@click.argument("question")
@_answer_options
@click.option("--since", help="Only articles dated on or after this day (YYYY-MM-DD).")
@click.option("--until", help="Only articles dated on or before this day (YYYY-MM-DD).")
@click.option("--json", "as_json", is_flag=True, help="Print exactly one JSON object.")
@click.pass_context
def ask(
    ctx: click.Context,
    question: str,
    backend: str | None,
    model: str | None,
    k: int | None,
    since: str | None,
    until: str | None,
    as_json: bool,
) -> None:
    """Answer one question from the indexed articles, with numbered sources.

    Example: qa ask --since 1987-03-01 "Who bought the company, and for how much?"
    """
    engine = _engine(ctx, backend, model, k)
    if as_json:
        click.echo(json.dumps(engine.ask(question, since=since, until=until).to_dict(), ensure_ascii=False))
        return
    _print_answer(engine, question, [], stream=sys.stdout.isatty(), since=since, until=until)


@main.command()
@_answer_options
@click.pass_context
def chat(ctx: click.Context, backend: str | None, model: str | None, k: int | None) -> None:
    """A conversation in the terminal; follow-up questions work. Empty line or Ctrl-D quits.

    Example: qa chat --backend extractive
    """
    from qa.contract import Turn

    engine = _engine(ctx, backend, model, k)
    history: list[Turn] = []
    click.echo("Ask about the indexed articles (empty line to quit).")
    while True:
        try:
            question = input("\n> ").strip()
        except EOFError:
            break
        if not question or question.lower() in ("exit", "quit"):
            break
        try:
            answer = _print_answer(engine, question, history, stream=sys.stdout.isatty())
        except QAError as e:
            click.echo(f"Error: {e}", err=True)
            continue
        history.append(Turn(question, answer.answer))


@main.command()
@_answer_options
@click.option("--host", help="Address to bind (QA_HOST, default 127.0.0.1).")
@click.option("--port", type=int, help="Port (QA_PORT, default 7860).")
@click.option("--admin/--no-admin", default=None, help="Allow uploading articles from the chat (QA_ADMIN).")
@click.pass_context
def serve(
    ctx: click.Context,
    backend: str | None,
    model: str | None,
    k: int | None,
    host: str | None,
    port: int | None,
    admin: bool | None,
) -> None:
    """Serve the browser chat (/chat/), the JSON API (/api, docs at /docs) and the widget (/embed).

    Example: qa serve --backend extractive --port 7860
    """
    try:
        from ui.app import serve as run
    except ImportError as e:
        raise click.ClickException(
            f"`qa serve` needs the web extras ({e.name} is missing): pip install -e ."
        ) from e
    run(settings_from(ctx, backend=backend, model=model, k=k, host=host, port=port, admin=admin))


def _print_answer(
    engine: Any,
    question: str,
    history: list[Any],
    stream: bool,
    since: str | None = None,
    until: str | None = None,
) -> Any:
    answer, streamed = None, ""
    for event in engine.stream(question, history, since=since, until=until):
        if event.kind == "rewritten" and event.text != question:
            click.secho(f"(searching for: {event.text})", dim=True)
        elif event.kind == "quote" and stream and event.citation is not None:
            click.secho(f'From the articles ({event.citation.title}): "{event.text}"\n', dim=True)
        elif event.kind == "delta" and stream:
            streamed += event.text
            click.echo(event.text, nl=False)
        elif event.kind == "final":
            answer = event.answer
    assert answer is not None
    main_text = answer.answer.split("\n\n")[0]
    if not stream or answer.refused:
        click.echo(("\n" if streamed else "") + answer.answer)
    elif main_text != streamed.strip():  # the engine replaced the model's draft
        click.echo(f"\n\n(revised, quoting the articles) {answer.answer}")
    elif answer.notes:
        click.echo("\n\n" + "\n".join(answer.notes))
    click.echo(render_sources(answer))
    return answer


def render_sources(answer: Any) -> str:
    head = "Closest passages (they do not answer the question):" if answer.refused else "Sources:"
    lines = ["", head]
    for c in answer.citations:
        when = f" ({c.date})" if c.date else ""
        flag = "" if c.supported or answer.refused else "  [does not support its sentence]"
        flag += "  [holds text addressed to AI systems: ignored]" if c.flagged else ""
        where = f"{c.origin} (saved text {c.source})" if c.origin else c.source
        lines.append(f"[{c.n}] {c.title}{when} — {where}:{c.start}-{c.end}{flag}")
        quote = " ".join(c.quote.split())
        lines.append(f'    "{quote if len(quote) <= 400 else quote[:400] + "…"}"')
    return "\n".join(lines)


def _ints(value: str | None) -> list[int | None]:
    return [int(v) for v in value.split(",")] if value else [None]


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
    as_json: bool,
) -> None:
    """Score answers on a question set: retrieval, accuracy, citations, refusals, latency.

    Example: qa eval --questions tests/eval/reuters/questions.json
    --corpus ../shared/corpora/reuters-21578.tar.xz --split check --backend extractive
    """
    from qa.measure import devset
    from qa.measure import evaluate as ev

    items = devset.load_items(questions or devset.SEED_QUESTIONS, split)
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
