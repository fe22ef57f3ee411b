"""The comparison baseline: a plain llama-index pipeline over the very same Chroma collection.

`VectorStoreIndex.from_vector_store(ChromaVectorStore(our chunks collection))` with llama-index's
default retriever (dense top-k) and default response synthesizer (compact mode, its own prompt),
driven by OUR embedder and OUR LLM through thin adapters, so only the pipeline differs. `llm=` and
`embed_model=` are always passed explicitly; llama-index's global `Settings` are never read.

`compare_answers` puts eval items through both pipelines and scores them with `qa.measure.evaluate`'s
checks. The baseline does not do BM25, fusion, refusal gating, citation checks or follow-up
rewriting: that is the point of a baseline. Used by `qa bench` only.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.llms import CompletionResponse, CompletionResponseGen, CustomLLM, LLMMetadata
from llama_index.core.llms.callbacks import llm_completion_callback
from pydantic import PrivateAttr

from index.embedding import Embedder
from index.errors import BadInputError
from index.settings import Settings
from index.store import Store
from qa.llm import LLM


class EmbeddingAdapter(BaseEmbedding):
    """Our `Embedder` as a llama-index `BaseEmbedding`."""

    _embedder: Any = PrivateAttr()

    def __init__(self, embedder: Embedder, **kwargs: Any):
        super().__init__(model_name=embedder.name, **kwargs)
        self._embedder = embedder

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._embedder.embed([query])[0].tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._embedder.embed([text])[0].tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._embedder.embed(texts).tolist()


class LLMAdapter(CustomLLM):
    """Our `LLM` (a chat-message streamer) as a llama-index completion LLM."""

    context_window: int = 2048
    num_output: int = 200
    _llm: Any = PrivateAttr()

    def __init__(self, llm: LLM, **kwargs: Any):
        super().__init__(**kwargs)
        self._llm = llm

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(
            context_window=self.context_window, num_output=self.num_output, model_name=self._llm.name
        )

    def _pieces(self, prompt: str) -> Iterator[str]:
        return self._llm.stream([{"role": "user", "content": prompt}], self.num_output)

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return CompletionResponse(text="".join(self._pieces(prompt)))

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        text = ""
        for piece in self._pieces(prompt):
            text += piece
            yield CompletionResponse(text=text, delta=piece)


def index_over(store: Store, embedder: Embedder) -> Any:
    """A `VectorStoreIndex` reading our chunks collection through llama-index's ChromaVectorStore."""
    from llama_index.core import VectorStoreIndex

    return VectorStoreIndex.from_vector_store(store.vector_store, embed_model=EmbeddingAdapter(embedder))


def retriever(store: Store, embedder: Embedder, k: int) -> Any:
    return index_over(store, embedder).as_retriever(similarity_top_k=k)


def query_engine(store: Store, embedder: Embedder, llm: LLM, k: int, max_tokens: int) -> Any:
    """The default query engine (default response synthesizer), streaming so first tokens count."""
    adapter = LLMAdapter(llm, num_output=max_tokens)
    return index_over(store, embedder).as_query_engine(llm=adapter, similarity_top_k=k, streaming=True)


@dataclass(frozen=True)
class BaselineAnswer:
    text: str
    first_token_ms: float
    total_ms: float
    sources: int


def ask(engine: Any, question: str) -> BaselineAnswer:
    t0 = time.perf_counter()
    response = engine.query(question)
    first, text = None, ""
    for piece in getattr(response, "response_gen", None) or [str(response)]:
        first = first if first is not None else (time.perf_counter() - t0) * 1000
        text += piece
    total = (time.perf_counter() - t0) * 1000
    return BaselineAnswer(
        text.strip(), first if first is not None else total, total, len(response.source_nodes)
    )


# ----- ours against the baseline, on eval items ----------------------------------------------------
@dataclass(frozen=True)
class ItemRun:
    id: str
    answerable: bool
    ours_ok: bool
    base_ok: bool
    ours_first_ms: float
    ours_total_ms: float
    base_first_ms: float
    base_total_ms: float
    ours_text: str
    base_text: str
    ours_quote_ms: float = 0.0  # first verified words on screen (the quote, or the extractive answer)
    question: str = ""
    ours_model_ms: float = 0.0  # the model's first token (0: no model call, e.g. a refusal)


def pick_items(items: list[Any], n: int) -> list[Any]:
    """n single-turn items, answerable and unanswerable in proportion, evenly spread over the set."""
    single = [i for i in items if not i.turns]
    ans = [i for i in single if i.answerable]
    una = [i for i in single if not i.answerable]
    n = min(n, len(single))
    n_una = min(len(una), round(n * len(una) / max(len(single), 1)))
    return _spread(ans, n - n_una) + _spread(una, n_una)


def _spread(items: list[Any], n: int) -> list[Any]:
    return [items[int(i * len(items) / n)] for i in range(n)] if n > 0 else []


def compare_answers(
    settings: Settings, items: list[Any], seeds: Path | None = None, llm: LLM | None = None
) -> list[ItemRun]:
    """Each item through our engine and through the baseline query engine, same embedder and LLM
    (the settings' backend unless `llm` is given), over the index of `settings` (after indexing
    `seeds` into it, when given)."""
    from index.embedding import make_embedder
    from index.ingest import run_index
    from qa.engine import Engine
    from qa.llm import make_llm
    from qa.stages.retrieve import Retriever

    store, embedder = Store(settings), make_embedder(settings)
    llm = llm or make_llm(settings)
    if seeds is not None:
        run_index(store, embedder, [str(seeds)], settings.chunk_tokens)
    engine = Engine(settings, Retriever(store, embedder), llm)
    if llm is None:
        raise BadInputError("The baseline needs an LLM: use --backend local or openai.")
    base = query_engine(store, embedder, llm, settings.k, settings.max_answer_tokens)
    if not items:
        return []
    # each pipeline answers all its questions in a row, as a server would: interleaved, each prompt
    # would evict the other's from llama.cpp's prefix cache (the one loaded model is shared)
    engine.ask(items[0].question)  # warm-up: load the model once, outside the measurements
    ours = [engine.ask(item.question) for item in items]
    ask(base, items[0].question)
    theirs = [ask(base, item.question) for item in items]
    return [_scored(item, o, t) for item, o, t in zip(items, ours, theirs)]


def _scored(item: Any, ours: Any, theirs: BaselineAnswer) -> ItemRun:
    from qa.measure.devset import answer_correct, refusal_like

    if item.answerable:
        ours_ok = not ours.refused and answer_correct(item, ours.answer)
        base_ok = answer_correct(item, theirs.text) and not refusal_like(theirs.text)
    else:
        ours_ok, base_ok = ours.refused or refusal_like(ours.answer), refusal_like(theirs.text)
    t = ours.timings
    return ItemRun(
        item.id, item.answerable, ours_ok, base_ok,
        t.get("first_token_ms", 0.0), t.get("total_ms", 0.0), theirs.first_token_ms, theirs.total_ms,
        ours.answer, theirs.text, t.get("first_quote_ms", t.get("total_ms", 0.0)), item.question,
        t.get("model_token_ms", 0.0),
    )  # fmt: skip


def follow_up_times(settings: Settings, conversations: list[Any]) -> list[float]:
    """Total ms of every follow-up turn (not the first) of the conversations, through our engine."""
    from qa.contract import Turn
    from qa.engine import build_engine

    engine, out = build_engine(settings), []
    for conv in conversations:
        history: list[Turn] = []
        for n, turn in enumerate(conv.turns):
            answer = engine.ask(turn.question, history)
            history.append(Turn(turn.question, answer.answer))
            if n:
                out.append(answer.timings.get("total_ms", 0.0))
    return out
