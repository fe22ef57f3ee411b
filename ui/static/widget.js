// The embeddable widget: a compact chat over POST /api/ask/stream (server-sent events).
// A short-lived token, if the server needs one, comes in the URL fragment (#token=...), which
// browsers never send to servers; the page itself holds no long-lived secret. When the token is
// about to expire or is refused, the widget asks the embedding page for a new one by postMessage
// (only pages on the allowed origins in data-parents may answer); without an answer it tells the
// reader to reload the page. Everything from the server is shown with textContent, never as HTML.
(function () {
  "use strict";
  let token = new URLSearchParams(location.hash.slice(1)).get("token");
  const parents = JSON.parse(document.querySelector("main").dataset.parents || "[]");
  const RENEW_WAIT_MS = 5000;
  const EXPIRED = "Your session expired — reload the page to keep asking.";
  const log = document.getElementById("qaw-log");
  const form = document.getElementById("qaw-form");
  const input = document.getElementById("qaw-q");
  const send = document.getElementById("qaw-send");
  const history = [];

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function citation(c, refused) {
    const box = el("div", "qaw-cite");
    const head = el("div");
    head.append(el("b", "", "[" + c.n + "] " + c.title), c.date ? " (" + c.date + ")" : "");
    const ok = refused ? "closest passage" : c.supported ? "✓ supports" : "✗ does not support";
    head.append(el("span", "qaw-badge" + (c.supported || refused ? "" : " no"), ok));
    const passage = el("div");
    passage.append("…" + c.context_before, el("mark", "", c.quote), c.context_after + "…");
    box.append(head, passage);
    return box;
  }

  function showQuote(turn, data) {
    // the verified passage that best answers, shown at once while the full answer is checked
    turn.quote.textContent = "";
    const src = data.citation ? " — " + data.citation.title + (data.citation.date ? ", " + data.citation.date : "") : "";
    turn.quote.append(el("span", "qaw-quote-label", "From the articles:"), el("q", "", data.text), src);
  }

  function finish(turn, answer) {
    turn.quote.textContent = "";
    turn.box.classList.toggle("qaw-refused", answer.refused);
    // a refusal's headline stands for its first sentence ("The articles don't say.")
    turn.answer.textContent = answer.refused
      ? "Not in the articles. " + (answer.answer.split(". ").slice(1).join(". ") || answer.answer)
      : answer.answer;
    answer.citations.forEach((c) => turn.box.append(citation(c, answer.refused)));
    history.push({ question: answer.question, answer: answer.answer });
    if (history.length > 10) history.shift();
  }

  function handle(kind, data, turn, question) {
    if (kind === "rewritten" && data.text !== question) turn.rewritten.textContent = "searched for: " + data.text;
    else if (kind === "quote") showQuote(turn, data);
    else if (kind === "delta") turn.answer.textContent += data.text;
    else if (kind === "final") finish(turn, data);
    else if (kind === "error") throw new Error(data.error);
  }

  function expiresAt(t) {
    try {
      const body = t.split(".")[0].replace(/-/g, "+").replace(/_/g, "/");
      return JSON.parse(atob(body)).exp * 1000;
    } catch (e) {
      return Infinity; // not a signed token: the server decides
    }
  }

  // Ask the embedding page for a fresh token; resolves to it, or to null after RENEW_WAIT_MS.
  function renew() {
    if (window.parent === window) return Promise.resolve(null);
    return new Promise((resolve) => {
      const done = (value) => {
        window.removeEventListener("message", listen);
        clearTimeout(timer);
        resolve(value);
      };
      const listen = (e) => {
        const ok = e.source === window.parent && parents.includes(e.origin);
        if (ok && e.data && e.data.type === "newsqa:token" && typeof e.data.token === "string") done(e.data.token);
      };
      const timer = setTimeout(() => done(null), RENEW_WAIT_MS);
      window.addEventListener("message", listen);
      window.parent.postMessage({ type: "newsqa:token-request" }, "*"); // carries no secret
    });
  }

  async function post(question) {
    if (token && expiresAt(token) - Date.now() < 30000) token = (await renew()) || token;
    const request = () => {
      const headers = { "Content-Type": "application/json" };
      if (token) headers.Authorization = "Bearer " + token;
      return fetch("/api/ask/stream", {
        method: "POST", headers, body: JSON.stringify({ question, history: history.slice() }),
      });
    };
    let res = await request();
    if (res.status === 401) {
      const fresh = await renew();
      if (!fresh) throw new Error(EXPIRED);
      token = fresh;
      res = await request();
      if (res.status === 401) throw new Error(EXPIRED);
    }
    return res;
  }

  async function ask(question) {
    const turn = {
      box: el("div", "qaw-turn"), answer: el("p", "qaw-a"), rewritten: el("div", "qaw-rewritten"),
      quote: el("div", "qaw-quote"),
    };
    turn.box.append(el("p", "qaw-q", question), turn.rewritten, turn.quote, turn.answer);
    log.append(turn.box);
    const res = await post(question);
    if (!res.ok) {
      const body = await res.json().catch(() => ({}));
      throw new Error(body.error || "The server answered " + res.status + ".");
    }
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const kind = (block.match(/^event: (.*)$/m) || [])[1];
        const data = (block.match(/^data: (.*)$/m) || [])[1];
        if (kind && data) handle(kind, JSON.parse(data), turn, question);
      }
      log.scrollTop = log.scrollHeight;
    }
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const question = input.value.trim();
    if (!question) return;
    input.value = "";
    send.disabled = true;
    try {
      await ask(question);
    } catch (err) {
      log.append(el("p", "qaw-error", err.message));
    } finally {
      send.disabled = false;
      log.scrollTop = log.scrollHeight;
    }
  });
})();
