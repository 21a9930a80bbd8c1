"""The intake benchmark (``benchmarks/mailbox_intake.py``) still runs: a ``--quick`` smoke run
on the test's database, a real gunicorn process and a client process on 127.0.0.1. Nothing
here asserts a time: only that every way was measured, every answer was the expected one
(the script stops otherwise), every item stored once with its outbox row (checked by the
script), and the durability settings reported."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
#: A smoke run takes about 20 s on a quiet machine; a busy one gets far more.
TIMEOUT = 600


def test_the_intake_benchmark_runs_and_reports(database_url):
    run = subprocess.run(
        [
            sys.executable,
            "benchmarks/mailbox_intake.py",
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
    for way in ("intake POST requests.json", "bare JSON 201", "storage floor"):
        assert re.search(rf"^{kind} +{re.escape(way)}.* \d+ ", run.stdout, re.M), run.stdout
    settings = "journal_mode=" if kind == "sqlite" else "synchronous_commit="
    assert re.search(rf"^{kind}: intake \d+% of the storage floor .*{settings}", run.stdout, re.M)
    assert "rate limits: on" in run.stdout
