"""Bad input and bad luck over HTTP (issue 8): body size, errors that never echo the body,
malformed strings, unexpected errors, answers that take too long, a queue that cannot move, and
a wedged engine, all as JSON `{"error": "what to do"}` with the right status. Real app through
FastAPI's TestClient; fake engines where the test needs an engine to misbehave."""

import threading

import pytest
from fastapi.testclient import TestClient

from index.embedding import HashingEmbedder
from index.ingest import run_index
from index.settings import Settings
from index.store import Store
from ui.app import create_app

from .conftest import SEEDS
from .fakes import BlockingEngine, wait_for

Q = "Who launched Operation 1027?"
BASE = "http://127.0.0.1:7860"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("inputs") / "data", embedder="hash", backend="extractive"
    )
    run_index(Store(settings), HashingEmbedder(), [str(SEEDS)], settings.chunk_tokens)
    return settings


@pytest.fixture(scope="module")
def client(served):
    with TestClient(create_app(served), base_url=BASE) as c:
        yield c


def test_a_10_mb_body_is_413_with_what_to_do_and_nothing_echoed(client):
    body = b'{"question": "' + b"x" * 10_000_000 + b'"}'
    r = client.post("/api/ask", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and "at most 20 turns" in r.json()["error"]
    assert len(r.content) < 1000


def test_a_chunked_body_without_length_is_cut_off_too(client):
    chunks = (b'{"question": "' if i == 0 else b"x" * 100_000 for i in range(30))
    r = client.post("/api/ask/stream", content=chunks, headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and len(r.content) < 1000


def test_a_validation_error_names_the_field_but_never_echoes_the_body(client):
    r = client.post("/api/ask", json={"question": "y" * 500_000})
    assert r.status_code == 422 and "at most 1000 characters" in r.json()["error"]
    assert len(r.content) < 2000 and "yyyy" not in r.text
    r = client.post("/api/ask", json={"question": Q, "z" * 500_000: 1})  # nor a field name
    assert r.status_code == 422 and "Extra inputs" in r.json()["error"] and len(r.content) < 2000


@pytest.mark.parametrize(
    "raw",
    [
        rb'{"question": "Who owns \ud800 the mill?"}',
        rb'{"question": "Who owns \udfff\ud800 the mill?"}',
        rb'{"question": "Who owns the mill?", "history": [{"question": "q", "answer": "a \udc00"}]}',
    ],
)
@pytest.mark.parametrize("path", ["/api/ask", "/api/ask/stream"])
def test_a_lone_surrogate_is_a_400_not_a_traceback(client, raw, path):
    r = client.post(path, content=raw, headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and "valid text" in r.json()["error"]
    assert client.post("/api/ask", json={"question": Q}).status_code == 200


def test_odd_but_valid_text_is_answered(client):
    for question in [
        "Who launched Operation 1027?\u0000",
        "Who launched \U0001f600 Operation 1027?",
        "\ufeffWho?",
    ]:
        assert client.post("/api/ask", json={"question": question}).status_code == 200


def engine_app(served, engine, **changes):
    # raise_server_exceptions=False: see the 500 a client sees (the error is still logged)
    app = create_app(served.replace(**changes), engine)
    return TestClient(app, base_url=BASE, raise_server_exceptions=False)


def test_an_unexpected_engine_error_is_a_json_500_and_the_server_lives_on(served):
    engine = BlockingEngine(fail=RuntimeError("boom at /secret/path"))
    with engine_app(served, engine) as c:
        r = c.post("/api/ask", json={"question": Q})
        assert r.status_code == 500 and "retry" in r.json()["error"] and "boom" not in r.text
        s = c.post("/api/ask/stream", json={"question": Q})
        assert "event: error" in s.text and "boom" not in s.text
        engine.fail = None
        engine.release.set()
        assert c.post("/api/ask", json={"question": Q}).json()["answer"] == "ok"


def test_an_answer_past_the_time_limit_is_503_with_retry_after(served):
    engine = BlockingEngine()
    with engine_app(served, engine, answer_timeout_s=0.3) as c:
        r = c.post("/api/ask", json={"question": Q})
        assert r.status_code == 503 and r.headers["retry-after"] == "2"
        assert "took longer than" in r.json()["error"] and engine.cancelled.is_set()
        s = c.post("/api/ask/stream", json={"question": Q})  # started, then stopped: an error event
        assert s.status_code == 200 and "event: error" in s.text and "took longer than" in s.text


def test_a_queue_that_cannot_move_is_503_with_retry_after_not_a_hang(served):
    engine = BlockingEngine()
    with engine_app(served, engine, queue_wait_s=0.3) as c:
        first = threading.Thread(target=lambda: c.post("/api/ask", json={"question": "first"}))
        first.start()
        assert engine.started.wait(10)
        r = c.post("/api/ask", json={"question": "second"})
        assert r.status_code == 503 and r.headers["retry-after"] == "2" and "retry" in r.json()["error"]
        engine.release.set()
        first.join(timeout=10)


def test_health_reports_a_wedged_engine_as_503_and_recovers(served):
    engine = BlockingEngine(stubborn=True)  # ignores its cancel event, like a hung model call
    with engine_app(served, engine, answer_timeout_s=0.2, queue_wait_s=0.2) as c:
        c.app.state.gate.wedge_grace_s = 0.2
        assert c.get("/api/health").json()["status"] == "ok"
        assert c.post("/api/ask", json={"question": Q}).status_code == 503
        wait_for(lambda: c.get("/api/health").status_code == 503, what="health turning 503")
        body = c.get("/api/health").json()
        assert body["status"] == "wedged" and "restart" in body["error"]
        engine.release.set()
        wait_for(lambda: c.get("/api/health").status_code == 200, what="health recovering")
