"""The host's form base class and the template helper of ``_form.html``.

Every host form derives from :class:`HostForm`: WTForms' own messages ("This field is
required.") then come in Traditional Chinese for zh_Hant_TW. Babel alone would pick WTForms'
Simplified catalog for ``zh_Hant_TW``; appgov's :func:`~appgov_plugin.i18n.wtforms_translations`
maps the locale to WTForms' ``zh_TW`` catalog.
"""

from __future__ import annotations

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


def field_kind(field) -> str:
    """How ``_form.html`` lays a field out.

    ``hidden``, ``submit``, ``checkbox`` (one box), ``checkboxes`` / ``radios`` (a group of
    options in a fieldset), ``group`` (FormField / FieldList), ``select`` or ``input``.
    A multi-choice field is a checkbox group when its option widget is a checkbox.
    """
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
    """The id the error summary links to: the field's own, or its first option's."""
    if field_kind(field) in ("checkboxes", "radios"):
        for option in field:
            return option.id
    return field.id


def init_forms(app) -> None:
    """Give the templates the helpers of ``_form.html``; refuse control characters in
    every request of the application (400 naming the field, issue 8)."""
    safe_input.install(app, labels=PLAIN_FIELD_LABELS)
    app.add_template_global(field_kind, "form_field_kind")
    app.add_template_global(first_input_id, "form_first_input_id")
