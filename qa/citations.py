"""Checking what a model wrote against the passages: markers, support, quotes, injections.

- `markers` reads `[n]` / `[1, 2]` citation markers; numbers with no passage are discarded.
- `support` scores how much of a sentence a passage backs: the share of the sentence's content
  words (Porter-stemmed, stop words out) found in the passage, and zero when the sentence has a
  number the passage lacks. No hub model is available offline, so this is lexical by design; the
  engine adds embedding similarity on top.
- `best_quote` picks the one or two contiguous passage sentences that back a sentence best, as
  exact offsets.
- `instruction_spans` finds text inside articles that tries to instruct the model ("ignore
  previous instructions…"); such text is masked from prompts and never quoted as support.

It does not judge truth beyond what the passages say.
"""

from __future__ import annotations

import re
from functools import lru_cache

from index.chunking import sentence_spans

MARKER = re.compile(r"\s*\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_WORD = re.compile(r"\d[\d,.]*\d|\d|[^\W\d_]+(?:['’][^\W\d_]+)?", re.UNICODE)
_INSTRUCTION = re.compile(
    r"(ignore|disregard|forget|override)\s+(all\s+|any\s+|the\s+|your\s+)*(previous|prior|above|earlier|"
    r"preceding|other)\s+(instructions?|prompts?|rules|directions|messages)"
    r"|\b(system prompt|you are now|new instructions?|as an ai( language)? model|jailbreak)\b"
    r"|\b(respond|reply|answer|say)\s+(only\s+)?(with|that)\s*[:\"'“]",
    re.I,
)
_EXTRA_STOP = {
    "say",
    "said",
    "says",
    "tell",
    "told",
    "also",
    "would",
    "could",
    "according",
    "article",
    "articles",
}
# Porter stemming leaves irregular verbs apart ("took" / "take"); these are the common ones in news.
_IRREGULAR = {
    "took": "take",
    "taken": "take",
    "won": "win",
    "began": "begin",
    "begun": "begin",
    "led": "lead",
    "fought": "fight",
    "made": "make",
    "gave": "give",
    "given": "give",
    "held": "hold",
    "left": "leave",
    "lost": "lose",
    "met": "meet",
    "ran": "run",
    "sent": "send",
    "spent": "spend",
    "stood": "stand",
    "struck": "strike",
    "thought": "think",
    "went": "go",
    "gone": "go",
    "came": "come",
    "became": "become",
    "brought": "bring",
    "bought": "buy",
    "caught": "catch",
    "chose": "choose",
    "chosen": "choose",
    "drove": "drive",
    "driven": "drive",
    "fell": "fall",
    "fallen": "fall",
    "fled": "flee",
    "found": "find",
    "grew": "grow",
    "grown": "grow",
    "hit": "hit",
    "kept": "keep",
    "knew": "know",
    "known": "know",
    "paid": "pay",
    "rose": "rise",
    "risen": "rise",
    "saw": "see",
    "seen": "see",
    "seized": "seize",
    "shot": "shoot",
    "sold": "sell",
    "spoke": "speak",
    "spoken": "speak",
    "told": "tell",
    "wrote": "write",
    "written": "write",
    "killed": "kill",
    "dead": "die",
    "died": "die",
    "deaths": "die",
    "death": "die",
}


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    import nltk

    from index.chunking import static_dir

    cache = str(static_dir() / "nltk_cache")
    if cache not in nltk.data.path:
        nltk.data.path.append(cache)
    from nltk.corpus import stopwords as corpus

    return frozenset(corpus.words("english")) | _EXTRA_STOP


@lru_cache(maxsize=1)
def _stemmer():  # type: ignore[no-untyped-def]
    from nltk.stem import PorterStemmer

    return PorterStemmer()


@lru_cache(maxsize=4096)
def content_words(text: str) -> frozenset[str]:
    stop = stopwords()
    words = (w.lower().replace("’", "'") for w in _WORD.findall(text))
    return frozenset(normalise(w) for w in words if w not in stop and (len(w) > 1 or w.isdigit()))


@lru_cache(maxsize=65536)
def normalise(word: str) -> str:
    """A lowercase word as content_words compares it: numbers without commas, words stemmed."""
    if word[0].isdigit():
        return _number(word)
    word = word.removesuffix("'s")
    if word.endswith("ly") and len(word) > 5:  # Porter keeps "tacitly" apart from "tacit"
        word = word[:-2]
    return _stemmer().stem(_IRREGULAR.get(word, word))


def _number(token: str) -> str:
    return token.replace(",", "").rstrip(".")


def numbers(text: str) -> set[str]:
    return {_number(w) for w in _WORD.findall(text) if w[0].isdigit()}


def support(sentence: str, passage: str) -> float:
    """Share of the sentence's content words the passage has; 0 if a number is missing."""
    sentence = strip_markers(sentence)
    words = content_words(sentence)
    if not words:
        return 0.0
    if not numbers(sentence) <= numbers(passage):
        return 0.0
    return len(words & content_words(passage)) / len(words)


def markers(sentence: str) -> list[int]:
    return [int(n) for group in MARKER.findall(sentence) for n in re.split(r"\s*[,;]\s*", group)]


def strip_markers(sentence: str) -> str:
    return MARKER.sub("", sentence).strip()


def split_sentences(text: str) -> list[str]:
    """Answer text into sentences, keeping each sentence's trailing markers with it."""
    spans = sentence_spans(text, 0, len(text))
    out: list[str] = []
    for i, (s, _) in enumerate(spans):
        end = spans[i + 1][0] if i + 1 < len(spans) else len(text)
        piece = text[s:end].strip()
        if out and re.fullmatch(r"(\[\d+(?:\s*[,;]\s*\d+)*\]\s*)+", piece):
            out[-1] += " " + piece  # a marker that Punkt split off after the full stop
        elif piece:
            out.append(piece)
    return out


def instruction_spans(text: str) -> list[tuple[int, int]]:
    """Sentences of an article that try to instruct the model."""
    return [(s, e) for s, e in sentence_spans(text, 0, len(text)) if _INSTRUCTION.search(text[s:e])]


def mask_instructions(text: str) -> str:
    for s, e in reversed(instruction_spans(text)):
        text = text[:s] + "[instruction-like text removed]" + text[e:]
    return text


def best_quote(sentence: str, passage: str) -> tuple[int, int, float]:
    """(start, end, support) of the 1–2 contiguous passage sentences that back `sentence` best."""
    masked = instruction_spans(passage)
    spans = [sp for sp in sentence_spans(passage, 0, len(passage)) if sp not in masked]
    best = (0, len(passage), -1.0)
    for i, (s, e) in enumerate(spans):
        windows = [(s, e)] + ([(s, spans[i + 1][1])] if i + 1 < len(spans) else [])
        for ws, we in windows:
            score = support(sentence, passage[ws:we]) - 0.01 * (we - ws > e - s)
            if score > best[2]:
                best = (ws, we, score)
    return best
