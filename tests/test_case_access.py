"""Who may read which case (case page, search, inbox, edit, transition), the case search,
labels instead of keys, Taipei dates, money and the comment's upper bound -- in the sample
host with the real appgov plug-in, on SQLite and PostgreSQL.

The reading rule (sample_host/cases.py, ``readable_by``): the owner always; agency staff
and heads their agency's cases except other people's drafts; the reviewer and the mayor the
cases of their city's agencies that are or were in a state where their role acts; the IT
department and the helpdesk (status only) their city's submitted cases; everyone the cases
they acted on; sysadmin everything. A case someone may not read answers 404, like a missing
one. Every role per row of the table: tests/test_roles_scope.py.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa
from casework import (
    GROUND_FOUR,
    add_user,
    counting_queries,
    history,
    linked_case_ids,
    new_proposal,
    status,
    visible_text,
)
from hosting import login

from appgov_plugin.apps.case_types import PROPOSAL
from sample_host import models
from sample_host.cases import COMMENT_MAX_LENGTH, withdraw_case
from sample_host.extensions import db
from sample_host.models import Case, CaseHistory, User

ROLES_BY_USER = {
    "staff": "agency_staff",
    "staff2": "agency_staff",
    "head": "agency_head",
    "ks": "agency_staff",
    "reviewer": "reviewer",
    "mayor": "mayor",
    "itdept": "it_department",
    "helpdesk": "helpdesk",
    "admin": "sysadmin",
}


def _user(username):
    return db.session.scalar(sa.select(User).where(User.username == username))


@pytest.fixture
def world(make_host):
    """Tainan; staff and staff2 in the tourism bureau, ks in Kaohsiung; cases in every
    situation the reading rule distinguishes."""
    app = make_host("tainan")
    with app.app_context():
        add_user("staff2", "agency_staff", "tainan-tourism")
        add_user("ks", "agency_staff", "kaohsiung-tb")
        # the demo cases (staff's, the tourism bureau's): proposals and Tainan's lifecycle
        # filings, every appgov case type
        demo = db.session.scalars(sa.select(Case).order_by(Case.id)).all()
        assert {c.type_key for c in demo} == DEMO_TYPES
        assert {(c.agency.code, c.owner.username) for c in demo} == {("tainan-tourism", "staff")}
        ids = {f"demo-{c.id}": c.id for c in demo}
        ids["draft"] = new_proposal()
        ids["draft2"] = new_proposal("staff2")
        ids["review"] = new_proposal(steps=("submit",))
        ids["head_review"] = new_proposal(steps=("submit_to_head",), **GROUND_FOUR)
        ids["kaohsiung"] = new_proposal("ks", "kaohsiung-tb", steps=("submit",))
        # rule TN-EVAL-1: the center countersigns, the city government approves
        ids["approved"] = new_proposal(
            steps=("submit", "countersign", "city_approve"), actors=("staff", "reviewer", "mayor")
        )
        discarded = new_proposal()
        withdraw_case(db.session.get(Case, discarded), _user("staff"), "重複建立")
        ids["discarded"] = discarded
        returned = new_proposal(steps=("submit", "return"), actors=("staff", "reviewer"))
        withdraw_case(db.session.get(Case, returned), _user("staff"))
        ids["returned_withdrawn"] = returned
    return app, ids


#: The case types of the demo data's cases on Tainan's profile (appgov's demo.py files)
DEMO_TYPES = {
    PROPOSAL,
    "appgov_listing_checklist",
    "appgov_delisting_application",
    "appgov_self_check",
}


def demo_cases(app, ids) -> dict[str, set[int]]:
    """The demo's cases (all staff's, the tourism bureau's) by what the reading rule tells
    apart, from each case's status and history: "submitted" (left the workflow's initial
    state), "drafts", "<role>" (submitted and is or was in a state where the role acts),
    "acted:<username>" (that user took a step), and by case type and status."""
    host = app.extensions["casehost"]
    groups: dict[str, set[int]] = {}
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
            marks = {"submitted" if submitted else "drafts", case.type_key, case.status}
            for role in ("reviewer", "mayor"):
                states = workflow.states_where_acts(role)
                if submitted and (
                    case.status in states or any(h.to_state in states for h in steps)
                ):
                    marks.add(role)
            marks |= {f"acted:{h.actor.username}" for h in steps if h.actor is not None}
            for mark in marks:
                groups.setdefault(mark, set()).add(case_id)
    # TN-EVAL-1: the demo's cases went through the reviewer and the city government
    assert groups["submitted"] and groups.get("reviewer") and groups.get("mayor")
    return groups


def expected_readers(app, ids) -> dict[str, set[int]]:
    demo = demo_cases(app, ids)
    agency = {"review", "head_review", "approved", "returned_withdrawn"}
    every = set(ids)
    names = {
        # owner of all of these
        "staff": agency | {"draft", "discarded"},
        "staff2": agency | {"draft2"},  # colleagues' cases, not their drafts
        "head": agency,  # no draft, not even a discarded one
        "ks": {"kaohsiung"},  # own agency only
        # is or was in review (in_review and submitted are where the reviewer acts),
        # agencies of Tainan (the reviewer's agency's city): not the Kaohsiung case
        "reviewer": {"review", "approved", "returned_withdrawn"},
        # the city government approved one (TN-EVAL-1); nothing else reached it
        "mayor": {"approved"},
        "itdept": agency,  # every submitted case of Tainan's agencies
        "helpdesk": agency,  # the same, status only
        "admin": every,
    }
    # of the demo's: the owner all, the agency and the city's readers the submitted ones,
    # the reviewer and the mayor those that are or were where they act
    demo_part = {
        "staff": demo["submitted"] | demo.get("drafts", set()),
        "staff2": demo["submitted"],
        "head": demo["submitted"],
        "ks": set(),
        "reviewer": demo["reviewer"],
        "mayor": demo["mayor"],
        "itdept": demo["submitted"],
        "helpdesk": demo["submitted"],
        "admin": set(),
    }
    return {
        user: {ids[name] for name in readable} | demo_part[user] for user, readable in names.items()
    }


def test_each_role_reads_exactly_its_cases_by_url_search_and_inbox(world):
    app, ids = world
    client = app.test_client()
    guessed = sorted(ids.values()) + [max(ids.values()) + 1, 999_999]
    for username, readable in expected_readers(app, ids).items():
        login(client, username)
        for case_id in guessed:
            answer = client.get(f"/cases/{case_id}")
            expected = 200 if case_id in readable else 404  # unreadable = missing
            assert answer.status_code == expected, (username, case_id)
        # no step on a case one may not read either: the same answer, nothing written
        for case_id in {ids["draft"], ids["kaohsiung"], 999_999} - readable:
            assert client.get(f"/cases/{case_id}/edit").status_code == 404
            assert client.post(f"/cases/{case_id}/withdraw").status_code == 404
            refused = client.post(f"/cases/{case_id}/transition", data={"name": "submit"})
            assert refused.status_code == 404, (username, case_id)
        found = client.get("/cases")
        assert found.status_code == 200
        assert linked_case_ids(found.text) == readable, username
        inbox = client.get("/inbox").text
        assert linked_case_ids(inbox) <= readable, username
    with app.app_context():
        # nothing moved: the refused steps wrote no history
        assert status(ids["draft"]) == "draft" and len(history(ids["draft"])) == 1


def test_the_unreadable_answer_does_not_confirm_existence(world):
    app, ids = world
    client = app.test_client()
    login(client, "head")
    hidden = client.get(f"/cases/{ids['draft']}")
    missing = client.get("/cases/999999")
    assert hidden.status_code == missing.status_code == 404
    assert "或您無權查看" in hidden.text  # the same explanation for both
    assert "府城好停車" not in hidden.text


def test_a_draft_never_reaches_the_agency_heads_inbox(world):
    """Today's defect: the head's inbox listed staff's drafts (head_submit from draft)."""
    app, ids = world
    client = app.test_client()
    login(client, "head")
    inbox = client.get("/inbox").text
    assert ids["draft"] not in linked_case_ids(inbox)
    assert ids["draft2"] not in linked_case_ids(inbox)
    # TN-EVAL-3 ground (4): what waits for the head is the proposal submitted to her
    waiting = inbox.split("待您處理", 1)[1].split("您提出的案件", 1)[0]
    assert linked_case_ids(waiting) == {ids["head_review"]}
    page = client.get(f"/cases/{ids['head_review']}").text
    assert 'value="head_approve"' in page and 'value="head_return"' in page


def test_a_role_outside_every_workflow_reads_what_it_acted_on(world):
    app, ids = world
    client = app.test_client()
    login(client, "itdept")
    assert client.get(f"/cases/{ids['kaohsiung']}").status_code == 404  # another city's
    with app.app_context():
        # a step a (former) workflow gave the IT department: it may reread that case
        db.session.add(
            CaseHistory(
                case_id=ids["kaohsiung"],
                actor=_user("itdept"),
                transition="security_check",
                from_state="in_review",
                to_state="in_review",
                comment="",
            )
        )
        db.session.commit()
    assert client.get(f"/cases/{ids['kaohsiung']}").status_code == 200
    acted = client.get("/cases?tab=acted").text
    assert linked_case_ids(acted) == {ids["kaohsiung"]}


def test_the_mayor_reads_what_was_escalated_kh_eval_2(make_host):
    app = make_host("kaohsiung")
    with app.app_context():
        escalated = new_proposal(
            steps=("submit", "reject", "escalate"), actors=("staff", "reviewer", "head")
        )
        in_review = new_proposal(steps=("submit",))
    client = app.test_client()
    login(client, "mayor")
    assert client.get(f"/cases/{in_review}").status_code == 404
    assert 'value="mayor_approve"' in client.get(f"/cases/{escalated}").text
    client.post(f"/cases/{escalated}/transition", data={"name": "mayor_approve"})
    with app.app_context():
        assert status(escalated) == "approved"
    assert client.get(f"/cases/{escalated}").status_code == 200  # was escalated: still read
    assert linked_case_ids(client.get("/cases?tab=acted").text) == {escalated}


# -- the case search ------------------------------------------------------------------------


def _found(client, **query) -> set[int]:
    page = client.get("/cases", query_string=query)
    assert page.status_code == 200
    return linked_case_ids(page.text.split('id="results-title"', 1)[1])


def test_search_filters_by_type_state_agency_dates_and_text(world):
    app, ids = world
    with app.app_context():
        tourism = db.session.scalar(
            sa.text("SELECT id FROM host_agency WHERE code='tainan-tourism'")
        )
        renamed = new_proposal(steps=("submit",), app_name="安平古堡導覽 App")
        # opened on 115/11/22 in Taipei (23:30 on the 21st in UTC), the others today
        with db.engine.begin() as conn:
            conn.execute(
                sa.text("UPDATE host_case SET created_at = :at WHERE id = :id"),
                {"at": dt.datetime(2026, 11, 21, 23, 30, tzinfo=dt.UTC), "id": renamed},
            )
    client = app.test_client()
    login(client, "reviewer")
    demo = demo_cases(app, ids)
    readable = expected_readers(app, ids)["reviewer"] | {renamed}
    assert _found(client) == readable
    filings = demo["reviewer"] - demo[PROPOSAL]
    assert filings  # the demo's listing checklists, delisting applications, self-check
    assert _found(client, type=PROPOSAL) == readable - filings
    listings = demo["appgov_listing_checklist"] & demo["reviewer"]
    assert listings and _found(client, type="appgov_listing_checklist") == listings
    assert _found(client, state="approved") == {ids["approved"]} | (
        demo.get("approved", set()) & readable
    )
    assert _found(client, agency=str(tourism)) == readable  # every one is the tourism bureau's
    with app.app_context():
        transport = db.session.scalar(
            sa.text("SELECT id FROM host_agency WHERE code='kaohsiung-tb'")
        )
    assert _found(client, agency=str(transport)) == set()  # another city's agency
    assert _found(client, q="安平古堡") == {renamed}
    assert _found(client, q="ANDROID") <= readable  # answers match whatever the case
    assert _found(client, q=f"#{ids['approved']}") == {ids["approved"]}
    assert _found(client, q="100%_") == set()  # LIKE wildcards are plain text
    # ROC or ISO, Taipei days
    assert _found(client, opened_from="115/11/22", opened_to="115/11/22") == {renamed}
    assert _found(client, opened_from="2026-11-22", opened_to="2026-11-22") == {renamed}
    assert renamed not in _found(client, opened_to="115/11/21")
    # the search never widens the reading rule: the draft is there, but not for the reviewer
    assert _found(client, q="府城好停車", state="draft") == set()
    # what the reviewer decided: two proposals, and the demo's cases the reviewer took a
    # step on (its self-check and listing checklists accepted, its proposals countersigned)
    acted = {ids["approved"], ids["returned_withdrawn"]} | demo["acted:reviewer"]
    assert _found(client, tab="acted") == acted


@pytest.mark.parametrize(
    ("locale", "message"),
    [
        ("zh_Hant_TW", "「115/13/01」不是日期"),
        ("en", "“115/13/01” is not a date"),
    ],
)
def test_a_bad_search_date_is_named_and_kept(world, locale, message):
    app, _ids = world
    client = app.test_client()
    login(client, "reviewer")
    client.post(f"/locale/{locale}")
    page = client.get("/cases", query_string={"opened_from": "115/13/01"}).text
    assert message in page
    assert 'value="115/13/01"' in page  # as typed
    assert not linked_case_ids(page)
    page = client.get("/cases", query_string={"opened_from": "115/11/22", "opened_to": "115/11/01"})
    assert ("早於" if locale == "zh_Hant_TW" else "before its start") in page.text


def test_search_pages_with_a_constant_number_of_queries(world):
    app, ids = world
    client = app.test_client()
    login(client, "reviewer")
    readable = len(expected_readers(app, ids)["reviewer"])

    def queries(**query) -> tuple[int, str]:
        with counting_queries(app) as statements:
            page = client.get("/cases", query_string=query).text
        return len(statements), page

    few, page = queries()
    assert f"{readable} 件" in visible_text(page)
    with counting_queries(app) as statements:
        inbox = client.get("/inbox").text
    inbox_few = len(statements)
    with app.app_context():
        for _ in range(40):
            new_proposal(steps=("submit",))
        for _ in range(10):
            new_proposal()  # drafts: never counted for the reviewer
    many, page = queries()
    total = readable + 40
    assert f"共 {total} 件" in visible_text(page) or f"{total} 件" in visible_text(page)
    assert len(linked_case_ids(page)) == 25
    pages = -(-total // 25)  # 25 a page
    assert pages >= 2
    assert f'href="/cases?page={pages}"' in page and f'href="/cases?page={pages + 1}"' not in page
    last, page = queries(page=str(pages))
    assert len(linked_case_ids(page)) == total - 25 * (pages - 1)
    filtered, _page = queries(q="府城", type=PROPOSAL, opened_from="115/01/01", tab="acted")
    # the count does not grow with the number of cases (nor with the page, nor the filters)
    assert few == many == last
    assert filtered <= few + 1

    # the inbox too: its queries do not grow with the number of cases
    with counting_queries(app) as statements:
        inbox = client.get("/inbox").text
    assert len(linked_case_ids(inbox)) >= 40
    assert len(statements) == inbox_few


# -- labels, dates, money -------------------------------------------------------------------

KEYS = (
    "appgov_app_proposal",
    "in_review",
    "head_review",
    "submit_to_head",
    "head_approve",
    "agency_staff",
    "agency_head",
    "tainan-tourism",
    "kaohsiung-tb",
    "missing_function",
)
ZH_ONLY_KEYS = ("draft", "returned", "submit", "approve", "return", "withdrawn", "android")


def _assert_no_keys(page: str, locale: str, where: str):
    text = visible_text(page)
    for key in KEYS + (ZH_ONLY_KEYS if locale == "zh_Hant_TW" else ()):
        assert not re.search(rf"(?<![\w-]){re.escape(key)}(?![\w-])", text), (where, key)


@pytest.mark.parametrize("locale", ["zh_Hant_TW", "en"])
def test_host_pages_show_labels_never_keys(world, locale):
    app, ids = world
    client = app.test_client()
    login(client, "staff")
    client.post(f"/locale/{locale}")
    pages = {
        "inbox": client.get("/inbox").text,
        "search": client.get("/cases").text,
        "acted": client.get("/cases?tab=acted").text,
    }
    for name in ("draft", "head_review", "approved", "returned_withdrawn", "discarded"):
        pages[name] = client.get(f"/cases/{ids[name]}").text
    # refusals name the step by its label
    pages["refused"] = client.post(
        f"/cases/{ids['draft']}/transition", data={"name": "head_approve"}
    ).text
    pages["guarded"] = client.post(
        f"/cases/{ids['draft']}/transition", data={"name": "submit_to_head"}
    ).text
    login(client, "reviewer")
    client.post(f"/locale/{locale}")
    pages["role refused"] = client.post(
        f"/cases/{ids['review']}/transition", data={"name": "head_approve"}
    ).text
    for where, page in pages.items():
        _assert_no_keys(page, locale, where)
    zh = locale == "zh_Hant_TW"
    assert ("App 開發評估申請" if zh else "App development proposal") in pages["inbox"]
    assert ("臺南市政府觀光旅遊局" if zh else "Tainan City Tourism Bureau") in pages["search"]
    refused = visible_text(pages["refused"])
    assert ("核可並送出（機關首長）" if zh else "“Approve and submit (agency head)”") in refused
    assert ("草稿" if zh else "Draft") in refused
    assert ("TN-EVAL-3" in visible_text(pages["guarded"])) is True
    history_page = visible_text(pages["returned_withdrawn"])
    assert ("退回補正" if zh else "Return for revision") in history_page
    assert ("審查人員" if zh else "Reviewer") in history_page  # the actor's role, labelled
    assert ("提出者撤回" if zh else "Withdrawn by the owner") in history_page


@pytest.mark.parametrize(
    ("locale", "short", "long"),
    [
        ("zh_Hant_TW", "115/11/23 07:49", "民國 115 年 11 月 23 日 07:49"),
        ("en", "2026-11-23 07:49", "2026-11-23 07:49"),
    ],
)
def test_case_times_are_taipei_time_short_in_tables_long_in_text(
    world, locale, short, long, monkeypatch
):
    app, _ids = world
    at = dt.datetime(2026, 11, 22, 23, 49, tzinfo=dt.UTC)  # 07:49 the next day in Taipei
    # history is append-only (the database refuses UPDATE): the case's steps are taken at
    # that time (the history rows' clock, sample_host.models.utcnow)
    monkeypatch.setattr(models, "utcnow", lambda: at)
    with app.app_context():
        case_id = new_proposal(steps=("submit",))
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE host_case SET created_at = :at, updated_at = :at WHERE id = :id"),
            {"at": at, "id": case_id},
        )
    client = app.test_client()
    login(client, "staff")
    client.post(f"/locale/{locale}")
    page = visible_text(client.get(f"/cases/{case_id}").text)
    assert long in page  # "opened by ... on <long date>"
    history_table = page.split("歷程" if locale == "zh_Hant_TW" else "History", 1)[1]
    assert history_table.count(short) == 2  # opened, submitted
    inbox = visible_text(client.get("/inbox").text)
    assert short in inbox
    assert "2026-11-22 23:49" not in page + inbox  # never UTC


@pytest.mark.parametrize("locale", ["zh_Hant_TW", "en"])
def test_money_and_numbers_are_formatted_from_the_field(world, make_host, locale):
    app, ids = world
    client = app.test_client()
    login(client, "staff")
    client.post(f"/locale/{locale}")
    page = visible_text(client.get(f"/cases/{ids['review']}").text)
    assert "NT$3,200,000" in page and "3200000" not in page  # budget: a money field
    # Kaohsiung's evaluation plan asks the target population (KH-EVAL-1 item 4)
    kaohsiung = make_host("kaohsiung")
    with kaohsiung.app_context():
        case_id = new_proposal(steps=("submit",))
    client = kaohsiung.test_client()
    login(client, "staff")
    client.post(f"/locale/{locale}")
    page = visible_text(client.get(f"/cases/{case_id}").text)
    assert "NT$3,200,000" in page
    assert "1,986,191" in page and "1986191" not in page  # target population: a number


# -- the comment's upper bound ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "message"),
    [("zh_Hant_TW", "意見：最多 2,000 字"), ("en", "Comment: at most 2,000 characters")],
)
def test_a_comment_over_2000_characters_is_refused_and_kept(world, locale, message):
    app, ids = world
    case_id = ids["review"]
    client = app.test_client()
    login(client, "reviewer")
    client.post(f"/locale/{locale}")
    too_long = "審" * (COMMENT_MAX_LENGTH + 1)  # characters, not bytes
    page = client.post(
        f"/cases/{case_id}/transition", data={"name": "return", "comment": too_long}
    ).text
    assert message in page and "2,001" in page
    assert f">{too_long}</textarea>" in page  # the typed comment stays
    assert 'aria-invalid="true"' in page
    with app.app_context():
        assert status(case_id) == "in_review" and len(history(case_id)) == 2
    exactly = "審" * COMMENT_MAX_LENGTH
    client.post(f"/cases/{case_id}/transition", data={"name": "return", "comment": exactly})
    with app.app_context():
        assert status(case_id) == "returned"
        assert history(case_id)[-1].comment == exactly
