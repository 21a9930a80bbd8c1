"""Improvement and marketing plans (KH-KPI-3), forced delisting (KH-KPI-4) and
``flask appgov sweep`` (issue 10, workflow 4 and "Deadlines") in the sample host, SQLite and
PostgreSQL (``database_url``).

* the authority (``reviewer`` of the app's city) records a failing year on the app's page
  and the plan opens for the agency, once; a Tainan deployment asks for no plan;
* the plan submitted waits on ``plan_review`` (14 days): the inbox and the case page show the
  due date (ROC in zh) and "Overdue" once the sweep flagged it, once;
* consecutive failing years under a profile whose ``kpi_failed_years_for_delisting`` > 0
  open a forced delisting (at once, or by the sweep), never on Tainan or with the parameter
  at 0; the authority delists (the registry records it) or keeps the app with a comment;
* the sweep twice changes nothing the second time; two sweeps at once open one case;
* each role's refusal writes nothing.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import types

import pytest
import sqlalchemy as sa
from casework import add_user, counting_queries, visible_text
from hosting import login

from appgov_plugin.apps.models import App
from appgov_plugin.clock import today
from appgov_plugin.lifecycle import cli as sweep_cli
from appgov_plugin.lifecycle.case_types import FORCED_DELISTING, IMPROVEMENT_PLAN
from appgov_plugin.lifecycle.models import (
    AppCase,
    AppEvent,
    AppYearResult,
    Deadline,
    SweepRun,
)
from appgov_plugin.notifications.models import Message
from appgov_plugin.policy import hookimpl
from sample_host.cases import TransitionRefused, apply_transition
from sample_host.extensions import db
from sample_host.models import Case, User

ZH = {"Accept-Language": "zh-TW"}
EN = {"Accept-Language": "en"}
AGENCY = "tainan-tourism"
YEAR = today().year - 1


def roc_short(day: dt.date) -> str:
    return f"{day.year - 1911}/{day.month:02d}/{day.day:02d}"


def roc_long(day: dt.date) -> str:
    return f"民國 {day.year - 1911} 年 {day.month} 月 {day.day} 日"


def new_app(name="港都公車通", status="listed", agency=AGENCY) -> int:
    app = App(
        agency_code=agency, name=name, status=status, version="1.2.0", contact_username="staff"
    )
    db.session.add(app)
    db.session.commit()
    return app.id


def _user(username: str) -> User:
    return db.session.scalar(sa.select(User).where(User.username == username))


def record(client, app_id, year=YEAR, rating=True, downloads=False, reason="", headers=EN):
    data = {"year": "" if year is None else str(year), "reason": reason}
    if rating:
        data["rating_failed"] = "y"
    if downloads:
        data["downloads_failed"] = "y"
    return client.post(f"/appgov/apps/{app_id}/year-results", data=data, headers=headers)


def cases_of(app_id, type_key) -> list[Case]:
    db.session.expire_all()
    ids = db.session.scalars(
        sa.select(AppCase.case_id).where(AppCase.app_id == app_id, AppCase.type_key == type_key)
    ).all()
    return [db.session.get(Case, case_id) for case_id in ids]


def events(app_id) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(AppEvent.kind).where(AppEvent.app_id == app_id).order_by(AppEvent.id)
        )
    )


def row_counts() -> dict[str, int]:
    """Rows of every table (host and appgov), and the flagged deadlines."""
    names = sa.inspect(db.engine).get_table_names()
    counts = {
        name: db.session.execute(sa.text(f'SELECT count(*) FROM "{name}"')).scalar_one()
        for name in names
    }
    counts["flagged"] = db.session.scalar(
        sa.select(sa.func.count(Deadline.id)).where(Deadline.overdue_at.is_not(None))
    )
    return counts


def sweep(app, as_of=None):
    args = ["appgov", "sweep"] + (["--as-of", as_of.isoformat()] if as_of else [])
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def last_run() -> SweepRun:
    db.session.expire_all()
    return db.session.scalar(sa.select(SweepRun).order_by(SweepRun.id.desc()).limit(1))


def _city_module(years: int):
    module = types.ModuleType(f"kpi_years_{years}")

    @hookimpl
    def appgov_parameter(policy, name, as_of):
        return years if name == "kpi_failed_years_for_delisting" else None

    module.appgov_parameter = appgov_parameter
    return module


@pytest.fixture
def kaohsiung(make_host):
    app = make_host("kaohsiung")
    with app.app_context():
        add_user("kh-reviewer", "reviewer", "kaohsiung-ic")
        add_user("reviewer2", "reviewer", "tainan-sdc")
    return app


# -- opening the plan ---------------------------------------------------------------------


def test_the_reviewer_records_a_failing_year_and_the_plan_opens_once(kaohsiung):
    client = kaohsiung.test_client()
    with kaohsiung.app_context():
        app_id = new_app()
    login(client, "reviewer")
    page = client.get(f"/appgov/apps/{app_id}", headers=EN).get_data(as_text=True)
    assert (
        "Yearly KPI results" in page and f"/apps/{app_id}/year-results" in page
    )  # the form is offered
    answer = record(client, app_id, rating=True, downloads=True, reason="平均星等 3.2")
    assert answer.status_code == 303
    shown = client.get(answer.headers["Location"], headers=EN).get_data(as_text=True)
    assert "Improvement and marketing plan #" in visible_text(shown)
    with kaohsiung.app_context():
        (plan,) = cases_of(app_id, IMPROVEMENT_PLAN)
        assert plan.status == "draft" and plan.owner.username == "staff"  # rule KH-KPI-3
        assert plan.data["app"] == str(app_id) and plan.data["year"] == YEAR
        assert plan.data["rating_failed"] is True and plan.data["downloads_failed"] is True
        assert plan.form_key == "improvement_marketing_plan" and plan.form_version == 2
        link = db.session.get(AppCase, plan.id)
        assert link.reason_key == f"kpi:{YEAR}"
        assert events(app_id) == ["kpi_result", "plan_opened"]
        result = db.session.scalar(sa.select(AppYearResult).where(AppYearResult.app_id == app_id))
        assert (result.year, result.passed, result.recorded_by) == (YEAR, False, "reviewer")
        # the agency's staff are told (rule KH-KPI-3)
        told = db.session.scalars(
            sa.select(Message.recipient).where(
                Message.event == "plan_opened", Message.case_id == plan.id
            )
        ).all()
        assert told == ["staff"]
        before = row_counts()
    # the same result again: nothing new (idempotent, reason kpi:<year>)
    again = record(client, app_id, rating=True, downloads=True)
    assert again.status_code == 303
    text = visible_text(client.get(again.headers["Location"], headers=EN).get_data(as_text=True))
    assert "was recorded already" in text
    with kaohsiung.app_context():
        after = row_counts()
        assert {k: v for k, v in after.items() if k != "host_case_history"} == {
            k: v for k, v in before.items() if k != "host_case_history"
        }
        assert len(cases_of(app_id, IMPROVEMENT_PLAN)) == 1
    # another result for a recorded year is refused, naming the field, nothing written
    other = record(client, app_id, rating=False, downloads=True)
    assert other.status_code == 400
    assert "already recorded" in visible_text(other.get_data(as_text=True))
    with kaohsiung.app_context():
        assert row_counts() == after
    # the staff's app page shows the result and its plan, without the form
    login(client, "staff")
    page = client.get(f"/appgov/apps/{app_id}", headers=ZH).get_data(as_text=True)
    assert f"#{plan.id}" in page and f"/apps/{app_id}/year-results" not in page


def test_a_passing_year_opens_nothing(kaohsiung):
    client = kaohsiung.test_client()
    with kaohsiung.app_context():
        app_id = new_app()
    login(client, "reviewer")
    assert record(client, app_id, rating=False, downloads=False).status_code == 303
    with kaohsiung.app_context():
        assert cases_of(app_id, IMPROVEMENT_PLAN) == []
        assert events(app_id) == ["kpi_result"]


def test_bad_input_names_the_field_and_writes_nothing(kaohsiung):
    client = kaohsiung.test_client()
    with kaohsiung.app_context():
        app_id = new_app()
        before = row_counts()
    login(client, "reviewer")
    for year, headers, expected in (
        (None, EN, "Year"),
        ("abc", EN, "Year"),
        (1999, EN, "Year"),
        (today().year + 1, EN, "Year"),
        (None, ZH, ""),  # the field's label is translated by the catalog
    ):
        answer = record(client, app_id, year=year, headers=headers)
        assert answer.status_code == 400, year
        page = answer.get_data(as_text=True)
        assert 'aria-invalid="true"' in page and expected in visible_text(page), year
    with kaohsiung.app_context():
        assert row_counts() == before


def test_tainan_asks_for_no_plan(make_host):
    app = make_host("tainan")
    client = app.test_client()
    with app.app_context():
        app_id = new_app()
        before = row_counts()
    login(client, "reviewer")
    page = client.get(f"/appgov/apps/{app_id}", headers=EN).get_data(as_text=True)
    assert "Yearly KPI results" not in page and f"/apps/{app_id}/year-results" not in page
    # rules.md "Profiles are real": KH-KPI-3 is not applied here
    assert record(client, app_id).status_code == 404
    assert client.get(f"/appgov/apps/{app_id}/year-results").status_code == 404
    with app.app_context():
        assert row_counts() == before


@pytest.mark.parametrize(
    ("username", "answer"),
    [("staff", 403), ("head", 403), ("mayor", 403), ("itdept", 403), ("kh-reviewer", 404)],
)
def test_only_the_reviewer_of_the_city_records_a_year(kaohsiung, username, answer):
    client = kaohsiung.test_client()
    with kaohsiung.app_context():
        app_id = new_app()
        before = row_counts()
    login(client, username)
    assert record(client, app_id).status_code == answer
    assert client.get(f"/appgov/apps/{app_id}/year-results").status_code == answer
    with kaohsiung.app_context():
        assert row_counts() == before


def test_another_agencys_staff_and_anonymous_visitors(kaohsiung):
    client = kaohsiung.test_client()
    with kaohsiung.app_context():
        app_id = new_app(agency="kaohsiung-tb")
        add_user("kh-staff", "agency_staff", "kaohsiung-tb")
        before = row_counts()
    assert record(client, app_id).status_code in (302, 401)  # the host's log-in
    login(client, "staff")
    assert record(client, app_id).status_code == 404  # another agency's app
    login(client, "kh-staff")
    assert record(client, app_id).status_code == 403  # own agency, wrong role
    login(client, "reviewer")
    assert record(client, app_id).status_code == 404  # another city's app
    with kaohsiung.app_context():
        assert row_counts() == before


def test_the_app_pages_queries_do_not_grow_with_its_years(kaohsiung):
    client = kaohsiung.test_client()
    with kaohsiung.app_context():
        few, many = new_app("少年度 App"), new_app("多年度 App")
        _failed_years(few, YEAR)
        _failed_years(many, *range(YEAR - 11, YEAR + 1))
    login(client, "reviewer")
    counts = []
    for app_id in (few, many):
        client.get(f"/appgov/apps/{app_id}")  # warm: the policy and forms read once
        with counting_queries(kaohsiung) as statements:
            page = client.get(f"/appgov/apps/{app_id}", headers=EN)
        assert page.status_code == 200 and "Yearly KPI results" in page.get_data(as_text=True)
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


# -- the plan's review and its deadline -----------------------------------------------------


def _opened_plan(app, client, downloads=False) -> tuple[int, int]:
    with app.app_context():
        app_id = new_app()
    login(client, "reviewer")
    assert record(client, app_id, rating=True, downloads=downloads).status_code == 303
    with app.app_context():
        (plan,) = cases_of(app_id, IMPROVEMENT_PLAN)
        return app_id, plan.id


def test_plan_submitted_on_time_then_overdue_flagged_once(kaohsiung):
    client = kaohsiung.test_client()
    app_id, plan_id = _opened_plan(kaohsiung, client)
    with kaohsiung.app_context():
        apply_transition(db.session.get(Case, plan_id), "submit", _user("staff"))
        deadline = db.session.scalar(sa.select(Deadline).where(Deadline.case_id == plan_id))
        policy = kaohsiung.extensions["appgov"].policy()
        # rule KH-KPI-3, TIME-3: 14 calendar days, moved to a working day
        assert deadline.kind == "plan_review" and deadline.started_on == today()
        assert deadline.due_on == policy.deadline("plan_review", today())
        assert deadline.due_on >= today() + dt.timedelta(days=14)
        due = deadline.due_on
        # the reviewers are told the plan is in (rule KH-KPI-3)
        told = set(
            db.session.scalars(
                sa.select(Message.recipient).where(
                    Message.event == "plan_submitted", Message.case_id == plan_id
                )
            )
        )
        assert told == {"reviewer", "reviewer2"}
    login(client, "reviewer")
    inbox = client.get("/inbox", headers=ZH).get_data(as_text=True)
    row = next(r for r in inbox.split("<tr") if f"/cases/{plan_id}" in r)
    assert roc_short(due) in row and "Overdue" not in row
    case_page = client.get(f"/cases/{plan_id}", headers=ZH).get_data(as_text=True)
    assert roc_long(due) in case_page
    # on time: the sweep on the due date flags nothing for it
    sweep(kaohsiung, due)
    with kaohsiung.app_context():
        assert plan_id not in [item["case"] for item in last_run().summary["overdue"]]
    # the day after: flagged once, the reviewers told
    output = sweep(kaohsiung, due + dt.timedelta(days=1))
    assert f"case #{plan_id} due {due.isoformat()}" in output
    with kaohsiung.app_context():
        run = last_run()
        assert plan_id in [item["case"] for item in run.summary["overdue"]]
        assert run.actor == "appgov-sweep" and run.as_of == due + dt.timedelta(days=1)
        flagged = db.session.scalar(sa.select(Deadline).where(Deadline.case_id == plan_id))
        assert flagged.overdue_at is not None
        overdue_told = set(
            db.session.scalars(
                sa.select(Message.recipient).where(
                    Message.event == "deadline_overdue", Message.case_id == plan_id
                )
            )
        )
        assert overdue_told == {"reviewer", "reviewer2"}
        before = row_counts()
    second = sweep(kaohsiung, due + dt.timedelta(days=1))
    assert "nothing to do" in second
    with kaohsiung.app_context():
        assert last_run().summary == {"overdue": [], "delisted": [], "opened": []}
        after = row_counts()
        assert after.pop("appgov_sweep_run") == before.pop("appgov_sweep_run") + 1
        assert after == before
    # the host shows it: due date and "Overdue" in words (ROC date in zh)
    for headers in (EN, ZH):
        inbox = client.get("/inbox", headers=headers).get_data(as_text=True)
        row = next(r for r in inbox.split("<tr") if f"/cases/{plan_id}" in r)
        assert 'class="text-danger"' in row
        assert (roc_short(due) if headers is ZH else due.isoformat()) in row
    page = client.get(f"/cases/{plan_id}", headers=EN).get_data(as_text=True)
    assert "Overdue" in page and due.isoformat() in page
    page = client.get(f"/cases/{plan_id}", headers=ZH).get_data(as_text=True)
    assert roc_long(due) in page and 'class="text-danger"' in page
    # the review closes the deadline; accepting tells the owner
    with kaohsiung.app_context():
        apply_transition(db.session.get(Case, plan_id), "accept", _user("reviewer"))
        assert (
            db.session.scalar(sa.select(Deadline.closed_at).where(Deadline.case_id == plan_id))
            is not None
        )
        assert (
            db.session.scalar(
                sa.select(sa.func.count(Message.id)).where(
                    Message.recipient == "staff",
                    Message.case_id == plan_id,
                    Message.event == f"{IMPROVEMENT_PLAN}_decided",
                )
            )
            == 1
        )


def test_staff_cannot_decide_its_plan(kaohsiung):
    client = kaohsiung.test_client()
    _app_id, plan_id = _opened_plan(kaohsiung, client)
    with kaohsiung.app_context():
        apply_transition(db.session.get(Case, plan_id), "submit", _user("staff"))
        for username in ("staff", "head"):
            with pytest.raises(TransitionRefused):
                apply_transition(db.session.get(Case, plan_id), "accept", _user(username))
        db.session.expire_all()
        assert db.session.get(Case, plan_id).status == "submitted"


# -- forced delisting (KH-KPI-4) ------------------------------------------------------------


def _failed_years(app_id, *years, passed=False):
    for year in years:
        db.session.add(AppYearResult(app_id=app_id, year=year, passed=passed, recorded_by="test"))
    db.session.commit()


def test_the_second_failing_year_opens_the_forced_delisting_at_once(kaohsiung):
    client = kaohsiung.test_client()
    with kaohsiung.app_context():
        app_id = new_app()
    login(client, "reviewer")
    assert record(client, app_id, year=YEAR - 1).status_code == 303
    with kaohsiung.app_context():
        assert cases_of(app_id, FORCED_DELISTING) == []  # one year is not enough
    answer = record(client, app_id, year=YEAR, downloads=True)
    assert answer.status_code == 303
    text = visible_text(client.get(answer.headers["Location"], headers=EN).get_data(as_text=True))
    assert "Forced delisting #" in text
    with kaohsiung.app_context():
        (forced,) = cases_of(app_id, FORCED_DELISTING)
        assert forced.status == "opened" and forced.owner.username == "staff"
        assert forced.data["failed_years"] == [YEAR - 1, YEAR]
        assert db.session.get(AppCase, forced.id).reason_key == f"kpi-delisting:{YEAR}"
        assert events(app_id).count("forced_delisting_opened") == 1
        assert len(cases_of(app_id, IMPROVEMENT_PLAN)) == 2  # a plan per failing year
        told = set(
            db.session.scalars(
                sa.select(Message.recipient).where(
                    Message.event == "forced_delisting_opened", Message.case_id == forced.id
                )
            )
        )
        assert told == {"staff", "head"}
    # the sweep finds nothing more to open for it
    sweep(kaohsiung)
    with kaohsiung.app_context():
        assert forced.id not in last_run().summary["opened"]
        assert len(cases_of(app_id, FORCED_DELISTING)) == 1


def test_the_sweep_opens_the_forced_delisting_once(kaohsiung):
    with kaohsiung.app_context():
        failing = new_app("連續未達標 App")
        _failed_years(failing, YEAR - 2, YEAR - 1)
        gap = new_app("中斷 App")  # 2023 and 2025 failed, 2024 not recorded: not consecutive
        _failed_years(gap, YEAR - 3, YEAR - 1)
        recovered = new_app("回升 App")
        _failed_years(recovered, YEAR - 2)
        _failed_years(recovered, YEAR - 1, passed=True)
        delisted = new_app("已下架 App", status="delisted")
        _failed_years(delisted, YEAR - 2, YEAR - 1)
        # the demo's app below the KPI (lifecycle demo) is opened by the first sweep too
        demo = db.session.scalar(sa.select(App.id).where(App.name.like("舊城導覽%")))
    output = sweep(kaohsiung)
    with kaohsiung.app_context():
        opened = last_run().summary["opened"]
        (forced,) = cases_of(failing, FORCED_DELISTING)
        assert sorted(opened) == sorted(
            [forced.id, *[c.id for c in cases_of(demo, FORCED_DELISTING)]]
        )
        assert f"case #{forced.id}" in output
        for other in (gap, recovered, delisted):
            assert cases_of(other, FORCED_DELISTING) == []
        event = db.session.scalar(
            sa.select(AppEvent).where(
                AppEvent.app_id == failing, AppEvent.kind == "forced_delisting_opened"
            )
        )
        assert event.actor == "appgov-sweep" and event.case_id == forced.id
        assert event.details == {"years": [YEAR - 2, YEAR - 1]}
        before = row_counts()
    assert "nothing to do" in sweep(kaohsiung)
    with kaohsiung.app_context():
        assert last_run().summary == {"overdue": [], "delisted": [], "opened": []}
        after = row_counts()
        assert after.pop("appgov_sweep_run") == before.pop("appgov_sweep_run") + 1
        assert after == before


@pytest.mark.parametrize("setting", ["tainan", "zero"])
def test_no_forced_delisting_on_tainan_or_with_the_parameter_at_zero(sample_host_factory, setting):
    if setting == "tainan":
        app = sample_host_factory(APPGOV_PROFILE="tainan")
    else:
        app = sample_host_factory(
            APPGOV_PROFILE="kaohsiung", APPGOV_POLICY_MODULES=(_city_module(0),)
        )
    with app.app_context():
        app_id = new_app()
        _failed_years(app_id, YEAR - 3, YEAR - 2, YEAR - 1)
    sweep(app)
    with app.app_context():
        assert last_run().summary["opened"] == []
        assert (
            db.session.scalar(
                sa.select(sa.func.count(AppCase.case_id)).where(
                    AppCase.type_key == FORCED_DELISTING
                )
            )
            == 0
        )


def test_three_years_when_the_parameter_says_three(sample_host_factory):
    app = sample_host_factory(APPGOV_PROFILE="kaohsiung", APPGOV_POLICY_MODULES=(_city_module(3),))
    with app.app_context():
        app_id = new_app()
        _failed_years(app_id, YEAR - 2, YEAR - 1)
    sweep(app)
    with app.app_context():
        assert cases_of(app_id, FORCED_DELISTING) == []
        _failed_years(app_id, YEAR - 3)
    sweep(app)
    with app.app_context():
        (forced,) = cases_of(app_id, FORCED_DELISTING)
        assert forced.data["failed_years"] == [YEAR - 3, YEAR - 2, YEAR - 1]


def _forced_case(app) -> tuple[int, int]:
    with app.app_context():
        app_id = new_app()
        _failed_years(app_id, YEAR - 2, YEAR - 1)
    sweep(app)
    with app.app_context():
        (forced,) = cases_of(app_id, FORCED_DELISTING)
        return app_id, forced.id


def _act(client, case_id, name, comment=""):
    with client.application.app_context():
        shown = db.session.get(Case, case_id).status
    answer = client.post(
        f"/cases/{case_id}/transition",
        data={"name": name, "comment": comment, "state": shown},
        headers=EN,
    )
    return answer, visible_text(answer.get_data(as_text=True))


def test_the_agency_states_its_view_and_the_reviewer_delists(kaohsiung):
    app_id, case_id = _forced_case(kaohsiung)
    client = kaohsiung.test_client()
    # opened for the agency by the rule, not its draft (Workflow.private_drafts=False): the
    # authority reads it, and could decide it, from the start
    login(client, "reviewer")
    page = client.get(f"/cases/{case_id}", headers=EN)
    assert page.status_code == 200 and 'value="delist"' in page.get_data(as_text=True)
    login(client, "staff")
    answer, _text = _act(client, case_id, "respond")
    assert answer.status_code == 302
    # only the reviewer (of the app's city) decides
    for username in ("staff", "head", "mayor", "kh-reviewer"):
        login(client, username)
        answer, _text = _act(client, case_id, "delist")
        assert answer.status_code in (200, 403, 404), username
        with kaohsiung.app_context():
            db.session.expire_all()
            assert db.session.get(Case, case_id).status == "responded", username
            assert db.session.get(App, app_id).status == "listed", username
    login(client, "reviewer")
    answer, _text = _act(client, case_id, "delist")
    assert answer.status_code == 302
    with kaohsiung.app_context():
        db.session.expire_all()
        assert db.session.get(Case, case_id).status == "delisted"
        app = db.session.get(App, app_id)
        assert app.status == "delisted"  # rule KH-KPI-4
        event = db.session.scalar(
            sa.select(AppEvent).where(AppEvent.app_id == app_id, AppEvent.kind == "delisted")
        )
        assert (event.from_status, event.to_status, event.actor, event.case_id) == (
            "listed",
            "delisted",
            "reviewer",
            case_id,
        )
        assert event.reason.startswith("KH-KPI-4")
        assert (
            db.session.scalar(
                sa.select(sa.func.count(Message.id)).where(
                    Message.recipient == "staff",
                    Message.case_id == case_id,
                    Message.event == f"{FORCED_DELISTING}_decided",
                )
            )
            == 1
        )
    # the app page's history shows it
    page = client.get(f"/appgov/apps/{app_id}", headers=EN).get_data(as_text=True)
    assert "KH-KPI-4" in page and f"#{case_id}" in page


def test_the_reviewer_keeps_the_app_with_a_comment(kaohsiung):
    app_id, case_id = _forced_case(kaohsiung)
    client = kaohsiung.test_client()
    login(client, "staff")
    assert _act(client, case_id, "respond")[0].status_code == 302
    login(client, "reviewer")
    answer, text = _act(client, case_id, "keep")
    assert answer.status_code == 200 and "comment" in text.lower()
    with kaohsiung.app_context():
        db.session.expire_all()
        assert db.session.get(Case, case_id).status == "responded"
    answer, _text = _act(client, case_id, "keep", "機關已提出具體改善成效，本年度再觀察。")
    assert answer.status_code == 302
    with kaohsiung.app_context():
        db.session.expire_all()
        assert db.session.get(Case, case_id).status == "kept"
        assert db.session.get(App, app_id).status == "listed"
        assert "delisted" not in events(app_id)
    # kept: the same run of years never opens another one
    sweep(kaohsiung)
    with kaohsiung.app_context():
        assert len(cases_of(app_id, FORCED_DELISTING)) == 1


def test_no_manual_filing_of_a_forced_delisting(kaohsiung):
    client = kaohsiung.test_client()
    login(client, "staff")
    assert client.get(f"/cases/new/{FORCED_DELISTING}").status_code == 404


# -- the demo and races ---------------------------------------------------------------------


def test_the_demo_has_a_plan_on_time_one_overdue_and_a_forced_delisting_for_the_sweep(
    kaohsiung,
):
    with kaohsiung.app_context():
        plans = db.session.scalars(
            sa.select(Case).where(Case.type_key == IMPROVEMENT_PLAN).order_by(Case.id)
        ).all()
        assert [p.status for p in plans] == ["submitted", "submitted"]
        due = {
            p.id: db.session.scalar(
                sa.select(Deadline).where(Deadline.case_id == p.id, Deadline.closed_at.is_(None))
            ).due_on
            for p in plans
        }
        on_time, late = plans
        assert due[on_time.id] >= today() and due[late.id] < today()
        assert (
            db.session.scalar(
                sa.select(sa.func.count(AppCase.case_id)).where(
                    AppCase.type_key == FORCED_DELISTING
                )
            )
            == 0
        )
    output = sweep(kaohsiung)
    assert f"case #{late.id}" in output
    with kaohsiung.app_context():
        assert len(last_run().summary["opened"]) == 1


def test_two_sweeps_at_once_open_one_case(kaohsiung, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("row locks: PostgreSQL")
    for _attempt in range(5):
        with kaohsiung.app_context():
            app_id = new_app(f"並行 App {_attempt}")
            _failed_years(app_id, YEAR - 2, YEAR - 1)
        barrier = threading.Barrier(2)
        errors, opened = [], []

        def run(barrier=barrier, errors=errors, opened=opened):
            try:
                with kaohsiung.app_context():
                    barrier.wait(timeout=10)
                    opened.extend(sweep_cli.sweep().opened)
            except Exception as error:  # pragma: no cover - reported below
                errors.append(error)

        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert errors == []
        with kaohsiung.app_context():
            cases = cases_of(app_id, FORCED_DELISTING)
            assert len(cases) == 1
            assert cases[0].id in opened
            assert events(app_id).count("forced_delisting_opened") == 1


def test_the_sweep_refuses_a_bad_date(kaohsiung):
    result = kaohsiung.test_cli_runner().invoke(args=["appgov", "sweep", "--as-of", "2025-13-01"])
    assert result.exit_code != 0 and "--as-of" in result.output or "ISO date" in result.output
    with kaohsiung.app_context():
        assert db.session.scalar(sa.select(sa.func.count(SweepRun.id))) == 0


def test_case_ids_are_named_in_the_output(kaohsiung):
    output = sweep(kaohsiung)
    assert re.search(r"^sweep as of \d{4}-\d{2}-\d{2}$", output, re.M)
    assert re.search(r"^sweep run #\d+ recorded", output, re.M)
