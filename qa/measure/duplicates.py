"""Precision and recall of "same story" on labelled article pairs (tests/eval/duplicate_pairs.json).

Each labelled pair (identical / update / same_topic / unrelated, read by a person) is run through
the product's own comparison (`index.duplicates`: the same reading, chunking, embedding and
features as `qa index`), and the predicted relation is scored against the label. "Same story" =
identical or update. The pairs are split in two fixed halves by a hash of their ids: thresholds
may be fitted on "fit" only; "check" is held out and only reported. `fit` searches the thresholds
on a half for precision >= the target at the highest recall.

It needs the corpus the pairs were drawn from (a folder or .tar.xz, passed in by the caller).
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from index.settings import DuplicateSettings

ROOT = Path(__file__).resolve().parents[2]
PAIRS = ROOT / "tests" / "eval" / "duplicate_pairs.json"
LABELS = ("identical", "update", "same_topic", "unrelated")


@dataclass(frozen=True)
class Pair:
    a: str
    b: str
    label: str
    half: str  # "fit" or "check"


@dataclass
class Scores:
    half: str
    pairs: int
    precision: float
    recall: float
    tp: int
    fp: int
    fn: int
    confusion: dict[str, dict[str, int]] = field(default_factory=dict)  # label -> predicted -> count


def load_pairs(path: Path = PAIRS) -> list[Pair]:
    data = json.loads(path.read_text(encoding="utf-8"))["pairs"]
    return [Pair(p["a"], p["b"], p["label"], _half(p["a"], p["b"])) for p in data]


def _half(a: str, b: str) -> str:
    return "fit" if hashlib.sha256(f"{a}-{b}".encode()).digest()[0] % 2 == 0 else "check"


def profiles(pairs: list[Pair], folder: Path, embedder: Any, chunk_tokens: int) -> dict[str, Any]:
    """doc id -> (Profile, mean vector) for every article in the pairs, from `folder`/NNNNN.txt,
    read, chunked and embedded exactly as `qa index` does."""
    from index.articles import load_article
    from index.chunking import chunk_article
    from index.duplicates import mean_vector, profile

    out = {}
    for doc in sorted({p.a for p in pairs} | {p.b for p in pairs}):
        path = folder / f"{doc}.txt"
        a = load_article(path, str(path))
        body = "\n".join(a.text[s:e] for s, e in a.segments)
        chunks = chunk_article(a.text, a.segments, chunk_tokens)
        vectors = embedder.embed([f"{a.title}\n{c.text}" for c in chunks])
        out[doc] = (profile(doc, a.title, body, a.date), mean_vector(vectors), vectors)
    return out


def pair_features(pairs: list[Pair], profs: dict[str, Any], min_chunks: int = 3) -> dict[Pair, Any]:
    from dataclasses import replace

    from index.duplicates import features, paraphrase_share

    out = {}
    for p in pairs:
        (a, mean_a, vectors_a), (b, mean_b, vectors_b) = profs[p.a], profs[p.b]
        f = features(a, b, float(mean_a @ mean_b))
        out[p] = replace(f, paraphrase=paraphrase_share(vectors_a, vectors_b, min_chunks))
    return out


def score(feats: dict[Pair, Any], settings: DuplicateSettings, half: str) -> Scores:
    from index.duplicates import classify

    tp = fp = fn = 0
    confusion: dict[str, Counter[str]] = {label: Counter() for label in LABELS}
    for pair, f in feats.items():
        if half != "all" and pair.half != half:
            continue
        predicted = classify(f, settings) or "unrelated"
        confusion[pair.label][predicted] += 1
        truth, said = pair.label in ("identical", "update"), predicted in ("identical", "update")
        tp, fp, fn = tp + (truth and said), fp + (said and not truth), fn + (truth and not said)
    n = sum(sum(c.values()) for c in confusion.values())
    return Scores(half, n, tp / max(tp + fp, 1), tp / max(tp + fn, 1), tp, fp, fn,
                  {k: dict(v) for k, v in confusion.items()})  # fmt: skip


GRID = {
    "same_story_containment": (0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.7),
    "same_story_numbers": (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0),
    "same_story_cosine": (0.0, 0.8, 0.85, 0.9),
    "max_days_apart": (0, 1, 2, 3, 5, 7, 30, 3650),
}


def fit(feats: dict[Pair, Any], base: DuplicateSettings, target: float = 0.95) -> DuplicateSettings:
    """Thresholds at the highest recall on the "fit" half whose precision stays >= target even with
    one more false positive than seen (a margin against fitting the half's luck); ties: stricter."""
    best: tuple[tuple[float, float, float], DuplicateSettings] | None = None
    for values in itertools.product(*GRID.values()):
        candidate = base.model_copy(update=dict(zip(GRID, values)))
        s = score(feats, candidate, "fit")
        key = (s.recall, s.precision, _strictness(candidate))
        cautious = s.tp / (s.tp + s.fp + 1)
        if cautious >= target and (best is None or key > best[0]):
            best = (key, candidate)
    return best[1] if best else base


def _strictness(s: DuplicateSettings) -> float:
    """Among equally good thresholds, the strictest: fewer same-story claims on unseen pairs."""
    return (s.same_story_containment + s.same_story_numbers + s.same_story_cosine) - s.max_days_apart / 100


def summary(feats: dict[Pair, Any]) -> dict[str, dict[str, float]]:
    """Median of each feature per label (to see what separates the classes)."""
    out: dict[str, dict[str, float]] = {}
    for label in LABELS:
        rows = [f for p, f in feats.items() if p.label == label]
        if rows:
            out[label] = {
                "n": len(rows),
                "resemblance": float(np.median([f.resemblance for f in rows])),
                "numbers": float(np.median([f.numbers for f in rows])),
                "cosine": float(np.median([f.cosine for f in rows])),
            }
    return out
