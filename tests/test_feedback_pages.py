"""The citizens' feedback pages (issue 11): who reads which app's feedback (a test per role,
guessed ids), personal data masked on the list, the item's page, the exports and the app
page (個人資料保護法), revealing one field with a reason (CSRF, logged, shown to that reader
only; the log in Flask-Admin), both languages with ROC dates, filters, and query counts that
do not grow with the feedback. SQLite and PostgreSQL (the ``database_url`` fixture)."""

from __future__ import annotations

import datetime as dt
import io
import re
import uuid
import zipfile

import pytest
import sqlalchemy as sa
from casework import add_user, counting_queries
from casework import visible_text as raw_text
from hosting import login

from appgov_plugin.apps.models import App
from appgov_plugin.mailbox import privacy
from appgov_plugin.mailbox.models import Feedback, FeedbackOutbox, PersonalDataReveal
from sample_host.extensions import db

UTC = dt.UTC
#: 民國 115 年 11 月 22 日 in Taipei (09:30)
RECEIVED = dt.datetime(2026, 11, 22, 1, 30, tzinfo=UTC)
CITIZEN = {
    "first_name": "建宏",
    "last_name": "黃",
    "email": "huang.jianhong@example.org",
    "phone": "0912345678",
}
GOOD_REASON = "回覆民眾關於公車動態資料錯誤的陳情，需要電話聯繫。"


def visible_text(page: str) -> str:
    return " ".join(raw_text(page).split())


@pytest.fixture
def host(make_host):
    return make_host("tainan")


def add_app(name: str, agency: str = "tainan-tourism", linked: bool = True) -> int:
    app = App(
        name=name,
        name_en=f"{name} (en)",
        agency_code=agency,
        status="listed",
        version="1.0.0",
        linked_to_mayor_mailbox=linked,
    )
    db.session.add(app)
    db.session.commit()
    return app.id


def add_feedback(
    app_id: int,
    count: int = 1,
    *,
    state: str = "pending",
    attempts: int = 0,
    number: str | None = None,
    status: str = "open",
    reply: str | None = None,
    text: str = "公車到站時間不準確。",
    **fields,
) -> list[int]:
    """``count`` feedback items of app ``app_id`` with their outbox rows (one INSERT each)."""
    code = db.session.get(App, app_id).code
    rows = [
        {
            "app_id": app_id,
            "service_code": code,
            "token": str(uuid.uuid4()),
            "idempotency_key": str(uuid.uuid4()),
            "description": text,
            "requested_at": RECEIVED,
            "updated_at": RECEIVED,
            "status": status,
            "status_notes": reply,
            "service_request_id": f"{number}{n}" if number and count > 1 else number,
            "forwarded_at": RECEIVED if number else None,
            "locale": "zh_Hant_TW",
            **{**CITIZEN, **fields},
        }
        for n in range(count)
    ]
    ids = list(db.session.scalars(sa.insert(Feedback).returning(Feedback.id), rows))
    db.session.execute(
        sa.insert(FeedbackOutbox),
        [
            {
                "feedback_id": id_,
                "state": state,
                "attempts": attempts,
                "next_attempt_at": RECEIVED,
                "sent_at": RECEIVED if state == "sent" else None,
            }
            for id_ in ids
        ],
    )
    db.session.commit()
    return ids


def page(client, url, expect=200, **query) -> str:
    response = client.get(url, query_string=query) if query else client.get(url)
    assert response.status_code == expect, (url, query, response.status_code)
    return response.get_data(as_text=True)


def listed_ids(text: str) -> set[int]:
    return {int(n) for n in re.findall(r'href="/appgov/feedback/(\d+)"', text)}


def reveals(host) -> list[PersonalDataReveal]:
    with host.app_context():
        return list(
            db.session.scalars(sa.select(PersonalDataReveal).order_by(PersonalDataReveal.id))
        )


def speak(client, locale):
    assert client.post(f"/locale/{locale}").status_code == 302


@pytest.fixture
def three_agencies(host):
    """An item on an app of the demo staff's agency, of another Tainan agency and of a
    Kaohsiung agency (with its own staff ``khstaff``): their ids."""
    with host.app_context():
        own = add_feedback(add_app("府城公車"))[0]
        city = add_feedback(add_app("智慧南市", agency="tainan-sdc"))[0]
        other = add_feedback(add_app("高雄好行", agency="kaohsiung-tb"))[0]
        add_user("khstaff", "agency_staff", "kaohsiung-tb")
    return {"own": own, "city": city, "other": other}


# -- masking rules -----------------------------------------------------------------------


def test_masking_follows_taiwanese_practice():
    assert privacy.mask_name("小明", "王") == "王＊明"
    assert privacy.mask_name("明", "王") == "王＊"
    assert privacy.mask_name("志豪", "歐陽") == "歐陽＊豪"
    assert privacy.mask_name("John", "Smith") == "J*** S***"
    assert privacy.mask_email("alice@example.org") == "a***@example.org"
    assert privacy.mask_email("not an address") == "***"
    assert privacy.mask_phone("0912345678") == "0912-***-678"
    assert privacy.mask_phone("+886 912 345 678") == "0912-***-678"
    assert privacy.mask_phone("(06)299-1111") == "06-***-111"
    assert privacy.mask_phone("1999") == "***"
    assert privacy.mask_address("臺南市中西區永華路二段6號") == "臺南市中西區＊＊＊"
    text = privacy.mask_text("請回電 0912-345-678 或寄 bob@gmail.com，訂單 20261202 號")
    assert text == "請回電 0912-***-678 或寄 b***@gmail.com，訂單 20261202 號"


# -- who reads what ----------------------------------------------------------------------


def test_each_role_reads_the_feedback_of_its_scope_and_404_for_guessed_ids(host, three_agencies):
    ids = three_agencies
    client = host.test_client()
    seen = {
        # the app's agency: its own apps' feedback only
        "staff": {"own"},
        "head": {"own"},
        "khstaff": {"other"},
        # the app authority and the mayor's office: their city's
        "reviewer": {"own", "city"},
        "mayor": {"own", "city"},
        # the administrator: every city's (the failed forwardings are theirs)
        "admin": {"own", "city", "other"},
    }
    for username, keys in seen.items():
        login(client, username)
        listed = listed_ids(page(client, "/appgov/feedback")) & set(ids.values())
        assert listed == {ids[key] for key in keys}, username
        for key, feedback_id in ids.items():
            expected = 200 if key in keys else 404
            response = client.get(f"/appgov/feedback/{feedback_id}")
            assert response.status_code == expected, (username, key)
        # a guessed id that is no item answers alike
        assert client.get("/appgov/feedback/999999").status_code == 404
        assert client.get(f"/appgov/feedback/{'9' * 60}").status_code == 404
        csv = client.get("/appgov/feedback.csv").get_data(as_text=True)
        assert ("高雄好行" in csv) == ("other" in keys), username
    # the IT department and the helpdesk have no task with citizens' feedback: 403 everywhere
    for username in ("itdept", "helpdesk"):
        login(client, username)
        assert client.get("/appgov/feedback").status_code == 403
        assert client.get("/appgov/feedback.xlsx").status_code == 403
        assert client.get(f"/appgov/feedback/{ids['own']}").status_code == 403
        text = visible_text(page(client, "/appgov/apps/" + str(_app_of(host, ids["own"]))))
        assert "Mayor mailbox" in text or "市長信箱" in text  # the link itself, not the items
        assert f"/appgov/feedback/{ids['own']}" not in text
    # nor the sample mailbox's officers: they read the mailbox itself
    login(client, "officer")
    for url in ("/appgov/feedback", "/appgov/feedback.ods", f"/appgov/feedback/{ids['own']}"):
        assert client.get(url).status_code == 403, url
    # anonymous: the log-in page
    client = host.test_client()
    for url in ("/appgov/feedback", f"/appgov/feedback/{ids['own']}", "/appgov/feedback.csv"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url


def _app_of(host, feedback_id: int) -> int:
    with host.app_context():
        return db.session.get(Feedback, feedback_id).app_id


def test_a_bad_filter_is_named_and_another_agencys_app_is_not_offered(host, three_agencies):
    client = host.test_client()
    login(client, "staff")
    other_app = _app_of(host, three_agencies["other"])
    for query, word in (
        ({"app": str(other_app)}, "App"),
        ({"app": "abc"}, "App"),
        ({"status": "pending"}, "Status"),
        ({"forwarding": "lost"}, "Forwarding"),
        ({"page": "-1"}, "Page"),
    ):
        speak(client, "en")
        text = visible_text(page(client, "/appgov/feedback", 400, **query))
        assert f"{word}: “{next(iter(query.values()))}”" in text, query
        assert "高雄好行" not in text
    assert client.get("/appgov/feedback.csv", query_string={"app": other_app}).status_code == 400


def test_filters_by_app_status_and_forwarding_state(host):
    with host.app_context():
        bus = add_app("府城公車")
        park = add_app("府城停車")
        waiting = set(add_feedback(bus, 2))
        retrying = set(add_feedback(bus, state="sending", attempts=1))
        failed = set(add_feedback(park, state="failed", attempts=12))
        forwarded = set(add_feedback(park, state="sent", number="1150000111"))
        closed = set(add_feedback(bus, state="sent", number="1150000112", status="closed"))
    mine = waiting | retrying | failed | forwarded | closed
    client = host.test_client()
    login(client, "staff")

    def ids(**query):
        return listed_ids(page(client, "/appgov/feedback", **query)) & mine

    assert ids() == mine
    assert ids(app=bus) == waiting | retrying | closed
    assert ids(status="closed") == closed
    assert ids(status="open", app=park) == failed | forwarded
    assert ids(forwarding="waiting") == waiting | retrying
    assert ids(forwarding="forwarded") == forwarded | closed
    assert ids(forwarding="failed") == failed
    # the export takes the same filters
    csv = client.get("/appgov/feedback.csv", query_string={"forwarding": "failed"})
    numbers = {int(n) for n in re.findall(r"^(\d+),", csv.get_data(as_text=True), re.M)}
    assert numbers & mine == failed


# -- masking on every page -----------------------------------------------------------------


def test_personal_data_is_masked_on_the_list_the_page_the_exports_and_the_app_page(host):
    with host.app_context():
        app_id = add_app("府城公車")
        (feedback_id,) = add_feedback(
            app_id,
            text="請回電 0922-123-456，或寄 chen@example.org 謝謝。",
            address_string="臺南市中西區永華路二段6號",
        )
    raw = ("建宏", "huang.jianhong", "0912345678", "345678", "0922-123-456", "chen@", "永華路")
    client = host.test_client()
    login(client, "staff")
    listing = page(client, "/appgov/feedback")
    assert "黃＊宏" in listing and "0922-***-456" in listing and "c***@example.org" in listing
    item = page(client, f"/appgov/feedback/{feedback_id}")
    assert "黃" in item and "＊宏" in item and "h***@example.org" in item
    assert "0912-***-678" in item and "臺南市中西區＊＊＊" in item
    app_page = page(client, f"/appgov/apps/{app_id}")
    assert "0922-***-456" in app_page
    assert "0922-***-456" in item and "c***@example.org" in item  # in the text too
    for text in (listing, app_page, item):
        for value in raw:
            assert value not in text, value
    for fmt in ("csv", "xlsx", "ods"):
        response = client.get("/appgov/feedback." + fmt, query_string={"app": app_id})
        assert response.status_code == 200 and response.headers["Cache-Control"].startswith(
            "private"
        )
        content = _file_text(fmt, response.data)
        assert "黃＊宏" in content and "0912-***-678" in content, fmt
        assert "h***@example.org" in content and "0922-***-456" in content, fmt
        for value in raw:
            assert value not in content, (fmt, value)


def _file_text(fmt: str, data: bytes) -> str:
    if fmt == "csv":
        return data.decode("utf-8-sig")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "".join(
            archive.read(name).decode("utf-8")
            for name in archive.namelist()
            if name.endswith(".xml")
        )


# -- revealing one field -------------------------------------------------------------------


def test_revealing_needs_a_reason_is_logged_and_shows_the_value_to_that_reader_only(host):
    with host.app_context():
        (feedback_id,) = add_feedback(add_app("府城公車"), address_string=None)
        add_user("staff2", "agency_staff", "tainan-tourism")
    url = f"/appgov/feedback/{feedback_id}/reveal/phone"
    client = host.test_client()
    login(client, "staff")
    speak(client, "en")
    before = len(reveals(host))
    # no reason, a short one, a control character: refused naming the field, nothing logged
    for reason, message in (
        ("", "Reason for revealing: write why you need this data."),
        ("太短", "Write at least 10 characters (now 2)."),
        ("回覆民眾陳情\x01需要電話聯繫。", "Reason for revealing"),
    ):
        response = client.post(url, data={"reason": reason})
        assert response.status_code == 400, reason
        text = visible_text(response.get_data(as_text=True))
        assert message in text, (reason, text[:500])
        assert "0912345678" not in text
    assert len(reveals(host)) == before
    # a good reason: logged (who, which field, why), then the value shown to this reader
    response = client.post(url, data={"reason": GOOD_REASON})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/appgov/feedback/{feedback_id}#phone")
    logged = reveals(host)[-1]
    assert (logged.feedback_id, logged.field, logged.username, logged.reason) == (
        feedback_id,
        "phone",
        "staff",
        GOOD_REASON,
    )
    mine = client.get(f"/appgov/feedback/{feedback_id}")
    assert mine.headers["Cache-Control"] == "private, no-store"
    text = mine.get_data(as_text=True)
    assert "0912345678" in text and "revealed to you" in text
    assert "huang.jianhong@example.org" not in text  # one field only
    # another reader of the same agency still reads it masked
    login(client, "staff2")
    text = page(client, f"/appgov/feedback/{feedback_id}")
    assert "0912345678" not in text and "0912-***-678" in text


def test_the_contact_details_in_the_text_are_revealed_like_a_field(host):
    with host.app_context():
        app_id = add_app("府城公車")
        (feedback_id,) = add_feedback(app_id, text="請回電 0922-123-456 找陳先生。")
        (plain,) = add_feedback(app_id, text="到站時間不準確。")
    client = host.test_client()
    login(client, "reviewer")
    text = page(client, f"/appgov/feedback/{feedback_id}")
    assert "0922-***-456" in text and "0922-123-456" not in text
    url = f"/appgov/feedback/{feedback_id}/reveal/description"
    assert client.post(url, data={"reason": GOOD_REASON}).status_code == 302
    assert reveals(host)[-1].field == "description"
    text = page(client, f"/appgov/feedback/{feedback_id}")
    assert "請回電 0922-123-456 找陳先生。" in text
    assert "0912345678" not in text  # the phone field stays masked
    # a text without contact details has nothing to reveal
    assert "/reveal/description" not in page(client, f"/appgov/feedback/{plain}")
    plain_url = f"/appgov/feedback/{plain}/reveal/description"
    assert client.post(plain_url, data={"reason": GOOD_REASON}).status_code == 409


def test_who_may_reveal(host, three_agencies):
    ids = three_agencies
    client = host.test_client()

    def reveal(username, feedback_id, field="email"):
        login(client, username)
        url = f"/appgov/feedback/{feedback_id}/reveal/{field}"
        return client.post(url, data={"reason": GOOD_REASON}).status_code

    before = len(reveals(host))
    # the app's agency and the app authority follow it up
    assert reveal("staff", ids["own"]) == 302
    assert reveal("head", ids["own"]) == 302
    assert reveal("reviewer", ids["city"]) == 302
    assert len(reveals(host)) == before + 3
    # the mayor's office and the administrator read masked data only; no form for them
    assert reveal("mayor", ids["own"]) == 403
    assert "/reveal/" not in page(client, f"/appgov/feedback/{ids['own']}")
    assert reveal("admin", ids["own"]) == 403
    assert "/reveal/" not in page(client, f"/appgov/feedback/{ids['own']}")
    # roles that read no feedback, another agency's item, an unknown or an empty field
    assert reveal("itdept", ids["own"]) == 403
    assert reveal("helpdesk", ids["own"]) == 403
    assert reveal("khstaff", ids["own"]) == 404
    assert reveal("staff", ids["other"]) == 404
    assert reveal("staff", ids["own"], field="device_id") == 404
    assert reveal("staff", ids["own"], field="address_string") == 409  # none given
    # a Chinese family name is shown as it is: nothing to reveal
    assert reveal("staff", ids["own"], field="last_name") == 409
    assert len(reveals(host)) == before + 3
    client = host.test_client()  # anonymous
    response = client.post(f"/appgov/feedback/{ids['own']}/reveal/email", data={"reason": "x"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_reveal_without_its_csrf_token_reveals_nothing(sample_host_factory):
    app = sample_host_factory(APPGOV_PROFILE="tainan", WTF_CSRF_ENABLED=True)
    with app.app_context():
        (feedback_id,) = add_feedback(add_app("府城公車"))
    client = app.test_client()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page(client, "/login")).group(1)
    client.post("/login", data={"username": "staff", "password": "demo-staff", "csrf_token": token})
    url = f"/appgov/feedback/{feedback_id}/reveal/phone"
    before = len(reveals(app))
    response = client.post(url, data={"reason": GOOD_REASON})
    assert response.status_code == 400
    assert "0912345678" not in response.get_data(as_text=True)
    item = page(client, f"/appgov/feedback/{feedback_id}")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', item).group(1)
    assert client.post(url, data={"reason": GOOD_REASON, "csrf_token": token}).status_code == 302
    assert len(reveals(app)) == before + 1


def test_the_reveal_log_is_read_only_for_administrators(host):
    with host.app_context():
        (feedback_id,) = add_feedback(add_app("府城公車"))
    client = host.test_client()
    login(client, "staff")
    url = f"/appgov/feedback/{feedback_id}/reveal/email"
    assert client.post(url, data={"reason": GOOD_REASON}).status_code == 302
    assert client.get("/admin/appgov_personal_data_reveals/").status_code == 403
    login(client, "admin")
    speak(client, "en")
    text = visible_text(page(client, "/admin/appgov_personal_data_reveals/"))
    assert GOOD_REASON in text and "staff" in text and f"#{feedback_id}" in text
    assert "E-mail" in text
    assert "huang.jianhong" not in text  # the log names the field, never its value
    assert client.get("/admin/appgov_personal_data_reveals/new/").status_code in (302, 403, 404)
    with host.app_context():
        reveal_id = reveals(host)[-1].id
    for action in ("edit", "delete"):
        response = client.post(
            f"/admin/appgov_personal_data_reveals/{action}/?id={reveal_id}",
            data={"reason": "changed", "id": reveal_id},
        )
        assert response.status_code in (302, 403, 404, 405), action
    with host.app_context():
        assert reveals(host)[-1].reason == GOOD_REASON


# -- the item's page and the app page in both languages ------------------------------------


def test_the_item_page_speaks_both_languages_with_roc_dates(host):
    with host.app_context():
        app_id = add_app("府城公車")
        (waiting,) = add_feedback(app_id, attempts=2)
        (closed,) = add_feedback(
            app_id,
            state="sent",
            number="1150000123",
            status="closed",
            reply="已請業者修正到站資料，謝謝您的意見。",
        )
        (failed,) = add_feedback(app_id, state="failed", attempts=12)
    client = host.test_client()
    login(client, "staff")
    text = visible_text(page(client, f"/appgov/feedback/{closed}"))
    assert "民國 115 年 11 月 22 日 09:30" in text
    assert "1150000123" in text and "已請業者修正到站資料" in text
    speak(client, "en")
    text = visible_text(page(client, f"/appgov/feedback/{closed}"))
    assert "2026-11-22 09:30" in text and "民國" not in text
    assert "Forwarded to the mayor mailbox on 2026-11-22 09:30." in text
    assert "Mailbox number 1150000123" in text and "Closed" in text
    text = visible_text(page(client, f"/appgov/feedback/{waiting}"))
    assert "Waiting to be forwarded: 2 attempts failed so far" in text
    assert "None yet (given once forwarded)" in text and "No reply yet." in text
    text = visible_text(page(client, f"/appgov/feedback/{failed}"))
    assert "Not forwarded: 12 attempts failed; an administrator retries it." in text
    listing = visible_text(page(client, "/appgov/feedback", app=app_id))
    assert "2026-11-22 09:30" in listing and "Failed: waiting for an administrator" in listing
    speak(client, "zh_Hant_TW")
    listing = visible_text(page(client, "/appgov/feedback", app=app_id))
    assert "115/11/22 09:30" in listing


def test_the_app_page_shows_the_mailbox_section(host):
    with host.app_context():
        app_id = add_app("府城公車")
        unlinked = add_app("未串接App", linked=False)
        add_feedback(app_id, 2)
        add_feedback(app_id, state="failed", attempts=12)
        add_feedback(app_id, state="sent", number="1150000777", status="closed", reply="已處理。")
        code = db.session.get(App, app_id).code
    client = host.test_client()
    login(client, "staff")
    speak(client, "en")
    text = visible_text(page(client, f"/appgov/apps/{app_id}"))
    section = text.split("Mayor mailbox", 1)[1]
    assert "Linked to the mayor mailbox Yes" in section and code in section
    assert "Open: 3" in section and "Closed: 1" in section
    assert "Waiting to be forwarded: 2" in section and "Forwarding failed: 1" in section
    assert "1150000777" in section and "已處理。" in section
    assert "黃" not in section  # no citizen's name on the app page
    text = visible_text(page(client, f"/appgov/apps/{unlinked}"))
    assert "TN-EVAL-4 asks for a feedback function linked to the mayor mailbox." in text


def test_agency_roles_see_their_open_feedback_in_the_navigation(host):
    with host.app_context():
        app_id = add_app("府城公車")
        add_feedback(app_id, 3)
        add_feedback(app_id, state="sent", number="1150000999", status="closed")
        expected = db.session.scalar(
            sa.select(sa.func.count(Feedback.id))
            .join(App, App.id == Feedback.app_id)
            .where(App.agency_code == "tainan-tourism", Feedback.status == "open")
        )
    client = host.test_client()

    def badge(username):
        login(client, username)
        nav = page(client, "/appgov/").split('href="/appgov/feedback"', 1)[1].split("</a>")[0]
        found = re.search(r'class="badge[^"]*">(\d+)', nav)
        return int(found.group(1)) if found else None

    assert badge("staff") == expected and badge("head") == expected
    assert badge("reviewer") is None and badge("admin") is None


# -- query counts --------------------------------------------------------------------------


def test_query_counts_do_not_grow_with_the_feedback(host):
    with host.app_context():
        app_id = add_app("府城公車")
        first = add_feedback(app_id, 3)[0]
    client = host.test_client()
    login(client, "reviewer")

    def measured(url, **query):
        with counting_queries(host) as statements:
            page(client, url, **query)
        return len(statements)

    urls = ("/appgov/feedback", f"/appgov/feedback/{first}", f"/appgov/apps/{app_id}")
    for url in urls:
        measured(url)  # the first request of a process reads what it keeps (policy, forms)
    few = [measured(url) for url in urls]
    few_export = measured("/appgov/feedback.csv")
    with host.app_context():
        add_feedback(app_id, 80, state="sent", number="11500")
        add_feedback(app_id, 40, state="failed", attempts=12)
        add_feedback(add_app("府城停車", agency="tainan-sdc"), 40)
        for _n in range(5):
            db.session.add(
                PersonalDataReveal(
                    feedback_id=first, field="phone", username="reviewer", reason=GOOD_REASON
                )
            )
        db.session.commit()
    many = [measured(url) for url in urls]
    assert many == few, (few, many)
    assert measured("/appgov/feedback.csv") == few_export
    assert measured("/appgov/feedback", page="3") == few[0]


def test_the_demo_brings_feedback_in_each_state_the_pages_show(host):
    with host.app_context():
        rows = db.session.execute(
            sa.select(Feedback.status, Feedback.service_request_id, FeedbackOutbox.state).join(
                FeedbackOutbox, FeedbackOutbox.feedback_id == Feedback.id
            )
        ).all()
    states = {state for _status, _number, state in rows}
    assert {"pending", "failed", "sent"} <= states
    assert all(number for _status, number, state in rows if state == "sent")
    assert any(status == "closed" for status, _number, _state in rows)
    client = host.test_client()
    login(client, "staff")
    assert len(listed_ids(page(client, "/appgov/feedback"))) == len(rows)


def test_a_revealed_value_is_shown_for_the_reveal_window_only(host):
    with host.app_context():
        (feedback_id,) = add_feedback(add_app("府城公車"))
        old = dt.datetime.now(UTC) - dt.timedelta(minutes=privacy.REVEAL_MINUTES + 1)
        db.session.add(
            PersonalDataReveal(
                feedback_id=feedback_id,
                field="phone",
                username="staff",
                reason=GOOD_REASON,
                revealed_at=old,
            )
        )
        db.session.commit()
    client = host.test_client()
    login(client, "staff")
    text = page(client, f"/appgov/feedback/{feedback_id}")
    assert "0912345678" not in text and "/reveal/phone" in text  # asked again, with a reason
