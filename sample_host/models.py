"""The host's own tables: agencies, users, cases and their append-only history.

Hooks see :class:`User` as the contract's ``UserLike`` and :class:`Case` as ``CaseLike``
(:mod:`appgov_plugin.host.contract`): both offer ``agency_code``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import event
from sqlalchemy.ext.mutable import MutableDict
from sqlalchemy.orm import Mapped, Session, mapped_column, object_session, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from appgov_plugin.audit import GENESIS, chain_hash
from appgov_plugin.host.contract import STANDARD_ROLES

from .extensions import db

CITIES: dict[str, Any] = {
    "tainan": _l("Tainan"),
    "kaohsiung": _l("Kaohsiung"),
    "taipei": _l("Taipei"),
}

ROLE_LABELS: dict[str, Any] = {
    "agency_staff": _l("Agency staff"),
    "agency_head": _l("Agency head"),
    "reviewer": _l("Reviewer"),
    "mayor": _l("Mayor"),
    "it_department": _l("IT department"),
    "helpdesk": _l("Helpdesk"),
    "mailbox_officer": _l("Mayor's mailbox officer"),
    "sysadmin": _l("System administrator"),
}


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def _in_list(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class UTCDateTime(sa.TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite drops the zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: host timestamps must carry a time zone")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Agency(db.Model):
    """A government agency (機關) of one of the supported cities."""

    __tablename__ = "host_agency"
    __table_args__ = (sa.CheckConstraint(_in_list("city", CITIES), name="city"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str] = mapped_column(sa.String(200))
    city: Mapped[str] = mapped_column(sa.String(20))

    @property
    def name(self) -> str:
        """The name in the current request's language (Chinese outside a request)."""
        locale = get_locale()
        return self.name_en if locale is not None and locale.language == "en" else self.name_zh

    def __str__(self) -> str:
        return f"{self.name_zh} ({self.code})"


class User(UserMixin, db.Model):
    """A person who logs in; ``role`` is one of the contract's ``STANDARD_ROLES``."""

    __tablename__ = "host_user"
    __table_args__ = (sa.CheckConstraint(_in_list("role", STANDARD_ROLES), name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(80), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(200))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(30))
    agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("host_agency.id"), index=True)
    locale: Mapped[str | None] = mapped_column(sa.String(20))
    #: where notifications are sent (``casehost_users``); NULL: in-app messages only
    email: Mapped[str | None] = mapped_column(sa.String(254))
    active: Mapped[bool] = mapped_column(default=True)
    #: Part of the session's user id (:meth:`get_id`): raised on log-out and on a password
    #: change, which ends every session (cookie) issued before (sample_host.auth).
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")

    #: joined: the reading rule needs the user's city on every request (no extra query)
    agency: Mapped[Agency | None] = relationship(lazy="joined")

    @property
    def agency_code(self) -> str | None:
        return self.agency.code if self.agency else None

    @property
    def is_active(self) -> bool:
        """Flask-Login refuses inactive users."""
        return self.active

    def set_password(self, password: str) -> None:
        """Store a salted hash (method from ``PASSWORD_HASH_METHOD``), never the password."""
        method = current_app.config["PASSWORD_HASH_METHOD"]
        if self.password_hash is not None:
            self.end_sessions()  # a changed password ends the sessions opened with the old one
        self.password_hash = generate_password_hash(password, method=method)

    def end_sessions(self) -> None:
        """Revoke every session of this user: their cookies no longer identify anyone."""
        self.session_version = (self.session_version or 1) + 1

    def get_id(self) -> str:
        """Flask-Login's session value: ``"<id>:<session version>"`` (see :meth:`end_sessions`)."""
        return f"{self.id}:{self.session_version or 1}"

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def __str__(self) -> str:
        return f"{self.display_name} ({self.username})"


class Case(db.Model):
    """One case of a plug-in's case type, moving through that type's workflow."""

    __tablename__ = "host_case"
    __table_args__ = (sa.Index("ix_host_case_type_key_status", "type_key", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    type_key: Mapped[str] = mapped_column(sa.String(80))
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("host_agency.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(80))
    # MutableDict: a hook that sets case.data[key] in place gets the change saved.
    data: Mapped[dict] = mapped_column(MutableDict.as_mutable(sa.JSON), default=dict)
    #: The form the case was filed with (``CaseType.current_form()`` when it was opened),
    #: never changed afterwards: the host shows, edits, corrects and validates the case with
    #: ``case_type.form_for(form_key, form_version)``. NULL: not recorded.
    form_key: Mapped[str | None] = mapped_column(sa.String(80))
    form_version: Mapped[int | None]
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("host_user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    #: The answers as lower-case text, one per line, for the case search (kept by the model:
    #: JSON columns store non-ASCII text escaped, which LIKE cannot match).
    search_text: Mapped[str] = mapped_column(sa.Text, default="", server_default="")

    agency: Mapped[Agency] = relationship()
    owner: Mapped[User] = relationship()
    history: Mapped[list[CaseHistory]] = relationship(
        back_populates="case", order_by="CaseHistory.id"
    )

    @property
    def agency_code(self) -> str:
        return self.agency.code

    @property
    def owner_username(self) -> str:
        return self.owner.username

    def __str__(self) -> str:
        return f"#{self.id} {self.type_key} ({self.status})"


class CaseHistory(db.Model):
    """One step a case took. Rows are append-only: updates and deletes are refused by the
    ORM (below) and by the database (triggers of migration a7c3e1f09d21).

    Rows are hash-chained per case, in ``id`` order (:mod:`appgov_plugin.audit`):
    ``row_hash`` covers the row's content (:func:`history_content`) and ``previous_hash``,
    the hash of the case's row before it (``""`` for the first row). Both are set on insert
    (:func:`_chain_history_row`) under the case's write lock; the unique index on
    ``(case_id, previous_hash)`` refuses a second row after the same one (a forked chain).
    ``flask host audit verify`` walks the chains.
    """

    __tablename__ = "host_case_history"
    __table_args__ = (
        sa.Index(
            "uq_host_case_history_case_id_previous_hash", "case_id", "previous_hash", unique=True
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("host_case.id"), index=True)
    actor_id: Mapped[int] = mapped_column(sa.ForeignKey("host_user.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    transition: Mapped[str] = mapped_column(sa.String(80))
    from_state: Mapped[str | None] = mapped_column(sa.String(80))
    to_state: Mapped[str] = mapped_column(sa.String(80))
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    #: An owner's edit or an administrator's correction: {field: [old, new]} for every
    #: answer that changed (a correction's agency and owner: ``case.agency``, ``case.owner``,
    #: as agency code and username); NULL otherwise.
    changes: Mapped[dict | None] = mapped_column(sa.JSON)
    previous_hash: Mapped[str] = mapped_column(sa.String(64))
    row_hash: Mapped[str] = mapped_column(sa.String(64))

    case: Mapped[Case] = relationship(back_populates="history")
    actor: Mapped[User] = relationship()


def searchable_text(data: Any) -> str:
    """Every answer in ``data`` as lower-case text, one per line (booleans and empty answers
    left out): what the case search matches free text against."""
    parts: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, bool) or value is None:
            return
        if isinstance(value, dict):
            if {"sha256", "name", "size", "type"} <= set(value):
                walk(value["name"])  # an uploaded file: found by its name, not its hash or type
                return
            for item in value.values():
                walk(item)
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)
        elif str(value).strip():
            parts.append(str(value).strip().lower())

    walk(data or {})
    return "\n".join(parts)


@event.listens_for(Case, "before_insert")
@event.listens_for(Case, "before_update")
def _keep_search_text(mapper, connection, target: Case) -> None:
    target.search_text = searchable_text(target.data)


class AppendOnlyError(RuntimeError):
    """Someone tried to change or delete a case history row."""


@event.listens_for(CaseHistory, "before_update")
def _refuse_history_update(mapper, connection, target: CaseHistory) -> None:
    session = object_session(target)
    if session is not None and session.is_modified(target, include_collections=False):
        raise AppendOnlyError(f"case history row {target.id} is append-only: UPDATE refused")


@event.listens_for(CaseHistory, "before_delete")
def _refuse_history_delete(mapper, connection, target: CaseHistory) -> None:
    raise AppendOnlyError(f"case history row {target.id} is append-only: DELETE refused")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_history_changes(state) -> None:
    """Bulk ``update(CaseHistory)`` / ``delete(CaseHistory)`` skip the mapper events above."""
    if (state.is_update or state.is_delete) and state.bind_mapper is sa.inspect(CaseHistory):
        raise AppendOnlyError("case history is append-only: bulk UPDATE/DELETE refused")


# -- the hash chain of each case's history ----------------------------------------------------

#: ``session.info`` key: the hash of each case's last history row inserted by the flush
#: under way (rows of one flush are inserted after all their ``before_insert`` events ran).
_CHAIN_HEADS = "host_case_history_chain_heads"


def history_content(row: CaseHistory) -> dict[str, Any]:
    """What a history row's ``row_hash`` covers (with its ``previous_hash``)."""
    return {
        "case_id": row.case_id,
        "actor_id": row.actor_id,
        "at": row.at,
        "transition": row.transition,
        "from_state": row.from_state,
        "to_state": row.to_state,
        "comment": row.comment,
        "changes": row.changes,
    }


def lock_case(connection: sa.Connection, case_id: int) -> None:
    """Hold the write lock of case ``case_id`` until the transaction ends, so that steps on
    one case are serialised: PostgreSQL locks the case row (``SELECT ... FOR UPDATE``);
    SQLite has no row locks, so a no-op write takes the database's write lock now (a
    transaction that starts with a write waits for the other writers, then reads what they
    committed, instead of reading a state they are about to change)."""
    if connection.dialect.name == "sqlite":
        connection.execute(sa.text("UPDATE host_case SET id = id WHERE id = :id"), {"id": case_id})
    else:
        connection.execute(sa.select(Case.id).where(Case.id == case_id).with_for_update())


@event.listens_for(Session, "before_flush")
def _forget_chain_heads(session, flush_context, instances) -> None:
    session.info.pop(_CHAIN_HEADS, None)


@event.listens_for(CaseHistory, "before_insert")
def _chain_history_row(mapper, connection, target: CaseHistory) -> None:
    """Link a new row to its case's last row: every way of adding history goes through here.

    The case is locked first (:func:`lock_case`; callers that changed the case already hold
    the lock), so two concurrent steps on one case cannot both follow the same row.
    """
    if target.at is None:
        target.at = utcnow()
    if target.comment is None:
        target.comment = ""
    session = object_session(target)
    heads: dict[int, str] = session.info.setdefault(_CHAIN_HEADS, {}) if session else {}
    previous = heads.get(target.case_id)
    if previous is None:
        lock_case(connection, target.case_id)
        previous = connection.scalar(
            sa.select(CaseHistory.row_hash)
            .where(CaseHistory.case_id == target.case_id)
            .order_by(CaseHistory.id.desc())
            .limit(1)
        )
    target.previous_hash = previous or GENESIS
    target.row_hash = chain_hash(target.previous_hash, history_content(target))
    heads[target.case_id] = target.row_hash
