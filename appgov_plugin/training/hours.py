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
two (their courses with each session's attendance; their completions with their other
learning) besides the policy's own check.
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


def counted(status: str, session_hours, leave_hours) -> Decimal:
    """Python's reading of :func:`counted_hours` for one attendance (the transcript's)."""
    if status == "present":
        return _hours(session_hours)
    if status == "leave":
        return max(ZERO, _hours(session_hours) - _hours(leave_hours))
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
        ) in session.connection().execute(query)
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


def _title(title_zh: str, title_en: str | None, locale: str | None) -> str:
    english = (locale or "").startswith("en")
    return title_en if english and title_en else title_zh


@dataclass
class AttendedSession:
    """One session of one of the person's courses, as recorded, with its course and the
    course's result (the enrollment's status)."""

    session_id: int
    on: dt.date
    starts_at: dt.time
    ends_at: dt.time
    session_hours: Decimal
    status: str  # the attendance's
    leave_hours: Decimal | None
    hours: Decimal  # what it counts (rule TN-LEARN-1)
    course_id: int
    course_code: str
    course_type: str
    title_zh: str
    title_en: str | None
    result: str  # the enrollment's status
    dismissal_rule: str | None
    dismissal_reason: str | None
    result_on: dt.date | None

    def course_title(self, locale: str | None) -> str:
        return _title(self.title_zh, self.title_en, locale)


@dataclass
class Unattended:
    """A course of the person with no attendance recorded yet (enrolled, proposed...)."""

    enrollment_id: int
    course_id: int
    course_code: str
    course_hours: Decimal
    title_zh: str
    title_en: str | None
    status: str

    def course_title(self, locale: str | None) -> str:
        return _title(self.title_zh, self.title_en, locale)


@dataclass
class Learned:
    """An e-learning completion (``kind="elearning"``, the course's title) or other learning
    (``kind="other"``, its title and where it was learned)."""

    kind: str
    id: int
    on: dt.date
    hours: Decimal
    title_zh: str
    title_en: str | None
    source: str | None

    def title(self, locale: str | None) -> str:
        return _title(self.title_zh, self.title_en, locale)


@dataclass
class YearSection:
    year: int
    day: dt.date
    target: Decimal
    sessions: list[AttendedSession] = field(default_factory=list)
    completions: list[Learned] = field(default_factory=list)
    other: list[Learned] = field(default_factory=list)

    @property
    def attended(self) -> Decimal:
        return sum((s.hours for s in self.sessions), ZERO)

    @property
    def elearning(self) -> Decimal:
        return sum((c.hours for c in self.completions), ZERO)

    @property
    def other_hours(self) -> Decimal:
        return sum((o.hours for o in self.other), ZERO)

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
    #: Courses no attendance was recorded for yet.
    unattended: list[Unattended]


def _courses_and_sessions(person_id: int) -> sa.Select:
    """Each enrollment of the person with each attendance recorded (none: one row with
    NULLs), its session and course."""
    return (
        sa.select(
            Enrollment.id,
            Enrollment.status,
            Enrollment.dismissal_rule,
            Enrollment.dismissal_reason,
            Enrollment.result_on,
            Course.id,
            Course.code,
            Course.course_type,
            Course.title_zh,
            Course.title_en,
            Course.hours,
            Attendance.id,
            Attendance.status,
            Attendance.leave_hours,
            TrainingSession.id,
            TrainingSession.on,
            TrainingSession.starts_at,
            TrainingSession.ends_at,
            TrainingSession.hours,
        )
        .join(Course, Course.id == Enrollment.course_id)
        .outerjoin(Attendance, Attendance.enrollment_id == Enrollment.id)
        .outerjoin(TrainingSession, TrainingSession.id == Attendance.session_id)
        .where(Enrollment.person_id == person_id)
    )


def _learned(person_id: int) -> sa.CompoundSelect:
    """The person's e-learning completions and other learning, in one statement."""
    completions = (
        sa.select(
            sa.literal("elearning").label("kind"),
            ElearningCompletion.id.label("id"),
            ElearningCompletion.completed_on.label("on"),
            ElearningCompletion.hours.label("hours"),
            Course.title_zh.label("title_zh"),
            Course.title_en.label("title_en"),
            sa.null().label("source"),
        )
        .join(Course, Course.id == ElearningCompletion.course_id)
        .where(ElearningCompletion.person_id == person_id)
    )
    other = sa.select(
        sa.literal("other"),
        OtherLearning.id,
        OtherLearning.on,
        OtherLearning.hours,
        OtherLearning.title,
        sa.null(),
        OtherLearning.source,
    ).where(OtherLearning.person_id == person_id)
    return sa.union_all(completions, other)


def transcript(person: RolloutPerson, *, policy=None, session=None) -> Transcript:
    """Everything ``person`` learned, per calendar year (newest first, the current year
    always shown): the sessions of their courses with the hours each counts and the
    course's result, their e-learning completions and other learning, each year's totals
    against its target. Two statements (courses with their sessions; completions with
    other learning)."""
    session = session or get_state().session
    policy = policy or get_state().policy()
    years: dict[int, YearSection] = {}

    def section(year: int) -> YearSection:
        if year not in years:
            years[year] = YearSection(year, report_day(year), year_target(policy, year))
        return years[year]

    section(today().year)
    connection = session.connection()  # Core rows: no ORM entities to build
    unattended: list[Unattended] = []
    attended: list[AttendedSession] = []
    for (
        enrollment_id,
        result,
        dismissal_rule,
        dismissal_reason,
        result_on,
        course_id,
        course_code,
        course_type,
        title_zh,
        title_en,
        course_hours,
        attendance_id,
        status,
        leave_hours,
        session_id,
        on,
        starts_at,
        ends_at,
        session_hours,
    ) in connection.execute(_courses_and_sessions(person.id)):
        if attendance_id is None:
            unattended.append(
                Unattended(
                    enrollment_id,
                    course_id,
                    course_code,
                    _hours(course_hours),
                    title_zh,
                    title_en,
                    result,
                )
            )
            continue
        attended.append(
            AttendedSession(
                session_id=session_id,
                on=on,
                starts_at=starts_at,
                ends_at=ends_at,
                session_hours=_hours(session_hours),
                status=status,
                leave_hours=_hours(leave_hours) if leave_hours is not None else None,
                hours=counted(status, session_hours, leave_hours),
                course_id=course_id,
                course_code=course_code,
                course_type=course_type,
                title_zh=title_zh,
                title_en=title_en,
                result=result,
                dismissal_rule=dismissal_rule,
                dismissal_reason=dismissal_reason,
                result_on=result_on,
            )
        )
    attended.sort(key=lambda item: (item.on, item.starts_at, item.session_id))
    for item in attended:
        section(item.on.year).sessions.append(item)
    learned = [
        Learned(kind, id_, on, _hours(hours_), title_zh, title_en, source)
        for kind, id_, on, hours_, title_zh, title_en, source in connection.execute(
            _learned(person.id)
        )
    ]
    learned.sort(key=lambda item: (item.on, item.kind, item.id))
    for item in learned:
        part = section(item.on.year)
        (part.completions if item.kind == "elearning" else part.other).append(item)
    unattended.sort(key=lambda item: item.enrollment_id)
    ordered = [years[year] for year in sorted(years, reverse=True)]
    return Transcript(person=person, years=ordered, unattended=unattended)
