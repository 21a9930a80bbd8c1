"""Benchmark: the yearly evaluation run at a city's scale (issue 14, "Scale"; KH-KPI-1..4).

A sample host under the Kaohsiung profile on a fresh database (SQLite in a temporary folder,
PostgreSQL in a throw-away schema of ``APPGOV_BENCH_POSTGRES_URL``, default
``APPGOV_TEST_POSTGRES_URL`` or ``postgresql+psycopg://postgres@127.0.0.1:5432/test``; or
``--database-url`` of an empty database) gets ``--apps`` listed apps (default 2,000) with
``--years`` years (default 5) of monthly figures each (downloads per store, ratings and
their counts: 120,000 rows by default) and last year's target population, inserted with
bulk SQL from a fixed seed (about one app in twenty below its target or the rating bar),
then ANALYZEd.

Measured in the same run, median of ``--rounds`` rounds, the ways alternating round by
round:

- ``first`` -- the first :func:`appgov_plugin.evaluation.run.evaluate_year` of last year,
  timed once: every result inserted, the plans of the failing apps opened (each case costs
  its own statements through the host: that part, timed around the case-opening calls, is
  reported on its own, with the rest of the run);
- ``full`` -- ``evaluate_year`` again with last year's results removed before each round
  (outside the timer): every result and lifecycle year result inserted again, no case to
  open (they exist);
- ``rerun`` -- ``evaluate_year`` with nothing changed: figures read, every app evaluated,
  nothing written but the run's own row;
- ``sql`` -- one hand-written SQL aggregation computing the same download totals (per app
  and store, every month up to the year's end), on the same engine: the floor. Its totals
  are checked against the results the run stored.

The statements each way sends are counted (SQLAlchemy ``before_cursor_execute``); the run
also commits its progress every ``PROGRESS_EVERY`` apps (one UPDATE each). Target: under
2 s and at most 3x the hand-written aggregation.

Usage: ``python benchmarks/evaluation_run.py [--db sqlite --db postgresql] [--apps 2000]
[--years 5] [--rounds 5]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench_database import each_database  # noqa: E402
from bench_measure import make_host, statements_of  # noqa: E402

#: Rows per executemany batch.
BATCH = 20_000
#: Generated ids start here (no clash with the demo's).
FIRST_ID = 1_000_000

SQL_TOTALS = """
SELECT app_id, COALESCE(SUM(downloads_ios), 0), COALESCE(SUM(downloads_android), 0)
FROM appgov_eval_app_figure
WHERE year <= :year
GROUP BY app_id
"""


def insert(connection, table, rows: list[dict]) -> None:
    for start in range(0, len(rows), BATCH):
        connection.execute(sa.insert(table), rows[start : start + BATCH])


def fill(host, apps: int, years: int, year: int, seed: int = 14) -> dict:
    """``apps`` apps with ``years`` years of monthly figures to ``year`` and its targets."""
    from appgov_plugin.apps.models import App
    from appgov_plugin.evaluation.models import AppFigure, AppTarget
    from sample_host.extensions import db

    rng = random.Random(seed)
    now = dt.datetime.now(dt.UTC)
    app_rows, figure_rows, target_rows = [], [], []
    for number in range(apps):
        app_id = FIRST_ID + number
        app_rows.append(
            {
                "id": app_id,
                "code": f"bench-{app_id}",
                "agency_code": "tainan-tourism",
                "name": f"效能測試 App {number:05d}",
                "description": "",
                "status": "listed",
                "version": "1.0.0",
                "contact_username": "staff",
                "listed_on": dt.date(year - years + 1, 1, 1),
                "created_at": now,
                "updated_at": now,
            }
        )
        population = rng.choice((35_000, 250_000, 1_986_191, 2_750_000))
        target = population * {35_000: 25, 250_000: 10}.get(population, 5) // 100
        short = rng.random() < 0.03  # below the download target
        low = rng.random() < 0.02  # at or below the rating bar
        total = (
            target * rng.randint(60, 90) // 100 if short else target * rng.randint(105, 160) // 100
        )
        months = years * 12
        each = total // months
        for index in range(months):
            count = each + (total - each * months if index == months - 1 else 0)
            rating = Decimal("3.40") if low else Decimal(rng.randint(380, 480)) / 100
            figure_rows.append(
                {
                    "app_id": app_id,
                    "year": year - years + 1 + index // 12,
                    "month": index % 12 + 1,
                    "downloads_ios": count * 2 // 5,
                    "downloads_android": count - count * 2 // 5,
                    "uninstalls": rng.randint(0, 50),
                    "rating_ios": rating,
                    "ratings_ios": rng.randint(10, 2_000),
                    "rating_android": rating,
                    "ratings_android": rng.randint(10, 2_000),
                    "source": "import",
                    "recorded_by": "bench",
                    "recorded_at": now,
                }
            )
        target_rows.append(
            {
                "app_id": app_id,
                "year": year,
                "target_population": population,
                "set_by": "bench",
                "set_at": now,
            }
        )
    columns = set(App.__table__.c.keys())
    app_rows = [{k: v for k, v in row.items() if k in columns} for row in app_rows]
    with host.app_context(), db.engine.begin() as connection:
        insert(connection, App, app_rows)
        insert(connection, AppFigure, figure_rows)
        insert(connection, AppTarget, target_rows)
        connection.execute(sa.text("ANALYZE"))
    return {"apps": len(app_rows), "figures": len(figure_rows), "targets": len(target_rows)}


class CaseTimer:
    """The time and statements the first run spends opening cases (each plan and forced
    delisting through the host: :func:`~appgov_plugin.lifecycle.registry.locked_app`, then
    ``open_plan`` / ``open_forced_delisting``), measured around those calls as the run makes
    them, to report the rest of the first run on its own."""

    def __init__(self, engine):
        self.engine, self.time, self.statements, self.calls, self._depth = engine, 0.0, 0, 0, 0
        self._saved = []

    def _count(self, *_args):
        if self._depth:
            self.statements += 1

    def _wrap(self, module, name):
        original = getattr(module, name)

        def timed(*args, **kwargs):
            self._depth += 1
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self._depth -= 1
                if not self._depth:
                    self.time += time.perf_counter() - start
                self.calls += name != "locked_app"

        self._saved.append((module, name, original))
        setattr(module, name, timed)

    def __enter__(self):
        from appgov_plugin.lifecycle import plans, registry

        for module, name in (
            (registry, "locked_app"),
            (plans, "open_plan"),
            (plans, "open_forced_delisting"),
        ):
            self._wrap(module, name)
        sa.event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *_exc):
        sa.event.remove(self.engine, "before_cursor_execute", self._count)
        for module, name, original in reversed(self._saved):
            setattr(module, name, original)


def measure(database, args) -> dict:
    from appgov_plugin.clock import today
    from appgov_plugin.evaluation import run as evaluation_run
    from appgov_plugin.evaluation.models import AppEvaluation
    from appgov_plugin.lifecycle.models import AppYearResult
    from sample_host.extensions import db

    host = make_host(database, "kaohsiung")
    year = today().year - 1
    started = time.perf_counter()
    counts = fill(host, args.apps, args.years, year)
    print(f"{database.kind}: filled {counts} in {time.perf_counter() - started:.1f} s", flush=True)
    with host.app_context():
        engine = db.engine

        def evaluate():
            return evaluation_run.evaluate_year(year, actor="bench", started_from="cli")

        cases = CaseTimer(engine)
        with cases:
            start = time.perf_counter()
            first, first_statements = statements_of(engine, evaluate)
            first_time = time.perf_counter() - start
        summary = first.summary
        stored = dict(
            db.session.execute(
                sa.select(AppEvaluation.app_id, AppEvaluation.downloads).where(
                    AppEvaluation.year == year
                )
            ).all()
        )

        def sql():
            with engine.connect() as connection:
                return connection.execute(sa.text(SQL_TOTALS), {"year": year}).all()

        totals = {app_id: int(ios) + int(android) for app_id, ios, android in sql()}
        mismatched = [a for a, downloads in stored.items() if totals.get(a, 0) != downloads]
        if mismatched:
            raise SystemExit(f"the run's downloads differ from the SQL's for apps {mismatched[:5]}")

        def clear():
            db.session.execute(sa.delete(AppEvaluation).where(AppEvaluation.year == year))
            db.session.execute(sa.delete(AppYearResult).where(AppYearResult.year == year))
            db.session.commit()

        times = {"full": [], "rerun": [], "sql": []}
        statements = {}
        evaluate()  # warm-up of the re-run
        sql()
        for _round in range(args.rounds):
            clear()
            start = time.perf_counter()
            done, statements["full"] = statements_of(engine, evaluate)
            times["full"].append(time.perf_counter() - start)
            assert done.summary["changed"] == summary["evaluated"], done.summary["changed"]
            start = time.perf_counter()
            done, statements["rerun"] = statements_of(engine, evaluate)
            times["rerun"].append(time.perf_counter() - start)
            assert done.summary["changed"] == 0
            start = time.perf_counter()
            _rows, statements["sql"] = statements_of(engine, sql)
            times["sql"].append(time.perf_counter() - start)
    medians = {way: statistics.median(values) for way, values in times.items()}
    return {
        "kind": database.kind,
        "counts": counts,
        "summary": {
            k: (len(v) if isinstance(v, list) else v)
            for k, v in summary.items()
            if k in ("apps", "evaluated", "passed", "failed", "plans_opened", "delistings_opened")
        },
        "first": first_time,
        "first_statements": first_statements,
        "cases": {"opened": cases.calls, "time": cases.time, "statements": cases.statements},
        "medians": medians,
        "statements": statements,
        "progress_every": evaluation_run.PROGRESS_EVERY,
    }


def report(results, args) -> None:
    print()
    print(
        f"Python {platform.python_version()}, {platform.machine()}; {args.apps:,} apps x "
        f"{args.years} years of monthly figures; median of {args.rounds} rounds"
    )
    for r in results:
        m, s = r["medians"], r["statements"]
        print(f"\n{r['kind']}: {r['counts']}; first run: {r['summary']}")
        c = r["cases"]
        print(
            f"  first run (opens the plans): {r['first'] * 1000:8.1f} ms, "
            f"{r['first_statements']} statements"
        )
        print(
            f"    of which opening {c['opened']} cases: {c['time'] * 1000:8.1f} ms, "
            f"{c['statements']} statements; the rest: {(r['first'] - c['time']) * 1000:.1f} ms, "
            f"{r['first_statements'] - c['statements']} statements"
        )
        print(
            f"  full run (every result written): {m['full'] * 1000:8.1f} ms, {s['full']} statements"
        )
        print(
            f"  re-run (nothing changed):     {m['rerun'] * 1000:8.1f} ms, {s['rerun']} statements"
        )
        print(f"  hand-written SQL totals:      {m['sql'] * 1000:8.1f} ms, {s['sql']} statement")
        rest = r["first"] - c["time"]
        print(
            f"  ratio to SQL (target <= 3x): first {r['first'] / m['sql']:.1f}x (without "
            f"opening the cases {rest / m['sql']:.1f}x), full {m['full'] / m['sql']:.1f}x, "
            f"re-run {m['rerun'] / m['sql']:.1f}x; under 2 s: "
            f"{'met' if max(r['first'], m['full'], m['rerun']) < 2 else 'missed'} (progress "
            f"committed every {r['progress_every']} apps)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", action="append", choices=("sqlite", "postgresql"))
    parser.add_argument("--database-url", help="an empty database to use (not dropped)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--apps", type=int, default=2_000)
    parser.add_argument("--years", type=int, default=5)
    args = parser.parse_args()
    results = [measure(db, args) for db in each_database(args, "appgov-bench-evaluation-")]
    report(results, args)


if __name__ == "__main__":
    main()
