"""Fakes for fast tests: a scripted LLM that replays answers (and its slow variant for the web
tests), and an engine that blocks until told (or cancelled), all recording what happened to them.
Every wait is bounded."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

from index.errors import CancelledError
from qa.contract import Answer, Event
from qa.llm import Messages

LONG_ANSWER = " ".join(["The Three Brotherhood Alliance launched Operation 1027 [1]."] * 40)


class ScriptedLLM:
    """Test fake: answers from a list (in turn) or a function of the prompt; records prompts."""

    name = "scripted"

    def __init__(self, script: list[str] | Callable[[Messages], str], judgement: float | None = None):
        self.script, self.judgement = script, judgement
        self.prompts: list[Messages] = []
        self.judged: list[Messages] = []

    def judge(self, messages: Messages) -> float | None:
        """`judgement` as P(yes) (None: no judgement, as a server without log-probabilities)."""
        self.judged.append(messages)
        return self.judgement

    def stream(self, messages: Messages, max_tokens: int) -> Iterator[str]:
        self.prompts.append(messages)
        if callable(self.script):
            text = self.script(messages)
        else:
            text = self.script[(len(self.prompts) - 1) % len(self.script)]
        for word in text.split(" "):
            yield word + " "


class BlockingEngine:
    """Yields `rewritten`, then waits for `release` and yields the final answer. Stops with
    CancelledError when its cancel event is set, like the real engine at a model token, unless
    `stubborn` (an engine stuck in native code). Records how many answers ran at once."""

    model_name = "fake"

    def __init__(self, stubborn: bool = False, fail: Exception | None = None) -> None:
        self.stubborn, self.fail = stubborn, fail
        self.release, self.started, self.cancelled = threading.Event(), threading.Event(), threading.Event()
        self.running = self.most = self.finished = 0
        self.asked: list[str] = []  # questions in the order the engine ran them
        self.guard = threading.Lock()

    def stream(self, question, history, cancel=None, **dates):
        with self.guard:
            self.running += 1
            self.most = max(self.most, self.running)
            self.asked.append(question)
        try:
            yield Event("rewritten", question)
            self.started.set()
            if self.fail:
                raise self.fail
            deadline = time.monotonic() + 30  # bounded, whatever the test does
            while not self.release.wait(0.02) and time.monotonic() < deadline:
                if cancel is not None and cancel.is_set() and not self.stubborn:
                    self.cancelled.set()
                    raise CancelledError("The answer was cancelled.")
            yield Event("delta", "ok [1]. ")
            yield Event("final", answer=Answer(question, question, "ok", False, (), "fake"))
            self.finished += 1
        finally:
            with self.guard:
                self.running -= 1


class SlowLLM(ScriptedLLM):
    """A scripted model that takes `delay_s` per token and counts the tokens it produced, so a test
    can tell an answer that was stopped from one that ran to its end."""

    def __init__(self, script, delay_s: float = 0.05):
        super().__init__(script)
        self.delay_s, self.tokens = delay_s, 0

    def stream(self, messages, max_tokens):
        for piece in super().stream(messages, max_tokens):
            time.sleep(self.delay_s)
            self.tokens += 1
            yield piece


def wait_for(condition, seconds: float = 15.0, what: str = "condition") -> None:
    """Poll `condition()` until true; fail after `seconds` (a generous bound, not a timing claim)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {seconds:.0f} s")
        time.sleep(0.02)
