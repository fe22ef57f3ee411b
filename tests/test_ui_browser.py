"""Headless Chromium (Debian's /usr/bin/chromium via Playwright) against the real server, with
networking limited to loopback: the chat page answers with its sources, and a portal page on
another loopback origin embeds the widget when allowed and is refused when not."""

from __future__ import annotations

import http.server
import os
import threading
import time
from collections.abc import Iterator

import pytest

from .browser import ask_in_widget, loopback_page
from .conftest import free_port
from .ui_server import indexed, serving

pytestmark = pytest.mark.slow
Q = "Who launched Operation 1027?"
PORTAL = """<!doctype html><html><head><meta charset="utf-8"><title>Portal</title></head><body>
<h1>A news portal</h1>
<iframe id="widget" src="{app}/widget" style="width:520px;height:520px"></iframe>
<div id="api">pending</div>
<script>
fetch("{app}/api/ask", {{method: "POST", headers: {{"Content-Type": "application/json"}},
  body: JSON.stringify({{question: "{q}"}})}})
  .then(r => r.json()).then(j => document.getElementById("api").textContent = "answer: " + j.answer)
  .catch(e => document.getElementById("api").textContent = "refused: " + e);
</script></body></html>"""
WEB_COMPONENT = """<!doctype html><html><head><meta charset="utf-8"><title>Portal</title>
<script type="module" src="{app}/chat/gradio.js"></script></head>
<body><h1>A news portal</h1><gradio-app src="{app}/chat/"></gradio-app></body></html>"""


@pytest.fixture(scope="module")
def portal_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def app_url(tmp_path_factory, portal_port) -> Iterator[str]:
    allowed = (f"http://127.0.0.1:{portal_port}",)  # http://localhost:<same port> is another origin
    with serving(indexed(tmp_path_factory.mktemp("browser"), allowed_origins=allowed)) as url:
        yield url


@pytest.fixture(scope="module")
def portal(app_url, portal_port) -> Iterator[int]:
    """A tiny static site on a second loopback port, embedding our widget and calling our API."""
    pages = {"/": PORTAL.format(app=app_url, q=Q), "/web-component": WEB_COMPONENT.format(app=app_url)}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(pages.get(self.path, "").encode())

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", portal_port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield portal_port
    server.shutdown()


def test_chat_page_answers_with_its_source_passage(browser, app_url):
    started = time.perf_counter()
    with loopback_page(browser) as (page, outside):
        page.goto(f"{app_url}/chat/")
        page.locator("#qa-question textarea").fill(Q)
        page.locator("#qa-send").click()
        sources = page.locator("#qa-sources")
        sources.locator("mark").first.wait_for(timeout=30_000)
        assert "Three Brotherhood Alliance" in sources.inner_text()
        assert "supports the answer" in sources.inner_text()
        bot = page.locator("#qa-chat")
        bot.get_by_text("Operation 1027").first.wait_for(timeout=10_000)
        assert "[1]" in bot.inner_text()
        if os.environ.get("QA_SCREENSHOT"):
            page.wait_for_timeout(500)
            page.screenshot(path=os.environ["QA_SCREENSHOT"], full_page=True)
        assert outside == []  # no CDN, no fonts, no analytics
    print(f"\nchat page answered in the browser in {time.perf_counter() - started:.1f} s")


def test_chat_page_says_not_in_the_articles(browser, app_url):
    with loopback_page(browser) as (page, outside):
        page.goto(f"{app_url}/chat/")
        page.locator("#qa-question textarea").fill("Who won the 2022 World Cup?")
        page.locator("#qa-question textarea").press("Enter")
        page.locator("#qa-chat").get_by_text("Not in the articles").wait_for(timeout=30_000)
        said = page.locator("#qa-chat").inner_text()
        assert "The closest passages are listed below" in said and "The articles don't say" not in said
        assert "Closest passages" in page.locator("#qa-sources").inner_text()
        assert outside == []


def test_allowed_portal_embeds_the_widget_and_gets_an_answer(browser, portal):
    with loopback_page(browser) as (page, outside):
        widget = ask_in_widget(page, f"http://127.0.0.1:{portal}/", Q)
        widget.locator(".qaw-cite mark").first.wait_for(timeout=30_000)
        assert "Three Brotherhood Alliance" in widget.locator("#qaw-log").inner_text()
        page.wait_for_function("!document.getElementById('api').textContent.startsWith('pending')")
        assert page.locator("#api").inner_text().startswith("answer: ")  # CORS let the API call through
        assert outside == []


def test_a_portal_on_a_non_allowed_origin_is_refused(browser, portal):
    with loopback_page(browser) as (page, outside):
        page.goto(f"http://localhost:{portal}/", wait_until="networkidle")
        page.wait_for_function("!document.getElementById('api').textContent.startsWith('pending')")
        assert page.locator("#api").inner_text().startswith("refused: ")  # no CORS header, 403
        frame = page.frame(url=lambda u: "/widget" in u) or page.main_frame.child_frames[0]
        assert frame.evaluate("document.getElementById('qaw-q')") is None  # frame-ancestors blocked it
        assert outside == []


def test_allowed_portal_embeds_the_gradio_web_component_with_our_own_gradio_js(browser, portal):
    with loopback_page(browser) as (page, outside):
        page.goto(f"http://127.0.0.1:{portal}/web-component")
        app = page.locator("gradio-app")
        app.locator("#qa-question textarea").fill(Q)
        app.locator("#qa-send").click()
        app.locator("#qa-sources mark").first.wait_for(timeout=30_000)
        assert "Three Brotherhood Alliance" in app.locator("#qa-sources").inner_text()
        assert outside == []  # gradio.js and its assets came from our server, not a CDN
