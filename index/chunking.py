"""Split article body text into sentence-aligned chunks with exact character offsets.

A chunk is always `text[start:end]` of the original text: sentences come from NLTK's Punkt
model (shipped inside llama-index-core) as spans, and chunks join whole sentences of one body
segment, so citations can point at the exact passage. Tokens are counted with tiktoken's
cl100k_base (also shipped inside llama-index-core). A sentence longer than the budget is cut at
word boundaries. It does not overlap chunks (a fact is cited once) and never crosses a dropped
boilerplate span.
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


def sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence (start, end) offsets inside text[start:end]; paragraph breaks also end a sentence."""
    spans = []
    for para in re.finditer(r"\S(?:.*?\S)?(?=\s*(?:\n\s*\n|\Z))", text[start:end], re.S):
        base = start + para.start()
        for s, e in _punkt().span_tokenize(para.group(0)):
            spans.append((base + s, base + e))
    return spans


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
    """One sentence as one unit, or cut at word boundaries when it is over budget."""
    n = count_tokens(text[start:end])
    if n <= max_tokens:
        return [(start, end, n)]
    units, cur = [], start
    words = [m.end() for m in re.finditer(r"\S+", text[start:end])]
    while cur < end:
        lo = cur
        for w_end in words:
            if start + w_end <= cur:
                continue
            if count_tokens(text[lo : start + w_end]) > max_tokens and cur > lo:
                break
            cur = start + w_end
        units.append((lo, cur, count_tokens(text[lo:cur])))
        while cur < end and text[cur].isspace():
            cur += 1
    return units


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
