"""Notes an answer owes its reader about its sources.

- Same story: when one claim cites two articles that are near-duplicates (one cluster), say they
  are two reports of one story, not independent confirmation.
- Disagreement: when a same-story article words a cited claim differently on a name (Li / Le
  Kyar Win), a number, or a quantity word before a number ("over" / "nearly" 335,000), say so
  and cite both.

It compares wording only; it does not decide which source is right.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from qa import citations as cit
from qa.contract import Citation
from qa.retrieve import Passage

_QUALIFIERS = {
    "over",
    "nearly",
    "about",
    "almost",
    "around",
    "roughly",
    "approximately",
    "more",
    "less",
    "fewer",
    "least",
    "most",
    "than",
    "up",
    "under",
    "some",
}

Cite = Callable[[Passage, int, int, bool], int]


def same_story(sentences: list[str], citations: list[Citation]) -> list[str]:
    notes = []
    by_n = {c.n: c for c in citations}
    for sentence in sentences:
        ns = sorted(set(cit.markers(sentence)) & set(by_n))
        for a in ns:
            for b in ns:
                ca, cb = by_n[a], by_n[b]
                if a < b and ca.cluster == cb.cluster and ca.doc_id != cb.doc_id:
                    notes.append(
                        f"[{a}] and [{b}] are two reports of the same story, not independent sources."
                    )
    return list(dict.fromkeys(notes))


def disagreements(citations: list[Citation], passages: list[Passage], cite: Cite) -> list[str]:
    """Compare each cited quote with the same claim in other articles of its cluster."""
    notes = []
    for c in list(citations):
        for p in passages:
            if p.cluster != c.cluster or p.doc_id == c.doc_id:
                continue
            s, e, score = cit.best_quote(c.quote, p.text)
            diffs = differences(c.quote, p.text[s:e]) if score >= 0.4 else []
            if diffs:
                m = cite(p, s, e, True)
                mine, theirs = diffs[0]
                notes.append(
                    f'Sources differ: [{c.n}] says "{mine}" where [{m}] says "{theirs}" '
                    "(two reports of the same story)."
                )
    return list(dict.fromkeys(notes))


def differences(a: str, b: str) -> list[tuple[str, str]]:
    """Pairs of differing names, numbers or quantity words between two versions of one claim."""
    ka, kb = _keys(a), _keys(b)
    only_a, only_b = [w for w in ka if w not in kb], [w for w in kb if w not in ka]
    pairs = []
    for x in only_a:
        for y in only_b:
            both_qualifiers = x.lower() in _QUALIFIERS and y.lower() in _QUALIFIERS
            similar_names = x[0].isupper() and y[0].isupper() and _close(x, y)
            both_numbers = x[0].isdigit() and y[0].isdigit()
            if both_qualifiers or similar_names or both_numbers:
                pairs.append((x, y))
    return pairs


def _keys(text: str) -> list[str]:
    """Names (capitalised words), numbers, and quantity words right before a number."""
    words = re.findall(r"\d[\d,.]*\d|\d|[^\W\d_]+", text)
    stop = cit.stopwords()
    keys = []
    for i, w in enumerate(words):
        near_number = any(x[0].isdigit() for x in words[i + 1 : i + 3])
        is_name = w[0].isupper() and w.lower() not in stop
        if w[0].isdigit() or is_name or (w.lower() in _QUALIFIERS and near_number):
            keys.append(w)
    return keys


def _close(x: str, y: str) -> bool:
    """Names one or two letters apart (Li / Le), not unrelated words."""
    if abs(len(x) - len(y)) > 1 or x.lower() == y.lower():
        return False
    diff = sum(1 for p, q in zip(x.lower(), y.lower()) if p != q) + abs(len(x) - len(y))
    return 0 < diff <= max(1, min(len(x), len(y)) // 3)
