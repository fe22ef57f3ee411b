"""The Gradio chat: streaming answers, a sources panel, follow-ups, examples, a stop button, and
(only when `QA_ADMIN=1`) an upload box that indexes new articles.

Conversation memory lives in a per-browser-session `gr.State` (the last 20 turns). The same
Blocks expose two endpoints for `gradio_client`: `/chat` (the streaming UI handler) and `/ask`
(question + history -> the `qa ask --json` object); both take the same limits as `/api/ask` (see
`ui.gate`). Chat bubbles are HTML with Markdown off, built by `ui.render`, which escapes all text.
Stop (or a closed tab) closes the handler's generator, which closes its answer in the gate.
It does not build the HTTP app or enforce tokens (see `ui.app`).
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from index.errors import BadInputError, QAError
from index.settings import Settings
from qa.contract import Turn
from ui import render
from ui.gate import Gate
from ui.limits import MAX_TURNS

HEARTBEAT_S = 0.5  # while an answer waits, the handler yields this often (see respond)


def build_chat(gate: Gate, settings: Settings) -> gr.Blocks:
    with gr.Blocks(title="newsqa — ask the articles", analytics_enabled=False) as demo:
        gr.Markdown("## Ask the articles\nShort answers that cite the exact passages they come from.")
        turns = gr.State([])
        with gr.Row():
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(
                    label="Chat",
                    show_label=False,  # its floating label covered the top message once scrolled
                    height=420,
                    elem_id="qa-chat",
                    buttons=["copy"],
                    render_markdown=False,  # bubbles are escaped HTML from ui.render: text stays text
                    latex_delimiters=[],
                    sanitize_html=True,
                )
                question = gr.Textbox(
                    placeholder="Ask about the articles, e.g. Who bought the company, and for how much?",
                    show_label=False,
                    elem_id="qa-question",
                    max_length=2000,
                )
                with gr.Row():
                    send = gr.Button("Ask", variant="primary", elem_id="qa-send")
                    stop = gr.Button("Stop", variant="secondary", elem_id="qa-stop")  # not red while idle
                    clear = gr.Button("New conversation", elem_id="qa-clear")
                with gr.Accordion("Only articles dated…", open=False, elem_classes=["qa-dates"]), gr.Row():
                    since = gr.Textbox("", label="from (YYYY-MM-DD)", elem_id="qa-since", max_length=10)
                    until = gr.Textbox("", label="to (YYYY-MM-DD)", elem_id="qa-until", max_length=10)
            with gr.Column(scale=2):
                rewritten = gr.HTML(elem_id="qa-rewritten")
                sources = gr.HTML(render.EMPTY_SOURCES, elem_id="qa-sources")
        outputs = [question, chatbot, turns, rewritten, sources]
        inputs = [question, chatbot, turns, since, until]
        go = dict(fn=_respond(gate), inputs=inputs, outputs=outputs, api_name="chat")
        enter = {**go, "api_name": "chat_enter", "api_visibility": "private"}
        asked: list[Any] = [send.click(**go), question.submit(**enter)]
        stop.click(None, cancels=asked, api_visibility="private")
        clear.click(_clear, outputs=outputs, api_visibility="private")
        if settings.admin:
            _admin_panel(gate, settings)
        gr.api(_ask(gate), api_name="ask")
    return demo


def _respond(gate: Gate) -> Any:
    def respond(
        question: str, messages: list[Any], turns: list[list[str]], since: str = "", until: str = ""
    ) -> Iterator[tuple[Any, ...]]:
        """Stream one answer into the chat: the verified quote at once, then the checked answer;
        the sources panel fills in when it is final."""
        try:
            history = turns_from(turns)
            answering = gate.stream(
                question, history, since=since.strip() or None, until=until.strip() or None
            )
        except QAError as e:
            raise gr.Error(str(e)) from e
        messages = [
            *(messages or []),
            {"role": "user", "content": render.text(question)},
            {"role": "assistant", "content": "…"},
        ]
        note, text, quote = "", "", ""
        with contextlib.closing(answering):  # Stop or a closed tab closes this generator, and so the answer
            yield "", messages, turns, note, gr.skip()  # the question shows at once, even while queued
            try:
                for event in answering.paced(HEARTBEAT_S):
                    if event is None:  # still waiting: yielding lets Stop close us now
                        yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
                        continue
                    if event.kind == "rewritten":
                        note = render.rewritten_note(question, event.text)
                    elif event.kind == "quote":
                        quote = render.quote_html(event.text, event.citation)
                        messages[-1] = {"role": "assistant", "content": quote}
                    elif event.kind == "delta":
                        text += event.text
                        messages[-1] = {"role": "assistant", "content": quote + render.text(text)}
                    elif event.answer is not None:
                        messages[-1] = {"role": "assistant", "content": render.answer_html(event.answer)}
                        kept = [[t.question, t.answer] for t in history][-(MAX_TURNS - 1) :]
                        turns = [*kept, [question, event.answer.answer]]
                        yield "", messages, turns, note, render.sources_html(event.answer)
                        return
                    yield "", messages, turns, note, gr.skip()
            except QAError as e:
                messages[-1] = {"role": "assistant", "content": render.error_html(str(e))}
                yield question, messages, turns, note, gr.skip()
                raise gr.Error(str(e)) from e

    return respond


def _ask(gate: Gate) -> Any:
    def ask(question: str, history: list[list[str]] | None = None) -> dict[str, Any]:
        """One question, optional [[question, answer], …] history (at most 20 turns) -> the
        `qa ask --json` object."""
        try:
            return gate.ask(question, turns_from(history)).to_dict()
        except QAError as e:
            raise gr.Error(str(e)) from e

    return ask


def turns_from(pairs: Any) -> list[Turn]:
    """[[question, answer], …] as a client sent it, checked for shape (the gate checks sizes)."""
    if not pairs:
        return []
    if isinstance(pairs, list) and len(pairs) > MAX_TURNS:
        raise BadInputError(f"The conversation has {len(pairs)} turns; send at most the last {MAX_TURNS}.")
    pair = lambda p: isinstance(p, list | tuple) and len(p) == 2 and all(isinstance(x, str) for x in p)  # noqa: E731
    if not isinstance(pairs, list) or not all(pair(p) for p in pairs):
        raise BadInputError("Send the history as a list of [question, answer] pairs of text.")
    return [Turn(q, a) for q, a in pairs]


def _clear() -> tuple[Any, ...]:
    return "", [], [], "", render.EMPTY_SOURCES


def _admin_panel(gate: Gate, settings: Settings) -> None:
    with gr.Accordion("Admin: add articles", open=False):
        files = gr.File(label="Article files (.txt, .md)", file_count="multiple", file_types=[".txt", ".md"])
        status = gr.Markdown()
        files.upload(_indexer(gate, settings), inputs=[files], outputs=[status], api_visibility="private")


def _indexer(gate: Gate, settings: Settings) -> Any:
    def index_uploads(paths: list[str]) -> str:
        """Copy uploads under the data folder and index them, while no question is being answered."""
        from index.embedding import make_embedder
        from index.ingest import run_index
        from index.store import Store

        folder = settings.data_dir / "uploads"
        folder.mkdir(parents=True, exist_ok=True)
        for p in paths or []:
            shutil.copy(p, folder / Path(p).name)
        try:
            with gate.exclusive():
                s = run_index(
                    Store(settings), make_embedder(settings), [str(folder)], settings.chunk_tokens, False
                )
        except QAError as e:
            raise gr.Error(str(e)) from e
        return f"{s.files} files: {s.indexed} indexed, {s.unchanged} unchanged, {len(s.skipped)} skipped."

    return index_uploads
