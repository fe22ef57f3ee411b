"""What the store keeps per file and returns per hit, and how dates become range filters.

A file record is one indexed article (a file, or one record of an export). Its same-story fields:
- `cluster`: articles telling the same story share it (identical copies and updated versions);
- `relation`: this article's tie to the rest of its cluster: "single" (alone), "identical" (the
  same text as another member), "update" (another version of the story: edited, corrected,
  expanded);
- `links`: {other doc_id: "identical" | "update" | "same_topic"} for the nearest articles that
  were compared with it; "same_topic" (a different story on one subject: another day's report,
  another company's deal) never joins a cluster.
It does not decide any of these (that is `index.duplicates`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from index.errors import BadInputError

Relation = Literal["identical", "update", "same_topic"]
SAME_STORY: tuple[str, ...] = ("identical", "update")


@dataclass(frozen=True)
class FileRecord:
    path: str  # the manifest key: absolute path of the file (+ "#<record key>" for an export record)
    source: str  # the citable text file
    doc_id: str
    title: str
    date: str | None
    chunks: int
    chars: int
    cluster: str
    origin: str = ""  # what to show the reader: the file as given, or "<export>#<record key>"
    url: str = ""
    date_source: str = ""  # "header line 2", "front matter", "html metadata", "field 'date'", ""
    relation: str = "single"  # single, identical or update (see the module docstring)
    links: dict[str, str] = field(default_factory=dict)  # doc_id -> identical / update / same_topic
    encoding: str = "utf_8"
    kind: str = "text"  # text, html or record
    container: str = ""  # absolute path of the export a record came from
    container_hash: str = ""  # that export's content hash when the record was read

    def meta(self) -> dict[str, Any]:
        """The Chroma metadata of this record (Chroma keeps only str, int, float and bool)."""
        m: dict[str, Any] = {
            "kind": "file",
            "source": self.source,
            "doc_id": self.doc_id,
            "title": self.title,
            "date": self.date or "",
            "chunks": self.chunks,
            "chars": self.chars,
            "cluster": self.cluster,
            "origin": self.origin,
            "url": self.url,
            "date_source": self.date_source,
            "relation": self.relation,
            "links": json.dumps(self.links, sort_keys=True),
            "encoding": self.encoding,
            "format": self.kind,
            "container": self.container,
            "container_hash": self.container_hash,
        }
        if self.date:
            m["date_num"] = date_number(self.date)
        return m

    @classmethod
    def from_meta(cls, key: str, m: dict[str, Any]) -> FileRecord:
        return cls(
            key,
            m["source"],
            m["doc_id"],
            m["title"],
            m.get("date") or None,
            int(m["chunks"]),
            int(m["chars"]),
            m.get("cluster") or m["doc_id"],
            m.get("origin") or m["source"],
            m.get("url", ""),
            m.get("date_source", ""),
            m.get("relation") or "single",
            json.loads(m.get("links") or "{}"),
            m.get("encoding", "utf_8"),
            m.get("format", "text"),
            m.get("container", ""),
            m.get("container_hash", ""),
        )


@dataclass(frozen=True)
class Hit:
    chunk_id: str
    doc_id: str
    text: str
    score: float
    meta: dict[str, Any]


def date_number(iso: str | None) -> int | None:
    """20231112 for "2023-11-12": an integer Chroma and numpy can compare in a range filter."""
    return int(iso[:10].replace("-", "")) if iso else None


def date_bounds(since: date | str | None, until: date | str | None) -> tuple[int, int] | None:
    """(low, high) date numbers for a range, both ends included; None when neither is given."""
    if since is None and until is None:
        return None
    low = date_number(_iso(since)) if since is not None else 0
    high = date_number(_iso(until)) if until is not None else 99991231
    return int(low or 0), int(high or 99991231)


def date_where(bounds: tuple[int, int] | None) -> dict[str, Any] | None:
    """A Chroma `where` for chunks dated within the bounds (undated chunks never match)."""
    if bounds is None:
        return None
    return {"$and": [{"date_num": {"$gte": bounds[0]}}, {"date_num": {"$lte": bounds[1]}}]}


def _iso(value: date | str) -> str:
    text = value.isoformat() if isinstance(value, date) else str(value).strip()
    try:
        return date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        raise BadInputError(f"{value!r} is not a date: give it as YYYY-MM-DD, e.g. 1987-03-01.") from None
