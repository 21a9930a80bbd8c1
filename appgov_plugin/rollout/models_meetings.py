"""The roll-out meetings' tables (TP-WG-3, TP-WG-4), migration 0011.

* :class:`Meeting` -- one meeting of a major system's coordination council (協調會報,
  city-wide), steering group (推動小組) or an agency's work group (機關工作小組, with its
  ``agency_code``): the day, in person or online, its minutes (a stored upload's reference:
  SHA-256, name, size, type), the day the minutes reached the IT department and their
  ``minutes`` deadline (TP-WG-3: 5 working days, ``policy.deadline("minutes", held_on)``).
* :class:`Attendance` -- one person of the registry at one meeting: in person, online,
  absent, or represented by someone else.
* :class:`CouncilSeat` -- an agency's representative on a system's coordination council
  from ``since``; ``lost_on`` (and the meeting) when they missed three consecutive council
  meetings in person (TP-WG-4): the agency then appoints another, whose seat is a new row.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, utcnow
from ..i18n import _l
from .models import LIMITS, MajorSystem, RolloutPerson

#: The bodies that meet (TP-WG-4).
BODIES = {
    "council": _l("Coordination council"),
    "steering": _l("Steering group"),
    "work_group": _l("Agency work group"),
}

#: How a meeting is held.
MODES = {"in_person": _l("In-person meeting"), "online": _l("Online meeting")}

#: How a person attended.
ATTENDANCE = {
    "in_person": _l("In person"),
    "online": _l("Online"),
    "absent": _l("Absent"),
    "represented": _l("Represented"),
}


class Meeting(Base):
    __tablename__ = "appgov_rollout_meeting"

    id: Mapped[int] = mapped_column(primary_key=True)
    system_id: Mapped[int] = mapped_column(sa.ForeignKey("appgov_rollout_system.id"))
    body: Mapped[str] = mapped_column(sa.String(16))
    #: The agency whose work group met (``None`` for the council and the steering group).
    agency_code: Mapped[str | None] = mapped_column(sa.String(LIMITS["code"]), index=True)
    held_on: Mapped[dt.date] = mapped_column(sa.Date)
    mode: Mapped[str] = mapped_column(sa.String(16))
    minutes_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    minutes_name: Mapped[str | None] = mapped_column(sa.String(200))
    minutes_size: Mapped[int | None] = mapped_column()
    minutes_type: Mapped[str | None] = mapped_column(sa.String(100))
    #: The day the minutes reached the IT department (``None``: not yet).
    minutes_received_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    #: TP-WG-3: ``policy.deadline("minutes", held_on)``.
    minutes_due_on: Mapped[dt.date] = mapped_column(sa.Date)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str | None] = mapped_column(sa.String(80))

    system: Mapped[MajorSystem] = relationship()
    # the module's path: the training records have an Attendance class too
    attendance: Mapped[list[Attendance]] = relationship(
        "appgov_plugin.rollout.models_meetings.Attendance",
        back_populates="meeting",
        cascade="all, delete-orphan",
        order_by="appgov_plugin.rollout.models_meetings.Attendance.id",
    )

    __table_args__ = (
        sa.Index("ix_appgov_rollout_meeting_system_body_held", "system_id", "body", "held_on"),
        sa.CheckConstraint("body IN ('council', 'steering', 'work_group')", name="body"),
        sa.CheckConstraint("mode IN ('in_person', 'online')", name="mode"),
        sa.CheckConstraint(
            "(body = 'work_group') = (agency_code IS NOT NULL)", name="agency_for_work_group"
        ),
    )

    @property
    def minutes_late(self) -> bool:
        """TP-WG-3: the minutes reached the IT department after their deadline."""
        received = self.minutes_received_on
        return received is not None and received > self.minutes_due_on


class Attendance(Base):
    __tablename__ = "appgov_rollout_attendance"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("appgov_rollout_meeting.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("appgov_rollout_person.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(16))

    meeting: Mapped[Meeting] = relationship(back_populates="attendance")
    person: Mapped[RolloutPerson] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("meeting_id", "person_id", name="meeting_person"),
        sa.CheckConstraint(
            "status IN ('in_person', 'online', 'absent', 'represented')", name="status"
        ),
    )


class CouncilSeat(Base):
    __tablename__ = "appgov_rollout_council_seat"

    id: Mapped[int] = mapped_column(primary_key=True)
    system_id: Mapped[int] = mapped_column(sa.ForeignKey("appgov_rollout_system.id"))
    agency_code: Mapped[str] = mapped_column(sa.String(LIMITS["code"]))
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("appgov_rollout_person.id"), index=True)
    since: Mapped[dt.date] = mapped_column(sa.Date)
    #: TP-WG-4: the day of the third consecutive council meeting missed in person.
    lost_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    lost_meeting_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("appgov_rollout_meeting.id", ondelete="SET NULL")
    )

    person: Mapped[RolloutPerson] = relationship()

    __table_args__ = (
        sa.Index("ix_appgov_rollout_council_seat_system_agency", "system_id", "agency_code"),
    )
