"""Benchmark: the app list and the inbox with 5,000 apps and 50,000 cases.

A sample host on a fresh database (SQLite in a temporary folder, PostgreSQL in a throw-away
schema of ``APPGOV_BENCH_POSTGRES_URL``, default ``APPGOV_TEST_POSTGRES_URL`` or
``postgresql+psycopg://postgres@127.0.0.1:5432/test``) gets ``--apps`` apps spread over the
demo agencies and ``--cases`` cases about them (proposals and listing checklists in every
state: drafts, waiting for the reviewer, decided), with their submit steps, their links to
the apps and the open deadlines of the waiting ones -- inserted with bulk SQL (one
executemany per table), then ANALYZEd.

For each page and role, two ways are timed in the same run, alternating call by call,
median of ``--rounds`` rounds of ``--calls`` requests:

- ``page`` -- the page through the Flask test client, logged in (``/appgov/`` first page,
  ``/inbox`` both sections), response read in full; its SQL statements are counted;
- ``sql``  -- a hand-written SQL query (two for the inbox: one per section) producing the
  same rows (the same ids in the same order, checked first) with what the page shows of
  them (total, open cases, next due date; agency and owner of each case), on the same
  engine.

The ratio is ``page / sql`` (target: at most 3); the page's query count must not change
with the data (it is counted with 50 apps and 500 cases first, printed beside it). ``home``
is the host's home page for the same user: the cost of any page of the host (session, user,
layout, navigation badges) before its own work; ``(page - home) / sql`` is the ratio of the
page's own work.

Usage: ``python benchmarks/lifecycle.py [--db sqlite --db postgresql] [--apps 5000]
[--cases 50000] [--rounds 5] [--calls 5]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import re
import statistics
import sys
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_database import Database
from bench_measure import make_host as bench_host

from appgov_plugin.apps.case_types import PROPOSAL
from appgov_plugin.apps.models import App
from appgov_plugin.lifecycle.case_types import LISTING
from appgov_plugin.lifecycle.models import AppCase, Deadline
from sample_host.extensions import db
from sample_host.models import Agency, Case, CaseHistory, User

UTC = dt.UTC


# -- the database -----------------------------------------------------------------------------


def fill(host, apps: int, cases: int, seed: int = 2026) -> None:
    """``apps`` apps and ``cases`` cases (with history, links, deadlines) in bulk SQL."""
    rng = random.Random(seed)
    with host.app_context():
        session = db.session
        agencies = session.execute(sa.select(Agency.id, Agency.code)).all()
        staff = session.scalar(sa.select(User.id).where(User.username == "staff"))
        admin = session.scalar(sa.select(User.id).where(User.username == "admin"))
        registry = host.extensions["casehost"].case_types
        first_app = (session.scalar(sa.select(sa.func.max(App.id))) or 0) + 1
        app_rows = []
        for number in range(apps):
            _agency_id, code = agencies[number % len(agencies)]
            app_rows.append(
                {
                    "id": first_app + number,
                    "code": f"app-{first_app + number}",  # App.code, as the ORM gives it
                    "agency_code": code,
                    "name": f"{rng.choice('府城臺南高雄智慧行動市民')}服務{number:05d}",
                    "description": "",
                    "status": rng.choice(("listed", "listed", "in_development", "suspended")),
                    "version": f"{rng.randint(1, 5)}.{rng.randint(0, 9)}.0",
                    "ios_url": "https://apps.apple.com/tw/app/id1" if number % 3 else None,
                    "android_url": "https://play.google.com/store/apps/details?id=x",
                    "linked_to_mayor_mailbox": bool(number % 2),
                    "security_takedown": False,
                }
            )
        session.execute(sa.insert(App.__table__), app_rows)

        by_code = {code: agency_id for agency_id, code in agencies}
        first_case = (session.scalar(sa.select(sa.func.max(Case.id))) or 0) + 1
        now = dt.datetime(2026, 11, 1, tzinfo=UTC)
        today = dt.date(2026, 12, 1)
        case_rows, history_rows, link_rows, deadline_rows = [], [], [], []
        kinds = []
        for key in (PROPOSAL, LISTING):
            workflow = registry[key].workflow
            reviewer_states = sorted(workflow.states_where_acts("reviewer"))
            submit = next(t for t in workflow.transitions_from(workflow.initial))
            kinds.append((key, workflow, reviewer_states, submit))
        for number in range(cases):
            key, workflow, reviewer_states, submit = kinds[number % 2]
            app = app_rows[rng.randrange(apps)]
            roll = rng.random()
            if roll < 0.2:
                state = workflow.initial
            elif roll < 0.7:
                state = rng.choice(reviewer_states)
            else:
                state = rng.choice(sorted(workflow.final_states))
            case_id = first_case + number
            owner = staff if app["agency_code"] == "tainan-tourism" else admin
            case_rows.append(
                {
                    "id": case_id,
                    "type_key": key,
                    "agency_id": by_code[app["agency_code"]],
                    "status": state,
                    "data": {"app": str(app["id"]), "app_name": app["name"]},
                    "owner_id": owner,
                    "created_at": now,
                    "updated_at": now + dt.timedelta(seconds=number),
                    "search_text": app["name"].lower(),
                }
            )
            if state != workflow.initial:
                history_rows.append(
                    {
                        "case_id": case_id,
                        "actor_id": owner,
                        "at": now,
                        "transition": submit.name,
                        "from_state": workflow.initial,
                        "to_state": submit.target,
                        "comment": "",
                        "previous_hash": "0" * 64,
                        "row_hash": f"{case_id:064x}",
                    }
                )
                link_rows.append(
                    {
                        "case_id": case_id,
                        "app_id": app["id"],
                        "type_key": key,
                        "status": state,
                        "agency_code": app["agency_code"],
                        "reason_key": None,
                        "updated_at": now,
                    }
                )
            if state in reviewer_states:
                deadline_rows.append(
                    {
                        "case_id": case_id,
                        "app_id": app["id"],
                        "type_key": key,
                        "state": state,
                        "kind": "plan_review",
                        "started_on": today - dt.timedelta(days=20),
                        "due_on": today + dt.timedelta(days=rng.randint(-10, 30)),
                    }
                )
        for table, rows in (
            (Case.__table__, case_rows),
            (CaseHistory.__table__, history_rows),
            (AppCase.__table__, link_rows),
            (Deadline.__table__, deadline_rows),
        ):
            session.execute(sa.insert(table), rows)
        session.commit()
        connection = session.connection()
        if connection.dialect.name == "postgresql":
            for table in ("appgov_app", "host_case"):
                connection.execute(
                    sa.text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
        session.commit()
    analyze(host)


def analyze(host) -> None:
    with host.app_context():
        engine = db.engine
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("ANALYZE"))


# -- the hand-written queries ------------------------------------------------------------------


def final_pairs(host) -> list[tuple[str, str]]:
    return [
        (t.key, state)
        for t in host.extensions["casehost"].case_types
        for state in sorted(t.workflow.final_states)
    ]


APP_LIST_SQL = """
SELECT a.id, a.name, a.agency_code, a.status, a.version, a.ios_url, a.android_url,
       (SELECT count(*) FROM appgov_app_case c
         WHERE c.app_id = a.id AND NOT ({finals})) AS open_cases,
       (SELECT min(d.due_on) FROM appgov_deadline d
         WHERE d.app_id = a.id AND d.closed_at IS NULL) AS next_due,
       count(*) OVER () AS total
  FROM appgov_app a
 WHERE a.agency_code IN :agencies
 ORDER BY a.agency_code, a.name, a.id
 LIMIT 50
"""

TO_ACT_SQL = """
SELECT c.id, c.type_key, c.status, c.data, c.updated_at, g.code, g.name_zh, u.display_name,
       count(*) OVER () AS total
  FROM host_case c
  JOIN host_agency g ON g.id = c.agency_id
  JOIN host_user u ON u.id = c.owner_id
 WHERE c.agency_id IN :agency_ids
   AND ({acting})
   AND (c.owner_id = :me
        OR EXISTS (SELECT 1 FROM host_case_history h
                    WHERE h.case_id = c.id AND h.from_state = :initial
                      AND h.to_state <> :initial))
   AND (NOT ({decisions_only})
        OR NOT EXISTS (SELECT 1 FROM host_case_history h
                        WHERE h.case_id = c.id AND h.actor_id = :me))
 ORDER BY c.updated_at DESC, c.id DESC
 LIMIT 50
"""

OWNED_SQL = """
SELECT c.id, c.type_key, c.status, c.data, c.updated_at, g.code, g.name_zh, u.display_name,
       count(*) OVER () AS total
  FROM host_case c
  JOIN host_agency g ON g.id = c.agency_id
  JOIN host_user u ON u.id = c.owner_id
 WHERE c.owner_id = :me
 ORDER BY c.updated_at DESC, c.id DESC
 LIMIT 50
"""


def sql_for(host, username: str):
    """(app list query, inbox queries) for ``username``: callables answering the row ids."""
    with host.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == username))
        city = user.agency.city
        city_agencies = db.session.execute(
            sa.select(Agency.id, Agency.code).where(Agency.city == city)
        ).all()
        agency_role = user.role in ("agency_staff", "agency_head")
        codes = [user.agency.code] if agency_role else [code for _id, code in city_agencies]
        agency_ids = (
            [user.agency_id] if agency_role else [agency_id for agency_id, _c in city_agencies]
        )
        registry = host.extensions["casehost"].case_types
        acting, decisions_only = [], []
        for case_type in registry:
            workflow = case_type.workflow
            states = sorted(workflow.states_where_acts(user.role))
            if states:
                quoted = ", ".join(f"'{s}'" for s in states)
                acting.append(f"(c.type_key = '{case_type.key}' AND c.status IN ({quoted}))")
            for state in states:  # separation of duties: only decisions are barred
                own = [t for t in workflow.transitions_from(state) if t.role == user.role]
                if all(t.decides for t in own):
                    decisions_only.append(
                        f"(c.type_key = '{case_type.key}' AND c.status = '{state}')"
                    )
        engine = db.engine
    finals = " OR ".join(f"(c.type_key = '{k}' AND c.status = '{s}')" for k, s in final_pairs(host))
    app_list = sa.text(APP_LIST_SQL.format(finals=finals or "false")).bindparams(
        sa.bindparam("agencies", expanding=True)
    )
    to_act = sa.text(
        TO_ACT_SQL.format(
            acting=" OR ".join(acting) or "1 = 0",
            decisions_only=" OR ".join(decisions_only) or "1 = 0",
        )
    ).bindparams(sa.bindparam("agency_ids", expanding=True))
    owned = sa.text(OWNED_SQL)

    def apps():
        with engine.connect() as conn:
            rows = conn.execute(app_list, {"agencies": codes}).all()
        return [row.id for row in rows]

    def inbox():
        with engine.connect() as conn:
            acts = conn.execute(
                to_act, {"agency_ids": agency_ids, "initial": "draft", "me": user.id}
            ).all()
            mine = conn.execute(owned, {"me": user.id}).all()
        return [row.id for row in acts], [row.id for row in mine]

    return apps, inbox


# -- the pages ---------------------------------------------------------------------------------


def ordered(ids) -> list[int]:
    seen, out = set(), []
    for number in ids:
        if number not in seen:
            seen.add(number)
            out.append(number)
    return out


def app_ids(page: str) -> list[int]:
    table = page.split('class="table app-list"', 1)[1].split("</table>", 1)[0]
    return ordered(int(n) for n in re.findall(r'href="/appgov/apps/(\d+)"', table))


def inbox_ids(page: str) -> tuple[list[int], list[int]]:
    waiting, owned = page.split("待您處理", 1)[1].split("您提出的案件", 1)
    ids = lambda part: ordered(int(n) for n in re.findall(r'href="/cases/(\d+)"', part))  # noqa: E731
    return ids(waiting), ids(owned)


def login(client, username: str) -> None:
    client.get("/logout")
    response = client.post("/login", data={"username": username, "password": f"demo-{username}"})
    assert response.status_code == 302, username


def counted(host, client, url: str) -> tuple[int, str]:
    statements = []

    def count(*_args):
        statements.append(1)

    with host.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get(url)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200, (url, response.status_code)
    return len(statements), response.get_data(as_text=True)


def interleaved(page, sql, calls: int) -> tuple[float, float]:
    clock = time.perf_counter
    spent_page = spent_sql = 0.0
    for _ in range(calls):
        started = clock()
        page()
        middle = clock()
        sql()
        spent_page += middle - started
        spent_sql += clock() - middle
    return spent_page / calls * 1e3, spent_sql / calls * 1e3


def measure(kind: str, apps: int, cases: int, rounds: int, calls: int) -> list[tuple]:
    database = Database(kind, prefix="appgov-bench-")
    try:
        host = bench_host(database, "tainan", TESTING=True)
        clients = {}
        baseline_queries = {}
        small_apps, small_cases = min(50, apps), min(500, cases)
        fill(host, small_apps, small_cases, seed=1)
        for username in ("reviewer", "staff"):
            client = host.test_client()
            login(client, username)
            clients[username] = client
            for url in ("/appgov/", "/inbox"):
                counted(host, client, url)  # the process's first reads (policy, forms)
                baseline_queries[(username, url)] = counted(host, client, url)[0]
        started = time.perf_counter()
        fill(host, apps - small_apps, cases - small_cases)
        filled = time.perf_counter() - started
        rows = []
        for username, client in clients.items():
            # the host's cheapest logged-in page: what any page costs before its own work
            home = statistics.median(
                interleaved(lambda client=client: client.get("/").get_data(), lambda: None, calls)[
                    0
                ]
                for _ in range(rounds)
            )
            list_sql, inbox_sql = sql_for(host, username)
            for url, sql, ids_of in (
                ("/appgov/", list_sql, app_ids),
                ("/inbox", inbox_sql, inbox_ids),
            ):
                queries, page = counted(host, client, url)
                shown, expected = ids_of(page), sql()
                assert shown == expected, (kind, username, url, shown[:5], expected[:5])
                samples_page, samples_sql = [], []
                for _ in range(rounds):
                    page_ms, sql_ms = interleaved(
                        lambda client=client, url=url: client.get(url).get_data(), sql, calls
                    )
                    samples_page.append(page_ms)
                    samples_sql.append(sql_ms)
                page_ms = statistics.median(samples_page)
                sql_ms = statistics.median(samples_sql)
                rows.append(
                    (kind, url, username, page_ms, sql_ms, queries,
                     baseline_queries[(username, url)], home)
                )  # fmt: skip
        with host.app_context():
            db.session.remove()
            db.engine.dispose()
        print(f"{kind}: {apps} apps and {cases} cases inserted in {filled:.1f} s", flush=True)
        return rows
    finally:
        database.drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", action="append", choices=("sqlite", "postgresql"))
    parser.add_argument("--apps", type=int, default=5000)
    parser.add_argument("--cases", type=int, default=50000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=5)
    args = parser.parse_args()
    rows = []
    for kind in args.db or ("sqlite", "postgresql"):
        rows += measure(kind, args.apps, args.cases, args.rounds, args.calls)
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores")
    print(f"{args.calls} requests per round, median of {args.rounds} rounds (ms per request)")
    print(
        f"{'database':<11} {'page':<9} {'as':<9} {'page ms':>8} {'sql ms':>8} {'× sql':>6} "
        f"{'queries':>8} {'(small)':>8} {'home ms':>8} {'(page-home)/sql':>16}"
    )
    for kind, url, username, page_ms, sql_ms, queries, before, home in rows:
        print(
            f"{kind:<11} {url:<9} {username:<9} {page_ms:>8.1f} {sql_ms:>8.1f} "
            f"{page_ms / sql_ms:>6.2f} {queries:>8} {before:>8} {home:>8.1f} "
            f"{(page_ms - home) / sql_ms:>16.2f}"
        )
    worst = max(rows, key=lambda r: r[3] / r[4])
    print(
        f"worst ratio {worst[3] / worst[4]:.2f} ({worst[0]} {worst[1]} as {worst[2]}); target <= 3"
    )
    constant = all(r[5] == r[6] for r in rows)
    print(f"queries constant (the same with 50 apps and 500 cases): {'yes' if constant else 'NO'}")
    print("home ms = the host's home page for the same user (layout, session, navigation)")


if __name__ == "__main__":
    main()
