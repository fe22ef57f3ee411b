"""Follow-up questions become standalone questions before retrieval.

A follow-up ("Which firm is he joining?") needs the conversation when it uses a pronoun, points
back ("that agreement"), says almost nothing of its own ("And in 1985?") or names no one ("Which
bank manages the offer?": an archive question that stands on its own names whom it is about).
Without any model call, the latest earlier question that stood on its own, and the names its answer
brought in, are appended as context: "Which firm is he joining? (follow-up to: Who is leaving the
exchange? Anders Holm)". Retrieval searches all of it; `question.read_question` keeps the
follow-up's own words as what is asked and the context as background, so a wrong guess at what "he"
means can never become a name the answer must be about (measured on the development conversations:
substituting names for pronouns picked the wrong one in 4 of 10). With `model=True` the model
rewrites instead (one extra model call), and that rewrite is used only if it keeps the follow-up's
own words and is one question."""

from __future__ import annotations

import re

from qa import text as nlp
from qa.contract import Turn
from qa.llm import LLM

_PRONOUNS = frozenset("he him his she her hers it its they them their theirs there then".split())
_POINTING = frozenset({"that", "this", "those", "these", "the same", "such"})
_ELLIPTICAL = re.compile(r"^\s*(and|what about|how about|also|and what about|same)\b", re.I)

REWRITE_SYSTEM = (
    "Rewrite the user's last question so that it can be understood without the conversation. "
    "Replace pronouns with the names they refer to. Do not answer it. Reply with the rewritten "
    "question only, on one line."
)


def rewrite(question: str, history: list[Turn], llm: LLM | None = None, model: bool = False) -> str:
    if not history:
        return question
    if model and llm is not None:
        return _by_model(question, history, llm)
    if needs_context(question):
        return fallback(question, history)
    return question


def needs_context(question: str) -> bool:
    span = nlp.analyse(question).whole
    tokens = span.tokens()
    own = [t for t in tokens if t.content]
    has_pronoun = any(t.lower in _PRONOUNS for t in tokens)
    if has_pronoun or len(own) <= 2 or bool(_ELLIPTICAL.match(question)) or _points_back(question):
        return True
    return not nlp.names(span)


def _points_back(question: str) -> bool:
    """A demonstrative before a noun: "that agreement", "those shares"."""
    tokens = [t for t in nlp.analyse(question).whole.tokens() if not t.lower.isspace()]
    return any(
        t.lower in _POINTING and t.tag == "DT" and nxt.tag.startswith("NN")
        for t, nxt in zip(tokens, tokens[1:])
    )


def _first_paragraph(answer: str) -> str:
    return re.sub(r"\s*\[\d+\]", "", answer.split("\n\n")[0])


FOLLOW_UP = " (follow-up to: "


def fallback(question: str, history: list[Turn]) -> str:
    """The question, then as context the latest earlier question that stood on its own and the
    names its answer brought in: "How much will Talmar pay for it? (follow-up to: Which unit did Vesta
    agree to sell? Vesta Oil and Gas)". The question's own words stay first: they say what is asked."""
    i = next((i for i in range(len(history) - 1, -1, -1) if not needs_context(history[i].question)), 0)
    turn = history[i]
    asked = nlp.analyse(turn.question).whole
    answer = nlp.analyse(_first_paragraph(turn.answer)).whole
    fresh = [n.text for n in nlp.names(answer) if not n.words <= asked.words and not _dated(n.text)]
    names = "; ".join(dict.fromkeys(" ".join(f.split()) for f in fresh[:3]))
    return f"{question.strip()}{FOLLOW_UP}{turn.question.strip()}{' ' + names if names else ''})"


def split(standalone: str) -> tuple[str, str]:
    """The follow-up's own words and its context (empty for a question that stood on its own)."""
    own, _, context = standalone.partition(FOLLOW_UP)
    return own, context.removesuffix(")")


def _dated(text: str) -> bool:
    return any(c.isdigit() for c in text)


def _by_model(question: str, history: list[Turn], llm: LLM) -> str:
    convo = "\n".join(f"User: {t.question}\nAssistant: {_short(t.answer)}" for t in history[-2:])
    messages = [
        {"role": "system", "content": REWRITE_SYSTEM},
        {"role": "user", "content": f"{convo}\nUser: {question}\n\nRewritten question:"},
    ]
    lines = "".join(llm.stream(messages, max_tokens=60)).strip().splitlines()
    candidate = lines[0].strip().strip('"') if lines else ""
    return candidate if _acceptable(candidate, question) else fallback(question, history)


def _short(answer: str, limit: int = 300) -> str:
    answer = _first_paragraph(answer)
    return answer if len(answer) <= limit else answer[:limit] + "…"


def _acceptable(candidate: str, question: str) -> bool:
    if not (8 <= len(candidate) <= 300) or "NOT IN ARTICLES" in candidate.upper():
        return False
    if candidate.count("?") > 1 or not candidate.endswith("?"):
        return False
    own = nlp.analyse(question).whole.lemmas
    return len(own & nlp.analyse(candidate).whole.lemmas) >= 0.5 * len(own)
