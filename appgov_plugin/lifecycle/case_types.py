"""The forms of an app's life after approval, each a case filed with the app authority
(Tainan's Smart Development Center, Kaohsiung's information centre)."""

from __future__ import annotations

from dataclasses import replace

from ..case_documents import documents_for
from ..host.contract import CaseType, Workflow
from ..i18n import _l
from ..submissions import filing_workflow, form_case_type

LISTING = "appgov_listing_checklist"
DELISTING = "appgov_delisting_application"
IMPROVEMENT_PLAN = "appgov_improvement_plan"
SELF_CHECK = "appgov_self_check"
KPI_REPORT = "appgov_kpi_report"
#: rule KH-KPI-6: the states of a KPI report the authority's written reply exists in
#: (lifecycle/kpi_reply.py, issue 16)
KPI_REPORT_DECIDED = ("accepted", "returned")
#: rule KH-KPI-4: opened by the authority (lifecycle/plans.py), never filed by an agency
FORCED_DELISTING = "appgov_forced_delisting"


def listing_workflow() -> Workflow:
    """The filing workflow whose decision reads "Approve listing" (TN-LIST-1, KH-LIST-2)."""
    workflow = filing_workflow("reviewer")
    labels = {"accept": _l("Approve listing")}
    transitions = tuple(
        replace(t, label=labels[t.name]) if t.name in labels else t for t in workflow.transitions
    )
    return replace(workflow, transitions=transitions)


def case_types() -> list[CaseType]:
    workflow = filing_workflow("reviewer")
    return [
        form_case_type(
            LISTING,
            "listing_checklist",
            _l("Listing or version change"),
            _l(
                "The listing (change) checklist of a new app, a new version or a relisting "
                "(TN-LIST-1/2, KH-LIST-1/2, KH-VER-1, KH-SEC-1)."
            ),
            listing_workflow(),
        ),
        form_case_type(
            DELISTING,
            "delisting_application",
            _l("Delisting application"),
            _l("Grounds, the in-app notice and the source-code decision (TN-DEL-1..3)."),
            workflow,
        ),
        form_case_type(
            IMPROVEMENT_PLAN,
            "improvement_marketing_plan",
            _l("Improvement and marketing plan"),
            _l("For an app below its download target or rating (KH-KPI-3)."),
            workflow,
        ),
        form_case_type(
            SELF_CHECK,
            "self_check_checklist",
            _l("Self-check checklist"),
            _l("The agency's periodic self-assessment against its own targets (TN-PERF-1/2)."),
            workflow,
        ),
        form_case_type(
            KPI_REPORT,
            "kpi_yearly_report",
            _l("Yearly KPI report"),
            _l("The app's target and results of the year, sent to the authority (KH-KPI-6)."),
            workflow,
            documents=documents_for(KPI_REPORT, KPI_REPORT_DECIDED, _l("Review reply")),
        ),
        forced_delisting_case_type(),
    ]


def forced_delisting_case_type() -> CaseType:
    """rule KH-KPI-4: consecutive years below the KPI; the authority delists or keeps the app
    (its own workflow, lifecycle/plans.py). Never offered for filing: appgov opens it."""
    from .plans import forced_delisting_workflow  # plans imports this module

    return form_case_type(
        FORCED_DELISTING,
        "forced_delisting",
        _l("Forced delisting"),
        _l("An app below the KPI in consecutive years: the authority delists it (KH-KPI-4)."),
        forced_delisting_workflow(),
        offered=lambda: False,
    )
