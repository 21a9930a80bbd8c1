"""The case types appgov contributes to the host (workflows with the role for each step)."""

from __future__ import annotations

from ..case_documents import documents_for
from ..forms import store
from ..host.contract import CaseType, Transition, Workflow
from ..i18n import _l
from ..submissions import form_case_type, form_offered, policy_in_force

PROPOSAL = "appgov_app_proposal"

_PROPOSAL_STATES = {
    "draft": _l("Draft"),
    "head_review": _l("Awaiting the agency head's approval"),
    "in_review": _l("In review"),
    # rule TN-EVAL-1: countersigned by the Smart Development Center, awaiting the city
    # government (the mayor or an authorised delegate)
    "city_review": _l("Awaiting the city government's approval"),
    "returned": _l("Returned for revision"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
    "escalated": _l("Escalated to the mayor"),
    "rejected_by_mayor": _l("Rejected by the mayor"),
    "withdrawn": _l("Withdrawn"),
}

#: The states in which a proposal has its decision letter (apps/decision_letter.py).
DECIDED = ("approved", "rejected", "rejected_by_mayor")

#: TN-EVAL-3 ground (4), "other necessity approved by the agency head": its value in the
#: self-assessment, and in the retired single proposal form
HEAD_APPROVED_GROUNDS = frozenset({"other_necessity", "head_approved"})

#: The development proposal's form per city (rules.md, "Profiles are real"): Tainan's
#: self-assessment (TN-EVAL-1..5), Kaohsiung's development evaluation plan (KH-EVAL-1).
PROPOSAL_FORMS = ("tn_self_assessment", "kh_evaluation_plan")
#: The single form of proposals filed before the city forms were split (retired: offered
#: nowhere, kept so that those cases show and validate with the form they were filed with).
RETIRED_PROPOSAL_FORM = "app_proposal"


def proposal_form_key() -> str | None:
    """The proposal form this deployment files: its profile's, or the other city's where
    the deployment adopted that city's rule (``adopted_rules``); ``None`` where neither
    applies (Taipei, whose profile has no app-governance rules)."""
    policy = policy_in_force()
    offered = [key for key in PROPOSAL_FORMS if form_offered(key)]
    adopted = set(policy.param("adopted_rules") or ())
    for key in offered:
        if adopted & set(store.live(key).rules):
            return key
    return offered[0] if offered else None


def rests_on_ground_four(answers) -> bool:
    """Rule TN-EVAL-3 ground (4): the answers rest on "other necessity", which the agency
    head approves before the proposal goes to review -- where the deployment applies
    TN-EVAL-3."""
    grounds = answers.get("eligibility_grounds") or []
    return bool(HEAD_APPROVED_GROUNDS & set(grounds)) and policy_in_force().applies("TN-EVAL-3")


def needs_head_approval(case) -> bool:
    """TN-EVAL-3 ground (4) for ``case`` (:func:`rests_on_ground_four` of its answers)."""
    return rests_on_ground_four(case.data)


def goes_straight_to_review(case) -> bool:
    return not needs_head_approval(case)


def city_approves(case) -> bool:
    """Rule TN-EVAL-1 in force for this deployment (Tainan's profile, or adopted: the
    ``adopted_rules`` parameter or a hook module, see ``Policy.applies``): the Smart
    Development Center (role ``reviewer``) countersigns with its opinion and the city
    government (role ``mayor``: the mayor or an authorised delegate) approves."""
    return policy_in_force().applies("TN-EVAL-1")


def reviewer_approves(case) -> bool:
    """KH-EVAL-1 (and every deployment without TN-EVAL-1): the reviewing authority (the
    Information Center) approves or rejects the proposal itself."""
    return not city_approves(case)


def escalation_allowed(case) -> bool:
    """KH-EVAL-2 in force today for this deployment (Kaohsiung's profile, or a change)."""
    return bool(policy_in_force().param("proposal_escalation_to_mayor"))


_TO_THE_HEAD = _l(
    "Ground (4) needs the agency head's approval (TN-EVAL-3): "
    "submit the proposal to the agency head."
)
_NOT_TO_THE_HEAD = _l(
    "The agency head approves only proposals that rest on ground (4) (TN-EVAL-3): "
    "submit this one for review."
)


_CITY_DECIDES = _l(
    "The city government gives the final approval (TN-EVAL-1): countersign the proposal "
    "with your opinion, or return it for revision."
)
_NO_COUNTERSIGN = _l(
    "The Information Center decides this proposal itself (KH-EVAL-1): approve, reject or return it."
)


def proposal_workflow() -> Workflow:
    """TN-EVAL-1 / KH-EVAL-1: no development before approval; TN-EVAL-3 ground (4) through
    the agency head; KH-EVAL-2 where in force. The owner edits a draft or a returned
    proposal and may withdraw it from either.

    Who approves depends on the rule in force, asked by guards at the time: under TN-EVAL-1
    the reviewer (the Smart Development Center) countersigns with its opinion and the city
    government (role ``mayor``) approves, returns or rejects; elsewhere (KH-EVAL-1) the
    reviewer (the Information Center) approves or rejects, with KH-EVAL-2's escalation."""
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
        # rule KH-EVAL-1: the Information Center approves or rejects
        Transition(
            "approve",
            "in_review",
            "approved",
            "reviewer",
            _l("Approve"),
            decides=True,
            guard=reviewer_approves,
            guard_message=_CITY_DECIDES,
        ),
        Transition(
            "reject",
            "in_review",
            "rejected",
            "reviewer",
            _l("Reject"),
            comment_required=True,
            decides=True,
            guard=reviewer_approves,
            guard_message=_CITY_DECIDES,
        ),
        # rule TN-EVAL-1: the Smart Development Center countersigns with its opinion (the
        # comment), then the city government (the mayor or an authorised delegate) decides
        Transition(
            "countersign",
            "in_review",
            "city_review",
            "reviewer",
            _l("Countersign with your opinion"),
            comment_required=True,
            decides=True,
            guard=city_approves,
            guard_message=_NO_COUNTERSIGN,
        ),
        Transition(
            "city_approve",
            "city_review",
            "approved",
            "mayor",
            _l("Approve (city government)"),
            decides=True,
        ),
        Transition(
            "city_return",
            "city_review",
            "returned",
            "mayor",
            _l("Return for revision (city government)"),
            comment_required=True,
            decides=True,
        ),
        Transition(
            "city_reject",
            "city_review",
            "rejected_by_mayor",
            "mayor",
            _l("Reject (city government)"),
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
    return [
        form_case_type(
            PROPOSAL,
            proposal_form_key,
            _l("App development proposal"),
            _l(
                "Self-assessment (Tainan) or development evaluation plan (Kaohsiung) before "
                "an app is developed (TN-EVAL-1, KH-EVAL-1)."
            ),
            proposal_workflow(),
            unrecorded_key=RETIRED_PROPOSAL_FORM,
            # the decision letter as PDF, once approved or rejected (issue 16)
            documents=documents_for(PROPOSAL, DECIDED, _l("Decision letter")),
        )
    ]
