"""Administrators' effective-dated changes of rule parameters and of the base profile.

:func:`record_change` validates and stores one change (nothing is stored when anything is
wrong); :func:`parameter_overview` gathers what the parameter page and
``flask appgov policy show`` print: rule ID, default, value in force, pending changes and
history of every parameter.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from ..clock import today
from ..i18n import _, _l
from ..models import BASE_PROFILE, ParameterChange
from .manager import check_profile, policy_with_layer
from .parameters import PARAMETERS, Parameter, parameter

BASE_PROFILE_SPEC = Parameter(
    name=BASE_PROFILE,
    rule="rules.md",
    unit=_l("profile"),
    label=_l("Base city profile"),
    default=None,
    normalise=check_profile,
)


def spec_of(name: str) -> Parameter:
    return BASE_PROFILE_SPEC if name == BASE_PROFILE else parameter(name)


def parse_value(text: str) -> Any:
    """An administrator's typed value: JSON (``3.8``, ``[[0, 25], ...]``, ``true``), else
    the trimmed text itself (``kaohsiung``)."""
    text = (text or "").strip()
    if not text:
        raise ValueError(_("the new value is empty"))
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def as_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def record_change(
    state, name: str, value: Any, effective_from: dt.date, reason: str, changed_by: str
) -> ParameterChange:
    """Validate and add one change to the session (the caller commits).

    Raises ``ValueError`` naming the problem; then nothing has been added.
    """
    spec = spec_of(name)
    if isinstance(effective_from, dt.datetime) or not isinstance(effective_from, dt.date):
        raise ValueError(_("the effective date %(value)r is not a date", value=effective_from))
    reason = (reason or "").strip()
    if not reason:
        raise ValueError(_("a change needs a reason"))
    if not changed_by:
        raise ValueError(_("a change needs the name of who made it"))
    if isinstance(value, float):
        value = str(value)  # keep decimals exact: 3.8, not 3.7999999999999998
    spec.normalise(value)
    previous = current_value(state, name, effective_from)
    change = ParameterChange(
        name=name,
        value=value,
        previous_value=previous,
        effective_from=effective_from,
        reason=reason,
        changed_by=changed_by,
    )
    state.session.add(change)
    state.session.flush()
    return change


def current_value(state, name: str, as_of: dt.date) -> Any:
    """The stored value of ``name`` in force on ``as_of`` (database included)."""
    policy = state.policy(as_of=as_of)
    return policy.profile if name == BASE_PROFILE else policy.raw_param(name, as_of)


@dataclass
class ParameterRow:
    spec: Parameter
    default: Any
    current: Any
    pending: list[ParameterChange] = field(default_factory=list)
    history: list[ParameterChange] = field(default_factory=list)


def parameter_overview(state, as_of: dt.date | None = None) -> list[ParameterRow]:
    """Every parameter (the base profile first) as of ``as_of`` (default today)."""
    as_of = as_of or today()
    policy = state.policy(as_of=as_of)
    # the code values (defaults, city module, hook packages) of the profile in force
    code = policy_with_layer(policy.profile, state.policy_modules, as_of, None)
    changes = state.session.scalars(
        sa.select(ParameterChange).order_by(
            ParameterChange.effective_from.desc(), ParameterChange.id.desc()
        )
    ).all()
    by_name: dict[str, list[ParameterChange]] = {}
    for change in changes:
        by_name.setdefault(change.name, []).append(change)
    rows = [ParameterRow(BASE_PROFILE_SPEC, state.profile, policy.profile)]
    rows += [
        ParameterRow(spec, code.raw_param(name), policy.raw_param(name))
        for name, spec in PARAMETERS.items()
    ]
    for row in rows:
        row.history = by_name.get(row.spec.name, [])
        row.pending = [c for c in row.history if c.effective_from > as_of]
    return rows


__all__ = ["parameter_overview", "parse_value", "record_change"]
