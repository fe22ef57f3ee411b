"""The input limits every surface shares (the JSON API, the Gradio chat and `/ask`, the widget):
how much history may come with a question, and that every string is real text.

The question's own checks (empty, over 1000 characters) are the engine's (`qa.engine`); the
request body limit is `ui.guards.BodyLimit`. It does not truncate anything: too much is an error
that says what to send instead.
"""

from __future__ import annotations

from collections.abc import Sequence

from index.errors import BadInputError
from qa.contract import Turn
from qa.engine import MAX_QUESTION_CHARS

MAX_TURNS = 20  # history turns a surface may send (the follow-up rewrite reads the last two)
MAX_ANSWER_CHARS = 10_000  # one history answer
NOT_TEXT = (
    "The request holds characters that are not valid text (e.g. a lone \\ud800 escape): send UTF-8 text."
)

__all__ = ["MAX_ANSWER_CHARS", "MAX_QUESTION_CHARS", "MAX_TURNS", "NOT_TEXT", "check_history", "check_text"]


def check_history(history: Sequence[Turn]) -> None:
    if len(history) > MAX_TURNS:
        raise BadInputError(f"The conversation has {len(history)} turns; send at most the last {MAX_TURNS}.")
    for turn in history:
        if len(turn.question) > MAX_QUESTION_CHARS or len(turn.answer) > MAX_ANSWER_CHARS:
            raise BadInputError(
                f"A history turn is too long: keep each question under {MAX_QUESTION_CHARS} characters "
                f"and each answer under {MAX_ANSWER_CHARS}."
            )


def check_text(*texts: str) -> None:
    """Every string must be real text: a lone surrogate (e.g. \\ud800 in JSON) cannot be encoded."""
    for text in texts:
        if not isinstance(text, str):
            raise BadInputError("Questions and answers must be text.")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise BadInputError(NOT_TEXT) from None
