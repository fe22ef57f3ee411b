"""The answering engine: it wires the stages of `qa.stages` and holds no rule of its own.

    rewrite → retrieve → evidence → answerable (→ judge) → draft (model, or the best window) → verify → notes

A refusal is decided from evidence before any model drafts; where a model is named in
`trust.judge_models`, its yes/no probability that the chosen window does not state the answer is part
of that decision (`judge`, `answerable.judged`). A model's sentences reach the
reader one at a time, each only once `verify` found a quote that supports it; a sentence nothing
supports is removed (and listed). If no sentence survives, or none offers the kind of answer asked
for, the best window is quoted instead, unless the model said the articles do not answer and
`trust.model_can_refuse` lets it refuse. The model is never trusted to cite or to be right.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from index.articles import read_text
from index.errors import BadInputError, QAError
from index.settings import Settings
from qa import guard
from qa import text as nlp
from qa.contract import Answer, Citation, Event, Turn
from qa.llm import LLM
from qa.stages import answerable, draft, evidence, judge, notes, rewrite, verify
from qa.stages import question as asking
from qa.stages.retrieve import Passage, Retriever

MAX_QUESTION_CHARS = 1000
REFUSAL = "The articles don't say. The closest passages are listed below."
# both start with the sentence the chat's "Not in the articles." headline stands for
NOTHING_FOUND = "The articles don't say. In the articles searched, no passage was found."


@dataclass
class _Build:
    """What is known while one answer is being built."""

    passages: list[Passage]
    question: asking.Question
    ranked: list[evidence.Window]
    citations: list[Citation] = field(default_factory=list)
    keys: dict[tuple[str, int, int], int] = field(default_factory=dict)
    sentences: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def cite(self, p: Passage, start: int, end: int, supported: bool) -> int:
        key = (p.chunk_id, start, end)
        if key not in self.keys:
            self.keys[key] = len(self.citations) + 1
            self.citations.append(make_citation(self.keys[key], p, start, end, supported))
        return self.keys[key]

    @functools.cached_property
    def asked(self) -> frozenset[str]:
        """The words of the names the question asks about."""
        return frozenset(word for name in self.question.names for word in name.words)

    @functools.cached_property
    def given(self) -> frozenset[str]:
        """The question's words: a sentence restating them claims nothing."""
        return verify.given_words(self.question.span)

    def quote(self, w: evidence.Window) -> verify.Quote:
        p = self.passages[w.passage]
        whole = nlp.analyse(p.text).whole
        return verify.Quote(
            w.span,
            whole,
            p.title,
            evidence.article_words(p),
            self.asked,
            dated=p.date or "",
            question=self.given,
        )


def make_citation(
    n: int, p: Passage, start: int, end: int, supported: bool, flagged: bool = False
) -> Citation:
    """Citation for text[start:end] of passage p (offsets relative to the passage)."""
    return Citation(
        n=n,
        doc_id=p.doc_id,
        source=p.source,
        title=p.title,
        date=p.date,
        start=p.start + start,
        end=p.start + end,
        quote=p.text[start:end],
        supported=supported,
        cluster=p.cluster,
        context_before=p.text[:start][-160:],
        context_after=p.text[end:][:160],
        flagged=flagged,
        origin=p.origin,
    )


class Engine:
    """Holds the retriever and the LLM (None for extractive); answers questions."""

    def __init__(self, settings: Settings, retriever: Retriever, llm: LLM | None):
        self.settings, self.retriever, self.llm = settings, retriever, llm
        self.trust = settings.trust

    @property
    def model_name(self) -> str:
        return self.llm.name if self.llm else "extractive"

    def warm(self) -> None:
        """Do the slow first-use work now (BM25, embedder, NLP pipeline, model), not on a user's question."""
        self.retriever.store.require_nonempty()
        self.retriever.retrieve("warm up", 1)
        nlp.load()
        load = getattr(self.llm, "load", None)
        if load:
            load()

    def ask(
        self,
        question: str,
        history: list[Turn] | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> Answer:
        for event in self.stream(question, history, since=since, until=until):
            if event.answer is not None:
                return event.answer
        raise AssertionError("stream() always ends with a final event")

    def stream(
        self,
        question: str,
        history: list[Turn] | None = None,
        cancel: threading.Event | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> Iterator[Event]:
        """Events of one answer, from articles dated within [since, until] when given (ISO dates).
        When `cancel` is set, the next model token raises CancelledError."""
        question = check_question(question)
        t0 = time.perf_counter()
        standalone = rewrite.rewrite(question, history or [], self.llm)
        yield Event("rewritten", standalone)
        passages = self.retriever.retrieve(standalone, self.settings.k, since, until)
        timings = {"retrieve_ms": _ms(t0)}
        asked = asking.read_question(standalone, self.terms())
        ranked = evidence.rank(asked, passages, self.retriever.embed, self.trust)
        decision = answerable.decide(asked, ranked, self.trust)
        if not passages and (since or until):  # nothing to search, not nothing said
            decision = dataclasses.replace(decision, reason=undated_reason(since, until))
        trace: dict[str, Any] = {"passages": [p.source for p in passages]}
        # only a model named in `trust.judge_models` (none by default: docs/QUALITY.md) is asked
        if decision.answerable and decision.best and self.llm and self.llm.name in self.trust.judge_models:
            doubt = judge.doubt(self.llm, asked.text, decision.best)
            trace["judge_doubt"] = None if doubt is None else round(doubt, 3)
            decision = answerable.judged(decision, doubt, self.trust)
            timings["judge_ms"] = _ms(t0)
        build = _Build(passages, asked, ranked)
        trace["answerable"] = decision.answerable
        trace |= {"score": round(decision.score, 4), "reason": decision.reason}
        if (b := decision.best or decision.nearest) is not None:
            trace |= {
                "coverage": b.coverage,
                "ask": b.ask,
                "dense": b.dense,
                "fit": b.fit,
                "kind": asked.kind,
            }
            trace["missing"] = {w: round(asked.ask[w], 2) for w in b.missing}
            trace["missing_share"] = round(b.missing_share, 3)
        trace["tentative"] = decision.tentative
        if decision.tentative and self.llm is None:  # close evidence and no model: refused here
            trace["answerable"] = False
        if decision.answerable and decision.best is not None:
            tentative = decision.tentative
            if self.llm is not None:
                if not tentative:  # the extractive answer is this quote, at once
                    yield self._first_quote(build, decision.best, timings, t0)
                yield from self._generate(build, decision.best, cancel, trace, timings, t0, tentative)
            if not self._answers(build) and (tentative or not trace.get("model_refused")):
                build.removed += build.sentences
                build.sentences, build.citations, build.keys = [], [], {}
                if not tentative:  # plain evidence: the verified window answers; close: nothing does
                    trace["fallback"] = self.llm is not None
                    yield from self._quote(build, decision.best, timings, t0)
        timings.setdefault("first_token_ms", _ms(t0))
        timings["total_ms"] = _ms(t0)
        yield Event("final", answer=self._finish(question, standalone, build, decision, timings), trace=trace)

    def terms(self) -> asking.Terms:
        return asking.Terms(*self.retriever.store.term_counts(nlp.normalise_word))

    # ----- drafting -------------------------------------------------------------------------
    def _first_quote(self, build: _Build, w: evidence.Window, timings: dict[str, float], t0: float) -> Event:
        """The verified window that best answers, for every surface to show before any model speaks."""
        p = build.passages[w.passage]
        timings["first_quote_ms"] = _ms(t0)
        return Event(
            "quote", " ".join(w.span.text.split()), citation=make_citation(1, p, w.start, w.end, True)
        )

    def _quote(
        self, build: _Build, w: evidence.Window, timings: dict[str, float], t0: float
    ) -> Iterator[Event]:
        timings.setdefault("first_quote_ms", _ms(t0))
        timings.setdefault("first_token_ms", _ms(t0))
        n = build.cite(build.passages[w.passage], w.start, w.end, True)
        build.sentences.append(draft.with_markers(" ".join(w.span.text.split()), [n]))
        yield Event("delta", build.sentences[-1] + " ")

    def _generate(
        self,
        build: _Build,
        best: evidence.Window,
        cancel: threading.Event | None,
        trace: dict[str, Any],
        timings: dict[str, float],
        t0: float,
        tentative: bool = False,
    ) -> Iterator[Event]:
        """The model drafts from the best window and the other windows about the question's names.
        On close evidence (`tentative`) the model's "not in the articles" always stands."""
        assert self.llm is not None
        shown = draft.shown([best, *(w for w in build.ranked if w.about and w is not best)], self.trust)
        # a reason keeps the refusal line: without it the model explains a false premise
        open_ = tentative and self.trust.open_prompt and build.question.kind != "reason"
        system = draft.SYSTEM_OPEN if open_ else draft.SYSTEM
        prompt = draft.messages(
            build.question.text, shown, build.passages, self.trust.prompt_passages, system
        )
        trace["draft"] = ""

        def first_token() -> None:
            timings["model_token_ms"] = _ms(t0)

        drafted = draft.sentences(self.llm, prompt, self.settings.max_answer_tokens, cancel, first_token)
        for sentence in drafted:
            timings.setdefault("first_token_ms", _ms(t0))
            trace["draft"] += sentence + " "
            if draft.about_the_prompt(sentence):
                continue
            if draft.REFUSES.search(sentence):
                trace["model_declined"] = True
                trace["model_refused"] = self.trust.model_can_refuse or tentative
                continue
            yield from self._check(sentence, shown, build)

    def _check(self, sentence: str, shown: list[evidence.Window], build: _Build) -> Iterator[Event]:
        """Keep a drafted sentence only where a quote supports it; renumber its markers."""
        sentence = draft.clean(sentence, [build.passages[w.passage].title for w in shown])
        text = draft.strip_markers(sentence)
        claim = nlp.analyse(text).whole
        if not verify.says_something(claim, build.question.span):
            return  # it only restates the question
        cited = [shown[n - 1].passage for n in draft.markers(sentence) if 0 < n <= len(shown)]
        others = [w.passage for w in shown if w.passage not in cited]
        for passage in dict.fromkeys(cited + others):
            w = self._supporting(claim, passage, build)
            if w is not None:
                n = build.cite(build.passages[passage], w.start, w.end, True)
                build.sentences.append(draft.with_markers(text, [n, *self._named_elsewhere(claim, w, build)]))
                yield Event("delta", build.sentences[-1] + " ")
                return
        build.removed.append(text)

    def _named_elsewhere(self, claim: nlp.Span, w: evidence.Window, build: _Build) -> list[int]:
        """Citations for the names a supported sentence states in full where its quote and headline
        do not: the question's own names, which the article gave in full before its quote ("Acme
        Chemical Co" where the quote says "Acme"). Each cites the article's first sentence that
        writes it in full, or else names it."""
        p = build.passages[w.passage]
        shown = w.span.words | nlp.words_of(p.title)
        unnamed = [x for x in nlp.names(claim, verify.CLAIM_NAMES) if not x.words <= shown]
        if not unnamed:
            return []
        try:
            text = read_text(p.path)
        except (OSError, QAError):
            return []
        article = nlp.analyse(text)
        sentences = [article.span(s, e) for s, e in article.sentences if not guard.flagged(text[s:e])]
        whole = dataclasses.replace(p, chunk_id=f"{p.doc_id}:article", start=0, end=len(text), text=text)
        cited = []
        for name in unnamed:
            found = next((s for s in sentences if name.words <= s.words), None)
            found = found or next((s for s in sentences if nlp.mentions(name, s)), None)
            if found is not None:
                cited.append(build.cite(whole, found.start, found.end, True))
        return cited

    def _supporting(self, claim: nlp.Span, passage: int, build: _Build) -> evidence.Window | None:
        """The window of this passage that supports the claim best, if any does."""
        windows = [w for w in build.ranked if w.passage == passage]
        windows.sort(key=lambda w: -verify.coverage(claim, w.span.lemmas))
        for w in windows[:3]:
            quote = build.quote(w)
            if not verify.about_question(build.question, quote):
                return None
            if verify.support(claim, quote, self.trust, self._cosine).ok:
                return w
        return None

    def _answers(self, build: _Build) -> bool:
        """Some sentence survived, and together they offer the kind of answer asked for."""
        if not build.sentences:
            return False
        said = nlp.analyse(" ".join(draft.strip_markers(s) for s in build.sentences)).whole
        return asking.typed(build.question, said)

    def _cosine(self, a: str, b: str) -> float:
        va, vb = self.retriever.embed([a, b])
        return float(va @ vb)

    # ----- the final answer -----------------------------------------------------------------
    def _finish(
        self,
        question: str,
        rewritten: str,
        build: _Build,
        decision: answerable.Decision,
        timings: dict[str, float],
    ) -> Answer:
        flagged = self._flagged_notes(build)
        if not build.sentences:
            closest = [
                make_citation(i + 1, p, 0, len(p.text), False, bool(guard.flagged(p.text)))
                for i, p in enumerate(build.passages[:3])
            ]
            why = (f"Not answered: {decision.reason}.",) if decision.reason else ()
            refusal = REFUSAL if closest else NOTHING_FOUND
            return Answer(question, rewritten, refusal, True, tuple(closest), self.model_name, timings,
                          tuple(build.removed), why + tuple(flagged))  # fmt: skip
        said = notes.same_story(build.sentences, build.citations)
        said += notes.disagreements(build.citations, build.passages, build.cite) + flagged
        text = " ".join(build.sentences) + ("\n\n" + "\n".join(said) if said else "")
        return Answer(question, rewritten, text, False, tuple(build.citations), self.model_name, timings,
                      tuple(build.removed), tuple(said))  # fmt: skip

    def _flagged_notes(self, build: _Build) -> list[str]:
        titles = [p.title for p in build.passages if guard.flagged(p.text)]
        return [
            f'"{t}" contains text addressed to AI systems; it was ignored and not used as support.'
            for t in dict.fromkeys(titles)
        ]


def build_engine(settings: Settings) -> Engine:
    """The engine for these settings: store, embedder and LLM from their factories."""
    from index.embedding import make_embedder
    from index.store import Store
    from qa.llm import make_llm

    return Engine(settings, Retriever(Store(settings), make_embedder(settings)), make_llm(settings))


def check_question(question: object) -> str:
    if not isinstance(question, str) or not question.strip():
        raise BadInputError(
            'Ask a question about the articles, e.g. "Who bought the company, and for how much?".'
        )
    question = " ".join(question.split())
    if len(question) > MAX_QUESTION_CHARS:
        raise BadInputError(
            f"The question is {len(question)} characters; keep it under {MAX_QUESTION_CHARS}."
        )
    return question


def undated_reason(since: str | None, until: str | None) -> str:
    """Why a question limited to dates found no passage at all."""
    if since and until:
        span = f"between {since} and {until}"
    else:
        span = f"on or after {since}" if since else f"on or before {until}"
    return f"no article is dated {span} (articles without a date are left out when dates are given)"


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 1)
