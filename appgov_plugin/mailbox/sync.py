"""``flask appgov mailbox sync``: the mailbox's status and reply brought back onto the
feedback (TN-MAIL-1): ``status`` (open / closed), ``status_notes`` (the officer's reply),
``agency_responsible`` and ``synced_at`` of every forwarded item still open -- which the app
page and the citizen's ``GET requests/{id}.json`` show.

The open items are read in pages of :data:`~.adapters.STATUS_BATCH` (by id), one status
request to the mailbox per page, each page written in one transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from ..db import utcnow
from ..state import get_state
from .adapters import STATUS_BATCH
from .forwarder import close_adapter, mailbox_adapter
from .models import LIMITS, Feedback

FEEDBACK = Feedback.__table__


@dataclass
class SyncTotals:
    """Open items asked about, items whose status or reply changed, items closed, items the
    mailbox did not know."""

    asked: int = 0
    changed: int = 0
    closed: int = 0
    unknown: int = 0

    def __str__(self) -> str:
        return (
            f"mailbox sync: {self.asked} open items asked, {self.changed} changed "
            f"({self.closed} closed), {self.unknown} unknown to the mailbox"
        )


def _cut(value: str | None, limit: int) -> str | None:
    return value[:limit] if value else None


def sync(app, adapter=None, *, now: dt.datetime | None = None, batch: int = STATUS_BATCH):
    """Ask the mailbox for the status of every forwarded open item; :class:`SyncTotals`."""
    engine = get_state(app).db.engine
    own_adapter = adapter is None
    adapter = mailbox_adapter(app) if own_adapter else adapter
    totals = SyncTotals()
    after = 0
    try:
        while True:
            with engine.connect() as connection:
                rows = connection.execute(
                    sa.select(
                        FEEDBACK.c.id,
                        FEEDBACK.c.service_request_id,
                        FEEDBACK.c.status,
                        FEEDBACK.c.status_notes,
                        FEEDBACK.c.agency_responsible,
                    )
                    .where(
                        FEEDBACK.c.service_request_id.is_not(None),
                        FEEDBACK.c.status == "open",
                        FEEDBACK.c.id > after,
                    )
                    .order_by(FEEDBACK.c.id)
                    .limit(batch)
                ).all()
            if not rows:
                break
            after = rows[-1].id
            totals.asked += len(rows)
            found = adapter.statuses([row.service_request_id for row in rows])
            _write(engine, rows, found, now or utcnow(), totals)
    finally:
        if own_adapter:
            close_adapter(adapter)
    return totals


def _write(engine, rows, found, now, totals: SyncTotals) -> None:
    changed, seen = [], []
    for row in rows:
        status = found.get(row.service_request_id)
        if status is None:
            totals.unknown += 1
            continue
        values = {
            "status": status.status,
            "status_notes": _cut(status.status_notes, LIMITS["status_notes"]),
            "agency_responsible": _cut(status.agency_responsible, LIMITS["agency_responsible"]),
        }
        if values == {k: getattr(row, k) for k in values}:
            seen.append({"f_id": row.id})
            continue
        totals.changed += 1
        totals.closed += status.status == "closed"
        changed.append(
            {
                "f_id": row.id,
                "new_status": values["status"],
                "new_notes": values["status_notes"],
                "new_agency": values["agency_responsible"],
                "changed_at": status.updated_datetime or now,
            }
        )
    with engine.begin() as connection:
        if changed:
            connection.execute(
                FEEDBACK.update()
                .where(FEEDBACK.c.id == sa.bindparam("f_id"))
                .values(
                    status=sa.bindparam("new_status"),
                    status_notes=sa.bindparam("new_notes"),
                    agency_responsible=sa.bindparam("new_agency"),
                    updated_at=sa.bindparam("changed_at"),
                    synced_at=now,
                ),
                changed,
            )
        if seen:
            connection.execute(
                FEEDBACK.update()
                .where(FEEDBACK.c.id == sa.bindparam("f_id"))
                .values(synced_at=now),
                seen,
            )
