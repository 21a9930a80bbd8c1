"""The tables of an app's life after approval.

* :class:`AppEvent` -- the app's history: every change of status or version, with who, when,
  why and the case that decided it (append-only: the ORM refuses updates and deletes);
* :class:`AppCase` -- which host case concerns which app, with the case's state as the last
  transition left it (the app page lists an app's cases without asking the host per case);
* :class:`Deadline` -- a waiting step's due date from the policy facade (``plan_review``...),
  flagged overdue by ``flask appgov sweep``;
* :class:`AppYearResult` -- an app's KPI result of a year (pass/fail and why), entered by
  the authority until the evaluation capability computes it (KH-KPI-3/4);
* :class:`SweepRun` -- what each run of ``flask appgov sweep`` did.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column, object_session

from ..db import Base, utcnow

#: What an :class:`AppEvent` records (``kind``).
EVENT_KINDS = (
    "registered",  # entered the registry (approved proposal, or an administrator)
    "listed",  # TN-LIST-1, KH-LIST-2: first listing approved
    "version",  # KH-VER-1: a version change approved
    "relisted",  # KH-SEC-1 (3): relisted after a takedown
    "taken_down",  # TN-DEL-2 short-term takedown, KH-SEC-1 security takedown
    "delisting_scheduled",  # TN-DEL-2: approved, waits for its date
    "delisted",  # TN-DEL-1..3, KH-EVAL-3, KH-KPI-4
    "stopped",  # KH-EVAL-3: development stopped
    "portal_announced",  # TN-DEL-3
    "kpi_result",  # KH-KPI-3/4: a year's result recorded
    "plan_opened",  # KH-KPI-3: an improvement and marketing plan asked for
    "forced_delisting_opened",  # KH-KPI-4
    "corrected",  # an administrator's correction, with a reason
)

#: ``AppEvent.actor`` of what ``flask appgov sweep`` did.
SYSTEM_ACTOR = "appgov-sweep"


class AppEvent(Base):
    """One step of an app's history. Rows are never changed or removed."""

    __tablename__ = "appgov_app_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    app_id: Mapped[int] = mapped_column(sa.ForeignKey("appgov_app.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    kind: Mapped[str] = mapped_column(sa.String(40))
    #: the host username who acted, or :data:`SYSTEM_ACTOR`
    actor: Mapped[str] = mapped_column(sa.String(80))
    #: the host case that decided it (none for an administrator's correction)
    case_id: Mapped[int | None] = mapped_column(sa.Integer, index=True)
    from_status: Mapped[str | None] = mapped_column(sa.String(32))
    to_status: Mapped[str | None] = mapped_column(sa.String(32))
    #: the version in force after the step (KH-VER-1)
    version: Mapped[str | None] = mapped_column(sa.String(32))
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    #: what else the step recorded: the security test report's file reference (KH-SEC-1),
    #: store links, the portal announcement and the source-code decision (TN-DEL-3)...
    details: Mapped[dict] = mapped_column(sa.JSON, default=dict)

    __table_args__ = (
        sa.CheckConstraint(
            "kind IN ({})".format(", ".join(f"'{kind}'" for kind in EVENT_KINDS)), name="kind"
        ),
    )


class AppendOnlyError(RuntimeError):
    """Someone tried to change or delete an app's history."""


@event.listens_for(AppEvent, "before_update")
def _refuse_update(mapper, connection, target: AppEvent) -> None:
    session = object_session(target)
    if session is not None and session.is_modified(target, include_collections=False):
        raise AppendOnlyError(f"app event {target.id} is append-only: UPDATE refused")


@event.listens_for(AppEvent, "before_delete")
def _refuse_delete(mapper, connection, target: AppEvent) -> None:
    raise AppendOnlyError(f"app event {target.id} is append-only: DELETE refused")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk(state) -> None:
    if (state.is_update or state.is_delete) and state.bind_mapper is sa.inspect(AppEvent):
        raise AppendOnlyError("app events are append-only: bulk UPDATE/DELETE refused")


class AppCase(Base):
    """A host case about an app, and its state after its last transition."""

    __tablename__ = "appgov_app_case"

    case_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    app_id: Mapped[int] = mapped_column(sa.ForeignKey("appgov_app.id"), index=True)
    type_key: Mapped[str] = mapped_column(sa.String(80))
    status: Mapped[str] = mapped_column(sa.String(80))
    agency_code: Mapped[str] = mapped_column(sa.String(64), index=True)
    #: why appgov opened the case itself (``"kpi:2025"``...): at most one case per app, type
    #: and reason, however often or concurrently the sweep runs; NULL for filed cases
    reason_key: Mapped[str | None] = mapped_column(sa.String(80))
    updated_at: Mapped[dt.datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    __table_args__ = (
        sa.UniqueConstraint("app_id", "type_key", "reason_key", name="uq_appgov_app_case_reason"),
    )


class Deadline(Base):
    """A due date of a case waiting in ``state`` (the policy facade's ``kind`` from
    ``started_on``). ``closed_at``: the case left the state; ``overdue_at``: the sweep found
    it past due while open."""

    __tablename__ = "appgov_deadline"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.Integer, index=True)
    app_id: Mapped[int | None] = mapped_column(sa.ForeignKey("appgov_app.id"), index=True)
    type_key: Mapped[str] = mapped_column(sa.String(80))
    state: Mapped[str] = mapped_column(sa.String(80))
    kind: Mapped[str] = mapped_column(sa.String(40))
    started_on: Mapped[dt.date] = mapped_column(sa.Date)
    due_on: Mapped[dt.date] = mapped_column(sa.Date, index=True)
    overdue_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    closed_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))


class AppYearResult(Base):
    """An app's KPI result of one year (KH-KPI-1..4; TN-PERF-1 against the agency's own
    targets): ``passed``, and which part failed."""

    __tablename__ = "appgov_app_year_result"

    id: Mapped[int] = mapped_column(primary_key=True)
    app_id: Mapped[int] = mapped_column(sa.ForeignKey("appgov_app.id"), index=True)
    year: Mapped[int] = mapped_column(sa.Integer)
    passed: Mapped[bool]
    downloads_failed: Mapped[bool] = mapped_column(default=False)
    rating_failed: Mapped[bool] = mapped_column(default=False)
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    recorded_by: Mapped[str] = mapped_column(sa.String(80))
    recorded_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("app_id", "year", name="uq_appgov_app_year_result_app_id_year"),
        sa.CheckConstraint("year BETWEEN 2000 AND 2200", name="year"),
    )


class SweepRun(Base):
    """One run of ``flask appgov sweep``: when, as of which day, and what it did."""

    __tablename__ = "appgov_sweep_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    as_of: Mapped[dt.date] = mapped_column(sa.Date)
    actor: Mapped[str] = mapped_column(sa.String(80))
    #: ``{"overdue": [...], "delisted": [...], "opened": [...]}``: ids of what it changed
    summary: Mapped[dict] = mapped_column(sa.JSON, default=dict)
