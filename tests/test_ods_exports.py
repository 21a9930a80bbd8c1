"""Every table export in three formats holds the same cells (issue 16, the national ODF rule):
each export the product offers is downloaded as CSV, XLSX and ODS from the sample host's demo
data and the three files are read by readers independent of the writer -- the ``csv`` module,
openpyxl, and for ODS :func:`ods_rows` below (``zipfile`` and ``xml.etree``, not odfpy, which
writes them) -- and compared cell by cell: numbers as numbers, dates as dates, text as text.
Text a spreadsheet would evaluate (``= + - @``, planted in the demo's names and comments) is
neutralised alike: an apostrophe in the CSV, a text cell (never a formula) in XLSX and ODS.
Every import reads the same table from an ``.ods`` as from a ``.csv``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import xml.etree.ElementTree as ET
import zipfile
from decimal import Decimal

import openpyxl
import pytest
import sqlalchemy as sa
from hosting import login

from appgov_plugin.apps.models import App
from appgov_plugin.clock import today
from appgov_plugin.exports import FORMULA_STARTS, Table, neutralise, to_csv, to_ods
from appgov_plugin.mailbox.models import StoreReview
from appgov_plugin.rollout.models import MajorSystem, RolloutAgency, RolloutPerson
from sample_host.extensions import db
from sample_host.models import User

NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
}
TABLE, OFFICE, TEXT = (f"{{{NS[k]}}}" for k in ("table", "office", "text"))

# -- an ODS reader of its own: zipfile + ElementTree ---------------------------------------------


def _paragraph_text(element: ET.Element) -> str:
    """A ``text:p``'s text: ``text:s`` (``text:c`` spaces), ``text:tab``, ``text:line-break``
    and spans read as what they show."""
    parts = [element.text or ""]
    for child in element:
        if child.tag == f"{TEXT}s":
            parts.append(" " * int(child.get(f"{TEXT}c", "1")))
        elif child.tag == f"{TEXT}tab":
            parts.append("\t")
        elif child.tag == f"{TEXT}line-break":
            parts.append("\n")
        else:
            parts.append(_paragraph_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _cell(element: ET.Element):
    """(value type, typed value, text shown) of a ``table:table-cell``."""
    kind = element.get(f"{OFFICE}value-type")
    shown = "\n".join(_paragraph_text(p) for p in element.findall("text:p", NS))
    if kind in ("float", "percentage", "currency"):
        return "float", Decimal(element.get(f"{OFFICE}value")), shown
    if kind == "date":
        value = element.get(f"{OFFICE}date-value")
        parsed = dt.datetime.fromisoformat(value) if "T" in value else dt.date.fromisoformat(value)
        return "date", parsed, shown
    if kind == "boolean":
        return "boolean", element.get(f"{OFFICE}boolean-value") == "true", shown
    if kind is None:
        return None, None, shown
    return "string", shown, shown


def ods_rows(data: bytes) -> tuple[str, list[list[tuple]], str]:
    """(sheet name, rows of :func:`_cell` tuples, content.xml) of an ODS file's first sheet;
    repeated rows and columns expanded, empty ones at a row's or the sheet's end dropped."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.read("mimetype") == b"application/vnd.oasis.opendocument.spreadsheet"
        content = archive.read("content.xml").decode("utf-8")
    sheet = ET.fromstring(content).find("office:body/office:spreadsheet/table:table", NS)
    rows: list[list[tuple]] = []
    for row in sheet.iter(f"{TABLE}table-row"):
        cells: list[tuple] = []
        for cell in row:
            if cell.tag in (f"{TABLE}table-cell", f"{TABLE}covered-table-cell"):
                repeat = int(cell.get(f"{TABLE}number-columns-repeated", "1"))
                cells += [_cell(cell)] * repeat
        while cells and cells[-1][0] is None and not cells[-1][2]:
            cells.pop()
        rows += [cells] * int(row.get(f"{TABLE}number-rows-repeated", "1"))
    while rows and not rows[-1]:
        rows.pop()
    return sheet.get(f"{TABLE}name"), rows, content


def test_the_reader_expands_repeated_cells_and_reads_spaces():
    """The reader itself, on XML as LibreOffice writes it (repeats, ``text:s``)."""
    content = f"""<office:document-content xmlns:office="{NS["office"]}"
      xmlns:table="{NS["table"]}" xmlns:text="{NS["text"]}"><office:body><office:spreadsheet>
      <table:table table:name="表"><table:table-row>
        <table:table-cell office:value-type="string"><text:p>a<text:s text:c="2"/>b</text:p>
          <text:p>c</text:p></table:table-cell>
        <table:table-cell table:number-columns-repeated="2" office:value-type="float"
          office:value="4.5"><text:p>4.5</text:p></table:table-cell>
        <table:table-cell table:number-columns-repeated="1000"/></table:table-row>
      <table:table-row table:number-rows-repeated="2"><table:table-cell office:value-type="date"
        office:date-value="2026-11-23"><text:p>x</text:p></table:table-cell></table:table-row>
      <table:table-row table:number-rows-repeated="1048000"><table:table-cell/></table:table-row>
      </table:table></office:spreadsheet></office:body></office:document-content>"""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content)
    name, rows, _xml = ods_rows(buffer.getvalue())
    assert name == "表"
    assert rows == [
        [("string", "a  b\nc", "a  b\nc"), *[("float", Decimal("4.5"), "4.5")] * 2],
        *[[("date", dt.date(2026, 11, 23), "x")]] * 2,
    ]


# -- the three files of one export, compared ----------------------------------------------------


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline="")))
    while rows and not any(rows[-1]):
        rows.pop()
    return rows


def xlsx_rows(data: bytes) -> tuple[str, list[list]]:
    """(sheet name, rows of normalised values): numbers as ``Decimal``, a date cell without a
    time format as a ``date``, an empty cell as ``None``; no cell is a formula."""
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    rows = []
    for row in sheet.iter_rows():
        values = []
        for cell in row:
            assert cell.data_type != "f", f"a formula in {cell.coordinate}"
            value = cell.value
            if isinstance(value, bool):
                pass
            elif isinstance(value, int | float):
                value = Decimal(str(value))
            elif isinstance(value, dt.datetime) and "h" not in cell.number_format:
                value = value.date()
            values.append(value)
        while values and values[-1] in (None, ""):
            values.pop()
        rows.append(values)
    while rows and not rows[-1]:
        rows.pop()
    return sheet.title, rows


def csv_text_of(kind, value, shown) -> str:
    """What the CSV writer writes for an ODS cell (appgov_plugin.exports.csv_cell)."""
    if kind == "float":
        return shown  # the number as written; compared as a number below
    if kind == "date":
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    return neutralise(shown or "")


def assert_same_cells(csv_data: bytes, xlsx_data: bytes, ods_data: bytes) -> list[str]:
    """The three files hold the same table; the text cells that look like formulas."""
    csv_table = csv_rows(csv_data)
    xlsx_title, xlsx_table = xlsx_rows(xlsx_data)
    ods_title, ods_table, content = ods_rows(ods_data)
    assert "table:formula" not in content and "of:=" not in content  # never a formula
    assert xlsx_title == ods_title
    assert len(csv_table) == len(xlsx_table) == len(ods_table), "rows"
    formulas = []
    for number, (csv_row, xlsx_row, ods_row) in enumerate(
        zip(csv_table, xlsx_table, ods_table, strict=True), start=1
    ):
        width = max(len(csv_row), len(xlsx_row), len(ods_row))
        csv_row = csv_row + [""] * (width - len(csv_row))
        xlsx_row = xlsx_row + [None] * (width - len(xlsx_row))
        ods_row = ods_row + [(None, None, "")] * (width - len(ods_row))
        for column, (text, xlsx_value, (kind, value, shown)) in enumerate(
            zip(csv_row, xlsx_row, ods_row, strict=True), start=1
        ):
            where = f"row {number}, column {column}"
            text = text.replace("\r\n", "\n").replace("\r", "\n")
            if kind == "float":
                assert Decimal(text) == value == xlsx_value, where
            elif kind == "date":
                assert text == csv_text_of(kind, value, shown) and xlsx_value == value, where
                assert type(xlsx_value) is type(value), where
            elif kind is None:
                assert text == "" and xlsx_value in (None, ""), where
            else:
                assert kind == "string", where
                # the text shown is the CSV's (its apostrophe is the spreadsheet's text mark)
                assert text == neutralise(shown), where
                assert xlsx_value == shown, where
                if shown.lstrip().startswith(FORMULA_STARTS):
                    assert text == "'" + shown, where
                    formulas.append(shown)
    return formulas


FORMULA = '=HYPERLINK("http://evil.example","點我")'


def plant_formulas() -> None:
    """Text a spreadsheet would evaluate, in the demo's names and review texts."""
    for user in db.session.scalars(sa.select(User)):
        user.display_name = f"{FORMULA}{user.display_name}"
    for app in db.session.scalars(sa.select(App)):
        app.name = f"+{app.name}"
    for agency in db.session.scalars(sa.select(RolloutAgency)):
        agency.name_zh = f"-{agency.name_zh or agency.code}"
    for system in db.session.scalars(sa.select(MajorSystem)):
        system.name_zh = f"@{system.name_zh}"
    for person in db.session.scalars(sa.select(RolloutPerson)):
        person.name = f" ={person.name}"
    for review in db.session.scalars(sa.select(StoreReview)):
        review.text = f"-{review.text or ''}\n=1+1"
    db.session.commit()


LAST_YEAR = today().year - 1

#: name -> (profile, username, URL with ``{fmt}``, formula-like text expected in it).
EXPORTS = {
    "case history (audit trail)": ("taipei", "admin", "/cases/1/history.{fmt}", True),
    "app history (audit trail)": ("taipei", "admin", "/appgov/apps/1/history.{fmt}", False),
    "store reviews": ("taipei", "admin", "/appgov/apps/1/reviews.{fmt}", True),
    "store ratings": ("taipei", "admin", "/appgov/apps/1/ratings.{fmt}", False),
    "feedback": ("taipei", "admin", "/appgov/feedback.{fmt}", True),
    "compliance dashboard": ("taipei", "itdept", "/appgov/rollout.{fmt}", True),
    "roll-out meetings": ("taipei", "itdept", "/appgov/rollout/meetings.{fmt}", False),
    "support escalation": ("taipei", "itdept", "/appgov/rollout/support.{fmt}", True),
    "support people": ("taipei", "itdept", "/appgov/rollout/support/people.{fmt}", True),
    "learning hours": ("taipei", "itdept", "/appgov/training/hours?format={fmt}", True),
    "grades": ("taipei", "itdept", "/appgov/evaluation/grades.{fmt}", True),
    "chart: grades": (
        "taipei",
        "itdept",
        f"/appgov/evaluation/charts.{{fmt}}?chart=grades&year={LAST_YEAR}",
        True,
    ),
    "chart: seed users": (
        "taipei",
        "itdept",
        f"/appgov/evaluation/charts.{{fmt}}?chart=seeds&year={LAST_YEAR}",
        True,
    ),
    "app figures": (
        "kaohsiung",
        "itdept",
        f"/appgov/evaluation/figures.{{fmt}}?year={LAST_YEAR}",
        True,
    ),
    "evaluation results": (
        "kaohsiung",
        "itdept",
        f"/appgov/evaluation/results.{{fmt}}?year={LAST_YEAR}",
        True,
    ),
    **{
        f"chart: {chart}": (
            "kaohsiung",
            "itdept",
            f"/appgov/evaluation/charts.{{fmt}}?chart={chart}&year={LAST_YEAR}",
            planted,
        )
        for chart, planted in (
            ("downloads", True),
            ("agencies", False),
            ("ratings", False),
            ("mailbox", False),
        )
    },
}


#: Exports the demo leaves without rows (their header is compared).
HEADER_ONLY = {"roll-out meetings", "chart: mailbox"}


@pytest.mark.backend_independent
@pytest.mark.parametrize("profile", ["taipei", "kaohsiung"])
def test_csv_xlsx_and_ods_of_every_export_hold_the_same_cells(make_host, profile):
    """One demo host per profile (Kaohsiung's last year evaluated), one client a role."""
    host = make_host(profile)
    with host.app_context():
        if profile == "kaohsiung":
            from appgov_plugin.evaluation.run import evaluate_year

            evaluate_year(LAST_YEAR, actor="test")
        plant_formulas()
    clients = {}
    for name, (where, username, url, planted) in EXPORTS.items():
        if where != profile:
            continue
        if username not in clients:
            clients[username] = host.test_client()
            login(clients[username], username)
        files = {}
        for fmt in ("csv", "xlsx", "ods"):
            response = clients[username].get(url.format(fmt=fmt))
            assert response.status_code == 200, (name, fmt, response.status_code)
            assert response.headers["Content-Disposition"].endswith(f".{fmt}"), name
            files[fmt] = response.data
        try:
            formulas = assert_same_cells(files["csv"], files["xlsx"], files["ods"])
        except AssertionError as error:
            raise AssertionError(f"{name}: {error}") from error
        assert len(csv_rows(files["csv"])) > (0 if name in HEADER_ONLY else 1), name
        assert bool(formulas) == planted, (name, formulas[:3])


def test_a_table_of_every_kind_of_cell_agrees_in_the_three_formats():
    """The writer's own corner cases through the same comparison: formula-like text after
    blanks, several lines, runs of spaces, numbers, dates, timestamps, empty cells."""
    from appgov_plugin.exports import to_xlsx

    table = Table(
        ["=標題", "數字", "日期", "時間"],
        [
            [FORMULA, Decimal("3.0750"), dt.date(2026, 11, 23), None],
            ["  @SUM(A1)", -2, None, dt.datetime(2026, 11, 23, 7, 49, 5)],
            ["第一行\n第二行  兩個空格", 0, None, None],
            ["", 1234567, None, None],
        ],
        title="測試",
    )
    formulas = assert_same_cells(to_csv(table), to_xlsx(table), to_ods(table))
    assert formulas == ["=標題", FORMULA, "  @SUM(A1)"]


# -- imports: the same table from an .ods as from a .csv ----------------------------------------


def test_the_rollout_import_command_reads_people_from_ods_as_from_csv(make_host, tmp_path):
    """``flask appgov rollout import``: agencies then people, each kind once as CSV, once as
    ODS (dry runs): the same report but for the file's name and format."""
    from test_rollout_import import AGENCIES, AGENCY_HEADERS, PEOPLE, PEOPLE_HEADERS, csv_bytes

    host = make_host("tainan")
    runner = host.test_cli_runner()
    agencies = tmp_path / "agencies.csv"
    agencies.write_bytes(csv_bytes(AGENCY_HEADERS, AGENCIES))
    result = runner.invoke(args=["appgov", "rollout", "import", "agencies", str(agencies)])
    assert result.exit_code == 0, result.output
    outputs = {}
    for fmt in ("csv", "ods"):
        people = tmp_path / f"people.{fmt}"
        table = Table(PEOPLE_HEADERS, PEOPLE)
        people.write_bytes(to_csv(table) if fmt == "csv" else to_ods(table))
        args = ["appgov", "rollout", "import", "people", str(people), "--dry-run", "--lang", "en"]
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
        lines = result.output.splitlines()
        assert lines[0].startswith(f"people.{fmt} ({fmt.upper()}"), lines[0]
        outputs[fmt] = lines[1:]
    assert outputs["csv"] == outputs["ods"]
    assert f"{len(PEOPLE)} new" in outputs["ods"][-1], outputs["ods"]


def test_store_reviews_import_from_ods_stores_what_the_csv_stores(make_host):
    """The reviews import page: Google Play's reviews as an .ods store the same reviews as
    the same table as a .csv (two apps, one file each)."""
    from test_store_reviews import (
        PLAY_HEADERS,
        add_app,
        play_csv,
        play_row,
        post_file,
        stored_reviews,
    )

    host = make_host("tainan")
    with host.app_context():
        ids = {fmt: add_app(f"府城評論{fmt}") for fmt in ("csv", "ods")}
    client = host.test_client()
    login(client, "staff")
    rows = [play_row(1), play_row(2, stars="1", text="閃退\n兩行")]
    files = {"csv": play_csv(rows), "ods": to_ods(Table(PLAY_HEADERS, rows))}
    found = {}
    for fmt, data in files.items():
        response = post_file(client, ids[fmt], "android", "reviews", data, f"r.{fmt}")
        assert response.status_code == 200
        found[fmt] = [
            (r.review_id, r.rating, r.text, r.reviewed_at) for r in stored_reviews(host, ids[fmt])
        ]
    assert found["ods"] == found["csv"] and len(found["csv"]) == 2
