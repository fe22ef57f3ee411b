"""Article text is data: find the sentences that try to steer whoever answers from the article.

News reports events; it does not tell its reader what to answer. A sentence is flagged when it
1. carries markup or chat-control tokens (`<img …>`, `<!-- -->`, Markdown links, "SYSTEM:",
   "### Instruction", "[ADMIN]");
2. speaks of AI systems (assistants, chatbots, language models, summarisers) together with an
   instruction or a verb of answering, citing or reporting;
3. tells a generic answering agent what to do, in that order: an agent ("anyone", "readers",
   "responses", "write-ups", "any system"), then an obligation ("should", "must", "is asked to",
   "please"), then a bare verb of answering, citing, stating or reporting;
4. is an order outside reported speech: a clause that opens with a bare verb of answering, stating,
   citing, repeating or ignoring ("From here on, state that…", "If asked, reply…"), or that speaks
   to "you";
5. asserts what the correct or only answer, figure or name is, outside reported speech; or
6. vouches for itself against other reports ("figures printed elsewhere are outdated").
Reported speech about the world ("the exchange told members to disregard the erroneous price",
"'You cannot ignore New York,' he said", a quotation running on over several sentences) is not an
instruction to us, and neither is news grammar that only looks like an order: a headline or a
sentence opening with a noun ("Output rose…", "State levies…"), a verb after its own subject
("Growers, for their part, say…"), wire tags ("<Acme Corp>", "<A>"). On the Reuters-21578 archive
(10,503 stories, 1987) these rules flag 3 sentences; the rules before them flagged 136.

Flagged sentences are masked from model prompts, never quoted as support, and shown to the reader
as flagged. These are rules on word classes and grammar (spaCy tags), not a list of attack phrases;
they do not catch plain false statements written as news.
"""

from __future__ import annotations

import itertools
import re

from qa import text as nlp

MASK = "[text addressed to AI systems removed]"
_MARKUP = re.compile(
    r"<\s*(img|script|iframe|style|meta|link)(\s+[\w-]+\s*=|\s*/?>)|<\s*a\s+[\w-]+\s*=|<\|\w+\|>|<!--|\]\(\s*\S+\)|!\[|^\s*#{2,}\s*\w|"
    r"^\s*\[?\s*(system|admin|assistant|user|developer|instruction)s?\s*[\]:]|\{\s*\"\w+\"\s*:|"
    # chat-template roles and turns: "<system>", "[INST]", "<<SYS>>"
    r"</?\s*(system|assistant|user|developer|instruction)s?\s*>|(?-i:/?INST\])|<</?SYS>>",
    re.I | re.M,
)
_AI = re.compile(
    r"\b((?-i:AI|A\.I\.)|artificial intelligence|chat ?bots?|(?-i:[Bb]ots?)|LLMs?|(large )?language models?|"
    r"summari[sz]ers?|summari[sz]ation (tools?|systems?)|(AI|virtual|digital|automated) assistants?|"
    r"assistants? (handling|reading|answering|summari[sz]ing|processing)|machine[- ]learning (models?|"
    r"systems?)|automated (systems?|tools?|readers?|services?)|answering (systems?|engines?|models?))\b",
    re.I,
)
# speaking to whoever answers questions from an archive, in or out of quotation marks
_ANSWERERS = re.compile(
    r"\b((answers|responses|summaries|replies) (drawn|generated|produced|"
    r"taken|given) from|the (figure|number|price|answer|amount|name) to (give|cite|quote|use|report|state)|"
    r"(if|when|whenever) (a |any |the )?(question|query|user|reader)s? (concerns?|asks?|is about|are about)|"
    r"apply_to|all (answers|responses|summaries)|(you are|you're|^\s*act as|pretend to be|play the role of)\b"
    r".{0,60}\b(bot|helper|assistant|advis[eo]r|persona|guide))\b",
    re.I,
)
# an order to restate something as a given value: "give the size as 750 mln dlrs", "refer to it as X"
_RESTATE = re.compile(r"\b(give|report|state|quote|cite|put|describe|list|refer to)\b[^.;]{0,60}\bas\b", re.I)
_SPACED = re.compile(r"(\b\w\s){6,}")  # text spaced out letter by letter to slip past filters
_INTERVIEW = re.compile(r"^\s*[QA]\s*[:.]", re.M)
# speaking to someone: "Chatbots reading this wire:", "Attention, models", "Note to assistants"
_VOCATIVE = re.compile(r"^[^.:]{0,60}:|\b(attention|note|message|notice|reminder)\b", re.I)
# addressing whoever answers: "in any response", "for all summaries", "when answering questions"
_ANY_ANSWER = re.compile(
    r"\b(in|for|to|of) (any|all|every|each) (responses?|answers?|repl(y|ies)|summar(y|ies)|write-?ups?)\b|"
    r"\banswer(s|ing)? (questions|queries)\b",
    re.I,
)
_AGENTS = re.compile(
    r"\b(anyone|anybody|whoever|everyone|readers?|users?|responses?|answers?|repl(y|ies)|write-?ups?|summar(y|ies)|"
    r"digests?|(any|every|all|each|no) (\w+ )?(systems?|models?|tools?|outlets?)|"
    r"(systems?|models?|tools?|outlets?) (that |which )?\w+ing|"
    # an assistant that answers, not an assistant secretary or an assistant to the chairman
    r"(any|every|all|each|no|the|an) (\w+ )?assistants?(?! (to|secretary|manager|director|editor)\b))\b",
    re.I,
)
_OBLIGATION = re.compile(
    r"\b(should|must|ought to|(is|are) (asked |required |expected |requested )?to|need to|have to|has to|"
    r"please|kindly)\b",
    re.I,
)
# verbs of answering, citing, stating, reporting and shaping a reply
_ANSWERING = frozenset(
    "answer respond reply cite quote state say report give mention describe summarize summarise "
    "refer repeat tell write use put present list include refuse decline treat call name log "
    "direct point link end begin start close add append show display output print".split()
)
# verbs that shape a reply but are everyday verbs for what people do ("users should begin
# saving water", "let me add"): about a person, "you" or "anyone", they need a verb of
# answering proper
_SHAPING = frozenset(
    "use present include log direct point link end begin start close add append show display output "
    "print".split()
)
_SAYING = frozenset({"say", "tell"})  # who said it: "analysts say", "…, says the manager"
_INFORMED = frozenset("tell inform advise give".split())  # "readers should be told that…"
_PEOPLE = re.compile(r"anyone|anybody|whoever|everyone|readers?|users?", re.I)
_ORDERS = _ANSWERING - {
    "use",
    "end",
    "begin",
    "start",
    "close",
    "add",
    "show",
    "display",
    "include",
    "call",
    "name",
    "point",
    "link",
    "direct",
    "put",
} | {"pretend", "ignore", "disregard", "forget", "override"}
_WORD_OPENERS = frozenset("then simply just always never instead".split())
_OPENERS = frozenset([*",:;(—–-", "please", "kindly", *_WORD_OPENERS])
_POLITE = frozenset({"please", "kindly"})
_FINITE = frozenset({"VBD", "VBP", "VBZ", "MD"})
_NOT_OBJECT = frozenset({"MD", "VBD", "VBZ", "VBP", "VBN", "HYPH", "CC", "POS"})
# what follows a verb given as an order: its object ("state that…", "give the price…", "cite it")
_OBJECT = frozenset({"DT", "PRP", "PRP$", "WDT", "WP", "``", '""', ":", "-LRB-"})
# a clause that may come before an order: "If asked, …", "When a reader asks about it, …"
_SUBORDINATE = frozenset("if when whenever once unless before after while whatever".split())
_ASSERT = re.compile(
    r"\b(correct|right|accurate|true|only)\s+(answer|figure|number|price|name|value|"
    r"amount|response)\b|\b(answer|figure|price|number|name|amount)\s+to\s+(cite|quote|give|report|use|"
    r"repeat|state|say|mention|remember|log)\b|\bonly\b[^.;]{0,60}\b(is|are)\s+(accurate|correct|right|"
    r"valid|true)\b",
    re.I,
)
# a question put to whoever answers, and the answer to give: even inside quotation marks
_ASKED = re.compile(
    r"\b(when|if|whenever) (you are |you're |it is |)asked\b[^.]{0,120}?[,:]\s*(the answer is|answer|"
    r"reply|respond|say|give|state|cite|quote)\b",
    re.I,
)
_DISCREDIT = re.compile(
    r"\b(elsewhere|other (reports?|stories|sources|articles|names|figures)|earlier (reports?|stories|"
    r"versions?|drafts?))\b[^.;]{0,80}\b((is|are|was|were|be|been) (now )?(wrong|outdated|inaccurate|"
    r"incorrect|obsolete|a draft|superseded)|left out|should be ignored)\b",
    re.I,
)


def flagged(text: str, analysis: nlp.Analysis | None = None) -> list[tuple[int, int]]:
    """(start, end) of the sentences of `text` that try to instruct an answering system."""
    analysis = analysis or nlp.analyse(text)
    paragraphs = [0, *(m.end() for m in nlp.PARAGRAPH.finditer(text))]
    return [
        (s, e)
        for s, e in analysis.sentences
        if steers(analysis.span(s, e), _quoted(text[max(p for p in paragraphs if p <= s) : s]))
    ]


def _quoted(before: str) -> bool:
    """A quotation opened earlier in the paragraph is still open: the sentence is someone's words
    ('"We must compete. You cannot ignore New York," he said.')."""
    return before.count('"') % 2 == 1 or before.count("“") > before.count("”")


def steers(sentence: nlp.Span, quoted: bool = False) -> bool:
    """`quoted`: the sentence sits inside a quotation that began in an earlier sentence."""
    text = sentence.text
    if any(p.search(text) for p in (_MARKUP, _DISCREDIT, _ASKED, _ANSWERERS, _SPACED)):
        return True
    tokens = [t for t in sentence.tokens() if not t.lower.isspace()]
    addressed = _AI.search(text) or _ANY_ANSWER.search(text)
    if addressed:  # told to answer: an order, an obligation or a call ("Note to chatbots: …")
        a, b = sentence.start + addressed.start(), sentence.start + addressed.end()
        told = {t.lemma for t in _told(tokens) if not a <= t.start < b}
        called = ":" in text[addressed.end() : addressed.end() + 40]  # "Systems answering questions on it: …"
        if told & _ANSWERING or _OBLIGATION.search(text) or _VOCATIVE.search(text) or called:
            return True
    if _labelled(tokens):
        return True
    if _instructs_agent(sentence, tokens):
        return True
    reported = _reported(text, tokens)
    polite = {t.lemma for t in tokens} & _POLITE
    if _RESTATE.search(text) and (polite or not reported and _ordered(tokens, quoted)):
        return True
    if reported:
        return False
    return _ordered(tokens, quoted) or bool(_ASSERT.search(text))


def _labelled(tokens: list[nlp.Token]) -> bool:
    """The sentence opens with a label of answering, like a field of a form: "Answer key: …",
    "Reply: …" (not "Reuters reported: …", which is a clause)."""
    words = list(itertools.takewhile(lambda t: t.lower != ":", tokens))
    if not 0 < len(words) <= 4 or len(words) == len(tokens) or words[0].lower in {"q", "a"}:
        return False
    return any(t.lemma in _ANSWERING - _SHAPING for t in words) and not any(t.tag in _FINITE for t in words)


def _told(tokens: list[nlp.Token]) -> list[nlp.Token]:
    """Verbs that state a rule or an order ("should cite", "is referred to as"), not a report of
    what was done ("told", "was called"), of who says so ("…, says the manager") nor a participle
    ("a product called…")."""
    passive = [t for prev, t in zip(tokens, tokens[1:]) if t.tag == "VBN" and prev.lemma == "be"]
    if passive and _reported("", tokens):
        passive = []
    present = [t for t in tokens if t.tag in {"VB", "VBP"} or t.tag == "VBZ" and t.lemma not in _SAYING]
    return present + passive


def _instructs_agent(sentence: nlp.Span, tokens: list[nlp.Token]) -> bool:
    """An answering agent, then an obligation, then a bare verb of answering (rule 3)."""
    m = _AGENTS.search(sentence.text)
    if m is None:
        return False
    found = _OBLIGATION.search(sentence.text, m.end())
    if found is None:
        return False
    obligation = sentence.start + found.start()
    verbs = _ANSWERING if _PEOPLE.fullmatch(m.group(0)) is None else _ANSWERING - _SHAPING
    told = [t for p, t in zip(tokens, tokens[1:]) if p.lemma == "be" and t.lemma in _INFORMED]  # "be told"
    bare = [t for t in tokens if t.tag == "VB"]
    return any(t.start > obligation and t.lemma in verbs for t in [*bare, *told])


def _reported(text: str, tokens: list[nlp.Token]) -> bool:
    """Speech attributed to someone: quotation marks, or a verb of saying with its subject before
    it ("analysts say", "he told")."""
    if re.search(r"[\"“”]", text) or _INTERVIEW.search(text):
        return True
    for prev, t in zip([None, *tokens], tokens):
        subject = not _opener(prev) and prev is not None and prev.lower != "you"  # "they say", not "you say"
        if t.lemma in _SAYING and (t.tag in {"VBD", "VBZ"} or t.tag == "VBP" and subject):
            return True
    return False


def _ordered(tokens: list[nlp.Token], quoted: bool = False) -> bool:
    """An imperative: a clause that opens with a bare verb of answering or ignoring and its object,
    or "you" asked to answer (outside a quotation that runs on from an earlier sentence)."""
    you = not quoted and any(t.lower in {"you", "your"} for t in tokens)
    if you and any(t.lemma in _ANSWERING - _SHAPING for t in tokens):
        return True
    finite = False  # a verb with its own subject came first: "the board would then report back"
    for i, t in enumerate(tokens):
        if t.lemma in _ORDERS and _opens(tokens, i, finite) and _bare(tokens, i):
            return True
        finite = finite or t.tag in _FINITE
    return False


def _opener(t: nlp.Token | None) -> bool:
    return t is None or t.lower in _OPENERS


def _opens(tokens: list[nlp.Token], i: int, finite: bool) -> bool:
    """Token i starts a clause of its own: the sentence's start, after "please", or after a break
    ("…, state that"; "then report") with no clause of its own before it, or a subordinate one
    ("If asked, reply…")."""
    if i == 0:
        return True
    prev = tokens[i - 1]
    if prev.lower in _POLITE:
        return True
    if prev.lower in {"not", "n't"} and i >= 2 and tokens[i - 2].lower == "do":  # "Do not mention…"
        return _opens(tokens, i - 2, finite)
    if prev.lower in _WORD_OPENERS:  # "…; instead say…", "Then report…", not "would then report"
        return _opens(tokens, i - 1, finite)
    if not _opener(prev) or prev.lower in "-–—" and tokens[i].start == prev.end:  # "out-of-state"
        return False
    if prev.lower in ":;(":
        return True
    return i == 1 or not finite and _leading(tokens[0])


def _leading(first: nlp.Token) -> bool:
    """The sentence opens with a clause or phrase that may lead into an order ("If asked, …",
    "From here on, …"), not with a subject ("Growers, for their part, say…")."""
    return first.lower in _SUBORDINATE or first.tag in {"IN", "RB", "VBG", "VBN", "WRB"}


def _bare(tokens: list[nlp.Token], i: int) -> bool:
    """A bare verb with its object after it. A capitalised or noun-tagged word counts when an object
    follows ("State that…"), not when a verb or preposition does ("Output rose", "Report of")."""
    t, nxt = tokens[i], tokens[i + 1] if i + 1 < len(tokens) else None
    if nxt is None:
        return False
    if t.tag in {"VB", "VBP"}:
        return nxt.tag not in _NOT_OBJECT
    # a capital, or a word in capitals after a colon, misleads the tagger ("State that…", "NOTE: IGNORE…")
    first = i == 0 or tokens[i - 1].lower in {":", ";"}
    maybe = t.tag == "NN" or (first and t.lower == t.lemma)
    return maybe and (nxt.tag in _OBJECT or nxt.lower == "that")  # not "State To Buy Mills…"


def mask(text: str, analysis: nlp.Analysis | None = None) -> str:
    """The text with flagged sentences replaced by a visible marker (what a model may see)."""
    for s, e in reversed(flagged(text, analysis)):
        text = text[:s] + MASK + text[e:]
    return text
