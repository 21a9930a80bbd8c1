"""Delisting (issue 10, workflow 3): the delisting application of TN-DEL-1..3 on the host's
case engine, the scheduled delisting, and the authority's own actions on the app page
(KH-SEC-1 security takedown, KH-EVAL-3 stop and delist, TN-DEL-3 portal announcement), with
a refusal per role. SQLite and PostgreSQL (``database_url``)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa
from casework import add_user, visible_text
from form_samples import formdata
from hosting import login

from appgov_plugin.apps.models import App
from appgov_plugin.clock import today
from appgov_plugin.forms import store
from appgov_plugin.forms.samples import DELISTING
from appgov_plugin.lifecycle import delisting
from appgov_plugin.lifecycle.case_types import DELISTING as DELISTING_TYPE
from appgov_plugin.lifecycle.models import AppEvent
from appgov_plugin.notifications.models import Message
from appgov_plugin.policy.calendar import add_months
from sample_host.cases import open_case
from sample_host.extensions import db
from sample_host.models import Case

ZH = {"Accept-Language": "zh-TW"}
EN = {"Accept-Language": "en"}
AGENCY = "tainan-tourism"
NEW_CASE = f"/cases/new/{DELISTING_TYPE}"


def login_as(client, username, locale="en"):
    """Log in and choose the language (the host keeps the user's choice)."""
    login(client, username)
    client.post(f"/locale/{locale}")


def roc(day: dt.date) -> str:
    return f"民國 {day.year - 1911} 年 {day.month} 月 {day.day} 日"


def new_app(name="府城旅遊導覽", status="listed", agency=AGENCY, approved=True) -> int:
    """An app of ``agency`` (approved: entered through a proposal, KH-EVAL-1/TN-EVAL-1)."""
    app = App(
        agency_code=agency,
        name=name,
        status=status,
        version="1.2.0" if status != "in_development" else None,
        contact_username="staff",
        proposal_case_id=(db.session.scalar(sa.select(sa.func.count(App.id))) + 9000)
        if approved
        else None,
    )
    db.session.add(app)
    db.session.commit()
    return app.id


def permanent(app_id, announced, delist_on, **changes) -> dict:
    """The delisting application's answers for a permanent delisting (as a case stores
    them)."""
    answers = {
        **DELISTING,
        "app": str(app_id),
        "app_name": "府城旅遊導覽",
        "announced_on": announced.isoformat(),
        "delist_on": delist_on.isoformat(),
    }
    answers.update(changes)
    return {k: v for k, v in answers.items() if v is not None}


def short_term(app_id, delist_on) -> dict:
    return {
        "app": str(app_id),
        "app_name": "府城旅遊導覽",
        "platforms": ["android"],
        "takedown_kind": "short_term",
        "grounds": "backend_retired",
        "evaluation": "後端主機汰換期間暫停服務，預計兩週後恢復上架。",
        "delist_on": delist_on.isoformat(),
        "short_term_until": (delist_on + dt.timedelta(days=14)).isoformat(),
    }


def filed(answers, steps=("submit",)) -> int:
    """A delisting application opened by ``staff`` through the host's engine (the full
    checks and hooks of every step); committed."""
    case = open_case(DELISTING_TYPE, AGENCY, "staff", answers, steps)
    db.session.commit()
    return case.id


def delisting_cases() -> int:
    return db.session.scalar(
        sa.select(sa.func.count(Case.id)).where(Case.type_key == DELISTING_TYPE)
    )


def step(client, case_id, name, comment="") -> str:
    state = db.session.get(Case, case_id).status
    response = client.post(
        f"/cases/{case_id}/transition",
        data={"name": name, "comment": comment, "state": state},
    )
    assert response.status_code in (200, 302), response.status_code
    return "" if response.status_code == 302 else visible_text(response.get_data(as_text=True))


def app_row(app_id) -> App:
    db.session.expire_all()
    return db.session.get(App, app_id)


def events(app_id, kind=None) -> list[AppEvent]:
    db.session.expire_all()
    query = sa.select(AppEvent).where(AppEvent.app_id == app_id).order_by(AppEvent.id)
    if kind:
        query = query.where(AppEvent.kind == kind)
    return list(db.session.scalars(query))


def status_of(case_id) -> str:
    db.session.expire_all()
    return db.session.get(Case, case_id).status


@pytest.fixture
def tainan(make_host):
    app = make_host("tainan")
    with app.app_context():
        yield app


@pytest.fixture
def kaohsiung(make_host):
    app = make_host("kaohsiung")
    with app.app_context():
        yield app


# -- the delisting application ------------------------------------------------------------


def test_delisting_with_the_notice_respected_records_the_source_code_decision(tainan):
    # rule TN-DEL-2: announced 40 days ago, delisted today; TN-DEL-3: not opened, the
    # reason and the agency head's approval date kept
    app_id = new_app()
    day = today()
    case_id = filed(permanent(app_id, day - dt.timedelta(days=40), day))
    assert status_of(case_id) == "submitted"
    reviewer = tainan.test_client()
    login_as(reviewer, "reviewer")
    assert step(reviewer, case_id, "accept") == ""
    assert status_of(case_id) == "accepted"
    app = app_row(app_id)
    assert (app.status, app.delist_on) == ("delisted", None)
    (event,) = events(app_id, "delisted")
    assert (event.actor, event.case_id, event.from_status) == ("reviewer", case_id, "listed")
    assert event.details["grounds"] == "event_ended"
    assert event.details["source_code"] == {
        "open": False,
        "reason": DELISTING["not_open_reason"],
        "approved_on": DELISTING["not_open_approved_on"],
    }
    # the agency is told (appgov_plugin.notifications): its staff, not the reviewer
    told = db.session.scalars(sa.select(Message.recipient).where(Message.app_id == app_id))
    assert set(told) == {"staff"}


def test_an_opened_source_code_keeps_its_licence(tainan):
    app_id = new_app()
    day = today()
    answers = permanent(
        app_id,
        day - dt.timedelta(days=40),
        day,
        open_source="open",
        open_source_license="MIT",
        not_open_reason=None,
        not_open_approved=None,
        not_open_approved_on=None,
    )
    filed(answers, ("submit", "accept"))
    (event,) = events(app_id, "delisted")
    assert event.details["source_code"] == {"open": True, "license": "MIT"}  # rule TN-DEL-3


@pytest.mark.parametrize("locale", ["zh_Hant_TW", "en"])
def test_too_early_is_refused_naming_the_field_and_the_earliest_date(tainan, locale):
    # rule TN-DEL-2, TIME-4: one calendar month after the notice; the form refuses it when
    # filed, the workflow when a stored case is submitted (nothing changes)
    app_id = new_app()
    announced = today() - dt.timedelta(days=3)
    earliest = add_months(announced, 1)
    too_early = earliest - dt.timedelta(days=1)
    staff = tainan.test_client()
    login_as(staff, "staff", locale)
    with tainan.test_request_context():
        definition = store.live("delisting_application")
    before = delisting_cases()
    answers = permanent(app_id, announced, too_early)
    answers.pop("app_name")
    page = staff.post(NEW_CASE, data=formdata(definition, answers))
    assert page.status_code == 200
    text = visible_text(page.get_data(as_text=True))
    shown = roc(earliest) if locale == "zh_Hant_TW" else earliest.isoformat()
    assert shown in text
    assert delisting_cases() == before

    case_id = filed(permanent(app_id, announced, too_early), steps=())
    text = step(staff, case_id, "submit")
    if locale == "zh_Hant_TW":  # the ROC date (TIME-5); the label as the catalog has it
        assert roc(earliest) in text and roc(announced) in text
        assert "預定下架日期" in text or "Planned delisting date" in text
    else:
        assert (
            "“Planned delisting date”: the earliest delisting date is " + earliest.isoformat()
            in text
        )
    assert status_of(case_id) == "draft"
    assert events(app_id) == []


def test_ground_five_needs_no_notice(tainan):
    # rule TN-DEL-2: a severe defect not fixable within a week (TN-DEL-1 (5))
    app_id = new_app()
    day = today()
    filed(permanent(app_id, day, day, grounds="severe_defect"), ("submit", "accept"))
    assert app_row(app_id).status == "delisted"


def test_a_short_term_takedown_needs_no_notice_and_suspends(tainan):
    # rule TN-DEL-2: a special short-term takedown; the app is taken down, not delisted
    app_id = new_app()
    case_id = filed(short_term(app_id, today()), ("submit", "accept"))
    app = app_row(app_id)
    assert (app.status, app.security_takedown) == ("suspended", False)
    (event,) = events(app_id, "taken_down")
    assert event.case_id == case_id
    assert event.details["short_term_until"] == (today() + dt.timedelta(days=14)).isoformat()


def test_a_scheduled_delisting_is_applied_once(tainan):
    # rule TN-DEL-2: accepted before its date, it waits; the sweep applies it once
    app_id = new_app()
    day = today()
    later = day + dt.timedelta(days=10)
    case_id = filed(permanent(app_id, day - dt.timedelta(days=40), later), ("submit", "accept"))
    app = app_row(app_id)
    assert (app.status, app.delist_on) == ("listed", later)
    assert [e.kind for e in events(app_id)] == ["delisting_scheduled"]
    with tainan.test_request_context():
        assert delisting.apply_scheduled(later - dt.timedelta(days=1)) == []
        db.session.commit()
        assert delisting.apply_scheduled(later) == [app_id]
        db.session.commit()
        assert delisting.apply_scheduled(later + dt.timedelta(days=5)) == []  # idempotent
        db.session.commit()
    app = app_row(app_id)
    assert (app.status, app.delist_on) == ("delisted", None)
    (event,) = events(app_id, "delisted")
    assert (event.actor, event.case_id) == ("appgov-sweep", case_id)
    assert event.details["source_code"]["open"] is False  # rule TN-DEL-3 carried over
    assert len(events(app_id)) == 2


def test_ground_eight_needs_the_heads_approval(tainan):
    # rule TN-DEL-1 (8)
    app_id = new_app()
    day = today()
    answers = permanent(
        app_id,
        day - dt.timedelta(days=40),
        day,
        grounds="other",
        grounds_other="配合市府政策整併。",
        grounds_head_approved=False,
    )
    case_id = filed(answers, steps=())
    staff = tainan.test_client()
    login_as(staff, "staff")
    text = step(staff, case_id, "submit")
    assert "“Approved by the agency head”" in text
    assert status_of(case_id) == "draft"


def test_an_app_not_in_the_stores_is_refused(tainan):
    app_id = new_app(status="delisted")
    day = today()
    case_id = filed(permanent(app_id, day - dt.timedelta(days=40), day), steps=())
    staff = tainan.test_client()
    login_as(staff, "staff")
    assert "cannot be delisted" in step(staff, case_id, "submit")
    assert status_of(case_id) == "draft"


def test_staff_of_another_agency_cannot_choose_the_app(tainan):
    app_id = new_app()
    add_user("secretary", "agency_staff", "tainan-secretariat")
    other = tainan.test_client()
    login_as(other, "secretary")
    with tainan.test_request_context():
        definition = store.live("delisting_application")
    day = today()
    answers = permanent(app_id, day - dt.timedelta(days=40), day)
    answers.pop("app_name")
    page = other.get(f"{NEW_CASE}?app={app_id}")
    assert f'value="{app_id}"' not in page.get_data(as_text=True)
    before = delisting_cases()
    refused = other.post(NEW_CASE, data=formdata(definition, answers))
    assert refused.status_code == 200
    assert "Choose one of the apps listed" in refused.get_data(as_text=True)
    assert delisting_cases() == before
    assert other.get(f"/appgov/apps/{app_id}").status_code == 404


def test_the_form_is_version_two_and_files_the_chosen_app(tainan):
    app_id = new_app()
    staff = tainan.test_client()
    login_as(staff, "staff")
    page = staff.get(f"{NEW_CASE}?app={app_id}").get_data(as_text=True)
    assert re.search(rf'<option selected value="{app_id}"|<option value="{app_id}" selected', page)
    with tainan.test_request_context():
        definition = store.live("delisting_application")
    day = today()
    answers = permanent(app_id, day - dt.timedelta(days=40), day)
    answers.pop("app_name")
    response = staff.post(NEW_CASE, data=formdata(definition, answers))
    assert response.status_code == 302
    case_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    case = db.session.get(Case, case_id)
    assert (case.form_version, case.data["app"], case.data["app_name"]) == (
        2,
        str(app_id),
        "府城旅遊導覽",
    )


def test_only_the_reviewer_decides_the_case(tainan):
    app_id = new_app()
    day = today()
    case_id = filed(permanent(app_id, day - dt.timedelta(days=40), day))
    for username in ("staff", "head", "helpdesk"):
        client = tainan.test_client()
        login_as(client, username)
        client.post(f"/cases/{case_id}/transition", data={"name": "accept", "state": "submitted"})
        assert status_of(case_id) == "submitted", username
    assert app_row(app_id).status == "listed"
    assert events(app_id) == []


# -- the authority's actions on the app page ----------------------------------------------


def act(client, app_id, key, **fields):
    data = {f"{key}-{name}": value for name, value in fields.items()}
    return client.post(f"/appgov/apps/{app_id}/authority/{key}", data=data)


def test_security_takedown_suspends_with_the_flag(tainan):
    # rule KH-SEC-1 (3): the relisting will need a security test report
    app_id = new_app()
    reviewer = tainan.test_client()
    login_as(reviewer, "reviewer")
    page = reviewer.get(f"/appgov/apps/{app_id}").get_data(as_text=True)
    assert "Take down for a security risk" in page and 'name="security_takedown-reason"' in page
    response = act(reviewer, app_id, "security_takedown", reason="發現個資外洩漏洞。")
    assert response.status_code == 302
    app = app_row(app_id)
    assert (app.status, app.security_takedown) == ("suspended", True)
    (event,) = events(app_id, "taken_down")
    assert (event.actor, event.reason) == ("reviewer", "發現個資外洩漏洞。")
    assert set(
        db.session.scalars(sa.select(Message.recipient).where(Message.app_id == app_id))
    ) == {"staff"}
    # a second takedown: the app is not listed any more, nothing written
    again = act(reviewer, app_id, "security_takedown", reason="再次下架。")
    assert again.status_code == 409
    assert "Only a listed app can be taken down" in again.get_data(as_text=True)
    assert len(events(app_id)) == 1


def test_a_reason_is_mandatory(tainan):
    app_id = new_app()
    reviewer = tainan.test_client()
    login_as(reviewer, "reviewer")
    response = act(reviewer, app_id, "security_takedown", reason="   ")
    assert response.status_code == 400
    assert 'id="security_takedown-reason-error"' in response.get_data(as_text=True)
    assert app_row(app_id).status == "listed"
    assert events(app_id) == []


def test_portal_announcement_of_a_delisted_app(tainan):
    # rule TN-DEL-3: date and web address of the portal's announcement, once
    app_id = new_app()
    day = today()
    filed(permanent(app_id, day - dt.timedelta(days=40), day), ("submit", "accept"))
    reviewer = tainan.test_client()
    login_as(reviewer, "reviewer")
    bad = act(
        reviewer,
        app_id,
        "portal_announcement",
        reason="公告",
        announced_on="115/12/01",
        address="javascript:alert(1)",
    )
    assert bad.status_code == 400
    assert "Enter a web address starting with https://" in bad.get_data(as_text=True)
    assert events(app_id, "portal_announced") == []
    address = "https://app.tainan.gov.tw/news/123"
    done = act(
        reviewer,
        app_id,
        "portal_announcement",
        reason="入口網公告終止服務",
        announced_on=day.isoformat(),
        address=address,
    )
    assert done.status_code == 302
    (event,) = events(app_id, "portal_announced")
    assert event.details["announced_on"] == day.isoformat()
    assert event.details["address"] == address
    assert event.actor == "reviewer"
    again = act(
        reviewer,
        app_id,
        "portal_announcement",
        reason="再次",
        announced_on=day.isoformat(),
        address=address,
    )
    assert again.status_code == 409
    assert len(events(app_id, "portal_announced")) == 1


def test_portal_announcement_only_for_a_delisted_app(tainan):
    app_id = new_app()
    reviewer = tainan.test_client()
    login_as(reviewer, "reviewer")
    response = act(
        reviewer,
        app_id,
        "portal_announcement",
        reason="公告",
        announced_on=today().isoformat(),
        address="https://app.tainan.gov.tw/n/1",
    )
    assert response.status_code == 409
    assert "delisted app only" in response.get_data(as_text=True)
    assert events(app_id) == []


def test_kh_eval_3_stop_and_delist_an_app_without_approval(kaohsiung):
    # rule KH-EVAL-3: developed or listed without approval: stopped, or delisted
    developing = new_app("未核准開發中", status="in_development", approved=False)
    listed = new_app("未核准已上架", approved=False)
    approved = new_app("已核准上架")
    reviewer = kaohsiung.test_client()
    login_as(reviewer, "reviewer")
    assert (
        act(reviewer, developing, "stop_development", reason="未經核准即開發。").status_code == 302
    )
    assert app_row(developing).status == "stopped"
    assert act(reviewer, listed, "delist_unapproved", reason="未經核准即上架。").status_code == 302
    assert app_row(listed).status == "delisted"
    (event,) = events(listed, "delisted")
    assert (event.actor, event.reason, event.details["rule"]) == (
        "reviewer",
        "未經核准即上架。",
        "KH-EVAL-3",
    )
    refused = act(reviewer, approved, "delist_unapproved", reason="試試看。")
    assert refused.status_code == 409
    assert "delisting case" in refused.get_data(as_text=True)
    assert app_row(approved).status == "listed" and events(approved) == []
    page = reviewer.get(f"/appgov/apps/{approved}").get_data(as_text=True)
    assert "Delist (KH-EVAL-3)" not in page and "Take down for a security risk" in page


def test_kh_eval_3_is_not_offered_where_it_does_not_apply(tainan):
    # "profiles are real": Tainan does not apply KH-EVAL-3
    listed = new_app("未核准已上架", approved=False)
    reviewer = tainan.test_client()
    login_as(reviewer, "reviewer")
    assert "Delist (KH-EVAL-3)" not in reviewer.get(f"/appgov/apps/{listed}").text
    assert act(reviewer, listed, "delist_unapproved", reason="x").status_code == 404
    assert app_row(listed).status == "listed"


@pytest.mark.parametrize(
    ("username", "role", "agency", "expected"),
    [
        ("staff", None, None, 403),
        ("head", None, None, 403),
        ("helpdesk", None, None, 403),
        ("admin", None, None, 403),
        ("khreviewer", "reviewer", "kaohsiung-ic", 404),
        ("secretary", "agency_staff", "tainan-secretariat", 404),
    ],
)
def test_the_actions_are_the_authoritys_of_the_city(tainan, username, role, agency, expected):
    app_id = new_app()
    if role:
        add_user(username, role, agency)
    client = tainan.test_client()
    login_as(client, username)
    page = client.get(f"/appgov/apps/{app_id}")
    assert "authority-actions" not in page.get_data(as_text=True)
    assert act(client, app_id, "security_takedown", reason="x").status_code == expected
    assert act(client, app_id + 999, "security_takedown", reason="x").status_code in (403, 404)
    assert app_row(app_id).status == "listed"
    assert events(app_id) == []


def test_an_action_without_its_csrf_token_writes_nothing(sample_host_factory):
    app = sample_host_factory(APPGOV_PROFILE="tainan", WTF_CSRF_ENABLED=True)
    with app.app_context():
        app_id = new_app()
        reviewer = app.test_client()
        page = reviewer.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        token = token or re.search(r'value="([^"]+)"[^>]*name="csrf_token"', page)
        reviewer.post(
            "/login",
            data={
                "username": "reviewer",
                "password": "demo-reviewer",
                "csrf_token": token.group(1),
            },
        )
        response = act(reviewer, app_id, "security_takedown", reason="沒有權杖。")
        assert response.status_code == 400
        assert app_row(app_id).status == "listed"
        page = reviewer.get(f"/appgov/apps/{app_id}").get_data(as_text=True)
        token = re.search(r'name="security_takedown-csrf_token"[^>]*value="([^"]+)"', page)
        token = token or re.search(r'value="([^"]+)"[^>]*name="security_takedown-csrf_token"', page)
        ok = reviewer.post(
            f"/appgov/apps/{app_id}/authority/security_takedown",
            data={
                "security_takedown-csrf_token": token.group(1),
                "security_takedown-reason": "有權杖。",
            },
        )
        assert ok.status_code == 302
        assert app_row(app_id).status == "suspended"


def test_the_demo_files_a_delisting_and_a_short_term_takedown(tainan):
    cases = db.session.scalars(sa.select(Case).where(Case.type_key == DELISTING_TYPE)).all()
    kinds = sorted(c.data["takedown_kind"] for c in cases)
    assert kinds == ["permanent", "short_term"]
    assert all(c.status == "submitted" for c in cases)
    unapproved = db.session.scalars(sa.select(App).where(App.name.like("%未經核准%"))).all()
    assert [a.proposal_case_id for a in unapproved] == [None]
