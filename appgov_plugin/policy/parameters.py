"""Every numeric or list parameter of the rulebook, with rule ID, kind, unit, label and
validator.

Values are plain JSON-compatible data (numbers as ``int`` or decimal strings, lists, dicts)
so the same value can live in a city module, a deployment's hook package or the database.
:func:`normalise` turns a raw value into the form the rules use (``Decimal`` for rates) and
raises :class:`ParameterValueError` (a ``ValueError``) naming the parameter and the part that
is wrong, in the user's language. A parameter's *kind* says how it reads and how it is edited
(``appgov_plugin.policy.display``, ``appgov_plugin.admin.parameter_forms``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from ..i18n import _, _l, format_number
from .rulebook import check_rule_ids

COURSE_TYPES: tuple[str, ...] = ("admin", "seed", "lecturer", "elearning", "other")  # TP-TRN-1
GRADES: tuple[str, ...] = ("A+", "A", "B", "C", "D", "E")  # TP-GRADE-1
DEADLINE_MODES: tuple[str, ...] = ("working_days", "calendar_days", "months")

#: TP-TRN-1 course types as an official names them
COURSE_TYPE_LABELS: dict[str, Any] = {
    "admin": _l("system administrator course"),
    "seed": _l("seed user course"),
    "lecturer": _l("lecturer course"),
    "elearning": _l("general-user e-learning course"),
    "other": _l("other course"),
}

#: TIME-2 / TIME-3 / TIME-4 counting modes
DEADLINE_MODE_LABELS: dict[str, Any] = {
    "working_days": _l("working days"),
    "calendar_days": _l("calendar days"),
    "months": _l("months"),
}

#: deadline kind -> rule IDs (policy-api.md)
DEADLINE_KINDS: dict[str, str] = {
    "roster_change": "TP-WG-2, TP-SEED-2",
    "minutes": "TP-WG-3",
    "replacement": "TP-SEED-3",
    "leave_makeup": "TP-TRN-2",
    "plan_review": "KH-KPI-3, TIME-3",
    "delisting_notice": "TN-DEL-2, TIME-4",
}

# How a parameter reads and is edited.
INTEGER = "integer"  # a whole number with a unit (minimum: ``Parameter.minimum``)
DECIMAL = "decimal"  # a decimal number (``minimum``/``maximum``)
YES_NO = "yes_no"
PROFILE = "profile"  # a city profile name
DOWNLOAD_BANDS = "download_bands"  # KH-KPI-1 [[lowest population, rate %], ...]
GRADE_BANDS = "grade_bands"  # TP-GRADE-1 [[grade, lowest score], ...]
PERCENT_PER_COURSE = "percent_per_course"  # TP-TRN-3 {course type: percent}
DEADLINE = "deadline"  # {"length": N, "mode": counting mode}
RANGE = "range"  # [minimum, maximum]
RULE_IDS = "rule_ids"  # a list of rulebook rule IDs (appgov_plugin.policy.rulebook)
KINDS: tuple[str, ...] = (
    INTEGER,
    DECIMAL,
    YES_NO,
    PROFILE,
    DOWNLOAD_BANDS,
    GRADE_BANDS,
    PERCENT_PER_COURSE,
    DEADLINE,
    RANGE,
    RULE_IDS,
)


class ParameterValueError(ValueError):
    """A refused parameter value. ``where`` names the part that is wrong, so a form can
    show the message beside it: ``("value",)``, ``("rows",)``, ``("row", 2, "rate")``
    (rows counted from 1), ``("grade", "A")``, ``("course", "lecturer")``, ``("length",)``,
    ``("mode",)``, ``("minimum",)``, ``("maximum",)``."""

    def __init__(self, message: str, where: tuple = ("value",)):
        super().__init__(message)
        self.where = tuple(where)


def shown(value: Any) -> str:
    """A value inside a message: text as typed, anything else as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, Decimal):
        return str(value)
    return json.dumps(value, ensure_ascii=False, default=str)


def _label(name: str) -> str:
    return str(PARAMETERS[name].label)


def part_of(label: str, part: Any) -> str:
    """``Leave that leads to dismissal (lecturer course)``: one part of a parameter."""
    return _("%(label)s (%(part)s)", label=label, part=part)


def row_of(label: str, row: int) -> str:
    return _("%(label)s, row %(row)s", label=label, row=row)


def cell_of(label: str, row: int, column: Any) -> str:
    return _("%(label)s, row %(row)s (%(column)s)", label=label, row=row, column=column)


def _decimal(value: Any, what: str, where: tuple = ("value",)) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ParameterValueError(
            _("%(what)s: “%(value)s” is not a number", what=what, value=shown(value)), where
        )
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ParameterValueError(
            _("%(what)s: “%(value)s” is not a number", what=what, value=shown(value)), where
        ) from None
    if not number.is_finite():
        raise ParameterValueError(
            _("%(what)s: “%(value)s” is not a finite number", what=what, value=shown(value)),
            where,
        )
    return number


def _int(value: Any, what: str, minimum: int = 0, where: tuple = ("value",)) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ParameterValueError(
            _("%(what)s: “%(value)s” is not a whole number", what=what, value=shown(value)),
            where,
        )
    if value < minimum:
        raise ParameterValueError(
            _(
                "%(what)s: %(value)s is below the minimum %(minimum)s",
                what=what,
                value=format_number(value),
                minimum=format_number(minimum),
            ),
            where,
        )
    return value


def _bool(value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise ParameterValueError(
            _(
                "%(what)s: “%(value)s” is not yes (true) or no (false)",
                what=what,
                value=shown(value),
            )
        )
    return value


def _integer(name: str, minimum: int):
    return lambda value: _int(value, _label(name), minimum)


def _percentage(value: Any, what: str, where: tuple) -> Decimal:
    """A rate in percent: above 0, at most 100."""
    number = _decimal(value, what, where)
    if not Decimal(0) < number <= Decimal(100):
        raise ParameterValueError(
            _(
                "%(what)s: %(value)s must be above 0 and at most 100",
                what=what,
                value=format_number(number),
            ),
            where,
        )
    return number


def _download_bands(value: Any) -> tuple[tuple[int, Decimal], ...]:
    """KH-KPI-1 bands: ``[[lowest population, rate %], ...]`` ascending, first at 0."""
    what = _label("download_target_bands")
    if not isinstance(value, list | tuple) or not value:
        raise ParameterValueError(
            _("%(what)s: expected a non-empty list of [population, rate] pairs", what=what),
            ("rows",),
        )
    bands = []
    for row, band in enumerate(value, 1):
        if not isinstance(band, list | tuple) or len(band) != 2:
            raise ParameterValueError(
                _(
                    "%(what)s: %(band)s is not a [population, rate] pair",
                    what=row_of(what, row),
                    band=shown(band),
                ),
                ("row", row),
            )
        low = _int(band[0], cell_of(what, row, _("population")), 0, ("row", row, "population"))
        rate = _percentage(band[1], cell_of(what, row, _("rate")), ("row", row, "rate"))
        bands.append((low, rate))
    if bands[0][0] != 0:
        raise ParameterValueError(
            _(
                "%(what)s: the first band must start at population 0, not %(low)s",
                what=row_of(what, 1),
                low=format_number(bands[0][0]),
            ),
            ("row", 1, "population"),
        )
    for row, ((low_a, _rate_a), (low_b, _rate_b)) in enumerate(
        zip(bands, bands[1:], strict=False), 2
    ):
        if low_b <= low_a:
            raise ParameterValueError(
                _(
                    "%(what)s: bands overlap or are out of order (%(b)s does not follow %(a)s)",
                    what=row_of(what, row),
                    a=format_number(low_a),
                    b=format_number(low_b),
                ),
                ("row", row, "population"),
            )
    return tuple(bands)


def _grade_bands(value: Any) -> tuple[tuple[str, Decimal], ...]:
    """TP-GRADE-1 bands: ``[[grade, lowest score], ...]`` in grade order, descending scores."""
    what = _label("grade_bands")
    if not isinstance(value, list | tuple) or len(value) != len(GRADES):
        raise ParameterValueError(
            _(
                "%(what)s: expected %(count)s [grade, lowest score] pairs",
                what=what,
                count=len(GRADES),
            ),
            ("rows",),
        )
    bands = []
    for band, grade in zip(value, GRADES, strict=True):
        where = ("grade", grade)
        part = part_of(what, _("grade %(grade)s", grade=grade))
        if not isinstance(band, list | tuple) or len(band) != 2 or band[0] != grade:
            raise ParameterValueError(
                _(
                    "%(what)s: expected grade %(grade)s in this position, got %(band)s",
                    what=what,
                    grade=grade,
                    band=shown(band),
                ),
                where,
            )
        low = _decimal(band[1], part, where)
        if not Decimal(0) <= low <= Decimal(100):
            raise ParameterValueError(
                _(
                    "%(what)s: lowest score %(low)s is outside 0-100",
                    what=part,
                    low=format_number(low),
                ),
                where,
            )
        bands.append((grade, low))
    if bands[-1][1] != 0:
        raise ParameterValueError(
            _(
                "%(what)s: the lowest grade E must start at 0, not %(low)s",
                what=what,
                low=format_number(bands[-1][1]),
            ),
            ("grade", GRADES[-1]),
        )
    for (g_a, low_a), (g_b, low_b) in zip(bands, bands[1:], strict=False):
        if low_b >= low_a:
            raise ParameterValueError(
                _(
                    "%(what)s: grade order is not descending (%(g_b)s at %(low_b)s is not below "
                    "%(g_a)s at %(low_a)s)",
                    what=what,
                    g_a=g_a,
                    low_a=format_number(low_a),
                    g_b=g_b,
                    low_b=format_number(low_b),
                ),
                ("grade", g_b),
            )
    return tuple(bands)


def _percent_per_course(value: Any) -> dict[str, Decimal]:
    """TP-TRN-3: leave, in percent of the course hours, that leads to dismissal, per course."""
    what = _label("leave_dismissal_percent")
    if not isinstance(value, dict) or set(value) != set(COURSE_TYPES):
        raise ParameterValueError(
            _(
                "%(what)s: expected a percentage for each of %(courses)s",
                what=what,
                courses=", ".join(str(COURSE_TYPE_LABELS[c]) for c in COURSE_TYPES),
            ),
            ("rows",),
        )
    return {
        course: _percentage(
            value[course], part_of(what, COURSE_TYPE_LABELS[course]), ("course", course)
        )
        for course in COURSE_TYPES
    }


def _deadline(kind: str):
    def validate(value: Any) -> tuple[int, str]:
        what = _label(f"deadline.{kind}")
        if not isinstance(value, dict) or set(value) != {"length", "mode"}:
            raise ParameterValueError(
                _(
                    '%(what)s: expected {"length": N, "mode": ...}, got %(value)s',
                    what=what,
                    value=shown(value),
                )
            )
        length = _int(value["length"], part_of(what, _("length")), 1, ("length",))
        if value["mode"] not in DEADLINE_MODES:
            raise ParameterValueError(
                _(
                    "%(what)s: unknown counting mode “%(mode)s”; known: %(modes)s",
                    what=part_of(what, _("counting mode")),
                    mode=shown(value["mode"]),
                    modes=", ".join(f"{m} ({DEADLINE_MODE_LABELS[m]})" for m in DEADLINE_MODES),
                ),
                ("mode",),
            )
        return length, value["mode"]

    return validate


def _rating(value: Any) -> Decimal:
    what = _label("rating_bar")
    number = _decimal(value, what)
    if not Decimal(0) <= number <= Decimal(5):
        raise ParameterValueError(
            _(
                "%(what)s: %(value)s is outside the 0-5 star scale",
                what=what,
                value=format_number(number),
            )
        )
    return number


def _plan_length(value: Any) -> tuple[int, int]:
    """KH-KPI-3: the whole plan's text, [minimum, maximum] characters."""
    what = _label("plan_text_length")
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise ParameterValueError(
            _(
                "%(what)s: expected [minimum, maximum], got %(value)s",
                what=what,
                value=shown(value),
            )
        )
    low = _int(value[0], part_of(what, _("minimum")), 0, ("minimum",))
    high = _int(value[1], part_of(what, _("maximum")), 1, ("maximum",))
    if low > high:
        raise ParameterValueError(
            _(
                "%(what)s: minimum %(low)s is above maximum %(high)s",
                what=what,
                low=format_number(low),
                high=format_number(high),
            ),
            ("maximum",),
        )
    return low, high


@dataclass(frozen=True)
class Parameter:
    """A named rule parameter: ``default`` is the rulebook's value for every profile.

    ``kind`` (one of :data:`KINDS`) says how the value reads and how it is edited;
    ``minimum``/``maximum`` bound a number (the validator enforces them)."""

    name: str
    rule: str
    unit: Any
    label: Any
    default: Any
    normalise: Callable[[Any], Any]
    kind: str = INTEGER
    minimum: Any = None
    maximum: Any = None

    @property
    def rule_lang(self) -> str | None:
        """``zh-Hant-TW`` when the rule cited is a Chinese text (a law's article, such as
        個人資料保護法 §11), for its ``lang`` on an English page (WCAG 3.1.2)."""
        return "zh-Hant-TW" if re.search("[\u3400-\u9fff]", self.rule) else None


def _count(name, rule, unit, label, default, minimum=1):
    return Parameter(
        name, rule, unit, label, default, _integer(name, minimum), INTEGER, minimum=minimum
    )


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
        Parameter(
            "download_target_bands",
            "KH-KPI-1",
            _l("population, percent of it"),
            _l("Download target bands"),
            [[0, 25], [100_000, 10], [1_000_001, 5]],
            _download_bands,
            DOWNLOAD_BANDS,
        ),
        Parameter(
            "rating_bar",
            "KH-KPI-2",
            _l("stars"),
            _l("Star rating to exceed"),
            "3.5",
            _rating,
            DECIMAL,
            minimum=0,
            maximum=5,
        ),
        Parameter(
            "grade_bands",
            "TP-GRADE-1",
            _l("score"),
            _l("Grade bands"),
            [["A+", 95], ["A", 90], ["B", 80], ["C", 70], ["D", 60], ["E", 0]],
            _grade_bands,
            GRADE_BANDS,
        ),
        _count(
            "seed_user_min",
            "TP-SEED-1",
            _l("persons"),
            _l("Minimum seed users per agency"),
            2,
        ),
        _count(
            "seed_user_headcount_per_user",
            "TP-SEED-1",
            _l("staff per seed user"),
            _l("Headcount per allowed seed user"),
            20,
        ),
        _count(
            "system_admin_min",
            "TP-ADM-1",
            _l("persons"),
            _l("Minimum system administrators per agency"),
            2,
        ),
        Parameter(
            "leave_dismissal_percent",
            "TP-TRN-3",
            _l("percent of course hours"),
            _l("Leave that leads to dismissal"),
            {"admin": 20, "seed": 20, "lecturer": 10, "elearning": 20, "other": 20},
            _percent_per_course,
            PERCENT_PER_COURSE,
        ),
        _count(
            "unexcused_absences_for_dismissal",
            "TP-TRN-3",
            _l("absences"),
            _l("Unexcused absences that lead to dismissal"),
            1,
        ),
        _count(
            "consecutive_fails_for_review",
            "TP-TRN-4",
            _l("consecutive fails"),
            _l("Consecutive fails that trigger a fitness review"),
            3,
        ),
        _count(
            "dismissals_for_review",
            "TP-TRN-4",
            _l("dismissals"),
            _l("Dismissals that trigger a fitness review"),
            2,
        ),
        Parameter(
            "plan_text_length",
            "KH-KPI-3",
            _l("characters"),
            # rule KH-KPI-3: the whole plan's text, not each part
            _l("Length of the whole improvement and marketing plan's text"),
            [1500, 3000],
            _plan_length,
            RANGE,
            minimum=0,
        ),
        _count(
            "kpi_failed_years_for_delisting",
            "KH-KPI-4",
            _l("consecutive years"),
            _l("Consecutive years below the KPI before forced delisting (0: never)"),
            2,
            minimum=0,
        ),
        Parameter(
            "proposal_escalation_to_mayor",
            "KH-EVAL-2",
            _l("yes/no"),
            _l("A rejected proposal may be escalated to the mayor"),
            False,
            lambda v: _bool(v, _label("proposal_escalation_to_mayor")),
            YES_NO,
        ),
        # rules.md "Profiles are real": other cities' rules this deployment applies (helper
        # "rules"; kind "rule_ids": a list of rule IDs of appgov_plugin.policy.rulebook)
        Parameter(
            "adopted_rules",
            "rules.md",
            _l("rule IDs"),
            _l("Rules of other cities this deployment adopts"),
            [],
            lambda v: check_rule_ids(v, _label("adopted_rules")),
            RULE_IDS,
        ),
        _count(
            "learning_hours_per_year",
            "TN-LEARN-1",
            _l("hours"),
            _l("Learning hours per civil servant per year"),
            20,
        ),
        _count(
            "council_missed_meetings_seat_loss",
            "TP-WG-4",
            _l("consecutive meetings"),
            _l("Missed council meetings that cost the seat"),
            3,
        ),
        # no rule of rules.md: the law's own (個人資料保護法 §11: personal data is erased
        # once the purpose of its collection has ended); read by flask appgov mailbox purge
        _count(
            "mailbox_retention_years",
            "個人資料保護法 §11",
            _l("years"),
            _l("Years a citizen's contact data is kept after the feedback is closed"),
            5,
        ),
        # no rule of rules.md: the law's own (個人資料保護法 §18: an authority keeping personal
        # data takes measures against its unlawful disclosure); Taipei's 1999 practice, where
        # a supervisor approves each reveal (appgov_plugin/mailbox/reveal_approval.py)
        Parameter(
            "mailbox_reveal_needs_approval",
            "個人資料保護法 §18",
            _l("yes/no"),
            _l("Revealing a citizen's personal data needs a supervisor's approval"),
            False,
            lambda v: _bool(v, _label("mailbox_reveal_needs_approval")),
            YES_NO,
        ),
    ]
    + [
        Parameter(
            f"deadline.{kind}",
            rule,
            _l("length and counting mode"),
            _DEADLINE_LABELS[kind],
            _DEADLINE_DEFAULTS[kind],
            _deadline(kind),
            DEADLINE,
            minimum=1,
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
