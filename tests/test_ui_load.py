"""Load on loopback: 16 concurrent chat clients stream a fixed number of answers each from
`qa serve` in its own process (real engine: extractive + MiniLM). Every answer must arrive;
"busy" (503) is retried a bounded number of times; p50/p95 latency is printed."""

import json
import random
import statistics
import threading
import time

import httpx
import pytest

from .ui_server import indexed, serving_process

pytestmark = pytest.mark.slow
CLIENTS, QUESTIONS_EACH, MAX_ATTEMPTS = 16, 4, 40
QUESTIONS = [
    "Who launched Operation 1027?",
    "How many civilians have been displaced?",
    "How many outposts has the military lost?",
    "Who won the 2022 World Cup?",
]


def chat_client(url: str, n: int, results: list, errors: list) -> None:
    """One user: asks its questions in turn over SSE, keeping the conversation as history."""
    history: list[dict[str, str]] = []
    jitter = random.Random(n)
    with httpx.Client(base_url=url, timeout=120) as http:
        for i in range(QUESTIONS_EACH):
            question = QUESTIONS[(n + i) % len(QUESTIONS)]
            started = time.perf_counter()
            for busy in range(MAX_ATTEMPTS):
                final = ask(http, question, history[-2:])
                if final is not None:
                    results.append((time.perf_counter() - started, busy, final))
                    history.append({"question": question, "answer": final["answer"]})
                    break
                time.sleep(min(2.0, 0.2 * 1.5**busy) * jitter.uniform(0.5, 1.0))  # <= Retry-After
            else:
                errors.append(f"client {n}: no answer to {question!r} after {MAX_ATTEMPTS} attempts")


def ask(http: httpx.Client, question: str, history: list) -> dict | None:
    """The final answer, or None when the server said busy (503 + Retry-After)."""
    with http.stream("POST", "/api/ask/stream", json={"question": question, "history": history}) as r:
        if r.status_code == 503:
            assert r.headers["retry-after"] and "retry" in json.loads(r.read())["error"]
            return None
        assert r.status_code == 200, r.read()
        lines = [line for line in r.iter_lines() if line.startswith("data: ")]
    return json.loads(lines[-1].removeprefix("data: "))


def test_sixteen_concurrent_chat_clients_get_every_answer(tmp_path):
    settings = indexed(tmp_path)
    with serving_process(settings) as url:
        results: list = []
        errors: list = []
        threads = [
            threading.Thread(target=chat_client, args=(url, n, results, errors)) for n in range(CLIENTS)
        ]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=150)
        wall = time.perf_counter() - started
    assert errors == [] and not any(t.is_alive() for t in threads)
    assert len(results) == CLIENTS * QUESTIONS_EACH  # none lost
    assert all(set(final) >= {"answer", "citations", "refused"} for _, _, final in results)
    assert sum(not final["refused"] for _, _, final in results) >= CLIENTS * QUESTIONS_EACH // 2
    latencies = sorted(seconds for seconds, _, _ in results)
    p50 = statistics.median(latencies)
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    busy = sum(b for _, b, _ in results)
    engine_ms = statistics.median(final["timings"]["total_ms"] for _, _, final in results)
    print(
        f"\nload: {len(results)} answers to {CLIENTS} concurrent clients in {wall:.1f} s; "
        f"p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms (incl. retries); "
        f"{busy} busy replies retried (queue_size {settings.queue_size}); engine median {engine_ms:.0f} ms"
    )
