"""appgov discovered by the sample host through its ``casehost`` entry point, end to end."""

from __future__ import annotations

import re

import sqlalchemy as sa
from casework import ANSWERS, GROUND_FOUR, KH_ANSWERS, posted
from hosting import login

from appgov_plugin.apps.case_types import PROPOSAL, proposal_form_key
from appgov_plugin.apps.models import App
from appgov_plugin.forms.samples import TN_SELF_ASSESSMENT
from sample_host.extensions import db
from sample_host.models import Case, CaseHistory

#: Each profile files its own form (issue 9): Tainan the self-assessment (TN-EVAL-1..5, with
#: the requirements specification attached), Kaohsiung the evaluation plan (KH-EVAL-1)
_APP = {
    "app_name": "高雄好行",
    "purpose": "提供市民查詢公車、輕軌與公共自行車即時資訊並整合轉乘規劃的服務。",
    "platforms": ["ios", "android"],
    "budget": 0,  # 0 is a real answer (InputRequired, not DataRequired)
}
GOOD_PROPOSAL = {
    **ANSWERS,
    **_APP,
    "requirements_summary": "即時到站、轉乘規劃、公共自行車站點與空位查詢、推播提醒。",
}
GOOD_KH_PROPOSAL = {**KH_ANSWERS, **_APP}


def open_proposal(client, **changes) -> int:
    """Staff files the deployment's own proposal form as a browser posts it (a real file
    for the attachment)."""
    with client.application.app_context():
        kaohsiung = proposal_form_key() == "kh_evaluation_plan"
    data = posted({**(GOOD_KH_PROPOSAL if kaohsiung else GOOD_PROPOSAL), **changes})
    response = client.post(f"/cases/new/{PROPOSAL}", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return int(re.search(r"/cases/(\d+)", response.headers["Location"]).group(1))


def act(client, case_id, name, comment=""):
    return client.post(
        f"/cases/{case_id}/transition",
        data={"name": name, "comment": comment},
        follow_redirects=True,
    )


def rejected_proposal(app, client) -> int:
    """Staff files and submits a proposal, it is rejected (Kaohsiung: by the reviewer,
    KH-EVAL-1; Tainan: the center countersigns, the city government rejects, TN-EVAL-1);
    the head is logged in."""
    login(client, "staff")
    case_id = open_proposal(client)
    act(client, case_id, "submit")
    login(client, "reviewer")
    with app.app_context():
        tainan = proposal_form_key() == "tn_self_assessment"
    if tainan:
        act(client, case_id, "countersign", "與既有 App 重複，建議不予核准")
        login(client, "mayor")
        act(client, case_id, "city_reject", "與既有 App 重複")
        assert status(app, case_id) == "rejected_by_mayor"
    else:
        act(client, case_id, "reject", "與既有 App 重複")
        assert status(app, case_id) == "rejected"
    login(client, "head")
    return case_id


def status(app, case_id):
    with app.app_context():
        return db.session.get(Case, case_id).status


def test_entry_point_brings_appgov_with_its_demo_data(make_host):
    app = make_host()
    host = app.extensions["casehost"]
    assert host.pm.get_plugin("appgov") is not None
    with app.app_context():
        # the demo's first proposal (appgov's apps/demo.py), in review; the lifecycle demo's
        # apps come from approved ones
        proposal = db.session.scalar(
            sa.select(Case).where(Case.type_key == PROPOSAL).order_by(Case.id).limit(1)
        )
        # the self-assessment as shipped (version 1), with the demo's sample answers
        assert (proposal.form_key, proposal.form_version) == ("tn_self_assessment", 1)
        assert proposal.status == "in_review"
        assert db.session.query(App).count() >= 1
    client = app.test_client()
    login(client, "reviewer")
    inbox = client.get("/inbox").get_data(as_text=True)
    assert TN_SELF_ASSESSMENT["app_name"] in inbox  # the demo proposal waits for the reviewer
    assert '<a class="nav-link" href="/appgov/">App 管理</a>' in inbox  # casehost_nav_links
    for url in ("/", "/inbox", "/appgov/", "/appgov/policy", f"/cases/{proposal.id}"):
        assert client.get(url).status_code == 200, url
    login(client, "admin")
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/appgov_app/").status_code == 200


def test_proposal_form_errors_are_named_in_the_users_language(make_host):
    app = make_host()
    with app.app_context():
        demo_cases = db.session.query(Case).count()
    client = app.test_client()
    login(client, "staff")
    bad = posted({**GOOD_PROPOSAL, "open_data_first": "no", "mayor_mailbox_link": False})
    page = client.post(f"/cases/new/{PROPOSAL}", data=bad).get_data(as_text=True)
    # rule TN-EVAL-4: the self-assessment's own message
    assert "行動應用軟體應提供意見回饋功能，並與市長信箱連結。" in page
    assert "此欄位是必需的。" in page  # TN-EVAL-2: the reason is now mandatory
    client.post("/locale/en")
    bad = posted({**GOOD_PROPOSAL, "open_data_first": "no", "mayor_mailbox_link": False})
    page = client.post(f"/cases/new/{PROPOSAL}", data=bad).get_data(as_text=True)
    assert "The app must offer a feedback function linked to the mayor mailbox." in page
    assert "This field is required." in page
    with app.app_context():
        assert db.session.query(Case).count() == demo_cases  # nothing written


def test_tainan_proposal_approved_enters_the_app_registry(make_host):
    app = make_host("tainan")
    client = app.test_client()
    login(client, "staff")
    case_id = open_proposal(client)
    act(client, case_id, "submit")
    assert status(app, case_id) == "in_review"
    # rule TN-EVAL-1: the center countersigns with its opinion, the city government approves
    login(client, "reviewer")
    act(client, case_id, "countersign", "本中心同意")
    assert status(app, case_id) == "city_review"
    login(client, "mayor")
    act(client, case_id, "city_approve")
    assert status(app, case_id) == "approved"
    with app.app_context():
        app_row = db.session.scalar(sa.select(App).where(App.proposal_case_id == case_id))
        assert (app_row.name, app_row.status, app_row.agency_code) == (
            "高雄好行",
            "in_development",
            "tainan-tourism",
        )


def test_tainan_rejection_is_final_no_escalation(make_host):
    # KH-EVAL-2 is Kaohsiung's: the agency head is not offered the escalation in Tainan
    app = make_host("tainan")
    client = app.test_client()
    case_id = rejected_proposal(app, client)
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert 'value="escalate"' not in page
    refused = act(client, case_id, "escalate", "請市長核可").get_data(as_text=True)
    assert "簽請市長核可" in refused and status(app, case_id) == "rejected_by_mayor"


def test_ground_four_needs_the_agency_head_tn_eval_3(make_host):
    """TN-EVAL-3 ground (4): the owner submits to the agency head, not to review; the head
    approves it for review (a guard, not a veto: "submit" is not even offered)."""
    app = make_host()
    client = app.test_client()
    login(client, "staff")
    case_id = open_proposal(client, **GROUND_FOUR)
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert 'value="submit_to_head"' in page and 'value="submit"' not in page
    page = act(client, case_id, "submit").get_data(as_text=True)
    assert "TN-EVAL-3" in page and "機關首長" in page
    assert status(app, case_id) == "draft"
    with app.app_context():
        assert db.session.query(CaseHistory).filter_by(case_id=case_id).count() == 1  # opened
    act(client, case_id, "submit_to_head")
    assert status(app, case_id) == "head_review"
    login(client, "head")
    act(client, case_id, "head_approve")
    assert status(app, case_id) == "in_review"


def test_kaohsiung_rejection_can_go_to_the_mayor_kh_eval_2(make_host):
    app = make_host("kaohsiung")
    client = app.test_client()
    case_id = rejected_proposal(app, client)
    assert 'value="escalate"' in client.get(f"/cases/{case_id}").get_data(as_text=True)
    act(client, case_id, "escalate", "仍有開發必要，簽請市長核可")
    assert status(app, case_id) == "escalated"
    login(client, "mayor")
    act(client, case_id, "mayor_approve")
    assert status(app, case_id) == "approved"
    with app.app_context():
        steps = [
            (h.transition, h.from_state, h.to_state)
            for h in db.session.scalars(
                sa.select(CaseHistory).filter_by(case_id=case_id).order_by(CaseHistory.id)
            )
        ]
        assert steps[1:] == [
            ("submit", "draft", "in_review"),
            ("reject", "in_review", "rejected"),
            ("escalate", "rejected", "escalated"),
            ("mayor_approve", "escalated", "approved"),
        ]
        assert db.session.scalar(sa.select(App).where(App.proposal_case_id == case_id))
