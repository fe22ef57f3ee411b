"""HTML pages, JSON Lines and CSV exports, legacy encodings: indexed with exact, citable offsets."""

import csv
import json
from pathlib import Path

import pytest

from index.articles import load_article, read_text
from index.embedding import HashingEmbedder
from index.ingest import run_index
from index.store import Store

PAGE = """<!doctype html><html><head><meta charset="utf-8">
<title>Port strike ends after nine days | The Harbour Gazette</title>
<link rel="canonical" href="https://gazette.example/news/port-strike-ends">
<meta property="article:published_time" content="2023-11-13T08:30:00+00:00">
</head><body>
<nav><a href="/">Home</a> | <a href="/world">World</a> | <a href="/sport">Sport</a></nav>
<article><h1>Port strike ends after nine days</h1>
<p>Dock workers at the northern port voted on Sunday to end a nine-day strike, the union said,
after the operator offered a 7.5 percent pay rise over two years.</p>
<p>About 2,400 workers had walked out on November 4, leaving more than 60 ships waiting at anchor
and delaying grain exports worth an estimated 120 million euros.</p>
<p>"This is a fair deal for our members," union secretary Marta Ilves told reporters outside the
terminal gates, adding that normal shifts would resume on Monday morning.</p>
</article>
<aside>Most read: Ten recipes for autumn</aside>
<footer>Copyright 2023 The Harbour Gazette. All rights reserved.</footer>
</body></html>"""

RECORDS = [
    {
        "id": "a-101",
        "headline": "Mill to close with loss of 300 jobs",
        "published": "Mon, 13 Nov 2023 10:00:00 GMT",
        "url": "https://wire.example/a-101",
        "body": "The paper mill will close in March, its owner said on Monday.\n\n"
        "About 300 people work at the site, which opened in 1921.",
    },
    {
        "id": "a-102",
        "headline": "Council approves new bridge",
        "published": "November 12, 2023",
        "url": "https://wire.example/a-102",
        "body": "The city council approved a 45 million euro bridge over the river on Sunday.\n\n"
        "Construction is due to start next spring and take two years.",
    },
]


def index(settings, *paths, **kw):
    store = Store(settings)
    return store, run_index(store, HashingEmbedder(), [str(p) for p in paths], 128, **kw)


def chunks_of(store):
    got = store.chunks.get(include=["documents", "metadatas"])
    return list(zip(got["documents"], got["metadatas"]))


def assert_citable(store):
    """Every chunk is exactly its canonical text at its offsets, read both documented ways."""
    for text, meta in chunks_of(store):
        assert read_text(meta["source"])[meta["start"] : meta["end"]] == text
        with open(meta["source"], encoding="utf-8", newline="") as f:
            assert f.read()[meta["start"] : meta["end"]] == text


def test_html_page_main_text_is_indexed_and_cited_from_its_canonical_text(settings, tmp_path):
    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "strike.html").write_text(PAGE, encoding="utf-8")
    store, summary = index(settings, folder)
    assert summary.indexed == 1 and summary.skipped == []
    chunks = chunks_of(store)
    body = " ".join(t for t, _ in chunks)
    assert "7.5 percent pay rise" in body and "Marta Ilves" in body
    for boilerplate in ("Home", "Ten recipes", "Copyright", "All rights reserved"):
        assert boilerplate not in body
    meta = chunks[0][1]
    assert meta["source"].startswith(str((settings.data_dir / "text").resolve()))
    assert meta["origin"] == str(folder / "strike.html")
    assert meta["url"] == "https://gazette.example/news/port-strike-ends"
    assert (meta["title"], meta["date"], meta["date_source"]) == (
        "Port strike ends after nine days",
        "2023-11-13",
        "html metadata",
    )
    assert_citable(store)
    assert read_text(meta["source"]).startswith("Port strike ends after nine days\n\n")


def test_jsonl_export_gives_one_citable_article_per_record(settings, tmp_path):
    export = tmp_path / "export.jsonl"
    lines = [json.dumps(r) for r in RECORDS] + ["{not json", json.dumps({"id": "x", "headline": "No body"})]
    export.write_text("\n".join(lines) + "\n", encoding="utf-8")
    store, summary = index(settings, export)
    assert summary.indexed == 2
    reasons = dict(summary.skipped)
    assert "not valid JSON" in reasons[f"{export}#3"] and "no article text" in reasons[f"{export}#x"]
    records = {r.origin: r for r in store.manifest().values()}
    mill = records[f"{export}#a-101"]
    assert (mill.title, mill.date, mill.date_source) == (
        "Mill to close with loss of 300 jobs",
        "2023-11-13",
        "field 'published'",
    )
    assert mill.url == "https://wire.example/a-101" and mill.kind == "record"
    assert records[f"{export}#a-102"].date == "2023-11-12"
    assert_citable(store)
    assert store.lexical("paper mill close March", 1)[0].meta["origin"] == f"{export}#a-101"


def test_unchanged_export_costs_nothing_and_a_dropped_record_is_pruned(settings, tmp_path):
    export = tmp_path / "export.jsonl"
    export.write_text("".join(json.dumps(r) + "\n" for r in RECORDS), encoding="utf-8")
    index(settings, export)
    emb = HashingEmbedder()
    again = run_index(Store(settings), emb, [str(export)], 128)
    assert (again.unchanged, again.indexed, emb.count) == (2, 0, 0)
    export.write_text(json.dumps(RECORDS[1]) + "\n", encoding="utf-8")  # a-101 left the export
    store, third = index(settings, export)
    assert third.removed == [f"{export}#a-101"] and third.unchanged == 1
    assert [r.origin for r in store.manifest().values()] == [f"{export}#a-102"]
    texts = sorted(p.name for p in (settings.data_dir / "text").iterdir())
    assert texts == [f"{r.doc_id}.txt" for r in store.manifest().values()]  # the pruned one's text is gone


def test_csv_export_with_configured_field_names(settings, tmp_path):
    export = tmp_path / "archive.csv"
    with export.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["Story", "Heading", "Day", "Link"])
        w.writerow(
            ["Rain delayed the harvest by two weeks, farmers said.", "Harvest late", "26-FEB-1987", "u1"]
        )
    settings = settings.replace(record_fields={"body": ("story",), "title": ("heading",), "date": ("day",)})
    store, summary = index(settings, export)
    assert summary.indexed == 1
    (record,) = store.manifest().values()
    assert (record.title, record.date, record.date_source) == ("Harvest late", "1987-02-26", "field 'day'")
    assert_citable(store)


@pytest.mark.parametrize(
    "encoding, text",
    [
        ("latin-1", "Le ministre a déclaré que la façade du musée serait rénovée à Noël. Coût: 2 millions."),
        ("cp1252", "The minister said “the deal is done” — it cost €5 million, and Zoë Müller agreed."),
    ],
)
def test_legacy_encodings_are_decoded_reported_and_cited_exactly(settings, tmp_path, encoding, text):
    folder = tmp_path / "legacy"
    folder.mkdir()
    body = "\n\n".join([text] * 3)
    (folder / "story.txt").write_bytes(f"Old archive story\n\n{body}\n".encode(encoding))
    store, summary = index(settings, folder)
    assert summary.indexed == 1 and summary.skipped == []
    assert summary.encodings == [(str(folder / "story.txt"), "cp1252")]
    (record,) = store.manifest().values()
    assert record.encoding == "cp1252" and record.origin == str(folder / "story.txt")
    chunks = chunks_of(store)
    assert text in chunks[0][0]  # decoded correctly: the accents, quotes and euro sign survive
    assert_citable(store)


def test_utf16_with_a_bom_is_text_not_binary(tmp_path):
    f = tmp_path / "u16.txt"
    f.write_bytes(
        "Headline here\n\nA story saved by an old editor in UTF-16, with 12 words.\n".encode("utf-16")
    )
    a = load_article(f, "u16.txt", tmp_path / "text")
    assert a.encoding == "utf_16" and a.title == "Headline here" and a.canonical


def test_plain_utf8_text_is_its_own_citable_source(tmp_path):
    f = tmp_path / "plain.txt"
    f.write_text("Headline\n\nBody text of the story, long enough to index.\n", encoding="utf-8")
    a = load_article(f, str(f), tmp_path / "text")
    assert a.source == str(f) and not a.canonical and a.path == str(Path(f).resolve())
