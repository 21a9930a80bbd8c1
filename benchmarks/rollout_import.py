"""Benchmark: the roll-out registry's bulk import (issue 12, Scale: "The 1,000-agency CSV
import: report seconds") -- a city of 1,000 agencies and schools and 20,000 staff.

A sample host on a fresh database (SQLite in a temporary folder, PostgreSQL in a throw-away
schema of ``APPGOV_BENCH_POSTGRES_URL``, default ``APPGOV_TEST_POSTGRES_URL`` or
``postgresql+psycopg://postgres@127.0.0.1:5432/test``). The files are generated once, as
UTF-8 CSV with Chinese headers: 1,000 agencies (12 bureaus, 60 level-2 agencies under
them, 3 municipal enterprises, 37 district offices and 888 schools under the Education
Bureau; headcounts 8 to 1,900, ROC dates) and ``--people`` staff spread over them.

Each round starts from an empty registry and times, through
:func:`appgov_plugin.rollout.importer.import_file` (what the page and
``flask appgov rollout import`` call; the file read and parsed included):

- ``agencies dry run`` / ``agencies import`` (1,000 new) / ``agencies re-import`` (every
  headcount changed: 1,000 updates);
- ``people dry run`` / ``people import`` (all new) / ``people re-import`` (every title
  changed).

It prints the median seconds over ``--rounds`` and the SQL statements each sent (the same
for 10 rows as for 20,000, but for the driver's batches of 1,000 rows).

Usage: ``python benchmarks/rollout_import.py [--agencies 1000] [--people 20000]
[--rounds 3] [--db sqlite --db postgresql]``
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_database import Database  # noqa: E402

from appgov_plugin.import_cli import CLI_MAX_BYTES, CLI_MAX_ROWS  # noqa: E402
from appgov_plugin.rollout.importer import import_file  # noqa: E402
from appgov_plugin.rollout.models import RolloutAgency, RolloutPerson  # noqa: E402
from sample_host import create_app  # noqa: E402
from sample_host.extensions import db  # noqa: E402

AGENCY_HEADERS = ["機關代碼", "名稱", "英文名稱", "機關類型", "上級機關代碼", "員額", "員額日期"]
PEOPLE_HEADERS = ["員工編號", "姓名", "機關代碼", "職稱", "電子郵件", "帳號", "單位主管"]
STEPS = (
    "agencies dry run",
    "agencies import",
    "agencies re-import",
    "people dry run",
    "people import",
    "people re-import",
)


def csv_bytes(headers, rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def city(agencies: int, people: int, *, shift: int = 0) -> tuple[bytes, bytes, list[str]]:
    """(agencies CSV, people CSV, the agencies' codes); ``shift`` changes every headcount
    and title (a re-import that updates every row)."""
    rows, codes = [], []

    def add(code, name, kind, parent, headcount):
        rows.append([code, name, "", kind, parent, str(headcount + shift), "115/01/02"])
        codes.append(code)

    for n in range(12):
        add(f"B{n:02d}", f"臺南市政府第{n}局", "level1", "", 300 + 130 * n)
    for n in range(60):
        add(f"B{n % 12:02d}-{n:02d}", f"所屬機關{n}", "level2", f"B{n % 12:02d}", 40 + n)
    for n in range(3):
        add(f"E{n}", f"市營事業{n}", "enterprise", "", 120 + n)
    for n in range(37):
        add(f"D{n:02d}", f"第{n}區區公所", "district", "", 39 + n)
    n = 0
    while len(rows) < agencies:
        add(f"S{n:04d}", f"市立第{n}國民小學", "school", "B00", 8 + n % 120)
        n += 1
    people_rows = [
        [
            f"P{m:06d}",
            f"員工{m}",
            codes[m % len(codes)],
            ("科員", "專員")[shift % 2],
            f"p{m}@example.org",
            "",
            "是" if m % 50 == 0 else "否",
        ]
        for m in range(people)
    ]
    return csv_bytes(AGENCY_HEADERS, rows), csv_bytes(PEOPLE_HEADERS, people_rows), codes


def timed(app, kind: str, data: bytes, *, dry_run: bool) -> tuple[float, int]:
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        with app.test_request_context(headers={"Accept-Language": "zh-TW"}):
            started = time.perf_counter()
            report = import_file(
                kind,
                data,
                f"{kind}.csv",
                dry_run=dry_run,
                max_rows=CLI_MAX_ROWS,
                max_bytes=CLI_MAX_BYTES,
            )
            seconds = time.perf_counter() - started
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    if not report.ok:
        raise SystemExit(f"{kind}: refused: {report.errors[:3]}")
    return seconds, len(statements)


def run(kind: str, agencies: int, people: int, rounds: int) -> dict[str, tuple[float, int]]:
    database = Database(kind, prefix="appgov-bench-rollout-")
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # the demo's logins
            app = create_app(
                {
                    "TESTING": True,
                    "SQLALCHEMY_DATABASE_URI": database.url,
                    "SECRET_KEY": "benchmark",
                    "INSTANCE_PATH": str(Path(database.folder) / "instance"),
                    "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                    "APPGOV_PROFILE": "tainan",  # no demo registry: each round starts empty
                }
            )
        first = city(agencies, people)
        second = city(agencies, people, shift=1)
        times: dict[str, list[float]] = {step: [] for step in STEPS}
        sent: dict[str, int] = {}
        with app.app_context():
            for _round in range(rounds):
                with db.engine.begin() as conn:
                    conn.execute(sa.delete(RolloutPerson))
                    conn.execute(sa.delete(RolloutAgency))
                plan = (
                    ("agencies dry run", "agencies", first[0], True),
                    ("agencies import", "agencies", first[0], False),
                    ("agencies re-import", "agencies", second[0], False),
                    ("people dry run", "people", first[1], True),
                    ("people import", "people", first[1], False),
                    ("people re-import", "people", second[1], False),
                )
                for step, what, data, dry_run in plan:
                    seconds, statements = timed(app, what, data, dry_run=dry_run)
                    times[step].append(seconds)
                    sent[step] = statements
            assert db.session.scalar(sa.select(sa.func.count(RolloutAgency.id))) == agencies
            assert db.session.scalar(sa.select(sa.func.count(RolloutPerson.id))) == people
            db.session.remove()
            db.engine.dispose()
        return {step: (statistics.median(times[step]), sent[step]) for step in STEPS}
    finally:
        database.drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agencies", type=int, default=1000, help="agencies in the file")
    parser.add_argument("--people", type=int, default=20_000, help="staff in the file")
    parser.add_argument("--rounds", type=int, default=3, help="rounds (the median is printed)")
    parser.add_argument("--db", action="append", choices=("sqlite", "postgresql"))
    args = parser.parse_args()
    if args.agencies < 112:
        parser.error("--agencies: at least 112 (the bureaus, agencies and district offices)")
    kinds = args.db or ["sqlite", "postgresql"]
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(
        f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores, "
        f"load average {load}"
    )
    print(
        f"{args.agencies:,} agencies, {args.people:,} people, UTF-8 CSV; "
        f"median of {args.rounds} rounds"
    )
    print(f"{'database':<11} {'step':<20} {'rows':>7} {'seconds':>8} {'statements':>10}")
    for kind in kinds:
        for step, (seconds, statements) in run(
            kind, args.agencies, args.people, args.rounds
        ).items():
            rows = args.agencies if step.startswith("agencies") else args.people
            print(f"{kind:<11} {step:<20} {rows:>7,} {seconds:>8.3f} {statements:>10}")


if __name__ == "__main__":
    main()
