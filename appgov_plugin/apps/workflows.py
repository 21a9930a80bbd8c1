"""appgov's reactions to case transitions (after-effects), called via the host."""

from __future__ import annotations

from ..lifecycle.registry import link_case, record
from ..state import get_state
from .case_types import PROPOSAL
from .models import App


def veto(case, transition, user, comment="") -> str | None:
    """A reason to refuse ``transition``, or ``None``.

    appgov vetoes nothing: the rules that decide whether a proposal may move are transition
    guards, which the host asks before it offers or accepts a step (TN-EVAL-3 ground (4)
    goes to the agency head, TN-EVAL-1's countersignature and the city's approval,
    KH-EVAL-2's escalation where in force; see case_types.py). A city's own check
    (``appgov_check_transition``, docs/lifecycle_hooks.md) is asked for every case appgov
    contributes, proposals included, by :func:`appgov_plugin.lifecycle.workflows.veto`.
    """
    return None


def after(case, transition, user=None, comment="") -> None:
    """An approved proposal enters the app registry as in development (TN-EVAL-1, KH-EVAL-1)."""
    if case.type_key != PROPOSAL or transition.target != "approved":
        return
    session = get_state().session
    app = App(
        agency_code=case.agency_code,
        name=case.data.get("app_name", ""),
        description=case.data.get("purpose", ""),
        status="in_development",
        linked_to_mayor_mailbox=bool(case.data.get("mayor_mailbox_link")),
        proposal_case_id=case.id,
        # the agency's contact for the app: who filed the proposal
        contact_username=getattr(case, "owner_username", None),
    )
    session.add(app)
    session.flush()
    # the app's history starts with the decision that approved it, and the proposal is the
    # first of its cases
    record(app, "registered", getattr(user, "username", ""), case_id=case.id, reason=comment)
    link_case(case, app.id)
