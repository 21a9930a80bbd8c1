"""The yearly evaluation's results pages (issue 14, items 2 and 4) in the sample host,
SQLite and PostgreSQL: the results :func:`appgov_plugin.evaluation.run.evaluate_year` wrote,
per role (an agency's staff its own agency's apps only, another agency's result by id 404;
the authority the city's; anonymous sent to log in; the helpdesk 403), in both languages
(zh: ROC dates, Chinese words for pass and fail, the reason worded per locale), the filter,
paging, the exports (CSV, XLSX, ODS) read back and compared with the page's rows, the runs
list, bad input named by field, the Taipei profile's "not used here" page, and Tainan's
review-report request (TN-PERF-1, TN-PERF-3, TN-DEL-1 (6)): once per app and year, filed
by the agency, decided by the authority."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
from decimal import Decimal, InvalidOperation

import openpyxl
import pytest
import sqlalchemy as sa
from casework import add_user, counting_queries
from form_samples import formdata
from hosting import login

from appgov_plugin.apps.models import App
from appgov_plugin.clock import today
from appgov_plugin.evaluation.models import AppEvaluation, AppFigure, AppTarget, EvaluationRun
from appgov_plugin.evaluation.review_case_types import PERF_REVIEW
from appgov_plugin.evaluation.run import evaluate_year
from appgov_plugin.forms import builder
from appgov_plugin.imports import read_table
from appgov_plugin.lifecycle.case_types import IMPROVEMENT_PLAN
from appgov_plugin.lifecycle.models import AppCase
from appgov_plugin.notifications.models import Message
from sample_host.cases import TransitionRefused, apply_transition
from sample_host.extensions import db
from sample_host.models import Case, User

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-TW"}
#: A year of the tests' own: the demo's figures and targets are last year's and the one before.
YEAR = today().year - 3
OWN, OTHER = "tainan-tourism", "tainan-secretariat"


def new_app(name: str, agency: str = OWN, status: str = "listed") -> int:
    app = App(
        agency_code=agency,
        name=name,
        status=status,
        version="1.0.0",
        contact_username="staff",
        listed_on=dt.date(YEAR - 1, 1, 1),
    )
    db.session.add(app)
    db.session.flush()
    return app.id


def figures(app_id: int, downloads: int, rating=None, ratings=None, uninstalls=None, year=YEAR):
    """One month (December) of ``year`` holding the year's downloads and the ratings."""
    db.session.add(
        AppFigure(
            app_id=app_id,
            year=year,
            month=12,
            downloads_ios=downloads // 2,
            downloads_android=downloads - downloads // 2,
            uninstalls=uninstalls,
            rating_ios=None if rating is None else Decimal(rating),
            ratings_ios=ratings,
            rating_android=None if rating is None else Decimal(rating),
            ratings_android=ratings,
            source="form",
            recorded_by="test",
        )
    )


def target(app_id: int, year: int = YEAR, **values):
    db.session.add(AppTarget(app_id=app_id, year=year, set_by="test", **values))


def result_of(app_id: int, year: int = YEAR) -> AppEvaluation:
    db.session.expire_all()
    return db.session.scalar(
        sa.select(AppEvaluation).where(AppEvaluation.app_id == app_id, AppEvaluation.year == year)
    )


def user(username: str) -> User:
    return db.session.scalar(sa.select(User).where(User.username == username))


# -- reading the page back ---------------------------------------------------------------------


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def page_rows(page: str) -> list[list[str]]:
    """The results table's body rows, each cell's visible text."""
    table = page.split('class="table table-sm evaluation-results"', 1)[1].split("</table>")[0]
    body = table.split("<tbody>", 1)[1]
    return [
        [_text(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


def page_headers(page: str) -> list[str]:
    table = page.split('class="table table-sm evaluation-results"', 1)[1]
    head = table.split("<thead>", 1)[1].split("</thead>")[0]
    return [_text(c) for c in re.findall(r"<th[^>]*>(.*?)</th>", head, re.S)]


def same(shown: str, exported) -> bool:
    """A page cell and an exported one hold the same value (numbers compared as numbers:
    the page writes thousands separators, a spreadsheet a float)."""
    if exported is None or exported == "":
        return shown in ("—", "")
    try:
        return Decimal(shown.replace(",", "")) == Decimal(str(exported))
    except InvalidOperation:
        return shown == str(exported)


def assert_same_rows(page_cells, exported_rows):
    assert len(page_cells) == len(exported_rows)
    for shown_row, exported_row in zip(page_cells, exported_rows, strict=True):
        assert len(shown_row) == len(exported_row)
        for shown, exported in zip(shown_row, exported_row, strict=True):
            assert same(shown, exported), (shown, exported)


def exports(client, query: str, headers=EN):
    """(headers, rows) of each format of the results export."""
    found = {}
    data = client.get(f"/appgov/evaluation/results.csv?{query}", headers=headers)
    assert data.status_code == 200
    rows = list(csv.reader(io.StringIO(data.get_data().decode("utf-8-sig"))))
    found["csv"] = (rows[0], rows[1:])
    data = client.get(f"/appgov/evaluation/results.xlsx?{query}", headers=headers)
    assert data.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(data.get_data()))
    sheet = [list(r) for r in book.active.iter_rows(values_only=True)]
    found["xlsx"] = ([str(h) for h in sheet[0]], sheet[1:])
    data = client.get(f"/appgov/evaluation/results.ods?{query}", headers=headers)
    assert data.status_code == 200 and data.data[:2] == b"PK"
    table = read_table(data.data, "results.ods")
    found["ods"] = (table.headers, [list(row.values) for row in table.rows])
    return found


# -- Kaohsiung ---------------------------------------------------------------------------------


@pytest.fixture
def kaohsiung(make_host):
    host = make_host("kaohsiung")
    with host.test_request_context():
        add_user("sec-staff", "agency_staff", OTHER)  # owns the other agency's plan
        ids = {
            # rule KH-KPI-1: 35,000 -> 25 % -> 8,750; passes with 9,000 and 4.2 stars
            "pass": new_app("結果測試通過"),
            # 1,986,191 -> 5 % -> 99,309; 50,000 downloads, exactly 3.5 stars (KH-KPI-2 fails)
            "fail": new_app("結果測試未達"),
            # another agency's app: 150,000 -> 10 % -> 15,000; rated 3.0
            "other": new_app("結果測試他機關", agency=OTHER),
        }
        target(ids["pass"], target_population=35_000)
        figures(ids["pass"], 9_000, "4.2", 10)
        target(ids["fail"], target_population=1_986_191)
        figures(ids["fail"], 50_000, "3.5", 20)
        target(ids["other"], target_population=150_000)
        figures(ids["other"], 16_000, "3.0", 5)
        db.session.commit()
        evaluate_year(YEAR, actor="kh-tester", started_from="cli")
    host.ids = ids
    return host


def test_kaohsiung_columns_for_the_authority(kaohsiung):
    """rules KH-KPI-1..4: population, band rate, download target, downloads, combined rating,
    pass/fail as a word, the reason, the plans and the failing years; the plan's case linked."""
    client = kaohsiung.test_client()
    login(client, "reviewer")
    response = client.get(f"/appgov/evaluation/results?year={YEAR}", headers=EN)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert page_headers(page) == [
        "App",
        "Agency",
        "Target population",
        "Band rate, percent (KH-KPI-1)",
        "Download target",
        "Downloads",
        "Combined rating (KH-KPI-2)",
        "Result",
        "Reason",
        "Plan needed (KH-KPI-3)",
        "Consecutive failing years (KH-KPI-4)",
        "Cases",
    ]
    rows = {row[0]: row for row in page_rows(page)}
    assert {"結果測試通過", "結果測試未達", "結果測試他機關"} <= set(rows)
    assert rows["結果測試通過"][2:8] == ["35,000", "25", "8,750", "9,000", "4.2", "Passed"]
    failed = rows["結果測試未達"]
    assert failed[2:8] == ["1,986,191", "5", "99,309", "50,000", "3.5", "Below the KPI"]
    assert "Downloads 50,000 below the target 99,309 (5% of 1,986,191 people)" in failed[8]
    assert "Combined rating 3.5 not above 3.5 (KH-KPI-2)" in failed[8]
    assert failed[9] == "Improvement part (rating). Marketing part (downloads)."
    assert failed[10] == "1"
    with kaohsiung.app_context():
        plan = result_of(kaohsiung.ids["fail"]).plan_case_id
        assert plan is not None
        assert db.session.get(Case, plan).type_key == IMPROVEMENT_PLAN
    assert failed[11] == f"Plan: case {plan}"
    assert f'href="/cases/{plan}"' in page
    assert rows["結果測試他機關"][7] == "Below the KPI"


def test_agency_staff_see_their_own_apps_only(kaohsiung):
    client = kaohsiung.test_client()
    login(client, "staff")
    page = client.get(f"/appgov/evaluation/results?year={YEAR}", headers=EN).get_data(as_text=True)
    names = {row[0] for row in page_rows(page)}
    assert {"結果測試通過", "結果測試未達"} <= names and "結果測試他機關" not in names
    with kaohsiung.app_context():
        mine = result_of(kaohsiung.ids["fail"]).id
        others = result_of(kaohsiung.ids["other"]).id
        missing = db.session.scalar(sa.select(sa.func.max(AppEvaluation.id))) + 1000
    assert client.get(f"/appgov/evaluation/results/{mine}", headers=EN).status_code == 200
    # a guessed id of another agency's result is answered as a missing one
    assert client.get(f"/appgov/evaluation/results/{others}", headers=EN).status_code == 404
    assert client.get(f"/appgov/evaluation/results/{missing}", headers=EN).status_code == 404
    assert client.get("/appgov/evaluation/results/99999999999", headers=EN).status_code == 404
    # the other agency by the filter: refused, naming the filter
    response = client.get(f"/appgov/evaluation/results?year={YEAR}&agency={OTHER}", headers=EN)
    assert response.status_code == 400
    assert "Agency: “tainan-secretariat” is not an agency you may see." in _text(
        response.get_data(as_text=True)
    )
    csv_rows = exports(client, f"year={YEAR}")["csv"][1]
    assert "結果測試他機關" not in {row[0] for row in csv_rows}
    # nor the runs list (the authority's), nor the request
    assert client.get("/appgov/evaluation/runs").status_code == 403
    assert client.post(f"/appgov/evaluation/results/{mine}/review-request").status_code == 403


def test_anonymous_and_other_roles(kaohsiung):
    client = kaohsiung.test_client()
    response = client.get(f"/appgov/evaluation/results?year={YEAR}")
    assert response.status_code == 302 and "login" in response.headers["Location"]
    with kaohsiung.app_context():
        rid = result_of(kaohsiung.ids["pass"]).id
    assert client.get(f"/appgov/evaluation/results/{rid}").status_code == 302
    assert client.get("/appgov/evaluation/results.csv").status_code == 302
    login(client, "helpdesk")
    assert client.get(f"/appgov/evaluation/results?year={YEAR}").status_code == 403
    assert client.get(f"/appgov/evaluation/results/{rid}").status_code == 403
    assert client.get(f"/appgov/evaluation/results.csv?year={YEAR}").status_code == 403
    # the navigation shows the link to the evaluation's readers only
    page = client.get("/appgov/", headers=EN).get_data(as_text=True)
    assert "/appgov/evaluation/" not in page
    login(client, "staff")
    page = client.get("/appgov/", headers=EN).get_data(as_text=True)
    assert 'href="/appgov/evaluation/"' in page and "Performance evaluation" in page
    # the dashboard links the results
    page = client.get("/appgov/evaluation/", headers=EN).get_data(as_text=True)
    assert 'href="/appgov/evaluation/results"' in page


def test_zh_words_roc_dates_and_the_result_page(kaohsiung):
    """TIME-5 and the reason worded in zh: ROC dates and Chinese words for pass and fail."""
    client = kaohsiung.test_client()
    login(client, "reviewer")
    page = client.get(f"/appgov/evaluation/results?year={YEAR}", headers=ZH).get_data(as_text=True)
    rows = {row[0]: row for row in page_rows(page)}
    assert rows["結果測試通過"][7] == "達標"
    assert rows["結果測試未達"][7] == "未達績效指標"
    assert f"民國 {YEAR - 1911} 年" in page  # the year filter
    with kaohsiung.app_context():
        rid = result_of(kaohsiung.ids["fail"]).id
    detail = client.get(f"/appgov/evaluation/results/{rid}", headers=ZH).get_data(as_text=True)
    text = _text(detail)
    assert f"民國 {YEAR - 1911} 年 12 月 31 日" in text  # the run's evaluation date
    assert "未達績效指標" in text and "kh-tester" in text
    assert "Passed" not in text and "Below the KPI" not in text
    english = _text(
        client.get(f"/appgov/evaluation/results/{rid}", headers=EN).get_data(as_text=True)
    )
    assert f"{YEAR}-12-31" in english and "Below the KPI" in english
    assert "99,309" in english and "1,986,191" in english
    assert "KH-KPI-1" in english and "KH-KPI-3" in english  # the rules applied
    assert "Rule parameters in force" in english


def test_exports_hold_exactly_the_filtered_rows(kaohsiung):
    client = kaohsiung.test_client()
    login(client, "reviewer")
    for query in (f"year={YEAR}", f"year={YEAR}&outcome=failed", f"year={YEAR}&agency={OWN}"):
        page = client.get(f"/appgov/evaluation/results?{query}", headers=EN).get_data(as_text=True)
        shown = page_rows(page)
        headers = page_headers(page)
        for fmt, (exported_headers, rows) in exports(client, query).items():
            assert exported_headers == headers, fmt
            assert_same_rows(shown, rows)
    # the filter itself: failed only, the own agency only
    failed = page_rows(
        client.get(f"/appgov/evaluation/results?year={YEAR}&outcome=failed", headers=EN).get_data(
            as_text=True
        )
    )
    assert {r[0] for r in failed} >= {"結果測試未達", "結果測試他機關"}
    assert "結果測試通過" not in {r[0] for r in failed}
    assert all(r[7] == "Below the KPI" for r in failed)
    own = page_rows(
        client.get(f"/appgov/evaluation/results?year={YEAR}&agency={OTHER}", headers=EN).get_data(
            as_text=True
        )
    )
    assert [r[0] for r in own] == ["結果測試他機關"]
    # the zh export: Chinese headers and words
    zh = exports(client, f"year={YEAR}&agency={OTHER}", headers=ZH)
    assert zh["csv"][1][0][7] == "未達績效指標"


def test_bad_input_names_the_field(kaohsiung):
    client = kaohsiung.test_client()
    login(client, "reviewer")
    for bad in ("abc", "1999", str(today().year + 1), "２０２４"):
        response = client.get(f"/appgov/evaluation/results?year={bad}", headers=EN)
        assert response.status_code == 400, bad
        assert "Year: “" in _text(response.get_data(as_text=True)), bad
        assert client.get(f"/appgov/evaluation/results.csv?year={bad}").status_code == 400
    response = client.get(f"/appgov/evaluation/results?year={YEAR}&outcome=maybe", headers=EN)
    assert response.status_code == 400
    assert "Result: “maybe” is not one of passed, failed." in _text(response.get_data(as_text=True))
    response = client.get(f"/appgov/evaluation/results?year={YEAR}&page=x", headers=EN)
    assert response.status_code == 400 and "Page: “x”" in _text(response.get_data(as_text=True))
    # a page beyond the last says so
    page = client.get(f"/appgov/evaluation/results?year={YEAR}&page=50", headers=EN)
    assert page.status_code == 200 and "There is no such page." in page.get_data(as_text=True)
    assert client.get("/appgov/evaluation/runs?page=x", headers=EN).status_code == 400


def test_paging(kaohsiung, monkeypatch):
    from appgov_plugin.evaluation import results_views

    monkeypatch.setattr(results_views, "PER_PAGE", 2)
    client = kaohsiung.test_client()
    login(client, "reviewer")
    first = page_rows(client.get(f"/appgov/evaluation/results?year={YEAR}").get_data(as_text=True))
    second = client.get(f"/appgov/evaluation/results?year={YEAR}&page=2").get_data(as_text=True)
    assert len(first) == 2 and page_rows(second)
    assert not {r[0] for r in first} & {r[0] for r in page_rows(second)}
    assert 'rel="prev"' in second
    # the export holds every page
    rows = exports(client, f"year={YEAR}")["csv"][1]
    assert len(rows) >= 3


def test_runs_list_and_a_rerun(kaohsiung):
    """Every run is recorded (who, when, the parameters in force); a re-run changes no
    result and opens no second plan."""
    with kaohsiung.test_request_context():
        before = result_of(kaohsiung.ids["fail"])
        run_id, plan = before.run_id, before.plan_case_id
        evaluate_year(YEAR, actor="kh-second", started_from="cli")
        after = result_of(kaohsiung.ids["fail"])
        assert (after.run_id, after.plan_case_id) == (run_id, plan)
        assert db.session.scalar(sa.select(sa.func.count(EvaluationRun.id))) >= 2
    client = kaohsiung.test_client()
    login(client, "reviewer")
    page = client.get("/appgov/evaluation/runs", headers=EN)
    assert page.status_code == 200
    text = _text(page.get_data(as_text=True))
    assert "kh-tester (flask appgov evaluate)" in text and "kh-second" in text
    assert "Results changed: 0" in text and f"{YEAR}-12-31" in text
    assert "KH-KPI-1" in text
    login(client, "admin")
    assert client.get("/appgov/evaluation/runs").status_code == 200
    login(client, "itdept")
    assert client.get("/appgov/evaluation/runs").status_code == 403


def test_earlier_years_and_the_forced_delisting(kaohsiung):
    """rule KH-KPI-4: a second consecutive failing year opens the forced delisting, linked
    from the results; the result page lists the app's other years."""
    app_id = kaohsiung.ids["fail"]
    with kaohsiung.test_request_context():
        target(app_id, year=YEAR - 1, target_population=1_986_191)
        figures(app_id, 1_000, "4.5", 10, year=YEAR - 1)
        db.session.commit()
        evaluate_year(YEAR - 1, actor="kh-tester", started_from="cli")
        evaluate_year(YEAR, actor="kh-tester", started_from="admin")
        result = result_of(app_id)
        earlier = result_of(app_id, YEAR - 1)
        assert result.failing_years == 2 and result.delisting_case_id is not None
    client = kaohsiung.test_client()
    login(client, "reviewer")
    rows = {
        row[0]: row
        for row in page_rows(
            client.get(f"/appgov/evaluation/results?year={YEAR}", headers=EN).get_data(as_text=True)
        )
    }
    assert rows["結果測試未達"][10] == "2"
    assert f"Forced delisting: case {result.delisting_case_id}" in rows["結果測試未達"][11]
    page = client.get(f"/appgov/evaluation/results/{result.id}", headers=EN).get_data(as_text=True)
    assert f'href="/appgov/evaluation/results/{earlier.id}"' in page
    assert f"/cases/{result.delisting_case_id}" in page
    assert "kh-tester (Flask-Admin)" in _text(page)  # the run that wrote it


def test_the_page_reads_in_constant_queries(kaohsiung):
    client = kaohsiung.test_client()
    login(client, "reviewer")
    url = f"/appgov/evaluation/results?year={YEAR}"
    with counting_queries(kaohsiung) as statements:
        assert client.get(url).status_code == 200
    few = len(statements)
    with kaohsiung.test_request_context():
        for number in range(6):
            app_id = new_app(f"結果測試加{number}", agency=OTHER if number % 2 else OWN)
            target(app_id, target_population=40_000 + number)
            figures(app_id, 20_000, "4.0", 3)
        db.session.commit()
        evaluate_year(YEAR, actor="kh-tester", started_from="cli")
    with counting_queries(kaohsiung) as statements:
        assert client.get(url).status_code == 200
    assert len(statements) == few


# -- Tainan: the review report (TN-PERF-1, TN-PERF-3, TN-DEL-1 (6)) -------------------------


@pytest.fixture
def tainan(make_host):
    host = make_host("tainan")
    with host.test_request_context():
        add_user("sec-staff", "agency_staff", OTHER)
        ids = {
            # rule TN-PERF-1: installs 500 of the 1,000 the agency aimed for: not met
            "poor": new_app("台南績效欠佳"),
            "good": new_app("台南績效良好"),
            "other": new_app("台南他機關欠佳", agency=OTHER),
        }
        target(ids["poor"], installs_target=1_000, rating_target=Decimal("4.00"))
        figures(ids["poor"], 500, "4.5", 10)
        target(ids["good"], installs_target=100, uninstalls_limit=50)
        figures(ids["good"], 500, "4.5", 10, uninstalls=20)
        target(ids["other"], installs_target=1_000)
        figures(ids["other"], 10, "4.5", 10)
        db.session.commit()
        evaluate_year(YEAR, actor="tn-tester", started_from="cli")
    host.ids = ids
    return host


def test_tainan_columns_met_and_not_met(tainan):
    client = tainan.test_client()
    login(client, "reviewer")
    page = client.get(f"/appgov/evaluation/results?year={YEAR}", headers=EN).get_data(as_text=True)
    headers = page_headers(page)
    assert headers[:5] == [
        "App",
        "Agency",
        "Installs",
        "Installs: the agency's target (at least)",
        "Installs: met",
    ]
    assert "Uninstalls: the agency's target (at most)" in headers
    rows = {row[0]: row for row in page_rows(page)}
    poor = dict(zip(headers, rows["台南績效欠佳"], strict=True))
    assert (poor["Installs"], poor["Installs: the agency's target (at least)"]) == ("500", "1,000")
    assert poor["Installs: met"] == "not met" and poor["Store rating: met"] == "met"
    assert poor["Uninstalls: met"] == "no target"
    assert poor["Result"] == "Below the agency's targets"
    assert "Below the agency's own targets: Installs (TN-PERF-1)" in poor["Reason"]
    good = dict(zip(headers, rows["台南績效良好"], strict=True))
    assert good["Result"] == "Passed" and good["Uninstalls: met"] == "met"
    zh = client.get(f"/appgov/evaluation/results?year={YEAR}", headers=ZH).get_data(as_text=True)
    zh_rows = {row[0]: row for row in page_rows(zh)}
    assert "未達成" in zh_rows["台南績效欠佳"] and "達成" in zh_rows["台南績效欠佳"]
    assert "達標" in zh_rows["台南績效良好"]
    for fmt, (exported_headers, rows_out) in exports(client, f"year={YEAR}").items():
        assert exported_headers == headers, fmt
        assert_same_rows(page_rows(page), rows_out)


def _request(client, result_id):
    return client.post(f"/appgov/evaluation/results/{result_id}/review-request", headers=EN)


def test_review_report_once_per_app_and_year(tainan):
    """rule TN-PERF-1/3: the authority asks the poor performer's agency for a review report
    and improvement measures or a delisting evaluation; a second request points to the
    first case; the agency files it and the authority decides."""
    with tainan.app_context():
        poor = result_of(tainan.ids["poor"])
        good = result_of(tainan.ids["good"])
        assert not poor.passed and good.passed and poor.review_case_id is None
    client = tainan.test_client()
    login(client, "reviewer")
    page = client.get(f"/appgov/evaluation/results/{poor.id}", headers=EN).get_data(as_text=True)
    assert "Ask for a review report and improvement measures" in page
    good_page = client.get(f"/appgov/evaluation/results/{good.id}", headers=EN)
    assert "Ask for a review report" not in good_page.get_data(as_text=True)

    response = _request(client, poor.id)
    assert response.status_code == 303
    with tainan.app_context():
        case_id = result_of(tainan.ids["poor"]).review_case_id
        assert case_id is not None
        case = db.session.get(Case, case_id)
        assert (case.type_key, case.agency_code, case.status) == (PERF_REVIEW, OWN, "draft")
        assert case.data["year"] == YEAR - 1911 and case.data["installs"] == 500
        assert case.data["app"] == str(tainan.ids["poor"])
    followed = client.get(response.headers["Location"], headers=EN).get_data(as_text=True)
    assert f"The review report is asked for: case {case_id} (TN-PERF-1)." in followed
    assert f'href="/cases/{case_id}"' in followed

    # a second request: no second case, the first one named
    again = client.get(_request(client, poor.id).headers["Location"], headers=EN)
    assert f"The review report was asked for already: case {case_id}." in again.get_data(
        as_text=True
    )
    # a passed result: nothing opened
    _request(client, good.id)
    with tainan.app_context():
        assert result_of(tainan.ids["good"]).review_case_id is None
        assert (
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(AppCase)
                .where(AppCase.app_id == tainan.ids["poor"], AppCase.type_key == PERF_REVIEW)
            )
            == 1
        )
        assert (
            db.session.scalar(
                sa.select(sa.func.count()).select_from(Case).where(Case.type_key == PERF_REVIEW)
            )
            == 1
        )
    # a re-run of the year keeps the case on the result
    with tainan.test_request_context():
        evaluate_year(YEAR, actor="tn-second", started_from="cli")
        assert result_of(tainan.ids["poor"]).review_case_id == case_id

    # the agency writes it in the host's edit page (the form's own checks), submits it;
    # the authority decides
    staff = tainan.test_client()
    login(staff, "staff")
    edit = staff.get(f"/cases/{case_id}/edit", headers=EN)
    assert edit.status_code == 200
    year_input = re.search(r'<input[^>]*name="year"[^>]*>', edit.text).group(0)
    assert f'value="{YEAR - 1911}"' in year_input  # prefilled from the result (ROC year)
    definition = builder.load("perf_review_report")
    answers = {
        "app": str(tainan.ids["poor"]),
        "year": YEAR - 1911,
        "installs": 500,
        "rating": "4.50",
        "self_check": "每季檢視安裝與解除安裝次數及商店評論，並回覆使用者意見。",
        "causes": "活動宣傳不足，新版本功能未於社群媒體推廣，導致安裝次數未達目標。",
        "course": "improve",
    }
    refused = staff.post(f"/cases/{case_id}/edit", data=formdata(definition, answers), headers=EN)
    assert refused.status_code != 302  # TN-PERF-3: the improvement measures are required
    assert "Improvement measures and when they will be done" in refused.text
    answers["measures"] = "下年度第一季起每月於社群媒體推廣並與觀光活動合作宣傳，六月底前完成。"
    saved = staff.post(f"/cases/{case_id}/edit", data=formdata(definition, answers), headers=EN)
    assert saved.status_code == 302, saved.text[-2000:]
    with tainan.app_context():
        assert db.session.get(Case, case_id).data["course"] == "improve"
        with pytest.raises(TransitionRefused):
            apply_transition(db.session.get(Case, case_id), "accept", user("reviewer"))
        apply_transition(db.session.get(Case, case_id), "submit", user("staff"))
        with pytest.raises(TransitionRefused):
            apply_transition(db.session.get(Case, case_id), "accept", user("staff"))
        apply_transition(db.session.get(Case, case_id), "accept", user("reviewer"))
        assert db.session.get(Case, case_id).status == "accepted"
        # the app page's link follows the case; the agency heard of the request, the
        # authority of the report, the owner of the decision
        assert db.session.get(AppCase, case_id).status == "accepted"
        told = {
            (m.event, m.recipient)
            for m in db.session.scalars(sa.select(Message).where(Message.case_id == case_id))
        }
        assert {
            ("perf_review_requested", "staff"),
            ("perf_review_submitted", "reviewer"),
            ("perf_review_decided", "staff"),
        } <= told


def test_review_request_refused_to_others_and_out_of_scope(tainan):
    with tainan.app_context():
        poor = result_of(tainan.ids["poor"]).id
        other = result_of(tainan.ids["other"]).id
    client = tainan.test_client()
    login(client, "staff")
    assert _request(client, poor).status_code == 403
    assert _request(client, other).status_code == 404  # another agency's: as a missing one
    page = client.get(f"/appgov/evaluation/results/{poor}", headers=EN).get_data(as_text=True)
    assert "Ask for a review report" not in page
    login(client, "itdept")
    assert _request(client, poor).status_code == 403
    login(client, "mayor")
    assert client.get(f"/appgov/evaluation/results/{poor}").status_code == 200
    assert _request(client, poor).status_code == 403
    with tainan.app_context():
        assert result_of(tainan.ids["poor"]).review_case_id is None
        assert not db.session.scalar(
            sa.select(sa.func.count()).select_from(Case).where(Case.type_key == PERF_REVIEW)
        )


def test_perf_review_form_definition(tainan):
    """The form ships, speaks both languages, cites Tainan's rules and is never offered for
    filing (the authority opens it)."""
    import test_form_definitions as shipped  # its checks, on this form (not collected here)

    shipped.test_definition_loads("perf_review_report")
    shipped.test_every_visible_text_has_both_languages("perf_review_report")
    shipped.test_every_cited_rule_exists("perf_review_report")
    definition = builder.load("perf_review_report")
    assert set(definition.rules) == {"TN-PERF-1", "TN-PERF-3"}
    assert "perf_review_report" in builder.available()
    client = tainan.test_client()
    login(client, "staff")
    assert client.get(f"/cases/new/{PERF_REVIEW}").status_code == 404


# -- Taipei: no app evaluation ---------------------------------------------------------------


def test_taipei_says_the_evaluation_is_not_used_here(make_host):
    """The Taipei profile has no app evaluation (rules.md, "Profiles are real"): the page
    says so and names the evaluations the deployment could adopt (200, not a 404 behind the
    navigation's link); a result id is 404."""
    host = make_host("taipei")
    client = host.test_client()
    login(client, "reviewer")
    response = client.get("/appgov/evaluation/results", headers=EN)
    assert response.status_code == 200
    text = _text(response.get_data(as_text=True))
    assert "This deployment applies no app evaluation rules" in text
    assert "KH-KPI-1" in text and "TN-PERF-1" in text
    assert client.get("/appgov/evaluation/results/1").status_code == 404
    zh = client.get("/appgov/evaluation/results", headers=ZH).get_data(as_text=True)
    assert "results-not-used" in zh
