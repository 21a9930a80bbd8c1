"""appgov's reactions to case transitions (veto and after-effects), called via the host."""

from __future__ import annotations

from .case_types import PROPOSAL
from .i18n import _
from .models import App
from .state import get_state


def veto(case, transition, user) -> str | None:
    """A reason to refuse ``transition``, or ``None``."""
    if case.type_key != PROPOSAL:
        return None
    grounds = case.data.get("eligibility_grounds") or []
    if transition.name == "submit" and "head_approved" in grounds:
        # rule TN-EVAL-3 ground (4): other necessity needs the agency head's approval
        return _(
            "Ground (4) needs the agency head's approval (TN-EVAL-3): "
            "the agency head approves and submits this proposal."
        )
    return None


def after(case, transition) -> None:
    """An approved proposal enters the app registry as in development (TN-EVAL-1, KH-EVAL-1)."""
    if case.type_key != PROPOSAL or transition.target != "approved":
        return
    session = get_state().session
    session.add(
        App(
            agency_code=case.agency_code,
            name=case.data.get("app_name", ""),
            description=case.data.get("purpose", ""),
            status="in_development",
            linked_to_mayor_mailbox=bool(case.data.get("mayor_mailbox_link")),
            proposal_case_id=case.id,
        )
    )
    session.flush()
