"""Notes an answer owes its reader about its sources.

- Same story: when one claim cites two reports of one story (one cluster), say they are not
  independent confirmation.
- Disagreement: when another report of the same story states a cited claim with a different
  number, a name spelled differently, or another quantity word before a number ("over" / "nearly"),
  say so and cite both; when the reports carry different dates, name the dates and which is later.

Only reports of the same story are compared: two different stories on one topic (a bid and a
rival bid) are expected to differ. It compares wording; it does not decide which report is right.
"""

from __future__ import annotations

from collections.abc import Callable

from qa import text as nlp
from qa.contract import Citation
from qa.stages.draft import markers
from qa.stages.retrieve import Passage
from qa.stages.verify import coverage

QUALIFIERS = frozenset(
    "over nearly about almost around roughly approximately more less fewer least most up under some "
    "below above just".split()
)
MIN_SAME_CLAIM = 0.4  # share of a quote's words another report's sentence must hold to be the same claim

Cite = Callable[[Passage, int, int, bool], int]


def same_story(sentences: list[str], citations: list[Citation]) -> list[str]:
    notes = []
    by_n = {c.n: c for c in citations}
    for sentence in sentences:
        ns = sorted(set(markers(sentence)) & set(by_n))
        for a in ns:
            for b in ns:
                ca, cb = by_n[a], by_n[b]
                if a < b and ca.cluster == cb.cluster and ca.doc_id != cb.doc_id:
                    notes.append(
                        f"[{a}] and [{b}] are two reports of the same story, not independent sources."
                    )
    return list(dict.fromkeys(notes))


def disagreements(citations: list[Citation], passages: list[Passage], cite: Cite) -> list[str]:
    """Compare each cited quote with the same claim in the other reports of its story."""
    notes = []
    for c in list(citations):
        claim = nlp.analyse(c.quote).whole
        for p in passages:
            if p.cluster != c.cluster or p.doc_id == c.doc_id:
                continue
            found = _same_claim(claim, p)
            if found is None:
                continue
            start, end, other = found
            diffs = differences(claim, other)
            if diffs:
                mine, theirs = diffs[0]
                notes.append(_note(c, cite(p, start, end, True), p, mine, theirs))
    return list(dict.fromkeys(notes))


def _same_claim(claim: nlp.Span, passage: Passage) -> tuple[int, int, nlp.Span] | None:
    analysis = nlp.analyse(passage.text)
    scored = [(coverage(claim, analysis.span(s, e).lemmas), s, e) for s, e in analysis.sentences]
    if not scored:
        return None
    score, s, e = max(scored)
    return (s, e, analysis.span(s, e)) if score >= MIN_SAME_CLAIM else None


def _note(c: Citation, n: int, p: Passage, mine: str, theirs: str) -> str:
    if not c.date or not p.date or c.date == p.date:
        same = "(two reports of one story)"
        return f'Sources differ: [{c.n}] says "{mine}" where [{n}] says "{theirs}" {same}.'
    later = n if p.date > c.date else c.n
    return (
        f'Sources differ: [{c.n}] ({c.date}) says "{mine}" where [{n}] ({p.date}) says "{theirs}"; '
        f"[{later}] is the later report of the same story."
    )


def differences(a: nlp.Span, b: nlp.Span) -> list[tuple[str, str]]:
    """Pairs of differing numbers, close-spelled names or quantity words between two versions."""
    pairs = []
    ta, tb = a.analysis.text, b.analysis.text
    only_a = [n for n in a.numbers() if not n.values & b.values]
    only_b = [n for n in b.numbers() if not n.values & a.values]
    if only_a and only_b:
        pairs.append((ta[only_a[0].start : only_a[0].end], tb[only_b[0].start : only_b[0].end]))
    qa_, qb = _qualifiers(a), _qualifiers(b)
    if qa_ and qb and qa_ != qb:
        pairs.append((sorted(qa_ - qb or qa_)[0], sorted(qb - qa_ or qb)[0]))
    for x in nlp.names(a):
        for y in nlp.names(b):
            if _close(x.text, y.text):
                pairs.append((x.text, y.text))
    return pairs


def _qualifiers(span: nlp.Span) -> set[str]:
    tokens = [t for t in span.tokens() if not t.lower.isspace()]
    return {t.lower for t, nxt in zip(tokens, tokens[1:]) if t.lower in QUALIFIERS and nxt.value is not None}


def _close(x: str, y: str) -> bool:
    """Names one or two letters apart (Li / Le), not unrelated words or the same name."""
    x, y = x.lower(), y.lower()
    if abs(len(x) - len(y)) > 1 or x == y or x[0] != y[0] and x[-1] != y[-1]:
        return False
    diff = sum(1 for p, q in zip(x, y) if p != q) + abs(len(x) - len(y))
    return 0 < diff <= max(1, min(len(x), len(y)) // 4)
