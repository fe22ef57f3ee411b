"""The soak (issue 8): 16 readers at once against `qa serve` in its own process on loopback (real
engine: extractive + MiniLM), one client in four closing its socket mid-answer. Every request is
answered or told "busy" with Retry-After, none waits more than 30 s, nothing fails, and the
server is healthy, answering and quick to stop afterwards. Fewer questions per client than the
benchmark's 20, to keep CI short; `qa bench --soak-only` runs the full one."""

import pytest

from index.settings import Settings
from qa.measure import report, soak

from .conftest import SEEDS

pytestmark = pytest.mark.slow


def test_sixteen_readers_some_leaving_mid_answer_cannot_stall_the_server(tmp_path):
    options = soak.SoakOptions(clients=16, questions=5, deadline_s=300)
    lines: list[str] = []
    s = soak.run(Settings(data_dir=tmp_path / "unused"), SEEDS, options, tmp_path, lines.append)
    print("\n" + "\n".join(lines))
    assert [r.detail for r in s.requests if r.outcome == "failed"] == []  # answered, busy or left
    assert s.wait(100) <= soak.WAIT_BOUND_S  # nobody waited more than 30 s for a reply
    assert s.healthy() and s.health["in_flight"] == 0
    assert 0 < s.next_answer_s < 30 and 0 <= s.stop_s < 15
    # every question ended answered, walked away from, or given up on after its retries;
    # every client got somewhere
    ended = s.count("answered") + s.count("disconnected") + s.gave_up
    assert ended == options.clients * options.questions
    assert all(any(r.client == n and r.outcome != "busy" for r in s.requests) for n in range(options.clients))
    assert s.count("disconnected") >= 1

    out = tmp_path / "BENCHMARKS.md"
    out.write_text(f"# Benchmarks\n\n## Ingest\n\nfigures\n\n{report.SOAK_HEAD}\n\nold\n")
    report.write_soak(s, out)
    report.write_soak(s, out)  # replaces its own section, keeps the others
    text = out.read_text()
    assert text.count("## Soak") == 1 and "## Ingest\n\nfigures" in text and "old" not in text
    assert f"| {len(s.requests)} | {s.count('answered')} | {s.count('busy')} |" in text
