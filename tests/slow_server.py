"""The real app and engine over an indexed folder, but with a slow scripted model, so that a test
can catch an answer mid-stream. Run as a process (`python -m tests.slow_server DATA_DIR PORT`) for
the SIGTERM test, or use `slow_engine` in-process.

"Operation 1027" questions get a long answer (about 20 s of tokens); others a short one."""

from __future__ import annotations

import sys
from pathlib import Path

from index.embedding import make_embedder
from index.settings import Settings
from index.store import Store
from qa.engine import Engine
from qa.stages.retrieve import Retriever

from .fakes import LONG_ANSWER, SlowLLM

SHORT_ANSWER = "Over 335,000 civilians have been displaced [1]."


def script(messages: list[dict[str, str]]) -> str:
    return LONG_ANSWER if "Operation 1027" in messages[-1]["content"].split("Question:")[-1] else SHORT_ANSWER


def slow_engine(settings: Settings, delay_s: float = 0.05) -> tuple[Engine, SlowLLM]:
    llm = SlowLLM(script, delay_s)
    return Engine(settings, Retriever(Store(settings), make_embedder(settings)), llm), llm


if __name__ == "__main__":
    from ui.app import serve

    data_dir, port = Path(sys.argv[1]), int(sys.argv[2])
    settings = Settings(data_dir=data_dir, embedder="hash", backend="extractive", port=port)
    serve(settings, slow_engine(settings)[0])
