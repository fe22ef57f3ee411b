"""The JSON API: `POST /api/ask`, `POST /api/ask/stream` (server-sent events), `POST /api/token`,
`GET /api/health`, and the translation of the product's errors into HTTP answers.

Every answer is `Answer.to_dict()`, the `qa ask --json` object. Inputs are checked by pydantic
(types, sizes) and then by the engine; nothing a client sends can take the process down.
It does not serve pages or hold the engine (see `ui.app` and `ui.gate`).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException

from index.errors import BadInputError, BusyError, QAError
from qa.contract import Event, Turn
from qa.engine import MAX_QUESTION_CHARS
from ui import security
from ui.gate import RETRY_AFTER_S

MAX_TURNS = 20


class HistoryTurn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(max_length=MAX_QUESTION_CHARS)
    answer: str = Field(max_length=10_000)


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(
        min_length=1, max_length=MAX_QUESTION_CHARS, examples=["Who launched Operation 1027?"]
    )
    history: list[HistoryTurn] = Field(default_factory=list, max_length=MAX_TURNS)

    def turns(self) -> list[Turn]:
        return [Turn(t.question, t.answer) for t in self.history]


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
def ask(body: AskRequest, request: Request) -> dict[str, Any]:
    """Answer one question (with optional conversation history); the `qa ask --json` object."""
    return request.app.state.gate.ask(body.question, body.turns()).to_dict()


@router.post(
    "/ask/stream",
    dependencies=[Depends(authorise)],
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "rewritten, delta…, final"}},
)
def ask_stream(body: AskRequest, request: Request) -> StreamingResponse:
    """Server-sent events: `rewritten`, then `delta` (checked answer sentences), then `final`
    (the `qa ask --json` object); `error` if something fails after the stream has started."""
    events = request.app.state.gate.stream(body.question, body.turns())
    first = next(events)  # BusyError and bad input surface here, as a normal HTTP error
    return StreamingResponse(sse(itertools.chain([first], events)), media_type="text/event-stream")


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


@router.get("/health")
def health(request: Request) -> dict[str, Any]:
    """Liveness and what answers: the model name and queue size."""
    gate = request.app.state.gate
    return {
        "status": "ok",
        "model": gate.engine.model_name,
        "queue_size": request.app.state.settings.queue_size,
    }


def sse(events: Iterator[Event]) -> Iterator[str]:
    try:
        for event in events:
            data = event.answer.to_dict() if event.answer else {"text": event.text}
            yield f"event: {event.kind}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
    except QAError as e:
        yield f"event: error\ndata: {json.dumps({'error': str(e)})}\n\n"
    finally:
        close = getattr(events, "close", None)
        if close:
            close()


STATUS = {BadInputError: 400, _Unauthorised: 401, BusyError: 503}


def install(app: FastAPI) -> None:
    """Routes plus error translation: every failure is JSON `{"error": "what to do"}`."""
    app.include_router(router)
    app.add_exception_handler(QAError, _qa_error)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(HTTPException, _http_error)


async def _qa_error(request: Request, exc: Exception) -> JSONResponse:
    status = next((code for cls, code in STATUS.items() if isinstance(exc, cls)), 503)
    headers = {"Retry-After": str(RETRY_AFTER_S)} if isinstance(exc, BusyError) else {}
    if isinstance(exc, _Unauthorised):
        headers["WWW-Authenticate"] = "Bearer"
        exc = QAError("Send `Authorization: Bearer <QA_API_TOKEN or a token from POST /api/token>`.")
    return JSONResponse({"error": str(exc)}, status_code=status, headers=headers)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    message = f'{exc.detail}. Send JSON like {{"question": "Who launched Operation 1027?"}}.'
    return JSONResponse({"error": message}, status_code=exc.status_code, headers=exc.headers)


async def _invalid(request: Request, exc: Exception) -> JSONResponse:
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    parts = [f"{'.'.join(str(p) for p in e['loc'][1:]) or 'body'}: {e['msg']}" for e in errors[:3]]
    message = (
        "Bad request: " + "; ".join(parts) + '. Send JSON like {"question": "Who launched Operation 1027?"}.'
    )
    return JSONResponse(
        {"error": message, "detail": json.loads(json.dumps(errors, default=str))}, status_code=422
    )
