"""Flask-Admin **Forms** (endpoint ``appgov_forms``): administrators edit the versioned form
definitions (:mod:`.store`) without a developer.

* the list: every form with its live version, last change (who, when, why);
* a form's page: its history, each version viewable as TOML and as a rendered preview;
* a **structured editor**: fields added, removed, moved up or down, put in a section, their
  type, labels and help in both languages, required, limits, choices (one per line,
  ``value | 中文 | English``) and conditions (``shown_when`` / ``required_when``) changed;
  every other key of a field (rules, ``after``, row columns...) is kept as it was;
* a **TOML editor** for everything else;
* a **preview** of the edited definition in zh_Hant_TW and in English, rendered by the engine;
* **publish** with a required reason: a new version (:func:`.store.publish`); a definition
  the engine refuses is shown with its message beside the editor and nothing is stored.

Everything is server-side (one form POSTed back with the pressed button's ``action``), so it
works without JavaScript; what the administrator typed is rendered back, never lost.
"""

from __future__ import annotations

import copy
import json
import re
import tomllib
from dataclasses import dataclass, field
from typing import Any

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_admin import BaseView, expose
from flask_babel import force_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from appgov_plugin.access import AdminOnly
from appgov_plugin.i18n import _, _l, current_locale, format_datetime, template_gettext

from . import store

LANGUAGES = ("zh_Hant_TW", "en")
#: ``lang`` attribute of each language
HTML_LANG = {"zh_Hant_TW": "zh-Hant-TW", "en": "en"}
LANGUAGE_NAMES = {"zh_Hant_TW": "中文", "en": "English"}

#: limit keys of each field type the structured editor edits
TYPE_LIMITS: dict[str, tuple[str, ...]] = {
    "string": ("min_length", "max_length"),
    "text": ("min_length", "max_length"),
    "integer": ("minimum", "maximum"),
    "money": ("minimum", "maximum"),
    "decimal": ("minimum", "maximum"),
    "email": ("max_length",),
    "url": ("max_length",),
    "file": ("max_size_mb",),
    "rows": ("min_rows", "max_rows"),
}
LIMIT_LABELS = {
    "min_length": _l("Minimum length (characters)"),
    "max_length": _l("Maximum length (characters)"),
    "minimum": _l("Minimum"),
    "maximum": _l("Maximum"),
    "max_size_mb": _l("Largest file (MB)"),
    "min_rows": _l("Minimum rows"),
    "max_rows": _l("Maximum rows"),
}
CONDITIONS = {"shown_when": _l("Asked only when"), "required_when": _l("Required when")}
#: every key the structured editor manages (others are kept untouched)
MANAGED = frozenset(
    {"name", "type", "label", "help", "required", "text", "choices", "accept"}
    | {key for keys in TYPE_LIMITS.values() for key in keys}
    | set(CONDITIONS)
)


def field_types() -> tuple[str, ...]:
    try:
        from .schema import FIELD_TYPES
    except ImportError:  # the engine before schema.py
        from .builder import FIELD_TYPES
    return tuple(FIELD_TYPES)


def file_kinds() -> tuple[str, ...]:
    try:
        from .schema import FILE_KINDS
    except ImportError:
        return ("pdf", "png", "jpeg", "odt", "ods", "docx", "xlsx", "zip")
    return tuple(FILE_KINDS)


# -- TOML text from a definition ----------------------------------------------------------

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
#: arrays of tables written as ``[[...]]`` blocks (others inline)
_BLOCKS = ("checks", "sections", "fields")


def _key(name: str) -> str:
    return name if _BARE_KEY.fullmatch(name) else json.dumps(name, ensure_ascii=False)


def _inline(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # JSON escapes are TOML's
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{_key(k)} = {_inline(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list | tuple):
        if value and all(isinstance(item, dict) for item in value):
            return "[\n" + "".join(f"    {_inline(item)},\n" for item in value) + "]"
        return "[" + ", ".join(_inline(item) for item in value) + "]"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"no TOML for {value!r}")


def _is_block(name: str, value: Any) -> bool:
    return (
        name in _BLOCKS
        and isinstance(value, list)
        and bool(value)
        and all(isinstance(item, dict) for item in value)
    )


def _table(data: dict, prefix: str, lines: list[str]) -> None:
    blocks = []
    for name, value in data.items():
        if _is_block(name, value):
            blocks.append((name, value))
        else:
            lines.append(f"{_key(name)} = {_inline(value)}")
    for name, items in blocks:
        path = f"{prefix}.{name}" if prefix else name
        for item in items:
            lines.append("")
            lines.append(f"[[{path}]]")
            _table(item, path, lines)


def dumps(data: dict) -> str:
    """A definition as TOML text: top-level keys, then ``[[checks]]``, ``[[sections]]``
    with their ``[[sections.fields]]``, or ``[[fields]]`` (``tomllib.loads`` gives ``data``
    back)."""
    lines: list[str] = []
    _table(data, "", lines)
    return "\n".join(lines).strip() + "\n"


# -- the draft: a definition as the structured editor sees it -----------------------------


def flat_fields(draft: dict) -> list[tuple[str | None, dict]]:
    """``(section name or None, field spec)`` of every field, in order."""
    if draft.get("sections"):
        return [
            (section.get("name"), spec)
            for section in draft["sections"]
            for spec in section.get("fields", [])
        ]
    return [(None, spec) for spec in draft.get("fields", [])]


def regroup(draft: dict, flat: list[tuple[str | None, dict]]) -> dict:
    """``draft`` with its fields replaced by ``flat`` (each into its section)."""
    draft = {k: v for k, v in draft.items() if k not in ("fields", "sections")} | {
        k: draft[k] for k in ("sections", "fields") if k in draft
    }
    if draft.get("sections"):
        for section in draft["sections"]:
            section["fields"] = [spec for name, spec in flat if name == section.get("name")]
    else:
        draft["fields"] = [spec for _name, spec in flat]
    return draft


def _text(value: Any, language: str) -> str:
    return str(value.get(language, "")) if isinstance(value, dict) else str(value or "")


def _number_text(value: Any) -> str:
    return "" if value is None else str(value)


def _choice_lines(choices: Any) -> str:
    lines = []
    for choice in choices or ():
        if isinstance(choice, dict):
            label = choice.get("label", {})
            lines.append(
                f"{choice.get('value', '')} | {_text(label, 'zh_Hant_TW')} | {_text(label, 'en')}"
            )
        elif isinstance(choice, list | tuple) and len(choice) == 2:
            lines.append(f"{choice[0]} | {choice[1]} | {choice[1]}")
    return "\n".join(lines)


def _values_text(values: Any) -> str:
    return ", ".join(json.dumps(v) if isinstance(v, bool) else str(v) for v in values or ())


@dataclass
class Row:
    """One field of the structured editor: what the inputs show (text as typed) and the
    problems found reading them."""

    values: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)
    #: moved past its section's end by "move up/down" (it keeps its place in the order)
    crossed: bool = False

    @classmethod
    def of(cls, section: str | None, spec: dict) -> Row:
        values: dict[str, Any] = {
            "name": str(spec.get("name", "")),
            "type": str(spec.get("type", "")),
            "section": section or "",
            "required": bool(spec.get("required")),
            "choices": _choice_lines(spec.get("choices")),
            "accept": list(spec.get("accept") or ()),
        }
        for language in LANGUAGES:
            suffix = "zh" if language == "zh_Hant_TW" else "en"
            values[f"label_{suffix}"] = _text(spec.get("label"), language)
            values[f"help_{suffix}"] = _text(spec.get("help"), language)
            values[f"text_{suffix}"] = _text(spec.get("text"), language)
        for keys in TYPE_LIMITS.values():
            for key in keys:
                values[key] = _number_text(spec.get(key))
        for condition in CONDITIONS:
            when = spec.get(condition) or {}
            values[f"{condition}_field"] = str(when.get("field", ""))
            values[f"{condition}_values"] = _values_text(when.get("in"))
        return cls(values)

    @classmethod
    def posted(cls, form, index: int) -> Row:
        prefix = f"f{index}-"
        values: dict[str, Any] = {}
        for name in ("name", "type", "section", "choices"):
            values[name] = (form.get(prefix + name) or "").strip()
        values["required"] = form.get(prefix + "required") == "y"
        values["accept"] = form.getlist(prefix + "accept")
        for suffix in ("zh", "en"):
            for what in ("label", "help", "text"):
                values[f"{what}_{suffix}"] = (form.get(f"{prefix}{what}_{suffix}") or "").strip()
        for keys in TYPE_LIMITS.values():
            for key in keys:
                values[key] = (form.get(prefix + key) or "").strip()
        for condition in CONDITIONS:
            for part in ("field", "values"):
                name = f"{condition}_{part}"
                values[name] = (form.get(prefix + name) or "").strip()
        return cls(values)

    def label(self) -> str:
        """The field's label as typed, in the reader's language (or the other one)."""
        first, second = (
            ("label_en", "label_zh") if current_locale() == "en" else ("label_zh", "label_en")
        )
        return self.values[first] or self.values[second] or self.values["text_zh"]

    # -- back into the field's spec -----------------------------------------------------
    def apply(self, spec: dict, types: dict[str, str]) -> dict:
        """``spec`` with what the inputs say (keys the editor does not manage kept);
        problems go to :attr:`errors` and leave that key as it was."""
        spec = copy.deepcopy(spec)
        v = self.values
        self.errors = {}
        spec["name"] = v["name"]
        kind = spec["type"] = v["type"]
        if kind == "notice":
            for key in ("label", "help", "required", *CONDITIONS):
                if key != "shown_when":
                    spec.pop(key, None)
            spec["text"] = {"zh_Hant_TW": v["text_zh"], "en": v["text_en"]}
        else:
            spec.pop("text", None)
            spec["label"] = {"zh_Hant_TW": v["label_zh"], "en": v["label_en"]}
            if v["help_zh"] or v["help_en"]:
                spec["help"] = {"zh_Hant_TW": v["help_zh"], "en": v["help_en"]}
            else:
                spec.pop("help", None)
            if v["required"]:
                spec["required"] = True
            else:
                spec.pop("required", None)
        limits = TYPE_LIMITS.get(kind, ())
        for keys in TYPE_LIMITS.values():
            for key in keys:
                if key not in limits:
                    spec.pop(key, None)
        for key in limits:
            self._number(spec, key, decimal=kind == "decimal")
        if kind in ("choice", "multichoice"):
            self._choices(spec)
        else:
            spec.pop("choices", None)
        if kind == "file":
            spec["accept"] = [k for k in file_kinds() if k in v["accept"]]
        else:
            spec.pop("accept", None)
        for condition in CONDITIONS:
            if kind == "notice" and condition != "shown_when":
                continue
            self._condition(spec, condition, types)
        return spec

    def _number(self, spec: dict, key: str, decimal: bool) -> None:
        typed = self.values[key].replace(",", "").replace("_", "")
        if not typed:
            spec.pop(key, None)
            return
        try:
            spec[key] = int(typed)
        except ValueError:
            try:
                number = float(typed) if decimal else None
            except ValueError:
                number = None
            if number is None or number != number or number in (float("inf"), float("-inf")):
                self.errors[key] = (
                    _("Enter a number.") if decimal else _("Enter a whole number, e.g. 2000.")
                )
                return
            spec[key] = number

    def _choices(self, spec: dict) -> None:
        choices = []
        for number, line in enumerate(self.values["choices"].splitlines(), start=1):
            if not line.strip():
                continue
            parts = [part.strip() for part in line.split("|")]
            if len(parts) != 3 or not parts[0]:
                self.errors["choices"] = _(
                    "Line %(number)s: write value | Chinese label | English label.",
                    number=number,
                )
                return
            choices.append({"value": parts[0], "label": {"zh_Hant_TW": parts[1], "en": parts[2]}})
        spec["choices"] = choices

    def _condition(self, spec: dict, condition: str, types: dict[str, str]) -> None:
        other = self.values[f"{condition}_field"]
        typed = self.values[f"{condition}_values"]
        if not other:
            spec.pop(condition, None)
            return
        values: list[Any] = [part.strip() for part in re.split(r"[,，\n]", typed) if part.strip()]
        if not values:
            self.errors[condition] = _("Name at least one value of that field.")
            return
        if types.get(other) == "boolean":
            truth = {"true": True, "yes": True, "false": False, "no": False}
            if any(value.lower() not in truth for value in values):
                self.errors[condition] = _("A tick box has the values true or false.")
                return
            values = [truth[value.lower()] for value in values]
        kept = {k: w for k, w in (spec.get(condition) or {}).items() if k not in ("field", "in")}
        spec[condition] = {"field": other, "in": values, **kept}


def new_field(draft: dict) -> dict:
    names = {spec.get("name") for _section, spec in flat_fields(draft)}
    number = 1
    while f"new_field_{number}" in names:
        number += 1
    return {
        "name": f"new_field_{number}",
        "type": "string",
        "label": {"zh_Hant_TW": "", "en": ""},
        "max_length": 200,
    }


@dataclass
class Editor:
    """The structured editor's state for one request."""

    key: str
    draft: dict
    rows: list[Row]
    sections: list[tuple[str, Any]]

    @property
    def toml(self) -> str:
        return dumps(self.draft)

    @property
    def errors(self) -> list[tuple[str, str]]:
        """``(input id, message)`` of every input that could not be read, the message
        naming the field and the input (the error summary)."""
        inputs = {**LIMIT_LABELS, **CONDITIONS, "choices": _l("Choices")}
        return [
            (
                f"f{index}-{key}" + ("_values" if key in CONDITIONS else ""),
                _(
                    "Field %(number)s (%(label)s), %(input)s: %(problem)s",
                    number=index + 1,
                    label=row.label(),
                    input=inputs.get(key, key),
                    problem=message,
                ),
            )
            for index, row in enumerate(self.rows)
            for key, message in row.errors.items()
        ]

    @classmethod
    def of(cls, key: str, draft: dict) -> Editor:
        rows = [Row.of(section, spec) for section, spec in flat_fields(draft)]
        return cls(key, draft, rows, _sections(draft))

    @classmethod
    def posted(cls, key: str, form) -> Editor:
        """The editor as POSTed: the draft it started from (hidden ``draft``) with what
        the inputs say, then the pressed button's move (``up:3``, ``down:3``,
        ``remove:3``, ``add``)."""
        text = form.get("draft") or ""
        if len(text) > store.MAX_DEFINITION_CHARS:
            abort(413)
        try:
            draft = tomllib.loads(text)
        except (tomllib.TOMLDecodeError, RecursionError):
            abort(400)
        flat = flat_fields(draft)
        try:
            count = int(form.get("count") or 0)
        except ValueError:
            abort(400)
        if count != len(flat):
            abort(400)
        rows = [Row.posted(form, index) for index in range(count)]
        section_names = [name for name, _title in _sections(draft)]
        action = form.get("action") or ""
        verb, _sep, where = action.partition(":")
        if verb in ("up", "down", "remove") and where.isdigit() and int(where) < count:
            index = int(where)
            if verb == "remove":
                del rows[index], flat[index]
            else:
                _move(rows, flat, index, -1 if verb == "up" else 1, section_names)
        elif verb == "add":
            spec = new_field(draft)
            section = form.get("add_section") or ""
            if section_names and section not in section_names:
                section = section_names[-1]
            flat.append((section or None, spec))
            rows.append(Row.of(section or None, spec))
        types = {row.values["name"]: row.values["type"] for row in rows}
        specs, chosen = [], set()
        for index, (row, (old, spec)) in enumerate(zip(rows, flat, strict=True)):
            section = None
            if section_names:
                section = row.values["section"]
                if section not in section_names:
                    section = row.values["section"] = section_names[0]
                if section != (old or section_names[0]) and not row.crossed:
                    chosen.add(index)  # put in another section by its selector: at its end
            specs.append((section, row.apply(spec, types)))
        if section_names:
            # each section's fields in their order, the sections as the definition has them
            order = sorted(
                range(len(specs)),
                key=lambda i: (
                    section_names.index(specs[i][0]),
                    i + (len(specs) if i in chosen else 0),
                ),
            )
            specs = [specs[i] for i in order]
            rows = [rows[i] for i in order]
        draft = regroup(draft, specs)
        return cls(key, draft, rows, _sections(draft))


def _sections(draft: dict) -> list[tuple[str, Any]]:
    return [
        (section.get("name", ""), section.get("title", {})) for section in draft.get("sections", [])
    ]


def _move(rows: list[Row], flat: list, index: int, step: int, sections: list[str]) -> None:
    """Move field ``index`` up (-1) or down (+1) within its section; past its section's end
    it moves into the section before or after."""
    section = rows[index].values["section"] if sections else ""
    same = [
        i
        for i in range(len(rows))
        if i != index and (not sections or rows[i].values["section"] == section)
    ]
    neighbours = [i for i in same if (i < index if step < 0 else i > index)]
    if neighbours:
        other = max(neighbours) if step < 0 else min(neighbours)
        rows[index], rows[other] = rows[other], rows[index]
        flat[index], flat[other] = flat[other], flat[index]
        return
    if sections and section in sections:
        position = sections.index(section) + step
        if 0 <= position < len(sections):
            rows[index].values["section"] = sections[position]
            rows[index].crossed = True


# -- preview --------------------------------------------------------------------------------


def _policy():
    from appgov_plugin.state import get_state

    return get_state().policy()


def preview(definition) -> list[dict]:
    """The definition rendered by the engine in each language: ``[{language, lang, html}]``
    plus the fields this deployment does not ask (rules it does not apply)."""
    policy = _policy()
    offered = definition.offered_by(policy)
    # a form this deployment does not offer (another city's) is shown whole
    asked = set(definition.asked(policy.applies)) if offered else set(definition.names)
    not_asked = [name for name in definition.names if name not in asked]
    form_class = definition.form_class_for(asked)
    rendered = []
    for language in LANGUAGES:
        with force_locale(language):
            form = form_class(
                formdata=None,
                policy=policy,
                prefix=f"preview-{language}-",
                meta={"csrf": False},
            )
            html = render_template(
                "appgov/admin/form_preview.html",
                _=template_gettext,
                definition=definition,
                form=form,
                language=language,
                lang=HTML_LANG[language],
                offered=offered,
                not_asked=not_asked,
            )
        rendered.append(
            {
                "language": language,
                "name": LANGUAGE_NAMES[language],
                "lang": HTML_LANG[language],
                "html": Markup(html),
            }
        )
    return rendered


def _problem_field(message: str) -> str | None:
    """The field an engine message names (``field 'budget': ...``)."""
    match = re.search(r"field '([^']+)'", message)
    return match.group(1) if match else None


# -- the view -------------------------------------------------------------------------------


class FormsView(AdminOnly, BaseView):
    """Forms: list, history, structured and TOML editors, preview, publish."""

    def _render(self, template, **context):
        if "live" in context:
            # the version the edit started from: kept through every post of the page, moved
            # on only when the administrator has been told of a newer one
            context["based_on"] = g.get("appgov_form_rebased") or (
                self._based_on(context["live"]) if request.method == "POST" else context["live"]
            )
        context.setdefault("stale", g.get("appgov_form_rebased") is not None)
        return self.render(
            template,
            _=template_gettext,
            format_datetime=format_datetime,
            csrf_value=generate_csrf(),
            languages=LANGUAGES,
            html_lang=HTML_LANG,
            language_names=LANGUAGE_NAMES,
            current_language=current_locale(),
            **context,
        )

    def _known(self, key: str) -> None:
        if key not in store.live_versions():
            abort(404)

    @staticmethod
    def _title(key: str):
        try:
            return store.live(key).title
        except (ValueError, LookupError):
            return key

    @expose("/")
    def index(self):
        changes = store.last_changes()
        forms = []
        for key in store.keys():  # noqa: SIM118 - a function, not a dict
            forms.append({"key": key, "title": self._title(key), "change": changes.get(key)})
        return self._render("appgov/admin/form_list.html", forms=forms, conflicts=store.conflicts())

    @expose("/<key>/")
    def history(self, key):
        self._known(key)
        return self._render(
            "appgov/admin/form_history.html",
            key=key,
            definition=store.live(key),
            versions=store.history(key),
        )

    @expose("/<key>/<int:version>/")
    def version(self, key, version):
        self._known(key)
        try:
            definition = store.get(key, version)
            text = store.text_of(key, version)
        except LookupError:
            abort(404)
        info = next(v for v in store.history(key) if v.version == version)
        return self._render(
            "appgov/admin/form_version.html",
            key=key,
            info=info,
            text=text,
            definition=definition,
            previews=preview(definition),
        )

    # -- editing --------------------------------------------------------------------------
    @staticmethod
    def _based_on(live: int) -> int:
        """The version the administrator started from (hidden ``based_on``)."""
        typed = request.form.get("based_on") or ""
        return int(typed) if typed.isdigit() and len(typed) < 10 else live

    def _publish_or_preview(self, key, text, action, reason):
        """(definition, previews, problem, reason error) for the edited ``text``; on a
        publish that succeeds, the redirect to the form's page."""
        problem = reason_error = None
        definition = previews = None
        try:
            definition, _text_ = store.check(key, text)
        except ValueError as exc:
            problem = str(exc)
        if action == "publish" and problem is None:
            if not reason.strip():
                reason_error = _("Give the reason for this version: it is kept with it.")
            else:
                try:
                    published = store.publish(
                        key,
                        text,
                        current_user.username,
                        reason,
                        based_on=self._based_on(store.live_versions()[key][0]),
                    )
                except store.StaleDraft as exc:
                    problem = _(
                        "Version %(version)s was published by %(user)s on %(when)s (“%(why)s”) "
                        "while you edited: nothing was saved. Your draft is kept here; "
                        "compare it with the new version, then publish again.",
                        version=exc.live.version,
                        user=exc.live.created_by,
                        when=format_datetime(exc.live.created_at, style="short"),
                        why=exc.live.reason,
                    )
                    g.appgov_form_rebased = exc.live.version
                except ValueError as exc:
                    problem = str(exc)
                else:
                    flash(
                        _(
                            "Version %(version)s of the form is published and in force.",
                            version=published.version,
                        ),
                        "success",
                    )
                    return redirect(url_for(".history", key=key)), None, None, None
        if definition is not None and action == "preview" and problem is None:
            previews = preview(definition)
        return None, previews, problem, reason_error

    @expose("/<key>/edit", methods=("GET", "POST"))
    def edit(self, key):
        self._known(key)
        live = store.live_versions()[key][0]
        if request.method == "GET":
            editor = Editor.of(key, tomllib.loads(store.text_of(key)))
            return self._edit_page(editor, live)
        editor = Editor.posted(key, request.form)
        action = (request.form.get("action") or "").partition(":")[0]
        reason = request.form.get("reason") or ""
        if action == "toml":
            return self._toml_page(key, editor.toml, live, reason=reason)
        problem = reason_error = previews = None
        # inputs that could not be read are named beside them (and in the summary)
        if action in ("apply", "preview", "publish") and not editor.errors:
            done, previews, problem, reason_error = self._publish_or_preview(
                key, editor.toml, action, reason
            )
            if done is not None:
                return done
        return self._edit_page(
            editor,
            live,
            problem=problem,
            reason=reason,
            reason_error=reason_error,
            previews=previews,
            checked=action in ("apply", "preview") and problem is None and not editor.errors,
        )

    def _edit_page(self, editor, live, **context):
        problem = context.get("problem")
        named = _problem_field(problem) if problem else None
        return self._render(
            "appgov/admin/form_edit.html",
            key=editor.key,
            editor=editor,
            live=live,
            field_types=field_types(),
            file_kinds=file_kinds(),
            type_limits=TYPE_LIMITS,
            limit_labels=LIMIT_LABELS,
            conditions=CONDITIONS,
            problem_field=named,
            title=self._title(editor.key),
            **context,
        )

    @expose("/<key>/toml", methods=("GET", "POST"))
    def toml(self, key):
        self._known(key)
        live = store.live_versions()[key][0]
        if request.method == "GET":
            return self._toml_page(key, store.text_of(key), live)
        text = request.form.get("toml") or ""
        reason = request.form.get("reason") or ""
        action = request.form.get("action") or ""
        if action == "structured":
            try:
                if len(text) > store.MAX_DEFINITION_CHARS:
                    raise ValueError(f"longer than {store.MAX_DEFINITION_CHARS} characters")
                draft = tomllib.loads(text)
            except (ValueError, RecursionError) as exc:  # TOMLDecodeError is a ValueError
                problem = f"{store.source_of(key)}: not valid TOML: {exc or 'nested too deeply'}"
                return self._toml_page(key, text, live, reason=reason, problem=problem)
            return self._edit_page(Editor.of(key, draft), live, reason=reason)
        done, previews, problem, reason_error = self._publish_or_preview(key, text, action, reason)
        if done is not None:
            return done
        return self._toml_page(
            key,
            text,
            live,
            reason=reason,
            problem=problem,
            reason_error=reason_error,
            previews=previews,
            checked=action == "preview" and problem is None,
        )

    def _toml_page(self, key, text, live, **context):
        return self._render(
            "appgov/admin/form_toml.html",
            key=key,
            text=text,
            live=live,
            title=self._title(key),
            **context,
        )


def admin_views(db) -> list:
    """The Forms view (host/plugin.py collects it with the other capabilities')."""
    view = FormsView(name=_l("Forms"), category=_l("Rules"), endpoint="appgov_forms")
    view.description = _l(
        "Forms: every form definition with its versions; edit, preview and publish a new one."
    )
    return [view]


__all__ = ["Editor", "FormsView", "admin_views", "dumps", "preview"]
