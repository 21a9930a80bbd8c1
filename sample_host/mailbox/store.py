"""Writing and reading the mailbox's requests: the one place the Open311 endpoint, the
officer's pages and the demo data change them.

:func:`receive` records a request exactly once per idempotency key (MAIL-2): the unique
index on ``idempotency_key`` decides, not a look-up before the insert, so two posts of the
same key at the same moment (two forwarders, a retry racing the first try) leave one row;
the loser rolls back and answers with the winner's number.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from appgov_plugin.clock import TAIPEI

from ..extensions import db
from ..models import User, utcnow
from .models import MailboxAction, MailboxRequest

#: Requests on one page of the officer's list.
PAGE_SIZE = 25


def number_for(request_id: int, received_at: dt.datetime) -> str:
    """The mailbox's number of a request: the ROC year it arrived in Taipei, then its
    sequence on seven digits (``1150000123``)."""
    roc_year = received_at.astimezone(TAIPEI).year - 1911
    return f"{roc_year}{request_id:07d}"


def by_key(idempotency_key: str) -> MailboxRequest | None:
    return db.session.scalar(
        sa.select(MailboxRequest).where(MailboxRequest.idempotency_key == idempotency_key)
    )


def by_number(number: str) -> MailboxRequest | None:
    return db.session.scalar(
        sa.select(MailboxRequest).where(MailboxRequest.service_request_id == number)
    )


@functools.cache
def _insert(columns: tuple[str, ...]) -> sa.Insert:
    table = MailboxRequest.__table__
    return table.insert().values({c: sa.bindparam(c) for c in columns}).returning(table.c.id)


_SET_NUMBER = (
    MailboxRequest.__table__.update()
    .where(MailboxRequest.__table__.c.id == sa.bindparam("row_id"))
    .values(service_request_id=sa.bindparam("number"))
)


def receive(values: dict) -> tuple[str, bool]:
    """Store a request (``values``: column -> value, already checked) and commit:
    ``(its number, True)``; when its ``idempotency_key`` is known already, nothing is
    written: ``(the number of the request recorded with that key, False)``.

    Two statements through SQLAlchemy Core (the endpoint's hot path: a forwarder posts
    hundreds a second): the INSERT, first of its transaction, then the number from the id.
    """
    table = MailboxRequest.__table__
    now = utcnow()
    row = {**values, "received_at": now, "updated_at": now, "status": "open"}
    if row.get("requested_at") is None:
        row["requested_at"] = now
    try:
        # one statement for every post (its parameters vary, not its text): compiled once
        request_id = db.session.execute(_insert(tuple(sorted(row))), row).scalar_one()
    except IntegrityError:
        db.session.rollback()
        key = values.get("idempotency_key")
        number = (
            db.session.scalar(
                sa.select(table.c.service_request_id).where(table.c.idempotency_key == key)
            )
            if key
            else None
        )
        if number is None:
            raise
        return number, False
    number = number_for(request_id, now)
    db.session.execute(_SET_NUMBER, {"row_id": request_id, "number": number})
    db.session.commit()
    return number, True


# -- the officer's steps -------------------------------------------------------------------


def record(request: MailboxRequest, actor: User, action: str, note: str = "") -> None:
    """Add a history row (nothing committed) and mark the request updated."""
    now = utcnow()
    request.updated_at = now
    db.session.add(MailboxAction(request=request, actor=actor, at=now, action=action, note=note))


def reply(request: MailboxRequest, actor: User, text: str, *, close: bool = False) -> None:
    """The officer's reply becomes the request's ``status_notes`` (a later reply replaces
    it; every reply stays in the history); ``close`` closes the request with it. Commits."""
    request.status_notes = text
    request.agency_responsible = request.agency_responsible or request.agency_name
    record(request, actor, "reply", text)
    if close and request.status != "closed":
        request.status = "closed"
        record(request, actor, "close")
    db.session.commit()


def close(request: MailboxRequest, actor: User) -> None:
    request.status = "closed"
    record(request, actor, "close")
    db.session.commit()


def reopen(request: MailboxRequest, actor: User) -> None:
    request.status = "open"
    record(request, actor, "reopen")
    db.session.commit()


# -- the officer's list ----------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """One page of the officer's list, with the total of the filter."""

    requests: list[MailboxRequest]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def list_page(status: str | None, page: int, per_page: int = PAGE_SIZE) -> Page:
    """Requests of ``status`` (``None``: all), open ones first, newest first; one query
    whatever the number of requests (the total is a window count of the same statement)."""
    total = sa.func.count().over().label("total")
    query = sa.select(MailboxRequest, total)
    if status:
        query = query.where(MailboxRequest.status == status)
    query = (
        query.order_by(
            sa.case((MailboxRequest.status == "open", 0), else_=1), MailboxRequest.id.desc()
        )
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    rows = db.session.execute(query).all()
    return Page([row[0] for row in rows], rows[0][1] if rows else 0, page, per_page)
