"""Render a declarative form definition (``forms/*.toml``) as WTForms, per deployment.

The schema is documented in ``docs/forms.md`` and checked by
:mod:`appgov_plugin.forms.schema`; fields live in :mod:`appgov_plugin.forms.fields`,
conditions and policy checks in :mod:`appgov_plugin.forms.conditions`.

- :func:`parse` (TOML text) and :func:`build` (a parsed dict) check a definition and return
  a :class:`FormDefinition`; :func:`load` the shipped ``forms/<key>.toml``, :func:`available`
  their keys.
- :meth:`FormDefinition.form_for` builds the form a deployment asks: fields (and sections)
  whose ``rule`` the policy applies, plus every field a stored case answered (a case keeps
  its questions). Form classes are cached per set of fields; every text is bilingual and
  resolved in the request's language when rendered, so one class serves both languages.
- :meth:`FormDefinition.offered_by` says whether a deployment offers the form at all
  (the form-level ``rules``).

Validation: ``shown_when`` fields that are not shown are not validated and their answers
are dropped; ``required_when`` / ``required_by`` decide ``required``; ``after`` and
``at_least`` bound dates and numbers; the form-level ``checks`` run last. What the user
typed stays in every input (and every row) when the form is refused.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache, cached_property
from importlib import resources
from typing import Any

import wtforms
from flask_wtf import FlaskForm
from markupsafe import escape
from wtforms.fields.choices import SelectChoice

from appgov_plugin.forms import conditions as cond
from appgov_plugin.forms.fields import (
    Bounds,
    CharacterLength,
    ChoiceField,
    ComputedField,
    DecimalNumberField,
    EmailAddress,
    EmailField,
    HeadingField,
    MoneyField,
    MultiChoiceField,
    MustBe,
    NoticeField,
    RowForm,
    RowsField,
    SelectChoiceField,
    TaiwanDateField,
    UrlField,
    VersionNumber,
    WebAddress,
    WholeNumberField,
    tidy_text,
)
from appgov_plugin.forms.schema import (
    ADDRESS_LENGTHS,
    CHOICE_TYPES,
    FIELD_TYPES,
    NUMBER_TYPES,
    TEXT_TYPES,
    Text,
    check_definition,
    heading_name,
    rules_of,
)
from appgov_plugin.i18n import _, format_number, wtforms_translations
from appgov_plugin.safe_input import FiniteNumbersMeta, register_form_labels

#: Types that store no answer.
NO_ANSWER_TYPES = ("notice", "heading")


class AppGovForm(FlaskForm):
    """Base form: WTForms' own messages in Traditional Chinese for zh_Hant_TW; NaN and
    infinities refused in every decimal and float field
    (:class:`appgov_plugin.safe_input.FiniteNumbersMeta`).

    A form built from a definition (:meth:`FormDefinition.form_for`) also evaluates the
    definition's conditions and checks in :meth:`validate`, computes its ``computed``
    fields, and gives its answers as JSON-ready data with :meth:`answers`.
    """

    _appgov_definition: FormDefinition | None = None

    @property
    def appgov_definition(self) -> FormDefinition | None:
        """The definition the form was built from (its ``title``, ``intro``, ``version``)."""
        return self._appgov_definition

    class Meta(FiniteNumbersMeta, FlaskForm.Meta):
        def get_translations(self, form):
            return wtforms_translations()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        register_form_labels(cls)  # a refused control character is named by its label

    def __init__(self, *args, policy=None, **kwargs):
        self._appgov_policy = policy
        self._appgov_hidden: set[str] = set()
        super().__init__(*args, **kwargs)
        if self._appgov_definition is not None:
            self._compute(only_missing=not self.is_submitted_with_data())

    def is_submitted_with_data(self) -> bool:
        return any(f.raw_data for f in self if f.raw_data is not None)

    # -- definition-driven behaviour --------------------------------------------------
    def _compute(self, only_missing: bool = False) -> None:
        for form_field in self:
            if isinstance(form_field, ComputedField):
                if only_missing and form_field.data is not None:
                    continue  # a stored case shows what it stored
                try:
                    value = cond.RequiredBy(form_field.check, tuple(form_field.args.items())).value(
                        self
                    )
                except RuntimeError:  # no application: nothing to compute with
                    value = None
                form_field.data = value if isinstance(value, int) else None

    def _find_hidden(self) -> set[str]:
        """Fields whose ``shown_when`` (their section's or their own) does not hold: the
        answers a field not shown gives are not answers."""
        definition = self._appgov_definition
        self._appgov_hidden = hidden = set()
        changed = True
        while changed:  # hiding a field can only make more conditions false
            changed = False
            for name, shown_when in definition._shown_when.items():
                if (
                    name in self._fields
                    and name not in hidden
                    and not all(c.holds(self) for c in shown_when)
                ):
                    hidden.add(name)
                    changed = True
        return hidden

    def validate(self, extra_validators=None):
        definition = self._appgov_definition
        if definition is None:
            return super().validate(extra_validators)
        self.form_errors = []
        hidden = self._find_hidden()
        self._compute()
        success = True
        for name, form_field in self._fields.items():
            if name in hidden:
                form_field.errors = []
                continue
            extra = list((extra_validators or {}).get(name, ()))
            inline = getattr(self.__class__, f"validate_{name}", None)
            if inline is not None:
                extra.append(inline)
            if not form_field.validate(self, extra):
                success = False
        for name, message in cond.form_check_errors(self, definition.checks):
            self._fields[name].errors = [*self._fields[name].errors, message]
            success = False
        if success:
            for name in hidden:  # dropped: not stored
                form_field = self._fields[name]
                if isinstance(form_field, RowsField):
                    form_field.drop()
                elif isinstance(form_field, MultiChoiceField):
                    form_field.data = []
                else:
                    form_field.data = None
        return success

    def answers(self) -> dict[str, Any]:
        """The answers as JSON-compatible data (dates ISO, decimals as text, rows as lists of
        dicts, uploads as dicts), without headings, notices, buttons, the CSRF token and the
        fields ``shown_when`` hides."""
        if self._appgov_definition is not None:
            self._find_hidden()
        data = {}
        for form_field in self:
            if form_field.flags.no_answer or form_field.type in ("SubmitField", "CSRFTokenField"):
                continue
            if form_field.name in self._appgov_hidden:
                continue
            value = form_field.data
            if isinstance(value, dt.date | dt.datetime):
                value = value.isoformat()
            elif isinstance(value, Decimal):
                value = str(value)
            data[form_field.name] = value
        for form_field in self:  # what a field stores beside its answer (an app's name)
            derived = getattr(form_field, "derived_answers", None)
            if callable(derived) and form_field.name not in self._appgov_hidden:
                for name, value in derived().items():
                    if name not in self._fields:
                        data[name] = value
        return data


# -- from a spec to an unbound field ------------------------------------------------------


def _text(value) -> Text | None:
    return Text(value) if value else None


def _help(spec: dict) -> str:
    parts = [str(Text(spec["help"]))] if spec.get("help") else []
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
        return str(escape(str(self)))

    def __bool__(self) -> bool:
        return bool(self.spec.get("help")) or self.spec["type"] == "text"

    def __eq__(self, other) -> bool:
        return str(self) == other

    __hash__ = object.__hash__


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _choices(spec: dict) -> list[SelectChoice]:
    return [SelectChoice(c["value"], Text(c["label"])) for c in spec.get("choices", [])]


def _row_form(spec: dict) -> type[RowForm]:
    attrs = {c["name"]: _unbound(c, in_row=True) for c in spec["columns"]}
    return type(f"{spec['name'].title().replace('_', '')}Row", (RowForm,), attrs)


def _unbound(spec: dict, section: dict | None = None, in_row: bool = False):
    """The unbound WTForms field of one (checked) field definition."""
    kind = spec["type"]
    section = section or {}
    own = [cond.When.of(spec["required_when"])] if "required_when" in spec else []
    if "required_by" in spec:
        own.append(cond.RequiredBy.of(spec["required_by"]))
    around = [cond.When.of(section["required_when"])] if "required_when" in section else []
    if "required_by" in section:
        around.append(cond.RequiredBy.of(section["required_by"]))
    requirement = cond.Requirement(kind, bool(spec.get("required")), own, around)
    if in_row:
        requirement.field_flags = {}  # spare blank rows: no HTML "required" in a cell
    render_kw: dict[str, Any] = {}
    shown = [s["shown_when"] for s in (section, spec) if "shown_when" in s]
    if shown:
        render_kw["data-appgov-shown-when"] = _json(shown)
    when = [s["required_when"] for s in (section, spec) if "required_when" in s]
    if when and not any("required_by" in s for s in (section, spec)):
        render_kw["data-appgov-required-when"] = _json(when)

    if kind == "notice":
        return NoticeField(text=Text(spec["text"]), render_kw=render_kw or None)
    label = Text(spec["label"])
    if kind == "computed":
        return ComputedField(
            label=label,
            check=spec["check"],
            args=spec.get("args", {}),
            description=_text(spec.get("help")) or "",
            render_kw={
                **render_kw,
                "data-appgov-check": spec["check"],
                "data-appgov-args": _json(spec.get("args", {})),
            },
        )
    checks: list = [requirement]
    if kind in TEXT_TYPES:
        checks.append(CharacterLength(spec.get("min_length"), spec["max_length"]))
    if spec.get("format") == "version":
        checks.append(VersionNumber())  # rule KH-VER-1
    if kind in ADDRESS_LENGTHS:
        checks.append(CharacterLength(None, spec.get("max_length", ADDRESS_LENGTHS[kind])))
        checks.append(EmailAddress() if kind == "email" else WebAddress())
    if kind in NUMBER_TYPES:
        minimum, maximum = spec.get("minimum", 0), spec["maximum"]
        if kind == "decimal":
            minimum, maximum = Decimal(str(minimum)), Decimal(str(maximum))
        checks.append(Bounds(minimum, maximum))
        if "at_least" in spec:
            checks.append(cond.AtLeast(spec["at_least"]))
    if kind == "date" and "after" in spec:
        checks.append(cond.After(spec["after"]))
    if "must_be" in spec:
        checks.append(MustBe(spec["must_be"], Text(spec["must_be_message"])))
    kwargs: dict[str, Any] = {"label": label, "validators": checks}
    if kind == "rows" or kind == "file":
        kwargs["description"] = _text(spec.get("help")) or ""
    else:
        kwargs["description"] = _LazyHelp(spec)
    if (
        not in_row
        and kind not in CHOICE_TYPES
        and kind != "rows"
        and (requirement.static or "must_be" in spec)
    ):
        # choice fields: the host marks the fieldset (options share the field's render_kw)
        render_kw["aria-required"] = "true"
    if kind == "multichoice" and not in_row:
        render_kw["data-appgov-many"] = "true"  # the script tells its boxes from a tick box
    if render_kw:
        kwargs["render_kw"] = render_kw
    match kind:
        case "string":
            return wtforms.StringField(filters=[tidy_text], **kwargs)
        case "text":
            return wtforms.TextAreaField(filters=[tidy_text], **kwargs)
        case "email":
            return EmailField(filters=[tidy_text], **kwargs)
        case "url":
            return UrlField(filters=[tidy_text], **kwargs)
        case "integer":
            return WholeNumberField(**kwargs)
        case "money":
            return MoneyField(**kwargs)
        case "decimal":
            return DecimalNumberField(**kwargs)
        case "date":
            return TaiwanDateField(**kwargs)
        case "boolean":
            return wtforms.BooleanField(**kwargs)
        case "choice" if in_row:
            return SelectChoiceField(choices=_choices(spec), **kwargs)
        case "choice":
            return ChoiceField(choices=_choices(spec), **kwargs)
        case "multichoice":
            return MultiChoiceField(choices=_choices(spec), required=requirement.static, **kwargs)
        case "rows":
            kwargs["validators"] = []
            return RowsField(
                row_form=_row_form(spec),
                columns=[(c["name"], Text(c["label"]), c["type"]) for c in spec["columns"]],
                min_rows=spec.get("min_rows", 0),
                max_rows=spec["max_rows"],
                totals=spec.get("totals", ()),
                requirement=requirement,
                **kwargs,
            )
        case "app":
            from appgov_plugin.apps.fields import AppField  # the app registry's own field

            return AppField(statuses=spec.get("statuses", ()), **kwargs)
        case "file":
            from appgov_plugin.forms.files import UploadField

            return UploadField(
                accept=tuple(spec.get("accept", ("pdf",))),
                max_bytes=spec["max_size_mb"] * 1024 * 1024,
                **kwargs,
            )
    raise AssertionError(kind)  # the schema knows every type


# -- definitions --------------------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    name: str
    title: Text
    help: Text | None
    rules: tuple[str, ...]
    spec: dict


@dataclass(frozen=True)
class FormDefinition:
    """A checked form definition; :meth:`form_for` builds the form a deployment asks."""

    key: str
    version: int
    title: Text
    fields: tuple[dict, ...]
    source: str
    intro: Text | None = None
    rules: tuple[str, ...] = ()
    sections: tuple[Section, ...] = ()
    checks: tuple[dict, ...] = ()
    raw: dict = field(default_factory=dict, repr=False, compare=False)
    _order: tuple[str, ...] = field(default=(), repr=False, compare=False)
    _section_of: dict = field(default_factory=dict, repr=False, compare=False)
    _shown_when: dict = field(default_factory=dict, repr=False, compare=False)
    _unbound: dict = field(default_factory=dict, repr=False, compare=False)
    _classes: dict = field(default_factory=dict, repr=False, compare=False)
    #: the asked fields per set of applied rules (of those the definition names)
    _asked: dict = field(default_factory=dict, repr=False, compare=False)
    _lock: Any = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def names(self) -> tuple[str, ...]:
        """Every field's name (not the section headings), in order."""
        return tuple(spec["name"] for spec in self.fields)

    def spec(self, name: str) -> dict:
        return next(spec for spec in self.fields if spec["name"] == name)

    def rules_of(self, name: str) -> tuple[str, ...]:
        """The rule IDs that ask for field ``name`` itself (empty: asked everywhere, unless
        its section's rule says otherwise)."""
        return rules_of(self.spec(name))

    def offered_by(self, policy) -> bool:
        """Whether the deployment offers this form: it applies one of the form's ``rules``
        (a form without rules is offered everywhere)."""
        return not self.rules or any(policy.applies(r) for r in self.rules)

    @property
    def form_class(self) -> type[AppGovForm]:
        """Every field of the definition, whatever the rules (tests, previews)."""
        return self.form_class_for(self.names)

    def _applies(self, rules: tuple[str, ...], applies) -> bool:
        return not rules or any(applies(r) for r in rules)

    def asked(self, applies) -> tuple[str, ...]:
        """Names of the fields asked where ``applies(rule_id) -> bool`` says which rules
        apply: the field's and its section's rules. Kept per set of applied rules (of the
        few the definition names), so a request asks ``applies`` once per rule."""
        applied = frozenset(rule for rule in self._rule_ids if applies(rule))
        asked = self._asked.get(applied)
        if asked is None:
            asked = self._asked[applied] = self._asked_where(applied.__contains__)
        return asked

    @cached_property
    def _rule_ids(self) -> frozenset[str]:
        """Every rule ID the fields and sections name."""
        ids = {rule for spec in self.fields for rule in rules_of(spec)}
        return frozenset(ids | {rule for section in self.sections for rule in section.rules})

    def _asked_where(self, applies) -> tuple[str, ...]:
        asked = []
        for spec in self.fields:
            section = self._section_of.get(spec["name"])
            if section is not None and not self._applies(section.rules, applies):
                continue
            if self._applies(rules_of(spec), applies):
                asked.append(spec["name"])
        return tuple(asked)

    def form_class_for(self, names) -> type[AppGovForm]:
        """The form class with the fields ``names`` (in the definition's order, each
        section's heading before its first field), cached per set of names."""
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
                    headings = {
                        heading_name(self._section_of[n].name)
                        for n in wanted
                        if self._section_of.get(n) is not None
                    }
                    attrs: dict[str, Any] = {
                        n: self._unbound[n] for n in self._order if n in wanted or n in headings
                    }
                    attrs["_appgov_definition"] = self
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
        if data is not None:
            return form_class(data=dict(data), policy=policy, **kwargs)
        return form_class(policy=policy, **kwargs)


def build(definition: dict, source: str | None = None) -> FormDefinition:
    """Check a parsed definition and build its fields (``ValueError`` names the file, the
    field and the key at fault)."""
    if source is None:
        key = definition.get("key", "?") if isinstance(definition, dict) else "?"
        source = f"form definition {key!r}"
    pairs = check_definition(definition, source)
    sections: dict[str, Section] = {}
    for raw in definition.get("sections", []):
        sections[raw["name"]] = Section(
            name=raw["name"],
            title=Text(raw["title"]),
            help=_text(raw.get("help")),
            rules=rules_of(raw),
            spec=raw,
        )
    result = FormDefinition(
        key=definition["key"],
        version=definition["version"],
        title=Text(definition["title"]),
        intro=_text(definition.get("intro")),
        rules=tuple(definition.get("rules", ())),
        sections=tuple(sections.values()),
        checks=tuple(
            {**c, "message": _text(c.get("message"))} for c in definition.get("checks", [])
        ),
        fields=tuple(spec for _section, spec in pairs),
        source=source,
        raw=definition,
    )
    order: list[str] = []
    seen_sections: set[str] = set()
    for raw_section, spec in pairs:
        section = sections[raw_section["name"]] if raw_section is not None else None
        if section is not None and section.name not in seen_sections:
            seen_sections.add(section.name)
            heading = heading_name(section.name)
            order.append(heading)
            shown = [section.spec["shown_when"]] if "shown_when" in section.spec else []
            result._unbound[heading] = HeadingField(
                text=section.title,
                help=section.help,
                render_kw={"data-appgov-shown-when": _json(shown)} if shown else None,
            )
            if shown:
                result._shown_when[heading] = [cond.When.of(s) for s in shown]
        order.append(spec["name"])
        result._section_of[spec["name"]] = section
        result._unbound[spec["name"]] = _unbound(spec, raw_section)
        shown = [s["shown_when"] for s in (raw_section or {}, spec) if "shown_when" in s]
        if shown:
            result._shown_when[spec["name"]] = [cond.When.of(s) for s in shown]
    object.__setattr__(result, "_order", tuple(order))
    return result


def parse(toml_text: str, source: str) -> FormDefinition:
    """Check and build a definition from TOML text (``ValueError`` for bad TOML too)."""
    try:
        definition = tomllib.loads(toml_text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{source}: not valid TOML: {exc}") from None
    return build(definition, source=source)


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
    return parse(resource.read_text(encoding="utf-8"), source=f"forms/{key}.toml")


__all__ = [
    "FIELD_TYPES",
    "AppGovForm",
    "Bounds",
    "DecimalNumberField",
    "FormDefinition",
    "MoneyField",
    "MultiChoiceField",
    "Text",
    "WholeNumberField",
    "available",
    "build",
    "load",
    "parse",
]
