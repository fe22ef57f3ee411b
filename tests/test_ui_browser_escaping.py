"""Pages as a reader meets them (issue 8), in headless Chromium against the real server:

- an article holding `<img src=…>` and Markdown links is shown as text in the chat bubble (and in
  the widget): nothing fetched, nothing clickable;
- the widget renews an expired token through the page that embeds it, or tells the reader the
  session expired, in plain words."""

from __future__ import annotations

import http.server
import os
import shutil
import threading
import time
import urllib.request
from collections.abc import Iterator

import pytest

from index.embedding import make_embedder
from index.ingest import run_index
from index.settings import Settings
from index.store import Store
from ui import security

from .browser import ask_in_widget, loopback_page
from .conftest import SEEDS, free_port
from .ui_server import serving

pytestmark = pytest.mark.slow
MILL = """Mill [deal](http://t.example/r) <img src="http://t.example/p.png">

Published 2024-03-01

The Grevytown paper mill was sold to Harbour Timber for $4m, according to the county records.

Filings are shown as ![registry logo](http://t.example/logo.png) on the [county site](http://t.example/site) \
<img src="http://t.example/pixel2.png" onerror="document.title='pwned'">.

The mill employed 140 workers before it closed in 2022, and the new owners plan to reopen it next spring.
"""
# The headline's markup reaches the answer bubble in the note about text addressed to AI systems
# (the guard flags markup); the body's marked-up sentence reaches the Sources panel.
MILL_Q = "How much was the Grevytown paper mill sold for?"
Q = "Who launched Operation 1027?"
SECRET = "browser-test-secret"


@pytest.fixture(scope="module")
def articles(tmp_path_factory):
    folder = tmp_path_factory.mktemp("escaping") / "articles"
    shutil.copytree(SEEDS, folder)
    (folder / "mill.txt").write_text(MILL, encoding="utf-8")
    return folder


def settings_for(root, articles, **fields) -> Settings:
    settings = Settings(
        data_dir=root / "data", embedder="hash", backend="extractive", port=free_port(), **fields
    )
    run_index(Store(settings), make_embedder(settings), [str(articles)], settings.chunk_tokens)
    return settings


@pytest.fixture(scope="module")
def open_app(tmp_path_factory, articles) -> Iterator[str]:
    with serving(settings_for(tmp_path_factory.mktemp("open"), articles)) as url:
        yield url


def test_the_chat_bubble_shows_article_html_and_markdown_as_text(browser, open_app):
    with loopback_page(browser) as (page, outside):
        page.goto(f"{open_app}/chat/")
        page.locator("#qa-question textarea").fill(MILL_Q)
        page.locator("#qa-send").click()
        page.locator("#qa-sources mark").first.wait_for(timeout=30_000)
        bot = page.locator("#qa-chat")
        bot.get_by_text("Harbour Timber").last.wait_for(timeout=10_000)
        shown = bot.inner_text()
        assert "$4m" in shown and '<img src="http://t.example/p.png">' in shown
        assert "[deal](http://t.example/r)" in shown
        assert page.locator("#qa-chat img[src*='example'], #qa-chat a[href*='example']").count() == 0
        assert page.locator("#qa-sources img, #qa-sources a").count() == 0
        if os.environ.get("QA_SCREENSHOT"):
            page.wait_for_timeout(500)
            page.screenshot(path=os.environ["QA_SCREENSHOT"], full_page=True)
        assert page.title() != "pwned" and outside == []  # nothing fetched, no handler ran


def test_the_widget_shows_the_same_article_as_text(browser, open_app):
    with loopback_page(browser) as (page, outside):
        page.goto(f"{open_app}/widget")
        page.locator("#qaw-q").fill(MILL_Q)
        page.locator("#qaw-send").click()
        page.locator(".qaw-cite mark").first.wait_for(timeout=30_000)
        assert '<img src="http://t.example/p.png">' in page.locator(".qaw-a").inner_text()
        assert page.locator("#qaw-log img, #qaw-log a").count() == 0 and outside == []


# ----- the widget's token ---------------------------------------------------------------------
PORTAL = """<!doctype html><html><head><meta charset="utf-8"><title>Portal</title></head><body>
<iframe id="widget" src="{app}/widget#token={token}" style="width:520px;height:520px"></iframe>
<script>
const renew = {renew};
window.addEventListener("message", async (event) => {{
  if (!renew || event.origin !== "{app}" || event.data?.type !== "newsqa:token-request") return;
  const {{ token }} = await (await fetch("/token")).json();  // the portal's own backend
  event.source.postMessage({{ type: "newsqa:token", token }}, event.origin);
}});
</script></body></html>"""


@pytest.fixture(scope="module")
def token_app(tmp_path_factory, articles) -> Iterator[tuple[str, int]]:
    portal_port = free_port()
    settings = settings_for(
        tmp_path_factory.mktemp("token"),
        articles,
        api_token=SECRET,
        allowed_origins=(f"http://127.0.0.1:{portal_port}",),
    )
    with serving(settings) as url:
        yield url, portal_port


@pytest.fixture(scope="module")
def portal(token_app) -> Iterator[tuple[int, list[str]]]:
    """The embedding site: `/` renews tokens through its backend (`/token`), `/no-renew` does not."""
    app, port = token_app
    expired = security.issue_token(SECRET, ttl_s=60, now=time.time() - 3600)
    issued: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/token":  # a portal backend: trades the secret for a short token
                request = urllib.request.Request(f"{app}/api/token", method="POST")
                request.add_header("Authorization", f"Bearer {SECRET}")
                body = urllib.request.urlopen(request, timeout=10).read()
                issued.append(body.decode())
                kind = "application/json"
            else:
                renew = "true" if self.path == "/" else "false"
                body = PORTAL.format(app=app, token=expired, renew=renew).encode()
                kind = "text/html; charset=utf-8"
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield port, issued
    server.shutdown()


def test_the_widget_renews_an_expired_token_through_the_portal(browser, portal):
    port, issued = portal
    with loopback_page(browser) as (page, outside):
        widget = ask_in_widget(page, f"http://127.0.0.1:{port}/", Q)
        widget.locator(".qaw-cite mark").first.wait_for(timeout=30_000)
        assert "Three Brotherhood Alliance" in widget.locator("#qaw-log").inner_text()
        assert len(issued) == 1 and outside == []


def test_without_a_renewal_the_widget_says_the_session_expired(browser, portal):
    port, _ = portal
    with loopback_page(browser) as (page, outside):
        widget = ask_in_widget(page, f"http://127.0.0.1:{port}/no-renew", Q)
        message = widget.locator(".qaw-error")
        message.wait_for(timeout=30_000)
        assert message.inner_text() == "Your session expired — reload the page to keep asking."
        assert outside == []
