"""The `qa` command line: one thin command per verb; library errors become click errors.

Settings are read from `QA_*` variables once here, overridden by flags, and passed down.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
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
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
@click.pass_context
def index(
    ctx: click.Context,
    paths: tuple[str, ...],
    prune: bool,
    chunk_tokens: int | None,
    embedder: str | None,
    as_json: bool,
) -> None:
    """Index article files (.txt, .md) or folders of them; re-runs only redo what changed.

    Example: qa index seeds/
    """
    from index.embedding import make_embedder
    from index.ingest import run_index
    from index.store import Store

    settings = settings_from(ctx, chunk_tokens=chunk_tokens, embedder=embedder)
    store = Store(settings)

    def progress(files: Any) -> Any:
        files = list(files)
        with click.progressbar(
            files, label="Indexing", file=sys.stderr, item_show_func=lambda f: f[1] if f else ""
        ) as bar:
            yield from bar

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
    lines += [f"  dropped from {src}: {why} ({n} chars)" for src, why, n in s.dropped]
    lines += [f"  duplicate: {a} tells the same story as {b} (same cluster)" for a, b in s.duplicates]
    if s.recovered:
        lines.append(f"  recovered: cleaned up {s.recovered} half-written article(s) from an interrupted run")
    return "\n".join(lines)
