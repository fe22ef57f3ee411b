"""Evidence: what a question asks for, and the sentence windows of the passages that may answer it.

`read_question` finds the question's names (the entities a passage must be about), the kind of
answer it wants (a number, a date, a place, a name) and its content words weighted by rarity in
the indexed archive. `rank` scores every window of one or two adjacent sentences of the retrieved
passages:
- coverage: the rarity-weighted share of the question's words in the window or its headline;
- about: every name of the question is mentioned by the window, or by its passage or headline
  while the window names nobody else (a figure in a sentence about another company is no answer);
  whoever the figure is attributed to ("according to Acme's chairman") by its article;
- typed: the window offers the kind of answer asked for, something the question does not contain;
- dense: embedding similarity of window and question (for the best few only).

It decides nothing (see `answerable`) and never rewrites text.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from index.articles import read_text
from index.errors import QAError
from index.settings import TrustSettings
from qa import text as nlp
from qa.guard import flagged
from qa.stages.question import PLACE, Question, fits, typed
from qa.stages.retrieve import Passage

Embed = Callable[[list[str]], np.ndarray]
COMPANY = frozenset({"ORG", "PROPN", "PERSON"})  # the recogniser often calls a company a person
_KIN = {
    "ORG": COMPANY,
    "PROPN": COMPANY,
    "PERSON": COMPANY,
    "GPE": PLACE,
    "LOC": PLACE,
    "FAC": PLACE,
}
FIGURES = frozenset({"number", "money", "percent"})  # kinds of answer that are someone's figure
ANSWER_LABELS = {"place": PLACE, "name": COMPANY, "person": COMPANY}


@dataclass(frozen=True)
class Window:
    passage: int  # index into the passages
    start: int  # offsets into the passage text
    end: int
    span: nlp.Span
    coverage: float
    about: bool
    typed: bool
    fit: bool = False  # a number followed by the very noun asked about
    ask: float = 0.0  # coverage of what is asked about the names (their own words left out)
    missing: tuple[str, ...] = ()  # words of what is asked that neither window nor headline has
    missing_share: float = 0.0  # their share of the weight of what is asked
    # the article is not older than the years the question asks about, and the window dates what it
    # says by them or by no year at all
    timely: bool = True
    dense: float = 0.0
    score: float = 0.0


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
    years = _years(question.span)
    parts, whole_year = nlp.parts_of_year(question.span), asks_whole_year(question.span)
    places = nlp.ordinals(question.span)
    # what the retrieved passages of each article say between them
    told: dict[str, frozenset[str]] = {}
    for p, a in zip(passages, analyses):
        told[p.doc_id] = told.get(p.doc_id, frozenset()) | a.whole.lemmas
    for i, (p, a) in enumerate(zip(passages, analyses)):
        title = nlp.words_of(p.title)
        named = title | article_words(p)  # where the question's names may be
        timely = _timely(years, p, named)
        # whoever the question attributes the figure to ("according to Acme's chairman") is named by
        # the article, if not by the answer's very sentence
        sourced = all(nlp.mentions(n, a.whole, named) for n in question.sources)
        for s, e in windows(p, a):
            span = a.span(s, e)
            dated = (
                timely
                and in_period(years, p, span)
                and in_month(question.span.months, p, span, a.whole)
                and in_part(parts, whole_year, span)
            )
            sentences = [a.span(x, y) for x, y in a.sentences if s <= x and y <= e]
            oks = [about(question, sentence, a.whole, named) for sentence in sentences]
            typed_ = any(
                ok and typed(question, sentence) and coverage(question, sentence) > 0
                for ok, sentence in zip(oks, sentences)
            )  # the answer sits in a sentence that is itself about the question
            fit = fits(question, span)
            cover = coverage(question, span, title, a.whole)
            ask = _share(question.ask, span.lemmas | title, a.whole.lemmas)
            # a number followed by the very noun asked about may lean on its passage for the rest, and
            # the words that only say whom a figure is attributed to on what its article says
            have = span.lemmas | title | (a.whole.lemmas if fit else frozenset())
            missing = tuple(
                w
                for w in question.ask
                if not _has(w, have) and not (w in question.attributed and _has(w, told[p.doc_id]))
            )
            share = sum(question.ask[w] for w in missing) / (sum(question.ask.values()) or 1.0)
            if places and (said := nlp.ordinals(span)) and not places & said:
                share = 1.0  # another position than the one asked about: "the first" for "the second"
            # a figure of someone else beside a sentence about the question makes the window no answer
            tainted = question.kind in FIGURES and any(
                not ok and typed(question, x) for ok, x in zip(oks, sentences)
            )
            about_ = any(oks) and not tainted and sourced
            found.append(Window(i, s, e, span, cover, about_, typed_, fit, ask, missing, share, dated))
    found.sort(key=lambda w: -_score(w, 0.0, trust))
    top = found[:dense_top]
    if top:
        vectors = embed([question.text] + [w.span.text for w in top])
        top = [_with_dense(w, float(vectors[j + 1] @ vectors[0]), trust) for j, w in enumerate(top)]
    rest = [_with_dense(w, 0.0, trust) for w in found[dense_top:]]
    return sorted(top + rest, key=lambda w: -w.score)


def _year(p: Passage) -> int | None:
    """The year of the article's date line, when it has one."""
    return int(p.date[:4]) if p.date and p.date[:4].isdigit() else None


def _timely(years: set[int], p: Passage, named: frozenset[str]) -> bool:
    """An article dated 1987 cannot report what happened in 1988 unless it names 1988 (a forecast)."""
    dated = _year(p)
    return dated is None or all(y <= dated or str(y) in named for y in years)


def in_period(years: set[int], p: Passage, span: nlp.Span) -> bool:
    """A window that dates what it says only by other years than a year the question asks about
    (one that is not the article's own: that is when it was reported) speaks of another period:
    "exported 12 mln tonnes in 1986" is no answer for 1985, nor is "a deficit of 9 billion crowns
    last year" for a year after it, nor "shipped 3 mln tonnes in the last five years" for one year.
    A window that names no year may be of any."""
    dated = _year(p)
    if dated is None or not (asked := years - {dated}):  # most questions name only the article's year
        return True
    said = nlp.years_named(span, dated)
    if not said:  # "in the last five years" is of several years, not of one asked about
        return not nlp.several_years(span)
    return bool(asked & said)


def _years(span: nlp.Span) -> set[int]:
    return {int(v) for v in span.values if 1800 <= v <= 2100 and v == int(v)}


def asks_whole_year(question: nlp.Span) -> bool:
    """A year written alone asks of that whole year ("net income for 1987"); after a month ("said in
    March 1987") it says when."""
    return bool(_years(question) - nlp.years_of_months(question))


def in_part(parts: set[str], whole_year: bool, span: nlp.Span) -> bool:
    """A window that dates what it says by a part of a year speaks of another period than a question
    about a whole year ("net income for 1987": "first-quarter net income of 12 mln") or about
    another part of it (the first quarter: "fourth-quarter net")."""
    if not parts and not whole_year:  # most questions: nothing to read in the window
        return True
    said = nlp.parts_of_year(span)
    if not said:
        return True
    if not parts:
        return not whole_year
    asked, told = {x for x in parts if " " in x}, {x for x in said if " " in x}
    return not (asked and told) or bool(asked & told)


def in_month(months: frozenset[str], p: Passage, span: nlp.Span, passage: nlp.Span | None = None) -> bool:
    """A window that dates what it says only by other months than the one the question asks about
    speaks of another period: "production rose to 389,900 in February" is no answer for August,
    nor is the next sentence of that passage, which names no month ("Truck output fell to 11,500").
    Unless the asked month is the article's own (when it was reported: a story of March may give
    February's figure for "in March"); a window in a passage that names no month may be of any."""
    said = span.months or (passage.months if passage is not None else frozenset())
    if not months or not said or months & said:
        return True
    dated = p.date or ""
    return dated[5:7].isdigit() and nlp.MONTH_ORDER[int(dated[5:7]) - 1] in months


def article_words(p: Passage) -> frozenset[str]:
    """The words of the passage's whole article written as names are (capitalised, digits): a name
    its lead gave in full is still named there."""
    return _article_words(p.path, p.doc_id)


@lru_cache(maxsize=4096)
def _article_words(path: str, doc_id: str) -> frozenset[str]:
    try:
        return nlp.words_of(read_text(path), names_only=True)
    except (OSError, QAError):
        return frozenset()


def _score(w: Window, dense: float, trust: TrustSettings) -> float:
    length = (w.end - w.start) / 4000  # of two equally good windows, the shorter
    bonus = trust.rank_typed * w.typed + trust.rank_about * w.about + trust.rank_fit * w.fit
    return w.coverage + trust.rank_dense * dense + bonus - length


def _with_dense(w: Window, dense: float, trust: TrustSettings) -> Window:
    return dataclasses.replace(w, dense=dense, score=_score(w, dense, trust))


def coverage(
    question: Question, span: nlp.Span, title: frozenset[str] = frozenset(), passage: nlp.Span | None = None
) -> float:
    """Rarity-weighted share of the question's words in the span or headline; a word found only
    elsewhere in the passage counts half (context the window leans on)."""
    return _share(question.weights, span.lemmas | title, passage.lemmas if passage else frozenset())


def _has(lemma: str, words: frozenset[str]) -> bool:
    """The word, or one of its family ("explode" / "explosion": the same first five letters)."""
    if lemma in words:
        return True
    return len(lemma) >= 6 and any(len(w) >= 6 and w[:5] == lemma[:5] for w in words)


def _share(weights: dict[str, float], have: frozenset[str], near: frozenset[str]) -> float:
    total = sum(weights.values())
    if not total:
        return 0.0
    return (
        sum(w if lemma in have else w / 2 if lemma in near else 0.0 for lemma, w in weights.items()) / total
    )


def about(question: Question, sentence: nlp.Span, passage: nlp.Span, title: frozenset[str]) -> bool:
    """Whether a sentence is about the question's names: it mentions them all, or it names nobody
    else of their kind and its passage or article mentions them (a figure in a sentence about another
    company is no answer). Names of the kind asked for ("which town") are answers, not rivals."""
    if not about_context(question, sentence, passage, title):
        return False
    if not all(_owner_named(question, o, sentence, passage) for o in question.owners):
        return False
    return _about(question, question.subjects, all, question.span.words, sentence, passage, title)


def _owner_named(question: Question, owner: nlp.Entity, sentence: nlp.Span, passage: nlp.Span) -> bool:
    """The owner of what is asked is named by the sentence, or the sentence names no other company
    (the question's other names included: in an article on B Bancorp merging with C Bancorp, "C
    Bancorp has assets of 257 mln dlrs" gives C's assets, not B's) and speaks of nothing the
    question's other names own ("sales for the division" when asked about the division's buyer)."""
    if nlp.mentions_as_itself(owner, sentence) or nlp.mentions_short(owner, sentence, passage):
        return True
    if question.theirs & sentence.lemmas:  # "sales for the division were …": the division's
        return False
    rivals = COMPANY - ANSWER_LABELS.get(question.kind or "", frozenset())
    return not _others(sentence, rivals, lambda n: nlp.one_name(n.words, owner.words))


def about_context(question: Question, sentence: nlp.Span, *around: nlp.Span | frozenset[str]) -> bool:
    """For a follow-up that names nobody ("What were its revenues?"): the sentence names one of the
    conversation's names, or names nobody else of their kind while its passage or article names one.
    Whichever of them "its" means, the answer is about someone the conversation named."""
    names = question.context_names
    if not names:
        return True
    known = question.span.words.union(*(n.words for n in names))
    return _about(question, names, any, known, sentence, *around)


def _about(
    question: Question,
    names: tuple[nlp.Entity, ...],
    need: Callable[[Iterable[bool]], bool],
    known: frozenset[str],
    sentence: nlp.Span,
    *around: nlp.Span | frozenset[str],
) -> bool:
    """`need` (all, any) of the names mentioned by the sentence; or, when the sentence names no rival
    of theirs (a name of another kind, or in `known`, is none), by the sentence with `around`."""
    said = [nlp.mentions(n, sentence) or nlp.mentions_short(n, sentence, *around) for n in names]
    if need(said):
        return True
    # a rival stands where an unnamed name would: a person beside the person asked about is none
    unsaid = [n for n, s in zip(names, said) if not s]
    rivals = rival_labels(unsaid) - ANSWER_LABELS.get(question.kind or "", frozenset())
    if conflicting(sentence, known | {nlp.initials(n) for n in names}, rivals):
        return False
    return need(nlp.mentions(n, sentence, *around) for n in names)


def rival_labels(names: Iterable[nlp.Entity]) -> frozenset[str]:
    """The labels of names that could stand where these names stand (a company for a company)."""
    return frozenset(label for n in names for label in _KIN.get(n.label, {n.label}))


def conflicting(span: nlp.Span, words: frozenset[str], labels: frozenset[str]) -> list[nlp.Entity]:
    """Names in the span with one of these labels that share no word with `words`: someone else the
    span may be about (not whoever was told it)."""

    def same(n: nlp.Entity) -> bool:  # shares a word, or is written in full where `words` has its initials
        return bool(n.words & words) or bool(letters := nlp.initials(n)) and letters in words

    return _others(span, labels, same)


def _others(span: nlp.Span, labels: frozenset[str], same: Callable[[nlp.Entity], bool]) -> list[nlp.Entity]:
    """Names in the span with one of these labels that are not `same`, hold no digits ("Local 40")
    and were not only told something."""
    return [
        n
        for n in nlp.names(span)
        if n.label in labels
        and not same(n)
        and not any(c.isdigit() for c in n.text)
        and not nlp.addressed(n, span.analysis)
    ]
