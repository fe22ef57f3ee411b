"""The main text of a news web page, with its title, date and URL, via trafilatura.

trafilatura drops navigation, footers, comments and ads and keeps the article's paragraphs; its
metadata (title, publication date from htmldate, canonical URL) comes along. The result is the
page's *canonical text*: a title line, a blank line, then the paragraphs separated by blank lines.
That text is what gets saved, chunked and cited; the page itself is never cited by offset.

It does not fetch URLs, run scripts or read pages that need a browser to render.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from index.errors import BadInputError
from index.reading.dates import parse_date


@dataclass(frozen=True)
class Page:
    text: str  # canonical text: title, blank line, paragraphs
    title: str
    date: str | None
    url: str


def extract_page(html: str, name: str) -> Page:
    """The article in an HTML page; BadInputError when no article text can be found."""
    import trafilatura

    doc = trafilatura.bare_extraction(html, with_metadata=True, include_comments=False, include_images=False)
    meta: dict[str, Any] = {}
    if doc is not None:
        meta = doc if isinstance(doc, dict) else doc.as_dict()
    body = str(meta.get("text") or "")
    paragraphs = [" ".join(p.split()) for p in body.splitlines() if p.strip()]
    title = " ".join(str(meta.get("title") or "").split())
    if paragraphs and title and paragraphs[0] == title:
        paragraphs = paragraphs[1:]  # the page's own headline, kept once as the title line
    if not paragraphs:
        raise BadInputError(f"{name}: no article text found in this HTML page (is it a news article?).")
    date = parse_date(meta.get("date"))
    url = str(meta.get("url") or "")
    head = f"{title}\n\n" if title else ""
    return Page(head + "\n\n".join(paragraphs) + "\n", title, date, url)
