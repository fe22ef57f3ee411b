from pathlib import Path

import pytest

from index.articles import load_article, read_text
from index.errors import BadInputError

from .conftest import SEEDS


def seed(prefix: str) -> Path:
    return next(SEEDS.glob(f"{prefix}_*.txt"))


def test_date_line_becomes_metadata_and_leaves_the_body():
    a = load_article(seed("000"), "s0")
    assert a.date == "2023-12-01"
    assert a.text[a.segments[0][0] :].startswith("In a sweeping offensive")
    assert a.title.startswith("In a sweeping offensive")  # derived: the file has no title line


def test_title_line_is_read_and_ads_tail_is_dropped():
    a = load_article(seed("002"), "s2")
    assert a.title == "A rebel alliance makes Myanmar’s junta sweat"
    body = " ".join(a.text[s:e] for s, e in a.segments)
    for ad in ("GZERO Media", "Microsoft", "Walmart", "Trump", "YouTube", "REUTERS/Stringer"):
        assert ad not in body
    assert body.count("Volunteer members of Karenni") == 1  # the repeated caption is kept once
    reasons = [d.reason for d in a.dropped]
    assert "repeated line" in reasons and "photo credit" in reasons
    assert any(r.startswith("tail section 'More from GZERO Media'") for r in reasons)
    assert a.dropped_chars > 2000


def test_article_without_boilerplate_keeps_everything():
    a = load_article(seed("001"), "s1")
    assert a.dropped == ()
    assert a.text[a.segments[0][0] : a.segments[-1][1]] == a.text.strip()


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "empty file"),
        (b"  \n\n ", "empty file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary file"),
    ],
)
def test_bad_files_are_refused_with_what_to_do(tmp_path, content, message):
    f = tmp_path / "bad.txt"
    f.write_bytes(content)
    with pytest.raises(BadInputError, match=message):
        load_article(f, "bad.txt")


def test_offsets_survive_crlf_and_a_bom(tmp_path):
    f = tmp_path / "win.txt"
    f.write_bytes("\ufeffTitle here\r\n\r\nFirst sentence here. Second one.\r\n\r\nThird para.\r\n".encode())
    a = load_article(f, "win.txt")
    assert a.title == "Title here"
    text = read_text(f)
    assert [text[s:e] for s, e in a.segments] == ["First sentence here. Second one.\r\n\r\nThird para."]


def test_markdown_front_matter(tmp_path):
    f = tmp_path / "a.md"
    f.write_text("---\ntitle: Rebels advance\ndate: 2023-11-27\n---\nThe rebels advanced again today.\n")
    a = load_article(f, "a.md")
    assert (a.title, a.date) == ("Rebels advance", "2023-11-27")
    assert a.text[a.segments[0][0] : a.segments[0][1]] == "The rebels advanced again today."
