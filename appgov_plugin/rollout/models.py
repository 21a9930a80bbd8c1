"""The roll-out registry's tables (TP-WG, TP-ADM, TP-SEED).

* :class:`RolloutAgency` -- an agency, institution, enterprise, district office or school as
  the roll-out counts it: its kind, its parent agency and its headcount with the date it
  was counted (TP-SEED-1 bounds the seed users by it). ``code`` is the host's agency code
  when the host knows the agency: its names then come from the host
  (``casehost_agencies``) and the registry keeps only what the host does not; an agency the
  host does not have keeps its own names and city here.
* :class:`RolloutPerson` -- a member of staff (employee id, name, agency, title, e-mail),
  linked to the host's user by ``username`` when they have one; ``unit_head`` says the
  person heads a first-level unit or above (一級單位主管以上: who may convene a work group).
* :class:`MajorSystem` -- a major information system, its phase (TP-WG-4's cadence follows
  it) and the IT department's deadline for the work groups (TP-WG-1).
* :class:`SystemScope` -- an agency in a system's scope; one excluded by a mayor-approved
  case (TP-WG-1, 專案簽奉市長核定) keeps its row with the case cited.
* :class:`Assignment` -- one person in one roster role (work-group convener or member,
  system administrator, seed user) for one agency and system, from ``starts_on`` until
  ``ends_on`` (the day after the last day; ``None``: still in the role). A person's rows
  are their history of roles. ``reported_on`` and ``due_on`` say when the change was filed
  and when it had to be (TP-WG-2, TP-SEED-2: the ``roster_change`` deadline).
* :class:`UnfitFinding` -- the IT department found a person unfit (TP-SEED-3): the reason,
  the request date, the ``replacement`` deadline, the replacement case and when it was
  done.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, TimestampMixin, utcnow
from ..i18n import _l

#: Kinds of agency (機關類型).
AGENCY_KINDS = {
    "level1": _l("Level-1 agency"),
    "level2": _l("Level-2 agency"),
    "enterprise": _l("Municipal enterprise"),
    "district": _l("District office"),
    "school": _l("School"),
}

#: A major system's phases (TP-WG-4: the meeting cadence follows them).
PHASES = {
    "planning": _l("Planning"),
    "development": _l("Development"),
    "golive": _l("Go-live"),
    "operations": _l("Operations"),
}

#: Roster roles, with the rule that asks for them.
ROLES = {
    "convener": _l("Work-group convener"),
    "member": _l("Work-group member"),
    "admin": _l("System administrator"),
    "seed": _l("Seed user"),
}

#: Field sizes (characters, not bytes).
LIMITS = {"code": 40, "name": 200, "employee_id": 40, "title": 100, "email": 254, "reason": 2000}


class RolloutAgency(TimestampMixin, Base):
    __tablename__ = "appgov_rollout_agency"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(LIMITS["code"]), unique=True)
    #: Names of an agency the host does not know (the host's names win when it does).
    name_zh: Mapped[str | None] = mapped_column(sa.String(LIMITS["name"]))
    name_en: Mapped[str | None] = mapped_column(sa.String(LIMITS["name"]))
    #: The city key (``"tainan"``) of an agency the host does not know, so the city's
    #: IT department sees it (the host's city wins when it knows the agency).
    city: Mapped[str | None] = mapped_column(sa.String(40), index=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    parent_code: Mapped[str | None] = mapped_column(sa.String(LIMITS["code"]), index=True)
    headcount: Mapped[int] = mapped_column()
    headcount_on: Mapped[dt.date] = mapped_column(sa.Date)

    __table_args__ = (
        sa.CheckConstraint("headcount >= 0", name="headcount_not_negative"),
        sa.CheckConstraint(
            "kind IN ('level1', 'level2', 'enterprise', 'district', 'school')", name="kind"
        ),
    )


class RolloutPerson(TimestampMixin, Base):
    __tablename__ = "appgov_rollout_person"

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[str] = mapped_column(sa.String(LIMITS["employee_id"]), unique=True)
    name: Mapped[str] = mapped_column(sa.String(LIMITS["name"]))
    agency_code: Mapped[str] = mapped_column(sa.String(LIMITS["code"]), index=True)
    title: Mapped[str | None] = mapped_column(sa.String(LIMITS["title"]))
    email: Mapped[str | None] = mapped_column(sa.String(LIMITS["email"]))
    username: Mapped[str | None] = mapped_column(sa.String(80), index=True)
    unit_head: Mapped[bool] = mapped_column(default=False)
    #: The day the person left the agency (transfer, retirement); ``None``: still there.
    left_on: Mapped[dt.date | None] = mapped_column(sa.Date)


class MajorSystem(TimestampMixin, Base):
    __tablename__ = "appgov_rollout_system"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(LIMITS["code"]), unique=True)
    name_zh: Mapped[str] = mapped_column(sa.String(LIMITS["name"]))
    name_en: Mapped[str] = mapped_column(sa.String(LIMITS["name"]))
    phase: Mapped[str] = mapped_column(sa.String(16))
    #: TP-WG-1: the work groups are formed and filed by this date (before go-live).
    work_group_due: Mapped[dt.date | None] = mapped_column(sa.Date)

    scope: Mapped[list[SystemScope]] = relationship(
        back_populates="system", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.CheckConstraint(
            "phase IN ('planning', 'development', 'golive', 'operations')", name="phase"
        ),
    )

    def display_name(self, locale: str | None) -> str:
        return self.name_en if (locale or "").startswith("en") and self.name_en else self.name_zh


class SystemScope(Base):
    __tablename__ = "appgov_rollout_scope"

    id: Mapped[int] = mapped_column(primary_key=True)
    system_id: Mapped[int] = mapped_column(sa.ForeignKey("appgov_rollout_system.id"))
    agency_code: Mapped[str] = mapped_column(sa.String(LIMITS["code"]), index=True)
    #: TP-WG-1: the mayor-approved case that took the agency out of the system's scope.
    excluded_case_id: Mapped[int | None] = mapped_column()
    excluded_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    excluded_note: Mapped[str | None] = mapped_column(sa.Text)

    system: Mapped[MajorSystem] = relationship(back_populates="scope")

    __table_args__ = (sa.UniqueConstraint("system_id", "agency_code", name="system_agency"),)


class Assignment(Base):
    __tablename__ = "appgov_rollout_assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    system_id: Mapped[int] = mapped_column(sa.ForeignKey("appgov_rollout_system.id"))
    agency_code: Mapped[str] = mapped_column(sa.String(LIMITS["code"]))
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("appgov_rollout_person.id"), index=True)
    role: Mapped[str] = mapped_column(sa.String(16))
    starts_on: Mapped[dt.date] = mapped_column(sa.Date)
    #: The first day the person no longer holds the role; ``None``: still in it.
    ends_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    #: The roster-change case that made this change (``None``: imported or entered by an
    #: administrator).
    case_id: Mapped[int | None] = mapped_column(index=True)
    reported_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    #: TP-WG-2 / TP-SEED-2: the ``roster_change`` deadline of the change.
    due_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str | None] = mapped_column(sa.String(80))

    person: Mapped[RolloutPerson] = relationship()

    __table_args__ = (
        sa.Index("ix_appgov_rollout_assignment_system_agency", "system_id", "agency_code"),
        sa.CheckConstraint("role IN ('convener', 'member', 'admin', 'seed')", name="role"),
        sa.CheckConstraint("ends_on IS NULL OR ends_on > starts_on", name="ends_after_start"),
    )

    def active_on(self, day: dt.date) -> bool:
        return self.starts_on <= day and (self.ends_on is None or day < self.ends_on)


class UnfitFinding(Base):
    __tablename__ = "appgov_rollout_unfit"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("appgov_rollout_person.id"), index=True)
    system_id: Mapped[int] = mapped_column(sa.ForeignKey("appgov_rollout_system.id"))
    agency_code: Mapped[str] = mapped_column(sa.String(LIMITS["code"]), index=True)
    reason: Mapped[str] = mapped_column(sa.Text)
    found_by: Mapped[str] = mapped_column(sa.String(80))
    found_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    #: TP-SEED-3: the request's date and the ``replacement`` deadline (10 working days).
    requested_on: Mapped[dt.date] = mapped_column(sa.Date)
    due_on: Mapped[dt.date] = mapped_column(sa.Date)
    replacement_case_id: Mapped[int | None] = mapped_column(index=True)
    replaced_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    #: Set once by the sweep when the deadline passed without a replacement.
    overdue_flagged_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))

    person: Mapped[RolloutPerson] = relationship()
    system: Mapped[MajorSystem] = relationship()


class WorkGroupFiling(Base):
    """TP-WG-1: the agency's work-group member list, filed with the IT department (the
    accepted work-group roster case); the first one forms the work group."""

    __tablename__ = "appgov_rollout_work_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    system_id: Mapped[int] = mapped_column(sa.ForeignKey("appgov_rollout_system.id"))
    agency_code: Mapped[str] = mapped_column(sa.String(LIMITS["code"]))
    filed_on: Mapped[dt.date] = mapped_column(sa.Date)
    case_id: Mapped[int | None] = mapped_column(index=True)

    __table_args__ = (
        sa.Index("ix_appgov_rollout_work_group_system_agency", "system_id", "agency_code"),
    )
