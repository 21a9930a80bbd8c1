"""Administrators' effective-dated changes of rule parameters and of the base profile.

:func:`record_change` validates and stores one change (nothing is stored when anything is
wrong): the value must pass the parameter's validator, differ from the value in force on
its effective date, and a change dated before today (Taipei) needs ``confirm_retroactive``.
It first takes the parameter's write lock (:func:`lock_parameter`), so two administrators
changing one parameter at the same moment are serialised: the later one's
``previous_value`` and ``previous_hash`` are those of the change committed a moment before.
:func:`parameter_overview` gathers what the parameter pages and ``flask appgov policy show``
print: rule ID, default, value in force, pending changes and history of every parameter.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from .. import safe_input
from ..audit import chain_hash
from ..clock import today
from ..db import utcnow, write_lock
from ..i18n import _, _l, format_date, local_datetime
from .manager import PROFILES, check_profile, policy_with_layer
from .models import BASE_PROFILE, ParameterChange
from .parameters import (
    PARAMETERS,
    PROFILE,
    Parameter,
    ParameterValueError,
    parameter,
    shown,
)
from .rulebook import profile_label


def _base_profile(value: Any) -> str:
    """The base profile: one of ``manager.PROFILES``, refused in the user's language."""
    try:
        return check_profile(value)
    except (ValueError, TypeError):
        raise ParameterValueError(
            _(
                "%(what)s: unknown profile “%(value)s”; known: %(known)s",
                what=str(BASE_PROFILE_SPEC.label),
                value=shown(value),
                known=", ".join(f"{p} ({profile_label(p)})" for p in PROFILES),
            )
        ) from None


BASE_PROFILE_SPEC = Parameter(
    name=BASE_PROFILE,
    rule="rules.md",
    unit=_l("profile"),
    label=_l("Base city profile"),
    default=None,
    normalise=_base_profile,
    kind=PROFILE,
)


class ChangeRefused(ValueError):
    """A change refused for a reason other than its value; ``field`` names the form field
    it concerns (``effective_from``, ``reason``, ``confirm_retroactive``, ``value``)."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


def spec_of(name: str) -> Parameter:
    return BASE_PROFILE_SPEC if name == BASE_PROFILE else parameter(name)


#: Limits of a typed parameter value (safe_input.loads: characters, nesting depth).
VALUE_MAX_CHARS = 10_000
VALUE_MAX_DEPTH = 8


def parse_value(text: str) -> Any:
    """An administrator's typed value: JSON (``3.8``, ``[[0, 25], ...]``, ``true``), else
    the trimmed text itself (``kaohsiung``). At most :data:`VALUE_MAX_CHARS` characters
    nested :data:`VALUE_MAX_DEPTH` deep (``safe_input.InputTooLarge``, a ``ValueError``)."""
    text = (text or "").strip()
    if not text:
        raise ValueError(_("the new value is empty"))
    try:
        return safe_input.loads(text, max_chars=VALUE_MAX_CHARS, max_depth=VALUE_MAX_DEPTH)
    except json.JSONDecodeError:
        return text


def as_text(value: Any) -> str:
    """The stored (JSON) form of a value: for administrators and the command line."""
    return json.dumps(value, ensure_ascii=False)


def is_retroactive(change: ParameterChange) -> bool:
    """A change that took effect before the (Taipei) day it was recorded: it altered the
    rules already applied to past cases. Derived, never stored."""
    return change.effective_from < local_datetime(change.changed_at).date()


def needs_confirmation(effective_from: dt.date) -> bool:
    """A change effective before today (Taipei) must be confirmed as retroactive."""
    return effective_from < today()


def retroactive_refusal(effective_from: dt.date) -> ChangeRefused:
    """The refusal of an unconfirmed change effective before today."""
    return ChangeRefused(
        _(
            "%(day)s is before today: this change applies retroactively and alters past "
            "evaluations. Tick the confirmation to record it.",
            day=format_date(effective_from),
        ),
        "confirm_retroactive",
    )


def record_change(
    state,
    name: str,
    value: Any,
    effective_from: dt.date,
    reason: str,
    changed_by: str,
    *,
    confirm_retroactive: bool = False,
) -> ParameterChange:
    """Validate and add one change to the session (the caller commits).

    Raises ``ValueError`` naming the problem (a :class:`ParameterValueError` for the value,
    a :class:`ChangeRefused` otherwise); then nothing has been added.
    """
    spec = spec_of(name)
    if isinstance(effective_from, dt.datetime) or not isinstance(effective_from, dt.date):
        raise ChangeRefused(
            _("the effective date %(value)r is not a date", value=effective_from),
            "effective_from",
        )
    reason = (reason or "").strip()
    if not reason:
        raise ChangeRefused(_("a change needs a reason"), "reason")
    if not changed_by:
        raise ChangeRefused(_("a change needs the name of who made it"), "value")
    if isinstance(value, float):
        value = str(value)  # keep decimals exact: 3.8, not 3.7999999999999998
    new = spec.normalise(value)
    # Serialise per parameter before reading its predecessor (issue 8: without the lock,
    # two changes recorded at the same moment both followed the same predecessor).
    lock_parameter(state.session, name)
    previous = current_value(state, name, effective_from)
    if previous is not None and spec.normalise(previous) == new:
        raise ChangeRefused(
            _(
                "No change: %(label)s is already this value on %(day)s; nothing was saved.",
                label=spec.label,
                day=format_date(effective_from),
            ),
            "value",
        )
    if needs_confirmation(effective_from) and not confirm_retroactive:
        raise retroactive_refusal(effective_from)
    change = ParameterChange(
        name=name,
        value=value,
        previous_value=previous,
        effective_from=effective_from,
        reason=reason,
        changed_by=changed_by,
        changed_at=utcnow(),
        previous_hash=last_hash(state.session, name),
    )
    change.row_hash = chain_hash(change.previous_hash, change.content())
    state.session.add(change)
    state.session.flush()
    return change


def lock_parameter(session, name: str) -> None:
    """Hold the write lock of parameter ``name`` until the session's transaction ends.

    PostgreSQL: ``pg_advisory_xact_lock`` keyed on the name (other parameters are not
    held up; the predecessor is read afterwards, with the read-committed isolation
    PostgreSQL defaults to). SQLite, which has one writer at a time anyway: the
    transaction is begun ``IMMEDIATE``, taking the database's write lock now rather than at
    the insert, so no other change can commit between the read of the predecessor and this
    insert. (A transaction that already wrote holds that lock already; a host that begins
    SQLite transactions itself, with the SQLAlchemy "BEGIN" recipe, should begin them
    ``IMMEDIATE``.)
    """
    write_lock(session.connection(), ParameterChange.__tablename__, name)


def last_hash(session, name: str) -> str | None:
    """The ``row_hash`` of the last recorded change of ``name`` (the chain's head)."""
    return session.scalar(
        sa.select(ParameterChange.row_hash)
        .where(ParameterChange.name == name)
        .order_by(ParameterChange.id.desc())
        .limit(1)
    )


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


__all__ = [
    "BASE_PROFILE_SPEC",
    "ChangeRefused",
    "as_text",
    "is_retroactive",
    "last_hash",
    "lock_parameter",
    "needs_confirmation",
    "parameter_overview",
    "parse_value",
    "record_change",
    "retroactive_refusal",
    "spec_of",
]
