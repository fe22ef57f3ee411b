"""Who may use the server: bearer tokens, short-lived signed tokens, the sign-in cookie, and the
origins and host names this server answers as.

- `QA_API_TOKEN` (long-lived, for servers such as a portal's backend) or a short-lived token signed
  with it (`issue_token`, handed to a browser) authorises the API. No token configured: open.
- `login_cookie` turns a token into the chat's sign-in cookie, never outliving that token: a signed
  token's own expiry travels inside it, so a cookie presented again cannot mint a longer one.
- `own_origins` / `trusted_hosts`: what counts as "ourselves" (configured, never the Host header),
  used by the guards in `ui.guards`; `frame_ancestors` is the CSP for who may frame our pages.
It does no user accounts, server-side sessions or rate limiting, and holds no ASGI middleware.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import time
from typing import Any
from urllib.parse import urlsplit

from index.errors import BadInputError
from index.settings import Settings

TOKEN_TTL_S = 600  # what POST /api/token hands a portal for one reader's page
SESSION_TTL_S = 8 * 3600  # a chat sign-in with the long-lived QA_API_TOKEN itself
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


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
    if presented and hmac.compare_digest(presented.encode(), secret.encode()):
        return True
    return expiry(secret, presented) > (now or time.time())


def expiry(secret: str, presented: str | None) -> float:
    """When a signed token expires (epoch seconds); 0 for anything not signed with `secret`."""
    body, _, sig = (presented or "").partition(".")
    if not sig or not hmac.compare_digest(sig.encode(), _sign(secret, body).encode()):
        return 0.0
    try:
        return float(json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))["exp"])
    except (ValueError, KeyError, TypeError):
        return 0.0


def login_cookie(secret: str, presented: str, now: float | None = None) -> tuple[str, int] | None:
    """(cookie value, max-age s) for `/login?token=…`, or None for a bad or expired token.

    A signed token becomes the cookie as it is, living exactly as long as it has left; only the
    long-lived secret itself (an operator signing in) gets a fresh `SESSION_TTL_S` token.
    """
    now = now or time.time()
    if hmac.compare_digest(presented.encode(), secret.encode()):
        return issue_token(secret, SESSION_TTL_S, now), SESSION_TTL_S
    left = int(expiry(secret, presented) - now)
    return (presented, left) if left > 0 else None


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


def own_origins(settings: Settings) -> tuple[str, ...]:
    """The origins of our own pages: QA_PUBLIC_ORIGINS plus loopback (and QA_HOST) at QA_PORT."""
    names = [*LOOPBACK_NAMES]
    if settings.host not in ("0.0.0.0", "::", *names):
        names.append(f"[{settings.host}]" if ":" in settings.host else settings.host)
    local = (f"http://{name}:{settings.port}" for name in names)
    return tuple(dict.fromkeys(o.rstrip("/") for o in (*settings.public_origins, *local)))


def trusted_hosts(settings: Settings) -> list[str]:
    """Host header names we answer to: loopback, QA_HOST, QA_PUBLIC_ORIGINS' hosts, QA_ALLOWED_HOSTS."""
    public = [urlsplit(o).netloc.rpartition("@")[2] for o in settings.public_origins]
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    names = [*LOOPBACK_NAMES, host, *public, *settings.allowed_hosts]
    return list(dict.fromkeys(_strip_port(n).lower() for n in names if n))


def _strip_port(netloc: str) -> str:
    if netloc.startswith("["):
        return netloc[: netloc.index("]") + 1] if "]" in netloc else netloc
    return netloc.rsplit(":", 1)[0] if netloc.count(":") == 1 else netloc
