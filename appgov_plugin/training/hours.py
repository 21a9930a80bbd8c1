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
one (a ``UNION ALL`` of their courses with each session's attendance, their completions and
their other learning) besides the policy's own check.
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


#: The report's statement per shape (agencies given, people given, a day of presence), built
#: once: every call binds its values (SQLAlchemy's compiled cache does the rest).
_REPORT_STATEMENTS: dict[tuple[bool, bool, bool], sa.Select] = {}


def _report_statement(by_agency: bool, by_person: bool, by_day: bool) -> sa.Select:
    """The per-person sums of the three sources joined to the people: each source's
    sub-query is limited to the chosen people when agencies or people are given (joined to
    them, so an agency's report reads only its own rows)."""
    key = (by_agency, by_person, by_day)
    if key in _REPORT_STATEMENTS:
        return _REPORT_STATEMENTS[key]
    start, end = sa.bindparam("start", type_=sa.Date), sa.bindparam("end", type_=sa.Date)

    def chosen(query: sa.Select, person_id) -> sa.Select:
        if not (by_agency or by_person):
            return query
        scoped = sa.orm.aliased(RolloutPerson)
        query = query.join(scoped, scoped.id == person_id)
        if by_agency:
            query = query.where(scoped.agency_code.in_(sa.bindparam("codes", expanding=True)))
        if by_person:
            query = query.where(scoped.id.in_(sa.bindparam("ids", expanding=True)))
        return query

    attended = chosen(
        sa.select(
            Enrollment.person_id.label("person_id"),
            sa.type_coerce(sa.func.sum(counted_hours()), SUM).label("hours"),
        )
        .select_from(Attendance)
        .join(TrainingSession, TrainingSession.id == Attendance.session_id)
        .join(Enrollment, Enrollment.id == Attendance.enrollment_id),
        Enrollment.person_id,
    )
    attended = (
        attended.where(TrainingSession.on >= start, TrainingSession.on < end)
        .group_by(Enrollment.person_id)
        .subquery("attended")
    )
    elearning = chosen(
        sa.select(
            ElearningCompletion.person_id.label("person_id"),
            sa.type_coerce(sa.func.sum(ElearningCompletion.hours), SUM).label("hours"),
        ),
        ElearningCompletion.person_id,
    )
    elearning = (
        elearning.where(
            ElearningCompletion.completed_on >= start, ElearningCompletion.completed_on < end
        )
        .group_by(ElearningCompletion.person_id)
        .subquery("elearning")
    )
    other = chosen(
        sa.select(
            OtherLearning.person_id.label("person_id"),
            sa.type_coerce(sa.func.sum(OtherLearning.hours), SUM).label("hours"),
        ),
        OtherLearning.person_id,
    )
    other = (
        other.where(OtherLearning.on >= start, OtherLearning.on < end)
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
        .order_by(RolloutPerson.agency_code, RolloutPerson.name, RolloutPerson.id)
    )
    if by_agency:
        query = query.where(RolloutPerson.agency_code.in_(sa.bindparam("codes", expanding=True)))
    if by_person:
        query = query.where(RolloutPerson.id.in_(sa.bindparam("ids", expanding=True)))
    if by_day:
        present_on = sa.bindparam("present_on", type_=sa.Date)
        query = query.where(
            sa.or_(RolloutPerson.left_on.is_(None), RolloutPerson.left_on > present_on)
        )
    _REPORT_STATEMENTS[key] = query
    return query


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
    values: dict = {"start": start, "end": end}
    if agency_codes is not None:
        values["codes"] = sorted(agency_codes)
    if person_ids is not None:
        values["ids"] = sorted(person_ids)
    if present_on is not None:
        values["present_on"] = present_on
    query = _report_statement(
        agency_codes is not None, person_ids is not None, present_on is not None
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
        ) in session.connection().execute(query, values)
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


def title_in(row, locale: str | None) -> str:
    """A transcript row's title (a course's, or other learning's) in the reader's language."""
    english = (locale or "").startswith("en")
    return row.title_en if english and row.title_en else row.title_zh


@dataclass
class YearSection:
    """One calendar year of a transcript. ``sessions``: course rows (``session_id``, ``on``,
    ``starts_at``, ``ends_at``, ``session_hours``, the attendance's ``status`` and
    ``leave_hours``, the ``hours`` counted (rule TN-LEARN-1), ``course_id``,
    ``course_code``, ``course_type``, ``title_zh``/``title_en``, ``result`` -- the
    enrollment's status --, ``dismissal_rule``, ``dismissal_reason``, ``result_on``);
    ``completions`` and ``other``: rows with ``kind``, ``learned_id``, ``on``, ``hours``,
    ``title_zh``/``title_en`` and ``source`` (all rows of :func:`_transcript_statement`)."""

    year: int
    day: dt.date
    target: Decimal
    sessions: list = field(default_factory=list)
    completions: list = field(default_factory=list)
    other: list = field(default_factory=list)

    @property
    def attended(self) -> Decimal:
        return sum((_hours(s.hours) for s in self.sessions), ZERO)

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
    #: The person's courses no attendance was recorded for yet (rows as the sessions', with
    #: ``enrollment_id`` and ``course_hours``; the session's columns NULL).
    unattended: list


def _typed_null(type_) -> sa.ColumnElement:
    return sa.cast(sa.null(), type_)


def _transcript_statement() -> sa.CompoundSelect:
    """Everything the person (``:person_id``) learned, in ONE statement: each enrollment
    with each attendance recorded (``kind="course"``; no attendance: the session's columns
    NULL), its session and course and the hours it counts (TN-LEARN-1); each e-learning
    completion (``kind="elearning"``) and other learning (``kind="other"``) with its hours
    (``learned_id``, ``on``, ``hours``, the titles and ``source``)."""
    person_id = sa.bindparam("person_id")
    courses = (
        sa.select(
            sa.literal("course").label("kind"),
            Enrollment.id.label("enrollment_id"),
            Enrollment.status.label("result"),
            Enrollment.dismissal_rule.label("dismissal_rule"),
            Enrollment.dismissal_reason.label("dismissal_reason"),
            Enrollment.result_on.label("result_on"),
            Course.id.label("course_id"),
            Course.code.label("course_code"),
            Course.course_type.label("course_type"),
            Course.title_zh.label("title_zh"),
            Course.title_en.label("title_en"),
            Course.hours.label("course_hours"),
            Attendance.id.label("attendance_id"),
            Attendance.status.label("status"),
            Attendance.leave_hours.label("leave_hours"),
            sa.type_coerce(counted_hours(), SUM).label("hours"),
            TrainingSession.id.label("session_id"),
            TrainingSession.on.label("on"),
            TrainingSession.starts_at.label("starts_at"),
            TrainingSession.ends_at.label("ends_at"),
            TrainingSession.hours.label("session_hours"),
            _typed_null(sa.Integer).label("learned_id"),
            _typed_null(sa.String).label("source"),
        )
        .select_from(Enrollment)
        .join(Course, Course.id == Enrollment.course_id)
        .outerjoin(Attendance, Attendance.enrollment_id == Enrollment.id)
        .outerjoin(TrainingSession, TrainingSession.id == Attendance.session_id)
        .where(Enrollment.person_id == person_id)
    )

    def learned(kind: str, id_, on, hours_, title_zh, title_en, source, source_table):
        """A completion's or other learning's row: the course row's columns NULL."""
        return sa.select(
            sa.literal(kind),
            _typed_null(sa.Integer),  # enrollment_id
            _typed_null(sa.String),  # result
            _typed_null(sa.String),  # dismissal_rule
            _typed_null(sa.Text),  # dismissal_reason
            _typed_null(sa.Date),  # result_on
            _typed_null(sa.Integer),  # course_id
            _typed_null(sa.String),  # course_code
            _typed_null(sa.String),  # course_type
            title_zh,
            title_en,
            _typed_null(SUM),  # course_hours
            _typed_null(sa.Integer),  # attendance_id
            _typed_null(sa.String),  # status
            _typed_null(SUM),  # leave_hours
            hours_,
            _typed_null(sa.Integer),  # session_id
            on,
            _typed_null(sa.Time),  # starts_at
            _typed_null(sa.Time),  # ends_at
            _typed_null(SUM),  # session_hours
            id_,
            source,
        ).select_from(source_table)

    completions = (
        learned(
            "elearning",
            ElearningCompletion.id,
            ElearningCompletion.completed_on,
            ElearningCompletion.hours,
            Course.title_zh,
            Course.title_en,
            _typed_null(sa.String),
            ElearningCompletion,
        )
        .join(Course, Course.id == ElearningCompletion.course_id)
        .where(ElearningCompletion.person_id == person_id)
    )
    other = learned(
        "other",
        OtherLearning.id,
        OtherLearning.on,
        OtherLearning.hours,
        OtherLearning.title,
        _typed_null(sa.String),
        OtherLearning.source,
        OtherLearning,
    ).where(OtherLearning.person_id == person_id)
    return sa.union_all(courses, completions, other)


#: The transcript's statement, built once (each call binds the person).
_TRANSCRIPT_STATEMENT: list = []


def transcript_statement() -> sa.CompoundSelect:
    if not _TRANSCRIPT_STATEMENT:
        _TRANSCRIPT_STATEMENT.append(_transcript_statement())
    return _TRANSCRIPT_STATEMENT[0]


def transcript(person: RolloutPerson, *, policy=None, session=None) -> Transcript:
    """Everything ``person`` learned, per calendar year (newest first, the current year
    always shown): the sessions of their courses with the hours each counts and the
    course's result, their e-learning completions and other learning, each year's totals
    against its target; the courses with no attendance recorded yet. ONE statement (Core
    rows, see :func:`_transcript_statement`)."""
    session = session or get_state().session
    policy = policy or get_state().policy()
    years: dict[int, YearSection] = {}

    def section(year: int) -> YearSection:
        if year not in years:
            years[year] = YearSection(year, report_day(year), year_target(policy, year))
        return years[year]

    section(today().year)
    unattended, sessions, learned = [], [], []
    for row in session.connection().execute(transcript_statement(), {"person_id": person.id}):
        if row.kind != "course":
            learned.append(row)
        elif row.attendance_id is None:
            unattended.append(row)
        else:
            sessions.append(row)
    sessions.sort(key=lambda row: (row.on, row.starts_at, row.session_id, row.enrollment_id))
    for row in sessions:
        section(row.on.year).sessions.append(row)
    learned.sort(key=lambda row: (row.on, row.kind, row.learned_id))
    for row in learned:
        part = section(row.on.year)
        (part.completions if row.kind == "elearning" else part.other).append(row)
    unattended.sort(key=lambda row: row.enrollment_id)
    ordered = [years[year] for year in sorted(years, reverse=True)]
    return Transcript(person=person, years=ordered, unattended=unattended)
