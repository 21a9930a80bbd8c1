"""Data types of the case-host contract.

A host case-management app and its plug-ins exchange these plain objects through the
hooks in :mod:`appgov_plugin.host.hookspecs`. They carry no database state: the host
stores cases its own way and only promises the attributes listed in :class:`CaseLike`
and :class:`UserLike`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

import wtforms

#: Role names every host understands. A transition names one of them as the role allowed
#: to take it. Hosts map their own roles onto these.
STANDARD_ROLES: tuple[str, ...] = (
    "agency_staff",  # 機關承辦人
    "agency_head",  # 機關首長
    "reviewer",  # 主管機關審查人員 (Tainan 智慧發展中心, Kaohsiung 資訊中心)
    "mayor",  # 市長或其授權人員
    "it_department",  # 資訊局 / 資訊中心
    "helpdesk",  # 服務台
    "sysadmin",  # 系統管理者
)


#: History steps the host records itself, never the name of a workflow transition: a case
#: was opened, its owner edited its answers, its owner withdrew it, an administrator
#: corrected it (agency, owner or answers, with a reason).
OPENED, EDITED, WITHDRAWN, CORRECTED = "open", "edit", "withdraw", "correct"
HOST_STEPS: frozenset[str] = frozenset({OPENED, EDITED, WITHDRAWN, CORRECTED})


class ContractError(ValueError):
    """A plug-in broke the host contract (duplicate key, bad workflow...)."""


class CaseLike(Protocol):
    """What a host's case record offers to hooks."""

    id: Any
    type_key: str
    status: str
    agency_code: str
    data: Mapping[str, Any]


class UserLike(Protocol):
    """What a host's user offers to hooks."""

    username: str
    role: str
    agency_code: str | None


@dataclass(frozen=True)
class Transition:
    """One edge of a workflow: ``source --name--> target``, taken by ``role`` only.

    ``guard``, when given, is asked with the case: the host offers and accepts the
    transition only while it answers true (a rule that depends on the policy in force or on
    the case's answers, e.g. KH-EVAL-2's escalation to the mayor, TN-EVAL-3's ground (4)).
    ``guard_message`` is what the host says when someone asks for the transition while the
    guard answers false (default: a generic "not available for this case").

    ``decides`` marks a decision on the case (approve, return, reject...): separation of
    duties, the host never lets a person decide a case they opened, edited or submitted, or
    took any step on in another role (the case's history says who did what; a later role
    change does not lift it).
    """

    name: str
    source: str
    target: str
    role: str
    label: Any
    comment_required: bool = False
    guard: Callable[[Any], bool] | None = None
    guard_message: Any = None
    decides: bool = False

    def available(self, case) -> bool:
        return self.guard is None or bool(self.guard(case))


@dataclass(frozen=True)
class Workflow:
    """States (key -> label), the initial state and the allowed transitions.

    The case's owner (the user who opened it, whatever their role) has two more steps:

    * ``editable_states`` -- states in which the owner edits the case's answers with the
      case type's form (default: the initial state only; ``frozenset()``: never);
    * ``withdrawable_states`` -- states from which the owner may withdraw the case to
      ``withdrawn_state``, a final state of the workflow (default: none). History is
      append-only, so withdrawing is how an owner discards a case, a draft included.

    No transition may use a name of :data:`HOST_STEPS` (the host's own history steps).
    """

    initial: str
    states: Mapping[str, Any]
    transitions: tuple[Transition, ...]
    final_states: frozenset[str] = field(default_factory=frozenset)
    editable_states: frozenset[str] | None = None
    withdrawable_states: frozenset[str] = field(default_factory=frozenset)
    withdrawn_state: str | None = None

    def __post_init__(self):
        if self.initial not in self.states:
            raise ContractError(f"initial state {self.initial!r} is not a declared state")
        if self.editable_states is None:
            object.__setattr__(self, "editable_states", frozenset({self.initial}))
        for kind in ("final_states", "editable_states", "withdrawable_states"):
            states = frozenset(getattr(self, kind))
            object.__setattr__(self, kind, states)
            undeclared = sorted(states - set(self.states))
            if undeclared:
                raise ContractError(f"{kind} names undeclared state(s) {', '.join(undeclared)}")
        for kind in ("editable_states", "withdrawable_states"):
            final = sorted(getattr(self, kind) & self.final_states)
            if final:
                raise ContractError(f"{kind} names final state(s) {', '.join(final)}")
        if self.withdrawable_states and self.withdrawn_state is None:
            raise ContractError("withdrawable_states need a withdrawn_state")
        if self.withdrawn_state is not None and self.withdrawn_state not in self.final_states:
            raise ContractError(
                f"withdrawn_state {self.withdrawn_state!r} must be one of the final states"
            )
        seen = set()
        for t in self.transitions:
            if t.name in HOST_STEPS:
                raise ContractError(
                    f"transition name {t.name!r} is reserved for the host's own history steps "
                    f"({', '.join(sorted(HOST_STEPS))})"
                )
            for end in (t.source, t.target):
                if end not in self.states:
                    raise ContractError(f"transition {t.name!r} uses undeclared state {end!r}")
            if t.role not in STANDARD_ROLES:
                raise ContractError(
                    f"transition {t.name!r} names unknown role {t.role!r}; "
                    f"known roles: {', '.join(STANDARD_ROLES)}"
                )
            if (t.source, t.name) in seen:
                raise ContractError(f"transition {t.name!r} declared twice from {t.source!r}")
            seen.add((t.source, t.name))

    def transitions_from(self, state: str) -> list[Transition]:
        return [t for t in self.transitions if t.source == state]

    def transition(self, state: str, name: str) -> Transition:
        for t in self.transitions:
            if t.source == state and t.name == name:
                return t
        raise ContractError(f"no transition {name!r} from state {state!r}")

    def roles_acting_in(self, state: str) -> set[str]:
        return {t.role for t in self.transitions_from(state)}

    def states_where_acts(self, role: str) -> set[str]:
        """The states in which ``role`` has a transition to take (guards not asked)."""
        return {t.source for t in self.transitions if t.role == role}

    def label_of(self, name: str) -> Any:
        """The label of the transition called ``name`` (from any state), else ``name``."""
        return next((t.label for t in self.transitions if t.name == name), name)

    def is_editable(self, state: str) -> bool:
        """The owner may edit the case's answers in ``state``."""
        return state in self.editable_states

    def may_withdraw_from(self, state: str) -> bool:
        """The owner may withdraw the case from ``state``."""
        return state in self.withdrawable_states

    def withdrawal(self, state: str, role: str, label: Any) -> Transition:
        """The owner's withdrawal from ``state`` as a :class:`Transition` named
        :data:`WITHDRAWN` (what the transition hooks receive); ``role`` is the owner's."""
        if not self.may_withdraw_from(state):
            raise ContractError(f"no withdrawal from state {state!r}")
        return Transition(WITHDRAWN, state, self.withdrawn_state, role, label)


@dataclass(frozen=True)
class CaseType:
    """A kind of case a plug-in contributes.

    ``form`` is a callable returning a WTForms form *instance* bound to the current request
    (a form class works). The host calls ``form()`` for a new case and
    ``form(data=case.data)`` to edit or to display a stored case: the stored answers
    (JSON: dates as ISO text, decimals as text, see :meth:`data_from`) fill the form, and a
    factory may use them to keep every question the case was filed with.
    :meth:`stored_form` makes that call and reads ISO dates and decimals back.
    ``creator_role`` may open new cases of this type. ``form_version`` is stored with each
    case so a later edit of the form does not change the meaning of old cases.
    """

    key: str
    label: Any
    form: Callable[..., Any]
    workflow: Workflow
    creator_role: str = "agency_staff"
    description: Any = ""
    summary: Callable[[Mapping[str, Any]], str] | None = None
    form_version: int | None = None

    def data_from(self, form) -> dict[str, Any]:
        """A validated form's answers as JSON-compatible data (dates ISO, decimals as str).

        Buttons and the CSRF token are not answers and are left out.
        """
        data = {}
        for form_field in form:
            if form_field.type in ("SubmitField", "CSRFTokenField"):
                continue
            name, value = form_field.name, form_field.data
            if isinstance(value, dt.date | dt.datetime):
                value = value.isoformat()
            elif isinstance(value, Decimal):
                value = str(value)
            data[name] = value
        return data

    def stored_form(self, data: Mapping[str, Any]):
        """``form(data=data)`` for a stored case, with JSON answers turned back into what
        the fields hold (ISO text -> date / datetime, text -> ``Decimal``), except where the
        request itself filled the field (an edit being submitted)."""
        form = self.form(data=dict(data))
        for form_field in form:
            value = form_field.data
            if not isinstance(value, str) or not value or form_field.raw_data:
                continue
            try:
                if isinstance(form_field, wtforms.DateField):
                    form_field.data = dt.date.fromisoformat(value)
                elif isinstance(form_field, wtforms.DateTimeField):
                    form_field.data = dt.datetime.fromisoformat(value)
                elif isinstance(form_field, wtforms.DecimalField):
                    form_field.data = Decimal(value)
            except (ValueError, ArithmeticError):
                pass  # shown as stored; validation names the field if it is submitted
        return form

    def summarize(self, data: Mapping[str, Any]) -> str:
        return self.summary(data) if self.summary else ""


class CaseTypeRegistry:
    """Case types by key; a key registered twice is a contract error naming both plug-ins."""

    def __init__(self):
        self._types: dict[str, CaseType] = {}
        self._owners: dict[str, str] = {}

    def register(self, case_type: CaseType, owner: str) -> None:
        if not isinstance(case_type, CaseType):
            raise ContractError(f"{owner} registered {case_type!r}, which is not a CaseType")
        if case_type.key in self._types:
            raise ContractError(
                f"case type {case_type.key!r} is registered twice: "
                f"by {self._owners[case_type.key]} and by {owner}"
            )
        self._types[case_type.key] = case_type
        self._owners[case_type.key] = owner

    def __getitem__(self, key: str) -> CaseType:
        try:
            return self._types[key]
        except KeyError:
            raise KeyError(f"unknown case type {key!r}") from None

    def __contains__(self, key: str) -> bool:
        return key in self._types

    def __iter__(self):
        return iter(self._types.values())

    def __len__(self) -> int:
        return len(self._types)

    def owner(self, key: str) -> str:
        return self._owners[key]
