"""Figures per app and period (issue 14, item 1: KH-KPI-1, KH-KPI-2, KH-KPI-5, TN-PERF-1) in
the sample host under the Kaohsiung and Tainan rules, SQLite and PostgreSQL:

* the one check and save (``evaluation/figures.py``): upsert on app, year and month; whole
  numbers 0..1,000,000,000; ratings 0..5 with two decimals, exact; a rating count without
  its rating refused (KH-KPI-2); month 1..12; a year before 2000 or in the future refused;
  every problem named by its field and nothing written; every change in the app's history;
* the targets (KH-KPI-1: the population needs its basis; TN-PERF-1: the agency's own);
* the pages per role: agency staff their own agency's apps only (another agency's app id,
  a missing one: 404), the authority and the IT department read, the helpdesk 403, an
  anonymous visitor to the log-in; the form's refusals name the field and store nothing;
* the import in CSV, XLSX and ODS (English and Chinese headers; all or nothing; a row of
  another agency's app refused), the page and ``flask appgov evaluation import-figures``;
* the exports read back; Flask-Admin through the same check;
* the hook ``appgov_collect_app_figures`` (documented, its example run) with
  ``flask appgov evaluation collect YEAR``;
* both languages (the zh page in Chinese, ROC years).
"""

from __future__ import annotations

import csv
import importlib
import io
import re
import types
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa
from casework import add_user, visible_text
from hosting import login

import appgov_plugin
from appgov_plugin.apps.models import App
from appgov_plugin.clock import today
from appgov_plugin.evaluation import figures, figures_import
from appgov_plugin.evaluation import hookspecs as evaluation_hookspecs
from appgov_plugin.evaluation.models import AppFigure, AppTarget
from appgov_plugin.exports import Table, to_ods
from appgov_plugin.imports import read_table
from appgov_plugin.lifecycle.models import AppEvent
from sample_host.extensions import db

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "evaluation_hooks.md"
EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-TW"}
#: A whole past year: every month may be entered.
YEAR = today().year - 1


def new_app(agency: str, name: str, status: str = "listed") -> tuple[int, str]:
    app = App(agency_code=agency, name=name, status=status, version="1.0.0")
    db.session.add(app)
    db.session.commit()
    return app.id, app.code


def count(model, **where) -> int:
    query = sa.select(sa.func.count()).select_from(model)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    return db.session.scalar(query)


def figure_events(app_id: int) -> list[AppEvent]:
    return [
        e
        for e in db.session.scalars(
            sa.select(AppEvent).where(AppEvent.app_id == app_id).order_by(AppEvent.id)
        )
        if (e.details or {}).get("record") in ("figures", "target")
    ]


@pytest.fixture
def kaohsiung(make_host):
    """Kaohsiung: the Transportation Bureau's staff and its app, the Information Center's app
    and its authority (reviewer)."""
    host = make_host("kaohsiung")
    with host.app_context():
        add_user("kh-staff", "agency_staff", "kaohsiung-tb")
        add_user("kh-reviewer", "reviewer", "kaohsiung-ic")
        add_user("kh-itdept", "it_department", "kaohsiung-ic")
        host.own, host.own_code = new_app("kaohsiung-tb", "港都公車通")
        host.other, host.other_code = new_app("kaohsiung-ic", "高雄資訊網")
    return host


@pytest.fixture
def tainan(make_host):
    """Tainan: the demo's Tourism Bureau staff (``staff``) and an app of the Secretariat."""
    host = make_host("tainan")
    with host.app_context():
        host.own, host.own_code = new_app("tainan-tourism", "府城旅遊")
        host.other, host.other_code = new_app("tainan-secretariat", "市府公報")
    return host


# -- the one check and save (rules KH-KPI-2, KH-KPI-5) -----------------------------------------


def test_save_upserts_one_month_and_records_each_change(kaohsiung):
    with kaohsiung.test_request_context():
        app = db.session.get(App, kaohsiung.own)
        saved = figures.save_figures(
            app,
            YEAR,
            3,
            {"downloads_ios": "1,200", "downloads_android": 3400, "rating_ios": "4.25"},
            "form",
            "kh-staff",
        )
        db.session.commit()
        assert saved.created and saved.row.rating_ios == Decimal("4.25")
        assert saved.row.downloads_ios == 1200 and saved.row.source == "form"
        # the same month again: the same row, changed; a key left out is kept
        again = figures.save_figures(
            kaohsiung.own, YEAR, 3, {"downloads_ios": 1300, "ratings_ios": 40}, "import", "t"
        )
        db.session.commit()
        assert not again.created and again.row.id == saved.row.id
        row = db.session.get(AppFigure, saved.row.id)
        assert (row.downloads_ios, row.downloads_android, row.ratings_ios) == (1300, 3400, 40)
        assert (row.source, row.recorded_by) == ("import", "t")
        assert count(AppFigure, app_id=kaohsiung.own) == 1
        # unchanged: nothing recorded
        same = figures.save_figures(kaohsiung.own, YEAR, 3, {"downloads_ios": 1300}, "form", "x")
        db.session.commit()
        assert not same.changed
        events = figure_events(kaohsiung.own)
        assert len(events) == 2
        assert events[0].actor == "kh-staff"
        assert events[1].details["changes"] == {
            "downloads_ios": [1200, 1300],
            "ratings_ios": [None, 40],
        }
        assert events[1].details["month"] == 3 and events[1].details["source"] == "import"
        # every figure cleared: the month is removed, and that is recorded too
        cleared = figures.save_figures(
            kaohsiung.own, YEAR, 3, dict.fromkeys(figures.FIGURE_FIELDS), "form", "kh-staff"
        )
        db.session.commit()
        assert cleared.row is None and count(AppFigure, app_id=kaohsiung.own) == 0
        assert len(figure_events(kaohsiung.own)) == 3


BAD = [
    ({"downloads_ios": -1}, "downloads_ios"),
    ({"downloads_android": 1_000_000_001}, "downloads_android"),
    ({"uninstalls": "12.5"}, "uninstalls"),
    ({"uninstalls": True}, "uninstalls"),
    ({"rating_ios": "4.255"}, "rating_ios"),  # three decimals: never rounded
    ({"rating_android": "5.01"}, "rating_android"),
    ({"rating_android": "NaN"}, "rating_android"),
    ({"ratings_ios": 40}, "ratings_ios"),  # rule KH-KPI-2: a count needs its rating
    ({"speed": 1}, "speed"),
]


@pytest.mark.parametrize(("values", "field"), BAD)
def test_bad_figures_name_the_field_and_write_nothing(kaohsiung, values, field):
    with kaohsiung.test_request_context(headers=EN):
        with pytest.raises(figures.FiguresError) as error:
            figures.save_figures(kaohsiung.own, YEAR, 1, values, "form", "kh-staff")
        db.session.rollback()
        assert set(error.value.problems) == {field}
        assert count(AppFigure, app_id=kaohsiung.own) == 0
        assert figure_events(kaohsiung.own) == []


def test_bad_periods_are_refused(kaohsiung):
    now = today()
    cases = [
        (YEAR, 13, "month"),
        (YEAR, 0, "month"),
        (1999, 1, "year"),
        (now.year + 1, 1, "year"),  # the future
        ("abc", 1, "year"),
    ]
    if now.month < 12:
        cases.append((now.year, now.month + 1, "month"))  # a month not yet begun
    with kaohsiung.test_request_context(headers=EN):
        for year, month, field in cases:
            with pytest.raises(figures.FiguresError) as error:
                figures.save_figures(kaohsiung.own, year, month, {"uninstalls": 1}, "form", "t")
            assert set(error.value.problems) == {field}, (year, month)
            assert error.value.problems[field].startswith(("Year", "Month"))
        with pytest.raises(figures.FiguresError) as error:
            figures.save_figures(999_999, YEAR, 1, {"uninstalls": 1}, "form", "t")
        assert set(error.value.problems) == {"app"}
        db.session.rollback()
        assert count(AppFigure, app_id=kaohsiung.own) == 0
        # the rating exact: 4.1 stays 4.10, never a float's 4.0999...
        row = figures.save_figures(kaohsiung.own, YEAR, 1, {"rating_ios": 4.1}, "form", "t").row
        db.session.commit()
        assert db.session.get(AppFigure, row.id).rating_ios == Decimal("4.10")


def test_targets_kaohsiung_population_needs_its_basis(kaohsiung):
    """rule KH-KPI-1: the target population and who it is / where the figure comes from."""
    with kaohsiung.test_request_context(headers=EN):
        with pytest.raises(figures.FiguresError) as error:
            figures.save_target(kaohsiung.own, YEAR, {"target_population": "2,750,000"}, "t")
        assert set(error.value.problems) == {"population_basis"}
        with pytest.raises(figures.FiguresError) as error:
            figures.save_target(
                kaohsiung.own,
                YEAR,
                {"target_population": -5, "rating_target": "4.125", "handled_target_percent": 101},
                "t",
            )
        assert set(error.value.problems) == {
            "target_population",
            "rating_target",
            "handled_target_percent",
        }
        db.session.rollback()
        assert count(AppTarget, app_id=kaohsiung.own) == 0
        saved = figures.save_target(
            kaohsiung.own,
            YEAR,
            {"target_population": "2,750,000", "population_basis": "高雄市民（民政局人口統計）"},
            "kh-staff",
        )
        db.session.commit()
        assert saved.created and saved.row.target_population == 2_750_000
        # the stored basis goes with a new population (the Kaohsiung template's examples)
        for population in (35_000, 1_986_191):
            figures.save_target(kaohsiung.own, YEAR, {"target_population": population}, "t")
        db.session.commit()
        assert saved.row.target_population == 1_986_191
        # next year's targets may be set before it begins; the year after may not
        figures.save_target(kaohsiung.own, today().year + 1, {"installs_target": 10}, "t")
        with pytest.raises(figures.FiguresError):
            figures.save_target(kaohsiung.own, today().year + 2, {"installs_target": 10}, "t")
        db.session.rollback()
        assert [e.details["record"] for e in figure_events(kaohsiung.own)] == ["target"] * 3


# -- the pages per role --------------------------------------------------------------------------


def _grid(month: int, **values) -> dict:
    return {f"m{month}_{name}": str(value) for name, value in values.items()} | {
        "save_figures": "1"
    }


def test_pages_per_role_kaohsiung(kaohsiung):
    client = kaohsiung.test_client()
    own = f"/appgov/evaluation/apps/{kaohsiung.own}/figures?year={YEAR}"
    other = f"/appgov/evaluation/apps/{kaohsiung.other}/figures?year={YEAR}"

    assert client.get(own).status_code == 302  # anonymous: to the log-in
    assert client.get("/appgov/evaluation/figures").status_code == 302

    login(client, "kh-staff")
    page = client.get(own, headers=EN)
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    text = visible_text(body)
    assert 'name="save_figures"' in body and "Target population (KH-KPI-1)" in text
    assert "Installs target" not in text  # Kaohsiung's targets only
    assert client.get(other).status_code == 404  # another agency's app, its id guessed
    assert client.get("/appgov/evaluation/apps/999999/figures").status_code == 404
    assert client.post(other, data=_grid(1, downloads_ios=5)).status_code == 404
    listing = client.get(f"/appgov/evaluation/figures?year={YEAR}", headers=EN)
    body = listing.get_data(as_text=True)
    assert listing.status_code == 200
    assert kaohsiung.own_code in body and kaohsiung.other_code not in body

    # a bad month: the field named, nothing stored
    refused = client.post(own, data=_grid(2, downloads_ios="12", rating_ios="4.567"), headers=EN)
    assert refused.status_code == 400
    text = visible_text(refused.get_data(as_text=True))
    assert "Rating (iOS): at most two decimals" in text
    assert "Please correct the fields marked below." in text
    with kaohsiung.app_context():
        assert count(AppFigure, app_id=kaohsiung.own) == 0
    saved = client.post(
        own,
        data=_grid(1, downloads_ios="1,000", downloads_android="2000")
        | {"m2_downloads_ios": "500", "m2_rating_android": "3.9", "m2_ratings_android": "12"},
    )
    assert saved.status_code == 303
    target = client.post(
        own,
        data={
            "target_population": "35,000",
            "population_basis": "通勤族（交通局統計）",
            "save_target": "1",
        },
    )
    assert target.status_code == 303
    with kaohsiung.app_context():
        rows = {
            r.month: r
            for r in db.session.scalars(
                sa.select(AppFigure).where(AppFigure.app_id == kaohsiung.own)
            )
        }
        assert set(rows) == {1, 2}
        assert (rows[1].downloads_ios, rows[1].downloads_android) == (1000, 2000)
        assert rows[2].rating_android == Decimal("3.90") and rows[2].recorded_by == "kh-staff"
        assert (
            db.session.scalar(
                sa.select(AppTarget.target_population).where(AppTarget.app_id == kaohsiung.own)
            )
            == 35_000
        )
    listing = client.get(f"/appgov/evaluation/figures?year={YEAR}", headers=EN)
    text = visible_text(listing.get_data(as_text=True))
    assert "2 of 12" in text and "3,500" in text  # months entered, the year's downloads

    for reader in ("kh-reviewer", "kh-itdept"):
        login(client, reader)
        page = client.get(other, headers=EN)
        assert page.status_code == 200, reader
        page = client.get(own, headers=EN)
        body = page.get_data(as_text=True)
        text = visible_text(body)
        assert 'name="save_figures"' not in body and "1,000" in text and "35000" in text
        assert client.post(own, data=_grid(3, downloads_ios=1)).status_code == 403
        assert client.get("/appgov/evaluation/figures/import").status_code == 403
        body = client.get(f"/appgov/evaluation/figures?year={YEAR}").get_data(as_text=True)
        assert kaohsiung.own_code in body and kaohsiung.other_code in body

    login(client, "helpdesk")
    assert client.get(own).status_code == 403
    assert client.get("/appgov/evaluation/figures").status_code == 403
    assert client.get(f"/appgov/evaluation/figures.csv?year={YEAR}").status_code == 403


def test_tainan_targets_and_a_chinese_page(tainan):
    """rule TN-PERF-1: the targets the agency sets itself; the zh page in Chinese."""
    client = tainan.test_client()
    login(client, "staff")  # tainan-tourism
    url = f"/appgov/evaluation/apps/{tainan.own}/figures?year={YEAR}"
    page = client.get(url, headers=EN)
    text = visible_text(page.get_data(as_text=True))
    assert "Installs target (TN-PERF-1)" in text and "Target population" not in text
    assert client.get(f"/appgov/evaluation/apps/{tainan.other}/figures").status_code == 404
    saved = client.post(
        url,
        data={
            "installs_target": "20,000",
            "uninstalls_limit": "3000",
            "rating_target": "4",
            "handled_target_percent": "80.5",
            "save_target": "1",
        },
    )
    assert saved.status_code == 303
    refused = client.post(url, data={"rating_target": "6", "save_target": "1"}, headers=EN)
    assert refused.status_code == 400
    assert "Store rating target (TN-PERF-1): a number from 0 to 5" in visible_text(
        refused.get_data(as_text=True)
    )
    with tainan.app_context():
        target = db.session.scalar(sa.select(AppTarget).where(AppTarget.app_id == tainan.own))
        assert (target.installs_target, target.rating_target) == (20_000, Decimal("4.00"))
        assert target.handled_target_percent == Decimal("80.50") and target.set_by == "staff"
    zh = visible_text(client.get(url, headers=ZH).get_data(as_text=True))
    assert f"民國 {YEAR - 1911} 年" in zh and "3 月" in zh
    assert "月份" in zh and "解除安裝數" in zh  # Month, Uninstalls
    listing = visible_text(
        client.get("/appgov/evaluation/figures", headers=ZH).get_data(as_text=True)
    )
    assert "府城旅遊" in listing and "市府公報" not in listing and "機關" in listing


# -- the import ---------------------------------------------------------------------------------

HEADERS = [
    "app code",
    "year",
    "month",
    "downloads iOS",
    "downloads Android",
    "uninstalls",
    "rating iOS",
    "ratings iOS",
    "rating Android",
    "ratings Android",
]
ZH_HEADERS = [
    "App 代碼",
    "年度",
    "月份",
    "iOS 下載數",
    "Android 下載數",
    "解除安裝數",
    "iOS 評分",
    "iOS 評分數",
    "Android 評分",
    "Android 評分數",
]


def _csv(headers, rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _rows(code):
    return [
        [code, YEAR, 1, 1200, 3400, 10, "4.25", 88, "", ""],
        [code, YEAR, 2, 900, 2100, "", "4.30", 95, "3.8", 20],
    ]


def _file(fmt, headers, rows) -> bytes:
    """The rows as a CSV, an XLSX (openpyxl: ratings as the floats a spreadsheet keeps) or
    an ODS (odfpy, through the exporter: ratings as decimals)."""
    if fmt == "csv":
        return _csv(headers, rows)
    if fmt == "xlsx":
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.append(headers)
        for row in rows:
            sheet.append([float(v) if isinstance(v, str) and "." in v else v or None for v in row])
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()
    typed = [
        [Decimal(v) if isinstance(v, str) and "." in v else v or None for v in r] for r in rows
    ]
    return to_ods(Table(headers, typed))


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "ods"])
def test_import_each_format(kaohsiung, fmt):
    headers = HEADERS if fmt == "csv" else ZH_HEADERS
    data = _file(fmt, headers, _rows(kaohsiung.own_code))
    with kaohsiung.test_request_context(headers=EN):
        checked = figures_import.import_file(data, f"f.{fmt}", dry_run=True, actor="t")
        assert checked.ok and checked.new == 2 and not checked.stored, checked.problems
        assert count(AppFigure, app_id=kaohsiung.own) == 0
        report = figures_import.import_file(
            data, f"f.{fmt}", dry_run=False, actor="t", allowed={"kaohsiung-tb"}
        )
        assert report.ok and report.stored, report.problems
        got = {
            r.month: (
                r.downloads_ios,
                r.downloads_android,
                r.uninstalls,
                r.rating_ios,
                r.ratings_ios,
                r.rating_android,
                r.source,
            )
            for r in db.session.scalars(
                sa.select(AppFigure).where(AppFigure.app_id == kaohsiung.own)
            )
        }
        assert got == {
            1: (1200, 3400, 10, Decimal("4.25"), 88, None, "import"),
            2: (900, 2100, None, Decimal("4.30"), 95, Decimal("3.80"), "import"),
        }
        again = figures_import.import_file(data, f"f.{fmt}", dry_run=False, actor="t")
        assert (again.new, again.updated, again.unchanged) == (0, 0, 2)
        assert len(figure_events(kaohsiung.own)) == 2  # once per month changed


def test_import_is_all_or_nothing_and_names_rows_and_columns(kaohsiung):
    code, other = kaohsiung.own_code, kaohsiung.other_code
    rows = _rows(code) + [
        [code, YEAR, 13, 1, 1, 1, "", "", "", ""],  # row 4: month
        [code, YEAR, 3, -1, 1, 1, "", 5, "", ""],  # row 5: downloads iOS, ratings iOS
        [other, YEAR, 3, 1, 1, 1, "", "", "", ""],  # row 6: another agency's app
        [code, YEAR, 1, 1, 1, 1, "", "", "", ""],  # row 7: month 1 again
        ["nope", YEAR, 1, 1, 1, 1, "", "", "", ""],  # row 8: no such app
    ]
    with kaohsiung.test_request_context(headers=EN):
        report = figures_import.import_file(
            _csv(HEADERS, rows), "f.csv", dry_run=False, actor="t", allowed={"kaohsiung-tb"}
        )
        assert not report.ok and not report.stored
        where = {(p.row, p.column) for p in report.errors}
        assert where == {
            (4, "month"),
            (5, "downloads iOS"),
            (5, "ratings iOS"),
            (6, "app code"),
            (7, "month"),
            (8, "app code"),
        }
        assert count(AppFigure, app_id=kaohsiung.own) == 0
        assert count(AppFigure, app_id=kaohsiung.other) == 0


def test_import_page_and_cli(kaohsiung, tmp_path):
    client = kaohsiung.test_client()
    login(client, "kh-staff")
    page = client.post(
        "/appgov/evaluation/figures/import",
        data={"file": (io.BytesIO(_csv(HEADERS, _rows(kaohsiung.own_code))), "f.csv"), "run": "1"},
        content_type="multipart/form-data",
        headers=EN,
    )
    assert page.status_code == 200 and "Imported." in page.get_data(as_text=True)
    page = client.post(
        "/appgov/evaluation/figures/import",
        data={
            "file": (io.BytesIO(_csv(HEADERS, _rows(kaohsiung.other_code))), "f.csv"),
            "run": "1",
        },
        content_type="multipart/form-data",
        headers=EN,
    )
    assert page.status_code == 400  # another agency's app: refused, nothing stored
    assert "No app of yours has the code" in visible_text(page.get_data(as_text=True))
    file = tmp_path / "f.csv"
    file.write_bytes(_csv(ZH_HEADERS, [[kaohsiung.other_code, YEAR, 5, 7, 8, "", "", "", "", ""]]))
    result = kaohsiung.test_cli_runner().invoke(
        args=["appgov", "evaluation", "import-figures", str(file)]
    )
    assert result.exit_code == 0, result.output
    assert "1 new" in result.output
    file.write_bytes(_csv(HEADERS, [[kaohsiung.own_code, YEAR, 5, "", "", "", "9", "", "", ""]]))
    result = kaohsiung.test_cli_runner().invoke(
        args=["appgov", "evaluation", "import-figures", str(file), "--lang", "en"]
    )
    assert result.exit_code == 1 and "column rating iOS" in result.output
    with kaohsiung.app_context():
        assert count(AppFigure, app_id=kaohsiung.own) == 2
        assert count(AppFigure, app_id=kaohsiung.other) == 1


# -- the exports -------------------------------------------------------------------------------


def test_exports_read_back_and_import_again(kaohsiung):
    with kaohsiung.test_request_context():
        for month, ios in ((1, 100), (2, 200)):
            figures.save_figures(
                kaohsiung.own,
                YEAR,
                month,
                {"downloads_ios": ios, "rating_ios": "4.05"},
                "form",
                "t",
            )
        figures.save_figures(kaohsiung.other, YEAR, 1, {"downloads_ios": 7}, "form", "t")
        db.session.commit()
    client = kaohsiung.test_client()
    login(client, "kh-staff")
    base = f"/appgov/evaluation/figures.%s?year={YEAR}"
    data = client.get(base % "csv", headers=EN).get_data()
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:6] == ["App code", "App", "Agency", "Year", "Month", "Downloads (iOS)"]
    assert [(r[0], r[4], r[5]) for r in rows[1:]] == [
        (kaohsiung.own_code, "1", "100"),
        (kaohsiung.own_code, "2", "200"),
    ]  # only the own agency's apps
    for fmt in ("xlsx", "ods"):
        answer = client.get(base % fmt, headers=ZH)
        assert answer.status_code == 200
        table = read_table(answer.data, f"r.{fmt}")
        assert table.headers[3:5] == ["年度", "月份"]
        assert [row.values[5] for row in table.rows] == [100, 200]
        assert Decimal(str(table.rows[0].values[8])) == Decimal("4.05")
    # the export is a file the import reads (unknown columns only warned of)
    with kaohsiung.test_request_context(headers=EN):
        report = figures_import.import_file(data, "again.csv", dry_run=True, actor="t")
        assert report.ok and report.unchanged == 2, report.problems
    assert client.get("/appgov/evaluation/figures.csv?year=1999").status_code == 400


# -- Flask-Admin --------------------------------------------------------------------------------


def test_admin_saves_through_the_same_check(kaohsiung):
    client = kaohsiung.test_client()
    login(client, "admin")
    url = "/admin/appgov_eval_figures/new/"
    assert client.get(url).status_code == 200
    form = {"app_id": str(kaohsiung.own), "year": str(YEAR), "month": "4"}
    refused = client.post(url, data=form | {"rating_ios": "4.001", "ratings_ios": "3"}, headers=EN)
    assert refused.status_code == 200
    assert "Rating (iOS): at most two decimals" in visible_text(refused.get_data(as_text=True))
    with kaohsiung.app_context():
        assert count(AppFigure, app_id=kaohsiung.own) == 0
    saved = client.post(url, data=form | {"downloads_ios": "77", "rating_ios": "4.5"})
    assert saved.status_code == 302
    with kaohsiung.app_context():
        row = db.session.scalar(sa.select(AppFigure).where(AppFigure.app_id == kaohsiung.own))
        assert (row.downloads_ios, row.rating_ios, row.recorded_by) == (
            77,
            Decimal("4.50"),
            "admin",
        )
        row_id = row.id
        assert len(figure_events(kaohsiung.own)) == 1
    edited = client.post(
        f"/admin/appgov_eval_figures/edit/?id={row_id}",
        data={"downloads_ios": "78", "rating_ios": "4.5"},
    )
    assert edited.status_code == 302
    emptied = client.post(
        f"/admin/appgov_eval_figures/edit/?id={row_id}",
        data={"downloads_ios": "", "rating_ios": ""},
        headers=EN,
    )
    assert emptied.status_code == 200  # removed with Delete, never by emptying it
    assert "Give at least one value" in visible_text(emptied.get_data(as_text=True))
    deleted = client.post("/admin/appgov_eval_figures/delete/", data={"id": str(row_id)})
    assert deleted.status_code == 302
    with kaohsiung.app_context():
        assert count(AppFigure, app_id=kaohsiung.own) == 0
        changes = [e.details["changes"] for e in figure_events(kaohsiung.own)]
        assert changes[1] == {"downloads_ios": [77, 78]}
        assert changes[2]["downloads_ios"] == [78, None]  # the removal recorded
    target_url = "/admin/appgov_eval_targets/new/"
    assert client.get(target_url).status_code == 200
    refused = client.post(
        target_url,
        data={"app_id": str(kaohsiung.own), "year": str(YEAR), "target_population": "1986191"},
        headers=EN,
    )
    assert refused.status_code == 200 and "KH-KPI-1" in visible_text(refused.get_data(as_text=True))
    saved = client.post(
        target_url,
        data={
            "app_id": str(kaohsiung.own),
            "year": str(YEAR),
            "target_population": "1986191",
            "population_basis": "高雄市 18 歲以上人口",
        },
    )
    assert saved.status_code == 302
    with kaohsiung.app_context():
        assert (
            db.session.scalar(
                sa.select(AppTarget.target_population).where(AppTarget.app_id == kaohsiung.own)
            )
            == 1_986_191
        )


# -- the hook (appgov_collect_app_figures) ------------------------------------------------------


def _hook_names(module, prefix="appgov_"):
    return {name for name in dir(module) if name.startswith(prefix)}


def _blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def test_every_evaluation_hook_is_documented_and_its_example_runs():
    names = _hook_names(evaluation_hookspecs)
    assert names == {"appgov_collect_app_figures"}
    documented = set(re.findall(r"^## (appgov_\w+)\(", DOC.read_text(encoding="utf-8"), re.M))
    assert documented == names
    module = types.ModuleType("evaluation_doc_examples")
    module.hookimpl = appgov_plugin.hookimpl
    for block in _blocks():
        exec(compile(block, str(DOC), "exec"), module.__dict__)
    pm = appgov_plugin.get_policy("kaohsiung", plugins=[module]).plugin_manager  # check_pending
    hook = pm.hook.appgov_collect_app_figures
    assert module in [i.plugin for i in hook.get_hookimpls()]
    got = {}
    app = types.SimpleNamespace(code="app-1")
    hook(app=app, year=2025, register=lambda month, **values: got.setdefault(month, values))
    assert got[1] == {
        "downloads_ios": 1200,
        "downloads_android": 3400,
        "rating_ios": Decimal("4.25"),
        "ratings_ios": 88,
    }


@pytest.fixture
def city_statistics(tmp_path, monkeypatch):
    """The doc's example written to a module named in ``APPGOV_POLICY_MODULES``."""
    folder = tmp_path / "city"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    name = f"city_statistics_{tmp_path.name.replace('-', '_')}"
    source = "from appgov_plugin.policy import hookimpl\n\n" + "\n\n".join(_blocks())
    (folder / f"{name}.py").write_text(source, encoding="utf-8")
    return name


def test_collect_saves_the_hooks_figures_through_the_check(sample_host_factory, city_statistics):
    host = sample_host_factory(APPGOV_PROFILE="kaohsiung", APPGOV_POLICY_MODULES=city_statistics)
    with host.app_context():
        listed, listed_code = new_app("kaohsiung-tb", "港都公車通")
        bad, bad_code = new_app("kaohsiung-ic", "高雄資訊網")
        _never, never_code = new_app("kaohsiung-ic", "開發中", status="in_development")
        figures.save_figures(listed, YEAR, 3, {"uninstalls": 4}, "form", "kh-staff")
        db.session.commit()
    source = importlib.import_module(city_statistics).CITY_STATISTICS
    source.clear()
    source[(listed_code, YEAR)] = {
        1: {"ios": 1200, "android": 3400, "stars_ios": "4.25", "votes_ios": 88},
        3: {"ios": 10, "android": 20, "stars_ios": "4.00", "votes_ios": 90},
    }
    source[(bad_code, YEAR)] = {
        1: {"ios": 5, "android": 5, "stars_ios": "4.00", "votes_ios": 1},
        2: {"ios": -5, "android": 5, "stars_ios": "4.125", "votes_ios": 1},
    }
    source[(never_code, YEAR)] = {1: {"ios": 1, "android": 1, "stars_ios": "1", "votes_ios": 1}}
    runner = host.test_cli_runner()
    result = runner.invoke(args=["appgov", "evaluation", "collect", str(YEAR), "--lang", "en"])
    assert result.exit_code == 1, result.output  # one app refused
    assert f"REFUSED: {bad_code} {YEAR} month 2: Downloads (iOS)" in result.output
    assert "Rating (iOS): at most two decimals" in result.output
    with host.app_context():
        rows = {
            r.month: r
            for r in db.session.scalars(sa.select(AppFigure).where(AppFigure.app_id == listed))
        }
        assert set(rows) == {1, 3}
        assert (rows[1].downloads_ios, rows[1].rating_ios, rows[1].source) == (
            1200,
            Decimal("4.25"),
            "hook",
        )
        assert rows[3].uninstalls == 4  # the agency's figure the hook did not give is kept
        assert rows[3].recorded_by == figures.COLLECT_ACTOR
        assert count(AppFigure, app_id=bad) == 0  # nothing of the refused app
        assert count(AppFigure, app_id=_never) == 0  # not in the stores: not asked
        events = len(figure_events(listed))
    del source[(bad_code, YEAR)]
    again = runner.invoke(args=["appgov", "evaluation", "collect", str(YEAR)])
    assert again.exit_code == 0, again.output
    assert "0 months saved, 2 unchanged" in again.output  # a re-run changes nothing
    with host.app_context():
        assert len(figure_events(listed)) == events
    future = runner.invoke(args=["appgov", "evaluation", "collect", str(today().year + 1)])
    assert future.exit_code == 1
