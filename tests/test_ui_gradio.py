"""The Gradio endpoints from `gradio_client`, and `qa serve` as a real process, over loopback."""

import os
import re
import subprocess
import sys
import time
import urllib.request

import pytest

from .conftest import ROOT, SEEDS, free_port
from .ui_server import indexed, serving

pytestmark = pytest.mark.slow
Q = "Who launched Operation 1027?"


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    with serving(indexed(tmp_path_factory.mktemp("gradio"))) as base:
        yield base


def test_gradio_client_round_trip_with_citations(url):
    from gradio_client import Client

    client = Client(f"{url}/chat/", verbose=False)
    answer = client.predict(Q, [], api_name="/ask")
    assert not answer["refused"] and answer["model"] == "extractive"
    assert any("Three Brotherhood Alliance" in c["context_before"] + c["quote"] for c in answer["citations"])
    follow = client.predict("When did it start?", [[Q, answer["answer"]]], api_name="/ask")
    assert follow["question"] == "When did it start?" and follow["citations"]


def test_gradio_client_streams_the_chat_endpoint(url):
    from gradio_client import Client

    client = Client(f"{url}/chat/", verbose=False)
    job = client.submit(Q, [], api_name="/chat")
    outputs = job.result(timeout=60)
    _, messages, _, sources = outputs
    assert messages[-1]["role"] == "assistant" and "[1]" in str(messages[-1]["content"])
    assert "<mark>" in sources and "supports the answer" in sources


@pytest.mark.parametrize(
    "history, says",
    [
        ([["x " * 55_000, "an answer"]], "too long"),  # a 110,000-character history
        ([[Q, "x" * 110_000]], "too long"),
        ([[Q, "The Three Brotherhood Alliance."]] * 21, "at most the last 20"),
        ([["only one half"]], "[question, answer] pairs"),
        ("not a list", "[question, answer] pairs"),
    ],
)
def test_gradio_ask_caps_history_like_the_json_api(url, history, says):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    client = Client(f"{url}/chat/", verbose=False)
    with pytest.raises(AppError, match=re.escape(says)):
        client.predict(Q, history, api_name="/ask")
    assert not client.predict(Q, [], api_name="/ask")["refused"]  # and it lives on


def test_gradio_endpoints_refuse_oversized_or_malformed_questions(url):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    client = Client(f"{url}/chat/", verbose=False)
    with pytest.raises(AppError, match="keep it under 1000"):
        client.predict("x" * 5000, [], api_name="/ask")


def test_the_chat_keeps_at_most_20_turns_and_refuses_more(tmp_path):
    """The chat's history is server-side state (API clients cannot set it); it never grows past 20."""
    import gradio as gr

    from qa.engine import build_engine
    from ui.chat import _respond
    from ui.gate import Gate

    settings = indexed(tmp_path, embedder="hash")
    respond = _respond(Gate(build_engine(settings), 2))
    *_, last = respond(Q, [], [[Q, "The Three Brotherhood Alliance."]] * 20)
    _, messages, turns, _, sources = last
    assert len(turns) == 20 and turns[-1][0] == Q and "<mark>" in sources
    with pytest.raises(gr.Error, match="at most the last 20"):
        next(respond(Q, [], [[Q, "a"]] * 21))


def test_a_lone_surrogate_sent_to_gradio_is_an_error_message(url):
    """gradio_client cannot even encode it; a raw HTTP client can, as JSON's \\ud800 escape."""
    import httpx

    raw = b'{"data": ["Who owns \\ud800 the mill?", []]}'
    with httpx.Client(base_url=f"{url}/chat/gradio_api", timeout=30) as http:
        posted = http.post("/call/ask", content=raw, headers={"Content-Type": "application/json"})
        assert posted.status_code == 200, posted.text
        result = http.get(f"/call/ask/{posted.json()['event_id']}").text
    assert "event: error" in result and "not valid text" in result


def test_qa_serve_starts_on_the_indexed_seeds(tmp_path):
    port = free_port()
    env = {**os.environ, "QA_DATA_DIR": str(tmp_path / "data"), "QA_BACKEND": "extractive"}
    qa = [sys.executable, "-m", "qa"]
    subprocess.run(
        [*qa, "index", str(SEEDS)], env=env, cwd=ROOT, check=True, capture_output=True, timeout=120
    )
    proc = subprocess.Popen([*qa, "serve", "--port", str(port)], env=env, cwd=ROOT, stderr=subprocess.PIPE)
    try:
        body = _wait_and_ask(f"http://127.0.0.1:{port}")
        assert b"Three Brotherhood Alliance" in body
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def _wait_and_ask(url: str) -> bytes:
    for _ in range(150):  # bounded: 30 s
        try:
            urllib.request.urlopen(f"{url}/api/health", timeout=2)
            break
        except OSError:
            time.sleep(0.2)
    request = urllib.request.Request(
        f"{url}/api/ask", data=b'{"question": "Who launched Operation 1027?"}', method="POST"
    )
    request.add_header("Content-Type", "application/json")
    return urllib.request.urlopen(request, timeout=60).read()


def test_qa_serve_refuses_an_open_api_on_a_non_loopback_address(tmp_path):
    env = {**os.environ, "QA_DATA_DIR": str(tmp_path), "QA_BACKEND": "extractive"}
    env.pop("QA_API_TOKEN", None)
    out = subprocess.run(
        [sys.executable, "-m", "qa", "serve", "--host", "0.0.0.0"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 1 and "QA_API_TOKEN" in out.stderr
