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
    transition only while it answers true (a rule that depends on the policy in force, e.g.
    KH-EVAL-2's escalation to the mayor).
    """

    name: str
    source: str
    target: str
    role: str
    label: Any
    comment_required: bool = False
    guard: Callable[[Any], bool] | None = None

    def available(self, case) -> bool:
        return self.guard is None or bool(self.guard(case))


@dataclass(frozen=True)
class Workflow:
    """States (key -> label), the initial state and the allowed transitions."""

    initial: str
    states: Mapping[str, Any]
    transitions: tuple[Transition, ...]
    final_states: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self):
        if self.initial not in self.states:
            raise ContractError(f"initial state {self.initial!r} is not a declared state")
        seen = set()
        for t in self.transitions:
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


@dataclass(frozen=True)
class CaseType:
    """A kind of case a plug-in contributes.

    ``form`` is a zero-argument callable returning a WTForms form *instance* bound to the
    current request (a form class works). ``creator_role`` may open new cases of this type.
    ``form_version`` is stored with each case so a later edit of the form does not change
    the meaning of old cases.
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
