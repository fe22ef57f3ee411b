"""Load one article file: decode it, read its metadata, and mark boilerplate to keep out of the index.

Offsets everywhere are character offsets into the ORIGINAL text: the file's bytes decoded as UTF-8
with newlines left as they are (`read_text` here, or `open(path, encoding="utf-8", newline="")`).
Nothing is rewritten; cleaning only decides which spans of that text are article body.

Cleaning rules (general, not tied to one site), each reported with its reason:
- a header: a `date YYYY-MM-DD` prefix, Markdown front matter, a `# Title` or a short title line;
- a tail section: everything from a short line such as "More from …", "Related articles",
  "Advertisement", "Read more", "Sponsored" to the end of the file;
- a line repeated verbatim earlier in the article (photo captions are often printed twice);
- photo-credit lines ("REUTERS/Stringer", "(Credit Image: …)", "Photo: …").

It does not read HTML or PDF (convert those to text first) and does not guess dates from prose.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from index.errors import BadInputError

SUFFIXES = (".txt", ".md", ".markdown")

_DATE_LINE = re.compile(r"\s*(?:date|published|dateline)\s*[:=]?\s*(\d{4}-\d{2}-\d{2})\b[ \t]*", re.I)
_FRONT_MATTER = re.compile(r"---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)
_TAIL_MARKER = re.compile(
    r"^\s*(more (from|stories|on this)|related( articles| stories| coverage| content)?|read (more|next|also)"
    r"|recommended( for you| stories)?|you (may|might) also like|most (popular|read)|trending( now)?"
    r"|advertisement|sponsored( content)?|promoted( stories)?|from our partners|share this( article)?"
    r"|sign up for our newsletter|subscribe( now| to our newsletter)?)\b[^.!?]{0,60}$",
    re.I,
)
_CREDIT = re.compile(
    r"^\s*(\(?\s*(credit|photo|image|picture|pictured|source)( image)?\s*:.*"
    r"|(reuters|ap|afp|epa|getty images|xinhua|anadolu)( photo)?\s*/\s*\S.*"
    r"|[A-Z][A-Za-z]+ [A-Z][A-Za-z]+\s*/\s*(reuters|ap|afp|epa|getty images))\s*$",
    re.I,
)


@dataclass(frozen=True)
class Dropped:
    start: int
    end: int
    reason: str


@dataclass(frozen=True)
class Article:
    source: str  # the path as the user gave it (relative stays relative)
    path: str  # absolute path, for reading the original text later
    doc_id: str  # content hash of the file's bytes
    text: str  # the original text
    title: str
    date: str | None
    n_bytes: int
    segments: tuple[tuple[int, int], ...]  # runs of body text, as (start, end) into `text`
    dropped: tuple[Dropped, ...]

    @property
    def n_chars(self) -> int:
        return len(self.text)

    @property
    def dropped_chars(self) -> int:
        return sum(d.end - d.start for d in self.dropped if not d.reason.startswith("header"))


def read_text(path: str | Path) -> str:
    """The original text of an article, exactly as offsets index it."""
    return decode(Path(path).read_bytes(), str(path))


def decode(data: bytes, name: str) -> str:
    if not data.strip():
        raise BadInputError(f"{name}: empty file; add text or remove it.")
    if b"\x00" in data[:8192]:
        raise BadInputError(f"{name}: binary file (NUL bytes); only UTF-8 .txt/.md articles are indexed.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise BadInputError(
            f"{name}: not UTF-8 (bad byte at offset {e.start}); re-save it as UTF-8 "
            "(e.g. `iconv -f latin1 -t utf-8`)."
        ) from None


def doc_id_for(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def load_article(path: Path, source: str) -> Article:
    """Read and clean one file. Raises BadInputError for files that cannot be indexed."""
    data = path.read_bytes()
    text = decode(data, source)
    header_end, title, date = _header(text)
    dropped: list[Dropped] = [Dropped(0, header_end, "header")] if header_end else []
    segments = _body_segments(text, header_end, dropped)
    if not segments:
        raise BadInputError(f"{source}: no article text left after removing boilerplate.")
    if not title:
        title = _derive_title(text[segments[0][0] : segments[0][1]])
    return Article(
        source=source,
        path=str(path.resolve()),
        doc_id=doc_id_for(data),
        text=text,
        title=title,
        date=date,
        n_bytes=len(data),
        segments=tuple(segments),
        dropped=tuple(dropped),
    )


def _header(text: str) -> tuple[int, str, str | None]:
    """Where the body starts, the title (or ""), the date (or None)."""
    pos, title, date = (1 if text.startswith("\ufeff") else 0), "", None
    if m := _FRONT_MATTER.match(text, pos):
        fields = dict(re.findall(r"^(\w+)\s*:\s*(.+?)\s*$", m.group(1), re.M))
        title = fields.get("title", "").strip("\"'")
        found = re.search(r"\d{4}-\d{2}-\d{2}", fields.get("date", ""))
        date = found.group(0) if found else None
        pos = m.end()
    if m := _DATE_LINE.match(text, pos):
        date, pos = m.group(1), m.end()
    first = _next_line(text, pos)
    if first and not title:
        start, end = first
        line = text[start:end].strip()
        if line.startswith("#"):
            title, pos = line.lstrip("#").strip(), end
        elif _looks_like_title(line) and _followed_by_body(text, end):
            title, pos = line, end
    return pos, title, date


def _looks_like_title(line: str) -> bool:
    return 0 < len(line) <= 150 and len(line.split()) <= 18 and line[-1] not in '.!?:;,"”’)'


def _followed_by_body(text: str, end: int) -> bool:
    nxt = _next_line(text, end)
    return nxt is not None and (nxt[1] - nxt[0]) > 0


def _next_line(text: str, pos: int) -> tuple[int, int] | None:
    for start, end in _lines(text, pos):
        if text[start:end].strip():
            return start, end
    return None


def _lines(text: str, pos: int = 0) -> list[tuple[int, int]]:
    """(start, end) of every line from `pos`, without its line break."""
    out = []
    for m in re.finditer(r"[^\r\n]*(?:\r\n|\r|\n|$)", text[pos:]):
        if m.start() == m.end():
            break
        line = m.group(0).rstrip("\r\n")
        out.append((pos + m.start(), pos + m.start() + len(line)))
    return out


def _body_segments(text: str, pos: int, dropped: list[Dropped]) -> list[tuple[int, int]]:
    """Runs of consecutive kept lines; a dropped line ends a run, blank lines do not."""
    segments: list[tuple[int, int]] = []
    run: tuple[int, int] | None = None
    seen: set[str] = set()
    for start, end in _lines(text, pos):
        line = text[start:end]
        key = " ".join(line.split()).lower()
        if not key:
            continue
        reason = _drop_reason(line, key, seen)
        if reason == "tail":
            dropped.append(Dropped(start, len(text), f"tail section {line.strip()!r}"))
            break
        if reason:
            dropped.append(Dropped(start, end, reason))
            if run:
                segments.append(run)
            run = None
            continue
        if len(key) >= 20:
            seen.add(key)
        lead = len(line) - len(line.lstrip())
        run = (run[0], end) if run else (start + lead, end)
    if run:
        segments.append(run)
    return [(s, e - (len(text[s:e]) - len(text[s:e].rstrip()))) for s, e in segments]


def _drop_reason(line: str, key: str, seen: set[str]) -> str | None:
    if _TAIL_MARKER.match(line):
        return "tail"
    if key in seen:
        return "repeated line"
    if len(line) <= 120 and _CREDIT.match(line):
        return "photo credit"
    return None


def _derive_title(body: str, limit: int = 80) -> str:
    first = re.split(r"(?<=[.!?])\s", body.strip(), maxsplit=1)[0]
    first = " ".join(first.split())
    if len(first) <= limit:
        return first.rstrip(".")
    return first[:limit].rsplit(" ", 1)[0] + "…"
