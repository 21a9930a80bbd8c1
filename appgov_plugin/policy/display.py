"""Rule-parameter values as an official reads them, in the user's language (issue 7).

:func:`value_text` gives one line of words (「3 個工作天」, "3 working days", 「人口 0 –
99,999：25 %；…」), for running text, flash messages and the command line;
:func:`value_html` gives the same as HTML, bands and per-course values as a small table.
Both take the value exactly as the policy facade returns it (``policy.raw_param``) or as a
change stored it, read it through the parameter's own validator (``normalise``) and only
format it: nothing is recomputed here.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

from ..i18n import _, _l, current_locale, format_date, format_datetime, format_number
from .changes import as_text, is_retroactive, spec_of
from .parameters import (
    COURSE_TYPE_LABELS,
    COURSE_TYPES,
    DEADLINE,
    DECIMAL,
    DOWNLOAD_BANDS,
    GRADE_BANDS,
    INTEGER,
    PERCENT_PER_COURSE,
    PROFILE,
    RANGE,
    RULE_IDS,
    YES_NO,
    Parameter,
)
from .rulebook import RULES, profile_label

NONE = "—"


def _n(value) -> str:
    return format_number(value)


def _percent(value) -> str:
    return f"{_n(value)} %"


def _count(n: int, one: Any, other: Any) -> str:
    """``one`` (n = 1) or ``other``: the plural rule of the supported languages (English has
    two forms, Chinese one, so both msgids carry the same Chinese). The catalogs hold no
    ``ngettext`` entries: appgov's catalog checks compare singular msgids only."""
    return str(one if n == 1 else other) % {"num": _n(n)}


# Whole numbers in words, per parameter: (one, other) with %(num)s.
_COUNTS: dict[str, tuple[Any, Any]] = {
    "seed_user_min": (_l("%(num)s person"), _l("%(num)s persons")),
    "system_admin_min": (_l("%(num)s person"), _l("%(num)s persons")),
    "seed_user_headcount_per_user": (
        _l("one seed user per %(num)s staff"),
        _l("one seed user per %(num)s staff"),
    ),
    "unexcused_absences_for_dismissal": (
        _l("%(num)s unexcused absence"),
        _l("%(num)s unexcused absences"),
    ),
    "consecutive_fails_for_review": (
        _l("%(num)s consecutive fail"),
        _l("%(num)s consecutive fails"),
    ),
    "dismissals_for_review": (_l("%(num)s dismissal"), _l("%(num)s dismissals")),
    "kpi_failed_years_for_delisting": (
        _l("%(num)s consecutive year"),
        _l("%(num)s consecutive years"),
    ),
    "learning_hours_per_year": (_l("%(num)s hour"), _l("%(num)s hours")),
    "council_missed_meetings_seat_loss": (
        _l("%(num)s consecutive meeting"),
        _l("%(num)s consecutive meetings"),
    ),
    "mailbox_retention_years": (_l("%(num)s year"), _l("%(num)s years")),
}

_DEADLINES: dict[str, tuple[Any, Any]] = {
    "working_days": (_l("%(num)s working day"), _l("%(num)s working days")),
    # rule TIME-3: a deadline on a day off moves to the next working day
    "calendar_days": (
        _l("%(num)s calendar day (next working day if it ends on a day off)"),
        _l("%(num)s calendar days (next working day if they end on a day off)"),
    ),
    "months": (_l("%(num)s month"), _l("%(num)s months")),
}


def profile_name(profile: str | None) -> str:
    """The city of a profile: 高雄市 / Kaohsiung City (an unknown name as it is)."""
    return NONE if profile is None else str(profile_label(profile))


def _deadline(length: int, mode: str) -> str:
    return _count(length, *_DEADLINES[mode])


def _population_bands(bands) -> list[tuple[str, str]]:
    """KH-KPI-1 bands as (population range, rate): a band runs to just below the next."""
    rows = []
    for index, (low, rate) in enumerate(bands):
        if index + 1 < len(bands):
            span = f"{_n(low)} – {_n(bands[index + 1][0] - 1)}"
        elif low == 0:
            span = _("any population")
        else:
            span = _("over %(num)s", num=_n(low - 1))
        rows.append((span, _percent(rate)))
    return rows


def _score_bands(bands) -> list[tuple[str, str]]:
    """TP-GRADE-1 bands as (grade, score range): a grade runs to just below the one above."""
    rows = []
    for index, (grade, low) in enumerate(bands):
        if index == 0:
            span = _("%(low)s and above", low=_n(low))
        elif low == 0:
            span = _("under %(high)s", high=_n(bands[index - 1][1]))
        else:
            span = _("%(low)s to under %(high)s", low=_n(low), high=_n(bands[index - 1][1]))
        rows.append((grade, span))
    return rows


def _courses(percents) -> list[tuple[str, str]]:
    return [(str(COURSE_TYPE_LABELS[c]), _percent(percents[c])) for c in COURSE_TYPES]


def _rules(ids) -> list[str]:
    return [f"{i} {RULES[i].title}" if i in RULES else i for i in ids]


def _join(parts: list[str]) -> str:
    return ("；" if current_locale() == "zh_Hant_TW" else "; ").join(parts)


def _pair(a: str, b: str) -> str:
    return f"{a}：{b}" if current_locale() == "zh_Hant_TW" else f"{a}: {b}"


def _spec(spec_or_name: Parameter | str) -> Parameter:
    return spec_or_name if isinstance(spec_or_name, Parameter) else spec_of(spec_or_name)


def _read(spec: Parameter, raw: Any) -> Any:
    """The value as the rules read it, or ``None`` when it does not validate (shown raw)."""
    try:
        return spec.normalise(raw)
    except (ValueError, TypeError):
        return None


def _table(headers: tuple[str, str], rows: list[tuple[str, str]]) -> Markup:
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in headers)
    body = "".join(
        f'<tr><td class="text-nowrap">{escape(a)}</td><td class="text-nowrap">{escape(b)}</td></tr>'
        for a, b in rows
    )
    return Markup(
        '<table class="table table-sm table-bordered param-value mb-0 w-auto">'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def value_text(spec_or_name: Parameter | str, raw: Any) -> str:
    """``raw`` (a stored value of the parameter) in words, on one line."""
    if raw is None:
        return NONE
    spec = _spec(spec_or_name)
    value = _read(spec, raw)
    if value is None:
        return as_text(raw)
    kind = spec.kind
    if kind == PROFILE:
        return profile_name(value)
    if kind == YES_NO:
        return _("Yes") if value else _("No")
    if kind == INTEGER:
        if spec.name == "kpi_failed_years_for_delisting" and value == 0:
            return _("never (no forced delisting)")
        forms = _COUNTS.get(spec.name)
        return _count(value, *forms) if forms else f"{_n(value)} {spec.unit}"
    if kind == DECIMAL:
        if spec.name == "rating_bar":
            return _("%(num)s stars", num=_n(value))
        return f"{_n(value)} {spec.unit}"
    if kind == DEADLINE:
        return _deadline(*value)
    if kind == RANGE:
        return _("%(low)s – %(high)s %(unit)s", low=_n(value[0]), high=_n(value[1]), unit=spec.unit)
    if kind == DOWNLOAD_BANDS:
        return _(
            "population %(bands)s",
            bands=_join([_pair(a, b) for a, b in _population_bands(value)]),
        )
    if kind == GRADE_BANDS:
        return _join([_pair(a, b) for a, b in _score_bands(value)])
    if kind == PERCENT_PER_COURSE:
        return _join([_pair(a, b) for a, b in _courses(value)])
    if kind == RULE_IDS:
        return _join(_rules(value)) if value else _("none")
    return as_text(raw)


def value_html(spec_or_name: Parameter | str, raw: Any) -> Markup:
    """``raw`` in words as HTML: bands and per-course values as a small table."""
    spec = _spec(spec_or_name)
    value = None if raw is None else _read(spec, raw)
    if value is not None:
        if spec.kind == DOWNLOAD_BANDS:
            return _table((_("Population"), _("Download target")), _population_bands(value))
        if spec.kind == GRADE_BANDS:
            return _table((_("Grade"), _("Score")), _score_bands(value))
        if spec.kind == PERCENT_PER_COURSE:
            return _table((_("Course type"), _("Share of course hours")), _courses(value))
        if spec.kind == RULE_IDS and value:
            items = "".join(f"<li>{escape(text)}</li>" for text in _rules(value))
            return Markup(f'<ul class="list-unstyled mb-0 param-value">{items}</ul>')
    return escape(value_text(spec, raw))


def template_helpers() -> dict:
    """What the parameter templates (``_parameters.html``, ``_history.html``, the admin
    pages) use; appgov's pages and the Flask-Admin views add them to their context."""
    return {
        "parameter_value": value_html,
        "parameter_text": value_text,
        "parameter_json": as_text,
        "profile_name": profile_name,
        "is_retroactive": is_retroactive,
        "format_date": format_date,
        "format_datetime": format_datetime,
        "format_number": format_number,
    }


__all__ = ["NONE", "profile_name", "template_helpers", "value_html", "value_text"]
