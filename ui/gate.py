"""The one door to the engine for every web surface: a bounded queue in front of serial inference.

Gradio and the JSON API share one `Gate` per process. At most `queue_size` requests may be waiting
or running; one more gets `BusyError` at once (the edges turn it into "busy, retry"), never a hang.
Inside, one request at a time runs the engine: on 2 cores, parallel inference only thrashes.
It does not retry, time requests out once they run, or know anything about HTTP or Gradio.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from index.errors import BusyError
from qa.contract import Answer, Event, Turn

RETRY_AFTER_S = 2
BUSY = f"The server is busy answering other questions: retry in {RETRY_AFTER_S} s."


class Gate:
    """Bounded admission (`slots`) plus a lock that serialises the engine."""

    def __init__(self, engine: Any, queue_size: int, wait_s: float = 120.0):
        self.engine, self.wait_s = engine, wait_s
        self.slots = threading.BoundedSemaphore(max(1, queue_size))
        self.lock = threading.Lock()

    def stream(self, question: str, history: list[Turn] | None = None) -> Iterator[Event]:
        """The engine's events, run alone. BusyError comes from the first `next()`; pull one event
        before answering a client, so a started stream always releases its slot when closed."""
        if not self.slots.acquire(blocking=False):
            raise BusyError(BUSY)
        try:
            if not self.lock.acquire(timeout=self.wait_s):
                raise BusyError(BUSY)
            try:
                yield from self.engine.stream(question, history or [])
            finally:
                self.lock.release()
        finally:
            self.slots.release()

    def ask(self, question: str, history: list[Turn] | None = None) -> Answer:
        for event in self.stream(question, history):
            if event.answer is not None:
                return event.answer
        raise AssertionError("the engine's stream always ends with a final event")

    def exclusive(self) -> Any:
        """The engine lock, for work that must not overlap answering (re-indexing)."""
        return self.lock
