"""Table imports: one reader for the tables people upload -- CSV, XLSX and ODS.

The counterpart of :mod:`appgov_plugin.exports`: a capability that takes a table from a
file (store reviews, and later a roll-out's bulk list or training completions) calls
:func:`read_table` and gets an :class:`ImportedTable` -- the header row and every other
non-empty row with its row number as the spreadsheet shows it (the header is row 1 when
the sheet starts with it), so a report can say "row 17, column Star Rating". What the
cells mean is the caller's business; the reader only reads.

What it reads:

* **CSV** -- UTF-8 with or without a byte-order mark; UTF-16 with its byte-order mark
  (Google Play Console's exports) or without one (told by the zero bytes of ASCII text);
  Big5 (code page 950: what Excel in Taiwan writes as "CSV"), tried when the bytes are
  not UTF-8. Comma separated, or tab separated when the header line has tabs and no
  commas. Every cell is text (``str``). The apostrophe :func:`.exports.neutralise` puts
  before a cell that would start a formula (``'=閃退``) is taken off again, so a table
  exported as CSV and imported comes back as it was (an XLSX or ODS cell holds the text
  itself).
* **XLSX** -- openpyxl in read-only mode, values only (a formula cell gives the value it
  was last saved with, never the formula); the first sheet.
* **ODS** -- odfpy; the first sheet; repeated rows and columns (``number-rows-repeated``)
  expanded, the empty ones at the end not.

Cells of XLSX and ODS come as ``str``, ``int`` (a whole number), ``Decimal`` (any other
number: never a float, so 4.35 stays 4.35), ``date``, ``datetime`` (naive, as the sheet
shows it; XLSX gives a date cell as a ``datetime`` at midnight) or ``bool``. An empty
cell (or one of blanks only) is ``None`` in every format. Text is given as it is (no blanks
stripped) except the header's labels, which are stripped.

Limits: a file larger than ``max_bytes`` (default ``APPGOV_IMPORT_MAX_MB``) or with more
data rows than ``max_rows`` (default ``APPGOV_IMPORT_MAX_ROWS``) is refused as a whole, as
is a spreadsheet whose content unpacks to more than :data:`UNPACKED_FACTOR` times the
limit (a "zip bomb"). Every refusal is :class:`ImportRefused` with a message in the
reader's language that says what to do.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import current_app, has_app_context

from .exports import neutralise
from .i18n import _
from .uploads import detect_kinds, format_size

#: The formats read, by file name extension.
FORMATS = ("csv", "xlsx", "ods")
#: Defaults of ``APPGOV_IMPORT_MAX_MB`` and ``APPGOV_IMPORT_MAX_ROWS``.
DEFAULT_MAX_MB = 10
DEFAULT_MAX_ROWS = 20_000
#: A spreadsheet (a ZIP) may unpack to at most this many times the byte limit.
UNPACKED_FACTOR = 20
#: Text encodings of CSV tried in this order when there is no byte-order mark.
CSV_ENCODINGS = ("utf-8", "cp950")


class ImportRefused(ValueError):
    """The file cannot be read as a table; ``str(error)`` says why, in the reader's
    language. ``reason`` is a key: ``too_large``, ``too_many_rows``, ``format``,
    ``encoding``, ``empty`` or ``broken``."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


@dataclass
class Row:
    """One data row: its ``number`` in the sheet (1-based, counting the header and empty
    rows), its ``values`` (as many as the header has labels; missing ones ``None``) and the
    non-empty ``extra`` values beyond the header's last label."""

    number: int
    values: list[Any]
    extra: list[Any] = field(default_factory=list)


@dataclass
class ImportedTable:
    """A table read from a file: ``headers`` (stripped labels), ``header_row`` (its number),
    ``rows`` (:class:`Row`, empty rows left out), ``format`` (``csv``, ``xlsx`` or ``ods``)
    and, for CSV, the ``encoding`` it was read in."""

    headers: list[str]
    header_row: int
    rows: list[Row]
    format: str
    encoding: str | None = None

    def __iter__(self) -> Iterator[Row]:
        return iter(self.rows)


def limits(app=None) -> tuple[int, int]:
    """(bytes, rows): ``APPGOV_IMPORT_MAX_MB`` in bytes and ``APPGOV_IMPORT_MAX_ROWS``."""
    if app is None and not has_app_context():
        return DEFAULT_MAX_MB * 2**20, DEFAULT_MAX_ROWS
    config = (app or current_app).config
    megabytes = config.get("APPGOV_IMPORT_MAX_MB", DEFAULT_MAX_MB)
    rows = config.get("APPGOV_IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS)
    return int(float(megabytes) * 2**20), int(rows)


def format_of(filename: str | None) -> str | None:
    """``csv``, ``xlsx`` or ``ods`` by the file name's extension; ``None`` for another."""
    name = (filename or "").strip().lower()
    extension = name.rpartition(".")[2] if "." in name else ""
    return extension if extension in FORMATS else None


def read_bytes(stream, max_bytes: int) -> bytes:
    """At most ``max_bytes`` of ``stream``; :class:`ImportRefused` when there is more."""
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ImportRefused(
            "too_large",
            _(
                "The file is larger than %(limit)s. Split it into smaller files.",
                limit=format_size(max_bytes),
            ),
        )
    return data


def read_table(
    source: bytes | Any,
    filename: str,
    *,
    max_bytes: int | None = None,
    max_rows: int | None = None,
) -> ImportedTable:
    """The table in ``source`` (bytes or a binary stream) of the file named ``filename``
    (its extension says the format; the content must agree). See the module's docstring
    for what is read and the limits."""
    default_bytes, default_rows = limits()
    max_bytes = default_bytes if max_bytes is None else max_bytes
    max_rows = default_rows if max_rows is None else max_rows
    fmt = format_of(filename)
    if fmt is None:
        raise ImportRefused(
            "format", _("Only .csv, .xlsx and .ods files can be imported: choose one of them.")
        )
    data = source if isinstance(source, bytes) else read_bytes(source, max_bytes)
    if len(data) > max_bytes:
        raise ImportRefused(
            "too_large",
            _(
                "The file is larger than %(limit)s. Split it into smaller files.",
                limit=format_size(max_bytes),
            ),
        )
    if not data.strip(b"\x00\t\r\n \xef\xbb\xbf\xff\xfe"):
        raise ImportRefused("empty", _("The file is empty."))
    if fmt == "csv":
        return _read_csv(data, max_rows)
    kinds = detect_kinds(io.BytesIO(data))
    if fmt not in kinds:
        raise ImportRefused(
            "format",
            _(
                "The file is named .%(extension)s but its content is not a %(format)s file.",
                extension=fmt,
                format=fmt.upper(),
            ),
        )
    _check_unpacked(data, max_bytes)
    reader = _xlsx_rows if fmt == "xlsx" else _ods_rows
    try:
        return _table(reader(data), fmt, max_rows)
    except ImportRefused:
        raise
    except Exception as exc:  # a damaged spreadsheet: any parser error means "unreadable"
        raise ImportRefused(
            "broken",
            _("The %(format)s file cannot be read: it may be damaged.", format=fmt.upper()),
        ) from exc


def _too_many_rows(max_rows: int) -> ImportRefused:
    return ImportRefused(
        "too_many_rows",
        _(
            "The file has more than %(limit)s rows. Split it into smaller files.",
            limit=f"{max_rows:,}",
        ),
    )


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _table(rows: Iterator[tuple[int, list[Any]]], fmt: str, max_rows: int, encoding=None):
    """Header (the first non-empty row) and data rows of ``rows`` ((number, values)),
    refusing more than ``max_rows`` data rows."""
    header: list[Any] | None = None
    header_row = 0
    out: list[Row] = []
    for number, values in rows:
        if all(_is_empty(value) for value in values):
            continue
        if header is None:
            header, header_row = values, number
            continue
        if len(out) >= max_rows:
            raise _too_many_rows(max_rows)
        out.append(_row(number, values, len(header)))
    if header is None:
        raise ImportRefused("empty", _("The file is empty."))
    labels = ["" if value is None else str(value).strip() for value in header]
    while labels and not labels[-1]:
        labels.pop()
    if labels and labels[0].startswith("\ufeff"):
        labels[0] = labels[0].lstrip("\ufeff").strip()
    for row in out:  # a header shortened by its empty last labels
        if len(row.values) > len(labels):
            row.extra = [v for v in row.values[len(labels) :] if not _is_empty(v)] + row.extra
            row.values = row.values[: len(labels)]
    return ImportedTable(labels, header_row, out, fmt, encoding)


def _row(number: int, values: list[Any], width: int) -> Row:
    cells = [None if _is_empty(value) else value for value in values]
    extra = [value for value in cells[width:] if not _is_empty(value)]
    cells = cells[:width] + [None] * (width - len(cells))
    return Row(number, cells, extra)


# -- CSV -------------------------------------------------------------------------------------

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode_csv(data: bytes) -> tuple[str, str]:
    """(text, encoding) of CSV bytes: a byte-order mark decides; else UTF-16 without one
    when every other byte of the start is zero; else UTF-8, then Big5 (cp950)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError as exc:
                raise _encoding_refused() from exc
    start = data[:200]
    if len(start) >= 4:
        zeros_even = start[0::2].count(0) / len(start[0::2])
        zeros_odd = start[1::2].count(0) / len(start[1::2])
        guess = "utf-16-le" if zeros_odd > 0.3 else "utf-16-be" if zeros_even > 0.3 else None
        if guess:
            try:
                return data.decode(guess), guess
            except UnicodeDecodeError as exc:
                raise _encoding_refused() from exc
    for encoding in CSV_ENCODINGS:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise _encoding_refused()


def _encoding_refused() -> ImportRefused:
    return ImportRefused(
        "encoding",
        _(
            "The CSV file's characters cannot be read. Save it as “CSV UTF-8” "
            "(or UTF-16, or Big5) and import it again."
        ),
    )


def _delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    return "\t" if "\t" in first and "," not in first else ","


def _unneutralised(value: str) -> str:
    """A CSV cell without the apostrophe an export put before a formula's start."""
    if value.startswith("'") and neutralise(value[1:]) == value:
        return value[1:]
    return value


def _read_csv(data: bytes, max_rows: int) -> ImportedTable:
    text, encoding = decode_csv(data)
    if "\x00" in text:
        raise _encoding_refused()
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)

    def rows():
        try:
            for values in reader:
                yield reader.line_num, [_unneutralised(value) for value in values]
        except csv.Error as exc:
            raise ImportRefused(
                "broken",
                _(
                    "The CSV file cannot be read near line %(line)s: %(problem)s",
                    line=reader.line_num,
                    problem=str(exc),
                ),
            ) from exc

    # a CSV row's number is the line it starts on only without line breaks in cells: count
    # records instead, as a spreadsheet shows them
    def numbered():
        for number, (_line, values) in enumerate(rows(), start=1):
            yield number, values

    return _table(numbered(), "csv", max_rows, encoding)


# -- spreadsheets ----------------------------------------------------------------------------


def _check_unpacked(data: bytes, max_bytes: int) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise ImportRefused("broken", _("The file cannot be read: it may be damaged.")) from exc
    if unpacked > max_bytes * UNPACKED_FACTOR:
        raise ImportRefused(
            "too_large",
            _(
                "The file unpacks to more than %(limit)s. Split it into smaller files.",
                limit=format_size(max_bytes * UNPACKED_FACTOR),
            ),
        )


def cell_value(value: Any) -> Any:
    """A spreadsheet cell as the reader gives it: floats as ``Decimal`` (``int`` when whole),
    empty text as ``None``."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return None
        number = Decimal(repr(value))
        return int(number) if number == number.to_integral_value() else number
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else value
    if isinstance(value, dt.time):
        return value.isoformat()
    if isinstance(value, str) and value == "":
        return None
    return value


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, [cell_value(value) for value in values]
    finally:
        workbook.close()


def _ods_number(text: str | None) -> Any:
    try:
        return cell_value(Decimal(text or ""))
    except InvalidOperation:
        return text


def _ods_date(text: str) -> Any:
    try:
        if "T" in text:
            return dt.datetime.fromisoformat(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        return text


def _ods_cell(cell) -> Any:
    from odf import teletype
    from odf.namespaces import OFFICENS, TEXTNS

    kind = cell.attributes.get((OFFICENS, "value-type"))
    if kind in ("float", "percentage", "currency"):
        return _ods_number(cell.attributes.get((OFFICENS, "value")))
    if kind == "date":
        return _ods_date(cell.attributes.get((OFFICENS, "date-value")) or "")
    if kind == "boolean":
        return cell.attributes.get((OFFICENS, "boolean-value")) == "true"
    paragraphs = [
        teletype.extractText(node)
        for node in cell.childNodes
        if getattr(node, "qname", None) == (TEXTNS, "p")
    ]
    return "\n".join(paragraphs) if paragraphs else None


def _ods_rows(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    from odf.namespaces import TABLENS
    from odf.opendocument import load
    from odf.table import Table

    document = load(io.BytesIO(data))
    sheets = document.spreadsheet.getElementsByType(Table)
    if not sheets:
        return
    number = 0
    pending_empty = 0  # empty rows seen and not yet needed (trailing ones never are)
    for element in _ods_row_elements(sheets[0]):
        repeat = int(element.attributes.get((TABLENS, "number-rows-repeated"), "1") or 1)
        values: list[Any] = []
        for cell in element.childNodes:
            if getattr(cell, "qname", (None, None))[1] not in ("table-cell", "covered-table-cell"):
                continue
            times = int(cell.attributes.get((TABLENS, "number-columns-repeated"), "1") or 1)
            value = _ods_cell(cell)
            if _is_empty(value):
                values.append((None, times))  # runs of empty cells are kept as a count
            else:
                values.extend((value, 1) for _copy in range(min(times, 16_384)))
        while values and values[-1][0] is None:
            values.pop()
        cells: list[Any] = []
        for value, times in values:
            cells.extend([value] * (times if value is not None else min(times, 16_384)))
        if not cells:
            pending_empty += repeat
            continue
        number += pending_empty
        pending_empty = 0
        for _copy in range(repeat):
            number += 1
            yield number, list(cells)


def _ods_row_elements(sheet) -> Iterator[Any]:
    """The sheet's ``table-row`` elements in order, also inside row groups and headers."""
    for node in sheet.childNodes:
        name = getattr(node, "qname", (None, None))[1]
        if name == "table-row":
            yield node
        elif name in ("table-row-group", "table-header-rows", "table-rows"):
            yield from _ods_row_elements(node)


def column_letter(index: int) -> str:
    """The spreadsheet's letter of the 0-based column ``index`` (0: A, 26: AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters
