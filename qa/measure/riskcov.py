"""Risk and coverage of the answerability decision, as its strictness moves.

`qa eval --sweep max_missing=0,0.1,…` answers the question set once per value of one threshold of
`Settings.trust` and keeps, per value and per half of the set: the share of questions answered
(coverage), the accuracy of the answered ones (an unanswerable question answered counts as wrong),
answerable accuracy, and the share of unanswerable questions refused. `choose` picks, on the
tuning half only, the loosest value that refuses at least a target share; the check half is
then reported at that value. `plot` draws answered accuracy against coverage, one curve per half.

It does not run the engine itself (see `qa.measure.evaluate`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Point:
    value: float  # the threshold's value
    split: str
    coverage: float  # share of single-turn questions answered
    answered_accuracy: float  # answered and right, among the answered
    accuracy: float  # answerable questions answered right
    refusal: float  # unanswerable questions refused


def point(value: float, split: str, results: list[Any]) -> Point:
    rows = [
        r
        for r in results
        if r.kind in ("answerable", "unanswerable") and (split == "all" or r.split == split)
    ]
    answered = [r for r in rows if not r.refused]
    right = [r for r in answered if r.kind == "answerable" and r.correct]
    ans = [r for r in rows if r.kind == "answerable"]
    una = [r for r in rows if r.kind == "unanswerable"]
    return Point(
        value,
        split,
        len(answered) / max(1, len(rows)),
        len(right) / max(1, len(answered)),
        len(right) / max(1, len(ans)),
        sum(r.refused for r in una) / max(1, len(una)),
    )


def choose(points: list[Point], min_refusal: float, split: str = "tune") -> Point:
    """The loosest value (most answers) whose refusal on `split` reaches `min_refusal`."""
    mine = [p for p in points if p.split == split]
    ok = [p for p in mine if p.refusal >= min_refusal]
    return max(ok, key=lambda p: (p.coverage, p.accuracy)) if ok else max(mine, key=lambda p: p.refusal)


def table(points: list[Point], name: str) -> str:
    lines = [f"| {name} | half | answered | accuracy of answered | answerable accuracy | refusal |"]
    lines.append("|---:|---|---:|---:|---:|---:|")
    for p in sorted(points, key=lambda p: (p.value, p.split)):
        lines.append(
            f"| {p.value:g} | {p.split} | {p.coverage:.2f} | {p.answered_accuracy:.2f} | {p.accuracy:.2f} | "
            f"{p.refusal:.2f} |"
        )
    return "\n".join(lines)


def plot(points: list[Point], name: str, chosen: float, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.4), dpi=110)
    for split in sorted({p.split for p in points}):
        mine = sorted((p for p in points if p.split == split), key=lambda p: p.value)
        ax.plot(
            [p.coverage for p in mine], [p.answered_accuracy for p in mine], marker="o", label=f"{split} half"
        )
        for p in mine:
            ax.annotate(f"{p.value:g}", (p.coverage, p.answered_accuracy), fontsize=7, xytext=(3, 3),
                        textcoords="offset points")  # fmt: skip
            if p.value == chosen:
                ax.scatter([p.coverage], [p.answered_accuracy], s=140, facecolors="none", edgecolors="black")
    ax.set_xlabel("share of questions answered (coverage)")
    ax.set_ylabel("accuracy of the answered questions")
    ax.set_title(f"Risk-coverage as {name} moves (circled: {chosen:g})", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
