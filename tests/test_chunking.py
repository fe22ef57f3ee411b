from index.articles import load_article, read_text
from index.chunking import chunk_article, count_tokens, sentence_spans

from .conftest import SEEDS


def test_every_seed_chunk_is_an_exact_slice_of_the_file():
    for path in sorted(SEEDS.glob("*.txt")):
        article = load_article(path, path.name)
        original = read_text(path)
        chunks = chunk_article(article.text, article.segments, 128)
        assert chunks, path
        for c in chunks:
            assert original[c.start : c.end] == c.text
            assert c.tokens == count_tokens(c.text) <= 128 * 1.3
            # a chunk never crosses a dropped span
            assert any(s <= c.start and c.end <= e for s, e in article.segments)


def test_chunks_end_on_sentence_boundaries_and_cover_the_body():
    path = next(SEEDS.glob("001_*.txt"))
    article = load_article(path, path.name)
    chunks = chunk_article(article.text, article.segments, 80)
    assert len(chunks) > 4
    ends = {e for s, e in article.segments for _, e in sentence_spans(article.text, s, e)}
    starts = {s for s, e in article.segments for s, _ in sentence_spans(article.text, s, e)}
    for c in chunks:
        assert c.start in starts and c.end in ends, c.text
    covered = "".join(article.text[c.start : c.end] for c in chunks)
    assert sum(len(w) for w in covered.split()) == sum(len(w) for w in article.text.split())


def test_a_sentence_over_budget_is_cut_at_word_boundaries():
    text = "word " * 400 + "end."
    chunks = chunk_article(text, ((0, len(text)),), 64)
    assert len(chunks) > 4
    for c in chunks:
        assert text[c.start : c.end] == c.text
        assert c.tokens <= 64 * 1.3
        assert not c.text.startswith(" ") and not c.text.endswith(" ")
