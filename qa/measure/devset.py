"""Question sets and the corpora they were written from, for `qa eval` and `qa bench`.

A question set is one JSON file with `answerable`, `unanswerable` and `conversations` lists
(see tests/eval/*/questions.json). Items may carry a `split` ("tune": thresholds may be fitted on
them; "check": held out, only reported). A corpus is a folder of articles or a `.tar.xz` of one,
unpacked once into a cache folder. Answer matching is lexical: an accepted variant appears in the
answer, case and whitespace ignored (ALCE's exact-match recall).

It does not index or answer anything (see `qa.measure.evaluate`).
"""

from __future__ import annotations

import json
import re
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SEED_QUESTIONS = ROOT / "tests" / "eval" / "questions.json"
FLOORS = ROOT / "tests" / "eval" / "floors.json"


@dataclass(frozen=True)
class Item:
    id: str
    question: str
    answerable: bool
    answers: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()  # file stems (or stem prefixes) of the articles that answer it
    cues: tuple[str, ...] = ()  # unanswerable: phrases by which an answer says the articles do not know
    turns: tuple[Item, ...] = ()  # conversations: the turns, each an answerable Item
    kind: str = ""
    split: str = ""
    trap: tuple[str, ...] = ()  # unanswerable: the wrong answer a careless system would give
    near: tuple[str, ...] = ()  # unanswerable: stories on the topic


def load_items(path: Path = SEED_QUESTIONS, split: str | None = None) -> list[Item]:
    """Every item of a question set, or only those of one split ("tune" / "check")."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    items = [_answerable(d) for d in data["answerable"]]
    items += [
        Item(
            d["id"],
            d["question"],
            False,
            cues=tuple(d.get("cues", ())),
            kind=d.get("kind", ""),
            split=d.get("split", ""),
            trap=tuple(d.get("trap", ())),
            near=tuple(d.get("near", ())),
        )
        for d in data["unanswerable"]
    ]
    for conv in data["conversations"]:
        turns = tuple(_answerable({"id": f"{conv['id']}.{i}", **t}) for i, t in enumerate(conv["turns"], 1))
        last = turns[-1]
        items.append(Item(conv["id"], last.question, True, turns=turns, split=conv.get("split", "")))
    return [i for i in items if split in (None, "all") or i.split == split]


def _answerable(d: dict[str, Any]) -> Item:
    return Item(
        d["id"],
        d["question"],
        True,
        tuple(d["answers"]),
        tuple(d["sources"]),
        kind=d.get("kind", ""),
        split=d.get("split", ""),
    )


def from_source(item: Item, source: str) -> bool:
    """Is this article one the item names? Stems match exactly or as a `prefix_` of the stem."""
    stem = Path(source).stem
    return any(stem == s or stem.startswith(f"{s}_") or stem[:3] == s for s in item.sources)


def norm(text: str) -> str:
    """Lower case, one space, no citation markers, straight quotes, and one spelling per unit: "37%",
    "37 percent" and "37 pct" are one answer, as are "865 million dollars", "$865 million" and "865 mln
    dlrs"."""
    text = text.replace("’", "'").replace("“", '"').replace("”", '"').lower()
    text = re.sub(r"\[\d+\]", " ", text)
    for pattern, unit in _UNITS:
        text = pattern.sub(unit, text)
    return " ".join(text.split())


_UNITS = [
    (re.compile(r"\s*%|\s+per\s*cent\b"), " pct"),
    (re.compile(r"\bmillion\b"), "mln"),
    (re.compile(r"\bbln\b"), "billion"),
    (re.compile(r"\bdollars\b"), "dlrs"),
    (re.compile(r"\bcents\b"), "cts"),
    # "$1.8 million" is "1.8 mln dlrs" (after "million" became "mln")
    (re.compile(r"\$\s?(\d+(?:,\d{3})*(?:\.\d+)?(?: (?:mln|billion|trillion)\b)?)"), r"\1 dlrs"),
]


def answer_correct(item: Item, text: str) -> bool:
    """An accepted answer variant appears in the text (case and whitespace ignored)."""
    return any(norm(a) in norm(text) for a in item.answers)


def trapped(item: Item, text: str) -> bool:
    """An unanswerable item answered with the other entity's figure (a swapped attribution), as
    written or as the same value ("257 mln" is "257 million")."""
    if not item.trap:
        return False
    if any(norm(t) in norm(text) for t in item.trap):
        return True
    from qa import text as nlp

    said = [n.values for n in nlp.analyse(text).numbers]
    for trap in item.trap:
        figures = [
            n.values for n in nlp.analyse(trap).numbers if not nlp.written_as_year(trap[n.start : n.end])
        ]
        if figures and all(any(f & s for s in said) for f in figures):
            return True
    return False


_REFUSAL = re.compile(
    r"articles don't say|not in (the )?articles|do(es)? not (say|mention|contain|provide|specify)|"
    r"no information|not mentioned|cannot answer|can't answer|not (provided|specified|stated)",
    re.I,
)


def refusal_like(text: str) -> bool:
    """Text that declines to answer (scores pipelines that have no `refused` flag)."""
    return bool(_REFUSAL.search(text))


def sample_folder(folder: Path, items: list[Item], extra: int, cache: Path) -> Path:
    """A smaller corpus for CI: every article the items name (answers and near misses), plus
    `extra` others spread evenly over the archive as distractors; links, made once under `cache`."""
    named = {s for i in items for s in (*i.sources, *i.near, *(s for t in i.turns for s in t.sources))}
    files = sorted(p for p in folder.iterdir() if p.is_file())
    step = max(1, len(files) // max(extra, 1))
    chosen = {p for p in files if p.stem in named} | set(files[::step][:extra])
    target = cache / f"{folder.name}-sample{extra}-{len(chosen)}"
    if not (target / ".done").is_file():
        target.mkdir(parents=True, exist_ok=True)
        for p in chosen:
            link = target / p.name
            if not link.exists():
                link.symlink_to(p.resolve())
        (target / ".done").write_text(str(len(chosen)))
    return target


def corpus_folder(path: Path, cache: Path) -> Path:
    """A folder of articles: `path` itself, or a `.tar.xz` of one unpacked once under `cache`."""
    path = Path(path)
    if path.is_dir():
        return path
    if not path.name.endswith((".tar.xz", ".tar.gz", ".tgz", ".tar")):
        raise FileNotFoundError(f"{path}: not a folder of articles or a .tar.xz of one")
    target = cache / path.name.split(".")[0]
    done = target / ".unpacked"
    if not done.is_file():
        target.mkdir(parents=True, exist_ok=True)
        with tarfile.open(path) as tar:
            tar.extractall(target, filter="data")
        done.write_text(path.name)
    folders = [p for p in target.iterdir() if p.is_dir()]
    return folders[0] if len(folders) == 1 else target
