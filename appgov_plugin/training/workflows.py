"""appgov's reactions to the steps of the training cases (one of the host plug-in's
``WORKFLOWS``: ``veto`` and ``after``, as :mod:`appgov_plugin.rollout.workflows`).

* the nomination (``appgov_training_enrollment``, version 2): submitting, resubmitting and
  the IT department's acceptance are refused when a trainee cannot be enrolled
  (:func:`.enrollment.check_nomination`: the course closed or full, a duplicate, a person
  of another agency, who left or is unknown, a retake of nothing, a lecturer course without
  the recommendation), the message naming the rule, the field and the row; accepting enrols
  the trainees under the course's lock (TP-TRN-1, TP-TRN-4, TP-TRN-5). Version 1 cases
  (typed course details, no course of appgov's) are plain filings.
* the fitness review (``appgov_training_fitness``): finding the person unfit is refused when
  the finding could not be recorded (the reason's length, no role any more); once taken it
  records the finding and opens TP-SEED-3's replacement case
  (:func:`appgov_plugin.rollout.unfit.mark_unfit`); both decisions are noted on the flag.
"""

from __future__ import annotations

import sqlalchemy as sa

from ..i18n import _
from ..state import get_state
from . import enrollment as enrolling
from .case_types import ENROLLMENT, FITNESS_REVIEW
from .models import Course, Enrollment

CHECKED = ("submit", "resubmit", "accept")
#: The rule each refusal cites.
RULES = {"lecturer_recommendation": "TP-TRN-5", "retake": "TP-TRN-4"}


def _is_v2(case) -> bool:
    return "course_code" in (case.data or {})


def _kept() -> bool:
    """Whether the deployment keeps training courses in appgov (any course recorded)."""
    return get_state().session.scalar(sa.select(Course.id).limit(1)) is not None


def _rows(case) -> list[dict]:
    rows = (case.data or {}).get("trainees") or []
    return [r for r in rows if isinstance(r, dict)]


def _label(case, name: str) -> str:
    from ..rollout.roster import label

    return label(case, name)


def previous_outcome(person_id: int, course: Course) -> Enrollment | None:
    """The person's latest failed or dismissed enrollment on a course of ``course``'s type
    and system (what a retake retakes, TP-TRN-4)."""
    system = (
        Course.system_id.is_(None)
        if course.system_id is None
        else Course.system_id == course.system_id
    )
    return (
        get_state()
        .session.scalars(
            sa.select(Enrollment)
            .join(Course, Course.id == Enrollment.course_id)
            .where(
                Enrollment.person_id == person_id,
                Enrollment.status.in_(("failed", "dismissed")),
                Course.course_type == course.course_type,
                system,
                Course.id != course.id,
            )
            .order_by(Enrollment.id.desc())
            .limit(1)
        )
        .first()
    )


def problem(case) -> str | None:
    """Why the nomination cannot be accepted (the rule, the field and the row), or ``None``."""
    data = case.data or {}
    course = enrolling.course_by_code(data.get("course_code"))
    rows = _rows(case)
    found = enrolling.check_nomination(
        course, rows, case.agency_code, data.get("lecturer_recommendation")
    )
    if found is None and course is not None:
        people = enrolling.people_by_employee_id(r.get("employee_id") for r in rows)
        for number, row in enumerate(rows, start=1):
            person = people.get((row.get("employee_id") or "").strip())
            if row.get("retake") and previous_outcome(person.id, course) is None:
                found = enrolling.Problem(
                    _(
                        "Retake: %(person)s (%(employee_id)s) failed or was dismissed from no "
                        "course of this type and system.",
                        person=person.name,
                        employee_id=person.employee_id,
                    ),
                    "retake",
                    number,
                )
                break
    if found is None:
        return None
    rule = RULES.get(found.field, "TP-TRN-1")
    field = "trainees" if found.field == "retake" else found.field
    name = "course_code" if field == "course" else field
    if found.row is not None:
        return _(
            "%(rule)s: %(field)s, row %(row)s: %(problem)s",
            rule=rule,
            field=_label(case, name),
            row=str(found.row),
            problem=found.message,
        )
    return _(
        "%(rule)s: %(field)s: %(problem)s",
        rule=rule,
        field=_label(case, name),
        problem=found.message,
    )


def apply(case, actor: str) -> list[Enrollment]:
    """Enrol the accepted nomination's trainees (no commit); the new enrollments."""
    data = case.data or {}
    course = enrolling.course_by_code(data.get("course_code"))
    if course is None:
        return []
    rows = _rows(case)
    people = enrolling.people_by_employee_id(r.get("employee_id") for r in rows)
    made = []
    for row in rows:
        person = people.get((row.get("employee_id") or "").strip())
        retake_of = previous_outcome(person.id, course) if row.get("retake") else None
        made.append(
            enrolling.enroll(
                course,
                person,
                actor,
                case_id=int(case.id),
                retake_of=retake_of,
                agency_code=case.agency_code,
                recommendation=data.get("lecturer_recommendation"),
                status="enrolled",
                locked=True,
            )
        )
        if retake_of is not None:
            _withdraw_other_proposals(retake_of, made[-1])
    return made


def _withdraw_other_proposals(retaken: Enrollment, kept: Enrollment) -> None:
    """A retake nominated by the agency replaces the retake appgov proposed elsewhere."""
    for other in get_state().session.scalars(
        sa.select(Enrollment).where(
            Enrollment.retake_of_id == retaken.id,
            Enrollment.status == "proposed",
            Enrollment.id != kept.id,
        )
    ):
        other.status = "withdrawn"


def veto(case, transition, user, comment="") -> str | None:
    if case.type_key == FITNESS_REVIEW:
        from . import fitness

        return fitness.veto(case, transition, user, comment)
    if case.type_key != ENROLLMENT or transition.name not in CHECKED:
        return None
    if not _is_v2(case) or not _kept():
        return None
    if transition.name == "accept":
        course = enrolling.course_by_code((case.data or {}).get("course_code"))
        if course is not None:
            enrolling.lock(course)  # checked and applied under the course's lock
    return problem(case)


def after(case, transition, user, comment="") -> None:
    if case.type_key == FITNESS_REVIEW:
        from . import fitness

        fitness.after(case, transition, user, comment)
        return
    if case.type_key != ENROLLMENT or transition.name != "accept":
        return
    if _is_v2(case) and _kept():
        apply(case, getattr(user, "username", "") or "")
