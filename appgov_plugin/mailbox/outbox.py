"""The feedback outbox's states (MAIL-2): claiming due rows, leases, back-off, parking.

A row is *due* when it is ``pending`` and its ``next_attempt_at`` has come, or ``sending``
and its ``lease_until`` has passed (the forwarder holding it was killed mid-batch). A
forwarder claims due rows in one short transaction -- it marks them ``sending`` with its
``claimed_by`` and a ``lease_until`` -- so two forwarders never hold the same row:

* PostgreSQL: ``SELECT ... FOR UPDATE SKIP LOCKED`` (a row another forwarder is claiming is
  skipped, not waited for), then the ``UPDATE``;
* SQLite: ``BEGIN IMMEDIATE`` (the database's one write lock, taken before reading) and one
  ``UPDATE ... WHERE id IN (due rows) AND still due ... RETURNING id``.

The results of a batch are written in one transaction after its items were sent: a kill
loses at most the batch in flight, whose rows come back when their lease runs out and are
sent again with the same idempotency key -- the mailbox records each item once (MAIL-2).
A failure backs off exponentially with jitter (:func:`backoff_delay`); after
``APPGOV_MAILBOX_MAX_ATTEMPTS`` attempts, or at once when the mailbox refused the item, the
row is parked as ``failed`` with ``last_error`` until an administrator retries it
(:func:`retry`).
"""

from __future__ import annotations

import datetime as dt
import os
import random
import socket
import uuid
from dataclasses import dataclass

import sqlalchemy as sa

from ..db import utcnow
from .models import Feedback, FeedbackOutbox

OUTBOX = FeedbackOutbox.__table__
FEEDBACK = Feedback.__table__

#: ``last_error`` is kept to this many characters
ERROR_LENGTH = 2000


@dataclass(frozen=True)
class OutboxSettings:
    """The delivery settings (``APPGOV_MAILBOX_*``)."""

    backoff_base: float = 30
    backoff_max: float = 3600
    max_attempts: int = 12
    lease_seconds: float = 300

    @classmethod
    def from_config(cls, config) -> OutboxSettings:
        return cls(
            backoff_base=float(config.get("APPGOV_MAILBOX_BACKOFF_BASE", cls.backoff_base)),
            backoff_max=float(config.get("APPGOV_MAILBOX_BACKOFF_MAX", cls.backoff_max)),
            max_attempts=max(int(config.get("APPGOV_MAILBOX_MAX_ATTEMPTS", cls.max_attempts)), 1),
            lease_seconds=float(config.get("APPGOV_MAILBOX_LEASE_SECONDS", cls.lease_seconds)),
        )

    @property
    def lease(self) -> dt.timedelta:
        return dt.timedelta(seconds=self.lease_seconds)


def backoff_ceiling(attempts: int, settings: OutboxSettings) -> float:
    """The longest wait (seconds) after ``attempts`` failed attempts: ``base * 2 ** (n - 1)``,
    at most ``APPGOV_MAILBOX_BACKOFF_MAX``."""
    exponent = min(max(attempts - 1, 0), 60)
    return min(settings.backoff_max, settings.backoff_base * 2**exponent)


def backoff_delay(attempts: int, settings: OutboxSettings, rng=random) -> dt.timedelta:
    """The wait after ``attempts`` failed attempts, with "equal jitter": between half the
    ceiling and the ceiling (:func:`backoff_ceiling`), so forwarders that failed together do
    not all come back at the same moment, and the wait still grows with every failure."""
    ceiling = backoff_ceiling(attempts, settings)
    return dt.timedelta(seconds=ceiling / 2 + rng.uniform(0, ceiling / 2))


def worker_id() -> str:
    """``host:pid:random``: who holds a claimed row (``claimed_by``)."""
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _due(now: dt.datetime):
    return sa.or_(
        sa.and_(OUTBOX.c.state == "pending", OUTBOX.c.next_attempt_at <= now),
        sa.and_(OUTBOX.c.state == "sending", OUTBOX.c.lease_until <= now),
    )


def claim(
    engine: sa.Engine,
    worker: str,
    limit: int,
    now: dt.datetime,
    settings: OutboxSettings,
    due_at: dt.datetime | None = None,
) -> list[int]:
    """Claim up to ``limit`` rows due at ``due_at`` (default ``now``; a run passes its
    start, so it tries each item at most once however short the back-off) for ``worker``,
    oldest due first, and commit: their ids.

    The claim counts as an attempt only when its result is recorded (:func:`record`); a row
    whose lease runs out is claimed again with its attempts unchanged.
    """
    lease_until = now + settings.lease
    due = _due(min(due_at, now) if due_at is not None else now)
    claimed = {"state": "sending", "claimed_by": worker, "lease_until": lease_until}
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            ids = connection.scalars(
                sa.select(OUTBOX.c.id)
                .where(due)
                .order_by(OUTBOX.c.next_attempt_at, OUTBOX.c.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            ).all()
            if ids:
                connection.execute(OUTBOX.update().where(OUTBOX.c.id.in_(ids)).values(**claimed))
        else:
            if connection.dialect.name == "sqlite":
                # the write lock before the read: no other forwarder reads the same due rows
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            first_due = (
                sa.select(OUTBOX.c.id)
                .where(due)
                .order_by(OUTBOX.c.next_attempt_at, OUTBOX.c.id)
                .limit(limit)
            )
            ids = connection.scalars(
                OUTBOX.update()
                .where(OUTBOX.c.id.in_(first_due.scalar_subquery()), due)
                .values(**claimed)
                .returning(OUTBOX.c.id)
            ).all()
        connection.commit()
    return sorted(ids)


@dataclass(frozen=True)
class Outcome:
    """What became of one claimed row: sent (``service_request_id``), or an error
    (``error``; ``retryable`` False: refused by the mailbox); ``retry_after`` seconds the
    mailbox asked to wait."""

    outbox_id: int
    feedback_id: int
    attempts: int
    service_request_id: str | None = None
    error: str | None = None
    retryable: bool = True
    retry_after: float | None = None


def record(
    engine: sa.Engine,
    worker: str,
    outcomes: list[Outcome],
    now: dt.datetime,
    settings: OutboxSettings,
    rng=random,
) -> dict[str, int]:
    """Write a batch's outcomes in one transaction; ``{"sent", "retried", "failed"}`` counts.

    A sent item becomes ``sent`` whoever holds it now (another forwarder that took it over
    after a lease ran out got the same number: the idempotency key), and its feedback gets
    the mailbox's number. A failure is written only while ``worker`` still holds the row:
    ``attempts + 1``, ``last_error``, and either a back-off (``pending`` again) or, after the
    last attempt or a refusal, ``failed``.
    """
    counts = {"sent": 0, "retried": 0, "failed": 0}
    sent = [o for o in outcomes if o.service_request_id is not None]
    failures = [o for o in outcomes if o.service_request_id is None]
    with engine.begin() as connection:
        if sent:
            connection.execute(
                OUTBOX.update()
                .where(OUTBOX.c.id == sa.bindparam("o_id"), OUTBOX.c.state != "sent")
                .values(
                    state="sent",
                    attempts=OUTBOX.c.attempts + 1,
                    sent_at=now,
                    claimed_by=None,
                    lease_until=None,
                    last_error=None,
                ),
                [{"o_id": o.outbox_id} for o in sent],
            )
            connection.execute(
                FEEDBACK.update()
                .where(
                    FEEDBACK.c.id == sa.bindparam("f_id"), FEEDBACK.c.service_request_id.is_(None)
                )
                .values(
                    service_request_id=sa.bindparam("number"), forwarded_at=now, updated_at=now
                ),
                [{"f_id": o.feedback_id, "number": o.service_request_id} for o in sent],
            )
            counts["sent"] = len(sent)
        rows = []
        for outcome in failures:
            attempts = outcome.attempts + 1
            parked = not outcome.retryable or attempts >= settings.max_attempts
            wait = backoff_delay(attempts, settings, rng)
            if outcome.retry_after:
                wait = max(wait, dt.timedelta(seconds=min(outcome.retry_after, 86400)))
            rows.append(
                {
                    "o_id": outcome.outbox_id,
                    "new_state": "failed" if parked else "pending",
                    "new_attempts": attempts,
                    "due": now + wait,
                    "error": (outcome.error or "")[:ERROR_LENGTH],
                }
            )
            counts["failed" if parked else "retried"] += 1
        if rows:
            connection.execute(
                OUTBOX.update()
                .where(
                    OUTBOX.c.id == sa.bindparam("o_id"),
                    OUTBOX.c.state == "sending",
                    OUTBOX.c.claimed_by == worker,
                )
                .values(
                    state=sa.bindparam("new_state"),
                    attempts=sa.bindparam("new_attempts"),
                    next_attempt_at=sa.bindparam("due"),
                    last_error=sa.bindparam("error"),
                    claimed_by=None,
                    lease_until=None,
                ),
                rows,
            )
    return counts


def retry(session, outbox_ids, username: str, now: dt.datetime | None = None) -> int:
    """An administrator's retry of parked rows: back to ``pending``, due now, attempts reset;
    who and when is written before the last error (the row keeps it). How many were
    parked (a row no longer ``failed`` is left alone). Committed by the caller."""
    now = now or utcnow()
    note = f"retried by {username} at {now.isoformat(timespec='seconds')}"
    rows = session.execute(
        sa.select(OUTBOX.c.id, OUTBOX.c.last_error).where(
            OUTBOX.c.id.in_(list(outbox_ids)), OUTBOX.c.state == "failed"
        )
    ).all()
    for row in rows:
        session.execute(
            OUTBOX.update()
            .where(OUTBOX.c.id == row.id, OUTBOX.c.state == "failed")
            .values(
                state="pending",
                attempts=0,
                next_attempt_at=now,
                last_error=f"{note}; before: {row.last_error or ''}"[:ERROR_LENGTH],
            )
        )
    return len(rows)


def counts_by_state(engine: sa.Engine) -> dict[str, int]:
    """How many outbox rows are in each state."""
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(OUTBOX.c.state, sa.func.count()).group_by(OUTBOX.c.state)
        ).all()
    return {state: count for state, count in rows}
