"""Does a text answer a question? Term coverage weighted by rarity, and the expected answer type.

- `coverage` is the IDF-weighted share of the question's content words found in a text: a
  question whose rare words ("killed", "population") appear nowhere in the corpus is not covered,
  however many common words ("Myanmar", "military") match.
- `answer_type` reads what kind of answer a question wants (a number, a date, a name, a place)
  and `has_answer_type` checks that a candidate text offers one that the question does not
  already contain.

Both are cheap and lexical; the engine combines them with embedding similarity. It does not
parse syntax or resolve coreference.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from qa.citations import content_words


@dataclass(frozen=True)
class Terms:
    """Document frequencies of the indexed chunks' (normalised) words."""

    counts: dict[str, int]
    n_docs: int

    def idf(self, words: frozenset[str]) -> dict[str, float]:
        """Robertson–Spärck Jones IDF, floored at a small positive weight for very common words."""
        return {t: max(0.1, math.log((self.n_docs + 1) / (self.counts.get(t, 0) + 0.5))) for t in words}

    def known(self, words: frozenset[str]) -> frozenset[str]:
        return frozenset(w for w in words if self.counts.get(w, 0))


_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_NUMBER_WORDS = (
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|"
    r"forty|fifty|hundreds?|thousands?|millions?|billions?|dozens?|half|percent|per cent)\b"
)
_PATTERNS = {
    "number": re.compile(_NUMBER_WORDS + "|%", re.I),
    "duration": re.compile(
        _NUMBER_WORDS + r"|\b(a|an) (day|week|month|year)|\b(days?|weeks?|months?|years?)\b", re.I
    ),
    "date": re.compile(
        rf"\b({_MONTHS})\b|\b(1[89]|20)\d\d\b|\b(yesterday|today|ago|last (week|month|year))\b", re.I
    ),
}
_PATTERNS["year"] = re.compile(r"\b(1[89]|20)\d\d\b")
_REASON = re.compile(
    r"\b(because|due to|owing to|stemming|as a result|in order to|so that|trying to|aim(ed|s)? to|"
    r"frustrat\w*|irritat\w*|for (autonomy|fear)|since)\b",
    re.I,
)
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w’'-]+")


def answer_type(question: str) -> str | None:
    q = question.lower()
    if re.search(r"\bhow (long|many (days|weeks|months|years))\b", q):
        return "duration"
    if re.search(r"\bhow (many|much)\b|\bwhat (share|percentage|proportion|number|fraction)\b", q):
        return "number"
    if re.search(r"\b(what|which) year\b", q):
        return "year"
    if re.search(r"\bwhen\b|\bwhat (date|day|month)\b|\bon what date\b", q):
        return "date"
    if re.match(r"\s*why\b", q):
        return "reason"
    if re.match(r"\s*who\b", q):
        return "name"
    return None


def has_answer_type(kind: str | None, question: str, text: str) -> bool:
    """Whether `text` offers the kind of answer asked for ("reason" is never required)."""
    if kind is None or kind == "reason":
        return True
    if kind == "name":
        asked = {w.lower() for w in re.findall(r"[\w’'-]+", question)}
        return any(m.group(0).lower() not in asked for m in _NAME.finditer(text))
    return any(m.group(0).lower() not in question.lower() for m in _PATTERNS[kind].finditer(text))


def gives_reason(text: str) -> bool:
    return bool(_REASON.search(text))


_TYPE_WORDS = {"year", "date", "day", "month", "number", "percentag", "name", "time"}


def coverage(
    question: str, text: str, terms: Terms, skip_type_words: bool = False, known_only: bool = False
) -> float:
    """IDF-weighted share of the question's content words present in `text`.

    With `skip_type_words`, words that only name the kind of answer ("year", "number") are left
    out: the answer "2021" covers "In what year…" without the word "year". With `known_only`,
    words that occur nowhere in the corpus are left out too."""
    words = content_words(question)
    if skip_type_words:
        words = words - _TYPE_WORDS or words
    if known_only:
        words = terms.known(words)
    if not words:
        return 0.0
    weights = terms.idf(words)
    found = content_words(text)
    total = sum(weights.values())
    return sum(w for t, w in weights.items() if t in found) / total if total else 0.0
