"""The sample host's mayor mailbox (sample_host/mailbox): its Open311 endpoint over real HTTP
(a live server on 127.0.0.1, tests/mailbox_server.py), idempotent by key (MAIL-2), with
GeoReport's error bodies; the officer's pages in the host, per role, in both languages.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.error
import urllib.parse
import urllib.request

import pytest
import sqlalchemy as sa
from alembic import command
from casework import counting_queries, visible_text
from hosting import login
from mailbox_server import MailboxServer

from appgov_plugin.host.contract import STANDARD_ROLES
from sample_host.database import MIGRATIONS_DIR
from sample_host.demo import USERS
from sample_host.extensions import db, migrate
from sample_host.mailbox import demo as mailbox_demo
from sample_host.mailbox import store
from sample_host.mailbox.masking import mask_name
from sample_host.mailbox.models import MailboxAction, MailboxRequest
from sample_host.models import User

FEEDBACK = {
    "service_code": "app-feedback",
    "description": "活動頁面的地圖無法放大。",
    "first_name": "怡君",
    "last_name": "李",
    "email": "citizen@example.org",
    "phone": "0912-345-678",
    "attribute[app_code]": "app-3",
    "attribute[app_name]": "臺南市政府觀光旅遊局行動服務",
    "attribute[agency_code]": "tainan-tourism",
    "attribute[agency_name]": "臺南市政府觀光旅遊局",
    "attribute[feedback_id]": "42",
    "attribute[requested_datetime]": "2026-12-02T08:00:00+08:00",
    "attribute[locale]": "zh_Hant_TW",
}


def call(method: str, url: str, data: dict | None = None, headers: dict | None = None):
    """(status, JSON body) of one HTTP request (form-encoded body, as Open311 posts)."""
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def post(server, key: str | None = None, **fields):
    headers = {"Idempotency-Key": key} if key else {}
    data = {"api_key": server.api_key, **FEEDBACK, **fields}
    return call(
        "POST",
        server.url + "/requests.json",
        {k: v for k, v in data.items() if v is not None},
        headers,
    )


def status_of(server, number: str):
    return call("GET", f"{server.url}/requests/{number}.json?api_key={server.api_key}")


# -- the Open311 endpoint over HTTP ----------------------------------------------------------


def test_services_lists_the_one_service(mailbox_server):
    status, body = call("GET", mailbox_server.url + "/services.json")
    assert status == 200
    assert [service["service_code"] for service in body] == ["app-feedback"]


def test_a_post_is_recorded_once_per_idempotency_key(mailbox_server):
    # rule MAIL-2: the same key again answers 200 with the same number and creates nothing
    status, body = post(mailbox_server, "key-1")
    assert status == 201
    number = body[0]["service_request_id"]
    assert re.fullmatch(r"1[0-9]{2}[0-9]{7}", number)  # ROC year, then the sequence
    assert body[0]["service_notice"] == ""
    again_status, again = post(mailbox_server, "key-1", description="sent again")
    assert (again_status, again[0]["service_request_id"]) == (200, number)
    # the key as attribute[idempotency_key] is the same key
    status, body = post(mailbox_server, None, **{"attribute[idempotency_key]": "key-1"})
    assert (status, body[0]["service_request_id"]) == (200, number)
    status, other = post(mailbox_server, "key-2")
    assert status == 201 and other[0]["service_request_id"] != number
    rows = mailbox_server.requests()
    assert [(r.idempotency_key, r.service_request_id) for r in rows] == [
        ("key-1", number),
        ("key-2", other[0]["service_request_id"]),
    ]
    assert rows[0].description == FEEDBACK["description"] and rows[0].feedback_id == "42"


def test_posts_without_a_key_are_each_recorded(mailbox_server):
    first = post(mailbox_server)[1][0]["service_request_id"]
    second = post(mailbox_server)[1][0]["service_request_id"]
    assert first != second and len(mailbox_server.requests()) == 2


def _race(server, key: str, senders: int = 24) -> list[tuple[int, str]]:
    results: list[tuple[int, str]] = []
    start = threading.Barrier(senders)

    def send():
        start.wait()
        status, body = post(server, key)
        results.append((status, body[0].get("service_request_id", body[0].get("description"))))

    threads = [threading.Thread(target=send) for _ in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_concurrent_posts_of_one_key_leave_one_row(database_url, tmp_path):
    # rule MAIL-2: the unique index decides, not a look-up before the insert
    server = MailboxServer(tmp_path, database_url=database_url).start()
    try:
        for key in ("race-1", "race-2"):
            results = _race(server, key)
            assert sorted(status for status, _ in results) == [200] * 23 + [201], results
            assert len({number for _, number in results}) == 1
        rows = server.requests()
        assert sorted(r.idempotency_key for r in rows) == ["race-1", "race-2"]
    finally:
        server.dispose()


#: (fields changed, status, the field the description names)
BAD_POSTS = [
    ({"api_key": None}, 403, "api_key"),
    ({"api_key": "wrong"}, 403, "api_key"),
    ({"service_code": None}, 400, "service_code"),
    ({"service_code": "potholes"}, 404, "service_code"),
    ({"description": None}, 400, "description"),
    ({"description": "   "}, 400, "description"),
    ({"description": "長" * 4001}, 400, "description"),
    ({"email": "not-an-address"}, 400, "email"),
    ({"phone": "9" * 41}, 400, "phone"),
    ({"media_url": "javascript:alert(1)"}, 400, "media_url"),
    ({"lat": "91", "long": "120.2"}, 400, "lat"),
    ({"lat": "22.99", "long": "NaN"}, 400, "long"),
    ({"lat": "22.99"}, 400, "lat, long"),
    ({"attribute[requested_datetime]": "2026-12-02 08:00"}, 400, "attribute[requested_datetime]"),
    ({"attribute[app_name]": "名" * 201}, 400, "attribute[app_name]"),
    ({"first_name": "a\x00b"}, 400, "first_name"),
    ({"attribute[idempotency_key]": "another"}, 400, "attribute[idempotency_key]"),
]


@pytest.mark.parametrize(("fields", "code", "field"), BAD_POSTS)
def test_bad_posts_get_the_spec_error_body_and_store_nothing(mailbox_server, fields, code, field):
    status, body = post(mailbox_server, "the-key", **fields)
    assert status == code
    assert len(body) == 1 and body[0]["code"] == code
    assert field in body[0]["description"]
    assert mailbox_server.requests() == []


def test_status_queries(mailbox_server):
    numbers = [post(mailbox_server, f"k{i}")[1][0]["service_request_id"] for i in range(3)]
    key = mailbox_server.api_key
    status, body = call(
        "GET",
        f"{mailbox_server.url}/requests.json?api_key={key}&service_request_id={numbers[0]},{numbers[2]}",
    )
    assert status == 200 and sorted(r["service_request_id"] for r in body) == sorted(
        [numbers[0], numbers[2]]
    )
    assert set(body[0]) == {
        "service_request_id",
        "status",
        "status_notes",
        "agency_responsible",
        "service_code",
        "service_name",
        "requested_datetime",
        "updated_datetime",
    }
    assert body[0]["requested_datetime"].endswith("+00:00")
    # no ids: the filters (the last 90 days by default)
    status, body = call("GET", f"{mailbox_server.url}/requests.json?api_key={key}&status=open")
    assert status == 200 and len(body) == 3
    status, body = call(
        "GET",
        f"{mailbox_server.url}/requests.json?api_key={key}&service_code=app-feedback"
        "&start_date=2026-12-03T00:00:00%2B08:00",
    )
    assert status == 200 and body == []  # requested on 2026-12-02 (attribute)
    status, body = status_of(mailbox_server, numbers[1])
    assert status == 200 and body[0]["status"] == "open" and body[0]["status_notes"] == ""
    for query, code, field in [
        ("status=pending", 400, "status"),
        ("start_date=yesterday", 400, "start_date"),
        ("service_request_id=" + ",".join(str(i) for i in range(101)), 400, "service_request_id"),
        ("service_code=potholes", 404, "service_code"),
    ]:
        status, body = call("GET", f"{mailbox_server.url}/requests.json?api_key={key}&{query}")
        assert (status, body[0]["code"]) == (code, code) and field in body[0]["description"]
    status, body = call("GET", f"{mailbox_server.url}/requests.json?api_key=wrong")
    assert (status, body[0]["code"]) == (403, 403)
    status, body = call("GET", f"{mailbox_server.url}/requests/{numbers[0]}.json")
    assert (status, body[0]["code"]) == (403, 403)
    status, body = status_of(mailbox_server, "1159999999")
    assert (status, body[0]["code"]) == (404, 404) and "1159999999" in body[0]["description"]


def test_wrong_methods_and_addresses_answer_in_the_spec_shape(mailbox_server):
    status, body = call("DELETE", mailbox_server.url + "/requests.json")
    assert (status, body[0]["code"]) == (405, 405)
    status, body = call("GET", mailbox_server.url + "/nothing.json")
    assert (status, body[0]["code"]) == (404, 404)


def test_the_officers_reply_and_closing_show_in_the_status_query(mailbox_server):
    number = post(mailbox_server, "reply-me")[1][0]["service_request_id"]
    mailbox_server.reply(number, "感謝您的建議，已修正。", close=False)
    status, body = status_of(mailbox_server, number)
    assert (body[0]["status"], body[0]["status_notes"]) == ("open", "感謝您的建議，已修正。")
    assert body[0]["agency_responsible"] == FEEDBACK["attribute[agency_name]"]
    mailbox_server.close_request(number)
    assert status_of(mailbox_server, number)[1][0]["status"] == "closed"
    officer = mailbox_server.officer()
    officer.post(f"/mailbox/requests/{number}/reopen", page=f"/mailbox/requests/{number}")
    assert status_of(mailbox_server, number)[1][0]["status"] == "open"
    mailbox_server.reply(number, "已再次處理。", close=True)
    status, body = status_of(mailbox_server, number)
    assert (body[0]["status"], body[0]["status_notes"]) == ("closed", "已再次處理。")
    [row] = mailbox_server.requests()
    assert (row.status, row.status_notes) == ("closed", "已再次處理。")


def test_a_stopped_mailbox_is_down_and_comes_back_with_its_requests(own_mailbox_server):
    mailbox_server = own_mailbox_server  # taken down and brought back: the test's own
    number = post(mailbox_server, "before")[1][0]["service_request_id"]
    mailbox_server.stop()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(mailbox_server.url + "/services.json", timeout=5)
    mailbox_server.start()
    assert post(mailbox_server, "before") == (
        200,
        [{"service_request_id": number, "service_notice": ""}],
    )
    assert len(mailbox_server.requests()) == 1


def test_officer_pages_need_the_csrf_token_and_the_api_does_not(mailbox_server):
    # the fixture's server runs with CSRF on: a reply without the page's token is refused
    number = post(mailbox_server, "csrf")[1][0]["service_request_id"]
    officer = mailbox_server.officer()
    body = urllib.parse.urlencode({"reply": "no token"}).encode()
    with pytest.raises(urllib.error.HTTPError) as refused:
        officer.opener.open(f"{officer.base}/mailbox/requests/{number}/reply", data=body)
    assert refused.value.code == 400
    assert mailbox_server.requests()[0].status_notes is None


# -- the officer's pages in the sample host --------------------------------------------------

OFFICERS = {"officer", "admin"}


def officer_client(app, username: str = "officer", locale: str = "en"):
    """A test client logged in as ``username``, its pages in ``locale``."""
    client = app.test_client()
    login(client, username)
    client.post(f"/locale/{locale}")
    return client


def _numbers(app) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(MailboxRequest.service_request_id).order_by(MailboxRequest.id)
            )
        )


def _closed_numbers(app) -> set[str]:
    with app.app_context():
        query = sa.select(MailboxRequest.service_request_id).where(
            MailboxRequest.status == "closed"
        )
        return set(db.session.scalars(query))


def test_the_demo_has_an_officer_and_requests_one_replied_and_closed(make_host):
    assert {role for _u, _n, role, _a in USERS} == set(STANDARD_ROLES)
    app = make_host()
    with app.app_context():
        rows = db.session.scalars(sa.select(MailboxRequest).order_by(MailboxRequest.id)).all()
        assert len(rows) >= 5
        closed = [r for r in rows if r.status == "closed"]
        assert len(closed) == 2 and all(r.status_notes for r in closed)
        # appgov's demo shows 1150000901/902 as forwarded: the mailbox holds both, 902 closed
        numbers = {r.service_request_id: r.status for r in rows}
        assert numbers["1150000901"] == "open" and numbers["1150000902"] == "closed"
        officer = db.session.scalar(sa.select(User).where(User.username == "officer"))
        assert officer.role == "mailbox_officer"
        # the first start prints the demo key beside the logins, never a deployment's own
        assert "demo-mailbox-key" in " ".join(mailbox_demo.notes())
        app.config["HOST_MAILBOX_API_KEY"] = "the-citys-own-key"
        assert mailbox_demo.notes() == []


def test_only_officers_and_the_administrator_see_the_mailbox_and_visitors_log_in(make_host):
    # every demo role on one host (a log-in each): what one role did not write, no later
    # role's check can be fooled by
    app = make_host()
    number = _numbers(app)[1]
    # a visitor is sent to log in
    response = app.test_client().get("/mailbox/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    pages = ["/mailbox/", f"/mailbox/requests/{number}"]
    posts = [f"/mailbox/requests/{number}/{step}" for step in ("reply", "close", "reopen")]
    assert {role for _u, _n, role, _a in USERS} == set(STANDARD_ROLES)
    for username, _name, role, _agency in USERS:
        client = app.test_client()
        login(client, username)
        home = client.get("/").text
        if username in OFFICERS:
            assert all(client.get(page).status_code == 200 for page in pages), username
            assert 'href="/mailbox/"' in home, username  # the navigation's link
            continue
        assert [client.get(page).status_code for page in pages] == [403, 403], username
        statuses = [client.post(page, data={"reply": "x"}).status_code for page in posts]
        assert statuses == [403] * 3, username
        assert 'href="/mailbox/"' not in home, username
        with app.app_context():
            row = db.session.scalar(
                sa.select(MailboxRequest).where(MailboxRequest.service_request_id == number)
            )
            assert (row.status, row.status_notes) == ("open", None), role
            actions = sa.select(sa.func.count()).select_from(MailboxAction)
            assert db.session.scalar(actions) == 4, role  # the demo's two replies and closings


def test_the_list_masks_the_citizen_and_the_request_page_shows_them(make_host):
    app = make_host()
    client = officer_client(app)
    listing = visible_text(client.get("/mailbox/").text)
    assert (
        "李○○" in listing
        and mask_name("David Chen") in listing
        and "c***@example.org" in listing
        and "*******678" in listing
    )
    assert "李怡君" not in listing and "citizen1@example.org" not in listing
    assert "0912-345-678" not in listing
    number = _numbers(app)[0]
    page = visible_text(client.get(f"/mailbox/requests/{number}").text)
    assert "李怡君" in page and "citizen1@example.org" in page and "0912-345-678" in page
    page = visible_text(client.get(f"/mailbox/requests/{_numbers(app)[1]}").text)
    assert "David Chen" in page


MINIMAL = {"service_code": "app-feedback", "description": "意見"}


def _add_requests(app, count: int) -> None:
    with app.app_context():
        for index in range(count):
            store.receive(
                {
                    "service_code": "app-feedback",
                    "description": f"第 {index} 則",
                    "idempotency_key": f"bulk-{index}",
                }
            )


def test_the_list_open_first_by_status_paged_with_constant_queries(make_host):
    app = make_host()
    client = officer_client(app)

    def page(**query) -> tuple[int, str]:
        with counting_queries(app) as statements:
            response = client.get("/mailbox/", query_string=query)
        assert response.status_code == 200
        return len(statements), response.text

    few, text = page()
    numbers = re.findall(r'data-request="(\d+)"', text)
    closed = _closed_numbers(app)
    assert len(closed) == 2 and set(numbers[-2:]) == closed  # open ones first
    _add_requests(app, 60)
    many, text = page()
    assert few == many  # the count does not grow with the requests
    assert len(re.findall(r'data-request="', text)) == store.PAGE_SIZE
    assert "65" in visible_text(text)  # the total
    last, text = page(page="3")
    assert last == few and set(re.findall(r'data-request="(\d+)"', text)[-2:]) == closed
    _count, text = page(status="closed")
    assert set(re.findall(r'data-request="(\d+)"', text)) == closed
    _count, text = page(status="open")
    assert not closed & set(re.findall(r'data-request="(\d+)"', text))
    for query in ({"status": "pending"}, {"page": "zero"}):
        response = client.get("/mailbox/", query_string=query)
        assert response.status_code == 400
    assert "Status: one of All requests, open first, Open, Closed." in visible_text(
        client.get("/mailbox/?status=pending").text
    )


def test_a_request_page_has_a_constant_number_of_queries(make_host):
    app = make_host()
    client = officer_client(app)
    number = _numbers(app)[1]

    def queries() -> int:
        with counting_queries(app) as statements:
            assert client.get(f"/mailbox/requests/{number}").status_code == 200
        return len(statements)

    before = queries()
    for text in ("一", "二", "三"):
        client.post(f"/mailbox/requests/{number}/reply", data={"reply": text})
    assert queries() == before


def test_reply_close_and_reopen_through_the_pages(make_host):
    app = make_host()
    client = officer_client(app)
    number = _numbers(app)[1]
    response = client.post(
        f"/mailbox/requests/{number}/reply",
        data={"reply": "  已轉請觀光旅遊局更新活動日期。 ", "close": "y"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    text = visible_text(response.text)
    assert "已轉請觀光旅遊局更新活動日期。" in text and "Closed" in text
    client.post(f"/mailbox/requests/{number}/reopen")
    with app.app_context():
        row = db.session.scalar(
            sa.select(MailboxRequest).where(MailboxRequest.service_request_id == number)
        )
        assert (row.status, row.status_notes) == ("open", "已轉請觀光旅遊局更新活動日期。")
        assert [a.action for a in row.actions] == ["reply", "close", "reopen"]
        assert {a.actor.username for a in row.actions} == {"officer"}


def test_a_bad_reply_names_the_field_and_writes_nothing(make_host):
    app = make_host()
    client = officer_client(app)
    number = _numbers(app)[1]
    for reply in ("", "   ", "字" * 4001):  # one host: each refusal must leave it untouched
        response = client.post(
            f"/mailbox/requests/{number}/reply", data={"reply": reply, "close": "y"}
        )
        assert response.status_code == 400, reply
        summary = re.search(
            r'class="alert alert-danger error-summary".*?</div>', response.text, re.S
        )
        assert summary and "Reply to the citizen" in visible_text(summary[0])
        with app.app_context():
            row = db.session.scalar(
                sa.select(MailboxRequest).where(MailboxRequest.service_request_id == number)
            )
            assert (row.status, row.status_notes, row.actions) == ("open", None, [])


def test_unknown_request_numbers_answer_404(make_host):
    app = make_host()
    client = officer_client(app)
    assert client.get("/mailbox/requests/1159999999").status_code == 404
    assert client.post("/mailbox/requests/1159999999/close").status_code == 404


def test_the_pages_in_both_languages(make_host):
    app = make_host()
    client = officer_client(app)
    for locale, date in (("zh_Hant_TW", r"115/\d\d/\d\d"), ("en", r"2026-\d\d-\d\d")):
        client.post(f"/locale/{locale}")
        text = visible_text(client.get("/mailbox/").text)
        assert ("市長信箱" if locale == "zh_Hant_TW" else "Mayor's mailbox") in text
        assert re.search(date, text), locale
        page = visible_text(client.get(f"/mailbox/requests/{_numbers(app)[0]}").text)
        assert re.search(r"民國 115 年" if locale == "zh_Hant_TW" else r"2026-\d\d-\d\d", page)


def _insert_user(username: str, role: str) -> None:
    db.session.execute(
        sa.text(
            "INSERT INTO host_user (username, display_name, password_hash, role, active,"
            " session_version) VALUES (:u, 'x', 'x', :r, true, 1)"
        ),
        {"u": username, "r": role},
    )
    db.session.commit()


def test_the_migration_adds_the_tables_and_the_role_and_downgrades(sample_host_factory):
    app = sample_host_factory(AUTO_SETUP=False)
    with app.app_context():
        config = migrate.get_config(str(MIGRATIONS_DIR))
        command.upgrade(config, "d2e6a8b1c357")
        _insert_user("before", "helpdesk")
        command.upgrade(config, "e5f1a2b3c468")
        assert {"host_mailbox_request", "host_mailbox_action"} <= set(
            sa.inspect(db.engine).get_table_names()
        )
        _insert_user("officer2", "mailbox_officer")
        with pytest.raises(sa.exc.IntegrityError):
            _insert_user("clerk", "clerk")
        db.session.rollback()
        # the same key twice: refused by the database itself (MAIL-2)
        assert store.receive({**MINIMAL, "idempotency_key": "once"})[1] is True
        with pytest.raises(sa.exc.IntegrityError):
            db.session.add(MailboxRequest(**MINIMAL, idempotency_key="once", status="open"))
            db.session.commit()
        db.session.rollback()
        db.session.execute(sa.text("DELETE FROM host_user WHERE role = 'mailbox_officer'"))
        db.session.commit()
        command.downgrade(config, "d2e6a8b1c357")
        assert "host_mailbox_request" not in sa.inspect(db.engine).get_table_names()
        with pytest.raises(sa.exc.IntegrityError):
            _insert_user("officer3", "mailbox_officer")
        db.session.rollback()
        command.upgrade(config, "head")
        assert db.session.scalar(sa.text("SELECT role FROM host_user")) == "helpdesk"
