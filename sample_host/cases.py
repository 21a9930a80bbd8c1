"""The case engine: who may read a case, opening, editing, withdrawing and moving cases
through their workflow, with an append-only history; the inbox and the case search.

Every change of a case goes through this module, each in one transaction with the case
read ``SELECT ... FOR UPDATE``:

* :func:`take_transition` checks the workflow, the acting role, the agency scope, that the
  user may read the case, the comment rule, and asks the plug-ins
  (``casehost_before_transition`` may veto);
* :func:`edit_case` lets the owner change the answers in an editable state and records
  which answers changed;
* :func:`withdraw_case` lets the owner withdraw the case to the workflow's withdrawn state
  (with the same transition hooks).

Who may read which case is decided in one place, :func:`readable_by` (a SQL condition the
inbox, the search and :func:`may_read` all use). A user's city is their agency's city; a
city-wide user without an agency reads no case through their role:

========================  ==========================================================
role                      reads
========================  ==========================================================
owner (any role)          always (a draft is visible to its owner only)
sysadmin                  every case (administrator; recorded corrections)
agency_staff, agency_head their agency's cases, except other people's drafts
reviewer, mayor           cases of their city's agencies that are or were in a state
                          where the role acts
it_department             every submitted case of their city's agencies
helpdesk                  every submitted case of their city's agencies, *status only*:
                          number, type, agency, owner, state and the history's steps;
                          no answers, no summary, no comments (:func:`reads_answers`)
everyone                  cases they took a step on, except other people's drafts
========================  ==========================================================

Acting follows the same scope (:func:`~sample_host.auth.in_agency_scope`), plus
separation of duties: a decision (``Transition.decides``) is never taken by whoever opened,
edited or submitted the case, or took a step on it in another role
(:func:`took_another_part`), even after a change of role.

A draft is a case that has never left its workflow's initial state through a workflow
transition: a case in the initial state, or a draft its owner withdrew (discarded drafts
stay private too). A case of a type no installed plug-in provides any more is readable by
its owner and the administrator only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm import joinedload

from appgov_plugin.clock import TAIPEI
from appgov_plugin.host.contract import (
    CORRECTED,
    EDITED,
    HOST_STEPS,
    OPENED,
    WITHDRAWN,
    CaseType,
    ContractError,
    FormRef,
    Transition,
)

from .auth import ADMIN_ROLES, AGENCY_SCOPED_ROLES, in_agency_scope, user_city
from .extensions import db
from .models import ROLE_LABELS, Agency, Case, CaseHistory, User, lock_case, utcnow
from .plugins import current_host

__all__ = [
    "COMMENT_MAX_LENGTH",
    "OPENED",
    "CaseRefused",
    "TransitionRefused",
    "TransitionVetoed",
    "apply_transition",
    "edit_case",
    "inbox",
    "may_read",
    "open_case",
    "readable_by",
    "reads_answers",
    "search_cases",
    "take_transition",
    "withdraw_case",
    "correct_case",
]

#: Comment ``open_case`` records for transitions that require one.
OPEN_CASE_COMMENT = "Demo data"
#: Longest comment a step takes, counted in characters (not bytes).
COMMENT_MAX_LENGTH = 2000
#: City-wide roles that read every submitted case of their city, not only the cases that
#: reached a state where they act.
CITY_READER_ROLES = frozenset({"it_department", "helpdesk"})
#: Roles that read a case's status and history steps but not its answers (least privilege:
#: the helpdesk supports users, it needs no budgets), except on cases they own.
STATUS_ONLY_ROLES = frozenset({"helpdesk"})


class TransitionRefused(Exception):
    """The step may not be taken; ``str(exc)`` is the message for the user. ``field`` names
    the form field at fault (``"comment"``), when one is."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


#: Refusals of edits and withdrawals are the same kind of answer.
CaseRefused = TransitionRefused


class TransitionVetoed(TransitionRefused):
    """A plug-in's ``casehost_before_transition`` answered with this message."""


# -- labels ---------------------------------------------------------------------------------


def case_type_of(case: Case) -> CaseType | None:
    """The case's type, or ``None`` when no installed plug-in provides it any more."""
    try:
        return current_host().case_types[case.type_key]
    except KeyError:
        return None


def type_label(case: Case) -> Any:
    case_type = case_type_of(case)
    return case_type.label if case_type else case.type_key


def state_label(case: Case, state: str | None = None) -> Any:
    """The label of ``state`` (default: the case's current state) in the case's workflow."""
    state = case.status if state is None else state
    case_type = case_type_of(case)
    return case_type.workflow.states.get(state, state) if case_type else state


def history_label(case: Case, row: CaseHistory) -> Any:
    """What a history row records: "Opened", "Edited", "Withdrawn", "Corrected" or the
    transition's label."""
    if row.transition == CORRECTED:
        return gettext("Corrected by an administrator")
    if row.from_state is None:
        return gettext("Opened")
    if row.transition == EDITED:
        return gettext("Edited")
    if row.transition == WITHDRAWN:
        return gettext("Withdrawn by the owner")
    case_type = case_type_of(case)
    for t in case_type.workflow.transitions if case_type else ():
        if t.name == row.transition and t.source == row.from_state:
            return t.label
    return case_type.workflow.label_of(row.transition) if case_type else row.transition


# -- who may read which case ----------------------------------------------------------------


def in_scope(user) -> sa.ColumnElement[bool]:
    """SQL: the case is in the user's agency scope (:func:`~sample_host.auth.in_agency_scope`:
    own agency for agency roles, the agencies of the user's city for city-wide roles)."""
    if user.role in ADMIN_ROLES:
        return sa.true()
    if user.role in AGENCY_SCOPED_ROLES:
        return Case.agency_id == user.agency_id if user.agency_id is not None else sa.false()
    city = user_city(user)
    if city is None:
        return sa.false()
    return Case.agency_id.in_(sa.select(Agency.id).where(Agency.city == city))


def readable_by(user) -> sa.ColumnElement[bool]:
    """The SQL condition "``user`` may read this case" (see the module's table)."""
    if user.role in ADMIN_ROLES:
        return sa.true()
    acted = (
        sa.select(CaseHistory.id)
        .where(CaseHistory.case_id == Case.id, CaseHistory.actor_id == user.id)
        .exists()
    )
    per_type = []
    agency_scope = in_scope(user)
    for case_type in current_host().case_types:
        workflow = case_type.workflow
        if user.role in AGENCY_SCOPED_ROLES or user.role in CITY_READER_ROLES:
            scope = agency_scope
        else:
            states = sorted(workflow.states_where_acts(user.role))
            scope = (
                sa.and_(
                    agency_scope,
                    sa.or_(
                        Case.status.in_(states),
                        sa.select(CaseHistory.id)
                        .where(CaseHistory.case_id == Case.id, CaseHistory.to_state.in_(states))
                        .exists(),
                    ),
                )
                if states
                else sa.false()
            )
        # drafts belong to their owner: a case that never left its initial state through a
        # workflow transition (a draft its owner withdrew included); a workflow without
        # private drafts (a case opened for the agency by a rule) is read from the start
        submitted = (
            sa.select(CaseHistory.id)
            .where(
                CaseHistory.case_id == Case.id,
                CaseHistory.from_state == workflow.initial,
                CaseHistory.to_state != workflow.initial,
                CaseHistory.transition.not_in(sorted(HOST_STEPS)),
            )
            .exists()
            if workflow.private_drafts
            else sa.true()
        )
        per_type.append(sa.and_(Case.type_key == case_type.key, submitted, sa.or_(acted, scope)))
    return sa.or_(Case.owner_id == user.id, *per_type)


def may_read(user, case: Case) -> bool:
    """Whether ``user`` may read ``case`` (the same condition as the inbox and search)."""
    if case.owner_id == user.id or user.role in ADMIN_ROLES:
        return True
    return (
        db.session.scalar(sa.select(Case.id).where(Case.id == case.id, readable_by(user)))
        is not None
    )


def reads_answers(user, case: Case) -> bool:
    """Whether ``user`` sees the case's answers (its data, summary, history comments and
    edits), not only its status: every reader but the status-only roles (the helpdesk),
    who see the answers of their own cases only."""
    return user.role not in STATUS_ONLY_ROLES or case.owner_id == user.id


def is_draft(case: Case) -> bool:
    case_type = case_type_of(case)
    return (
        case_type is not None
        and case_type.workflow.private_drafts
        and case.status == case_type.workflow.initial
    )


def took_another_part(user) -> sa.ColumnElement[bool]:
    """SQL: ``user`` took a part in the case that bars them from deciding it (separation of
    duties): a host step (opened, edited, withdrew, corrected it) or a workflow step of a
    role other than the user's current one (submitted it, approved it for review, escalated
    it, decided it at another level). Steps are read from the history (who did what), so a
    change of role does not lift it; a step the workflow no longer knows counts."""
    per_type = []
    for case_type in current_host().case_types:
        own = [
            sa.and_(CaseHistory.transition == t.name, CaseHistory.from_state == t.source)
            for t in case_type.workflow.transitions
            if t.role == user.role
        ]
        other = sa.not_(sa.or_(*own)) if own else sa.true()
        per_type.append(
            sa.and_(
                Case.type_key == case_type.key,
                sa.select(CaseHistory.id)
                .where(
                    CaseHistory.case_id == Case.id,
                    CaseHistory.actor_id == user.id,
                    sa.or_(CaseHistory.transition.in_(sorted(HOST_STEPS)), other),
                )
                .exists(),
            )
        )
    return sa.or_(*per_type) if per_type else sa.false()


def _took_another_part_in(user, case: Case) -> bool:
    return (
        db.session.scalar(sa.select(Case.id).where(Case.id == case.id, took_another_part(user)))
        is not None
    )


def _offered(user, case: Case, barred: bool | None = None) -> list[Transition]:
    """Transitions of the user's role from the case's state, in scope, guards answering
    true, decisions left out where the user took another part in the case (``barred``,
    asked when not given) -- for a case the user may read."""
    case_type = case_type_of(case)
    if case_type is None or not in_agency_scope(user, case):
        return []
    offered = [
        t
        for t in case_type.workflow.transitions_from(case.status)
        if t.role == user.role and t.available(case)
    ]
    if any(t.decides for t in offered):
        if barred is None:
            barred = _took_another_part_in(user, case)
        if barred:
            offered = [t for t in offered if not t.decides]
    return offered


def barred_decisions(user, case: Case) -> list[Transition]:
    """The decisions the user's role could take on the case now but may not, because the
    user took another part in it (separation of duties): what the case page explains."""
    case_type = case_type_of(case)
    if case_type is None or not in_agency_scope(user, case) or not may_read(user, case):
        return []
    decisions = [
        t
        for t in case_type.workflow.transitions_from(case.status)
        if t.role == user.role and t.decides and t.available(case)
    ]
    return decisions if decisions and _took_another_part_in(user, case) else []


def available_transitions(user, case: Case) -> list[Transition]:
    """The transitions ``user`` may take on ``case`` now (reading, role, agency and guards)."""
    return _offered(user, case) if may_read(user, case) else []


def may_edit(user, case: Case) -> bool:
    """The owner, in a state the workflow declares editable."""
    case_type = case_type_of(case)
    return (
        case_type is not None
        and case.owner_id == user.id
        and case_type.workflow.is_editable(case.status)
    )


def may_withdraw(user, case: Case) -> bool:
    """The owner, in a state the workflow lets the owner withdraw from."""
    case_type = case_type_of(case)
    return (
        case_type is not None
        and case.owner_id == user.id
        and case_type.workflow.may_withdraw_from(case.status)
    )


# -- opening and changing cases -------------------------------------------------------------


def create_case(
    case_type: CaseType,
    agency: Agency,
    owner: User,
    data: Mapping[str, Any],
    form: FormRef | None = None,
    comment: str = "",
) -> Case:
    """Add a case in the workflow's initial state plus its opening history row (no commit).

    ``form`` is the form the answers were given with (default: the case type's live one,
    :meth:`CaseType.current_form`); the case keeps it for good. ``comment``: why the case
    was opened, when a plug-in opened it (``casehost_open_case``)."""
    form = case_type.current_form() if form is None else form
    case = Case(
        type_key=case_type.key,
        agency=agency,
        owner=owner,
        status=case_type.workflow.initial,
        data=dict(data),
        form_key=form.key,
        form_version=form.version,
    )
    db.session.add(case)
    db.session.add(
        CaseHistory(
            case=case,
            actor=owner,
            transition=OPENED,
            to_state=case.status,
            comment=clean_comment(comment),
        )
    )
    db.session.flush()
    return case


def as_stored(text: str | None) -> str:
    """Typed text as history keeps it: line breaks as ``\n``, no surrounding blanks."""
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def clean_comment(comment: str | None) -> str:
    """The comment as stored: line breaks as ``\\n``, no surrounding blanks, at most
    :data:`COMMENT_MAX_LENGTH` characters (else :class:`TransitionRefused` naming it)."""
    comment = as_stored(comment)
    if len(comment) > COMMENT_MAX_LENGTH:
        raise TransitionRefused(
            gettext(
                "Comment: at most %(max)s characters, this one has %(length)s. Nothing was saved.",
                max=f"{COMMENT_MAX_LENGTH:,}",
                length=f"{len(comment):,}",
            ),
            field="comment",
        )
    return comment


def _moved_on_message(workflow, case: Case, seen_state: str, transition_name: str) -> str:
    """What the second of two people acting at once reads: the case left ``seen_state``
    (the state their page showed) before their step; nothing was changed."""
    try:
        decision = workflow.transition(seen_state, transition_name).decides
    except ContractError:
        decision = False
    if decision:
        return gettext(
            "This case was already decided (now “%(state)s”): nothing was changed.",
            state=state_label(case),
        )
    return gettext(
        "This case changed since the page was shown (now “%(state)s”): nothing was changed.",
        state=state_label(case),
    )


def _record_step(case: Case, transition: Transition, user, comment: str) -> None:
    """Ask the veto hook, move the case, write the history row, run the after hook."""
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


def take_transition(
    case: Case, transition_name: str, user, comment: str, seen_state: str | None = None
) -> Transition:
    """Check and apply one transition inside the caller's transaction (no commit).

    Raises :class:`TransitionRefused` (nothing changed) when the workflow, role, agency
    scope, reading rule, comment rule or a plug-in's veto forbids it. Exceptions from
    ``casehost_after_transition`` propagate; the caller must roll back.

    ``seen_state`` is the state the case was in when the page was shown: when the case has
    left it since (someone else decided first), the refusal says so.
    """
    case_type = case_type_of(case)
    if case_type is None:
        raise TransitionRefused(
            gettext("The case type %(key)s is not installed.", key=case.type_key)
        )
    workflow = case_type.workflow
    if seen_state and seen_state != case.status:
        raise TransitionRefused(_moved_on_message(workflow, case, seen_state, transition_name))
    try:
        transition = workflow.transition(case.status, transition_name)
    except ContractError:
        raise TransitionRefused(
            gettext(
                "“%(name)s” is not possible while the case is “%(state)s”.",
                name=workflow.label_of(transition_name),
                state=state_label(case),
            )
        ) from None
    if not transition.available(case):
        raise TransitionRefused(
            str(transition.guard_message)
            if transition.guard_message
            else gettext("“%(label)s” is not available for this case.", label=transition.label)
        )
    if user.role != transition.role:
        raise TransitionRefused(
            gettext("Only the role “%(role)s” may do this.", role=ROLE_LABELS[transition.role])
        )
    if not in_agency_scope(user, case):
        raise TransitionRefused(
            gettext("This case belongs to another agency.")
            if user.role in AGENCY_SCOPED_ROLES
            else gettext("This case belongs to an agency of another city.")
        )
    if not may_read(user, case):
        raise TransitionRefused(gettext("Only the person who opened a draft may act on it."))
    if transition.decides and _took_another_part_in(user, case):
        raise TransitionRefused(
            gettext(
                "Separation of duties: you opened, edited or submitted this case, or took "
                "part in it in another role, so someone else decides it."
            )
        )
    comment = clean_comment(comment)
    if transition.comment_required and not comment:
        raise TransitionRefused(
            gettext("“%(label)s” needs a comment.", label=transition.label), field="comment"
        )
    _record_step(case, transition, user, comment)
    return transition


def _locked(case: Case) -> Case:
    """``case`` re-read under its write lock (:func:`~sample_host.models.lock_case`:
    ``SELECT ... FOR UPDATE`` on PostgreSQL, the database's write lock on SQLite): concurrent
    steps are serialised, and each history row follows the case's last one."""
    lock_case(db.session.connection(), case.id)
    return db.session.scalars(
        sa.select(Case)
        .where(Case.id == case.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def apply_transition(
    case: Case, transition_name: str, user, comment: str = "", seen_state: str | None = None
) -> Case:
    """Take ``transition_name`` on ``case`` as ``user`` and commit once, or write nothing.

    The case is re-read with ``SELECT ... FOR UPDATE`` so two people deciding at the same
    time are serialised: the second one sees the new state and is refused ("already
    decided" when ``seen_state``, the state they saw, is gone). Any exception (a
    :class:`TransitionRefused` or one raised by a hook) rolls everything back.
    """
    try:
        locked = _locked(case)
        take_transition(locked, transition_name, user, comment, seen_state)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return locked


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _same_decimal(before: Any, after: Any) -> bool:
    try:
        return Decimal(str(before)) == Decimal(str(after))
    except (InvalidOperation, ValueError):
        return False


def answer_changes(
    old: Mapping[str, Any], new: Mapping[str, Any], decimal_fields: Collection[str] = ()
) -> dict[str, list]:
    """``{field: [old, new]}`` for each answer in ``new`` that differs from ``old``. An empty
    answer and a missing one are the same; so are ``12.5`` and ``12.50`` in a decimal field
    (stored as text)."""
    changes = {}
    for name, value in new.items():
        before = old.get(name)
        if before == value or (_is_empty(before) and _is_empty(value)):
            continue
        if name in decimal_fields and _same_decimal(before, value):
            continue
        changes[name] = [before, value]
    return changes


@dataclass(frozen=True)
class EditResult:
    """What :func:`edit_case` did: the changed answers (empty: nothing was written)."""

    case: Case
    changes: dict[str, list]


def edit_case(
    case: Case, user, answers: Mapping[str, Any], decimal_fields: Collection[str] = ()
) -> EditResult:
    """The owner replaces the case's answers with ``answers`` (validated by the case type's
    form of the case's own version, :meth:`CaseType.case_form`; see
    :meth:`CaseType.data_from`) and commits once, or writes nothing. The case keeps its
    ``form_key`` and ``form_version``.

    Only the owner, only in a state the workflow declares editable (checked again on the
    locked row). The history row ``edit`` records ``{field: [old, new]}``; answers the form
    does not hold (a plug-in's own keys) are kept. Nothing changed: nothing is written.
    ``decimal_fields`` name the answers compared as numbers (see :func:`answer_changes`).
    """
    try:
        locked = _locked(case)
        case_type = case_type_of(locked)
        if locked.owner_id != user.id:
            raise CaseRefused(gettext("Only the person who opened the case may edit it."))
        if case_type is None or not case_type.workflow.is_editable(locked.status):
            raise CaseRefused(
                gettext(
                    "The case cannot be edited while it is “%(state)s”.",
                    state=state_label(locked),
                )
            )
        changes = answer_changes(locked.data, answers, decimal_fields)
        if not changes:
            db.session.rollback()
            return EditResult(locked, {})
        # the case keeps the form it was filed with (form_key, form_version): never changed
        locked.data = {**locked.data, **answers}
        locked.updated_at = utcnow()
        db.session.add(
            CaseHistory(
                case=locked,
                actor=user,
                transition=EDITED,
                from_state=locked.status,
                to_state=locked.status,
                comment="",
                changes=changes,
            )
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return EditResult(locked, changes)


def withdraw_case(case: Case, user, comment: str = "") -> Case:
    """The owner withdraws the case to the workflow's withdrawn state, with the transition
    hooks (the :class:`Transition` is named ``withdraw``), and commits once, or writes
    nothing. History is append-only: a withdrawn case stays, with its history."""
    try:
        locked = _locked(case)
        case_type = case_type_of(locked)
        if locked.owner_id != user.id:
            raise CaseRefused(gettext("Only the person who opened the case may withdraw it."))
        if case_type is None or not case_type.workflow.may_withdraw_from(locked.status):
            raise CaseRefused(
                gettext(
                    "The case cannot be withdrawn while it is “%(state)s”.",
                    state=state_label(locked),
                )
            )
        transition = case_type.workflow.withdrawal(
            locked.status, user.role, gettext("Withdraw the case")
        )
        _record_step(locked, transition, user, clean_comment(comment))
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return locked


# -- corrections by the administrator ---------------------------------------------------------

#: Keys of a correction's ``changes`` for the case's agency (agency codes) and owner
#: (usernames); answers keep their field names (a form field's name has no dot).
AGENCY_CHANGE, OWNER_CHANGE = "case.agency", "case.owner"


def agency_label(agency: Agency) -> str:
    return f"{agency.name} ({agency.code})"


def user_label(user: User) -> str:
    return f"{user.display_name} ({user.username})"


def case_field_change(name: str, old: Any, new: Any) -> tuple[Any, str, str] | None:
    """(label, old, new) of a correction's agency or owner change (:data:`AGENCY_CHANGE`,
    :data:`OWNER_CHANGE`), named as they are today; None for an answer."""
    if name == AGENCY_CHANGE:
        found = db.session.scalars(sa.select(Agency).where(Agency.code.in_([old, new])))
        agencies = {agency.code: agency_label(agency) for agency in found}
        return gettext("Agency"), agencies.get(old, old), agencies.get(new, new)
    if name == OWNER_CHANGE:
        found = db.session.scalars(sa.select(User).where(User.username.in_([old, new])))
        users = {user.username: user_label(user) for user in found}
        return gettext("Owner"), users.get(old, old), users.get(new, new)
    return None


def clean_reason(reason: str | None) -> str:
    """A correction's reason as stored (like :func:`clean_comment`); required."""
    reason = as_stored(reason)
    if not reason:
        raise CaseRefused(
            gettext("Reason: say why the case is corrected. Nothing was saved."), field="reason"
        )
    if len(reason) > COMMENT_MAX_LENGTH:
        raise CaseRefused(
            gettext(
                "Reason: at most %(max)s characters, this one has %(length)s. Nothing was saved.",
                max=f"{COMMENT_MAX_LENGTH:,}",
                length=f"{len(reason):,}",
            ),
            field="reason",
        )
    return reason


@dataclass(frozen=True)
class CorrectionResult:
    """What :func:`correct_case` recorded: ``{field: [old, new]}`` (never empty)."""

    case: Case
    changes: dict[str, list]


def correct_case(
    case: Case,
    user,
    reason: str,
    *,
    agency: Agency | None = None,
    owner: User | None = None,
    answers: Mapping[str, Any] | None = None,
    decimal_fields: Collection[str] = (),
) -> CorrectionResult:
    """An administrator corrects the case's agency, owner and/or answers, in any state, and
    commits once, or writes nothing (:class:`CaseRefused`, naming the field at fault).

    ``answers`` are validated by the case type's form of the case's own version (the
    caller's part, see :meth:`CaseType.case_form` and :meth:`CaseType.data_from`); ``None``
    leaves the answers alone. The reason is required. A new agency or owner: the owner must
    be active and of the case's agency. One history row
    ``correct`` records ``{field: [old, new]}`` -- the agency as :data:`AGENCY_CHANGE`
    (agency codes), the owner as :data:`OWNER_CHANGE` (usernames) -- with the reason as its
    comment; the state does not change and no transition hook runs (a correction is not a
    workflow step). Nothing changed: refused, nothing written.
    """
    try:
        if user.role not in ADMIN_ROLES:
            raise CaseRefused(gettext("Only a system administrator may correct a case."))
        reason = clean_reason(reason)
        locked = _locked(case)
        new_agency = agency if agency is not None else locked.agency
        new_owner = owner if owner is not None else locked.owner
        if new_owner.id != locked.owner_id and not new_owner.active:
            raise CaseRefused(
                gettext("Owner: %(name)s is not an active user.", name=new_owner.display_name),
                field="owner",
            )
        moved = new_agency.id != locked.agency_id or new_owner.id != locked.owner_id
        if moved and new_owner.agency_id != new_agency.id:
            raise CaseRefused(
                gettext(
                    "Owner: %(name)s does not belong to the case's agency %(agency)s.",
                    name=new_owner.display_name,
                    agency=new_agency.name,
                ),
                field="owner",
            )
        changes: dict[str, list] = {}
        if new_agency.id != locked.agency_id:
            changes[AGENCY_CHANGE] = [locked.agency.code, new_agency.code]
        if new_owner.id != locked.owner_id:
            changes[OWNER_CHANGE] = [locked.owner.username, new_owner.username]
        answer_changed = answer_changes(locked.data, answers or {}, decimal_fields)
        changes.update(answer_changed)
        if not changes:
            raise CaseRefused(gettext("Nothing was changed, so nothing was recorded."))
        locked.agency = new_agency
        locked.owner = new_owner
        if answer_changed:
            locked.data = {**locked.data, **answers}
        locked.updated_at = utcnow()
        db.session.add(
            CaseHistory(
                case=locked,
                actor=user,
                transition=CORRECTED,
                from_state=locked.status,
                to_state=locked.status,
                comment=reason,
                changes=changes,
            )
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return CorrectionResult(locked, changes)


# -- demo data ------------------------------------------------------------------------------


def _user_named(username: str) -> User:
    user = db.session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        raise ContractError(f"open_case: unknown user {username!r}")
    return user


def _someone_who_may(transition: Transition, case: Case) -> User:
    """The owner when the owner's role takes ``transition``, else the first active user
    allowed to take it on ``case`` (in scope; for a decision, one who took no other part)."""
    if case.owner.role == transition.role and case.owner.active and not transition.decides:
        return case.owner
    query = sa.select(User).where(User.role == transition.role, User.active.is_(True))
    candidates = db.session.scalars(query.order_by(User.id)).all()
    user = next(
        (
            candidate
            for candidate in candidates
            if in_agency_scope(candidate, case)
            and not (transition.decides and _took_another_part_in(candidate, case))
        ),
        None,
    )
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
    is taken by the owner when the owner's role takes it, else by the first user whose role
    (and agency) allows it. Transitions run the full checks and hooks. Nothing is
    committed: the demo loader's transaction decides.
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
    case = create_case(case_type, agency, _user_named(owner_username), data)
    for index, name in enumerate(transitions):
        transition = case_type.workflow.transition(case.status, name)
        if actor_usernames:
            actor = _user_named(actor_usernames[index])
        else:
            actor = _someone_who_may(transition, case)
        comment = OPEN_CASE_COMMENT if transition.comment_required else ""
        take_transition(case, name, actor, comment)
    return case


# -- lists: inbox and search ----------------------------------------------------------------


def _actionable_by(user) -> sa.ColumnElement[bool]:
    """Cases in a state where the user's role has a transition (guards asked later)."""
    actionable = []
    for case_type in current_host().case_types:
        states = sorted(case_type.workflow.states_where_acts(user.role))
        if states:
            actionable.append(sa.and_(Case.type_key == case_type.key, Case.status.in_(states)))
    can_act = sa.or_(*actionable) if actionable else sa.false()
    return sa.and_(can_act, in_scope(user))


#: Cases per inbox section and page.
INBOX_PER_PAGE = 50


@dataclass(frozen=True)
class CasePage:
    """One page of cases: the search's, or an inbox section's; how many there are in all."""

    cases: list[Case]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def first(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.total else 0

    @property
    def last(self) -> int:
        return min(self.total, self.page * self.per_page)


#: A page of the case search; an inbox section is the same kind of page.
SearchPage = InboxSection = CasePage


def _taipei_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=TAIPEI)


def _offered_condition(user) -> sa.ColumnElement[bool]:
    """SQL: where every transition of the user's role from the case's state is a decision,
    the user took no other part in the case (separation of duties, as :func:`_offered`)."""
    decisions_only = []
    for case_type in current_host().case_types:
        for state in sorted(case_type.workflow.states_where_acts(user.role)):
            own = [t for t in case_type.workflow.transitions_from(state) if t.role == user.role]
            if own and all(t.decides for t in own):
                decisions_only.append(sa.and_(Case.type_key == case_type.key, Case.status == state))
    if not decisions_only:
        return sa.true()
    return sa.or_(sa.not_(sa.or_(*decisions_only)), sa.not_(took_another_part(user)))


def _inbox_page(user, condition, page: int, per_page: int, with_barred: bool):
    total = sa.func.count().over().label("total")
    columns = [Case, took_another_part(user), total] if with_barred else [Case, total]
    rows = db.session.execute(
        sa.select(*columns)
        .where(condition)
        .options(joinedload(Case.agency), joinedload(Case.owner))
        .order_by(Case.updated_at.desc(), Case.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return rows, (rows[0].total if rows else 0)


def inbox(
    user, to_act_page: int = 1, owned_page: int = 1, per_page: int = INBOX_PER_PAGE
) -> tuple[InboxSection, InboxSection]:
    """(a page of the cases ``user`` can act on now, a page of the cases ``user`` owns),
    newest first, each with its total.

    One query per section whatever the number of cases (the total is a window count of the
    same statement): the actionable (type, state) pairs come from the workflows, the reading
    rule and the separation of duties are part of the statement, agency and owner are
    loaded with it. Guards are then asked per case of the page (plug-ins keep them cheap);
    a case whose every guard refuses is left out of the page but still counted. A page
    beyond the last one is empty (its total then reads 0).
    """
    rows, to_act_total = _inbox_page(
        user,
        sa.and_(_actionable_by(user), readable_by(user), _offered_condition(user)),
        to_act_page,
        per_page,
        with_barred=True,
    )
    to_act = [row[0] for row in rows if _offered(user, row[0], bool(row[1]))]
    rows, owned_total = _inbox_page(
        user, Case.owner_id == user.id, owned_page, per_page, with_barred=False
    )
    return (
        InboxSection(to_act, to_act_total, to_act_page, per_page),
        InboxSection([row[0] for row in rows], owned_total, owned_page, per_page),
    )


@dataclass(frozen=True)
class SearchFilters:
    """What the case search asks for; ``None`` / empty means "any"."""

    type_key: str | None = None
    state: str | None = None
    agency_id: int | None = None
    opened_from: dt.date | None = None
    opened_to: dt.date | None = None
    text: str = ""
    acted_only: bool = False


def search_cases(user, filters: SearchFilters, page: int = 1, per_page: int = 25) -> SearchPage:
    """The cases ``user`` may read that match ``filters``, newest first, one page.

    Two queries whatever the number of cases (the count, then the page with agency and
    owner): the reading rule is part of the SQL statement. Dates are Taipei days.
    """
    conditions = [readable_by(user)]
    if filters.type_key:
        conditions.append(Case.type_key == filters.type_key)
    if filters.state:
        conditions.append(Case.status == filters.state)
    if filters.agency_id is not None:
        conditions.append(Case.agency_id == filters.agency_id)
    if filters.opened_from:
        conditions.append(Case.created_at >= _taipei_midnight(filters.opened_from))
    if filters.opened_to:
        next_day = filters.opened_to + dt.timedelta(days=1)
        conditions.append(Case.created_at < _taipei_midnight(next_day))
    text = filters.text.strip()
    if text:
        matches = [Case.search_text.contains(text.lower(), autoescape=True)]
        if user.role in STATUS_ONLY_ROLES:  # the answers they may not read are not searched
            matches = [sa.and_(Case.owner_id == user.id, *matches)]
        number = text.removeprefix("#").strip()
        if number.isascii() and number.isdigit() and len(number) < 10:
            matches.append(Case.id == int(number))
        conditions.append(sa.or_(*matches))
    if filters.acted_only:
        conditions.append(
            sa.select(CaseHistory.id)
            .where(CaseHistory.case_id == Case.id, CaseHistory.actor_id == user.id)
            .exists()
        )
    where = sa.and_(*conditions)
    total = db.session.scalar(sa.select(sa.func.count(Case.id)).where(where))
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    cases = db.session.scalars(
        sa.select(Case)
        .where(where)
        .options(joinedload(Case.agency), joinedload(Case.owner))
        .order_by(Case.updated_at.desc(), Case.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return SearchPage(list(cases), total, page, per_page)
