"""Dates: the common header and field forms become ISO dates with their source; retrieval by range."""

import pytest

from index.articles import load_article
from index.embedding import HashingEmbedder
from index.errors import BadInputError
from index.ingest import run_index
from index.reading.dates import parse_date
from index.store import Store


@pytest.mark.parametrize(
    "value, iso",
    [
        ("26-FEB-1987", "1987-02-26"),
        ("November 12, 2023", "2023-11-12"),
        ("Mon, 13 Nov 2023 10:00:00 GMT", "2023-11-13"),
        ("2023-11-12T23:30:00-05:00", "2023-11-12"),  # the date as written, not moved to UTC
        ("Published: 12 November 2023", "2023-11-12"),
        ("date 2023-12-01", "2023-12-01"),
        ("Sunday 12 November 2023 14.05 GMT", "2023-11-12"),
        ("12.11.2023", "2023-11-12"),
        ("11/12/2023", "2023-11-12"),
        (1699776000, "2023-11-12"),
        ("1699776000000", "2023-11-12"),
    ],
)
def test_common_date_forms_become_iso(value, iso):
    assert parse_date(value) == iso


@pytest.mark.parametrize(
    "value",
    ["November 2023", "2023", "Bahia Cocoa Review", "Story number 5 of 2023", "May 2023 sales rose", ""],
)
def test_things_that_are_not_a_full_date_are_not_dates(value):
    assert parse_date(value) is None


@pytest.mark.parametrize(
    "head, date, source",
    [
        ("Bank lowers its rate\n26-FEB-1987\n\n", "1987-02-26", "header line 2"),
        ("November 12, 2023\nBank lowers its rate\n\n", "2023-11-12", "header line 1"),
        ("---\ntitle: Bank lowers its rate\ndate: 13 Nov 2023\n---\n", "2023-11-13", "front matter"),
        ("Bank lowers its rate\n\n", None, ""),
    ],
)
def test_header_date_line_is_metadata_and_not_body(tmp_path, head, date, source):
    f = tmp_path / "a.txt"
    body = "The central bank cut its main rate by half a point on Thursday, dealers said.\n"
    f.write_text(head + body + " REUTER\n", encoding="utf-8")
    a = load_article(f, "a.txt")
    assert (a.title, a.date, a.date_source) == ("Bank lowers its rate", date, source)
    kept = "".join(a.text[s:e] for s, e in a.segments)
    assert kept == body.strip()  # no date line, no wire signature
    assert [d.reason for d in a.dropped][-1] == "sign-off"


def test_a_last_word_that_ends_a_wrapped_sentence_is_kept(tmp_path):
    f = tmp_path / "a.txt"
    f.write_text("Title line\n\nPrices rose five percent in\nJanuary.\n", encoding="utf-8")
    a = load_article(f, "a.txt")
    assert a.text[a.segments[0][0] : a.segments[-1][1]].endswith("in\nJanuary.")


def dated_corpus(folder):
    folder.mkdir()
    stories = {
        "a.txt": (
            "Grain exports rise",
            "26-FEB-1987",
            "Wheat exports rose sharply in February, traders said.",
        ),
        "b.txt": (
            "Grain exports fall",
            "15-JUN-1987",
            "Wheat exports fell in June as prices climbed, traders said.",
        ),
        "c.txt": ("Grain exports steady", "", "Wheat exports were steady, traders said, giving no month."),
    }
    for name, (title, day, body) in stories.items():
        (folder / name).write_text(f"{title}\n{day}\n\n{body}\n", encoding="utf-8")
    return folder


def test_dense_and_lexical_retrieval_keep_to_a_date_range(settings, tmp_path):
    store = Store(settings)
    run_index(store, HashingEmbedder(), [str(dated_corpus(tmp_path / "dated"))], 128)
    vector = HashingEmbedder().embed(["wheat exports traders"])[0]
    titles = lambda hits: sorted(h.meta["title"] for h in hits)  # noqa: E731
    assert titles(store.dense(vector, 5)) == [
        "Grain exports fall",
        "Grain exports rise",
        "Grain exports steady",
    ]
    assert titles(store.dense(vector, 5, since="1987-06-01")) == ["Grain exports fall"]
    assert titles(store.dense(vector, 5, until="1987-03-01")) == ["Grain exports rise"]
    assert titles(store.lexical("wheat exports", 5, since="1987-02-26", until="1987-02-26")) == [
        "Grain exports rise"
    ]
    assert titles(store.lexical("wheat exports", 5, since="1987-07-01")) == []
    assert titles(store.lexical("wheat exports", 5)) == titles(store.dense(vector, 5))
    hit = store.dense(vector, 1, since="1987-06-01")[0]
    assert (hit.meta["date"], hit.meta["date_source"], hit.meta["date_num"]) == (
        "1987-06-15",
        "header line 2",
        19870615,
    )
    with pytest.raises(BadInputError, match="YYYY-MM-DD"):
        store.dense(vector, 5, since="last week")
