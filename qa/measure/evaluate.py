"""`qa eval`: how good the answers are, in numbers, with no LLM judge.

The question set lives in tests/eval/questions.json (answerable items with accepted answer
variants and the articles that support them; unanswerable items, some near misses; multi-turn
conversations). The seeds are indexed into a private folder per (embedder, chunk size) so the
user's own index is never touched. Metrics (ALCE / RAGAS-style where they apply):

- hit@k, MRR: does a passage from an expected article rank in the top k, and how high.
- answer accuracy: not refused and an accepted variant appears in the answer (ALCE's EM recall).
- citation validity: share of citations whose quote equals the source file at its offsets.
- citation support: share of correct answers where a supported citation's quote itself contains
  an accepted variant (ALCE's citation recall, lexical).
- refusal rate (unanswerable): refused, or for a near miss, says the articles do not know.
- false-refusal rate (answerable): refused although the articles answer it.
- follow-up accuracy: the last turn of each conversation is answered correctly.
- latency: p50/p95 of first-token and total time per question.

It does not judge fluency or paraphrased answers that use none of the accepted variants.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from index.articles import read_text
from index.settings import Settings
from qa.contract import Answer, Turn

QUESTIONS = Path(__file__).resolve().parents[2] / "tests" / "eval" / "questions.json"
FLOORS = QUESTIONS.with_name("floors.json")
GATED = ("answer_accuracy", "citation_validity", "refusal_rate", "followup_accuracy")


@dataclass(frozen=True)
class Item:
    id: str
    question: str
    answerable: bool
    answers: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    cues: tuple[str, ...] = ()
    turns: tuple[Item, ...] = ()  # conversations: the turns, each an answerable Item


@dataclass
class Result:
    id: str
    question: str
    answer: str
    refused: bool
    correct: bool
    kind: str  # answerable | unanswerable | followup
    hit: bool = False
    rr: float = 0.0
    valid: int = 0
    citations: int = 0
    supported_answer: bool = False
    first_token_ms: float = 0.0
    total_ms: float = 0.0
    why: str = ""


@dataclass
class Report:
    label: str
    metrics: dict[str, float] = field(default_factory=dict)
    results: list[Result] = field(default_factory=list)


def load_items(path: Path = QUESTIONS) -> list[Item]:
    data = json.loads(path.read_text(encoding="utf-8"))
    items = [_item(d, True) for d in data["answerable"]]
    items += [
        Item(d["id"], d["question"], False, cues=tuple(d.get("cues", ()))) for d in data["unanswerable"]
    ]
    for conv in data["conversations"]:
        turns = tuple(_item({"id": f"{conv['id']}.{i}", **t}, True) for i, t in enumerate(conv["turns"], 1))
        items.append(Item(conv["id"], turns[-1].question, True, turns=turns))
    return items


def _item(d: dict[str, Any], answerable: bool) -> Item:
    return Item(d["id"], d["question"], answerable, tuple(d["answers"]), tuple(d["sources"]))


def _norm(text: str) -> str:
    text = text.replace("’", "'").replace("“", '"').replace("”", '"').lower()
    return " ".join(re.sub(r"\[\d+\]", " ", text).split())


def answer_correct(item: Item, text: str) -> bool:
    """An accepted answer variant appears in the text (case-insensitive)."""
    return any(_norm(a) in _norm(text) for a in item.answers)


_REFUSAL = re.compile(
    r"articles don't say|not in (the )?articles|do(es)? not (say|mention|contain)|"
    r"no information|not mentioned|cannot answer|can't answer",
    re.I,
)


def refusal_like(text: str) -> bool:
    """Text that declines to answer (used to score pipelines without a `refused` flag)."""
    return bool(_REFUSAL.search(text))


def evaluate(
    settings: Settings,
    items: list[Item],
    seeds: Path,
    label: str = "",
    progress: Callable[[list[Item]], Iterable[Item]] = lambda x: x,
) -> Report:
    from qa.engine import build_engine

    settings = _eval_index(settings, seeds)
    engine = build_engine(settings)
    report = Report(label or f"{engine.model_name} k={settings.k} chunk={settings.chunk_tokens}")
    for item in progress(items):
        if item.turns:
            report.results.append(_conversation(engine, item))
        else:
            report.results.append(_single(engine, item, settings.k))
    report.metrics = metrics(report.results)
    return report


def _eval_index(settings: Settings, seeds: Path) -> Settings:
    """Index the seeds into a private folder for this embedder and chunk size."""
    from index.embedding import make_embedder
    from index.ingest import run_index
    from index.store import Store

    data = settings.data_dir / "eval" / f"{settings.embedder}-{settings.chunk_tokens}"
    settings = settings.replace(
        data_dir=data, chroma_url=None, collection="eval", models_dir=settings.model_dir
    )
    run_index(Store(settings), make_embedder(settings), [str(seeds)], settings.chunk_tokens)
    return settings


def _single(engine: Any, item: Item, k: int) -> Result:
    answer = engine.ask(item.question)
    if not item.answerable:
        ok = answer.refused or any(_norm(c) in _norm(answer.answer) for c in item.cues)
        return _result(
            item, answer, ok, "unanswerable", "" if ok else "answered a question the articles cannot"
        )
    ranks = [
        i
        for i, p in enumerate(engine.retriever.retrieve(item.question, k), 1)
        if Path(p.source).name[:3] in item.sources
    ]
    result = _scored(item, answer, "answerable")
    result.hit, result.rr = bool(ranks), (1.0 / ranks[0] if ranks else 0.0)
    if not ranks:
        result.why = (result.why + "; " if result.why else "") + "no expected article in the top k"
    return result


def _conversation(engine: Any, item: Item) -> Result:
    history: list[Turn] = []
    answer = None
    for turn in item.turns:
        answer = engine.ask(turn.question, history)
        history.append(Turn(turn.question, answer.answer))
    assert answer is not None
    result = _scored(item.turns[-1], answer, "followup")
    result.id, result.question = item.id, " / ".join(t.question for t in item.turns)
    if not result.correct:
        result.why += f" (searched for: {answer.rewritten_question})"
    return result


def _scored(item: Item, answer: Answer, kind: str) -> Result:
    correct = not answer.refused and answer_correct(item, answer.answer)
    why = "" if correct else ("refused" if answer.refused else "expected one of " + " | ".join(item.answers))
    result = _result(item, answer, correct, kind, why)
    result.supported_answer = correct and any(
        c.supported and answer_correct(item, c.quote) for c in answer.citations
    )
    return result


def _result(item: Item, answer: Answer, correct: bool, kind: str, why: str) -> Result:
    valid = sum(1 for c in answer.citations if _quote_valid(c.source, c.start, c.end, c.quote))
    return Result(
        item.id,
        item.question,
        answer.answer,
        answer.refused,
        correct,
        kind,
        valid=valid,
        citations=len(answer.citations),
        first_token_ms=answer.timings.get("first_token_ms", 0.0),
        total_ms=answer.timings.get("total_ms", 0.0),
        why=why,
    )


def _quote_valid(source: str, start: int, end: int, quote: str) -> bool:
    try:
        return read_text(source)[start:end] == quote
    except (OSError, ValueError):
        return False


def metrics(results: list[Result]) -> dict[str, float]:
    ans = [r for r in results if r.kind == "answerable"]
    una = [r for r in results if r.kind == "unanswerable"]
    fol = [r for r in results if r.kind == "followup"]
    correct = [r for r in ans if r.correct]
    total_ms = [r.total_ms for r in results]
    first_ms = [r.first_token_ms for r in results]
    return {
        "hit_at_k": _mean([r.hit for r in ans]),
        "mrr": _mean([r.rr for r in ans]),
        "answer_accuracy": _mean([r.correct for r in ans]),
        "citation_validity": sum(r.valid for r in results) / max(1, sum(r.citations for r in results)),
        "citation_support": _mean([r.supported_answer for r in correct]),
        "refusal_rate": _mean([r.correct for r in una]),
        "false_refusal_rate": _mean([r.refused for r in ans]),
        "followup_accuracy": _mean([r.correct for r in fol]),
        "first_token_p50_ms": float(np.percentile(first_ms, 50)) if first_ms else 0.0,
        "total_p50_ms": float(np.percentile(total_ms, 50)) if total_ms else 0.0,
        "total_p95_ms": float(np.percentile(total_ms, 95)) if total_ms else 0.0,
    }


def _mean(values: list[Any]) -> float:
    return float(np.mean(values)) if values else 0.0


def gate(report: Report, key: str, floors_path: Path = FLOORS) -> list[str]:
    """Metrics below their recorded floor for this backend key (e.g. "extractive")."""
    floors = json.loads(floors_path.read_text())
    if key not in floors or key == "about":
        return [f"no floors recorded for {key!r} in {floors_path}; record them first"]
    return [
        f"{name} {report.metrics[name]:.3f} < floor {floor:.3f}"
        for name, floor in floors[key].items()
        if report.metrics[name] < floor
    ]


def format_table(reports: list[Report]) -> str:
    cols = [
        "hit_at_k",
        "mrr",
        "answer_accuracy",
        "citation_validity",
        "citation_support",
        "refusal_rate",
        "false_refusal_rate",
        "followup_accuracy",
        "first_token_p50_ms",
        "total_p50_ms",
        "total_p95_ms",
    ]
    short = [
        "hit@k",
        "MRR",
        "acc",
        "cit.valid",
        "cit.supp",
        "refuse",
        "false.ref",
        "follow",
        "1st p50",
        "tot p50",
        "tot p95",
    ]
    width = max(len(r.label) for r in reports) + 2
    lines = ["setting".ljust(width) + " ".join(s.rjust(9) for s in short)]
    for r in reports:
        cells = [f"{r.metrics[c]:.0f}" if c.endswith("_ms") else f"{r.metrics[c]:.2f}" for c in cols]
        lines.append(r.label.ljust(width) + " ".join(c.rjust(9) for c in cells))
    return "\n".join(lines)


def format_failures(report: Report) -> str:
    bad = [r for r in report.results if not r.correct or r.valid < r.citations]
    lines = [f"failures for {report.label}: {len(bad)}"]
    for r in bad:
        invalid = f" [{r.citations - r.valid} invalid citations]" if r.valid < r.citations else ""
        lines.append(f"  {r.id} {r.question}\n      -> {r.answer[:160]!r}\n      why: {r.why}{invalid}")
    return "\n".join(lines)
