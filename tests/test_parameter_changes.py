"""Rule parameters administrators change in Flask-Admin: effective-dated, validated,
audited forever, and layered above code (code default < city module < hook package <
database)."""

from __future__ import annotations

import datetime as dt
import types
from decimal import Decimal

import pytest
import sqlalchemy as sa
from hosting import login
from intranet import make_intranet

import appgov_plugin
from appgov_plugin import migrations
from appgov_plugin.models import AppendOnlyError, ParameterChange
from appgov_plugin.policy.changes import record_change
from sample_host.extensions import db as host_db

TODAY = dt.date.today()
NEXT_MONTH = (TODAY.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


@pytest.fixture
def intranet(database_url):
    """(app, db, appgov state) inside an app context, for tests without requests."""
    app, db, _ = make_intranet(database_url)
    with app.app_context():
        migrations.upgrade(db.engine)
        yield app, db, app.extensions["appgov"]
        db.engine.dispose()


@pytest.fixture
def intranet_app(database_url):
    """The app alone: each request gets its own context (and its own locale)."""
    app, db, _ = make_intranet(database_url, WTF_CSRF_ENABLED=False)
    with app.app_context():
        migrations.upgrade(db.engine)
    yield app, db
    with app.app_context():
        db.engine.dispose()


def change(state, name, value, effective, reason="council decision", who="root"):
    made = record_change(state, name, value, effective, reason, who)
    state.session.commit()
    return made


def kpi(client, day, average):
    return client.post(
        "/appgov/kpi",
        data={
            "evaluated_on": day.isoformat(),
            "population": "35000",
            "downloads": "9000",
            "ios_average": str(average),
            "ios_count": "120",
        },
    ).get_data(as_text=True)


def test_rating_bar_raised_next_month_in_the_sample_host(make_host):
    """The issue's "done when", through the pages an administrator and a user see."""
    app = make_host("kaohsiung")
    client = app.test_client()
    login(client, "admin")
    response = client.post(
        "/admin/appgov_parameters/rating_bar",
        data={
            "value": "3.8",
            "effective_from": NEXT_MONTH.isoformat(),
            "reason": "市務會議決議提高評分門檻",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    admin_page = client.get("/admin/appgov_parameters/").get_data(as_text=True)
    assert "3.8" in admin_page  # pending

    login(client, "staff")
    this_year = kpi(client, TODAY, "3.7")
    assert "3.5" in this_year and "未達成" not in this_year.split("須超過之評分")[1][:80]
    after = kpi(client, NEXT_MONTH, "3.7")
    assert "3.8" in after and "未達成" in after.split("須超過之評分")[1][:80]

    history = client.get("/appgov/policy").get_data(as_text=True).split("變更紀錄")[1]
    assert "市務會議決議提高評分門檻" in history and "admin" in history
    assert "&#34;3.5&#34;" in history and "&#34;3.8&#34;" in history
    with app.app_context():
        row = host_db.session.scalar(sa.select(ParameterChange))
        assert (row.previous_value, row.value, row.changed_by) == ("3.5", "3.8", "admin")


def test_effective_dating_at_the_boundary_day(intranet):
    app, db, state = intranet
    day = dt.date(2027, 3, 1)
    change(state, "rating_bar", "3.8", day)
    assert state.policy(as_of=day - dt.timedelta(days=1)).param("rating_bar") == Decimal("3.5")
    assert state.policy(as_of=day).param("rating_bar") == Decimal("3.8")
    # a 2025 evaluation re-run later still uses 2025's bar
    assert state.policy(as_of=dt.date(2025, 6, 30)).rating_passes(ios=(3.7, 10)) is True
    assert state.policy(as_of=day).rating_passes(ios=(3.7, 10)) is False


def test_a_deadline_uses_the_parameters_in_force_on_its_start_date(intranet):
    app, db, state = intranet
    day = dt.date(2027, 3, 8)  # a Monday
    change(state, "deadline.minutes", {"length": 3, "mode": "working_days"}, day)
    policy = state.policy()  # today's policy, asked about both start dates
    assert policy.deadline("minutes", dt.date(2027, 3, 5)) == dt.date(2027, 3, 12)  # 5 days
    assert policy.deadline("minutes", day) == dt.date(2027, 3, 11)  # 3 days from the change


def test_same_day_changes_the_latest_recorded_wins(intranet):
    app, db, state = intranet
    change(state, "system_admin_min", 3, dt.date(2027, 1, 1))
    second = change(state, "system_admin_min", 4, dt.date(2027, 1, 1), "corrected")
    assert second.previous_value == 3
    assert state.policy(as_of=dt.date(2027, 1, 1)).min_system_admins() == 4


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("seed_user_headcount_per_user", -20, "-20 is below the minimum 1"),
        ("download_target_bands", [[0, 25], [100_000, 10], [50_000, 5]], "overlap"),
        ("download_target_bands", [[1000, 25], [100_000, 10]], "must start at population 0"),
        (
            "grade_bands",
            [["A+", 95], ["A", 96], ["B", 80], ["C", 70], ["D", 60], ["E", 0]],
            "not descending",
        ),
        (
            "leave_dismissal_percent",
            {"admin": 120, "seed": 20, "lecturer": 10, "elearning": 20, "other": 20},
            "outside 0-100",
        ),
        ("rating_bar", "five", "'five' is not a number"),
        ("rating_bar", "5.5", "outside the 0-5 star scale"),
        ("deadline.minutes", {"length": 5, "mode": "fortnights"}, "unknown counting mode"),
        ("plan_text_length", [3000, 1500], "minimum 3000 is above maximum 1500"),
        ("proposal_escalation_to_mayor", "yes", "not true or false"),
        ("no_such_rule", 1, "unknown rule parameter 'no_such_rule'"),
        ("base_profile", "gotham", "unknown profile 'gotham'"),
    ],
)
def test_invalid_values_are_refused_and_nothing_saved(intranet, name, value, message):
    app, db, state = intranet
    with (
        app.test_request_context(headers={"Accept-Language": "en"}),
        pytest.raises(ValueError, match=message),
    ):
        record_change(state, name, value, TODAY, "try", "root")
    db.session.commit()
    assert db.session.query(ParameterChange).count() == 0


def test_a_change_needs_a_reason(intranet):
    app, db, state = intranet
    with pytest.raises(ValueError, match="變更須說明理由"):  # zh_Hant_TW outside requests
        record_change(state, "rating_bar", "3.8", TODAY, "   ", "root")


def test_refusals_in_flask_admin_name_the_problem_in_the_users_language(intranet_app):
    app, db = intranet_app
    client = app.test_client()
    client.get("/_login/root")
    page = client.post(
        "/admin/appgov_parameters/grade_bands",
        data={
            "value": '[["A+", 95], ["A", 96], ["B", 80], ["C", 70], ["D", 60], ["E", 0]]',
            "effective_from": TODAY.isoformat(),
            "reason": "typo",
        },
    ).get_data(as_text=True)
    assert "等第順序未由高至低" in page
    page = client.post(
        "/admin/appgov_parameters/grade_bands",
        data={"value": "[]", "effective_from": TODAY.isoformat(), "reason": "typo"},
        headers={"Accept-Language": "en"},
    ).get_data(as_text=True)
    assert "grade_bands: expected 6 [grade, lowest score] pairs" in page
    with app.app_context():
        assert db.session.query(ParameterChange).count() == 0


def test_history_is_append_only(intranet):
    app, db, state = intranet
    made = change(state, "rating_bar", "3.8", TODAY)
    made.reason = "rewritten"
    with pytest.raises(AppendOnlyError):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(ParameterChange, made.id))
    with pytest.raises(AppendOnlyError):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(ParameterChange, made.id).reason == "council decision"


def test_priority_code_default_city_module_hook_package_database(intranet, monkeypatch):
    app, db, state = intranet
    name = "kpi_failed_years_for_delisting"
    # code default (defaults.py: 2) < city module (tainan.py: 0)
    assert appgov_plugin.get_policy("kaohsiung", database=False).param(name) == 2
    monkeypatch.setattr(state, "profile", "tainan")
    assert state.policy().param(name) == 0
    # < city hook package
    package = types.ModuleType("city_package")
    package.appgov_parameter = appgov_plugin.hookimpl(
        lambda policy, name, as_of: 5 if name == "kpi_failed_years_for_delisting" else None
    )
    monkeypatch.setattr(state, "policy_modules", (package,))
    assert state.policy().param(name) == 5
    # < database override
    change(state, name, 4, TODAY)
    assert state.policy().param(name) == 4


def test_base_profile_is_chosen_in_the_database(intranet):
    app, db, state = intranet
    assert state.policy().profile == "kaohsiung"
    change(state, "base_profile", "taipei", dt.date(2027, 1, 1), "移轉至臺北市設定")
    assert state.policy(as_of=dt.date(2026, 12, 31)).profile == "kaohsiung"
    assert state.policy(as_of=dt.date(2027, 1, 1)).profile == "taipei"


def test_policy_show_as_of_prints_pending_changes_and_history(intranet):
    app, db, state = intranet
    change(state, "rating_bar", "3.8", dt.date(2027, 3, 1), "council")
    runner = app.test_cli_runner()
    before = runner.invoke(args=["appgov", "policy", "show", "--as-of", "2027-02-28"]).output
    assert '  rating_bar = "3.5"  [KH-KPI-2]  (default "3.5")' in before
    assert '    pending: "3.8" from 2027-03-01' in before
    assert '    history: 2027-03-01 "3.5" -> "3.8" by root on ' in before
    after = runner.invoke(args=["appgov", "policy", "show", "--as-of", "2027-03-01"]).output
    assert '  rating_bar = "3.8"  [KH-KPI-2]  (default "3.5")' in after
    assert "pending" not in after
