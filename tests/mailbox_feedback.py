"""Helpers of the forwarder's tests: citizens' feedback stored as the intake stores it
(``store_feedback``: the item and its outbox row in one transaction), the forwarder as a
real process (``flask appgov mailbox forward`` of the sample host), and what each side
recorded."""

from __future__ import annotations

import datetime as dt
import os
import re
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

from appgov_plugin.apps.models import App
from appgov_plugin.db import utcnow
from appgov_plugin.mailbox.intake import store_feedback
from appgov_plugin.mailbox.models import Feedback, FeedbackOutbox, PersonalDataReveal
from sample_host.extensions import db

REPO = Path(__file__).resolve().parents[1]
#: How long a forwarder process may take to start (the sample host's start-up)
START_TIMEOUT = 60


def aware(moment: dt.datetime | None) -> dt.datetime | None:
    """A timestamp read back from SQLite (naive, UTC) as an aware one."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=dt.UTC)


def without_demo_feedback() -> None:
    """Remove the demo's feedback (items in every outbox state): a test counts its own."""
    for model in (PersonalDataReveal, FeedbackOutbox, Feedback):
        db.session.execute(sa.delete(model))
    db.session.commit()


def linked_app() -> App:
    """An app of the demo linked to the mayor mailbox (else the first app)."""
    return db.session.scalars(
        sa.select(App).order_by(App.linked_to_mayor_mailbox.desc(), App.id).limit(1)
    ).one()


def submit(count: int, app: App | None = None, **fields) -> list[int]:
    """Store ``count`` feedback items of ``app`` as the intake does; their ids."""
    app = app or linked_app()
    ids = []
    for number in range(count):
        values = {"description": f"意見 {number + 1}：路燈不亮", **fields}
        ids.append(store_feedback(app=app, fields=values).id)
    return ids


def submit_many(count: int, app: App | None = None) -> list[int]:
    """``count`` items stored as :func:`submit` stores them (each with its pending outbox
    row, its own token and idempotency key), in one transaction: a thousand items without
    a thousand commits. Their ids."""
    app = app or linked_app()
    now = utcnow()
    with db.engine.begin() as connection:
        first = connection.scalar(sa.select(sa.func.coalesce(sa.func.max(Feedback.id), 0))) + 1
        ids = list(range(first, first + count))
        connection.execute(
            sa.insert(Feedback),
            [
                {
                    "id": feedback_id,
                    "app_id": app.id,
                    "service_code": app.code,
                    "token": str(uuid.uuid4()),
                    "idempotency_key": str(uuid.uuid4()),
                    "description": f"意見 {feedback_id}：路燈不亮",
                    "locale": "zh_Hant_TW",
                    "requested_at": now,
                    "updated_at": now,
                    "status": "open",
                }
                for feedback_id in ids
            ],
        )
        connection.execute(
            sa.insert(FeedbackOutbox),
            [{"feedback_id": i, "state": "pending", "next_attempt_at": now} for i in ids],
        )
    return ids


def outbox_rows() -> dict[int, FeedbackOutbox]:
    """The outbox rows by feedback id, read fresh."""
    db.session.expire_all()
    return {row.feedback_id: row for row in db.session.scalars(sa.select(FeedbackOutbox))}


def feedback_rows() -> dict[int, Feedback]:
    db.session.expire_all()
    return {row.id: row for row in db.session.scalars(sa.select(Feedback))}


def host_settings(app, mailbox, **config) -> dict:
    """The settings of a sample host on ``app``'s database talking to ``mailbox``."""
    settings = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": "test",
        "INSTANCE_PATH": app.instance_path,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "RATELIMIT_ENABLED": False,
        "APPGOV_MAILBOX_URL": mailbox.url,
        "APPGOV_MAILBOX_API_KEY": mailbox.api_key,
    }
    return {**settings, **config}


def configure(app, mailbox, **config) -> None:
    """Point an in-process host at ``mailbox`` (set after start-up: the seeded demo database
    is shared by every test of the same configuration)."""
    app.config.update(APPGOV_MAILBOX_URL=mailbox.url, APPGOV_MAILBOX_API_KEY=mailbox.api_key)
    app.config.update(config)


def forwarder_process(settings: dict, *args: str) -> subprocess.Popen:
    """``flask appgov mailbox forward *args`` of the sample host with ``settings``, started."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")}
    app_spec = f"sample_host:create_app({settings!r})"
    command = [sys.executable, "-m", "flask", "--app", app_spec, "appgov", "mailbox", "forward"]
    return subprocess.Popen(
        [*command, *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


class ForwarderProcess:
    """A forwarder process whose output is read as it comes (``lines``)."""

    def __init__(self, settings: dict, *args: str):
        self.process = forwarder_process(settings, *args)
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, text: str, timeout: float = START_TIMEOUT) -> None:
        """Until a line of the output contains ``text`` (or the process ended)."""
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.lines):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.reader.join(5)
                raise AssertionError(f"no {text!r} in the forwarder's output: {self.output}")
            time.sleep(0.02)

    def signal(self, signum: int) -> int:
        """Send ``signum``; the exit status once the process ended."""
        self.process.send_signal(signum)
        status = self.process.wait(timeout=60)
        self.reader.join(10)
        return status

    def wait(self) -> int:
        status = self.process.wait(timeout=300)
        self.reader.join(10)
        return status

    def totals(self) -> tuple[int, int, int]:
        """(sent, retried, failed) of its last line ``mailbox: N sent, ...``."""
        last = [line for line in self.lines if line.startswith("mailbox: ")][-1]
        numbers = re.findall(r"(\d+) (?:sent|retried|failed)", last)
        return tuple(int(n) for n in numbers)


def sent_count(engine) -> int:
    """How many outbox rows are sent (a connection of its own, closed at once: no lock kept
    on SQLite while forwarders write)."""
    with engine.connect() as connection:
        return connection.scalar(sa.select(sa.func.count()).where(FeedbackOutbox.state == "sent"))


def mailbox_count(mailbox) -> int:
    """How many requests the mailbox stored (a count on its database: polling cheaply while
    forwarders send)."""
    with sqlite3.connect(mailbox.database, timeout=30) as connection:
        return connection.execute("SELECT count(*) FROM host_mailbox_request").fetchone()[0]


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout} s for {what}")
        time.sleep(0.05)
