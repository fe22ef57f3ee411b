"""The soak: many readers at once against a real `qa serve` process on loopback, one client in
four closing its socket mid-answer, to show that no reader can stall the server.

`run` indexes the given articles into a private folder, starts `qa serve` (its own process) on a
free 127.0.0.1 port, and runs `clients` threads that each ask `questions` questions over
`POST /api/ask/stream`. A disconnecting client reads until the first answer sentence and closes
its socket; the others read to the final event. "Busy" (503) must carry Retry-After and is
retried after it, a bounded number of times. Every request is recorded as answered, busy,
disconnected or failed, with its wait (sending to the server's status line). Afterwards:
`/api/health`, one more question, and how long SIGTERM takes to stop the server.
Bounded throughout: a timeout per request, a deadline for the run, a limit on waiting for start.
It does not judge answer quality (`qa.measure.evaluate`) or time the engine alone (`bench`).
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from index.settings import Settings


def questions() -> list[str]:
    """The single-turn questions of the seeds question set, answerable and not."""
    from qa.measure.devset import load_items

    return [i.question for i in load_items() if not i.turns]


WAIT_BOUND_S = 30.0  # what "never a hang" means here: every reply within this


@dataclass(frozen=True)
class SoakOptions:
    clients: int = 16
    questions: int = 20  # per client
    disconnect_every: int = 4  # clients 3, 7, 11, 15 close their socket mid-answer
    backend: str = "extractive"
    attempts: int = 5  # per question: busy replies are retried after Retry-After
    request_timeout_s: float = 60.0
    deadline_s: float = 900.0  # the clients stop asking after this


@dataclass(frozen=True)
class Request:
    outcome: str  # answered | busy | disconnected | failed
    wait_s: float  # sending the request -> the status line (or the failure)
    detail: str = ""
    client: int = -1


@dataclass
class Soak:
    started: str
    options: dict[str, Any]
    requests: list[Request] = field(default_factory=list)
    gave_up: int = 0  # questions still busy after every attempt
    health_status: int = 0
    health: dict[str, Any] = field(default_factory=dict)
    next_answer_s: float = 0.0  # one more question after the soak, answered in
    stop_s: float = 0.0  # SIGTERM -> the process gone
    clients_s: float = 0.0  # the clients' part of the run
    load: tuple[float, float] = (0.0, 0.0)  # 1-minute load average as the clients start and end
    seconds: float = 0.0

    def count(self, outcome: str) -> int:
        return sum(r.outcome == outcome for r in self.requests)

    def wait(self, q: float) -> float:
        waits = [r.wait_s for r in self.requests]
        return float(np.percentile(waits, q)) if waits else 0.0

    def healthy(self) -> bool:
        return self.health_status == 200 and self.health.get("status") == "ok"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# ----- one request ------------------------------------------------------------------------------
def _connect(port: int, body: dict[str, Any], timeout: float) -> tuple[socket.socket, float]:
    payload = json.dumps(body).encode()
    head = (
        f"POST /api/ask/stream HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n"
    ).encode()
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.sendall(head + payload)
    return s, time.perf_counter()


def ask(
    port: int, question: str, history: list[dict[str, str]], leave: bool, timeout: float
) -> tuple[Request, Any]:
    """One request on its own connection; (record, the final answer or None)."""
    try:
        s, sent = _connect(port, {"question": question, "history": history}, timeout)
        with s:
            received = s.recv(65536)
            wait = time.perf_counter() - sent
            head = received.split(b"\r\n\r\n", 1)[0].decode("latin-1").lower()
            status = head.split(" ", 2)[1] if " " in head else "?"
            if status == "503":
                ok = "retry-after:" in head
                return Request(
                    "busy" if ok else "failed", wait, "" if ok else "503 without Retry-After"
                ), None
            if status != "200":
                return Request("failed", wait, f"HTTP {status}"), None
            if leave:  # read the first answer sentence, then walk away mid-stream
                while b"event: delta" not in received and b"event: final" not in received:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    received += chunk
                return Request("disconnected", wait), None
            while chunk := s.recv(65536):
                received += chunk
    except OSError as e:
        return Request("failed", timeout, f"{type(e).__name__}: {e}"), None
    return _final(received, wait)


def _final(received: bytes, wait: float) -> tuple[Request, Any]:
    text = received.decode("utf-8", "replace")
    if "event: error" in text:
        return Request("failed", wait, text.split("event: error", 1)[1][:200].strip()), None
    finals = [b for b in text.split("\n\n") if "event: final" in b]
    if not finals:
        return Request("failed", wait, "the stream ended without a final answer"), None
    data = next(line for line in finals[-1].splitlines() if line.startswith("data: "))
    return Request("answered", wait), json.loads(data.removeprefix("data: "))


# ----- the clients ------------------------------------------------------------------------------
def _client(n: int, port: int, options: SoakOptions, out: Soak, until: float, lock: threading.Lock) -> None:
    """One reader: asks its questions in turn, keeping the conversation as history."""
    leave = n % options.disconnect_every == options.disconnect_every - 1
    history: list[dict[str, str]] = []
    jitter = random.Random(n)
    for i in range(options.questions):
        asked = questions()
        question = asked[(n + i) % len(asked)]
        for _ in range(options.attempts):
            if time.monotonic() > until:
                return
            record, final = ask(port, question, history[-2:], leave, options.request_timeout_s)
            with lock:
                out.requests.append(dataclasses.replace(record, client=n))
            if record.outcome != "busy":
                break
            time.sleep(2 * jitter.uniform(1.0, 1.5))  # Retry-After is 2 s
        else:
            with lock:
                out.gave_up += 1
        if final is not None:
            history.append({"question": question, "answer": final["answer"]})


def run(
    settings: Settings, articles: Path, options: SoakOptions, workdir: Path, say: Callable[[str], None]
) -> Soak:
    """Index `articles` under `workdir`, serve them, soak, check health, stop with SIGTERM."""
    from datetime import UTC, datetime

    t0 = time.perf_counter()
    out = Soak(
        datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), {k: str(v) for k, v in asdict(options).items()}
    )
    serving = _index(settings.replace(backend=options.backend), articles, workdir / "soak-index")
    port = _free_port()
    proc = _serve(serving, port)
    try:
        _wait_until_up(port, proc)
        say(f"soak: {options.clients} clients × {options.questions} questions, qa serve on port {port}")
        until, lock = time.monotonic() + options.deadline_s, threading.Lock()
        started, load = time.perf_counter(), os.getloadavg()[0]
        threads = [
            threading.Thread(target=_client, args=(n, port, options, out, until, lock), daemon=True)
            for n in range(options.clients)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=max(1.0, until - time.monotonic() + options.request_timeout_s))
        out.clients_s, out.load = time.perf_counter() - started, (load, os.getloadavg()[0])
        _after(port, out)
    finally:
        out.stop_s = _stop(proc)
    out.seconds = time.perf_counter() - t0
    say(f"soak: {len(out.requests)} requests, {out.count('answered')} answered, {out.count('busy')} "
        f"busy, {out.count('disconnected')} disconnected, {out.count('failed')} failed; wait p95 "
        f"{out.wait(95):.2f} s, max {out.wait(100):.2f} s; health after {out.health_status}")  # fmt: skip
    return out


def _after(port: int, out: Soak) -> None:
    """Health once every answer has finished (bounded), then one more question."""
    import urllib.request

    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=10) as r:
                out.health_status, out.health = r.status, json.loads(r.read())
        except OSError as e:
            out.health_status, out.health = getattr(e, "code", 0), {"error": str(e)}
        if out.health.get("in_flight", 0) == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    started = time.perf_counter()
    record, final = ask(port, questions()[0], [], False, 60)
    out.next_answer_s = time.perf_counter() - started if record.outcome == "answered" else -1.0


# ----- the server process -----------------------------------------------------------------------
def _index(settings: Settings, articles: Path, data_dir: Path) -> Settings:
    from index.embedding import make_embedder
    from index.ingest import run_index
    from index.store import Store

    settings = settings.replace(data_dir=data_dir, chroma_url=None, collection="soak")
    run_index(Store(settings), make_embedder(settings), [str(articles)], settings.chunk_tokens)
    return settings


def _serve(settings: Settings, port: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env.update(GRADIO_ANALYTICS_ENABLED="False", HF_HUB_OFFLINE="1", ANONYMIZED_TELEMETRY="False")
    env.update(QA_EMBEDDER=settings.embedder, QA_MODEL=settings.model, QA_THREADS=str(settings.threads))
    env["QA_ANSWER_TIMEOUT_S"] = str(settings.answer_timeout_s)
    if settings.models_dir is not None:  # model files already joined elsewhere
        env["QA_MODELS_DIR"] = str(settings.models_dir)
    cmd = [
        sys.executable,
        "-m",
        "qa",
        "--data-dir",
        str(settings.data_dir),
        "--collection",
        settings.collection,
    ]
    cmd += ["serve", "--backend", settings.backend, "--port", str(port)]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_until_up(port: int, proc: subprocess.Popen[bytes], seconds: float = 180) -> None:
    import urllib.request

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"qa serve exited with status {proc.returncode} before answering")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2)
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"qa serve did not answer /api/health within {seconds:.0f} s")


def _stop(proc: subprocess.Popen[bytes]) -> float:
    """SIGTERM, and how long the process took to go (killed after 30 s)."""
    started = time.perf_counter()
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
        return -1.0
    return time.perf_counter() - started
