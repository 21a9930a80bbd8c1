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
  names the fields to correct when a form is refused, reads ``?id=`` and the selected rows
  of an action as the primary key's type (``abc`` for an integer key is no record, not a
  PostgreSQL error) and keeps ``?page=`` within 0..:data:`MAX_PAGE`; JSON columns are
  parsed within :func:`appgov_plugin.safe_input.loads`' limits, decimal and float inputs
  refuse NaN and infinities.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import uuid
from enum import Enum

import flask_admin.babel
import sqlalchemy as sa
from flask import flash, has_request_context
from flask_admin import tools
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla import filters as sqla_filters
from flask_admin.contrib.sqla.form import AdminModelConverter
from flask_admin.form import BaseForm, JSONField
from flask_admin.helpers import is_form_submitted
from flask_admin.model import filters as base_filters
from flask_admin.model import typefmt
from flask_admin.model.form import converts
from wtforms import SelectField
from wtforms.validators import StopValidation, ValidationError
from wtforms.widgets import TextInput

from .access import AdminOnly, agency_name, host_agencies
from .forms.fields import TaiwanDateField
from .i18n import _, _l, format_date, format_datetime, parse_date, wtforms_translations
from .safe_input import FiniteNumbersMeta, InputTooLarge, loads


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
    """``form_base_class`` of every Flask-Admin view: messages in the reader's language;
    NaN and infinities refused in decimal and float fields."""

    class Meta(FiniteNumbersMeta):
        def get_translations(self, form):
            return ADMIN_FORM_TRANSLATIONS


#: Flask-Admin's own messages, translated by its catalog (not extracted into appgov's)
_INVALID_JSON = "Invalid JSON"
_NO_RECORD = "Record does not exist."


class BoundedJSONField(JSONField):
    """Flask-Admin's JSON input, parsed within :func:`appgov_plugin.safe_input.loads`'
    size and depth limits (``json.loads`` of ``"[" * 100000`` is a ``RecursionError``)."""

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0]:
            self.data = None  # a blank input is saved as None, as Flask-Admin does
            return
        try:
            self.data = loads(valuelist[0])
        except InputTooLarge:
            raise
        except ValueError as err:
            raise ValueError(self.gettext(_INVALID_JSON)) from err


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


#: The largest value of the databases' INTEGER columns.
INTEGER_MAX = 2**31 - 1


def database_integer(form, field) -> None:
    """Validator to put before ``NumberRange`` on a whole number: one beyond the databases'
    INTEGER is refused with WTForms' own message (``NumberRange`` cannot even compare it:
    ``math.isnan`` overflows on an int of sixty digits, and the database would refuse it)."""
    if isinstance(field.data, int) and abs(field.data) > INTEGER_MAX:
        raise StopValidation(
            field.gettext("Number must be at most %(max)s.") % {"max": INTEGER_MAX}
        )


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

    @converts("JSON")
    def convert_JSON(self, field_args, **extra):
        return BoundedJSONField(**field_args)


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

#: The highest list page asked for (0-based); beyond the last page the list is empty.
MAX_PAGE = 1_000_000
#: The longest list search kept (characters); SQLite's LIKE pattern limit is 50,000 bytes.
MAX_SEARCH = 200
#: The largest value of PostgreSQL's integer types (a larger literal is an error there).
_SMALLINT, _INTEGER, _BIGINT = 2**15 - 1, 2**31 - 1, 2**63 - 1
_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")


def _key_value(column, text: str):
    """``text`` as a value of primary-key column ``column``, or ``None``."""
    try:
        python_type = column.type.python_type
    except NotImplementedError:
        return text
    if python_type is int:
        if not _WHOLE_NUMBER.fullmatch(text) or len(text) > 20:
            return None
        number = int(text)
        if isinstance(column.type, sa.BigInteger):
            largest = _BIGINT
        elif isinstance(column.type, sa.SmallInteger):
            largest = _SMALLINT
        else:
            largest = _INTEGER
        return number if -largest <= number <= largest else None
    if python_type is str:
        return text
    if python_type is uuid.UUID:
        try:
            return uuid.UUID(text)
        except ValueError:
            return None
    try:
        return python_type(text)
    except (TypeError, ValueError, ArithmeticError):
        return None


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

    # -- ids and pages from the request (never a database error, issue 8) -------------
    def coerce_id(self, raw) -> tuple | None:
        """The primary key named by ``raw`` (``?id=``, a ``rowid``) as values of the key
        columns' types, or ``None`` when it cannot name a record: ``abc`` or ``1.5`` for an
        integer key, too many parts, a number beyond the column's integer type. PostgreSQL
        refuses such a comparison with an error; here it is simply no record."""
        if isinstance(raw, int) and not isinstance(raw, bool):
            raw = str(raw)  # an action handler handing a typed id on
        if not isinstance(raw, str):
            return None
        columns = sa.inspect(self.model).primary_key
        parts = tools.iterdecode(raw)
        if len(parts) != len(columns):
            return None
        key = []
        for column, part in zip(columns, parts, strict=True):
            value = _key_value(column, part)
            if value is None:
                return None
            key.append(value)
        return tuple(key)

    def get_one(self, id):
        """The record ``?id=`` names, or ``None`` (Flask-Admin then flashes "Record does
        not exist." and goes back to the list) when it names none."""
        if self.coerce_id(id) is None:
            return None
        return super().get_one(str(id))

    def init_actions(self):
        """Every list action (Delete selected, and a view's own) gets only the ``rowid``
        values that can name a record, as values of the key's type (Flask-Admin would
        compare an integer key with text, an error on PostgreSQL)."""
        super().init_actions()
        for name, (handler, text, description) in list(self._actions_data.items()):
            self._actions_data[name] = (self._with_valid_ids(handler), text, description)

    def _with_valid_ids(self, handler):
        @functools.wraps(handler)
        def run(ids):
            keys = [(raw, self.coerce_id(raw)) for raw in ids]
            # one-column keys typed (5, not "5"); several columns stay encoded "1,2"
            valid = [key[0] if len(key) == 1 else raw for raw, key in keys if key is not None]
            if len(valid) < len(ids):
                flash(flask_admin.babel.gettext(_NO_RECORD), "danger")
            if not valid:
                return None
            return handler(valid)

        return run

    def _get_list_extra_args(self):
        """``?page=`` within 0..:data:`MAX_PAGE` (Flask-Admin counts from 0): a negative
        page is an SQL error on PostgreSQL, a huge one overflows the offset. ``?search=``
        cut to :data:`MAX_SEARCH` characters: SQLite refuses a longer ``LIKE`` pattern
        ("LIKE or GLOB pattern too complex") and no one searches for more."""
        args = super()._get_list_extra_args()
        args.page = min(max(args.page or 0, 0), MAX_PAGE)
        if args.search and len(args.search) > MAX_SEARCH:
            args.search = args.search[:MAX_SEARCH]
        return args

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
    "BoundedJSONField",
    "FilterConverter",
    "LocalizedModelView",
    "MAX_PAGE",
    "OptionsFilterEqual",
    "TYPE_FORMATTERS",
    "date_formatter",
    "datetime_formatter",
    "labels",
    "readable",
    "yes_no_formatter",
]


def strip(value):
    """A form filter: surrounding blanks of a typed text removed."""
    return value.strip() if isinstance(value, str) else value


class AppGovModelView(LocalizedModelView, AdminOnly, ModelView):
    """Base model view of appgov: administrators only."""


# -- the agency of an app ----------------------------------------------------------------


def agency_choices() -> list[tuple[str, str]]:
    """The host's agencies as ``(code, "name (code)")``, after an empty "choose" entry."""
    return [("", _("Choose an agency"))] + [
        (agency.code, f"{agency.name()} ({agency.code})") for agency in host_agencies() or ()
    ]


def agency_filter_options() -> list[tuple[str, str]] | None:
    agencies = host_agencies()
    return None if agencies is None else [(a.code, a.name()) for a in agencies]


class AgencyField(SelectField):
    """One of the host's agencies (``casehost_agencies`` / ``AppGov(agencies=...)``); any
    other code is refused. A host that names no agencies gets a text input, as typed."""

    def __init__(self, label=None, validators=None, **kwargs):
        for key in ("choices", "coerce", "allow_blank"):
            kwargs.pop(key, None)
        super().__init__(
            label,
            validators,
            choices=agency_choices,
            invalid_choice_message=_l("Choose one of the agencies in the list."),
            **kwargs,
        )

    @staticmethod
    def _free_text() -> bool:
        return host_agencies() is None

    def __call__(self, **kwargs):
        if self._free_text():
            return TextInput()(self, **kwargs)
        return super().__call__(**kwargs)

    def _value(self):
        return self.data or ""

    def pre_validate(self, form):
        if self._free_text():
            return
        try:
            super().pre_validate(form)
        except ValidationError as exc:
            # Flask-Admin shows string errors only, not lazy ones
            raise ValidationError(str(exc)) from None


def agency_column(view, context, model, name):
    """A list column showing the agency's name in the reader's language."""
    return agency_name(model.agency_code)
