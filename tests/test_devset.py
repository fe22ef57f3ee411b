"""The Reuters development set is checked against its stories: every accepted answer is where the
item says it is, every trap is a real figure of another entity, and the set has the required mix.
So are the fresh sets (fresh.json, then fresh2.json to fresh11.json, each when the one
before had been read): written later, by someone who had not seen the answering code, from stories no earlier
set uses, to measure on questions nothing was developed on.

Needs the archive at ../shared/corpora/reuters-21578.tar.xz (skipped with a reason when absent)."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from qa.measure.devset import corpus_folder, norm

from .conftest import ROOT

DEVSET = ROOT / "tests" / "eval" / "reuters" / "questions.json"
# the smallest mix (answerable, unanswerable, conversations) each fresh set was written to, oldest first
FRESH_MIX = {"fresh.json": (60, 24, 8), "fresh2.json": (40, 16, 5), "fresh3.json": (42, 20, 6),
             "fresh4.json": (45, 20, 6), "fresh5.json": (50, 22, 6), "fresh6.json": (55, 24, 6),
             "fresh7.json": (60, 26, 7), "fresh8.json": (80, 30, 8), "fresh9.json": (80, 30, 8),
             "fresh10.json": (95, 35, 9), "fresh11.json": (100, 37, 9)}  # fmt: skip
SETS = [DEVSET, *(DEVSET.with_name(name) for name in FRESH_MIX)]
ARCHIVE = ROOT.parent / "shared" / "corpora" / "reuters-21578.tar.xz"


@pytest.fixture(
    scope="module",
    params=SETS,
    ids=["devset", *(name.removesuffix(".json") for name in FRESH_MIX)],
)
def data(request):
    return {**json.loads(request.param.read_text(encoding="utf-8")), "file": request.param.name}


@pytest.fixture(scope="module")
def story(tmp_path_factory):
    if not ARCHIVE.is_file():
        pytest.skip(f"the development archive is not at {ARCHIVE} (see ../shared/corpora/README.md)")
    folder = corpus_folder(ARCHIVE, tmp_path_factory.mktemp("corpora"))

    def read(stem: str) -> str:
        return " ".join((folder / f"{stem}.txt").read_text(encoding="utf-8").split())

    return read


def _answerable(data):
    yield from data["answerable"]
    for conv in data["conversations"]:
        yield from conv["turns"]


def test_set_has_the_required_mix_and_both_halves(data):
    ids = [d["id"] for d in data["answerable"] + data["unanswerable"] + data["conversations"]]
    assert len(ids) == len(set(ids))
    assert all(len(c["turns"]) >= 2 for c in data["conversations"])
    kinds = Counter(d["kind"] for d in data["unanswerable"])
    assert kinds["missing_figure"] + kinds["other_entity"] >= len(data["unanswerable"]) / 2  # near misses
    splits = {
        part: Counter(d["split"] for d in data[part])
        for part in ("answerable", "unanswerable", "conversations")
    }
    if all(set(s) == {"fresh"} for s in splits.values()):
        mix = (len(data["answerable"]), len(data["unanswerable"]), len(data["conversations"]))
        assert all(n >= least for n, least in zip(mix, FRESH_MIX[data["file"]], strict=True))
        return
    assert len(data["answerable"]) >= 100 and len(data["unanswerable"]) >= 40
    assert len(data["conversations"]) >= 12
    for part, split in splits.items():
        assert set(split) == {"tune", "check"} and abs(split["tune"] - split["check"]) <= 4, part


def test_each_fresh_set_uses_no_story_of_an_earlier_set():
    sets = [json.loads(path.read_text(encoding="utf-8")) for path in SETS]

    def stems(data):
        found = {s for d in _answerable(data) for s in d["sources"]}
        return found | {s for d in data["unanswerable"] for s in d.get("near", [])}

    for i, later in enumerate(sets[1:], 1):
        for earlier in sets[:i]:
            assert not stems(earlier) & stems(later)


def test_every_accepted_answer_is_in_its_evidence_and_every_source(data, story):
    problems = []
    for d in _answerable(data):
        evidence = " ".join(d["evidence"].split())
        if evidence not in story(d["sources"][0]):
            problems.append(f"{d['question']}: evidence not in {d['sources'][0]}")
        if not any(norm(a) in norm(evidence) for a in d["answers"]):
            problems.append(f"{d['question']}: no accepted answer in the evidence")
        for source in d["sources"]:
            if not any(norm(a) in norm(story(source)) for a in d["answers"]):
                problems.append(f"{d['question']}: no accepted answer in {source}")
    assert problems == []


def test_traps_are_real_figures_of_another_entity(data, story):
    problems = []
    for d in data["unanswerable"]:
        near = " ".join(story(s) for s in d.get("near", []))
        if d["kind"] == "other_entity" and not any(norm(t) in norm(near) for t in d["trap"]):
            problems.append(f"{d['id']}: trap not in its near stories")
    assert problems == []
