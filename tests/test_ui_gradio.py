"""The Gradio endpoints from `gradio_client`, and `qa serve` as a real process, over loopback."""

import os
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
