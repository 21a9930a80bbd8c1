"""Form fields for Taiwanese officials, shared by appgov's forms and by hosts.

:class:`TaiwanDateField` takes a date typed as an ROC date (``115/11/22``) or an ISO date
(``2026-11-22``) and shows it back in the reader's convention (TIME-5). A value it cannot
read stays in the input, as typed, beside the error.
"""

from __future__ import annotations

import datetime as dt

import wtforms

from appgov_plugin.i18n import format_date, lazy_gettext, parse_date

#: The hint shown in an empty date input.
DATE_PLACEHOLDER = lazy_gettext("e.g. 115/11/22 or 2026-11-22")


class TaiwanDateField(wtforms.Field):
    """A date as text: ROC ``115/11/22`` or ISO ``2026-11-22`` in, the locale's form out."""

    widget = wtforms.widgets.TextInput()

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
            value = dt.date.fromisoformat(value)
        self.data = value


__all__ = ["DATE_PLACEHOLDER", "TaiwanDateField"]
