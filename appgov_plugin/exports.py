"""Table exports: one table, three files -- CSV, XLSX and ODS.

Every table a user may take away and edit is offered in the three formats (the national
ODF rule: an ``.ods`` beside every ``.csv`` and ``.xlsx``). A view builds a :class:`Table`
(header labels in the reader's language, rows of plain values) and answers
``export_response(table, fmt, filename)``.

What the files hold:

* **CSV** -- UTF-8 with a byte-order mark (Excel then opens Chinese text correctly), comma
  separated, CRLF line ends. A text cell that a spreadsheet would take for a formula (it
  begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return, also after leading
  blanks) gets a leading apostrophe (:func:`neutralise`); numbers stay numbers.
* **XLSX** -- openpyxl in write-only mode; text cells are always text cells (``t="s"``
  or inline strings), even when they begin with ``=``: a file never carries a formula.
  Numbers are numbers, dates and timestamps are dates with an ISO number format.
* **ODS** -- odfpy; text cells are ``office:value-type="string"`` (one ``text:p`` per line),
  numbers ``float``, dates ``office:date-value``.

Timestamps are written in Taipei time (TIME-5), to the second, without a zone (spreadsheets
know none); a naive timestamp is taken as already local.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from flask import Response

from .clock import TAIPEI

#: The formats offered, in the order the links show them: (extension, link label).
FORMATS: tuple[tuple[str, str], ...] = (("csv", "CSV"), ("xlsx", "XLSX"), ("ods", "ODS"))

MIME_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
}

#: What makes a spreadsheet read a text cell as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

#: Characters XML 1.0 cannot carry (XLSX and ODS are XML): dropped from their cells.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
#: Characters a sheet's name may not hold (Excel and LibreOffice).
_SHEET_NAME_ILLEGAL = re.compile(r"[\[\]:*?/\\\x00-\x1f]")
_ASCII_FILENAME_ILLEGAL = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass
class Table:
    """A table to export: ``headers`` (labels), ``rows`` (each as many values as headers:
    ``str``, ``int``, ``Decimal``, ``float``, ``date``, ``datetime`` or ``None``) and a
    ``title`` (the sheet's name)."""

    headers: Sequence[str]
    rows: Iterable[Sequence[Any]] = field(default_factory=list)
    title: str = "Sheet1"

    def __post_init__(self) -> None:
        self.headers = [str(header) for header in self.headers]
        self.rows = [list(row) for row in self.rows]
        for number, row in enumerate(self.rows, start=1):
            if len(row) != len(self.headers):
                raise ValueError(
                    f"row {number} has {len(row)} values for {len(self.headers)} columns"
                )


def is_number(value: Any) -> bool:
    """A number cell (``bool`` is not one: it is written as text)."""
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def neutralise(text: str) -> str:
    """``text`` as a spreadsheet shows it and never evaluates: a leading apostrophe when it
    begins with ``= + - @``, a tab or a carriage return, also after leading blanks
    (``" =x"``) or after apostrophes of its own (``'=x`` becomes ``''=x``, shown as ``'=x``:
    an import takes exactly one off again, :func:`.imports.read_table`)."""
    if text.lstrip("'").lstrip().startswith(FORMULA_STARTS):
        return "'" + text
    return text


def _text(value: Any) -> str:
    """A non-number, non-date value as text."""
    if value is None:
        return ""
    return str(value)


def _cell_text(text: str) -> str:
    """Text for an XML cell: line ends as ``\n`` (XML reads a lone CR as a line end anyway)
    and no character XML cannot carry."""
    return _XML_ILLEGAL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def _local(value: dt.datetime) -> dt.datetime:
    """A timestamp as Taipei's wall-clock time (TIME-5; spreadsheets know no time zones).
    A naive timestamp is taken as already local."""
    if value.tzinfo is not None:
        value = value.astimezone(TAIPEI)
    return value.replace(tzinfo=None, microsecond=0)


def _iso(value: dt.date) -> str:
    if isinstance(value, dt.datetime):
        return _local(value).isoformat(sep=" ")
    return value.isoformat()


def sheet_name(title: str) -> str:
    """A sheet name both Excel and LibreOffice accept: at most 31 characters, none of
    ``[ ] : * ? / \\``, not starting or ending with an apostrophe."""
    name = _SHEET_NAME_ILLEGAL.sub(" ", str(title)).strip().strip("'").strip()
    return name[:31].strip() or "Sheet1"


# -- CSV -------------------------------------------------------------------------------------


def csv_cell(value: Any) -> str:
    """One CSV cell: numbers as they are, dates in ISO, text neutralised."""
    if is_number(value):
        return str(value)
    if isinstance(value, dt.date):
        return _iso(value)
    return neutralise(_text(value))


def to_csv(table: Table) -> bytes:
    """The table as CSV: UTF-8 with BOM, CRLF line ends, every cell through :func:`csv_cell`."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(header) for header in table.headers])
    for row in table.rows:
        writer.writerow([csv_cell(value) for value in row])
    return buffer.getvalue().encode("utf-8-sig")


# -- XLSX ------------------------------------------------------------------------------------


def to_xlsx(table: Table) -> bytes:
    """The table as an Excel workbook of one sheet; no cell is ever a formula."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_name(table.title))
    sheet.freeze_panes = "A2"
    widths = [len(header) for header in table.headers]
    for row in table.rows:
        for index, value in enumerate(row):
            longest = max((len(line) for line in _text(value).splitlines()), default=0)
            widths[index] = max(widths[index], min(longest, 60))
    for index, width in enumerate(widths, start=1):
        # CJK characters are about twice as wide as Latin ones: a generous width
        sheet.column_dimensions[get_column_letter(index)].width = max(10, width * 1.6 + 2)

    def text_cell(text: str, **style) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet, value=_cell_text(text))
        cell.data_type = "s"  # never "f": "=1+1" stays the text "=1+1"
        for name, value in style.items():
            setattr(cell, name, value)
        return cell

    bold = Font(bold=True)
    sheet.append([text_cell(header, font=bold) for header in table.headers])
    wrap = Alignment(wrap_text=True, vertical="top")
    for row in table.rows:
        cells = []
        for value in row:
            if is_number(value):
                cells.append(WriteOnlyCell(sheet, value=value))
            elif isinstance(value, dt.datetime):
                cell = WriteOnlyCell(sheet, value=_local(value))
                cell.number_format = "yyyy-mm-dd hh:mm:ss"
                cells.append(cell)
            elif isinstance(value, dt.date):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = "yyyy-mm-dd"
                cells.append(cell)
            else:
                text = _text(value)
                lines = "\n" in text or "\r" in text
                cells.append(text_cell(text, alignment=wrap) if lines else text_cell(text))
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# -- ODS -------------------------------------------------------------------------------------


def to_ods(table: Table) -> bytes:
    """The table as an OpenDocument spreadsheet of one sheet (text, float and date cells)."""
    from odf import teletype
    from odf.number import DateStyle, Day, Hours, Minutes, Month, Seconds, Year
    from odf.number import Text as NumberText
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.style import Style, TextProperties
    from odf.table import Table as OdfTable
    from odf.table import TableCell, TableRow
    from odf.text import P

    document = OpenDocumentSpreadsheet()

    def date_style(name: str, with_time: bool) -> Style:
        style = DateStyle(name=name)
        parts = [Year(style="long"), "-", Month(style="long"), "-", Day(style="long")]
        if with_time:
            parts += [" ", Hours(style="long"), ":", Minutes(style="long")]
            parts += [":", Seconds(style="long")]
        for part in parts:
            style.addElement(NumberText(text=part) if isinstance(part, str) else part)
        document.automaticstyles.addElement(style)
        cell_style = Style(name=f"cell-{name}", family="table-cell", datastylename=name)
        document.automaticstyles.addElement(cell_style)
        return cell_style

    date_cell = date_style("iso-date", with_time=False)
    datetime_cell = date_style("iso-datetime", with_time=True)
    header_cell = Style(name="cell-header", family="table-cell")
    header_cell.addElement(TextProperties(fontweight="bold"))
    document.automaticstyles.addElement(header_cell)

    def text_cell(text: str, **attributes) -> TableCell:
        cell = TableCell(valuetype="string", **attributes)
        for line in _cell_text(text).split("\n"):
            paragraph = P()
            teletype.addTextToElement(paragraph, line)  # keeps runs of spaces and tabs
            cell.addElement(paragraph)
        return cell

    sheet = OdfTable(name=sheet_name(table.title))
    header = TableRow()
    for label in table.headers:
        header.addElement(text_cell(label, stylename=header_cell))
    sheet.addElement(header)
    for row in table.rows:
        element = TableRow()
        for value in row:
            if value is None or value == "":
                cell = TableCell()
            elif is_number(value):
                cell = TableCell(valuetype="float", value=str(value))
                cell.addElement(P(text=str(value)))
            elif isinstance(value, dt.date):
                stamp = isinstance(value, dt.datetime)
                iso = _local(value).isoformat() if stamp else value.isoformat()
                cell = TableCell(
                    valuetype="date",
                    datevalue=iso,
                    stylename=datetime_cell if stamp else date_cell,
                )
                cell.addElement(P(text=_iso(value)))
            else:
                cell = text_cell(_text(value))
            element.addElement(cell)
        sheet.addElement(element)
    document.spreadsheet.addElement(sheet)
    buffer = io.BytesIO()
    document.write(buffer)
    return buffer.getvalue()


# -- the HTTP answer -------------------------------------------------------------------------

WRITERS = {"csv": to_csv, "xlsx": to_xlsx, "ods": to_ods}


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII ``filename`` for old clients and the UTF-8 name as
    ``filename*`` (RFC 5987 / RFC 6266)."""
    name = filename.replace("\r", "").replace("\n", "").replace("/", "_").replace("\\", "_")
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")
    ascii_stem = _ASCII_FILENAME_ILLEGAL.sub("_", ascii_stem).strip("._") or "export"
    ascii_name = f"{ascii_stem}.{extension}" if extension else ascii_stem
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def export_response(table: Table, fmt: str, filename: str) -> Response:
    """The download of ``table`` as ``fmt`` (``csv``, ``xlsx`` or ``ods``) named
    ``filename`` (the extension is added when missing). Never cached: exports hold what
    only their reader may see."""
    if fmt not in WRITERS:
        raise ValueError(f"unknown export format {fmt!r}; known: {', '.join(WRITERS)}")
    if not filename.lower().endswith(f".{fmt}"):
        filename = f"{filename}.{fmt}"
    response = Response(WRITERS[fmt](table), mimetype=MIME_TYPES[fmt].split(";")[0])
    response.headers["Content-Type"] = MIME_TYPES[fmt]
    response.headers["Content-Disposition"] = content_disposition(filename)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
