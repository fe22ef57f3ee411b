"""Who may use the server: bearer tokens, short-lived signed tokens, the origin allowlist, framing.

- `QA_API_TOKEN` (long-lived, for servers such as a portal's backend) or a short-lived token signed
  with it (`issue_token`, handed to a browser) authorises the API. No token configured: open.
- `OriginGuard` refuses (403) any request whose `Origin` is neither this server nor on
  `QA_ALLOWED_ORIGINS`; Starlette's CORSMiddleware adds the real CORS headers for allowed ones.
- `frame_ancestors` is the CSP that lets only this server and allowed origins frame our pages.
It does no user accounts, sessions or rate limiting.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import time
from typing import Any

from index.errors import BadInputError
from index.settings import Settings

TOKEN_TTL_S = 600


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_exposure(settings: Settings) -> None:
    """Refuse to serve an open API on a non-loopback address unless told to."""
    if is_loopback(settings.host) or settings.api_token or settings.allow_no_token:
        return
    raise BadInputError(
        f"Serving on {settings.host} would expose the API to the network without a token: set "
        "QA_API_TOKEN=<a long random string>, or QA_ALLOW_NO_TOKEN=1 to serve it open on purpose."
    )


def issue_token(secret: str, ttl_s: int = TOKEN_TTL_S, now: float | None = None) -> str:
    """A token valid for `ttl_s` seconds, signed with the long-lived API token."""
    body = _b64(json.dumps({"exp": int((now or time.time()) + ttl_s)}).encode())
    return f"{body}.{_sign(secret, body)}"


def token_ok(secret: str | None, presented: str | None, now: float | None = None) -> bool:
    """No secret configured: everyone. Otherwise the secret itself or an unexpired signed token."""
    if not secret:
        return True
    if not presented:
        return False
    if hmac.compare_digest(presented.encode(), secret.encode()):
        return True
    body, _, sig = presented.partition(".")
    if not sig or not hmac.compare_digest(sig, _sign(secret, body)):
        return False
    try:
        expires = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))["exp"]
    except (ValueError, KeyError, TypeError):
        return False
    return float(expires) > (now or time.time())


def bearer(headers: Any) -> str | None:
    value = headers.get("authorization") or ""
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def _sign(secret: str, body: str) -> str:
    return hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def frame_ancestors(settings: Settings) -> str:
    return "frame-ancestors " + " ".join(("'self'", *settings.allowed_origins))


class OriginGuard:
    """ASGI middleware: 403 for a request from an origin that is not us and not allowed."""

    def __init__(self, app: Any, allowed: tuple[str, ...]):
        self.app, self.allowed = app, {o.rstrip("/") for o in allowed}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
            origin = headers.get("origin")
            if origin and origin not in self.allowed and origin != _own_origin(scope, headers):
                await _refuse(send, origin)
                return
        await self.app(scope, receive, send)


def _own_origin(scope: Any, headers: dict[str, str]) -> str:
    return f"{scope.get('scheme', 'http')}://{headers.get('host', '')}"


async def _refuse(send: Any, origin: str) -> None:
    body = json.dumps(
        {"error": f"Origin {origin} is not allowed: add it to QA_ALLOWED_ORIGINS on the server."}
    ).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 403, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class FrameAncestors:
    """ASGI middleware: every response carries `Content-Security-Policy: frame-ancestors …`."""

    def __init__(self, app: Any, policy: str):
        self.app, self.policy = app, policy.encode()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_policy(message: Any) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", []),
                    (b"content-security-policy", self.policy),
                ]
            await send(message)

        await self.app(scope, receive, with_policy)
