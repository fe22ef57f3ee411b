"""Risk and coverage of the answerability decision, as its threshold moves.

Run `qa eval` with the decision open (`QA_TRUST__MIN_EVIDENCE=-1`), so every question with a
qualifying window is answered and carries its evidence score in the trace. Moving a threshold over
those scores then shows, for each strictness: the share of questions answered (coverage), the
accuracy of the answered ones (answerable and right), answerable accuracy, and the share of
unanswerable questions refused. `choose` picks the loosest threshold whose refusal rate on the
given results meets a target: fitted on the tuning half, reported on the check half.

It does not run the engine (see `qa.measure.evaluate`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Point:
    threshold: float
    coverage: float  # share of all questions answered
    answered_accuracy: float  # answered and right, among the answered
    accuracy: float  # answerable questions answered right
    refusal: float  # unanswerable questions refused


def curve(results: list[Any], thresholds: list[float] | None = None) -> list[Point]:
    """One point per threshold over results of an open run (single-turn items)."""
    rows = [r for r in results if r.kind in ("answerable", "unanswerable")]
    scores = sorted({_score(r) for r in rows})
    points = []
    for t in thresholds or [-1.0, *scores]:
        answered = [r for r in rows if not r.refused and _score(r) >= t]
        right = [r for r in answered if r.kind == "answerable" and r.correct]
        ans = [r for r in rows if r.kind == "answerable"]
        una = [r for r in rows if r.kind == "unanswerable"]
        points.append(
            Point(
                t,
                len(answered) / max(1, len(rows)),
                len(right) / max(1, len(answered)),
                len(right) / max(1, len(ans)),
                sum(1 for r in una if r.refused or _score(r) < t) / max(1, len(una)),
            )
        )
    return points


def _score(result: Any) -> float:
    return float(result.trace.get("score", 0.0)) if result.trace.get("answerable") is not None else 0.0


def choose(points: list[Point], min_refusal: float) -> Point:
    """The loosest threshold that refuses at least `min_refusal` of the unanswerable questions."""
    ok = [p for p in points if p.refusal >= min_refusal]
    return min(ok, key=lambda p: p.threshold) if ok else max(points, key=lambda p: p.refusal)


def plot(curves: dict[str, list[Point]], chosen: float, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.4), dpi=110)
    for label, points in curves.items():
        ax.plot([p.coverage for p in points], [p.answered_accuracy for p in points], marker=".", label=label)
        at = min(points, key=lambda p: abs(p.threshold - chosen))
        ax.scatter([at.coverage], [at.answered_accuracy], s=80, facecolors="none", edgecolors="black")
    ax.set_xlabel("share of questions answered (coverage)")
    ax.set_ylabel("accuracy of the answered questions")
    ax.set_title(f"Risk-coverage of the answerability decision (circle: threshold {chosen:.2f})")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
