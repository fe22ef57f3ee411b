"""Scores of an evaluation run: metric definitions, the grounding check, the CI gate, tables.

Definitions are in `qa.measure.evaluate`'s docstring. `ungrounded` is deliberately independent of
the product's verifier: plain regexes over the answer and its cited passages.
"""

from __future__ import annotations

import calendar
import datetime
import json
import re
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qa.contract import Answer
from qa.measure.devset import FLOORS, norm

if TYPE_CHECKING:
    from qa.measure.evaluate import Report, Result

GATED = ("answer_accuracy", "citation_validity", "refusal_rate", "followup_accuracy")


_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
# a model number is one name ("XR200"), not the name "XR"
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-zA-Z]+[a-zA-Z0-9]*(?:[-'][A-Za-z]+)?")
_NOT_NAMES = {"The", "I", "A", "An", "In", "On", "It", "He", "She", "They", "Its", "This", "That"}


def ungrounded(answer: Answer) -> list[str]:
    """Numbers and capitalised names in the answer that no cited passage (with its title and date
    line) holds."""
    text = answer.answer.split("\n\n")[0]
    cited = norm(
        " ".join(
            f"{c.title} {_date_line(c.date)} {c.context_before}{c.quote}{c.context_after}"
            for c in answer.citations
        )
    )
    digits = {n.replace(",", "") for n in _NUMBER.findall(cited)}
    missing = [n for n in _NUMBER.findall(re.sub(r"\[\d+\]", "", text)) if n.replace(",", "") not in digits]
    words = set(re.findall(r"[a-z0-9]+", cited))
    names = (w for w in _NAME.findall(text) if w not in _NOT_NAMES)
    # a name in the possessive is grounded by the name ("Orvik's" by "Orvik")
    missing += [w for w in names if not set(re.findall(r"[a-z0-9]+", _bare_name(w).lower())) <= words]
    return missing


def _bare_name(word: str) -> str:
    return re.sub(r"['’]s?$", "", word)


def _date_line(iso: str | None) -> str:
    """An ISO date as a date line reads ("1987-03-04": "4 March 1987")."""
    try:
        day = datetime.date.fromisoformat(iso or "")
    except ValueError:
        return ""
    return f"{day.day} {calendar.month_name[day.month]} {day.year}"


def metrics(results: list[Result]) -> dict[str, float]:
    ans = [r for r in results if r.kind == "answerable"]
    una = [r for r in results if r.kind == "unanswerable"]
    fol = [r for r in results if r.kind == "followup"]
    correct = [r for r in ans if r.correct]
    traps = [r for r in una if r.item_kind == "other_entity"]
    total_ms = [r.total_ms for r in results]
    first_ms = [r.first_token_ms for r in results]
    model_ms = [r.model_token_ms for r in results if r.model_token_ms > 0]
    return {
        "hit_at_k": _mean([r.hit for r in ans]),
        "mrr": _mean([r.rr for r in ans]),
        "answer_accuracy": _mean([r.correct for r in ans]),
        "citation_validity": sum(r.valid for r in results) / max(1, sum(r.citations for r in results)),
        "citation_support": _mean([r.supported_answer for r in correct]),
        "refusal_rate": _mean([r.correct for r in una]),
        "trapped_rate": _mean([r.trapped for r in traps]),
        "false_refusal_rate": _mean([r.refused for r in ans]),
        "followup_accuracy": _mean([r.correct for r in fol]),
        "ungrounded_answers": float(sum(1 for r in results if r.ungrounded)),
        "first_token_p50_ms": _pct(first_ms, 50),
        "model_token_p50_ms": _pct(model_ms, 50),
        "total_p50_ms": _pct(total_ms, 50),
        "total_p95_ms": _pct(total_ms, 95),
    }


def _mean(values: list[Any]) -> float:
    return float(np.mean(values)) if values else 0.0


def _pct(values: list[float], q: int) -> float:
    return float(np.percentile(values, q)) if values else 0.0


def stages(report: Report) -> Counter[str]:
    """Failures per stage (error analysis)."""
    return Counter(r.stage for r in report.results if r.stage)


def gate(report: Report, key: str, floors_path: Path = FLOORS) -> list[str]:
    """Metrics below their recorded floor for this key (e.g. "extractive", "reuters:extractive")."""
    floors = json.loads(floors_path.read_text())
    if key not in floors or key == "about":
        return [f"no floors recorded for {key!r} in {floors_path}; record them first"]
    return [
        f"{name} {report.metrics[name]:.3f} < floor {floor:.3f}"
        for name, floor in floors[key].items()
        if report.metrics[name] < floor
    ]


COLUMNS = {
    "hit_at_k": "hit@k",
    "mrr": "MRR",
    "answer_accuracy": "acc",
    "citation_validity": "cit.valid",
    "citation_support": "cit.supp",
    "refusal_rate": "refuse",
    "trapped_rate": "trapped",
    "false_refusal_rate": "false.ref",
    "followup_accuracy": "follow",
    "ungrounded_answers": "ungrnd",
    "first_token_p50_ms": "1st p50",
    "model_token_p50_ms": "model p50",
    "total_p50_ms": "tot p50",
    "total_p95_ms": "tot p95",
}


def format_table(reports: list[Report]) -> str:
    width = max(len(r.label) for r in reports) + 2
    lines = ["setting".ljust(width) + " ".join(s.rjust(9) for s in COLUMNS.values())]
    for r in reports:
        cells = [
            f"{r.metrics[c]:.0f}" if c.endswith("_ms") or c == "ungrounded_answers" else f"{r.metrics[c]:.2f}"
            for c in COLUMNS
        ]
        lines.append(r.label.ljust(width) + " ".join(c.rjust(9) for c in cells))
    return "\n".join(lines)


def format_failures(report: Report) -> str:
    bad = [r for r in report.results if not r.correct or r.valid < r.citations or r.ungrounded]
    by_stage = ", ".join(f"{stage} {n}" for stage, n in stages(report).most_common())
    lines = [f"failures for {report.label}: {len(bad)} ({by_stage or 'none'})"]
    for r in bad:
        notes = f" [{r.citations - r.valid} invalid citations]" if r.valid < r.citations else ""
        notes += f" [ungrounded: {', '.join(r.ungrounded)}]" if r.ungrounded else ""
        lines.append(f"  {r.id} [{r.stage or 'ok'}] {r.question}\n      -> {r.answer[:160]!r}")
        lines.append(f"      why: {r.why}{notes}")
    return "\n".join(lines)
