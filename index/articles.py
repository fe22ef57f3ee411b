"""Load articles from files: plain text and Markdown, HTML pages, and JSON Lines / CSV exports.

Every article has one *citable text*, and offsets everywhere are character offsets into it:
- a UTF-8 `.txt`/`.md` file is its own citable text (`source` is the file as given);
- anything converted (an HTML page's extracted article, an export record, a text file in a legacy
  encoding) gets a *canonical text* saved under `<data_dir>/text/<doc_id>.txt` in UTF-8, and
  `source` points at that file; `origin` (and `url`, when known) keep what to show the reader.
So `read_text(source)[start:end]` is exactly the cited passage for every format, and so is
`open(source, encoding="utf-8", newline="").read()[start:end]`.

Cleaning (`reading.clean`) only marks which spans are body; nothing is rewritten. It does not
read PDF or Word files, fetch URLs, or guess dates from prose.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from index.errors import BadInputError
from index.reading import clean
from index.reading.clean import Dropped
from index.reading.decode import decode
from index.reading.html import extract_page
from index.reading.records import read_records
from index.reading.walk import HTML_SUFFIXES, SUFFIXES, too_large

__all__ = ["SUFFIXES", "Article", "Dropped", "doc_id_for", "load_article", "load_records", "read_text"]


@dataclass(frozen=True)
class Article:
    key: str  # manifest key: the file's absolute path, plus "#<record key>" for an export record
    source: str  # the citable text file (the file as given, or its canonical text)
    path: str  # the citable text file, absolute
    origin: str  # what the reader is shown: the file as given, or "<export>#<record key>"
    doc_id: str  # hash of the bytes (or record fields) the article came from
    text: str  # the citable text
    title: str
    date: str | None  # ISO date
    date_source: str  # where the date was read: "header line 2", "html metadata", "field 'date'"
    n_bytes: int
    segments: tuple[tuple[int, int], ...]  # runs of body text, as (start, end) into `text`
    dropped: tuple[Dropped, ...]
    kind: str = "text"  # text, html or record
    encoding: str = "utf_8"
    url: str = ""
    container: str = ""  # absolute path of the export file a record came from
    canonical: bool = False  # `text` must be saved at `path` before it is cited

    @property
    def n_chars(self) -> int:
        return len(self.text)

    @property
    def dropped_chars(self) -> int:
        return sum(d.end - d.start for d in self.dropped if not d.reason.startswith("header"))


def read_text(path: str | Path) -> str:
    """The citable text of an article, exactly as offsets index it."""
    return decode(Path(path).read_bytes(), str(path)).text


def doc_id_for(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def load_article(path: Path, source: str, text_dir: Path | None = None, data: bytes | None = None) -> Article:
    """Read and clean one text or HTML file. Raises BadInputError for files that cannot be indexed.

    A converted article's canonical text goes under `text_dir` (required for HTML and legacy
    encodings; without one, `source` stays the file itself and offsets index its decoded text)."""
    data = path.read_bytes() if data is None else data
    doc_id = doc_id_for(data)
    decoded = decode(data, source)
    key = str(path.resolve())
    if path.suffix.lower() in HTML_SUFFIXES:
        if text_dir is None:
            raise ValueError("an HTML page needs a text_dir for its canonical text")
        page = extract_page(decoded.text, source)
        known = {"title": page.title, "date": page.date, "date_source": "html metadata" if page.date else ""}
        return _article(key, doc_id, page.text, source, text_dir, len(data), known, kind="html",
                        encoding=decoded.encoding, url=page.url)  # fmt: skip
    if decoded.utf8 or text_dir is None:
        return _article(key, doc_id, decoded.text, source, None, len(data), {}, encoding=decoded.encoding)
    return _article(key, doc_id, decoded.text, source, text_dir, len(data), {}, encoding=decoded.encoding)


def load_records(
    path: Path, source: str, text_dir: Path, fields: Any, limit_mb: float
) -> Iterator[Article | tuple[str, str]]:
    """Each record of a JSON Lines or CSV export as an Article, or (origin, reason) when unusable."""
    encoding = _export_encoding(path, source)
    container = str(path.resolve())
    with path.open(encoding=encoding, newline="", errors="replace") as stream:
        for r in read_records(stream, path.suffix.lower(), fields, source):
            origin = f"{source}#{r.key}"
            if r.error:
                yield origin, r.error
            elif len(r.text.encode()) > limit_mb * 2**20:
                yield origin, too_large(len(r.text.encode()), limit_mb)
            else:
                known = {"title": r.title, "date": r.date,
                         "date_source": f"field {r.date_field!r}" if r.date else ""}  # fmt: skip
                try:
                    yield _article(f"{container}#{r.key}", r.digest, r.text, origin, text_dir,
                                   len(r.text.encode()), known, kind="record", encoding=encoding,
                                   url=r.url, container=container)  # fmt: skip
                except BadInputError as e:
                    yield origin, str(e)


def save_canonical(article: Article) -> None:
    """Write a converted article's citable text (UTF-8, atomically) if it is not there yet."""
    target = Path(article.path)
    if not article.canonical or target.is_file():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{target.name}.tmp{os.getpid()}")
    with tmp.open("w", encoding="utf-8", newline="") as f:
        f.write(article.text)
    os.replace(tmp, target)


def _article(
    key: str,
    doc_id: str,
    text: str,
    origin: str,
    text_dir: Path | None,
    n_bytes: int,
    known: dict[str, Any],
    **extra: Any,
) -> Article:
    head = clean.header(text)
    dropped: list[Dropped] = [Dropped(0, head.end, "header")] if head.end else []
    segments = clean.body_segments(text, head.end, dropped)
    if not segments:
        raise BadInputError(f"{origin}: no article text left after removing boilerplate.")
    title = known.get("title") or head.title or clean.derive_title(text[segments[0][0] : segments[0][1]])
    date, date_source = head.date, head.date_source
    if known.get("date"):
        date, date_source = known["date"], known["date_source"]
    source, path, canonical = origin, key, text_dir is not None
    if text_dir is not None:
        source = path = str((text_dir / f"{doc_id}.txt").resolve())
    article = Article(key, source, path, origin, doc_id, text, title, date, date_source, n_bytes,
                      tuple(segments), tuple(dropped), canonical=canonical)  # fmt: skip
    return replace(article, **extra)


def _export_encoding(path: Path, source: str) -> str:
    """UTF-8 unless the first megabyte says otherwise (then the detected encoding)."""
    with path.open("rb") as f:
        sample = f.read(1 << 20)
    for cut in range(4):  # the sample may end inside a multi-byte character
        try:
            sample[: len(sample) - cut].decode("utf-8")
            return "utf_8"
        except UnicodeDecodeError:
            continue
    return decode(sample, source).encoding
