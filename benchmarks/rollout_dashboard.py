"""Benchmark: the roll-out compliance dashboard at a city's scale (issue 12, "Scale").

A sample host under the Taipei profile (the TP-* rules apply) on a fresh database (SQLite in
a temporary folder, PostgreSQL in a throw-away schema of ``APPGOV_BENCH_POSTGRES_URL``,
default ``APPGOV_TEST_POSTGRES_URL`` or ``postgresql+psycopg://postgres@127.0.0.1:5432/test``;
or ``--database-url`` of an empty database) is migrated and seeded with its demo data; the
demo's roll-out registry is then replaced by a generated city: ``--agencies`` agencies and
schools (default 1,000: level-1 and level-2 agencies, enterprises, district offices,
schools, with parents and realistic headcounts) in scope of ``--systems`` major systems
(default 5, one agency in fifty excluded by a mayor-approved case), each with a roster per
system -- administrators, seed users near the agency's limits, a convener and members of
the work group, people who left a role (the history), roster changes reported late, unfit
findings replaced or overdue -- drawn from a fixed seed.

Three ways, measured in the same run, median of ``--rounds`` rounds after one warm-up:

- ``compliance()`` -- :func:`appgov_plugin.rollout.compliance.compliance` for every agency
  and system on the day, in an application context (the dashboard's data);
- ``page`` -- ``GET /appgov/rollout/`` as the administrator and as the IT department (its
  city's agencies, through an ``IN`` list), the whole request through the sample host: the
  checks, the summary per rule, the chart's figures and one page of 100 rows rendered;
- ``SQL`` -- ONE hand-written SQL statement computing the same breaches (common table
  expressions grouped in the database, the limits as parameters): the floor.

Both ways' breaches are compared, as sets of (system, agency, check): the script stops if
they differ. The page's SQL statements are counted.

Targets: ``compliance()`` within 3x the hand-written query; the page under 0.5 s.

Usage: ``python benchmarks/rollout_dashboard.py [--db sqlite --db postgresql] [--rounds 5]
[--agencies 1000] [--systems 5] [--quick]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import sys
import time
from pathlib import Path

import sqlalchemy as sa
from bench_database import Database, each_database
from bench_measure import make_host, statements_of, timed

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

#: The generated agencies' city: the demo IT department's (its agency is in Tainan).
CITY = "tainan"
#: (kind, share of the agencies, headcount range)
KINDS = (
    ("level1", 3, (200, 3000)),
    ("level2", 25, (40, 800)),
    ("enterprise", 2, (100, 2000)),
    ("district", 4, (60, 300)),
    ("school", 66, (20, 150)),
)


# -- the database ---------------------------------------------------------------------------


# -- the generated city ---------------------------------------------------------------------


def generate(connection, day: dt.date, agencies: int, systems: int, seed: int = 12) -> dict:
    """Replace the registry by a generated city (Core inserts); the rows' counts."""
    from appgov_plugin.db import Base
    from appgov_plugin.rollout.models import (
        Assignment,
        MajorSystem,
        RolloutAgency,
        RolloutPerson,
        SystemScope,
        UnfitFinding,
        WorkGroupFiling,
    )

    rng = random.Random(seed)
    # the demo's registry and every row that refers to it (meetings, tickets...)
    chosen: list[sa.Table] = []
    for table in Base.metadata.sorted_tables:
        if table.name.startswith("appgov_rollout_") or any(
            fk.column.table in chosen for fk in table.foreign_keys
        ):
            chosen.append(table)
    for table in reversed(chosen):
        connection.execute(sa.delete(table))
    now = dt.datetime.now(dt.UTC)
    phases = ("golive", "development", "operations", "planning", "golive")
    system_rows = [
        {
            "code": f"sys{n + 1}",
            "name_zh": f"重大系統{n + 1}",
            "name_en": f"Major system {n + 1}",
            "phase": phases[n % len(phases)],
            "work_group_due": day - dt.timedelta(days=30 + 20 * n) if n % 4 != 0 else None,
            "created_at": now,
            "updated_at": now,
        }
        for n in range(systems)
    ]
    system_ids = list(
        connection.scalars(sa.insert(MajorSystem).returning(MajorSystem.id), system_rows)
    )
    kinds = [kind for kind, share, _range in KINDS for _ in range(share)]
    level1: list[str] = []
    agency_rows = []
    for n in range(agencies):
        kind = kinds[n % len(kinds)] if n >= 5 else "level1"
        low, high = dict((k, r) for k, _s, r in KINDS)[kind]
        code = f"bench-{n:05d}"
        parent = None if kind == "level1" or not level1 else rng.choice(level1)
        if kind == "level1":
            level1.append(code)
        agency_rows.append(
            {
                "code": code,
                "name_zh": f"測試機關{n:05d}",
                "name_en": f"Agency {n:05d}",
                "city": CITY,
                "kind": kind,
                "parent_code": parent,
                "headcount": rng.randint(low, high),
                "headcount_on": day - dt.timedelta(days=rng.randint(10, 300)),
                "created_at": now,
                "updated_at": now,
            }
        )
    connection.execute(sa.insert(RolloutAgency), agency_rows)

    people_rows = []
    for agency in agency_rows:
        pool = 12 + min(agency["headcount"] // 40, 30)
        for k in range(pool):
            people_rows.append(
                {
                    "employee_id": f"{agency['code']}-{k:03d}",
                    "name": f"人員{agency['code'][-5:]}{k:03d}",
                    "agency_code": agency["code"],
                    "title": "科長" if k < 3 else "科員",
                    "unit_head": k < 3,
                    "created_at": now,
                    "updated_at": now,
                }
            )
    person_ids = list(
        connection.scalars(sa.insert(RolloutPerson).returning(RolloutPerson.id), people_rows)
    )
    people: dict[str, list[int]] = {}
    for row, person_id in zip(people_rows, person_ids, strict=True):
        people.setdefault(row["agency_code"], []).append(person_id)

    scope_rows, assignment_rows, filing_rows, unfit_rows = [], [], [], []
    for system_id, system in zip(system_ids, system_rows, strict=True):
        for agency in agency_rows:
            code = agency["code"]
            excluded = rng.random() < 0.02
            scope_rows.append(
                {
                    "system_id": system_id,
                    "agency_code": code,
                    "excluded_case_id": rng.randint(1000, 9999) if excluded else None,
                    "excluded_on": day - dt.timedelta(days=rng.randint(1, 200))
                    if excluded
                    else None,
                    "excluded_note": "專案簽奉市長核定" if excluded else None,
                }
            )
            pool = people[code]
            heads, staff = pool[:3], pool[3:]
            maximum = max(2, agency["headcount"] // 20)
            seeds = rng.choice((2, 2, 3, 4, maximum, maximum, maximum, 1, maximum + 1))
            seeds = min(seeds, maximum + 1)
            admins = rng.choice((1, 2, 2, 2, 2, 2, 3, 3))
            members = rng.randint(3, 6)
            chosen = rng.sample(staff, min(len(staff), admins + seeds + members))
            roles = (["admin"] * admins + ["seed"] * seeds + ["member"] * members)[: len(chosen)]
            start = day - dt.timedelta(days=rng.randint(30, 400))

            def add(person_id, role, starts_on, ends_on=None, late=False, where=(system_id, code)):
                due = starts_on + dt.timedelta(days=5)
                reported = due + dt.timedelta(days=rng.randint(1, 9)) if late else due
                assignment_rows.append(
                    {
                        "system_id": where[0],
                        "agency_code": where[1],
                        "person_id": person_id,
                        "role": role,
                        "starts_on": starts_on,
                        "ends_on": ends_on,
                        "reported_on": reported,
                        "due_on": due,
                        "created_at": now,
                    }
                )

            for person_id, role in zip(chosen, roles, strict=True):
                add(person_id, role, start, late=rng.random() < 0.03)
            # the convener: a unit head, or now and then a clerk (TP-WG-1)
            add(rng.choice(heads) if rng.random() < 0.97 else staff[0], "convener", start)
            # history: a former seed user or administrator who left the role
            if rng.random() < 0.3:
                ended = day - dt.timedelta(days=rng.randint(1, 25))
                left = staff[-1]
                add(left, rng.choice(("seed", "admin")), start - dt.timedelta(days=200), ended)
            due = system["work_group_due"]
            if rng.random() < 0.9:
                filed = (due or day) - dt.timedelta(days=rng.randint(-10, 40))
                if filed <= day:
                    filing_rows.append(
                        {"system_id": system_id, "agency_code": code, "filed_on": filed}
                    )
            if rng.random() < 0.03:
                requested = day - dt.timedelta(days=rng.randint(5, 40))
                finding_due = requested + dt.timedelta(days=14)
                replaced = finding_due - dt.timedelta(days=2) if rng.random() < 0.5 else None
                unfit_rows.append(
                    {
                        "person_id": chosen[0] if chosen else heads[0],
                        "system_id": system_id,
                        "agency_code": code,
                        "reason": "未完成種子人員訓練",
                        "found_by": "itdept",
                        "found_at": now,
                        "requested_on": requested,
                        "due_on": finding_due,
                        "replacement_case_id": rng.randint(1000, 9999),
                        "replaced_on": replaced,
                    }
                )
    # TP-WG-3: the work groups of systems at go-live meet monthly; minutes mostly in time
    from appgov_plugin.rollout.models_meetings import Meeting

    meeting_rows = []
    for system_id, system in zip(system_ids, system_rows, strict=True):
        if system["phase"] != "golive":
            continue
        for agency in agency_rows:
            for month in range(1, 4):
                held = day - dt.timedelta(days=30 * month - rng.randint(0, 5))
                due = held + dt.timedelta(days=7)
                chance = rng.random()
                received = (
                    None
                    if chance < 0.02
                    else due + dt.timedelta(days=2)
                    if chance < 0.05
                    else due - dt.timedelta(days=1)
                )
                meeting_rows.append(
                    {
                        "system_id": system_id,
                        "body": "work_group",
                        "agency_code": agency["code"],
                        "held_on": held,
                        "mode": "in_person",
                        "minutes_received_on": received
                        if received is None or received <= day
                        else None,
                        "minutes_due_on": due,
                        "created_at": now,
                    }
                )
    connection.execute(sa.insert(SystemScope), scope_rows)
    if meeting_rows:
        connection.execute(sa.insert(Meeting), meeting_rows)
    connection.execute(sa.insert(Assignment), assignment_rows)
    connection.execute(sa.insert(WorkGroupFiling), filing_rows)
    if unfit_rows:
        connection.execute(sa.insert(UnfitFinding), unfit_rows)
    return {
        "agencies": len(agency_rows),
        "systems": len(system_rows),
        "people": len(people_rows),
        "scope": len(scope_rows),
        "assignments": len(assignment_rows),
        "filings": len(filing_rows),
        "unfit": len(unfit_rows),
        "meetings": len(meeting_rows),
    }


# -- the hand-written query -----------------------------------------------------------------

HANDWRITTEN = """
WITH scope AS (
    SELECT s.system_id, s.agency_code, a.headcount, m.work_group_due
    FROM appgov_rollout_scope s
    JOIN appgov_rollout_system m ON m.id = s.system_id
    LEFT JOIN appgov_rollout_agency a ON a.code = s.agency_code
    WHERE s.excluded_on IS NULL OR s.excluded_on > :day
),
roles AS (
    SELECT x.system_id, x.agency_code,
           SUM(CASE WHEN x.role = 'admin' THEN 1 ELSE 0 END) AS admins,
           SUM(CASE WHEN x.role = 'seed' THEN 1 ELSE 0 END) AS seeds,
           MAX(CASE WHEN x.role = 'convener' AND p.unit_head = :yes THEN 1 ELSE 0 END) AS head
    FROM appgov_rollout_assignment x
    JOIN appgov_rollout_person p ON p.id = x.person_id
    WHERE x.starts_on <= :day AND (x.ends_on IS NULL OR x.ends_on > :day)
    GROUP BY x.system_id, x.agency_code
),
filed AS (
    SELECT system_id, agency_code, MIN(filed_on) AS first_filed
    FROM appgov_rollout_work_group WHERE filed_on <= :day
    GROUP BY system_id, agency_code
),
late AS (
    SELECT system_id, agency_code, COUNT(*) AS late_reports
    FROM appgov_rollout_assignment
    WHERE reported_on > due_on AND starts_on > :year_ago AND starts_on <= :day
    GROUP BY system_id, agency_code
),
overdue AS (
    SELECT system_id, agency_code, COUNT(*) AS overdue
    FROM appgov_rollout_unfit
    WHERE due_on < :day AND (replaced_on IS NULL OR replaced_on > :day) AND requested_on <= :day
    GROUP BY system_id, agency_code
),
minutes AS (
    SELECT system_id, agency_code, COUNT(*) AS late_minutes
    FROM appgov_rollout_meeting
    WHERE body = 'work_group' AND held_on <= :day AND held_on > :year_ago
      AND (minutes_received_on > minutes_due_on
           OR ((minutes_received_on IS NULL OR minutes_received_on > :day)
               AND minutes_due_on < :day))
    GROUP BY system_id, agency_code
)
SELECT s.system_id, s.agency_code,
       CASE WHEN COALESCE(r.admins, 0) < :min_admins THEN 1 ELSE 0 END AS admins,
       CASE WHEN s.headcount IS NOT NULL AND COALESCE(r.seeds, 0) < :min_seeds
            THEN 1 ELSE 0 END AS seeds_low,
       CASE WHEN s.headcount IS NOT NULL AND COALESCE(r.seeds, 0) >= :min_seeds
             AND COALESCE(r.seeds, 0) > CASE WHEN s.headcount / :per_seed < :min_seeds
                                             THEN :min_seeds ELSE s.headcount / :per_seed END
            THEN 1 ELSE 0 END AS seeds_high,
       CASE WHEN s.work_group_due IS NOT NULL AND s.work_group_due < :day
             AND (f.first_filed IS NULL OR f.first_filed > s.work_group_due)
            THEN 1 ELSE 0 END AS work_group,
       CASE WHEN f.first_filed IS NOT NULL AND COALESCE(r.head, 0) = 0
            THEN 1 ELSE 0 END AS convener,
       CASE WHEN l.late_reports IS NOT NULL THEN 1 ELSE 0 END AS late_report,
       CASE WHEN o.overdue IS NOT NULL THEN 1 ELSE 0 END AS replacement,
       CASE WHEN mi.late_minutes IS NOT NULL THEN 1 ELSE 0 END AS minutes
FROM scope s
LEFT JOIN roles r ON r.system_id = s.system_id AND r.agency_code = s.agency_code
LEFT JOIN filed f ON f.system_id = s.system_id AND f.agency_code = s.agency_code
LEFT JOIN late l ON l.system_id = s.system_id AND l.agency_code = s.agency_code
LEFT JOIN overdue o ON o.system_id = s.system_id AND o.agency_code = s.agency_code
LEFT JOIN minutes mi ON mi.system_id = s.system_id AND mi.agency_code = s.agency_code
"""
CHECK_COLUMNS = (
    "admins",
    "seeds_low",
    "seeds_high",
    "work_group",
    "convener",
    "late_report",
    "replacement",
    "minutes",
)


def handwritten(connection, day: dt.date, min_admins: int) -> set[tuple[int, str, str]]:
    """The breaches by one hand-written statement (TP-SEED-1's limits: at least 2, at most
    headcount / 20, floor, never under 2)."""
    statement = sa.text(HANDWRITTEN).bindparams(
        sa.bindparam("day", type_=sa.Date),
        sa.bindparam("year_ago", type_=sa.Date),
        sa.bindparam("yes", type_=sa.Boolean),
    )
    rows = connection.execute(
        statement,
        {
            "day": day,
            "year_ago": day - dt.timedelta(days=365),
            "yes": True,
            "min_admins": min_admins,
            "min_seeds": 2,
            "per_seed": 20,
        },
    )
    breaches = set()
    for row in rows:
        for name in CHECK_COLUMNS:
            if getattr(row, name):
                breaches.add((row.system_id, row.agency_code, name))
    return breaches


# -- measuring ------------------------------------------------------------------------------


def measure(database: Database, args) -> dict:
    from appgov_plugin.clock import today
    from appgov_plugin.rollout.compliance import compliance
    from appgov_plugin.state import get_state
    from sample_host.extensions import db

    host = make_host(database)
    day = today()
    start = time.perf_counter()
    with host.app_context(), db.engine.begin() as connection:
        counts = generate(connection, day, args.agencies, args.systems)
    generated = time.perf_counter() - start
    with host.app_context():
        state = get_state()
        policy = state.policy()
        min_admins = policy.min_system_admins()
        # TP-SEED-1's limits as the hand-written query writes them
        for headcount in (0, 39, 40, 41, 59, 60, 100, 3000):
            low, high = policy.seed_user_limits(headcount)
            assert (low, high) == (2, max(2, headcount // 20)), (headcount, low, high)

        def by_python():
            result = compliance(state.session, policy, day)
            state.session.rollback()
            return result

        python_time, result = timed(by_python, args.rounds)
        _answer, python_statements = statements_of(db.engine, by_python)
        ours = {(s.system_id, s.agency_code, b.check) for s in result.statuses for b in s.breaches}

        def by_sql():
            with db.engine.connect() as connection:
                return handwritten(connection, day, min_admins)

        sql_time, theirs = timed(by_sql, args.rounds)
        if ours != theirs:
            missing, extra = sorted(theirs - ours)[:10], sorted(ours - theirs)[:10]
            raise SystemExit(f"breaches differ: only SQL {missing}, only compliance() {extra}")
        in_scope = len(result.statuses)
        excluded = len(result.excluded)
        db.session.remove()

    pages = {}
    for username in ("admin", "itdept"):
        client = host.test_client()
        response = client.post(
            "/login", data={"username": username, "password": f"demo-{username}"}
        )
        assert response.status_code == 302, username

        def get(client=client):
            response = client.get("/appgov/rollout/")
            assert response.status_code == 200, response.status_code
            return response

        page_time, response = timed(get, args.rounds)
        with host.app_context():
            engine = db.engine
        _answer, statements = statements_of(engine, get)
        pages[username] = (page_time, statements, len(response.data))
    with host.app_context():
        db.engine.dispose()
    return {
        "kind": database.kind,
        "counts": counts,
        "generated": generated,
        "python": python_time,
        "sql": sql_time,
        "pages": pages,
        "statements": python_statements,
        "breaches": len(ours),
        "in_scope": in_scope,
        "excluded": excluded,
    }


def report(results: list[dict], args) -> None:
    print()
    print(
        f"roll-out dashboard: {args.agencies} agencies x {args.systems} systems, "
        f"median of {args.rounds} rounds; Python {platform.python_version()}, "
        f"{platform.machine()}, load average {os.getloadavg()[0]:.2f}"
    )
    for r in results:
        c = r["counts"]
        print(
            f"{r['kind']}: {c['agencies']} agencies, {c['scope']} in scope ({r['excluded']} "
            f"excluded), {c['people']} people, {c['assignments']} assignments, "
            f"{c['filings']} work-group filings, {c['unfit']} unfit findings, "
            f"{c['meetings']} work-group meetings; "
            f"{r['breaches']} breaches in {r['in_scope']} (agency, system) pairs, the same by "
            f"both ways; generated in {r['generated']:.1f} s"
        )
    print()
    print(f"{'database':<11} {'way':<34} {'median':>9} {'vs SQL':>7} {'statements':>10}")
    for r in results:
        kind, sql = r["kind"], r["sql"]
        print(
            f"{kind:<11} {'hand-written SQL (one statement)':<34} {sql:>8.3f}s {'1.0x':>7} {1:>10}"
        )
        ratio = r["python"] / sql
        label = "compliance()"
        print(f"{kind:<11} {label:<34} {r['python']:>8.3f}s {ratio:>6.1f}x {r['statements']:>10}")
        for username, (seconds, statements, _size) in r["pages"].items():
            label = f"GET /appgov/rollout/ ({username})"
            ratio = seconds / sql
            print(f"{kind:<11} {label:<34} {seconds:>8.3f}s {ratio:>6.1f}x {statements:>10}")
    print()
    for r in results:
        ratio = r["python"] / r["sql"]
        slowest = max(seconds for seconds, _n, _size in r["pages"].values())
        print(
            f"{r['kind']}: compliance() {ratio:.1f}x the hand-written query (target <= 3x: "
            f"{'met' if ratio <= 3 else 'missed'}); slowest page {slowest:.3f} s (target "
            f"< 0.5 s: {'met' if slowest < 0.5 else 'missed'})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", action="append", choices=("sqlite", "postgresql"))
    parser.add_argument("--database-url", help="an empty database to use (not dropped)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--agencies", type=int, default=1000)
    parser.add_argument("--systems", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="a smoke run: 60 agencies, 1 round")
    args = parser.parse_args()
    if args.quick:
        args.agencies, args.systems, args.rounds = 60, 2, 1
    results = [measure(database, args) for database in each_database(args, "appgov-bench-rollout-")]
    report(results, args)


if __name__ == "__main__":
    main()
