"""The host's form base class and the template helper of ``_form.html``.

Every host form derives from :class:`HostForm`: WTForms' own messages ("This field is
required.") then come in Traditional Chinese for zh_Hant_TW. Babel alone would pick WTForms'
Simplified catalog for ``zh_Hant_TW``; appgov's :func:`~appgov_plugin.i18n.wtforms_translations`
maps the locale to WTForms' ``zh_TW`` catalog.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import current_app, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from appgov_plugin import safe_input
from appgov_plugin.i18n import wtforms_translations


class HostForm(FlaskForm):
    """FlaskForm with WTForms' messages in the request's language, Traditional for zh;
    NaN and infinities refused in decimal and float fields."""

    class Meta(safe_input.FiniteNumbersMeta, FlaskForm.Meta):
        def get_translations(self, form):
            return wtforms_translations()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        safe_input.register_form_labels(cls)


#: Labels of the request parameters that are no WTForms field (plain inputs of templates),
#: naming a field refused for a control character (``appgov_plugin.safe_input``).
PLAIN_FIELD_LABELS = {
    "comment": _l("Comment"),
    ("main.withdraw", "comment"): _l("Reason (optional)"),
}


#: WTForms field types ``_form.html`` renders as a hidden input only.
_HIDDEN_TYPES = frozenset({"HiddenField", "CSRFTokenField"})

#: Flags of appgov's composite and pseudo fields that render themselves completely with
#: ``field()`` -- label or legend, help, errors, every input (docs/forms.md, "Rendering
#: contract"): ``_form.html`` prints ``field()`` alone, in the field's wrapper.
SELF_RENDERED = ("heading", "notice", "rows", "computed")


def field_kind(field) -> str:
    """How ``_form.html`` lays a field out.

    ``hidden``, ``submit``, ``checkbox`` (one box), ``checkboxes`` / ``radios`` (a group of
    options in a fieldset), ``group`` (FormField / FieldList), ``select`` or ``input``;
    appgov's self-rendering fields by their flag: ``heading`` (a section's title),
    ``notice`` (a paragraph, no label), ``rows`` (a row group), ``computed`` (a read-only
    output); ``upload`` (a file input, with label, help and errors like an input).
    A multi-choice field is a checkbox group when its option widget is a checkbox.
    """
    for flag in SELF_RENDERED:
        if getattr(field.flags, flag, False):
            return flag
    if getattr(field.flags, "upload", False):
        return "upload"
    if field.type in _HIDDEN_TYPES:
        return "hidden"
    if field.type == "SubmitField":
        return "submit"
    if field.type == "BooleanField":
        return "checkbox"
    if field.type in ("FormField", "FieldList"):
        return "group"
    option_type = getattr(getattr(field, "option_widget", None), "input_type", None)
    if option_type == "checkbox":
        return "checkboxes"
    if option_type == "radio":
        return "radios"
    if field.type in ("SelectField", "SelectMultipleField", "QuerySelectField"):
        return "select"
    return "input"


def first_input_id(field) -> str:
    """The id the error summary links to: the field's own, or its first option's (a row
    group: its first cell's)."""
    kind = field_kind(field)
    if kind in ("checkboxes", "radios"):
        for option in field:
            return option.id
    if kind == "rows":
        for _row, cell in _cells(field):
            return cell.id
    return field.id


def _messages(errors) -> list[str]:
    """Error messages, however nested (a row group's errors hold its rows' errors)."""
    if isinstance(errors, Mapping):
        return [m for value in errors.values() for m in _messages(value)]
    if isinstance(errors, list | tuple):
        return [m for value in errors for m in _messages(value)]
    return [str(errors)] if errors else []


def _cells(field):
    """(row number from 1, cell field) of a row group: appgov's ``RowsField`` (its
    ``rows``, each a sub-form) or a ``FieldList`` of ``FormField``."""
    rows = getattr(field, "rows", None)
    if isinstance(rows, list | tuple):
        for position, row in enumerate(rows):
            index = getattr(field, "_index", None)
            number = index(row) + 1 if callable(index) else position + 1
            for cell in row:
                yield number, cell
        return
    for number, entry in enumerate(getattr(field, "entries", None) or (), start=1):
        subform = getattr(entry, "form", None)
        for cell in subform if subform is not None else (entry,):
            yield number, cell


def _problem(label, problems) -> str:
    return gettext("%(field)s: %(problem)s", field=label, problem=" ".join(problems))


def error_links(field) -> list[tuple[str, str]]:
    """(id of the input to go to, message) for each problem of ``field``: what the error
    summary lists. A row group links each refused cell to that cell ("Budget, row 2,
    Amount: ..."), and its own problems (too few rows...) to its first cell."""
    label = field.label.text if field.label else field.name
    if field_kind(field) != "rows":
        problems = _messages(field.errors)
        return [(first_input_id(field), _problem(label, problems))] if problems else []
    links = []
    own = getattr(field, "group_errors", None)
    if own is None:  # a FieldList: its own messages are the text among its rows' errors
        own = (
            [e for e in field.errors if isinstance(e, str)]
            if isinstance(field.errors, list)
            else []
        )
    if own:
        links.append((first_input_id(field), _problem(label, _messages(own))))
    for number, cell in _cells(field):
        problems = _messages(cell.errors)
        if problems:
            text = gettext(
                "%(field)s, row %(row)s, %(column)s: %(problem)s",
                field=label,
                row=number,
                column=cell.label.text,
                problem=" ".join(problems),
            )
            links.append((cell.id, text))
    if not links and field.errors:  # a row group of another shape: its messages, at the group
        links.append((field.id, _problem(label, _messages(field.errors))))
    return links


def appgov_forms_script() -> str | None:
    """The URL of appgov's form script (``appgov-forms.js``, docs/forms.md), or None when no
    installed plug-in serves it (a host without appgov)."""
    blueprint = current_app.blueprints.get("appgov")
    if blueprint is None or not blueprint.has_static_folder:
        return None
    return url_for("appgov.static", filename="appgov-forms.js")


def init_forms(app) -> None:
    """Give the templates the helpers of ``_form.html``; refuse control characters in
    every request of the application (400 naming the field, issue 8)."""
    safe_input.install(app, labels=PLAIN_FIELD_LABELS)
    app.add_template_global(field_kind, "form_field_kind")
    app.add_template_global(first_input_id, "form_first_input_id")
    app.add_template_global(error_links, "form_error_links")
    app.add_template_global(appgov_forms_script, "appgov_forms_script")
