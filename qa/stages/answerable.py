"""The one answerability decision: do the retrieved articles answer this question at all?

Decided from evidence, before any model is asked: the best-ranked sentence window that is about
the question's names and offers the kind of answer asked for must cover enough of the question's
rarity-weighted words (`min_coverage`) and score high enough with its embedding similarity
(`min_evidence`). Both thresholds come from a risk-coverage sweep on the tuning half of the
development set (docs/QUALITY.md); `evidence_score` is what that sweep moves a threshold over.

It does not look at what a model says; a model may still refuse (see the engine).
"""

from __future__ import annotations

from dataclasses import dataclass

from index.settings import TrustSettings
from qa.stages.evidence import Question, Window


@dataclass(frozen=True)
class Decision:
    answerable: bool
    best: Window | None  # the window that would answer (None when nothing qualifies)
    score: float  # evidence_score of `best` (0 without one)
    reason: str  # why not, in words a reader could follow


def decide(question: Question, ranked: list[Window], trust: TrustSettings) -> Decision:
    candidates = [w for w in ranked if w.about and w.typed]
    if not candidates:
        reason = (
            "no passage is about " + _names(question) if question.names else "no passage offers an answer"
        )
        return Decision(False, None, 0.0, reason)
    best = candidates[0]
    score = evidence_score(best, trust)
    if best.coverage < trust.min_coverage or score < trust.min_evidence:
        return Decision(False, best, score, "the closest passages do not cover the question")
    return Decision(True, best, score, "")


def evidence_score(window: Window, trust: TrustSettings) -> float:
    return window.coverage + trust.rank_dense * window.dense


def _names(question: Question) -> str:
    return ", ".join(n.text for n in question.names)
