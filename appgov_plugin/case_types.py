"""The case types appgov contributes to the host (workflows with the role for each step)."""

from __future__ import annotations

from .forms import builder
from .host.contract import CaseType, Transition, Workflow
from .i18n import _l

PROPOSAL = "appgov_app_proposal"

_PROPOSAL_STATES = {
    "draft": _l("Draft"),
    "in_review": _l("In review"),
    "returned": _l("Returned for revision"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
    "escalated": _l("Escalated to the mayor"),
    "rejected_by_mayor": _l("Rejected by the mayor"),
}


def proposal_workflow(escalation_to_mayor: bool) -> Workflow:
    """TN-EVAL-1 / KH-EVAL-1: no development before approval; KH-EVAL-2 when enabled."""
    transitions = [
        Transition("submit", "draft", "in_review", "agency_staff", _l("Submit for review")),
        # TN-EVAL-3 ground (4): the agency head approves and submits it
        Transition(
            "head_submit",
            "draft",
            "in_review",
            "agency_head",
            _l("Approve and submit (agency head)"),
        ),
        Transition("resubmit", "returned", "in_review", "agency_staff", _l("Resubmit")),
        Transition(
            "return",
            "in_review",
            "returned",
            "reviewer",
            _l("Return for revision"),
            comment_required=True,
        ),
        Transition("approve", "in_review", "approved", "reviewer", _l("Approve")),
        Transition(
            "reject", "in_review", "rejected", "reviewer", _l("Reject"), comment_required=True
        ),
    ]
    states = dict(_PROPOSAL_STATES)
    final = {"approved", "rejected"}
    if escalation_to_mayor:
        # rule KH-EVAL-2: the agency may take a rejection to the mayor or a delegate
        transitions += [
            Transition(
                "escalate",
                "rejected",
                "escalated",
                "agency_head",
                _l("Escalate to the mayor"),
                comment_required=True,
            ),
            Transition("mayor_approve", "escalated", "approved", "mayor", _l("Approve (mayor)")),
            Transition(
                "mayor_reject",
                "escalated",
                "rejected_by_mayor",
                "mayor",
                _l("Reject (mayor)"),
                comment_required=True,
            ),
        ]
        final = {"approved", "rejected_by_mayor"}
    else:
        del states["escalated"], states["rejected_by_mayor"]
    return Workflow(
        initial="draft",
        states=states,
        transitions=tuple(transitions),
        final_states=frozenset(final),
    )


def case_types(policy) -> list[CaseType]:
    """appgov's case types under ``policy`` (the deployment's profile, from code: the
    workflow's shape is fixed when the application starts)."""
    definition = builder.load("app_proposal")
    return [
        CaseType(
            key=PROPOSAL,
            label=_l("App development proposal"),
            form=definition.form_class,
            workflow=proposal_workflow(policy.param("proposal_escalation_to_mayor")),
            creator_role="agency_staff",
            description=_l(
                "Self-assessment and evaluation plan before an app is developed "
                "(TN-EVAL-1, KH-EVAL-1)."
            ),
            summary=lambda data: data.get("app_name", ""),
            form_version=definition.version,
        )
    ]
