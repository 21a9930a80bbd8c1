"""Enrolling trainees on a course (TP-TRN-1, TP-TRN-4, TP-TRN-5; issue 13, section 2).

:func:`enroll` puts one registry person on one course, or refuses with an
:class:`EnrollmentError` naming the reason (and the form field when there is one):

* the course is full: a seat is taken by every enrollment of the course that is not
  withdrawn (proposed retakes included: a proposal holds its seat until the agency confirms
  or withdraws it); ``capacity = None`` has no limit;
* the person is already on the course (or twice in one nomination, :func:`check_nomination`);
* the person works for another agency than the nominating one, or has left (``left_on``);
* nominations are closed: ``enrol_until`` has passed, or the course's first session has
  begun (from the day of its first session);
* a lecturer course takes the agency's recommendation (TP-TRN-5: candidates are recommended
  and admitted after the IT department's review, which accepting the nomination is).

Every check and the insert run under the course's write lock (:func:`lock`,
:func:`appgov_plugin.db.write_lock`), so two nominations accepted at the same moment cannot
overfill a course. Nothing is committed here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from .. import clock
from ..db import write_lock
from ..i18n import _
from ..rollout.models import RolloutPerson
from ..state import get_state
from .models import Course, Enrollment, TrainingSession

#: The statuses that hold a seat (every one but ``withdrawn``).
SEATED = ("proposed", "enrolled", "dismissed", "passed", "failed")


class EnrollmentError(ValueError):
    """A refused enrollment: the message names the reason; ``field`` the form field."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def actor_name(actor) -> str:
    """A username from a user object or a string."""
    if actor is None:
        return ""
    if isinstance(actor, str):
        return actor
    return str(getattr(actor, "username", "") or "")


def lock(course: Course) -> None:
    """Hold the course's write lock until the transaction ends (PostgreSQL advisory lock;
    SQLite: the database's write lock, taken now)."""
    write_lock(get_state().session.connection(), Enrollment.__tablename__, str(course.id))


def first_session_on(course: Course) -> dt.date | None:
    return get_state().session.scalar(
        sa.select(sa.func.min(TrainingSession.on)).where(TrainingSession.course_id == course.id)
    )


def closed_reason(course: Course, today: dt.date | None = None) -> str | None:
    """Why ``course`` takes no more nominations (``None``: it does)."""
    today = today or clock.today()
    if course.enrol_until is not None and today > course.enrol_until:
        return _(
            "Course: nominations for %(course)s closed on %(day)s.",
            course=course.code,
            day=_day(course.enrol_until),
        )
    first = first_session_on(course)
    if first is not None and today >= first:
        return _(
            "Course: %(course)s has begun (first session %(day)s); it takes no more nominations.",
            course=course.code,
            day=_day(first),
        )
    return None


def _day(day: dt.date) -> str:
    from ..i18n import format_date

    return format_date(day)


def seats_taken(course: Course, *, excluding: int | None = None) -> int:
    query = sa.select(sa.func.count(Enrollment.id)).where(
        Enrollment.course_id == course.id, Enrollment.status.in_(SEATED)
    )
    if excluding is not None:
        query = query.where(Enrollment.id != excluding)
    return int(get_state().session.scalar(query) or 0)


def check_seat(course: Course, wanted: int = 1, *, excluding: int | None = None) -> None:
    """:class:`EnrollmentError` when ``wanted`` more trainees do not fit on ``course``."""
    if course.capacity is None:
        return
    taken = seats_taken(course, excluding=excluding)
    if taken + wanted > course.capacity:
        raise EnrollmentError(
            _(
                "Course: %(course)s is full (%(taken)s of %(capacity)s seats taken).",
                course=course.code,
                taken=str(taken),
                capacity=str(course.capacity),
            ),
            "course",
        )


def check_person(person: RolloutPerson | None, agency_code: str | None, today=None) -> None:
    """The person exists, works for the nominating agency and has not left."""
    today = today or clock.today()
    if person is None:
        raise EnrollmentError(_("Employee id: no such person in the registry."), "employee_id")
    if agency_code is not None and person.agency_code != agency_code:
        raise EnrollmentError(
            _(
                "Employee id: %(person)s (%(employee_id)s) works for another agency.",
                person=person.name,
                employee_id=person.employee_id,
            ),
            "employee_id",
        )
    if person.left_on is not None and person.left_on <= today:
        raise EnrollmentError(
            _(
                "Employee id: %(person)s (%(employee_id)s) left the agency on %(day)s.",
                person=person.name,
                employee_id=person.employee_id,
                day=_day(person.left_on),
            ),
            "employee_id",
        )


def existing(course: Course, person: RolloutPerson) -> Enrollment | None:
    return (
        get_state()
        .session.scalars(
            sa.select(Enrollment).where(
                Enrollment.course_id == course.id, Enrollment.person_id == person.id
            )
        )
        .first()
    )


def _duplicate(course: Course, person: RolloutPerson) -> EnrollmentError:
    return EnrollmentError(
        _(
            "Employee id: %(person)s (%(employee_id)s) is already on %(course)s.",
            person=person.name,
            employee_id=person.employee_id,
            course=course.code,
        ),
        "employee_id",
    )


def check_recommendation(course: Course, recommendation: str | None) -> None:
    """rule TP-TRN-5: a lecturer candidate is recommended by the agency."""
    if course.course_type == "lecturer" and not (recommendation or "").strip():
        raise EnrollmentError(
            _(
                "Why the agency recommends them: a lecturer course takes the agency's "
                "recommendation (TP-TRN-5)."
            ),
            "lecturer_recommendation",
        )


def enroll(
    course: Course,
    person: RolloutPerson | None,
    actor,
    *,
    case_id: int | None = None,
    retake_of: Enrollment | None = None,
    agency_code: str | None = None,
    recommendation: str | None = None,
    status: str | None = None,
    locked: bool = False,
) -> Enrollment:
    """Put ``person`` on ``course`` (no commit); :class:`EnrollmentError` when refused.

    ``agency_code``: the nominating agency (default: the person's own; a nomination case
    passes its agency). ``case_id``: the nomination case (then a lecturer course needs
    ``recommendation``, TP-TRN-5). ``retake_of``: the failed or dismissed enrollment this
    one retakes (TP-TRN-4); the new one is ``"proposed"`` unless ``status`` says otherwise.
    ``locked``: the caller holds :func:`lock` already.
    """
    today = clock.today()
    if not locked:
        lock(course)
    check_person(person, agency_code, today)
    closed = closed_reason(course, today)
    if closed:
        raise EnrollmentError(closed, "course")
    if case_id is not None and retake_of is None:
        check_recommendation(course, recommendation)
    row = existing(course, person)
    if row is not None and row.status != "withdrawn":
        raise _duplicate(course, person)
    check_seat(course)
    status = status or ("proposed" if retake_of is not None else "enrolled")
    if row is None:
        row = Enrollment(course_id=course.id, person_id=person.id)
        get_state().session.add(row)
    # a withdrawn enrollment is taken up again (one row per person and course)
    row.agency_code = person.agency_code
    row.status = status
    row.case_id = case_id
    row.retake_of_id = retake_of.id if retake_of is not None else None
    row.dismissed_on = row.dismissal_rule = row.dismissal_reason = row.result_on = None
    row.created_by = actor_name(actor) or None
    get_state().session.flush()
    return row


# -- a nomination (the training_enrollment case, version 2) ----------------------------------


@dataclass
class Problem:
    """A refused nomination row: the message, the field and the row (1-based, or ``None``)."""

    message: str
    field: str
    row: int | None = None


def people_by_employee_id(ids: Iterable[str]) -> dict[str, RolloutPerson]:
    wanted = sorted({(i or "").strip() for i in ids if (i or "").strip()})
    if not wanted:
        return {}
    rows = get_state().session.scalars(
        sa.select(RolloutPerson).where(RolloutPerson.employee_id.in_(wanted))
    )
    return {p.employee_id: p for p in rows}


def check_nomination(
    course: Course | None,
    rows: Sequence[dict],
    agency_code: str,
    recommendation: str | None = None,
) -> Problem | None:
    """The first problem of nominating ``rows`` (``{"employee_id", "retake"}``) of
    ``agency_code`` on ``course``; ``None``: all fit. Checks every row before the seats
    (the whole nomination must fit)."""
    if course is None:
        return Problem(_("Course: choose a course that takes nominations."), "course")
    today = clock.today()
    closed = closed_reason(course, today)
    if closed:
        return Problem(closed, "course")
    try:
        check_recommendation(course, recommendation)
    except EnrollmentError as error:
        return Problem(str(error), error.field)
    people = people_by_employee_id(r.get("employee_id") for r in rows)
    seen: dict[int, int] = {}
    enrolled = _enrolled_people(course, [p.id for p in people.values()])
    for number, row in enumerate(rows, start=1):
        employee_id = (row.get("employee_id") or "").strip()
        person = people.get(employee_id)
        try:
            check_person(person, agency_code, today)
        except EnrollmentError as error:
            return Problem(str(error), "trainees", number)
        if person.id in seen:
            return Problem(
                _(
                    "Employee id: %(person)s (%(employee_id)s) is named twice (rows %(first)s "
                    "and %(second)s).",
                    person=person.name,
                    employee_id=person.employee_id,
                    first=str(seen[person.id]),
                    second=str(number),
                ),
                "trainees",
                number,
            )
        seen[person.id] = number
        if person.id in enrolled:
            return Problem(str(_duplicate(course, person)), "trainees", number)
    try:
        check_seat(course, len(seen))
    except EnrollmentError as error:
        return Problem(str(error), "course")
    return None


def _enrolled_people(course: Course, person_ids: list[int]) -> set[int]:
    if not person_ids:
        return set()
    return set(
        get_state().session.scalars(
            sa.select(Enrollment.person_id).where(
                Enrollment.course_id == course.id,
                Enrollment.person_id.in_(person_ids),
                Enrollment.status != "withdrawn",
            )
        )
    )


def open_courses(today: dt.date | None = None, course_type: str | None = None) -> list[Course]:
    """The courses that take nominations today (one query), first sessions first."""
    today = today or clock.today()
    first = (
        sa.select(TrainingSession.course_id, sa.func.min(TrainingSession.on).label("first_on"))
        .group_by(TrainingSession.course_id)
        .subquery()
    )
    query = (
        sa.select(Course)
        .outerjoin(first, first.c.course_id == Course.id)
        .where(
            sa.or_(Course.enrol_until.is_(None), Course.enrol_until >= today),
            sa.or_(first.c.first_on.is_(None), first.c.first_on > today),
            Course.results_on.is_(None),
        )
        .order_by(first.c.first_on.is_(None), first.c.first_on, Course.code)
    )
    if course_type is not None:
        query = query.where(Course.course_type == course_type)
    return list(get_state().session.scalars(query))


def course_by_code(code: str | None) -> Course | None:
    code = (code or "").strip()
    if not code:
        return None
    return get_state().session.scalars(sa.select(Course).where(Course.code == code)).first()
