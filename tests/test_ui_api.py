"""The JSON API through the real app (FastAPI TestClient, extractive engine, hashing embedder):
the contract and its schema, server-sent events, bad input, tokens, origins, framing, busy."""

import json
import threading

import pytest
from fastapi.testclient import TestClient

from index.embedding import HashingEmbedder
from index.errors import BadInputError
from index.ingest import run_index
from index.store import Store
from qa.contract import Answer, Event
from ui import security
from ui.app import create_app
from ui.security import check_exposure

Q = "Who launched Operation 1027?"
PORTAL = "http://127.0.0.1:9911"
KEYS = {"question", "rewritten_question", "answer", "refused", "citations", "model", "timings"}
KEYS |= {"removed_sentences", "notes"}
CITATION_KEYS = {"n", "doc_id", "source", "title", "date", "start", "end", "quote", "supported", "cluster"}
CITATION_KEYS |= {"context_before", "context_after", "flagged", "origin"}


@pytest.fixture
def served(settings, seeds):
    run_index(Store(settings), HashingEmbedder(), [str(seeds)], settings.chunk_tokens)
    return settings.replace(backend="extractive", allowed_origins=(PORTAL,))


BASE = "http://127.0.0.1:7860"  # the Host allowlist admits loopback names, not TestClient's "testserver"


@pytest.fixture
def client(served):
    with TestClient(create_app(served), base_url=BASE) as c:
        yield c


def test_ask_returns_the_qa_ask_json_object_with_exact_quotes(client, seeds):
    r = client.post("/api/ask", json={"question": Q})
    assert r.status_code == 200
    body = r.json()
    assert set(body) == KEYS and not body["refused"]
    assert "Three Brotherhood Alliance" in body["answer"] + "".join(c["quote"] for c in body["citations"])
    for c in body["citations"]:
        assert set(c) == CITATION_KEYS
        text = (seeds / c["source"].split("/")[-1]).read_text(encoding="utf-8")
        assert text[c["start"] : c["end"]] == c["quote"]


def test_openapi_schema_describes_the_contract(client):
    spec = client.get("/openapi.json").json()
    assert {"/api/ask", "/api/ask/stream", "/api/token", "/api/health"} <= set(spec["paths"])
    schemas = spec["components"]["schemas"]
    assert set(schemas["AnswerOut"]["properties"]) == KEYS
    assert set(schemas["CitationOut"]["properties"]) == CITATION_KEYS
    assert schemas["AskRequest"]["properties"]["question"]["maxLength"] == 1000
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/openapi.json" in docs.text and 'src="http' not in docs.text


def test_stream_sends_rewritten_deltas_then_the_final_answer(client):
    r = client.post("/api/ask/stream", json={"question": Q})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = [block.split("\n") for block in r.text.strip().split("\n\n")]
    kinds = [lines[0].removeprefix("event: ") for lines in events]
    assert kinds[0] == "rewritten" and kinds[-1] == "final" and "delta" in kinds
    final = json.loads(events[-1][1].removeprefix("data: "))
    deltas = "".join(
        json.loads(lines[1].removeprefix("data: "))["text"] for lines in events if "delta" in lines[0]
    )
    assert final["answer"].startswith(deltas.strip()) and set(final) == KEYS


def test_history_is_used_for_follow_ups(client):
    history = [{"question": Q, "answer": "The Three Brotherhood Alliance launched it."}]
    r = client.post("/api/ask", json={"question": "When did it start?", "history": history})
    assert r.status_code == 200
    assert r.json()["question"] == "When did it start?"


def test_a_question_the_articles_do_not_answer_is_refused_with_closest_passages(client):
    body = client.post("/api/ask", json={"question": "Who won the 2022 World Cup?"}).json()
    assert body["refused"] is True
    assert body["citations"] and not any(c["supported"] for c in body["citations"])


@pytest.mark.parametrize(
    "payload, status, says",
    [
        ({"question": ""}, 422, "at least 1 character"),
        ({"question": "   "}, 400, "Ask a question"),
        ({"question": "x" * 10_000}, 422, "at most 1000 characters"),
        ({"question": 42}, 422, "valid string"),
        ({"question": Q, "history": "nope"}, 422, "history"),
        ({"question": Q, "history": [{"question": 1}]}, 422, "history"),
        ({"q": Q}, 422, "question"),
        ([Q], 422, "Send JSON like"),
    ],
)
def test_bad_requests_get_4xx_with_a_message_and_the_server_lives_on(client, payload, status, says):
    r = client.post("/api/ask", json=payload)
    assert r.status_code == status and says in r.json()["error"]
    assert client.post("/api/ask", json={"question": Q}).status_code == 200


def test_not_json_at_all_is_a_4xx(client):
    r = client.post("/api/ask", content=b"\xff{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400 and "Send JSON like" in r.json()["error"]
    r = client.post("/api/ask", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["error"].startswith("Bad request: the body is not valid JSON.")


def test_cors_headers_only_for_allowed_origins_and_others_are_refused(client):
    ok = client.post("/api/ask", json={"question": Q}, headers={"Origin": PORTAL})
    assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == PORTAL
    bad = client.post("/api/ask", json={"question": Q}, headers={"Origin": "http://localhost:9911"})
    assert bad.status_code == 403 and "QA_ALLOWED_ORIGINS" in bad.json()["error"]
    assert "access-control-allow-origin" not in bad.headers
    pre = client.options(
        "/api/ask", headers={"Origin": "http://evil.test", "Access-Control-Request-Method": "POST"}
    )
    assert pre.status_code >= 400 and "access-control-allow-origin" not in pre.headers
    same = client.post("/api/ask", json={"question": Q}, headers={"Origin": BASE})
    assert same.status_code == 200  # the server's own pages


def test_pages_may_be_framed_only_by_allowed_origins(client):
    for path in ("/widget", "/chat/", "/embed"):
        r = client.get(path)
        assert r.status_code == 200
        assert r.headers["content-security-policy"] == f"frame-ancestors 'self' {PORTAL}"
    embed = client.get("/embed").text
    assert f'src="{BASE}/widget"' in embed and f"{BASE}/chat/gradio.js" in embed
    assert client.get("/chat/gradio.js").text.startswith("import(")


def test_token_protects_the_api_and_trades_for_a_short_lived_one(served):
    with TestClient(create_app(served.replace(api_token="s3cret")), base_url=BASE) as c:
        assert c.post("/api/ask", json={"question": Q}).status_code == 401
        wrong = c.post("/api/ask", json={"question": Q}, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401 and "Bearer" in wrong.json()["error"]
        auth = {"Authorization": "Bearer s3cret"}
        assert c.post("/api/ask", json={"question": Q}, headers=auth).status_code == 200
        short = c.post("/api/token", headers=auth).json()
        assert short["expires_in"] == 600 and short["token"] != "s3cret"
        assert c.post("/api/token", headers={"Authorization": f"Bearer {short['token']}"}).status_code == 401
        with_short = {"Authorization": f"Bearer {short['token']}"}
        assert c.post("/api/ask", json={"question": Q}, headers=with_short).status_code == 200
        assert c.get("/chat/config").status_code == 401  # the Gradio app too
        assert c.get("/chat/config", headers=auth).status_code == 200
        assert c.get(f"/login?token={short['token']}", follow_redirects=False).status_code == 303
        assert c.get("/chat/config").status_code == 200  # the login cookie


def test_signed_tokens_expire_and_cannot_be_forged():
    token = security.issue_token("k", ttl_s=60, now=1000)
    assert security.token_ok("k", token, now=1059)
    assert not security.token_ok("k", token, now=1061)
    assert not security.token_ok("other", token, now=1000)
    body, _, sig = token.partition(".")
    assert not security.token_ok("k", body[:-2] + "x" + body[-1] + "." + sig, now=1000)
    assert security.token_ok(None, None)  # no secret configured: open


def test_non_loopback_bind_needs_a_token_unless_explicitly_opened(settings):
    check_exposure(settings)  # 127.0.0.1, no token: fine
    with pytest.raises(BadInputError, match="QA_API_TOKEN"):
        check_exposure(settings.replace(host="0.0.0.0"))
    check_exposure(settings.replace(host="0.0.0.0", api_token="t"))
    check_exposure(settings.replace(host="0.0.0.0", allow_no_token=True))


class BlockingEngine:
    model_name = "fake"

    def __init__(self) -> None:
        self.release, self.started = threading.Event(), threading.Event()

    def stream(self, question, history, cancel=None, **dates):
        yield Event("rewritten", question)
        self.started.set()
        self.release.wait(timeout=10)
        yield Event("final", answer=Answer(question, question, "ok", False, (), "fake"))


def test_a_full_queue_gets_503_busy_with_retry_after(served):
    engine = BlockingEngine()
    with TestClient(create_app(served.replace(queue_size=1), engine), base_url=BASE) as c:
        first = threading.Thread(target=lambda: c.post("/api/ask", json={"question": "q"}))
        first.start()
        assert engine.started.wait(timeout=10)
        r = c.post("/api/ask", json={"question": "q"})
        assert r.status_code == 503 and r.headers["retry-after"] == "2" and "retry" in r.json()["error"]
        s = c.post("/api/ask/stream", json={"question": "q"})
        assert s.status_code == 503
        engine.release.set()
        first.join(timeout=10)
        assert c.post("/api/ask", json={"question": "q"}).json()["answer"] == "ok"


def test_admin_upload_is_off_by_default_and_indexes_new_articles_when_on(served, tmp_path):
    from ui import chat
    from ui.gate import Gate

    with TestClient(create_app(served), base_url=BASE) as c:
        assert "Admin: add articles" not in c.get("/chat/config").text
    admin = served.replace(admin=True)
    with TestClient(create_app(admin), base_url=BASE) as c:
        assert "Admin: add articles" in c.get("/chat/config").text
    upload = tmp_path / "zebra.txt"
    upload.write_text("Zebras in Kenya\n\nThe Grevy zebra population in Kenya rose to 3,000 in 2024.\n")
    gate = Gate(_engine(admin), 2)
    assert "1 indexed" in chat._indexer(gate, admin)([str(upload)])
    answer = gate.ask("How large is the Grevy zebra population in Kenya?")
    assert not answer.refused and "zebra" in answer.citations[0].source


def _engine(settings):
    from qa.engine import build_engine

    return build_engine(settings)


def test_stream_sends_the_verified_quote_before_the_model_answer(served):
    from index.embedding import HashingEmbedder
    from index.store import Store
    from qa.engine import Engine
    from qa.stages.retrieve import Retriever

    from .fakes import ScriptedLLM

    llm = ScriptedLLM(["The Three Brotherhood Alliance launched Operation 1027 [1]."])
    engine = Engine(served, Retriever(Store(served), HashingEmbedder()), llm)
    with TestClient(create_app(served, engine), base_url=BASE) as c:
        r = c.post("/api/ask/stream", json={"question": Q})
    events = [block.split("\n") for block in r.text.strip().split("\n\n")]
    kinds = [lines[0].removeprefix("event: ") for lines in events]
    assert kinds[:3] == ["rewritten", "quote", "delta"] and kinds[-1] == "final"
    quote = json.loads(events[1][1].removeprefix("data: "))
    assert quote["text"] and set(quote["citation"]) == CITATION_KEYS


def test_since_and_until_narrow_the_articles(client):
    r = client.post("/api/ask", json={"question": Q, "since": "2100-01-01"})
    assert r.status_code == 200 and r.json()["refused"] is True
    bad = client.post("/api/ask", json={"question": Q, "since": "next week"})
    assert bad.status_code == 422 and "since" in bad.json()["error"]
