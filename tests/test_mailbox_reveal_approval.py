"""A supervisor's approval of a reveal of a citizen's personal data (issue 16; 個人資料保護法
§18, Taipei's 1999 practice; rule parameter ``mailbox_reveal_needs_approval``, set by the
Taipei profile): off, a reveal is made at once as before; on, the reveal form records a
pending request and shows nothing; the requester's supervisor (the agency's head for its
staff, another reviewer for a head or a reviewer) approves -- the requester then sees the
value -- or refuses; nobody decides their own request, another agency's head or a role that
decides nothing cannot (guessed ids alike); every step logged, the log in Flask-Admin.
SQLite and PostgreSQL (the ``database_url`` fixture)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from casework import add_user
from hosting import login
from test_feedback_pages import GOOD_REASON, add_app, add_feedback, page, speak, visible_text

from appgov_plugin.mailbox import personal_data
from appgov_plugin.mailbox.models import PersonalDataReveal, PersonalDataRevealRequest
from sample_host.extensions import db

PHONE = "0912345678"
MASKED_PHONE = "0912-***-678"
LIST = "/appgov/feedback/reveal-requests"


@pytest.fixture
def taipei(make_host):
    """A host of the Taipei profile (approval on), an item on an app of the demo staff's
    agency and one of another agency of the city, and the users the tests need."""
    host = make_host("taipei")
    with host.app_context():
        own = add_feedback(add_app("府城公車"), address_string=None)[0]
        other = add_feedback(add_app("智慧南市", agency="tainan-sdc"), address_string=None)[0]
        add_user("otherhead", "agency_head", "tainan-sdc")
        add_user("sdcstaff", "agency_staff", "tainan-sdc")
        add_user("reviewer3", "reviewer", "tainan-sdc")
    host.ids = {"own": own, "other": other}
    return host


def rows(host, model):
    with host.app_context():
        return list(db.session.scalars(sa.select(model).order_by(model.id)))


def ask(client, feedback_id, field="phone", reason=GOOD_REASON):
    return client.post(f"/appgov/feedback/{feedback_id}/reveal/{field}", data={"reason": reason})


def decide(client, request_id, decision, note=""):
    return client.post(f"{LIST}/{request_id}", data={"decision": decision, "note": note})


def test_off_a_reveal_is_made_at_once_as_before(make_host):
    host = make_host("tainan")
    with host.app_context():
        (feedback_id,) = add_feedback(add_app("府城公車"), address_string=None)
    client = host.test_client()
    login(client, "staff")
    assert ask(client, feedback_id).status_code == 302
    assert PHONE in page(client, f"/appgov/feedback/{feedback_id}")
    assert rows(host, PersonalDataRevealRequest) == []
    assert rows(host, PersonalDataReveal)[-1].username == "staff"


def test_on_a_reveal_waits_then_the_head_approves_and_the_requester_sees_it(taipei):
    feedback_id = taipei.ids["own"]
    client = taipei.test_client()
    login(client, "staff")
    speak(client, "en")
    item = page(client, f"/appgov/feedback/{feedback_id}")
    assert "Ask to reveal" in item and "a supervisor approves" in visible_text(item)
    reveals_before = len(rows(taipei, PersonalDataReveal))
    # a bad reason: refused naming the field, nothing recorded
    response = ask(client, feedback_id, reason="太短")
    assert response.status_code == 400 and "Reason for revealing" in visible_text(
        response.get_data(as_text=True)
    )
    assert rows(taipei, PersonalDataRevealRequest) == []
    # a good one: pending, nothing shown, no reveal yet; asking again records no second one
    assert ask(client, feedback_id).status_code == 302
    assert ask(client, feedback_id).status_code == 302
    (asked,) = rows(taipei, PersonalDataRevealRequest)
    assert (asked.username, asked.field, asked.feedback_id, asked.state) == (
        "staff",
        "phone",
        feedback_id,
        "pending",
    )
    assert (asked.reason, asked.requester_role, asked.requester_agency) == (
        GOOD_REASON,
        "agency_staff",
        "tainan-tourism",
    )
    item = visible_text(page(client, f"/appgov/feedback/{feedback_id}"))
    assert PHONE not in item and MASKED_PHONE in item
    assert "Waiting for a supervisor's approval" in item
    assert len(rows(taipei, PersonalDataReveal)) == reveals_before
    # staff decide nothing
    assert client.get(LIST).status_code == 403
    assert decide(client, asked.id, "approve").status_code == 403
    # the agency's head: listed, approves
    login(client, "head")
    speak(client, "en")
    feedback_list = visible_text(page(client, "/appgov/feedback"))
    assert "1 request to reveal personal data waits" in feedback_list
    listing = visible_text(page(client, LIST))
    assert GOOD_REASON in listing and "staff" in listing and PHONE not in listing
    assert decide(client, asked.id, "approve").status_code == 302
    (asked,) = rows(taipei, PersonalDataRevealRequest)
    assert (asked.state, asked.decided_by) == ("approved", "head")
    assert asked.decided_at is not None and asked.reveal_id is not None
    reveal = rows(taipei, PersonalDataReveal)[-1]
    assert (reveal.id, reveal.username, reveal.field, reveal.reason) == (
        asked.reveal_id,
        "staff",
        "phone",
        GOOD_REASON,
    )
    # the head approved: they do not see the value themselves
    assert PHONE not in page(client, f"/appgov/feedback/{feedback_id}")
    assert "No request waits for your decision." in visible_text(page(client, LIST))
    # decided once: a second decision 409, nothing changed
    assert decide(client, asked.id, "refuse").status_code == 409
    assert rows(taipei, PersonalDataRevealRequest)[0].state == "approved"
    # the requester sees the value now
    login(client, "staff")
    text = page(client, f"/appgov/feedback/{feedback_id}")
    assert PHONE in text and "revealed to you" in text


def test_nobody_decides_their_own_nor_another_agencys_request(taipei):
    own, other = taipei.ids["own"], taipei.ids["other"]
    client = taipei.test_client()
    # the head's own request goes to a reviewer, never to the head
    login(client, "head")
    assert ask(client, own).status_code == 302
    head_request = rows(taipei, PersonalDataRevealRequest)[-1]
    assert head_request.requester_role == "agency_head"
    assert head_request.id not in _listed(page(client, LIST))
    assert decide(client, head_request.id, "approve").status_code == 403
    # staff's request: another agency's head cannot see nor decide it (404, as a guessed id)
    login(client, "staff")
    assert ask(client, own, field="email").status_code == 302
    staff_request = rows(taipei, PersonalDataRevealRequest)[-1]
    login(client, "otherhead")
    assert _listed(page(client, LIST)) == set()
    assert decide(client, staff_request.id, "approve").status_code == 404
    assert decide(client, head_request.id, "approve").status_code == 404
    assert decide(client, 999999, "approve").status_code == 404
    assert decide(client, int("9" * 30), "approve").status_code == 404
    # the reviewer decides the head's request, not the staff's (their head's)
    login(client, "reviewer")
    assert _listed(page(client, LIST)) == {head_request.id}
    assert decide(client, staff_request.id, "approve").status_code == 404
    # a reviewer's own request goes to another reviewer
    assert ask(client, other).status_code == 302
    reviewer_request = rows(taipei, PersonalDataRevealRequest)[-1]
    assert decide(client, reviewer_request.id, "approve").status_code == 403
    login(client, "reviewer3")
    assert _listed(page(client, LIST)) == {head_request.id, reviewer_request.id}
    # roles that decide nothing: 403
    for username in ("mayor", "admin", "itdept", "helpdesk", "officer", "sdcstaff"):
        login(client, username)
        assert client.get(LIST).status_code == 403, username
        assert decide(client, head_request.id, "approve").status_code == 403, username
    # nothing was decided
    assert {r.state for r in rows(taipei, PersonalDataRevealRequest)} == {"pending"}


def test_a_refusal_is_recorded_and_shown_to_the_requester_who_may_ask_again(taipei):
    feedback_id = taipei.ids["own"]
    client = taipei.test_client()
    login(client, "staff")
    ask(client, feedback_id)
    (asked,) = rows(taipei, PersonalDataRevealRequest)
    login(client, "head")
    speak(client, "en")
    # a bad decision or note: refused naming the field, nothing written
    response = decide(client, asked.id, "maybe")
    assert response.status_code == 400 and "Decision:" in visible_text(
        response.get_data(as_text=True)
    )
    response = decide(client, asked.id, "refuse", note="理由\x01不足")
    assert response.status_code == 400
    assert "Note to the requester" in visible_text(response.get_data(as_text=True))
    assert rows(taipei, PersonalDataRevealRequest)[0].state == "pending"
    assert decide(client, asked.id, "refuse", note="請先以信箱回覆民眾。").status_code == 302
    (asked,) = rows(taipei, PersonalDataRevealRequest)
    assert (asked.state, asked.decided_by, asked.decision_note, asked.reveal_id) == (
        "refused",
        "head",
        "請先以信箱回覆民眾。",
        None,
    )
    login(client, "staff")
    speak(client, "en")
    text = visible_text(page(client, f"/appgov/feedback/{feedback_id}"))
    assert PHONE not in text and "Refused by head" in text and "請先以信箱回覆民眾。" in text
    assert "Ask to reveal Phone" in text  # a new request, with a new reason
    assert ask(client, feedback_id).status_code == 302
    assert [r.state for r in rows(taipei, PersonalDataRevealRequest)] == ["refused", "pending"]


def test_the_requests_log_in_flask_admin(taipei):
    client = taipei.test_client()
    login(client, "staff")
    ask(client, taipei.ids["own"])
    login(client, "head")
    decide(client, rows(taipei, PersonalDataRevealRequest)[0].id, "approve")
    url = "/admin/appgov_personal_data_reveal_requests/"
    login(client, "admin")
    speak(client, "en")
    text = visible_text(page(client, url))
    assert "Approved" in text and "staff" in text and "head" in text
    for username in ("head", "staff", "reviewer"):
        login(client, username)
        assert client.get(url).status_code in (302, 403), username


def test_erasing_the_contact_data_masks_it_in_the_requests_too(taipei):
    feedback_id = taipei.ids["own"]
    client = taipei.test_client()
    login(client, "staff")
    ask(client, feedback_id, reason="民眾請回電 0912-345-678，需確認地址。")
    login(client, "head")
    (asked,) = rows(taipei, PersonalDataRevealRequest)
    decide(client, asked.id, "refuse", note="請改寄 huang.jianhong@example.org 回覆。")
    with taipei.app_context():
        personal_data.remove_contact_data(db.session, [feedback_id])
        db.session.commit()
    (asked,) = rows(taipei, PersonalDataRevealRequest)
    assert "0912-***-678" in asked.reason and "345" not in asked.reason
    assert "h***@example.org" in asked.decision_note


def _listed(text: str) -> set[int]:
    return {int(n) for n in re.findall(r'id="request-(\d+)"', text)}
