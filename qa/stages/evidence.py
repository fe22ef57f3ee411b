"""Evidence: what a question asks for, and the sentence windows of the passages that may answer it.

`read_question` finds the question's names (the entities a passage must be about), the kind of
answer it wants (a number, a date, a place, a name) and its content words weighted by rarity in
the indexed archive. `rank` scores every window of one or two adjacent sentences of the retrieved
passages:
- coverage: the rarity-weighted share of the question's words in the window or its headline;
- about: every name of the question is mentioned by the window, or by its passage or headline
  while the window names nobody else (a figure in a sentence about another company is no answer);
- typed: the window offers the kind of answer asked for, something the question does not contain;
- dense: embedding similarity of window and question (for the best few only).

It decides nothing (see `answerable`) and never rewrites text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from index.settings import TrustSettings
from qa import text as nlp
from qa.stages.guard import flagged
from qa.stages.retrieve import Passage

Embed = Callable[[list[str]], np.ndarray]
PERSON_OR_ORG = frozenset({"PERSON", "ORG", "NORP"})
PLACE = frozenset({"GPE", "LOC", "FAC"})
# nouns that name a quantity: "What was Foo's fourth-quarter loss?" asks for a number
MEASURES = (
    "loss|losses|profit|profits|income|earnings|revenue|revenues|sales|turnover|price|cost|costs|value|rate|"
    "stake|amount|total|dividend|deficit|surplus|output|production|debt|growth|inflation|unemployment|"
    "budget|volume|capacity|yield|margin|premium|tax|fee|salary|wage|wages|shortfall|gain|gains|reserves|"
    "population|number|size|level|share|percentage|proportion"
)
_KIND_PATTERNS = (  # the question words of English, in order of precedence
    ("reason", r"^\s*why\b|\bfor what reason\b"),
    ("date", r"\bwhen\b|\b(what|which) (date|day|month|year|time|week)\b|\bby what date\b"),
    ("number", r"\bhow (many|much|far|long|big|large|high|low|often)\b|\bwhat (price|amount|percentage|"
     r"proportion|share|stake|rate|number|figure|total|value|level|sum|cost|size|volume)\b|"
     rf"^\s*what (was|is|were|are|will be)\b.*\b({MEASURES})\b"),
    ("place", r"\bwhere\b|\b(which|what|in which) (city|country|state|town|port|region|province|place)\b"),
    ("name", r"^\s*(who|whom|whose)\b|\bwho\b|\bwhich\b"),
)  # fmt: skip
STOP_QUESTION = frozenset({"what", "which", "who", "whom", "whose", "when", "where", "why", "how"})


@dataclass(frozen=True)
class Question:
    text: str
    span: nlp.Span
    names: tuple[nlp.Entity, ...]  # what the answer must be about
    kind: str | None  # number | date | place | name | reason | None
    weights: dict[str, float]  # content lemma -> rarity weight (IDF)


@dataclass(frozen=True)
class Terms:
    """Document frequencies of the indexed chunks' words, and how many chunks there are."""

    counts: dict[str, int]
    n_docs: int

    def idf(self, word: str) -> float:
        return max(0.1, math.log((self.n_docs + 1) / (self.counts.get(word, 0) + 0.5)))


@dataclass(frozen=True)
class Window:
    passage: int  # index into the passages
    start: int  # offsets into the passage text
    end: int
    span: nlp.Span
    coverage: float
    about: bool
    typed: bool
    dense: float = 0.0
    score: float = 0.0


def read_question(question: str, terms: Terms) -> Question:
    span = nlp.analyse(question).whole
    kind = next((k for k, pattern in _KIND_PATTERNS if re.search(pattern, question, re.I)), None)
    asked = _asked_noun(question)
    weights: dict[str, float] = {}
    for t in span.tokens():
        if t.content and t.lower not in STOP_QUESTION and t.lemma not in asked:
            weights[t.lemma] = max(terms.idf(t.lower), terms.idf(t.lemma))
    return Question(question, span, tuple(nlp.names(span)), kind, weights)


def _asked_noun(question: str) -> set[str]:
    """The noun that only names the kind of answer ("which company", "what price")."""
    m = re.search(r"\b(?:which|what|how)\s+(\w+)", question, re.I)
    return {m.group(1).lower()} if m else set()


def windows(passage: Passage, analysis: nlp.Analysis) -> list[tuple[int, int]]:
    """One sentence, or two adjacent ones, never text flagged as addressed to a model."""
    bad = flagged(passage.text, analysis)
    spans = [s for s in analysis.sentences if not any(s[0] < e and b < s[1] for b, e in bad)]
    out = []
    for i, (s, e) in enumerate(spans):
        out.append((s, e))
        if i + 1 < len(spans) and spans[i + 1][0] - e < 8:
            out.append((s, spans[i + 1][1]))
    return out


def rank(
    question: Question, passages: list[Passage], embed: Embed, trust: TrustSettings, dense_top: int = 8
) -> list[Window]:
    """Every window of the passages, best first."""
    analyses = nlp.analyse_many([p.text for p in passages])
    found = []
    for i, (p, a) in enumerate(zip(passages, analyses)):
        title = nlp.words_of(p.title)
        for s, e in windows(p, a):
            span = a.span(s, e)
            sentences = [a.span(x, y) for x, y in a.sentences if s <= x and y <= e]
            fits = [about(question, sentence, a.whole, title) for sentence in sentences]
            typed_ = any(
                ok and typed(question, sentence) and coverage(question, sentence) > 0
                for ok, sentence in zip(fits, sentences)
            )  # the answer sits in a sentence that is itself about the question
            found.append(Window(i, s, e, span, coverage(question, span, title), any(fits), typed_))
    found.sort(key=lambda w: -_score(w, 0.0, trust))
    top = found[:dense_top]
    if top:
        vectors = embed([question.text] + [w.span.text for w in top])
        top = [_with_dense(w, float(vectors[j + 1] @ vectors[0]), trust) for j, w in enumerate(top)]
    rest = [_with_dense(w, 0.0, trust) for w in found[dense_top:]]
    return sorted(top + rest, key=lambda w: -w.score)


def _score(w: Window, dense: float, trust: TrustSettings) -> float:
    length = (w.end - w.start) / 4000  # of two equally good windows, the shorter
    return (
        w.coverage
        + trust.rank_dense * dense
        + trust.rank_typed * w.typed
        + trust.rank_about * w.about
        - length
    )


def _with_dense(w: Window, dense: float, trust: TrustSettings) -> Window:
    return Window(
        w.passage, w.start, w.end, w.span, w.coverage, w.about, w.typed, dense, _score(w, dense, trust)
    )


def coverage(question: Question, span: nlp.Span, title: frozenset[str] = frozenset()) -> float:
    total = sum(question.weights.values())
    if not total:
        return 0.0
    have = span.lemmas | title
    return sum(w for lemma, w in question.weights.items() if lemma in have) / total


def about(question: Question, sentence: nlp.Span, passage: nlp.Span, title: frozenset[str]) -> bool:
    """Whether a sentence is about the question's names: it mentions them all, or it names nobody
    else and its passage or headline mentions them (a figure in a sentence about another company
    is no answer)."""
    if all(nlp.mentions(n, sentence) for n in question.names):
        return True
    persons = any(n.label == "PERSON" for n in question.names)
    if conflicting(sentence, question.span.words, persons):
        return False
    return all(nlp.mentions(n, sentence, passage, title) for n in question.names)


def conflicting(span: nlp.Span, words: frozenset[str], persons: bool = False) -> list[nlp.Entity]:
    """Names in the span that share no word with `words`: someone else the span may be about.
    People count only when `persons` (a quoted official is not whom a company's figure belongs to)."""
    return [
        n
        for n in nlp.names(span)
        if not n.words & words
        and (persons or n.label != "PERSON")
        and n.label not in {"DATE", "CARDINAL"}
        and not any(c.isdigit() for c in n.text)
    ]


def typed(question: Question, span: nlp.Span) -> bool:
    """The window offers the kind of answer asked for, beyond what the question already says."""
    q = question.span
    match question.kind:
        case "number":
            return any(not n.ordinal and n.values - q.values for n in span.numbers())
        case "date":
            years = {v for v in span.values if 1900 <= v <= 2100}
            dates = [e for e in span.entities(frozenset({"DATE"})) if not e.words <= q.words]
            return bool(span.months - q.months or years - q.values or dates)
        case "place":
            return _new_name(span, q, PLACE)
        case "name":
            return _new_name(span, q, nlp.NAME_LABELS)
        case _:
            return True


def _new_name(span: nlp.Span, q: nlp.Span, labels: frozenset[str]) -> bool:
    if any(not e.words <= q.words for e in span.entities(labels)):
        return True
    return any(t.propn and t.lower not in q.words and t.lemma not in nlp.MONTH_NAMES for t in span.tokens())
