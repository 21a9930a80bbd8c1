"""Flask-Admin for Taiwanese officials, shared by appgov's views and by hosts.

* :class:`AdminForm` -- a ``form_base_class`` whose messages are WTForms' own in the reader's
  language (Traditional Chinese for zh_Hant_TW: Flask-Admin's default would give the
  Simplified catalog), falling back to Flask-Admin's catalog for its own fields' messages
  ("Invalid JSON");
* :data:`TYPE_FORMATTERS` -- ``column_type_formatters`` showing dates and timestamps in Taipei
  time in the reader's convention (TIME-5: 115/11/22, 115/11/23 07:49; en: ISO) and yes/no
  as words;
* :class:`AdminConverter` -- date columns become ``TaiwanDateField`` inputs (ROC
  ``115/11/22`` or ISO, :mod:`appgov_plugin.forms.fields`), and :class:`FilterConverter`
  date filters read the same;
* :class:`LocalizedModelView` -- a ``ModelView`` mixin with all of the above, which also
  names the fields to correct when a form is refused.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum

import flask_admin.babel
from flask import flash, has_request_context
from flask_admin.contrib.sqla import filters as sqla_filters
from flask_admin.contrib.sqla.form import AdminModelConverter
from flask_admin.form import BaseForm
from flask_admin.helpers import is_form_submitted
from flask_admin.model import filters as base_filters
from flask_admin.model import typefmt
from flask_admin.model.form import converts
from wtforms.validators import StopValidation

from ..forms.fields import TaiwanDateField
from ..i18n import _, format_date, format_datetime, parse_date, wtforms_translations


def _admin_translations():
    # Flask-Admin's catalog (with the Admin's translations_path) for the current request
    return flask_admin.babel.domain.get_translations()


class AdminFormTranslations:
    """WTForms translations of Flask-Admin forms: WTForms' catalog in the reader's language
    (``wtforms_translations``: zh_TW, never the Simplified one), then Flask-Admin's own
    catalog for the messages of Flask-Admin's fields ("Invalid JSON", "Not a valid choice")."""

    def gettext(self, string: str) -> str:
        translated = wtforms_translations().gettext(string)
        if translated != string:
            return translated
        return _admin_translations().ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        translated = wtforms_translations().ngettext(singular, plural, n)
        if translated not in (singular, plural):
            return translated
        return _admin_translations().ungettext(singular, plural, n)


ADMIN_FORM_TRANSLATIONS = AdminFormTranslations()


class AdminForm(BaseForm):
    """``form_base_class`` of every Flask-Admin view: messages in the reader's language."""

    class Meta:
        def get_translations(self, form):
            return ADMIN_FORM_TRANSLATIONS


# -- list and detail values --------------------------------------------------------------


def datetime_formatter(view, value: dt.datetime, name: str) -> str:
    """TIME-5: a timestamp in Taipei time, to the minute (115/11/23 07:49; en ISO)."""
    return format_datetime(value, style="short")


def date_formatter(view, value: dt.date, name: str) -> str:
    """TIME-5: 115/11/22 in zh_Hant_TW, 2026-11-22 in en."""
    return format_date(value, style="short")


def yes_no_formatter(view, value: bool, name: str) -> str:
    return _("Yes") if value else _("No")


#: ``column_type_formatters`` (and ``_detail``): the first matching type wins, so a
#: datetime (a subclass of date) and a bool (of int) come before their base classes.
TYPE_FORMATTERS = {
    type(None): typefmt.empty_formatter,
    bool: yes_no_formatter,
    dt.datetime: datetime_formatter,
    dt.date: date_formatter,
    list: typefmt.list_formatter,
    dict: typefmt.dict_formatter,
    Enum: typefmt.enum_formatter,
}


def readable(form, field) -> None:
    """Validator to put first: a value that could not be read ("abc" for a number) already
    has its message; the validators after it (bounds) would only add a confusing second."""
    if field.process_errors:
        raise StopValidation()


def labels(mapping) -> list[tuple[str, object]]:
    """``(key, label)`` pairs of a key -> label mapping, for ``column_choices``."""
    return list(mapping.items())


# -- date inputs and date filters --------------------------------------------------------


class AdminConverter(AdminModelConverter):
    """Date columns are edited in a :class:`TaiwanDateField` (ROC or ISO, kept as typed)."""

    @converts("Date")
    def convert_date(self, field_args, **extra):
        field_args.pop("widget", None)
        return TaiwanDateField(**field_args)


class _TaiwanDateFilterMixin:
    """A date filter typed as 115/11/22 or 2026-11-22 in a plain text input."""

    def __init__(self, column, name, options=None, data_type=None):
        super().__init__(column, name, options, data_type=None)
        self.data_type = None  # a text input: no ISO-only date picker

    def clean(self, value: str) -> dt.date:
        return parse_date(value)


class DateEqualFilter(_TaiwanDateFilterMixin, sqla_filters.DateEqualFilter):
    pass


class DateNotEqualFilter(_TaiwanDateFilterMixin, sqla_filters.DateNotEqualFilter):
    pass


class DateGreaterFilter(_TaiwanDateFilterMixin, sqla_filters.DateGreaterFilter):
    pass


class DateSmallerFilter(_TaiwanDateFilterMixin, sqla_filters.DateSmallerFilter):
    pass


class FilterConverter(sqla_filters.FilterConverter):
    date_filters = (
        DateEqualFilter,
        DateNotEqualFilter,
        DateGreaterFilter,
        DateSmallerFilter,
        sqla_filters.FilterEmpty,
    )

    @base_filters.convert("date")
    def conv_date(self, column, name, **kwargs):
        return [f(column, name, **kwargs) for f in self.date_filters]


class OptionsFilterEqual(sqla_filters.FilterEqual):
    """An *equals* filter offering ``options()``: ``(key, label)`` pairs read on every request
    (case types and agencies are only known once the host and its plug-ins are up)."""

    live_options = True

    def get_options(self, view):
        if not has_request_context():
            return None
        return super().get_options(view)


# -- the view mixin ----------------------------------------------------------------------


class LocalizedModelView:
    """Mixin for ``flask_admin.contrib.sqla.ModelView`` subclasses (put it first)."""

    form_base_class = AdminForm
    model_form_converter = AdminConverter
    filter_converter = FilterConverter()
    column_type_formatters = TYPE_FORMATTERS
    column_type_formatters_detail = TYPE_FORMATTERS

    def validate_form(self, form) -> bool:
        valid = super().validate_form(form)
        if not valid and is_form_submitted() and form.__class__ not in self._helper_forms():
            fields = [str(form[name].label.text) for name in form.errors if name in form]
            if fields:
                # Flask-Admin adds its own "Failed to save record."; this says what to fix
                flash(_("Please correct: %(fields)s.", fields=_(", ").join(fields)), "danger")
        return valid

    def _get_filter_groups(self):
        groups = super()._get_filter_groups()
        for items in (groups or {}).values():
            for item in items:
                flt = self._filters[item["index"]]
                if getattr(flt, "live_options", False):
                    options = flt.get_options(self)
                    item["options"] = [(k, str(v)) for k, v in options] if options else None
        return groups

    def _helper_forms(self) -> tuple:
        return tuple(
            cls
            for cls in (
                getattr(self, "_delete_form_class", None),
                getattr(self, "_action_form_class", None),
            )
            if cls is not None
        )


__all__ = [
    "ADMIN_FORM_TRANSLATIONS",
    "AdminConverter",
    "AdminForm",
    "AdminFormTranslations",
    "FilterConverter",
    "LocalizedModelView",
    "OptionsFilterEqual",
    "TYPE_FORMATTERS",
    "date_formatter",
    "datetime_formatter",
    "labels",
    "readable",
    "yes_no_formatter",
]
