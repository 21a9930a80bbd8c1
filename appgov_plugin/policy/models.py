"""The rules engine's tables: rule-parameter changes and working-calendar overrides.

Rule parameters: administrators' changes of rule parameters and of the base profile,
effective-dated, append-only, kept forever (who, when, why, old value, new value).

Append-only is enforced twice: here in the ORM (a changed or deleted object, a bulk
``update()``/``delete()``), and in the database by the triggers of migration 0005, which
refuse any UPDATE, DELETE (and, on PostgreSQL, TRUNCATE) whoever sends it. Each row is
hash-chained to the row before it of the same parameter (``previous_hash``, ``row_hash``;
see :mod:`appgov_plugin.audit`), so an edit made by someone who dropped the triggers shows
up in ``flask appgov audit verify``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..db import Base, TimestampMixin, utcnow

#: The pseudo-parameter holding the deployment's base profile (tainan, kaohsiung, taipei).
BASE_PROFILE = "base_profile"


class AppendOnlyError(RuntimeError):
    """History rows are never changed or removed; a correction is a new change."""


#: The columns a row's hash covers, in :func:`appgov_plugin.audit.canonical` form; migration
#: 0005 keeps its own copy (a revision never imports application code).
HASHED = ("name", "value", "previous_value", "effective_from", "reason", "changed_by", "changed_at")


class ParameterChange(Base):
    __tablename__ = "appgov_parameter_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), index=True)
    value: Mapped[Any] = mapped_column(sa.JSON)
    #: the value in force on ``effective_from`` just before this change was recorded
    previous_value: Mapped[Any] = mapped_column(sa.JSON, nullable=True)
    effective_from: Mapped[dt.date] = mapped_column(sa.Date, index=True)
    reason: Mapped[str] = mapped_column(sa.Text)
    changed_by: Mapped[str] = mapped_column(sa.String(100))
    changed_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    #: ``row_hash`` of the row before this one of the same parameter; None for the first
    previous_hash: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    #: ``audit.chain_hash(previous_hash, self.content())``
    row_hash: Mapped[str] = mapped_column(sa.String(64))

    def content(self) -> dict[str, Any]:
        """What :attr:`row_hash` covers (every column but the id and the hashes)."""
        return {column: getattr(self, column) for column in HASHED}

    __table_args__ = (sa.CheckConstraint("length(trim(reason)) > 0", name="reason"),)


@event.listens_for(ParameterChange, "before_update")
@event.listens_for(ParameterChange, "before_delete")
def _refuse_rewriting_history(mapper, connection, target):
    raise AppendOnlyError(
        f"parameter change #{target.id} is history and cannot be changed or deleted"
    )


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_rewriting_history(state) -> None:
    """Bulk ``update(ParameterChange)`` / ``delete(ParameterChange)`` skip the events above
    (the database's triggers would refuse them too)."""
    if (state.is_update or state.is_delete) and state.bind_mapper is sa.inspect(ParameterChange):
        raise AppendOnlyError("parameter changes are history: bulk UPDATE/DELETE refused")


# -- working-calendar overrides (TIME-1) ---------------------------------------------


class CalendarOverride(TimestampMixin, Base):
    """Deployment overrides of the working calendar (TIME-1): typhoon days off, city holidays,
    extra working days. They win over the national holidays and the shipped DGPA table."""

    __tablename__ = "appgov_calendar_override"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(sa.Date, unique=True)
    #: True: a working day (e.g. an extra working Saturday); False: a day off (typhoon)
    working: Mapped[bool] = mapped_column(default=False)
    #: the name on the Chinese calendar (颱風停班) and on the English one (Typhoon day off)
    name: Mapped[str] = mapped_column(sa.String(100))
    name_en: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    created_by: Mapped[str | None] = mapped_column(sa.String(100))

    def __str__(self) -> str:
        return f"{self.day.isoformat()} {self.name}"
