"""Benchmark: learning hours at a city's scale (issue 13, "Scale"; TN-LEARN-1).

A sample host under the Taipei profile on a fresh database (SQLite in a temporary folder,
PostgreSQL in a throw-away schema of ``APPGOV_BENCH_POSTGRES_URL``, default
``APPGOV_TEST_POSTGRES_URL`` or ``postgresql+psycopg://postgres@127.0.0.1:5432/test``; or
``--database-url`` of an empty database) is migrated and seeded with its demo data; the
demo's registry and training records are then replaced by a generated city, bulk-loaded in
batches (Core ``executemany`` inserts): ``--people`` people (default 30,000, a hundred per
agency, one in a hundred gone before today) in Tainan's agencies, ``--courses`` courses
(default 200, every course type), ``--sessions`` sessions (default 2,000, over last year and
this year), ``--attendance`` attendance rows (default 300,000: every trainee of a course at
each of its sessions; present, on leave for part of it, absent, unexcused), e-learning
completions (one per three people) and other learning (one per two people), from a fixed
seed; the tables are then analysed (``ANALYZE``: the planner's statistics, as autovacuum
would gather them).

Measured in the same run, median of ``--rounds`` rounds after one warm-up:

- ``hours_report()`` -- :func:`appgov_plugin.training.hours.hours_report` of this year for
  every agency (the administrator's report) and for one agency, in an application context;
- ``transcript()`` -- :func:`appgov_plugin.training.hours.transcript` of the busiest person;
- ``SQL`` -- a hand-written SQL statement beside each returning the same rows, its result
  columns typed as the tables' so that both return the same Python values (the report:
  the three sources summed in common table expressions joined to the people; the
  transcript: one ``UNION ALL`` of the sessions, the courses without attendance, the
  completions and other learning, with their titles and statuses): the floor;
- ``page`` -- ``GET /appgov/training/hours`` as the administrator (every agency, one page
  of 100 rows rendered) and filtered to one agency, and ``GET /appgov/training/people/<id>``,
  the whole request through the sample host.

Both ways' rows are compared (the script stops if they differ). The statements each way
sends are counted and asserted constant: the report one statement whatever its scope, the
transcript one whatever the person, each page the same for one agency as for the city and
for an idle person as for the busiest.

Target: each Python way within 3x its hand-written query.

Usage: ``python benchmarks/training_hours.py [--db sqlite --db postgresql] [--rounds 5]
[--people 30000] [--courses 200] [--sessions 2000] [--attendance 300000] [--quick]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from bench_database import Database, each_database
from bench_measure import make_host, statements_of, timed

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

#: The generated agencies' city: the demo IT department's (its agency is in Tainan).
CITY = "tainan"
PEOPLE_PER_AGENCY = 100
#: Rows per executemany batch.
BATCH = 20_000
#: Generated ids start here (no clash with what the demo left in the sequences).
FIRST_ID = 1_000_000
COURSE_TYPES = ("admin", "seed", "lecturer", "other", "elearning")
SESSION_HOURS = ("1.5", "2.0", "3.0", "3.5", "6.0")


# -- the database ---------------------------------------------------------------------------


def insert(connection, table, rows: list[dict]) -> None:
    """Core executemany inserts in batches of :data:`BATCH` rows."""
    for start in range(0, len(rows), BATCH):
        connection.execute(sa.insert(table), rows[start : start + BATCH])


# -- the generated city ---------------------------------------------------------------------


def generate(connection, day: dt.date, args, seed: int = 13) -> dict:
    """Replace the registry and training records by a generated city; the rows' counts."""
    from appgov_plugin.db import Base
    from appgov_plugin.rollout.models import MajorSystem, RolloutAgency, RolloutPerson
    from appgov_plugin.training.models import (
        Attendance,
        Course,
        ElearningCompletion,
        Enrollment,
        OtherLearning,
        TrainingSession,
    )

    rng = random.Random(seed)
    chosen: list[sa.Table] = []
    for table in Base.metadata.sorted_tables:
        if table.name.startswith(("appgov_rollout_", "appgov_training_")) or any(
            fk.column.table in chosen for fk in table.foreign_keys
        ):
            chosen.append(table)
    for table in reversed(chosen):
        connection.execute(sa.delete(table))
    now = dt.datetime.now(dt.UTC)
    system_ids = [FIRST_ID + n for n in range(3)]
    insert(
        connection,
        MajorSystem,
        [
            {
                "id": system_id,
                "code": f"sys{n + 1}",
                "name_zh": f"重大系統{n + 1}",
                "name_en": f"Major system {n + 1}",
                "phase": "golive",
                "created_at": now,
                "updated_at": now,
            }
            for n, system_id in enumerate(system_ids)
        ],
    )
    agencies = max(1, args.people // PEOPLE_PER_AGENCY)
    agency_codes = [f"bench-{n:04d}" for n in range(agencies)]
    insert(
        connection,
        RolloutAgency,
        [
            {
                "code": code,
                "name_zh": f"測試機關{code[-4:]}",
                "name_en": f"Agency {code[-4:]}",
                "city": CITY,
                "kind": "level2",
                "headcount": PEOPLE_PER_AGENCY,
                "headcount_on": day,
                "created_at": now,
                "updated_at": now,
            }
            for code in agency_codes
        ],
    )
    person_ids = [FIRST_ID + n for n in range(args.people)]
    people_rows = []
    for n, person_id in enumerate(person_ids):
        gone = rng.random() < 0.01
        people_rows.append(
            {
                "id": person_id,
                "employee_id": f"T{n:06d}",
                "name": f"人員{rng.randint(0, 99999):05d}",
                "agency_code": agency_codes[n % agencies],
                "title": "科員",
                "unit_head": False,
                "left_on": day - dt.timedelta(days=rng.randint(1, 200)) if gone else None,
                "created_at": now,
                "updated_at": now,
            }
        )
    insert(connection, RolloutPerson, people_rows)

    year_start = dt.date(day.year - 1, 1, 1)
    span = (day - year_start).days
    per_course = max(1, args.sessions // args.courses)
    course_rows, session_rows = [], []
    session_id = FIRST_ID
    for n in range(args.courses):
        course_type = COURSE_TYPES[n % len(COURSE_TYPES)]
        first = year_start + dt.timedelta(days=rng.randint(0, max(0, span - per_course)))
        meetings = []
        for k in range(per_course):
            meetings.append(
                {
                    "id": session_id,
                    "course_id": FIRST_ID + n,
                    "on": first + dt.timedelta(days=k),
                    "starts_at": dt.time(9),
                    "ends_at": dt.time(17),
                    "hours": Decimal(rng.choice(SESSION_HOURS)),
                    "place": "市府大樓 8 樓",
                }
            )
            session_id += 1
        session_rows += meetings
        course_rows.append(
            {
                "id": FIRST_ID + n,
                "code": f"C{n:04d}",
                "course_type": course_type,
                "system_id": system_ids[n % 3]
                if course_type in ("admin", "seed", "lecturer")
                else None,
                "title_zh": f"課程{n:04d}",
                "title_en": f"Course {n:04d}",
                "hours": sum((m["hours"] for m in meetings), Decimal(0)),
                "created_at": now,
                "updated_at": now,
            }
        )
    insert(connection, Course, course_rows)
    insert(connection, TrainingSession, session_rows)

    trainees = max(1, min(args.people, args.attendance // max(1, len(session_rows))))
    enrollment_rows, attendance_rows = [], []
    enrollment_id = FIRST_ID
    by_course: dict[int, list[dict]] = {}
    for meeting in session_rows:
        by_course.setdefault(meeting["course_id"], []).append(meeting)
    statuses = ("passed", "passed", "passed", "enrolled", "failed", "dismissed")
    for course in course_rows:
        for person_id in rng.sample(person_ids, trainees):
            enrollment_rows.append(
                {
                    "id": enrollment_id,
                    "course_id": course["id"],
                    "person_id": person_id,
                    "agency_code": people_rows[person_id - FIRST_ID]["agency_code"],
                    "status": rng.choice(statuses),
                    "created_at": now,
                }
            )
            for meeting in by_course[course["id"]]:
                chance = rng.random()
                status = (
                    "present"
                    if chance < 0.8
                    else "leave"
                    if chance < 0.9
                    else "absent"
                    if chance < 0.95
                    else "unexcused"
                )
                leave = None
                if status == "leave":
                    leave = Decimal(rng.randint(1, int(meeting["hours"] * 10))) / 10
                attendance_rows.append(
                    {
                        "session_id": meeting["id"],
                        "enrollment_id": enrollment_id,
                        "status": status,
                        "leave_hours": leave,
                        "recorded_at": now,
                    }
                )
            enrollment_id += 1
    insert(connection, Enrollment, enrollment_rows)
    insert(connection, Attendance, attendance_rows)

    elearning = [c["id"] for c in course_rows if c["course_type"] == "elearning"]
    completion_rows, seen = [], set()
    for _ in range(args.people // 3 if elearning else 0):
        key = (rng.choice(person_ids), rng.choice(elearning))
        if key in seen:
            continue
        seen.add(key)
        completion_rows.append(
            {
                "person_id": key[0],
                "course_id": key[1],
                "completed_on": year_start + dt.timedelta(days=rng.randint(0, span)),
                "hours": Decimal(rng.randint(5, 40)) / 10,
                "imported_at": now,
            }
        )
    insert(connection, ElearningCompletion, completion_rows)
    other_rows = [
        {
            "person_id": rng.choice(person_ids),
            "on": year_start + dt.timedelta(days=rng.randint(0, span)),
            "hours": Decimal(rng.randint(1, 80)) / 10,
            "title": "數位學習研習",
            "source": "公務人力發展學院",
            "created_at": now,
        }
        for _ in range(args.people // 2)
    ]
    insert(connection, OtherLearning, other_rows)
    # the planner's statistics, as autovacuum (off on the test cluster) or a nightly job
    # would have them after a bulk load
    for table in (
        RolloutPerson,
        Course,
        TrainingSession,
        Enrollment,
        Attendance,
        ElearningCompletion,
        OtherLearning,
    ):
        connection.execute(sa.text(f"ANALYZE {table.__tablename__}"))
    return {
        "agencies": agencies,
        "people": len(people_rows),
        "courses": len(course_rows),
        "sessions": len(session_rows),
        "enrollments": len(enrollment_rows),
        "attendance": len(attendance_rows),
        "completions": len(completion_rows),
        "other": len(other_rows),
        "agency_codes": agency_codes,
    }


# -- the hand-written queries ---------------------------------------------------------------

REPORT_SQL = """
WITH attended AS (
    SELECT e.person_id,
           SUM(CASE WHEN a.status = 'present' THEN s.hours
                    WHEN a.status = 'leave' AND COALESCE(a.leave_hours, 0) < s.hours
                    THEN s.hours - COALESCE(a.leave_hours, 0)
                    ELSE 0 END) AS hours
    FROM appgov_training_attendance a
    JOIN appgov_training_session s ON s.id = a.session_id
    JOIN appgov_training_enrollment e ON e.id = a.enrollment_id
    {attended_agency}
    WHERE s."on" >= :start AND s."on" < :end
    GROUP BY e.person_id
),
elearning AS (
    SELECT x.person_id, SUM(x.hours) AS hours FROM appgov_training_completion x
    {elearning_agency}
    WHERE x.completed_on >= :start AND x.completed_on < :end GROUP BY x.person_id
),
other AS (
    SELECT y.person_id, SUM(y.hours) AS hours FROM appgov_training_other_learning y
    {other_agency}
    WHERE y."on" >= :start AND y."on" < :end GROUP BY y.person_id
)
SELECT p.id, p.employee_id, p.name, p.agency_code,
       t.hours AS attended, el.hours AS elearning, o.hours AS other
FROM appgov_rollout_person p
LEFT JOIN attended t ON t.person_id = p.id
LEFT JOIN elearning el ON el.person_id = p.id
LEFT JOIN other o ON o.person_id = p.id
WHERE (p.left_on IS NULL OR p.left_on > :day) {agency}
ORDER BY p.agency_code, p.name, p.id
"""

TRANSCRIPT_SQL = """
SELECT 'session' AS kind, s.id, s."on" AS day, s.starts_at, s.ends_at,
       s.hours AS session_hours, a.status, a.leave_hours,
       CASE WHEN a.status = 'present' THEN s.hours
            WHEN a.status = 'leave' AND COALESCE(a.leave_hours, 0) < s.hours
            THEN s.hours - COALESCE(a.leave_hours, 0)
            ELSE 0 END AS hours,
       c.id AS course_id, c.code, c.course_type, c.title_zh, c.title_en,
       e.status AS result, e.dismissal_rule, e.dismissal_reason, e.result_on,
       NULL AS source
FROM appgov_training_enrollment e
JOIN appgov_training_course c ON c.id = e.course_id
JOIN appgov_training_attendance a ON a.enrollment_id = e.id
JOIN appgov_training_session s ON s.id = a.session_id
WHERE e.person_id = :person
UNION ALL
SELECT 'enrolled', e.id, NULL, NULL, NULL, NULL, NULL, NULL, c.hours,
       c.id, c.code, c.course_type, c.title_zh, c.title_en,
       e.status, e.dismissal_rule, e.dismissal_reason, e.result_on, NULL
FROM appgov_training_enrollment e
JOIN appgov_training_course c ON c.id = e.course_id
WHERE e.person_id = :person
  AND NOT EXISTS (SELECT 1 FROM appgov_training_attendance a WHERE a.enrollment_id = e.id)
UNION ALL
SELECT 'elearning', x.id, x.completed_on, NULL, NULL, NULL, NULL, NULL, x.hours,
       NULL, NULL, NULL, c.title_zh, c.title_en, NULL, NULL, NULL, NULL, NULL
FROM appgov_training_completion x
JOIN appgov_training_course c ON c.id = x.course_id
WHERE x.person_id = :person
UNION ALL
SELECT 'other', o.id, o."on", NULL, NULL, NULL, NULL, NULL, o.hours,
       NULL, NULL, NULL, o.title, NULL, NULL, NULL, NULL, NULL, o.source
FROM appgov_training_other_learning o WHERE o.person_id = :person
"""


#: The hand-written queries' result columns typed as the tables' columns, so both ways return
#: the same Python values (dates as dates and hours as Decimal on SQLite too).
HOURS = sa.Numeric(14, 1)
REPORT_COLUMNS = (
    sa.column("id", sa.Integer),
    sa.column("employee_id", sa.String),
    sa.column("name", sa.String),
    sa.column("agency_code", sa.String),
    sa.column("attended", HOURS),
    sa.column("elearning", HOURS),
    sa.column("other", HOURS),
)
TRANSCRIPT_COLUMNS = (
    sa.column("kind", sa.String),
    sa.column("id", sa.Integer),
    sa.column("day", sa.Date),
    sa.column("starts_at", sa.Time),
    sa.column("ends_at", sa.Time),
    sa.column("session_hours", HOURS),
    sa.column("status", sa.String),
    sa.column("leave_hours", HOURS),
    sa.column("hours", HOURS),
    sa.column("course_id", sa.Integer),
    sa.column("code", sa.String),
    sa.column("course_type", sa.String),
    sa.column("title_zh", sa.String),
    sa.column("title_en", sa.String),
    sa.column("result", sa.String),
    sa.column("dismissal_rule", sa.String),
    sa.column("dismissal_reason", sa.String),
    sa.column("result_on", sa.Date),
    sa.column("source", sa.String),
)


def tenth(value) -> Decimal:
    """A sum as the report shows it (SQLite sums REAL values: rounded to the tenth)."""
    return Decimal(str(value or 0)).quantize(Decimal("0.1"))


def handwritten_report(connection, day: dt.date, agency: str | None) -> list[tuple]:
    def only(alias: str) -> str:
        if not agency:
            return ""
        return (
            f"JOIN appgov_rollout_person q ON q.id = {alias}.person_id AND q.agency_code = :agency"
        )

    statement = sa.text(
        REPORT_SQL.format(
            agency="AND p.agency_code = :agency" if agency else "",
            attended_agency=only("e"),
            elearning_agency=only("x"),
            other_agency=only("y"),
        )
    )
    statement = statement.bindparams(
        sa.bindparam("start", type_=sa.Date),
        sa.bindparam("end", type_=sa.Date),
        sa.bindparam("day", type_=sa.Date),
    ).columns(*REPORT_COLUMNS)
    values = {"start": dt.date(day.year, 1, 1), "end": dt.date(day.year + 1, 1, 1), "day": day}
    if agency:
        values["agency"] = agency
    return connection.execute(statement, values).all()


def handwritten_transcript(connection, person_id: int) -> list[tuple]:
    statement = sa.text(TRANSCRIPT_SQL).columns(*TRANSCRIPT_COLUMNS)
    return connection.execute(statement, {"person": person_id}).all()


def report_rows(rows) -> list[tuple]:
    """Comparable rows of either way: (id, employee id, name, agency, three sums)."""
    return [
        (row[0], row[1], row[2], row[3], tenth(row[4]), tenth(row[5]), tenth(row[6]))
        for row in rows
    ]


def _hours_or_none(value):
    return None if value is None else tenth(value)


def transcript_rows(record) -> list[tuple]:
    """The transcript's rows as the hand-written query returns them, every column."""
    rows = []
    for section in record.years:
        for r in section.sessions:
            rows.append(
                ("session", r.session_id, r.on, r.starts_at, r.ends_at)
                + (tenth(r.session_hours), r.status, _hours_or_none(r.leave_hours))
                + (tenth(r.hours), r.course_id, r.course_code, r.course_type)
                + (r.title_zh, r.title_en, r.result, r.dismissal_rule, r.dismissal_reason)
                + (r.result_on, None)
            )
        for r in section.completions + section.other:
            english = r.title_en if r.kind == "elearning" else None
            rows.append(
                (r.kind, r.learned_id, r.on, None, None, None, None, None, tenth(r.hours))
                + (None, None, None, r.title_zh, english, None, None, None, None, r.source)
            )
    for r in record.unattended:
        rows.append(
            ("enrolled", r.enrollment_id, None, None, None, None, None, None)
            + (tenth(r.course_hours), r.course_id, r.course_code, r.course_type)
            + (r.title_zh, r.title_en, r.result, r.dismissal_rule, r.dismissal_reason)
            + (r.result_on, None)
        )
    return sorted(rows, key=repr)


def handwritten_rows(rows) -> list[tuple]:
    """The hand-written rows, hours to the tenth, in a fixed order."""
    fixed = []
    for row in rows:
        values = list(row)
        for index in (5, 7, 8):
            values[index] = _hours_or_none(values[index])
        fixed.append(tuple(values))
    return sorted(fixed, key=repr)


# -- measuring ------------------------------------------------------------------------------


def measure(database: Database, args) -> dict:
    from appgov_plugin.clock import today
    from appgov_plugin.rollout.models import RolloutPerson
    from appgov_plugin.state import get_state
    from appgov_plugin.training import hours
    from sample_host.extensions import db

    host = make_host(database)
    day = today()
    start = time.perf_counter()
    with host.app_context(), db.engine.begin() as connection:
        counts = generate(connection, day, args)
    generated = time.perf_counter() - start
    one_agency = counts["agency_codes"][len(counts["agency_codes"]) // 2]
    ways: dict[str, dict] = {}
    with host.app_context():
        state = get_state()
        policy = state.policy()
        engine = db.engine
        with engine.connect() as connection:
            # the busiest person (most attendance rows) and one with no course at all
            busy = connection.execute(
                sa.text(
                    "SELECT e.person_id FROM appgov_training_attendance a "
                    "JOIN appgov_training_enrollment e ON e.id = a.enrollment_id "
                    "GROUP BY e.person_id ORDER BY COUNT(*) DESC, e.person_id LIMIT 1"
                )
            ).scalar_one()
            idle = connection.execute(
                sa.text(
                    "SELECT MIN(p.id) FROM appgov_rollout_person p WHERE NOT EXISTS "
                    "(SELECT 1 FROM appgov_training_enrollment e WHERE e.person_id = p.id)"
                )
            ).scalar_one()
        state.session.rollback()

        for label, scope, agency in (
            ("every agency", None, None),
            ("one agency", {one_agency}, one_agency),
        ):

            def by_python(scope=scope):
                report = hours.hours_report(day.year, scope, policy=policy)
                state.session.rollback()
                return report

            python_time, report = timed(by_python, args.rounds)
            _answer, statements = statements_of(engine, by_python)
            assert statements == 1, (label, statements)  # one grouped statement, any scope

            def by_sql(agency=agency):
                with engine.connect() as connection:
                    return handwritten_report(connection, day, agency)

            sql_time, theirs = timed(by_sql, args.rounds)
            ours = [
                (
                    r.person_id,
                    r.employee_id,
                    r.name,
                    r.agency_code,
                    r.attended,
                    r.elearning,
                    r.other,
                )
                for r in report.rows
            ]
            if report_rows(ours) != report_rows(theirs):
                raise SystemExit(f"report ({label}) differs: {len(ours)} rows, SQL {len(theirs)}")
            ways[f"hours_report() ({label})"] = {
                "python": python_time,
                "sql": sql_time,
                "statements": statements,
                "rows": len(ours),
                "below": report.below,
            }

        person = state.session.get(RolloutPerson, busy)
        idle_person = state.session.get(RolloutPerson, idle)

        def by_python_transcript(person=person):
            return hours.transcript(person, policy=policy)

        python_time, record = timed(by_python_transcript, args.rounds)
        _answer, statements = statements_of(engine, by_python_transcript)
        _answer, idle_statements = statements_of(
            engine, lambda: hours.transcript(idle_person, policy=policy)
        )
        assert statements == idle_statements == 1, (statements, idle_statements)

        def by_sql_transcript():
            with engine.connect() as connection:
                return handwritten_transcript(connection, busy)

        sql_time, theirs = timed(by_sql_transcript, args.rounds)
        theirs_rows = handwritten_rows(theirs)
        ours_rows = transcript_rows(record)
        if ours_rows != theirs_rows:
            raise SystemExit(f"transcript differs: {len(ours_rows)} rows, SQL {len(theirs)}")
        ways["transcript()"] = {
            "python": python_time,
            "sql": sql_time,
            "statements": statements,
            "rows": len(ours_rows),
            "below": None,
        }
        state.session.rollback()
        db.session.remove()

    pages = {}
    client = host.test_client()
    response = client.post("/login", data={"username": "admin", "password": "demo-admin"})
    assert response.status_code == 302
    for label, url in (
        ("GET /appgov/training/hours", "/appgov/training/hours"),
        ("GET ...hours?agency=", f"/appgov/training/hours?agency={one_agency}"),
        ("GET /appgov/training/people/<id>", f"/appgov/training/people/{busy}"),
    ):

        def get(url=url):
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            return response

        page_time, response = timed(get, args.rounds)
        _answer, statements = statements_of(engine, get)
        pages[label] = (page_time, statements, len(response.data))
    idle_page = f"/appgov/training/people/{idle}"
    _answer, idle_statements = statements_of(engine, lambda: client.get(idle_page))
    # the pages' statements do not grow: one agency as the city, an idle person as the busiest
    assert pages["GET /appgov/training/hours"][1] == pages["GET ...hours?agency="][1], pages
    assert pages["GET /appgov/training/people/<id>"][1] == idle_statements, pages
    with host.app_context():
        db.engine.dispose()
    return {
        "kind": database.kind,
        "counts": counts,
        "generated": generated,
        "ways": ways,
        "pages": pages,
    }


def report(results: list[dict], args) -> None:
    print()
    print(
        f"learning hours: {args.people} people, {args.courses} courses, {args.sessions} "
        f"sessions, {args.attendance} attendance rows, median of {args.rounds} rounds; "
        f"Python {platform.python_version()}, {platform.machine()}, "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    for r in results:
        c = r["counts"]
        every = r["ways"]["hours_report() (every agency)"]
        print(
            f"{r['kind']}: {c['agencies']} agencies, {c['people']} people, {c['courses']} "
            f"courses, {c['sessions']} sessions, {c['enrollments']} enrollments, "
            f"{c['attendance']} attendance rows, {c['completions']} e-learning completions, "
            f"{c['other']} other learning; {every['rows']} people in the report, "
            f"{every['below']} below the target, the same rows by both ways; "
            f"generated in {r['generated']:.1f} s"
        )
    print()
    print(f"{'database':<11} {'way':<36} {'median':>10} {'vs SQL':>7} {'statements':>10}")
    for r in results:
        kind = r["kind"]
        for label, way in r["ways"].items():
            sql, python = way["sql"], way["python"]
            print(
                f"{kind:<11} {'  hand-written SQL (one statement)':<36} {sql:>9.4f}s "
                f"{'1.0x':>7} {1:>10}"
            )
            print(
                f"{kind:<11} {label:<36} {python:>9.4f}s {python / sql:>6.1f}x "
                f"{way['statements']:>10}"
            )
        for label, (seconds, statements, _size) in r["pages"].items():
            print(f"{kind:<11} {label:<36} {seconds:>9.4f}s {'':>7} {statements:>10}")
    print()
    for r in results:
        for label, way in r["ways"].items():
            ratio = way["python"] / way["sql"]
            print(
                f"{r['kind']}: {label} {ratio:.1f}x the hand-written query (target <= 3x: "
                f"{'met' if ratio <= 3 else 'missed'})"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", action="append", choices=("sqlite", "postgresql"))
    parser.add_argument("--database-url", help="an empty database to use (not dropped)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--people", type=int, default=30_000)
    parser.add_argument("--courses", type=int, default=200)
    parser.add_argument("--sessions", type=int, default=2_000)
    parser.add_argument("--attendance", type=int, default=300_000)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run: 600 people, 20 courses, 200 sessions, 6,000 attendance rows",
    )
    args = parser.parse_args()
    if args.quick:
        args.people, args.courses, args.sessions, args.attendance = 600, 20, 200, 6_000
        args.rounds = 1
    results = [measure(database, args) for database in each_database(args, "appgov-bench-hours-")]
    report(results, args)


if __name__ == "__main__":
    main()
