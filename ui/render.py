"""Answer and Citation rendered as HTML for the Gradio chat (the widget renders the same JSON in
`static/widget.js`).

Everything from an article, a model or a reader is HTML-escaped here, in the chat bubble as in the
sources panel: the chat shows bubbles as (sanitised) HTML with Markdown off, so `<img src=…>` or
`[text](http://…)` in an article is shown as those characters, never fetched or clickable. It
does not decide what is supported or refused: it shows what the `Answer` says.
"""

from __future__ import annotations

from html import escape

from qa.contract import Answer, Citation

NOT_IN_ARTICLES = "<b>Not in the articles.</b>"
EMPTY_SOURCES = '<div class="qa-sources qa-empty">Sources appear here with the answer.</div>'


def text(value: str) -> str:
    """Any text for a chat bubble: shown as typed, never as markup; line breaks kept."""
    return escape(value.strip()).replace("\n", "<br>")


def answer_html(answer: Answer) -> str:
    """The chat bubble: the answer text, or a clear "not in the articles" state (which stands for
    the refusal's first sentence, "The articles don't say.", rather than repeating it)."""
    if answer.refused:
        rest = answer.answer.partition(". ")[2] or answer.answer
        return f"{NOT_IN_ARTICLES} {text(rest)}"
    return text(answer.answer)


def quote_html(quote: str, c: Citation | None) -> str:
    """The verified passage shown at once while a model drafts, marked as a quotation of an article."""
    where = ""
    if c is not None:
        when = f", {escape(c.date)}" if c.date else ""
        where = f'<div class="qa-quote-src">— {escape(c.title)}{when}</div>'
    return (
        '<div class="qa-quote"><span class="qa-quote-label">From the articles (checking the full answer…)'
        f"</span><blockquote>{text(quote)}</blockquote>{where}</div>"
    )


def rewritten_note(question: str, rewritten: str) -> str:
    """Shown above the sources when a follow-up was rewritten for retrieval."""
    if " ".join(rewritten.split()) == " ".join(question.split()):
        return ""
    return f'<p class="qa-rewritten">Searched the articles for: <i>{escape(rewritten)}</i></p>'


def error_html(message: str) -> str:
    return f'<span class="qa-error">{escape(message)}</span>'


def sources_html(answer: Answer) -> str:
    head = "Closest passages — they do not answer the question" if answer.refused else "Sources"
    cls = "qa-sources qa-refused" if answer.refused else "qa-sources"
    items = "".join(citation_html(c, answer.refused) for c in answer.citations)
    return f'<div class="{cls}"><h4>{head}</h4>{items}</div>'


def citation_html(c: Citation, refused: bool) -> str:
    when = f' <span class="qa-date">{escape(c.date)}</span>' if c.date else ""
    if refused:
        badge = '<span class="qa-badge qa-closest">closest passage</span>'
    elif c.supported:
        badge = '<span class="qa-badge qa-ok">✓ supports the answer</span>'
    else:
        badge = '<span class="qa-badge qa-no">✗ does not support its sentence</span>'
    passage = f"…{escape(c.context_before)}<mark>{escape(c.quote)}</mark>{escape(c.context_after)}…"
    flag = (
        ' <span class="qa-badge qa-no">holds text addressed to AI systems: ignored</span>'
        if c.flagged
        else ""
    )
    return (
        f'<div class="qa-cite" data-n="{c.n}">'
        f'<div class="qa-head"><span class="qa-n">[{c.n}]</span> <b>{escape(c.title)}</b>{when} {badge}</div>'
        f'<div class="qa-passage">{passage}</div>'
        f'<div class="qa-src">{escape(c.origin or c.source)}:{c.start}–{c.end}{flag}</div></div>'
    )


CSS = """
.qa-sources h4 { margin: 0 0 .5em 0; }
.qa-empty { color: var(--body-text-color-subdued); font-style: italic; }
.qa-cite { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: .6em .8em;
  margin-bottom: .6em; background: var(--background-fill-secondary); }
.qa-head { margin-bottom: .3em; }
.qa-n { font-weight: 700; color: var(--color-accent); }
.qa-date { color: var(--body-text-color-subdued); font-size: .9em; }
.qa-badge { font-size: .8em; border-radius: 999px; padding: .05em .6em; margin-left: .4em;
  white-space: nowrap; }
.qa-ok { background: #dcfce7; color: #166534; }
.qa-no { background: #fee2e2; color: #991b1b; }
.qa-closest { background: #e5e7eb; color: #374151; }
.qa-passage { font-size: .92em; line-height: 1.45;
  color: var(--body-text-color-subdued); }
.qa-passage mark { background: #fef08a; color: #111827; padding: 0 .1em; border-radius: 2px; }
.qa-src { font-size: .75em; color: var(--body-text-color-subdued); margin-top: .3em; font-family: monospace; }
.qa-refused h4 { color: #92400e; }
.qa-refused .qa-passage mark { background: #e5e7eb; }  /* a closest passage supports nothing */
.qa-error { color: #991b1b; }
.qa-quote { border-left: 3px solid var(--color-accent); padding: .2em .7em; margin-bottom: .4em; }
.qa-quote-label { font-size: .8em; color: var(--body-text-color-subdued); }
.qa-quote blockquote { margin: .2em 0; font-style: italic; }
.qa-quote-src { font-size: .8em; color: var(--body-text-color-subdued); }
.qa-dates input { font-family: monospace; }
"""
