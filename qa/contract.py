"""The one data contract every surface renders: `Answer` and `Citation` (plus stream events).

The CLI, the Gradio chat, the REST API and the widget all show exactly this; nothing else crosses
from `qa` to the surfaces. `Answer.to_dict()` is the `qa ask --json` object.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Citation:
    n: int  # the [n] marker in the answer text
    doc_id: str
    source: str  # the article path as it was indexed
    title: str
    date: str | None
    start: int  # offsets of `quote` in the original article text
    end: int
    quote: str
    supported: bool  # does this passage support the sentence that cites it?
    cluster: str = ""  # articles telling the same story share a cluster id
    context_before: str = ""  # a little surrounding text, for display
    context_after: str = ""
    flagged: bool = False  # the passage holds text addressed to AI systems (never used as support)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Answer:
    question: str
    rewritten_question: str
    answer: str
    refused: bool
    citations: tuple[Citation, ...]
    model: str
    timings: dict[str, float] = field(default_factory=dict)
    removed_sentences: tuple[str, ...] = ()  # model sentences dropped by the grounding check
    notes: tuple[str, ...] = ()  # e.g. where sources disagree

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["citations"] = [c.to_dict() for c in self.citations]
        d["removed_sentences"] = list(self.removed_sentences)
        d["notes"] = list(self.notes)
        return d


@dataclass(frozen=True)
class Turn:
    """One finished exchange of a conversation, for follow-up rewriting."""

    question: str
    answer: str


@dataclass(frozen=True)
class Event:
    """A streaming event: `rewritten`, `delta` (verified answer text), then `final` with the Answer.

    `trace` (final only) says which stage decided what, for evaluation; surfaces ignore it."""

    kind: str
    text: str = ""
    answer: Answer | None = None
    trace: dict[str, Any] | None = None
