"""Form fields for Taiwanese officials, shared by appgov's forms and by hosts.

:class:`TaiwanDateField` takes a date typed as an ROC date (``115/11/22``) or an ISO date
(``2026-11-22``) and shows it back in the reader's convention (TIME-5). Whole numbers, money
and decimals are text inputs that accept ``1,860,000`` and full-width digits. A value a field
cannot read stays in the input, as typed, beside the error.

The declarative forms (:mod:`appgov_plugin.forms.builder`) add e-mail and web addresses,
read-only notices and section headings (they store nothing: ``field.flags.no_answer``), row
groups (:class:`RowsField`, a table) and computed numbers (:class:`ComputedField`). Those
render themselves completely with ``field()`` (docs/forms.md, "Rendering contract").
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

import wtforms
from markupsafe import Markup, escape
from wtforms import validators, widgets
from wtforms.fields.choices import SelectChoice
from wtforms.meta import DefaultMeta
from wtforms.utils import unset_value

from appgov_plugin.i18n import (
    _,
    format_date,
    format_number,
    lazy_gettext,
    parse_date,
    wtforms_translations,
)
from appgov_plugin.safe_input import FiniteNumbersMeta, is_finite

#: The hint shown in an empty date input.
DATE_PLACEHOLDER = lazy_gettext("e.g. 115/11/22 or 2026-11-22")


class TaiwanDateField(wtforms.Field):
    """A date as text: ROC ``115/11/22`` or ISO ``2026-11-22`` in, the locale's form out."""

    widget = widgets.TextInput()

    def __init__(self, label=None, validators=None, **kwargs):
        render_kw = {"placeholder": DATE_PLACEHOLDER, "autocomplete": "off"}
        render_kw.update(kwargs.pop("render_kw", None) or {})
        super().__init__(label, validators, render_kw=render_kw, **kwargs)

    def _value(self) -> str:
        if self.raw_data:
            return " ".join(self.raw_data)
        return format_date(self.data, style="short") if self.data else ""

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            self.data = parse_date(valuelist[0])
        except ValueError as exc:
            self.data = None
            raise ValueError(str(exc)) from None

    def process_data(self, value):
        if isinstance(value, str) and value:
            try:
                value = dt.date.fromisoformat(value)
            except ValueError:
                value = None
        self.data = value


# -- numbers ------------------------------------------------------------------------------


def plain_number(text: str) -> str:
    """Full-width digits and signs to ASCII (NFKC), spaces and thousands separators out."""
    return re.sub(r"[\s,，]", "", unicodedata.normalize("NFKC", text))


_plain = plain_number


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


def read_money(text: str) -> str:
    """``NT$3,200,000``, ``新臺幣 3,200,000 元`` -> ``3200000`` (not yet checked)."""
    return re.sub(r"^(NT\$|\$|新臺幣|新台幣)", "", _plain(text), flags=re.I).removesuffix("元")


class MoneyField(WholeNumberField):
    """Whole New Taiwan dollars; ``NT$3,200,000`` and ``3,200,000`` both read as 3200000.
    Flagged ``field.flags.money`` for the host to render the currency."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.flags.money = True

    def _clean(self, text: str) -> str:
        return read_money(text)


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


# -- text, e-mail, web addresses ----------------------------------------------------------


def tidy_text(value):
    """Line breaks as one character (browsers send CRLF), surrounding blanks removed."""
    if isinstance(value, str):
        return value.replace("\r\n", "\n").replace("\r", "\n").strip()
    return value


_tidy_text = tidy_text


class EmailField(wtforms.StringField):
    """An e-mail address (``type="email"``), checked by :class:`EmailAddress`."""

    widget = widgets.EmailInput()


class UrlField(wtforms.StringField):
    """A web address (``type="url"``), http or https only (:class:`WebAddress`)."""

    widget = widgets.URLInput()


_EMAIL = re.compile(r"[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;.]{2,}")


class EmailAddress:
    """``name@example.gov.tw``: one ``@``, a dot in the domain, no spaces."""

    def __call__(self, form, field):
        if field.data and not _EMAIL.fullmatch(field.data):
            raise validators.ValidationError(
                _("Enter an e-mail address, e.g. name@example.gov.tw.")
            )


class WebAddress:
    """An ``http://`` or ``https://`` address with a host (never ``javascript:`` etc.)."""

    def __call__(self, form, field):
        if not field.data:
            return
        try:
            parts = urlsplit(field.data)
            ok = parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
        except ValueError:
            ok = False
        if not ok or re.search(r"\s", field.data):
            raise validators.ValidationError(
                _("Enter a web address starting with https:// or http://.")
            )


class VersionNumber:
    """rule KH-VER-1: ``MAJOR.MINOR.PATCH``, decided by
    :func:`appgov_plugin.policy.versions.parse_version` (a string field's
    ``format = "version"``, and the app registry's version in Flask-Admin)."""

    def __call__(self, form, field):
        if not field.data:
            return
        from appgov_plugin.policy.versions import parse_version

        try:
            parse_version(field.data)
        except ValueError:
            raise validators.ValidationError(
                _(
                    "“%(value)s” is not a version number: write MAJOR.MINOR.PATCH, "
                    "e.g. 1.0.0 (KH-VER-1).",
                    value=field.data,
                )
            ) from None


# -- choices ------------------------------------------------------------------------------


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


class SelectChoiceField(wtforms.SelectField):
    """A choice inside a table row: a ``<select>`` whose first option is blank (no answer)."""

    def __init__(self, label=None, validators=None, choices=(), **kwargs):
        super().__init__(label, validators, choices=[SelectChoice("", "—"), *choices], **kwargs)

    def pre_validate(self, form):
        if self.data in (None, ""):
            return
        super().pre_validate(form)


# -- validators ---------------------------------------------------------------------------


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
            raise validators.ValidationError(str(self.message))


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
    """Text length in characters (1,500 Chinese characters are 1,500), with the count in the
    message."""

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


# -- pseudo fields: they store nothing ----------------------------------------------------


class _NoAnswer(wtforms.Field):
    """A field that shows something and stores nothing (``flags.no_answer``)."""

    def __init__(self, label=None, validators=None, text=None, **kwargs):
        kwargs.pop("description", None)
        super().__init__(label or "", None, **kwargs)
        self.text = text
        self.flags.no_answer = True

    def process(self, formdata, data=unset_value, extra_filters=None):
        self.data = None
        self.raw_data = []
        self.process_errors = []

    def validate(self, form, extra_validators=()):
        self.errors = []
        return True

    def populate_obj(self, obj, name):
        pass


def _attrs(field, kwargs: dict) -> str:
    params = dict(field.render_kw or {})
    params.update(kwargs)
    params.pop("class", None)
    params.setdefault("id", field.id)
    return widgets.html_params(**params)


def _notice_widget(field, **kwargs):
    classes = " ".join(c for c in ("appgov-notice", kwargs.get("class", "")) if c)
    return Markup(
        f'<div class="{classes}" {_attrs(field, kwargs)}><p>{escape(field.text)}</p></div>'
    )


class NoticeField(_NoAnswer):
    """A read-only paragraph (``notice``): ``field()`` is the paragraph; stores nothing."""

    widget = staticmethod(_notice_widget)

    def __init__(self, label=None, validators=None, text=None, **kwargs):
        super().__init__(label, validators, text=text, **kwargs)
        self.flags.notice = True


def _heading_widget(field, **kwargs):
    html = f'<h2 class="appgov-section-title" {_attrs(field, kwargs)}>{escape(field.text)}</h2>'
    if field.help:
        html += f'<p class="appgov-section-help" id="{field.id}-help">{escape(field.help)}</p>'
    return Markup(html)


class HeadingField(_NoAnswer):
    """A section's title and help, put by the builder at the start of each section."""

    widget = staticmethod(_heading_widget)

    def __init__(self, label=None, validators=None, text=None, help=None, **kwargs):
        super().__init__(label, validators, text=text, **kwargs)
        self.help = help
        self.flags.heading = True


# -- computed numbers ---------------------------------------------------------------------


def _computed_widget(field, **kwargs):
    params = dict(field.render_kw or {})
    params.update({k: v for k, v in kwargs.items() if k.startswith("data-")})
    params["id"] = field.id
    params["name"] = field.name
    params["aria-live"] = "polite"
    if field.check_url:
        params["data-appgov-url"] = field.check_url
    describedby = f"{field.id}-help" if field.description else None
    if describedby:
        params["aria-describedby"] = describedby
    value = format_number(field.data) if field.data is not None else "—"
    html = (
        f'<div class="appgov-computed form-group" data-appgov-field="{field.name}">'
        f'<label for="{field.id}">{escape(field.label.text)}</label> '
        f'<output class="appgov-computed-value" {widgets.html_params(**params)}>'
        f"{escape(value)}</output>"
    )
    if field.description:
        html += (
            f'<small id="{field.id}-help" class="form-text text-muted">'
            f"{escape(field.description)}</small>"
        )
    return Markup(html + "</div>")


class ComputedField(wtforms.Field):
    """A read-only whole number a policy check computes from other fields (``computed``);
    stored with the answers. The form computes it (:meth:`compute`); what a browser sends
    for it is ignored."""

    widget = staticmethod(_computed_widget)

    def __init__(self, label=None, validators=None, check=None, args=None, **kwargs):
        super().__init__(label, None, **kwargs)
        self.check, self.args = check, dict(args or {})
        self.flags.computed = True

    @property
    def check_url(self) -> str | None:
        """The check endpoint's URL (``register_views``: ``appgov.forms_check``, else a
        ``<blueprint>.forms_check`` of the application); ``None`` outside a request or
        without the views (the value is then computed when the form is sent)."""
        from flask import current_app, has_request_context, url_for

        if not has_request_context():
            return None
        endpoints = [e for e in current_app.view_functions if e.endswith(".forms_check")]
        if not endpoints:
            return None
        endpoint = "appgov.forms_check" if "appgov.forms_check" in endpoints else endpoints[0]
        return url_for(endpoint, name=self.check)

    def process_data(self, value):
        self.data = value if isinstance(value, int) and not isinstance(value, bool) else None

    def process_formdata(self, valuelist):
        pass  # computed on the server, never typed

    def _value(self):
        return "" if self.data is None else str(self.data)


# -- rows ---------------------------------------------------------------------------------

#: Blank rows offered below the filled ones (the browser script reveals them one by one).
SPARE_ROWS = 3


class RowForm(wtforms.Form):
    """One row of a :class:`RowsField` (no CSRF token of its own)."""

    class Meta(FiniteNumbersMeta, DefaultMeta):
        def get_translations(self, form):
            return wtforms_translations()


def _json_value(value):
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if value == "":
        return None
    return value


def _blank(value) -> bool:
    return value is None or value is False or value == "" or value == [] or value == ()


class RowsField(wtforms.Field):
    """A repeatable group of rows (``rows``), rendered as a table.

    ``data`` is the list of filled rows (dicts, JSON-ready: dates ISO, decimals text); blank
    rows are dropped. :attr:`totals` holds the exact sums of the ``totals`` columns.
    """

    def __init__(
        self,
        label=None,
        validators=None,
        row_form=None,
        columns=(),
        min_rows=0,
        max_rows=1,
        totals=(),
        requirement=None,
        **kwargs,
    ):
        super().__init__(label, validators, **kwargs)
        self.requirement = requirement
        if requirement is not None and (
            requirement.static or (min_rows and not requirement.own and not requirement.section)
        ):
            self.flags.required = True  # at least one row, whatever else is answered
        self.row_form = row_form
        self.columns = tuple(columns)  # (name, label Text, type)
        self.min_rows, self.max_rows, self.total_columns = min_rows, max_rows, tuple(totals)
        self.rows: list[RowForm] = []
        self.group_errors: list[str] = []
        self.flags.rows = True

    # processing
    def _row(self, index: int, formdata=None, data=None) -> RowForm:
        return self.row_form(formdata=formdata, data=data, prefix=f"{self.name}-{index}")

    def process(self, formdata, data=unset_value, extra_filters=None):
        self.process_errors = []
        self.raw_data = []
        stored = data if isinstance(data, list | tuple) else []
        indices = []
        if formdata:
            prefix = f"{self.name}-"
            for key in formdata:
                if key.startswith(prefix):
                    head = key[len(prefix) :].split("-", 1)[0]
                    if head.isdigit() and len(head) < 4:
                        indices.append(int(head))
        indices = sorted(set(indices))[: self.max_rows]
        if indices:
            self.rows = [self._row(i, formdata=formdata) for i in indices]
        else:
            self.rows = [
                self._row(i, data=row if isinstance(row, dict) else {})
                for i, row in enumerate(stored[: self.max_rows])
            ]
        self.object_data = stored
        self._pad()

    def _pad(self):
        wanted = min(self.max_rows, max(self.min_rows, len(self.filled_rows) + SPARE_ROWS))
        next_index = max((self._index(r) for r in self.rows), default=-1) + 1
        while len(self.rows) < wanted:
            self.rows.append(self._row(next_index))
            next_index += 1

    def _index(self, row) -> int:
        return int(row._prefix.rstrip("-").rsplit("-", 1)[-1])

    @staticmethod
    def is_blank(row) -> bool:
        return all(
            _blank(cell.data) and not (cell.raw_data and cell.raw_data[0].strip()) for cell in row
        )

    @property
    def filled_rows(self) -> list[RowForm]:
        return [row for row in self.rows if not self.is_blank(row)]

    @property
    def data(self):
        return [
            {cell.short_name: _json_value(cell.data) for cell in row} for row in self.filled_rows
        ]

    @data.setter
    def data(self, value):  # WTForms assigns defaults; rows come from process()
        pass

    @property
    def totals(self) -> dict[str, int]:
        """Exact whole-number sums of the ``totals`` columns over the filled rows."""
        sums = {}
        for column in self.total_columns:
            values = [row[column].data for row in self.filled_rows]
            sums[column] = sum(v for v in values if isinstance(v, int) and not isinstance(v, bool))
        return sums

    def drop(self):
        """Forget every row (a hidden row group's answer is dropped)."""
        self.rows = []

    # validation
    def validate(self, form, extra_validators=(), minimum=None):
        self.errors = []
        self.group_errors = []
        filled = self.filled_rows
        ok = True
        for row in filled:
            if not row.validate():
                ok = False
        if minimum is None:
            minimum = self.min_rows
            if self.requirement is not None:
                if not self.requirement.active(form):
                    minimum = 0
                elif self.requirement.now(form):
                    minimum = max(minimum, 1)
        if len(filled) < minimum:
            self.group_errors.append(
                _("Fill in at least %(count)s rows (now %(now)s).", count=minimum, now=len(filled))
            )
        if len(filled) > self.max_rows:
            self.group_errors.append(_("At most %(count)s rows.", count=self.max_rows))
        for row in filled:
            number = self._index(row) + 1
            for cell in row:
                for error in cell.errors:
                    self.errors.append(f"{self.cell_label(cell, number)}: {error}")
        self.errors = self.group_errors + self.errors
        return ok and not self.errors

    def populate_obj(self, obj, name):
        setattr(obj, name, self.data)

    # rendering
    def cell_label(self, cell, number: int) -> str:
        return _("%(label)s (row %(number)s)", label=str(cell.label.text), number=number)

    def __call__(self, **kwargs):
        return self.render(**kwargs)

    def render(self, **kwargs) -> Markup:
        fid = self.id
        params = {k: v for k, v in (self.render_kw or {}).items() if k.startswith("data-")}
        params.update({k: v for k, v in kwargs.items() if k.startswith("data-")})
        params["data-appgov-rows"] = json.dumps({"min": self.min_rows, "max": self.max_rows})
        params["data-appgov-field"] = self.name
        describedby = " ".join(
            x
            for x in (
                f"{fid}-help" if self.description else "",
                f"{fid}-error" if self.group_errors else "",
            )
            if x
        )
        if describedby:
            params["aria-describedby"] = describedby
        mark = (
            ' <span class="required-mark" aria-hidden="true">*</span>'
            if self.flags.required
            else ""
        )
        out = [
            f'<fieldset class="appgov-rows form-group" id="{fid}" {widgets.html_params(**params)}>',
            f'<legend class="col-form-label">{escape(self.label.text)}{mark}</legend>',
        ]
        if self.description:
            out.append(
                f'<small id="{fid}-help" class="form-text text-muted">'
                f"{escape(self.description)}</small>"
            )
        if self.group_errors:
            out.append(f'<div id="{fid}-error" class="invalid-feedback d-block">')
            out += [f'<span class="d-block">{escape(e)}</span>' for e in self.group_errors]
            out.append("</div>")
        out.append('<div class="table-responsive">')
        out.append(f'<table class="table table-sm appgov-rows-table" id="{fid}-table">')
        out.append(f"<caption>{escape(self.label.text)}</caption>")
        out.append('<thead><tr><th scope="col">#</th>')
        out += [f'<th scope="col">{escape(label)}</th>' for _name, label, _kind in self.columns]
        out.append("</tr></thead><tbody>")
        filled = {id(r) for r in self.filled_rows}
        for row in self.rows:
            index = self._index(row)
            spare = "" if id(row) in filled else " data-appgov-spare"
            out.append(f'<tr data-appgov-row="{index}"{spare}><th scope="row">{index + 1}</th>')
            for (name, _label, kind), cell in zip(self.columns, row, strict=True):
                out.append(f"<td>{self._cell(cell, name, kind, index + 1)}</td>")
            out.append("</tr>")
        out.append("</tbody>")
        if self.total_columns:
            totals = self.totals
            total = escape(_("Total"))
            out.append(f'<tfoot><tr><th scope="row">{total}</th>')
            for name, label, _kind in self.columns:
                if name in totals:
                    tid = f"{fid}-total-{name}"
                    out.append(
                        f'<td><output id="{tid}" data-appgov-total="{name}" aria-live="polite"'
                        f' aria-label="{total}: {escape(label)}">'
                        f"{escape(format_number(totals[name]))}</output></td>"
                    )
                else:
                    out.append("<td></td>")
            out.append("</tr></tfoot>")
        out.append("</table></div>")
        add_row = escape(_("Add a row"))
        out.append(
            f'<button type="button" class="btn btn-outline-secondary btn-sm appgov-add-row"'
            f' data-appgov-add-row="{fid}" hidden>{add_row}</button>'
        )
        out.append("</fieldset>")
        return Markup("".join(out))

    def _cell(self, cell, name: str, kind: str, number: int) -> str:
        attrs = {"aria-label": self.cell_label(cell, number), "data-appgov-column": name}
        attrs["class"] = "form-control form-control-sm" + (" is-invalid" if cell.errors else "")
        if kind == "boolean":
            attrs["class"] = "form-check-input" + (" is-invalid" if cell.errors else "")
        if cell.errors:
            attrs["aria-invalid"] = "true"
            attrs["aria-describedby"] = f"{cell.id}-error"
        html = str(cell(**attrs))
        if cell.errors:
            html += f'<div id="{cell.id}-error" class="invalid-feedback d-block">'
            html += "".join(f'<span class="d-block">{escape(e)}</span>' for e in cell.errors)
            html += "</div>"
        return html


__all__ = [
    "DATE_PLACEHOLDER",
    "AtLeastOne",
    "Bounds",
    "CharacterLength",
    "ChoiceField",
    "ComputedField",
    "DecimalNumberField",
    "EmailAddress",
    "EmailField",
    "HeadingField",
    "MoneyField",
    "MultiChoiceField",
    "MustBe",
    "NoticeField",
    "RowForm",
    "RowsField",
    "SelectChoiceField",
    "TaiwanDateField",
    "UrlField",
    "WebAddress",
    "WholeNumberField",
]
