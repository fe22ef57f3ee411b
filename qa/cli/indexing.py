"""`qa index`: bring the index in step with folders of articles."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from typing import Any

import click

from qa.cli.base import main, settings_from


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
