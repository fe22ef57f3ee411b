"""ASGI middleware that guards every request before it reaches a route, the chat or a file.

- `HostAllowlist`: Starlette's TrustedHostMiddleware over `security.trusted_hosts` (the DNS
  rebinding defence), with a JSON 400 that names the setting to change.
- `OriginGuard`: 403 for a request whose `Origin` is neither one of our own origins
  (`security.own_origins`, configured, never derived from the Host header) nor on
  `QA_ALLOWED_ORIGINS`. Starlette's CORSMiddleware adds the real CORS headers for allowed ones.
- `BodyLimit`: 413 with JSON for a request body over `QA_MAX_BODY_BYTES`: at once from
  Content-Length, or as soon as a chunked body passes the limit. (FastAPI's own `max_body_size`
  answers in plain text, replacing any response of ours, so it is not used.)
- `FrameAncestors`: every response carries the CSP that says who may frame our pages.
It does not authorise anyone: tokens are in `ui.security`.
"""

from __future__ import annotations

import json
from typing import Any

from starlette._utils import parse_host_header  # the parser TrustedHostMiddleware itself uses
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware


class HostAllowlist(TrustedHostMiddleware):
    """TrustedHostMiddleware; a refused Host gets JSON saying which setting admits it."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket") and not self.allows(Headers(scope=scope).get("host")):
            host = Headers(scope=scope).get("host") or "(none)"
            message = (
                f"This server does not answer as host {host!r}: add it to QA_ALLOWED_HOSTS, or set "
                "QA_PUBLIC_ORIGINS to the address readers use (e.g. https://qa.example.org)."
            )
            await reply(scope, send, 400, message)
            return
        await super().__call__(scope, receive, send)

    def allows(self, header: str | None) -> bool:
        """The same test TrustedHostMiddleware applies (exact names, `*.domain` patterns)."""
        parsed = parse_host_header(header)
        if parsed is None:
            return False
        host = parsed.host.lower()
        return self.allow_any or any(
            host == p or (p.startswith("*") and host.endswith(p[1:])) for p in self.allowed_hosts
        )


class OriginGuard:
    """403 for a request from an origin that is not ours and not allowed."""

    def __init__(self, app: Any, own: tuple[str, ...], allowed: tuple[str, ...]):
        self.app, self.ok = app, {o.rstrip("/").lower() for o in (*own, *allowed)}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket"):
            origin = Headers(scope=scope).get("origin")
            if origin and origin.rstrip("/").lower() not in self.ok:
                message = f"Origin {origin} is not allowed: add it to QA_ALLOWED_ORIGINS on the server."
                await reply(scope, send, 403, message)
                return
        await self.app(scope, receive, send)


class BodyLimit:
    """413 `{"error"}` for a body over `limit` bytes; nothing of the body is sent back."""

    def __init__(self, app: Any, limit: int, message: str):
        self.app, self.limit, self.message = app, limit, message

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length", "")
        if length.isdigit() and int(length) > self.limit:
            await reply(scope, send, 413, self.message)
            return
        seen = 0

        async def counted() -> Any:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:  # a chunked body: the route's error handler answers 413
                raise HTTPException(413, detail=self.message)
            return message

        await self.app(scope, counted, send)


class FrameAncestors:
    """Every response carries `Content-Security-Policy: frame-ancestors …`."""

    def __init__(self, app: Any, policy: str):
        self.app, self.policy = app, policy.encode()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_policy(message: Any) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"content-security-policy", self.policy)]
            await send(message)

        await self.app(scope, receive, with_policy)


async def reply(scope: Any, send: Any, status: int, message: str) -> None:
    """A JSON `{"error": …}` response, sent by middleware before any route runs."""
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008, "reason": message[:120]})
        return
    body = json.dumps({"error": message}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
