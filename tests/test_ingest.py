"""Indexing into a real embedded Chroma under tmp_path (hashing embedder unless noted)."""

import numpy as np
import pytest

from index.articles import read_text
from index.embedding import HashingEmbedder, make_embedder
from index.ingest import run_index
from index.store import Store


def index(settings, *paths, embedder=None, **kw):
    embedder = embedder or HashingEmbedder()
    store = Store(settings)
    return store, embedder, run_index(store, embedder, [str(p) for p in paths], 128, **kw)


def all_chunks(store):
    got = store.chunks.get(include=["documents", "metadatas"])
    return list(zip(got["ids"], got["documents"], got["metadatas"]))


def test_index_seeds_offsets_exact_and_boilerplate_out(settings, seeds):
    store, emb, summary = index(settings, seeds)
    assert (summary.files, summary.indexed, len(summary.skipped)) == (3, 3, 0)
    chunks = all_chunks(store)
    assert len(chunks) == summary.chunks == summary.embedded == emb.count
    for chunk_id, text, meta in chunks:
        assert read_text(meta["path"])[meta["start"] : meta["end"]] == text
        assert chunk_id == f"{meta['doc_id']}:{meta['chunk']:04d}"
        for ad in ("Microsoft", "Walmart", "GZERO"):
            assert ad not in text
    assert {m["date"] for _, _, m in chunks} == {"2023-12-01", ""}
    reasons = {why for _, why, _ in summary.dropped}
    assert "tail section 'More from GZERO Media'" in reasons and "repeated line" in reasons


def test_rerun_on_unchanged_files_embeds_nothing(settings, seeds):
    store, _, first = index(settings, seeds)
    before = all_chunks(store)
    store2, emb2, second = index(settings, seeds)
    assert emb2.count == 0 and second.embedded == 0
    assert (second.unchanged, second.indexed) == (3, 0)
    assert all_chunks(store2) == before


def test_changed_file_replaces_its_chunks_and_removed_file_is_pruned(settings, seeds):
    store, _, _ = index(settings, seeds)
    f1 = next(seeds.glob("001_*.txt"))
    f2 = next(seeds.glob("002_*.txt"))
    old_ids = {i for i, _, m in all_chunks(store) if m["source"] == str(f1)}
    f1.write_text(read_text(f1).replace("Horsey", "Horsley"), encoding="utf-8")
    f2.unlink()
    store, emb, summary = index(settings, seeds)
    assert summary.indexed == 1 and summary.removed == [str(f2)]
    chunks = all_chunks(store)
    assert not {i for i, _, _ in chunks} & old_ids
    assert {m["source"] for _, _, m in chunks} == {str(f1), str(next(seeds.glob("000_*.txt")))}
    mine = [t for _, t, m in chunks if m["source"] == str(f1)]
    assert any("Horsley" in t for t in mine) and not any("Horsey" in t for t in mine)
    assert emb.count == sum(1 for _, _, m in chunks if m["source"] == str(f1))
    # the lexical index follows: the new word is found, the deleted article is not
    assert store.lexical("Horsley", 3)[0].text.count("Horsley")
    assert all(h.meta["source"] != str(f2) for h in store.lexical("junta Beijing goodwill Karenni", 10))


def test_no_prune_keeps_removed_files(settings, seeds):
    index(settings, seeds)
    next(seeds.glob("002_*.txt")).unlink()
    store, _, summary = index(settings, seeds, prune=False)
    assert summary.removed == [] and len(store.manifest()) == 3


def test_bad_files_are_skipped_and_reported_the_rest_indexed(settings, seeds):
    (seeds / "empty.md").write_text("")
    (seeds / "photo.txt").write_bytes(b"\x89PNG\x00\x00")
    (seeds / "x.pdf").write_bytes(b"%PDF-1.4")
    store, _, summary = index(settings, seeds, seeds / "missing.txt", seeds / "x.pdf")
    reasons = dict(summary.skipped)
    assert "empty" in reasons[str(seeds / "empty.md")]
    assert "binary" in reasons[str(seeds / "photo.txt")]
    assert "no such file" in reasons[str(seeds / "missing.txt")]
    assert "unsupported type .pdf" in reasons[str(seeds / "x.pdf")]
    assert summary.indexed == 3 and len(store.manifest()) == 3


def test_duplicate_story_is_clustered_not_dropped(tmp_path, seeds):
    from index.settings import Settings

    settings = Settings(data_dir=tmp_path / "d")  # the real MiniLM embedder
    store, _, summary = index(settings, seeds, embedder=make_embedder(settings))
    records = {r.source.split("/")[-1][:3]: r for r in store.manifest().values()}
    assert records["000"].cluster == records["001"].cluster
    assert records["002"].cluster not in (records["000"].cluster,)
    assert len(summary.duplicates) == 1
    assert {r.chunks > 0 for r in records.values()} == {True}  # nothing dropped


def test_exact_copy_is_recorded_as_duplicate_without_embedding(settings, seeds, tmp_path):
    index(settings, seeds)
    copy = tmp_path / "copy.txt"
    copy.write_bytes(next(seeds.glob("000_*.txt")).read_bytes())
    store, emb, summary = index(settings, seeds, copy)
    original = str(next(seeds.glob("000_*.txt")))
    assert emb.count == 0 and summary.duplicates == [(str(copy), original, "identical")]
    records = {r.source: r for r in store.manifest().values()}
    assert records[str(copy)].cluster == records[original].cluster
    assert records[str(copy)].relation == records[original].relation == "identical"


def test_interrupted_commit_keeps_old_state_and_leaves_no_half_written_chunks(settings, seeds, monkeypatch):
    store, _, _ = index(settings, seeds)
    f1 = next(seeds.glob("001_*.txt"))
    f1.write_text(read_text(f1) + "\n\nA new paragraph about Lashio.\n", encoding="utf-8")

    def crash(*a, **k):
        raise KeyboardInterrupt("simulated crash after the new chunks were written")

    monkeypatch.setattr(Store, "commit_files", crash)
    with pytest.raises(KeyboardInterrupt):
        index(settings, seeds)
    monkeypatch.undo()
    reader = Store(settings)
    assert not [h for h in reader.lexical("Lashio", 5)]  # the half-written version is invisible
    vec = HashingEmbedder().embed(["Lashio paragraph"])[0]
    assert all("Lashio" not in h.text for h in reader.dense(vec, 20))
    # ... and already gone: the interrupted batch deleted the chunks it had written
    assert len(all_chunks(reader)) == sum(r.chunks for r in reader.manifest().values())
    store, _, summary = index(settings, seeds)
    assert summary.recovered == 0 and summary.indexed == 1
    assert reader.lexical("Lashio", 5)
    live = store.live_doc_ids()
    assert {m["doc_id"] for _, _, m in all_chunks(store)} == live
    assert len(all_chunks(store)) == sum(r.chunks for r in store.manifest().values())


def test_dense_and_lexical_find_the_alliance(settings, seeds):
    store, emb, _ = index(settings, seeds)
    q = "Three Brotherhood Alliance launched offensive"
    assert "Three Brotherhood Alliance" in store.lexical(q, 3)[0].text
    assert np.isclose(np.linalg.norm(emb.embed([q])[0]), 1.0)
    assert any("Brotherhood" in h.text for h in store.dense(emb.embed([q])[0], 3))
