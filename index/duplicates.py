"""Same story or not: identical copies, updated versions, and different stories on one topic.

Two articles are compared on what they say, not only on what they are about:
- `resemblance`: Jaccard overlap of their word 3-shingles (case-folded, numbers kept), and
  `containment`: the share of the shorter one's shingles found in the other (a version cut after
  three paragraphs is contained in the full one): an edited re-send keeps most of them, another
  day's report on the same subject keeps few;
- `numbers`: the share of the shorter article's numbers that the other also has: a corrected or
  expanded report repeats the figures, a new report (next day's prices, another company's deal)
  brings new ones;
- `days`: how far apart their dates are, when both are dated;
- `cosine`: their mean chunk vectors' cosine (from the ANN query that found the pair);
- `paraphrase`: the share of the shorter one's chunks that have a close paraphrase (chunk cosine
  >= 0.8) in the other: two outlets' same-day write-ups of one event share facts, not wording.

`classify` turns these into "identical" (same title and text), "update" (the same story, edited,
corrected or extended), "same_topic" (close in meaning, but a different story) or None
(unrelated), with thresholds from `DuplicateSettings` (fitted on labelled pairs; see there).
Only identical and update join a cluster. Candidates come from the files collection's ANN query,
never from scanning the manifest, so clustering grows linearly with the archive.

It does not merge or drop articles: every article stays indexed and citable.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from dataclasses import replace as dc_replace
from datetime import date
from typing import TYPE_CHECKING

import numpy as np

from index.articles import read_text
from index.errors import BadInputError
from index.reading import clean
from index.settings import DuplicateSettings
from index.store import FileRecord

if TYPE_CHECKING:
    from index.commit import Committed
    from index.store import Store

_WORD = re.compile(r"\w+")
_NUMBER = re.compile(r"\d[\d,.]*\d|\d")


@dataclass(frozen=True)
class Profile:
    """What comparing an article needs: its words as shingles, its numbers, title and date."""

    doc_id: str
    title: str  # case-folded, words only
    shingles: frozenset[int]
    numbers: frozenset[str]
    date: str | None
    chars: int


@dataclass(frozen=True)
class Features:
    resemblance: float
    containment: float
    numbers: float
    days: int | None
    cosine: float
    same_title: bool
    paraphrase: float = 0.0  # share of the shorter one's chunks with a close paraphrase in the other


def profile(doc_id: str, title: str, body: str, day: str | None) -> Profile:
    words = _WORD.findall(body.casefold())
    shingles = frozenset(
        zlib.crc32(" ".join(words[i : i + 3]).encode()) for i in range(max(1, len(words) - 2))
    )
    numbers = frozenset(n.replace(",", "").rstrip(".") for n in _NUMBER.findall(body))
    return Profile(doc_id, " ".join(_WORD.findall(title.casefold())), shingles, numbers, day, len(body))


def features(a: Profile, b: Profile, cosine: float) -> Features:
    shared = len(a.shingles & b.shingles)
    resemblance = shared / max(len(a.shingles | b.shingles), 1)
    containment = shared / max(min(len(a.shingles), len(b.shingles)), 1)
    fewer = min(len(a.numbers), len(b.numbers))
    numbers = len(a.numbers & b.numbers) / fewer if fewer else 1.0
    same_title = bool(a.title) and a.title == b.title
    return Features(resemblance, containment, numbers, _days(a.date, b.date), cosine, same_title)


def classify(f: Features, s: DuplicateSettings) -> str | None:
    """ "identical", "update", "same_topic" or None (unrelated) for one compared pair."""
    if f.cosine < s.min_cosine:
        return None  # not compared at all by `qa index` (see DuplicateSettings.min_cosine)
    if f.same_title and f.resemblance >= s.identical_resemblance:
        return "identical"
    if could_be_update(f, s) and f.containment >= s.same_story_containment:
        return "update"  # the same report, edited, cut or extended
    if could_be_update(f, s) and f.paraphrase >= s.same_story_paraphrase and not f.days:
        return "update"  # another write-up of the same event, the same day
    if f.cosine >= s.same_topic_cosine or f.containment >= s.same_story_containment:
        return "same_topic"
    return None


def could_be_update(f: Features, s: DuplicateSettings) -> bool:
    """The figures agree, the dates are close and the meaning is close: worth a closer look."""
    close_in_time = f.days is None or f.days <= s.max_days_apart
    return close_in_time and f.numbers >= s.same_story_numbers and f.cosine >= s.same_story_cosine


def paraphrase_share(a: np.ndarray, b: np.ndarray, min_chunks: int = 3, cosine: float = 0.8) -> float:
    """Share of the shorter article's chunks whose best match in the other is at least `cosine`
    (0 when the shorter one has fewer than `min_chunks` chunks: too few to judge by)."""
    if min(len(a), len(b)) < min_chunks:
        return 0.0
    shorter, longer = (a, b) if len(a) <= len(b) else (b, a)
    return float(((shorter @ longer.T).max(axis=1) >= cosine).mean())


def same_story(relation: str | None) -> bool:
    return relation in ("identical", "update")


def mean_vector(vectors: np.ndarray) -> np.ndarray:
    mean = vectors.mean(axis=0) if len(vectors) else np.zeros(vectors.shape[1], dtype=np.float32)
    return (mean / max(float(np.linalg.norm(mean)), 1e-9)).astype(np.float32)


def _days(a: str | None, b: str | None) -> int | None:
    if not a or not b:
        return None
    return abs((date.fromisoformat(a[:10]) - date.fromisoformat(b[:10])).days)


# ----- placing newly committed articles into clusters --------------------------------------------
class Profiles:
    """Profiles by doc_id: the batch's own from memory, older articles read back from their text."""

    def __init__(self, limit: int = 4096):
        self.cache: dict[str, Profile] = {}
        self.limit = limit

    def add(self, p: Profile) -> None:
        if len(self.cache) >= self.limit:
            self.cache.pop(next(iter(self.cache)))
        self.cache[p.doc_id] = p

    def get(self, record: FileRecord) -> Profile | None:
        if record.doc_id not in self.cache:
            try:
                text = read_text(record.source)
            except (OSError, BadInputError):
                return None  # gone or unreadable since: not compared
            head = clean.header(text)
            body = "\n".join(text[s:e] for s, e in clean.body_segments(text, head.end, []))
            self.add(profile(record.doc_id, record.title, body, record.date))
        return self.cache[record.doc_id]


def place(
    store: Store, done: list[Committed], profiles: Profiles, s: DuplicateSettings
) -> list[tuple[str, str, str]]:
    """Compare each committed article with its nearest neighbours; record links and clusters.

    One ANN query and one manifest update per batch. Returns (origin, other origin, relation)
    for every same-story pair found."""
    for d in done:
        a = d.article
        profiles.add(profile(a.doc_id, a.title, "\n".join(a.text[x:y] for x, y in a.segments), a.date))
    found: list[tuple[str, str, str]] = []
    manifest = store.manifest()
    changed: dict[str, FileRecord] = {}
    means = np.vstack([d.mean for d in done])
    for d, near in zip(done, store.nearest_files(means, s.neighbours + 1)):
        for found_other, cosine in near:
            mine = changed.get(d.record.path) or manifest[d.record.path]
            other = changed.get(found_other.path) or manifest.get(found_other.path)
            if other is None or other.path == mine.path or other.doc_id in mine.links:
                continue  # itself, or already compared from the other side
            relation = _relation(store, mine, other, cosine, profiles, s)
            if relation is None:
                continue
            changed.update(_link(manifest, changed, mine, other, relation))
            if same_story(relation):
                found.append((mine.origin or mine.source, other.origin or other.source, relation))
    store.update_records(list(changed.values()))
    return found


def _relation(
    store: Store, mine: FileRecord, other: FileRecord, cosine: float, profiles: Profiles, s: DuplicateSettings
) -> str | None:
    if other.doc_id == mine.doc_id:
        return "identical"  # the very same bytes under another name
    if cosine < s.min_cosine:
        return None
    a, b = profiles.get(mine), profiles.get(other)
    if a is None or b is None:
        return None
    f = features(a, b, cosine)
    if could_be_update(f, s) and f.containment < s.same_story_containment:  # only then: chunk vectors
        mine_v, other_v = (
            store.chunk_vectors(mine.doc_id, mine.chunks),
            store.chunk_vectors(other.doc_id, other.chunks),
        )
        f = dc_replace(f, paraphrase=paraphrase_share(mine_v, other_v, s.paraphrase_min_chunks))
    return classify(f, s)


def _link(
    manifest: dict[str, FileRecord],
    changed: dict[str, FileRecord],
    mine: FileRecord,
    other: FileRecord,
    relation: str,
) -> dict[str, FileRecord]:
    """Both records with the link; a same-story article joins the other's cluster."""
    if mine.doc_id == other.doc_id:
        out = {mine.path: mine, other.path: other}
    else:
        out = {
            mine.path: dc_replace(mine, links={**mine.links, other.doc_id: relation}),
            other.path: dc_replace(other, links={**other.links, mine.doc_id: relation}),
        }
    if not same_story(relation):
        return out
    keep, lose = other.cluster, mine.cluster
    for path, r in list(out.items()):
        kind = "identical" if relation == "identical" or r.relation == "identical" else "update"
        out[path] = dc_replace(r, cluster=keep, relation=kind)
    if lose != keep and lose != mine.doc_id:  # `mine` already joined another cluster: merge the two
        for r in {**manifest, **changed}.values():
            if r.cluster == lose and r.path not in out:
                out[r.path] = dc_replace(r, cluster=keep)
    return out
