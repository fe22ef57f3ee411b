"""`qa bench --archive`: a real news archive through `qa index`, and duplicate precision/recall.

Measured in a private folder (the user's index is never used):
- ingest: `qa index --json` of the whole archive in a subprocess with the real embedder: time,
  chunks/s, peak RSS; beside it the embedder alone on a sample of the same chunk texts (as
  `qa index` embeds them: title line + chunk), so the ratio shows the pipeline's overhead;
- re-run: the same command again on the unchanged archive (run_index's time and the process's);
- retrieval: our hybrid retriever's p50/p95 on the archive index (queries: opening words of
  sampled chunks);
- duplicates: precision and recall of "same story" on the labelled pairs (`qa.measure.duplicates`)
  on the fit half and on the held-out check half, with the thresholds in `DuplicateSettings`.

It needs the archive as a folder or .tar.xz, passed in by the caller; it tunes nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from index.settings import Settings


@dataclass(frozen=True)
class ArchiveRun:
    name: str
    files: int
    chunks: int
    seconds: float
    wall_seconds: float
    peak_rss_mb: float
    embed_only_per_s: float
    rerun_seconds: float
    rerun_wall_seconds: float
    rerun_peak_rss_mb: float
    dated: int
    relations: dict[str, int] = field(default_factory=dict)
    retrieval: Any = None  # bench.Latency

    @property
    def chunks_per_s(self) -> float:
        return self.chunks / max(self.seconds, 1e-9)


def run(settings: Settings, archive: Path, tmp: Path, timeout: float, say: Any) -> ArchiveRun:
    from index.embedding import make_embedder
    from index.store import Store
    from qa.measure import bench
    from qa.measure.devset import corpus_folder

    folder = corpus_folder(archive, tmp / "unpacked")
    data = tmp / "archive-index"
    first = bench.ingest(folder, data, settings.embedder, 0, timeout)
    say(f"archive {folder.name}: {first.files} files, {first.chunks} chunks in {first.seconds:.0f} s "
        f"({first.chunks_per_s:.1f} chunks/s), peak {first.peak_rss_mb:.0f} MB")  # fmt: skip
    again = bench.ingest(folder, data, settings.embedder, 0, timeout)
    say(f"archive re-run: {again.seconds:.1f} s (process {again.wall_seconds:.1f} s)")
    store_settings = settings.replace(data_dir=data, chroma_url=None, collection="articles")
    store = Store(store_settings)
    texts = _chunk_texts(store, 512)
    embedder = make_embedder(store_settings)
    alone = bench.embed_only(embedder, texts)
    say(f"embedder alone on {len(texts)} of its chunks: {alone:.1f} texts/s")
    manifest = store.manifest().values()
    relations: dict[str, int] = {}
    for r in manifest:
        for kind in r.links.values():
            relations[kind] = relations.get(kind, 0) + 1
    qs = [" ".join(t.split("\n", 1)[-1].split()[:8]) for t in texts[:50]]
    latency = bench.retrieval(store_settings, embedder, qs, 5, first.chunks).ours
    say(f"archive retrieval: p50 {latency.p50:.1f} ms, p95 {latency.p95:.1f} ms")
    return ArchiveRun(
        folder.name, first.files, first.chunks, first.seconds, first.wall_seconds, first.peak_rss_mb,
        alone, again.seconds, again.wall_seconds, again.peak_rss_mb, sum(1 for r in manifest if r.date),
        {k: v // 2 for k, v in relations.items()}, latency,
    )  # fmt: skip


def _chunk_texts(store: Any, n: int) -> list[str]:
    """A fixed sample of the index's chunks as `qa index` embedded them (title line + chunk)."""
    got = store.chunks.get(include=["documents", "metadatas"], limit=5000)
    rows = list(zip(got["documents"], got["metadatas"]))
    random.Random(3).shuffle(rows)
    return [f"{m.get('title', '')}\n{t}" for t, m in rows[:n]]


def duplicate_scores(settings: Settings, archive: Path, tmp: Path, say: Any) -> list[Any]:
    """Same-story precision/recall on the fit and check halves of the labelled pairs."""
    from index.embedding import make_embedder
    from qa.measure import duplicates
    from qa.measure.devset import corpus_folder

    folder = corpus_folder(archive, tmp / "unpacked")
    pairs = duplicates.load_pairs()
    profiles = duplicates.profiles(pairs, folder, make_embedder(settings), settings.chunk_tokens)
    feats = duplicates.pair_features(pairs, profiles, settings.duplicates.paraphrase_min_chunks)
    out = [duplicates.score(feats, settings.duplicates, half) for half in ("fit", "check", "all")]
    for s in out:
        say(
            f"same story on the {s.half} half ({s.pairs} pairs): "
            f"precision {s.precision:.3f}, recall {s.recall:.3f}"
        )
    return out
