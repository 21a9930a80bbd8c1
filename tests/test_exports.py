"""Table exports (issue 10, audit): CSV that no spreadsheet evaluates, XLSX without formula
cells, ODS beside them (the national ODF rule); a case's history and an app's history as
files, for exactly the people who may read them -- in the sample host with the real appgov
plug-in, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal
from urllib.parse import unquote

import openpyxl
import pytest
import sqlalchemy as sa
from casework import add_user, counting_queries, new_proposal
from flask import Flask
from form_samples import Upload, stored_files
from hosting import login
from odf import teletype
from odf.opendocument import load as load_ods
from odf.table import Table as OdsTable
from odf.table import TableCell, TableRow

from appgov_plugin.apps.models import App
from appgov_plugin.clock import TAIPEI
from appgov_plugin.exports import (
    MIME_TYPES,
    Table,
    content_disposition,
    export_response,
    neutralise,
    sheet_name,
    to_csv,
    to_ods,
    to_xlsx,
)
from appgov_plugin.lifecycle import registry
from appgov_plugin.lifecycle.models import SYSTEM_ACTOR
from sample_host.cases import edit_case, state_label
from sample_host.extensions import db
from sample_host.models import Case, CaseHistory, User

#: Text a spreadsheet would evaluate (OWASP "CSV injection"), also after blanks.
FORMULAS = ["=1+1", "+cmd", "-2+3", "@SUM", "\t=x", " =x", "\r=x", "  @x", '=HYPERLINK("x")']
#: Text that stays as it is.
PLAIN = ["1+1", "臺南市政府", "a=b", "e-mail", "", "'quoted", "x\n=y"]


# -- the machinery: appgov_plugin.exports ------------------------------------------------------


@pytest.mark.parametrize("text", FORMULAS)
def test_formula_text_gets_a_leading_apostrophe(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("text", PLAIN)
def test_plain_text_is_left_alone(text):
    assert neutralise(text) == text


def _csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads Chinese correctly
    return list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline="")))


def _xlsx_rows(data: bytes):
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    cells = [list(row) for row in sheet.iter_rows()]
    assert all(cell.data_type != "f" for row in cells for cell in row), "a formula cell"
    return sheet, [[cell.value for cell in row] for row in cells]


def _ods_rows(data: bytes) -> tuple[str, list[list[tuple]]]:
    """(sheet name, rows of (value type, value, text)) of an ODS file's first sheet."""
    document = load_ods(io.BytesIO(data))
    sheet = document.spreadsheet.getElementsByType(OdsTable)[0]
    rows = []
    for row in sheet.getElementsByType(TableRow):
        cells = []
        for cell in row.getElementsByType(TableCell):
            kind = cell.getAttribute("valuetype")
            value = {"float": cell.getAttribute("value"), "date": cell.getAttribute("datevalue")}
            lines = [teletype.extractText(p) for p in cell.childNodes]
            cells.append((kind, value.get(kind), "\n".join(lines)))
        rows.append(cells)
    return sheet.getAttribute("name"), rows


AT = dt.datetime(2026, 11, 22, 23, 49, 5, 123456, tzinfo=dt.UTC)  # 07:49:05 on 23rd in Taipei
TABLE = Table(
    ["文字", "數字", "時間", "日期"],
    [
        *([text, 1, None, None] for text in FORMULAS),
        ["臺南市政府觀光旅遊局", -2, AT, dt.date(2026, 11, 23)],
        ["第一行\n第二行  兩個空格", Decimal("3200000.50"), None, None],
        ["控制\x07字元", 0, None, None],
    ],
    title="案件 #12 的歷程",
)


def test_csv_neutralises_text_keeps_numbers_and_round_trips_chinese():
    rows = _csv_rows(to_csv(TABLE))
    assert rows[0] == ["文字", "數字", "時間", "日期"]
    assert [row[0] for row in rows[1 : len(FORMULAS) + 1]] == ["'" + t for t in FORMULAS]
    assert rows[len(FORMULAS) + 1] == [
        "臺南市政府觀光旅遊局",
        "-2",  # a number stays a number, minus sign and all
        "2026-11-23 07:49:05",  # Taipei time (TIME-5)
        "2026-11-23",
    ]
    assert rows[len(FORMULAS) + 2][:2] == ["第一行\n第二行  兩個空格", "3200000.50"]
    assert to_csv(TABLE).count(b"\r\n") >= len(rows)  # CRLF line ends


def test_xlsx_has_text_numbers_and_dates_never_a_formula():
    sheet, rows = _xlsx_rows(to_xlsx(TABLE))
    assert sheet.title == "案件 #12 的歷程"
    assert rows[0] == ["文字", "數字", "時間", "日期"]
    # the text as typed, stored as text: no apostrophe needed, no formula possible
    assert [row[0] for row in rows[1 : len(FORMULAS) + 1]] == [
        t.replace("\r", "\n")
        for t in FORMULAS  # a lone CR is a line end in XML
    ]
    assert all(row[1] == 1 for row in rows[1 : len(FORMULAS) + 1])
    dated = rows[len(FORMULAS) + 1]
    assert dated == [
        "臺南市政府觀光旅遊局",
        -2,
        dt.datetime(2026, 11, 23, 7, 49, 5),
        dt.datetime(2026, 11, 23, 0, 0),
    ]
    assert sheet.cell(len(FORMULAS) + 2, 3).number_format == "yyyy-mm-dd hh:mm:ss"
    assert sheet.cell(len(FORMULAS) + 2, 4).number_format == "yyyy-mm-dd"
    assert rows[len(FORMULAS) + 2][:2] == ["第一行\n第二行  兩個空格", 3200000.5]
    assert rows[len(FORMULAS) + 3][0] == "控制字元"  # XML cannot carry a control character


def test_xlsx_raw_xml_has_no_formula_element():
    import zipfile

    with zipfile.ZipFile(io.BytesIO(to_xlsx(TABLE))) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert "<f>" not in sheet and "<f " not in sheet
    assert "=1+1" in sheet


def test_ods_has_text_float_and_date_cells():
    name, rows = _ods_rows(to_ods(TABLE))
    assert name == "案件 #12 的歷程"
    assert rows[0] == [("string", None, label) for label in ["文字", "數字", "時間", "日期"]]
    for text, row in zip(FORMULAS, rows[1:], strict=False):
        assert row[0] == ("string", None, text.replace("\r", "\n"))
        assert row[1] == ("float", "1", "1")
    dated = rows[len(FORMULAS) + 1]
    assert dated[0] == ("string", None, "臺南市政府觀光旅遊局")
    assert dated[1] == ("float", "-2", "-2")
    assert dated[2] == ("date", "2026-11-23T07:49:05", "2026-11-23 07:49:05")
    assert dated[3] == ("date", "2026-11-23", "2026-11-23")
    # one paragraph a line, runs of spaces kept
    assert rows[len(FORMULAS) + 2][0] == ("string", None, "第一行\n第二行  兩個空格")
    assert rows[len(FORMULAS) + 2][1][:2] == ("float", "3200000.50")


def test_sheet_names_and_rows_are_checked():
    assert sheet_name("a[b]:c*d?e/f\\g") == "a b  c d e f g"
    assert sheet_name("'x'") == "x"
    assert len(sheet_name("歷" * 40)) == 31
    assert sheet_name("") == "Sheet1"
    with pytest.raises(ValueError, match="row 1 has 1 values for 2 columns"):
        Table(["a", "b"], [["only one"]])


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "ods"])
def test_the_answer_names_the_file_in_utf8_and_is_not_cached(fmt):
    with Flask(__name__).test_request_context():
        response = export_response(TABLE, fmt, "案件-12-歷程")
    assert response.headers["Content-Type"] == MIME_TYPES[fmt]
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="')
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == f"案件-12-歷程.{fmt}"
    assert disposition.isascii()
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    with pytest.raises(ValueError, match="unknown export format 'pdf'"):
        export_response(TABLE, "pdf", "x")


def test_content_disposition_keeps_ascii_and_quotes_the_rest():
    assert content_disposition("case-12-history.csv") == (
        "attachment; filename=\"case-12-history.csv\"; filename*=UTF-8''case-12-history.csv"
    )
    header = content_disposition('a"b\r\nc/d;e.xlsx')
    assert "\r" not in header and "\n" not in header
    assert header.startswith('attachment; filename="a_bc_d_e.xlsx"')


# -- the case history export (sample host) -----------------------------------------------------

FORMULA_COMMENT = '=HYPERLINK("http://evil.example","點我") 請審查'
RETURN_COMMENT = "+補件：請附上修訂後的規格書"


def _user(username):
    return db.session.scalar(sa.select(User).where(User.username == username))


@pytest.fixture
def world(make_host):
    """Tainan; staff's proposal: opened with the requirements specification, edited (a new
    file and a summary), submitted with a formula-like comment, returned by the reviewer."""
    app = make_host("tainan")
    with app.app_context():
        add_user("other", "agency_staff", "tainan-secretariat")  # another agency of the city
        add_user("ks", "agency_staff", "kaohsiung-tb")  # another city
        case_id = new_proposal()
        edit_case(
            db.session.get(Case, case_id),
            _user("staff"),
            {
                **stored_files({"requirements_spec": Upload("pdf", "修訂規格書.pdf")}),
                "requirements_summary": "-即時空位與繳費",
            },
        )
    client = app.test_client()
    login(client, "staff")
    act(client, case_id, "submit", FORMULA_COMMENT)
    login(client, "reviewer")
    act(client, case_id, "return", RETURN_COMMENT)
    with app.app_context():
        assert db.session.get(Case, case_id).status == "returned"
    client.get("/logout")
    return app, case_id


def act(client, case_id, name, comment=""):
    response = client.post(f"/cases/{case_id}/transition", data={"name": name, "comment": comment})
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]


def _export(client, case_id, fmt="csv", language="en"):
    return client.get(f"/cases/{case_id}/history.{fmt}", headers={"Accept-Language": language})


HEADERS_EN = [
    "Time (Taipei)",
    "Who",
    "Username",
    "Role",
    "Step",
    "From",
    "To",
    "Comment",
    "Changes",
    "Attachments",
]


def test_the_case_page_links_the_three_formats(world):
    app, case_id = world
    client = app.test_client()
    login(client, "staff")
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    for fmt in ("csv", "xlsx", "ods"):
        assert f'href="/cases/{case_id}/history.{fmt}"' in page
    assert re.search(r">CSV</a> · <a [^>]*>XLSX</a> · <a [^>]*>ODS</a>", page)


def test_the_owner_exports_every_step_with_comments_changes_and_files(world):
    app, case_id = world
    client = app.test_client()
    login(client, "staff")
    response = _export(client, case_id)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert f'filename="case-{case_id}-history.csv"' in response.headers["Content-Disposition"]
    rows = _csv_rows(response.data)
    assert rows[0] == HEADERS_EN
    body = [dict(zip(HEADERS_EN, row, strict=True)) for row in rows[1:]]
    assert [row["Username"] for row in body] == ["staff", "staff", "staff", "reviewer"]
    assert [row["Step"] for row in body][:2] == ["Opened", "Edited"]
    assert [row["Role"] for row in body] == ["Agency staff"] * 3 + ["Reviewer"]
    with app.test_request_context(headers={"Accept-Language": "en"}):
        case = db.session.get(Case, case_id)
        states = [str(state_label(case, s)) for s in ("draft", "in_review", "returned")]
        stamps = [
            row.at.astimezone(TAIPEI).strftime("%Y-%m-%d %H:%M:%S")
            for row in db.session.scalars(
                sa.select(CaseHistory)
                .where(CaseHistory.case_id == case_id)
                .order_by(CaseHistory.id)
            )
        ]
        display = _user("staff").display_name
    assert [row["Time (Taipei)"] for row in body] == stamps
    assert body[0]["Who"] == display
    assert [(row["From"], row["To"]) for row in body] == [
        ("", states[0]),
        (states[0], states[0]),
        (states[0], states[1]),
        (states[1], states[2]),
    ]
    # the opening row lists every file the case was opened with; the edit the one it added
    assert body[0]["Attachments"] == "需求規格書.pdf"
    assert body[1]["Attachments"] == "修訂規格書.pdf"
    assert body[2]["Attachments"] == body[3]["Attachments"] == ""
    # the edit's changes as "field: old → new"; a formula-like value neutralised
    changes = body[1]["Changes"].split("\n")
    assert any(line.endswith("需求規格書.pdf → 修訂規格書.pdf") for line in changes)
    assert any("→ -即時空位與繳費" in line for line in changes)
    assert body[2]["Comment"] == "'" + FORMULA_COMMENT  # CSV: never evaluated
    assert body[3]["Comment"] == "'" + RETURN_COMMENT


def test_xlsx_and_ods_carry_the_comments_as_text(world):
    app, case_id = world
    client = app.test_client()
    login(client, "reviewer")
    response = _export(client, case_id, "xlsx")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == MIME_TYPES["xlsx"]
    sheet, rows = _xlsx_rows(response.data)
    assert rows[0] == HEADERS_EN
    assert [row[7] for row in rows[1:]] == [None, None, FORMULA_COMMENT, RETURN_COMMENT]
    assert isinstance(rows[1][0], dt.datetime)  # a date cell, Taipei wall time
    assert sheet.title == f"History of case #{case_id}"

    response = _export(client, case_id, "ods")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == MIME_TYPES["ods"]
    name, rows = _ods_rows(response.data)
    assert name == f"History of case #{case_id}"
    assert [label for _kind, _value, label in rows[0]] == HEADERS_EN
    assert rows[3][7] == ("string", None, FORMULA_COMMENT)
    assert rows[1][0][0] == "date"
    assert rows[1][9] == ("string", None, "需求規格書.pdf")


def test_helpdesk_gets_the_steps_without_comments_changes_or_files(world):
    app, case_id = world
    client = app.test_client()
    login(client, "helpdesk")
    assert client.get(f"/cases/{case_id}").status_code == 200  # a status-only reader
    rows = _csv_rows(_export(client, case_id).data)
    assert rows[0] == HEADERS_EN
    assert len(rows) == 5
    for row in rows[1:]:
        assert row[7:] == ["", "", ""]  # no comment, no changes, no files
        assert row[2] and row[4] and row[6]  # who, which step, to which state
    _sheet, cells = _xlsx_rows(_export(client, case_id, "xlsx").data)
    assert all(value is None for row in cells[1:] for value in row[7:])
    _name, cells = _ods_rows(_export(client, case_id, "ods").data)
    assert all(cell == (None, None, "") for row in cells[1:] for cell in row[7:])


@pytest.mark.parametrize("username", ["other", "ks", "mayor"])
def test_who_may_not_read_the_case_gets_404_in_every_format(world, username):
    app, case_id = world
    client = app.test_client()
    login(client, username)
    assert client.get(f"/cases/{case_id}").status_code == 404
    for fmt in ("csv", "xlsx", "ods"):
        assert _export(client, case_id, fmt).status_code == 404
    assert _export(client, 999_999).status_code == 404  # alike for a missing case


def test_head_itdept_and_admin_read_it(world):
    app, case_id = world
    client = app.test_client()
    for username in ("head", "itdept", "admin"):
        login(client, username)
        rows = _csv_rows(_export(client, case_id).data)
        assert len(rows) == 5, username
        assert rows[3][7] == "'" + FORMULA_COMMENT, username


def test_anonymous_is_sent_to_the_login_page(world):
    app, case_id = world
    client = app.test_client()
    for fmt in ("csv", "xlsx", "ods"):
        response = _export(client, case_id, fmt)
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]


def test_an_unknown_format_is_404(world):
    app, case_id = world
    client = app.test_client()
    login(client, "staff")
    assert client.get(f"/cases/{case_id}/history.pdf").status_code == 404
    assert client.get(f"/cases/{case_id}/history.CSV").status_code == 404


def test_labels_follow_the_request_language(world):
    app, case_id = world
    client = app.test_client()
    login(client, "staff")
    english = _csv_rows(_export(client, case_id, language="en").data)
    chinese = _csv_rows(_export(client, case_id, language="zh-TW").data)
    with app.test_request_context(headers={"Accept-Language": "zh-TW"}):
        case = db.session.get(Case, case_id)
        returned = str(state_label(case, "returned"))
    assert chinese[4][6] == returned != english[4][6]
    assert chinese[4][3] != "Reviewer"  # the role in Chinese
    assert chinese[2][8] != english[2][8]  # the changed fields' labels


def test_the_export_costs_the_same_queries_however_long_the_history(world):
    app, case_id = world
    client = app.test_client()
    login(client, "staff")
    _export(client, case_id)  # warm: form versions and catalogs read once per process
    with counting_queries(app) as statements:
        assert _export(client, case_id).status_code == 200
    before = len(statements)
    with app.app_context():
        for number in range(3):  # three more history rows (comments)
            db.session.add(
                CaseHistory(
                    case_id=case_id,
                    actor_id=_user("staff").id,
                    transition="comment",
                    from_state="returned",
                    to_state="returned",
                    comment=f"補充 {number}",
                )
            )
        db.session.commit()
    with counting_queries(app) as statements:
        rows = _csv_rows(_export(client, case_id).data)
    assert len(rows) == 8
    assert len(statements) == before


# -- the app history export (appgov) -----------------------------------------------------------

APP_REASON = "=SUM(A1:A9) 資安檢測通過"


@pytest.fixture
def app_world(make_host):
    """Tainan's demo app of the tourism bureau with a history: a version with its security
    test report (KH-SEC-1), the sweep's takedown, a correction."""
    app = make_host("tainan")
    with app.app_context():
        add_user("other", "agency_staff", "tainan-secretariat")
        add_user("ks", "agency_staff", "kaohsiung-tb")
        app_id = db.session.scalar(
            sa.select(App.id).where(App.agency_code == "tainan-tourism").order_by(App.id)
        )
        report = stored_files({"report": Upload("pdf", "資安檢測報告.pdf")})["report"]
        locked = registry.locked_app(app_id)
        registry.record(
            locked,
            "version",
            "reviewer",
            version="2.0.0",
            case_id=7,
            reason=APP_REASON,
            details={"security_report": report, "major": True},
        )
        registry.record(locked, "taken_down", SYSTEM_ACTOR, status="suspended", reason="-資安")
        registry.record(locked, "corrected", "admin", version="2.0.1", reason="版本號誤植")
        db.session.commit()
    return app, app_id


APP_HEADERS_EN = [
    "Time (Taipei)",
    "Step",
    "Who",
    "Username",
    "Case",
    "Status before",
    "Status after",
    "Version",
    "Reason",
    "Details",
]


def _app_export(client, app_id, fmt="csv", language="en"):
    return client.get(f"/appgov/apps/{app_id}/history.{fmt}", headers={"Accept-Language": language})


@pytest.mark.parametrize("username", ["staff", "head", "reviewer", "helpdesk", "admin"])
def test_who_may_see_the_app_exports_its_history(app_world, username):
    app, app_id = app_world
    client = app.test_client()
    login(client, username)
    response = _app_export(client, app_id)
    assert response.status_code == 200, username
    assert f'filename="app-{app_id}-history.csv"' in response.headers["Content-Disposition"]
    rows = _csv_rows(response.data)
    assert rows[0] == APP_HEADERS_EN
    # the fixture's three steps, after whatever the demo data recorded
    body = [dict(zip(APP_HEADERS_EN, row, strict=True)) for row in rows[1:]][-3:]
    assert [row["Step"] for row in body] == [
        "New version",
        "Taken down",
        "Corrected by an administrator",
    ]
    assert [row["Username"] for row in body] == ["reviewer", SYSTEM_ACTOR, "admin"]
    with app.app_context():
        reviewer = _user("reviewer").display_name
    assert [row["Who"] for row in body] == [reviewer, "Automatic sweep", "admin"]
    assert [row["Case"] for row in body] == ["7", "", ""]
    assert [(row["Status before"], row["Status after"]) for row in body] == [
        ("Listed", "Listed"),
        ("Listed", "Temporarily taken down"),
        ("Temporarily taken down", "Temporarily taken down"),
    ]
    assert [row["Version"] for row in body] == ["2.0.0", "2.0.0", "2.0.1"]
    assert body[0]["Reason"] == "'" + APP_REASON
    assert body[1]["Reason"] == "'-資安"
    assert set(body[0]["Details"].split("\n")) == {
        "security_report: 資安檢測報告.pdf",
        "major: Yes",
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", body[0]["Time (Taipei)"])


def test_the_app_history_as_xlsx_and_ods(app_world):
    app, app_id = app_world
    client = app.test_client()
    login(client, "reviewer")
    response = _app_export(client, app_id, "xlsx")
    assert response.headers["Content-Type"] == MIME_TYPES["xlsx"]
    sheet, rows = _xlsx_rows(response.data)
    assert rows[0] == APP_HEADERS_EN
    version = rows[-3]  # the fixture's first step
    assert version[4] == 7  # the case number is a number
    assert version[8] == APP_REASON  # text, not a formula
    assert isinstance(version[0], dt.datetime)
    response = _app_export(client, app_id, "ods")
    assert response.headers["Content-Type"] == MIME_TYPES["ods"]
    _name, rows = _ods_rows(response.data)
    assert rows[-3][4] == ("float", "7", "7")
    assert rows[-3][8] == ("string", None, APP_REASON)
    assert rows[-2][0][0] == "date"


@pytest.mark.parametrize("username", ["other", "ks"])
def test_another_agency_gets_404_for_the_app_history(app_world, username):
    app, app_id = app_world
    client = app.test_client()
    login(client, username)
    assert client.get(f"/appgov/apps/{app_id}").status_code == 404
    for fmt in ("csv", "xlsx", "ods"):
        assert _app_export(client, app_id, fmt).status_code == 404
    assert _app_export(client, 999_999).status_code == 404


def test_anonymous_is_sent_to_log_in_for_the_app_history(app_world):
    app, app_id = app_world
    response = _app_export(app.test_client(), app_id)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_the_export_links_macro(app_world):
    app, app_id = app_world
    with app.test_request_context(headers={"Accept-Language": "en"}):
        from flask import render_template_string

        from appgov_plugin.web import blueprint

        loader = blueprint.jinja_loader
        source = loader.get_source(app.jinja_env, "appgov/lifecycle/_exports.html")[0]
        assert "macro export_links" in source
        html = render_template_string(
            source + "{{ export_links('appgov.app_history_export', {'app_id': app_id}, 'Export:',"
            " name='History of the app') }}",
            app_id=app_id,
            _=lambda text, **kw: text % kw if kw else text,
        )
    for fmt in ("csv", "xlsx", "ods"):
        assert f'href="/appgov/apps/{app_id}/history.{fmt}"' in html
        assert f'aria-label="History of the app ({fmt.upper()})"' in html
    assert "Export:" in html


def test_the_app_export_costs_the_same_queries_however_long_the_history(app_world):
    app, app_id = app_world
    client = app.test_client()
    login(client, "staff")
    _app_export(client, app_id)  # warm
    with counting_queries(app) as statements:
        assert _app_export(client, app_id).status_code == 200
    before = len(statements)
    with app.app_context():
        locked = registry.locked_app(app_id)
        for number in range(5):
            registry.record(locked, "kpi_result", "reviewer", reason=f"{2020 + number} 年未達標")
        db.session.commit()
    with counting_queries(app) as statements:
        rows = _csv_rows(_app_export(client, app_id).data)
    assert [row[1] for row in rows[-5:]] == ["Yearly result recorded"] * 5
    assert len(statements) == before
