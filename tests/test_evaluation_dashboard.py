"""The performance evaluation's dashboard (issue 14, item 5) in the sample host, SQLite and
PostgreSQL: per role (an agency sees only its own apps, on the page and in every export; a
guessed app id of another agency answers 404; the helpdesk 403), each chart's table with its
figures (downloads against the target per app and agency: rule KH-KPI-1 from the result or
from figures and targets, rule TN-PERF-1 from the agency's own target; the rating trend per
store weighted by the numbers of ratings; the mailbox's median response hours; the grades per
system, TP-GRADE-1; learning hours, TN-LEARN-1; seed users, TP-SEED-1), each section only
where the profile applies its rules, numbers and months per locale (ROC years in zh), the
exports in three formats read back, and a query count that does not grow with the apps."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import uuid
from decimal import Decimal

import openpyxl
import pytest
import sqlalchemy as sa
from casework import counting_queries, visible_text
from hosting import login

from appgov_plugin.apps.models import App
from appgov_plugin.clock import today
from appgov_plugin.evaluation.models import AppEvaluation, AppFigure, AppTarget, EvaluationRun
from appgov_plugin.mailbox.models import Feedback
from sample_host.extensions import db

#: A year of the test's own (the demo's figures are of last year and the year before).
YEAR = today().year - 3
ROC = YEAR - 1911
OWN, OTHER = "tainan-tourism", "tainan-secretariat"
EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-TW"}


def new_app(name: str, agency: str) -> int:
    app = App(agency_code=agency, name=name, status="listed", version="1.0.0")
    db.session.add(app)
    db.session.flush()
    return app.id


def months(app_id: int, downloads: int, rating_ios=None, ratings_ios=None, rating_android=None,
           ratings_android=None, count: int = 12) -> None:  # fmt: skip
    for month in range(1, count + 1):
        db.session.add(
            AppFigure(
                app_id=app_id,
                year=YEAR,
                month=month,
                downloads_ios=downloads,
                downloads_android=downloads,
                rating_ios=rating_ios,
                ratings_ios=ratings_ios,
                rating_android=rating_android,
                ratings_android=ratings_android,
                recorded_by="test",
            )
        )


def feedback(app_id: int, hours: list[int]) -> None:
    start = dt.datetime(YEAR, 3, 1, 1, 0, tzinfo=dt.UTC)
    for number, spent in enumerate(hours):
        arrived = start + dt.timedelta(days=number)
        db.session.add(
            Feedback(
                app_id=app_id,
                service_code="general",
                token=str(uuid.uuid4()),
                idempotency_key=str(uuid.uuid4()),
                description="test",
                requested_at=arrived,
                updated_at=arrived + dt.timedelta(hours=spent),
                status="closed",
                status_notes="answered",
            )
        )


def result(app_id: int, downloads: int, target: int, run_id: int) -> None:
    db.session.add(
        AppEvaluation(
            app_id=app_id,
            year=YEAR,
            run_id=run_id,
            evaluation="kaohsiung",
            downloads=downloads,
            download_target=target,
            population=2_750_000,
            passed=downloads >= target,
        )
    )


def a_run() -> int:
    run = EvaluationRun(
        year=YEAR,
        profile="kaohsiung",
        evaluated_on=dt.date(YEAR, 12, 31),
        actor="test",
        status="done",
    )
    db.session.add(run)
    db.session.flush()
    return run.id


def clear_year() -> None:
    """The test's year holds only the test's figures, targets and results."""
    for model in (AppEvaluation, AppFigure, AppTarget):
        db.session.execute(sa.delete(model).where(model.year == YEAR))


@pytest.fixture
def kaohsiung(make_host):
    """Two apps of the staff's agency and one of another agency (rule KH-KPI-1):
    港都公車通 evaluated (150,000 of 137,500 for 2,750,000 people), 高雄好停車 with figures and
    a target only (24 x 200 = 4,800 of 8,750 for 35,000 people), 秘書處行動 of another
    agency (its own ratings, feedback)."""
    host = make_host("kaohsiung")
    with host.app_context():
        clear_year()
        run_id = a_run()
        bus = new_app("港都公車通", OWN)
        park = new_app("高雄好停車", OWN)
        other = new_app("秘書處行動", OTHER)
        result(bus, 150_000, 137_500, run_id)
        months(bus, 6250, Decimal("4.50"), 100, Decimal("4.00"), 100)
        months(park, 100, Decimal("3.50"), 300, None, None, count=6)
        db.session.add(AppTarget(app_id=park, year=YEAR, target_population=35_000, set_by="t"))
        db.session.add(AppTarget(app_id=bus, year=YEAR, target_population=2_750_000, set_by="t"))
        months(other, 10, Decimal("2.00"), 1000, Decimal("2.00"), 1000)
        feedback(bus, [2, 4, 30])
        feedback(other, [100])
        db.session.commit()
        host.config["TEST_APPS"] = {"bus": bus, "park": park, "other": other}
    return host


def rows_of(page: str, key: str) -> dict[str, list[str]]:
    """The table of chart ``key``: {data-key: [the cells' visible text]}."""
    table = re.search(rf'<table[^>]*id="table-{key}">(.*?)</table>', page, re.S)
    assert table, key
    out = {}
    for data_key, body in re.findall(r'<tr data-key="([^"]*)">(.*?)</tr>', table[1], re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", body, re.S)
        out[data_key] = [" ".join(visible_text(c).split()) for c in cells]
    return out


def chart_of(page: str, key: str) -> dict:
    found = re.search(rf'id="canvas-{key}"[^>]*data-appgov-chart="([^"]+)"', page)
    assert found, key
    import html

    return json.loads(html.unescape(found[1]))


def get(client, path="/appgov/evaluation/", headers=EN, **args):
    response = client.get(path, query_string={"year": YEAR, **args}, headers=headers)
    return response


# -- the tables' figures (KH-KPI-1) --------------------------------------------------------------


def test_downloads_against_target_per_app_and_agency_KH_KPI_1(kaohsiung):
    apps = kaohsiung.config["TEST_APPS"]
    client = kaohsiung.test_client()
    login(client, "admin")
    response = get(client)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    rows = rows_of(page, "downloads")
    assert rows[str(apps["bus"])][2:] == ["150,000", "137,500", "Met", "Evaluation result"]
    # the fallback: the figures summed (2 x 100 x 6) against the band's target (KH-KPI-1)
    assert rows[str(apps["park"])][2:] == [
        "1,200",
        "8,750",
        "Not met",
        "Figures and targets (not yet evaluated)",
    ]
    assert rows[str(apps["other"])][3:5] == ["—", "No target"]
    agencies = rows_of(page, "agencies")
    assert agencies[OWN][1:] == ["2", "2", "1", "151,200", "146,250"]
    chart = chart_of(page, "downloads")
    assert chart["type"] == "bar" and chart["horizontal"] and chart["locale"] == "en"
    assert "Noto Sans CJK TC" in chart["font"]
    names = chart["labels"]
    assert chart["datasets"][0]["data"][names.index("港都公車通")] == "150000"
    assert chart["datasets"][1]["data"][names.index("高雄好停車")] == "8750"
    # every chart: a canvas hidden until drawn, described, with the shared script
    assert page.count('role="img" hidden aria-label="Chart: ') == page.count("<canvas")
    assert "/appgov/static/appgov-charts.js" in page
    assert "/appgov/static/vendor/chartjs/chart.umd.min.js" in page
    # Kaohsiung has no roll-out grades (TP-GRADE-1) nor learning hours (TN-LEARN-1)
    assert 'id="chart-grades"' not in page and 'id="chart-learning"' not in page
    assert 'id="chart-seeds"' not in page


def test_rating_trend_per_store_weighted_and_months_per_locale(kaohsiung):
    apps = kaohsiung.config["TEST_APPS"]
    client = kaohsiung.test_client()
    login(client, "admin")
    page = get(client).get_data(as_text=True)
    rows = rows_of(page, "ratings")
    # January, iOS: (4.50 x 100 + 3.50 x 300 + 2.00 x 1000) / 1400 = 2.50; Android:
    # (4.00 x 100 + 2.00 x 1000) / 1100 = 2.18
    assert rows["1"] == [f"Jan {YEAR}", "2.5", "1,400", "2.18", "1,100"]
    # July: 秘書處行動 and 港都公車通 only
    assert rows["7"][1:3] == ["2.23", "1,100"]
    chart = chart_of(page, "ratings")
    assert chart["type"] == "line" and chart["max"] == "5" and len(chart["labels"]) == 12
    # one app's trend, in Chinese: ROC months
    page = get(client, headers=ZH, app=apps["park"]).get_data(as_text=True)
    rows = rows_of(page, "ratings")
    assert list(rows) == ["1", "2", "3", "4", "5", "6"]
    assert rows["1"] == [f"{ROC} 年 1 月", "3.5", "300", "—", "—"]
    assert chart_of(page, "ratings")["locale"] == "zh-TW"
    assert f"民國 {ROC} 年" in page


def test_mailbox_median_response_hours_per_app(kaohsiung):
    apps = kaohsiung.config["TEST_APPS"]
    client = kaohsiung.test_client()
    login(client, "admin")
    page = get(client).get_data(as_text=True)
    rows = rows_of(page, "mailbox")
    assert rows[str(apps["bus"])][2:] == ["3", "4"]
    assert rows[str(apps["other"])][2:] == ["1", "100"]
    assert str(apps["park"]) not in rows  # no feedback


# -- who sees what -------------------------------------------------------------------------------


def test_an_agency_sees_only_its_own_apps_on_the_page_and_in_every_export(kaohsiung):
    apps = kaohsiung.config["TEST_APPS"]
    client = kaohsiung.test_client()
    login(client, "staff")
    page = get(client).get_data(as_text=True)
    assert "港都公車通" in page and "秘書處行動" not in page
    assert rows_of(page, "ratings")["1"][1:3] == ["3.75", "400"]  # its own two apps
    for chart in ("downloads", "agencies", "ratings", "mailbox"):
        for fmt in ("csv", "xlsx", "ods"):
            response = get(client, f"/appgov/evaluation/charts.{fmt}", chart=chart)
            assert response.status_code == 200, (chart, fmt)
            text = read_back(response.data, fmt)
            assert "秘書處行動" not in text and OTHER not in text, (chart, fmt)
    # another agency's app by its id: 404, as a missing one
    assert get(client, app=apps["other"]).status_code == 404
    assert get(client, app=999_999).status_code == 404
    assert (
        get(client, "/appgov/evaluation/charts.csv", chart="ratings", app=apps["other"]).status_code
        == 404
    )
    assert get(client, app="x").status_code == 400
    # the city-wide reader sees both agencies
    login(client, "reviewer")
    page = get(client).get_data(as_text=True)
    assert "港都公車通" in page and "秘書處行動" in page


def test_roles_that_read_nothing_here_and_bad_input(kaohsiung):
    client = kaohsiung.test_client()
    assert client.get("/appgov/evaluation/").status_code == 302  # to the login
    login(client, "helpdesk")
    assert get(client).status_code == 403
    assert get(client, "/appgov/evaluation/charts.csv", chart="downloads").status_code == 403
    login(client, "mayor")
    response = get(client, year="20x5")
    assert response.status_code == 400
    assert "Year: “20x5” is not a year" in response.get_data(as_text=True)
    response = get(client, "/appgov/evaluation/charts.csv", chart="pie")
    assert response.status_code == 400 and "Chart: “pie”" in response.get_data(as_text=True)
    # a section the deployment does not use
    assert get(client, "/appgov/evaluation/charts.csv", chart="grades").status_code == 404


# -- the exports ---------------------------------------------------------------------------------


def read_back(data: bytes, fmt: str) -> str:
    return "\n".join(",".join(map(str, row)) for row in sheet_rows(data, fmt))


def sheet_rows(data: bytes, fmt: str) -> list[list]:
    if fmt == "csv":
        return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    if fmt == "xlsx":
        sheet = openpyxl.load_workbook(io.BytesIO(data)).active
        return [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]
    from odf.opendocument import load
    from odf.table import Table, TableCell, TableRow
    from odf.teletype import extractText

    document = load(io.BytesIO(data))
    table = document.spreadsheet.getElementsByType(Table)[0]
    rows = []
    for row in table.getElementsByType(TableRow):
        cells = []
        for cell in row.getElementsByType(TableCell):
            kind = cell.getAttribute("valuetype")
            cells.append(
                Decimal(cell.getAttribute("value")) if kind == "float" else extractText(cell)
            )
        rows.append(cells)
    return rows


def test_the_exports_in_three_formats_hold_the_table(kaohsiung):
    apps = kaohsiung.config["TEST_APPS"]
    client = kaohsiung.test_client()
    login(client, "admin")
    for fmt in ("csv", "xlsx", "ods"):
        response = get(client, f"/appgov/evaluation/charts.{fmt}", chart="downloads")
        assert response.status_code == 200
        assert f"evaluation-downloads-{YEAR}.{fmt}" in response.headers["Content-Disposition"]
        rows = sheet_rows(response.data, fmt)
        assert rows[0] == [
            "App",
            "Agency",
            "Downloads to the year's end",
            "Download target (KH-KPI-1)",
            "Target met",
            "Figures from",
        ]
        bus = next(r for r in rows if r[0] == "港都公車通")
        assert [str(v) for v in bus[2:5]] == ["150000", "137500", "Met"]
        response = get(client, f"/appgov/evaluation/charts.{fmt}", chart="mailbox", app=apps["bus"])
        rows = sheet_rows(response.data, fmt)
        bus = next(r for r in rows if r[0] == "港都公車通")
        assert [Decimal(str(v)) for v in bus[2:]] == [3, 4]


# -- the query count ------------------------------------------------------------------------------


def test_the_query_count_does_not_grow_with_the_apps(kaohsiung):
    """The page and an export, for the administrator and an agency's staff."""
    clients = {}
    for username in ("admin", "staff"):
        clients[username] = kaohsiung.test_client()
        login(clients[username], username)
        get(clients[username])  # warm: the policy, the host's agencies

    def count() -> dict[str, int]:
        found = {}
        for username, client in clients.items():
            for path in ("/appgov/evaluation/", "/appgov/evaluation/charts.csv"):
                with counting_queries(kaohsiung) as statements:
                    assert get(client, path, chart="downloads").status_code == 200
                found[f"{username} {path}"] = len(statements)
        return found

    before = count()
    with kaohsiung.app_context():
        for number in range(30):
            app_id = new_app(f"測試 App {number}", OWN if number % 2 else OTHER)
            months(app_id, number, Decimal("4.00"), 10, count=3)
            feedback(app_id, [number + 1])
            db.session.add(AppTarget(app_id=app_id, year=YEAR, target_population=1000, set_by="t"))
        db.session.commit()
    assert count() == before


# -- the other profiles ---------------------------------------------------------------------------


def test_tainan_installs_against_the_agencys_own_target_and_learning_hours_TN_PERF_1(make_host):
    """rule TN-PERF-1: the installs of the year against the agency's own target, from the
    result's installs check or from the figures; rule TN-LEARN-1: people per agency who
    reached the year's learning hours, as the training report counts them."""
    from appgov_plugin.rollout.models import RolloutPerson
    from appgov_plugin.training.hours import hours_report
    from appgov_plugin.training.models import OtherLearning

    host = make_host("tainan")
    with host.app_context():
        clear_year()
        # three people of the staff's agency: 20.0 h reaches the target, 19.9 h does not
        for number, hours in enumerate((Decimal("20.0"), Decimal("19.9"), None)):
            person = RolloutPerson(employee_id=f"T-{number}", name=f"測試{number}", agency_code=OWN)
            db.session.add(person)
            db.session.flush()
            if hours is not None:
                db.session.add(
                    OtherLearning(
                        person_id=person.id, on=dt.date(YEAR, 5, 1), hours=hours, title="x"
                    )
                )
        run_id = a_run()
        app_id = new_app("府城好行", OWN)
        months(app_id, 50)  # 1,200 installs in the year
        db.session.add(AppTarget(app_id=app_id, year=YEAR, installs_target=1000, set_by="t"))
        evaluated = new_app("府城評過", OTHER)
        db.session.add(
            AppEvaluation(
                app_id=evaluated,
                year=YEAR,
                run_id=run_id,
                evaluation="tainan",
                downloads=9_999,
                checks=[
                    {"measure": "installs", "value": "700", "target": "800", "met": False},
                    {"measure": "rating", "value": "4.10", "target": "4.0", "met": True},
                ],
                passed=False,
            )
        )
        db.session.commit()
    client = host.test_client()
    login(client, "admin")
    page = get(client).get_data(as_text=True)
    rows = rows_of(page, "downloads")
    assert rows[str(app_id)][2:] == [
        "1,200",
        "1,000",
        "Met",
        "Figures and targets (not yet evaluated)",
    ]
    assert rows[str(evaluated)][2:] == ["700", "800", "Not met", "Evaluation result"]
    assert "Installs target (TN-PERF-1)" in page
    assert 'id="chart-grades"' not in page and 'id="chart-seeds"' not in page
    # rule TN-LEARN-1: the training report's own count, per agency
    learning = rows_of(page, "learning")
    with host.test_request_context():
        report = hours_report(YEAR, None)
    people: dict[str, list[int]] = {}
    for row in report.rows:
        counts = people.setdefault(row.agency_code, [0, 0])
        counts[0] += 1
        counts[1] += report.is_below(row)
    assert learning[OWN][1:] == ["3", "1", "2", "20"]  # 20.0 h reached, 19.9 h below
    assert {code: cells[1:4] for code, cells in learning.items()} == {
        code: [str(total), str(total - below), str(below)]
        for code, (total, below) in people.items()
    }


def test_taipei_grades_per_system_and_seed_users_TP_GRADE_1_TP_SEED_1(make_host):
    from appgov_plugin.evaluation.models import RolloutScore

    host = make_host("taipei")
    with host.app_context():
        scores = db.session.execute(
            sa.select(RolloutScore.year, RolloutScore.grade, sa.func.count()).group_by(
                RolloutScore.year, RolloutScore.grade
            )
        ).all()
    assert scores, "the demo's roll-out scores"
    year = max(y for y, _g, _c in scores)
    expected = {g: c for y, g, c in scores if y == year}
    client = host.test_client()
    login(client, "admin")
    page = client.get("/appgov/evaluation/", query_string={"year": year}, headers=EN)
    assert page.status_code == 200
    page = page.get_data(as_text=True)
    assert 'id="chart-downloads"' not in page  # Taipei runs no app evaluation
    grades = rows_of(page, "grades")
    assert grades
    total = [0] * 6
    for cells in grades.values():
        for index in range(6):
            total[index] += int(cells[1 + index].replace(",", ""))
    assert dict(zip(("A+", "A", "B", "C", "D", "E"), total, strict=True)) == {
        g: expected.get(g, 0) for g in ("A+", "A", "B", "C", "D", "E")
    }
    seeds = rows_of(page, "seeds")
    assert seeds
    for cells in seeds.values():
        numbers = [int(c.replace(",", "")) for c in cells[1:]]
        assert numbers[0] == sum(numbers[1:])
    for fmt in ("csv", "xlsx", "ods"):
        response = client.get(
            f"/appgov/evaluation/charts.{fmt}", query_string={"year": year, "chart": "grades"}
        )
        assert response.status_code == 200
        rows = sheet_rows(response.data, fmt)
        assert rows[0][1:7] == ["A+", "A", "B", "C", "D", "E"]
        assert len(rows) == len(grades) + 1
