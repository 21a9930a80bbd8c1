"""Administrators' changes of rule parameters and of the base profile: effective-dated,
append-only, kept forever (who, when, why, old value, new value)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow

#: The pseudo-parameter holding the deployment's base profile (tainan, kaohsiung, taipei).
BASE_PROFILE = "base_profile"


class AppendOnlyError(RuntimeError):
    """History rows are never changed or removed; a correction is a new change."""


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

    __table_args__ = (sa.CheckConstraint("length(trim(reason)) > 0", name="reason"),)


@event.listens_for(ParameterChange, "before_update")
@event.listens_for(ParameterChange, "before_delete")
def _refuse_rewriting_history(mapper, connection, target):
    raise AppendOnlyError(
        f"parameter change #{target.id} is history and cannot be changed or deleted"
    )
