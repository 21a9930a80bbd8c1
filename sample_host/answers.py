"""Stored answers for reading: the case page, the history's changes and the admin details.

A case is always read with the form it was filed with (``CaseType.case_form(case)``: its
``form_key`` and ``form_version``), so labels, choices and kinds are those of that version.
Besides plain answers, appgov's forms have composite fields, recognised by their flags
(docs/forms.md): section headings (``field.flags.heading``), notices (``.notice``, not an
answer: left out here), row groups (``.rows``: a table with its totals), uploaded files
(``.upload``: a download link to the plug-in's file route) and computed values
(``.computed``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import wtforms
from flask import current_app, url_for
from flask_babel import gettext, ngettext
from werkzeug.routing import BuildError

from appgov_plugin.forms.fields import TaiwanDateField
from appgov_plugin.i18n import current_locale, format_date, format_money, format_number

#: The blueprint of appgov's file route (``/appgov/files/cases/<case_id>/<sha256>``).
FILES_BLUEPRINT = "appgov_files"


def _number(value) -> int | Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | Decimal):
        return value
    try:
        return Decimal(str(value).replace(",", ""))
    except (InvalidOperation, ValueError):
        return None


def _flag(form_field, name: str) -> bool:
    return form_field is not None and bool(getattr(form_field.flags, name, False))


def _is_number_field(form_field) -> bool:
    return isinstance(
        form_field, wtforms.IntegerField | wtforms.DecimalField | wtforms.FloatField
    ) or _flag(form_field, "computed")


def _is_date_field(form_field) -> bool:
    return isinstance(form_field, wtforms.DateField | TaiwanDateField)


def _list_separator() -> str:
    return "、" if current_locale() == "zh_Hant_TW" else ", "


def is_file_reference(value) -> bool:
    """An uploaded file's stored reference: ``{"sha256", "name", "size", "type"}``."""
    return isinstance(value, Mapping) and isinstance(value.get("sha256"), str)


def file_size(size) -> str:
    """A file size for people: 820 B, 12 KB, 3.4 MB."""
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        return ""
    if size < 1024:
        return f"{format_number(size)} B"
    if size < 1024 * 1024:
        return f"{format_number(round(size / 1024))} KB"
    return f"{format_number(round(Decimal(size) / (1024 * 1024), 1))} MB"


def display_answer(form_field, value) -> Any:
    """A stored answer for reading: choice labels instead of keys, yes/no, lists joined,
    money as NT$, numbers with separators, dates in the reader's calendar (short); an
    uploaded file by its name, a row group by its number of rows."""
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if is_file_reference(value):
        return str(value.get("name") or value["sha256"][:12])
    if _flag(form_field, "rows") or (
        isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value)
    ):
        count = len(value) if isinstance(value, list) else 0
        return ngettext("%(num)d row", "%(num)d rows", count)
    if _is_number_field(form_field) and (number := _number(value)) is not None:
        # the form builder flags money fields (field.flags.money): NT$3,200,000
        if _flag(form_field, "money"):
            return format_money(number)
        return format_number(number)
    if _is_date_field(form_field) and isinstance(value, str):
        try:
            return format_date(dt.date.fromisoformat(value), style="short")
        except ValueError:
            return value
    choices = {}
    if getattr(form_field, "choices", None):
        # iter_choices() yields (value, label, selected, ...) on every WTForms choice field.
        choices = {str(choice[0]): choice[1] for choice in form_field.iter_choices()}
    if isinstance(value, list):
        return _list_separator().join(str(choices.get(str(item), item)) for item in value)
    return choices.get(str(value), value)


def answer_fields(form) -> list:
    """The form's questions (no buttons, CSRF token, hidden or no-answer fields)."""
    if form is None:
        return []
    return [
        f
        for f in form
        if f.type not in ("SubmitField", "CSRFTokenField", "HiddenField")
        and not _flag(f, "no_answer")
    ]


# -- the case page ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    name: str
    label: Any
    field: Any = None  # the cell's field (its kind: money, date, choices), when known


@dataclass(frozen=True)
class Answer:
    """One item of the case page's answers.

    ``kind``: ``answer`` (``label``, ``value``), ``heading`` (``label``: a section's title),
    ``computed`` (``value``), ``rows`` (``columns``, ``rows`` of readable cells, ``totals``:
    one readable total or ``None`` per column, ``has_totals``), ``file`` (``file`` the stored
    reference, ``url`` the download link or ``None``, ``value`` the name, ``size``).
    """

    kind: str
    label: Any
    value: Any = None
    name: str = ""
    columns: tuple = ()
    rows: tuple = ()
    totals: tuple = ()
    file: Mapping | None = None
    url: str | None = None
    size: str = ""

    @property
    def has_totals(self) -> bool:
        return any(total is not None for total in self.totals)

    @property
    def text(self) -> str:
        """The answer as one line of text (the admin details)."""
        if self.kind == "rows":
            lines = []
            for cells in self.rows:
                lines.append(
                    " · ".join(
                        f"{column.label}: {cell}"
                        for column, cell in zip(self.columns, cells, strict=False)
                    )
                )
            return "; ".join(lines) or "—"
        return str(self.value)

    # (label, value) unpacking, as case_answers gave before composite answers
    def __iter__(self):
        return iter((self.label, self.value if self.kind != "rows" else self.text))


def row_forms(form_field) -> list:
    """The rows (sub-forms) of a row group: appgov's ``RowsField.rows``, or the entries of
    a ``FieldList`` of ``FormField``."""
    rows = getattr(form_field, "rows", None)
    if isinstance(rows, list | tuple):
        return [row for row in rows if isinstance(row, wtforms.Form)]
    entries = getattr(form_field, "entries", None) or ()
    return [
        entry.form for entry in entries if isinstance(getattr(entry, "form", None), wtforms.Form)
    ]


def _row_fields(form_field) -> dict[str, Any]:
    """{column name: a cell field} of a row group: its first row's fields."""
    for row in row_forms(form_field):
        return {cell.short_name: cell for cell in row}
    return {}


def _columns(form_field, rows: list[Mapping]) -> list[Column]:
    cells = _row_fields(form_field)
    declared = getattr(form_field, "columns", None)
    columns: list[Column] = []
    if declared:
        for column in declared:
            if isinstance(column, tuple | list):  # appgov: (name, label, type)
                name, label = (tuple(column) + (None, None))[:2]
            elif isinstance(column, Mapping):
                name, label = column.get("name"), column.get("label")
            else:
                name, label = getattr(column, "name", None), getattr(column, "label", None)
            if not name:
                continue
            cell = cells.get(name)
            label = getattr(label, "text", label)
            if isinstance(label, Mapping):  # a bilingual text of the definition
                label = label.get("en" if current_locale() == "en" else "zh_Hant_TW")
            if label is None and cell is not None:
                label = cell.label.text
            columns.append(Column(name, label if label is not None else name, cell))
    elif cells:
        columns = [Column(name, cell.label.text, cell) for name, cell in cells.items()]
    known = {column.name for column in columns}
    for row in rows:  # answers of columns the field does not name any more
        for name in row:
            if name not in known:
                known.add(name)
                columns.append(Column(name, name))
    return columns


def _totals_of(form_field) -> set[str]:
    """The columns of a row group whose sum is shown (appgov: ``field.total_columns``)."""
    columns = getattr(form_field, "total_columns", None)
    if columns is None:
        columns = getattr(form_field, "totals", None)
    return set(columns or ())


def _row_group(form_field, value) -> Answer:
    rows = [row for row in (value or []) if isinstance(row, Mapping)]
    columns = _columns(form_field, rows)
    totals_of = _totals_of(form_field)
    cells = tuple(
        tuple(display_answer(column.field, row.get(column.name)) for column in columns)
        for row in rows
    )
    totals = []
    for column in columns:
        if column.name not in totals_of:
            totals.append(None)
            continue
        numbers = [_number(row.get(column.name)) for row in rows]
        total = sum((n for n in numbers if n is not None), 0)
        totals.append(display_answer(column.field, total) if rows else display_answer(None, 0))
    return Answer(
        "rows",
        form_field.label.text,
        name=form_field.name,
        columns=tuple(columns),
        rows=cells,
        totals=tuple(totals),
    )


def file_url(case, reference: Mapping) -> str | None:
    """The download link of an uploaded file: appgov's file route (blueprint
    :data:`FILES_BLUEPRINT`, arguments ``case_id`` and ``sha256``) when it is installed."""
    for rule in current_app.url_map.iter_rules():
        if rule.endpoint.startswith(f"{FILES_BLUEPRINT}.") and {"case_id", "sha256"} <= set(
            rule.arguments
        ):
            try:
                return url_for(rule.endpoint, case_id=case.id, sha256=reference["sha256"])
            except BuildError:
                return None
    return None


def _file(case, form_field, value) -> Answer:
    label = form_field.label.text
    if not is_file_reference(value):
        return Answer("file", label, value="—", name=form_field.name)
    return Answer(
        "file",
        label,
        value=display_answer(form_field, value),
        name=form_field.name,
        file=value,
        url=file_url(case, value),
        size=file_size(value.get("size")),
    )


def case_answers(case_type, case) -> list[Answer]:
    """The case's answers for reading, in the order of the form the case was filed with
    (``case_type.case_form(case)``, its own key and version): section headings, plain
    answers, row groups, files, computed values (notices are instructions: left out).
    Without an installed case type, the stored keys are all there is."""
    data = dict(case.data or {})
    if case_type is None:
        return [Answer("answer", name, display_answer(None, v), name) for name, v in data.items()]
    items: list[Answer] = []
    for form_field in case_type.case_form(case):
        if form_field.type in ("SubmitField", "CSRFTokenField", "HiddenField"):
            continue
        if _flag(form_field, "heading"):
            title = getattr(form_field, "text", None) or form_field.label.text
            items.append(Answer("heading", title, name=form_field.name))
            continue
        if _flag(form_field, "no_answer"):  # notices
            continue
        value = data.get(form_field.name)
        if _flag(form_field, "rows"):
            items.append(_row_group(form_field, value))
        elif _flag(form_field, "upload"):
            items.append(_file(case, form_field, value))
        elif _flag(form_field, "computed"):
            items.append(
                Answer(
                    "computed",
                    form_field.label.text,
                    display_answer(form_field, value),
                    form_field.name,
                )
            )
        else:
            items.append(
                Answer(
                    "answer",
                    form_field.label.text,
                    display_answer(form_field, value),
                    form_field.name,
                )
            )
    # a heading followed by no answer (its section not asked) is left out
    return [
        item
        for index, item in enumerate(items)
        if item.kind != "heading" or (index + 1 < len(items) and items[index + 1].kind != "heading")
    ]


__all__ = [
    "Answer",
    "answer_fields",
    "case_answers",
    "display_answer",
    "file_size",
    "file_url",
    "is_file_reference",
]
