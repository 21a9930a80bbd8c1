"""The forwarder (``flask appgov mailbox forward``): delivers due outbox rows to the city's
mailbox through the adapter of the hook ``appgov_mailbox_adapter`` (TN-MAIL-1, MAIL-2).

One run: claim a batch of due rows (:func:`~.outbox.claim`), send its items at the same
time (``APPGOV_MAILBOX_CONCURRENCY`` threads over the adapter's one pooled client), write
the batch's outcomes in one transaction (:func:`~.outbox.record`), and again until nothing
is due. Several forwarders may run at once (cron and a worker, two workers): each claims
rows the others do not hold.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import sqlalchemy as sa

from ..access import host_agencies
from ..apps.models import App
from ..db import utcnow
from ..state import get_state
from .adapters import MailboxError, MailboxItem, NotConfiguredError, as_receipt
from .models import Feedback
from .outbox import OUTBOX, OutboxSettings, Outcome, claim, record, worker_id

log = logging.getLogger(__name__)


def mailbox_adapter(app):
    """The deployment's mailbox adapter (hook ``appgov_mailbox_adapter``: a city's module,
    else appgov's Open311 adapter), or :class:`NotConfiguredError`."""
    adapter = get_state(app).policy().plugin_manager.hook.appgov_mailbox_adapter(app=app)
    if adapter is None:
        raise NotConfiguredError(
            "APPGOV_MAILBOX_URL is not set and no hook module answers appgov_mailbox_adapter: "
            "nothing can be forwarded"
        )
    return adapter


def close_adapter(adapter) -> None:
    close = getattr(adapter, "close", None)
    if callable(close):
        close()


@dataclass
class Totals:
    """Items sent, retried later (backing off) and parked as failed, over a run."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    batches: int = 0

    def add(self, counts: dict[str, int]) -> None:
        self.sent += counts["sent"]
        self.retried += counts["retried"]
        self.failed += counts["failed"]
        self.batches += 1

    def __str__(self) -> str:
        return (
            f"mailbox: {self.sent} sent, {self.retried} retried later (backing off), "
            f"{self.failed} failed (parked for an administrator)"
        )


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


class Forwarder:
    """One forwarder run of ``app``: its adapter (closed by :meth:`close`), its worker id,
    its thread pool. ``now`` (a callable) is the clock; tests pass a fixed one."""

    def __init__(
        self,
        app,
        adapter=None,
        *,
        batch: int | None = None,
        concurrency: int | None = None,
        now=utcnow,
        rng=random,
    ):
        config = app.config
        self.app = app
        self.engine = get_state(app).db.engine
        self.adapter = adapter if adapter is not None else mailbox_adapter(app)
        self.settings = OutboxSettings.from_config(config)
        self.batch = max(int(batch or config.get("APPGOV_MAILBOX_BATCH") or 50), 1)
        self.concurrency = max(int(concurrency or config.get("APPGOV_MAILBOX_CONCURRENCY") or 1), 1)
        self.worker = worker_id()
        self.now = now
        self.rng = rng
        self.pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="appgov-mailbox")
        self._agency_names: dict[str, str] | None = None

    def close(self) -> None:
        self.pool.shutdown()
        close_adapter(self.adapter)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _agency_name(self, code: str) -> str:
        if self._agency_names is None:  # the host's agencies, asked once per run
            self._agency_names = {a.code: a.name() for a in host_agencies() or ()}
        return self._agency_names.get(code, code)

    def items(self, outbox_ids: list[int]) -> list[tuple[int, int, MailboxItem]]:
        """``(outbox id, attempts, item)`` of the claimed rows, in one query."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                sa.select(
                    OUTBOX.c.id.label("outbox_id"),
                    OUTBOX.c.attempts,
                    Feedback.__table__,
                    App.code.label("app_code"),
                    App.name.label("app_name"),
                    App.name_en.label("app_name_en"),
                    App.agency_code,
                )
                .join(Feedback.__table__, Feedback.id == OUTBOX.c.feedback_id)
                .join(App.__table__, App.id == Feedback.app_id)
                .where(OUTBOX.c.id.in_(outbox_ids))
                .order_by(OUTBOX.c.id)
            ).all()
        found = []
        for row in rows:
            english = str(row.locale or "").startswith("en") and row.app_name_en
            item = MailboxItem(
                feedback_id=row.id,
                idempotency_key=row.idempotency_key,
                description=row.description,
                requested_at=_aware(row.requested_at),
                locale=row.locale,
                app_code=row.app_code or row.service_code,
                app_name=row.app_name_en if english else row.app_name,
                agency_code=row.agency_code,
                agency_name=self._agency_name(row.agency_code),
                email=row.email,
                first_name=row.first_name,
                last_name=row.last_name,
                phone=row.phone,
                device_id=row.device_id,
                media_url=row.media_url,
                lat=row.lat,
                long=row.long,
                address_string=row.address_string,
            )
            found.append((row.outbox_id, row.attempts, item))
        return found

    def _send(self, claimed: tuple[int, int, MailboxItem]) -> Outcome:
        outbox_id, attempts, item = claimed
        base = {"outbox_id": outbox_id, "feedback_id": item.feedback_id, "attempts": attempts}
        try:
            receipt = as_receipt(self.adapter.submit(item))
        except MailboxError as error:
            return Outcome(
                **base, error=str(error), retryable=error.retryable, retry_after=error.retry_after
            )
        except Exception as error:  # an adapter's own failure: tried again later
            log.warning("appgov mailbox: item %s: %r", item.feedback_id, error)
            return Outcome(**base, error=f"{type(error).__name__}: {error}")
        return Outcome(**base, service_request_id=receipt.service_request_id)

    def _claim_and_send(self, due_at: dt.datetime | None) -> list[Future] | None:
        """Claim a batch (rows due at ``due_at``) and start sending it; its futures, or
        ``None`` when nothing was due."""
        outbox_ids = claim(self.engine, self.worker, self.batch, self.now(), self.settings, due_at)
        if not outbox_ids:
            return None
        return [self.pool.submit(self._send, claimed) for claimed in self.items(outbox_ids)]

    def _record(self, futures: list[Future]) -> dict[str, int]:
        outcomes = [future.result() for future in futures]
        return record(self.engine, self.worker, outcomes, self.now(), self.settings, self.rng)

    def run_batch(self, due_at: dt.datetime | None = None) -> dict[str, int] | None:
        """Claim (rows due at ``due_at``, default now), send and record one batch; its
        counts, or ``None`` when nothing was due."""
        futures = self._claim_and_send(due_at)
        return None if futures is None else self._record(futures)

    def run_due(self, stop=lambda: False) -> Totals:
        """Batches until nothing due at the start is left (or ``stop()`` says so between
        two batches): each item is tried at most once per run.

        Two batches overlap: the next one is claimed and its items queued while the
        previous one is still being sent, and the previous one is recorded while the next
        one is sent -- the mailbox is never idle waiting for appgov's database. A kill
        leaves at most these two batches to their leases."""
        totals = Totals()
        start = self.now()
        in_flight = None
        while not stop():
            following = self._claim_and_send(start)
            if in_flight is not None:
                totals.add(self._record(in_flight))
            in_flight = following
            if following is None:
                break
        if in_flight is not None:
            totals.add(self._record(in_flight))
        return totals


def forward(app, adapter=None, **options) -> Totals:
    """Deliver everything due now (``flask appgov mailbox forward`` without ``--loop``)."""
    with Forwarder(app, adapter, **options) as forwarder:
        return forwarder.run_due()
