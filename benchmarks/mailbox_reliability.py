"""Benchmark: the mailbox link's reliability proof (rule MAIL-2) for larger numbers, and the
forwarder's items per second to the local sample mailbox.

A sample host on a fresh database (SQLite in a temporary folder, PostgreSQL in a throw-away
schema of ``APPGOV_BENCH_POSTGRES_URL``, default ``APPGOV_TEST_POSTGRES_URL`` or
``postgresql+psycopg://postgres@127.0.0.1:5432/test``) and the sample mailbox
(``python -m sample_host.mailbox.standalone``, its own SQLite file, as the tests run it).
For each scenario, ``N`` new feedback items are stored as the intake stores them (each with
its pending outbox row; in bulk, one transaction) and forwarded by real
``flask appgov mailbox forward`` processes:

- ``down``  -- the mailbox down: one forwarder run backs every item off; the mailbox back
  up; a forwarder process delivers them;
- ``kill``  -- a forwarder process killed with SIGKILL once a quarter of the items reached
  the mailbox, then started again after its lease ran out;
- ``two``   -- two forwarder processes at once.

Each prints the items sent (on the mailbox side), duplicates (mailbox requests beyond one
per item), lost (items without a mailbox request, or whose record lacks the mailbox's
number), the seconds from the first forwarder's start to the last item recorded (process
start-up included), and items per second over that time. ``throughput`` is one forwarder
run in this process (no start-up): the forwarder's own items per second (target: 200+).

Usage: ``python benchmarks/mailbox_reliability.py [N] [--db sqlite --db postgresql]
[--scenario down --scenario kill --scenario two --scenario throughput] [--batch 50]
[--concurrency 4]``
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # the sample mailbox's runner (tests/mailbox_server.py)

from bench_database import Database  # noqa: E402
from mailbox_feedback import mailbox_count  # noqa: E402
from mailbox_server import MailboxServer  # noqa: E402

from appgov_plugin.apps.models import App  # noqa: E402
from appgov_plugin.db import utcnow  # noqa: E402
from appgov_plugin.mailbox.forwarder import forward  # noqa: E402
from appgov_plugin.mailbox.models import Feedback, FeedbackOutbox, PersonalDataReveal  # noqa: E402
from sample_host import create_app  # noqa: E402
from sample_host.extensions import db  # noqa: E402

SCENARIOS = ("down", "kill", "two", "throughput")
#: the lease of the killed forwarder's items (seconds): the restart waits this long
LEASE_SECONDS = 2


def settings(database: Database, mailbox: MailboxServer, **config) -> dict:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database.url,
        "SECRET_KEY": "benchmark",
        "INSTANCE_PATH": str(Path(database.folder) / "instance"),
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "RATELIMIT_ENABLED": False,
        "APPGOV_MAILBOX_URL": mailbox.url,
        "APPGOV_MAILBOX_API_KEY": mailbox.api_key,
        **config,
    }


def store(count: int) -> dict[str, int]:
    """``count`` new items with their pending outbox rows; ``{idempotency key: id}``."""
    app = db.session.scalars(sa.select(App).order_by(App.id).limit(1)).one()
    now = utcnow()
    with db.engine.begin() as connection:
        first = connection.scalar(sa.select(sa.func.coalesce(sa.func.max(Feedback.id), 0))) + 1
        rows = [
            {
                "id": first + n,
                "app_id": app.id,
                "service_code": app.code,
                "token": str(uuid.uuid4()),
                "idempotency_key": str(uuid.uuid4()),
                "description": f"意見 {first + n}：路燈不亮",
                "locale": "zh_Hant_TW",
                "requested_at": now,
                "updated_at": now,
                "status": "open",
            }
            for n in range(count)
        ]
        connection.execute(sa.insert(Feedback), rows)
        connection.execute(
            sa.insert(FeedbackOutbox),
            [{"feedback_id": r["id"], "state": "pending", "next_attempt_at": now} for r in rows],
        )
    return {row["idempotency_key"]: row["id"] for row in rows}


def forwarder(config: dict, *args: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")}
    command = [sys.executable, "-m", "flask", "--app", f"sample_host:create_app({config!r})"]
    command += ["appgov", "mailbox", "forward", *args]
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def sent_total() -> int:
    """How many outbox rows are sent (a cheap count on a connection of its own: a long
    read would hold up the forwarders' commits on SQLite)."""
    with db.engine.connect() as connection:
        return connection.scalar(
            sa.select(sa.func.count())
            .select_from(FeedbackOutbox)
            .where(FeedbackOutbox.state == "sent")
        )


def wait_recorded(target: int, processes=()) -> None:
    """Until ``target`` rows are sent, or every forwarder ended (what is left is lost)."""
    while sent_total() < target:
        if processes and all(p.poll() is not None for p in processes):
            return
        time.sleep(0.1)


def report(kind: str, scenario: str, keys: dict[str, int], mailbox, seconds: float) -> bool:
    mine = [row for row in mailbox.requests() if row.idempotency_key in keys]
    numbers = {row.idempotency_key: row.service_request_id for row in mine}
    with db.engine.connect() as connection:
        on_records = dict(
            connection.execute(
                sa.select(Feedback.idempotency_key, Feedback.service_request_id).where(
                    Feedback.id.in_(list(keys.values()))
                )
            ).all()
        )
    duplicates = len(mine) - len(numbers)
    lost = sum(1 for key in keys if key not in numbers or on_records.get(key) != numbers[key])
    rate = len(keys) / seconds if seconds else 0
    print(
        f"{kind:<10} {scenario:<10} {len(keys):>7} {len(numbers):>7} {duplicates:>10} "
        f"{lost:>5} {seconds:>8.1f} {rate:>8.0f}",
        flush=True,
    )
    return duplicates == 0 and lost == 0


def run(kind: str, n: int, scenarios, batch: int, concurrency: int) -> bool:
    database = Database(kind, prefix="appgov-bench-mailbox-")
    mailbox = MailboxServer(Path(database.folder))
    mailbox.start()
    options = {"APPGOV_MAILBOX_BATCH": batch, "APPGOV_MAILBOX_CONCURRENCY": concurrency}
    config = settings(database, mailbox, **options)
    ok, host = True, None
    try:
        host = create_app(config)
        with host.app_context():
            for model in (PersonalDataReveal, FeedbackOutbox, Feedback):  # the demo's
                db.session.execute(sa.delete(model))
            db.session.commit()
            for scenario in scenarios:
                ok &= globals()[f"scenario_{scenario}"](kind, host, config, mailbox, n)
            db.session.remove()
    finally:
        mailbox.stop()
        if host is not None:
            with host.app_context():
                db.engine.dispose()
        database.drop()
    return ok


def scenario_down(kind, host, config, mailbox, n) -> bool:
    mailbox.stop()
    keys = store(n)
    host.config.update(APPGOV_MAILBOX_BACKOFF_BASE=0.01, APPGOV_MAILBOX_BACKOFF_MAX=0.01)
    backed_off = forward(host)  # every item backs off (a hundredth of a second here)
    assert backed_off.retried == n, backed_off
    mailbox.start()
    target = sent_total() + n
    start = time.monotonic()
    process = forwarder(config)
    wait_recorded(target, [process])
    seconds = time.monotonic() - start
    process.wait()
    return report(kind, "down", keys, mailbox, seconds)


def scenario_kill(kind, host, config, mailbox, n) -> bool:
    keys = store(n)
    before, target = mailbox_count(mailbox), sent_total() + n
    leased = {**config, "APPGOV_MAILBOX_LEASE_SECONDS": LEASE_SECONDS}
    start = time.monotonic()
    first = forwarder(leased, "--batch", "25")
    while mailbox_count(mailbox) - before < n // 4 and first.poll() is None:
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.wait()
    time.sleep(LEASE_SECONDS + 0.2)  # the killed one's items come back when its lease ends
    second = forwarder(leased)
    wait_recorded(target, [second])
    seconds = time.monotonic() - start
    second.wait()
    return report(kind, "kill", keys, mailbox, seconds)


def scenario_two(kind, host, config, mailbox, n) -> bool:
    keys = store(n)
    target = sent_total() + n
    start = time.monotonic()
    processes = [forwarder(config), forwarder(config)]
    wait_recorded(target, processes)
    seconds = time.monotonic() - start
    for process in processes:
        process.wait()
    return report(kind, "two", keys, mailbox, seconds)


def scenario_throughput(kind, host, config, mailbox, n) -> bool:
    forward(host)  # nothing due: the rule parameters and the agencies read once
    keys = store(n)
    start = time.monotonic()
    totals = forward(host)
    seconds = time.monotonic() - start
    assert totals.sent == n, totals
    return report(kind, "throughput", keys, mailbox, seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, nargs="?", default=10_000, help="items per scenario")
    parser.add_argument("--db", action="append", choices=("sqlite", "postgresql"))
    parser.add_argument("--scenario", action="append", choices=SCENARIOS)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    kinds = args.db or ["sqlite", "postgresql"]
    scenarios = args.scenario or list(SCENARIOS)
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores")
    print(
        f"batch {args.batch}, {args.concurrency} items sent at once; the sample mailbox on SQLite"
    )
    print(
        f"{'database':<10} {'scenario':<10} {'items':>7} {'sent':>7} {'duplicates':>10} "
        f"{'lost':>5} {'seconds':>8} {'items/s':>8}"
    )
    ok = all([run(kind, args.n, scenarios, args.batch, args.concurrency) for kind in kinds])
    print("MAIL-2 holds: every item recorded once" if ok else "MAIL-2 BROKEN: see above")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
