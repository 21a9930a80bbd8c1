"""Citizens' personal data in the mailbox link (issue 16, part 3; 個人資料保護法 §3, §8, §10,
§11): the notice at collection in ``services.json`` and ``services/<code>.json`` in both
languages and after an administrator's edit; ``flask appgov mailbox purge`` (past retention
only, counts and response times kept, idempotent, ``--dry-run`` writes nothing); the
citizen's rights page (the mailbox officer only; search by a normalised phone or e-mail;
export unmasked and logged; erasure with a reason and a confirmation, logged) and its log
in Flask-Admin. SQLite and PostgreSQL (the ``database_url`` fixture)."""

from __future__ import annotations

import datetime as dt
import io
import uuid
import zipfile
from decimal import Decimal

import pytest
import sqlalchemy as sa
from casework import add_user
from casework import visible_text as raw_text
from hosting import login
from mailbox_feedback import without_demo_feedback
from open311_client import Open311

from appgov_plugin.apps.models import App
from appgov_plugin.clock import today
from appgov_plugin.evaluation.totals import year_figures
from appgov_plugin.mailbox import notice
from appgov_plugin.mailbox.models import (
    Feedback,
    FeedbackOutbox,
    PersonalDataAction,
    PersonalDataNotice,
    PersonalDataReveal,
)
from appgov_plugin.policy.changes import record_change
from sample_host.extensions import db

UTC = dt.UTC
OLD = dt.datetime(2019, 5, 30, 1, 0, tzinfo=UTC)
OLD_CLOSED = dt.datetime(2019, 6, 3, 2, 0, tzinfo=UTC)
RECENT = dt.datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
RECENT_CLOSED = dt.datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
CITIZEN = {
    "first_name": "建宏",
    "last_name": "黃",
    "email": "Huang.JianHong@example.org",
    "phone": "0912-345-678",
    "device_id": "device-8b1f2c",
    "media_url": "https://example.org/photo.jpg",
    "address_string": "臺南市中西區永華路二段6號",
    "lat": Decimal("22.992345"),
    "long": Decimal("120.185432"),
}
TEXT = "公車到站時間不準確，請回電 0912-345-678 或寄 huang.jianhong@example.org。"
REPLY = "黃先生您好，已請業者改善；如有疑問請洽 06-2991111。"
REQUEST = "民眾 115/12/01 來函申請查閱並刪除其個人資料，文號 1150001234。"
PURGE = ["appgov", "mailbox", "purge"]


def visible_text(page: str) -> str:
    return " ".join(raw_text(page).split())


@pytest.fixture
def host(make_host):
    app = make_host("tainan")
    with app.app_context():
        without_demo_feedback()
    return app


def add_app(name: str, agency: str = "tainan-tourism") -> int:
    app = App(
        name=name,
        name_en=f"{name} (en)",
        agency_code=agency,
        status="listed",
        version="1.0.0",
        linked_to_mayor_mailbox=True,
    )
    db.session.add(app)
    db.session.commit()
    return app.id


def add_item(
    app_id: int,
    *,
    received=OLD,
    updated=OLD_CLOSED,
    status="closed",
    number: str | None = "auto",
    text=TEXT,
    reply=REPLY,
    **fields,
) -> int:
    code = db.session.get(App, app_id).code
    row = {
        "app_id": app_id,
        "service_code": code,
        "token": str(uuid.uuid4()),
        "idempotency_key": str(uuid.uuid4()),
        "description": text,
        "requested_at": received,
        "updated_at": updated,
        "status": status,
        "status_notes": reply,
        "service_request_id": uuid.uuid4().hex[:12] if number == "auto" else number,
        "locale": "zh_Hant_TW",
        **{**CITIZEN, **fields},
    }
    feedback_id = db.session.scalar(sa.insert(Feedback).returning(Feedback.id), row)
    db.session.execute(
        sa.insert(FeedbackOutbox),
        {
            "feedback_id": feedback_id,
            "state": "sent" if row["service_request_id"] else "pending",
            "next_attempt_at": received,
        },
    )
    db.session.commit()
    return feedback_id


def item(host, feedback_id: int) -> Feedback:
    with host.app_context():
        found = db.session.get(Feedback, feedback_id)
        db.session.expunge(found)
        return found


def actions(host, action: str | None = None) -> list[PersonalDataAction]:
    with host.app_context():
        query = sa.select(PersonalDataAction).order_by(PersonalDataAction.id)
        if action:
            query = query.where(PersonalDataAction.action == action)
        found = list(db.session.scalars(query))
        db.session.expunge_all()
        return found


def figures(host, app_id: int) -> list:
    with host.app_context():
        return [year_figures(year, [app_id]).get(app_id) for year in (2019, 2026)]


def speak(client, locale):
    assert client.post(f"/locale/{locale}").status_code == 302


def purge(host, *args: str):
    result = host.test_cli_runner().invoke(args=[*PURGE, *args])
    assert result.exit_code == 0, result.output
    return result.output


# -- the notice at collection (§8) ----------------------------------------------------------


def _agencies(host, locale: str) -> dict[str, str]:
    with host.test_request_context():
        from appgov_plugin.access import host_agencies

        return {a.code: a.name(locale) for a in host_agencies()}


def _codes(host) -> dict[str, str]:
    with host.app_context():
        return dict(db.session.execute(sa.select(App.code, App.agency_code)).all())


@pytest.mark.parametrize("locale", ["zh_Hant_TW", "en"])
def test_services_json_gives_the_notice_in_the_request_language(host, locale):
    api = Open311(host.test_client())
    services = api.get("/services.json", locale=locale, valid=True)
    assert services.status == 200 and services.json
    names, codes = _agencies(host, locale), _codes(host)
    with host.test_request_context():
        template = notice.default_notice(locale)
    for service in services.json:
        agency = names[codes[service["service_code"]]]
        expected = notice.fill(template, agency, 5)  # mailbox_retention_years' default
        assert service["personal_data_notice"] == expected
        assert service["description"].endswith(expected)  # what every Open311 client shows
        assert agency in expected and "{" not in expected
        definition = api.get(f"/services/{service['service_code']}.json", locale=locale, valid=True)
        assert definition.status == 200
        (attribute,) = definition.json["attributes"]
        assert attribute["variable"] is False and attribute["description"] == expected
    if locale == "en":
        text = services.json[0]["personal_data_notice"]
        for words in ("Article 8", "Purpose", "5 years", "inspect", "copy", "correct", "erase"):
            assert words in text, words
    # Accept-Language picks alike; zh_Hant_TW is the default
    header = api.get("/services.json", headers={"Accept-Language": locale.replace("_", "-")})
    assert header.json == services.json
    if locale == "zh_Hant_TW":
        assert api.get("/services.json").json == services.json
    missing = api.get("/services/app-999999.json", locale=locale)
    assert missing.status == 404 and "service_code" in missing.descriptions[0]


def test_an_administrator_edits_the_notice_and_services_json_gives_it(host):
    client = host.test_client()
    for username in ("staff", "officer", "reviewer"):
        login(client, username)
        assert client.get("/admin/appgov_personal_data_notice/").status_code == 403, username
    login(client, "admin")
    speak(client, "en")
    page = client.get("/admin/appgov_personal_data_notice/")
    assert page.status_code == 200
    with host.test_request_context():
        assert notice.default_notice("en").splitlines()[0] in visible_text(page.text)
    zh = "個人資料蒐集告知：{agency}為處理您的意見蒐集聯絡資料，結案後保存 {years} 年。"
    en = "Notice: {agency} collects your contact data to answer you; kept {years} years."
    # too long: refused, naming the field; nothing saved (neither language)
    refused = client.post(
        "/admin/appgov_personal_data_notice/",
        data={"zh_Hant_TW": zh, "en": "x" * (notice.MAX_NOTICE + 1)},
    )
    assert refused.status_code == 400 and "Notice in English" in visible_text(refused.text)
    with host.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PersonalDataNotice)) == 0
    saved = client.post("/admin/appgov_personal_data_notice/", data={"zh_Hant_TW": zh, "en": en})
    assert saved.status_code == 302
    api = Open311(host.test_client())
    tourism_zh = _agencies(host, "zh_Hant_TW")["tainan-tourism"]
    tourism_en = _agencies(host, "en")["tainan-tourism"]
    codes = _codes(host)
    service = next(
        s
        for s in api.get("/services.json", valid=True).json
        if codes[s["service_code"]] == "tainan-tourism"
    )
    assert service["personal_data_notice"] == (
        f"個人資料蒐集告知：{tourism_zh}為處理您的意見蒐集聯絡資料，結案後保存 5 年。"
    )
    english = api.get("/services.json", locale="en").json
    assert (
        next(s for s in english if s["service_code"] == service["service_code"])[
            "personal_data_notice"
        ]
        == f"Notice: {tourism_en} collects your contact data to answer you; kept 5 years."
    )
    # the retention parameter fills {years} (a change effective today)
    with host.app_context():
        state = host.extensions["appgov"]
        record_change(state, "mailbox_retention_years", 7, today(), "市務會議決議", "admin")
        db.session.commit()
    again = api.get("/services.json", locale="en").json
    assert all(s["personal_data_notice"].endswith("kept 7 years.") for s in again)
    # an empty text is refused, naming the field; nothing saved
    refused = client.post("/admin/appgov_personal_data_notice/", data={"zh_Hant_TW": zh, "en": ""})
    assert refused.status_code == 400 and "Notice in English" in visible_text(refused.text)
    # the English text back to the default (the Chinese one stays edited)
    with host.test_request_context():
        default_en = notice.default_notice("en")
    client.post("/admin/appgov_personal_data_notice/", data={"zh_Hant_TW": zh, "en": default_en})
    with host.test_request_context():
        default_first = notice.default_notice("en").splitlines()[0]
    assert all(
        s["personal_data_notice"].startswith(default_first)
        for s in api.get("/services.json", locale="en").json
    )
    with host.app_context():
        assert [n.locale for n in db.session.scalars(sa.select(PersonalDataNotice))] == [
            "zh_Hant_TW"
        ]
    # restoring the defaults removes the edited texts
    assert (
        client.post("/admin/appgov_personal_data_notice/", data={"restore": "default"}).status_code
        == 302
    )
    with host.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PersonalDataNotice)) == 0


# -- the retention purge (§11) ----------------------------------------------------------------


def test_purge_removes_contact_data_past_retention_only_and_keeps_the_statistics(host):
    with host.app_context():
        app_id = add_app("府城公車")
        due = add_item(app_id)
        still_open = add_item(app_id, status="open")
        not_forwarded = add_item(app_id, number=None)
        recent = add_item(app_id, received=RECENT, updated=RECENT_CLOSED)
        db.session.add(
            PersonalDataReveal(
                feedback_id=due, field="phone", username="staff", reason="回電 0912-345-678 確認"
            )
        )
        db.session.commit()
    before = {n: item(host, n) for n in (due, still_open, not_forwarded, recent)}
    statistics = figures(host, app_id)
    assert statistics[0].feedback_count == 3 and statistics[0].median_response_hours is not None

    # --dry-run: says what it would do, writes nothing
    output = purge(host, "--as-of", "2026-12-01", "--dry-run")
    assert "would remove" in output and "from 1 items" in output
    assert item(host, due).email == CITIZEN["email"] and actions(host) == []

    output = purge(host, "--as-of", "2026-12-01")
    assert "removed from 1 items" in output and "recorded" in output
    purged = item(host, due)
    for name in ("first_name", "last_name", "email", "phone", "device_id", "address_string"):
        assert getattr(purged, name) is None, name
    assert purged.media_url is None and purged.contact_removed_at is not None
    assert (purged.lat, purged.long) == (Decimal("22.99"), Decimal("120.19"))
    assert "0912-345-678" not in purged.description and "huang.jianhong@" not in purged.description
    assert "0912-***-678" in purged.description and "h***@example.org" in purged.description
    assert purged.status_notes and "06-2991111" not in purged.status_notes
    # the anonymised record stays as it was: times, status, number
    for name in ("requested_at", "updated_at", "status", "service_request_id", "app_id"):
        assert getattr(purged, name) == getattr(before[due], name), name
    # an open item, one not forwarded and a recent one are never purged
    for kept in (still_open, not_forwarded, recent):
        assert item(host, kept).email == CITIZEN["email"] and item(host, kept).lat == CITIZEN["lat"]
        assert item(host, kept).contact_removed_at is None
    # the reveal log holds no value; a reason quoting one is masked
    with host.app_context():
        reason = db.session.scalar(sa.select(PersonalDataReveal.reason))
    assert "0912-345-678" not in reason and "0912-***-678" in reason
    # the counts and response times are unchanged (evaluation/totals.py)
    assert figures(host, app_id) == statistics
    (run,) = actions(host, "purge")
    assert run.count == 1 and run.details["feedback_ids"] == [due]
    assert run.details["retention_years"] == 5 and run.details["before"] == "2021-12-01"

    # a second run changes nothing (its run is recorded, with 0 items)
    output = purge(host, "--as-of", "2026-12-01")
    assert "from 0 items" in output
    assert item(host, due).contact_removed_at == purged.contact_removed_at
    assert item(host, due).description == purged.description
    assert [a.count for a in actions(host, "purge")] == [1, 0]
    assert figures(host, app_id) == statistics

    # a bad date is refused, nothing written
    result = host.test_cli_runner().invoke(args=[*PURGE, "--as-of", "115/12/01"])
    assert result.exit_code != 0 and "ISO date" in result.output
    assert len(actions(host)) == 2


# -- the citizen's rights (§3, §10, §11) ------------------------------------------------------

SEARCH = "/appgov/feedback/personal-data"


@pytest.fixture
def citizen(host):
    """Items naming the citizen's phone or e-mail in several spellings (Tainan apps), one of
    another number, and one of a Kaohsiung app (another city: not the officer's)."""
    with host.app_context():
        bus = add_app("府城公車")
        park = add_app("府城停車", agency="tainan-sdc")
        kaohsiung = add_app("高雄好行", agency="kaohsiung-tb")
        ids = {
            "field": add_item(bus, text="路燈不亮。", email=None),
            "plus886": add_item(park, phone="+886 912 345 678", email=None, text="意見"),
            "in_text": add_item(
                bus,
                phone=None,
                email=None,
                text="請回電 (0912)345678 或寄 Huang.JianHong@example.org 謝謝",
                status="open",
            ),
            "email": add_item(park, phone=None, email="huang.jianhong@EXAMPLE.org", text="意見"),
            "other": add_item(bus, phone="0933-111-222", email="other@example.org", text="意見"),
            "kaohsiung": add_item(kaohsiung),
        }
    return ids


def _found(page: str) -> set[int]:
    import re

    return {int(n) for n in re.findall(r'data-feedback="(\d+)"', page)}


def test_only_the_mailbox_officer_handles_the_citizens_requests(host, citizen):
    client = host.test_client()
    response = client.get(SEARCH)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    with host.app_context():
        add_user("khofficer", "mailbox_officer", "kaohsiung-tb")
    for username in ("staff", "head", "reviewer", "mayor", "itdept", "helpdesk", "admin"):
        login(client, username)
        assert client.get(SEARCH).status_code == 403, username
        for url in (SEARCH, SEARCH + "/export", SEARCH + "/erase"):
            answer = client.post(
                url, data={"contact": "0912345678", "reason": REQUEST, "fmt": "csv", "confirm": "y"}
            )
            assert answer.status_code == 403, (username, url)
    assert actions(host) == []
    assert item(host, citizen["field"]).phone == CITIZEN["phone"]
    login(client, "officer")
    page = client.get(SEARCH)
    assert page.status_code == 200 and page.text.count("<h1") == 1
    # the navigation links the page for the officer only
    assert 'href="/appgov/feedback/personal-data"' in client.get("/").text
    login(client, "staff")
    assert 'href="/appgov/feedback/personal-data"' not in client.get("/").text
    # the officer of another city finds their city's items only
    login(client, "khofficer")
    found = client.post(SEARCH, data={"contact": "0912345678", "reason": REQUEST})
    assert _found(found.text) == {citizen["kaohsiung"]}


def test_the_search_normalises_the_phone_and_the_email_and_is_logged(host, citizen):
    client = host.test_client()
    login(client, "officer")
    speak(client, "en")
    phone = {"field", "plus886", "in_text"}
    for spelling in ("0912345678", "+886-912-345-678", " 0912 345 678 ", "886912345678"):
        page = client.post(SEARCH, data={"contact": spelling, "reason": REQUEST})
        assert page.status_code == 200, spelling
        assert _found(page.text) == {citizen[k] for k in phone}, spelling
        assert "0912-345-678" not in page.text  # listed masked
    email = {"email", "in_text"}  # the e-mail field, and an address in the text
    page = client.post(SEARCH, data={"contact": " HUANG.jianhong@example.ORG ", "reason": REQUEST})
    assert _found(page.text) == {citizen[k] for k in email}
    logged = actions(host, "search")
    assert len(logged) == 5 and {a.username for a in logged} == {"officer"}
    assert logged[0].subject == "0912-***-678" and logged[0].reason == REQUEST
    assert sorted(logged[0].details["feedback_ids"]) == sorted(citizen[k] for k in phone)
    assert logged[-1].subject == "h***@example.org" and logged[-1].count == 2
    # bad input: the field named, nothing logged
    for data, word in (
        ({"contact": "", "reason": REQUEST}, "E-mail or phone"),
        ({"contact": "12345", "reason": REQUEST}, "E-mail or phone"),
        ({"contact": "a@b", "reason": REQUEST}, "E-mail or phone"),
        ({"contact": "0912345678", "reason": ""}, "The citizen's request"),
        ({"contact": "0912345678", "reason": "太短"}, "The citizen's request"),
    ):
        refused = client.post(SEARCH, data=data)
        assert refused.status_code == 400, data
        summary = visible_text(refused.text.split('id="error-summary"', 1)[1].split("</div>")[0])
        assert word in summary, (data, summary)
    assert len(actions(host, "search")) == 5


def test_the_export_holds_the_citizens_own_data_unmasked_and_is_logged(host, citizen):
    client = host.test_client()
    login(client, "officer")
    speak(client, "en")
    data = {"contact": "+886 912 345 678", "reason": REQUEST}
    response = client.post(SEARCH + "/export", data={**data, "fmt": "csv"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "no-store" in response.headers["Cache-Control"]
    text = response.get_data().decode("utf-8-sig")
    assert "0912-345-678" in text and "+886 912 345 678" in text and "建宏" in text
    assert CITIZEN["address_string"] in text and "(0912)345678" in text
    assert "0933-111-222" not in text and "高雄" not in text
    xlsx = client.post(SEARCH + "/export", data={**data, "fmt": "xlsx"})
    assert xlsx.status_code == 200 and zipfile.is_zipfile(io.BytesIO(xlsx.get_data()))
    logged = actions(host, "export")
    assert [(a.count, a.details["format"]) for a in logged] == [(3, "csv"), (3, "xlsx")]
    assert logged[0].subject == "0912-***-678" and "0912-345-678" not in str(logged[0].details)
    # no reason, or an unknown format: refused naming the field, nothing logged
    refused = client.post(SEARCH + "/export", data={"contact": "0912345678", "fmt": "csv"})
    assert refused.status_code == 400 and "The citizen's request" in visible_text(refused.text)
    refused = client.post(SEARCH + "/export", data={**data, "fmt": "pdf"})
    assert refused.status_code == 400 and "File format" in visible_text(refused.text)
    assert len(actions(host, "export")) == 2


def test_erasing_asks_a_reason_and_a_confirmation_and_is_logged(host, citizen):
    with host.app_context():
        app_id = db.session.get(Feedback, citizen["field"]).app_id
    statistics = figures(host, app_id)
    client = host.test_client()
    login(client, "officer")
    speak(client, "en")
    erase = SEARCH + "/erase"
    phone = [citizen[k] for k in ("field", "plus886", "in_text")]
    for data, word in (
        ({"contact": "0912345678", "confirm": "y"}, "Reason for erasing"),
        ({"contact": "0912345678", "reason": REQUEST}, "Confirmation"),
    ):
        refused = client.post(erase, data=data)
        assert refused.status_code == 400
        assert word in visible_text(refused.text.split('id="error-summary"', 1)[1]), word
        assert all(item(host, n).contact_removed_at is None for n in phone)
        assert actions(host, "erase") == []
    done = client.post(erase, data={"contact": "0912345678", "reason": REQUEST, "confirm": "y"})
    assert done.status_code == 200 and "erased from feedback items: 3" in visible_text(done.text)
    for number in phone:
        erased = item(host, number)
        assert erased.phone is None and erased.first_name is None and erased.email is None
        assert "0912" not in erased.description.replace("0912-***", "")
        assert erased.contact_removed_at is not None
    assert item(host, citizen["other"]).phone == "0933-111-222"
    assert item(host, citizen["kaohsiung"]).phone == CITIZEN["phone"]
    assert figures(host, app_id) == statistics
    (logged,) = actions(host, "erase")
    assert logged.count == 3 and sorted(logged.details["feedback_ids"]) == sorted(phone)
    assert logged.reason == REQUEST and logged.username == "officer"
    # the items found again name nothing: a second erasure changes nothing
    again = client.post(erase, data={"contact": "0912345678", "reason": REQUEST, "confirm": "y"})
    assert again.status_code == 200 and [a.count for a in actions(host, "erase")] == [3, 0]


def test_the_log_is_read_in_flask_admin_next_to_the_reveals(host, citizen):
    client = host.test_client()
    login(client, "officer")
    client.post(SEARCH, data={"contact": "0912345678", "reason": REQUEST})
    purge(host, "--as-of", "2026-12-01")
    for username in ("officer", "staff", "reviewer"):
        login(client, username)
        assert client.get("/admin/appgov_personal_data_actions/").status_code == 403, username
    login(client, "admin")
    speak(client, "en")
    text = visible_text(client.get("/admin/appgov_personal_data_actions/").text)
    assert "officer" in text and "0912-***-678" in text and REQUEST in text
    assert "Retention purge" in text and "個人資料保護法 §11" in text
    assert "0912-345-678" not in text and "0912345678" not in text
    assert client.get("/admin/appgov_personal_data_actions/new/").status_code in (302, 403, 404)
