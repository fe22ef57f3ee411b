"""The `qa` group: global options, settings read once from `QA_*` variables and flags, and the
translation of the product's errors into one-line click errors. Commands live in the sibling
modules (indexing, answering, measuring) and register themselves on `main`.
"""

from __future__ import annotations

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


def _ints(value: str | None) -> list[int | None]:
    return [int(v) for v in value.split(",")] if value else [None]
