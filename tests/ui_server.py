"""Helpers for the web tests: index the seeds, run the real app with uvicorn on loopback."""

from __future__ import annotations

import contextlib
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from index.embedding import make_embedder
from index.ingest import run_index
from index.settings import Settings
from index.store import Store

from .conftest import SEEDS, free_port, wait_until_up


def indexed(data_dir: Path, **fields: object) -> Settings:
    """Settings (extractive backend, MiniLM unless told) over a fresh index of the seeds."""
    settings = Settings(data_dir=data_dir, backend="extractive", port=free_port(), **fields)  # type: ignore[arg-type]
    run_index(Store(settings), make_embedder(settings), [str(SEEDS)], settings.chunk_tokens)
    return settings


@contextlib.contextmanager
def serving(settings: Settings, engine: object = None) -> Iterator[str]:
    """The whole app (`ui.app.create_app`) under uvicorn in a thread; yields its base URL."""
    import uvicorn

    from ui.app import create_app

    app = create_app(settings, engine)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=settings.port, log_level="warning", timeout_keep_alive=30)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{settings.port}"
    try:
        for _ in range(150):  # bounded wait: 30 s
            with contextlib.suppress(OSError):
                urllib.request.urlopen(f"{url}/api/health", timeout=2)
                break
            time.sleep(0.2)
        else:
            raise RuntimeError("the app did not start within 30 s")
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@contextlib.contextmanager
def serving_process(settings: Settings) -> Iterator[str]:
    """`qa serve` as its own process (no GIL shared with the test's clients); yields its URL."""
    import os
    import subprocess
    import sys

    from .conftest import ROOT

    env = {**os.environ, "QA_DATA_DIR": str(settings.data_dir), "QA_EMBEDDER": settings.embedder}
    args = ["serve", "--backend", settings.backend, "--port", str(settings.port)]
    proc = subprocess.Popen([sys.executable, "-m", "qa", *args], env=env, cwd=ROOT)
    url = f"http://127.0.0.1:{settings.port}"
    try:
        wait_until_up(f"{url}/api/health", proc, "qa serve")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=15)
