"""`qa serve`: one FastAPI app holding the Gradio chat (`/chat/`), the JSON API (`/api/…`), the
embeddable widget (`/widget`), the embed instructions (`/embed`) and offline API docs (`/docs`).

One engine per process behind one `Gate`, shared by every surface. Security layers, outermost
first: CORS headers for allowed origins, the origin guard (403), the frame-ancestors policy.
It does not index articles (except through the admin upload) or download anything.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from index.settings import Settings
from ui import api, security
from ui.gate import Gate

STATIC = Path(__file__).parent / "static"


def create_app(settings: Settings, engine: Any = None) -> Any:
    """The whole server as an ASGI app; `engine` defaults to `build_engine(settings)`."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gradio as gr

    from qa.engine import build_engine
    from ui import chat, render

    gate = Gate(engine or build_engine(settings), settings.queue_size)
    app = FastAPI(title="newsqa", version="0.1.0", docs_url=None, redoc_url=None, description=DESCRIPTION)
    app.state.settings, app.state.gate = settings, gate
    api.install(app)
    _pages(app, gr)
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


def _pages(app: Any, gr: Any) -> None:
    gradio_js = Path(gr.__file__).parent / "templates" / "frontend" / "gradio.js"

    @app.get("/", include_in_schema=False)
    def home() -> Any:
        return RedirectResponse("/chat/")

    @app.get("/chat/gradio.js", include_in_schema=False)
    def web_component() -> Any:  # served here: the CDN copy fails offline
        return FileResponse(gradio_js, media_type="text/javascript")

    @app.get("/widget", include_in_schema=False)
    def widget() -> Any:
        return FileResponse(STATIC / "widget.html")

    @app.get("/docs", include_in_schema=False)
    def docs() -> Any:
        return FileResponse(STATIC / "docs.html", media_type="text/html")

    @app.get("/embed", include_in_schema=False)
    def embed(request: Request) -> Any:
        base = str(request.base_url).rstrip("/")
        return HTMLResponse((STATIC / "embed.html").read_text(encoding="utf-8").replace("{{BASE}}", base))

    @app.get("/login", include_in_schema=False)
    def login(token: str, request: Request) -> Any:
        """Browser sign-in to the chat when QA_API_TOKEN is set: /login?token=…"""
        secret = request.app.state.settings.api_token
        if not security.token_ok(secret, token):
            return HTMLResponse("Unknown or expired token.", status_code=401)
        response = RedirectResponse("/chat/", status_code=303)
        if secret:
            cookie = security.issue_token(secret, ttl_s=8 * 3600)
            response.set_cookie("qa_token", cookie, max_age=8 * 3600, httponly=True, samesite="lax")
        return response

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    # the web component preloads its CSS from /assets/ at the server root
    app.mount("/assets", StaticFiles(directory=gradio_js.parent / "assets"), name="gradio-assets")


def _middleware(app: Any, settings: Settings) -> None:
    app.add_middleware(security.FrameAncestors, policy=security.frame_ancestors(settings))
    app.add_middleware(security.OriginGuard, allowed=settings.allowed_origins)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(settings.allowed_origins),
        allow_credentials=True,
        allow_methods=["GET", "POST", "OPTIONS"],
        allow_headers=["*"],
        expose_headers=["Retry-After"],
    )


def _gradio_auth(settings: Settings) -> Any:
    def user(request: Any) -> str | None:
        presented = security.bearer(request.headers) or request.cookies.get("qa_token")
        return "user" if security.token_ok(settings.api_token, presented) else None

    return user


def serve(settings: Settings) -> None:
    """Run the app with uvicorn until Ctrl-C; refuses an open API on a non-loopback address."""
    import uvicorn

    from qa.engine import build_engine

    security.check_exposure(settings)
    engine = build_engine(settings)
    engine.warm()  # fail now if nothing is indexed; build BM25 and load the model before the first user
    app = create_app(settings, engine)
    print(f"newsqa: chat http://{settings.host}:{settings.port}/chat/  API docs /docs  embed /embed")
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")
