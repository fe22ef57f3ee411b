"""What a question asks: the names an answer must be about, the kind of answer it wants, and its
words weighted by how rare they are in the indexed archive.

Kinds come from the question words of English: "why" (a reason), "when" / "what date" (a date),
"what year" (a year), "how much … pay" / "what price" (an amount of money), "what percentage"
(a percentage), "how many" (a number), "where" (a place), "who" / "which" (a name). `typed` says
whether a stretch of text offers that kind of answer beyond what the question already states,
and `fits` whether a number there is followed by the very thing asked about ("60,000 subscribers"
for "how many subscribers").

It reads the question only; matching it against passages is `evidence`'s work.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from qa import text as nlp
from qa.stages.rewrite import split

PLACE = frozenset({"GPE", "LOC", "FAC"})
_MONEY_NOUNS = (
    "price|cost|costs|value|amount|sum|fee|fees|salary|wage|wages|income|profit|profits|loss|losses|revenue|"
    "revenues|sales|turnover|earnings|dividend|debt|deficit|budget|bid|offer|payment|fine|damages|charge"
)
_MONEY_VERBS = (
    "pay|paid|cost|spend|spent|raise|earn|lose|lost|offer|sell|sold|buy|bought|bid|charge|borrow|owe|invest"
)
_QUANTITY_NOUNS = (
    "rate|stake|total|output|production|growth|inflation|unemployment|volume|capacity|yield|margin|"
    "shortfall|gain|gains|reserves|population|number|size|level|share|shares|figure|quota|exports|imports"
)
# up to two words between "what"/"which" and the noun that says what is asked ("what consolidated net
# loss", "which Texas border city"), none of them a verb that opens the clause ("what did …")
_MODIFIERS = r"((?!(?:was|is|were|are|will|would|did|does|do|has|have|had|can|could|should)\b)[\w-]+ ){0,2}"
# nouns for people by what they do: "which manager", "what minister"
ROLES = (
    "person|man|woman|official|officer|executive|manager|minister|president|chairman|chairwoman|director|"
    "governor|spokesman|spokeswoman|leader|analyst|economist|trader|dealer|banker|judge|secretary|chief|"
    "head|founder|owner|investor|lawyer|senator|ambassador|premier|king|member|candidate|successor"
)
_ASKING = r"(^|[.;:]\s*)\s*((and|but|so|or|since|until|till|by|from|to)\s+)?"  # a question word that asks
# the question word that opens a question decides first ("Who will take over when X retires?")
_OPENING = (
    ("reason", r"^\s*why\b"),
    ("person", r"^\s*(who|whom)\b"),
    ("date", r"^\s*when\b"),
    ("place", r"^\s*where\b"),
)
_KINDS = (  # then these, in order of precedence
    ("reason", r"^\s*why\b|\bfor what (reason|purpose)\b|\bwhat .{0,40}\b(use|used) .{0,60}\bfor\b|"
     r"\b(attribute|blame)\b"),
    ("year", r"\b(what|which|in what|in which) year\b"),
    # "when" and "where" ask only at the start ("And when …", "Since when …"); inside a question they
    # join a clause ("What will it seek when it renegotiates?", "the plant where it makes cars")
    ("date", rf"{_ASKING}when\b|\b(what|which) (date|day|month|time|week)\b|\bby what date\b"),
    ("percent", r"\bwhat (percentage|percent|proportion)\b|\bhow many (percentage )?points\b|"
     r"\bby what (percentage|percent)\b"),
    # "by how much did X raise its capacity": a change, in the unit of what changed
    ("number", rf"\bby how much\b(?!.*\b({_MONEY_NOUNS})\b)"),
    # "what did Acme earn in 1986" asks for an amount, as "how much did Acme earn" does
    ("money", rf"\bhow much\b.{{0,80}}\b({_MONEY_VERBS})\b|\bhow much (money|cash)\b|\bat what price\b|"
     r"^\s*what did\b.{0,80}\b(earn|lose)\b|"
     # a money noun that only qualifies a quantity ("what consumer price inflation") does not ask for money
     rf"\bwhat {_MODIFIERS}({_MONEY_NOUNS})\b(?! ({_QUANTITY_NOUNS})\b)|"
     rf"^\s*what (was|is|were|are|will be)\b.*\b({_MONEY_NOUNS})\b(?! ({_QUANTITY_NOUNS})\b)"),
    ("number", rf"\bhow (many|much|far|long|big|large|high|low|often)\b|"
     rf"\bwhat {_MODIFIERS}({_QUANTITY_NOUNS})\b|"
     rf"^\s*what (was|is|were|are|will be)\b.*\b({_QUANTITY_NOUNS})\b"),
    ("place", rf"{_ASKING}where\b|\b(which|what) {_MODIFIERS}(city|country|state|town|port|region|province|"
     r"place|county|island|capital)\b"),
    ("person", rf"^\s*(who|whom)\b|\b(which|what) {_MODIFIERS}({ROLES})\b"),
    ("name", r"^\s*whose\b|\bwho\b|\bwhich\b"),
)  # fmt: skip
# currencies of the world, as news writes them
CURRENCIES = frozenset(
    "dollar dollars dlr dlrs $ cent cents ct cts yen mark marks franc francs pound pounds stg sterling lira "
    "lire crown crowns krona kronor krone kroner peso pesos rupee rupees rupiah ringgit baht won yuan "
    "renminbi rouble roubles ruble rubles rand guilder guilders schilling schillings peseta pesetas escudo "
    "escudos drachma drachmas dinar dinars riyal riyals rial rials shekel shekels euro euros ecu ecus "
    "cruzado cruzados austral australs naira kwacha dirham dirhams real reais zloty forint pence penny "
    "p".split()  # "p" only ever counts right after a number: "120p"
)
PERCENT = frozenset({"percent", "pct", "%", "per"})
REASON_CUES = frozenset(
    "because due owing result reflect reflecting reflected citing cited amid after since so lead led "
    "blame blamed attribute attributed caused cause reason reasons order".split()
)
STOP_QUESTION = frozenset({"what", "which", "who", "whom", "whose", "when", "where", "why", "how"})
# the frame of a question rather than its matter: size adjectives after "how", verbs of saying
FRAME = frozenset(
    "large big high low long far much many often say tell describe report accord according state announce "
    "cite note add comment quote call mention expect have make give take get do go come happen become "
    "remain work stand seem involve include article figure".split()
)
PAYING = frozenset("pay cost spend charge worth price fetch".split())
# what an amount of money is, when not what was paid: "had revenues of 200 mln dlrs" is no price,
# nor is "earned 25 mln dlrs" or "a pretax gain of 45 mln dlrs"
MONEY_ROLES = frozenset(
    "revenue sale turnover income profit earning earnings loss salary wage dividend debt deficit budget "
    "asset assets capital reserve reserves earn gain".split()
)
PRICING = PAYING | frozenset("buy acquire sell sold bid offer purchase payment value sum amount".split())
# words an answer of a kind need not repeat: an amount of money says "paid" ("bought Foo for 230 mln
# crowns"), a place "located" ("Foo's plant in Riverton"), a reason "attributed" ("fell because …")
KIND_FRAMES = {
    "money": PAYING,
    "place": frozenset("locate base headquarter situate".split()),
    "reason": frozenset("attribute blame cause reason explain".split()),
}
# offices held by a person: "who is its president" asks for a person, not for an organisation
OFFICES = frozenset(
    "chairman chairwoman president minister secretary governor director executive spokesman spokeswoman "
    "spokesperson premier senator judge ambassador mayor manager leader head economist analyst".split()
)
NOT_PERSON = frozenset({"ORG", "GPE", "LOC", "NORP", "FAC", "PRODUCT", "EVENT", "LAW", "WORK_OF_ART"})
MIN_ASK_IDF = 2.5  # below this a word is in too many chunks to tell articles apart (ln of 1 in 12)


def _year(lemma: str) -> bool:
    return lemma.isdigit() and 1800 <= int(lemma) <= 2100


@dataclass(frozen=True)
class Terms:
    """Document frequencies of the indexed chunks' words, and how many chunks there are."""

    counts: dict[str, int]
    n_docs: int

    def idf(self, word: str) -> float:
        return max(0.1, math.log((self.n_docs + 1) / (self.counts.get(word, 0) + 0.5)))


@dataclass(frozen=True)
class Question:
    text: str
    span: nlp.Span
    names: tuple[nlp.Entity, ...]  # what the answer must be about
    kind: str | None  # reason | year | date | percent | money | number | place | name | None
    weights: dict[str, float]  # content lemma -> rarity weight (IDF)
    asked: str | None = None  # the noun a "how many …" question counts, as a lemma
    day: bool = False  # "on what date", "which day": a day is asked for, not a month or year
    descriptors: frozenset[str] = frozenset()  # nationality words ("French"), which articles vary
    background: frozenset[str] = frozenset()  # words only a follow-up's context brought in
    # a follow-up without names of its own ("What were its revenues?"): the names of its context,
    # one of which the article must mention (whichever "its" means, it is someone already named)
    context_names: tuple[nlp.Entity, ...] = ()
    # names written as the owner of what is asked ("Brenna Bancorp's total assets"): an answer's
    # sentence that names another company without this one gives someone else's figure
    owners: tuple[nlp.Entity, ...] = ()
    # what the question's other names own ("Morrow Stores' Kettle River division"): a sentence that names
    # no one and speaks of it ("sales for the division were …") gives its figure, not the owner's
    theirs: frozenset[str] = frozenset()
    # words that only say whom the figure is attributed to ("according to its 1990 annual report"):
    # the answer's article must say them, not its very sentence
    attributed: frozenset[str] = frozenset()
    # names of whoever the figure asked for is attributed to ("according to Acme's chairman"): the
    # answer's article must name them, its very sentence need not ("the Kestrel mine lost 3 mln")
    sources: tuple[nlp.Entity, ...] = ()

    @property
    def subjects(self) -> tuple[nlp.Entity, ...]:
        """The names the answer's sentence must be about: all but the sources, if any are left."""
        return tuple(n for n in self.names if n not in self.sources) or self.names

    @property
    def ask(self) -> dict[str, float]:
        """The words that say what is asked about the names, by weight: not the names, not the
        question's frame ("how large", "which town", "according to the report", "what did X say"),
        not dates (an article's date answers for those) and not words too common to tell articles apart."""
        named = (
            {w for n in self.names for w in n.words}
            | self.descriptors
            | self.background
            | _adverbs(self.span)
            | _controllers(self.span)
        )
        frame = FRAME | {self.asked or ""} | nlp.LEGAL_FORMS_EXPANDED | nlp.TITLES | nlp.MONTH_NAMES
        frame |= KIND_FRAMES.get(self.kind or "", frozenset())
        return {
            lemma: w
            for lemma, w in self.weights.items()
            if not _named(lemma, named) and lemma not in frame and w >= MIN_ASK_IDF and not _year(lemma)
        }


def read_question(question: str, terms: Terms) -> Question:
    """What is asked. A follow-up's context ("… (follow-up to: …)") is background: its words count
    half in coverage, none of its names is required by itself (one of them is, when the follow-up
    names nobody) and it says nothing about the kind of answer."""
    own, context = split(question)
    span = nlp.analyse(own).whole
    kind = next((k for k, pattern in (*_OPENING, *_KINDS) if re.search(pattern, own, re.I)), None)
    asked = _asked_noun(span)
    weights = _weights(span, terms, asked if kind != "name" else None)
    if context:
        background = _weights(nlp.analyse(context).whole, terms, None)
        weights = {**{w: v / 2 for w, v in background.items()}, **weights}
    norp = frozenset(
        w for e in span.analysis.entities if e.label == "NORP" for w in e.words | nlp.words_of(e.text)
    )
    day = bool(re.search(r"\b(what|which) (date|day)\b", own, re.I))
    only_context = frozenset(weights) - set(_weights(span, terms, None))
    names = tuple(nlp.names(span))
    if any(c.isupper() for c in own[1:]):  # written with capitals: a lower-case "name" is a slip
        names = tuple(n for n in names if any(c.isupper() for c in n.text))
    context_names = () if names or not context else tuple(nlp.names(nlp.analyse(context).whole))
    phrases = {n: _possessed(n, span) for n in names}
    parse = nlp.parse(own)
    attributed = frozenset(t.lemma for t in span.tokens() if _within(t.start, t.end, parse.sources))
    sources = tuple(n for n in names if _within(n.start, n.end, parse.sources))
    # a source's possessive ("according to Acme's review") owns the review, not what is asked
    owners = tuple(n for n in names if _owns(phrases[n], span) and n not in sources)
    theirs = _theirs(phrases, owners, span)
    return Question(
        question,
        span,
        names,
        kind,
        weights,
        asked,
        day,
        norp,
        only_context,
        context_names,
        owners,
        theirs,
        attributed,
        sources,
    )


def _within(start: int, end: int, stretches: tuple[tuple[int, int], ...]) -> bool:
    return any(s <= start and end <= e for s, e in stretches)


def _owns(phrase: list[nlp.Token], span: nlp.Span) -> bool:
    """A name's possessive noun phrase (`_possessed`) names nothing else ("Brenna's total assets"), not
    one that qualifies another name ("Norland's Food Department", "Acme's new Brix unit")."""
    return bool(phrase) and not any(_as_name(t, span) for t in phrase)


def _theirs(
    phrases: dict[nlp.Entity, list[nlp.Token]], owners: tuple[nlp.Entity, ...], span: nlp.Span
) -> frozenset[str]:
    """The nouns of what the question's other names own ("division" in "Halvard's sales when it bought
    Morrow Stores' Kettle River division"), when it asks about an owner's figure: a sentence that speaks
    of "the division" and names no one gives the division's figure, not the owner's."""
    nouns = {
        n: {t.lemma for t in phrase if t.tag in ("NN", "NNS") and not _as_name(t, span)}
        for n, phrase in phrases.items()
    }
    figured = [o for o in owners if nouns[o] & MONEY_ROLES]  # whose sales, assets, profit is asked
    if not figured:
        return frozenset()
    own = set().union(*(nouns[o] for o in figured))
    return frozenset(w for n in nouns if n not in figured for w in nouns[n] - own - MONEY_ROLES)


def _possessed(name: nlp.Entity, span: nlp.Span) -> list[nlp.Token]:
    """The noun phrase after a name written as a possessive ("Brenna's total assets"), up to a verb,
    a preposition, a wh-word or punctuation; none when the name is no possessive."""
    after = [t for t in span.tokens() if t.start >= name.end and t.lower.strip()]
    if after and after[0].tag == "POS":  # the recogniser left "'s" outside the name
        after = after[1:]
    elif not re.search(r"['’]s?$", name.text):
        return []
    phrase = []
    for t in after:
        if t.tag.startswith(("VB", "IN", "W", "TO", "MD")) or not t.lower[0].isalnum():
            break
        phrase.append(t)
    return phrase


def _as_name(t: nlp.Token, span: nlp.Span) -> bool:
    return t.propn or nlp.written_as_name(span.analysis.text[t.start : t.end])


def _named(lemma: str, named: set[str] | frozenset[str]) -> bool:
    """A word of a name, as a lemma may hold it ("at&t", "u.s.-canada")."""
    words = nlp.entity_words(lemma)
    return lemma in named or bool(words) and words <= named


def _weights(span: nlp.Span, terms: Terms, asked: str | None) -> dict[str, float]:
    return {
        t.lemma: max(terms.idf(t.lower), terms.idf(t.lemma))
        for t in span.tokens()
        if t.content and t.lower not in STOP_QUESTION and t.lemma != asked
    }


def _adverbs(span: nlp.Span) -> frozenset[str]:
    """Manner adverbs ("tacitly", "easily") colour a question; they are not what it asks."""
    return frozenset(t.lemma for t in span.tokens() if t.tag in {"RB", "RBR", "RBS"})


def _controllers(span: nlp.Span) -> frozenset[str]:
    """A verb that frames an infinitive ("agree to pay", "plan in May to build", "expected to
    produce") is not what is asked: the verb after it is, and news reports the deal, not always the
    agreeing."""
    tokens = [t for t in span.tokens() if not t.lower.isspace()]
    adjacent = {
        t.lemma
        for t, to, verb in zip(tokens, tokens[1:], tokens[2:])
        if t.tag.startswith("VB") and to.tag == "TO" and verb.tag == "VB"
    }
    parsed = set(nlp.parse(span.text).controllers)
    return frozenset(adjacent | {t.lemma for t in tokens if t.start - span.start in parsed})


def _asked_noun(span: nlp.Span) -> str | None:
    """The noun right after "how many" / "which" / "what" ("how many subscribers" → subscriber)."""
    tokens = [t for t in span.tokens() if not t.lower.isspace()]
    for i, t in enumerate(tokens):
        if t.lower not in {"many", "which", "what"}:
            continue
        for nxt in tokens[i + 1 : i + 4]:  # "which Tarn County town", "how many union members"
            if nxt.tag in {"NN", "NNS"}:
                return nxt.lemma
            if nxt.tag.startswith("VB") or not nxt.lower.isalnum():
                break
        return None
    return None


def typed(question: Question, span: nlp.Span) -> bool:
    """The text offers the kind of answer asked for, beyond what the question already says."""
    q = question.span
    new = [n for n in span.numbers() if not n.ordinal and n.values - q.values]
    if question.kind in ("number", "money"):  # "declared insolvent on May 14" states no amount
        new = [n for n in new if not nlp.day_of_month(span, n)]
    match question.kind:
        case "number":  # "how many" counts: an amount of money is no count ("how many shares")
            counts = _COUNTS.search(question.text) is not None
            return any(not (counts and _money(span, n)) for n in new)
        case "money":  # a price "per share" is no amount in millions (the whole offer's 525 mln dlrs)
            per = _PER_UNIT.search(question.text) is not None
            return any(
                _money(span, n)
                and _role_fits(question, _role(span, n.start))
                and not (per and _next_word(span, n.end, _MILLIONS, reach=1))
                for n in new
            )
        case "percent":
            return any(_next_word(span, n.end, PERCENT) for n in new)
        case "year":
            return any(v for v in span.values - q.values if 1800 <= v <= 2100 and v == int(v))
        case "date" if question.day:  # "on what date": a day, not just a month or a year
            return any(
                e.label == "DATE"
                and span.start <= e.start < span.end
                and any(c.isdigit() for c in e.text)
                and (set(e.text.lower().split()) & nlp.MONTH_NAMES or _month_in(e.text))
                and not e.words <= q.words
                for e in span.analysis.entities
            )
        case "date":
            years = {v for v in span.values if 1800 <= v <= 2100}
            dates = [
                e for e in span.analysis.entities if e.label == "DATE" and span.start <= e.start < span.end
            ]
            return bool(
                span.months - q.months or years - q.values or any(not e.words <= q.words for e in dates)
            )
        case "place":
            return any(not e.words <= q.words for e in span.entities(PLACE))
        case "person":
            # "who" is answered by a person or by an organisation ("Who organised the militias?"), but
            # "who is the union's president" by a person: not by a name the recogniser calls something else
            if any(not e.words <= q.words for e in span.entities(frozenset({"PERSON"}))):
                return True
            office = bool(q.lemmas & OFFICES)
            return _new_name(span, q, frozenset(), min_run=2, skip=NOT_PERSON if office else frozenset())
        case "name":
            return _new_name(span, q, nlp.NAME_LABELS)
        case "reason":
            return bool({t.lemma for t in span.tokens()} & REASON_CUES) or " to " in span.text
        case _:
            return True


def fits(question: Question, span: nlp.Span) -> bool:
    """A number in the text is followed by the noun the question counts."""
    if not question.asked or question.kind not in ("number", "money", "percent"):
        return False
    return any(_next_word(span, n.end, frozenset({question.asked}), reach=3) for n in span.numbers())


_COUNTS = re.compile(r"\bhow many\b", re.I)
_PER_UNIT = re.compile(r"\bper (?!cent\b)[a-z]+", re.I)
_MILLIONS = frozenset(
    w for w in {*nlp.SCALES, *nlp.ABBREVIATIONS} if nlp.SCALES.get(nlp.ABBREVIATIONS.get(w, w), 0) >= 1e6
)


def _money(span: nlp.Span, n: nlp.Number) -> bool:
    """A number followed by a currency within two words, not counting the country that says whose
    currency it is ("40 mln U.S. dlrs", "12 mln Canadian dlrs"), or written after "$"."""
    after = [t for t in span.tokens() if t.start >= n.end and not t.lower.isspace()][:6]
    words = 0
    for t in after:
        if t.lower in CURRENCIES or t.lemma in CURRENCIES:
            return True
        if not span.analysis.text[t.start].isupper():
            words += 1
            if words == 2:
                break
    return _before(span, n.start) == "$"


def unit(span: nlp.Span, n: nlp.Number) -> str | None:
    """What a number is written as: an amount of money, a percentage, or neither."""
    if _money(span, n):
        return "money"
    return "percent" if _next_word(span, n.end, PERCENT) else None


def _next_word(span: nlp.Span, pos: int, words: frozenset[str], reach: int = 2) -> bool:
    after = [t for t in span.tokens() if t.start >= pos and not t.lower.isspace()][:reach]
    return any(t.lower in words or t.lemma in words for t in after)


def _before(span: nlp.Span, pos: int) -> str:
    before = [t for t in span.tokens() if t.end <= pos and not t.lower.isspace()]
    return before[-1].lower if before else ""


def _role(span: nlp.Span, pos: int, reach: int = 8) -> str | None:
    """What an amount is the amount of, when its clause says so before it ("revenues in 1986 of
    more than 200 mln dlrs": revenue); a comma or "for" ends the search ("…, was sold for 230 mln")."""
    before = [t for t in span.tokens() if t.end <= pos and not t.lower.isspace()][-reach:]
    for t in reversed(before):
        if t.lower in {",", ";", ":", "for", "(", ")"}:
            return None
        if t.lemma in MONEY_ROLES or t.lower in MONEY_ROLES:
            return t.lemma
    return None


def _role_fits(question: Question, role: str | None) -> bool:
    """An amount of revenue does not answer what was paid, nor one of profit what was earned in sales:
    when the amount has a role the question does not name, and the question asks about paying or
    about another role, it answers something else."""
    if role is None:
        return True
    asked = question.span.lemmas
    if any(_family(role, w) for w in asked):
        return True
    return not (asked & PRICING or asked & MONEY_ROLES)


def _family(a: str, b: str) -> bool:
    """The same word or one of its family: "earnings" / "earn", "revenue" / "revenues"."""
    short, long = sorted((a, b), key=len)
    return a == b or len(short) >= 4 and long.startswith(short) or len(short) >= 5 and a[:5] == b[:5]


def _month_in(text: str) -> bool:
    return any(nlp.normalise_word(w.strip(".,").lower()) in nlp.MONTH_NAMES for w in text.split())


def _new_name(
    span: nlp.Span, q: nlp.Span, labels: frozenset[str], min_run: int = 1, skip: frozenset[str] = frozenset()
) -> bool:
    """A name of these labels the question lacks, or a run of `min_run` proper nouns it lacks and
    no name of a `skip` label holds. A legal form is no name ("Acme Ltd" is the question's Acme)."""
    known = q.words | nlp.LEGAL_FORMS_EXPANDED
    if any(not e.words <= known for e in span.entities(labels)):
        return True
    held = [(e.start, e.end) for e in span.analysis.entities if e.label in skip]
    run = 0
    for t in span.tokens():
        new = t.propn and t.lower not in known and t.lemma not in nlp.MONTH_NAMES and t.lower.isalpha()
        new = new and not any(b <= t.start < e for b, e in held)
        run = run + 1 if new else 0 if not t.lower.isspace() else run
        if run >= min_run:
            return True
    return False
