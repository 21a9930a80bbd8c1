"""TP-TRN-1 / issue 13 section 2: the administrators and seed users of a system must be
enrolled on its matching course (:data:`~.models.ROLE_COURSE`: an administrator on the
system's system-administrator course, a seed user on its seed-user course). Who is not:

* :func:`not_enrolled` -- people with an active administrator or seed-user assignment and
  no enrollment that is ``enrolled``, ``passed`` or ``proposed`` on a course of the matching
  type for that system, in one query;
* :func:`not_enrolled_counts` -- the same, counted per (system, agency), in one query (the
  roll-out dashboard's summary).

Shown on the roll-out agency page ("Not enrolled on their course (TP-TRN-1)") and as a
summary line on the roll-out dashboard.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from ..rollout.models import Assignment, RolloutPerson
from ..state import get_state
from .models import ROLE_COURSE, Course, Enrollment

#: The statuses that count as being (or having been) on the course.
COVERED = ("enrolled", "passed", "proposed")


@dataclass(frozen=True)
class NotEnrolled:
    person_id: int
    employee_id: str
    name: str
    agency_code: str
    system_id: int
    role: str
    #: the course type the role needs
    course_type: str


def _missing(system_ids: Iterable[int] | None, agency_codes: Iterable[str] | None, on: dt.date):
    """The WHERE clauses of an active admin/seed assignment with no covering enrollment."""
    course_type = sa.case(
        *((Assignment.role == role, course) for role, course in ROLE_COURSE.items()),
        else_=sa.null(),
    )
    covered = (
        sa.select(Enrollment.id)
        .join(Course, Course.id == Enrollment.course_id)
        .where(
            Enrollment.person_id == Assignment.person_id,
            Enrollment.status.in_(COVERED),
            Course.system_id == Assignment.system_id,
            Course.course_type == course_type,
        )
        .exists()
    )
    clauses = [
        Assignment.role.in_(tuple(ROLE_COURSE)),
        Assignment.starts_on <= on,
        sa.or_(Assignment.ends_on.is_(None), Assignment.ends_on > on),
        ~covered,
    ]
    if system_ids is not None:
        clauses.append(Assignment.system_id.in_(sorted(set(system_ids)) or [0]))
    if agency_codes is not None:
        clauses.append(Assignment.agency_code.in_(sorted(set(agency_codes)) or [""]))
    return clauses, course_type


def not_enrolled(
    system_ids: Iterable[int] | None, agency_codes: Iterable[str] | None, on: dt.date
) -> list[NotEnrolled]:
    """Who holds an administrator or seed-user role on ``on`` in ``system_ids`` (``None``:
    every system) and ``agency_codes`` (``None``: every agency) without being enrolled on
    the matching course of the system (one query), by agency, system, role and name."""
    clauses, course_type = _missing(system_ids, agency_codes, on)
    rows = (
        get_state()
        .session.execute(
            sa.select(
                Assignment.person_id,
                RolloutPerson.employee_id,
                RolloutPerson.name,
                Assignment.agency_code,
                Assignment.system_id,
                Assignment.role,
                course_type.label("course_type"),
            )
            .join(RolloutPerson, RolloutPerson.id == Assignment.person_id)
            .where(*clauses)
            .distinct()
            .order_by(
                Assignment.agency_code,
                Assignment.system_id,
                Assignment.role,
                RolloutPerson.name,
                Assignment.person_id,
            )
        )
        .all()
    )
    return [NotEnrolled(*row) for row in rows]


def not_enrolled_counts(
    system_ids: Iterable[int] | None, agency_codes: Iterable[str] | None, on: dt.date
) -> dict[tuple[int, str], int]:
    """How many people :func:`not_enrolled` lists per (system id, agency code), one query."""
    clauses, _type = _missing(system_ids, agency_codes, on)
    people = (
        sa.select(
            Assignment.system_id, Assignment.agency_code, Assignment.person_id, Assignment.role
        )
        .where(*clauses)
        .distinct()
        .subquery()
    )
    rows = get_state().session.execute(
        sa.select(people.c.system_id, people.c.agency_code, sa.func.count()).group_by(
            people.c.system_id, people.c.agency_code
        )
    )
    return {(system_id, code): count for system_id, code, count in rows}
