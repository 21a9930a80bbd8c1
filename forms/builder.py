"""Render a declarative form definition (``forms/*.toml``) as a WTForms form class.

A definition has ``key``, ``version``, ``title`` and a list of ``fields``; each field has
``name``, ``type`` and an English ``label`` (translated through the ``appgov`` domain), and
may have ``required``, ``min_length``/``max_length``, ``minimum``/``maximum``, ``choices``
(``[[value, label], ...]``), ``required_if`` (``{field = value}``: required when another
field has that value), ``must_be`` (a value the answer must equal, with ``must_be_message``)
and ``help``. Field types: string, text, integer, money, decimal, date, boolean, choice,
multichoice.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import wtforms
from flask_wtf import FlaskForm
from wtforms import validators
from wtforms.fields.choices import SelectChoice

from appgov_plugin.i18n import lazy_gettext as translated
from appgov_plugin.i18n import wtforms_translations

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


class AppGovForm(FlaskForm):
    """Base form: WTForms' own messages in Traditional Chinese for zh_Hant_TW."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form):
            return wtforms_translations()


class RequiredIf:
    """Required when field ``other`` has ``value`` (e.g. TN-EVAL-2's missing reason)."""

    def __init__(self, other: str, value: Any):
        self.other, self.value = other, value

    def __call__(self, form, field):
        if form[self.other].data == self.value:
            validators.InputRequired()(form, field)
        else:
            field.errors[:] = []
            raise validators.StopValidation()


class MustBe:
    def __init__(self, value: Any, message: Any):
        self.value, self.message = value, message

    def __call__(self, form, field):
        if field.data != self.value:
            raise validators.ValidationError(self.message)


@dataclass(frozen=True)
class FormDefinition:
    key: str
    version: int
    title: str
    fields: tuple[dict, ...]
    form_class: type[AppGovForm]


def _field(spec: dict) -> wtforms.Field:
    kind = spec.get("type")
    name = spec.get("name", "?")
    if kind not in FIELD_TYPES:
        raise ValueError(
            f"form field {name!r}: unknown type {kind!r}; known: {', '.join(FIELD_TYPES)}"
        )
    checks: list = []
    if "required_if" in spec:
        ((other, value),) = spec["required_if"].items()
        checks.append(RequiredIf(other, value))
    elif spec.get("required"):
        # InputRequired, not DataRequired: 0 and False are real answers
        checks.append(
            validators.InputRequired() if kind != "multichoice" else validators.DataRequired()
        )
    else:
        checks.append(validators.Optional())
    if "min_length" in spec or "max_length" in spec:
        checks.append(
            validators.Length(min=spec.get("min_length", -1), max=spec.get("max_length", -1))
        )
    if "minimum" in spec or "maximum" in spec:
        checks.append(validators.NumberRange(min=spec.get("minimum"), max=spec.get("maximum")))
    if "must_be" in spec:
        checks.append(MustBe(spec["must_be"], translated(spec["must_be_message"])))
    label = translated(spec["label"])
    kwargs = {
        "label": label,
        "validators": checks,
        "description": translated(spec["help"]) if spec.get("help") else "",
    }
    choices = [SelectChoice(value, translated(text)) for value, text in spec.get("choices", [])]
    match kind:
        case "string":
            return wtforms.StringField(**kwargs)
        case "text":
            return wtforms.TextAreaField(**kwargs)
        case "integer":
            return wtforms.IntegerField(**kwargs)
        case "money":
            return wtforms.IntegerField(render_kw={"inputmode": "numeric"}, **kwargs)
        case "decimal":
            return wtforms.DecimalField(**kwargs)
        case "date":
            return wtforms.DateField(**kwargs)
        case "boolean":
            # an unticked box is an answer (False): neither required nor optional applies
            kwargs["validators"] = [
                c
                for c in checks
                if not isinstance(c, validators.InputRequired | validators.Optional)
            ]
            return wtforms.BooleanField(**kwargs)
        case "choice":
            return wtforms.RadioField(choices=choices, **kwargs)
        case _:
            return wtforms.SelectMultipleField(choices=choices, **kwargs)


def build(definition: dict) -> FormDefinition:
    """Check a parsed definition and build its form class (``ValueError`` names problems)."""
    for key in ("key", "version", "title", "fields"):
        if key not in definition:
            raise ValueError(f"form definition lacks {key!r}")
    names = [f.get("name") for f in definition["fields"]]
    for spec in definition["fields"]:
        other = next(iter(spec.get("required_if", {})), None)
        if other is not None and other not in names:
            raise ValueError(
                f"form field {spec['name']!r}: required_if names unknown field {other!r}"
            )
    attrs = {spec["name"]: _field(spec) for spec in definition["fields"]}
    form_class = type(f"{definition['key'].title().replace('_', '')}Form", (AppGovForm,), attrs)
    return FormDefinition(
        key=definition["key"],
        version=int(definition["version"]),
        title=definition["title"],
        fields=tuple(definition["fields"]),
        form_class=form_class,
    )


def available() -> list[str]:
    """Keys of the form definitions shipped in this package."""
    root = resources.files("appgov_plugin.forms")
    return sorted(p.name.removesuffix(".toml") for p in root.iterdir() if p.name.endswith(".toml"))


@cache
def load(key: str) -> FormDefinition:
    """The shipped definition ``forms/<key>.toml``, built once."""
    resource = resources.files("appgov_plugin.forms").joinpath(f"{key}.toml")
    if not resource.is_file():
        raise ValueError(f"unknown form definition {key!r}; known: {', '.join(available())}")
    return build(tomllib.loads(resource.read_text(encoding="utf-8")))
