"""E-learning completions imported from the platform's export (issue 13, section 5: rule
TP-TRN-6) in the sample host under the Taipei rules, SQLite and PostgreSQL: CSV (UTF-8),
XLSX and ODS with English or Chinese headers; every rejection kind reported with its row and
column, never dropped -- an unknown employee id (or one outside the IT department's city), an
unknown course, a course that is not an e-learning course, a bad date, hours that are not a
number, the same row twice in the file, a completion recorded already; a dry run lists every
row to store and writes nothing; all or nothing; the statements do not grow with the rows;
the page for the IT department and the administrator only; ``flask appgov training
import-elearning``."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import re
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa
from casework import counting_queries, visible_text
from hosting import login

from appgov_plugin.exports import Table, to_ods
from appgov_plugin.rollout.models import RolloutAgency, RolloutPerson
from appgov_plugin.training import elearning
from appgov_plugin.training.models import Course, ElearningCompletion
from sample_host.extensions import db

HEADERS = ["employee id", "course code", "completed on", "hours", "record id"]
ZH_HEADERS = ["員工編號", "課程代碼", "完成日期", "時數", "紀錄編號"]
#: Demo registry people (rollout/demo_registry.py): the Tourism Bureau's staff and head.
STAFF, HEAD = "TN100001", "TN100002"
#: A person of an agency in another city (Taipei): not the Tainan IT department's.
FAR = "TP-900001"


@pytest.fixture
def host(make_host):
    host = make_host("taipei")
    with host.app_context():
        if not db.session.scalar(
            sa.select(RolloutAgency.id).where(RolloutAgency.code == "taipei-ca")
        ):
            db.session.add(
                RolloutAgency(
                    code="taipei-ca", kind="level1", headcount=10, headcount_on=dt.date(2026, 1, 1)
                )
            )
        db.session.add(RolloutPerson(employee_id=FAR, name="臺北某人", agency_code="taipei-ca"))
        db.session.add_all(
            [
                Course(
                    code="EL-SEC",
                    course_type="elearning",
                    title_zh="資安通識",
                    title_en="Security basics",
                    hours=Decimal("2"),
                ),
                Course(
                    code="EL-DOC",
                    course_type="elearning",
                    title_zh="公文線上簽核",
                    title_en="E-documents",
                    hours=Decimal("3"),
                ),
                Course(
                    code="ADM-1",
                    course_type="other",
                    title_zh="實體課程",
                    title_en="In person",
                    hours=Decimal("6"),
                ),
            ]
        )
        db.session.flush()
        head = db.session.scalar(sa.select(RolloutPerson).where(RolloutPerson.employee_id == HEAD))
        doc = db.session.scalar(sa.select(Course).where(Course.code == "EL-DOC"))
        db.session.add(
            ElearningCompletion(
                person_id=head.id, course_id=doc.id, completed_on=dt.date(2026, 2, 1), hours=3
            )
        )
        db.session.commit()
    return host


def completions(host) -> set[tuple[str, str, dt.date, Decimal, str | None]]:
    with host.app_context():
        rows = db.session.execute(
            sa.select(
                RolloutPerson.employee_id,
                Course.code,
                ElearningCompletion.completed_on,
                ElearningCompletion.hours,
                ElearningCompletion.source_ref,
            )
            .join(RolloutPerson, RolloutPerson.id == ElearningCompletion.person_id)
            .join(Course, Course.id == ElearningCompletion.course_id)
        )
        return set(rows)


def csv_bytes(headers, rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows([["" if v is None else v for v in row] for row in rows])
    return out.getvalue().encode("utf-8")


def xlsx_bytes(headers, rows) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def run(host, data, name, *, dry_run=False, scope=None):
    with host.test_request_context(headers={"Accept-Language": "en"}):
        return elearning.import_file(data, name, dry_run=dry_run, scope=scope, actor="test")


#: One row of each kind, as text; the spreadsheets get real dates and numbers where typed so.
ROWS = [
    [STAFF, "EL-SEC", "2026-03-05", "2", "P-1"],  # 2: stored
    [STAFF, "EL-DOC", "115/03/06", "1.5", ""],  # 3: stored (ROC date)
    ["TN999999", "EL-SEC", "2026-03-05", "2", ""],  # 4: unknown employee id
    [HEAD, "EL-NOPE", "2026-03-05", "2", ""],  # 5: unknown course
    [HEAD, "ADM-1", "2026-03-05", "2", ""],  # 6: not an e-learning course
    [HEAD, "EL-SEC", "2026-02-30", "2", ""],  # 7: bad date
    [HEAD, "EL-SEC", "2026-03-05", "two", ""],  # 8: hours not a number
    [STAFF, "EL-SEC", "2026-03-07", "2", ""],  # 9: the same as row 2
    [HEAD, "EL-DOC", "2026-03-05", "3", ""],  # 10: recorded already
]
EXPECTED = {
    (4, "employee id"): "No person of the registry has the employee id TN999999.",
    (5, "course code"): "No course has the code EL-NOPE.",
    (6, "course code"): "is not an e-learning course",
    (7, "completed on"): "is not a date",
    (8, "hours"): "“two” is not a number of hours.",
    (9, "course code"): "are in row 2 already",
    (10, "course code"): "has a completion of EL-DOC recorded already",
}


def typed(rows):
    """The rows as a spreadsheet holds them: dates and numbers where they are ones."""
    out = []
    for employee, code, day, hours, ref in rows:
        with contextlib.suppress(ValueError):
            day = dt.date.fromisoformat(day)
        try:
            hours = Decimal(hours)
            hours = int(hours) if hours == hours.to_integral_value() else float(hours)
        except ArithmeticError:
            pass
        out.append([employee, code, day, hours, ref or None])
    return out


def check_report(report, headers) -> None:
    assert not report.ok and not report.stored
    names = dict(zip(HEADERS, headers, strict=True))
    found = {(p.row, p.column): p.message for p in report.errors}
    for (row, column), text in EXPECTED.items():
        assert text in found.get((row, names[column]), ""), (row, column, found)
    assert report.rejected_rows == [4, 5, 6, 7, 8, 9, 10]
    # the rows that would be stored are listed, with the person each matched
    assert [(a.row, a.employee_id, a.course_code, a.hours) for a in report.accepted] == [
        (2, STAFF, "EL-SEC", Decimal("2")),
        (3, STAFF, "EL-DOC", Decimal("1.5")),
    ]
    assert report.accepted[1].completed_on == dt.date(2026, 3, 6)
    assert report.accepted[0].agency_code == "tainan-tourism"


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "ods"])
def test_every_rejection_is_reported_and_nothing_is_stored(host, fmt):
    """TP-TRN-6: each kind of rejected row with its row and column, in each format (the ODS
    with Chinese headers); the dry run and the refused import write nothing; the rows fixed,
    the file imports whole."""
    before = completions(host)
    headers = ZH_HEADERS if fmt == "ods" else HEADERS
    if fmt == "csv":
        data = csv_bytes(headers, ROWS)
    elif fmt == "xlsx":
        data = xlsx_bytes(headers, typed(ROWS))
    else:
        data = to_ods(Table(headers, typed(ROWS)))
    name = f"completions.{fmt}"
    for dry_run in (True, False):
        report = run(host, data, name, dry_run=dry_run)
        check_report(report, headers)
        assert completions(host) == before
    good = ROWS[:2] + [[HEAD, "EL-SEC", "115/03/08", "2", "P-9"]]
    if fmt == "csv":
        data = csv_bytes(headers, good)
    elif fmt == "xlsx":
        data = xlsx_bytes(headers, typed(good))
    else:
        data = to_ods(Table(headers, typed(good)))
    report = run(host, data, name, dry_run=True)
    assert report.ok and len(report.accepted) == 3 and completions(host) == before
    report = run(host, data, name)
    assert report.ok and report.stored
    assert completions(host) - before == {
        (STAFF, "EL-SEC", dt.date(2026, 3, 5), Decimal("2"), "P-1"),
        (STAFF, "EL-DOC", dt.date(2026, 3, 6), Decimal("1.5"), None),
        (HEAD, "EL-SEC", dt.date(2026, 3, 8), Decimal("2"), "P-9"),
    }
    # importing the same file again: every row recorded already, nothing doubled
    report = run(host, data, name)
    assert report.rejected_rows == [2, 3, 4] and len(completions(host) - before) == 3


def test_other_problems_of_a_row_and_of_the_file(host):
    rows = [
        [STAFF, "EL-SEC", "2099-01-01", "2", ""],  # future
        [STAFF, "EL-SEC", "2026-01-01", "0", ""],  # not above 0
        [STAFF, "EL-SEC", "2026-01-01", "1.25", ""],  # finer than a tenth
        [STAFF, "EL-SEC", "2026-01-01", "2.5", ""],  # more than the course's 2 hours
        ["", "", "", "", ""],  # empty: left out by the reader
        [STAFF, "", "2026-01-01", "", ""],  # empty cells
    ]
    report = run(host, csv_bytes([*HEADERS, "note"], rows), "c.csv")
    found = {(p.row, p.column): p.message for p in report.errors}
    assert "in the future" in found[(2, "completed on")]
    assert "more than 0" in found[(3, "hours")]
    assert "a tenth of an hour" in found[(4, "hours")]
    assert "more than the course" in found[(5, "hours")]
    assert (7, "course code") in found and (7, "hours") in found
    assert [(p.row, p.column) for p in report.warnings] == [(1, "note")]
    report = run(host, csv_bytes(["employee id", "hours"], [[STAFF, "2"]]), "c.csv")
    assert {p.column for p in report.errors} == {"course code", "completed on"}
    report = run(host, b"\x00\x01garbage", "c.xlsx")
    assert not report.ok and report.errors[0].row is None


def test_the_statements_do_not_grow_with_the_rows(host):
    with host.app_context():
        people = [
            RolloutPerson(
                employee_id=f"BULK-{n:04d}", name=f"學員{n}", agency_code="tainan-tourism"
            )
            for n in range(900)
        ]
        db.session.add_all(people)
        db.session.commit()

    def statements(n: int, dry_run: bool) -> int:
        rows = [[f"BULK-{i:04d}", "EL-SEC", "2026-04-01", "2", f"R{i}"] for i in range(n)]
        data = csv_bytes(HEADERS, rows)
        with counting_queries(host) as seen:
            report = run(host, data, "bulk.csv", dry_run=dry_run)
        assert report.ok and len(report.accepted) == n, report.problems[:3]
        return len(seen)

    assert statements(10, True) == statements(900, True)
    with host.app_context():
        db.session.execute(
            sa.delete(ElearningCompletion).where(ElearningCompletion.source_ref.like("R%"))
        )
        db.session.commit()
    small = statements(10, False)
    with host.app_context():
        db.session.execute(
            sa.delete(ElearningCompletion).where(ElearningCompletion.source_ref.like("R%"))
        )
        db.session.commit()
    assert statements(900, False) == small


def test_the_page_for_the_it_department_and_the_administrator(host):
    """The upload page: the IT department checks (nothing stored) and imports; a person of
    another city's agency is refused as an unknown employee id; agency staff and the other
    roles 403."""
    client = host.test_client()
    rows = [[STAFF, "EL-SEC", "2026-03-05", "2", "P-1"], [FAR, "EL-SEC", "2026-03-05", "2", ""]]
    before = completions(host)
    for username in ("staff", "head", "reviewer", "mayor"):
        login(client, username)
        assert client.get("/appgov/training/elearning-import").status_code == 403, username
        upload = {"file": (io.BytesIO(csv_bytes(HEADERS, rows)), "c.csv"), "run": "1"}
        response = client.post(
            "/appgov/training/elearning-import", data=upload, content_type="multipart/form-data"
        )
        assert response.status_code == 403, username
    assert completions(host) == before
    login(client, "itdept")
    client.post("/locale/en")
    assert client.get("/appgov/training/elearning-import").status_code == 200
    upload = {"file": (io.BytesIO(csv_bytes(HEADERS, rows)), "c.csv"), "check": "1"}
    response = client.post(
        "/appgov/training/elearning-import", data=upload, content_type="multipart/form-data"
    )
    text = " ".join(visible_text(response.get_data(as_text=True)).split())
    assert response.status_code == 400
    assert f"No person of the registry has the employee id {FAR}." in text
    assert "P-1" in text  # the row to store, listed
    assert completions(host) == before
    response = client.post("/appgov/training/elearning-import", data={})
    assert response.status_code == 400 and "File (.csv, .xlsx or .ods)" in visible_text(
        response.get_data(as_text=True)
    )
    upload = {"file": (io.BytesIO(csv_bytes(HEADERS, rows[:1])), "c.csv"), "run": "1"}
    response = client.post(
        "/appgov/training/elearning-import", data=upload, content_type="multipart/form-data"
    )
    assert response.status_code == 200 and "Imported." in visible_text(
        response.get_data(as_text=True)
    )
    assert len(completions(host) - before) == 1
    # the administrator reads every agency: the Taipei person is theirs
    login(client, "admin")
    upload = {"file": (io.BytesIO(csv_bytes(HEADERS, rows[1:])), "c.csv"), "run": "1"}
    response = client.post(
        "/appgov/training/elearning-import", data=upload, content_type="multipart/form-data"
    )
    assert response.status_code == 200 and len(completions(host) - before) == 2
    # zh: the report's dates in the ROC calendar
    client.post("/locale/zh_Hant_TW")
    upload = {"file": (io.BytesIO(csv_bytes(HEADERS, rows[:1])), "c.csv"), "check": "1"}
    response = client.post(
        "/appgov/training/elearning-import", data=upload, content_type="multipart/form-data"
    )
    assert response.status_code == 400  # recorded already


def test_the_command(host, tmp_path):
    runner = host.test_cli_runner()
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes(HEADERS, ROWS))
    before = completions(host)
    result = runner.invoke(
        args=["appgov", "training", "import-elearning", str(bad), "--lang", "en"]
    )
    assert result.exit_code == 1
    assert "row 4, column employee id: No person of the registry" in result.output
    assert "row 9, column course code:" in result.output
    assert "nothing was stored" in result.output
    assert completions(host) == before
    good = tmp_path / "good.xlsx"
    good.write_bytes(xlsx_bytes(ZH_HEADERS, typed(ROWS[:2])))
    args = ["appgov", "training", "import-elearning", str(good), "--dry-run", "--lang", "en"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0 and "would store: row 2: TN100001" in result.output
    assert completions(host) == before
    result = runner.invoke(args=["appgov", "training", "import-elearning", str(good)])
    assert result.exit_code == 0 and "stored: 2 completions" in result.output
    assert len(completions(host) - before) == 2


def test_the_documented_example_imports(host):
    """docs/training_elearning_import.md: its example file is what the import reads."""
    doc = (Path(__file__).resolve().parents[1] / "docs" / "training_elearning_import.md").read_text(
        encoding="utf-8"
    )
    example = re.search(r"```csv\n(.*?)```", doc, re.S).group(1)
    before = completions(host)
    report = run(host, example.encode("utf-8"), "completions.csv", dry_run=True)
    assert report.ok and [a.employee_id for a in report.accepted] == [STAFF, STAFF, HEAD]
    assert run(host, example.encode("utf-8"), "completions.csv").stored
    assert len(completions(host) - before) == 3
