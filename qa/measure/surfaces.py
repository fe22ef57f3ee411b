"""What a reader waits for on each surface of a real `qa serve`: the SSE stream and the browser.

One `qa serve` process on 127.0.0.1 over an index that already exists (the bench's question
archive, or the seeds), warmed by one question. Then, for each question, one at a time:

- **SSE** (`POST /api/ask/stream` on a raw socket): from sending the request to the `quote` event
  (the verified quotation, or the refusal's `final` when nothing can be quoted), to the first model
  `delta`, and to the `final` answer;
- **browser** (headless Chromium through Playwright, when installed): from clicking Send to the
  first verified words being visible: the quotation (`.qaw-quote q` in the widget, `.qa-quote` in
  the chat) or a refusal.

Playwright and Chromium come with the test extras (`bash scripts/setup.sh test`); without them the
browser part is reported as not run, with the reason.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from index.settings import Settings

CHROMIUM = "/usr/bin/chromium"  # Debian's; the test set-up installs it
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--proxy-server=127.0.0.1:9",  # anything not on loopback goes to a dead proxy
    "--proxy-bypass-list=127.0.0.1;localhost;[::1]",  # …except loopback
]
WAIT_S = 120.0  # longest wait for one answer on any surface


@dataclass
class Surfaces:
    questions: int = 0
    sse_quote_ms: list[float] = field(default_factory=list)  # first verified words (or refusal)
    sse_first_token_ms: list[float] = field(default_factory=list)  # first checked model sentence (answers)
    sse_final_ms: list[float] = field(default_factory=list)
    widget_first_ms: list[float] = field(default_factory=list)
    chat_first_ms: list[float] = field(default_factory=list)
    browser_note: str = ""  # why the browser part did not run, if it did not
    failures: list[str] = field(default_factory=list)


def run(settings: Settings, questions: list[str], say: Callable[[str], None]) -> Surfaces:
    from qa.measure.soak import _free_port, _serve, _stop, _wait_until_up

    out = Surfaces(questions=len(questions))
    port = _free_port()
    # the server may take as long as the client waits: a measurement, not a guard against a wedge
    proc = _serve(settings.replace(answer_timeout_s=WAIT_S), port)
    try:
        _wait_until_up(port, proc, seconds=300)
        _sse(port, "What is this archive about?")  # warm-up: the model's first call
        for q in questions:
            quote, first, final, head = _sse(port, q)
            if final < 0:
                out.failures.append(f"SSE: no final answer for {q!r}; the response began {head!r}")
                continue
            out.sse_quote_ms.append(quote)
            out.sse_final_ms.append(final)
            if first >= 0:
                out.sse_first_token_ms.append(first)
        say(f"surfaces: SSE first verified words p50 {_p(out.sse_quote_ms, 50):.0f} ms")
        # Playwright's sync API refuses a thread where another sync Playwright already runs (a
        # caller's own browser): the browser part gets a thread of its own
        with ThreadPoolExecutor(1) as pool:
            pool.submit(_browser, port, questions, out).result()
        if not out.browser_note:
            say(f"surfaces: widget first words p50 {_p(out.widget_first_ms, 50):.0f} ms, "
                f"chat {_p(out.chat_first_ms, 50):.0f} ms")  # fmt: skip
    finally:
        _stop(proc)
    return out


def _sse(port: int, question: str) -> tuple[float, float, float, bytes]:
    """(ms to the quote or a refusal, ms to the first model delta or -1, ms to final or -1, and the
    start of the response: its status line and first event, to say why when there is no final)."""
    from qa.measure.soak import _connect

    quote = first = -1.0
    s, sent = _connect(port, {"question": question, "history": []}, WAIT_S)
    buffer = b""
    with s:
        while chunk := s.recv(65536):
            now = (time.perf_counter() - sent) * 1000
            buffer += chunk
            if quote < 0 and (b"event: quote" in buffer or b"event: final" in buffer):
                quote = now
            if first < 0 and b"event: delta" in buffer:
                first = now
            at = buffer.find(b"event: final")
            if at >= 0 and b"\n\n" in buffer[at:]:  # the whole final event has arrived
                return quote, first, now, buffer[:200]
    return quote, first, -1.0, buffer[:200]


def _browser(port: int, questions: list[str], out: Surfaces) -> None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        out.browser_note = "Playwright is not installed (it comes with the test extras)"
        return
    if not os.path.exists(CHROMIUM):
        out.browser_note = f"no Chromium at {CHROMIUM} (the test set-up installs it)"
        return
    app = f"http://127.0.0.1:{port}"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            for q in questions:
                page.goto(f"{app}/widget")
                page.locator("#qaw-q").fill(q)
                out.widget_first_ms.append(_time_until(page, "#qaw-send", _WIDGET_SHOWS))
                page.wait_for_function(_WIDGET_DONE, timeout=WAIT_S * 1000)
                page.goto(f"{app}/chat/")
                page.locator("#qa-question textarea").fill(q)
                out.chat_first_ms.append(_time_until(page, "#qa-send", _CHAT_SHOWS))
                page.locator("#qa-sources .qa-badge").first.wait_for(timeout=WAIT_S * 1000)
        finally:
            browser.close()


# first words: the quotation, or the answer's first words (extractive, or a refusal), not the "…"
_WIDGET_SHOWS = """() => { const t = document.querySelector('.qaw-turn:last-child');
  return t && (t.querySelector('.qaw-quote q') || t.querySelector('.qaw-a').textContent.trim()); }"""
_WIDGET_DONE = """() => document.querySelector(
  '.qaw-turn:last-child .qaw-cite, .qaw-turn.qaw-refused:last-child')"""
_CHAT_SHOWS = """() => { const b = [...document.querySelectorAll('#qa-chat [data-testid="bot"]')].pop();
  return b && b.innerText.trim() && b.innerText.trim() !== '…'; }"""


def _time_until(page: object, button: str, shown: str) -> float:
    started = time.perf_counter()
    page.locator(button).click()  # type: ignore[attr-defined]
    page.wait_for_function(shown, timeout=WAIT_S * 1000)  # type: ignore[attr-defined]
    return (time.perf_counter() - started) * 1000


def _p(values: list[float], q: int) -> float:
    import numpy as np

    return float(np.percentile(values, q)) if values else 0.0


def section(s: Surfaces | None) -> str:
    if s is None:
        return "## First words on each surface\n\nNot run (`qa bench` with a model backend).\n"
    rows = [
        ("SSE `/api/ask/stream`: verified quote (or the refusal)", s.sse_quote_ms),
        ("SSE: first checked model sentence (`delta`)", s.sse_first_token_ms),
        ("SSE: final checked answer", s.sse_final_ms),
        ("browser, widget: first verified words visible", s.widget_first_ms),
        ("browser, Gradio chat: first verified words visible", s.chat_first_ms),
    ]
    lines = [
        "## First words on each surface",
        "",
        f"{s.questions} answerable questions (the ones answered above), one at a time, against a warm "
        "`qa serve` on 127.0.0.1 (its own process, same index and model), timed from sending the "
        "request (SSE) or clicking Send in headless Chromium (browser). Milliseconds.",
        "",
        "| surface: what is on screen | n | p50 | p95 |",
        "|---|---:|---:|---:|",
    ]
    lines += [f"| {name} | {len(v)} | {_p(v, 50):.0f} | {_p(v, 95):.0f} |" for name, v in rows if v]
    if s.browser_note:
        lines.append(f"\nBrowser not measured: {s.browser_note}.")
    if s.failures:
        lines.append("\nFailures: " + "; ".join(s.failures))
    return "\n".join(lines) + "\n"
