"""The roll-out dashboard benchmark (``benchmarks/rollout_dashboard.py``) still runs: a
``--quick`` smoke run on the test's database. Nothing here asserts a time: only that every
way was measured and that ``compliance()`` and the hand-written SQL query found the same
breaches (the script stops otherwise), with a fixed number of statements."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TIMEOUT = 600


def test_the_dashboard_benchmark_runs_and_both_ways_agree(database_url):
    run = subprocess.run(
        [
            sys.executable,
            "benchmarks/rollout_dashboard.py",
            "--quick",
            "--database-url",
            database_url,
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    kind = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    assert re.search(
        rf"^{kind}: 60 agencies, 120 in scope .* the same by both ways", run.stdout, re.M
    )
    assert re.search(
        rf"^{kind} +hand-written SQL \(one statement\) +[\d.]+s +1\.0x +1$", run.stdout, re.M
    )
    assert re.search(rf"^{kind} +compliance\(\) +[\d.]+s +[\d.]+x +\d+$", run.stdout, re.M)
    for user in ("admin", "itdept"):
        assert re.search(rf"^{kind} +GET /appgov/rollout/ \({user}\) +[\d.]+s", run.stdout, re.M)
