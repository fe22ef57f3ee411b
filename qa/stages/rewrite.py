"""Follow-up questions become standalone questions before retrieval.

A follow-up ("Which firm is he joining?") needs the conversation when it uses a pronoun or says
almost nothing of its own ("And in 1985?"). Without any model call, a pronoun is replaced by the
name it most likely stands for: a name of the right kind (a person for "he"/"she", an organisation,
product or place for "it"/"its", any for "they", a place for "there") that the previous answer
brought in, else one from the previous question. When nothing fits, or the question is elliptical,
the previous question is appended as context: "And in 1985? (follow-up to: What did Foo earn?)".
With `model=True` the model rewrites instead (one extra model call), and that rewrite is used
only if it keeps the follow-up's own words and is one question.

It looks back one turn only.
"""

from __future__ import annotations

import re

from qa import text as nlp
from qa.contract import Turn
from qa.llm import LLM

_KINDS = {
    "person": frozenset({"PERSON", "PROPN"}),
    "thing": frozenset({"ORG", "PRODUCT", "FAC", "GPE", "LAW", "EVENT", "PROPN", "NORP"}),
    "any": frozenset({"PERSON", "ORG", "NORP", "GPE", "PRODUCT", "PROPN"}),
    "place": frozenset({"GPE", "LOC", "FAC"}),
}
_PRONOUNS = {
    **dict.fromkeys(["he", "him", "she", "her", "hers"], "person"),
    **dict.fromkeys(["his"], "person"),
    **dict.fromkeys(["it", "its"], "thing"),
    **dict.fromkeys(["they", "them", "their", "theirs"], "any"),
    "there": "place",
}
_POSSESSIVE = {"his", "her", "its", "their"}
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
    resolved = resolve(question, history[-1])
    if resolved != question and not _ELLIPTICAL.match(question):
        return resolved
    if needs_context(question):
        return fallback(resolved, history)
    return question


def needs_context(question: str) -> bool:
    own = [t for t in nlp.analyse(question).whole.tokens() if t.content]
    has_pronoun = any(t.lower in _PRONOUNS for t in nlp.analyse(question).whole.tokens())
    return has_pronoun or len(own) <= 2 or bool(_ELLIPTICAL.match(question))


def resolve(question: str, last: Turn) -> str:
    """The question with each pronoun replaced by the name it stands for, where one fits."""
    tokens = nlp.analyse(question).whole.tokens()
    out, pos = [], 0
    for t in tokens:
        kind = _PRONOUNS.get(t.lower)
        name = _antecedent(kind, last) if kind else None
        if name is None:
            continue
        out.append(question[pos : t.start])
        out.append(f"{name}'s" if t.lower in _POSSESSIVE else name)
        pos = t.end
    return "".join(out) + question[pos:] if out else question


def _antecedent(kind: str, last: Turn) -> str | None:
    answer = nlp.analyse(_first_paragraph(last.answer)).whole
    asked = nlp.analyse(last.question).whole
    fresh = [n for n in nlp.names(answer) if not n.words <= asked.words]
    for name in [*fresh, *nlp.names(asked)]:
        if name.label in _KINDS[kind]:
            return " ".join(_clean(name.text).split())
    return None


def _first_paragraph(answer: str) -> str:
    return re.sub(r"\s*\[\d+\]", "", answer.split("\n\n")[0])


def _clean(name: str) -> str:
    return re.sub(r"^(the)\s+", "", name.strip(" ,.;:"), flags=re.I)


def fallback(question: str, history: list[Turn]) -> str:
    return f"{question.strip()} (follow-up to: {history[-1].question.strip()})"


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
