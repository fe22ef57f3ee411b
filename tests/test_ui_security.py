"""Who may use the server (issue 8): short-lived tokens stay short-lived on every path, the Host
allowlist, and origins checked against configured ones, never the Host header. Real app through
FastAPI's TestClient (extractive engine, hashing embedder)."""

import time

import pytest
from fastapi.testclient import TestClient

from index.embedding import HashingEmbedder
from index.errors import BadInputError
from index.ingest import run_index
from index.settings import Settings
from index.store import Store
from ui import security
from ui.app import create_app

from .conftest import SEEDS

Q = "Who launched Operation 1027?"
BASE = "http://127.0.0.1:7860"
SECRET = "s3cret-long-lived"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("security")
    settings = Settings(data_dir=root / "data", embedder="hash", backend="extractive")
    run_index(Store(settings), HashingEmbedder(), [str(SEEDS)], settings.chunk_tokens)
    return settings


def client(settings, base_url=BASE):
    return TestClient(create_app(settings), base_url=base_url)


def max_age(response) -> int:
    cookie = response.headers["set-cookie"]
    return int(cookie.split("Max-Age=")[1].split(";")[0])


# ----- tokens ---------------------------------------------------------------------------------
def test_login_cookie_lives_no_longer_than_the_short_token_presented(served):
    with client(served.replace(api_token=SECRET)) as c:
        short = security.issue_token(SECRET, ttl_s=90)
        r = c.get(f"/login?token={short}", follow_redirects=False)
        assert r.status_code == 303 and 0 < max_age(r) <= 90
        assert c.get("/chat/config").status_code == 200  # signed in by the cookie


def test_a_cookie_value_cannot_mint_a_longer_lived_cookie(served):
    with client(served.replace(api_token=SECRET)) as c:
        short = security.issue_token(SECRET, ttl_s=90)
        first = c.get(f"/login?token={short}", follow_redirects=False)
        value = c.cookies["qa_token"]
        again = c.get(f"/login?token={value}", follow_redirects=False)
        assert again.status_code == 303 and max_age(again) <= max_age(first) <= 90
        assert security.expiry(SECRET, c.cookies["qa_token"]) == security.expiry(SECRET, short)


def test_an_expired_token_or_cookie_opens_nothing(served):
    expired = security.issue_token(SECRET, ttl_s=60, now=time.time() - 120)
    with client(served.replace(api_token=SECRET)) as c:
        r = c.get(f"/login?token={expired}", follow_redirects=False)
        assert r.status_code == 401 and "expired" in r.text and "set-cookie" not in r.headers
        c.cookies.set("qa_token", expired)
        assert c.get("/chat/config").status_code == 401
        bearer = {"Authorization": f"Bearer {expired}"}
        assert c.post("/api/ask", json={"question": Q}, headers=bearer).status_code == 401


def test_only_the_long_lived_secret_gets_a_session_and_a_short_token_cannot_buy_another(served):
    with client(served.replace(api_token=SECRET)) as c:
        r = c.get(f"/login?token={SECRET}", follow_redirects=False)
        assert max_age(r) == security.SESSION_TTL_S and c.cookies["qa_token"] != SECRET
        short = {"Authorization": f"Bearer {security.issue_token(SECRET)}"}
        assert c.post("/api/token", headers=short).status_code == 401


def test_the_embed_page_says_the_web_component_needs_the_iframe_when_tokens_are_on(served):
    with client(served.replace(api_token=SECRET)) as c:
        assert "use the iframe" in c.get("/embed").text
    with client(served) as c:
        page = c.get("/embed").text
        assert "use the iframe (1).</b>" not in page and "newsqa:token-request" in page


def test_the_widget_knows_which_parents_may_hand_it_a_token(served):
    portal = "https://portal.example.org"
    with client(served.replace(allowed_origins=(portal,))) as c:
        page = c.get("/widget").text
        assert "data-parents=" in page and portal in page and BASE in page


# ----- hosts and origins ----------------------------------------------------------------------
@pytest.mark.parametrize("host", ["127.0.0.1:7860", "localhost:7860", "[::1]:7860", "LOCALHOST"])
def test_loopback_host_names_are_served(served, host):
    with client(served) as c:
        assert c.get("/api/health", headers={"Host": host}).status_code == 200


def test_an_unknown_host_is_refused_with_what_to_set(served):
    """DNS rebinding: evil.example resolves to 127.0.0.1; its pages must not reach the API."""
    with client(served) as c:
        r = c.post("/api/ask", json={"question": Q}, headers={"Host": "evil.example"})
        assert r.status_code == 400 and "QA_ALLOWED_HOSTS" in r.json()["error"]
        r = c.get("/chat/", headers={"Host": "evil.example:7860"})
        assert r.status_code == 400


def test_an_origin_equal_to_the_host_header_is_not_ourselves(served):
    evil = {"Origin": "http://evil.example", "Host": "evil.example"}
    with client(served.replace(allowed_hosts=("evil.example",))) as c:  # even if Host were let in
        r = c.post("/api/ask", json={"question": Q}, headers=evil)
        assert r.status_code == 403 and "QA_ALLOWED_ORIGINS" in r.json()["error"]
        ours = c.post("/api/ask", json={"question": Q}, headers={"Origin": BASE})
        assert ours.status_code == 200


def test_configured_public_origin_and_host_are_ourselves(served):
    public = served.replace(public_origins=("https://qa.example.org",))
    with client(public, base_url="https://qa.example.org") as c:
        r = c.post("/api/ask", json={"question": Q}, headers={"Origin": "https://qa.example.org"})
        assert r.status_code == 200
        other = c.post("/api/ask", json={"question": Q}, headers={"Origin": "https://qa.example.org:8443"})
        assert other.status_code == 403
        embed = c.get("/embed").text
        assert 'src="https://qa.example.org/widget"' in embed


def test_qa_host_and_extra_host_names_are_served(served):
    named = served.replace(host="10.0.0.5", allow_no_token=True, allowed_hosts=("qa.internal",))
    with client(named, base_url="http://10.0.0.5:7860") as c:
        assert c.get("/api/health").status_code == 200
        assert c.get("/api/health", headers={"Host": "qa.internal:7860"}).status_code == 200
        assert c.get("/api/health", headers={"Host": "10.0.0.6:7860"}).status_code == 400


def test_origins_must_be_bare_origins(settings):
    with pytest.raises(BadInputError, match="not an origin"):
        settings.replace(public_origins=("https://qa.example.org/chat/",))
