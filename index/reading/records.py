"""Articles inside archive exports: JSON Lines (`.jsonl`, `.ndjson`) and CSV (`.csv`, `.tsv`).

One record is one article. Fields are found by name, case-insensitively, trying each candidate in
`RecordFields` in order (configurable: `QA_RECORD_FIELDS__BODY=story,text`). A record is keyed by
its id or URL field when it has one, else by its row number, so a re-export in another order
does not look like new articles. Each record's canonical text is a title line, a blank line and
the body with its paragraphs as they were; that text is what gets saved, chunked and cited.

Records are read one at a time (an export may be larger than memory). It does not read JSON
arrays, nested JSON documents or spreadsheets.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from index.reading.dates import parse_date

SUFFIXES = (".jsonl", ".ndjson", ".csv", ".tsv")


@dataclass(frozen=True)
class Record:
    key: str  # id, URL or row number: unique within its export
    number: int  # 1-based row number, for messages
    text: str  # canonical text: title, blank line, body
    title: str
    date: str | None
    date_field: str  # the field the date came from ("" when none)
    url: str
    digest: str  # hash of the record's fields: changes when the record does
    error: str = ""  # why this record cannot be indexed ("" when it can)


def read_records(stream: IO[str], suffix: str, fields: Any, name: str) -> Iterator[Record]:
    """Every record of an export, in order; unusable ones carry an `error` instead of text."""
    rows = _jsonl(stream) if suffix in (".jsonl", ".ndjson") else _csv(stream, suffix)
    for number, row in enumerate(rows, 1):
        yield _record(row, number, fields, name)


def _jsonl(stream: IO[str]) -> Iterator[dict[str, Any] | str]:
    for line in stream:
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            yield f"not valid JSON ({e.msg} at column {e.colno})"
            continue
        yield row if isinstance(row, dict) else "not a JSON object"


def _csv(stream: IO[str], suffix: str) -> Iterator[dict[str, Any] | str]:
    csv.field_size_limit(1 << 30)
    yield from csv.DictReader(stream, delimiter="\t" if suffix == ".tsv" else ",")


def _record(row: dict[str, Any] | str, number: int, fields: Any, name: str) -> Record:
    if isinstance(row, str):
        return Record(str(number), number, "", "", None, "", "", "", f"{name} record {number}: {row}")
    lower = {str(k).strip().lower(): v for k, v in row.items() if k is not None}
    body_field, body = _first(lower, fields.body)
    title = " ".join(str(_first(lower, fields.title)[1] or "").split())
    date_field, raw_date = _first(lower, fields.date)
    url = str(_first(lower, fields.url)[1] or "").strip()
    key = str(_first(lower, fields.id)[1] or "").strip() or url or str(number)
    digest = hashlib.sha256(json.dumps(row, sort_keys=True, default=str).encode()).hexdigest()[:16]
    if not isinstance(body, str) or not body.strip():
        wanted = "/".join(fields.body)
        error = f"{name} record {number}: no article text (looked for a field named {wanted})"
        return Record(key, number, "", title, None, "", url, digest, error)
    date = parse_date(raw_date)
    text = (f"{title}\n\n" if title else "") + _paragraphs(body) + "\n"
    return Record(key, number, text, title, date, date_field if date else "", url, digest)


def _first(row: dict[str, Any], names: tuple[str, ...]) -> tuple[str, Any]:
    for name in names:
        value = row.get(name.lower())
        if value not in (None, ""):
            return name, value
    return "", None


def _paragraphs(body: str) -> str:
    """The body with Windows line breaks made plain and runs of blank lines made one."""
    body = body.replace("\r\n", "\n").replace("\r", "\n").strip()
    return re.sub(r"\n[ \t]*\n(?:[ \t]*\n)+", "\n\n", body)
