"""The one support policy: is this sentence backed by this quote of this article?

A drafted sentence (a model's, or a quoted window's) is supported by a quote only if
- every number it states shares a value with a number of the quote, the headline or the date line
  ("4.5 million" is "4.5 mln"; "$4,500,000" is "4.5 mln dlrs"; "1986" is "last year" in a story
  dated 1987), and every month it names is there too; a year, month or day the question itself
  states ("in the fourth quarter of 1986") is its premise, which the quote need not repeat while it
  dates what it says by no other and its article is of that date or the year after;
- every name it states (person, company, place…) is mentioned by the quote, or by its passage or
  headline while the quote names nobody else: a figure from a sentence about another company does
  not support a sentence about this one. Only a name the question itself asks about or writes may
  be found anywhere in the article (the answer restating its subject), and so may the title or
  employer written before a person the quote names ("Acme's Jan Brenna"); any other name is a claim;
- every figure it states comes from a sentence of the quote that names the companies and people
  the sentence names, or names none (a two-sentence quote may give one company's figure beside a
  sentence about the other);
- enough of its content words are in the quote or headline (`support_coverage`), or somewhat fewer
  (`support_coverage_low`) with an embedding similarity of at least `support_cosine`; the words it
  only repeats from the question are left out of that count (restating the question supports
  nothing: "X cut its plan because it was unprofitable" is checked on "unprofitable"). A sentence
  that adds only figures or dates to the question's words ("X was founded in 1972") needs
  `support_coverage_low` of them and no similarity: its claim is the figure, found above, and the
  words are the question's, which the article may put its own way ("since its founding in 1972");
- the quote holds no text flagged by `guard`.
`about_question` is the other half: the article an answer cites must mention the question's own
names. Every backend uses these two functions; nothing else decides support.

It does not judge whether the article is right, only whether it says so.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass

from index.settings import TrustSettings
from qa import text as nlp
from qa.stages.evidence import COMPANY, PLACE, about_context, conflicting, rival_labels
from qa.stages.question import Question, unit

Cosine = Callable[[str, str], float]
# a figure whose thousands are grouped wrongly ("1,3340") is no figure an article writes
_MISGROUPED = re.compile(r"\d,(?!\d{3}(?!\d))")
# a claim's nationalities must be in its quote too ("an alliance of Chinese nationals")
CLAIM_NAMES = nlp.NAME_LABELS | {"NORP"}


@dataclass(frozen=True)
class Support:
    ok: bool
    coverage: float
    missing: tuple[str, ...] = ()  # the numbers, months and names the quote lacks


@dataclass(frozen=True)
class Quote:
    """A stretch of a passage offered as evidence, with what surrounds it."""

    span: nlp.Span  # the quote
    passage: nlp.Span  # the whole passage it is in
    title: str
    article: frozenset[str] = frozenset()  # the words of the whole article
    asked: frozenset[str] = frozenset()  # the words of the names the question asks about
    flagged: bool = False  # overlaps text that addresses a model
    dated: str = ""  # the article's date line (ISO), which states its year, month and day
    question: frozenset[str] = frozenset()  # the question's words: restating them claims nothing

    @property
    def title_words(self) -> frozenset[str]:
        return nlp.words_of(self.title)


def support(claim: nlp.Span, quote: Quote, trust: TrustSettings, cosine: Cosine | None = None) -> Support:
    if quote.flagged:
        return Support(False, 0.0, ("text addressed to AI systems",))
    missing = _missing(claim, quote)
    # an acronym the quote spells out in full is in it ("GDP": "gross domestic product")
    have = quote.span.lemmas | quote.title_words | nlp.spelled_out(claim, quote.span)
    covered = coverage(claim, have, quote.question)
    if missing:
        return Support(False, covered, tuple(missing))
    if covered >= trust.support_coverage:
        return Support(True, covered)
    if covered >= trust.support_coverage_low and _adds_only_values(claim, quote.question):
        return Support(True, covered)
    if covered >= trust.support_coverage_low and cosine is not None:
        return Support(cosine(claim.text, quote.span.text) >= trust.support_cosine, covered)
    return Support(False, covered)


def _missing(claim: nlp.Span, quote: Quote) -> list[str]:
    month, day = _date_line(quote.dated)
    title = quote.title_words | month
    title_values = nlp.analyse(quote.title).whole.values if quote.title else frozenset()
    values = quote.span.values | title_values | day | _relative(quote)
    written = [(n, claim.analysis.text[n.start : n.end]) for n in claim.numbers()]
    missing = [
        w
        for n, w in written
        if not n.values & values
        and not _asked_date(claim, n, w, quote)
        or (_MISGROUPED.search(w) and w not in quote.span.text)
    ]
    missing += [f"{w} (not {u} there)" for n, w in written if (u := _unit_lost(claim, n, quote))]
    missing += sorted(m for m in claim.months - quote.span.months - title if not _asked_month(m, quote))
    names = nlp.names(claim, CLAIM_NAMES)
    titled = _titles(names, claim.analysis.text)
    # whose figures they are: a source the claim names ("according to the bank") reports them, and
    # a person's employer or title ("Acme's Jan Brenna") is the person's
    actors = [
        n for n in names if n.label in COMPANY and not nlp.addressed(n, claim.analysis) and n not in titled
    ]
    missing += _said_of_others(claim, quote, actors)
    # a name the quote writes by the initials of one the claim spells out ("UAE") is no one else
    known = claim.words | {nlp.initials(n) for n in names}
    for name in names:
        if nlp.mentions(name, quote.span):
            continue
        if (person := titled.get(name)) and nlp.mentions(person, quote.span):
            # the quote names the person; the title or employer is the article's to state
            if not nlp.mentions(name, quote.passage, quote.title_words, quote.article):
                missing.append(name.text)
            continue
        # someone else of its kind in the quote stands where it would: a place for a place; for a
        # company, a place too (the recogniser often calls a store chain or a firm a place)
        others = conflicting(
            quote.span, known, rival_labels([name]) | (PLACE if name.label in COMPANY else set())
        )
        # the question's own names, and any name it writes ("the Veldorian group"), restate its subject
        subject = name.words <= quote.question or quote.asked and nlp.mentions(name, quote.asked)
        if others or not nlp.mentions(name, quote.passage, title, *([quote.article] if subject else [])):
            missing.append(name.text)
    return missing


def _asked_date(claim: nlp.Span, n: nlp.Number, written: str, quote: Quote) -> bool:
    """A year or a day of the month the question itself states, restated ("lost 5 mln dlrs in the
    fourth quarter of 1986", "after the October 19 crash"): the question's premise, which the quote
    need not repeat while it dates what it says by no other year (or day) and its article is of
    that year or the next (a story of 1987 on "the year ended October" does not report 1985's)."""
    if written not in quote.question:
        return False
    if nlp.day_of_month(claim, n):
        return not any(nlp.day_of_month(quote.span, m) for m in quote.span.numbers())
    if not nlp.written_as_year(written):
        return False
    dated = _day(quote.dated)
    if dated is None or dated.year - int(written) not in (0, 1):  # reported that year or the next
        return False
    return not nlp.years_named(quote.span, dated.year)


def _asked_month(month: str, quote: Quote) -> bool:
    """A month the question names ("sold in March 1987"), restated: its premise, while the quote
    names no month and its article is dated in or after that month (of a year the question names,
    or of its own year): a story of April does not report December."""
    if month not in quote.question or quote.span.months or (day := _day(quote.dated)) is None:
        return False
    asked = nlp.MONTH_ORDER.index(month) + 1
    years = [int(w) for w in quote.question if nlp.written_as_year(w)] or [day.year]
    return any((day.year, day.month) >= (year, asked) for year in years)


def _titles(names: list[nlp.Entity], text: str) -> dict[nlp.Entity, nlp.Entity]:
    """The names written right before a person's (or a company's) name as its title or owner, each
    with that name: "Trade Representative Jan Brenna", "Acme's Jan Brenna", "Acme chairman Jan
    Brenna", "Acme's Kestrel unit". The recogniser's labels of the two are often swapped or wrong,
    so any person or company will do."""
    out = {}
    for name in names:
        for person in (n for n in names if n.label in COMPANY and n is not name):
            between = _TITLE_GAP.fullmatch(text[name.end : person.start])
            if between and (not between[1] or between[1].split()[-1].lower() in nlp.TITLES):
                out[name] = person
    return out


# a possessive, then at most three words ending in a title ("research director"), or nothing
_TITLE_GAP = re.compile(r"(?:['’]s?)?\s+((?:[\w-]+\s+){1,3})?")


def _unit_lost(claim: nlp.Span, n: nlp.Number, quote: Quote) -> str | None:
    """The claim writes the number as money or a percentage, and no number of that value in the
    quote is written so ("one million dollars" from "one mln shares"): the unit it lost."""
    u = unit(claim, n)
    if u is None:
        return None
    held = [m for m in quote.span.numbers() if m.values & n.values]
    return None if not held or any(unit(quote.span, m) == u for m in held) else u


def _said_of_others(claim: nlp.Span, quote: Quote, actors: list[nlp.Entity]) -> list[str]:
    """The claim's figures that the quote gives only in sentences about someone else: a sentence
    that holds the figure and names a company or person, but not each one the claim names ("C Corp
    has assets of 257 mln dlrs" does not say B Corp's assets are 257 mln, though the next sentence
    names B Corp). A sentence that names nobody leaves it to its passage (checked above)."""
    if not actors:
        return []
    analysis = quote.span.analysis
    sentences = [
        analysis.span(s, e) for s, e in analysis.sentences if quote.span.start <= s and e <= quote.span.end
    ]
    out = []
    for number in claim.numbers():
        written = claim.analysis.text[number.start : number.end]
        if number.ordinal or nlp.written_as_year(written) or nlp.day_of_month(claim, number):
            continue  # a year, a day or a position dates or orders a claim; no one's figure ("2,000" is)
        holders = [s for s in sentences if any(number.values & n.values for n in s.numbers())]
        if holders and not any(_names_them(s, actors, quote) and _theirs(s, number, actors) for s in holders):
            out.append(f"{written} (said of someone else)")
    return out


def _theirs(sentence: nlp.Span, number: nlp.Number, actors: list[nlp.Entity]) -> bool:
    """In a sentence naming several organisations, a figure belongs to the one written nearest before
    it ("the group in which Tarvel has a 60 pct interest, while Brenna …" gives Tarvel's interest,
    not Brenna's), or to whoever owns that one: some figure of this value must follow one of the
    actors that way."""
    orgs = [n for n in nlp.names(sentence) if n.label == "ORG" and not nlp.addressed(n, sentence.analysis)]
    actors = [a for a in actors if a.label == "ORG"]  # a person named saying it is checked above
    if not actors or len({frozenset(n.words) for n in orgs}) < 2:
        return True
    text = sentence.analysis.text
    for held in (m for m in sentence.numbers() if m.values & number.values):
        before = [n for n in orgs if n.end <= held.start]
        if not before:
            return True
        # the nearest, and whoever owns it ("Velmar's Kestrel Sales Service" is Velmar's)
        owners = [before[-1], *(n for n in before[:-1] if _owns(n, before[-1], text))]
        if any(a.words & o.words for a in actors for o in owners):
            return True
    return False


def _owns(owner: nlp.Entity, owned: nlp.Entity, text: str) -> bool:
    """The one name is written as the other's possessive, right before it ("Acme's Brenna unit"),
    whether or not the recogniser kept the "'s" in the name."""
    return bool(re.fullmatch(r"(?:['’]s?)?\s+", text[owner.end : owned.start])) and bool(
        re.search(r"['’]s?$", text[owner.start : owned.start].rstrip())
    )


def _names_them(sentence: nlp.Span, actors: list[nlp.Entity], quote: Quote) -> bool:
    """The sentence names each actor, in full or by a short form its passage or article explains
    ("Acme" where the story's lead wrote "Acme Chemical Co"), or names no company at all."""
    around = (quote.passage, quote.article)
    if all(nlp.mentions_as_itself(a, sentence) or nlp.mentions_short(a, sentence, *around) for a in actors):
        return True
    return not [
        n for n in nlp.names(sentence) if n.label in COMPANY and not nlp.addressed(n, sentence.analysis)
    ]


def _relative(quote: Quote) -> frozenset[float]:
    """The years the quote names as "last year", "this year" or "next year" of its date line."""
    day = _day(quote.dated)
    return frozenset(float(y) for y in nlp.years_said(quote.span, day.year)) if day else frozenset()


def _date_line(dated: str) -> tuple[frozenset[str], frozenset[float]]:
    """The month (as a name), the year and the day an ISO date line states ("1987-10-19")."""
    day = _day(dated)
    if day is None:
        return frozenset(), frozenset()
    return frozenset({nlp.MONTH_ORDER[day.month - 1]}), frozenset({float(day.year), float(day.day)})


def _day(dated: str) -> datetime.date | None:
    """The date of an ISO date line, if it states one."""
    try:
        return datetime.date.fromisoformat(dated)
    except ValueError:
        return None


def coverage(claim: nlp.Span, have: frozenset[str], given: frozenset[str] = frozenset()) -> float:
    """Share of the claim's content words (by lemma) found in `have`, leaving out the words `given`
    (the question's: "X cut its plan because it was not profitable" claims only "profitable") unless
    the claim has no others; a claim of bare numbers and no words says nothing checkable and covers
    nothing."""
    words = _words(claim)
    words = _new(words, given) or words
    if not words:
        return 0.0
    return sum(1 for lemma, t in words.items() if lemma in have or t.lower in have) / len(words)


def _adds_only_values(claim: nlp.Span, given: frozenset[str]) -> bool:
    """The claim's only words beyond the question's are figures and dates (checked against the quote
    by `_missing`)."""
    return bool(given) and bool(claim.numbers()) and not _new(_words(claim), given)


def says_something(claim: nlp.Span, question: nlp.Span) -> bool:
    """The claim states a word or a number its question does not: a sentence that only restates the
    question ("The new hotel X is completing in Y.") answers nothing."""
    if _new(_words(claim), given_words(question)):
        return True
    return any(n.values - question.values for n in claim.numbers())


def given_words(question: nlp.Span) -> frozenset[str]:
    """The words a question gives, as lemmas and as written: what restating it repeats."""
    return question.lemmas | question.words


def _words(claim: nlp.Span) -> dict[str, nlp.Token]:
    return {t.lemma: t for t in claim.tokens() if t.content and t.value is None and t.lower.isalpha()}


def _new(words: dict[str, nlp.Token], given: frozenset[str]) -> dict[str, nlp.Token]:
    return {lemma: t for lemma, t in words.items() if lemma not in given and t.lower not in given}


def about_question(question: Question, quote: Quote) -> bool:
    """The cited article mentions every name the question asks about (and, for a follow-up that
    names nobody, one of the names of its context)."""
    where = (quote.span, quote.passage, quote.title_words, quote.article)
    return about_context(question, *where) and all(nlp.mentions(n, *where) for n in question.names)
