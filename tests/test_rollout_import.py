"""The roll-out registry's bulk import and its Flask-Admin views (issue 12, section 1):
agencies, people and system scope from CSV (UTF-8, Big5), XLSX and ODS with Chinese or
English headers; a dry run stores nothing and lists every rejected row with its row, column
and reason, and every unknown column; the import is all-or-nothing and importing again
updates, never duplicates; the number of SQL statements does not grow with the rows; the
admin pages answer the administrator only; ``flask appgov rollout import``. In the sample
host with the real plug-in, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa
from casework import counting_queries, visible_text
from hosting import login

from appgov_plugin.exports import Table, to_ods
from appgov_plugin.rollout import importer
from appgov_plugin.rollout.models import MajorSystem, RolloutAgency, RolloutPerson, SystemScope
from sample_host.extensions import db

AGENCY_HEADERS = ["code", "name_zh", "name_en", "kind", "parent code", "headcount", "counted on"]
ZH_AGENCY_HEADERS = ["機關代碼", "名稱", "英文名稱", "機關類型", "上級機關代碼", "員額", "員額日期"]
PEOPLE_HEADERS = ["employee id", "name", "agency code", "title", "e-mail", "username", "unit head"]
ZH_PEOPLE_HEADERS = ["員工編號", "姓名", "機關代碼", "職稱", "電子郵件", "帳號", "單位主管"]

#: A small city: a bureau, a level-2 agency under it, a school under it, a host agency.
AGENCIES = [
    ["T-EDU", "臺南市政府教育局", "Education Bureau", "level1", "", "420", "115/01/02"],
    ["T-EDU-1", "臺南市家庭教育中心", "", "level2", "T-EDU", "40", "2026-01-02"],
    ["T-SCH-1", "臺南市立中山國民中學", "", "學校", "T-EDU", "39", "115/01/02"],
    # the host knows the Tourism Bureau: its names come from the host
    ["tainan-tourism", "", "", "一級機關", "", "100", "115/01/02"],
]
PEOPLE = [
    ["E001", "林怡君", "T-EDU", "科長", "lin@example.org", "", "是"],
    ["E002", "陳建宏", "T-EDU-1", "專員", "", "", "否"],
    ["E003", "王小明", "tainan-tourism", "科員", "staff@example.org", "staff", "no"],
]


def csv_bytes(headers, rows, encoding="utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(headers, rows) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def agencies_of(host) -> dict[str, RolloutAgency]:
    with host.app_context():
        rows = db.session.scalars(sa.select(RolloutAgency))
        agencies = {a.code: a for a in rows}
        db.session.expunge_all()
        return agencies


def count(host, model) -> int:
    with host.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def run(host, kind, data, name, *, dry_run=False, locale="en"):
    """The import in a request context of ``locale`` (the reasons in that language)."""
    with host.test_request_context(headers={"Accept-Language": locale}):
        return importer.import_file(kind, data, name, dry_run=dry_run)


def problems(report) -> list[tuple[int | None, str | None, str]]:
    return [(p.row, p.column, p.message) for p in report.errors]


@pytest.fixture
def host(make_host):
    return make_host("tainan")


def add_system(host, code="DOC") -> int:
    with host.app_context():
        system = MajorSystem(
            code=code, name_zh="公文線上簽核系統", name_en="Documents", phase="golive"
        )
        db.session.add(system)
        db.session.commit()
        return system.id


# -- the three kinds in every format ----------------------------------------------------------


def test_agencies_people_and_scope_from_utf8_csv_with_english_headers(host):
    report = run(host, "agencies", csv_bytes(AGENCY_HEADERS, AGENCIES), "agencies.csv")
    assert report.ok, report.problems
    assert (report.new, report.updated, report.stored) == (4, 0, True)
    # without a city only the administrator sees an agency the host does not know
    assert [(p.row, p.column) for p in report.warnings] == [(2, "city"), (3, "city"), (4, "city")]
    agencies = agencies_of(host)
    assert set(agencies) == {"T-EDU", "T-EDU-1", "T-SCH-1", "tainan-tourism"}
    school = agencies["T-SCH-1"]
    assert (school.kind, school.parent_code, school.headcount) == ("school", "T-EDU", 39)
    assert school.headcount_on == dt.date(2026, 1, 2)  # ROC 115/01/02
    assert agencies["tainan-tourism"].name_zh is None  # the host names it

    report = run(host, "people", csv_bytes(PEOPLE_HEADERS, PEOPLE), "people.csv")
    assert report.ok, report.problems
    assert report.new == 3
    with host.app_context():
        people = {p.employee_id: p for p in db.session.scalars(sa.select(RolloutPerson))}
        assert people["E001"].unit_head is True and people["E002"].unit_head is False
        assert people["E003"].username == "staff" and people["E002"].email is None

    add_system(host)
    scope = csv_bytes(["system code", "agency code"], [["DOC", "T-EDU"], ["DOC", "T-SCH-1"]])
    report = run(host, "scope", scope, "scope.csv")
    assert report.ok and report.new == 2
    assert count(host, SystemScope) == 2


def test_big5_csv_with_chinese_headers_and_roc_dates(host):
    data = csv_bytes(ZH_AGENCY_HEADERS, AGENCIES, encoding="cp950")
    report = run(host, "agencies", data, "機關.csv", locale="zh-TW")
    assert report.ok, report.problems
    assert report.encoding == "cp950"
    assert agencies_of(host)["T-EDU"].name_zh == "臺南市政府教育局"
    people = csv_bytes(ZH_PEOPLE_HEADERS, PEOPLE, encoding="cp950")
    report = run(host, "people", people, "人員.csv", locale="zh-TW")
    assert report.ok, report.problems
    with host.app_context():
        assert (
            db.session.scalar(
                sa.select(RolloutPerson.name).where(RolloutPerson.employee_id == "E001")
            )
            == "林怡君"
        )


def test_xlsx_and_ods_with_number_and_date_cells(host):
    rows = [
        ["X-1", "甲局", "A", "level1", None, 120, dt.datetime(2026, 3, 1)],
        ["X-2", "乙所", "B", "district", "X-1", 41, dt.date(2026, 3, 2)],
    ]
    report = run(host, "agencies", xlsx_bytes(AGENCY_HEADERS, rows), "a.xlsx")
    assert report.ok, report.problems
    assert report.format == "xlsx"
    ods_rows = [
        ["O-1", "丙局", "", "enterprise", "X-1", 7, dt.date(2026, 4, 1)],
        ["X-2", "乙所", "B", "district", "X-1", 42, dt.date(2026, 4, 2)],  # updated
    ]
    ods = to_ods(Table(ZH_AGENCY_HEADERS, ods_rows))
    report = run(host, "agencies", ods, "a.ods")
    assert report.ok, report.problems
    assert (report.format, report.new, report.updated) == ("ods", 1, 1)
    agencies = agencies_of(host)
    assert agencies["X-1"].headcount_on == dt.date(2026, 3, 1)
    assert (agencies["X-2"].headcount, agencies["X-2"].headcount_on) == (42, dt.date(2026, 4, 2))
    assert agencies["O-1"].kind == "enterprise"


# -- the dry run: every rejection listed, nothing stored ----------------------------------------


def test_dry_run_lists_every_rejected_row_and_unknown_column_and_stores_nothing(host):
    rows = [
        ["G-1", "好局", "", "level1", "", "10", "2026-01-01", "x"],  # fine
        ["B-1", "壞局", "", "ministry", "", "10", "2026-01-01", ""],  # unknown kind
        ["B-2", "壞局", "", "level2", "NOWHERE", "10", "2026-01-01", ""],  # parent unknown
        ["G-1", "重複", "", "level1", "", "10", "2026-01-01", ""],  # duplicate code
        ["B-3", "壞局", "", "level2", "G-1", "10", "2026-02-30", ""],  # bad date
        ["B-4", "壞局", "", "level2", "G-1", "-5", "2026-01-01", ""],  # negative headcount
        ["B-5", "壞局", "", "level2", "G-1", "3.5", "2026-01-01", ""],  # not whole
        ["B-6", "", "", "school", "G-1", "10", "2026-01-01", ""],  # no name, not a host agency
        ["B-7", "壞局", "", "school", "B-7", "10", "2026-01-01", ""],  # its own parent
        ["", "無代碼", "", "school", "G-1", "", "", ""],  # empty code, headcount, date
        ["G-2", "好所", "", "school", "B-1", "10", "2026-01-01", ""],  # parent later in file: ok
    ]
    data = csv_bytes([*AGENCY_HEADERS, "備註"], rows)
    report = run(host, "agencies", data, "agencies.csv", dry_run=True)
    assert not report.ok
    assert ("warning", 1, "備註") in [(p.severity, p.row, p.column) for p in report.warnings]
    found = {(row, column) for row, column, _message in problems(report)}
    assert found == {
        (3, "kind"),
        (4, "parent code"),
        (5, "code"),
        (6, "counted on"),
        (7, "headcount"),
        (8, "headcount"),
        (9, "name_zh"),
        (10, "parent code"),
        (11, "code"),
        (11, "headcount"),
        (11, "counted on"),
    }
    assert report.rejected_rows == [3, 4, 5, 6, 7, 8, 9, 10, 11]
    messages = dict(((row, column), message) for row, column, message in problems(report))
    assert "ministry" in messages[(3, "kind")] and "level1" in messages[(3, "kind")]
    assert "NOWHERE" in messages[(4, "parent code")]
    assert "row 2" in messages[(5, "code")]
    assert "negative" in messages[(7, "headcount")]
    assert count(host, RolloutAgency) == 0


def test_dry_run_of_people_names_unknown_agencies_bad_emails_and_repeats(host):
    run(host, "agencies", csv_bytes(AGENCY_HEADERS, AGENCIES), "agencies.csv")
    rows = [
        ["P1", "甲", "T-EDU", "", "a@example.org", "u1", "是"],
        ["P2", "乙", "NO-SUCH", "", "", "", ""],  # person of an unknown agency
        ["P3", "丙", "T-EDU", "", "not-an-address", "", ""],  # e-mail shape
        ["P1", "丁", "T-EDU", "", "", "", ""],  # employee id twice
        ["P4", "戊", "T-EDU", "", "", "u1", ""],  # username of row 2
        ["P5", "", "T-EDU", "", "", "", "maybe"],  # no name, not yes or no
    ]
    report = run(host, "people", csv_bytes(PEOPLE_HEADERS, rows), "p.csv", dry_run=True)
    assert {(row, column) for row, column, _m in problems(report)} == {
        (3, "agency code"),
        (4, "e-mail"),
        (5, "employee id"),
        (6, "username"),
        (7, "name"),
        (7, "unit head"),
    }
    assert count(host, RolloutPerson) == 0


def test_a_file_without_a_required_column_or_of_another_format_is_refused(host):
    report = run(host, "agencies", csv_bytes(["code", "kind"], [["A", "level1"]]), "a.csv")
    assert {column for _row, column, _m in problems(report)} == {"headcount", "counted on"}
    report = run(host, "agencies", b"%PDF-1.4", "a.pdf")
    assert not report.ok and report.errors[0].row is None


def test_a_good_dry_run_says_what_the_import_would_do(host):
    report = run(host, "agencies", csv_bytes(AGENCY_HEADERS, AGENCIES), "a.csv", dry_run=True)
    assert report.ok and (report.new, report.stored) == (4, False)
    assert count(host, RolloutAgency) == 0


# -- all or nothing; importing again ------------------------------------------------------------


def test_one_rejected_row_and_nothing_is_written(host):
    rows = [*AGENCIES, ["T-BAD", "壞", "", "level2", "T-EDU", "-1", "2026-01-01"]]
    report = run(host, "agencies", csv_bytes(AGENCY_HEADERS, rows), "a.csv")
    assert not report.ok and report.rejected_rows == [6]
    assert (report.new, report.stored) == (0, False)
    assert count(host, RolloutAgency) == 0


def test_importing_again_updates_and_never_duplicates(host):
    run(host, "agencies", csv_bytes(AGENCY_HEADERS, AGENCIES), "a.csv")
    run(host, "people", csv_bytes(PEOPLE_HEADERS, PEOPLE), "p.csv")
    changed = [row[:] for row in AGENCIES]
    changed[1][5] = "41"  # headcount 40 -> 41
    changed[2][3] = "level2"
    report = run(host, "agencies", csv_bytes(AGENCY_HEADERS, changed), "a.csv")
    assert report.ok and (report.new, report.updated, report.unchanged) == (0, 2, 2)
    assert count(host, RolloutAgency) == 4
    agencies = agencies_of(host)
    assert agencies["T-EDU-1"].headcount == 41 and agencies["T-SCH-1"].kind == "level2"
    assert agencies["T-EDU"].updated_at >= agencies["T-EDU"].created_at

    moved = [row[:] for row in PEOPLE]
    moved[1][2] = "T-EDU"  # transferred
    report = run(host, "people", csv_bytes(PEOPLE_HEADERS, moved), "p.csv")
    assert (report.new, report.updated, report.unchanged) == (0, 1, 2)
    assert count(host, RolloutPerson) == 3
    report = run(host, "people", csv_bytes(PEOPLE_HEADERS, moved), "p.csv")
    assert (report.updated, report.unchanged, report.stored) == (0, 3, False)

    add_system(host)
    scope = csv_bytes(["系統代碼", "機關代碼"], [["DOC", "T-EDU"]])
    assert run(host, "scope", scope, "s.csv").new == 1
    again = run(host, "scope", scope, "s.csv")
    assert (again.new, again.unchanged) == (0, 1) and count(host, SystemScope) == 1


# -- a fixed number of statements ---------------------------------------------------------------


def many_agencies(number: int, headcount: int = 50) -> bytes:
    rows = [["P-ROOT", "市政府", "", "level1", "", "900", "2026-01-01"]]
    rows += [
        [f"P-{n:04d}", f"機關{n}", "", "school", "P-ROOT", str(headcount), "115/01/02"]
        for n in range(number)
    ]
    return csv_bytes(AGENCY_HEADERS, rows)


def many_people(number: int) -> bytes:
    rows = [[f"S{n:05d}", f"人員{n}", f"P-{n % 5:04d}", "", "", "", ""] for n in range(number)]
    return csv_bytes(PEOPLE_HEADERS, rows)


def statements(host, kind, data, *, dry_run=False) -> int:
    with counting_queries(host) as sent:
        report = run(host, kind, data, "f.csv", dry_run=dry_run)
    assert report.ok, report.problems[:3]
    return len(sent)


def test_the_statements_do_not_grow_with_the_rows(host):
    """Dry run, first import, re-import with changes: the same statements for 6 rows as for
    400 (the registry read into dictionaries, one executemany per write)."""
    small, large = many_agencies(5), many_agencies(400)
    assert statements(host, "agencies", small, dry_run=True) == statements(
        host, "agencies", large, dry_run=True
    )
    first = statements(host, "agencies", small)  # 6 new
    assert statements(host, "agencies", large) == first  # 395 new, 6 unchanged
    assert statements(host, "agencies", many_agencies(400, headcount=60)) == first  # 400 updated
    # rows changing different columns: still one UPDATE
    mixed = many_agencies(400, headcount=61).replace(b"\xe6\xa9\x9f\xe9\x97\x9c1,", b"X,")
    assert statements(host, "agencies", mixed) == first
    assert statements(host, "people", many_people(10)) == statements(
        host, "people", many_people(900)
    )
    assert count(host, RolloutPerson) == 900 and count(host, RolloutAgency) == 401


# -- the admin pages: the administrator only ----------------------------------------------------

ENDPOINTS = (
    "appgov_rollout_agency",
    "appgov_rollout_person",
    "appgov_rollout_system",
    "appgov_rollout_scope",
    "appgov_rollout_assignment",
    "appgov_rollout_work_group",
    "appgov_rollout_unfit",
    "appgov_rollout_import",
)
OTHERS = ("staff", "head", "reviewer", "mayor", "itdept", "helpdesk", "officer")


def test_only_the_administrator_reaches_the_registry_and_the_import(host):
    client = host.test_client()
    for endpoint in ENDPOINTS:
        response = client.get(f"/admin/{endpoint}/")
        assert response.status_code == 302 and "/login" in response.location, endpoint
    for username in OTHERS:
        login(client, username)
        for endpoint in ENDPOINTS:
            assert client.get(f"/admin/{endpoint}/").status_code == 403, (username, endpoint)
        upload = {
            "kind": "agencies",
            "file": (io.BytesIO(csv_bytes(AGENCY_HEADERS, AGENCIES)), "a.csv"),
            "run": "1",
        }
        response = client.post(
            "/admin/appgov_rollout_import/", data=upload, content_type="multipart/form-data"
        )
        assert response.status_code == 403, username
    assert count(host, RolloutAgency) == 0
    login(client, "admin")
    for endpoint in ENDPOINTS:
        assert client.get(f"/admin/{endpoint}/").status_code == 200, endpoint
    for endpoint in ENDPOINTS[:4]:
        assert client.get(f"/admin/{endpoint}/new/").status_code == 200, endpoint


def post_import(client, kind, data, name, *, check=False):
    return client.post(
        "/admin/appgov_rollout_import/",
        data={"kind": kind, "file": (io.BytesIO(data), name), ("check" if check else "run"): "1"},
        content_type="multipart/form-data",
    )


def test_the_import_page_checks_then_imports(host):
    client = host.test_client()
    login(client, "admin")
    client.post("/locale/en")
    bad = [*AGENCIES, ["T-BAD", "壞", "", "bureau", "", "-1", "2026-01-01"]]
    response = post_import(client, "agencies", csv_bytes(AGENCY_HEADERS, bad), "a.csv", check=True)
    assert response.status_code == 400
    text = " ".join(visible_text(response.get_data(as_text=True)).split())
    assert "Refused: nothing was stored." in text
    assert "“bureau” is not a kind of agency" in text and "cannot be negative" in text
    assert count(host, RolloutAgency) == 0
    good = csv_bytes(AGENCY_HEADERS, AGENCIES)
    response = post_import(client, "agencies", good, "a.csv", check=True)
    assert response.status_code == 200 and count(host, RolloutAgency) == 0
    response = post_import(client, "agencies", good, "a.csv")
    assert response.status_code == 200 and count(host, RolloutAgency) == 4
    assert "Imported." in visible_text(response.get_data(as_text=True))
    # the list names the host's agency as the host does, the others by the registry's names
    page = visible_text(client.get("/admin/appgov_rollout_agency/").get_data(as_text=True))
    assert "Tainan City Tourism Bureau (tainan-tourism)" in page
    assert "Education Bureau (T-EDU)" in page
    response = client.post("/admin/appgov_rollout_import/", data={"kind": "agencies"})
    assert response.status_code == 400


def test_admin_forms_name_the_field_of_each_bad_value(host):
    client = host.test_client()
    login(client, "admin")
    client.post("/locale/en")
    run(host, "agencies", csv_bytes(AGENCY_HEADERS, AGENCIES), "a.csv")
    bad = {
        "code": "T-EDU",  # taken
        "name_zh": "",
        "kind": "ministry",
        "parent_code": "NOWHERE",
        "headcount": "-3",
        "headcount_on": "115/02/30",
    }
    response = client.post("/admin/appgov_rollout_agency/new/", data=bad)
    page = " ".join(visible_text(response.get_data(as_text=True)).split())
    assert response.status_code == 200
    for label in ("Agency code", "Kind", "Parent agency", "Headcount", "Headcount counted on"):
        assert label in page.split("Please correct:")[1].split(".")[0], label
    assert "The parent agency NOWHERE is not in the registry." in page
    assert count(host, RolloutAgency) == 4
    empty = {**bad, "code": "T-NEW", "kind": "school", "parent_code": "T-EDU", "headcount": ""}
    page = visible_text(
        client.post("/admin/appgov_rollout_agency/new/", data=empty).get_data(as_text=True)
    )
    assert "Headcount" in page.split("Please correct:")[1]
    assert "The host does not know the agency T-NEW: give its name." in page
    good = {**empty, "name_zh": "新機關", "headcount": "12", "headcount_on": "115/02/03"}
    assert client.post("/admin/appgov_rollout_agency/new/", data=good).status_code == 302
    assert agencies_of(host)["T-NEW"].headcount_on == dt.date(2026, 2, 3)

    run(host, "people", csv_bytes(PEOPLE_HEADERS, PEOPLE), "p.csv")
    person = {"employee_id": "E001", "name": "某", "agency_code": "NO-SUCH", "email": "a@b"}
    page = visible_text(
        client.post("/admin/appgov_rollout_person/new/", data=person).get_data(as_text=True)
    )
    fields = page.split("Please correct:")[1].split(".")[0]
    for label in ("Employee id", "Agency", "E-mail"):
        assert label in fields, label
    assert count(host, RolloutPerson) == 3

    system_id = add_system(host)
    exclusion = {"system_id": str(system_id), "agency_code": "T-EDU", "excluded_on": "115/03/01"}
    page = visible_text(
        client.post("/admin/appgov_rollout_scope/new/", data=exclusion).get_data(as_text=True)
    )
    assert "TP-WG-1" in page and count(host, SystemScope) == 0


# -- the command ---------------------------------------------------------------------------------


def test_the_command_checks_and_imports_a_file(host, tmp_path):
    runner = host.test_cli_runner()
    bad = tmp_path / "機關.csv"
    bad.write_bytes(
        csv_bytes(
            ZH_AGENCY_HEADERS, [*AGENCIES, ["Z", "壞", "", "x", "", "-1", "2026-01-01"]], "cp950"
        )
    )
    result = runner.invoke(
        args=["appgov", "rollout", "import", "agencies", str(bad), "--dry-run", "--lang", "en"]
    )
    assert result.exit_code == 1
    assert "row 6, column 機關類型: “x” is not a kind of agency" in result.output
    assert "row 6, column 員額: The headcount cannot be negative" in result.output
    assert "nothing was stored" in result.output
    good = tmp_path / "agencies.xlsx"
    good.write_bytes(xlsx_bytes(AGENCY_HEADERS, AGENCIES))
    result = runner.invoke(args=["appgov", "rollout", "import", "agencies", str(good), "--dry-run"])
    assert result.exit_code == 0 and "would import: 4 new" in result.output
    assert count(host, RolloutAgency) == 0
    result = runner.invoke(args=["appgov", "rollout", "import", "agencies", str(good)])
    assert result.exit_code == 0 and "imported: 4 new, 0 updated, 0 unchanged" in result.output
    assert count(host, RolloutAgency) == 4
    people = tmp_path / "people.csv"
    people.write_bytes(csv_bytes(PEOPLE_HEADERS, PEOPLE))
    result = runner.invoke(args=["appgov", "rollout", "import", "people", str(people)])
    assert result.exit_code == 0 and count(host, RolloutPerson) == 3
    result = runner.invoke(args=["appgov", "rollout", "import", "rooms", str(people)])
    assert result.exit_code == 2
    # the reasons in Traditional Chinese unless --lang says otherwise
    dated = tmp_path / "dated.csv"
    dated.write_bytes(csv_bytes(AGENCY_HEADERS, [["Q", "丁", "", "school", "", "3", "115/02/30"]]))
    result = runner.invoke(args=["appgov", "rollout", "import", "agencies", str(dated)])
    assert result.exit_code == 1
    assert "row 2, column counted on: 「115/02/30」不是日期" in result.output
    assert count(host, RolloutAgency) == 4


def test_the_documentation_lists_every_accepted_column_name():
    doc = (Path(__file__).resolve().parents[1] / "docs" / "rollout_import.md").read_text("utf-8")
    for kind, columns in importer.COLUMNS.items():
        for column in columns:
            for name in column.names:
                assert f"`{name}`" in doc, (kind, name)
    for key in importer.AGENCY_KINDS:
        assert f"`{key}`" in doc


def test_an_assignment_is_corrected_in_its_dates_only(host):
    """Roster rows come from the roster-change cases (TP-SEED-2): no create or delete in
    Flask-Admin; the administrator's correction of the dates is checked (the end after the
    start) and never touches the person, role or agency."""
    from appgov_plugin.rollout.models import Assignment

    run(host, "agencies", csv_bytes(AGENCY_HEADERS, AGENCIES), "a.csv")
    run(host, "people", csv_bytes(PEOPLE_HEADERS, PEOPLE), "p.csv")
    system_id = add_system(host)
    with host.app_context():
        person = db.session.scalar(
            sa.select(RolloutPerson).where(RolloutPerson.employee_id == "E001")
        )
        row = Assignment(
            system_id=system_id,
            agency_code="T-EDU",
            person_id=person.id,
            role="seed",
            starts_on=dt.date(2026, 3, 2),
        )
        db.session.add(row)
        db.session.commit()
        row_id, person_id = row.id, person.id
    client = host.test_client()
    login(client, "admin")
    client.post("/locale/en")
    page = client.get("/admin/appgov_rollout_assignment/").get_data(as_text=True)
    assert "林怡君 (E001)" in visible_text(page) and "Seed user" in visible_text(page)
    assert client.get("/admin/appgov_rollout_assignment/new/").status_code in (302, 403, 404)
    edit = f"/admin/appgov_rollout_assignment/edit/?id={row_id}"
    bad = {"starts_on": "115/03/02", "ends_on": "115/03/01", "role": "admin", "person_id": "999"}
    page = visible_text(client.post(edit, data=bad).get_data(as_text=True))
    assert "Ends on" in page.split("Please correct:")[1]
    good = {**bad, "ends_on": "115/04/01"}
    assert client.post(edit, data=good).status_code == 302
    with host.app_context():
        row = db.session.get(Assignment, row_id)
        assert (row.ends_on, row.role, row.person_id) == (dt.date(2026, 4, 1), "seed", person_id)


def test_a_username_moves_between_people_only_when_the_file_frees_it(host):
    run(host, "agencies", csv_bytes(AGENCY_HEADERS, AGENCIES), "a.csv")
    run(host, "people", csv_bytes(PEOPLE_HEADERS, PEOPLE), "p.csv")  # E003 is "staff"
    taken = [["E009", "新人", "T-EDU", "", "", "staff", ""]]
    report = run(host, "people", csv_bytes(PEOPLE_HEADERS, taken), "p.csv", dry_run=True)
    assert problems(report) == [
        (2, "username", "The username staff belongs to the employee E003 already.")
    ]
    freed = [*taken, ["E003", "王小明", "tainan-tourism", "", "", "staff2", ""]]
    report = run(host, "people", csv_bytes(PEOPLE_HEADERS, freed), "p.csv")
    assert report.ok, report.problems
    with host.app_context():
        users = dict(
            db.session.execute(sa.select(RolloutPerson.employee_id, RolloutPerson.username)).all()
        )
    assert (users["E009"], users["E003"]) == ("staff", "staff2")


def test_parent_agencies_in_a_circle_are_rejected(host):
    run(host, "agencies", csv_bytes(AGENCY_HEADERS, AGENCIES), "a.csv")
    rows = [
        ["C-1", "甲", "", "level2", "C-2", "10", "2026-01-01"],
        ["C-2", "乙", "", "level2", "C-1", "10", "2026-01-01"],
        # the registry's T-EDU under the file's C-3, under T-EDU-1, under T-EDU: a circle
        ["C-3", "丙", "", "level2", "T-EDU-1", "10", "2026-01-01"],
        ["T-EDU", "教育局", "", "level1", "C-3", "420", "2026-01-01"],
    ]
    report = run(host, "agencies", csv_bytes(AGENCY_HEADERS, rows), "a.csv", dry_run=True)
    found = {row: message for row, column, message in problems(report) if column == "parent code"}
    assert set(found) == {2, 3, 4, 5}
    assert "C-1 → C-2 → C-1" in found[2]
    assert "T-EDU → C-3 → T-EDU-1 → T-EDU" in found[5]
