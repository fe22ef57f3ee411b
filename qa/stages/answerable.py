"""The one answerability decision: do the retrieved articles answer this question at all?

Decided from evidence, before any model is asked. A window qualifies when it is about the
question's names, offers the kind of answer asked for, and lacks at most `max_missing` (by rarity
weight) of the words that say what is asked about those names: "Who succeeded Baker?" is not
answered by a sentence about Baker that never speaks of succeeding him. An article older than a
year the question asks about ("in 1988") cannot answer it unless it names that year. The
best-ranked qualifying window must then reach `min_evidence` on its evidence score (coverage plus
embedding similarity weighted by `rank_dense`). Thresholds come from a risk-coverage sweep on the
tuning half of the development set (docs/QUALITY.md).

It does not look at what a model says; a model may still refuse (see the engine).
"""

from __future__ import annotations

from dataclasses import dataclass

from index.settings import TrustSettings
from qa.stages.evidence import Window
from qa.stages.question import Question


@dataclass(frozen=True)
class Decision:
    answerable: bool
    best: Window | None  # the window that would answer (None when nothing qualifies)
    score: float  # evidence_score of `best` (0 without one)
    reason: str  # why not, in words a reader could follow
    nearest: Window | None = None  # the best window about the names with the kind asked, qualifying or not


def decide(question: Question, ranked: list[Window], trust: TrustSettings) -> Decision:
    loose = question.kind in (None, "reason")  # no kind of answer to insist on
    relevant = [w for w in ranked if w.about and (w.typed or loose)]
    candidates = [w for w in relevant if w.missing_share <= trust.max_missing and w.timely]
    if any(w.fit for w in candidates):  # "60,000 subscribers" for "how many subscribers"
        candidates = [w for w in candidates if w.fit]
    nearest = relevant[0] if relevant else None
    if not candidates:
        reason = "no passage says what is asked" + (f" about {_names(question)}" if question.names else "")
        return Decision(False, None, 0.0, reason, nearest)
    best = candidates[0]
    score = evidence_score(best, trust)
    if score < trust.min_evidence:
        return Decision(False, best, score, "the closest passages do not cover the question", nearest)
    return Decision(True, best, score, "", nearest)


def evidence_score(window: Window, trust: TrustSettings) -> float:
    return window.coverage + trust.rank_dense * window.dense


def _names(question: Question) -> str:
    return ", ".join(n.text for n in question.names)
