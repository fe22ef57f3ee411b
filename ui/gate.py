"""The one door to the engine for every web surface: bounded admission, one answer at a time, and
every slot and lock given back on every path (a reader that vanishes, Stop, a timeout, an error).

- Admission: at most `queue_size` answers waiting or running; one more is `BusyError` at once.
- Each admitted answer runs `engine.stream(..., cancel=event)` in its own daemon thread. That
  thread alone holds the engine lock and the slot, and hands events to the reader through a queue,
  so no reader (a closed socket, a stalled generator, a cancelled Gradio task) can keep them:
  `Answering.close()` sets the cancel event and the engine stops at its next token.
- Bounds: no engine within `queue_wait_s` is `BusyError`; an answer running past
  `answer_timeout_s` is cancelled and is `BusyError` too (both become 503 + Retry-After).
- Watchdog: `wedged()` says one answer has held the engine far past any answer's limit (an
  engine that ignores its cancel event); `/api/health` turns that into 503.
- Every admitted question has passed `ui.limits` (history size, text that is not UTF-8).
It knows nothing about HTTP or Gradio, and does not retry.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
import time
import weakref
from collections import deque
from collections.abc import Iterator, Sequence
from typing import Any

from index.errors import BusyError, CancelledError
from qa.contract import Answer, Event, Turn
from ui.limits import check_history, check_text

RETRY_AFTER_S = 2
BUSY = f"The server is busy answering other questions: retry in {RETRY_AFTER_S} s."
WEDGE_GRACE_S = 30.0  # past the answer limit: the cancel is checked per token, prompt processing is not
READER_GRACE_S = 5.0  # a reader gives up this long after the answer limit, even if the engine has not
SHUTTING_DOWN = f"The server is shutting down: ask again in a moment (retry in {RETRY_AFTER_S} s)."
_END = object()


class Gate:
    """Bounded admission (`slots`) plus a lock that serialises the engine, held by worker threads."""

    def __init__(
        self,
        engine: Any,
        queue_size: int,
        wait_s: float = 20.0,
        answer_timeout_s: float = 60.0,
        wedge_grace_s: float = WEDGE_GRACE_S,
    ):
        self.engine, self.wait_s, self.answer_timeout_s = engine, wait_s, answer_timeout_s
        self.wedge_grace_s = wedge_grace_s
        self.queue_size = max(1, queue_size)
        self.slots = threading.BoundedSemaphore(self.queue_size)
        self.lock = FairLock()
        self.live: weakref.WeakSet[Answering] = weakref.WeakSet()
        self.held_since: float | None = None  # when the running answer took the engine

    def stream(self, question: str, history: Sequence[Turn] = (), **dates: str | None) -> Answering:
        """Admit one answer (or raise BusyError/BadInputError now); iterate it for its events.
        `dates` (since, until: ISO days) narrow the articles it may use."""
        return self._admit(question, history, None, dates)

    def astream(self, question: str, history: Sequence[Turn] = (), **dates: str | None) -> Answering:
        """The same, read with `async for` on the running event loop."""
        return self._admit(question, history, asyncio.get_running_loop(), dates)

    def ask(self, question: str, history: Sequence[Turn] = (), **dates: str | None) -> Answer:
        with contextlib.closing(self.stream(question, history, **dates)) as events:
            return final(events)

    def exclusive(self) -> Any:
        """The engine lock, for work that must not overlap answering (re-indexing)."""
        return self.lock

    def in_flight(self) -> int:
        return self.queue_size - self.slots._value  # noqa: SLF001 (BoundedSemaphore has no getter)

    def held_s(self) -> float:
        """Seconds the running answer has held the engine (0 when idle)."""
        since = self.held_since
        return 0.0 if since is None else time.monotonic() - since

    def wedged(self) -> bool:
        """True when one answer holds the engine far past any answer's limit (it ignores its cancel)."""
        return self.held_s() > self.answer_timeout_s + self.wedge_grace_s

    def close(self) -> None:
        """Cancel every answer (server shutdown): readers get CancelledError at once, workers stop
        at the engine's next token."""
        for answering in list(self.live):
            answering.close(CancelledError(SHUTTING_DOWN))

    def _admit(
        self, question: str, history: Sequence[Turn], loop: Any, dates: dict[str, str | None]
    ) -> Answering:
        check_text(question, *(t.question for t in history), *(t.answer for t in history))
        check_history(history)
        if not self.slots.acquire(blocking=False):
            raise BusyError(BUSY)
        try:
            answering = Answering(self, question, list(history), loop, dates)
        except BaseException:
            self.slots.release()
            raise
        self.live.add(answering)
        return answering


class Answering:
    """One admitted answer: a worker thread producing events, a queue, and a cancel event.

    Iterate it (sync) or `async for` it (when made by `Gate.astream`); `close()` from any path
    ends it. Errors raised by the engine come out of the iteration.
    """

    def __init__(
        self, gate: Gate, question: str, history: list[Turn], loop: Any, dates: dict[str, str | None]
    ):
        self.gate, self.question, self.history, self.dates = gate, question, history, dates
        self.cancel, self.timed_out = threading.Event(), False
        self.loop = loop
        self.items: Any = asyncio.Queue() if loop else queue.SimpleQueue()
        self.done = False
        self._slot_given_back = threading.Lock()  # taken (for good) by whoever gives the slot back
        limit = gate.wait_s + gate.answer_timeout_s + min(READER_GRACE_S, gate.wedge_grace_s)
        self.deadline = time.monotonic() + limit  # the reader's own bound, whatever the engine does
        threading.Thread(target=self._work, name="qa-answer", daemon=True).start()

    # ----- the worker thread ------------------------------------------------------------------
    def _work(self) -> None:
        try:
            self._run()
        except BaseException as e:  # handed to the reader, who raises it
            self._put(e)
        finally:
            self._give_back_slot()
            self._put(_END)

    def _run(self) -> None:
        gate = self.gate
        if not gate.lock.acquire(time.monotonic() + gate.wait_s, self.cancel):
            if self.cancel.is_set():
                return  # the reader left while waiting
            raise BusyError(BUSY)
        timer = threading.Timer(gate.answer_timeout_s, self._time_out)
        try:
            gate.held_since = time.monotonic()
            timer.start()
            for event in gate.engine.stream(self.question, self.history, cancel=self.cancel, **self.dates):
                if self.cancel.is_set():
                    raise CancelledError("The answer was cancelled.")
                self._put(event)
        except CancelledError:
            if self.timed_out:
                raise BusyError(_too_long(gate.answer_timeout_s)) from None
            raise
        finally:
            timer.cancel()
            gate.held_since = None
            gate.lock.release()

    def _time_out(self) -> None:
        self.timed_out = True
        self.cancel.set()

    def _put(self, item: object) -> None:
        if self.loop is None:
            self.items.put(item)
            return
        try:
            self.loop.call_soon_threadsafe(self.items.put_nowait, item)
        except RuntimeError:  # the event loop is gone (shutdown): nobody is reading
            self.cancel.set()

    # ----- the reader -------------------------------------------------------------------------
    def _give_back_slot(self) -> None:
        if self._slot_given_back.acquire(blocking=False):  # first caller only: never released twice
            self.gate.slots.release()

    def close(self, reason: CancelledError | None = None) -> None:
        """Stop this answer: its slot is free at once, the worker stops at the engine's next token
        and then gives back the lock. A reader still reading gets `reason`, or the end."""
        if not self.cancel.is_set():
            self.cancel.set()
            self._put(reason or _END)  # wake a reader blocked on this answer at once
        self._give_back_slot()

    def __iter__(self) -> Iterator[Event]:
        return self

    def __next__(self) -> Event:
        if self.done:
            raise StopIteration
        try:
            item = self.items.get(timeout=max(0.0, self.deadline - time.monotonic()))
        except queue.Empty:
            item = BusyError(_too_long(self.gate.answer_timeout_s))
        event = self._unwrap(item)
        if event is None:
            raise StopIteration
        return event

    def paced(self, every_s: float) -> Iterator[Event | None]:
        """The events, with a None every `every_s` while none arrives: a generator reading this
        can yield while it waits, so Gradio can close it (Stop) even while the answer is queued."""
        while not self.done:
            left = self.deadline - time.monotonic()
            try:
                item = self.items.get(timeout=max(0.0, min(every_s, left)))
            except queue.Empty:
                if left > every_s:
                    yield None
                    continue
                item = BusyError(_too_long(self.gate.answer_timeout_s))
            event = self._unwrap(item)
            if event is None:
                return
            yield event

    def __aiter__(self) -> Answering:
        return self

    async def __anext__(self) -> Event:
        if self.done:
            raise StopAsyncIteration
        try:
            item = await asyncio.wait_for(self.items.get(), max(0.0, self.deadline - time.monotonic()))
        except TimeoutError:
            item = BusyError(_too_long(self.gate.answer_timeout_s))
        event = self._unwrap(item)
        if event is None:
            raise StopAsyncIteration
        return event

    def _unwrap(self, item: object) -> Event | None:
        if isinstance(item, BaseException) or item is _END:
            self.done = True
            self.close()
            if isinstance(item, BaseException):
                raise item
            return None
        assert isinstance(item, Event)
        return item


class FairLock:
    """The engine lock, handed to waiters in arrival order (threading.Lock wakes any of them, so
    under load one unlucky answer could wait many turns). A waiter gives up at its deadline or
    when its cancel event is set; `with lock:` waits without limit (re-indexing)."""

    def __init__(self) -> None:
        self._turn = threading.Condition()
        self._queue: deque[object] = deque()
        self._held = False

    def acquire(self, deadline: float = float("inf"), cancel: threading.Event | None = None) -> bool:
        me = object()
        with self._turn:
            self._queue.append(me)
            try:
                while self._held or self._queue[0] is not me:
                    left = deadline - time.monotonic()
                    if left <= 0 or (cancel is not None and cancel.is_set()):
                        return False
                    self._turn.wait(min(left, 0.1))  # short waits: a cancel is noticed quickly
                self._held = True
                return True
            finally:
                self._queue.remove(me)
                self._turn.notify_all()

    def release(self) -> None:
        with self._turn:
            self._held = False
            self._turn.notify_all()

    def locked(self) -> bool:
        return self._held

    def __enter__(self) -> FairLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def final(events: Iterator[Event]) -> Answer:
    for event in events:
        if event.answer is not None:
            return event.answer
    raise CancelledError("The answer was cancelled before it was finished: ask again.")


def _too_long(limit: float) -> str:
    return (
        f"The answer took longer than {limit:.0f} s and was stopped: the server is overloaded. "
        f"Retry in a minute, or ask a shorter question."
    )
