"""The policy inside an application: calendar overrides from the database (TIME-1), the
CLI (`flask appgov ...`) and the pages, all answering through the same hooks."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from casework import visible_text
from intranet import make_intranet

from appgov_plugin import migrations
from appgov_plugin.policy import PARAMETERS
from appgov_plugin.policy.models import CalendarOverride

MONDAY = dt.date(2026, 11, 23)


@pytest.fixture
def intranet(database_url):
    app, db, _ = make_intranet(database_url)
    with app.app_context():
        migrations.upgrade(db.engine)
    yield app, db
    with app.app_context():
        db.engine.dispose()


def cli(app, *args):
    return app.test_cli_runner().invoke(args=["appgov", *args])


def test_a_typhoon_day_entered_in_flask_admin_moves_every_deadline(intranet):
    app, db = intranet
    client = app.test_client()
    client.get("/_login/root")
    with app.app_context():
        before = app.extensions["appgov"].policy().deadline("roster_change", dt.date(2026, 11, 20))
    assert before == dt.date(2026, 11, 25)
    response = client.post(
        "/admin/appgov_calendar_override/new/",
        data={
            "day": MONDAY.isoformat(),
            "name": "颱風停班",
            "name_en": "Typhoon day off",
            "reason": "中央氣象署颱風警報",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    with app.app_context():
        row = db.session.scalar(sa.select(CalendarOverride))
        assert (row.working, row.created_by) == (False, "root")
        policy = app.extensions["appgov"].policy()
        assert not policy.is_working_day(MONDAY)
        # TIME-2 counts past the typhoon day; the facade, CLI and page agree
        assert policy.deadline("roster_change", dt.date(2026, 11, 20)) == dt.date(2026, 11, 26)
    assert cli(app, "deadline", "roster_change", "2026-11-20").output.strip() == "2026-11-26"
    listing = cli(app, "calendar", "2026").output
    assert "2026-11-23  颱風停班" in listing
    page = client.get("/appgov/calendar/2026").get_data(as_text=True)
    assert "颱風停班" in page and "民國 115 年 11 月 23 日" in page


def test_an_extra_working_saturday_counts(intranet):
    app, db = intranet
    with app.app_context():
        db.session.add(CalendarOverride(day=dt.date(2026, 11, 21), working=True, name="補行上班"))
        db.session.commit()
        policy = app.extensions["appgov"].policy()
        assert policy.add_working_days(dt.date(2026, 11, 20), 1) == dt.date(2026, 11, 21)
        assert (dt.date(2026, 11, 21), "補行上班") in policy.calendar.make_up_days(2026)
        # removing it puts the calendar back on the next call
        db.session.execute(sa.delete(CalendarOverride))
        db.session.commit()
        policy = app.extensions["appgov"].policy()
        assert policy.add_working_days(dt.date(2026, 11, 20), 1) == dt.date(2026, 11, 23)


def test_a_second_override_for_the_same_day_is_refused_and_nothing_saved(intranet):
    app, db = intranet
    client = app.test_client()
    client.get("/_login/root")
    form = {"day": MONDAY.isoformat(), "name": "颱風停班", "name_en": "Typhoon day off"}
    client.post("/admin/appgov_calendar_override/new/", data=form)
    page = client.post(
        "/admin/appgov_calendar_override/new/",
        data={**form, "name": "again"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "資料已經存在。" in page  # the day is unique: Flask-Admin's own message
    with app.app_context():
        assert db.session.query(CalendarOverride).count() == 1


def test_database_layer_reads_once_per_policy_and_only_reloads_on_change(intranet):
    app, db = intranet
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
        app.extensions["appgov"].policy()
        sa.event.listen(engine, "before_cursor_execute", count)
        for _ in range(5):
            app.extensions["appgov"].policy().deadline("minutes", dt.date(2026, 1, 5))
        # one fingerprint query per policy, no reload while nothing changed
        assert len(statements) == 5
        db.session.add(CalendarOverride(day=MONDAY, name="颱風停班"))
        db.session.commit()
        statements.clear()
        app.extensions["appgov"].policy()
        assert len(statements) == 3  # fingerprint changed: reload overrides and changes
        sa.event.remove(engine, "before_cursor_execute", count)


def test_policy_show_prints_profile_modules_and_every_parameter(intranet):
    app, _ = intranet
    result = cli(app, "policy", "show")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "profile: kaohsiung"
    modules = lines[lines.index("hook modules (highest priority first):") + 1 :][:3]
    assert [m.strip() for m in modules] == [
        "appgov.database",
        "appgov.kaohsiung",
        "appgov.defaults",
    ]
    for name, spec in PARAMETERS.items():
        assert any(line.strip().startswith(f"{name} = ") and spec.rule in line for line in lines)
    assert '  rating_bar = "3.5"  [KH-KPI-2]  (default "3.5")' in lines


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("deadline", "lunch", "2026-01-05"), "unknown deadline kind 'lunch'"),
        (("deadline", "minutes", "2026-13-05"), "'2026-13-05' is not an ISO date"),
        (("policy", "show", "--as-of", "tomorrow"), "'tomorrow' is not an ISO date"),
        (("calendar", "1800"), "1800"),
    ],
)
def test_cli_names_bad_input(intranet, args, message):
    app, _ = intranet
    result = cli(app, *args)
    assert result.exit_code == 2 and message in result.output


def test_policy_page_lists_every_rule_parameter(intranet):
    app, _ = intranet
    client = app.test_client()
    client.get("/_login/clerk")
    page = client.get("/appgov/policy", headers={"Accept-Language": "en"}).get_data(as_text=True)
    text = visible_text(page)  # a rule of a law, in Chinese, is marked as such on this page
    for spec in PARAMETERS.values():
        assert spec.rule in text
    # hook modules read as labels (keys are for administrators): helper "rules"
    assert "Star rating to exceed" in page and "Kaohsiung City rules" in page


def test_policy_page_answers_for_a_date_and_names_a_bad_one(intranet):
    app, _ = intranet
    client = app.test_client()
    client.get("/_login/clerk")
    page = client.get("/appgov/policy?as_of=2025-06-30").get_data(as_text=True)
    assert "民國 114 年 6 月 30 日" in page
    page = client.get("/appgov/policy?as_of=114/06/30").get_data(as_text=True)  # TIME-5
    assert "民國 114 年 6 月 30 日" in page
    response = client.get("/appgov/policy?as_of=tomorrow")
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "「tomorrow」不是日期，請寫成 115/11/22（民國年）或 2026-11-22。" in text
