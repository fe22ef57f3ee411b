"""The gate in front of the engine: bounded queue, one answer at a time, slots always released."""

import threading

import pytest

from index.errors import BusyError
from qa.contract import Answer, Event
from ui.gate import Gate


class SlowEngine:
    """Fake engine: each stream waits for `release`, and records how many run at once."""

    model_name = "fake"

    def __init__(self) -> None:
        self.release = threading.Event()
        self.running = 0
        self.most = 0
        self.guard = threading.Lock()

    def stream(self, question, history):
        with self.guard:
            self.running += 1
            self.most = max(self.most, self.running)
        yield Event("rewritten", question)
        self.release.wait(timeout=10)
        with self.guard:
            self.running -= 1
        yield Event("final", answer=Answer(question, question, "ok", False, (), "fake"))


def test_a_full_queue_says_busy_at_once_and_answers_resume_after():
    engine = SlowEngine()
    gate = Gate(engine, queue_size=2)
    answers = []
    workers = [threading.Thread(target=lambda: answers.append(gate.ask("q"))) for _ in range(2)]
    for w in workers:
        w.start()
    for _ in range(100):  # bounded: until both hold a slot
        if gate.slots._value == 0:  # noqa: SLF001
            break
        threading.Event().wait(0.02)
    with pytest.raises(BusyError, match="retry"):
        gate.ask("one too many")
    engine.release.set()
    for w in workers:
        w.join(timeout=10)
    assert [a.answer for a in answers] == ["ok", "ok"]
    assert engine.most == 1  # serialised: never two answers at once
    assert gate.ask("again").answer == "ok"  # slots were given back


def test_a_stream_closed_early_gives_its_slot_back():
    engine = SlowEngine()
    engine.release.set()
    gate = Gate(engine, queue_size=1)
    events = gate.stream("q")
    assert next(events).kind == "rewritten"
    with pytest.raises(BusyError):
        gate.ask("while the first holds the only slot")
    events.close()  # e.g. the client went away
    assert gate.ask("q").answer == "ok"
