"""The `qa` command line: one thin command per verb, grouped by what it is for.

`main` is the click group (`qa.cli.base`); importing the command modules registers their commands.
"""

from qa.cli import answering, indexing, measuring  # noqa: F401  (registers the commands)
from qa.cli.base import main

__all__ = ["main"]
