"""The support ticket (TP-SUP-1) as a case of the host, with its three-tier workflow.

::

    draft --submit--> tier1 --resolve--> resolved
                        |
                        +--escalate--> tier2 --resolve--> resolved
                                         |
                                         +--escalate--> tier3 --resolve--> resolved

* **Filing.** The agency's staff (the host's one filing role, ``agency_staff``) drafts the
  ticket and submits it: it goes to tier 1.
* **Tier 1** -- the agency's seed users and system administrators of the ticket's system.
  The host knows no such role: a tier-1 person is a host user in the ``agency_staff`` role
  whose username is a registry person's (``RolloutPerson.username``) with an active
  ``seed`` or ``admin`` assignment for the ticket's agency and system today. The transitions'
  guard asks it of the logged-in user (the host offers the steps to tier-1 people only) and
  :func:`.support.veto` asks it again of the acting user (whatever the caller).
* **Tier 2** -- the IT helpdesk (``helpdesk``, the 8585 line) of the agency's city.
* **Tier 3** -- the technical support team. The contract has no such role (STANDARD_ROLES);
  the IT department (``it_department``) acts as the technical support team.

Resolving needs the resolution, escalating the reason (the host refuses an empty comment);
the host's history records every step with who took it. The owner edits and withdraws a
draft only: a filed ticket keeps what tier 1 was asked.
"""

from __future__ import annotations

from ..host.contract import CaseType, Transition, Workflow
from ..i18n import _l
from ..submissions import form_case_type

SUPPORT_TICKET = "appgov_support_ticket"
FORM_KEY = "support_ticket"

#: The tier each waiting state is (TP-SUP-1).
TIERS = {"tier1": 1, "tier2": 2, "tier3": 3}
#: The role acting at each tier (tier 1: agency staff who are tier-1 people of the registry).
TIER_ROLES = {1: "agency_staff", 2: "helpdesk", 3: "it_department"}

STATES = {
    "draft": _l("Draft"),
    "tier1": _l("Tier 1: seed users and system administrators"),
    "tier2": _l("Tier 2: IT helpdesk"),
    "tier3": _l("Tier 3: technical support team"),
    "resolved": _l("Resolved"),
    "withdrawn": _l("Withdrawn"),
}

TIER1_GUARD_MESSAGE = _l(
    "Only the agency's seed users and system administrators of the ticket's system act at "
    "tier 1 (TP-SUP-1)."
)


def _tier1_guard(case) -> bool:
    from . import support  # support imports this module

    return support.current_user_is_tier1(case)


def support_workflow() -> Workflow:
    resolve = _l("Resolve")
    return Workflow(
        initial="draft",
        states=dict(STATES),
        transitions=(
            Transition("submit", "draft", "tier1", "agency_staff", _l("File with tier 1")),
            Transition(
                "resolve",
                "tier1",
                "resolved",
                "agency_staff",
                resolve,
                comment_required=True,
                guard=_tier1_guard,
                guard_message=TIER1_GUARD_MESSAGE,
            ),
            Transition(
                "escalate",
                "tier1",
                "tier2",
                "agency_staff",
                _l("Escalate to the helpdesk"),
                comment_required=True,
                guard=_tier1_guard,
                guard_message=TIER1_GUARD_MESSAGE,
            ),
            Transition("resolve", "tier2", "resolved", "helpdesk", resolve, comment_required=True),
            Transition(
                "escalate",
                "tier2",
                "tier3",
                "helpdesk",
                _l("Escalate to the technical support team"),
                comment_required=True,
            ),
            Transition(
                "resolve", "tier3", "resolved", "it_department", resolve, comment_required=True
            ),
        ),
        final_states=frozenset({"resolved", "withdrawn"}),
        editable_states=frozenset({"draft"}),
        withdrawable_states=frozenset({"draft"}),
        withdrawn_state="withdrawn",
    )


def case_types() -> list[CaseType]:
    return [
        form_case_type(
            SUPPORT_TICKET,
            FORM_KEY,
            _l("Support ticket"),
            _l(
                "A problem with a major system, for the agency's seed users and system "
                "administrators, the helpdesk and the technical support team (TP-SUP-1)."
            ),
            support_workflow(),
            summary_field="subject",
        )
    ]
