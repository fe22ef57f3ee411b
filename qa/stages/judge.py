"""The model's judgement of the evidence: does the window the decision would answer from state
the answer at all?

Word lists cannot tell a paraphrase from a near miss ("drew up a buying list worth 40 mln
crowns" answers "how much did it set aside for purchases"; "will shut two of its mills" does not
answer "how much did the closures cost it"). A model reading the window can, somewhat. It is asked
one yes/no question and only the probability of its first token is read (`LLM.judge`): nothing it
writes is shown, so it cannot invent anything here. That probability is one more piece of evidence
for `answerable.judged`, with thresholds set on the tuning pool.

It decides nothing itself, and it is not asked where no model is (the extractive backend).
"""

from __future__ import annotations

from qa.llm import LLM, Messages
from qa.stages.evidence import Window

SYSTEM = (
    "You check whether a news passage answers a question. Reply with one word: yes if the passage "
    "states the answer to the question, no if it does not."
)


def messages(question: str, window: Window) -> Messages:
    """The yes/no prompt for one window (its text only, as measured: docs/QUALITY.md, "Stop 22")."""
    text = " ".join(window.span.text.split())
    user = f"Passage: {text}\n\nQuestion: {question}\n\nDoes the passage state the answer? Reply yes or no."
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


def doubt(llm: LLM, question: str, window: Window) -> float | None:
    """The model's probability that the window does not state the answer (None: this backend
    cannot say, e.g. a server that returns no log-probabilities)."""
    judge = getattr(llm, "judge", None)
    if judge is None:
        return None
    yes = judge(messages(question, window))
    return None if yes is None else 1.0 - yes
