"""The case type of the grades (TP-GRADE-2).

* ``appgov_grade_review`` -- TP-GRADE-2's review report of an agency graded D or E in a
  major system's roll-out evaluation (form ``grade_review_report``): opened by appgov for
  the agency from the recorded score (:mod:`.grades_followup`), never offered for filing;
  the agency writes and submits it, the IT department accepts or returns it.
"""

from __future__ import annotations

from ..host.contract import CaseType
from ..i18n import _l
from ..submissions import filing_workflow, form_case_type

GRADE_REVIEW = "appgov_grade_review"


def case_types() -> list[CaseType]:
    return [
        form_case_type(
            GRADE_REVIEW,
            "grade_review_report",
            _l("Roll-out review report"),
            _l(
                "The review report of an agency graded D or E in a major system's roll-out "
                "evaluation (TP-GRADE-2)."
            ),
            filing_workflow("it_department"),
            summary_field="system_name",
            offered=lambda: False,
        )
    ]
