"""The authority's written reply to a yearly KPI report, as PDF (rule KH-KPI-6: "the authority
replies in writing with the review result"; issue 16; route and access:
:mod:`appgov_plugin.case_documents`): once the report is accepted or returned, the
authority, the agency, the app, the year, the target and the results reported, the review
result with the reviewer's comment, who decided and when."""

from __future__ import annotations

from ..access import agency_name
from ..case_documents import Decided, answer_rows, issued_line, register, signature_rows
from ..i18n import _, current_locale, format_number
from ..pdf import PdfDocument
from ..state import get_state
from .case_types import KPI_REPORT, KPI_REPORT_DECIDED

TARGET = ("target_population", "population_basis")
RESULTS = (
    "downloads",
    "rating_ios",
    "rating_count_ios",
    "rating_android",
    "rating_count_android",
    "kpi_met",
    "results_summary",
    "feedback_summary",
)


def year_text(value) -> str:
    """The report's year (stored as its ROC year): 民國 115 年 in zh, 2026 in en."""
    try:
        roc = int(value)
    except (TypeError, ValueError):
        return str(value or "")
    if current_locale() == "zh_Hant_TW":
        return f"民國 {roc} 年"
    return str(roc + 1911)


def download_target(data) -> str:
    """KH-KPI-1's download target of the reported population, as the form computes it."""
    try:
        return format_number(get_state().policy().download_target(int(data["target_population"])))
    except (KeyError, TypeError, ValueError):
        return ""


def review_result(status: str) -> str:
    if status == "accepted":
        return _("Accepted: the authority has reviewed the report and accepts it (KH-KPI-6).")
    return _("Returned for revision: the agency corrects the report and sends it again (KH-KPI-6).")


def build(decided: Decided) -> tuple[bytes, str]:
    case, case_type, decision = decided.case, decided.case_type, decided.decision
    data = case.data or {}
    doc = PdfDocument(
        _("Review of the yearly App KPI report"), footer=_("Case #%(id)s", id=case.id)
    )
    doc.fields(
        [
            (_("Sent by"), agency_name(decision.actor_agency_code) or decision.actor_name),
            (_("Sent to"), agency_name(case.agency_code)),
            (_("Case"), f"#{case.id}"),
            *answer_rows(case, case_type, ("app_name",)),
            (_("Year"), year_text(data.get("year"))),
        ]
    )
    doc.heading(_("The target reported"))
    doc.fields(
        [
            *answer_rows(case, case_type, TARGET),
            (_("Download target (KH-KPI-1)"), download_target(data)),
        ]
    )
    doc.heading(_("The results reported"))
    doc.fields(answer_rows(case, case_type, RESULTS))
    doc.heading(_("Review result"))
    doc.paragraph(review_result(case.status))
    doc.fields(
        [
            (_("Review result"), str(case_type.workflow.states[case.status])),
            (_("Reviewer's comment"), decision.comment or "—"),
            *signature_rows(decided),
            (_("Rules"), "KH-KPI-6"),
        ]
    )
    doc.paragraph(issued_line(), size=8.5)
    return doc.output(), f"kpi-review-{case.id}.pdf"


register(KPI_REPORT, KPI_REPORT_DECIDED, build)
