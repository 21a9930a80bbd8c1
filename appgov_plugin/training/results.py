"""Results, retakes, fitness flags and new lecturers (TP-TRN-4, TP-TRN-5).

* :func:`record_results` -- the IT department records pass or fail for the enrolled
  trainees of a course (``access.keeps_courses()``); each outcome goes through
  :func:`after_outcome`.
* :func:`after_outcome` -- what follows a trainee's outcome (a result, or a dismissal that
  :mod:`.attendance` records):

  - failed or dismissed (TP-TRN-4: retake the course): a retake enrollment is proposed
    (``status = "proposed"``, ``retake_of_id``) on the next course of the same type and
    system that still takes nominations and has a seat; with none the trainee is listed as
    waiting for a course (:func:`waiting`) until :func:`propose_waiting` finds one;
  - for the system-administrator and seed-user courses, the person's outcomes on that
    system's courses of that type, oldest first, go to ``policy.fitness_review_needed``; when
    it says so a :class:`~.models.FitnessFlag` is raised, once per new outcome count
    (:mod:`.fitness` lets the IT department open the review or decline it);
  - a passed lecturer course makes the person a lecturer of the course's system in the
    registry (TP-TRN-5), from the result's day.

Nothing is committed here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from .. import clock
from ..i18n import _, _l
from ..rollout.models import RolloutPerson
from ..state import get_state
from . import enrollment as enrolling
from .models import Course, Enrollment, FitnessFlag, Lecturer, TrainingSession

#: The outcome of an enrollment's status, as ``policy.fitness_review_needed`` reads it.
OUTCOME = {"passed": "pass", "failed": "fail", "dismissed": "dismissed"}
#: The result choices of the results page.
RESULTS = {"pass": _l("Passed"), "fail": _l("Failed")}
#: TP-TRN-4: the course types whose outcomes may call for a fitness review.
FITNESS_TYPES = ("admin", "seed")


class ResultError(ValueError):
    def __init__(self, message: str, field: str | None = None, row: int | None = None):
        super().__init__(message)
        self.field = field
        self.row = row


def outcome_day(row: Enrollment) -> dt.date | None:
    return row.result_on or row.dismissed_on


# -- after an outcome -----------------------------------------------------------------------


def after_outcome(enrollment: Enrollment, actor) -> None:
    """React to ``enrollment``'s outcome (its status ``passed``, ``failed`` or
    ``dismissed``, already set): the retake (TP-TRN-4), the fitness flag (TP-TRN-4), the
    lecturer registry (TP-TRN-5). No commit."""
    session = get_state().session
    session.flush()
    course = enrollment.course or session.get(Course, enrollment.course_id)
    if enrollment.status in ("failed", "dismissed"):
        propose_retake(enrollment, actor)  # rule TP-TRN-4: failing or dismissed means a retake
        if course.course_type in FITNESS_TYPES and course.system_id is not None:
            flag_fitness(enrollment.person_id, course.system_id, course.course_type)
    elif enrollment.status == "passed" and course.course_type == "lecturer":
        add_lecturer(enrollment, actor)  # rule TP-TRN-5
    session.flush()


def next_course(course: Course, person_id: int, today: dt.date | None = None) -> Course | None:
    """The next course of ``course``'s type and system that takes nominations, has a seat
    and does not have the person on it already (one query)."""
    today = today or clock.today()
    first = (
        sa.select(TrainingSession.course_id, sa.func.min(TrainingSession.on).label("first_on"))
        .group_by(TrainingSession.course_id)
        .subquery()
    )
    taken = (
        sa.select(Enrollment.course_id, sa.func.count(Enrollment.id).label("taken"))
        .where(Enrollment.status.in_(enrolling.SEATED))
        .group_by(Enrollment.course_id)
        .subquery()
    )
    mine = aliased(Enrollment)
    if course.system_id is None:
        system = Course.system_id.is_(None)
    else:
        system = Course.system_id == course.system_id
    query = (
        sa.select(Course)
        .outerjoin(first, first.c.course_id == Course.id)
        .outerjoin(taken, taken.c.course_id == Course.id)
        .where(
            Course.id != course.id,
            Course.course_type == course.course_type,
            system,
            Course.results_on.is_(None),
            sa.or_(Course.enrol_until.is_(None), Course.enrol_until >= today),
            sa.or_(first.c.first_on.is_(None), first.c.first_on > today),
            sa.or_(
                Course.capacity.is_(None),
                sa.func.coalesce(taken.c.taken, 0) < Course.capacity,
            ),
            ~sa.exists().where(
                mine.course_id == Course.id,
                mine.person_id == person_id,
            ),
        )
        .order_by(first.c.first_on.is_(None), first.c.first_on, Course.id)
        .limit(1)
    )
    return get_state().session.scalars(query).first()


def propose_retake(enrollment: Enrollment, actor) -> Enrollment | None:
    """rule TP-TRN-4: the retake proposal on the next course, or ``None`` (then the trainee
    waits for a course: :func:`waiting`)."""
    session = get_state().session
    known = session.scalar(
        sa.select(Enrollment.id).where(Enrollment.retake_of_id == enrollment.id).limit(1)
    )
    if known is not None:
        return None
    course = enrollment.course or session.get(Course, enrollment.course_id)
    person = enrollment.person
    if person.left_on is not None and person.left_on <= clock.today():
        return None
    target = next_course(course, enrollment.person_id)
    if target is None:
        return None
    try:
        return enrolling.enroll(
            target,
            person,
            actor,
            retake_of=enrollment,
            agency_code=enrollment.agency_code,
        )
    except enrolling.EnrollmentError:
        return None  # taken meanwhile (the lock re-checks): waiting


def waiting_query(agency_codes: set[str] | None):
    """Failed or dismissed enrollments with no retake proposed (in any status) and no later
    enrollment of the person on a course of the same type and system (they took it again:
    that one's outcome is what counts now), whose person has not left, newest first."""
    retake = aliased(Enrollment)
    later = aliased(Enrollment)
    later_course = aliased(Course)
    query = (
        sa.select(Enrollment)
        .join(Course, Course.id == Enrollment.course_id)
        .join(RolloutPerson, RolloutPerson.id == Enrollment.person_id)
        .where(
            Enrollment.status.in_(("failed", "dismissed")),
            RolloutPerson.left_on.is_(None),
            ~sa.exists().where(retake.retake_of_id == Enrollment.id),
            ~sa.exists()
            .where(
                later.person_id == Enrollment.person_id,
                later.id > Enrollment.id,
                later.status != "withdrawn",
                later_course.id == later.course_id,
                later_course.course_type == Course.course_type,
                later_course.system_id.is_not_distinct_from(Course.system_id),
            )
            .correlate(Enrollment, Course),
        )
        .order_by(Enrollment.id.desc())
    )
    if agency_codes is not None:
        query = query.where(Enrollment.agency_code.in_(sorted(agency_codes)))
    return query


def waiting(agency_codes: set[str] | None) -> list[Enrollment]:
    from sqlalchemy.orm import joinedload

    query = waiting_query(agency_codes).options(
        joinedload(Enrollment.person), joinedload(Enrollment.course).joinedload(Course.system)
    )
    return list(get_state().session.scalars(query).unique())


def propose_waiting(agency_codes: set[str] | None, actor) -> list[Enrollment]:
    """Propose a retake for every waiting trainee a course now has a seat for."""
    made = []
    for row in waiting(agency_codes):
        proposal = propose_retake(row, actor)
        if proposal is not None:
            made.append(proposal)
    return made


def outcomes_of(person_id: int, system_id: int, course_type: str) -> list[str]:
    """The person's outcomes on ``system_id``'s courses of ``course_type``, oldest first."""
    rows = (
        get_state()
        .session.execute(
            sa.select(Enrollment.status, Enrollment.result_on, Enrollment.dismissed_on)
            .join(Course, Course.id == Enrollment.course_id)
            .where(
                Enrollment.person_id == person_id,
                Course.system_id == system_id,
                Course.course_type == course_type,
                Enrollment.status.in_(tuple(OUTCOME)),
            )
            .order_by(
                sa.func.coalesce(Enrollment.result_on, Enrollment.dismissed_on), Enrollment.id
            )
        )
        .all()
    )
    return [OUTCOME[status] for status, _r, _d in rows]


def flag_fitness(person_id: int, system_id: int, course_type: str) -> FitnessFlag | None:
    """rule TP-TRN-4: raise the flag when ``policy.fitness_review_needed`` says so, once per
    outcome count; the new flag or ``None``."""
    from ..rollout.models import RolloutPerson

    outcomes = outcomes_of(person_id, system_id, course_type)
    if not outcomes or not get_state().policy().fitness_review_needed(outcomes):
        return None
    session = get_state().session
    known = session.scalar(
        sa.select(FitnessFlag.id).where(
            FitnessFlag.person_id == person_id,
            FitnessFlag.system_id == system_id,
            FitnessFlag.course_type == course_type,
            FitnessFlag.outcome_count >= len(outcomes),
        )
    )
    if known is not None:
        return None
    person = session.get(RolloutPerson, person_id)
    flag = FitnessFlag(
        person_id=person_id,
        system_id=system_id,
        course_type=course_type,
        agency_code=person.agency_code,
        outcomes=",".join(outcomes)[-400:],
        outcome_count=len(outcomes),
        flagged_on=clock.today(),
    )
    session.add(flag)
    session.flush()
    _notify_flag(flag, person)
    return flag


def _notify_flag(flag: FitnessFlag, person) -> None:
    from ..notifications import notify

    notify(
        "training_fitness_flag",
        roles=("it_department",),
        agency_code=flag.agency_code,  # the IT department acting for the agency's city
        subject=_l("%(person)s may need a fitness review (TP-TRN-4)"),
        params={"person": person.name},
    )


def add_lecturer(enrollment: Enrollment, actor) -> Lecturer | None:
    """rule TP-TRN-5: a passed lecturer course makes the person a lecturer of its system."""
    session = get_state().session
    course = enrollment.course or session.get(Course, enrollment.course_id)
    if course.system_id is None:
        return None
    day = enrollment.result_on or clock.today()
    row = session.scalars(
        sa.select(Lecturer).where(
            Lecturer.person_id == enrollment.person_id, Lecturer.system_id == course.system_id
        )
    ).first()
    if row is None:
        row = Lecturer(
            person_id=enrollment.person_id,
            system_id=course.system_id,
            qualified_on=day,
            enrollment_id=enrollment.id,
            created_by=enrolling.actor_name(actor) or None,
        )
        session.add(row)
    elif row.revoked_on is not None:
        row.revoked_on = None
        row.qualified_on = day
        row.enrollment_id = enrollment.id
    session.flush()
    return row


# -- recording results ----------------------------------------------------------------------


def gradable(course: Course, agency_codes: set[str] | None = None) -> list[Enrollment]:
    """The course's enrollments the results page lists (not withdrawn or proposed) of
    ``agency_codes`` (``None``: all), by name (one query)."""
    from sqlalchemy.orm import joinedload

    from ..rollout.models import RolloutPerson

    query = (
        sa.select(Enrollment)
        .join(RolloutPerson, RolloutPerson.id == Enrollment.person_id)
        .where(
            Enrollment.course_id == course.id,
            Enrollment.status.in_(("enrolled", "passed", "failed", "dismissed")),
        )
        .options(joinedload(Enrollment.person))
        .order_by(RolloutPerson.name, RolloutPerson.employee_id, Enrollment.id)
    )
    if agency_codes is not None:
        query = query.where(Enrollment.agency_code.in_(sorted(agency_codes)))
    return list(get_state().session.scalars(query))


def record_results(
    course: Course,
    results: Mapping[int, str],
    actor,
    agency_codes: set[str] | None = None,
) -> list[Enrollment]:
    """Record ``results`` ({enrollment id: "pass" | "fail"}) for ``course``'s enrolled
    trainees of ``agency_codes`` (``None``: all); :class:`ResultError` naming the trainee
    (nothing written) when one is missing, unknown or already has an outcome. The rows
    changed."""
    today = clock.today()
    last = get_state().session.scalar(
        sa.select(sa.func.max(TrainingSession.on)).where(TrainingSession.course_id == course.id)
    )
    if last is not None and last > today:
        from ..i18n import format_date

        raise ResultError(
            _(
                "Results: %(course)s's last session is on %(day)s; record the results from then.",
                course=course.code,
                day=format_date(last),
            ),
            "results",
        )
    enrolling.lock(course)
    rows = [r for r in gradable(course, agency_codes) if r.status == "enrolled"]
    if not rows:
        raise ResultError(
            _("Results: no trainee of %(course)s waits for a result.", course=course.code),
            "results",
        )
    by_id = {r.id: r for r in rows}
    unknown = sorted(set(results) - set(by_id))
    if unknown:
        raise ResultError(_("Results: a trainee is not enrolled on this course."), "results")
    for number, row in enumerate(rows, start=1):
        value = results.get(row.id)
        if value not in RESULTS:
            raise ResultError(
                _(
                    "Result of %(person)s (%(employee_id)s): choose passed or failed.",
                    person=row.person.name,
                    employee_id=row.person.employee_id,
                ),
                f"result-{row.id}",
                number,
            )
    changed = []
    for row in rows:
        row.status = "passed" if results[row.id] == "pass" else "failed"
        row.result_on = today
        changed.append(row)
    still = get_state().session.scalar(
        sa.select(sa.func.count(Enrollment.id)).where(
            Enrollment.course_id == course.id,
            Enrollment.status == "enrolled",
            Enrollment.id.not_in([r.id for r in changed] or [0]),
        )
    )
    if not still:
        course.results_on = today  # every trainee has an outcome
    get_state().session.flush()
    for row in changed:
        after_outcome(row, actor)
    return changed
