"""The yearly evaluation run (issue 14 item 2) in the sample host, SQLite and PostgreSQL:

* rule KH-KPI-1: the Kaohsiung template's worked examples exactly and every edge of the
  policy's ``download_target_bands`` (just below, at, just above);
* rule KH-KPI-2: the combined rating above 3.5 (exactly 3.5 fails), weighted by the rating
  counts, the plain mean when a count is unknown, exact Decimals;
* rule KH-KPI-3: the plan opened once; rule KH-KPI-4: the consecutive failing years (a
  passing or missing year ends them) and the forced delisting opened at the profile's count,
  once;
* a re-run changes nothing but records its run (who, when, parameters); a changed figure
  updates the same result row;
* rule TN-PERF-1: Tainan against the agency's own targets, poor performers listed; the
  Taipei profile runs nothing;
* the statements of a run do not grow with the number of apps; years and dates refused
  with the field named, nothing written;
* ``flask appgov evaluate``, the Flask-Admin run list and its button with the progress
  endpoint, and the sample host's demo (the right plans, one forced delisting).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
import sqlalchemy as sa
from casework import counting_queries, visible_text
from hosting import login

from appgov_plugin.apps.models import App
from appgov_plugin.clock import today
from appgov_plugin.evaluation import run as evaluation_run
from appgov_plugin.evaluation.models import AppEvaluation, AppFigure, AppTarget, EvaluationRun
from appgov_plugin.lifecycle.case_types import FORCED_DELISTING, IMPROVEMENT_PLAN
from appgov_plugin.lifecycle.models import AppCase, AppYearResult
from appgov_plugin.state import get_state
from sample_host.extensions import db

AGENCY = "tainan-tourism"
#: The tests' own years: the demo's figures and targets are last year's.
YEAR = today().year - 2
EN = {"Accept-Language": "en"}


# -- helpers ----------------------------------------------------------------------------------


def new_app(name="測試 App", status="listed", listed_on=dt.date(2020, 1, 1)) -> int:
    app = App(
        agency_code=AGENCY,
        name=name,
        status=status,
        version="1.0.0",
        contact_username="staff",
        listed_on=listed_on,
    )
    db.session.add(app)
    db.session.commit()
    return app.id


def figures(app_id, year=YEAR, ios=0, android=0, rating_ios=None, ratings_ios=None,
            rating_android=None, ratings_android=None, month=12, uninstalls=None):  # fmt: skip
    db.session.add(
        AppFigure(
            app_id=app_id,
            year=year,
            month=month,
            downloads_ios=ios,
            downloads_android=android,
            uninstalls=uninstalls,
            rating_ios=None if rating_ios is None else Decimal(rating_ios),
            ratings_ios=ratings_ios,
            rating_android=None if rating_android is None else Decimal(rating_android),
            ratings_android=ratings_android,
            recorded_by="test",
        )
    )
    db.session.commit()


def target(app_id, year=YEAR, population=None, **targets):
    db.session.add(
        AppTarget(app_id=app_id, year=year, target_population=population, set_by="test", **targets)
    )
    db.session.commit()


def kpi_app(population, downloads, rating=("4.00", 100), year=YEAR, name="測試 App") -> int:
    """A Kaohsiung app with ``downloads`` to ``year``'s end and both stores at ``rating``."""
    app_id = new_app(name)
    target(app_id, year, population)
    figures(app_id, year, ios=downloads // 2, android=downloads - downloads // 2,
            rating_ios=rating[0], ratings_ios=rating[1],
            rating_android=rating[0], ratings_android=rating[1])  # fmt: skip
    return app_id


def run(year=YEAR, **kwargs) -> EvaluationRun:
    return evaluation_run.evaluate_year(year, actor=kwargs.pop("actor", "tester"), **kwargs)


def result(app_id, year=YEAR) -> AppEvaluation:
    db.session.expire_all()
    return db.session.scalar(
        sa.select(AppEvaluation).where(AppEvaluation.app_id == app_id, AppEvaluation.year == year)
    )


def cases_of(app_id, type_key) -> list[AppCase]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(AppCase).where(AppCase.app_id == app_id, AppCase.type_key == type_key)
        )
    )


def row_counts() -> dict[str, int]:
    names = sa.inspect(db.engine).get_table_names()
    return {
        name: db.session.execute(sa.text(f'SELECT count(*) FROM "{name}"')).scalar_one()
        for name in names
    }


@pytest.fixture
def kaohsiung(make_host):
    return make_host("kaohsiung")


# -- rule KH-KPI-1 --------------------------------------------------------------------------


def test_kh_kpi_1_the_templates_worked_examples_exactly(kaohsiung):
    """rule KH-KPI-1: 2,750,000 -> 137,500; 35,000 -> 8,750; 1,986,191 -> 99,309; the target
    reached passes, one download short fails."""
    with kaohsiung.app_context():
        examples = {2_750_000: (137_500, 5), 35_000: (8_750, 25), 1_986_191: (99_309, 5)}
        apps = {}
        for population, (expected, _rate) in examples.items():
            apps[population] = (kpi_app(population, expected), kpi_app(population, expected - 1))
        done = run()
        assert done.status == "done"
        for population, (expected, rate) in examples.items():
            reached, short = (result(app_id) for app_id in apps[population])
            for row in (reached, short):
                assert row.population == population and row.download_target == expected
                assert row.band_rate == Decimal(rate) and row.rules.startswith("KH-KPI-1")
            assert reached.downloads_pass is True and reached.passed is True
            assert short.downloads_pass is False and short.passed is False
            assert "below the target" in short.reason and "(KH-KPI-1)" in short.reason
            assert short.needs_marketing_plan is True and short.needs_improvement_plan is False


def test_kh_kpi_1_every_band_edge_of_the_policy(kaohsiung):
    """rule KH-KPI-1: each edge of ``download_target_bands`` just below, at and just above;
    the target is floor(P x rate)."""
    with kaohsiung.app_context():
        bands = [(int(low), Decimal(rate)) for low, rate in get_state().policy().param(
            "download_target_bands")]  # fmt: skip
        assert bands[0][0] == 0 and len(bands) >= 3

        def rate_of(population):
            return next(rate for low, rate in reversed(bands) if population >= low)

        populations = sorted({p for low, _ in bands for p in (low - 1, low, low + 1) if p >= 0})
        apps = {p: kpi_app(p, 0) for p in populations}
        run()
        for population, app_id in apps.items():
            row = result(app_id)
            rate = rate_of(population)
            assert row.band_rate == rate, population
            assert row.download_target == int(population * rate // 100), population
        # the rulebook's reading of the edges: 100,000 is in the 10 % band, 1,000,000 too,
        # 1,000,001 in the 5 % band
        assert result(apps[99_999]).download_target == 24_999
        assert result(apps[100_000]).download_target == 10_000
        assert result(apps[1_000_000]).download_target == 100_000
        assert result(apps[1_000_001]).download_target == 50_000
        assert result(apps[0]).download_target == 0 and result(apps[0]).downloads_pass is True


def test_kh_kpi_1_downloads_count_to_the_years_end(kaohsiung):
    """rule KH-KPI-1: the downloads summed over every month up to the year's end (the yearly
    report's cumulative figure), not those after it."""
    with kaohsiung.app_context():
        app_id = new_app()
        target(app_id, YEAR, 35_000)
        figures(app_id, YEAR - 1, ios=4_000, android=0, month=6)
        figures(app_id, YEAR, ios=2_000, android=2_750, month=3)
        figures(app_id, YEAR + 1, ios=50_000, android=0, month=1)
        run()
        row = result(app_id)
        assert (row.downloads, row.downloads_ios, row.downloads_android) == (8_750, 6_000, 2_750)
        assert row.downloads_pass is True


# -- rule KH-KPI-2 --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ios", "android", "combined", "passes"),
    [
        (("3.50", 100), ("3.50", 100), "3.5000", False),  # exactly the bar fails
        (("3.51", 1), ("3.50", 99), "3.5001", True),  # just above passes
        (("3.49", 1), ("3.50", 99), "3.4999", False),
        (("4.00", 300), ("3.00", 100), "3.7500", True),  # weighted (plain mean: 3.5, fails)
        (("4.00", 100), ("3.00", 300), "3.2500", False),
        (("4.00", None), ("3.20", 500), "3.6000", True),  # a count unknown: the plain mean
        (None, ("3.60", 10), "3.6000", True),  # one store
        (None, None, None, False),  # no rating is not above the bar
    ],
)
def test_kh_kpi_2_the_rating_bar_and_the_weighting(kaohsiung, ios, android, combined, passes):
    """rule KH-KPI-2: the combined average of iOS and Android above 3.5 (exactly 3.5 fails),
    weighted by each store's number of ratings; the plain mean when a count is unknown."""
    with kaohsiung.app_context():
        app_id = new_app()
        target(app_id, YEAR, 1_000)
        ios_avg, ios_n = ios or (None, None)
        and_avg, and_n = android or (None, None)
        figures(app_id, ios=500, android=500, rating_ios=ios_avg, ratings_ios=ios_n,
                rating_android=and_avg, ratings_android=and_n)  # fmt: skip
        run()
        row = result(app_id)
        assert row.combined_rating == (None if combined is None else Decimal(combined))
        assert row.rating_pass is passes and row.passed is passes
        assert row.needs_improvement_plan is (not passes)
        if not passes:
            assert "not above 3.5 (KH-KPI-2)" in row.reason


# -- rules KH-KPI-3, KH-KPI-4 ---------------------------------------------------------------


def test_kh_kpi_3_the_plan_opens_once_with_its_parts(kaohsiung):
    with kaohsiung.app_context():
        rating = kpi_app(35_000, 9_000, ("3.00", 10), name="星等未達")
        downloads = kpi_app(35_000, 100, name="下載未達")
        passing = kpi_app(35_000, 9_000, name="達標")
        first = run()
        assert len(first.summary["plans_opened"]) == 2
        for app_id, parts in ((rating, (False, True)), (downloads, (True, False))):
            (link,) = cases_of(app_id, IMPROVEMENT_PLAN)
            assert link.reason_key == f"kpi:{YEAR}"
            assert result(app_id).plan_case_id == link.case_id
            year_row = db.session.scalar(
                sa.select(AppYearResult).where(
                    AppYearResult.app_id == app_id, AppYearResult.year == YEAR
                )
            )
            assert (year_row.downloads_failed, year_row.rating_failed) == parts
            assert year_row.passed is False and year_row.recorded_by == "tester"
        assert cases_of(passing, IMPROVEMENT_PLAN) == []
        second = run()
        assert second.summary["plans_opened"] == [] and second.summary["changed"] == 0
        assert len(cases_of(rating, IMPROVEMENT_PLAN)) == 1
        assert len(cases_of(downloads, IMPROVEMENT_PLAN)) == 1


def test_kh_kpi_4_consecutive_failing_years_and_the_forced_delisting_once(kaohsiung):
    """rule KH-KPI-4: the count of consecutive failing years (a passing year or a year
    without a result ends it); the forced delisting opens when it reaches the profile's
    ``kpi_failed_years_for_delisting`` (2 here), once."""
    first, second, third = YEAR - 2, YEAR - 1, YEAR
    with kaohsiung.app_context():
        needed = get_state().policy().param("kpi_failed_years_for_delisting")
        assert needed == 2
        plan = {  # name: passes in first, second, third year (None: no target, not evaluated)
            "兩年未達": (True, False, False),
            "三年未達": (False, False, False),
            "中間達標": (False, True, False),
            "中間缺年": (False, None, False),
            "今年達標": (False, False, True),
        }
        apps = {}
        for name, years in plan.items():
            app_id = new_app(name)
            apps[name] = app_id
            for on_year, passes in zip((first, second, third), years, strict=True):
                if passes is None:
                    continue
                target(app_id, on_year, 35_000)
                # downloads reached (they add up over the years); the rating decides
                figures(app_id, on_year, ios=9_000, rating_ios="4.00" if passes else "3.00",
                        ratings_ios=10)  # fmt: skip
        for on_year in (first, second, third):
            run(on_year)
        counts = {name: result(app_id, third).failing_years for name, app_id in apps.items()}
        assert counts == {"兩年未達": 2, "三年未達": 3, "中間達標": 1, "中間缺年": 1, "今年達標": 0}
        assert result(apps["三年未達"], second).failing_years == 2
        # opened at the second failing year (the second run), once: not again at the third
        (two,) = cases_of(apps["兩年未達"], FORCED_DELISTING)
        (three,) = cases_of(apps["三年未達"], FORCED_DELISTING)
        assert two.reason_key == f"kpi-delisting:{third}"
        assert three.reason_key == f"kpi-delisting:{second}"
        assert result(apps["兩年未達"], third).delisting_case_id == two.case_id
        (recovered,) = cases_of(apps["今年達標"], FORCED_DELISTING)  # failed two years first
        assert recovered.reason_key == f"kpi-delisting:{second}"
        for name in ("中間達標", "中間缺年"):
            assert cases_of(apps[name], FORCED_DELISTING) == [], name
        before = row_counts()
        again = run(third)
        assert again.summary["delistings_opened"] == [] and again.summary["changed"] == 0
        after = row_counts()
        assert after.pop("appgov_eval_run") == before.pop("appgov_eval_run") + 1
        assert after == before


def test_no_forced_delisting_of_an_app_out_of_the_stores(kaohsiung):
    with kaohsiung.app_context():
        app_id = new_app("已下架", status="delisted")
        db.session.get(App, app_id).delist_on = dt.date(YEAR, 6, 30)
        db.session.commit()
        for on_year in (YEAR - 1, YEAR):
            target(app_id, on_year, 35_000)
            figures(app_id, on_year, ios=1, rating_ios="4.00", ratings_ios=10)
            run(on_year)
        assert result(app_id).failing_years == 2
        assert cases_of(app_id, FORCED_DELISTING) == []


# -- re-runs --------------------------------------------------------------------------------


def test_a_rerun_changes_nothing_but_records_its_run(kaohsiung):
    with kaohsiung.app_context():
        failing = kpi_app(2_750_000, 1_000, ("3.00", 10))
        passing = kpi_app(35_000, 9_000)
        first = run(actor="first-user")
        rows = {a: (r.id, r.run_id, r.evaluated_at) for a in (failing, passing) if (r := result(a))}
        before = row_counts()
        second = run(actor="second-user", evaluated_on=today())
        assert second.id != first.id
        db.session.expire_all()
        second = db.session.get(EvaluationRun, second.id)
        assert (second.actor, second.started_from, second.status) == ("second-user", "cli", "done")
        assert second.evaluated_on == today() and second.finished_at is not None
        assert second.parameters["parameters"]["rating_bar"] == "3.5"
        assert second.parameters["parameters"]["download_target_bands"][0] == [0, "25"]
        assert second.parameters["parameters"]["kpi_failed_years_for_delisting"] == 2
        assert {"KH-KPI-1", "KH-KPI-2", "KH-KPI-3", "KH-KPI-4"} <= set(second.parameters["rules"])
        assert second.summary["changed"] == 0 and second.summary["plans_opened"] == []
        assert second.done == second.total == second.summary["apps"]
        after = row_counts()
        assert after.pop("appgov_eval_run") == before.pop("appgov_eval_run") + 1
        assert after == before
        assert {a: (r.id, r.run_id, r.evaluated_at) for a in rows if (r := result(a))} == rows


def test_a_rerun_after_a_figure_changed_updates_the_same_row(kaohsiung):
    with kaohsiung.app_context():
        app_id = kpi_app(35_000, 8_000)
        first = run()
        row = result(app_id)
        assert row.passed is False and row.run_id == first.id
        (plan,) = cases_of(app_id, IMPROVEMENT_PLAN)
        figures(app_id, ios=750, android=0, month=11)  # the agency corrects November
        second = run()
        assert second.summary["changed"] == 1 and second.summary["changed_apps"] == [app_id]
        again = result(app_id)
        assert again.id == row.id and again.run_id == second.id
        assert (again.downloads, again.passed) == (8_750, True)
        assert again.plan_case_id == plan.case_id  # the plan opened stays linked
        year_row = db.session.scalar(sa.select(AppYearResult).where(AppYearResult.app_id == app_id))
        assert year_row.passed is True  # the lifecycle's year result follows
        assert len(cases_of(app_id, IMPROVEMENT_PLAN)) == 1
        assert (
            db.session.scalar(
                sa.select(sa.func.count(AppEvaluation.id)).where(AppEvaluation.app_id == app_id)
            )
            == 1
        )


# -- other profiles -------------------------------------------------------------------------


def test_tn_perf_1_tainan_against_the_agencys_own_targets(make_host):
    """rule TN-PERF-1: installs of the year, uninstalls at most, the store rating and the
    share of reviews handled, each against the agency's own target; a poor performer is
    listed (TN-PERF-3); no plan and no forced delisting (Kaohsiung's rules)."""
    host = make_host("tainan")
    with host.app_context():
        good = new_app("達標")
        target(good, installs_target=1_000, uninstalls_limit=100, rating_target=Decimal("4.00"))
        figures(good, YEAR - 1, ios=90_000)  # last year's installs do not count
        figures(good, ios=600, android=400, uninstalls=100, rating_ios="4.00", ratings_ios=5)
        poor = new_app("未達")
        target(poor, installs_target=1_000, uninstalls_limit=100)
        figures(poor, ios=999, android=0, uninstalls=101)
        untargeted = new_app("未訂目標")
        figures(untargeted, ios=5)
        done = run()
        assert done.summary["poor_performers"] == [poor]
        assert {"app_id": untargeted, "reason": "no targets set"} in done.summary["not_evaluated"]
        ok, bad = result(good), result(poor)
        assert ok.evaluation == "tainan" and ok.passed is True and ok.population is None
        assert [(c["measure"], c["met"]) for c in ok.checks] == [
            ("installs", True), ("uninstalls", True), ("rating", True)
        ]  # fmt: skip
        assert bad.passed is False and "installs, uninstalls" in bad.reason
        assert "TN-PERF-1" in bad.reason and bad.rules == "TN-PERF-1, TN-PERF-2, TN-PERF-3"
        assert result(untargeted) is None
        for app_id in (good, poor):
            assert cases_of(app_id, IMPROVEMENT_PLAN) == []
            assert cases_of(app_id, FORCED_DELISTING) == []
        assert (
            db.session.scalar(
                sa.select(sa.func.count(AppYearResult.id)).where(AppYearResult.year == YEAR)
            )
            == 0
        )
        assert "TN-PERF-1" in done.parameters["rules"]
        assert "KH-KPI-1" not in done.parameters["rules"]


def test_taipei_runs_nothing(make_host):
    host = make_host("taipei")
    with host.app_context():
        app_id = kpi_app(35_000, 0)
        before = row_counts()
        done = run()
        assert done.summary["apps"] == 0 and done.summary["evaluated"] == 0
        assert done.parameters["evaluations"] == [] and done.parameters["rules"] == []
        after = row_counts()
        assert after.pop("appgov_eval_run") == before.pop("appgov_eval_run") + 1
        assert after == before and result(app_id) is None


# -- scale and input ------------------------------------------------------------------------


def test_the_statements_of_a_run_do_not_grow_with_the_apps(kaohsiung):
    """10 apps, then 50, all passing (no case to open): the same number of statements."""
    with kaohsiung.app_context():  # the policy's parameters and calendar read once
        kpi_app(35_000, 9_000, year=YEAR - 2)
        run(YEAR - 2)
    counts = []
    for on_year, number in ((YEAR - 1, 10), (YEAR, 50)):
        with kaohsiung.app_context():
            ids = [
                kpi_app(35_000, 9_000, year=on_year, name=f"A{on_year}-{n}") for n in range(number)
            ]
            assert len(ids) == number
        with counting_queries(kaohsiung) as statements, kaohsiung.app_context():
            done = run(on_year)
            assert done.summary["evaluated"] == number and done.summary["failed"] == 0
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
    assert counts[0] < 40, counts


@pytest.mark.parametrize(
    ("year", "as_of", "field", "words"),
    [
        (1999, None, "year", "Year: give a year from 2000"),
        (today().year + 1, None, "year", "Year: give a year from 2000"),
        ("2024", None, "year", "Year:"),
        (True, None, "year", "Year:"),
        (YEAR, dt.date(YEAR - 1, 12, 31), "as_of", "Evaluation date:"),
        (YEAR, today() + dt.timedelta(days=1), "as_of", "Evaluation date:"),
        (YEAR, "2024-01-01", "as_of", "Evaluation date:"),
    ],
)
def test_a_refused_year_or_date_names_the_field_and_writes_nothing(
    kaohsiung, year, as_of, field, words
):
    from flask_babel import force_locale

    with kaohsiung.app_context():
        kpi_app(35_000, 0)
        before = row_counts()
        with force_locale("en"), pytest.raises(evaluation_run.EvaluationError) as refused:
            run(year, evaluated_on=as_of)
        assert refused.value.field == field and str(refused.value).startswith(words)
        assert row_counts() == before


# -- the command ----------------------------------------------------------------------------


def test_the_command_prints_the_summary_in_the_chosen_language(kaohsiung):
    with kaohsiung.app_context():
        kpi_app(35_000, 0, name="未達")
        kpi_app(35_000, 9_000, name="達標")
    runner = kaohsiung.test_cli_runner()
    answer = runner.invoke(args=["appgov", "evaluate", str(YEAR), "--lang", "en"])
    assert answer.exit_code == 0, answer.output
    text = answer.output
    assert f"Evaluation of {YEAR} (run #" in text and f"evaluation date {YEAR}-12-31" in text
    for line in ("Evaluated: 2", "Passed: 1", "Not passed: 1", "Plans opened: 1",
                 "Forced delistings opened: 0", "Results changed: 2"):  # fmt: skip
        assert line in text, line
    zh = runner.invoke(args=["appgov", "evaluate", str(YEAR), "--as-of", today().isoformat()])
    assert zh.exit_code == 0, zh.output
    # the default language (zh_Hant_TW; the lead merges the catalog's entries)
    assert len(zh.output.strip().splitlines()) == 9, zh.output
    with kaohsiung.app_context():
        runs = db.session.scalars(sa.select(EvaluationRun).order_by(EvaluationRun.id)).all()
        assert runs[-1].actor.startswith("cli") and runs[-1].evaluated_on == today()
        assert runs[-1].summary["changed"] == 0


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["1999"], "Year:"),
        (["next"], "Year:"),
        ([str(YEAR), "--as-of", "31/12/2024"], "Evaluation date:"),
        ([str(YEAR), "--as-of", f"{YEAR - 1}-12-31"], "Evaluation date:"),
    ],
)
def test_the_command_refuses_with_status_1_naming_the_field(kaohsiung, args, words):
    with kaohsiung.app_context():
        before = row_counts()
    answer = kaohsiung.test_cli_runner().invoke(args=["appgov", "evaluate", *args, "--lang", "en"])
    assert answer.exit_code == 1 and words in answer.output, answer.output
    with kaohsiung.app_context():
        assert row_counts() == before


# -- Flask-Admin ----------------------------------------------------------------------------


def test_the_admin_lists_the_runs_and_its_button_runs_one(sample_host_factory):
    """The administrator's "Run the evaluation": the run is recorded (who: the
    administrator, from the admin), carried out (here inside the request), and its page
    shows the <progress> bar, its JSON endpoint done/total/status; the list is read-only."""
    host = sample_host_factory(APPGOV_PROFILE="kaohsiung", APPGOV_EVALUATION_IN_REQUEST=True)
    with host.app_context():
        kpi_app(35_000, 0, name="未達")
        kpi_app(35_000, 9_000, name="達標")
    client = host.test_client()
    login(client, "admin")
    page = client.get("/admin/appgov_eval_runs/", headers=EN)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Run the evaluation" in text and 'action="/admin/appgov_eval_runs/run"' in text
    assert '<label for="year">' in text and '<label for="evaluated_on">' in text
    assert "/admin/appgov_eval_runs/new/" not in text and "/edit/" not in text  # read-only
    answer = client.post(
        "/admin/appgov_eval_runs/run", data={"year": str(YEAR), "evaluated_on": ""}, headers=EN
    )
    assert answer.status_code == 303
    location = answer.headers["Location"]
    run_id = int(re.search(r"/progress/(\d+)$", location).group(1))
    with host.app_context():
        done = db.session.get(EvaluationRun, run_id)
        assert (done.actor, done.started_from, done.status) == ("admin", "admin", "done")
        assert done.summary["plans_opened"] and done.evaluated_on == dt.date(YEAR, 12, 31)
    shown = client.get(location, headers=EN).get_data(as_text=True)
    assert re.search(r'<progress id="run-progress-\d+" max="(\d+)" value="\1"', shown)
    assert "appgov-eval-progress.js" in shown and "Finished" in shown
    assert "Plans opened: 1" in visible_text(shown)
    assert 'http-equiv="refresh"' not in shown  # finished: no more refreshing
    progress = client.get(f"/admin/appgov_eval_runs/progress/{run_id}.json").get_json()
    assert progress["status"] == "done" and progress["done"] == progress["total"] >= 2
    assert client.get("/admin/appgov_eval_runs/progress/999999.json").status_code == 404
    script = client.get("/appgov/static/appgov-eval-progress.js")
    assert script.status_code == 200 and b"fetch(" in script.data
    listed = client.get("/admin/appgov_eval_runs/", headers=EN).get_data(as_text=True)
    assert f"/admin/appgov_eval_runs/details/?id={run_id}" in listed


def test_the_admin_button_runs_in_a_thread_with_its_own_session(kaohsiung):
    """Without the in-request flag the work goes to a background thread (joined here); the
    running page refreshes itself without JavaScript."""
    from appgov_plugin.evaluation import admin_runs

    with kaohsiung.app_context():
        app_id = kpi_app(35_000, 0)
    client = kaohsiung.test_client()
    login(client, "admin")
    answer = client.post("/admin/appgov_eval_runs/run", data={"year": str(YEAR)}, headers=EN)
    assert answer.status_code == 303
    run_id = int(answer.headers["Location"].rsplit("/", 1)[1])
    admin_runs.THREADS[run_id].join(timeout=60)
    with kaohsiung.app_context():
        db.session.expire_all()
        assert db.session.get(EvaluationRun, run_id).status == "done"
        assert result(app_id).run_id == run_id
        running = EvaluationRun(year=YEAR - 1, profile="kaohsiung", evaluated_on=today(),
                                actor="x", status="running", total=10, done=3)  # fmt: skip
        db.session.add(running)
        db.session.commit()
        running_id = running.id
    page = client.get(f"/admin/appgov_eval_runs/progress/{running_id}", headers=EN)
    text = page.get_data(as_text=True)
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in text
    assert 'max="10" value="3"' in text and "3 of 10 apps" in text
    # a second run of a year still running is refused, naming the year
    refused = client.post("/admin/appgov_eval_runs/run", data={"year": str(YEAR - 1)}, headers=EN)
    assert refused.status_code == 400 and "running already" in visible_text(
        refused.get_data(as_text=True)
    )


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"year": ""}, "year", ""),
        ({"year": "1999"}, "year", "Year: give a year from 2000"),
        (
            {"year": str(YEAR), "evaluated_on": f"{YEAR - 1}-12-31"},
            "evaluated_on",
            "Evaluation date:",
        ),
        ({"year": str(YEAR), "evaluated_on": "not a day"}, "evaluated_on", ""),
    ],
)
def test_the_admin_form_refuses_naming_the_field_and_writes_nothing(kaohsiung, data, field, words):
    client = kaohsiung.test_client()
    login(client, "admin")
    with kaohsiung.app_context():
        before = row_counts()
    answer = client.post("/admin/appgov_eval_runs/run", data=data, headers=EN)
    assert answer.status_code == 400
    text = answer.get_data(as_text=True)
    assert f'id="{field}-error"' in text and 'aria-invalid="true"' in text
    assert words in visible_text(text) and "error-summary" in text
    with kaohsiung.app_context():
        assert row_counts() == before


@pytest.mark.parametrize("username", ["staff", "reviewer", "itdept"])
def test_only_the_administrator_runs_it_from_the_admin(kaohsiung, username):
    client = kaohsiung.test_client()
    login(client, username)
    with kaohsiung.app_context():
        before = row_counts()
    assert client.get("/admin/appgov_eval_runs/").status_code == 403
    assert client.post("/admin/appgov_eval_runs/run", data={"year": str(YEAR)}).status_code == 403
    assert client.get("/admin/appgov_eval_runs/progress/1.json").status_code == 403
    with kaohsiung.app_context():
        assert row_counts() == before


# -- the demo -------------------------------------------------------------------------------


def test_the_kaohsiung_demo_evaluation_opens_the_right_plans_and_one_forced_delisting(kaohsiung):
    """The sample host's demo (evaluation/demo.py on the lifecycle demo's apps), last year:
    the night-market map (rating 3.48, KH-KPI-2) and the old-town guide (downloads,
    KH-KPI-1) get new plans (KH-KPI-3); the two apps whose plans the demo filed keep theirs;
    the old-town guide's second failing year opens the one forced delisting (KH-KPI-4); a
    re-run changes nothing."""
    last = today().year - 1

    def app_named(prefix):
        return db.session.scalar(sa.select(App.id).where(App.name.startswith(prefix)))

    with kaohsiung.app_context():
        names = (
            "臺南市政府觀光旅遊局行動服務",
            "臺南夜市地圖",
            "府城觀光導覽",
            "活動報名通",
            "舊城導覽",
        )
        ids = dict(zip(names, map(app_named, names), strict=True))
        filed = {n: [c.case_id for c in cases_of(ids[n], IMPROVEMENT_PLAN)] for n in names}
        assert filed["府城觀光導覽"] and filed["活動報名通"] and not filed["臺南夜市地圖"]
        total_forced = sa.select(sa.func.count(AppCase.case_id)).where(
            AppCase.type_key == FORCED_DELISTING
        )
        assert db.session.scalar(total_forced) == 0
    answer = kaohsiung.test_cli_runner().invoke(
        args=["appgov", "evaluate", str(last), "--lang", "en"]
    )
    assert answer.exit_code == 0, answer.output
    assert "Plans opened: 2" in answer.output and "Forced delistings opened: 1" in answer.output
    with kaohsiung.app_context():
        rows = {n: result(ids[n], last) for n in names}
        assert rows["臺南市政府觀光旅遊局行動服務"].passed is True
        assert rows["臺南市政府觀光旅遊局行動服務"].download_target == 99_309
        night = rows["臺南夜市地圖"]
        assert (night.download_target, night.downloads_pass) == (8_750, True)
        assert night.combined_rating == Decimal("3.4800") and night.rating_pass is False
        assert rows["府城觀光導覽"].download_target == 137_500
        assert rows["活動報名通"].combined_rating == Decimal("3.5000")
        for name in ("府城觀光導覽", "活動報名通"):  # the plans the demo filed, not again
            assert [c.case_id for c in cases_of(ids[name], IMPROVEMENT_PLAN)] == filed[name]
            assert rows[name].plan_case_id == filed[name][0]
        for name in ("臺南夜市地圖", "舊城導覽"):
            (plan,) = cases_of(ids[name], IMPROVEMENT_PLAN)
            assert plan.reason_key == f"kpi:{last}" and rows[name].plan_case_id == plan.case_id
        assert cases_of(ids["臺南市政府觀光旅遊局行動服務"], IMPROVEMENT_PLAN) == []
        old_town = rows["舊城導覽"]
        assert old_town.failing_years == 2 and old_town.downloads_pass is False
        (forced,) = cases_of(ids["舊城導覽"], FORCED_DELISTING)
        assert forced.reason_key == f"kpi-delisting:{last}"
        assert old_town.delisting_case_id == forced.case_id
        assert db.session.scalar(total_forced) == 1
        before = row_counts()
    again = kaohsiung.test_cli_runner().invoke(
        args=["appgov", "evaluate", str(last), "--lang", "en"]
    )
    assert again.exit_code == 0, again.output
    assert "Plans opened: 0" in again.output and "Results changed: 0" in again.output
    with kaohsiung.app_context():
        after = row_counts()
        assert after.pop("appgov_eval_run") == before.pop("appgov_eval_run") + 1
        assert after == before
    # the sweep finds nothing more to open
    sweep = kaohsiung.test_cli_runner().invoke(args=["appgov", "sweep"])
    assert sweep.exit_code == 0
    with kaohsiung.app_context():
        assert db.session.scalar(total_forced) == 1


def test_the_tainan_demo_evaluation_lists_its_poor_performer(make_host):
    host = make_host("tainan")
    last = today().year - 1
    with host.app_context():
        done = run(last)
        night = db.session.scalar(sa.select(App.id).where(App.name.startswith("臺南夜市地圖")))
        tourism = db.session.scalar(sa.select(App.id).where(App.name.startswith("臺南市政府觀光")))
        assert done.summary["poor_performers"] == [night]
        assert result(tourism, last).passed is True and result(night, last).passed is False
        assert done.summary["plans_opened"] == [] and done.summary["delistings_opened"] == []


def test_the_demo_forced_delisting_opened_by_the_sweep_first_is_not_opened_again(kaohsiung):
    """rule KH-KPI-4: the sweep and the evaluation open the same case (reason
    ``kpi-delisting:<year>``), whichever runs first: one forced delisting in the demo."""
    last = today().year - 1
    sweep = kaohsiung.test_cli_runner().invoke(args=["appgov", "sweep"])
    assert sweep.exit_code == 0
    with kaohsiung.app_context():
        old_town = db.session.scalar(sa.select(App.id).where(App.name.startswith("舊城導覽")))
        (forced,) = cases_of(old_town, FORCED_DELISTING)
        done = run(last)
        assert done.summary["delistings_opened"] == []
        assert cases_of(old_town, FORCED_DELISTING)[0].case_id == forced.case_id
        assert len(cases_of(old_town, FORCED_DELISTING)) == 1
        assert result(old_town, last).delisting_case_id == forced.case_id


def test_the_progress_is_committed_every_progress_every_apps(kaohsiung, monkeypatch):
    """The run row's done/total is committed as the run goes (a progress page reads it from
    another connection), every ``PROGRESS_EVERY`` apps."""
    monkeypatch.setattr(evaluation_run, "PROGRESS_EVERY", 2)
    seen = []
    with kaohsiung.app_context():
        for number in range(5):
            kpi_app(35_000, 9_000, name=f"進度 {number}")
        engine = db.engine

        def progress(done, total):
            with engine.connect() as other:  # what another request sees
                row = other.execute(
                    sa.text("SELECT done, total FROM appgov_eval_run ORDER BY id DESC LIMIT 1")
                ).one()
            seen.append((done, total, tuple(row)))

        done = run(progress=progress)
        total = done.total
        assert total >= 5 and done.done == total
        expected = [(n, total, (n, total)) for n in range(2, total, 2)]
        assert seen[:-1] == expected
        assert seen[-1][:2] == (total, total)  # the end, before the summary's commit
