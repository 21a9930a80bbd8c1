"""Deployment overrides of the working calendar (TIME-1): typhoon days off, city holidays,
extra working days. They win over the national holidays and the shipped DGPA table."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, TimestampMixin


class CalendarOverride(TimestampMixin, Base):
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
