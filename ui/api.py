"""The JSON API: `POST /api/ask`, `POST /api/ask/stream` (server-sent events), `POST /api/token`,
`GET /api/health`, and the translation of the product's errors into HTTP answers.

Every answer is `Answer.to_dict()`, the `qa ask --json` object. Inputs are checked by pydantic
(types, sizes) and by the gate (history, text that is not UTF-8); every failure is JSON
`{"error": "what to do"}` and never echoes the request body. A client that goes away, while it
waits or mid-stream, closes its answer at once (see `ui.gate`).
It does not serve pages or hold the engine (see `ui.app` and `ui.gate`).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException

from index.errors import BadInputError, BusyError, CancelledError, QAError
from qa.contract import Event, Turn
from ui import security
from ui.gate import RETRY_AFTER_S, Answering
from ui.limits import MAX_ANSWER_CHARS, MAX_QUESTION_CHARS, MAX_TURNS, NOT_TEXT

log = logging.getLogger("newsqa")
EXAMPLE = 'Send JSON like {"question": "Who bought the company, and for how much?"}.'


class HistoryTurn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(max_length=MAX_QUESTION_CHARS)
    answer: str = Field(max_length=MAX_ANSWER_CHARS)


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(
        min_length=1, max_length=MAX_QUESTION_CHARS, examples=["Who bought the company, and for how much?"]
    )
    history: list[HistoryTurn] = Field(default_factory=list, max_length=MAX_TURNS)
    since: datetime.date | None = Field(None, description="only articles dated on or after this day")
    until: datetime.date | None = Field(None, description="only articles dated on or before this day")

    def turns(self) -> list[Turn]:
        return [Turn(t.question, t.answer) for t in self.history]

    def dates(self) -> dict[str, str | None]:
        return {k: d.isoformat() if d else None for k, d in (("since", self.since), ("until", self.until))}


class CitationOut(BaseModel):
    n: int
    doc_id: str
    source: str
    title: str
    date: str | None
    start: int
    end: int
    quote: str = Field(description="exact substring of the article, text[start:end]")
    supported: bool
    cluster: str
    context_before: str
    context_after: str
    flagged: bool = Field(description="the passage holds text addressed to AI systems; never support")
    origin: str = Field(description="where the article came from when `source` is its saved text")


class AnswerOut(BaseModel):
    question: str
    rewritten_question: str
    answer: str
    refused: bool
    citations: list[CitationOut]
    model: str
    timings: dict[str, float]
    removed_sentences: list[str]
    notes: list[str]


class TokenOut(BaseModel):
    token: str
    expires_in: int


def authorise(request: Request) -> None:
    """The API token or a short-lived signed one, when `QA_API_TOKEN` is set."""
    secret = request.app.state.settings.api_token
    if not security.token_ok(secret, security.bearer(request.headers)):
        raise _Unauthorised()


class _Unauthorised(QAError):
    pass


router = APIRouter(prefix="/api", tags=["answers"])


@router.post("/ask", response_model=AnswerOut, dependencies=[Depends(authorise)])
async def ask(body: AskRequest, request: Request) -> dict[str, Any]:
    """Answer one question (with optional conversation history); the `qa ask --json` object."""
    events = request.app.state.gate.astream(body.question, body.turns(), **body.dates())
    async with _closed_if_client_leaves(events, request):
        async for event in events:
            if event.answer is not None:
                return event.answer.to_dict()
    raise CancelledError("The answer was cancelled: ask again.")  # the client has gone anyway


@router.post(
    "/ask/stream",
    dependencies=[Depends(authorise)],
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "rewritten, quote, delta…, final"}},
)
async def ask_stream(body: AskRequest, request: Request) -> StreamingResponse:
    """Server-sent events: `rewritten` (the question searched), `quote` (the verified passage that
    best answers, with its citation, at once: not sent for a refusal or the extractive backend),
    `delta` (checked answer sentences), then `final` (the `qa ask --json` object); `error` if
    something fails after the stream has started."""
    events = request.app.state.gate.astream(body.question, body.turns(), **body.dates())
    async with _closed_if_client_leaves(events, request):
        try:
            first = await anext(events)  # busy, bad input, a timeout: a normal HTTP error
        except StopAsyncIteration:
            raise CancelledError("The answer was cancelled: ask again.") from None
    return EventStream(events, first)


class EventStream(StreamingResponse):
    """One answer as server-sent events. However the response ends (finished, the reader's socket
    closed, an error, server shutdown), the answer is closed and gives back the engine."""

    def __init__(self, events: Answering, first: Event):
        self.events = events
        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        super().__init__(_sse(events, first), media_type="text/event-stream", headers=headers)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.events.close()


async def _sse(events: Answering, first: Event) -> AsyncIterator[str]:
    try:
        yield _frame(first)
        async for event in events:
            yield _frame(event)
    except QAError as e:
        yield f"event: error\ndata: {json.dumps({'error': str(e)})}\n\n"
    except Exception:
        log.exception("answer stream failed")
        yield f"event: error\ndata: {json.dumps({'error': SERVER_ERROR})}\n\n"


def _frame(event: Event) -> str:
    data: dict[str, Any] = event.answer.to_dict() if event.answer else {"text": event.text}
    if event.citation is not None:  # `quote`: the verified passage shown while the model drafts
        data["citation"] = event.citation.to_dict()
    return f"event: {event.kind}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


@contextlib.asynccontextmanager
async def _closed_if_client_leaves(events: Answering, request: Request) -> AsyncIterator[None]:
    """While we wait for the engine, a client that disconnects closes its answer."""

    async def watch() -> None:
        while not await request.is_disconnected():
            await asyncio.sleep(0.25)
        events.close()

    watcher = asyncio.create_task(watch())
    try:
        yield
    except BaseException:
        events.close()
        raise
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher


@router.post("/token", response_model=TokenOut)
def token(request: Request) -> dict[str, Any]:
    """For a portal's backend: trade the long-lived `QA_API_TOKEN` for a token that expires in
    10 minutes, safe to hand to a browser (e.g. `/widget#token=…`)."""
    secret = request.app.state.settings.api_token
    if not secret:
        raise BadInputError("Token auth is off on this server (QA_API_TOKEN is not set): no token needed.")
    if security.bearer(request.headers) != secret:
        raise _Unauthorised()
    return {"token": security.issue_token(secret), "expires_in": security.TOKEN_TTL_S}


@router.get("/health", responses={503: {"description": "the engine is wedged: restart `qa serve`"}})
async def health(request: Request) -> Any:
    """Liveness and what answers: the model, the queue size and the answers in flight. 503 when
    one answer has held the engine far longer than any answer may take (a wedged engine).
    Async: it needs no worker thread, so it answers even when every thread is busy."""
    gate, settings = request.app.state.gate, request.app.state.settings
    body = {
        "status": "ok",
        "model": gate.engine.model_name,
        "queue_size": settings.queue_size,
        "in_flight": gate.in_flight(),
    }
    if not gate.wedged():
        return body
    body["status"] = "wedged"
    body["error"] = (
        f"One answer has held the engine for {gate.held_s():.0f} s and ignores cancellation (answers "
        f"are stopped after {gate.answer_timeout_s:.0f} s): restart `qa serve`; if it recurs, check "
        "the model server (QA_OPENAI_BASE_URL) or lower QA_MAX_ANSWER_TOKENS."
    )
    return JSONResponse(body, status_code=503)


STATUS = {BadInputError: 400, _Unauthorised: 401, BusyError: 503}
SERVER_ERROR = (
    "Something went wrong on the server while answering: retry; if it persists, check the server log."
)


def install(app: FastAPI) -> None:
    """Routes plus error translation: every failure is JSON `{"error": "what to do"}`."""
    app.include_router(router)
    app.add_exception_handler(QAError, _qa_error)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _server_error)


async def _qa_error(request: Request, exc: Exception) -> JSONResponse:
    status = next((code for cls, code in STATUS.items() if isinstance(exc, cls)), 503)
    headers = {"Retry-After": str(RETRY_AFTER_S)} if status == 503 else {}
    if isinstance(exc, _Unauthorised):
        headers["WWW-Authenticate"] = "Bearer"
        exc = QAError("Send `Authorization: Bearer <QA_API_TOKEN or a token from POST /api/token>`.")
    return JSONResponse({"error": str(exc)}, status_code=status, headers=headers)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    message = exc.detail if exc.status_code == 413 else f"{exc.detail}. {EXAMPLE}"
    return JSONResponse({"error": message}, status_code=exc.status_code, headers=exc.headers)


def too_large(settings: Any) -> str:
    """The 413 message: what fits."""
    return (
        f"The request body is over {settings.max_body_bytes:,} bytes: send one question (under "
        f"{MAX_QUESTION_CHARS} characters) and at most {MAX_TURNS} turns of history. {EXAMPLE}"
    )


async def _invalid(request: Request, exc: Exception) -> JSONResponse:
    """422 naming the fields (400 for a body that is not JSON or not text), never echoing what was sent."""
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    where = lambda e: [str(p)[:40] for p in e["loc"]]  # noqa: E731 (a field name is sent text too)
    parts = [f"{'.'.join(where(e)[1:]) or 'body'}: {e['msg']}" for e in errors[:3]]
    detail = [{"loc": where(e), "msg": e["msg"], "type": e["type"]} for e in errors[:10]]
    kinds = {e["type"] for e in errors}
    status = 400 if kinds & {"json_invalid", "string_unicode"} else 422
    message = "Bad request: " + "; ".join(parts) + f". {EXAMPLE}"
    if "json_invalid" in kinds:  # its location is a byte offset, meaningless to the sender
        message = f"Bad request: the body is not valid JSON. {EXAMPLE}"
    if "string_unicode" in kinds:
        message = NOT_TEXT
    return JSONResponse({"error": message, "detail": detail}, status_code=status)


async def _server_error(request: Request, exc: Exception) -> JSONResponse:
    log.error("unexpected error on %s", request.url.path, exc_info=exc)
    return JSONResponse({"error": SERVER_ERROR}, status_code=500)
