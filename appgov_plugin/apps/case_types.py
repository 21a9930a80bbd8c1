"""The case types appgov contributes to the host (workflows with the role for each step)."""

from __future__ import annotations

from flask import has_request_context, request

from ..forms import builder
from ..host.contract import CaseType, Transition, Workflow
from ..i18n import _l
from ..state import get_state

PROPOSAL = "appgov_app_proposal"

_PROPOSAL_STATES = {
    "draft": _l("Draft"),
    "head_review": _l("Awaiting the agency head's approval"),
    "in_review": _l("In review"),
    "returned": _l("Returned for revision"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
    "escalated": _l("Escalated to the mayor"),
    "rejected_by_mayor": _l("Rejected by the mayor"),
    "withdrawn": _l("Withdrawn"),
}

#: TN-EVAL-3 ground (4), "other necessity approved by the agency head"
HEAD_APPROVED_GROUND = "head_approved"


def _policy_in_force():
    """The deployment's policy today, built once per request: the host asks guards for
    every case it lists, and each policy build reads the database once."""
    if not has_request_context():
        return get_state().policy()
    policy = getattr(request, "_appgov_case_policy", None)
    if policy is None:
        policy = request._appgov_case_policy = get_state().policy()
    return policy


def needs_head_approval(case) -> bool:
    """Rule TN-EVAL-3 ground (4): the proposal rests on "other necessity", which the agency
    head approves before it goes to review -- where the deployment applies TN-EVAL-3."""
    grounds = case.data.get("eligibility_grounds") or []
    return HEAD_APPROVED_GROUND in grounds and _policy_in_force().applies("TN-EVAL-3")


def goes_straight_to_review(case) -> bool:
    return not needs_head_approval(case)


def escalation_allowed(case) -> bool:
    """KH-EVAL-2 in force today for this deployment (Kaohsiung's profile, or a change)."""
    return bool(_policy_in_force().param("proposal_escalation_to_mayor"))


_TO_THE_HEAD = _l(
    "Ground (4) needs the agency head's approval (TN-EVAL-3): "
    "submit the proposal to the agency head."
)
_NOT_TO_THE_HEAD = _l(
    "The agency head approves only proposals that rest on ground (4) (TN-EVAL-3): "
    "submit this one for review."
)


def proposal_workflow() -> Workflow:
    """TN-EVAL-1 / KH-EVAL-1: no development before approval; TN-EVAL-3 ground (4) through
    the agency head; KH-EVAL-2 where in force. The owner edits a draft or a returned
    proposal and may withdraw it from either."""
    transitions = []
    # rule TN-EVAL-3 ground (4): the owner submits to the agency head, who approves it for
    # review or returns it; every other proposal goes straight to review (guards decide).
    for name, source, label, to_head_label in (
        ("submit", "draft", _l("Submit for review"), _l("Submit to the agency head")),
        ("resubmit", "returned", _l("Resubmit"), _l("Resubmit to the agency head")),
    ):
        transitions += [
            Transition(
                name,
                source,
                "in_review",
                "agency_staff",
                label,
                guard=goes_straight_to_review,
                guard_message=_TO_THE_HEAD,
            ),
            Transition(
                f"{name}_to_head",
                source,
                "head_review",
                "agency_staff",
                to_head_label,
                guard=needs_head_approval,
                guard_message=_NOT_TO_THE_HEAD,
            ),
        ]
    # separation of duties: the decisions (decides=True) are never taken by whoever opened,
    # edited or submitted the proposal, or took a step on it in another role
    transitions += [
        Transition(
            "head_approve",
            "head_review",
            "in_review",
            "agency_head",
            _l("Approve and submit (agency head)"),
            decides=True,
        ),
        Transition(
            "head_return",
            "head_review",
            "returned",
            "agency_head",
            _l("Return to the staff (agency head)"),
            comment_required=True,
            decides=True,
        ),
        Transition(
            "return",
            "in_review",
            "returned",
            "reviewer",
            _l("Return for revision"),
            comment_required=True,
            decides=True,
        ),
        Transition("approve", "in_review", "approved", "reviewer", _l("Approve"), decides=True),
        Transition(
            "reject",
            "in_review",
            "rejected",
            "reviewer",
            _l("Reject"),
            comment_required=True,
            decides=True,
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
        Transition(
            "mayor_approve",
            "escalated",
            "approved",
            "mayor",
            _l("Approve (mayor)"),
            decides=True,
        ),
        Transition(
            "mayor_reject",
            "escalated",
            "rejected_by_mayor",
            "mayor",
            _l("Reject (mayor)"),
            comment_required=True,
            decides=True,
        ),
    ]
    return Workflow(
        initial="draft",
        states=dict(_PROPOSAL_STATES),
        transitions=tuple(transitions),
        final_states=frozenset({"approved", "rejected_by_mayor", "withdrawn"}),
        editable_states=frozenset({"draft", "returned"}),
        withdrawable_states=frozenset({"draft", "returned"}),
        withdrawn_state="withdrawn",
    )


def case_types() -> list[CaseType]:
    """appgov's case types; rules that vary by city are asked when they apply."""
    definition = builder.load("app_proposal")
    return [
        CaseType(
            key=PROPOSAL,
            label=_l("App development proposal"),
            form=builder.proposal_form,  # the questions of the rules in force (helper rules)
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
