"""Find the files to index under the paths a user gave, and say why any cannot be used.

Folders are walked with `os.scandir` (sorted, hidden entries skipped, symlinked folders not
followed); a folder that cannot be listed and a file that cannot be read are reported as skipped
with the reason, never silently left out and never a traceback. Files larger than the size limit
are reported as "too large"; export files (JSON Lines, CSV) are exempt, since they are read one
record at a time and the limit applies to each record instead.

It does not open the files (that is `index.articles`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from index.reading.records import SUFFIXES as RECORD_SUFFIXES

TEXT_SUFFIXES = (".txt", ".md", ".markdown")
HTML_SUFFIXES = (".html", ".htm")
SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES + RECORD_SUFFIXES


@dataclass(frozen=True)
class Found:
    path: Path
    source: str  # as the user would write it (relative stays relative)
    size: int


@dataclass
class Walk:
    files: list[Found] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # source, reason
    unreadable: set[str] = field(default_factory=set)  # absolute paths seen but not readable


def too_large(size: int, limit_mb: float) -> str:
    return (
        f"too large ({size / 2**20:.1f} MB; the limit is {limit_mb:g} MB): "
        "split it, or raise QA_MAX_FILE_MB to index it"
    )


def walk(paths: Iterable[str], limit_mb: float) -> Walk:
    out = Walk()
    for arg in paths:
        p = Path(arg)
        try:
            if p.is_dir():
                _folder(p, out, limit_mb)
            elif p.is_file():
                _file(p, str(p), out, limit_mb, explicit=True)
            else:
                out.skipped.append((arg, "no such file or folder"))
        except PermissionError:
            out.skipped.append((arg, "cannot read it (permission denied); fix its permissions"))
    return out


def _folder(folder: Path, out: Walk, limit_mb: float) -> None:
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as e:
        out.skipped.append((str(folder), f"cannot read this folder ({_why(e)}); fix its permissions"))
        out.unreadable.add(str(folder.resolve()))
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = folder / entry.name
        try:
            if entry.is_dir(follow_symlinks=False):
                _folder(path, out, limit_mb)
            elif entry.is_file():
                _file(path, str(path), out, limit_mb, explicit=False)
        except OSError as e:
            out.skipped.append((str(path), f"cannot read it ({_why(e)}); fix its permissions"))
            out.unreadable.add(str(path.resolve()))


def _file(path: Path, source: str, out: Walk, limit_mb: float, explicit: bool) -> None:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        if explicit:
            kinds = ", ".join(SUFFIXES)
            out.skipped.append((source, f"unsupported type {suffix or '(none)'}; use one of {kinds}"))
        return
    size = path.stat().st_size
    if not os.access(path, os.R_OK):
        out.skipped.append((source, "cannot read it (permission denied); fix its permissions"))
        out.unreadable.add(str(path.resolve()))
    elif suffix not in RECORD_SUFFIXES and size > limit_mb * 2**20:
        out.skipped.append((source, too_large(size, limit_mb)))
    else:
        out.files.append(Found(path, source, size))


def _why(e: OSError) -> str:
    return "permission denied" if isinstance(e, PermissionError) else (e.strerror or type(e).__name__)
