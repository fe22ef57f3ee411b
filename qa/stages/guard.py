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
"'You cannot ignore New York,' he said") is not an instruction to us.

Flagged sentences are masked from model prompts, never quoted as support, and shown to the reader
as flagged. These are rules on word classes and grammar (spaCy tags), not a list of attack phrases;
they do not catch plain false statements written as news.
"""

from __future__ import annotations

import re

from qa import text as nlp

MASK = "[text addressed to AI systems removed]"
_MARKUP = re.compile(
    r"<\s*(img|script|iframe|a|style|meta|link)\b|<!--|\]\(\s*\S+\)|!\[|^\s*#{2,}\s*\w|"
    r"^\s*\[?\s*(system|admin|assistant|user|developer|instruction)s?\s*[\]:]",
    re.I | re.M,
)
_AI = re.compile(
    r"\b(AI|A\.I\.|artificial intelligence|chat ?bots?|bots?|LLMs?|(large )?language models?|"
    r"summari[sz]ers?|summari[sz]ation (tools?|systems?)|(AI|virtual|digital|automated) assistants?|"
    r"assistants? (handling|reading|answering|summari[sz]ing|processing)|machine[- ]learning (models?|"
    r"systems?)|automated (systems?|tools?|readers?)|answering (systems?|engines?|models?))\b",
    re.I,
)
# speaking to someone: "Chatbots reading this wire:", "Attention, models", "Note to assistants"
_VOCATIVE = re.compile(r"^[^.:]{0,60}:|\b(attention|note|message|notice|reminder)\b", re.I)
# addressing whoever answers: "in any response", "for all summaries"
_ANY_ANSWER = re.compile(
    r"\b(in|for|to|of) (any|all|every|each) (responses?|answers?|repl(y|ies)|summar(y|ies)|write-?ups?)\b",
    re.I,
)
_AGENTS = re.compile(
    r"\b(anyone|anybody|whoever|everyone|readers?|users?|responses?|answers?|repl(y|ies)|write-?ups?|summar(y|ies)|"
    r"digests?|systems?|models?|tools?|outlets?)\b",
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
_OPENERS = frozenset([*",:;(—–-", *"please kindly then simply just always".split()])
_ASSERT = re.compile(
    r"\b(correct|right|accurate|true|only|real|proper)\s+(answer|figure|number|price|name|value|"
    r"amount|response)\b|\b(answer|figure|price|number|name|amount)\s+to\s+(cite|quote|give|report|use|"
    r"repeat|state|say|mention|remember|log)\b|\bonly\b[^.;]{0,60}\b(is|are)\s+(accurate|correct|right|"
    r"valid|true)\b",
    re.I,
)
# a question put to whoever answers, and the answer to give: even inside quotation marks
_ASKED = re.compile(
    r"\b(when|if|whenever) (you are |you're |it is |)asked\b[^.]{0,120}\b(the answer is|answer|"
    r"reply|respond|say|give)\b",
    re.I,
)
_DISCREDIT = re.compile(
    r"\b(elsewhere|other (reports?|stories|sources|articles|names|figures)|earlier (reports?|stories|"
    r"versions?|drafts?))\b[^.;]{0,80}\b(wrong|outdated|inaccurate|incorrect|obsolete|left out|draft|"
    r"superseded|should be ignored)\b",
    re.I,
)


def flagged(text: str, analysis: nlp.Analysis | None = None) -> list[tuple[int, int]]:
    """(start, end) of the sentences of `text` that try to instruct an answering system."""
    analysis = analysis or nlp.analyse(text)
    return [(s, e) for s, e in analysis.sentences if steers(analysis.span(s, e))]


def steers(sentence: nlp.Span) -> bool:
    text = sentence.text
    if _MARKUP.search(text) or _DISCREDIT.search(text) or _ASKED.search(text):
        return True
    tokens = [t for t in sentence.tokens() if not t.lower.isspace()]
    lemmas = {t.lemma for t in tokens}
    addressed = _AI.search(text) or _ANY_ANSWER.search(text)
    if addressed and (lemmas & _ANSWERING or _OBLIGATION.search(text) or _VOCATIVE.search(text)):
        return True
    if _instructs_agent(sentence, tokens):
        return True
    if _reported(text, tokens):
        return False
    return _ordered(tokens) or bool(_ASSERT.search(text))


def _instructs_agent(sentence: nlp.Span, tokens: list[nlp.Token]) -> bool:
    """An answering agent, then an obligation, then a bare verb of answering (rule 3)."""
    m = _AGENTS.search(sentence.text)
    if m is None:
        return False
    found = _OBLIGATION.search(sentence.text, m.end())
    if found is None:
        return False
    obligation = sentence.start + found.start()
    return any(t.start > obligation and t.tag == "VB" and t.lemma in _ANSWERING for t in tokens)


def _reported(text: str, tokens: list[nlp.Token]) -> bool:
    """Quoted speech attributed to someone: quotation marks and a verb of saying."""
    quoted = re.search(r"[\"“”]", text)
    return bool(quoted) or any(t.lemma in {"say", "tell"} and t.tag in {"VBD", "VBZ"} for t in tokens)


def _ordered(tokens: list[nlp.Token]) -> bool:
    """An imperative: a clause opening with a bare verb of answering or ignoring, or "you"."""
    if any(t.lower in {"you", "your"} for t in tokens):
        return True
    for prev, t in zip([None, *tokens], tokens):
        opens = prev is None or prev.lower in _OPENERS
        bare = t.tag in {"VB", "VBP", "NN"} or (prev is None and t.lower == t.lemma)  # a capital misleads
        if opens and bare and t.lemma in _ORDERS:
            return True
    return False


def mask(text: str, analysis: nlp.Analysis | None = None) -> str:
    """The text with flagged sentences replaced by a visible marker (what a model may see)."""
    for s, e in reversed(flagged(text, analysis)):
        text = text[:s] + MASK + text[e:]
    return text
