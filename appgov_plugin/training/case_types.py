"""Training forms an agency files with the IT department (TP-TRN-1/2)."""

from __future__ import annotations

from ..host.contract import CaseType
from ..i18n import _l
from ..submissions import filing_workflow, form_case_type

ENROLLMENT = "appgov_training_enrollment"
LEAVE_REQUEST = "appgov_training_leave"


def case_types() -> list[CaseType]:
    workflow = filing_workflow("it_department")
    return [
        form_case_type(
            ENROLLMENT,
            "training_enrollment",
            _l("Training enrolment"),
            _l("Trainees of a course session of a major system (TP-TRN-1)."),
            workflow,
            summary_field="session_name",
        ),
        form_case_type(
            LEAVE_REQUEST,
            "training_leave_request",
            _l("Training leave request"),
            _l("Leave from a training session, before it or for an emergency (TP-TRN-2)."),
            workflow,
            summary_field="session_name",
        ),
    ]
