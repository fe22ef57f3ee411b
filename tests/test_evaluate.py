"""The evaluation: metric definitions on known results, and the gate on a real extractive run."""

import dataclasses
import json

import pytest

from index.settings import Settings
from qa import engine as engine_module
from qa.measure import devset
from qa.measure import evaluate as ev

from .conftest import SEEDS


def test_question_set_has_the_required_mix():
    items = devset.load_items()
    answerable = [i for i in items if i.answerable and not i.turns]
    unanswerable = [i for i in items if not i.answerable]
    conversations = [i for i in items if i.turns]
    assert len(answerable) >= 30 and len(unanswerable) >= 8 and len(conversations) >= 5
    assert all(i.answers and i.sources for i in answerable)
    assert any(i.cues for i in unanswerable)  # near misses the articles say are unknown
    assert all(len(c.turns) >= 2 for c in conversations)


def test_answer_matching_ignores_case_markers_and_quote_style():
    item = devset.Item("x", "q", True, answers=("Myanmar’s access",))
    assert devset.answer_correct(item, "It reduced MYANMAR'S [2] access.")
    assert devset.answer_correct(item, "About 40% of myanmar’s  access [1].")
    assert not devset.answer_correct(item, "About 40% of Myanmar access [1].")
    assert devset.refusal_like("The articles don't say. The closest passages are listed below.")


def test_a_figure_matches_however_its_unit_is_spelled():
    share = devset.Item("p", "q", True, answers=("37 pct",))
    for said in ("Profit fell 37% [1].", "Profit fell 37 percent.", "a 37 per cent fall", "a 37 pct fall"):
        assert devset.answer_correct(share, said), said
    assert not devset.answer_correct(share, "Profit fell 3.7% [1].")
    money = devset.Item("m", "q", True, answers=("865 mln dlrs", "2.4 billion dlrs"))
    assert devset.answer_correct(money, "865 million dollars had been used.")
    assert devset.answer_correct(money, "worth 2.4 bln dlrs")
    assert not devset.answer_correct(money, "865 million yen had been used.")
    assert devset.answer_correct(money, "It earned $865 million [1].")
    assert devset.answer_correct(money, "worth $ 2.4 billion")
    assert not devset.answer_correct(money, "It earned $86 million, or 5 mln dlrs.")
    cents = devset.Item("c", "q", True, answers=("63 cts",))
    assert devset.answer_correct(cents, "a payment of 63 cents a bushel")


def test_another_entity_s_figure_counts_as_trapped_however_it_is_written():
    item = devset.Item("u", "What were Brenna Bancorp's assets?", False, trap=("257 mln dlrs",))
    assert devset.trapped(item, "Brenna Bancorp's total assets were 257 million dollars [1].")
    assert devset.trapped(item, "Its assets were 257 mln dlrs.")
    assert not devset.trapped(item, "Its assets were 25.7 mln dlrs.")
    assert not devset.trapped(item, "The articles don't say.")


def test_metrics_follow_their_definitions():
    R = ev.Result
    results = [
        R(
            "a1",
            "q",
            "x",
            False,
            True,
            "answerable",
            hit=True,
            rr=1.0,
            valid=2,
            citations=2,
            supported_answer=True,
            total_ms=100,
            first_token_ms=10,
        ),
        R(
            "a2",
            "q",
            "x",
            True,
            False,
            "answerable",
            hit=True,
            rr=0.5,
            valid=1,
            citations=1,
            total_ms=300,
            first_token_ms=30,
        ),
        R("u1", "q", "x", True, True, "unanswerable", valid=0, citations=1, total_ms=50, first_token_ms=5),
        R("c1", "q", "x", False, False, "followup", valid=1, citations=1, total_ms=200, first_token_ms=20),
    ]
    m = ev.metrics(results)
    assert m["answer_accuracy"] == 0.5 and m["false_refusal_rate"] == 0.5
    assert m["hit_at_k"] == 1.0 and m["mrr"] == 0.75
    assert m["citation_validity"] == 4 / 5 and m["citation_support"] == 1.0
    assert m["refusal_rate"] == 1.0 and m["followup_accuracy"] == 0.0


@pytest.mark.slow
def test_gate_passes_on_main_and_fails_on_a_deliberate_regression(tmp_path, monkeypatch):
    settings = Settings(data_dir=tmp_path / "data", backend="extractive")
    items = devset.load_items()
    good = ev.evaluate(settings, items, SEEDS)
    assert ev.gate(good, "extractive") == [], good.metrics
    floors = json.loads(devset.FLOORS.read_text())["extractive"]
    assert set(floors) == set(ev.GATED)  # every gated metric has a floor

    real = engine_module.make_citation

    def off_by_one(n, p, start, end, supported, flagged=False):  # a regression: offsets drift from quotes
        citation = real(n, p, start, end, supported, flagged)
        return dataclasses.replace(citation, start=citation.start + 1, end=citation.end + 1)

    monkeypatch.setattr(engine_module, "make_citation", off_by_one)
    bad = ev.evaluate(settings, items, SEEDS)
    problems = ev.gate(bad, "extractive")
    assert any(p.startswith("citation_validity") for p in problems), bad.metrics


def test_the_ungrounded_check_reads_the_date_line_and_nothing_else():
    from qa.contract import Answer, Citation
    from qa.measure.scores import ungrounded

    cite = Citation(
        1,
        "d",
        "a.txt",
        "Orvik To Buy Nordmjolk",
        "1991-03-20",
        0,
        9,
        "Orvik Foods will pay 230 mln crowns.",
        True,
    )

    def said(text):
        return ungrounded(Answer("q", "q", text, False, (cite,), "m"))

    assert said("On March 20, 1991, Orvik Foods said it will pay 230 mln crowns [1].") == []
    assert said("In April 1991, Orvik Foods said it will pay 230 mln crowns [1].") == ["April"]
    assert said("Orvik Foods will pay 250 mln crowns [1].") == ["250"]
    assert said("Orvik Foods' offer is 230 mln crowns; Orvik's bid stands [1].") == []  # possessives
    assert said("The offer by Halden's unit is 230 mln crowns [1].") == ["Halden's"]
    assert said("Orvik Foods will pay 230 mln crowns for OF4000 lines [1].") == ["4000", "OF4000"]
    cite = dataclasses.replace(cite, quote="Orvik Foods will pay 230 mln crowns for OF4000 lines.")
    assert said("Orvik Foods will pay 230 mln crowns for OF4000 lines [1].") == []  # a model number
