"""Helpers of the forwarder's tests: citizens' feedback stored as the intake stores it
(``store_feedback``: the item and its outbox row in one transaction), the forwarder as a
real process (``flask appgov mailbox forward`` of the sample host), and what each side
recorded."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from appgov_plugin.apps.models import App
from appgov_plugin.mailbox.intake import store_feedback
from appgov_plugin.mailbox.models import Feedback, FeedbackOutbox, PersonalDataReveal
from sample_host.extensions import db

REPO = Path(__file__).resolve().parents[1]


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
