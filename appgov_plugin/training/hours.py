"""Learning hours per person and calendar year (TN-LEARN-1: every civil servant reaches
``learning_hours_per_year`` learning hours a year, default 20), from every source:

* **attended sessions** -- each :class:`~.models.Attendance` of the person's enrollments,
  dated by its session's day: ``present`` counts the session's hours; ``leave`` counts the
  session's hours minus the hours of leave (a trainee on leave for 1.5 h of a 3 h session
  learned 1.5 h; leave of the whole session or more counts 0); ``absent`` and ``unexcused``
  count nothing. The enrollment's status does not matter: a dismissed (TP-TRN-3), failed or
  withdrawn trainee keeps the hours they attended;
* **e-learning** -- each :class:`~.models.ElearningCompletion`'s hours, in the year of its
  completion day;
* **other learning** -- each :class:`~.models.OtherLearning`'s hours, in the year of its day.

The target of a year is the parameter in force on 31 December of that year (today for the
current year): ``policy.param("learning_hours_per_year", as_of=day)``. A person is below it
when their total is less than the target (19.9 h of 20 is below, 20.0 h is not). Hours are
``Decimal`` to a tenth of an hour.

The yearly report lists the people of the agencies in scope who belong to them on the
report day (31 December, or today): a person who left (``left_on``) on or before it is not
in that year's report (their transcript still shows what they learned).

Statements: :func:`yearly_hours` is ONE grouped statement whatever the number of people
(the three sources summed per person in sub-queries joined to the people); :func:`transcript`
four (their attendances, their courses without any, their completions, their other learning)
besides the policy's own check.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa

from ..clock import today
from ..rollout.models import RolloutPerson
from ..state import get_state
from .models import (
    Attendance,
    Course,
    ElearningCompletion,
    Enrollment,
    OtherLearning,
    TrainingSession,
)

#: The rule parameter of the yearly target (appgov_plugin/policy/parameters.py).
TARGET_PARAMETER = "learning_hours_per_year"
#: The earliest year a report or transcript shows (the ROC calendar's first year).
FIRST_YEAR = 1912
#: Sums to a tenth of an hour (SQLite sums REAL values: read back rounded to the tenth).
SUM = sa.Numeric(14, 1)
ZERO = Decimal("0.0")


def _hours(value) -> Decimal:
    if value is None:
        return ZERO
    return Decimal(value).quantize(Decimal("0.1"))


def report_day(year: int) -> dt.date:
    """The day a year's target and membership are read on: 31 December, or today for the
    current year."""
    now = today()
    return now if year >= now.year else dt.date(year, 12, 31)


def year_target(policy, year: int) -> Decimal:
    """TN-LEARN-1: the yearly target in force on :func:`report_day` of ``year``."""
    return Decimal(policy.param(TARGET_PARAMETER, as_of=report_day(year)))


def year_bounds(year: int) -> tuple[dt.date, dt.date]:
    """[1 January of ``year``, 1 January of the next year)."""
    return dt.date(year, 1, 1), dt.date(year + 1, 1, 1)


def counted_hours() -> sa.ColumnElement:
    """The hours one attendance counts (rule TN-LEARN-1): present, the session's hours; on
    leave, the session's hours less the leave (never below 0); otherwise 0."""
    leave = sa.func.coalesce(Attendance.leave_hours, 0)
    return sa.case(
        (Attendance.status == "present", TrainingSession.hours),
        (
            sa.and_(Attendance.status == "leave", leave < TrainingSession.hours),
            TrainingSession.hours - leave,
        ),
        else_=0,
    )


def attendance_hours(attendance: Attendance, session: TrainingSession) -> Decimal:
    """Python's reading of :func:`counted_hours` for one row (the transcript's)."""
    if attendance.status == "present":
        return _hours(session.hours)
    if attendance.status == "leave":
        return max(ZERO, _hours(session.hours) - _hours(attendance.leave_hours))
    return ZERO


@dataclass
class PersonHours:
    """One person's learning hours of one year, per source."""

    person_id: int
    employee_id: str
    name: str
    agency_code: str
    attended: Decimal
    elearning: Decimal
    other: Decimal

    @property
    def total(self) -> Decimal:
        return self.attended + self.elearning + self.other


def yearly_hours(
    person_ids: Collection[int] | None,
    year: int,
    agency_codes: Collection[str] | None,
    *,
    present_on: dt.date | None = None,
    session=None,
) -> list[PersonHours]:
    """Every person of ``agency_codes`` (``None``: every agency), or of ``person_ids`` when
    given, with their hours of calendar ``year`` from each source; ordered by agency, name
    and id. ``present_on``: only people who had not left by that day. ONE statement."""
    session = session or get_state().session
    start, end = year_bounds(year)
    people = sa.select(RolloutPerson.id)
    if agency_codes is not None:
        people = people.where(RolloutPerson.agency_code.in_(sorted(agency_codes)))
    if person_ids is not None:
        people = people.where(RolloutPerson.id.in_(sorted(person_ids)))
    if present_on is not None:
        people = people.where(
            sa.or_(RolloutPerson.left_on.is_(None), RolloutPerson.left_on > present_on)
        )

    attended = (
        sa.select(
            Enrollment.person_id.label("person_id"),
            sa.type_coerce(sa.func.sum(counted_hours()), SUM).label("hours"),
        )
        .join(Attendance, Attendance.enrollment_id == Enrollment.id)
        .join(TrainingSession, TrainingSession.id == Attendance.session_id)
        .where(TrainingSession.on >= start, TrainingSession.on < end)
        .where(Enrollment.person_id.in_(people))
        .group_by(Enrollment.person_id)
        .subquery("attended")
    )
    elearning = (
        sa.select(
            ElearningCompletion.person_id.label("person_id"),
            sa.type_coerce(sa.func.sum(ElearningCompletion.hours), SUM).label("hours"),
        )
        .where(ElearningCompletion.completed_on >= start, ElearningCompletion.completed_on < end)
        .where(ElearningCompletion.person_id.in_(people))
        .group_by(ElearningCompletion.person_id)
        .subquery("elearning")
    )
    other = (
        sa.select(
            OtherLearning.person_id.label("person_id"),
            sa.type_coerce(sa.func.sum(OtherLearning.hours), SUM).label("hours"),
        )
        .where(OtherLearning.on >= start, OtherLearning.on < end)
        .where(OtherLearning.person_id.in_(people))
        .group_by(OtherLearning.person_id)
        .subquery("other")
    )
    query = (
        sa.select(
            RolloutPerson.id,
            RolloutPerson.employee_id,
            RolloutPerson.name,
            RolloutPerson.agency_code,
            attended.c.hours,
            elearning.c.hours,
            other.c.hours,
        )
        .outerjoin(attended, attended.c.person_id == RolloutPerson.id)
        .outerjoin(elearning, elearning.c.person_id == RolloutPerson.id)
        .outerjoin(other, other.c.person_id == RolloutPerson.id)
        .where(RolloutPerson.id.in_(people))
        .order_by(RolloutPerson.agency_code, RolloutPerson.name, RolloutPerson.id)
    )
    return [
        PersonHours(
            person_id,
            employee_id,
            name,
            agency_code,
            _hours(attended_hours),
            _hours(elearning_hours),
            _hours(other_hours),
        )
        for (
            person_id,
            employee_id,
            name,
            agency_code,
            attended_hours,
            elearning_hours,
            other_hours,
        ) in session.execute(query)
    ]


@dataclass
class HoursReport:
    """A year's learning hours of the agencies in scope: ``rows`` (all people, or those
    below the target with ``below_only``), ``people`` and ``below`` (of all people)."""

    year: int
    day: dt.date
    target: Decimal
    rows: list[PersonHours]
    people: int
    below: int
    below_only: bool = False

    def is_below(self, row: PersonHours) -> bool:
        return row.total < self.target  # rule TN-LEARN-1


def hours_report(
    year: int,
    agency_codes: Collection[str] | None,
    *,
    below_only: bool = False,
    policy=None,
    session=None,
) -> HoursReport:
    """The per-agency report of ``year`` (TN-LEARN-1): every person of ``agency_codes``
    (``None``: all) on the report day with their hours per source, total, the year's target
    and whether they are below it. One statement (besides the policy's check)."""
    policy = policy or get_state().policy()
    day = report_day(year)
    target = year_target(policy, year)
    rows = yearly_hours(None, year, agency_codes, present_on=day, session=session)
    below = [row for row in rows if row.total < target]  # rule TN-LEARN-1
    return HoursReport(
        year=year,
        day=day,
        target=target,
        rows=below if below_only else rows,
        people=len(rows),
        below=len(below),
        below_only=below_only,
    )


# -- one person's transcript ------------------------------------------------------------------


@dataclass
class AttendedSession:
    """One session of one of the person's courses, as recorded."""

    attendance: Attendance
    session: TrainingSession
    enrollment: Enrollment
    course: Course
    hours: Decimal  # what it counts (rule TN-LEARN-1)


@dataclass
class YearSection:
    year: int
    day: dt.date
    target: Decimal
    sessions: list[AttendedSession] = field(default_factory=list)
    completions: list[ElearningCompletion] = field(default_factory=list)
    other: list[OtherLearning] = field(default_factory=list)

    @property
    def attended(self) -> Decimal:
        return sum((s.hours for s in self.sessions), ZERO)

    @property
    def elearning(self) -> Decimal:
        return sum((_hours(c.hours) for c in self.completions), ZERO)

    @property
    def other_hours(self) -> Decimal:
        return sum((_hours(o.hours) for o in self.other), ZERO)

    @property
    def total(self) -> Decimal:
        return self.attended + self.elearning + self.other_hours

    @property
    def below(self) -> bool:
        return self.total < self.target  # rule TN-LEARN-1


@dataclass
class Transcript:
    person: RolloutPerson
    years: list[YearSection]  # newest first
    #: Enrollments no attendance was recorded for yet (enrolled, proposed, withdrawn...).
    unattended: list[Enrollment]


def transcript(person: RolloutPerson, *, policy=None, session=None) -> Transcript:
    """Everything ``person`` learned, per calendar year (newest first, the current year
    always shown): the sessions of their courses with the hours each counts and the
    course's result, their e-learning completions and other learning, each year's totals
    against its target. Four statements (attendances, courses without attendance, completions,
    other learning)."""
    session = session or get_state().session
    policy = policy or get_state().policy()
    attended = session.execute(
        sa.select(Attendance, TrainingSession, Enrollment, Course)
        .join(TrainingSession, TrainingSession.id == Attendance.session_id)
        .join(Enrollment, Enrollment.id == Attendance.enrollment_id)
        .join(Course, Course.id == Enrollment.course_id)
        .where(Enrollment.person_id == person.id)
        .order_by(TrainingSession.on, TrainingSession.starts_at, TrainingSession.id)
    ).all()
    unattended = list(
        session.scalars(
            sa.select(Enrollment)
            .join(Course, Course.id == Enrollment.course_id)
            .where(Enrollment.person_id == person.id)
            .where(~sa.exists().where(Attendance.enrollment_id == Enrollment.id))
            .options(sa.orm.contains_eager(Enrollment.course))
            .order_by(Enrollment.created_at, Enrollment.id)
        )
    )
    completions = list(
        session.scalars(
            sa.select(ElearningCompletion)
            .join(Course, Course.id == ElearningCompletion.course_id)
            .where(ElearningCompletion.person_id == person.id)
            .options(sa.orm.contains_eager(ElearningCompletion.course))
            .order_by(ElearningCompletion.completed_on, ElearningCompletion.id)
        )
    )
    other = list(
        session.scalars(
            sa.select(OtherLearning)
            .where(OtherLearning.person_id == person.id)
            .order_by(OtherLearning.on, OtherLearning.id)
        )
    )
    years: dict[int, YearSection] = {}

    def section(year: int) -> YearSection:
        if year not in years:
            years[year] = YearSection(year, report_day(year), year_target(policy, year))
        return years[year]

    section(today().year)
    for attendance, meeting, enrollment, course in attended:
        hours = attendance_hours(attendance, meeting)
        section(meeting.on.year).sessions.append(
            AttendedSession(attendance, meeting, enrollment, course, hours)
        )
    for completion in completions:
        section(completion.completed_on.year).completions.append(completion)
    for item in other:
        section(item.on.year).other.append(item)
    ordered = [years[year] for year in sorted(years, reverse=True)]
    return Transcript(person=person, years=ordered, unattended=unattended)
