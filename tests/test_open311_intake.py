"""The Open311 GeoReport v2 intake (issue 11, part 1; TN-EVAL-4, TN-MAIL-1, MAIL-2) in the
sample host: every endpoint, every refused field named and nothing stored, both languages,
the API keys (issued and revoked in Flask-Admin), a key reading its own app's requests only,
CSRF exempt here and nowhere else, the demo keys. Every answer is validated against the
published OpenAPI description (tests/open311_client.py). SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
import uuid
from pathlib import Path

import hanzidentifier
import pytest
import sqlalchemy as sa
from casework import counting_queries
from flask_wtf import CSRFProtect
from hosting import login
from intranet import make_intranet
from open311_client import Open311, spec
from openapi_core.testing import MockRequest, MockResponse

from appgov_plugin import migrations
from appgov_plugin.apps.models import App
from appgov_plugin.mailbox import keys
from appgov_plugin.mailbox.models import LIMITS, ApiKey, Feedback, FeedbackOutbox
from sample_host.extensions import db

ROOT = Path(__file__).resolve().parents[1]

#: What a status answer may hold: no description and no personal data.
STATUS_FIELDS = {
    "service_request_id",
    "token",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
}
#: An ISO 8601 datetime with its offset (Taipei, TIME-5).
ISO_WITH_OFFSET = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00")

PERSONAL = {
    "description": "路燈不亮，請派人修理。",
    "email": "citizen.chen@example.org",
    "first_name": "美華",
    "last_name": "陳",
    "phone": "0912-345-678",
    "device_id": "device-8b1f2c",
    "media_url": "https://example.org/photo.jpg",
    "address_string": "臺南市中西區永華路二段6號",
    "lat": "22.992",
    "long": "120.185",
}


@pytest.fixture
def host(sample_host_factory):
    return sample_host_factory()


def offered_apps(app) -> list[App]:
    """The listed apps linked to the mailbox (the demo's), by id."""
    with app.app_context():
        found = db.session.scalars(
            sa.select(App)
            .where(App.status == "listed", App.linked_to_mayor_mailbox.is_(True))
            .order_by(App.id)
        ).all()
        db.session.expunge_all()
        return found


def issue(app, app_id: int, label: str = "test") -> str:
    with app.app_context():
        key = keys.issue(app_id, label, "admin")
        db.session.commit()
        return key


def rows(app) -> tuple[int, int]:
    """(feedback items, outbox rows)."""
    with app.app_context():
        return (
            db.session.scalar(sa.select(sa.func.count()).select_from(Feedback)),
            db.session.scalar(sa.select(sa.func.count()).select_from(FeedbackOutbox)),
        )


def set_app(app, app_id: int, **values) -> None:
    with app.app_context():
        db.session.execute(sa.update(App).where(App.id == app_id).values(**values))
        db.session.commit()


def forwarded(app, token: str, number: str, **values) -> None:
    """What the forwarder and the sync write (their own tests prove them): the number."""
    with app.app_context():
        db.session.execute(
            sa.update(Feedback)
            .where(Feedback.token == token)
            .values(service_request_id=number, **values)
        )
        db.session.commit()


def post(api: Open311, key: str, code: str, **fields):
    data = {"api_key": key, "service_code": code, "description": "意見", **fields}
    return api.post("/requests.json", {k: v for k, v in data.items() if v is not None})


# -- GET services.json -------------------------------------------------------------------------


@pytest.mark.parametrize("locale", ["zh_Hant_TW", "en"])
def test_services_are_the_listed_apps_linked_to_the_mailbox_in_the_request_language(host, locale):
    apps = offered_apps(host)
    assert len(apps) >= 3  # the demo's
    set_app(host, apps[0].id, linked_to_mayor_mailbox=False)
    set_app(host, apps[1].id, status="suspended")
    set_app(host, apps[2].id, name_en="Tainan Bus Live")
    api = Open311(host.test_client())
    by_param = api.get("/services.json", locale=locale, valid=True)
    by_header = api.get("/services.json", headers={"Accept-Language": locale.replace("_", "-")})
    assert by_param.status == by_header.status == 200
    assert by_param.json == by_header.json
    with host.test_request_context():
        from appgov_plugin.access import host_agencies

        agencies = {a.code: a for a in host_agencies()}
    expected = [a for a in offered_apps(host)]
    assert [s["service_code"] for s in by_param.json] == [a.code for a in expected]
    assert apps[0].code not in {s["service_code"] for s in by_param.json}  # unlinked
    assert apps[1].code not in {s["service_code"] for s in by_param.json}  # not listed
    for service, app in zip(by_param.json, expected, strict=True):
        assert service["service_name"] == app.display_name(locale)
        assert service["group"] == agencies[app.agency_code].name(locale)
        assert service["type"] == "realtime" and service["metadata"] is False
        assert app.display_name(locale) in service["keywords"]
    named = next(s for s in by_param.json if s["service_code"] == apps[2].code)
    assert named["service_name"] == ("Tainan Bus Live" if locale == "en" else apps[2].name)


def test_services_default_to_traditional_chinese(host):
    api = Open311(host.test_client())
    plain = api.get("/services.json")
    zh = api.get("/services.json", locale="zh_Hant_TW")
    assert plain.json == zh.json
    # a language appgov does not speak falls back to the default
    assert api.get("/services.json", headers={"Accept-Language": "fr, zh-CN"}).json == zh.json
    assert all(hanzidentifier.has_chinese(s["group"]) for s in zh.json)


# -- POST requests.json ------------------------------------------------------------------------


def test_feedback_is_stored_with_its_outbox_row_before_the_answer(host):
    app = offered_apps(host)[0]
    key = issue(host, app.id)
    api = Open311(host.test_client())
    before = rows(host)
    answer = api.post(
        "/requests.json",
        {"api_key": key, "service_code": app.code, "locale": "en", **PERSONAL},
        valid=True,
    )
    assert answer.status == 201, answer
    [receipt] = answer.json
    assert set(receipt) == {"token", "service_notice"}
    assert receipt["token"] in receipt["service_notice"]
    assert answer.response.headers["Cache-Control"] == "no-store"
    assert rows(host) == (before[0] + 1, before[1] + 1)  # rule MAIL-2: stored, then answered
    with host.app_context():
        feedback = db.session.scalar(sa.select(Feedback).where(Feedback.token == receipt["token"]))
        outbox = db.session.scalar(
            sa.select(FeedbackOutbox).where(FeedbackOutbox.feedback_id == feedback.id)
        )
        api_key = db.session.scalar(sa.select(ApiKey).where(ApiKey.key_hash == keys.hash_key(key)))
        assert outbox.state == "pending" and outbox.attempts == 0
        assert feedback.app_id == app.id and feedback.service_code == app.code
        assert feedback.api_key_id == api_key.id and api_key.last_used_at is not None
        assert feedback.locale == "en" and feedback.status == "open"
        assert feedback.service_request_id is None and feedback.idempotency_key
        for name in PERSONAL.keys() - {"lat", "long"}:
            assert getattr(feedback, name) == PERSONAL[name], name
        assert str(feedback.lat) == "22.992000" and str(feedback.long) == "120.185000"


def test_optional_fields_may_be_left_out_and_limits_are_characters_not_bytes(host):
    app = offered_apps(host)[0]
    key = issue(host, app.id)
    api = Open311(host.test_client())
    longest = {
        "description": "意" * LIMITS["description"],  # 12,000 bytes in UTF-8
        "first_name": "名" * LIMITS["first_name"],
        "last_name": "姓" * LIMITS["last_name"],
        "device_id": "d" * LIMITS["device_id"],
        "address_string": "址" * LIMITS["address_string"],
        "email": "a" * 64 + "@" + ".".join(["b" * 60] * 3) + ".org",
        "phone": "0" * LIMITS["phone"],
        "media_url": "https://example.org/" + "p" * (LIMITS["media_url"] - 20),
    }
    assert len(longest["email"]) <= LIMITS["email"]
    assert all(len(value) == LIMITS[name] for name, value in longest.items() if name != "email")
    assert post(api, key, app.code).status == 201
    answer = post(api, key, app.code, **longest)
    assert answer.status == 201, answer
    with host.app_context():
        stored = db.session.scalar(
            sa.select(Feedback).where(Feedback.token == answer.json[0]["token"])
        )
        assert stored.description == longest["description"]


#: (field, value) refused; each answer names the field.
REFUSED = [
    *[(name, "x" * (limit + 1)) for name, limit in LIMITS.items() if name in PERSONAL],
    ("description", ""),
    ("description", "   \n "),
    ("description", "壞\x00字"),
    ("description", "鈴\x07聲"),
    ("first_name", "美\x1b華"),
    ("first_name", "美\n華"),
    ("last_name", "陳\t明"),
    ("address_string", "臺南\x7f"),
    ("device_id", "a\u2028b"),
    ("email", "not-an-address"),
    ("email", "a@b"),
    ("email", "a b@example.org"),
    ("email", "a@@example.org"),
    ("phone", "call me"),
    ("phone", "---"),
    ("media_url", "javascript:alert(1)"),
    ("media_url", "ftp://example.org/a.jpg"),
    ("media_url", "https://"),
    ("media_url", "/relative/photo.jpg"),
    ("lat", "91"),
    ("lat", "-90.0001"),
    ("lat", "NaN"),
    ("lat", "Infinity"),
    ("lat", "1e400"),
    ("lat", "twenty"),
    ("long", "180.5"),
    ("long", "-181"),
    ("long", "1" * 30),
]


def test_a_refused_field_is_named_and_nothing_is_stored(host):
    # every refused value on one host (a host per value cost a second each); each case's
    # answer is checked on its own and every failing case is listed
    app = offered_apps(host)[0]
    key = issue(host, app.id)
    api = Open311(host.test_client())
    before = rows(host)
    wrong = []
    for field, value in REFUSED:
        fields = {field: value}
        if field in ("lat", "long"):  # with its partner, so the value itself is refused
            fields["long" if field == "lat" else "lat"] = "23.0" if field == "long" else "120"
        answer = post(api, key, app.code, locale="en", **fields)
        named = any(d.startswith(f"{field}:") for d in (answer.descriptions or ()))
        if not (answer.status == 400 and answer.json[0]["code"] == 400 and named):
            wrong.append((field, value[:40], answer))
        if rows(host) != before:
            wrong.append((field, value[:40], "stored"))
            before = rows(host)
    assert not wrong, wrong


def test_every_refused_field_is_named_at_once_in_both_languages(host):
    app = offered_apps(host)[0]
    key = issue(host, app.id)
    api = Open311(host.test_client())
    before = rows(host)
    bad = {"description": "", "email": "x", "media_url": "javascript:x", "lat": "100"}
    en = post(api, key, app.code, locale="en", **bad)
    zh = post(api, key, app.code, **bad)
    assert en.status == zh.status == 400
    fields = ["description", "email", "media_url", "lat", "long"]
    assert [d.split(":")[0] for d in en.descriptions] == fields
    assert all(not hanzidentifier.has_chinese(d) for d in en.descriptions)
    # zh_Hant_TW by default (the catalogs compiled by the lead carry these messages)
    assert [re.split("[:：]", d)[0] for d in zh.descriptions] == fields
    assert all(hanzidentifier.has_chinese(d) for d in zh.descriptions), zh.descriptions
    en_by_header = api.post(
        "/requests.json",
        {"api_key": key, "service_code": app.code, **bad},
        headers={"Accept-Language": "en-US,en;q=0.8"},
    )
    assert en_by_header.json == en.json
    assert rows(host) == before


def test_a_field_given_twice_is_refused(host):
    app = offered_apps(host)[0]
    key = issue(host, app.id)
    api = Open311(host.test_client())
    before = rows(host)
    answer = api.post(
        "/requests.json",
        {"api_key": key, "service_code": app.code, "description": ["一", "二"], "locale": "en"},
    )
    assert answer.status == 400 and answer.descriptions[0].startswith("description:")
    assert rows(host) == before


def test_a_json_body_is_refused_naming_the_content_type(host):
    app = offered_apps(host)[0]
    key = issue(host, app.id)
    client = host.test_client()
    before = rows(host)
    response = client.post(
        "/open311/v2/requests.json?locale=en",
        json={"api_key": key, "service_code": app.code, "description": "JSON"},
    )
    assert response.status_code == 400
    assert response.get_json()[0]["description"].startswith("Content-Type:")
    spec().validate_response(
        MockRequest("http://localhost", "post", "/open311/v2/requests.json"),
        MockResponse(response.get_data(), status_code=400),
    )
    assert rows(host) == before
    multipart = client.post(
        "/open311/v2/requests.json",
        data={"api_key": key, "service_code": app.code, "description": "多部分"},
        content_type="multipart/form-data",
    )
    assert multipart.status_code == 201


def test_lat_and_long_come_together(host):
    app = offered_apps(host)[0]
    key = issue(host, app.id)
    api = Open311(host.test_client())
    before = rows(host)
    answer = post(api, key, app.code, lat="22.99", locale="en")
    assert answer.status == 400 and answer.descriptions == [
        "long: give lat and long together, or neither."
    ]
    assert rows(host) == before
    assert post(api, key, app.code, address_string="臺南市安平區").status == 201


# -- keys and services: 403 / 400 ----------------------------------------------------------------


def test_missing_unknown_and_revoked_keys_get_403_and_nothing_is_stored(host):
    app, other = offered_apps(host)[:2]
    key, other_key = issue(host, app.id), issue(host, other.id)
    api = Open311(host.test_client())
    before = rows(host)
    with host.app_context():
        keys.revoke(
            db.session.scalar(sa.select(ApiKey).where(ApiKey.key_hash == keys.hash_key(key))),
            "admin",
            "the vendor's contract ended",
        )
        db.session.commit()
    for given in (None, "", "o311_" + "x" * 40, key, "k" * 5000):
        answer = post(api, given, app.code, locale="en")
        assert answer.status == 403, (given, answer)
        assert answer.json[0]["code"] == 403 and answer.descriptions[0].startswith("api_key:")
    # unknown and revoked alike: which keys exist is nobody's business
    assert post(api, key, app.code).json == post(api, "o311_unknown", app.code).json
    # a key of another app
    answer = post(api, other_key, app.code, locale="en")
    assert answer.status == 403 and answer.descriptions[0].startswith("api_key:")
    assert rows(host) == before
    for path in ("/requests.json", "/requests/1150000001.json", f"/tokens/{uuid.uuid4()}.json"):
        assert api.get(path, api_key=key).status == 403
        assert api.get(path).status == 403


def test_unknown_unlisted_and_unlinked_services_get_400_naming_service_code(host):
    first, second = offered_apps(host)[:2]
    key_first, key_second = issue(host, first.id), issue(host, second.id)
    api = Open311(host.test_client())
    before = rows(host)
    for code in (None, "", "app-999999", "x" * 100):
        answer = post(api, key_first, code, locale="en")
        assert answer.status == 400, (code, answer)
        assert answer.descriptions[0].startswith("service_code:")
    set_app(host, first.id, linked_to_mayor_mailbox=False)
    set_app(host, second.id, status="delisted")
    for key, app in ((key_first, first), (key_second, second)):
        answer = post(api, key, app.code, locale="en")
        assert answer.status == 400 and answer.descriptions[0].startswith("service_code:")
    assert rows(host) == before


# -- GET requests.json, requests/<id>.json, tokens/<token>.json ----------------------------------


def test_a_key_reads_its_own_app_requests_only_without_personal_data(host):
    mine, theirs = offered_apps(host)[:2]
    my_key, their_key = issue(host, mine.id), issue(host, theirs.id)
    api = Open311(host.test_client())
    my_token = post(api, my_key, mine.code, **PERSONAL).json[0]["token"]
    their_token = post(api, their_key, theirs.code, **PERSONAL).json[0]["token"]
    forwarded(host, my_token, "1150000001")
    forwarded(host, their_token, "1150000002")

    listed = api.get("/requests.json", api_key=my_key, valid=True)
    assert listed.status == 200 and listed.response.headers["Cache-Control"] == "no-store"
    assert my_token in {r["token"] for r in listed.json}
    assert their_token not in {r["token"] for r in listed.json}
    assert {r["service_code"] for r in listed.json} == {mine.code}
    for item in listed.json:
        assert set(item) == STATUS_FIELDS
    for value in PERSONAL.values():  # no description, name, e-mail, phone, place, photo
        assert value not in listed.text
    # their request: "not found" by its number, by its token, in a filter -- guessed or not
    for path in ("/requests/1150000002.json", f"/tokens/{their_token}.json"):
        refused = api.get(path, api_key=my_key, locale="en")
        assert refused.status == 404 and refused.json[0]["code"] == 404
    guessed = api.get("/requests/1150009999.json", api_key=my_key, locale="en")
    assert guessed.json == api.get("/requests/1150000002.json", api_key=my_key, locale="en").json
    assert api.get("/requests.json", api_key=my_key, service_request_id="1150000002").json == []
    other = api.get("/requests.json", api_key=my_key, service_code=theirs.code, locale="en")
    assert other.status == 403 and other.descriptions[0].startswith("service_code:")
    # their own key reads it
    assert api.get("/requests/1150000002.json", api_key=their_key).json[0]["token"] == their_token


def test_a_request_status_as_the_mailbox_reports_it(host):
    app = offered_apps(host)[0]
    key = issue(host, app.id)
    api = Open311(host.test_client())
    token = post(api, key, app.code).json[0]["token"]
    assert api.get(f"/tokens/{token}.json", api_key=key, valid=True).json == [
        {"token": token, "service_request_id": None}
    ]
    assert api.get("/requests/1150000123.json", api_key=key).status == 404  # not yet forwarded
    forwarded(
        host,
        token,
        "1150000123",
        status="closed",
        status_notes="已派員修復，謝謝您的反映。",
        agency_responsible="臺南市政府秘書處",
    )
    assert api.get(f"/tokens/{token}.json", api_key=key).json[0]["service_request_id"] == (
        "1150000123"
    )
    for locale in ("zh_Hant_TW", "en"):
        [item] = api.get("/requests/1150000123.json", api_key=key, locale=locale, valid=True).json
        assert item["service_request_id"] == "1150000123" and item["status"] == "closed"
        assert item["status_notes"] == "已派員修復，謝謝您的反映。"
        assert item["agency_responsible"] == "臺南市政府秘書處"
        assert item["service_name"] == app.display_name(locale)
        assert ISO_WITH_OFFSET.fullmatch(item["requested_datetime"])
        assert ISO_WITH_OFFSET.fullmatch(item["updated_datetime"])


def _insert(app, app_row: App, count: int, *, days_ago: float = 0, status: str = "open"):
    """``count`` feedback items of ``app_row`` dated ``days_ago`` (one INSERT)."""
    when = dt.datetime.now(dt.UTC) - dt.timedelta(days=days_ago)
    with app.app_context():
        db.session.execute(
            sa.insert(Feedback),
            [
                {
                    "app_id": app_row.id,
                    "service_code": app_row.code,
                    "token": str(uuid.uuid4()),
                    "idempotency_key": str(uuid.uuid4()),
                    "description": "批次",
                    "locale": "zh_Hant_TW",
                    "requested_at": when,
                    "updated_at": when,
                    "status": status,
                }
                for _ in range(count)
            ],
        )
        db.session.commit()


def _own(app, app_row: App) -> int:
    with app.app_context():
        return db.session.scalar(
            sa.select(sa.func.count()).select_from(Feedback).where(Feedback.app_id == app_row.id)
        )


def test_filters_dates_status_and_ids(host):
    app = offered_apps(host)[0]
    key = issue(host, app.id)
    api = Open311(host.test_client())
    recent = _own(host, app)
    _insert(host, app, 2, days_ago=100)  # beyond Open311's default 90 days
    _insert(host, app, 3, days_ago=1, status="closed")
    everything = api.get("/requests.json", api_key=key, valid=True)
    assert len(everything.json) == recent + 3
    old = api.get(
        "/requests.json",
        api_key=key,
        start_date=(dt.datetime.now(dt.UTC) - dt.timedelta(days=120)).isoformat(),
        end_date=(dt.datetime.now(dt.UTC) - dt.timedelta(days=95)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        valid=True,
    )
    assert len(old.json) == 2
    closed = api.get("/requests.json", api_key=key, status="closed", service_code=app.code)
    assert len(closed.json) >= 3 and {r["status"] for r in closed.json} == {"closed"}
    both = api.get("/requests.json", api_key=key, status="open,closed")
    assert len(both.json) == len(everything.json)
    stamps = [r["requested_datetime"] for r in everything.json]
    assert stamps == sorted(stamps, reverse=True)  # newest first
    tokens = [r["token"] for r in closed.json[:2]]
    for number, token in enumerate(tokens):
        forwarded(host, token, f"115000010{number}")
    by_id = api.get(
        "/requests.json",
        api_key=key,
        service_request_id="1150000100, 1150000101",
        status="open",  # ignored with ids (Open311)
    )
    assert sorted(r["service_request_id"] for r in by_id.json) == ["1150000100", "1150000101"]
    for query, field in (
        ({"start_date": "yesterday"}, "start_date"),
        ({"end_date": "2026-13-01"}, "end_date"),
        ({"start_date": "2026-12-02", "end_date": "2026-01-01"}, "end_date"),
        ({"status": "pending"}, "status"),
        ({"service_request_id": ",".join(str(n) for n in range(101))}, "service_request_id"),
        ({"service_request_id": "9" * 65}, "service_request_id"),
    ):
        refused = api.get("/requests.json", api_key=key, locale="en", **query)
        assert refused.status == 400, (query, refused)
        assert refused.descriptions[0].startswith(f"{field}:")


def test_at_most_1000_requests_and_the_queries_do_not_grow_with_them(host):
    app = offered_apps(host)[0]
    key = issue(host, app.id)
    api = Open311(host.test_client())
    _insert(host, app, 3)
    with counting_queries(host) as few:
        small = api.get("/requests.json", api_key=key)
    _insert(host, app, 1000)
    with counting_queries(host) as many:
        large = api.get("/requests.json", api_key=key)
    assert len(small.json) >= 3 and len(large.json) == 1000
    assert len(many) == len(few), many


def test_a_post_costs_the_same_statements_however_much_is_stored(host):
    app = offered_apps(host)[0]
    key = issue(host, app.id)
    api = Open311(host.test_client())
    assert post(api, key, app.code).status == 201  # the key's first use is recorded
    with counting_queries(host) as first:
        assert post(api, key, app.code).status == 201
    _insert(host, app, 300)
    with counting_queries(host) as later:
        assert post(api, key, app.code).status == 201
    assert len(later) == len(first), later
    # the key's last use is kept to the minute: the app's posts do not queue on its row
    assert not any("appgov_open311_key SET" in statement for statement in first + later)


# -- CSRF: not here, everywhere else --------------------------------------------------------------


def _csrf_token(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)[1]


def test_the_api_needs_no_csrf_token_and_other_posts_still_do(sample_host_factory):
    host = sample_host_factory(WTF_CSRF_ENABLED=True)
    app = offered_apps(host)[0]
    key = issue(host, app.id)
    client = host.test_client()
    api = Open311(client)
    assert post(api, key, app.code).status == 201  # no token, no cookie
    # the same client, logged in as the administrator, with the CSRF protection on
    token = _csrf_token(client.get("/login").get_data(as_text=True))
    assert (
        client.post("/login", data={"username": "admin", "password": "demo-admin"}).status_code
        == 400
    )
    logged_in = client.post(
        "/login", data={"username": "admin", "password": "demo-admin", "csrf_token": token}
    )
    assert logged_in.status_code == 302
    with host.app_context():
        issued = db.session.scalar(sa.select(sa.func.count()).select_from(ApiKey))
    # appgov's admin form and appgov's pages refuse a POST without the token
    refused = client.post(
        "/admin/appgov_open311_keys/new/", data={"app_id": str(app.id), "label": "no token"}
    )
    assert refused.status_code == 400
    assert client.post("/appgov/messages/read").status_code == 400
    with host.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiKey)) == issued
    page = client.get("/admin/appgov_open311_keys/new/").get_data(as_text=True)
    accepted = client.post(
        "/admin/appgov_open311_keys/new/",
        data={"app_id": str(app.id), "label": "with token", "csrf_token": _csrf_token(page)},
    )
    assert accepted.status_code == 200 and "o311_" in accepted.get_data(as_text=True)
    # the exemption is the API's blueprint, not the host's path: still exempt after all that
    assert post(api, key, app.code).status == 201


def test_the_appgov_extension_path_exempts_the_api_from_a_later_csrf_protection(database_url):
    # AppGov(app) first, CSRFProtect(app) after it: the exemption waits for it
    app, intranet_db, _ = make_intranet(database_url, WTF_CSRF_ENABLED=True)
    CSRFProtect(app)
    with app.app_context():
        migrations.upgrade(intranet_db.engine)
        listed = App(agency_code="TN-TOUR", name="臺南好行", status="listed")
        listed.linked_to_mayor_mailbox = True
        intranet_db.session.add(listed)
        intranet_db.session.commit()
        code, app_id = listed.code, listed.id
        key = keys.issue(app_id, "intranet", "admin")
        intranet_db.session.commit()
    try:
        client = app.test_client()
        answer = Open311(client).post(
            "/requests.json",
            {"api_key": key, "service_code": code, "description": "好"},
            valid=True,
        )
        assert answer.status == 201, answer
        client.get("/_login/clerk")
        assert client.post("/appgov/messages/read").status_code == 400  # CSRF still applies
    finally:
        with app.app_context():
            intranet_db.engine.dispose()


# -- keys in Flask-Admin -------------------------------------------------------------------------


def test_an_administrator_issues_a_key_shown_once_and_revokes_it_with_a_reason(host):
    app = offered_apps(host)[0]
    client = host.test_client()
    login(client, "admin")
    form = client.get("/admin/appgov_open311_keys/new/")
    assert form.status_code == 200
    refused = client.post("/admin/appgov_open311_keys/new/", data={"app_id": "", "label": ""})
    assert refused.status_code == 200 and 'id="error-summary"' in refused.get_data(as_text=True)
    page = client.post(
        "/admin/appgov_open311_keys/new/", data={"app_id": str(app.id), "label": "iOS 2.0"}
    )
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    key = re.search(r'id="new-api-key"[^>]*value="(o311_[^"]+)"', page.get_data(as_text=True))[1]
    with host.app_context():
        record = db.session.scalar(sa.select(ApiKey).order_by(ApiKey.id.desc()).limit(1))
        assert record.key_hash == keys.hash_key(key) and key not in record.key_hash
        assert record.prefix == key[: keys.PREFIX_CHARS] and record.created_by == "admin"
        assert record.label == "iOS 2.0" and record.app_id == app.id
        key_id = record.id
    listing = client.get("/admin/appgov_open311_keys/").get_data(as_text=True)
    assert record.prefix in listing and key not in listing  # shown once only
    api = Open311(host.test_client())
    assert post(api, key, app.code).status == 201
    # revoking needs a reason
    no_reason = client.post(f"/admin/appgov_open311_keys/revoke/?id={key_id}", data={"reason": " "})
    assert no_reason.status_code == 200
    assert post(api, key, app.code).status == 201
    revoked = client.post(
        f"/admin/appgov_open311_keys/revoke/?id={key_id}", data={"reason": "金鑰外洩"}
    )
    assert revoked.status_code == 302
    with host.app_context():
        record = db.session.get(ApiKey, key_id)
        assert record.revoked_by == "admin" and record.revoke_reason == "金鑰外洩"
        assert record.revoked_at is not None
    assert post(api, key, app.code).status == 403
    assert client.get("/admin/appgov_open311_keys/revoke/?id=abc").status_code == 404


def test_only_the_administrator_handles_keys(host):
    app = offered_apps(host)[0]
    for username in ("staff", "head", "reviewer", "mayor", "itdept", "helpdesk", "officer"):
        client = host.test_client()
        login(client, username)
        with host.app_context():
            before = db.session.scalar(sa.select(sa.func.count()).select_from(ApiKey))
        for path in ("/admin/appgov_open311_keys/", "/admin/appgov_open311_keys/new/"):
            assert client.get(path).status_code == 403, (username, path)
        answer = client.post(
            "/admin/appgov_open311_keys/new/", data={"app_id": str(app.id), "label": "mine"}
        )
        assert answer.status_code == 403, username
        with host.app_context():
            assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiKey)) == before


# -- the demo --------------------------------------------------------------------------------------


def test_the_demo_keys_post_feedback(host):
    api = Open311(host.test_client())
    for app in offered_apps(host):
        key = keys.demo_key("test", app.code)  # the suite's SECRET_KEY
        assert post(api, key, app.code).status == 201, app.code


def test_the_first_start_prints_demo_keys_derived_from_the_secret_key(tmp_path):
    def first_start(secret: str, where: Path) -> str:
        config = {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{where / 'demo.sqlite'}",
            "INSTANCE_PATH": str(where / "instance"),
            "SECRET_KEY": secret,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        }
        script = (
            "import json, sys; from sample_host import create_app; create_app(json.load(sys.stdin))"
        )
        env = {"PATH": "/usr/bin:/bin", "HOME": str(where)}
        done = subprocess.run(
            [sys.executable, "-c", script],
            input=json.dumps(config),
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    one = first_start("secret-one", tmp_path / "a")
    two = first_start("secret-two", tmp_path / "b")
    assert "demo-admin" in one and "/open311/v2" in one
    printed = re.findall(r"(app-\d+)\s+(o311_demo_\w+)", one)
    assert printed
    for code, key in printed:
        assert key == keys.demo_key("secret-one", code)
        assert key not in two  # another deployment, other keys
