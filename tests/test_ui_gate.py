"""The gate in front of the engine: bounded queue, one answer at a time, and the slot and the
engine lock given back on every path (closed reader, abandoned reader, timeout, error, shutdown)."""

import threading

import pytest

from index.errors import BadInputError, BusyError, CancelledError
from qa.contract import Turn
from ui.gate import Gate
from ui.limits import MAX_TURNS

from .fakes import BlockingEngine, wait_for


def test_a_full_queue_says_busy_at_once_and_answers_resume_after():
    engine = BlockingEngine()
    gate = Gate(engine, queue_size=2)
    answers = []
    workers = [threading.Thread(target=lambda: answers.append(gate.ask("q"))) for _ in range(2)]
    for w in workers:
        w.start()
    wait_for(lambda: gate.in_flight() == 2, what="both answers admitted")
    with pytest.raises(BusyError, match="retry"):
        gate.ask("one too many")
    engine.release.set()
    for w in workers:
        w.join(timeout=10)
    assert [a.answer for a in answers] == ["ok", "ok"]
    assert engine.most == 1  # serialised: never two answers at once
    assert gate.ask("again").answer == "ok"  # slots were given back


def test_answers_get_the_engine_in_the_order_they_arrived():
    engine = BlockingEngine()
    gate = Gate(engine, queue_size=5)
    first = gate.stream("first")
    next(first)
    waiting = []
    for n, question in enumerate(["a", "b", "c", "d"], start=1):
        waiting.append(gate.stream(question))
        wait_for(lambda n=n: len(gate.lock._queue) == n, what=f"{question} queued")  # noqa: SLF001
    engine.release.set()
    for answering in [first, *waiting]:
        list(answering)
    assert engine.asked == ["first", "a", "b", "c", "d"]


def test_a_reader_that_closes_mid_answer_frees_its_slot_at_once_and_the_engine_stops():
    engine = BlockingEngine()
    gate = Gate(engine, queue_size=1)
    events = gate.stream("q")
    assert next(events).kind == "rewritten"
    with pytest.raises(BusyError):
        gate.ask("while the first holds the only slot")
    events.close()  # e.g. the client went away
    assert gate.in_flight() == 0
    assert engine.cancelled.wait(5)  # the engine was told to stop, and did
    engine.cancelled.clear()
    engine.release.set()
    assert gate.ask("q").answer == "ok"


def test_a_reader_that_vanishes_without_closing_cannot_keep_the_engine():
    """The old wedge: a generator left suspended by the web server held the lock for minutes."""
    engine = BlockingEngine()
    gate = Gate(engine, queue_size=2)
    abandoned = gate.stream("q")
    assert next(abandoned).kind == "rewritten"  # …and never read again, never closed
    engine.release.set()
    wait_for(lambda: not gate.lock.locked() and gate.in_flight() == 0, what="the engine freed")
    assert gate.ask("next").answer == "ok"
    del abandoned


def test_waiting_longer_than_the_queue_wait_is_busy_and_gives_the_slot_back():
    engine = BlockingEngine()
    gate = Gate(engine, queue_size=3, wait_s=0.3)
    first = gate.stream("first")
    next(first)
    with pytest.raises(BusyError, match="retry"):
        gate.ask("second")
    assert gate.in_flight() == 1
    first.close()


def test_an_answer_past_its_time_limit_is_stopped_and_reported_as_busy():
    engine = BlockingEngine()
    gate = Gate(engine, queue_size=2, answer_timeout_s=0.3)
    with pytest.raises(BusyError, match="took longer than"):
        gate.ask("slow")
    assert engine.cancelled.is_set() and gate.in_flight() == 0 and not gate.lock.locked()


def test_an_engine_error_reaches_the_reader_and_frees_everything():
    gate = Gate(BlockingEngine(fail=RuntimeError("boom")), queue_size=1)
    with pytest.raises(RuntimeError, match="boom"):
        gate.ask("q")
    wait_for(lambda: not gate.lock.locked(), what="lock released")
    assert gate.in_flight() == 0


def test_an_engine_that_ignores_cancel_is_reported_wedged_and_its_reader_gives_up():
    engine = BlockingEngine(stubborn=True)
    gate = Gate(engine, queue_size=2, wait_s=0.2, answer_timeout_s=0.2, wedge_grace_s=0.2)
    with pytest.raises(BusyError, match="took longer than"):
        gate.ask("stuck")  # the reader's own bound, although the engine goes on
    wait_for(gate.wedged, what="the watchdog noticing")
    with pytest.raises(BusyError):
        gate.ask("meanwhile")  # bounded wait, then busy: never a hang
    engine.release.set()
    wait_for(lambda: not gate.wedged() and not gate.lock.locked(), what="recovery")


def test_closing_the_gate_tells_every_reader_at_once():
    engine = BlockingEngine()
    gate = Gate(engine, queue_size=2)
    events = gate.stream("q")
    next(events)
    told = []

    def read() -> None:
        try:
            list(events)
        except CancelledError as e:
            told.append(str(e))

    reader = threading.Thread(target=read)
    reader.start()
    gate.close()  # server shutdown
    reader.join(timeout=5)
    assert not reader.is_alive() and "shutting down" in told[0]
    assert engine.cancelled.wait(5)


def test_limits_every_surface_shares():
    gate = Gate(BlockingEngine(), queue_size=1)
    with pytest.raises(BadInputError, match="at most the last 20"):
        gate.stream("q", [Turn("q", "a")] * (MAX_TURNS + 1))
    with pytest.raises(BadInputError, match="too long"):
        gate.stream("q", [Turn("q", "a" * 10_001)])
    with pytest.raises(BadInputError, match="not valid text"):
        gate.stream("Who owns \ud800 the mill?")
    assert gate.in_flight() == 0
