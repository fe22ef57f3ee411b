"""`qa serve`: one FastAPI app holding the Gradio chat (`/chat/`), the JSON API (`/api/…`), the
embeddable widget (`/widget`), the embed instructions (`/embed`) and offline API docs (`/docs`).

One engine per process behind one `Gate`, shared by every surface. Security layers, outermost
first: the Host allowlist (400), CORS headers for allowed origins, the origin guard (403), the
request body limit (413), the frame-ancestors policy. Shutting down (SIGTERM, Ctrl-C)
cancels every answer in flight, so the process stops within seconds.
It does not index articles (except through the admin upload) or download anything.
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from index.settings import Settings
from ui import api, guards, security
from ui.gate import Gate

STATIC = Path(__file__).parent / "static"


def create_app(settings: Settings, engine: Any = None) -> Any:
    """The whole server as an ASGI app; `engine` defaults to `build_engine(settings)`."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gradio as gr

    from qa.engine import build_engine
    from ui import chat, render

    gate = Gate(
        engine or build_engine(settings),
        settings.queue_size,
        settings.queue_wait_s,
        settings.answer_timeout_s,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        yield
        gate.close()  # shutting down: stop every answer so no reader keeps the process alive

    app = FastAPI(
        title="newsqa",
        version="0.1.0",
        docs_url=None,
        redoc_url=None,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings, app.state.gate = settings, gate
    api.install(app)
    _pages(app, gr, settings)
    _middleware(app, settings)
    demo = chat.build_chat(gate, settings).queue(
        max_size=settings.queue_size * 2, default_concurrency_limit=settings.queue_size
    )
    return gr.mount_gradio_app(
        app,
        demo,
        path="/chat",
        footer_links=["api"],
        css=render.CSS,
        theme=gr.themes.Default(),
        auth_dependency=_gradio_auth(settings) if settings.api_token else None,
        ssr_mode=False,
        mcp_server=False,
        run_history=False,
        pwa=False,
    )


DESCRIPTION = (
    "Answers from news articles with exact citations. Every answer is the `qa ask --json` object. "
    "Set `Authorization: Bearer <token>` when the server has QA_API_TOKEN."
)


def _pages(app: Any, gr: Any, settings: Settings) -> None:
    gradio_js = Path(gr.__file__).parent / "templates" / "frontend" / "gradio.js"
    # the widget takes renewed tokens only from pages allowed to frame it (see widget.js)
    parents = json.dumps([*security.own_origins(settings), *settings.allowed_origins])
    widget_html = (
        (STATIC / "widget.html").read_text(encoding="utf-8").replace("{{PARENTS}}", html.escape(parents))
    )

    @app.get("/", include_in_schema=False)
    def home() -> Any:
        return RedirectResponse("/chat/")

    @app.get("/chat/gradio.js", include_in_schema=False)
    def web_component() -> Any:  # served here: the CDN copy fails offline
        return FileResponse(gradio_js, media_type="text/javascript")

    @app.get("/widget", include_in_schema=False)
    def widget() -> Any:
        return HTMLResponse(widget_html)

    @app.get("/docs", include_in_schema=False)
    def docs() -> Any:
        return FileResponse(STATIC / "docs.html", media_type="text/html")

    @app.get("/embed", include_in_schema=False)
    def embed(request: Request) -> Any:
        base = (settings.public_origins or (str(request.base_url),))[0].rstrip("/")
        page = (STATIC / "embed.html").read_text(encoding="utf-8").replace("{{BASE}}", html.escape(base))
        notice = TOKEN_NOTICE if settings.api_token else ""
        return HTMLResponse(page.replace("{{TOKEN_NOTICE}}", notice))

    @app.get("/login", include_in_schema=False)
    def login(token: str, request: Request) -> Any:
        """Browser sign-in to the chat when QA_API_TOKEN is set: /login?token=…"""
        secret = settings.api_token
        response = RedirectResponse("/chat/", status_code=303)
        if not secret:
            return response
        cookie = security.login_cookie(secret, token)
        if cookie is None:
            return HTMLResponse(EXPIRED_LOGIN, status_code=401)
        value, max_age = cookie
        secure = request.url.scheme == "https"
        response.set_cookie("qa_token", value, max_age=max_age, httponly=True, samesite="lax", secure=secure)
        return response

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    # the web component preloads its CSS from /assets/ at the server root
    app.mount("/assets", StaticFiles(directory=gradio_js.parent / "assets"), name="gradio-assets")


EXPIRED_LOGIN = (
    "<!doctype html><title>Sign-in link expired</title><p>This sign-in link has expired or is not "
    "valid. Go back to the page that sent you here and open the chat again for a fresh link.</p>"
)
TOKEN_NOTICE = (
    '<p class="notice"><b>This server requires a token (QA_API_TOKEN), so use the iframe (1).</b> '
    "The web component below cannot carry a token: it will not load here.</p>"
)


def _middleware(app: Any, settings: Settings) -> None:
    """Added innermost first: the last one added sees a request first."""
    app.add_middleware(guards.FrameAncestors, policy=security.frame_ancestors(settings))
    app.add_middleware(guards.BodyLimit, limit=settings.max_body_bytes, message=api.too_large(settings))
    app.add_middleware(
        guards.OriginGuard, own=security.own_origins(settings), allowed=settings.allowed_origins
    )
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(settings.allowed_origins),
        allow_credentials=True,
        allow_methods=["GET", "POST", "OPTIONS"],
        allow_headers=["*"],
        expose_headers=["Retry-After"],
    )
    app.add_middleware(
        guards.HostAllowlist, allowed_hosts=security.trusted_hosts(settings), www_redirect=False
    )


def _gradio_auth(settings: Settings) -> Any:
    def user(request: Any) -> str | None:
        presented = security.bearer(request.headers) or request.cookies.get("qa_token")
        return "user" if security.token_ok(settings.api_token, presented) else None

    return user


def serve(settings: Settings, engine: Any = None) -> None:
    """Run the app with uvicorn until Ctrl-C or SIGTERM; refuses an open API on a non-loopback
    address. `engine` defaults to `build_engine(settings)`."""
    import uvicorn

    from qa.engine import build_engine

    security.check_exposure(settings)
    engine = engine or build_engine(settings)
    t0 = time.perf_counter()
    engine.warm()  # fail now if nothing is indexed; build BM25 and load the model before the first user
    print(
        f"newsqa: {engine.model_name} loaded once for this process in {time.perf_counter() - t0:.1f} s "
        "(index, NLP pipeline, embedder and model)"
    )
    app = create_app(settings, engine)
    print(f"newsqa: chat http://{settings.host}:{settings.port}/chat/  API docs /docs  embed /embed")
    config = uvicorn.Config(
        app, host=settings.host, port=settings.port, log_level="warning", timeout_graceful_shutdown=5
    )
    _run_until_stopped(config, app.state.gate)


def _run_until_stopped(config: Any, gate: Gate) -> None:
    """uvicorn's server, except that SIGTERM/Ctrl-C first stops every answer in flight (their
    readers are told the server is shutting down), so open streams end and the process exits at
    once; a connection that still hangs on is cut after `timeout_graceful_shutdown`."""
    import uvicorn

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: Any) -> None:
            gate.close()
            super().handle_exit(sig, frame)

    Server(config).run()
