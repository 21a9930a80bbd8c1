"""The reliability proof of the mailbox link (rule MAIL-2: no feedback is lost; forwarded at
least once, recorded exactly once on the mailbox side, retried with back-off while the
mailbox is unreachable), at 1,000 items:

* the mailbox down while 1,000 items are submitted; back up; the forwarder delivers them;
* the forwarder (a real process, ``flask appgov mailbox forward``) killed with SIGKILL in the
  middle of its work, then started again;
* two forwarder processes at once.

The 1,000 items are stored as the intake stores them (each with its pending outbox row), in
one transaction (``submit_many``): a thousand commits would be most of the test's time.

Each time: exactly 1,000 requests on the mailbox side (the sample mailbox, a real HTTP
server), none twice, and every feedback record shows its mailbox number.
``benchmarks/mailbox_reliability.py`` runs the same proof for larger numbers.
"""

from __future__ import annotations

import datetime as dt
import signal

import pytest
import sqlalchemy as sa
from mailbox_feedback import (
    ForwarderProcess,
    configure,
    feedback_rows,
    host_settings,
    mailbox_count,
    outbox_rows,
    sent_count,
    submit_many,
    wait_until,
    without_demo_feedback,
)

from appgov_plugin.db import utcnow
from appgov_plugin.mailbox.models import FeedbackOutbox
from sample_host.extensions import db

ITEMS = 1000
#: a generous bound for the forwarder to deliver ITEMS (it sends 200+ per second)
DELIVERY_TIMEOUT = 180


@pytest.fixture
def host(sample_host_factory):
    """The sample host without the demo's feedback; each test points it at its mailbox."""
    app = sample_host_factory()
    with app.app_context():
        without_demo_feedback()
        yield app
        db.session.remove()


def assert_recorded_exactly_once(mailbox_server, feedback_ids) -> None:
    """Exactly one mailbox request per item (its idempotency key), and its number on it."""
    on_mailbox = mailbox_server.requests()
    keys = [row.idempotency_key for row in on_mailbox]
    duplicates = len(keys) - len(set(keys))
    feedback = feedback_rows()
    assert duplicates == 0
    assert len(on_mailbox) == len(feedback_ids) == ITEMS
    number_of = {row.idempotency_key: row.service_request_id for row in on_mailbox}
    lost = [i for i in feedback_ids if feedback[i].idempotency_key not in number_of]
    assert lost == []
    assert all(
        feedback[i].service_request_id == number_of[feedback[i].idempotency_key]
        for i in feedback_ids
    )
    assert {row.state for row in outbox_rows().values()} == {"sent"}
    db.session.commit()  # no read transaction left open


def test_mailbox_down_then_back(host, own_mailbox_server):
    mailbox_server = own_mailbox_server  # taken down and brought back: the test's own
    configure(host, mailbox_server)
    mailbox_server.stop()
    ids = submit_many(ITEMS)
    # a forwarder worker runs while the mailbox is down: every item backs off (a second
    # here), nothing is lost
    settings = host_settings(
        host, mailbox_server, APPGOV_MAILBOX_BACKOFF_BASE=1, APPGOV_MAILBOX_BACKOFF_MAX=1
    )
    worker = ForwarderProcess(settings, "--loop", "--interval", "0.1")
    worker.wait_for(f"mailbox: 0 sent, {ITEMS} retried later (backing off), 0 failed")
    assert sent_count(db.engine) == 0
    mailbox_server.start()
    wait_until(lambda: sent_count(db.engine) == ITEMS, DELIVERY_TIMEOUT, "every item sent")
    assert worker.signal(signal.SIGTERM) == 0  # --loop ends cleanly on SIGTERM
    sent, retried, failed = worker.totals()
    assert (sent, failed) == (ITEMS, 0) and retried >= ITEMS
    assert_recorded_exactly_once(mailbox_server, ids)


def test_forwarder_killed_mid_batch_and_restarted(host, mailbox_server):
    configure(host, mailbox_server)
    ids = submit_many(ITEMS)
    db.session.commit()
    settings = host_settings(host, mailbox_server, APPGOV_MAILBOX_LEASE_SECONDS=2)
    first = ForwarderProcess(settings, "--batch", "25")
    wait_until(
        lambda: mailbox_count(mailbox_server) >= ITEMS // 4 or first.process.poll() is not None,
        DELIVERY_TIMEOUT,
        "a quarter of the items on the mailbox",
    )
    assert first.signal(signal.SIGKILL) == -signal.SIGKILL  # killed, not finished
    delivered = len(mailbox_server.requests())
    assert ITEMS // 4 <= delivered < ITEMS
    with db.engine.connect() as connection:
        states = dict(
            connection.execute(
                sa.select(FeedbackOutbox.state, sa.func.count()).group_by(FeedbackOutbox.state)
            ).all()
        )
    assert states.get("sent", 0) < ITEMS and sum(states.values()) == ITEMS
    # started again: the rows the killed one held come back once its lease ran out
    second = ForwarderProcess(settings, "--loop", "--interval", "0.1")
    second.wait_for("until SIGTERM")
    wait_until(lambda: sent_count(db.engine) == ITEMS, DELIVERY_TIMEOUT, "every item sent")
    assert second.signal(signal.SIGTERM) == 0
    assert_recorded_exactly_once(mailbox_server, ids)


def test_two_forwarders_at_once(host, mailbox_server):
    configure(host, mailbox_server)
    ids = submit_many(ITEMS)
    # not due yet: both forwarders are up and waiting before any item is
    _make_due(utcnow() + dt.timedelta(hours=1))
    settings = host_settings(host, mailbox_server)
    workers = [
        ForwarderProcess(settings, "--loop", "--interval", "0.05", "--batch", "20")
        for _ in range(2)
    ]
    for worker in workers:
        worker.wait_for("until SIGTERM")
    _make_due(utcnow())
    wait_until(lambda: sent_count(db.engine) == ITEMS, DELIVERY_TIMEOUT, "every item sent")
    for worker in workers:
        assert worker.signal(signal.SIGTERM) == 0
    sent = [worker.totals()[0] for worker in workers]
    # each item claimed by one of them only: together they sent each item once, and both
    # took part
    assert sum(sent) == ITEMS and min(sent) > 0, sent
    assert_recorded_exactly_once(mailbox_server, ids)


def _make_due(moment) -> None:
    with db.engine.begin() as connection:
        connection.execute(sa.update(FeedbackOutbox).values(next_attempt_at=moment))
