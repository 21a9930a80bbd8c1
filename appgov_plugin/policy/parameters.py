"""Every numeric or list parameter of the rulebook, with rule ID, unit, label and validator.

Values are plain JSON-compatible data (numbers as ``int`` or decimal strings, lists, dicts)
so the same value can live in a city module, a deployment's hook package or the database.
:func:`normalise` turns a raw value into the form the rules use (``Decimal`` for rates) and
raises ``ValueError`` naming what is wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from ..i18n import _, _l

COURSE_TYPES: tuple[str, ...] = ("admin", "seed", "lecturer", "elearning", "other")  # TP-TRN-1
GRADES: tuple[str, ...] = ("A+", "A", "B", "C", "D", "E")  # TP-GRADE-1
DEADLINE_MODES: tuple[str, ...] = ("working_days", "calendar_days", "months")

#: deadline kind -> rule IDs (policy-api.md)
DEADLINE_KINDS: dict[str, str] = {
    "roster_change": "TP-WG-2, TP-SEED-2",
    "minutes": "TP-WG-3",
    "replacement": "TP-SEED-3",
    "leave_makeup": "TP-TRN-2",
    "plan_review": "KH-KPI-3, TIME-3",
    "delisting_notice": "TN-DEL-2, TIME-4",
}


def _decimal(value: Any, what: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError(_("%(what)s: %(value)r is not a number", what=what, value=value))
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(_("%(what)s: %(value)r is not a number", what=what, value=value)) from None
    if not number.is_finite():
        raise ValueError(_("%(what)s: %(value)r is not a finite number", what=what, value=value))
    return number


def _int(value: Any, what: str, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(_("%(what)s: %(value)r is not a whole number", what=what, value=value))
    if value < minimum:
        raise ValueError(
            _(
                "%(what)s: %(value)r is below the minimum %(minimum)s",
                what=what,
                value=value,
                minimum=minimum,
            )
        )
    return value


def _bool(value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(_("%(what)s: %(value)r is not true or false", what=what, value=value))
    return value


def _positive_int(what):
    return lambda v: _int(v, what, 1)


def _non_negative_int(what):
    return lambda v: _int(v, what, 0)


def _download_bands(value: Any) -> tuple[tuple[int, Decimal], ...]:
    """KH-KPI-1 bands: ``[[lowest population, rate %], ...]`` ascending, first at 0."""
    what = "download_target_bands"
    if not isinstance(value, list | tuple) or not value:
        raise ValueError(
            _("%(what)s: expected a non-empty list of [population, rate] pairs", what=what)
        )
    bands = []
    for band in value:
        if not isinstance(band, list | tuple) or len(band) != 2:
            raise ValueError(
                _("%(what)s: %(band)r is not a [population, rate] pair", what=what, band=band)
            )
        low = _int(band[0], f"{what} population", 0)
        rate = _decimal(band[1], f"{what} rate")
        if not Decimal(0) < rate <= Decimal(100):
            raise ValueError(_("%(what)s: rate %(rate)r is outside 0-100", what=what, rate=band[1]))
        bands.append((low, rate))
    if bands[0][0] != 0:
        raise ValueError(
            _(
                "%(what)s: the first band must start at population 0, not %(low)s",
                what=what,
                low=bands[0][0],
            )
        )
    for (low_a, _rate_a), (low_b, _rate_b) in zip(bands, bands[1:], strict=False):
        if low_b <= low_a:
            raise ValueError(
                _(
                    "%(what)s: bands overlap or are out of order (%(b)s does not follow %(a)s)",
                    what=what,
                    a=low_a,
                    b=low_b,
                )
            )
    return tuple(bands)


def _grade_bands(value: Any) -> tuple[tuple[str, Decimal], ...]:
    """TP-GRADE-1 bands: ``[[grade, lowest score], ...]`` in grade order, descending scores."""
    what = "grade_bands"
    if not isinstance(value, list | tuple) or len(value) != len(GRADES):
        raise ValueError(
            _(
                "%(what)s: expected %(count)s [grade, lowest score] pairs",
                what=what,
                count=len(GRADES),
            )
        )
    bands = []
    for band, grade in zip(value, GRADES, strict=True):
        if not isinstance(band, list | tuple) or len(band) != 2 or band[0] != grade:
            raise ValueError(
                _(
                    "%(what)s: expected grade %(grade)r in this position, got %(band)r",
                    what=what,
                    grade=grade,
                    band=band,
                )
            )
        low = _decimal(band[1], f"{what} {grade}")
        if not Decimal(0) <= low <= Decimal(100):
            raise ValueError(
                _(
                    "%(what)s: lowest score %(low)r of %(grade)s is outside 0-100",
                    what=what,
                    low=band[1],
                    grade=grade,
                )
            )
        bands.append((grade, low))
    if bands[-1][1] != 0:
        raise ValueError(
            _(
                "%(what)s: the lowest grade E must start at 0, not %(low)s",
                what=what,
                low=bands[-1][1],
            )
        )
    for (g_a, low_a), (g_b, low_b) in zip(bands, bands[1:], strict=False):
        if low_b >= low_a:
            raise ValueError(
                _(
                    "%(what)s: grade order is not descending (%(g_b)s at %(low_b)s is not below "
                    "%(g_a)s at %(low_a)s)",
                    what=what,
                    g_a=g_a,
                    low_a=low_a,
                    g_b=g_b,
                    low_b=low_b,
                )
            )
    return tuple(bands)


def _percent_per_course(value: Any) -> dict[str, Decimal]:
    what = "leave_dismissal_percent"
    if not isinstance(value, dict) or set(value) != set(COURSE_TYPES):
        raise ValueError(
            _(
                "%(what)s: expected a percentage for each of %(courses)s",
                what=what,
                courses=", ".join(COURSE_TYPES),
            )
        )
    result = {}
    for course, pct in value.items():
        number = _decimal(pct, f"{what} {course}")
        if not Decimal(0) < number <= Decimal(100):
            raise ValueError(
                _(
                    "%(what)s: %(course)s %(pct)r is outside 0-100",
                    what=what,
                    course=course,
                    pct=pct,
                )
            )
        result[course] = number
    return result


def _deadline(kind: str):
    def validate(value: Any) -> tuple[int, str]:
        what = f"deadline.{kind}"
        if not isinstance(value, dict) or set(value) != {"length", "mode"}:
            raise ValueError(
                _(
                    '%(what)s: expected {"length": N, "mode": ...}, got %(value)r',
                    what=what,
                    value=value,
                )
            )
        if value["mode"] not in DEADLINE_MODES:
            raise ValueError(
                _(
                    "%(what)s: unknown counting mode %(mode)r; known: %(modes)s",
                    what=what,
                    mode=value["mode"],
                    modes=", ".join(DEADLINE_MODES),
                )
            )
        return _int(value["length"], f"{what} length", 1), value["mode"]

    return validate


def _rating(value: Any) -> Decimal:
    number = _decimal(value, "rating_bar")
    if not Decimal(0) <= number <= Decimal(5):
        raise ValueError(_("rating_bar: %(value)r is outside the 0-5 star scale", value=value))
    return number


def _plan_length(value: Any) -> tuple[int, int]:
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise ValueError(
            _("plan_text_length: expected [minimum, maximum], got %(value)r", value=value)
        )
    low = _int(value[0], "plan_text_length minimum", 0)
    high = _int(value[1], "plan_text_length maximum", 1)
    if low > high:
        raise ValueError(
            _("plan_text_length: minimum %(low)s is above maximum %(high)s", low=low, high=high)
        )
    return low, high


@dataclass(frozen=True)
class Parameter:
    """A named rule parameter: ``default`` is the rulebook's value for every profile."""

    name: str
    rule: str
    unit: Any
    label: Any
    default: Any
    normalise: Callable[[Any], Any]


def _p(name, rule, unit, label, default, normalise):
    return Parameter(name, rule, unit, label, default, normalise)


_DEADLINE_LABELS = {
    "roster_change": _l("Deadline to report a roster change"),
    "minutes": _l("Deadline to deliver meeting minutes"),
    "replacement": _l("Deadline to replace an unfit person"),
    "leave_makeup": _l("Deadline to file emergency leave"),
    "plan_review": _l("Deadline to review an improvement plan"),
    "delisting_notice": _l("Notice period before delisting"),
}
_DEADLINE_DEFAULTS = {
    "roster_change": {"length": 3, "mode": "working_days"},
    "minutes": {"length": 5, "mode": "working_days"},
    "replacement": {"length": 10, "mode": "working_days"},
    "leave_makeup": {"length": 7, "mode": "working_days"},
    "plan_review": {"length": 14, "mode": "calendar_days"},
    "delisting_notice": {"length": 1, "mode": "months"},
}

PARAMETERS: dict[str, Parameter] = {
    p.name: p
    for p in [
        _p(
            "download_target_bands",
            "KH-KPI-1",
            _l("population, percent of it"),
            _l("Download target bands"),
            [[0, 25], [100_000, 10], [1_000_001, 5]],
            _download_bands,
        ),
        _p("rating_bar", "KH-KPI-2", _l("stars"), _l("Star rating to exceed"), "3.5", _rating),
        _p(
            "grade_bands",
            "TP-GRADE-1",
            _l("score"),
            _l("Grade bands"),
            [["A+", 95], ["A", 90], ["B", 80], ["C", 70], ["D", 60], ["E", 0]],
            _grade_bands,
        ),
        _p(
            "seed_user_min",
            "TP-SEED-1",
            _l("persons"),
            _l("Minimum seed users per agency"),
            2,
            _positive_int("seed_user_min"),
        ),
        _p(
            "seed_user_headcount_per_user",
            "TP-SEED-1",
            _l("staff per seed user"),
            _l("Headcount per allowed seed user"),
            20,
            _positive_int("seed_user_headcount_per_user"),
        ),
        _p(
            "system_admin_min",
            "TP-ADM-1",
            _l("persons"),
            _l("Minimum system administrators per agency"),
            2,
            _positive_int("system_admin_min"),
        ),
        _p(
            "leave_dismissal_percent",
            "TP-TRN-3",
            _l("percent of course hours"),
            _l("Leave that leads to dismissal"),
            {"admin": 20, "seed": 20, "lecturer": 10, "elearning": 20, "other": 20},
            _percent_per_course,
        ),
        _p(
            "unexcused_absences_for_dismissal",
            "TP-TRN-3",
            _l("absences"),
            _l("Unexcused absences that lead to dismissal"),
            1,
            _positive_int("unexcused_absences_for_dismissal"),
        ),
        _p(
            "consecutive_fails_for_review",
            "TP-TRN-4",
            _l("consecutive fails"),
            _l("Consecutive fails that trigger a fitness review"),
            3,
            _positive_int("consecutive_fails_for_review"),
        ),
        _p(
            "dismissals_for_review",
            "TP-TRN-4",
            _l("dismissals"),
            _l("Dismissals that trigger a fitness review"),
            2,
            _positive_int("dismissals_for_review"),
        ),
        _p(
            "plan_text_length",
            "KH-KPI-3",
            _l("characters"),
            _l("Length of each part of an improvement and marketing plan"),
            [1500, 3000],
            _plan_length,
        ),
        _p(
            "kpi_failed_years_for_delisting",
            "KH-KPI-4",
            _l("consecutive years"),
            _l("Consecutive years below the KPI before forced delisting (0: never)"),
            2,
            _non_negative_int("kpi_failed_years_for_delisting"),
        ),
        _p(
            "proposal_escalation_to_mayor",
            "KH-EVAL-2",
            _l("yes/no"),
            _l("A rejected proposal may be escalated to the mayor"),
            False,
            lambda v: _bool(v, "proposal_escalation_to_mayor"),
        ),
        _p(
            "learning_hours_per_year",
            "TN-LEARN-1",
            _l("hours"),
            _l("Learning hours per civil servant per year"),
            20,
            _positive_int("learning_hours_per_year"),
        ),
        _p(
            "council_missed_meetings_seat_loss",
            "TP-WG-4",
            _l("consecutive meetings"),
            _l("Missed council meetings that cost the seat"),
            3,
            _positive_int("council_missed_meetings_seat_loss"),
        ),
    ]
    + [
        _p(
            f"deadline.{kind}",
            rule,
            _l("length and counting mode"),
            _DEADLINE_LABELS[kind],
            _DEADLINE_DEFAULTS[kind],
            _deadline(kind),
        )
        for kind, rule in DEADLINE_KINDS.items()
    ]
}


def parameter(name: str) -> Parameter:
    """The declaration of parameter ``name``; ``ValueError`` lists the known names."""
    try:
        return PARAMETERS[name]
    except KeyError:
        raise ValueError(
            _(
                "unknown rule parameter %(name)r; known: %(known)s",
                name=name,
                known=", ".join(sorted(PARAMETERS)),
            )
        ) from None


def normalise(name: str, value: Any) -> Any:
    """Validate ``value`` for parameter ``name``; ``ValueError`` names the problem."""
    return parameter(name).normalise(value)
