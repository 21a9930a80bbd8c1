"""The case engine: opening cases and moving them through their workflow, with history.

Every change of a case's state goes through :func:`take_transition`, which checks the
workflow, the acting role and the agency scope, asks the plug-ins
(``casehost_before_transition`` may veto) and records an append-only history row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm import joinedload

from appgov_plugin.host.contract import CaseType, ContractError, Transition

from .auth import AGENCY_SCOPED_ROLES, in_agency_scope
from .extensions import db
from .models import ROLE_LABELS, Agency, Case, CaseHistory, User, utcnow
from .plugins import current_host

#: Transition name of the history row written when a case is opened.
OPENED = "open"
#: Comment ``open_case`` records for transitions that require one.
OPEN_CASE_COMMENT = "Demo data"


class TransitionRefused(Exception):
    """The transition may not be taken; ``str(exc)`` is the message for the user."""


class TransitionVetoed(TransitionRefused):
    """A plug-in's ``casehost_before_transition`` answered with this message."""


def case_type_of(case: Case) -> CaseType | None:
    """The case's type, or ``None`` when no installed plug-in provides it any more."""
    try:
        return current_host().case_types[case.type_key]
    except KeyError:
        return None


def state_label(case: Case, state: str | None = None) -> Any:
    """The label of ``state`` (default: the case's current state) in the case's workflow."""
    state = case.status if state is None else state
    case_type = case_type_of(case)
    return case_type.workflow.states.get(state, state) if case_type else state


def history_label(case: Case, row: CaseHistory) -> Any:
    """What a history row records: "Opened", or the label of the transition taken."""
    if row.from_state is None:
        return gettext("Opened")
    case_type = case_type_of(case)
    for t in case_type.workflow.transitions if case_type else ():
        if t.name == row.transition and t.source == row.from_state:
            return t.label
    return row.transition


def may_view(user, case: Case) -> bool:
    """Owners always; everyone else within their agency scope."""
    return case.owner_id == user.id or in_agency_scope(user, case)


def available_transitions(user, case: Case) -> list[Transition]:
    """The transitions ``user`` may take on ``case`` now (role and agency scope checked)."""
    case_type = case_type_of(case)
    if case_type is None or not in_agency_scope(user, case):
        return []
    return [
        t
        for t in case_type.workflow.transitions_from(case.status)
        if t.role == user.role and t.available(case)
    ]


def create_case(
    case_type: CaseType,
    agency: Agency,
    owner: User,
    data: Mapping[str, Any],
    form_version: int | None = None,
) -> Case:
    """Add a case in the workflow's initial state plus its opening history row (no commit)."""
    case = Case(
        type_key=case_type.key,
        agency=agency,
        owner=owner,
        status=case_type.workflow.initial,
        data=dict(data),
        form_version=form_version,
    )
    db.session.add(case)
    db.session.add(
        CaseHistory(case=case, actor=owner, transition=OPENED, to_state=case.status, comment="")
    )
    db.session.flush()
    return case


def take_transition(case: Case, transition_name: str, user, comment: str) -> Transition:
    """Check and apply one transition inside the caller's transaction (no commit).

    Raises :class:`TransitionRefused` (nothing changed) when the workflow, role, agency
    scope, comment rule or a plug-in's veto forbids it. Exceptions from
    ``casehost_after_transition`` propagate; the caller must roll back.
    """
    case_type = case_type_of(case)
    if case_type is None:
        raise TransitionRefused(
            gettext("The case type %(key)s is not installed.", key=case.type_key)
        )
    try:
        transition = case_type.workflow.transition(case.status, transition_name)
    except ContractError:
        raise TransitionRefused(
            gettext(
                "“%(name)s” is not possible while the case is “%(state)s”.",
                name=transition_name,
                state=state_label(case),
            )
        ) from None
    if not transition.available(case):
        raise TransitionRefused(
            gettext("“%(label)s” is not available for this case.", label=transition.label)
        )
    if user.role != transition.role:
        raise TransitionRefused(
            gettext("Only the role “%(role)s” may do this.", role=ROLE_LABELS[transition.role])
        )
    if not in_agency_scope(user, case):
        raise TransitionRefused(gettext("This case belongs to another agency."))
    comment = (comment or "").strip()
    if transition.comment_required and not comment:
        raise TransitionRefused(gettext("“%(label)s” needs a comment.", label=transition.label))
    hook = current_host().pm.hook
    veto = hook.casehost_before_transition(
        case=case, transition=transition, user=user, comment=comment
    )
    if veto is not None:
        raise TransitionVetoed(str(veto))
    source = case.status
    case.status = transition.target
    case.updated_at = utcnow()
    db.session.add(
        CaseHistory(
            case=case,
            actor=user,
            transition=transition.name,
            from_state=source,
            to_state=transition.target,
            comment=comment,
        )
    )
    db.session.flush()
    hook.casehost_after_transition(case=case, transition=transition, user=user, comment=comment)
    return transition


def apply_transition(case: Case, transition_name: str, user, comment: str = "") -> Case:
    """Take ``transition_name`` on ``case`` as ``user`` and commit once, or write nothing.

    The case is re-read with ``SELECT ... FOR UPDATE`` so two people deciding at the same
    time are serialised: the second one sees the new state and is refused. Any exception
    (a :class:`TransitionRefused` or one raised by a hook) rolls everything back.
    """
    try:
        locked = db.session.scalars(
            sa.select(Case)
            .where(Case.id == case.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one()
        take_transition(locked, transition_name, user, comment)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return locked


def _user_named(username: str) -> User:
    user = db.session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        raise ContractError(f"open_case: unknown user {username!r}")
    return user


def _someone_who_may(transition: Transition, case: Case) -> User:
    """The first active user allowed to take ``transition`` on ``case``."""
    query = sa.select(User).where(User.role == transition.role, User.active.is_(True))
    if transition.role in AGENCY_SCOPED_ROLES:
        query = query.where(User.agency_id == case.agency_id)
    user = db.session.scalars(query.order_by(User.id).limit(1)).first()
    if user is None:
        raise ContractError(
            f"open_case: no user with role {transition.role!r} may take "
            f"{transition.name!r} on a case of agency {case.agency_code!r}"
        )
    return user


def open_case(
    type_key: str,
    agency_code: str,
    owner_username: str,
    data: Mapping[str, Any],
    transitions: Sequence[str] = (),
    actor_usernames: Sequence[str] = (),
) -> Case:
    """The ``open_case`` callable handed to ``casehost_demo_data`` (see the hookspec).

    Opens a case owned by ``owner_username`` and takes ``transitions`` in order, each by
    the user at the same position in ``actor_usernames``; without actors, each transition
    is taken by the first user whose role (and agency) allows it. Transitions run the full
    checks and hooks. Nothing is committed: the demo loader's transaction decides.
    """
    case_types = current_host().case_types
    if type_key not in case_types:
        raise ContractError(f"open_case: unknown case type {type_key!r}")
    if actor_usernames and len(actor_usernames) != len(transitions):
        raise ContractError(
            f"open_case: {len(transitions)} transitions but {len(actor_usernames)} actors"
        )
    agency = db.session.scalar(sa.select(Agency).where(Agency.code == agency_code))
    if agency is None:
        raise ContractError(f"open_case: unknown agency code {agency_code!r}")
    case_type = case_types[type_key]
    case = create_case(
        case_type, agency, _user_named(owner_username), data, form_version=case_type.form_version
    )
    for index, name in enumerate(transitions):
        transition = case_type.workflow.transition(case.status, name)
        if actor_usernames:
            actor = _user_named(actor_usernames[index])
        else:
            actor = _someone_who_may(transition, case)
        comment = OPEN_CASE_COMMENT if transition.comment_required else ""
        take_transition(case, name, actor, comment)
    return case


def inbox(user) -> tuple[list[Case], list[Case]]:
    """(cases ``user`` can act on now, cases ``user`` owns), newest first.

    One query whatever the number of cases: the actionable (type, state) pairs come from
    the workflows, agency and owner are loaded in the same statement.
    """
    actionable = []
    for case_type in current_host().case_types:
        states = sorted({t.source for t in case_type.workflow.transitions if t.role == user.role})
        if states:
            actionable.append(sa.and_(Case.type_key == case_type.key, Case.status.in_(states)))
    can_act = sa.or_(*actionable) if actionable else sa.false()
    if user.role in AGENCY_SCOPED_ROLES:
        can_act = sa.and_(can_act, Case.agency_id == user.agency_id)
    cases = db.session.scalars(
        sa.select(Case)
        .where(sa.or_(can_act, Case.owner_id == user.id))
        .options(joinedload(Case.agency), joinedload(Case.owner))
        .order_by(Case.updated_at.desc(), Case.id.desc())
    ).all()
    to_act = [case for case in cases if available_transitions(user, case)]
    owned = [case for case in cases if case.owner_id == user.id]
    return to_act, owned
