"""The notifications' tables.

* :class:`Message` -- one in-app message for one recipient (the host's username): the
  subject and body as untranslated message ids with their parameters, written in the
  reader's language when shown; ``read_at`` once opened or marked read;
* :class:`MailOutbox` -- one e-mail to send for a message: queued in the transaction that
  wrote the message, sent after it commits; a failure keeps the row (``attempts``,
  ``last_error``) for a later try at ``next_attempt_at``.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, utcnow


class Message(Base):
    __tablename__ = "appgov_message"
    __table_args__ = (
        # the unread count of the navigation and the reader's page, newest first
        sa.Index("ix_appgov_message_recipient_read_at", "recipient", "read_at"),
        sa.Index("ix_appgov_message_recipient_id", "recipient", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(sa.String(80))
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    read_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    event: Mapped[str] = mapped_column(sa.String(80))
    #: message ids of appgov's domain (``subject`` % ``params`` in the reader's language)
    subject: Mapped[str] = mapped_column(sa.Text)
    body: Mapped[str | None] = mapped_column(sa.Text)
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    #: a path on this site (never another site's URL)
    link: Mapped[str | None] = mapped_column(sa.String(500))
    case_id: Mapped[int | None] = mapped_column(sa.Integer, index=True)
    app_id: Mapped[int | None] = mapped_column(sa.Integer, index=True)
    #: who took the step (never the recipient)
    actor: Mapped[str | None] = mapped_column(sa.String(80))


class MailOutbox(Base):
    __tablename__ = "appgov_mail_outbox"
    __table_args__ = (
        # what deliver_pending() looks for: unsent, due
        sa.Index("ix_appgov_mail_outbox_pending", "sent_at", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(sa.ForeignKey("appgov_message.id"), index=True)
    address: Mapped[str] = mapped_column(sa.String(254))
    #: the recipient's language when queued (the host user's ``locale``, else zh_Hant_TW)
    locale: Mapped[str] = mapped_column(sa.String(20))
    #: the message's link as an absolute URL (APPGOV_BASE_URL, else the request's host)
    url: Mapped[str | None] = mapped_column(sa.String(1000))
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
