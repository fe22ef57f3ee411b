"""The answering engine over real articles (real MiniLM, real Chroma, real spaCy), with a scripted
LLM where a test needs a model to say something specific. The articles here were written for
these tests; the seeds are only a smoke test."""

import re
import shutil

import numpy as np
import pytest

from index.articles import read_text
from index.embedding import make_embedder
from index.errors import BadInputError, CancelledError
from index.ingest import run_index
from index.settings import Settings, TrustSettings
from index.store import Store
from qa import text as nlp
from qa.contract import Turn
from qa.engine import Engine, build_engine
from qa.measure.scores import ungrounded
from qa.stages import draft, evidence, rewrite
from qa.stages import question as asking
from qa.stages.retrieve import Passage, Retriever

from .conftest import SEEDS
from .fakes import ScriptedLLM

ARTICLES = {
    "halvorsen.txt": """Halvorsen Marine Posts Fourth-Quarter Loss
12-MAR-1991

Halvorsen Marine Corp said it had a fourth-quarter pre-tax loss of 470 mln dlrs, after
writing down the value of its tanker fleet.
    The Oslo-based shipping group said charter rates fell by a third during the quarter.
    Rival Kestrel Shipping, which reports its results next week, has also cut charter rates,
industry analysts said.
""",
    "kestrel.txt": """Kestrel Shipping Names New Chairman
14-MAR-1991

Kestrel Shipping Inc said its board named Maria Lindqvist chairman, succeeding Tomas Berg,
who retires at the end of the month.
    Lindqvist, 52, has been the company's chief financial officer since 1986.
""",
    "orvik.txt": """Orvik Foods To Buy Dairy Maker
20-MAR-1991

Orvik Foods AB said it agreed to buy the dairy maker Nordmjolk for 230 mln crowns in cash.
    The purchase is expected to close in June, Orvik said.
""",
}


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    root = tmp_path_factory.mktemp("engine")
    shutil.copytree(SEEDS, root / "articles")
    for name, text in ARTICLES.items():
        (root / "articles" / name).write_text(text, encoding="utf-8")
    settings = Settings(data_dir=root / "data", backend="extractive")
    run_index(Store(settings), make_embedder(settings), [str(root / "articles")], settings.chunk_tokens)
    return settings


def index_one(root, name, text):
    """Settings of an archive of one article, indexed under `root`."""
    (root / "articles").mkdir()
    (root / "articles" / name).write_text(text, encoding="utf-8")
    settings = Settings(data_dir=root / "data", backend="extractive")
    run_index(Store(settings), make_embedder(settings), [str(root / "articles")], settings.chunk_tokens)
    return settings


def engine_with(settings, llm, judged=True):
    """The engine with this LLM; its yes/no judgement is used (as a measured model's) when `judged`."""
    if judged and llm is not None:
        settings = settings.replace(trust={**settings.trust.model_dump(), "judge_models": (llm.name,)})
    return Engine(settings, Retriever(Store(settings), make_embedder(settings)), llm)


def assert_citations_exact(answer):
    for c in answer.citations:
        assert read_text(c.source)[c.start : c.end] == c.quote
    used = {int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)}
    assert used <= {c.n for c in answer.citations}


def test_extractive_answer_quotes_the_sentence_that_holds_it(indexed):
    answer = build_engine(indexed).ask("How much will Orvik Foods pay for Nordmjolk?")
    assert not answer.refused and "230 mln crowns" in answer.answer
    assert answer.citations and all(c.supported for c in answer.citations)
    assert_citations_exact(answer)
    assert set(answer.timings) == {"retrieve_ms", "first_quote_ms", "first_token_ms", "total_ms"}


def test_a_figure_of_another_company_is_never_attributed(indexed):
    """The question names Kestrel; the only pre-tax loss in the archive is Halvorsen's, in an
    article that also mentions Kestrel. Neither backend may answer with it."""
    question = "What was Kestrel Shipping's fourth-quarter pre-tax loss?"
    llm = ScriptedLLM(["Kestrel Shipping had a fourth-quarter pre-tax loss of 470 mln dlrs [1]."])
    for engine in (build_engine(indexed), engine_with(indexed, llm)):
        answer = engine.ask(question)
        assert "470" not in answer.answer, answer.answer
        assert answer.refused
    assert llm.prompts == []  # refused from the evidence, before any model was asked


def test_the_right_company_s_figure_is_answered(indexed):
    llm = ScriptedLLM(["Halvorsen Marine had a fourth-quarter pre-tax loss of 470 mln dlrs [1]."])
    answer = engine_with(indexed, llm).ask("What was Halvorsen Marine's fourth-quarter pre-tax loss?")
    assert not answer.refused and "470 mln dlrs" in answer.answer
    assert_citations_exact(answer)


def test_a_model_sentence_that_swaps_the_company_is_removed(indexed):
    llm = ScriptedLLM(
        ["Halvorsen Marine lost 470 mln dlrs before tax [1]. Kestrel Shipping lost 470 mln dlrs too [1]."]
    )
    answer = engine_with(indexed, llm).ask("What was Halvorsen Marine's fourth-quarter pre-tax loss?")
    assert "Kestrel" not in answer.answer.split("\n\n")[0]
    assert any("Kestrel" in s for s in answer.removed_sentences)


def test_a_window_the_model_judges_unanswering_is_refused_before_any_draft(indexed):
    """The evidence answers, but the model reads the window and says no (P(yes) = 0.05): the
    question is refused with the closest passages, and no answer is drafted."""
    question = "What was Halvorsen Marine's fourth-quarter pre-tax loss?"
    llm = ScriptedLLM(
        ["Halvorsen Marine had a fourth-quarter pre-tax loss of 470 mln dlrs [1]."], judgement=0.05
    )
    answer = engine_with(indexed, llm).ask(question)
    assert answer.refused and "470" not in answer.answer
    assert len(llm.judged) == 1 and llm.prompts == []  # judged once, never drafted
    judged = llm.judged[0][1]["content"]
    assert question in judged and "470 mln dlrs" in judged  # the question and the window it judged
    assert any("does not seem to state the answer" in note for note in answer.notes)


def test_a_window_the_model_judges_answering_is_answered(indexed):
    llm = ScriptedLLM(
        ["Halvorsen Marine had a fourth-quarter pre-tax loss of 470 mln dlrs [1]."], judgement=0.9
    )
    answer = engine_with(indexed, llm).ask("What was Halvorsen Marine's fourth-quarter pre-tax loss?")
    assert not answer.refused and "470 mln dlrs" in answer.answer
    assert "judge_ms" in answer.timings and len(llm.judged) == 1


def test_a_model_that_cannot_judge_leaves_the_decision_to_the_evidence(indexed):
    llm = ScriptedLLM(
        ["Halvorsen Marine had a fourth-quarter pre-tax loss of 470 mln dlrs [1]."], judgement=None
    )
    answer = engine_with(indexed, llm).ask("What was Halvorsen Marine's fourth-quarter pre-tax loss?")
    assert not answer.refused and "470 mln dlrs" in answer.answer


def test_a_model_whose_judgement_was_never_measured_is_not_asked(indexed):
    said = "Halvorsen Marine had a fourth-quarter pre-tax loss of 470 mln dlrs [1]."
    llm = ScriptedLLM([said], judgement=0.05)
    question = "What was Halvorsen Marine's fourth-quarter pre-tax loss?"
    answer = engine_with(indexed, llm, judged=False).ask(question)
    assert not answer.refused and "470 mln dlrs" in answer.answer
    assert llm.judged == []


def test_off_topic_question_is_refused_without_asking_the_model(indexed):
    llm = ScriptedLLM(["France won the 2022 World Cup [1]."])
    answer = engine_with(indexed, llm).ask("Who won the 2022 World Cup?")
    assert answer.refused and answer.answer.startswith("The articles don't say")
    assert llm.prompts == []
    assert answer.citations and not any(c.supported for c in answer.citations)  # closest passages
    assert_citations_exact(answer)


def test_invented_markers_never_reach_the_user(indexed):
    llm = ScriptedLLM(["Maria Lindqvist was named chairman of Kestrel Shipping [1][9]."])
    answer = engine_with(indexed, llm).ask("Who did Kestrel Shipping name as chairman?")
    assert not answer.refused and "[9]" not in answer.answer
    assert [c.n for c in answer.citations] == [1]
    assert_citations_exact(answer)


def test_an_invented_number_is_removed_and_reported(indexed):
    llm = ScriptedLLM(["Orvik Foods will pay 230 mln crowns [1]. It also owes 900 mln crowns in debt [1]."])
    answer = engine_with(indexed, llm).ask("How much will Orvik Foods pay for Nordmjolk?")
    assert "900" not in answer.answer and any("900" in s for s in answer.removed_sentences)
    assert "230 mln crowns" in answer.answer


def test_a_number_glued_to_a_word_is_still_checked(indexed):
    # small models sometimes drop the space before digits: "to900", "May1999" must not slip past
    llm = ScriptedLLM(["Orvik Foods will pay 230 mln crowns [1]. It also owes about900 mln crowns [1]."])
    answer = engine_with(indexed, llm).ask("How much will Orvik Foods pay for Nordmjolk?")
    assert "900" not in answer.answer and any("about 900 mln" in s for s in answer.removed_sentences)
    assert "230 mln crowns" in answer.answer


LONG_ARTICLE = """Brevik Holdings Forms Machinery Unit
02-APR-1991

Brevik Holdings Inc said it formed a new subsidiary, Tarn Industries, to hold its machinery businesses.
    Brevik, which is based in Chicago, said the unit would have annual sales of about 400 mln dlrs.
    The machinery businesses make pumps, valves and compressors for the oil and chemical industries.
    They employ about 3,000 people at eleven plants in the United States and Canada.
    Brevik said the businesses had been run as separate divisions with their own sales forces.
    Combining them would cut overhead costs and let the unit bid for larger contracts, it said.
    Analysts said the move could prepare the unit for a sale or a public offering later.
    Brevik declined to comment on those reports.
    Tarn Industries will set up its headquarters in Denver, the company said.
"""


def test_a_name_the_question_did_not_ask_about_must_be_in_the_cited_passage(tmp_path):
    settings = index_one(tmp_path, "brevik.txt", LONG_ARTICLE)
    q = "Where will Tarn Industries set up its headquarters?"
    # "Chicago" is in the article but not in the passage cited: a claim, not the question's subject
    llm = ScriptedLLM(["Tarn Industries will set up its headquarters in Denver, not in Chicago [1]."])
    answer = engine_with(settings, llm).ask(q)
    assert "Chicago" not in answer.answer and any("Chicago" in s for s in answer.removed_sentences)
    assert "Denver" in answer.answer and not answer.refused
    # the question's own subject may be restated from anywhere in its article
    llm = ScriptedLLM(["Brevik Holdings' Tarn Industries will set up its headquarters in Denver [1]."])
    answer = engine_with(settings, llm).ask(
        "Where will Brevik Holdings' Tarn Industries set up its headquarters?"
    )
    assert answer.answer.startswith("Brevik Holdings' Tarn Industries will") and not answer.removed_sentences


def test_a_reason_the_passage_does_not_give_is_removed_though_the_question_s_words_are_there(indexed):
    """Restating the question is no support: the words the sentence adds must be in its quote."""
    llm = ScriptedLLM(["Halvorsen Marine had a fourth-quarter loss because it was unprofitable [1]."])
    answer = engine_with(indexed, llm).ask("Why did Halvorsen Marine have a fourth-quarter loss?")
    assert "unprofitable" not in answer.answer and any("unprofitable" in s for s in answer.removed_sentences)
    assert "tanker fleet" in answer.answer  # the quote that does give the reason


def test_the_month_and_year_of_the_article_s_date_line_support_a_sentence(indexed):
    q = "How much will Orvik Foods pay for Nordmjolk?"
    said = "In March 1991, Orvik Foods agreed to pay 230 mln crowns for Nordmjolk [1]."
    answer = engine_with(indexed, ScriptedLLM([said])).ask(q)  # the article is dated 20-MAR-1991
    assert answer.answer.startswith("In March 1991, Orvik") and not answer.removed_sentences
    wrong = "In April 1991, Orvik Foods agreed to pay 230 mln crowns for Nordmjolk [1]."
    answer = engine_with(indexed, ScriptedLLM([wrong])).ask(q)
    assert "April" not in answer.answer and answer.removed_sentences


def test_a_figure_written_wrongly_is_removed_though_its_value_matches(indexed):
    llm = ScriptedLLM(["Orvik Foods will pay 2,30 mln crowns [1]. It will pay 230 mln crowns [1]."])
    answer = engine_with(indexed, llm).ask("How much will Orvik Foods pay for Nordmjolk?")
    assert "2,30" not in answer.answer and any("2,30" in s for s in answer.removed_sentences)


def test_a_sentence_without_marker_gets_the_passage_that_supports_it(indexed):
    llm = ScriptedLLM(["Orvik Foods agreed to buy Nordmjolk for 230 mln crowns in cash."])
    answer = engine_with(indexed, llm).ask("How much will Orvik Foods pay for Nordmjolk?")
    assert re.search(r"230 mln crowns in cash \[1\]\.", answer.answer), answer.answer
    assert "230 mln crowns" in answer.citations[0].quote
    assert_citations_exact(answer)


def test_markers_and_lead_ins_of_a_model_are_read_sentence_by_sentence(indexed):
    # the sentence splitter reads "[" as a boundary ("... AB. [" / "1]."): markers must stay with
    # their sentence, and "According to the passage" is the prompt's layout, not the answer
    said = (
        "According to the passage [1], Orvik Foods AB agreed to buy Nordmjolk for 230 mln crowns in "
        "cash [1]. The purchase is expected to close in June [1]."
    )
    answer = engine_with(indexed, ScriptedLLM([said])).ask("How much will Orvik Foods pay for Nordmjolk?")
    assert answer.answer.startswith("Orvik Foods AB agreed to buy Nordmjolk for 230 mln crowns in cash [1]. ")
    assert re.search(r"close in June \[\d\]\.$", answer.answer) and not answer.removed_sentences
    assert not re.search(r"\[(?!\d)|(?<![\d])\]", answer.answer)
    assert_citations_exact(answer)


def test_a_closing_pointer_to_the_passage_is_the_prompt_s_layout_not_a_claim(indexed):
    said = (
        "Orvik Foods agreed to buy Nordmjolk for 230 mln crowns in cash, as stated in [ 1]. "
        "This can be found in [1]."
    )
    answer = engine_with(indexed, ScriptedLLM([said])).ask("How much will Orvik Foods pay for Nordmjolk?")
    assert answer.answer == "Orvik Foods agreed to buy Nordmjolk for 230 mln crowns in cash [1]."
    assert not answer.removed_sentences
    assert_citations_exact(answer)


def test_a_passage_copied_whole_with_its_headline_in_quotation_marks_is_its_sentence(indexed):
    said = (
        'The passage from states that "Orvik Foods To Buy Dairy Maker (1991-03-20): Orvik Foods AB said '
        'it agreed to buy the dairy maker Nordmjolk for 230 mln crowns in cash [1]."'
    )
    answer = engine_with(indexed, ScriptedLLM([said])).ask("How much will Orvik Foods pay for Nordmjolk?")
    assert answer.answer.startswith(
        "Orvik Foods AB said it agreed to buy the dairy maker Nordmjolk for 230 mln"
    )
    assert '"' not in answer.answer and not answer.removed_sentences
    assert_citations_exact(answer)


def test_a_sentence_about_where_the_answer_was_found_is_left_out(indexed):
    said = (
        "Orvik Foods agreed to buy Nordmjolk for 230 mln crowns in cash [1]. "
        "This information is found in Orvik Foods To Buy Dairy Maker [1]."
    )
    answer = engine_with(indexed, ScriptedLLM([said])).ask("How much will Orvik Foods pay for Nordmjolk?")
    assert "230 mln crowns" in answer.answer and "information" not in answer.answer


def test_a_model_that_answers_the_wrong_kind_of_thing_is_replaced_by_the_quote(indexed):
    llm = ScriptedLLM(["Orvik Foods is buying a dairy maker [1]."])
    answer = engine_with(indexed, llm).ask("How much will Orvik Foods pay for Nordmjolk?")
    assert "230 mln crowns" in answer.answer and not answer.refused


def test_follow_up_pronoun_is_resolved_without_a_model_call(indexed):
    llm = ScriptedLLM(["Maria Lindqvist has been chief financial officer since 1986 [1]."])
    history = [Turn("Who did Kestrel Shipping name as chairman?", "Maria Lindqvist was named chairman [1].")]
    events = list(
        engine_with(indexed, llm).stream("Since when has she been its chief financial officer?", history)
    )
    assert events[0].kind == "rewritten" and "Maria Lindqvist" in events[0].text
    answer = events[-1].answer
    assert "1986" in answer.answer and len(llm.prompts) == 1  # the answer, no rewrite call


def test_follow_up_without_a_pronoun_carries_the_previous_question(indexed):
    history = [Turn("How much will Orvik Foods pay for Nordmjolk?", "230 mln crowns [1].")]
    answer = build_engine(indexed).ask("And when will it close?", history)
    assert "Orvik" in answer.rewritten_question
    assert "June" in answer.answer


def test_a_follow_up_that_names_no_one_carries_the_conversation():
    """A follow-up pointing back with "the purchase" needs the conversation as one with "it" does;
    a question that names someone stands alone."""
    history = [Turn("How much will Orvik Foods pay for Nordmjolk?", "230 mln crowns [1].")]
    question = "Which investment bank is advising the buyer on the purchase?"
    standalone = rewrite.rewrite(question, history)
    assert "Orvik Foods" in standalone and standalone.startswith(question)
    assert rewrite.rewrite("When will Kestrel Shipping name a chairman?", history) == (
        "When will Kestrel Shipping name a chairman?"
    )


def test_a_nameless_follow_up_is_never_answered_about_someone_else(indexed):
    # "its" is Kestrel Shipping; the archive's only pre-tax loss is that of Halvorsen Marine, whose
    # article mentions Kestrel as a rival
    history = [Turn("Who did Kestrel Shipping name as chairman?", "Maria Lindqvist [1].")]
    question = "What was its fourth-quarter pre-tax loss?"
    assert build_engine(indexed).ask(question, history).refused
    llm = ScriptedLLM(["It had a fourth-quarter pre-tax loss of 470 mln dlrs [1]."])
    answer = engine_with(indexed, llm).ask(question, history)
    assert answer.refused and "470" not in answer.answer
    # the same question about the company it was asked of is answered
    history = [Turn("Why did Halvorsen Marine write down its tanker fleet?", "[1]")]
    assert "470 mln dlrs" in build_engine(indexed).ask(question, history).answer


def test_stream_yields_verified_sentences_then_the_answer(indexed):
    llm = ScriptedLLM(
        [
            "Orvik Foods will buy Nordmjolk for 230 mln crowns [1]. Cats can fly [2]. "
            "The purchase closes in June [1]."
        ]
    )
    events = list(engine_with(indexed, llm).stream("How much will Orvik Foods pay for Nordmjolk?"))
    deltas = [e.text for e in events if e.kind == "delta"]
    assert len(deltas) == 2 and not any("Cats" in d for d in deltas)
    assert "".join(deltas).strip() == events[-1].answer.answer.split("\n\n")[0]


def test_a_set_cancel_event_stops_the_model(indexed):
    import threading

    cancel = threading.Event()
    cancel.set()
    llm = ScriptedLLM(["Orvik Foods will pay 230 mln crowns [1]."])
    with pytest.raises(CancelledError):
        list(engine_with(indexed, llm).stream("How much will Orvik Foods pay for Nordmjolk?", cancel=cancel))


def test_bad_questions_are_clear_errors(indexed):
    engine = build_engine(indexed)
    for bad in ("", "   ", None, 42, "x" * 10_000):
        with pytest.raises(BadInputError, match="question"):
            engine.ask(bad)


def test_seed_smoke_questions(indexed):
    engine = build_engine(indexed)
    assert "Three Brotherhood Alliance" in engine.ask("Who launched Operation 1027?").answer
    answer = engine.ask("How many civilians have been displaced by the current fighting?")
    assert "335,000" in answer.answer
    assert any("Sources differ" in n for n in answer.notes), answer.notes
    assert_citations_exact(answer)


def test_the_verified_quote_comes_before_the_model_speaks(indexed):
    llm = ScriptedLLM(["Orvik Foods will pay 230 mln crowns in cash [1]."])
    events = list(engine_with(indexed, llm).stream("How much will Orvik Foods pay for Nordmjolk?"))
    assert [e.kind for e in events[:3]] == ["rewritten", "quote", "delta"]
    quote = events[1]
    assert "230 mln crowns" in quote.text and quote.citation is not None
    assert read_text(quote.citation.source)[quote.citation.start : quote.citation.end] == quote.citation.quote
    timings = events[-1].answer.timings
    assert timings["first_quote_ms"] <= timings["first_token_ms"] <= timings["total_ms"]


def test_a_refusal_sends_no_quote(indexed):
    events = list(engine_with(indexed, ScriptedLLM(["x"])).stream("Who won the 2022 World Cup?"))
    assert "quote" not in [e.kind for e in events] and events[-1].answer.refused


def test_dates_narrow_the_articles_an_answer_may_use(indexed):
    engine = build_engine(indexed)
    question = "What was Halvorsen Marine's fourth-quarter pre-tax loss?"
    assert not engine.ask(question, until="1991-03-12").refused  # the article is dated 12-MAR-1991
    assert engine.ask(question, since="1991-03-13").refused
    none = engine.ask(question, since="2030-01-01")  # no article at all: said so, not "not said"
    assert none.refused and none.citations == () and "no passage was found" in none.answer
    assert "no article is dated on or after 2030-01-01" in none.notes[0]
    with pytest.raises(BadInputError, match="YYYY-MM-DD"):
        engine.ask(question, since="12 March")


CLOSE = "How much cash did Orvik Foods agree on for the acquisition of the dairy maker Nordmjolk?"  # "buy"


def test_close_evidence_is_answered_only_by_a_checked_model_sentence(indexed):
    """The article says "buy", the question "acquisition": close evidence, not plain. Without a model
    it is refused; with one, a checked sentence answers, while a refusal or an unchecked figure from
    the model leaves a refusal, never the quote alone. Asked for a value, the model is not invited
    to refuse (the checks decide), but may."""
    extractive = build_engine(indexed).ask(CLOSE)
    assert extractive.refused and "plainly" in extractive.notes[0]

    right = "Orvik Foods agreed to buy Nordmjolk for 230 mln crowns in cash [1]."
    llm = ScriptedLLM([right])
    events = list(engine_with(indexed, llm).stream(CLOSE))
    assert llm.prompts[0][0]["content"] == draft.SYSTEM_OPEN
    assert "quote" not in [e.kind for e in events]  # nothing shown before it is checked
    answer = events[-1].answer
    assert not answer.refused and "230 mln crowns" in answer.answer
    assert_citations_exact(answer)

    for said in ("NOT IN ARTICLES", "Orvik Foods agreed to pay 250 mln crowns for Nordmjolk [1]."):
        answer = engine_with(indexed, ScriptedLLM([said])).ask(CLOSE)
        assert answer.refused and "230" not in answer.answer, said

    off = indexed.replace(trust=indexed.trust.model_copy(update={"max_missing_model": 0.2}))
    assert engine_with(off, ScriptedLLM([right])).ask(CLOSE).refused  # off: plain evidence only

    llm = ScriptedLLM([right])  # plain evidence: the model may say the articles do not answer
    engine_with(indexed, llm).ask("How much will Orvik Foods pay for Nordmjolk?")
    assert llm.prompts[0][0]["content"] == draft.SYSTEM


def test_close_evidence_for_a_name_is_drafted_without_inviting_a_refusal(indexed):
    """Not only values: asked which company, the model told it may refuse declines a paraphrase."""
    llm = ScriptedLLM(["Orvik Foods agreed to buy the dairy maker Nordmjolk [1]."])
    answer = engine_with(indexed, llm).ask("Which dairy maker did Orvik Foods agree on the acquisition of?")
    assert llm.prompts[0][0]["content"] == draft.SYSTEM_OPEN
    assert not answer.refused and "Nordmjolk" in answer.answer


SALE_ARTICLES = {
    "lintar.txt": """Corvane Systems Sells Printing Unit
5-APR-1991

Corvane Systems Inc said it sold its printing unit Lintar Graphics to Aldmore Bank for an
undisclosed sum.
    Lintar, based in Freiburg, had revenues in 1990 of more than 200 mln dlrs, the company said.
""",
    "tolland.txt": """Brenna Bancorp To Merge With Tolland
2-JUN-1991

Brenna Bancorp and Tolland Bancorp said they agreed to merge.
    Tolland Bancorp has assets of 257 mln dlrs and is the parent of Tolland Savings Bank. The
companies said each Tolland share will be exchanged for one share of Brenna Bancorp.
""",
    "mertz.txt": """Mertz Bancorp Raises Dividend
4-JUN-1991

Mertz Bancorp said it raised its quarterly dividend to 12 cts a share from 10 cts. Analysts said
bank holding companies such as Mertz Bancorp and Alder Bancorp have cut costs this year.
""",
    "kettle.txt": """Halvard Foods To Buy Morrow Stores Unit
11-APR-1991

Halvard Foods Inc said it agreed to buy the Kettle River division of Morrow Stores Inc.
    It said sales for the division in the year ended January were about 120 mln dlrs.
""",
    "vesta.txt": """Halden Nears Takeover Of Vesta
9-MAR-1991

Sweden's Halden Papperbruk Bergslags AB said it now owns 90 pct of the shares of rival paper
maker Vesta Kartong AB.
    Halden announced last September it would acquire Vesta at a price of 3.1 billion crowns,
forming the country's second largest paper group after Lund-based Norrbotten Paper Plc.
""",
}


@pytest.fixture(scope="module")
def sales(tmp_path_factory):
    root = tmp_path_factory.mktemp("sales")
    (root / "articles").mkdir()
    for name, text in SALE_ARTICLES.items():
        (root / "articles" / name).write_text(text, encoding="utf-8")
    settings = Settings(data_dir=root / "data", backend="extractive")
    run_index(Store(settings), make_embedder(settings), [str(root / "articles")], settings.chunk_tokens)
    return settings


def test_an_amount_of_revenue_is_not_the_price_paid(sales):
    """The article says the price was undisclosed and gives the unit's revenues: asked what was
    paid, the answer is a refusal, while the revenues are answered when asked for."""
    engine = build_engine(sales)
    paid = engine.ask("How much did Aldmore Bank pay Corvane Systems for Lintar Graphics?")
    assert paid.refused and "200" not in paid.answer, paid.answer
    revenues = engine.ask("What were Lintar Graphics' revenues in 1990?")
    assert not revenues.refused and "200 mln dlrs" in revenues.answer
    assert_citations_exact(revenues)


def test_a_company_called_by_its_short_name_is_still_the_company_asked_about(sales):
    """News names a company in full once, then by its first word ("Halden"); the sentence with the
    price also names a rival, so only the short form says whose price it is."""
    answer = build_engine(sales).ask(
        "At what price did Halden Papperbruk announce it would acquire Vesta Kartong?"
    )
    assert not answer.refused and "3.1 billion crowns" in answer.answer, answer.answer
    assert_citations_exact(answer)


def test_a_figure_the_passage_gives_for_the_other_company_does_not_support_a_sentence(sales):
    """The passage names both banks, but its sentence with the figure is about one of them: a model
    sentence that gives the figure to the other is removed, while the right one stands. ("Bancorp"
    is in many names; "Brenna" tells the bank apart.)"""
    swapped = (
        "Brenna Bancorp's total assets were 257 million dollars when it agreed to merge with Tolland [1]."
    )
    question = "What were Brenna Bancorp's total assets when it agreed to merge with Tolland Bancorp?"
    answer = engine_with(sales, ScriptedLLM([swapped])).ask(question)
    assert "257" not in answer.answer, answer.answer
    assert any("257" in s for s in answer.removed_sentences) or answer.refused
    right = "Tolland Bancorp has assets of 257 mln dlrs [1]."
    answer = engine_with(sales, ScriptedLLM([right])).ask("What are Tolland Bancorp's assets?")
    assert answer.answer.startswith(right) and not answer.removed_sentences


def test_a_figure_of_what_someone_else_owns_is_not_the_buyer_s(sales):
    """The article gives the division's sales, never its buyer's: asked for the buyer's sales, the
    answer is a refusal, whatever a model says; asked for the division's, the figure."""
    question = (
        "What were Halvard Foods Inc's sales when it agreed to buy Morrow Stores' Kettle River division?"
    )
    swapped = "Halvard Foods Inc's sales were about 120 mln dlrs [1]."
    for llm in (None, ScriptedLLM([swapped])):
        answer = engine_with(sales, llm).ask(question)
        assert answer.refused and "120" not in answer.answer, answer.answer
    answer = build_engine(sales).ask("What were the annual sales of Morrow Stores' Kettle River division?")
    assert not answer.refused and "120 mln dlrs" in answer.answer, answer.answer


def test_a_figure_keeps_its_unit(sales):
    """The passage's 90 is a percentage of shares: a model sentence that makes it 90 mln crowns is
    removed, though the value is there; the price the passage gives in crowns stands."""
    question = "At what price did Halden Papperbruk announce it would acquire Vesta Kartong?"
    wrong = "Halden Papperbruk would acquire Vesta Kartong for 90 mln crowns [1]."
    answer = engine_with(sales, ScriptedLLM([wrong])).ask(question)
    assert "90 mln" not in answer.answer and any("90 mln" in s for s in answer.removed_sentences)
    right = "Halden Papperbruk would acquire Vesta Kartong at a price of 3.1 billion crowns [1]."
    answer = engine_with(sales, ScriptedLLM([right])).ask(question)
    assert answer.answer.startswith(right) and not answer.removed_sentences


VELMAR = """Velmar Chemical Sees Record Year
30-MAR-1991

Velmar Chemical Co believes strong margins could bring record earnings this year, chairman
Tom Berg said.
    "We hope for the best year in our history," he told reporters.
    In 1990, the company earned 741 mln dlrs, up from 58 mln dlrs in 1989.
    Berg also said margins on plastics would improve this year.
    Velmar will spend about 650 mln dlrs on research in 1991, Berg said.
"""


def test_a_name_the_quote_shortens_is_cited_where_the_article_writes_it_in_full(tmp_path):
    settings = index_one(tmp_path, "velmar.txt", VELMAR)
    said = "Velmar Chemical will spend about 650 million dollars on research in 1991, Tom Berg said [1]."
    answer = engine_with(settings, ScriptedLLM([said])).ask(
        "How much will Velmar Chemical spend on research in 1991?"
    )
    assert (
        answer.answer.startswith("Velmar Chemical will spend about 650 million dollars")
        and "[1][2]" in answer.answer
    )
    quotes = [c.quote for c in answer.citations]
    assert quotes[0].startswith("Velmar will spend about 650 mln dlrs")
    assert quotes[1].startswith("Velmar Chemical Co believes") and "Tom Berg" in quotes[1]
    assert_citations_exact(answer)
    assert not ungrounded(answer)


KORVA = """Korva Port Authority Reports
4-MAR-1991

The port of Korva handled 41 mln tonnes of cargo in 1990, up from 37 mln tonnes in 1989, the port
authority said.

The authority expects traffic to grow again this year as a new quay opens in the autumn.

Ferries carried 2.1 mln passengers last year, it said.
"""


@pytest.mark.parametrize(
    ("question", "answered"),
    [
        ("How much cargo did the port of Korva handle in 1990?", "41 mln tonnes"),
        ("How much cargo did the port of Korva handle in 1989?", "37 mln tonnes"),
        # only other years are named where the figures are: another period, not this one
        ("How much cargo did the port of Korva handle in 1987?", None),
        # "last year" is the year before the article's
        ("How many passengers did ferries carry at Korva in 1990?", "2.1 mln passengers"),
    ],
)
def test_a_figure_dated_only_by_other_years_does_not_answer_for_the_year_asked(tmp_path, question, answered):
    answer = engine_with(index_one(tmp_path, "korva.txt", KORVA), None).ask(question)
    if answered is None:
        assert answer.refused, answer.answer
    else:
        assert not answer.refused and answered in answer.answer, answer.answer


@pytest.mark.parametrize(("year", "in_period"), [(1990, True), (1989, False), (1992, False), (1991, True)])
def test_last_year_is_the_year_before_the_article_s(year, in_period):
    text = "Ferries carried 2.1 mln passengers last year."
    passage = Passage(
        "a:0", "a", "a.txt", "a.txt", "Korva", "1991-03-04", 0, len(text), text, "a", 0.0, 0.0, 0.0
    )
    span = nlp.analyse(passage.text).whole
    assert evidence.in_period({year}, passage, span) is in_period


@pytest.mark.parametrize(
    ("text", "in_period"),
    [
        ("Korva shipped 3 mln tonnes of ore in the last five years.", False),
        ("Korva shipped 3 mln tonnes of ore in recent years.", False),
        ("Korva shipped 3 mln tonnes of ore.", True),  # no year given: it may be of any
        ("Korva shipped 3 mln tonnes of ore in 1986.", True),
    ],
)
def test_a_figure_of_several_years_does_not_answer_for_one_year(text, in_period):
    passage = Passage(
        "a:0", "a", "a.txt", "a.txt", "Korva", "1987-05-12", 0, len(text), text, "a", 0.0, 0.0, 0.0
    )
    assert evidence.in_period({1986}, passage, nlp.analyse(text).whole) is in_period


@pytest.mark.parametrize(
    ("asked", "in_part"),
    [
        ("for the whole of 1991", False),  # a year's figure: the quarter's is another period
        ("in 1991", False),
        ("in March 1991", True),  # when it was said: the period may be any
        ("in the first quarter of 1991", True),
        ("in the fourth quarter of 1991", False),
        ("in the quarter", True),
    ],
)
def test_a_figure_dated_by_a_quarter_does_not_answer_for_the_year_or_another_quarter(asked, in_part):
    question = nlp.analyse(f"What net income did Korva report {asked}?").whole
    whole_year = evidence.asks_whole_year(question)
    window = nlp.analyse("Korva reported first-quarter net income of 12.4 mln dlrs.").whole
    assert evidence.in_part(nlp.parts_of_year(question), whole_year, window) is in_part
    undated = nlp.analyse("Korva reported net income of 12.4 mln dlrs, a quarter of it abroad.").whole
    assert evidence.in_part(nlp.parts_of_year(question), whole_year, undated)


@pytest.mark.parametrize(
    ("asked", "in_month"),
    [("August", False), ("February", True), ("March", True), ("", True)],
)
def test_a_figure_dated_only_by_another_month_does_not_answer_for_the_month_asked(asked, in_month):
    """February's output is no answer for August; "in March" may be when a story of March reported it."""
    text = "Car production rose to 389,900 in February from 380,900 a year earlier."
    passage = Passage(
        "a:0", "a", "a.txt", "a.txt", "Korva", "1987-03-04", 0, len(text), text, "a", 0.0, 0.0, 0.0
    )
    question = nlp.analyse(f"How many cars did Korva make in {asked} 1987?").whole
    span = nlp.analyse(passage.text).whole
    assert evidence.in_month(question.months, passage, span) is in_month
    nameless = nlp.analyse("Truck output fell to 11,500.").whole  # the next sentence of that passage
    assert evidence.in_month(question.months, passage, nameless, span) is in_month


SOURCED = """Korva Mining Keeps Its Mines Open
04-MAY-1991

Korva Mining Ltd chairman Jan Brenna told the annual meeting the company would keep its three mines open.
    He said the Tarn mine lost 12 mln dlrs in 1990 after a strike by the Velmar Miners Union.
    The company's two other mines were profitable, he said.
"""


@pytest.mark.parametrize(
    ("source", "answered"),
    [("according to Korva Mining chairman Jan Brenna", True), ("according to Lintar Metals", False)],
)
def test_whom_a_figure_is_attributed_to_is_named_by_its_article_not_its_sentence(tmp_path, source, answered):
    """Whom a figure is attributed to ("according to X") says where it comes from: its article must
    name X, the sentence that gives the figure need not (here it names a union, no one asked about)."""
    settings = index_one(tmp_path, "korva.txt", SOURCED)
    answer = build_engine(settings).ask(f"How much did the Tarn mine lose in 1990, {source}?")
    assert answer.refused is not answered
    assert ("12 mln dlrs" in answer.answer) is answered


@pytest.mark.parametrize(("asked", "answers"), [("first", True), ("second", False), ("", True)])
def test_a_window_that_gives_another_position_than_the_one_asked_is_no_answer(asked, answers):
    """The first series is no answer about the second; a window that gives no position may be."""
    text = "The first series of CDs Korva Bank sold for Lintar Trust totalled 100 mln dlrs."
    passage = Passage(
        "a:0", "a", "a.txt", "a.txt", "Korva", "1991-05-12", 0, len(text), text, "a", 0.0, 0.0, 0.0
    )
    question = asking.read_question(
        f"How large was the {asked} series of CDs Korva Bank sold for Lintar Trust?", asking.Terms({}, 1000)
    )
    ranked = evidence.rank(question, [passage], lambda xs: np.ones((len(xs), 2)) / 2**0.5, TrustSettings())
    assert (ranked[0].missing_share < 1.0) is answers
