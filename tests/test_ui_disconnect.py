"""No reader can stall the server (issue 8, critical row): a real uvicorn server on loopback, the
real engine over the seeds with a slow scripted model, and real clients that walk away.

A streaming reader that closes its socket mid-answer, a chat reader who presses Stop, and SIGTERM
while answers are running: each frees the engine within seconds, and the next question on any
surface is answered."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from .conftest import ROOT, wait_until_up
from .fakes import LONG_ANSWER, wait_for
from .slow_server import slow_engine
from .ui_server import indexed, serving

pytestmark = pytest.mark.slow
SLOW_Q = "Who launched Operation 1027?"  # a long, slow answer
QUICK_Q = "How many civilians have been displaced?"  # a short one
LONG_TOKENS = len(LONG_ANSWER.split(" "))


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return indexed(tmp_path_factory.mktemp("disconnect"), embedder="hash")


@pytest.fixture
def server(data):
    engine, llm = slow_engine(data)
    with serving(data, engine) as url:
        yield url, llm


def connect_and_send(url: str, path: str, body: dict) -> socket.socket:
    """A raw HTTP/1.1 client socket that has sent one POST."""
    host, port = url.removeprefix("http://").split(":")
    payload = json.dumps(body).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\nConnection: keep-alive\r\n\r\n"
    ).encode()
    s = socket.create_connection((host, int(port)), timeout=30)
    s.sendall(head + payload)
    return s


def read_then_close(url: str, path: str, body: dict) -> bytes:
    """POST, read until the first answer sentence has arrived (and 200 bytes), close the socket."""
    received = b""
    with connect_and_send(url, path, body) as s:
        while b"event: delta" not in received or len(received) < 200:
            chunk = s.recv(256)
            if not chunk:
                break
            received += chunk
    return received  # the socket is closed here, mid-answer


def test_a_stream_reader_closing_its_socket_frees_the_engine_and_the_next_question_is_answered(server):
    url, llm = server
    got = read_then_close(url, "/api/ask/stream", {"question": SLOW_Q})
    assert b"200 OK" in got and b"event: rewritten" in got and b"event: delta" in got
    tokens_at_close = llm.tokens
    with httpx.Client(base_url=url, timeout=30) as http:
        wait_for(lambda: http.get("/api/health").json()["in_flight"] == 0, what="the slot given back")
        started = time.monotonic()
        r = http.post("/api/ask", json={"question": QUICK_Q})
        waited = time.monotonic() - started
        assert r.status_code == 200 and "335,000" in r.json()["answer"]
        health = http.get("/api/health")
        assert health.status_code == 200 and health.json()["status"] == "ok"
    # the abandoned answer stopped near where the reader left, not after its ~20 s of tokens
    assert llm.tokens < tokens_at_close + 40 < LONG_TOKENS
    print(f"\nnext question answered {waited:.1f} s after the reader left")


def test_after_a_disconnect_the_gradio_endpoint_answers_too(server):
    from gradio_client import Client

    url, llm = server
    read_then_close(url, "/api/ask/stream", {"question": SLOW_Q})
    answer = Client(f"{url}/chat/", verbose=False).predict(QUICK_Q, [], api_name="/ask")
    assert not answer["refused"] and "335,000" in answer["answer"]
    assert llm.tokens < LONG_TOKENS


def test_a_reader_who_leaves_while_queued_gives_up_its_place(server):
    url, llm = server
    with (
        httpx.Client(base_url=url, timeout=30) as http,
        http.stream("POST", "/api/ask/stream", json={"question": SLOW_Q}) as first,
    ):
        assert first.status_code == 200  # answering, slowly
        in_flight = lambda: http.get("/api/health").json()["in_flight"]  # noqa: E731
        with connect_and_send(url, "/api/ask/stream", {"question": QUICK_Q}):
            wait_for(lambda: in_flight() == 2, what="the second reader queued")
        wait_for(lambda: in_flight() == 1, what="the queued place given back")


def test_stop_in_the_chat_stops_the_answer_and_the_next_question_is_answered(server):
    from gradio_client import Client

    url, llm = server
    client = Client(f"{url}/chat/", verbose=False)
    job = client.submit(SLOW_Q, [], api_name="/chat")
    wait_for(lambda: llm.tokens > 5, what="the answer streaming")
    job.cancel()  # the Stop button
    with httpx.Client(base_url=url, timeout=30) as http:
        wait_for(lambda: http.get("/api/health").json()["in_flight"] == 0, what="the slot given back")
    answer = client.predict(QUICK_Q, [], api_name="/ask")
    assert "335,000" in answer["answer"] and llm.tokens < LONG_TOKENS


def test_stop_while_queued_in_the_chat_gives_up_the_place_at_once(data):
    from gradio_client import Client

    engine, llm = slow_engine(data)
    with (
        serving(data.replace(queue_wait_s=120), engine) as url,
        httpx.Client(base_url=url, timeout=30) as http,
    ):
        in_flight = lambda: http.get("/api/health").json()["in_flight"]  # noqa: E731
        with http.stream("POST", "/api/ask/stream", json={"question": SLOW_Q}) as first:
            assert first.status_code == 200  # answering, slowly
            job = Client(f"{url}/chat/", verbose=False).submit(QUICK_Q, [], api_name="/chat")
            wait_for(lambda: in_flight() == 2, what="the chat question queued")
            job.cancel()  # Stop, while still waiting for the engine (which could take 120 s)
            wait_for(lambda: in_flight() == 1, seconds=30, what="the queued place given back")


def test_sigterm_stops_qa_serve_promptly_while_answers_are_running(data):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.slow_server", str(data.data_dir), str(data.port)], cwd=ROOT, env=env
    )
    url = f"http://127.0.0.1:{data.port}"
    try:
        wait_until_up(f"{url}/api/health", proc, "slow server", 60)
        read_then_close(url, "/api/ask/stream", {"question": SLOW_Q})  # a vanished reader
        with (
            httpx.Client(base_url=url, timeout=30) as reader,
            reader.stream("POST", "/api/ask/stream", json={"question": SLOW_Q}) as holding,
        ):
            assert holding.status_code == 200  # a reader mid-answer that stays connected
            started = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            told = holding.read()  # the server ends the stream, saying why
            code = proc.wait(timeout=30)
            stopped = time.monotonic() - started
        assert b"event: error" in told and b"shutting down" in told
        assert code in (0, -signal.SIGTERM)  # uvicorn re-raises the signal once it has shut down
        print(f"\nqa serve stopped {stopped:.1f} s after SIGTERM with an answer running")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
