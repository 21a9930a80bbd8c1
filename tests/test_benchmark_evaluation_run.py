"""The evaluation-run benchmark (``benchmarks/evaluation_run.py``, issue 14 "Scale",
KH-KPI-1) still runs: a small run on the test's database. Nothing here asserts a time: only
that every way was measured, that the run's stored downloads equal the hand-written SQL
totals (the script stops otherwise) and that a re-run sends no more statements than a full
run (``tests/test_evaluation_run.py`` shows they do not grow with the apps)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TIMEOUT = 600


def _bench(database_url: str, apps: int) -> str:
    run = subprocess.run(
        [sys.executable, "benchmarks/evaluation_run.py", "--apps", str(apps), "--years", "2"]
        + ["--rounds", "1", "--database-url", database_url],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return run.stdout


def _statements(out: str, way: str) -> int:
    found = re.search(rf"^  {way}: +[\d.]+ ms, (\d+) statements?$", out, re.M)
    assert found, (way, out[-2000:])
    return int(found[1])


def test_the_evaluation_benchmark_runs_and_agrees_with_the_sql_totals_KH_KPI_1(database_url):
    out = _bench(database_url, 40)
    kind = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    assert re.search(rf"^{kind}: filled \{{'apps': 40, 'figures': 960, 'targets': 40\}}", out, re.M)
    assert _statements(out, r"hand-written SQL totals") == 1
    assert re.search(r"ratio to SQL \(target <= 3x\): first [\d.]+x", out)
    full, rerun = (
        _statements(out, r"full run \(every result written\)"),
        _statements(out, r"re-run \(nothing changed\)"),
    )
    assert rerun <= full
