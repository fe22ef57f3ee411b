"""The `extractive` backend: answer with the best supporting sentences, verbatim.

Candidates are windows of one or two consecutive sentences of the retrieved passages (two, so
"He believes…" keeps the sentence that says who "he" is). A window scores by IDF-weighted
coverage of the question's words, plus embedding similarity, minus a penalty when it lacks the
kind of answer the question asks for (a number, a date, a name). Below the coverage floor, or
without the right kind of answer, nothing is returned and the engine refuses.

It never paraphrases and never joins facts from two articles into one sentence.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from qa import citations as cit
from qa import relevance as rel
from qa.retrieve import Passage

MIN_COVERAGE = 0.35  # of the question's weighted words, inside the chosen window
MAX_CANDIDATES = 16  # windows embedded per question (the rest lose on coverage anyway)


@dataclass(frozen=True)
class Pick:
    passage: int  # index into the passages
    start: int  # offsets into the passage text
    end: int
    score: float


def windows(text: str) -> list[tuple[int, int]]:
    masked = cit.instruction_spans(text)
    spans = [sp for sp in cit.sentence_spans(text, 0, len(text)) if sp not in masked]
    out = []
    for i, (s, e) in enumerate(spans):
        out.append((s, e))
        if i + 1 < len(spans) and spans[i + 1][0] - e < 4:  # adjacent sentences only
            out.append((s, spans[i + 1][1]))
    return out


def pick(
    question: str,
    focus: str,
    passages: list[Passage],
    terms: rel.Terms,
    embed: Callable[[list[str]], np.ndarray],
) -> list[Pick]:
    """Best one or two windows, or [] when none answers the question.

    `question` is the standalone question (for similarity); `focus` is the user's own wording,
    whose words must be covered (a follow-up's context words are not the point)."""
    kind = rel.answer_type(focus)
    cands = [(i, s, e) for i, p in enumerate(passages) for s, e in windows(p.text)]
    texts = [passages[i].text[s:e] for i, s, e in cands]
    cover = [_coverage(question, focus, t, terms) for t in texts]
    order = sorted(range(len(cands)), key=lambda j: -cover[j])[:MAX_CANDIDATES]
    if not order or cover[order[0]] < MIN_COVERAGE:
        return []
    vectors = embed([question] + [texts[j] for j in order])
    scored = []
    for rank, j in enumerate(order):
        typed = _typed(kind, focus, texts[j], terms)
        length = len(texts[j]) / 5000  # prefer the shorter of two equally good windows
        reason = 0.1 if kind == "reason" and rel.gives_reason(texts[j]) else 0.0
        score = (
            cover[j] + 0.3 * float(vectors[rank + 1] @ vectors[0]) - (0 if typed else 0.3) - length + reason
        )
        scored.append((score, typed, j))
    scored.sort(reverse=True)
    best_score, typed, best = scored[0]
    if not typed or cover[best] < MIN_COVERAGE:
        return []
    picks = [Pick(cands[best][0], cands[best][1], cands[best][2], best_score)]
    for score, ok, j in scored[1:]:
        if ok and score >= 0.9 * best_score and cands[j][0] != cands[best][0] and _new(texts[j], texts[best]):
            picks.append(Pick(cands[j][0], cands[j][1], cands[j][2], score))
            break
    return picks


def _typed(kind: str | None, focus: str, text: str, terms: rel.Terms) -> bool:
    """The answer kind must sit in a sentence that is itself about the question, not in a
    neighbour that only came along in the window."""
    return any(
        rel.has_answer_type(kind, focus, text[s:e]) and rel.coverage(focus, text[s:e], terms) > 0
        for s, e in cit.sentence_spans(text, 0, len(text))
    )


def _coverage(question: str, focus: str, text: str, terms: rel.Terms) -> float:
    """Coverage of the user's own words, blended with the standalone question's for follow-ups."""
    whole = rel.coverage(question, text, terms, skip_type_words=True)
    if question == focus:
        return whole
    if not terms.known(cit.content_words(focus)):  # "Which organisation gave that figure?"
        return rel.coverage(question, text, terms, skip_type_words=True, known_only=True)
    return 0.6 * rel.coverage(focus, text, terms, skip_type_words=True) + 0.4 * whole


def _new(text: str, other: str) -> bool:
    """Not a restatement of the other window (same story told twice)."""
    a, b = cit.content_words(text), cit.content_words(other)
    return len(a & b) / max(1, min(len(a), len(b))) < 0.5
