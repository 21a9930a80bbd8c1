"""The mayor-mailbox link's tables (TN-EVAL-4, TN-MAIL-1, MAIL-2).

* :class:`ApiKey` -- an app's Open311 key: only its SHA-256 is kept (the key is shown once,
  when an administrator issues it); revoked keys stay, with who revoked them and when;
* :class:`Feedback` -- one citizen's feedback from an app, as the Open311 ``POST
  requests.json`` gave it; ``token`` answers the citizen until the mailbox's case number
  (``service_request_id``) comes back; the mailbox's status and reply are synced onto it;
* :class:`FeedbackOutbox` -- the delivery of one feedback item to the city's mailbox,
  written in the transaction that stored the feedback (MAIL-2: stored before acknowledged);
  the forwarder claims due rows, sends each with its ``idempotency_key`` and records the
  mailbox's number, or backs off (``attempts``, ``next_attempt_at``) and parks the row as
  ``failed`` after the last attempt;
* :class:`PersonalDataReveal` -- who revealed which masked field of which feedback, when
  and why (個人資料保護法: revealing a citizen's name, e-mail or phone is a logged action);
* :class:`PersonalDataRevealRequest` -- a reveal waiting for, or decided by, a supervisor
  (rule parameter ``mailbox_reveal_needs_approval``, :mod:`.reveal_approval`): who asked
  for which field of which item and why, who approved or refused it and when; an approval
  writes the :class:`PersonalDataReveal` it links to;
* :class:`PersonalDataNotice` -- the deployment's notice at collection (個人資料保護法 §8)
  in one language, as an administrator edited it (no row: the default text);
* :class:`PersonalDataAction` -- a citizen's rights request handled (search, export, erase:
  個人資料保護法 §3, §10, §11) or a retention purge run: who, when, what, why;
* :class:`StoreReview` / :class:`StoreRating` -- reviews and ratings imported from the
  stores' CSV exports (TN-PERF-1, KH-KPI-2 see them beside the mailbox feedback).
"""

from __future__ import annotations

import datetime as dt
import decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, utcnow
from ..i18n import _l

#: A feedback item's status as Open311 words it (GeoReport v2: ``open`` / ``closed``).
FEEDBACK_STATUSES = {"open": _l("Open"), "closed": _l("Closed")}

#: Where an outbox row stands: waiting (first try or a back-off), claimed by a forwarder
#: (until ``lease_until``), delivered, or parked after the last attempt.
OUTBOX_STATES = {
    "pending": _l("Waiting to be forwarded"),
    "sending": _l("Being forwarded"),
    "sent": _l("Forwarded"),
    "failed": _l("Failed: waiting for an administrator"),
}

#: The stores reviews and ratings come from.
STORES = {"ios": _l("App Store"), "android": _l("Google Play")}

#: The masked personal fields of a feedback item (個人資料保護法).
PERSONAL_FIELDS = ("first_name", "last_name", "email", "phone")

#: Field sizes of the intake (characters, not bytes; Open311 clients send UTF-8).
LIMITS = {
    "description": 4000,
    "email": 254,
    "first_name": 100,
    "last_name": 100,
    "phone": 40,
    "device_id": 200,
    "media_url": 1000,
    "address_string": 500,
    "status_notes": 4000,
    "agency_responsible": 200,
}


def _in(column: str, values) -> str:
    return "{} IN ({})".format(column, ", ".join(f"'{v}'" for v in values))


class ApiKey(Base):
    __tablename__ = "appgov_open311_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    app_id: Mapped[int] = mapped_column(sa.ForeignKey("appgov_app.id"), index=True)
    label: Mapped[str] = mapped_column(sa.String(200), default="")
    #: the first characters of the key, shown so people can tell keys apart
    prefix: Mapped[str] = mapped_column(sa.String(16))
    #: SHA-256 of the whole key (hex); the key itself is never stored
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str] = mapped_column(sa.String(80))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    revoked_by: Mapped[str | None] = mapped_column(sa.String(80))
    revoke_reason: Mapped[str | None] = mapped_column(sa.Text)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class Feedback(Base):
    __tablename__ = "appgov_feedback"
    __table_args__ = (
        sa.CheckConstraint(_in("status", FEEDBACK_STATUSES), name="status"),
        # the citizen's status query, newest first per app
        sa.Index("ix_appgov_feedback_app_id_id", "app_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    app_id: Mapped[int] = mapped_column(sa.ForeignKey("appgov_app.id"))
    #: the Open311 ``service_code`` it was posted to (the app's code then)
    service_code: Mapped[str] = mapped_column(sa.String(64))
    api_key_id: Mapped[int | None] = mapped_column(sa.ForeignKey("appgov_open311_key.id"))
    #: answers the citizen until the mailbox's number is known (Open311 ``token``)
    token: Mapped[str] = mapped_column(sa.String(36), unique=True)
    #: sent with every delivery attempt: the mailbox records the item once (MAIL-2)
    idempotency_key: Mapped[str] = mapped_column(sa.String(36), unique=True)
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
    #: the language the citizen wrote in (the request's), for the mailbox's reply
    locale: Mapped[str] = mapped_column(sa.String(20), default="zh_Hant_TW")
    requested_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    #: Open311's status, as the mailbox last reported it
    status: Mapped[str] = mapped_column(sa.String(16), default="open")
    #: the mailbox's reply (Open311 ``status_notes``)
    status_notes: Mapped[str | None] = mapped_column(sa.Text)
    agency_responsible: Mapped[str | None] = mapped_column(sa.String(LIMITS["agency_responsible"]))
    #: the mailbox's case number (Open311 ``service_request_id``), once forwarded (TN-MAIL-1)
    service_request_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    forwarded_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    #: when ``flask appgov mailbox sync`` last read it from the mailbox
    synced_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    #: when the citizen's contact data was removed (retention purge or the citizen's
    #: erasure request, :mod:`.personal_data`); the anonymised record stays
    contact_removed_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))


class FeedbackOutbox(Base):
    __tablename__ = "appgov_feedback_outbox"
    __table_args__ = (
        sa.CheckConstraint(_in("state", OUTBOX_STATES), name="state"),
        # what a forwarder claims: waiting (or a lease run out), due first
        sa.Index("ix_appgov_feedback_outbox_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    feedback_id: Mapped[int] = mapped_column(sa.ForeignKey("appgov_feedback.id"), unique=True)
    state: Mapped[str] = mapped_column(sa.String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    #: the forwarder holding the row (``host:pid:random``) and until when
    claimed_by: Mapped[str | None] = mapped_column(sa.String(120))
    lease_until: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))


class PersonalDataReveal(Base):
    __tablename__ = "appgov_personal_data_reveal"

    id: Mapped[int] = mapped_column(primary_key=True)
    feedback_id: Mapped[int] = mapped_column(sa.ForeignKey("appgov_feedback.id"), index=True)
    field: Mapped[str] = mapped_column(sa.String(32))
    username: Mapped[str] = mapped_column(sa.String(80))
    reason: Mapped[str] = mapped_column(sa.Text)
    revealed_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)


#: Where a reveal request stands (:mod:`.reveal_approval`).
REVEAL_REQUEST_STATES = {
    "pending": _l("Waiting for a supervisor"),
    "approved": _l("Approved"),
    "refused": _l("Refused"),
}


class PersonalDataRevealRequest(Base):
    """A reveal asked for where a supervisor approves reveals: the requester's role and
    agency as they were when asking (they say who may decide), the decision and its
    reveal."""

    __tablename__ = "appgov_personal_data_reveal_request"
    __table_args__ = (
        sa.CheckConstraint(_in("state", REVEAL_REQUEST_STATES), name="state"),
        # the deciders' list: the pending requests
        sa.Index("ix_appgov_personal_data_reveal_request_state", "state", "requested_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    feedback_id: Mapped[int] = mapped_column(sa.ForeignKey("appgov_feedback.id"), index=True)
    field: Mapped[str] = mapped_column(sa.String(32))
    username: Mapped[str] = mapped_column(sa.String(80))
    requester_role: Mapped[str] = mapped_column(sa.String(32))
    requester_agency: Mapped[str | None] = mapped_column(sa.String(64))
    reason: Mapped[str] = mapped_column(sa.Text)
    requested_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    state: Mapped[str] = mapped_column(sa.String(16), default="pending")
    decided_by: Mapped[str | None] = mapped_column(sa.String(80))
    decided_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    #: why it was refused (optional; shown to the requester)
    decision_note: Mapped[str | None] = mapped_column(sa.Text)
    #: the reveal an approval wrote (its time starts the requester's REVEAL_MINUTES)
    reveal_id: Mapped[int | None] = mapped_column(sa.ForeignKey("appgov_personal_data_reveal.id"))


#: What a :class:`PersonalDataAction` records.
PERSONAL_DATA_ACTIONS = {
    "search": _l("Search for a citizen's feedback"),
    "export": _l("Export for the citizen"),
    "erase": _l("Contact data erased at the citizen's request"),
    "purge": _l("Retention purge"),
}


class PersonalDataNotice(Base):
    """The notice at collection in one language, as an administrator wrote it."""

    __tablename__ = "appgov_personal_data_notice"

    id: Mapped[int] = mapped_column(primary_key=True)
    locale: Mapped[str] = mapped_column(sa.String(20), unique=True)
    text: Mapped[str] = mapped_column(sa.Text)
    updated_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    updated_by: Mapped[str] = mapped_column(sa.String(80))


class PersonalDataAction(Base):
    """One search, export or erasure for a citizen, or one purge run. ``subject`` names the
    citizen's e-mail or phone masked (the log holds no contact data itself)."""

    __tablename__ = "appgov_personal_data_action"
    __table_args__ = (sa.CheckConstraint(_in("action", PERSONAL_DATA_ACTIONS), name="action"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    action: Mapped[str] = mapped_column(sa.String(16))
    username: Mapped[str] = mapped_column(sa.String(80))
    acted_at: Mapped[dt.datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow, index=True
    )
    subject: Mapped[str] = mapped_column(sa.String(300), default="")
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    #: how many feedback items it found, exported or changed
    count: Mapped[int] = mapped_column(sa.Integer, default=0)
    #: the feedback items' ids, and for a purge the retention and the day counted from
    details: Mapped[dict] = mapped_column(sa.JSON, default=dict)


class StoreReview(Base):
    __tablename__ = "appgov_store_review"
    __table_args__ = (
        sa.CheckConstraint(_in("store", STORES), name="store"),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name="rating"),
        # the same review imported again updates it (a reply or an edit), never duplicates
        sa.UniqueConstraint("app_id", "store", "review_id", name="uq_appgov_store_review_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    app_id: Mapped[int] = mapped_column(sa.ForeignKey("appgov_app.id"), index=True)
    store: Mapped[str] = mapped_column(sa.String(16))
    #: the store's own id of the review (or one derived from its author and time)
    review_id: Mapped[str] = mapped_column(sa.String(200))
    rating: Mapped[int] = mapped_column(sa.SmallInteger)
    title: Mapped[str | None] = mapped_column(sa.String(500))
    text: Mapped[str | None] = mapped_column(sa.Text)
    author: Mapped[str | None] = mapped_column(sa.String(200))
    language: Mapped[str | None] = mapped_column(sa.String(20))
    app_version: Mapped[str | None] = mapped_column(sa.String(64))
    reviewed_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True))
    reply_text: Mapped[str | None] = mapped_column(sa.Text)
    replied_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    imported_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    imported_by: Mapped[str] = mapped_column(sa.String(80))


class StoreRating(Base):
    """A store's overall rating of an app on a day (average of all ratings, and how many)."""

    __tablename__ = "appgov_store_rating"
    __table_args__ = (
        sa.CheckConstraint(_in("store", STORES), name="store"),
        sa.CheckConstraint("average BETWEEN 1 AND 5", name="average"),
        sa.CheckConstraint("ratings >= 0", name="ratings"),
        sa.UniqueConstraint("app_id", "store", "on_date", name="uq_appgov_store_rating_day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    app_id: Mapped[int] = mapped_column(sa.ForeignKey("appgov_app.id"), index=True)
    store: Mapped[str] = mapped_column(sa.String(16))
    on_date: Mapped[dt.date] = mapped_column(sa.Date)
    #: exact (KH-KPI-2 compares it with a threshold): two decimals
    average: Mapped[decimal.Decimal] = mapped_column(sa.Numeric(3, 2))
    ratings: Mapped[int] = mapped_column(sa.Integer)
    imported_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    imported_by: Mapped[str] = mapped_column(sa.String(80))
