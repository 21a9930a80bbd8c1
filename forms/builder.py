"""Render a declarative form definition (``forms/*.toml``) as WTForms, per deployment.

A definition has ``key``, ``version`` (a whole number, raised on every change of meaning),
``title`` and a list of ``fields``. Each field has:

``name``
    the answer's key in the case data (a Python identifier, unique in the definition);
``type``
    ``string`` (one line), ``text`` (several lines), ``integer``, ``money`` (whole New
    Taiwan dollars), ``decimal``, ``date`` (ROC ``115/11/22`` or ISO), ``boolean`` (a tick
    box), ``choice`` (radio buttons), ``multichoice`` (tick boxes);
``label``
    English, translated through the ``appgov`` domain (``forms/extract.py`` extracts it);
``rule``
    the rule ID (or a list of IDs) that asks for the field, e.g. ``"TN-EVAL-2"``: the field
    is asked only where the deployment applies that rule (any of them, for a list). A
    field without ``rule`` is asked everywhere;
``help``
    optional English help text shown under the field;
``required``
    the field must be answered (``0`` and an unticked box are answers);
``required_if``
    ``{other = "value"}``: required when field ``other`` has that value (for a
    ``multichoice`` other: when that value is ticked);
``min_length`` / ``max_length``
    text length in characters (not bytes; a line break counts as one). Every ``string``
    and ``text`` field needs ``max_length``;
``minimum`` / ``maximum``
    bounds of a number. Every ``integer``, ``money`` and ``decimal`` field needs
    ``maximum``; ``minimum`` defaults to 0;
``choices``
    ``[[value, English label], ...]`` of a ``choice`` or ``multichoice`` field;
``must_be`` / ``must_be_message``
    a value the answer must equal (a box that must be ticked), with the message shown
    otherwise.

A definition that breaks these rules is refused with a ``ValueError`` naming the file and
the field. :meth:`FormDefinition.form_for` builds the form a deployment asks (classes are
cached per set of fields, so per set of applied rules, not per request).

Rendering: text inputs carry ``maxlength``; required fields ``required`` and
``aria-required`` (``field.flags.required``); whole numbers and money are text inputs with
``inputmode="numeric"`` accepting ``1,860,000`` and full-width digits, money is flagged
``field.flags.money``; choice and multichoice fields are flagged ``field.flags.fieldset``
(render them in a ``<fieldset>`` with the label as ``<legend>``), multichoice as tick boxes
(``ListWidget(prefix_label=False)`` + ``CheckboxInput``). What the user typed stays in the
input when it is refused.
"""

from __future__ import annotations

import re
import threading
import tomllib
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from typing import Any

import wtforms
from flask_wtf import FlaskForm
from wtforms import validators, widgets
from wtforms.fields.choices import SelectChoice

from appgov_plugin.forms.fields import TaiwanDateField
from appgov_plugin.i18n import _, format_number, wtforms_translations
from appgov_plugin.i18n import lazy_gettext as translated
from appgov_plugin.policy.rulebook import rule as known_rule
from appgov_plugin.safe_input import FiniteNumbersMeta, is_finite, register_form_labels

FIELD_TYPES = (
    "string",
    "text",
    "integer",
    "money",
    "decimal",
    "date",
    "boolean",
    "choice",
    "multichoice",
)
_TEXT_TYPES = ("string", "text")
_NUMBER_TYPES = ("integer", "money", "decimal")
_CHOICE_TYPES = ("choice", "multichoice")
_FIELD_KEYS = frozenset(
    {
        "name",
        "type",
        "label",
        "rule",
        "help",
        "required",
        "required_if",
        "min_length",
        "max_length",
        "minimum",
        "maximum",
        "choices",
        "must_be",
        "must_be_message",
    }
)


class AppGovForm(FlaskForm):
    """Base form: WTForms' own messages in Traditional Chinese for zh_Hant_TW; NaN and
    infinities refused in every decimal and float field
    (:class:`appgov_plugin.safe_input.FiniteNumbersMeta`)."""

    class Meta(FiniteNumbersMeta, FlaskForm.Meta):
        def get_translations(self, form):
            return wtforms_translations()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        register_form_labels(cls)  # a refused control character is named by its label


# -- fields -------------------------------------------------------------------------------


def _plain(text: str) -> str:
    """Full-width digits and signs to ASCII (NFKC), spaces and thousands separators out."""
    return re.sub(r"[\s,，]", "", unicodedata.normalize("NFKC", text))


class _NumberInText:
    """A number typed in a text input (``inputmode``), shown with thousands separators and
    kept as typed beside the error when it cannot be read."""

    widget = widgets.TextInput()
    inputmode = "numeric"

    def __init__(self, label=None, validators=None, **kwargs):
        render_kw = {"inputmode": self.inputmode, "autocomplete": "off"}
        render_kw.update(kwargs.pop("render_kw", None) or {})
        super().__init__(label, validators, render_kw=render_kw, **kwargs)

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return format_number(self.data) if self.data is not None else ""


class WholeNumberField(_NumberInText, wtforms.IntegerField):
    """A whole number: ``1,860,000``, ``1860000`` and full-width ``１８６００００`` all read as
    1860000."""

    def _clean(self, text: str) -> str:
        return _plain(text)

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        text = self._clean(valuelist[0])
        if not re.fullmatch(r"-?[0-9]+", text):
            self.data = None
            raise ValueError(_("Enter a whole number, e.g. 1,860,000."))
        self.data = int(text)


class MoneyField(WholeNumberField):
    """Whole New Taiwan dollars; ``NT$3,200,000`` and ``3,200,000`` both read as 3200000.
    Flagged ``field.flags.money`` for the host to render the currency."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.flags.money = True

    def _clean(self, text: str) -> str:
        return re.sub(r"^(NT\$|\$|新臺幣|新台幣)", "", _plain(text), flags=re.I).removesuffix("元")


class DecimalNumberField(_NumberInText, wtforms.DecimalField):
    """A decimal number (``inputmode="decimal"``): ``3.5``, ``1,234.5``."""

    inputmode = "decimal"

    def process_data(self, value):
        if isinstance(value, str) and value:
            try:
                value = Decimal(value)
            except InvalidOperation:
                value = None
        # a stored "NaN" or "Infinity" is no number (Bounds could not compare it)
        self.data = value if is_finite(value) else None

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        text = _plain(valuelist[0])
        try:
            number = Decimal(text) if re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", text) else None
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():  # never NaN, sNaN or an infinity
            self.data = None
            raise ValueError(_("Enter a number, e.g. 3.5."))
        self.data = number


def _tidy_text(value):
    """Line breaks as one character (browsers send CRLF), surrounding blanks removed."""
    if isinstance(value, str):
        return value.replace("\r\n", "\n").replace("\r", "\n").strip()
    return value


class ChoiceField(wtforms.RadioField):
    """Radio buttons, flagged ``field.flags.fieldset``."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.flags.fieldset = True


class MultiChoiceField(wtforms.SelectMultipleField):
    """Tick boxes, flagged ``field.flags.fieldset``; ``field.flags.required`` when at least
    one must be ticked (never the HTML ``required`` of every box)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def __init__(self, label=None, validators=None, required=False, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.flags.fieldset = True
        if required:
            self.flags.required = True


# -- validators ---------------------------------------------------------------------------


class RequiredIf:
    """Required when field ``other`` has ``value`` (for a list answer: when it holds it),
    e.g. TN-EVAL-2's reason when the data was not opened first. When ``other`` is not in
    the form (its rule does not apply), the field is optional."""

    def __init__(self, other: str, value: Any):
        self.other, self.value = other, value

    def _triggered(self, form) -> bool:
        if self.other not in form:
            return False
        answer = form[self.other].data
        if isinstance(answer, list | tuple):
            return self.value in answer
        return answer == self.value

    def __call__(self, form, field):
        if self._triggered(form):
            if isinstance(field.data, str) or field.data is None:
                validators.DataRequired()(form, field)
            else:
                validators.InputRequired()(form, field)
        else:
            field.errors[:] = []
            raise validators.StopValidation()


class AtLeastOne:
    """A multichoice answer with at least one box ticked (no HTML ``required`` flag)."""

    def __call__(self, form, field):
        if not field.data:
            raise validators.StopValidation(_("Tick at least one."))


class MustBe:
    def __init__(self, value: Any, message: Any):
        self.value, self.message = value, message

    def __call__(self, form, field):
        if field.data != self.value:
            raise validators.ValidationError(self.message)


class Bounds:
    """A number from ``minimum`` to ``maximum``, both named in the message as officials
    write numbers (1,000,000)."""

    def __init__(self, minimum, maximum):
        self.minimum, self.maximum = minimum, maximum

    def __call__(self, form, field):
        if field.data is None:
            return
        if not self.minimum <= field.data <= self.maximum:
            raise validators.ValidationError(
                _(
                    "Enter a number from %(minimum)s to %(maximum)s.",
                    minimum=format_number(self.minimum),
                    maximum=format_number(self.maximum),
                )
            )


class CharacterLength:
    """Text length in characters, with the count in the message."""

    def __init__(self, minimum: int | None, maximum: int):
        self.minimum, self.maximum = minimum, maximum
        self.field_flags = {"maxlength": maximum}
        if minimum:
            self.field_flags["minlength"] = minimum

    def __call__(self, form, field):
        count = len(field.data or "")
        if count == 0:
            return
        if self.minimum and count < self.minimum:
            raise validators.ValidationError(
                _(
                    "Write at least %(minimum)s characters (now %(count)s).",
                    minimum=format_number(self.minimum),
                    count=format_number(count),
                )
            )
        if count > self.maximum:
            raise validators.ValidationError(
                _(
                    "Write at most %(maximum)s characters (now %(count)s).",
                    maximum=format_number(self.maximum),
                    count=format_number(count),
                )
            )


# -- definitions --------------------------------------------------------------------------


def _problem(source: str, name: str, message: str) -> ValueError:
    return ValueError(f"{source}: form field {name!r}: {message}")


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return _is_int(value) or isinstance(value, float)


def _check_field(source: str, spec: dict, names: list[str]) -> None:
    name = spec.get("name")
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"{source}: a form field has no valid name: {spec!r}")
    unknown = set(spec) - _FIELD_KEYS
    if unknown:
        raise _problem(
            source,
            name,
            f"unknown key(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(_FIELD_KEYS))}",
        )
    kind = spec.get("type")
    if kind not in FIELD_TYPES:
        raise _problem(source, name, f"unknown type {kind!r}; known: {', '.join(FIELD_TYPES)}")
    if not isinstance(spec.get("label"), str) or not spec["label"]:
        raise _problem(source, name, "needs a label")
    for rule_id in _rules_of(spec):
        try:
            known_rule(rule_id)
        except ValueError:
            raise _problem(source, name, f"unknown rule {rule_id!r}") from None
    if kind in _TEXT_TYPES:
        maximum = spec.get("max_length")
        if not _is_int(maximum) or maximum < 1:
            raise _problem(source, name, "a text field needs a max_length (characters, >= 1)")
        minimum = spec.get("min_length", 0)
        if not _is_int(minimum) or not 0 <= minimum <= maximum:
            raise _problem(source, name, f"min_length {minimum!r} must be 0..max_length")
    elif "max_length" in spec or "min_length" in spec:
        raise _problem(source, name, f"a {kind} field has no length")
    if kind in _NUMBER_TYPES:
        maximum, minimum = spec.get("maximum"), spec.get("minimum", 0)
        if not _is_number(maximum):
            raise _problem(source, name, "a number field needs a maximum")
        if not _is_number(minimum) or minimum > maximum:
            raise _problem(source, name, f"minimum {minimum!r} must not exceed the maximum")
        if kind != "decimal" and not (_is_int(maximum) and _is_int(minimum)):
            raise _problem(source, name, "bounds of a whole number must be whole numbers")
    elif "maximum" in spec or "minimum" in spec:
        raise _problem(source, name, f"a {kind} field has no minimum or maximum")
    if kind in _CHOICE_TYPES:
        choices = spec.get("choices")
        if not choices or not all(
            isinstance(c, list) and len(c) == 2 and all(isinstance(x, str) for x in c)
            for c in choices
        ):
            raise _problem(source, name, "needs choices [[value, label], ...]")
    elif "choices" in spec:
        raise _problem(source, name, f"a {kind} field has no choices")
    if "required_if" in spec:
        condition = spec["required_if"]
        if not isinstance(condition, dict) or len(condition) != 1:
            raise _problem(source, name, "required_if is {other_field = value}")
        (other,) = condition
        if other not in names:
            raise _problem(source, name, f"required_if names unknown field {other!r}")
    if "must_be" in spec and not spec.get("must_be_message"):
        raise _problem(source, name, "must_be needs a must_be_message")


def _rules_of(spec: dict) -> tuple[str, ...]:
    rules = spec.get("rule", ())
    return (rules,) if isinstance(rules, str) else tuple(rules)


def _help(spec: dict):
    parts = [str(translated(spec["help"]))] if spec.get("help") else []
    if spec["type"] == "text":
        if spec.get("min_length"):
            parts.append(
                _(
                    "%(minimum)s to %(maximum)s characters.",
                    minimum=format_number(spec["min_length"]),
                    maximum=format_number(spec["max_length"]),
                )
            )
        else:
            parts.append(
                _("At most %(maximum)s characters.", maximum=format_number(spec["max_length"]))
            )
    return " ".join(parts)


class _LazyHelp:
    """The field's help in the request's language (built when rendered)."""

    def __init__(self, spec: dict):
        self.spec = spec

    def __str__(self) -> str:
        return _help(self.spec)

    def __html__(self) -> str:
        from markupsafe import escape

        return str(escape(str(self)))

    def __bool__(self) -> bool:
        return bool(str(self))


def _unbound(spec: dict) -> wtforms.Field:
    """The unbound WTForms field of one (checked) field definition."""
    kind = spec["type"]
    required = bool(spec.get("required")) and "required_if" not in spec
    checks: list = []
    if "required_if" in spec:
        ((other, value),) = spec["required_if"].items()
        checks.append(RequiredIf(other, value))
    elif required:
        if kind in _TEXT_TYPES:
            checks.append(validators.DataRequired())  # blanks are no answer
        elif kind == "multichoice":
            checks.append(AtLeastOne())
        elif kind != "boolean":
            # InputRequired, not DataRequired: 0 is a real answer
            checks.append(validators.InputRequired())
    else:
        checks.append(validators.Optional())
    if kind in _TEXT_TYPES:
        checks.append(CharacterLength(spec.get("min_length"), spec["max_length"]))
    if kind in _NUMBER_TYPES:
        minimum = spec.get("minimum", 0)
        maximum = spec["maximum"]
        if kind == "decimal":
            minimum, maximum = Decimal(str(minimum)), Decimal(str(maximum))
        checks.append(Bounds(minimum, maximum))
    if "must_be" in spec:
        checks.append(MustBe(spec["must_be"], translated(spec["must_be_message"])))
    kwargs = {
        "label": translated(spec["label"]),
        "validators": checks,
        "description": _LazyHelp(spec),
    }
    if kind not in _CHOICE_TYPES and (required or "must_be" in spec):
        # choice fields: the host marks the fieldset (options share the field's render_kw)
        kwargs["render_kw"] = {"aria-required": "true"}
    choices = [SelectChoice(value, translated(text)) for value, text in spec.get("choices", [])]
    match kind:
        case "string":
            return wtforms.StringField(filters=[_tidy_text], **kwargs)
        case "text":
            return wtforms.TextAreaField(filters=[_tidy_text], **kwargs)
        case "integer":
            return WholeNumberField(**kwargs)
        case "money":
            return MoneyField(**kwargs)
        case "decimal":
            return DecimalNumberField(**kwargs)
        case "date":
            return TaiwanDateField(**kwargs)
        case "boolean":
            # an unticked box is an answer (False): neither required nor optional applies
            kwargs["validators"] = [c for c in checks if not isinstance(c, validators.Optional)]
            return wtforms.BooleanField(**kwargs)
        case "choice":
            return ChoiceField(choices=choices, **kwargs)
        case _:
            return MultiChoiceField(choices=choices, required=required, **kwargs)


@dataclass(frozen=True)
class FormDefinition:
    """A checked form definition; :meth:`form_for` builds the form a deployment asks."""

    key: str
    version: int
    title: str
    fields: tuple[dict, ...]
    source: str
    _unbound: dict = field(default_factory=dict, repr=False, compare=False)
    _classes: dict = field(default_factory=dict, repr=False, compare=False)
    _lock: Any = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(spec["name"] for spec in self.fields)

    def rules_of(self, name: str) -> tuple[str, ...]:
        """The rule IDs that ask for field ``name`` (empty: asked everywhere)."""
        return next(_rules_of(spec) for spec in self.fields if spec["name"] == name)

    @property
    def form_class(self) -> type[AppGovForm]:
        """Every field of the definition, whatever the rules (tests, extraction)."""
        return self.form_class_for(self.names)

    def asked(self, applies) -> tuple[str, ...]:
        """Names of the fields asked where ``applies(rule_id) -> bool`` says which rules apply."""
        return tuple(
            spec["name"]
            for spec in self.fields
            if not _rules_of(spec) or any(applies(r) for r in _rules_of(spec))
        )

    def form_class_for(self, names) -> type[AppGovForm]:
        """The form class with the fields ``names`` (in the definition's order), cached."""
        wanted = frozenset(names)
        unknown = wanted - set(self.names)
        if unknown:
            raise ValueError(
                f"{self.source}: no field(s) {', '.join(sorted(unknown))} in {self.key!r}"
            )
        form_class = self._classes.get(wanted)
        if form_class is None:
            with self._lock:
                form_class = self._classes.get(wanted)
                if form_class is None:
                    attrs = {n: self._unbound[n] for n in self.names if n in wanted}
                    class_name = f"{self.key.title().replace('_', '')}Form"
                    form_class = type(class_name, (AppGovForm,), attrs)
                    self._classes[wanted] = form_class
        return form_class

    def form_for(self, policy, data=None, **kwargs) -> AppGovForm:
        """The form this deployment asks, bound to the request: the fields whose rules
        ``policy`` applies. With ``data`` (a stored case's answers) the form shows those
        answers and keeps every field present in ``data`` even if its rule no longer
        applies: a case keeps its questions."""
        names = set(self.asked(policy.applies))
        if data:
            names |= set(data) & set(self.names)
        form_class = self.form_class_for(names)
        return form_class(data=dict(data), **kwargs) if data is not None else form_class(**kwargs)


def build(definition: dict, source: str | None = None) -> FormDefinition:
    """Check a parsed definition and build its fields (``ValueError`` names the file and
    the field at fault)."""
    source = source or f"form definition {definition.get('key', '?')!r}"
    for key in ("key", "version", "title", "fields"):
        if key not in definition:
            raise ValueError(f"{source}: form definition lacks {key!r}")
    if not _is_int(definition["version"]) or definition["version"] < 1:
        raise ValueError(f"{source}: version must be a whole number >= 1")
    specs = definition["fields"]
    names = [spec.get("name") for spec in specs]
    for spec in specs:
        _check_field(source, spec, names)
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"{source}: form field(s) {', '.join(duplicates)} declared twice")
    result = FormDefinition(
        key=definition["key"],
        version=definition["version"],
        title=definition["title"],
        fields=tuple(specs),
        source=source,
    )
    result._unbound.update({spec["name"]: _unbound(spec) for spec in specs})
    return result


def available() -> list[str]:
    """Keys of the form definitions shipped in this package."""
    root = resources.files("appgov_plugin.forms")
    return sorted(p.name.removesuffix(".toml") for p in root.iterdir() if p.name.endswith(".toml"))


@cache
def load(key: str) -> FormDefinition:
    """The shipped definition ``forms/<key>.toml``, checked and built once."""
    resource = resources.files("appgov_plugin.forms").joinpath(f"{key}.toml")
    if not resource.is_file():
        raise ValueError(f"unknown form definition {key!r}; known: {', '.join(available())}")
    return build(tomllib.loads(resource.read_text(encoding="utf-8")), source=f"forms/{key}.toml")


def deployment_form(key: str, data=None, **kwargs) -> AppGovForm:
    """Form ``key`` as this deployment asks it today (inside an application running appgov):
    the host calls it for a new case, and with ``data=case.data`` for a stored one."""
    from appgov_plugin.state import get_state

    return load(key).form_for(get_state().policy(), data=data, **kwargs)


def proposal_form(data=None, **kwargs) -> AppGovForm:
    """The app development proposal (TN-EVAL-1..5 or KH-EVAL-1) this deployment asks."""
    return deployment_form("app_proposal", data=data, **kwargs)


__all__ = [
    "FIELD_TYPES",
    "AppGovForm",
    "DecimalNumberField",
    "FormDefinition",
    "MoneyField",
    "MultiChoiceField",
    "WholeNumberField",
    "available",
    "build",
    "deployment_form",
    "load",
    "proposal_form",
]
