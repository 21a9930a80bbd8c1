"""The learning-hours benchmark (``benchmarks/training_hours.py``, issue 13 "Scale",
TN-LEARN-1) still runs: a ``--quick`` smoke run on the test's database. Nothing here
asserts a time: only that every way was measured, that the report and the transcript
returned the same rows as their hand-written SQL queries (the script stops otherwise) and
that the statements do not grow (the script asserts them: the report one statement for one
agency as for the city, the transcript one for an idle person as for the busiest, each page
the same)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TIMEOUT = 600


def test_the_learning_hours_benchmark_runs_and_both_ways_agree_TN_LEARN_1(database_url):
    run = subprocess.run(
        [
            sys.executable,
            "benchmarks/training_hours.py",
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
        rf"^{kind}: 6 agencies, 600 people, 20 courses, 200 sessions, \d+ enrollments, "
        r"6000 attendance rows, .* the same rows by both ways",
        run.stdout,
        re.M,
    )
    handwritten = re.findall(
        rf"^{kind} +hand-written SQL \(one statement\) +[\d.]+s +1\.0x +1$", run.stdout, re.M
    )
    assert len(handwritten) == 3
    for way, statements in (
        (r"hours_report\(\) \(every agency\)", 1),
        (r"hours_report\(\) \(one agency\)", 1),
        (r"transcript\(\)", 1),
    ):
        assert re.search(rf"^{kind} +{way} +[\d.]+s +[\d.]+x +{statements}$", run.stdout, re.M)
    for page in (
        "GET /appgov/training/hours",
        r"GET \.\.\.hours\?agency=",
        "GET /appgov/training/people/<id>",
    ):
        assert re.search(rf"^{kind} +{page} +[\d.]+s +\d+$", run.stdout, re.M), page
