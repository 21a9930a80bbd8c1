"""Roles and scope (issue 8), in the sample host with the real appgov plug-in, on SQLite and
PostgreSQL: each role reads and acts exactly as the role-scope table says (README, "Who
reads what"), city-wide roles for the agencies of their own city only; separation of duties
(whoever opened or submitted a case never decides it, even after a change of role); an
unreadable case answers like a missing one on every case route; appgov's admin views follow
the host's own admin rule.

The table (sample_host/cases.py, ``readable_by``; appgov_plugin/access.py):

=================  =====================================================================
role               reads
=================  =====================================================================
owner              their own cases, drafts included
agency_staff/head  their agency's cases (not other people's drafts), their agency's apps
reviewer, mayor    their city's cases that are or were in a state where the role acts
it_department      every submitted case of their city, answers included
helpdesk           every submitted case of their city, status and steps only (no answers)
sysadmin           everything
no agency          (a city-wide role) nothing through the role: no agency, no city
=================  =====================================================================
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from casework import (
    GROUND_FOUR,
    add_user,
    history,
    linked_case_ids,
    new_proposal,
    status,
    visible_text,
)
from hosting import login
from intranet import make_intranet

from appgov_plugin import migrations
from appgov_plugin.apps.case_types import PROPOSAL
from appgov_plugin.apps.models import App
from appgov_plugin.state import get_state
from sample_host.cases import TransitionRefused, apply_transition, edit_case
from sample_host.demo import AGENCIES, USERS
from sample_host.extensions import db
from sample_host.models import Agency, Case, User

BUDGET = "3,200,000"  # the proposals' budget as the case page shows it (casework.ANSWERS)
APP_NAME = "府城好停車"  # casework.ANSWERS' app name
KS_APP_NAME = "高雄好停車"  # the Kaohsiung proposals'
#: the case types of the demo cases of Tainan's profile (appgov's demo.py files: proposals,
#: listing checklists, delisting applications, a self-check), each with the answer of its own
#: that a reader of the answers sees (the test's own proposals': BUDGET)
DEMO_ANSWER = {
    PROPOSAL: lambda data: f"{data['budget']:,}",
    "appgov_listing_checklist": lambda data: data["description"],
    "appgov_delisting_application": lambda data: data["evaluation"],
    "appgov_self_check": lambda data: data["handling"],
}
#: the test's own proposals' app names (their summaries); the demo cases' come from their data
NAMES = (APP_NAME, KS_APP_NAME)


def waiting(client) -> set[int]:
    """The cases in the inbox's "Waiting for you" section (not "Cases you opened")."""
    inbox = client.get("/inbox").text
    return linked_case_ids(inbox.split("待您處理", 1)[1].split("您提出的案件", 1)[0])


RETURN_COMMENT = "請補充預算編列依據"


def _user(username: str) -> User:
    return db.session.scalar(sa.select(User).where(User.username == username))


def _move(username: str, *, role: str | None = None, agency: str | None = None) -> None:
    """A change of role or agency, as an administrator would make it."""
    user = _user(username)
    if role is not None:
        user.role = role
    if agency is not None:
        user.agency = db.session.scalar(sa.select(Agency).where(Agency.code == agency))
    db.session.commit()


# -- the demo data ----------------------------------------------------------------------


def test_every_city_wide_demo_user_has_an_agency_of_the_demo_city():
    """A city-wide role acts for its agency's city: a demo mayor without an agency would
    read nothing (and was the hole: no city, so every city)."""
    cities = {code: city for code, _zh, _en, city in AGENCIES}
    for username, _name, role, agency in USERS:
        if role == "sysadmin":
            assert agency is None, username  # the deployment's administrator, every city
        else:
            assert cities[agency] == "tainan", username


# -- a world of two cities ---------------------------------------------------------------


@pytest.fixture
def world(make_host):
    """Tainan (the demo users) and Kaohsiung (ks-*): drafts, cases in review, approved,
    returned with a comment, in both cities; one app per city in the registry."""
    app = make_host("tainan")
    with app.app_context():
        add_user("ks", "agency_staff", "kaohsiung-tb")
        add_user("ks-head", "agency_head", "kaohsiung-tb")
        add_user("ks-reviewer", "reviewer", "kaohsiung-ic")
        add_user("ks-mayor", "mayor", "kaohsiung-ic")
        add_user("ks-itdept", "it_department", "kaohsiung-ic")
        add_user("ks-helpdesk", "helpdesk", "kaohsiung-ic")
        add_user("nowhere", "reviewer", None)  # a city-wide role without an agency
        # the demo's cases: all opened by the tourism bureau's staff, every appgov case type
        demo = db.session.scalars(sa.select(Case).order_by(Case.id)).all()
        assert {c.type_key for c in demo} == set(DEMO_ANSWER)
        assert {(c.agency.code, c.owner.username) for c in demo} == {("tainan-tourism", "staff")}
        ids = {f"demo-{c.id}": c.id for c in demo}
        # "demo": the demo's proposal in review
        ids["demo"] = next(c.id for c in demo if c.type_key == PROPOSAL and c.status == "in_review")
        ids["tn_draft"] = new_proposal()
        ids["tn_review"] = new_proposal(steps=("submit",))
        # rule TN-EVAL-1: the center countersigns, the city government approves
        ids["tn_approved"] = new_proposal(
            steps=("submit", "countersign", "city_approve"), actors=("staff", "reviewer", "mayor")
        )
        ids["tn_returned"] = new_proposal(steps=("submit",))
        apply_transition(
            db.session.get(Case, ids["tn_returned"]), "return", _user("reviewer"), RETURN_COMMENT
        )
        ids["ks_draft"] = new_proposal("ks", "kaohsiung-tb", app_name=KS_APP_NAME)
        ids["ks_review"] = new_proposal(
            "ks", "kaohsiung-tb", steps=("submit",), app_name=KS_APP_NAME
        )
        ids["ks_approved"] = new_proposal(
            "ks",
            "kaohsiung-tb",
            steps=("submit", "countersign", "city_approve"),
            actors=("ks", "ks-reviewer", "ks-mayor"),
            app_name=KS_APP_NAME,
        )
        session = get_state().session
        session.add(App(agency_code="kaohsiung-tb", name="高雄好行", status="listed"))
        session.add(App(agency_code="tainan-secretariat", name="府城市政通", status="listed"))
        session.commit()
    return app, ids


#: submitted, in Tainan, the test's own ("demo+": the demo's submitted cases, all Tainan's)
TAINAN = {"demo+", "tn_review", "tn_approved", "tn_returned"}
KAOHSIUNG = {"ks_review", "ks_approved"}

#: Who reads which case, by the table: (username, readable, answers shown). Of the demo's
#: cases (tainan-tourism, staff's), "demo+" stands for the submitted ones, "demo-drafts" for
#: the drafts, "demo:<role>" for the submitted ones that are or were in a state where <role>
#: acts (the case's status or history, by its workflow).
READERS = [
    ("staff", TAINAN | {"tn_draft", "demo-drafts"}, True),  # own agency + own drafts
    ("head", TAINAN, True),  # agency_head: own agency, no drafts
    ("ks", KAOHSIUNG | {"ks_draft"}, True),
    ("ks-head", KAOHSIUNG, True),
    # reviewer: their city's cases that are or were in review
    ("reviewer", {"demo:reviewer", "tn_review", "tn_approved", "tn_returned"}, True),
    ("ks-reviewer", KAOHSIUNG, True),
    # mayor: the approved proposals went through the city government (TN-EVAL-1)
    ("mayor", {"demo:mayor", "tn_approved"}, True),
    ("ks-mayor", {"ks_approved"}, True),
    ("itdept", TAINAN, True),  # it_department: their city's submitted cases
    ("ks-itdept", KAOHSIUNG, True),
    ("helpdesk", TAINAN, False),  # helpdesk: their city's, status only
    ("ks-helpdesk", KAOHSIUNG, False),
    ("nowhere", set(), True),  # no agency: no city
    # sysadmin: all
    ("admin", TAINAN | KAOHSIUNG | {"tn_draft", "ks_draft", "demo-drafts"}, True),
]


def _demo_groups(app, ids) -> dict[str, set[int]]:
    """The demo's cases by READERS' tokens, from each case's status and history."""
    groups: dict[str, set[int]] = {"demo+": set(), "demo-drafts": set()}
    host = app.extensions["casehost"]
    with app.app_context():
        for name, case_id in ids.items():
            if not name.startswith("demo-"):
                continue
            case = db.session.get(Case, case_id)
            workflow = host.case_types[case.type_key].workflow
            steps = history(case_id)
            submitted = any(
                h.from_state == workflow.initial and h.to_state != workflow.initial for h in steps
            )
            groups["demo+" if submitted else "demo-drafts"].add(case_id)
            if not submitted:
                continue
            for role in ("reviewer", "mayor"):
                states = workflow.states_where_acts(role)
                if case.status in states or any(h.to_state in states for h in steps):
                    groups.setdefault(f"demo:{role}", set()).add(case_id)
    # the demo goes through both city roles (TN-EVAL-1): the reviewer and the mayor read some
    assert groups["demo+"] and groups.get("demo:reviewer") and groups.get("demo:mayor")
    return groups


def _demo_views(app, ids) -> tuple[dict[int, str], dict[int, str]]:
    """Each case's answer a reader of the answers sees, and its app name (summary)."""
    shown = {case_id: BUDGET for name, case_id in ids.items() if not name.startswith("demo")}
    names = {}
    with app.app_context():
        for name, case_id in ids.items():
            if name.startswith("demo-"):
                case = db.session.get(Case, case_id)
                shown[case_id] = DEMO_ANSWER[case.type_key](case.data)
                names[case_id] = case.data["app_name"]
    return shown, names


@pytest.mark.parametrize(("username", "readable", "answers"), READERS, ids=[r[0] for r in READERS])
def test_each_role_reads_exactly_its_row_of_the_table(world, username, readable, answers):
    app, ids = world
    client = app.test_client()
    login(client, username)
    groups = _demo_groups(app, ids)
    readable_ids = {
        case_id
        for name in readable
        for case_id in (groups.get(name, set()) if name.startswith("demo") else {ids[name]})
    }
    shown, demo_names = _demo_views(app, ids)
    all_names = (*NAMES, *sorted(set(demo_names.values())))
    guessed = sorted(ids.values()) + [max(ids.values()) + 1, 999_999]
    for case_id in guessed:
        page = client.get(f"/cases/{case_id}")
        assert page.status_code == (200 if case_id in readable_ids else 404), case_id
        if case_id in readable_ids:
            text = visible_text(page.text)
            assert (shown[case_id] in text) is answers, case_id
            names = (demo_names[case_id],) if case_id in demo_names else NAMES
            assert any(name in text for name in names) is answers, case_id
    # the search and the inbox list the same cases, never more
    found = client.get("/cases")
    assert linked_case_ids(found.text) == readable_ids
    listed = visible_text(found.text)
    assert any(name in listed for name in all_names) is (answers and bool(readable_ids))
    assert linked_case_ids(client.get("/inbox").text) <= readable_ids


def test_the_helpdesk_sees_status_and_steps_not_answers_comments_or_summaries(world):
    """Least privilege: the helpdesk supports users (where is my case, who has it), it
    needs no budget, no answers and no reviewer's comment, not even through the search."""
    app, ids = world
    with app.app_context():  # the owner's edit of the returned proposal: old -> new budget
        edit_case(db.session.get(Case, ids["tn_returned"]), _user("staff"), {"budget": 4_100_000})
    client = app.test_client()
    login(client, "helpdesk")
    returned = client.get(f"/cases/{ids['tn_returned']}")
    text = visible_text(returned.text)
    assert "退回補正" in text  # the state (Returned for revision)
    assert "林志豪" in text  # who took the step
    assert RETURN_COMMENT not in text and BUDGET not in text and APP_NAME not in text
    assert "4,100,000" not in text  # nor the edit's old and new answers
    assert 'id="answers-withheld"' in returned.text
    # the search matches the answers only for readers of the answers: a budget or a name
    # typed in finds nothing; the case number finds the case
    for typed in ("3200000", APP_NAME, "停車"):
        page = client.get("/cases", query_string={"q": typed}).text
        assert not linked_case_ids(page.split('id="results-title"', 1)[1]), typed
    by_number = client.get("/cases", query_string={"q": f"#{ids['tn_returned']}"}).text
    assert linked_case_ids(by_number.split('id="results-title"', 1)[1]) == {ids["tn_returned"]}
    # the IT department reads the same case in full
    login(client, "itdept")
    text = visible_text(client.get(f"/cases/{ids['tn_returned']}").text)
    assert RETURN_COMMENT in text and BUDGET in text and "4,100,000" in text


# -- acting: city-wide roles act for their own city ---------------------------------------


def test_the_tainan_reviewer_cannot_decide_a_kaohsiung_proposal(world):
    """Today's defect: the Tainan reviewer approved a Kaohsiung agency's proposal."""
    app, ids = world
    client = app.test_client()
    login(client, "reviewer")
    assert ids["ks_review"] not in waiting(client)
    answer = client.post(
        f"/cases/{ids['ks_review']}/transition", data={"name": "countersign", "comment": "可"}
    )
    assert answer.status_code == 404  # not readable: like a missing case
    with app.app_context():
        assert status(ids["ks_review"]) == "in_review"
        with pytest.raises(TransitionRefused, match="其他城市"):  # another city
            apply_transition(
                db.session.get(Case, ids["ks_review"]), "countersign", _user("reviewer"), "可"
            )
        assert status(ids["ks_review"]) == "in_review"
    # Kaohsiung's own reviewer has it waiting, and not Tainan's
    login(client, "ks-reviewer")
    theirs = waiting(client)
    assert ids["ks_review"] in theirs and ids["tn_review"] not in theirs
    client.post(
        f"/cases/{ids['ks_review']}/transition", data={"name": "countersign", "comment": "可"}
    )
    with app.app_context():
        assert status(ids["ks_review"]) == "city_review"


def test_a_reviewer_moved_to_another_city_reads_what_they_did_but_acts_no_more(world):
    app, ids = world
    with app.app_context():
        apply_transition(
            db.session.get(Case, ids["ks_review"]), "return", _user("ks-reviewer"), "請補件"
        )
        apply_transition(db.session.get(Case, ids["ks_review"]), "resubmit", _user("ks"))
        _move("ks-reviewer", agency="tainan-sdc")
    client = app.test_client()
    login(client, "ks-reviewer")
    page = client.get(f"/cases/{ids['ks_review']}")
    assert page.status_code == 200  # they took a step on it: their own work stays readable
    assert 'value="countersign"' not in page.text
    refused = client.post(
        f"/cases/{ids['ks_review']}/transition", data={"name": "countersign", "comment": "可"}
    )
    assert "其他城市" in visible_text(refused.text)  # belongs to an agency of another city
    assert ids["ks_review"] not in waiting(client)
    assert ids["tn_review"] in waiting(client)  # Tainan's cases are theirs now
    with app.app_context():
        assert status(ids["ks_review"]) == "in_review"


def test_the_mayor_decides_the_escalations_of_their_own_city_only_kh_eval_2(make_host):
    app = make_host("kaohsiung")
    with app.app_context():
        add_user("ks", "agency_staff", "kaohsiung-tb")
        add_user("ks-head", "agency_head", "kaohsiung-tb")
        add_user("ks-reviewer", "reviewer", "kaohsiung-ic")
        add_user("ks-mayor", "mayor", "kaohsiung-ic")
        tainan = new_proposal(
            steps=("submit", "reject", "escalate"), actors=("staff", "reviewer", "head")
        )
        kaohsiung = new_proposal(
            "ks",
            "kaohsiung-tb",
            steps=("submit", "reject", "escalate"),
            actors=("ks", "ks-reviewer", "ks-head"),
        )
    client = app.test_client()
    login(client, "mayor")
    assert client.get(f"/cases/{kaohsiung}").status_code == 404
    assert waiting(client) == {tainan}
    client.post(f"/cases/{kaohsiung}/transition", data={"name": "mayor_approve"})
    login(client, "ks-mayor")
    assert waiting(client) == {kaohsiung}
    assert client.get(f"/cases/{tainan}").status_code == 404
    client.post(f"/cases/{kaohsiung}/transition", data={"name": "mayor_approve"})
    with app.app_context():
        assert status(tainan) == "escalated" and status(kaohsiung) == "approved"
        assert history(kaohsiung)[-1].actor.username == "ks-mayor"


# -- appgov's records follow the same scope ----------------------------------------------


#: the test's own apps besides the demo's (all of the tourism bureau, the agency with demo
#: staff): the approved proposals' apps (TN-EVAL-1), the secretariat's and the Kaohsiung
#: transportation bureau's
OWN_APPS = {APP_NAME: "tainan-tourism", "府城市政通": "tainan-secretariat"} | {
    "高雄好行": "kaohsiung-tb",
    KS_APP_NAME: "kaohsiung-tb",
}
#: whose apps each role reads: (username, "agency" or "city" or "all" or None, which)
APP_READERS = [
    ("staff", "agency", "tainan-tourism"),  # own agency
    ("ks", "agency", "kaohsiung-tb"),  # own agency: both Kaohsiung apps
    ("reviewer", "city", "tainan"),  # their city
    ("helpdesk", "city", "tainan"),
    ("ks-itdept", "city", "kaohsiung"),
    ("nowhere", None, None),
    ("admin", "all", None),  # every city
]


@pytest.mark.parametrize(
    ("username", "scope", "which"), APP_READERS, ids=[r[0] for r in APP_READERS]
)
def test_the_app_registry_shows_each_role_its_agency_or_its_city(world, username, scope, which):
    app, _ids = world
    with app.app_context():
        rows = list(get_state().session.scalars(sa.select(App)))
    apps = {a.name: a.id for a in rows}
    agency_of = {a.name: a.agency_code for a in rows}
    city_of = {code: city for code, _zh, _en, city in AGENCIES}
    # the registry: the demo's apps (the tourism bureau's, the agency with demo staff: the
    # one listed before appgov, the lifecycle's) and the test's own
    demo = set(apps) - set(OWN_APPS)
    assert "臺南市政府觀光旅遊局行動服務" in demo and len(demo) > 1
    assert {agency_of[name] for name in demo} == {"tainan-tourism"}
    assert {name: agency_of[name] for name in OWN_APPS} == OWN_APPS
    names = {
        name
        for name in apps
        if scope == "all"
        or (scope == "agency" and agency_of[name] == which)
        or (scope == "city" and city_of[agency_of[name]] == which)
    }
    if username == "staff":  # not the secretariat's, not Kaohsiung's
        assert names == demo | {APP_NAME}
    if username == "ks":
        assert names == {"高雄好行", KS_APP_NAME}
    client = app.test_client()
    login(client, username)
    index = client.get("/appgov/").text
    assert {name for name in apps if name in index} == names
    for name, app_id in apps.items():
        answer = client.get(f"/appgov/apps/{app_id}").status_code
        assert answer == (200 if name in names else 404), name


def test_the_host_names_each_agencys_city_to_plug_ins(world):
    app, _ids = world
    with app.test_request_context():
        answer = app.extensions["casehost"].pm.hook.casehost_agencies(app=app)
        cities = {code: city for code, _zh, _en, city in answer}
    assert cities["kaohsiung-tb"] == "kaohsiung" and cities["tainan-sdc"] == "tainan"


# -- separation of duties ----------------------------------------------------------------


def test_the_proposals_decisions_are_marked(make_host):
    app = make_host("tainan")
    workflow = app.extensions["casehost"].case_types[PROPOSAL].workflow
    assert {t.name for t in workflow.transitions if t.decides} == {
        "head_approve",
        "head_return",
        "return",
        "approve",
        "reject",
        "countersign",  # rule TN-EVAL-1: the center's opinion
        "city_approve",
        "city_return",
        "city_reject",
        "mayor_approve",
        "mayor_reject",
    }


def test_staff_promoted_to_reviewer_cannot_decide_what_they_submitted(world):
    app, ids = world
    with app.app_context():
        _move("staff", role="reviewer")  # still in Tainan (tainan-tourism)
    client = app.test_client()
    login(client, "staff")
    page = client.get(f"/cases/{ids['tn_review']}").text
    assert 'value="countersign"' not in page and 'value="return"' not in page  # not offered
    assert 'id="separation-of-duties"' in page
    assert ids["tn_review"] not in waiting(client)
    for name in ("countersign", "return"):
        refused = client.post(
            f"/cases/{ids['tn_review']}/transition", data={"name": name, "comment": "自己審"}
        )
        assert refused.status_code == 200
        assert "職務分立" in visible_text(refused.text), name  # separation of duties
    with app.app_context():
        assert status(ids["tn_review"]) == "in_review"
        with pytest.raises(TransitionRefused, match="職務分立"):  # separation of duties
            apply_transition(
                db.session.get(Case, ids["tn_review"]), "countersign", _user("staff"), "自己審"
            )
    # a colleague's proposal: the promoted reviewer decides it
    with app.app_context():
        add_user("staff2", "agency_staff", "tainan-tourism")
        theirs = new_proposal("staff2", steps=("submit",))
    page = client.get(f"/cases/{theirs}").text
    assert 'value="countersign"' in page and 'id="separation-of-duties"' not in page
    assert theirs in waiting(client)
    client.post(f"/cases/{theirs}/transition", data={"name": "countersign", "comment": "可"})
    with app.app_context():
        assert status(theirs) == "city_review"


def test_the_refusal_speaks_english_too(world):
    app, ids = world
    with app.app_context():
        _move("staff", role="reviewer")
        _user("staff").locale = "en"  # the user's chosen language
        db.session.commit()
    client = app.test_client()
    login(client, "staff")
    refused = client.post(
        f"/cases/{ids['tn_review']}/transition", data={"name": "countersign", "comment": "OK"}
    )
    assert "Separation of duties: you opened, edited or submitted" in visible_text(refused.text)
    assert "Separation of duties" in client.get(f"/cases/{ids['tn_review']}").text


def test_the_head_who_forwarded_a_case_does_not_review_it_after_a_promotion(world):
    """TN-EVAL-3 ground (4): the head approved it for review; as a reviewer they would
    check their own decision."""
    app, _ids = world
    with app.app_context():
        case_id = new_proposal(
            steps=("submit_to_head", "head_approve"), actors=("staff", "head"), **GROUND_FOUR
        )
        _move("head", role="reviewer")
        with pytest.raises(TransitionRefused, match="職務分立"):
            apply_transition(db.session.get(Case, case_id), "countersign", _user("head"), "可")
        # the demo reviewer, who took no part, decides it
        apply_transition(db.session.get(Case, case_id), "countersign", _user("reviewer"), "可")
        assert status(case_id) == "city_review"


def test_a_reviewer_who_rejected_does_not_decide_the_appeal_as_mayor(make_host):
    app = make_host("kaohsiung")
    with app.app_context():
        case_id = new_proposal(
            steps=("submit", "reject", "escalate"), actors=("staff", "reviewer", "head")
        )
        _move("reviewer", role="mayor")
        with pytest.raises(TransitionRefused, match="職務分立"):
            apply_transition(db.session.get(Case, case_id), "mayor_approve", _user("reviewer"))
        apply_transition(db.session.get(Case, case_id), "mayor_approve", _user("mayor"))
        assert status(case_id) == "approved"


def test_the_same_reviewer_decides_again_after_a_return(world):
    """Deciding twice in the same role is no conflict: return, resubmission, countersigning
    (TN-EVAL-1)."""
    app, ids = world
    client = app.test_client()
    login(client, "staff")
    client.post(f"/cases/{ids['tn_returned']}/transition", data={"name": "resubmit"})
    login(client, "reviewer")
    assert 'value="countersign"' in client.get(f"/cases/{ids['tn_returned']}").text
    client.post(
        f"/cases/{ids['tn_returned']}/transition", data={"name": "countersign", "comment": "可"}
    )
    with app.app_context():
        assert status(ids["tn_returned"]) == "city_review"


# -- guessed ids: every case route answers 404 for a case one may not read ---------------


def _case_routes(app) -> list[tuple[str, str]]:
    """(method, URL pattern) of every host route that takes a case id, from the URL map:
    a route added later (a correction) is checked too."""
    routes = []
    for rule in app.url_map.iter_rules():
        if "case_id" in rule.arguments:
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                routes.append((method, re.sub(r"<(?:int:)?case_id>", "{id}", rule.rule)))
    return routes


def _page(text: str, case_id: int) -> str:
    """A page without its case number and its per-request tokens (CSRF, nonces)."""
    text = re.sub(rf"(#|/cases/|%2Fcases%2F|第 |case ){case_id}(?![0-9A-Za-z])", r"\1N", text)
    return re.sub(r"[A-Za-z0-9._\-+/=]{24,}", "TOKEN", text)


def test_every_case_route_answers_404_for_a_hidden_case_as_for_a_missing_one(world):
    app, ids = world
    routes = _case_routes(app)
    assert {url for _m, url in routes} >= {
        "/cases/{id}",
        "/cases/{id}/edit",
        "/cases/{id}/withdraw",
        "/cases/{id}/transition",
    }
    client = app.test_client()
    hidden_from = {
        "head": ["tn_draft", "ks_review", "ks_approved", "ks_draft"],  # a colleague's draft
        "ks": ["tn_review", "tn_draft", "demo"],  # another agency's, another city's
        "reviewer": ["ks_review", "ks_approved", "tn_draft"],
        "helpdesk": ["ks_review", "tn_draft"],
        "nowhere": ["tn_review", "ks_review"],
    }
    missing = max(ids.values()) + 1
    with app.app_context():
        steps = {name: len(history(case_id)) for name, case_id in ids.items()}
    for username, hidden in hidden_from.items():
        login(client, username)
        client.get("/")  # the welcome notice is shown once, here
        for method, url in routes:
            gone = client.open(url.format(id=missing), method=method, data={"name": "approve"})
            assert gone.status_code == 404, (username, method, url)
            for name in hidden:
                answer = client.open(
                    url.format(id=ids[name]), method=method, data={"name": "approve"}
                )
                assert answer.status_code == 404, (username, method, url, name)
                # the same page, but for the number: nothing tells the two apart
                assert _page(answer.text, ids[name]) == _page(gone.text, missing), (
                    username,
                    method,
                    url,
                    name,
                )
    with app.app_context():  # nothing was written
        assert {name: len(history(case_id)) for name, case_id in ids.items()} == steps
        assert db.session.get(Case, missing) is None


# -- appgov's admin views follow the host's admin rule -----------------------------------


APPGOV_ADMIN_PAGES = ("/admin/appgov_app/", "/admin/appgov_parameters/")


def test_appgov_admin_views_ask_the_hosts_is_admin(world):
    app, _ids = world
    client = app.test_client()
    login(client, "admin")
    for url in APPGOV_ADMIN_PAGES:
        assert client.get(url).status_code == 200, url
    host = app.extensions["casehost"]
    original = host.is_admin
    # the host's rule says no for this sysadmin (e.g. an account under review) ...
    host.is_admin = lambda user: original(user) and user.username != "admin"
    try:
        for url in APPGOV_ADMIN_PAGES:
            assert client.get(url).status_code == 403, url
        # ... and yes for a reviewer it delegated administration to
        host.is_admin = lambda user: user.is_authenticated and user.username == "reviewer"
        login(client, "reviewer")
        for url in APPGOV_ADMIN_PAGES:
            assert client.get(url).status_code == 200, url
        # the registry follows the same rule: the delegated administrator sees every city
        page = client.get("/appgov/").text
        assert "高雄好行" in page
    finally:
        host.is_admin = original


def test_without_a_case_host_appgov_falls_back_to_appgov_admin_roles(database_url):
    app, db_, _ = make_intranet(database_url, APPGOV_ADMIN_ROLES=("agency_staff",))
    with app.app_context():
        migrations.upgrade(db_.engine)
    assert "casehost" not in app.extensions
    client = app.test_client()
    client.get("/_login/clerk")  # agency_staff: an administrator by this configuration
    assert client.get("/admin/appgov_app/").status_code == 200
    client.get("/_login/root")  # sysadmin, not in APPGOV_ADMIN_ROLES here
    assert client.get("/admin/appgov_app/").status_code == 403
