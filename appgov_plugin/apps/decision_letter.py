"""The decision letter of a development proposal, as PDF (issue 16; route and access:
:mod:`appgov_plugin.case_documents`): once the proposal is approved or rejected -- by the
reviewing authority (KH-EVAL-1), by the city government after the Smart Development
Center's countersignature (TN-EVAL-1), or by the mayor on the agency's escalation
(KH-EVAL-2) -- the app, the agency, the decision with its reason, who decided and when, the
rules it rests on and the steps that led to it."""

from __future__ import annotations

from ..access import agency_name
from ..case_documents import Decided, answer_rows, issued_line, register, signature_rows
from ..i18n import _, format_datetime
from ..pdf import PdfDocument
from .case_types import DECIDED, PROPOSAL

#: The proposal's answers the letter repeats (either city's form names them alike).
SHOWN_ANSWERS = ("app_name", "purpose", "platforms", "budget")


def rules_of(decided: Decided) -> list[str]:
    """The rule IDs the decision rests on, from the steps the proposal took."""
    taken = {step.transition for step in decided.steps}
    rules = ["TN-EVAL-1"] if taken & {"countersign", "city_approve", "city_reject"} else []
    if not rules:
        rules.append("KH-EVAL-1")
    if taken & {"escalate", "mayor_approve", "mayor_reject"}:
        rules.append("KH-EVAL-2")
    if "head_approve" in taken:
        rules.append("TN-EVAL-3")
    return rules


def outcome(decided: Decided) -> str:
    status, rules = decided.case.status, ", ".join(rules_of(decided))
    if status == "approved":
        return _("The proposal is approved: development may start (%(rules)s).", rules=rules)
    if status == "rejected":
        return _(
            "The proposal is rejected (%(rules)s). The agency may take the rejection to the "
            "mayor where KH-EVAL-2 applies.",
            rules=rules,
        )
    return _("The proposal is rejected by the mayor or delegate (%(rules)s).", rules=rules)


def process_rows(decided: Decided) -> list[list[str]]:
    """The workflow's steps (the host's own edits left out): when, who, what, comment."""
    workflow = decided.case_type.workflow
    names = {t.name for t in workflow.transitions}
    return [
        [
            format_datetime(step.at, style="short"),
            step.actor_name,
            str(workflow.label_of(step.transition)),
            step.comment or "",
        ]
        for step in decided.steps
        if step.transition in names
    ]


def build(decided: Decided) -> tuple[bytes, str]:
    case, decision = decided.case, decided.decision
    doc = PdfDocument(
        _("Decision on the app development proposal"),
        footer=_("Case #%(id)s", id=case.id),
    )
    doc.fields(
        [
            (_("Sent by"), agency_name(decision.actor_agency_code) or decision.actor_name),
            (_("Sent to"), agency_name(case.agency_code)),
            (_("Case"), f"#{case.id}"),
        ]
    )
    doc.heading(_("The proposal"))
    doc.fields(answer_rows(case, decided.case_type, SHOWN_ANSWERS))
    doc.heading(_("Decision"))
    doc.paragraph(outcome(decided))
    doc.fields(
        [
            (_("Decision"), str(decided.case_type.workflow.states[case.status])),
            (_("Reason or comment"), decision.comment or "—"),
            *signature_rows(decided),
            (_("Rules"), ", ".join(rules_of(decided))),
        ]
    )
    doc.table(
        [_("When"), _("Who"), _("Step"), _("Comment")],
        process_rows(decided),
        widths=(32, 38, 45, doc.width - 115),
        caption=_("Steps of the proposal"),
    )
    doc.paragraph(issued_line(), size=8.5)
    return doc.output(), f"proposal-decision-{case.id}.pdf"


register(PROPOSAL, DECIDED, build)
