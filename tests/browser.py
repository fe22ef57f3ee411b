"""Headless Chromium for the page tests: Debian's /usr/bin/chromium via Playwright, with every
request off loopback sent to a dead proxy and recorded, so a test can assert nothing was fetched
from the internet (a CDN, a font, a tracking pixel in an article)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from urllib.parse import urlparse

from qa.measure import surfaces

CHROMIUM, ARGS = surfaces.CHROMIUM, surfaces.CHROMIUM_ARGS  # the bench's browser, flags and all
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


@contextlib.contextmanager
def loopback_page(browser) -> Iterator[tuple[object, list[str]]]:
    """A page whose every request is recorded; anything off loopback is aborted and listed."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    outside: list[str] = []

    def route(r: object) -> None:
        url = r.request.url  # type: ignore[attr-defined]
        host = urlparse(url).hostname or ""
        if url.startswith(("data:", "blob:")) or host in LOOPBACK:
            r.continue_()  # type: ignore[attr-defined]
        else:
            outside.append(url)
            r.abort()  # type: ignore[attr-defined]

    context.route("**/*", route)
    try:
        yield page, outside
    finally:
        context.close()


def ask_in_widget(page: object, url: str, question: str) -> object:
    """Open a page that frames our widget as #widget, ask one question; the widget's frame."""
    page.goto(url, wait_until="networkidle")  # type: ignore[attr-defined]
    widget = page.frame_locator("#widget")  # type: ignore[attr-defined]
    widget.locator("#qaw-q").fill(question)
    widget.locator("#qaw-send").click()
    return widget
