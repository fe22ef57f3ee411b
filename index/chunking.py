"""Split article body text into sentence-aligned chunks with exact character offsets.

A chunk is always `text[start:end]` of the original text: sentences come from NLTK's Punkt
model (shipped inside llama-index-core) as spans, and chunks join whole sentences of one body
segment, so citations can point at the exact passage. Tokens are counted with tiktoken's
cl100k_base (also shipped inside llama-index-core). A sentence longer than the budget is cut at
word boundaries, and a "word" longer than the budget (a run without spaces) at characters.

Every step is linear in the text's length, whatever the text: Punkt only ever sees blocks of at
most `BLOCK_CHARS` characters (a paragraph is cut at its last sentence end, line break or space
before that length), so a 20 MB file without a blank line cannot stall it. It does not overlap
chunks (a fact is cited once) and never crosses a dropped boilerplate span.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Chunk:
    index: int
    start: int
    end: int
    text: str
    tokens: int


def static_dir() -> Path:
    """llama-index-core's folder of offline data (tiktoken and NLTK caches)."""
    import llama_index.core

    return Path(llama_index.core.__file__).parent / "_static"


def use_offline_caches() -> None:
    """Point tiktoken at llama-index-core's cache for the whole process (it would download)."""
    os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(static_dir() / "tiktoken_cache"))


@lru_cache(maxsize=1)
def _encoding() -> Any:
    use_offline_caches()
    import tiktoken

    return tiktoken.get_encoding("cl100k_base")


@lru_cache(maxsize=1)
def _punkt() -> Any:
    import nltk
    from nltk.tokenize.punkt import PunktTokenizer

    cache = str(static_dir() / "nltk_cache")
    if cache not in nltk.data.path:
        nltk.data.path.append(cache)
    return PunktTokenizer("english")


def count_tokens(text: str) -> int:
    return len(_encoding().encode(text, disallowed_special=()))


BLOCK_CHARS = 5000  # Punkt never sees more than this at once (a long news paragraph is ~1,500)
_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n")
_CUT = (re.compile(r"[.!?][\"')\]”’]*\s"), re.compile(r"\n"), re.compile(r"\s"))


def sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence (start, end) offsets inside text[start:end]; paragraph breaks also end a sentence."""
    spans = []
    for lo, hi in _blocks(text, start, end):
        for s, e in _punkt().span_tokenize(text[lo:hi]):
            if text[lo + s : lo + e].strip():
                spans.append((lo + s, lo + e))
    return spans


def _blocks(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Paragraphs of text[start:end], each cut into pieces of at most BLOCK_CHARS characters."""
    out, pos = [], start
    for m in _PARAGRAPH_BREAK.finditer(text, start, end):
        out.extend(_pieces(text, pos, m.start()))
        pos = m.end()
    out.extend(_pieces(text, pos, end))
    return [(s, e) for s, e in out if text[s:e].strip()]


def _pieces(text: str, start: int, end: int) -> list[tuple[int, int]]:
    out = []
    while end - start > BLOCK_CHARS:
        window = text[start + BLOCK_CHARS // 2 : start + BLOCK_CHARS]
        cut = start + BLOCK_CHARS
        for pattern in _CUT:  # the last sentence end, else line break, else space in the window
            found = [m.end() for m in pattern.finditer(window)]
            if found:
                cut = start + BLOCK_CHARS // 2 + found[-1]
                break
        out.append((start, cut))
        start = cut
    out.append((start, end))
    return out


def chunk_article(text: str, segments: tuple[tuple[int, int], ...], max_tokens: int) -> list[Chunk]:
    """Pack whole sentences of each segment into chunks of at most `max_tokens` tokens."""
    pieces: list[list[tuple[int, int, int]]] = []  # per segment: (start, end, tokens) units
    for seg_start, seg_end in segments:
        units = []
        for s, e in sentence_spans(text, seg_start, seg_end):
            units.extend(_fit(text, s, e, max_tokens))
        pieces.append(units)
    chunks: list[Chunk] = []
    for units in pieces:
        for start, end in _pack(units, max_tokens):
            body = text[start:end]
            chunks.append(Chunk(len(chunks), start, end, body, count_tokens(body)))
    return chunks


def _fit(text: str, start: int, end: int, max_tokens: int) -> list[tuple[int, int, int]]:
    """One sentence as one unit, or cut at word boundaries when it is over budget (one pass)."""
    n = count_tokens(text[start:end])
    if n <= max_tokens:
        return [(start, end, n)]
    units: list[tuple[int, int, int]] = []
    lo, hi, used = -1, -1, 0
    for ws, we in _words(text, start, end, max_tokens):
        cost = count_tokens(text[ws:we]) + 1  # +1: the space before it, roughly
        if lo >= 0 and used + cost > max_tokens:
            units.append((lo, hi, count_tokens(text[lo:hi])))
            lo = -1
        if lo < 0:
            lo, used = ws, 0
        hi, used = we, used + cost
    if lo >= 0:
        units.append((lo, hi, count_tokens(text[lo:hi])))
    return units


def _words(text: str, start: int, end: int, max_tokens: int) -> list[tuple[int, int]]:
    """Word spans; a word over budget (no spaces for pages) comes back in character pieces."""
    out = []
    step = max(8, max_tokens // 3)  # a character is at most ~3 tokens, so a piece stays in budget
    for m in re.finditer(r"\S+", text[start:end]):
        ws, we = start + m.start(), start + m.end()
        if we - ws <= step or count_tokens(text[ws:we]) <= max_tokens:
            out.append((ws, we))
        else:
            out.extend((i, min(i + step, we)) for i in range(ws, we, step))
    return out


def _pack(units: list[tuple[int, int, int]], max_tokens: int) -> list[tuple[int, int]]:
    groups: list[list[tuple[int, int, int]]] = []
    for unit in units:
        if groups and sum(u[2] for u in groups[-1]) + unit[2] <= max_tokens:
            groups[-1].append(unit)
        else:
            groups.append([unit])
    # a short tail chunk retrieves badly: fold it into the one before when that stays near budget
    tail = sum(u[2] for u in groups[-1]) if groups else 0
    if (
        len(groups) > 1
        and tail < max_tokens // 4
        and tail + sum(u[2] for u in groups[-2]) <= max_tokens * 1.3
    ):
        groups[-2].extend(groups.pop())
    return [(g[0][0], g[-1][1]) for g in groups]
