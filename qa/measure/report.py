"""Write a `qa bench` run as `docs/BENCHMARKS.md` plus a PNG plot, from its `bench.Report`.

Everything in the Markdown is computed from the run (figures, ratios ours / baseline, machine,
load average); the fixed text only says how each figure was measured. The plot needs matplotlib
(`pip install -e '.[bench]'`) and uses its Agg backend, so no display is needed.

It does not measure anything, compare runs or keep history: each run overwrites the file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from qa.measure import surfaces
from qa.measure.baseline import ItemRun
from qa.measure.bench import Report
from qa.measure.soak import Soak

CORPORA = """\
Synthetic corpora, built locally and deterministically (seed {seed}) by `qa/measure/corpus.py`: each article
is a date line, a title and 40–80 sentences drawn at random from a pool of real English sentences
already on the machine — the three seed articles plus the docstrings of Python's standard library
(no download). Articles average about 8 chunks of {chunk_tokens} tokens, like a long news story.
Each corpus is indexed by the real `qa index --json` in a subprocess (chunking, embedding, Chroma
writes, manifest, near-duplicate clustering); peak memory is that subprocess's `ru_maxrss`.
Corpora up to {real_max} chunks are embedded with the real `{embedder}` embedder; larger ones with
the hashing embedder (same 384 dimensions, unit vectors), because embedding 100k chunks with MiniLM
takes longer than the whole benchmark may. Their "MiniLM estimate" adds the measured time of the
embedder alone ({embed_rate:.0f} texts/s) to the measured hash-ingest time. Retrieval queries are
always embedded with `{embedder}`, so query latency includes the real query embedding; on hash-embedded
corpora the dense ranking is meaningless but its cost is that of the real code path."""


def ratio(ours: float, base: float) -> str:
    return f"{ours / base:.2f}" if base else "n/a"


def write(report: Report, out: Path, png: Path | None) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    parts = [_head(report), _archive(report), _duplicates(report), _ingest(report), _retrieval(report)]
    parts += [_answers(report), surfaces.section(report.surfaces), _cold(report)]
    if report.soak is not None:
        parts.append(soak_section(report.soak))
    if png is not None:
        plot(report, png)
        rel = png.relative_to(out.parent) if png.is_relative_to(out.parent) else png
        parts.insert(5, f"![retrieval latency and ingest time against corpus size]({rel})\n")
        if report.items:
            answers_png = png.with_name(png.stem + "-answers" + png.suffix)
            plot_answers(report, answers_png)
            rel = (
                answers_png.relative_to(out.parent) if answers_png.is_relative_to(out.parent) else answers_png
            )
            parts.insert(7, f"![time to first verified words, model first token and whole answer]({rel})\n")
    out.write_text("\n".join(parts), encoding="utf-8")


def _head(r: Report) -> str:
    m, s, o = r.machine, r.settings, r.options
    load = " → ".join(f"{k} {' / '.join(f'{x:.2f}' for x in v)}" for k, v in r.load.items())
    return f"""# Benchmarks

Produced by `qa bench` on {r.started} in {r.seconds / 60:.1f} minutes. Re-run it to refresh this file.

- **Machine**: {m["cpu"]}, {m["cores"]} cores (AVX512: {m["avx512"]}), {m["memory"]} RAM, Python {m["python"]}
- **Load average** (1/5/15 min): {load}. Other jobs shared the machine; figures are for this load.
- **Settings**: backend `{s["backend"]}`, model `{Path(str(s["model"])).name}`, k={s["k"]},
  chunks of {s["chunk_tokens"]} tokens, {s["threads"]} threads; sizes {o["sizes"]}
- **Peak memory of the bench process** (retrieval + both answer pipelines, LLM loaded): {r.peak_rss_mb:.0f} MB
"""


def _ingest(r: Report) -> str:
    lines = [
        "## Ingest",
        "",
        CORPORA.format(
            seed=r.options["seed"],
            chunk_tokens=r.settings["chunk_tokens"],
            real_max=r.options["real_embed_max"],
            embed_rate=r.embed_only_per_s,
            embedder=r.options["query_embedder"],
        ),
        "",
        "| chunks | articles | embedder | ingest s | chunks/s | peak RSS MB | process wall s "
        "| MiniLM estimate s |",
        "|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    for i in r.ingest:
        est = i.seconds if i.embedder != "hash" else i.seconds + i.chunks / max(r.embed_only_per_s, 1e-9)
        cap = "" if i.finished else "> "
        lines.append(
            f"| {i.chunks} | {i.files} | {i.embedder} | {cap}{i.seconds:.1f} | {'< ' if cap else ''}"
            f"{i.chunks_per_s:.0f} | {i.peak_rss_mb:.0f} | {i.wall_seconds:.1f} | {cap}{est:.0f} |"
        )
    lines.append(f"\nThe embedder alone: {r.embed_only_per_s:.0f} chunk-sized texts/s.")
    for i in r.ingest:
        if i.embedder != "hash" and r.embed_only_per_s:
            lines.append(
                f"At {i.chunks} chunks `qa index` ran at {i.chunks_per_s / r.embed_only_per_s:.2f} × the "
                "embedder's own throughput (the whole pipeline: reading, chunking, embedding, Chroma writes, "
                "manifest, duplicate detection)."
            )
    stopped = [i for i in r.ingest if not i.finished]
    if stopped:
        lines.append(
            f"\n**Stopped at the time limit ({r.options['ingest_timeout']} s):** "
            + ", ".join(f"the {i.target}-chunk corpus" for i in stopped)
            + ". The row shows what `qa index` had committed by then (chunks and manifest are written "
            "before near-duplicate clustering, which runs last); retrieval below used that index."
        )
    lines.append("")
    return "\n".join(lines)


def _archive(r: Report) -> str:
    a = r.archive
    if a is None:
        return "## A real archive\n\nNot run (`qa bench --archive PATH`).\n"
    ratio_ = a.chunks_per_s / max(a.embed_only_per_s, 1e-9)
    rel = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in sorted(a.relations.items())) or "none"
    lat = a.retrieval
    return f"""## A real archive: {a.name}

`qa index --json` of the whole archive in a subprocess, `{r.settings["embedder"]}` embedder, then the
same command again on the unchanged archive. The embedder alone was timed on 512 of the archive's own
chunks, embedded as `qa index` embeds them (title line + chunk), so the ratio is the pipeline's overhead.

| measure | value |
|---|---:|
| files indexed | {a.files} (dated: {a.dated}) |
| chunks | {a.chunks} |
| ingest time (run_index / whole process) | {a.seconds:.1f} s / {a.wall_seconds:.1f} s |
| ingest throughput | {a.chunks_per_s:.1f} chunks/s |
| embedder alone, same texts | {a.embed_only_per_s:.1f} texts/s |
| **ingest ÷ embedder alone** | **{ratio_:.2f}** |
| peak RSS of `qa index` | {a.peak_rss_mb:.0f} MB |
| re-run, unchanged archive (run_index / process) | {a.rerun_seconds:.2f} s / {a.rerun_wall_seconds:.1f} s |
| retrieval p50 / p95 (hybrid, k={r.settings["k"]}) | {lat.p50:.1f} ms / {lat.p95:.1f} ms |
| pairs linked while indexing | {rel} |
"""


def _duplicates(r: Report) -> str:
    if not r.duplicates:
        return ""
    lines = [
        "## Same story: precision and recall on labelled pairs",
        "",
        "`tests/eval/duplicate_pairs.json`: 370 pairs of archive stories read by a person (identical, "
        'update, same topic, unrelated); "same story" = identical or update. Each pair is compared '
        "exactly as `qa index` compares neighbours (`index.duplicates`, thresholds from "
        "`DuplicateSettings`). The thresholds were fitted on the **fit** half only; the **check** half "
        "is held out (halves fixed by a hash of the pair's ids).",
        "",
        "| half | pairs | precision | recall | true pos. | false pos. | false neg. |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for s in r.duplicates:
        lines.append(
            f"| {s.half} | {s.pairs} | {s.precision:.3f} | {s.recall:.3f} | {s.tp} | {s.fp} | {s.fn} |"
        )
    check = next((s for s in r.duplicates if s.half == "check"), None)
    if check is not None:
        labels = ("identical", "update", "same_topic", "unrelated")
        lines += ["", "Check half, label (rows) against the relation `qa index` gives (columns):", ""]
        lines += ["| label | " + " | ".join(labels) + " |", "|---|" + "---:|" * len(labels)]
        for label in labels:
            row = check.confusion.get(label, {})
            lines.append(f"| {label} | " + " | ".join(str(row.get(x, 0)) for x in labels) + " |")
    return "\n".join(lines) + "\n"


def _retrieval(r: Report) -> str:
    lines = [
        "## Retrieval latency",
        "",
        f"k={r.settings['k']}, {r.options['queries']} fixed queries after {r.options['warmup']} warm-up "
        "queries, one process, milliseconds. **Ours**: `Retriever.retrieve` (MiniLM query embedding, "
        "Chroma top 20, BM25 top 20, rank fusion, manifest check). **Baseline**: llama-index "
        "`VectorStoreIndex.from_vector_store(...).as_retriever(similarity_top_k=k)` on the same "
        "collection (query embedding + Chroma only). *Cold* is the very first query (ours builds "
        "and caches the BM25 index then).",
        "",
        "| chunks | ours p50 | ours p95 | baseline p50 | baseline p95 | ratio p50 | ratio p95 "
        "| ours cold | baseline cold |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for x in r.retrieval:
        o, b = x.ours, x.baseline
        lines.append(
            f"| {x.chunks} | {o.p50:.1f} | {o.p95:.1f} | {b.p50:.1f} | {b.p95:.1f} | {ratio(o.p50, b.p50)} "
            f"| {ratio(o.p95, b.p95)} | {o.cold_ms:.0f} | {b.cold_ms:.0f} |"
        )
    return "\n".join(lines) + "\n"


def _answers(r: Report) -> str:
    if not r.items:
        return "## Answers against the baseline\n\nNot run (extractive backend or `--eval-items 0`).\n"
    ans = [i for i in r.items if i.answerable]
    una = [i for i in r.items if not i.answerable]
    called = [i for i in ans if i.ours_model_ms > 0]
    base_first = _p50(ans, "base_first_ms")
    rows = [
        ("answer accuracy (answerable)", _share(ans, "ours_ok"), _share(ans, "base_ok")),
        ("refusal (unanswerable)", _share(una, "ours_ok"), _share(una, "base_ok")),
        ("first verified words p50 ms (answerable)", _p50(ans, "ours_quote_ms"), _p50(ans, "base_first_ms")),
        ("model first token p50 ms (answerable)", _p50(called, "ours_model_ms"), _p50(ans, "base_first_ms")),
        ("first checked sentence p50 ms (answerable)", _p50(ans, "ours_first_ms"), base_first),
        ("total p50 ms (answerable)", _p50(ans, "ours_total_ms"), _p50(ans, "base_total_ms")),
        ("total p95 ms (answerable)", _p95(ans, "ours_total_ms"), _p95(ans, "base_total_ms")),
        ("total p50 ms (unanswerable)", _p50(una, "ours_total_ms"), _p50(una, "base_total_ms")),
    ]
    lines = [
        "## Answers against the baseline",
        "",
        f"{len(ans)} answerable and {len(una)} unanswerable single-turn questions from "
        f"`{_set_name(r)}` (spread evenly over the set), over {_corpus_name(r)} indexed "
        f"with `{r.settings['embedder']}`, both pipelines with the same embedder, the same LLM "
        f"(`{Path(str(r.settings['model'])).name}`, one loaded copy) and k={r.settings['k']}. "
        "**Ours**: `Engine.ask` (hybrid retrieval, coverage gate, grounded sentences). **Baseline**: "
        "llama-index `as_query_engine(llm=..., similarity_top_k=k, streaming=True)` with the default "
        "response synthesizer. Correct = an accepted answer variant appears "
        "(`qa.measure.evaluate.answer_correct`) and the answer is not a refusal; refusal = our `refused` "
        "flag or `qa.measure.evaluate.refusal_like`. "
        "Multi-turn items are left out: the plain query engine keeps no conversation (see `qa eval`).",
        "",
        "| measure | ours | baseline | ratio ours/baseline |",
        "|---|---:|---:|---:|",
    ]
    for name, ours, base in rows:
        fmt = "{:.2f}" if "ms" not in name else "{:.0f}"
        lines.append(f"| {name} | {fmt.format(ours)} | {fmt.format(base)} | {ratio(ours, base)} |")
    if r.followup_ms:
        p50, p95 = np.percentile(r.followup_ms, 50), np.percentile(r.followup_ms, 95)
        lines.append(
            f"| follow-up turn p50 / p95 ms ({len(r.followup_ms)} turns) | {p50:.0f} / {p95:.0f} | – | – |"
        )
    lines.append(
        "\nFirst verified words: when the verified quote (or, for a refusal, the refusal) reached the "
        "reader; the baseline shows nothing checked, so its first token stands in. Model first token: "
        f"over the {len(called)} answerable questions where our engine called the model (a question "
        "refused from the evidence never does); first checked sentence: the first model sentence that "
        "passed the check, or the quote where none did."
    )
    lines += ["", "<details><summary>Per question</summary>", "", _per_item(r.items), "</details>", ""]
    return "\n".join(lines)


def _set_name(r: Report) -> str:
    questions = r.options.get("questions")
    if questions and questions != "None":
        return f"{questions}, {r.options.get('split')} half"
    return "tests/eval/questions.json"


def _corpus_name(r: Report) -> str:
    corpus = r.options.get("corpus")
    return f"the archive `{corpus}`" if corpus and corpus != "None" else "the three seed articles"


def _per_item(items: list[ItemRun]) -> str:
    lines = ["| id | ours | baseline | ours total ms | baseline total ms | ours says | baseline says |"]
    lines.append("|---|---|---|---:|---:|---|---|")
    for i in items:
        lines.append(
            f"| {i.id} | {'ok' if i.ours_ok else 'wrong'} | {'ok' if i.base_ok else 'wrong'} "
            f"| {i.ours_total_ms:.0f} | {i.base_total_ms:.0f} | {_cell(i.ours_text)} | {_cell(i.base_text)} |"
        )
    return "\n".join(lines)


def _cell(text: str, limit: int = 90) -> str:
    text = " ".join(text.split()).replace("|", "/")
    return text if len(text) <= limit else text[:limit] + "…"


def _share(items: list[ItemRun], attr: str) -> float:
    return float(np.mean([getattr(i, attr) for i in items])) if items else 0.0


def _p50(items: list[ItemRun], attr: str) -> float:
    return float(np.percentile([getattr(i, attr) for i in items], 50)) if items else 0.0


def _p95(items: list[ItemRun], attr: str) -> float:
    return float(np.percentile([getattr(i, attr) for i in items], 95)) if items else 0.0


def _cold(r: Report) -> str:
    asked = next((c.question for c in r.cold if c.question), "")
    lines = [
        "## Cold `qa ask`",
        "",
        f'One `qa --data-dir <the index answered over> ask "{asked}" --json` subprocess per backend, '
        "from process start to exit (imports, model loading, retrieval, answer). The model file is in "
        "the page cache from earlier steps, so this is a cold process, not a cold disk. *Model load* is "
        "loading the local model alone in its own process; *first token* is what the cold process "
        "reported; the target is cold ≤ 1.5 × (load + first token).",
        "",
        "| backend | seconds | model load s | first token s | cold / (load + first token) "
        "| peak RSS MB | correct answer |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for c in r.cold:
        base = c.load_seconds + c.first_token_ms / 1000
        ratio = f"{c.seconds / base:.2f}" if c.load_seconds and base else "–"
        load = f"{c.load_seconds:.1f}" if c.load_seconds else "–"
        lines.append(
            f"| {c.backend} | {c.seconds:.1f} | {load} | {c.first_token_ms / 1000:.1f} | {ratio} | "
            f"{c.peak_rss_mb:.0f} | {'yes' if c.ok else 'no'} |"
        )
    return "\n".join(lines) + "\n"


def plot(report: Report, png: Path) -> None:
    """Retrieval p50/p95 (ours, baseline) and ingest time against corpus size, log x axes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2), dpi=110)
    sizes = [x.chunks for x in report.retrieval]
    for name, color, pick in (
        ("ours", "tab:blue", lambda x: x.ours),
        ("baseline", "tab:orange", lambda x: x.baseline),
    ):
        left.plot(sizes, [pick(x).p50 for x in report.retrieval], "o-", color=color, label=f"{name} p50")
        left.plot(sizes, [pick(x).p95 for x in report.retrieval], "s--", color=color, label=f"{name} p95")
    _axes(left, "Retrieval latency per query", "milliseconds")
    for embedder, marker in (("minilm", "o"), ("hash", "D")):
        done = [i for i in report.ingest if i.embedder == embedder]
        if done:
            label = f"measured, {embedder} embedder"
            right.plot([i.chunks for i in done], [i.seconds for i in done], marker + "-", label=label)
    for i in report.ingest:
        if not i.finished:
            right.annotate(
                "stopped at limit", (i.chunks, i.seconds), xytext=(-90, 8), textcoords="offset points"
            )
    hashed = [i for i in report.ingest if i.embedder == "hash"]
    if hashed and report.options["query_embedder"] != "hash":
        rate = max(report.embed_only_per_s, 1e-9)
        estimate = [i.seconds + i.chunks / rate for i in hashed]
        right.plot([i.chunks for i in hashed], estimate, "^:", color="tab:gray", label="MiniLM estimate")
    right.set_yscale("log")
    _axes(right, "Ingest time (qa index)", "seconds (log)")
    fig.suptitle(f"qa bench, {report.started}, load {report.load.get('start', (0,))[0]:.1f}", fontsize=10)
    fig.tight_layout()
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png)
    plt.close(fig)


def plot_answers(report: Report, png: Path) -> None:
    """Answer timings of ours and the baseline (p50; whole answer p95 too), seconds, log scale."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ans = [i for i in report.items if i.answerable]
    called = [i for i in ans if i.ours_model_ms > 0]
    rows: list[tuple[str, float, float]] = [
        ("first verified\nwords p50", _p50(ans, "ours_quote_ms"), _p50(ans, "base_first_ms")),
        ("model first\ntoken p50", _p50(called, "ours_model_ms"), _p50(ans, "base_first_ms")),
        ("whole answer\np50", _p50(ans, "ours_total_ms"), _p50(ans, "base_total_ms")),
        ("whole answer\np95", _p95(ans, "ours_total_ms"), _p95(ans, "base_total_ms")),
    ]
    fig, ax = plt.subplots(figsize=(8, 4), dpi=110)
    x = np.arange(len(rows))
    for shift, name, color, col in (
        (-0.2, "ours", "tab:blue", 1),
        (0.2, "plain llama-index", "tab:orange", 2),
    ):
        values = [max(float(row[col]) / 1000, 1e-3) for row in rows]
        bars = ax.bar(x + shift, values, 0.4, color=color, label=name)
        ax.bar_label(bars, [f"{v:.1f}" for v in values], fontsize=8)
    ax.set_xticks(x, [row[0] for row in rows], fontsize=9)
    ax.set_yscale("log")
    ax.set_ylabel("seconds (log)")
    ax.set_title(f"Answers on {len(ans)} questions, same model and index, one at a time", fontsize=10)
    ax.grid(True, axis="y", which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png)
    plt.close(fig)


def _axes(ax: object, title: str, ylabel: str) -> None:
    ax.set_xscale("log")  # type: ignore[attr-defined]
    ax.set_xlabel("corpus size (chunks, log)")  # type: ignore[attr-defined]
    ax.set_ylabel(ylabel)  # type: ignore[attr-defined]
    ax.set_title(title, fontsize=10)  # type: ignore[attr-defined]
    ax.grid(True, which="both", alpha=0.3)  # type: ignore[attr-defined]
    ax.legend(fontsize=8)  # type: ignore[attr-defined]


# ----- the soak (qa.measure.soak) -----------------------------------------------------------------
SOAK_HEAD = "## Soak: many readers at once, some walking away"


def soak_section(s: Soak) -> str:
    o = s.options
    health = f"{s.health_status} {s.health.get('status', s.health.get('error', ''))}"
    stop = f"{s.stop_s:.1f} s" if s.stop_s >= 0 else "did not stop (killed)"
    served = s.count("answered") + s.count("disconnected")
    return f"""{SOAK_HEAD}

Produced by `qa bench` (or `qa bench --soak-only`) on {s.started} in {s.seconds / 60:.1f} minutes.
{o["clients"]} clients × {o["questions"]} questions against `qa serve` (backend `{o["backend"]}`) in
its own process on 127.0.0.1, each client asking back to back (no pause) with its last two turns
as history. Every {o["disconnect_every"]}th client reads until the first answer sentence and
closes its socket. A 503 must carry `Retry-After`; the client retries after it, up to
{o["attempts"]} times per question (*gave up*: still busy after that, about 12 s). *Wait* is from
sending a request to the server's status line (answered or busy), queueing for the one engine
included. Afterwards: `/api/health` once every answer has finished, one more question, SIGTERM.
The clients ran {s.clients_s:.0f} s: {served / max(s.clients_s, 1e-9):.1f} questions/s served
(answered or walked away from), load average {s.load[0]:.1f} → {s.load[1]:.1f} on this machine.

| requests | answered | busy (503 + Retry-After) | disconnected on purpose | failed | gave up | wait p50 s | wait p95 s | wait max s | health after | next answer s | SIGTERM to exit |
|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|
| {len(s.requests)} | {s.count("answered")} | {s.count("busy")} | {s.count("disconnected")} | {s.count("failed")} | {s.gave_up} | {s.wait(50):.2f} | {s.wait(95):.2f} | {s.wait(100):.2f} | {health} | {s.next_answer_s:.2f} | {stop} |
"""  # noqa: E501


def write_soak(s: Soak, out: Path) -> None:
    """Put the soak section into an existing benchmarks file (replacing an older one), or start one."""
    text = out.read_text(encoding="utf-8") if out.is_file() else "# Benchmarks\n"
    before, found, after = text.partition(SOAK_HEAD)
    rest = after[after.find("\n## ") + 1 :] if found and "\n## " in after else ""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        before.rstrip("\n") + "\n\n" + soak_section(s) + ("\n" + rest if rest else ""), encoding="utf-8"
    )
