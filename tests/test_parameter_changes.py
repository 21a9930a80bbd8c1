"""Rule parameters administrators change in Flask-Admin: effective-dated, validated,
audited forever, and layered above code (code default < city module < hook package <
database). A past-dated change needs an explicit confirmation and is marked retroactive; a
change to the value already in force is refused (issue 7)."""

from __future__ import annotations

import datetime as dt
import re
import types
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from hosting import login

import appgov_plugin
from appgov_plugin.clock import today
from appgov_plugin.policy.changes import ChangeRefused, is_retroactive, record_change
from appgov_plugin.policy.models import AppendOnlyError, ParameterChange
from appgov_plugin.policy.parameters import PARAMETERS
from sample_host.extensions import db as host_db

TODAY = today()  # Taipei's date (TIME-5), not the server's
NEXT_MONTH = (TODAY.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
LAST_WEEK = TODAY - dt.timedelta(days=7)


def change(state, name, value, effective, reason="council decision", who="root"):
    """A confirmed change (tests of other points than retroactivity)."""
    made = record_change(state, name, value, effective, reason, who, confirm_retroactive=True)
    state.session.commit()
    return made


def count(db):
    db.session.rollback()
    return db.session.query(ParameterChange).count()


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

    history = client.get("/appgov/policy").get_data(as_text=True).split("變更紀錄</h2>", 1)[1]
    assert "市務會議決議提高評分門檻" in history and "admin" in history
    assert "3.5 顆星" in history and "3.8 顆星" in history  # old -> new, in words
    assert "&#34;" not in history
    with app.app_context():
        row = host_db.session.scalar(sa.select(ParameterChange))
        assert (row.previous_value, row.value, row.changed_by) == ("3.5", "3.8", "admin")


def test_effective_dating_at_the_boundary_day(appgov_context):
    app, db, state = appgov_context
    day = dt.date(2027, 3, 1)
    change(state, "rating_bar", "3.8", day)
    assert state.policy(as_of=day - dt.timedelta(days=1)).param("rating_bar") == Decimal("3.5")
    assert state.policy(as_of=day).param("rating_bar") == Decimal("3.8")
    # a 2025 evaluation re-run later still uses 2025's bar
    assert state.policy(as_of=dt.date(2025, 6, 30)).rating_passes(ios=(3.7, 10)) is True
    assert state.policy(as_of=day).rating_passes(ios=(3.7, 10)) is False


def test_a_deadline_uses_the_parameters_in_force_on_its_start_date(appgov_context):
    app, db, state = appgov_context
    day = dt.date(2027, 3, 8)  # a Monday
    change(state, "deadline.minutes", {"length": 3, "mode": "working_days"}, day)
    policy = state.policy()  # today's policy, asked about both start dates
    assert policy.deadline("minutes", dt.date(2027, 3, 5)) == dt.date(2027, 3, 12)  # 5 days
    assert policy.deadline("minutes", day) == dt.date(2027, 3, 11)  # 3 days from the change


def test_same_day_changes_the_latest_recorded_wins(appgov_context):
    app, db, state = appgov_context
    change(state, "system_admin_min", 3, dt.date(2027, 1, 1))
    second = change(state, "system_admin_min", 4, dt.date(2027, 1, 1), "corrected")
    assert second.previous_value == 3
    assert state.policy(as_of=dt.date(2027, 1, 1)).min_system_admins() == 4


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("seed_user_headcount_per_user", -20, "per allowed seed user: -20 is below the minimum 1"),
        (
            "download_target_bands",
            [[0, 25], [100_000, 10], [50_000, 5]],
            "Download target bands, row 3: bands overlap or are out of order "
            "(50,000 does not follow 100,000)",
        ),
        ("download_target_bands", [[1000, 25], [100_000, 10]], "must start at population 0"),
        (
            "download_target_bands",
            [[0, 25], [100_000, "ten"]],
            "Download target bands, row 2 (rate): “ten” is not a number",
        ),
        (
            "grade_bands",
            [["A+", 95], ["A", 96], ["B", 80], ["C", 70], ["D", 60], ["E", 0]],
            "Grade bands: grade order is not descending (A at 96 is not below A+ at 95)",
        ),
        (
            "leave_dismissal_percent",
            {"admin": 120, "seed": 20, "lecturer": 10, "elearning": 20, "other": 20},
            "Leave that leads to dismissal (system administrator course): "
            "120 must be above 0 and at most 100",
        ),
        ("rating_bar", "five", "Star rating to exceed: “five” is not a number"),
        ("rating_bar", "5.5", "outside the 0-5 star scale"),
        (
            "deadline.minutes",
            {"length": 5, "mode": "fortnights"},
            "(counting mode): unknown counting mode “fortnights”",
        ),
        ("deadline.minutes", {"length": 0, "mode": "working_days"}, "(length): 0 is below"),
        ("plan_text_length", [3000, 1500], "minimum 3,000 is above maximum 1,500"),
        ("proposal_escalation_to_mayor", "yes", "“yes” is not yes (true) or no (false)"),
        ("no_such_rule", 1, "unknown rule parameter 'no_such_rule'"),
        ("base_profile", "gotham", "Base city profile: unknown profile “gotham”"),
    ],
)
def test_invalid_values_are_refused_and_nothing_saved(appgov_context, name, value, message):
    app, db, state = appgov_context
    with (
        app.test_request_context(),
        force_locale("en"),
        pytest.raises(ValueError, match=re.escape(message)),
    ):
        record_change(state, name, value, TODAY, "try", "root")
    db.session.commit()
    assert db.session.query(ParameterChange).count() == 0


def test_a_change_needs_a_reason(appgov_context):
    app, db, state = appgov_context
    with pytest.raises(ValueError, match="變更須說明理由"):  # zh_Hant_TW outside requests
        record_change(state, "rating_bar", "3.8", TODAY, "   ", "root")


def test_refusals_in_flask_admin_name_the_problem_in_the_users_language(intranet_app):
    app, db = intranet_app
    client = app.test_client()
    client.get("/_login/root")
    page = client.post(
        "/admin/appgov_parameters/grade_bands",
        data={
            "advanced": '[["A+", 95], ["A", 96], ["B", 80], ["C", 70], ["D", 60], ["E", 0]]',
            "effective_from": TODAY.isoformat(),
            "reason": "typo",
        },
    ).get_data(as_text=True)
    assert "等第級距：等第順序未由高至低（A 之 96 分未低於 A+ 之 95 分）" in page
    page = client.post(
        "/admin/appgov_parameters/grade_bands",
        data={"advanced": "[]", "effective_from": TODAY.isoformat(), "reason": "typo"},
        headers={"Accept-Language": "en"},
    ).get_data(as_text=True)
    assert "Grade bands: expected 6 [grade, lowest score] pairs" in page
    with app.app_context():
        assert db.session.query(ParameterChange).count() == 0


def test_history_is_append_only(appgov_context):
    app, db, state = appgov_context
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


def test_priority_code_default_city_module_hook_package_database(appgov_context, monkeypatch):
    app, db, state = appgov_context
    name = "proposal_escalation_to_mayor"
    # code default (parameters.py: no) < city module (kaohsiung.py: yes, rule KH-EVAL-2)
    assert appgov_plugin.get_policy("taipei", database=False).param(name) is False
    assert state.policy().param(name) is True
    # < city hook package
    package = types.ModuleType("city_package")
    package.appgov_parameter = appgov_plugin.hookimpl(
        lambda policy, name, as_of: False if name == "proposal_escalation_to_mayor" else None
    )
    monkeypatch.setattr(state, "policy_modules", (package,))
    assert state.policy().param(name) is False
    # < database override
    change(state, name, True, TODAY)
    assert state.policy().param(name) is True


def test_base_profile_is_chosen_in_the_database(appgov_context):
    app, db, state = appgov_context
    assert state.policy().profile == "kaohsiung"
    change(state, "base_profile", "taipei", dt.date(2027, 1, 1), "移轉至臺北市設定")
    assert state.policy(as_of=dt.date(2026, 12, 31)).profile == "kaohsiung"
    assert state.policy(as_of=dt.date(2027, 1, 1)).profile == "taipei"


def test_policy_show_as_of_prints_pending_changes_and_history(appgov_context):
    app, db, state = appgov_context
    change(state, "rating_bar", "3.8", dt.date(2027, 3, 1), "council")
    runner = app.test_cli_runner()
    before = runner.invoke(args=["appgov", "policy", "show", "--as-of", "2027-02-28"]).output
    assert '  rating_bar = "3.5"  [KH-KPI-2]  (default "3.5")' in before
    assert '    pending: "3.8" from 2027-03-01' in before
    assert '    history: 2027-03-01 "3.5" -> "3.8" by root on ' in before
    after = runner.invoke(args=["appgov", "policy", "show", "--as-of", "2027-03-01"]).output
    assert '  rating_bar = "3.8"  [KH-KPI-2]  (default "3.5")' in after
    assert "pending" not in after


# -- issue 7: past-dated changes need a confirmation and are marked retroactive -----------


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "applies retroactively and alters past evaluations"),
        ("zh_Hant_TW", "此變更將追溯生效，並改變過去的評核結果"),
    ],
)
def test_a_past_dated_change_needs_an_explicit_confirmation(appgov_context, language, message):
    app, db, state = appgov_context
    with app.test_request_context(), force_locale(language):
        with pytest.raises(ChangeRefused, match=message) as refused:
            record_change(state, "rating_bar", "3.8", LAST_WEEK, "late entry", "root")
        assert refused.value.field == "confirm_retroactive"
        assert count(db) == 0
        made = record_change(
            state, "rating_bar", "3.8", LAST_WEEK, "late entry", "root", confirm_retroactive=True
        )
        db.session.commit()
    assert is_retroactive(made)
    assert state.policy(as_of=LAST_WEEK).param("rating_bar") == Decimal("3.8")
    # today and later need no confirmation and are not retroactive
    assert not is_retroactive(change(state, "system_admin_min", 3, TODAY))
    assert record_change(state, "seed_user_min", 3, TODAY, "today", "root").id


def test_retroactive_is_derived_from_the_taipei_date_of_recording():
    # recorded 2026-12-01 17:30 UTC = 2026-12-02 01:30 in Taipei
    recorded = dt.datetime(2026, 12, 1, 17, 30, tzinfo=dt.UTC)
    made = ParameterChange(effective_from=dt.date(2026, 12, 1), changed_at=recorded)
    assert is_retroactive(made)
    made = ParameterChange(effective_from=dt.date(2026, 12, 2), changed_at=recorded)
    assert not is_retroactive(made)
    # SQLite gives the stored UTC time back without a zone
    made = ParameterChange(
        effective_from=dt.date(2026, 12, 1), changed_at=recorded.replace(tzinfo=None)
    )
    assert is_retroactive(made)


@pytest.mark.parametrize(("language", "mark"), [("en", "retroactive"), ("zh-TW", "追溯生效")])
def test_the_history_marks_retroactive_changes(intranet_app, language, mark):
    app, db = intranet_app
    with app.app_context():
        state = app.extensions["appgov"]
        change(state, "rating_bar", "3.8", LAST_WEEK, "補登上週決議")
        change(state, "system_admin_min", 3, NEXT_MONTH, "下月起")
    client = app.test_client()
    client.get("/_login/clerk")
    page = client.get("/appgov/policy", headers={"Accept-Language": language}).get_data(
        as_text=True
    )
    rows = re.findall(r"<tr>.*?</tr>", page.split('class="table table-sm history"', 1)[1], re.S)
    late = next(row for row in rows if "補登上週決議" in row)
    ahead = next(row for row in rows if "下月起" in row)
    assert 'class="badge badge-warning retroactive"' in late and f">{mark}</span>" in late
    assert "retroactive" not in ahead


# -- issue 7: a change to the value already in force is refused ---------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("rating_bar", "3.5"),
        ("rating_bar", "3.50"),  # compared normalised: the same bar
        ("rating_bar", 3.5),
        ("system_admin_min", 2),
        ("deadline.minutes", {"mode": "working_days", "length": 5}),
        ("download_target_bands", [[0, "25.0"], [100_000, 10], [1_000_001, 5]]),
        ("base_profile", "kaohsiung"),
    ],
)
def test_a_change_to_the_value_in_force_is_refused_as_no_change(appgov_context, name, value):
    app, db, state = appgov_context
    with (
        app.test_request_context(),
        force_locale("en"),
        pytest.raises(ChangeRefused, match="No change: .* is already this value on 2027-01-04"),
    ):
        record_change(state, name, value, dt.date(2027, 1, 4), "same", "root")
    assert count(db) == 0


def test_no_change_compares_with_the_value_in_force_on_the_effective_date(appgov_context):
    app, db, state = appgov_context
    change(state, "rating_bar", "3.8", dt.date(2027, 3, 1))
    with pytest.raises(
        ChangeRefused, match="無變更：「須超過之評分」於 民國 116 年 4 月 1 日 已是此值"
    ):
        record_change(state, "rating_bar", "3.8", dt.date(2027, 4, 1), "again", "root")
    # before the pending change 3.5 is in force, so 3.8 is a change there; 3.5 is not
    assert change(state, "rating_bar", "3.8", dt.date(2027, 2, 1)).previous_value == "3.5"
    assert change(state, "rating_bar", "3.5", dt.date(2027, 4, 1)).previous_value == "3.8"
    assert count(db) == 3


# -- issue 7: labels and the base profile's refusal in Traditional Chinese ----------------


def test_plan_text_length_names_the_whole_plan(appgov_context):
    app, db, state = appgov_context
    label = PARAMETERS["plan_text_length"].label
    with app.test_request_context(), force_locale("en"):
        assert "whole" in str(label) and "each part" not in str(label)  # rule KH-KPI-3
    with app.test_request_context(), force_locale("zh_Hant_TW"):
        assert str(label) == "改善及行銷方案全文字數"


def test_an_unknown_base_profile_is_refused_in_traditional_chinese(appgov_context):
    app, db, state = appgov_context
    with pytest.raises(ValueError) as refused:  # zh_Hant_TW outside requests
        record_change(state, "base_profile", "gotham", NEXT_MONTH, "try", "root")
    assert str(refused.value).startswith(
        "城市設定檔（基準）：「gotham」不是城市設定檔；可用：tainan"
    )
    assert count(db) == 0
