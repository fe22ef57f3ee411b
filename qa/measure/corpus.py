"""Synthetic article folders for benchmarks, built from real sentences already on this machine.

Sentences come from the seed articles and from the docstrings of Python's own standard library
(`sysconfig`'s stdlib folder), so the text has real English word statistics without any download.
Articles are shuffled sentences (a date line, a title, paragraphs), deterministic for a given seed
and sentence pool. The number of articles is chosen so the folder indexes to about the requested
number of chunks (calibrated with the real chunker on a sample).

It does not make articles that mean anything, and it is not a question set: answers cannot be
checked against it, only speed.
"""

from __future__ import annotations

import ast
import math
import random
import re
import sysconfig
from pathlib import Path

_SENTENCE = re.compile(r"[A-Z][^.!?]{30,240}[.!?](?=\s|$)")
_CODE_LIKE = re.compile(r"[_`<>{}\[\]=|\\#@$]|\.\w|\w\(|>>>|::")
SENTENCES_PER_ARTICLE = (40, 80)  # about 8 chunks of 128 tokens: a long news article
PARAGRAPH = 4  # sentences per paragraph


def pool(seeds: Path, limit_files: int = 400) -> list[str]:
    """Unique prose-like sentences from the seeds and stdlib docstrings, in a stable order."""
    texts = [p.read_text(encoding="utf-8") for p in sorted(seeds.glob("*.txt"))]
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    for path in sorted(stdlib.glob("*.py"))[:limit_files]:
        texts.extend(_docstrings(path))
    found = (m.group(0) for text in texts for m in _SENTENCE.finditer(" ".join(text.split())))
    return list(dict.fromkeys(s for s in found if not _CODE_LIKE.search(s)))


def _docstrings(path: Path) -> list[str]:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (SyntaxError, UnicodeDecodeError, ValueError):
        return []
    nodes = [tree] + [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.ClassDef)]
    return [d for n in nodes if (d := ast.get_docstring(n))]


def article(rng: random.Random, sentences: list[str], n: int) -> str:
    """One article: a date line, a title line and paragraphs of shuffled sentences."""
    body = rng.sample(sentences, rng.randint(*SENTENCES_PER_ARTICLE))
    title = " ".join(body[0].split()[:8]).rstrip(".,;:!?")
    date = f"date 20{rng.randint(10, 25)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    paragraphs = [" ".join(body[i : i + PARAGRAPH]) for i in range(0, len(body), PARAGRAPH)]
    return f"{date}\n# {title} ({n})\n\n" + "\n\n".join(paragraphs) + "\n"


def chunks_per_article(sentences: list[str], chunk_tokens: int, seed: int, sample: int = 40) -> float:
    """Mean chunks per generated article, measured with the real loader and chunker."""
    import tempfile

    from index.articles import load_article
    from index.chunking import chunk_article

    rng = random.Random(seed)
    counts = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(sample):
            path = Path(tmp) / f"a{n}.txt"
            path.write_text(article(rng, sentences, n), encoding="utf-8")
            a = load_article(path, str(path))
            counts.append(len(chunk_article(a.text, a.segments, chunk_tokens)))
    return sum(counts) / len(counts)


def write_corpus(folder: Path, chunks: int, sentences: list[str], chunk_tokens: int, seed: int = 0) -> int:
    """Write enough articles into `folder` for about `chunks` chunks; returns the article count."""
    per_article = chunks_per_article(sentences, chunk_tokens, seed)
    n_articles = max(1, math.ceil(chunks / per_article))
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(n_articles):
        sub = folder / f"{n // 1000:03d}"
        sub.mkdir(exist_ok=True)
        (sub / f"article_{n:06d}.txt").write_text(article(rng, sentences, n), encoding="utf-8")
    return n_articles
