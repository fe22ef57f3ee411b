"""`qa ask`, `qa chat` and `qa serve`: answers in a terminal, and the web surfaces."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from index.errors import QAError
from qa.cli.base import main, settings_from


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
        if answer.refused and answer.notes:  # why: nothing said, or nothing to search
            click.echo("\n".join(answer.notes))
    elif main_text != streamed.strip():  # the engine replaced the model's draft
        click.echo(f"\n\n(revised, quoting the articles) {answer.answer}")
    elif answer.notes:
        click.echo("\n\n" + "\n".join(answer.notes))
    click.echo(render_sources(answer))
    return answer


def render_sources(answer: Any) -> str:
    if not answer.citations:
        return ""
    head = "Closest passages (they do not answer the question):" if answer.refused else "Sources:"
    lines = ["", head]
    for c in answer.citations:
        when = f" ({c.date})" if c.date else ""
        flag = "" if c.supported or answer.refused else "  [does not support its sentence]"
        flag += "  [holds text addressed to AI systems: ignored]" if c.flagged else ""
        converted = c.origin and Path(c.origin).resolve() != Path(c.source).resolve()
        where = f"{c.origin} (saved text {c.source})" if converted else c.source
        lines.append(f"[{c.n}] {c.title}{when} — {where}:{c.start}-{c.end}{flag}")
        quote = " ".join(c.quote.split())
        quote = quote if len(quote) <= 400 else quote[:400] + "…"
        # a quote that opens with the article's own quotation mark is not wrapped in another
        lines.append(f"    {quote}" if quote[:1] in '"“' else f'    "{quote}"')
    return "\n".join(lines)
