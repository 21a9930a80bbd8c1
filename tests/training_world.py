"""A small training world for the results and enrollment tests (issue 13): one major system
with two agencies of the demo's Tainan city in scope, their people, courses and sessions,
in the sample host under the Taipei rules (``make_host("taipei")``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa

from appgov_plugin import clock
from appgov_plugin.rollout.models import (
    Assignment,
    MajorSystem,
    RolloutAgency,
    RolloutPerson,
    SystemScope,
)
from appgov_plugin.training.models import Course, Enrollment, TrainingSession
from sample_host.extensions import db
from sample_host.models import User

AGENCY = "tainan-tourism"
OTHER = "tainan-secretariat"
SYSTEM = "TT-EDOC"
EN = {"Accept-Language": "en"}


def user(username: str) -> User:
    return db.session.scalar(sa.select(User).where(User.username == username))


def agency(code: str, headcount: int = 100) -> RolloutAgency:
    row = db.session.scalar(sa.select(RolloutAgency).where(RolloutAgency.code == code))
    if row is None:
        row = RolloutAgency(
            code=code, kind="level1", headcount=headcount, headcount_on=dt.date(2026, 1, 1)
        )
        db.session.add(row)
    return row


def world(people: int = 8) -> MajorSystem:
    """The system, AGENCY's staff TT-001.. and OTHER's TO-001, TO-002 (committed)."""
    agency(AGENCY)
    agency(OTHER)
    system = MajorSystem(
        code=SYSTEM, name_zh="測試公文系統", name_en="Test e-document", phase="golive"
    )
    system.scope = [SystemScope(agency_code=AGENCY), SystemScope(agency_code=OTHER)]
    db.session.add(system)
    for n in range(1, people + 1):
        db.session.add(
            RolloutPerson(employee_id=f"TT-{n:03d}", name=f"觀光{n}", agency_code=AGENCY)
        )
    for n in (1, 2):
        db.session.add(RolloutPerson(employee_id=f"TO-{n:03d}", name=f"秘書{n}", agency_code=OTHER))
    db.session.commit()
    return system


def person(employee_id: str) -> RolloutPerson:
    return db.session.scalar(
        sa.select(RolloutPerson).where(RolloutPerson.employee_id == employee_id)
    )


def course(
    code: str,
    system: MajorSystem | None,
    course_type: str = "seed",
    *,
    capacity: int | None = 10,
    first_in: int = 10,
    enrol_until: dt.date | None = None,
    hours: str = "12",
) -> Course:
    """A course whose one session is ``first_in`` days from today (negative: past)."""
    row = Course(
        code=code,
        course_type=course_type,
        system_id=system.id if system is not None else None,
        title_zh=f"課程{code}",
        title_en=f"Course {code}",
        hours=Decimal(hours),
        capacity=capacity,
        enrol_until=enrol_until,
    )
    db.session.add(row)
    db.session.flush()
    db.session.add(
        TrainingSession(
            course_id=row.id,
            on=clock.today() + dt.timedelta(days=first_in),
            starts_at=dt.time(9),
            ends_at=dt.time(12),
            hours=Decimal(hours),
            place="資訊局教室",
        )
    )
    db.session.commit()
    return row


def seat(course_row: Course, employee_id: str, status: str = "enrolled", **extra) -> Enrollment:
    """An enrollment written directly (a course already under way or past)."""
    who = person(employee_id)
    row = Enrollment(
        course_id=course_row.id,
        person_id=who.id,
        agency_code=who.agency_code,
        status=status,
        **extra,
    )
    db.session.add(row)
    db.session.commit()
    return row


def assign(system: MajorSystem, employee_id: str, role: str) -> Assignment:
    who = person(employee_id)
    row = Assignment(
        system_id=system.id,
        agency_code=who.agency_code,
        person_id=who.id,
        role=role,
        starts_on=clock.today() - dt.timedelta(days=30),
    )
    db.session.add(row)
    db.session.commit()
    return row
