"""Find an article's header (title, date) and its body, and mark boilerplate to keep out of the index.

Offsets are character offsets into the text given; nothing is rewritten. Cleaning only decides
which spans are article body, and reports every dropped span with its reason. General rules, not
tied to one site or wire service:
- header: Markdown front matter, or a labelled ISO date before the text ("date 1991-03-12 …");
  then, among the first lines, one title line (`# Title` or a
  short line followed by more text) and one date line in any form `reading.dates` reads
  ("12-MAR-1991", "date 1991-03-12", "Published: 12 March 1991"), in either order;
- tail section: everything from a short capitalised line such as "More from …", "Related
  articles", "Advertisement", "Read more", "Sponsored" to the end, when it stands on its own (after
  a finished sentence or a blank line, so a hard-wrapped "related to the …" line is body);
- a line repeated verbatim earlier in the article (photo captions are often printed twice);
- photo-credit lines ("REUTERS/Stringer", "(Credit Image: …)", "Photo: …");
- sign-off: a last line of one word (a wire signature, "END", "-30-", "###") after a finished
  sentence or a blank line.

It does not guess dates from prose and does not judge whether the body is news.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.reading.dates import parse_date

_DATE_PREFIX = re.compile(r"\s*(?:date|published|dateline)\s*[:=]?\s*(\d{4}-\d{2}-\d{2})\b[ \t]*", re.I)
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
_SIGN_OFF = re.compile(r"^[\s(\[#*=~_.-]*([A-Za-z]{2,20}|\d{2})?[\s)\].#*=~_.!-]*$")
_SENTENCE_END = re.compile(r"[.!?:;\"'”’)]\s*$")
HEADER_LINES = 4  # a title and a date are looked for among this many first lines


@dataclass(frozen=True)
class Dropped:
    start: int
    end: int
    reason: str


@dataclass(frozen=True)
class Header:
    end: int  # where the body starts
    title: str
    date: str | None
    date_source: str  # "front matter", "header line 2", or "" when there is no date


def header(text: str) -> Header:
    """Front matter, then a title line and a date line among the first lines, in either order."""
    pos, title, date, source = (1 if text.startswith("\ufeff") else 0), "", None, ""
    if m := _FRONT_MATTER.match(text, pos):
        fields = dict(re.findall(r"^(\w+)\s*:\s*(.+?)\s*$", m.group(1), re.M))
        title = fields.get("title", "").strip("\"'")
        date = parse_date(fields.get("date", "").strip("\"'"))
        source, pos = ("front matter" if date else ""), m.end()
    if date is None and (m := _DATE_PREFIX.match(text, pos)):  # "date 1991-03-12 Orvik Foods said…"
        date, source, pos = m.group(1), "header line 1", m.end()
    for number, (start, end) in enumerate(_nonblank_lines(text, pos, HEADER_LINES), 1):
        line = text[start:end].strip()
        if date is None and (found := parse_date(line)):
            date, source, pos = found, f"header line {number}", end
        elif not title and line.startswith("#"):
            title, pos = line.lstrip("#").strip(), end
        elif not title and _looks_like_title(line) and _followed_by_body(text, end):
            title, pos = line, end
        else:
            break
    return Header(pos, title, date, source)


def body_segments(text: str, pos: int, dropped: list[Dropped]) -> list[tuple[int, int]]:
    """Runs of consecutive kept lines from `pos`; a dropped line ends a run, blank lines do not."""
    segments: list[tuple[int, int]] = []
    run: tuple[int, int] | None = None
    seen: set[str] = set()
    lines = lines_of(text, pos)
    sign_off = _sign_off(text, lines)
    previous: tuple[int, int] | None = None
    for start, end in lines:
        line = text[start:end]
        key = " ".join(line.split()).lower()
        if not key:
            continue
        standalone = previous is None or _ends_sentence_or_block(text, previous, start)
        previous = (start, end)
        reason = "sign-off" if (start, end) == sign_off else _drop_reason(line, key, seen, standalone)
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


def lines_of(text: str, pos: int = 0) -> list[tuple[int, int]]:
    """(start, end) of every line from `pos`, without its line break."""
    out = []
    for m in re.finditer(r"[^\r\n]*(?:\r\n|\r|\n|$)", text[pos:]):
        if m.start() == m.end():
            break
        line = m.group(0).rstrip("\r\n")
        out.append((pos + m.start(), pos + m.start() + len(line)))
    return out


def derive_title(body: str, limit: int = 80) -> str:
    first = re.split(r"(?<=[.!?])\s", body.strip(), maxsplit=1)[0]
    first = " ".join(first.split())
    if len(first) <= limit:
        return first.rstrip(".")
    return first[:limit].rsplit(" ", 1)[0] + "…"


def _nonblank_lines(text: str, pos: int, n: int) -> list[tuple[int, int]]:
    out = []
    for start, end in lines_of(text[: pos + 2000], pos):
        if text[start:end].strip():
            out.append((start, end))
            if len(out) == n:
                break
    return out


def _looks_like_title(line: str) -> bool:
    return 0 < len(line) <= 150 and len(line.split()) <= 18 and line[-1] not in '.!?:;,"”’)'


def _followed_by_body(text: str, end: int) -> bool:
    return bool(_nonblank_lines(text, end, 1))


def _sign_off(text: str, lines: list[tuple[int, int]]) -> tuple[int, int] | None:
    """The last line when it is a one-word signature after a finished sentence or a blank line."""
    body = [(s, e) for s, e in lines if text[s:e].strip()]
    if len(body) < 2 or not _SIGN_OFF.match(text[body[-1][0] : body[-1][1]]):
        return None
    return body[-1] if _ends_sentence_or_block(text, body[-2], body[-1][0]) else None


def _ends_sentence_or_block(text: str, before: tuple[int, int], start: int) -> bool:
    """The line before ends a sentence, or a blank line separates it from what starts at `start`."""
    return text[before[1] : start].count("\n") > 1 or bool(_SENTENCE_END.search(text[before[0] : before[1]]))


def _drop_reason(line: str, key: str, seen: set[str], standalone: bool) -> str | None:
    # a heading such as "Related articles", not a hard-wrapped line that happens to start "related to"
    if standalone and line.strip()[:1].isupper() and _TAIL_MARKER.match(line):
        return "tail"
    if key in seen:
        return "repeated line"
    if len(line) <= 120 and _CREDIT.match(line):
        return "photo credit"
    return None
