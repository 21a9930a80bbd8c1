"""Conditions of the declarative forms and the policy checks they may call.

- ``shown_when`` / ``required_when``: ``{field, in}`` on another field's answer;
- ``required_by``: a policy check that answers yes or no (:data:`CHECKS`);
- ``after``: a date at least N days / calendar months (TIME-4) / a policy deadline after
  another date, ``unless`` a condition holds (TN-DEL-2);
- ``at_least``: a number's lower bound computed by a policy check (KH-KPI-1);
- form-level ``at_least_one`` and ``total_length`` (KH-KPI-3).

Every check goes through the policy facade (:class:`appgov_plugin.policy.facade.Policy`), so
a city's hooks decide, as everywhere in appgov.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from wtforms import validators

from appgov_plugin.forms.fields import plain_number
from appgov_plugin.i18n import _, current_locale, format_date, format_number
from appgov_plugin.policy.calendar import add_months

# -- policy checks ------------------------------------------------------------------------


def _count(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and re.fullmatch(r"[0-9]+", plain_number(value)):
        number = int(plain_number(value))
    else:
        raise ValueError("a whole number >= 0")
    if number < 0:
        raise ValueError("a whole number >= 0")
    return number


def _rating(value: Any) -> Decimal:
    try:
        number = Decimal(plain_number(str(value))) if not isinstance(value, bool) else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or not 0 <= number <= 5:
        raise ValueError("a rating from 0 to 5")
    return number


def _version(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+", value.strip()):
        raise ValueError("a version MAJOR.MINOR.PATCH")
    return value.strip()


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, list | tuple):  # a ticked multichoice
        return bool(value)
    text = str(value).strip().lower()
    if text in ("1", "true", "y", "yes", "on"):
        return True
    if text in ("0", "false", "n", "no", "off", ""):
        return False
    raise ValueError("true or false")


@dataclass(frozen=True)
class PolicyCheck:
    """A check a definition may name: ``params`` (every parameter), ``needed`` (those a
    definition must map), ``readers`` (text/answer -> value, ``ValueError`` when bad),
    ``returns`` ``"bool"`` (conditions) or ``"number"`` (``at_least``, ``computed``)."""

    name: str
    params: tuple[str, ...]
    needed: tuple[str, ...]
    readers: dict[str, Callable[[Any], Any]]
    returns: str
    call: Callable[..., Any]

    def read(self, args: dict[str, Any]) -> dict[str, Any]:
        """The arguments read for the call; ``ValueError(param)`` names the bad one and
        ``LookupError(param)`` a needed one that is empty."""
        values = {}
        for param in self.params:
            raw = args.get(param)
            if raw is None or raw == "" or raw == []:
                if param in self.needed:
                    raise LookupError(param)
                continue
            try:
                values[param] = self.readers[param](raw)
            except (ValueError, TypeError, InvalidOperation):
                raise ValueError(param) from None
        return values

    def __call__(self, policy, args: dict[str, Any]) -> Any:
        return self.call(policy, **self.read(args))


def _needs_security_report(policy, new, previous=None, relisting_after_security_takedown=False):
    # rule KH-VER-1, KH-SEC-1
    return policy.needs_security_report(previous, new, relisting_after_security_takedown)


def _rating_fails(policy, ios=None, android=None, ios_count=None, android_count=None):
    # rule KH-KPI-2: fails unless the combined rating is above the bar
    if ios is None and android is None:
        raise LookupError("ios")
    return not policy.rating_passes(
        ios=None if ios is None else (ios, ios_count),
        android=None if android is None else (android, android_count),
    )


def _downloads_below_target(policy, population, downloads):
    # rule KH-KPI-1, KH-KPI-3
    return downloads < policy.download_target(population)


def _download_target(policy, population):
    # rule KH-KPI-1
    return policy.download_target(population)


CHECKS: dict[str, PolicyCheck] = {
    c.name: c
    for c in (
        PolicyCheck(
            "needs_security_report",
            ("previous", "new", "relisting_after_security_takedown"),
            ("new",),
            {"previous": _version, "new": _version, "relisting_after_security_takedown": _flag},
            "bool",
            _needs_security_report,
        ),
        PolicyCheck(
            "rating_fails",
            ("ios", "android", "ios_count", "android_count"),
            (),
            {"ios": _rating, "android": _rating, "ios_count": _count, "android_count": _count},
            "bool",
            _rating_fails,
        ),
        PolicyCheck(
            "downloads_below_target",
            ("population", "downloads"),
            ("population", "downloads"),
            {"population": _count, "downloads": _count},
            "bool",
            _downloads_below_target,
        ),
        PolicyCheck(
            "download_target",
            ("population",),
            ("population",),
            {"population": _count},
            "number",
            _download_target,
        ),
    )
}


def run_check(name: str, policy, args: dict[str, Any]) -> Any:
    """Check ``name`` on ``args`` (answers or query text): its value, or ``None`` when a
    needed argument is empty or an argument cannot be read (the fields say why)."""
    try:
        return CHECKS[name](policy, args)
    except (LookupError, ValueError):
        return None


# -- answers of the form ------------------------------------------------------------------


def form_policy(form):
    """The policy a form was built for (``form_for``), else this deployment's."""
    policy = getattr(form, "_appgov_policy", None)
    if policy is None:
        from appgov_plugin.state import get_state

        policy = get_state().policy()
        form._appgov_policy = policy
    return policy


def answer(form, name: str) -> Any:
    """Field ``name``'s answer, ``None`` when it is not in the form or not shown."""
    if name not in form._fields:
        return None
    hidden = getattr(form, "_appgov_hidden", None)
    if hidden is not None and name in hidden:
        return None
    return form._fields[name].data


@dataclass(frozen=True)
class When:
    """``{field, in}``: true when the field's answer is one of the values (a multichoice:
    one of them ticked; a tick box: ``in = [true]``). A field not asked or not shown has no
    answer: the condition is false."""

    field: str
    values: tuple

    @classmethod
    def of(cls, spec: dict) -> When:
        return cls(spec["field"], tuple(spec["in"]))

    def holds(self, form) -> bool:
        value = answer(form, self.field)
        if isinstance(value, list | tuple):
            return any(v in self.values for v in value)
        if value is None or value == "":
            return False
        if isinstance(value, bool):
            return value in self.values
        return value in self.values or str(value) in {str(v) for v in self.values}

    def as_json(self) -> dict:
        return {"field": self.field, "in": list(self.values)}


@dataclass(frozen=True)
class RequiredBy:
    """``{check, args}``: true when the policy check says so; false when a needed argument
    is empty or unreadable."""

    check: str
    args: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, spec: dict) -> RequiredBy:
        return cls(spec["check"], tuple(sorted(spec.get("args", {}).items())))

    def value(self, form) -> Any:
        args = {param: answer(form, name) for param, name in self.args}
        return run_check(self.check, form_policy(form), args)

    def holds(self, form) -> bool:
        return bool(self.value(form))


#: WTForms' own message (its catalogs translate it, not appgov's).
REQUIRED = "This field is required."


def _blank(field) -> bool:
    if field.raw_data:
        return not any(str(v).strip() for v in field.raw_data)
    data = field.data
    return data is None or (isinstance(data, str) and not data.strip()) or data == []


class Requirement:
    """Whether the field must be answered, decided when the form is validated.

    ``required`` (the spec's), ``own`` (the field's ``required_when`` / ``required_by``:
    required exactly when they hold) and ``section`` (the section's: the field keeps
    ``required`` only while they hold). When not required, an empty field stops validation
    (like ``Optional``); a text of blanks is no answer; ``0`` is.
    """

    def __init__(self, kind: str, required: bool, own=(), section=()):
        self.kind, self.required = kind, required
        self.own, self.section = tuple(own), tuple(section)
        # flags.required (the HTML "required"): only when required without condition
        flagged = self.static and kind not in ("boolean", "multichoice", "rows")
        self.field_flags = {"required": True} if flagged else {}

    @property
    def static(self) -> bool:
        return self.required and not self.own and not self.section

    def now(self, form) -> bool:
        base = all(c.holds(form) for c in self.own) if self.own else self.required
        return base and all(c.holds(form) for c in self.section)

    def active(self, form) -> bool:
        """The section's and the field's conditions hold (a row group's ``min_rows``)."""
        return all(c.holds(form) for c in self.section) and all(c.holds(form) for c in self.own)

    def __call__(self, form, field):
        if self.kind == "boolean":
            return  # an unticked box is an answer (False); must_be asks for a tick
        if not self.now(form):
            if _blank(field):
                field.errors[:] = []
                raise validators.StopValidation()
            return
        if self.kind == "multichoice":
            if not field.data:
                raise validators.StopValidation(_("Tick at least one."))
        elif self.kind in ("string", "text", "email", "url"):
            validators.DataRequired()(form, field)
        elif self.kind == "file":
            if not field.data:
                raise validators.StopValidation(field.gettext(REQUIRED))
        elif _blank(field):  # typed but unreadable: the field's own error says why
            raise validators.StopValidation(field.gettext(REQUIRED))


class AtLeast:
    """``at_least``: the number is at least what the policy check computes (KH-KPI-1)."""

    def __init__(self, spec: dict):
        self.condition = RequiredBy.of(spec)

    def __call__(self, form, field):
        if field.data is None:
            return
        bound = self.condition.value(form)
        if isinstance(bound, int | Decimal) and field.data < bound:
            raise validators.ValidationError(
                _("Enter at least %(minimum)s.", minimum=format_number(bound))
            )


def after_date(policy, spec: dict, start: dt.date) -> dt.date:
    """The earliest date allowed by ``after`` for ``start`` (TIME-4 for months)."""
    if "days" in spec:
        return start + dt.timedelta(days=spec["days"])
    if "months" in spec:
        return add_months(start, spec["months"])  # rule TIME-4
    return policy.deadline(spec["deadline"], start)


class After:
    """``after``: this date at least N days / months / the policy's deadline after another
    date field (TN-DEL-2), ``unless`` a condition holds."""

    def __init__(self, spec: dict):
        self.spec = spec
        self.unless = When.of(spec["unless"]) if "unless" in spec else None

    def __call__(self, form, field):
        start = answer(form, self.spec["field"])
        if field.data is None or not isinstance(start, dt.date):
            return
        if self.unless is not None and self.unless.holds(form):
            return
        earliest = after_date(form_policy(form), self.spec, start)
        if field.data < earliest:
            raise validators.ValidationError(
                _(
                    "Choose %(date)s or later (%(other)s: %(start)s).",
                    date=format_date(earliest),
                    other=str(form._fields[self.spec["field"]].label.text),
                    start=format_date(start),
                )
            )


# -- form-level checks --------------------------------------------------------------------


def _labels(form, names) -> str:
    sep = ", " if current_locale() == "en" else "、"
    return sep.join(str(form._fields[n].label.text) for n in names)


def form_check_errors(form, checks) -> list[tuple[str, str]]:
    """(field name, message) of every failed form-level check whose fields are asked."""
    errors = []
    for check in checks:
        names = [n for n in check["fields"] if n in form._fields]
        if not names:
            continue
        hidden = getattr(form, "_appgov_hidden", set())
        shown = [n for n in names if n not in hidden]
        if not shown:
            continue
        message = check.get("message")
        if check["kind"] == "at_least_one":
            if all(_empty(answer(form, n)) for n in shown):
                errors.append(
                    (
                        shown[0],
                        str(message)
                        if message
                        else _("Answer at least one of: %(fields)s.", fields=_labels(form, shown)),
                    )
                )
        else:  # total_length: characters, not bytes
            count = sum(len(answer(form, n) or "") for n in shown)
            low, high = check.get("min_length", 0), check.get("max_length")
            if count < low or (high is not None and count > high):
                text = str(message) if message else None
                if text is None and high is not None:
                    text = _(
                        "%(fields)s together: %(minimum)s to %(maximum)s characters"
                        " (now %(count)s).",
                        fields=_labels(form, shown),
                        minimum=format_number(low),
                        maximum=format_number(high),
                        count=format_number(count),
                    )
                elif text is None:
                    text = _(
                        "%(fields)s together: at least %(minimum)s characters (now %(count)s).",
                        fields=_labels(form, shown),
                        minimum=format_number(low),
                        count=format_number(count),
                    )
                errors.append((shown[0], text))
    return errors


def _empty(value) -> bool:
    return value is None or value == "" or value == [] or value is False


__all__ = [
    "CHECKS",
    "After",
    "AtLeast",
    "PolicyCheck",
    "RequiredBy",
    "Requirement",
    "When",
    "after_date",
    "form_check_errors",
    "run_check",
]
