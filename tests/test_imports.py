"""The shared reader of uploaded tables (appgov_plugin.imports): CSV in UTF-8 with and
without a byte-order mark, UTF-16 (Google Play Console) and Big5 (Excel in Taiwan), XLSX and
ODS round trips of the exports' own files and of files built with openpyxl and odfpy, row
numbers as a spreadsheet shows them, and the size, row and unpacked-size limits."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from odf.opendocument import OpenDocumentSpreadsheet
from odf.table import Table as OdfTable
from odf.table import TableCell, TableRow
from odf.text import P

from appgov_plugin.exports import Table, to_csv, to_ods, to_xlsx
from appgov_plugin.imports import ImportRefused, column_letter, decode_csv, read_table

HEADERS = ["名稱", "評分", "日期"]
ROWS = [["臺南好行", "4.35", "2026-11-01"], ["府城「旅遊」, 導覽", "5", "115/11/02"]]


def csv_text(rows=ROWS, headers=HEADERS) -> str:
    return to_csv(Table(headers, rows)).decode("utf-8-sig")


@pytest.mark.parametrize(
    ("encoding", "name"),
    [
        ("utf-8-sig", "utf-8-sig"),  # Excel's "CSV UTF-8"
        ("utf-8", "utf-8"),
        ("utf-16", "utf-16"),  # Play Console: UTF-16 with its byte-order mark
        ("utf-16-le", "utf-16-le"),  # without a mark: told by the zero bytes
        ("cp950", "cp950"),  # Big5: what Excel in Taiwan saves as "CSV"
    ],
)
def test_csv_in_each_encoding_reads_the_same_table(encoding, name):
    table = read_table(csv_text().encode(encoding), "評論.csv")
    assert table.format == "csv" and table.encoding == name
    assert table.headers == HEADERS and table.header_row == 1
    assert [(row.number, row.values) for row in table] == [(2, ROWS[0]), (3, ROWS[1])]


def test_csv_rows_keep_the_spreadsheets_numbers_and_report_extra_cells():
    text = 'a,b\r\n1,2\r\n\r\n,\r\n3,"two\nlines"\r\n4,5,6,\r\n'
    table = read_table(text.encode(), "x.csv")
    # empty rows are left out, never renumbered; a cell's line break does not count
    assert [(row.number, row.values, row.extra) for row in table] == [
        (2, ["1", "2"], []),
        (5, ["3", "two\nlines"], []),
        (6, ["4", "5"], ["6"]),
    ]


def test_a_tab_separated_file_and_a_short_row():
    table = read_table("a\tb\tc\n1\t2\n".encode("utf-16"), "x.csv")
    assert table.headers == ["a", "b", "c"] and table.rows[0].values == ["1", "2", None]


def test_unreadable_characters_are_refused_with_what_to_do():
    with pytest.raises(ImportRefused) as refused:
        decode_csv(b"\xff\xfe\x00\xd8")  # a UTF-16 mark, then half a surrogate pair
    assert refused.value.reason == "encoding" and "UTF-8" in str(refused.value)
    with pytest.raises(ImportRefused) as refused:
        read_table(b"a,b\n\x81\x20,x\n", "x.csv")  # neither UTF-8 nor Big5
    assert refused.value.reason == "encoding"


def test_xlsx_and_ods_of_the_exports_read_back_with_exact_numbers():
    rows = [
        ["臺南好行", Decimal("4.35"), dt.date(2026, 11, 1), 1180],
        ["=1+1", Decimal("3.5"), dt.datetime(2026, 11, 2, 8, 30), None],
        ["兩行\n文字", 5, None, 0],
    ]
    table = Table(["名稱", "評分", "日期", "評分數"], rows)
    xlsx = read_table(to_xlsx(table), "x.xlsx")
    ods = read_table(to_ods(table), "x.ods")
    for read in (xlsx, ods):
        assert read.headers == ["名稱", "評分", "日期", "評分數"]
        assert [row.number for row in read] == [2, 3, 4]
        values = [row.values for row in read]
        assert values[0][0] == "臺南好行" and values[1][0] == "=1+1"  # text, never a formula
        assert values[0][1] == Decimal("4.35") and isinstance(values[0][1], Decimal)
        assert values[1][1] == Decimal("3.5") and values[2][1] == 5 and values[0][3] == 1180
        assert values[2][0] == "兩行\n文字" and values[1][3] is None and values[2][3] == 0
        assert values[1][2] == dt.datetime(2026, 11, 2, 8, 30)
    assert xlsx.rows[0].values[2] == dt.datetime(2026, 11, 1)  # XLSX: a date at midnight
    assert ods.rows[0].values[2] == dt.date(2026, 11, 1)


def test_an_exported_csv_imports_as_it_was_the_formula_mark_taken_off():
    """The CSV export's apostrophe before ``= + - @`` (formula injection) is undone on
    import: the same text as from the XLSX and the ODS; an apostrophe of the data stays."""
    rows = [['=HYPERLINK("x")', "+886 6 123"], ["'plain", " -1"], ["@home", "'=kept once"]]
    table = Table(["名稱", "電話"], rows)
    exported = to_csv(table)
    assert b"'=HYPERLINK" in exported  # neutralised in the file
    for data, name in ((exported, "x.csv"), (to_xlsx(table), "x.xlsx"), (to_ods(table), "x.ods")):
        assert [row.values for row in read_table(data, name)] == rows, name


def test_an_xlsx_built_with_openpyxl_reads_its_first_sheet_with_gaps():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append([None])  # an empty first row: the header is row 2
    sheet.append(["日期", "平均評分", None, None])
    sheet.append([dt.datetime(2026, 11, 1), 4.1])
    sheet.append([])
    sheet.append(["2026-11-03", 4.25, None, "多餘"])
    sheet["A7"] = "=NOW()"  # a formula: its saved value (none here), never the formula
    workbook.create_sheet("第二頁")["A1"] = "ignored"
    buffer = io.BytesIO()
    workbook.save(buffer)
    table = read_table(buffer.getvalue(), "評分.XLSX")
    assert table.header_row == 2 and table.headers == ["日期", "平均評分"]
    assert [(row.number, row.values, row.extra) for row in table][:2] == [
        (3, [dt.datetime(2026, 11, 1), Decimal("4.1")], []),
        (5, ["2026-11-03", Decimal("4.25")], ["多餘"]),
    ]
    assert all(row.values[0] != "=NOW()" for row in table)


def test_an_ods_with_repeated_rows_and_columns_is_not_blown_up():
    document = OpenDocumentSpreadsheet()
    sheet = OdfTable(name="評分")

    def cell(text=None, repeat=1, **attributes):
        element = (
            TableCell(numbercolumnsrepeated=repeat, **attributes)
            if repeat > 1
            else TableCell(**attributes)
        )
        if text is not None:
            element.addElement(P(text=text))
        return element

    header = TableRow()
    for text in ("日期", "平均評分"):
        header.addElement(cell(text, valuetype="string"))
    header.addElement(cell(repeat=16_000))  # styled empty columns to the sheet's edge
    sheet.addElement(header)
    twice = TableRow(numberrowsrepeated=2)
    twice.addElement(cell("2026-11-01", valuetype="date", datevalue="2026-11-01"))
    twice.addElement(cell("4.5", valuetype="float", value="4.5"))
    sheet.addElement(twice)
    sheet.addElement(TableRow(numberrowsrepeated=1_048_000))  # empty to the sheet's end
    document.spreadsheet.addElement(sheet)
    buffer = io.BytesIO()
    document.write(buffer)
    table = read_table(buffer.getvalue(), "x.ods")
    assert table.headers == ["日期", "平均評分"]
    assert [(row.number, row.values) for row in table] == [
        (2, [dt.date(2026, 11, 1), Decimal("4.5")]),
        (3, [dt.date(2026, 11, 1), Decimal("4.5")]),
    ]


# -- refusals --------------------------------------------------------------------------------


def test_a_file_over_the_size_limit_is_refused():
    data = csv_text().encode()
    assert read_table(data, "x.csv", max_bytes=len(data)).rows
    with pytest.raises(ImportRefused) as refused:
        read_table(data, "x.csv", max_bytes=len(data) - 1)
    assert refused.value.reason == "too_large" and "1 KB" in str(refused.value)
    with pytest.raises(ImportRefused):
        read_table(io.BytesIO(data), "x.csv", max_bytes=len(data) - 1)  # a stream too


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "ods"])
def test_more_rows_than_the_limit_are_refused_in_each_format(fmt):
    table = Table(["a"], [[str(n)] for n in range(11)])
    data = {"csv": to_csv, "xlsx": to_xlsx, "ods": to_ods}[fmt](table)
    assert len(read_table(data, f"x.{fmt}", max_rows=11).rows) == 11
    with pytest.raises(ImportRefused) as refused:
        read_table(data, f"x.{fmt}", max_rows=10)
    assert refused.value.reason == "too_many_rows" and "10" in str(refused.value)


def test_a_spreadsheet_that_unpacks_to_too_much_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", " " * 5_000_000)
    with pytest.raises(ImportRefused) as refused:
        read_table(buffer.getvalue(), "x.ods", max_bytes=100_000)
    assert refused.value.reason == "too_large"


@pytest.mark.parametrize(
    ("data", "name", "reason"),
    [
        (b"a,b\n1,2\n", "x.txt", "format"),  # only .csv, .xlsx and .ods
        (b"a,b\n1,2\n", "x.xlsx", "format"),  # the content decides too
        (to_ods(Table(["a"], [["1"]])), "x.xlsx", "format"),
        (b"", "x.csv", "empty"),
        (b"\xef\xbb\xbf\r\n\r\n", "x.csv", "empty"),
        (b'a,"b\n1,2', "x.csv", "broken"),  # an unclosed quote
    ],
)
def test_wrong_files_are_refused_with_a_reason(data, name, reason):
    with pytest.raises(ImportRefused) as refused:
        read_table(data, name)
    assert refused.value.reason == reason and str(refused.value)


def test_a_damaged_spreadsheet_is_refused_not_a_500():
    data = bytearray(to_xlsx(Table(["a"], [["1"]])))
    data[len(data) // 2 : len(data) // 2 + 200] = b"\x00" * 200
    with pytest.raises(ImportRefused) as refused:
        read_table(bytes(data), "x.xlsx")
    assert refused.value.reason in {"broken", "format"}


def test_column_letters():
    assert [column_letter(i) for i in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]
