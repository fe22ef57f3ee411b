"""Follow-up questions become standalone questions before retrieval.

With an LLM, the model rewrites the question from the last turns; the rewrite is accepted only if
it keeps the follow-up's own content words and looks like one question, else the fallback is used.
Without an LLM (or as that fallback), the previous question is appended as context, which is what
retrieval needs: "When did they launch it? (follow-up to: Who launched Operation 1027?)".
It does not resolve references across more than the last two turns.
"""

from __future__ import annotations

import re

from qa.citations import content_words
from qa.contract import Turn
from qa.llm import LLM

_ANAPHOR = re.compile(
    r"\b(it|its|they|them|their|theirs|he|him|his|she|her|hers|this|that|these|those|there|then|"
    r"the group|the offensive|the same|such)\b",
    re.I,
)

REWRITE_SYSTEM = (
    "Rewrite the user's last question so that it can be understood without the conversation. "
    "Replace pronouns with the names they refer to. Do not answer it. Reply with the rewritten "
    "question only, on one line."
)


def needs_rewrite(question: str, history: list[Turn]) -> bool:
    if not history:
        return False
    return bool(_ANAPHOR.search(question)) or len(content_words(question)) <= 2


def fallback(question: str, history: list[Turn]) -> str:
    return f"{question.strip()} (follow-up to: {history[-1].question.strip()})"


def rewrite(question: str, history: list[Turn], llm: LLM | None) -> str:
    if not needs_rewrite(question, history):
        return question
    if llm is None:
        return fallback(question, history)
    convo = "\n".join(f"User: {t.question}\nAssistant: {_short(t.answer)}" for t in history[-2:])
    messages = [
        {"role": "system", "content": REWRITE_SYSTEM},
        {"role": "user", "content": f"{convo}\nUser: {question}\n\nRewritten question:"},
    ]
    text = "".join(llm.stream(messages, max_tokens=60)).strip().splitlines()
    candidate = text[0].strip().strip('"') if text else ""
    return candidate if _acceptable(candidate, question) else fallback(question, history)


def _short(answer: str, limit: int = 300) -> str:
    answer = re.sub(r"\s*\[\d+\]", "", answer)
    return answer if len(answer) <= limit else answer[:limit] + "…"


def _acceptable(candidate: str, question: str) -> bool:
    if not (8 <= len(candidate) <= 300) or "NOT IN ARTICLES" in candidate.upper():
        return False
    if candidate.count("?") > 1 or not candidate.endswith("?"):
        return False
    own = content_words(question)
    return len(own & content_words(candidate)) >= 0.5 * len(own)
