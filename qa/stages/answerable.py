"""The one answerability decision: do the retrieved articles answer this question at all?

Decided from evidence, before any model is asked. A window qualifies when it is about the
question's names, offers the kind of answer asked for, and lacks at most `max_missing` (by rarity
weight) of the words that say what is asked about those names: "Who succeeded Lindqvist?" is
not answered by a sentence about Lindqvist that never speaks of succeeding him; the words that only
say whom a figure is attributed to ("according to its annual report") may be said by another
retrieved passage of the window's article instead. A window that gives another position than the
one asked ("the first series" for "the second") is no answer. An article older than a year the
question asks about ("in 1988") cannot answer it unless it names that year. The best-ranked
qualifying window must then reach `min_evidence` on its evidence score (coverage plus embedding
similarity weighted by `rank_dense`). Thresholds come from a risk-coverage sweep on the tuning half
of the development set (docs/QUALITY.md).

Between plain evidence and none there is close evidence: a window that lacks a little more of what
is asked (a paraphrase: "sold" for "sale", "based in" for "located"). Word lists and word vectors
cannot tell a paraphrase from an opposite ("buy" and "sell" are close neighbours), so close
evidence is answered only through a model whose sentence then passes every check of `verify`
(names, numbers, dates in its quote); without a model it is refused.

Where a model named in `trust.judge_models` is at hand (none by default), `judged` adds its
yes/no reading of that window (`qa.stages.judge`): the probability that the window does not state
the answer must stay under `judge_plain` on plain evidence and under `judge_close` on close
evidence, or the question is refused before any answer is drafted. Both were set on the tuning
pool (docs/QUALITY.md, "Stop 22").

It does not look at what a model writes; a model may still refuse (see the engine).
"""

from __future__ import annotations

import dataclasses
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
    # the evidence is close but not plain (it lacks more than `max_missing` of what is asked, at most
    # `max_missing_model`): answer only with a model sentence that passes the check, never with the
    # quote alone, and let the model's "not in the articles" stand; `reason` says why if it refuses
    tentative: bool = False


def decide(question: Question, ranked: list[Window], trust: TrustSettings) -> Decision:
    loose = question.kind in (None, "reason")  # no kind of answer to insist on
    relevant = [w for w in ranked if w.about and (w.typed or loose)]
    timely = [w for w in relevant if w.timely]
    nearest = relevant[0] if relevant else None
    about = f" about {_names(question)}" if question.names else ""
    reason = f"no passage says what is asked{about}"
    plain = [w for w in timely if w.missing_share <= trust.max_missing]
    close = [w for w in timely if w.missing_share <= trust.max_missing_model]
    candidates = plain or close
    if not candidates:
        return Decision(False, None, 0.0, reason, nearest)
    if any(w.fit for w in candidates):  # "60,000 subscribers" for "how many subscribers"
        candidates = [w for w in candidates if w.fit]
    best = candidates[0]
    score = evidence_score(best, trust)
    if score < trust.min_evidence:
        return Decision(False, best, score, "the closest passages do not cover the question", nearest)
    if not plain:
        why = f"no passage says plainly what is asked{about}"
        why += ", and no answer drawn from the closest could be checked"
        return Decision(True, best, score, why, nearest, tentative=True)
    return Decision(True, best, score, "", nearest)


def judged(decision: Decision, doubt: float | None, trust: TrustSettings) -> Decision:
    """The decision once the model has judged its window (`doubt`: the probability that it does not
    state the answer; None when no model could say)."""
    if not decision.answerable or doubt is None:
        return decision
    limit = trust.judge_close if decision.tentative else trust.judge_plain
    if doubt <= limit:
        return decision
    why = "the closest passage does not seem to state the answer" + (
        f" ({decision.reason})" if decision.reason else ""
    )
    return dataclasses.replace(decision, answerable=False, reason=why, nearest=decision.best, best=None)


def evidence_score(window: Window, trust: TrustSettings) -> float:
    return window.coverage + trust.rank_dense * window.dense


def _names(question: Question) -> str:
    return ", ".join(n.text for n in question.names)
