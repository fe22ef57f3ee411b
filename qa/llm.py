"""Language-model backends behind one factory: `make_llm(settings)`.

- `local`: llama-cpp-python with a GGUF from a PyPI package (verified by sha256), loaded once per
  process and shared; calls are serialised by a lock (two threads on two cores only thrash). The
  model keeps the previous prompt's evaluated tokens, so the fixed system prompt and the start of
  the user message are not read again on the next question (llama.cpp's prefix reuse).
- `openai`: any OpenAI-compatible server (llama.cpp server, Ollama, vLLM, OpenAI) via
  llama-index's `OpenAILike`, by base URL and model name.
- `extractive` has no LLM: `make_llm` returns None and the engine quotes sentences instead.

Every backend streams text pieces from `stream(messages, max_tokens)`, and may offer
`judge(messages)`: the probability that its reply starts with "yes", read from its first token's
log-probabilities (None where a server returns none). Nothing here decides what is true: the engine
checks everything a model says against the passages.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Protocol

from index.errors import BadInputError, ModelUnavailableError

if TYPE_CHECKING:
    from index.settings import Settings

Messages = list[dict[str, str]]


class LLM(Protocol):
    name: str

    def stream(self, messages: Messages, max_tokens: int) -> Iterator[str]: ...


def yes_probability(candidates: Iterator[tuple[str, float]]) -> float:
    """The probability mass of first tokens that start a "yes", from (token text, probability) pairs."""
    return min(1.0, sum(p for token, p in candidates if token.strip().lower().startswith("yes")))


class LocalLLM:
    """A GGUF model in this process through llama-cpp-python."""

    _cache: dict[tuple[str, int], Any] = {}
    _cache_lock = threading.Lock()

    def __init__(self, path: str, name: str, threads: int, n_ctx: int = 2048):
        self.path, self.name, self.threads, self.n_ctx = path, name, threads, n_ctx
        self.lock = threading.Lock()

    def load(self) -> None:
        self._model()

    def _model(self) -> Any:
        key = (self.path, self.threads)
        with self._cache_lock:
            if key not in self._cache:
                try:
                    from llama_cpp import Llama
                except ImportError as e:
                    raise ModelUnavailableError(
                        "llama-cpp-python is not installed: run `bash scripts/setup.sh run`, "
                        "or use --backend extractive (no LLM) or --backend openai."
                    ) from e
                self._cache[key] = Llama(
                    model_path=self.path,
                    n_ctx=self.n_ctx,
                    n_threads=self.threads,
                    n_threads_batch=self.threads,  # reading the prompt: all cores (measured: qa bench)
                    n_batch=512,
                    verbose=False,
                    seed=0,
                )
            return self._cache[key]

    def stream(self, messages: Messages, max_tokens: int) -> Iterator[str]:
        model = self._model()
        with self.lock:
            for part in model.create_chat_completion(
                messages=messages, stream=True, temperature=0.0, max_tokens=max_tokens, repeat_penalty=1.1
            ):
                text = part["choices"][0]["delta"].get("content")
                if text:
                    yield text

    def judge(self, messages: Messages) -> float:
        """P(the reply starts with "yes"), from the logits of its first token (one token generated)."""
        import numpy as np
        from llama_cpp import LogitsProcessorList

        model = self._model()
        first: list[Any] = []

        def keep(_ids: Any, scores: Any) -> Any:
            if not first:
                first.append(np.asarray(scores, dtype=np.float64))
            return scores

        with self.lock:
            model.create_chat_completion(
                messages=messages, max_tokens=1, temperature=0.0, logits_processor=LogitsProcessorList([keep])
            )
        p = np.exp(first[0] - first[0].max())
        p /= p.sum()
        top = np.argsort(-p)[:30]
        return yes_probability(
            (model.detokenize([int(t)]).decode("utf-8", "ignore"), float(p[t])) for t in top
        )


class OpenAICompatibleLLM:
    """Any server that speaks the OpenAI chat API."""

    def __init__(self, base_url: str, model: str, api_key: str, timeout: float = 120.0):
        self.name = model
        self.base_url, self.api_key, self.timeout = base_url, api_key, timeout
        try:
            from llama_index.llms.openai_like import OpenAILike
        except ImportError as e:
            raise ModelUnavailableError(
                "The openai backend needs llama-index-llms-openai-like: "
                "run `.venv/bin/pip install 'newsqa[openai]'`."
            ) from e
        self._llm = OpenAILike(
            model=model,
            api_base=base_url,
            api_key=api_key,
            is_chat_model=True,
            temperature=0.0,
            timeout=timeout,
            max_retries=1,
            context_window=4096,
        )

    def stream(self, messages: Messages, max_tokens: int) -> Iterator[str]:
        from llama_index.core.llms import ChatMessage

        chat = [ChatMessage(role=m["role"], content=m["content"]) for m in messages]
        try:
            for part in self._llm.stream_chat(chat, max_tokens=max_tokens):
                if part.delta:
                    yield part.delta
        except Exception as e:  # openai raises APIConnectionError, APIStatusError, ...
            raise ModelUnavailableError(
                f"The model server at {self.base_url} failed ({type(e).__name__}: {e}). Check that it is "
                "running and QA_OPENAI_BASE_URL / QA_MODEL are right, or use --backend extractive."
            ) from e

    def judge(self, messages: Messages) -> float | None:
        """P(the reply starts with "yes") from the server's top log-probabilities of the first token;
        None when the server gives none (the engine then decides without it)."""
        import math

        import httpx

        body = {"model": self.name, "messages": messages, "max_tokens": 1, "temperature": 0.0}
        body |= {"logprobs": True, "top_logprobs": 10}
        try:
            r = httpx.post(
                self.base_url.rstrip("/") + "/chat/completions",
                json=body,
                headers={"Authorization": f"Bearer {self.api_key}"},
                timeout=self.timeout,
            )
            r.raise_for_status()
            top = r.json()["choices"][0]["logprobs"]["content"][0]["top_logprobs"]
            return yes_probability((t["token"], math.exp(t["logprob"])) for t in top)
        except (httpx.HTTPError, KeyError, IndexError, TypeError, ValueError):
            return None


def make_llm(settings: Settings) -> LLM | None:
    match settings.backend:
        case "local":
            from index.models import model_path

            path = model_path(settings.model, settings.model_dir)
            return LocalLLM(str(path), settings.model, settings.threads)
        case "openai":
            return OpenAICompatibleLLM(settings.openai_base_url, settings.model, settings.openai_api_key)
        case "extractive":
            return None
        case other:
            raise BadInputError(f"Unknown backend {other!r}: use local, openai or extractive.")
