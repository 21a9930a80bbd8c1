"""A supervisor's approval of a reveal (個人資料保護法 §18; Taipei's 1999 practice).

Where the rule parameter ``mailbox_reveal_needs_approval`` is on (the Taipei profile sets
it; default off), revealing a masked field of a citizen's feedback is asked for, not done:
the feedback page's reveal form writes a :class:`~.models.PersonalDataRevealRequest`
(who, which field of which item, why, the requester's role and agency) and shows nothing.
A supervisor approves or refuses it on ``/appgov/feedback/reveal-requests``
(:mod:`.reveal_requests`); an approval writes the :class:`~.models.PersonalDataReveal`
(the requester's name and reason, the approval's time), so the requester sees the value
for :data:`~.privacy.REVEAL_MINUTES` from then, exactly as a reveal without approval.

Who decides (never the requester, whatever their role):

* a request of **agency staff** -- the **head of that agency** (``agency_head`` of the
  requester's agency, which is the item's app's agency): the staff's line supervisor;
* a request of an **agency head** or of a **reviewer** -- **another reviewer** of the
  item's city (the app authority). A head has no supervisor inside the agency; the app
  authority may itself reveal the city's feedback, so deciding shows it nothing it may not
  see. Neither the mayor's office nor the administrator decides: they read masked data only
  (:mod:`.privacy`).

A decider sees the request only while they may read the item (their agency, their city);
a request they may not decide answers 404 alike for a missing one, their own request 403.
A request is decided once (a concurrent second decision answers 409).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_login import current_user

from ..access import visible_agency_codes
from ..apps.models import App, app_id_of
from ..db import utcnow
from ..state import get_state
from ..submissions import policy_in_force
from .models import Feedback, PersonalDataReveal, PersonalDataRevealRequest

#: The rule parameter that turns approval on.
PARAMETER = "mailbox_reveal_needs_approval"
#: Roles that decide some requests (see the module's docstring).
DECIDER_ROLES = frozenset({"agency_head", "reviewer"})
#: The requesters' roles each deciding role decides for.
DECIDES_FOR = {"agency_head": ("agency_staff",), "reviewer": ("agency_head", "reviewer")}


def needs_approval() -> bool:
    """Whether a reveal waits for a supervisor's approval today (the rule parameter)."""
    return bool(policy_in_force().param(PARAMETER))


def _user():
    return getattr(current_user, "username", "") or "", getattr(current_user, "role", None)


def is_decider() -> bool:
    """Whether the logged-in user's role decides some reveal requests."""
    return _user()[1] in DECIDER_ROLES


def decidable() -> sa.ColumnElement[bool]:
    """The requests (joined with their item's :class:`App`) the logged-in user may decide:
    not their own, of a requester's role theirs decides for, of an item they read (a head:
    their own agency's staff on their agency's apps)."""
    username, role = _user()
    if role not in DECIDER_ROLES:
        return sa.false()
    visible = visible_agency_codes()
    if visible is None:  # only an administrator reads everything, and decides nothing
        return sa.false()
    conditions = [
        PersonalDataRevealRequest.username != username,
        PersonalDataRevealRequest.requester_role.in_(DECIDES_FOR[role]),
        App.agency_code.in_(sorted(visible)) if visible else sa.false(),
    ]
    if role == "agency_head":
        conditions.append(
            PersonalDataRevealRequest.requester_agency == getattr(current_user, "agency_code", None)
        )
    return sa.and_(*conditions)


def _with_item():
    return (
        sa.select(PersonalDataRevealRequest, Feedback, App)
        .join(Feedback, Feedback.id == PersonalDataRevealRequest.feedback_id)
        .join(App, App.id == Feedback.app_id)
    )


def pending_for_decider() -> list[tuple[PersonalDataRevealRequest, Feedback, App]]:
    """The pending requests the logged-in user may decide, oldest first (one query)."""
    return list(
        get_state().session.execute(
            _with_item()
            .where(PersonalDataRevealRequest.state == "pending", decidable())
            .order_by(PersonalDataRevealRequest.requested_at, PersonalDataRevealRequest.id)
        )
    )


def pending_count() -> int:
    """How many requests wait for the logged-in user's decision (0 for other roles)."""
    if not is_decider():
        return 0
    return get_state().session.scalar(
        sa.select(sa.func.count(PersonalDataRevealRequest.id))
        .join(Feedback, Feedback.id == PersonalDataRevealRequest.feedback_id)
        .join(App, App.id == Feedback.app_id)
        .where(PersonalDataRevealRequest.state == "pending", decidable())
    )


def request_to_decide(request_id: int) -> tuple[PersonalDataRevealRequest | None, bool]:
    """(the request, whether it is the user's own) when the user may decide it or asked it
    themselves; ``(None, False)`` otherwise (a missing request alike)."""
    username, _role = _user()
    if app_id_of(request_id) is None:  # bounded like an id: a 60-digit number is none
        return None, False
    found = (
        get_state()
        .session.execute(
            _with_item().where(
                PersonalDataRevealRequest.id == request_id,
                sa.or_(PersonalDataRevealRequest.username == username, decidable()),
            )
        )
        .first()
    )
    if found is None:
        return None, False
    return found[0], found[0].username == username


def ask(feedback: Feedback, field: str, reason: str) -> PersonalDataRevealRequest:
    """Record the logged-in user's request (not committed); a request of theirs for that
    field of that item still pending is answered instead of a second one."""
    session = get_state().session
    username, role = _user()
    waiting = session.scalar(
        sa.select(PersonalDataRevealRequest).where(
            PersonalDataRevealRequest.feedback_id == feedback.id,
            PersonalDataRevealRequest.field == field,
            PersonalDataRevealRequest.username == username,
            PersonalDataRevealRequest.state == "pending",
        )
    )
    if waiting is not None:
        return waiting
    asked = PersonalDataRevealRequest(
        feedback_id=feedback.id,
        field=field,
        username=username,
        requester_role=role or "",
        requester_agency=getattr(current_user, "agency_code", None),
        reason=reason,
        requested_at=utcnow(),
        state="pending",
    )
    session.add(asked)
    return asked


def latest_requests(feedback: Feedback) -> dict[str, PersonalDataRevealRequest]:
    """The logged-in user's latest request per field of the item (for its page)."""
    username, _role = _user()
    rows = get_state().session.scalars(
        sa.select(PersonalDataRevealRequest)
        .where(
            PersonalDataRevealRequest.feedback_id == feedback.id,
            PersonalDataRevealRequest.username == username,
        )
        .order_by(PersonalDataRevealRequest.id)
    )
    return {row.field: row for row in rows}


def decide(asked: PersonalDataRevealRequest, approve: bool, note: str | None) -> bool:
    """Approve (writing the reveal) or refuse a pending request as the logged-in user (not
    committed). False when it was decided meanwhile: nothing is written."""
    session = get_state().session
    now = utcnow()
    decided = session.execute(
        sa.update(PersonalDataRevealRequest)
        .where(
            PersonalDataRevealRequest.id == asked.id,
            PersonalDataRevealRequest.state == "pending",
        )
        .values(
            state="approved" if approve else "refused",
            decided_by=_user()[0],
            decided_at=now,
            decision_note=note or None,
        )
        .execution_options(synchronize_session=False)
    )
    if decided.rowcount != 1:
        return False
    if approve:
        reveal = PersonalDataReveal(
            feedback_id=asked.feedback_id,
            field=asked.field,
            username=asked.username,
            reason=asked.reason,
            revealed_at=now,
        )
        session.add(reveal)
        session.flush()
        session.execute(
            sa.update(PersonalDataRevealRequest)
            .where(PersonalDataRevealRequest.id == asked.id)
            .values(reveal_id=reveal.id)
            .execution_options(synchronize_session=False)
        )
    session.expire(asked)
    return True
