"""Training forms an agency files with the IT department (TP-TRN-1/2/5), and the fitness
review the IT department opens (TP-TRN-4).

* ``appgov_training_enrollment`` -- the nomination: version 2 names a course appgov keeps
  and the trainees by employee id; the IT department's acceptance enrols them
  (:mod:`.workflows`). Version 1 cases (typed course details) keep their form.
* ``appgov_training_leave`` -- a leave request: version 2 names the trainee, course and
  session; checked and recorded on the attendance (:mod:`.leave_workflow`).
* ``appgov_training_fitness`` -- TP-TRN-4's fitness review, opened by appgov when the IT
  department decides to review a flag (:mod:`.fitness`); never offered for filing.
"""

from __future__ import annotations

from dataclasses import replace

from ..host.contract import CaseType, Transition, Workflow
from ..i18n import _l
from ..submissions import filing_workflow, form_case_type

ENROLLMENT = "appgov_training_enrollment"
LEAVE_REQUEST = "appgov_training_leave"
FITNESS_REVIEW = "appgov_training_fitness"

FITNESS_STATES = {
    "opened": _l("Opened for the agency's statement"),
    "responded": _l("Agency's statement given"),
    "kept": _l("Kept in the role"),
    "unfit": _l("Found unfit"),
}


def _enrollment_summary(data) -> str:
    # version 2: the course code; version 1: the typed session name
    return str(data.get("course_code") or data.get("session_name") or "")


def fitness_workflow() -> Workflow:
    """Opened (the agency may edit its statement and ``respond``) -> the IT department keeps
    the person in the role or finds them unfit (TP-SEED-3's replacement follows); both are
    decisions with a comment saying why (rule TP-TRN-4)."""
    transitions = [
        Transition("respond", "opened", "responded", "agency_staff", _l("State the agency's view"))
    ]
    for source in ("opened", "responded"):
        transitions += [
            Transition(
                "keep",
                source,
                "kept",
                "it_department",
                _l("Keep in the role"),
                comment_required=True,
                decides=True,
            ),
            Transition(
                "unfit",
                source,
                "unfit",
                "it_department",
                _l("Find the person unfit"),
                comment_required=True,
                decides=True,
            ),
        ]
    return Workflow(
        initial="opened",
        states=dict(FITNESS_STATES),
        transitions=tuple(transitions),
        final_states=frozenset({"kept", "unfit"}),
        editable_states=frozenset({"opened"}),
        private_drafts=False,
    )


def case_types() -> list[CaseType]:
    workflow = filing_workflow("it_department")
    enrollment = form_case_type(
        ENROLLMENT,
        "training_enrollment",
        _l("Training enrolment"),
        _l("Trainees of a course of a major system (TP-TRN-1)."),
        workflow,
        summary_field="course_code",
    )
    return [
        replace(enrollment, summary=_enrollment_summary),
        form_case_type(
            LEAVE_REQUEST,
            "training_leave_request",
            _l("Training leave request"),
            _l("Leave from a training session, before it or for an emergency (TP-TRN-2)."),
            workflow,
            summary_field="course_code",  # version 2 (leave_workflow.py); v1: session_name
        ),
        form_case_type(
            FITNESS_REVIEW,
            "training_fitness_review",
            _l("Fitness review after training"),
            _l(
                "A system administrator or seed user whose training outcomes call for a "
                "review: the IT department keeps them in the role or finds them unfit "
                "(TP-TRN-4)."
            ),
            fitness_workflow(),
            summary_field="person_name",
            offered=lambda: False,
        ),
    ]
