"""`qa eval`: how good the answers are, in numbers, with no LLM judge.

A question set (see `qa.measure.devset`) is answered over its corpus, indexed into a private folder
per (corpus, embedder, chunk size) so the user's own index is never touched. Metrics (ALCE /
RAGAS-style where they apply):

- hit@k, MRR: a passage from an expected article ranks in the top k, and how high.
- answer accuracy: not refused and an accepted variant appears in the answer (ALCE's EM recall).
- citation validity: share of citations whose quote equals the source file at its offsets.
- citation support: share of correct answers where a supported citation's quote itself contains
  an accepted variant (ALCE's citation recall, lexical).
- refusal rate (unanswerable): refused, or for a near miss, says the articles do not know.
- trapped: unanswerable questions answered with another entity's figure (a swapped attribution).
- false-refusal rate (answerable): refused although the articles answer it.
- follow-up accuracy: the last turn of each conversation is answered correctly.
- ungrounded answers: answers stating a number or a name that none of their cited passages holds
  (an independent lexical check, not the product's own verifier).
- latency: p50/p95 of first-token and total time per question.

Every failure is put down to one stage (retrieve, rewrite, answerable, model, verify, extract,
fallback) for error analysis. It does not judge fluency or paraphrases that use no accepted variant.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from index.articles import read_text
from index.settings import Settings
from qa.contract import Answer, Turn
from qa.measure.devset import (
    Item,
    answer_correct,
    corpus_folder,
    from_source,
    norm,
    refusal_like,
    sample_folder,
    trapped,
)
from qa.measure.scores import GATED, format_failures, format_table, gate, metrics, stages, ungrounded

__all__ = [
    "GATED",
    "Report",
    "Result",
    "evaluate",
    "evaluate_baseline",
    "format_failures",
    "format_table",
    "gate",
    "metrics",
    "stages",
]


@dataclass
class Result:
    id: str
    question: str
    answer: str
    refused: bool
    correct: bool
    kind: str  # answerable | unanswerable | followup
    item_kind: str = ""  # person, money, other_entity, …
    split: str = ""
    hit: bool = False
    rr: float = 0.0
    valid: int = 0
    citations: int = 0
    supported_answer: bool = False
    trapped: bool = False
    ungrounded: list[str] = field(default_factory=list)
    stage: str = ""  # where a failure happened
    first_token_ms: float = 0.0  # the first verified words (a checked sentence or the quote)
    model_token_ms: float = 0.0  # the model's first token (0: no model call)
    total_ms: float = 0.0
    rewritten: str = ""
    retrieved: list[str] = field(default_factory=list)
    trace: dict[str, Any] = field(default_factory=dict)
    why: str = ""


@dataclass
class Report:
    label: str
    metrics: dict[str, float] = field(default_factory=dict)
    results: list[Result] = field(default_factory=list)


def evaluate(
    settings: Settings,
    items: list[Item],
    corpus: Path,
    label: str = "",
    progress: Callable[[list[Item]], Iterable[Item]] = lambda x: x,
    sample: int = 0,
) -> Report:
    """Answer every item over `corpus` (with `sample`, only the articles the items name plus that
    many others: a corpus small enough for CI)."""
    from qa.engine import build_engine

    if sample:
        corpus = sample_folder(corpus_folder(corpus, settings.data_dir / "corpora"), items, sample,
                               settings.data_dir / "corpora")  # fmt: skip
    settings = eval_index(settings, corpus)
    engine = build_engine(settings)
    report = Report(label or f"{engine.model_name} k={settings.k} chunk={settings.chunk_tokens}")
    for item in progress(items):
        report.results.append(_conversation(engine, item) if item.turns else _single(engine, item))
    report.metrics = metrics(report.results)
    return report


def evaluate_baseline(
    settings: Settings,
    items: list[Item],
    corpus: Path,
    progress: Callable[[list[Item]], Iterable[Item]] = lambda x: x,
) -> Report:
    """The same single-turn items through the plain llama-index query engine (same embedder, LLM,
    collection and k); it keeps no conversation, so conversations are left out."""
    from index.embedding import make_embedder
    from index.errors import BadInputError
    from index.store import Store
    from qa.llm import make_llm
    from qa.measure import baseline

    settings = eval_index(settings, corpus)
    llm = make_llm(settings)
    if llm is None:
        raise BadInputError("The baseline needs an LLM: use --backend local or openai.")
    store, embedder = Store(settings), make_embedder(settings)
    engine = baseline.query_engine(store, embedder, llm, settings.k, settings.max_answer_tokens)
    report = Report(f"llama-index baseline {llm.name} k={settings.k}")
    for item in progress(items):
        if not item.turns:
            report.results.append(_baseline_result(item, baseline.ask(engine, item.question)))
    report.metrics = metrics(report.results)
    return report


def _baseline_result(item: Item, answer: Any) -> Result:
    refused = refusal_like(answer.text)
    ok = refused if not item.answerable else not refused and answer_correct(item, answer.text)
    kind = "answerable" if item.answerable else "unanswerable"
    result = Result(item.id, item.question, answer.text, refused, ok, kind, item.kind, item.split)
    result.trapped = not item.answerable and not refused and trapped(item, answer.text)
    result.first_token_ms, result.total_ms = answer.first_token_ms, answer.total_ms
    result.stage = "" if ok else "baseline"
    return result


def eval_index(settings: Settings, corpus: Path) -> Settings:
    """Index the corpus into a private folder for this corpus, embedder and chunk size."""
    from index.embedding import make_embedder
    from index.ingest import run_index
    from index.store import Store

    folder = corpus_folder(corpus, settings.data_dir / "corpora")
    name = f"{folder.name}-{settings.embedder}-{settings.chunk_tokens}"
    settings = settings.replace(
        data_dir=settings.data_dir / "eval" / name,
        chroma_url=None,
        collection="eval",
        models_dir=settings.model_dir,
    )
    run_index(Store(settings), make_embedder(settings), [str(folder)], settings.chunk_tokens)
    return settings


def _ask(engine: Any, question: str, history: list[Turn]) -> tuple[Answer, dict[str, Any]]:
    """The answer and, when the engine reports one, its trace (which stage decided what)."""
    answer, trace = None, {}
    for event in engine.stream(question, history):
        if event.answer is not None:
            answer, trace = event.answer, dict(getattr(event, "trace", None) or {})
    assert answer is not None
    if "passages" not in trace:  # an engine without a trace: retrieve again to see what it saw
        found = engine.retriever.retrieve(answer.rewritten_question, engine.settings.k)
        trace["passages"] = [p.source for p in found]
    return answer, trace


def _single(engine: Any, item: Item) -> Result:
    answer, trace = _ask(engine, item.question, [])
    if not item.answerable:
        return _unanswerable(item, answer, trace)
    return _scored(item, answer, trace, "answerable")


def _conversation(engine: Any, item: Item) -> Result:
    history: list[Turn] = []
    for turn in item.turns:
        answer, trace = _ask(engine, turn.question, history)
        history.append(Turn(turn.question, answer.answer))
    result = _scored(item.turns[-1], answer, trace, "followup")
    result.id, result.split = item.id, item.split
    result.question = " / ".join(t.question for t in item.turns)
    return result


def _unanswerable(item: Item, answer: Answer, trace: dict[str, Any]) -> Result:
    ok = answer.refused or any(norm(c) in norm(answer.answer) for c in item.cues)
    result = _result(item, answer, trace, ok, "unanswerable")
    result.trapped = not answer.refused and trapped(item, answer.answer)
    if not ok:
        result.stage = "answerable"
        result.why = "answered a question the articles cannot" + (
            " (with another entity's figure)" if result.trapped else ""
        )
    return result


def _scored(item: Item, answer: Answer, trace: dict[str, Any], kind: str) -> Result:
    correct = not answer.refused and answer_correct(item, answer.answer)
    result = _result(item, answer, trace, correct, kind)
    ranks = [i for i, source in enumerate(result.retrieved, 1) if from_source(item, source)]
    result.hit, result.rr = bool(ranks), (1.0 / ranks[0] if ranks else 0.0)
    result.supported_answer = correct and any(
        c.supported and answer_correct(item, c.quote) for c in answer.citations
    )
    if not correct:
        result.stage = _stage(item, answer, trace, result.hit, kind)
        result.why = ("refused" if answer.refused else "expected " + " | ".join(item.answers)) + (
            f" (searched for: {answer.rewritten_question})" if kind == "followup" else ""
        )
    return result


def _stage(item: Item, answer: Answer, trace: dict[str, Any], hit: bool, kind: str) -> str:
    """The first stage that lost the right answer."""
    if not hit:
        return "rewrite" if kind == "followup" and answer.rewritten_question != item.question else "retrieve"
    if answer.refused and trace.get("answerable") is False:
        return "answerable"
    if any(answer_correct(item, s) for s in answer.removed_sentences):
        return "verify"
    if trace.get("fallback"):
        return "fallback"
    if "answerable" not in trace:  # an engine without a trace
        return "refused" if answer.refused else "draft"
    return "model" if trace.get("draft") is not None else "extract"


def _result(item: Item, answer: Answer, trace: dict[str, Any], correct: bool, kind: str) -> Result:
    valid = sum(1 for c in answer.citations if _quote_valid(c.source, c.start, c.end, c.quote))
    return Result(
        item.id,
        item.question,
        answer.answer,
        answer.refused,
        correct,
        kind,
        item_kind=item.kind,
        split=item.split,
        valid=valid,
        citations=len(answer.citations),
        ungrounded=[] if answer.refused else ungrounded(answer),
        first_token_ms=answer.timings.get("first_token_ms", 0.0),
        model_token_ms=answer.timings.get("model_token_ms", 0.0),
        total_ms=answer.timings.get("total_ms", 0.0),
        rewritten=answer.rewritten_question,
        retrieved=list(trace.get("passages", [])),
        trace={k: v for k, v in trace.items() if k != "passages"},
    )


def _quote_valid(source: str, start: int, end: int, quote: str) -> bool:
    try:
        return read_text(source)[start:end] == quote
    except (OSError, ValueError):
        return False
