"""One change form per parameter kind (issue 7): the administrator edits a rule parameter
the way it reads, not as JSON.

A number gets a number input with its unit and bounds, yes/no a pair of radio buttons, the
base profile a city select, bands a table of inputs (with empty spare rows to add one), a
deadline its length and counting mode, a range two numbers, a percentage per course type
one input per course. :meth:`ParameterChangeForm.new_value` turns what was typed into the
stored (JSON-compatible) value and checks it with the parameter's own validator; an error
is shown beside the input it concerns and every typed value stays in its input. The raw
JSON stays available as an *advanced* textarea: when filled, it wins.
"""

from __future__ import annotations

import re
from typing import Any

import wtforms
from wtforms import (
    BooleanField,
    FieldList,
    FormField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from ..clock import today
from ..forms.builder import AppGovForm
from ..forms.fields import TaiwanDateField
from ..i18n import _, _l
from ..policy.changes import ChangeRefused, as_text, parse_value
from ..policy.manager import PROFILES
from ..policy.parameters import (
    COURSE_TYPE_LABELS,
    COURSE_TYPES,
    DEADLINE,
    DEADLINE_MODE_LABELS,
    DEADLINE_MODES,
    DECIMAL,
    DOWNLOAD_BANDS,
    GRADE_BANDS,
    GRADES,
    INTEGER,
    PERCENT_PER_COURSE,
    PROFILE,
    RANGE,
    RULE_IDS,
    YES_NO,
    Parameter,
    ParameterValueError,
    cell_of,
    part_of,
)
from ..policy.rulebook import RULES, profile_label

#: empty rows offered under the bands, to add one without JavaScript
SPARE_ROWS = 2

_WHOLE = re.compile(r"[+-]?\d+")
_SEPARATORS = re.compile(r"[,，\s]")


def _typed(field: wtforms.Field, what: str, where: tuple) -> int | str:
    """A typed number: an ``int`` when whole, else the text (exact decimals, or the typed
    text the validator then names). Thousands separators are ignored."""
    text = _SEPARATORS.sub("", field.data or "")
    if not text:
        raise ParameterValueError(_("%(what)s: enter a value", what=what), where)
    return int(text) if _WHOLE.fullmatch(text) else text


def _plain(value: Any) -> str:
    """A stored number as a number input shows it (no separators)."""
    return "" if value is None else str(value)


class ParameterChangeForm(AppGovForm):
    """What every change has: effective date, reason, the retroactive confirmation and the
    advanced JSON value. Subclasses add the inputs of one kind."""

    effective_from = TaiwanDateField(_l("Effective from"), validators=[InputRequired()])
    confirm_retroactive = BooleanField(
        _l("I confirm this change applies retroactively and alters past evaluations"),
        description=_l("Needed only when the effective date is before today."),
    )
    reason = TextAreaField(_l("Reason"), validators=[InputRequired(), Length(max=2000)])
    advanced = TextAreaField(
        _l("New value as JSON"),
        description=_l(
            "For administrators: the value in its stored form. When filled, it is used "
            "instead of the inputs above."
        ),
    )

    kind = "json"
    spec: Parameter

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.value_errors: list[str] = []
        self.used_advanced = False

    # -- per kind --------------------------------------------------------------------
    @classmethod
    def initial(cls, raw: Any) -> dict:
        """Form data showing the stored value ``raw``."""
        return {}

    def typed(self) -> Any:
        """The stored form of what was typed in this kind's inputs."""
        raise ParameterValueError(_("the new value is empty"))

    def field_at(self, where: tuple) -> wtforms.Field | None:
        """The input a validator's ``where`` points at."""
        return None

    # -- shared ----------------------------------------------------------------------
    @property
    def label(self) -> str:
        return str(self.spec.label)

    def new_value(self) -> tuple[bool, Any]:
        """``(True, value)`` when what was typed is a valid value of the parameter, else
        ``(False, None)`` with the error beside the input it concerns."""
        text = (self.advanced.data or "").strip()
        self.used_advanced = bool(text) or self.kind == "json"
        try:
            value = parse_value(text) if self.used_advanced else self.typed()
            if isinstance(value, float):
                value = str(value)
            self.spec.normalise(value)
        except ValueError as exc:
            self.refuse(exc)
            return False, None
        return True, value

    def refuse(self, exc: ValueError) -> None:
        """Show ``exc`` beside the input it concerns."""
        field = None
        if isinstance(exc, ChangeRefused):
            field = {
                "effective_from": self.effective_from,
                "reason": self.reason,
                "confirm_retroactive": self.confirm_retroactive,
            }.get(exc.field)
        elif isinstance(exc, ParameterValueError) and not self.used_advanced:
            field = self.field_at(exc.where)
        if field is None and self.used_advanced:
            field = self.advanced
        if field is None:
            self.value_errors.append(str(exc))
            return
        if not isinstance(field.errors, list):
            field.errors = list(field.errors)
        field.errors.append(str(exc))

    def add_spare_rows(self) -> None:
        """Kinds with rows keep at least one empty row to add a band."""


class _NumberForm(ParameterChangeForm):
    value = StringField(_l("New value"))

    @classmethod
    def initial(cls, raw):
        return {"value": _plain(raw)}

    def typed(self):
        return _typed(self.value, self.label, ("value",))

    def field_at(self, where):
        return self.value


class IntegerForm(_NumberForm):
    kind = INTEGER


class DecimalForm(_NumberForm):
    kind = DECIMAL


class YesNoForm(ParameterChangeForm):
    kind = YES_NO
    value = RadioField(
        _l("New value"),
        choices=[SelectChoice("true", _l("Yes")), SelectChoice("false", _l("No"))],
        validate_choice=False,
    )

    @classmethod
    def initial(cls, raw):
        return {"value": "true" if raw is True else "false" if raw is False else None}

    def typed(self):
        if self.value.data not in ("true", "false"):
            raise ParameterValueError(_("%(what)s: choose yes or no", what=self.label))
        return self.value.data == "true"

    def field_at(self, where):
        return self.value


class ProfileForm(ParameterChangeForm):
    kind = PROFILE
    value = SelectField(
        _l("New value"),
        choices=[SelectChoice(p, profile_label(p)) for p in PROFILES],
        validate_choice=False,
    )

    @classmethod
    def initial(cls, raw):
        return {"value": raw}

    def typed(self):
        return (self.value.data or "").strip()

    def field_at(self, where):
        return self.value


class DownloadBandRow(wtforms.Form):
    population = StringField(_l("Population from"))
    rate = StringField(_l("Download target (percent of it)"))


class DownloadBandsForm(ParameterChangeForm):
    """KH-KPI-1: one row per band, lowest population first; an empty row is ignored."""

    kind = DOWNLOAD_BANDS
    rows = FieldList(FormField(DownloadBandRow), min_entries=1)

    @classmethod
    def initial(cls, raw):
        bands = [{"population": _plain(low), "rate": _plain(rate)} for low, rate in raw or []]
        return {"rows": bands + [{}] * SPARE_ROWS}

    @staticmethod
    def _empty(entry) -> bool:
        return not any((f.data or "").strip() for f in entry.form)

    def row_numbers(self) -> list[int | None]:
        """The number of each input row as the validator counts it (empty rows: ``None``)."""
        numbers, count = [], 0
        for entry in self.rows:
            if self._empty(entry):
                numbers.append(None)
            else:
                count += 1
                numbers.append(count)
        return numbers

    def numbered_rows(self) -> list[tuple[int | None, Any]]:
        return list(zip(self.row_numbers(), self.rows, strict=True))

    def typed(self):
        bands = []
        for number, entry in self.numbered_rows():
            if number is None:
                continue
            bands.append(
                [
                    _typed(
                        entry.form[column],
                        cell_of(self.label, number, _(column)),
                        ("row", number, column),
                    )
                    for column in ("population", "rate")
                ]
            )
        return bands

    def field_at(self, where):
        if where[0] != "row":
            return None
        entries = [e for n, e in zip(self.row_numbers(), self.rows, strict=True) if n]
        if not 0 < where[1] <= len(entries):
            return None
        return entries[where[1] - 1].form[where[2] if len(where) > 2 else "population"]

    def add_spare_rows(self):
        if not any(self._empty(entry) for entry in self.rows):
            self.rows.append_entry({})


class GradeBandsForm(ParameterChangeForm):
    """TP-GRADE-1: the lowest score of each grade, A+ to E."""

    kind = GRADE_BANDS
    scores = FieldList(
        StringField(_l("Lowest score")), min_entries=len(GRADES), max_entries=len(GRADES)
    )

    @classmethod
    def initial(cls, raw):
        return {"scores": [_plain(low) for _grade, low in raw or []]}

    def rows(self):
        return list(zip(GRADES, self.scores, strict=True))

    def typed(self):
        return [
            [
                grade,
                _typed(
                    field,
                    part_of(self.label, _("grade %(grade)s", grade=grade)),
                    ("grade", grade),
                ),
            ]
            for grade, field in self.rows()
        ]

    def field_at(self, where):
        if where[0] == "grade" and where[1] in GRADES:
            return self.scores.entries[GRADES.index(where[1])]
        return None


#: one percentage input per TP-TRN-1 course type, named after it
CoursePercents = type(
    "CoursePercents",
    (wtforms.Form,),
    {course: StringField(COURSE_TYPE_LABELS[course]) for course in COURSE_TYPES},
)


class PercentPerCourseForm(ParameterChangeForm):
    """TP-TRN-3: one percentage of the course hours per course type."""

    kind = PERCENT_PER_COURSE
    percent = FormField(CoursePercents)

    @classmethod
    def initial(cls, raw):
        return {"percent": {c: _plain((raw or {}).get(c)) for c in COURSE_TYPES}}

    def rows(self):
        return [(c, self.percent.form[c]) for c in COURSE_TYPES]

    def typed(self):
        return {
            course: _typed(
                field, part_of(self.label, COURSE_TYPE_LABELS[course]), ("course", course)
            )
            for course, field in self.rows()
        }

    def field_at(self, where):
        if where[0] == "course" and where[1] in COURSE_TYPES:
            return self.percent.form[where[1]]
        return None


class DeadlineForm(ParameterChangeForm):
    """TIME-2/3/4: the length and how it is counted."""

    kind = DEADLINE
    length = StringField(_l("Length"))
    mode = SelectField(
        _l("Counting mode"),
        choices=[SelectChoice(m, DEADLINE_MODE_LABELS[m]) for m in DEADLINE_MODES],
        validate_choice=False,
        description=_l(
            "Working days do not count the start day; calendar days move to the next "
            "working day when the last day is a day off; months count to the same day of "
            "the month."
        ),
    )

    @classmethod
    def initial(cls, raw):
        raw = raw or {}
        return {"length": _plain(raw.get("length")), "mode": raw.get("mode")}

    def typed(self):
        return {
            "length": _typed(self.length, part_of(self.label, _("length")), ("length",)),
            "mode": self.mode.data,
        }

    def field_at(self, where):
        return {"length": self.length, "mode": self.mode}.get(where[0])


class RangeForm(ParameterChangeForm):
    """A [minimum, maximum] pair."""

    kind = RANGE
    minimum = StringField(_l("Minimum"))
    maximum = StringField(_l("Maximum"))

    @classmethod
    def initial(cls, raw):
        low, high = raw if isinstance(raw, list | tuple) and len(raw) == 2 else (None, None)
        return {"minimum": _plain(low), "maximum": _plain(high)}

    def typed(self):
        return [
            _typed(self.minimum, part_of(self.label, _("minimum")), ("minimum",)),
            _typed(self.maximum, part_of(self.label, _("maximum")), ("maximum",)),
        ]

    def field_at(self, where):
        return {"minimum": self.minimum, "maximum": self.maximum}.get(where[0])


class RuleIdsForm(ParameterChangeForm):
    """Rules of other cities a deployment adopts: one checkbox per city rule."""

    kind = RULE_IDS
    value = SelectMultipleField(
        _l("New value"),
        choices=[SelectChoice(rule.id, rule.id) for rule in RULES.values() if rule.city],
        validate_choice=False,
        widget=wtforms.widgets.ListWidget(prefix_label=False),
        option_widget=wtforms.widgets.CheckboxInput(),
    )

    @classmethod
    def initial(cls, raw):
        return {"value": list(raw or [])}

    def groups(self) -> list[tuple[Any, list[tuple[Any, Any]]]]:
        """``(city, [(checkbox, rule title), ...])`` in the rulebook's order."""
        groups: dict[str, list] = {}
        for option in self.value:
            groups.setdefault(RULES[option.data].city, []).append(
                (option, RULES[option.data].title)
            )
        return [(profile_label(city), options) for city, options in groups.items()]

    def typed(self):
        return list(self.value.data or [])

    def field_at(self, where):
        return self.value


FORMS: dict[str, type[ParameterChangeForm]] = {
    form.kind: form
    for form in (
        IntegerForm,
        DecimalForm,
        YesNoForm,
        ProfileForm,
        DownloadBandsForm,
        GradeBandsForm,
        PercentPerCourseForm,
        DeadlineForm,
        RangeForm,
        RuleIdsForm,
    )
}


def change_form(spec: Parameter, current: Any, submitted: bool) -> ParameterChangeForm:
    """The change form of ``spec``: the posted data when ``submitted``, else the value in
    force ``current`` (from the policy facade) and today as effective date."""
    form_class = FORMS.get(spec.kind, ParameterChangeForm)
    if submitted:
        form = form_class()
    else:
        data = form_class.initial(current) if form_class.kind != "json" else {}
        form = form_class(formdata=None, data={**data, "effective_from": today()})
        if form_class.kind == "json":
            form.advanced.data = as_text(current)
    form.spec = spec
    return form


__all__ = ["FORMS", "SPARE_ROWS", "ParameterChangeForm", "change_form"]
