"""Roll-out reports an agency files with the IT department (TP-WG, TP-ADM, TP-SEED)."""

from __future__ import annotations

from ..host.contract import CaseType
from ..i18n import _l
from ..submissions import filing_workflow, form_case_type

WORK_GROUP_ROSTER = "appgov_work_group_roster"
ADMIN_SEED_NOMINATION = "appgov_admin_seed_nomination"


def case_types() -> list[CaseType]:
    workflow = filing_workflow("it_department")
    return [
        form_case_type(
            WORK_GROUP_ROSTER,
            "work_group_roster",
            _l("Work-group roster"),
            _l("The agency's work group for a major system, and its changes (TP-WG-1/2)."),
            workflow,
            summary_field="system_name",
        ),
        form_case_type(
            ADMIN_SEED_NOMINATION,
            "admin_seed_nomination",
            _l("Administrators and seed users"),
            _l(
                "Nomination and change report of system administrators and seed users "
                "(TP-ADM-1, TP-SEED-1/2)."
            ),
            workflow,
            summary_field="system_name",
        ),
    ]
