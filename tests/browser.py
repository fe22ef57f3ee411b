"""Headless Chromium for the page tests: Debian's /usr/bin/chromium via Playwright, with every
request off loopback sent to a dead proxy and recorded, so a test can assert nothing was fetched
from the internet (a CDN, a font, a tracking pixel in an article)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from urllib.parse import urlparse

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--proxy-server=127.0.0.1:9",  # anything not on loopback goes to a dead proxy
    "--proxy-bypass-list=127.0.0.1;localhost;[::1]",  # …except loopback
]
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
