"""The sample mayor mailbox's tables (``host_mailbox_*``, in the host's database).

* :class:`MailboxRequest` -- one request the mailbox received over its Open311 endpoint
  (``POST requests.json``), with the mailbox's number (``service_request_id``, e.g.
  ``1150000123``: the ROC year it arrived, then the row's sequence), the sender's
  idempotency key (unique: the same key is recorded once, MAIL-2) and the officer's reply
  (Open311 ``status_notes``) and status (``open`` / ``closed``);
* :class:`MailboxAction` -- what an officer did to a request (reply, close, reopen), who and
  when: the request's history on its page.

Created by the host migration ``e5f1a2b3c468``.
"""

from __future__ import annotations

import decimal
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import User, UTCDateTime, utcnow

#: Open311's two statuses (GeoReport v2), with their labels on the officer's pages.
STATUSES = {"open": _l("Open"), "closed": _l("Closed")}

#: What an officer may do to a request, as recorded in its history.
ACTIONS = {"reply": _l("Replied"), "close": _l("Closed"), "reopen": _l("Reopened")}

#: Largest sizes the endpoint accepts, in characters (the columns' sizes).
LIMITS = {
    "description": 4000,
    "email": 254,
    "first_name": 100,
    "last_name": 100,
    "phone": 40,
    "device_id": 200,
    "media_url": 1000,
    "address_string": 500,
    "idempotency_key": 64,
    "app_code": 64,
    "app_name": 200,
    "agency_code": 40,
    "agency_name": 200,
    "feedback_id": 64,
    "locale": 20,
    "status_notes": 4000,
    "agency_responsible": 200,
}


def _in_list(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class MailboxRequest(db.Model):
    """A request in the mayor mailbox (市長信箱案件)."""

    __tablename__ = "host_mailbox_request"
    __table_args__ = (
        sa.CheckConstraint(_in_list("status", STATUSES), name="status"),
        # the officer's list: open first, newest first, per status
        sa.Index("ix_host_mailbox_request_status_id", "status", "id"),
        # Open311's date filters
        sa.Index("ix_host_mailbox_request_requested_at", "requested_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the mailbox's number, set in the transaction that inserts the row (from its id)
    service_request_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    #: the sender's key (``Idempotency-Key``): a second post with it creates nothing
    idempotency_key: Mapped[str | None] = mapped_column(
        sa.String(LIMITS["idempotency_key"]), unique=True
    )
    service_code: Mapped[str] = mapped_column(sa.String(64))
    description: Mapped[str] = mapped_column(sa.Text)
    email: Mapped[str | None] = mapped_column(sa.String(LIMITS["email"]))
    first_name: Mapped[str | None] = mapped_column(sa.String(LIMITS["first_name"]))
    last_name: Mapped[str | None] = mapped_column(sa.String(LIMITS["last_name"]))
    phone: Mapped[str | None] = mapped_column(sa.String(LIMITS["phone"]))
    device_id: Mapped[str | None] = mapped_column(sa.String(LIMITS["device_id"]))
    media_url: Mapped[str | None] = mapped_column(sa.String(LIMITS["media_url"]))
    lat: Mapped[decimal.Decimal | None] = mapped_column(sa.Numeric(9, 6))
    long: Mapped[decimal.Decimal | None] = mapped_column(sa.Numeric(9, 6))
    address_string: Mapped[str | None] = mapped_column(sa.String(LIMITS["address_string"]))
    #: the app the feedback came from and its agency (``attribute[...]`` of the post)
    app_code: Mapped[str | None] = mapped_column(sa.String(LIMITS["app_code"]))
    app_name: Mapped[str | None] = mapped_column(sa.String(LIMITS["app_name"]))
    agency_code: Mapped[str | None] = mapped_column(sa.String(LIMITS["agency_code"]))
    agency_name: Mapped[str | None] = mapped_column(sa.String(LIMITS["agency_name"]))
    #: the sender's own record number (appgov's feedback id)
    feedback_id: Mapped[str | None] = mapped_column(sa.String(LIMITS["feedback_id"]))
    #: the language the citizen wrote in, for the reply
    locale: Mapped[str | None] = mapped_column(sa.String(LIMITS["locale"]))
    #: when the citizen sent it (``attribute[requested_datetime]``), else when it arrived
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(sa.String(16), default="open")
    #: the officer's reply (Open311 ``status_notes``)
    status_notes: Mapped[str | None] = mapped_column(sa.Text)
    agency_responsible: Mapped[str | None] = mapped_column(sa.String(LIMITS["agency_responsible"]))

    actions: Mapped[list[MailboxAction]] = relationship(
        back_populates="request", order_by="MailboxAction.id"
    )

    @property
    def citizen_name(self) -> str:
        """The sender's name: family name first, as Chinese names are written (李怡君);
        a name in Latin letters given name first (David Chen)."""
        parts = [part for part in (self.last_name, self.first_name) if part]
        if all(part.isascii() for part in parts):
            return " ".join(reversed(parts))
        return "".join(parts)

    def __str__(self) -> str:
        return f"{self.service_request_id} ({self.status})"


class MailboxAction(db.Model):
    """One step an officer took on a request."""

    __tablename__ = "host_mailbox_action"
    __table_args__ = (sa.CheckConstraint(_in_list("action", ACTIONS), name="action"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("host_mailbox_request.id"), index=True)
    actor_id: Mapped[int] = mapped_column(sa.ForeignKey("host_user.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    action: Mapped[str] = mapped_column(sa.String(16))
    #: the reply's text (a reply), else empty
    note: Mapped[str] = mapped_column(sa.Text, default="")

    request: Mapped[MailboxRequest] = relationship(back_populates="actions")
    #: joined: the history names every actor without a query per step
    actor: Mapped[User] = relationship(lazy="joined")
