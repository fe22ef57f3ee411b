"""Real LLM backends: the small GGUF model in-process, and the same model behind a real
OpenAI-compatible server (llama-cpp-python's) on loopback."""

import re
import shutil
import subprocess
import sys

import pytest

from index.articles import read_text
from index.embedding import make_embedder
from index.errors import ModelUnavailableError
from index.ingest import run_index
from index.models import model_path
from index.settings import Settings
from index.store import Store
from qa.engine import build_engine
from qa.measure.scores import ungrounded

from .conftest import SEEDS, free_port, wait_until_up

pytestmark = pytest.mark.slow
SMALL = "smollm2-135m"


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    root = tmp_path_factory.mktemp("backends")
    shutil.copytree(SEEDS, root / "seeds")
    settings = Settings(data_dir=root / "data", backend="local", model=SMALL, k=4)
    run_index(Store(settings), make_embedder(settings), [str(root / "seeds")], settings.chunk_tokens)
    return settings


def assert_grounded(answer):
    """Whatever the model said, what reaches the user is backed by the passages it cites."""
    for c in answer.citations:
        assert read_text(c.source)[c.start : c.end] == c.quote
    if answer.refused:
        return
    assert ungrounded(answer) == [], answer.answer  # every number and name is in a cited passage
    cited = {c.n for c in answer.citations if c.supported}
    body = answer.answer.split("\n\n")[0]
    for claim in re.split(r"(?<=\][.!?])\s+|(?<=\])\s+", body):  # each claim ends with its markers
        if claim.strip(" .!?"):
            assert {int(n) for n in re.findall(r"\[(\d+)\]", claim)} & cited, claim


def test_local_model_refuses_off_topic_and_stays_grounded(indexed):
    engine = build_engine(indexed)
    off = engine.ask("Who won the 2022 World Cup?")
    assert off.refused and off.model == SMALL
    near = engine.ask("How many casualties have both sides inflicted on each other?")
    assert near.model == SMALL and near.timings["first_token_ms"] > 0
    assert_grounded(near)
    on = engine.ask("Who launched Operation 1027?")
    assert_grounded(on)


@pytest.fixture(scope="module")
def openai_server(indexed):
    port = free_port()
    gguf = model_path(SMALL, indexed.model_dir)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(gguf),
            "--model_alias",
            "smollm2",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "2048",
            "--n_threads",
            "1",
            "--logits_all",  # llama-cpp-python's server returns log-probabilities only with this
            "true",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        wait_until_up(f"{url}/models", proc, "llama_cpp.server")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_openai_backend_against_a_real_server_on_loopback(indexed, openai_server):
    settings = indexed.replace(backend="openai", openai_base_url=openai_server, model="smollm2")
    answer = build_engine(settings).ask("Who launched Operation 1027?")
    assert answer.model == "smollm2"
    assert answer.timings["total_ms"] >= answer.timings["first_token_ms"] > 0
    assert_grounded(answer)
    assert build_engine(settings).ask("What is the capital of France?").refused


def test_both_backends_read_the_same_yes_probability_from_the_same_model(indexed, openai_server):
    """The judge's probability comes from the model's first-token log-probabilities: in-process and
    behind a real server, the same model gives the same reading of the same prompt."""
    from qa.llm import make_llm
    from qa.stages.judge import SYSTEM

    prompt = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": "Passage: The alliance launched Operation 1027.\n\nQuestion: Who "
         "launched Operation 1027?\n\nDoes the passage state the answer? Reply yes or no."},
    ]  # fmt: skip
    local = make_llm(indexed)
    served = make_llm(indexed.replace(backend="openai", openai_base_url=openai_server, model="smollm2"))
    here, there = local.judge(prompt), served.judge(prompt)
    assert here is not None and there is not None
    assert 0.0 <= here <= 1.0 and abs(here - there) < 0.1, (here, there)


def test_openai_backend_with_the_server_down_says_what_to_check(indexed):
    settings = indexed.replace(
        backend="openai", model="m", openai_base_url=f"http://127.0.0.1:{free_port()}/v1"
    )
    with pytest.raises(ModelUnavailableError, match="QA_OPENAI_BASE_URL"):
        build_engine(settings).ask("Who launched Operation 1027?")
