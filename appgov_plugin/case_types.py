"""The case types appgov contributes to the host (workflows with the role for each step)."""

from __future__ import annotations

from .forms import builder
from .host.contract import CaseType, Transition, Workflow
from .i18n import _l
from .state import get_state

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


def escalation_allowed(case) -> bool:
    """KH-EVAL-2 in force today for this deployment (Kaohsiung's profile, or a change)."""
    return bool(get_state().policy().param("proposal_escalation_to_mayor"))


def proposal_workflow() -> Workflow:
    """TN-EVAL-1 / KH-EVAL-1: no development before approval; KH-EVAL-2 where in force."""
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
    # rule KH-EVAL-2: the agency may take a rejection to the mayor or a delegate, where the
    # parameter proposal_escalation_to_mayor is in force (guard asked at the time)
    transitions += [
        Transition(
            "escalate",
            "rejected",
            "escalated",
            "agency_head",
            _l("Escalate to the mayor"),
            comment_required=True,
            guard=escalation_allowed,
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
    return Workflow(
        initial="draft",
        states=dict(_PROPOSAL_STATES),
        transitions=tuple(transitions),
        final_states=frozenset({"approved", "rejected_by_mayor"}),
    )


def case_types() -> list[CaseType]:
    """appgov's case types; rules that vary by city are asked when they apply."""
    definition = builder.load("app_proposal")
    return [
        CaseType(
            key=PROPOSAL,
            label=_l("App development proposal"),
            form=definition.form_class,
            workflow=proposal_workflow(),
            creator_role="agency_staff",
            description=_l(
                "Self-assessment and evaluation plan before an app is developed "
                "(TN-EVAL-1, KH-EVAL-1)."
            ),
            summary=lambda data: data.get("app_name", ""),
            form_version=definition.version,
        )
    ]
