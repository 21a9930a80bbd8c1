"""Flask-Admin for officials (issue 7): every create/edit form answers bad input in the
reader's language (Traditional Chinese, never Simplified; English), names the fields and saves
nothing; lists show Taipei dates in the reader's convention and labels instead of keys; the
app form only takes the host's agencies (``casehost_agencies``), KH-VER-1 versions and store
links; the admin home page says what is there. On SQLite (backend-independent)."""

from __future__ import annotations

import datetime as dt
import html
import json
import logging
import re

import hanzidentifier
import pytest
import sqlalchemy as sa
from casework import new_proposal
from flask_admin.contrib.sqla import ModelView
from hosting import login
from intranet import AGENCIES, make_intranet

from appgov_plugin import migrations
from appgov_plugin.admin import TYPE_FORMATTERS, AdminForm
from appgov_plugin.apps.models import App
from appgov_plugin.lifecycle import registry
from appgov_plugin.policy.models import CalendarOverride
from sample_host import models
from sample_host.extensions import db
from sample_host.models import Agency, Case, CaseHistory, User

# backend-independent: Flask-Admin forms' messages and formats
pytestmark = pytest.mark.backend_independent

#: today's timestamp from the issue: 23:49 UTC is 07:49 the next morning in Taipei
STAMP = dt.datetime(2026, 11, 22, 23, 49, 36, 106885, tzinfo=dt.UTC)
LONG = "長" * 201


def text_of(page: str) -> str:
    """What a reader sees: no scripts, styles or tags; entities decoded."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def table_of(page: str) -> str:
    """The text of a Flask-Admin list's table (not its filter data)."""
    return text_of(re.search(r"<table[^>]*model-list.*?</table>", page, re.S).group(0))


def simplified(text: str) -> set[str]:
    """Characters that exist only in Simplified Chinese (长, 过, 个, 数, 导 ...)."""
    return {ch for ch in text if hanzidentifier.identify(ch) == hanzidentifier.SIMPLIFIED}


@pytest.fixture
def host(make_host):
    app = make_host()
    client = app.test_client()
    login(client, "admin")
    return app, client


def speak(client, locale):
    assert client.post(f"/locale/{locale}").status_code == 302


def post(client, url, data):
    response = client.post(url, data=data)
    assert response.status_code == 200, (url, response.status_code, response.location)
    return response.get_data(as_text=True)


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def case_id(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(Case.id))


# -- forms: messages in the reader's language, fields named, nothing saved ---------------

BAD_APP = {
    "name": LONG,
    "agency_code": "no-such-agency",
    "status": "listed",
    "version": "v1.2",
    "description": "x",
    "ios_url": "javascript:alert(1)",
    "android_url": "https://example.com/app",
    "proposal_case_id": "-5",
    # ticked as approved before appgov without the document's number; no reason given
    "approved_before": "y",
    "approval_reference": "",
    "registration_reason": "",
}
#: what a good registration adds: an approval with its document, the mandatory reason
REGISTRATION = {
    "approved_before": "y",
    "approval_reference": "府觀資字第1130012345號",
    "registration_reason": "本系統啟用前已上架，依原程序核准",
}


def test_app_form_refuses_bad_values_in_traditional_chinese(host):
    app, client = host
    before = count(app, App)
    speak(client, "zh_Hant_TW")
    page = post(client, "/admin/appgov_app/new/", BAD_APP)
    seen = text_of(page)
    assert "資料未新增。" in seen  # Flask-Admin's banner, from the host's catalog
    assert (
        "請修正這些欄位：App 名稱、機關、版本、App Store 下載連結、Google Play 下載連結、"
        "核准公文文號、登錄理由。" in seen
    )
    assert "請填寫核准此 App 的公文文號。" in seen and "請填寫於此登錄此 App 的原因。" in seen
    assert "欄位長度不能超過 200 個字元。" in seen  # WTForms' Traditional catalog
    assert "請從清單中選擇一個機關。" in seen
    assert "「v1.2」不是版本號" in seen and "KH-VER-1" in seen
    assert "請填寫以 https://（或 http://）開頭的網址。" in seen
    assert "這不是 Google Play 的連結" in seen
    assert simplified(seen) == set(), simplified(seen)
    assert "Failed to create record" not in seen
    # the typed values stay in their inputs
    assert 'value="v1.2"' in page and 'value="javascript:alert(1)"' in page
    assert count(app, App) == before

    empty = text_of(post(client, "/admin/appgov_app/new/", {"name": "", "agency_code": ""}))
    assert empty.count("此欄位是必需的。") == 2 and simplified(empty) == set()
    assert "請填寫於此登錄此 App 的原因。" in empty  # the reason is mandatory
    assert "請填寫核准此 App 的公文文號。" not in empty  # only asked when ticked
    assert count(app, App) == before


def test_app_form_refuses_bad_values_in_english(host):
    app, client = host
    before = count(app, App)
    speak(client, "en")
    seen = text_of(post(client, "/admin/appgov_app/new/", BAD_APP))
    assert "Failed to create record." in seen
    assert (
        "Please correct: App name, Agency, Version, App Store link, Google Play link, "
        "Approval document number, Reason for registering." in seen
    )
    assert "Give the number of the document that approved the app." in seen
    assert "Write why the app enters the registry here." in seen
    assert "Field cannot be longer than 200 characters." in seen
    assert "Choose one of the agencies in the list." in seen
    assert "“v1.2” is not a version number: write MAJOR.MINOR.PATCH, e.g. 1.0.0 (KH-VER-1)." in seen
    assert "Write a web address starting with https:// (or http://)." in seen
    assert "This is not a Google Play link: the address must be on play.google.com." in seen
    # no Chinese left in the form (the page chrome names the user, who is Chinese data)
    assert not re.search(r"[\u4e00-\u9fff]", seen.split("Please correct:", 1)[1])
    assert count(app, App) == before


def test_app_form_takes_a_host_agency_and_never_a_proposal_case_id(host):
    app, client = host
    speak(client, "zh_Hant_TW")
    form = client.get("/admin/appgov_app/new/").get_data(as_text=True)
    assert 'name="proposal_case_id"' not in form  # set by the workflow, not typed
    assert "臺南市政府觀光旅遊局 (tainan-tourism)" in form  # casehost_agencies' names
    response = client.post(
        "/admin/appgov_app/new/",
        data={
            "name": "  府城好行  ",
            "agency_code": "tainan-tourism",
            "status": "listed",
            "version": "1.2.0",
            "ios_url": "https://apps.apple.com/tw/app/id1234567890",
            "android_url": "https://play.google.com/store/apps/details?id=tw.gov.tainan.go",
            "proposal_case_id": "-5",
            **REGISTRATION,
        },
    )
    assert response.status_code == 302, text_of(response.get_data(as_text=True))[:800]
    with app.app_context():
        row = db.session.scalar(sa.select(App).where(App.name == "府城好行"))
        assert (row.agency_code, row.version, row.proposal_case_id) == (
            "tainan-tourism",
            "1.2.0",
            None,
        )
        # the registration is the app's first history step: who, why, the approval
        (step,) = registry.history(row.id)
        assert (step.kind, step.actor, step.reason) == (
            "registered",
            "admin",
            REGISTRATION["registration_reason"],
        )
        assert step.details["approved"] is True
        assert step.details["approval_reference"] == REGISTRATION["approval_reference"]


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("ios_url", "javascript:alert(1)"),
        ("android_url", "data:text/html,x"),
        ("proposal_case_id", -1),
    ],
)
def test_the_database_refuses_script_links_and_impossible_case_ids(host, column, value):
    app, _ = host
    with app.app_context():
        db.session.add(App(agency_code="tainan-tourism", name="x", **{column: value}))
        with pytest.raises(sa.exc.IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_calendar_override_form_in_both_languages(host):
    app, client = host
    bad = {"day": "115/13/40", "name": "颱" * 101, "name_en": ""}
    speak(client, "zh_Hant_TW")
    seen = text_of(post(client, "/admin/appgov_calendar_override/new/", bad))
    assert "「115/13/40」不是日期，請寫成 115/11/22（民國年）或 2026-11-22。" in seen
    assert "欄位長度不能超過 100 個字元。" in seen and "此欄位是必需的。" in seen
    assert "請修正這些欄位：日期、中文名稱、英文名稱。" in seen and "資料未新增。" in seen
    assert simplified(seen) == set()
    speak(client, "en")
    seen = text_of(post(client, "/admin/appgov_calendar_override/new/", bad))
    assert "“115/13/40” is not a date. Write it as 115/11/22 (ROC year) or 2026-11-22." in seen
    assert "Field cannot be longer than 100 characters." in seen
    assert "This field is required." in seen and "Failed to create record." in seen
    assert count(app, CalendarOverride) == 0

    # an ROC date is read as such (TIME-5) and shown back in the reader's convention
    created = client.post(
        "/admin/appgov_calendar_override/new/",
        data={"day": "115/11/23", "name": "颱風停班", "name_en": "Typhoon day off"},
    )
    assert created.status_code == 302
    with app.app_context():
        row = db.session.scalar(sa.select(CalendarOverride))
        assert (row.day, row.name_en) == (dt.date(2026, 11, 23), "Typhoon day off")
    speak(client, "zh_Hant_TW")
    edit = client.get(f"/admin/appgov_calendar_override/edit/?id={row.id}").get_data(as_text=True)
    assert 'value="115/11/23"' in edit
    again = text_of(
        post(
            client,
            "/admin/appgov_calendar_override/new/",
            {**bad, "day": "115/11/23", "name": "x", "name_en": "y"},
        )
    )
    assert "資料已經存在。" in again  # one override per day
    assert count(app, CalendarOverride) == 1


def test_host_forms_speak_the_readers_language(host):
    app, client = host
    users, agencies = count(app, User), count(app, Agency)
    speak(client, "zh_Hant_TW")
    seen = text_of(
        post(client, "/admin/host_user/new/", {"username": "", "display_name": LONG, "role": "x"})
    )
    assert "此欄位是必需的。" in seen and "欄位長度不能超過 200 個字元。" in seen
    assert "請修正這些欄位：帳號、顯示名稱、新密碼、角色。" in seen
    assert "不是有效的選項。" in seen or "不是有效的選擇。" in seen
    assert simplified(seen) == set()
    seen = text_of(post(client, "/admin/host_agency/new/", {"code": "c" * 41, "city": "tainan"}))
    assert "欄位長度不能超過 40 個字元。" in seen and simplified(seen) == set()

    # case data is read-only in Flask-Admin (corrections are recorded steps, tests/
    # test_host_audit.py): the case edit URL offers no form and saves nothing
    case = case_id(app)
    with app.app_context():
        agency_id, owner_id = db.session.execute(
            sa.select(Case.agency_id, Case.owner_id).where(Case.id == case)
        ).one()
    bad_case = {"agency": agency_id, "owner": owner_id, "data": "{bad", "form_version": "abc"}
    assert client.post(f"/admin/host_case/edit/?id={case}", data=bad_case).status_code == 302

    speak(client, "en")
    seen = text_of(post(client, "/admin/host_user/new/", {"username": "", "role": "x"}))
    assert "This field is required." in seen and "Not a valid choice" in seen
    assert (count(app, User), count(app, Agency)) == (users, agencies)


def test_every_model_view_uses_the_localized_form_and_formatters(host, database_url):
    app, _ = host
    intranet, _, _ = make_intranet(database_url)
    for each in (app, intranet):
        views = [v for a in each.extensions["admin"] for v in a._views if isinstance(v, ModelView)]
        assert len(views) >= 2
        for view in views:
            assert issubclass(view.form_base_class, AdminForm), view.endpoint
            assert view.column_type_formatters is TYPE_FORMATTERS, view.endpoint
    with intranet.app_context():
        db_ = intranet.extensions["sqlalchemy"]
        db_.engine.dispose()


# -- Flask-Admin's own texts: the host's catalog wins ------------------------------------


def test_flask_admin_texts_are_taiwan_usage_and_never_simplified(host, database_url):
    app, client = host
    # an intranet without a host catalog, in the same process, keeps Flask-Admin's own
    intranet, _, _ = make_intranet(database_url)
    with intranet.app_context():
        migrations.upgrade(intranet.extensions["sqlalchemy"].engine)
    other = intranet.test_client()
    other.get("/_login/root")
    theirs = other.get("/admin/appgov_app/new/", headers={"Accept-Language": "zh-TW"})
    assert "保存" in theirs.get_data(as_text=True)
    speak(client, "zh_Hant_TW")
    for url in ("/admin/appgov_app/", "/admin/appgov_app/new/", "/admin/host_user/"):
        page = client.get(url).get_data(as_text=True)
        seen = text_of(page)
        assert simplified(seen) == set(), (url, simplified(seen))
        for mainland in ("保存", "導出", "創建", "添加", "過濾器", "選中的"):
            assert mainland not in seen, (url, mainland)
    new = client.get("/admin/appgov_app/new/").get_data(as_text=True)
    assert 'value="儲存"' in new and 'value="儲存並繼續新增"' in new
    listing = client.get("/admin/appgov_app/").get_data(as_text=True)
    assert "新增篩選條件" in text_of(listing) and "確定要刪除這筆資料嗎？" in listing
    with intranet.app_context():
        intranet.extensions["sqlalchemy"].engine.dispose()


# -- lists: Taipei dates in the reader's convention, labels instead of keys --------------


def _stamp_rows(app):
    # history is append-only (the database refuses UPDATE): a case opened and submitted at
    # STAMP (the history rows' clock, sample_host.models.utcnow), then every row stamped
    with pytest.MonkeyPatch.context() as clock, app.app_context():
        clock.setattr(models, "utcnow", lambda: STAMP)
        new_proposal(steps=("submit",))  # the staff's proposal, straight to review
    with app.app_context():
        db.session.execute(sa.update(App).values(updated_at=STAMP))
        db.session.add(
            CalendarOverride(
                day=dt.date(2026, 11, 23),
                working=False,
                name="颱風停班",
                name_en="Typhoon day off",
                updated_at=STAMP,
            )
        )
        db.session.execute(sa.update(Case).values(created_at=STAMP, updated_at=STAMP))
        db.session.commit()


def test_lists_show_taipei_dates_yes_no_and_labels(host):
    app, client = host
    _stamp_rows(app)

    def table(url):
        return table_of(client.get(url).get_data(as_text=True))

    speak(client, "zh_Hant_TW")
    apps = table("/admin/appgov_app/")
    assert "115/11/23 07:49" in apps and "2026-11-22" not in apps
    assert "已上架" in apps and " 是 " in apps
    # the agency column names the agency of each of its apps, besides the apps' own names
    # (data: the demo's app listed before appgov is named after the bureau)
    with app.app_context():
        rows = list(db.session.scalars(sa.select(App)))
    bureau = "臺南市政府觀光旅遊局"
    tourism = [a for a in rows if a.agency_code == "tainan-tourism"]
    assert len(tourism) > 1 and all(a.name in apps for a in rows)
    assert apps.count(bureau) == len(tourism) + sum(a.name.count(bureau) for a in rows)
    assert "tainan-tourism" not in apps
    assert "listed" not in apps
    calendar = table("/admin/appgov_calendar_override/")
    assert "115/11/23" in calendar and " 否 " in calendar and "Typhoon day off" in calendar
    users = table("/admin/host_user/")
    assert "機關承辦人" in users and "系統管理者" in users and "agency_staff" not in users
    assert "臺南市政府觀光旅遊局" in users and "tainan-tourism" not in users
    assert "None" not in users and "繁體中文（臺灣）" in users
    cases = table("/admin/host_case/")
    assert "App 開發評估申請" in cases and "審查中" in cases and "115/11/23 07:49" in cases
    assert "appgov_app_proposal" not in cases and "in_review" not in cases
    history = table("/admin/host_case_history/")
    assert "送出審查" in history and "草稿" in history and "115/11/23 07:49" in history
    assert "submit" not in history and "draft" not in history
    with app.app_context():
        app_id = db.session.scalar(sa.select(App.id))
    details = text_of(client.get(f"/admin/appgov_app/details/?id={app_id}").get_data(True))
    assert "115/11/23 07:49" in details and "2026-11-22 23:49" not in details

    speak(client, "en")
    apps = table("/admin/appgov_app/")
    assert "2026-11-23 07:49" in apps and "Tainan City Tourism Bureau" in apps
    assert "Listed" in apps and " Yes " in apps and "2026-11-22 23:49" not in apps
    calendar = table("/admin/appgov_calendar_override/")
    assert "2026-11-23" in calendar and " No " in calendar
    assert "Agency staff" in table("/admin/host_user/")
    assert "In review" in table("/admin/host_case/")


def test_filters_offer_labels_and_read_roc_dates(host):
    app, client = host
    _stamp_rows(app)
    speak(client, "zh_Hant_TW")
    page = client.get("/admin/host_case/").get_data(as_text=True)
    groups = json.loads(re.search(r'id="filter-groups-data"[^>]*>(.*?)</', page, re.S).group(1))
    options = {key: dict(item["options"]) for key, [item] in groups.items()}
    assert options["案件類型"]["appgov_app_proposal"] == "App 開發評估申請"
    assert options["狀態"]["in_review"] == "審查中"
    agencies = json.loads(
        re.search(
            r'id="filter-groups-data"[^>]*>(.*?)</',
            client.get("/admin/appgov_app/").get_data(as_text=True),
            re.S,
        ).group(1)
    )
    assert dict(agencies["機關"][0]["options"])["tainan-tourism"] == "臺南市政府觀光旅遊局"
    # the day filter reads an ROC date; a bad one is named in the reader's language
    hit = text_of(client.get("/admin/appgov_calendar_override/?flt0_0=115/11/23").get_data(True))
    assert "颱風停班" in hit
    miss = client.get("/admin/appgov_calendar_override/?flt0_0=115/11/24").get_data(as_text=True)
    assert "颱風停班" not in text_of(miss).split("理由", 1)[1]
    bad = text_of(client.get("/admin/appgov_calendar_override/?flt0_0=1999-99-99").get_data(True))
    assert "篩選值無效：1999-99-99" in bad


# -- the admin home page, language, log-out ----------------------------------------------


def test_admin_home_says_what_is_there_in_both_languages(host):
    app, client = host
    speak(client, "zh_Hant_TW")
    page = client.get("/admin/").get_data(as_text=True)
    assert '<html lang="zh-Hant-TW">' in page
    seen = text_of(page)
    for words in (
        "主系統",
        "機關：每個機關的代碼、中英文名稱與所屬城市。",
        "使用者：可登入的人員，以及其角色、機關與語言。使用者不會被刪除（案件歷程記載其姓名）；"
        "要停止某人的使用權限，請取消勾選「啟用」。",
        "案件歷程：每一件案件的每一個步驟、由誰在何時執行（唯讀）。",
        "App 清單：各機關的每一個 App，以及其狀態、版本與商店連結。",
        "辦公日曆：颱風停班、本市自訂放假日與補行上班日，優先於國定假日。",
        "規則參數：現行規則的參數值，依生效日期變更並保留歷程。",
    ):
        assert words in seen, words
    assert simplified(seen) == set()
    for view in ("host_agency", "host_user", "host_case", "appgov_app", "appgov_parameters"):
        assert f'href="/admin/{view}/"' in page, view
    # the language switch (a POST with a CSRF token) comes back to this page; so does log-out
    switch = re.search(r'<form method="post" class="admin-languages-form".*?</form>', page, re.S)
    assert switch and 'name="csrf_token"' in switch.group(0)
    assert 'name="next" value="/admin/"' in switch.group(0)
    assert 'formaction="/locale/en"' in switch.group(0)
    logout = re.search(r'<form method="post" action="/logout"[^>]*>(.*?)</form>', page, re.S)
    assert logout and 'name="csrf_token"' in logout.group(1)

    speak(client, "en")
    page = client.get("/admin/").get_data(as_text=True)
    assert '<html lang="en">' in page
    seen = text_of(page)
    assert "Rule parameters: values of the rules in force, effective-dated, with history." in seen
    assert "Agencies: code, Chinese and English name and city of every agency." in seen
    assert "Log out" in seen
    for url in ("/admin/host_case/", "/admin/appgov_app/new/", "/admin/appgov_calendar_override/"):
        assert '<html lang="en">' in client.get(url).get_data(as_text=True), url
    assert client.post("/logout").status_code == 302
    assert client.get("/admin/").status_code == 302  # logged out: back to the login page


# -- casehost_agencies: the host's agencies, in both integration paths -------------------


def test_casehost_agencies_is_answered_by_the_sample_host(host):
    app, _ = host
    with app.test_request_context():
        answer = app.extensions["casehost"].pm.hook.casehost_agencies(app=app)
        codes = {code for code, _zh, _en, _city in answer}
        assert codes == set(db.session.scalars(sa.select(Agency.code)))
        tourism = ("tainan-tourism", "臺南市政府觀光旅遊局", "Tainan City Tourism Bureau", "tainan")
        assert tourism in answer


def test_an_intranet_passes_its_agencies_to_appgov(database_url):
    app, db_, _ = make_intranet(database_url)
    with app.app_context():
        migrations.upgrade(db_.engine)
    client = app.test_client()
    client.get("/_login/root")
    form = client.get("/admin/appgov_app/new/", headers={"Accept-Language": "zh-TW"})
    assert "臺南市政府觀光旅遊局 (TN-TOUR)" in form.get_data(as_text=True)
    refused = client.post(
        "/admin/appgov_app/new/",
        data={"name": "府城好行", "agency_code": "TN-NOPE", "status": "listed"},
        headers={"Accept-Language": "zh-TW"},
    )
    seen = text_of(refused.get_data(as_text=True))
    assert "請從清單中選擇一個機關。" in seen and simplified(seen) == set()
    accepted = client.post(
        "/admin/appgov_app/new/",
        data={
            "name": "府城好行",
            "agency_code": AGENCIES[0][0],
            "status": "listed",
            **REGISTRATION,
        },
    )
    assert accepted.status_code == 302
    listing = client.get("/admin/appgov_app/", headers={"Accept-Language": "en"})
    assert "Tainan City Tourism Bureau" in listing.get_data(as_text=True)
    with app.app_context():
        db_.engine.dispose()


def test_an_intranet_without_agencies_gets_free_text_and_a_warning(database_url, caplog):
    app, db_, _ = make_intranet(database_url, agencies=None)
    with app.app_context():
        migrations.upgrade(db_.engine)
    client = app.test_client()
    client.get("/_login/root")
    with caplog.at_level(logging.WARNING, logger="appgov_plugin.access"):
        form = client.get("/admin/appgov_app/new/").get_data(as_text=True)
    assert re.search(r'<input[^>]*name="agency_code"', form)
    assert "names no agencies" in caplog.text
    created = client.post(
        "/admin/appgov_app/new/",
        data={"name": "x", "agency_code": "ANY", "status": "listed", **REGISTRATION},
    )
    assert created.status_code == 302
    with app.app_context():
        assert db_.session.scalar(sa.select(App.agency_code)) == "ANY"
        db_.engine.dispose()


def test_history_rows_stay_read_only_in_admin(host):
    app, client = host
    assert client.get("/admin/host_case_history/edit/?id=1").status_code == 302
    assert count(app, CaseHistory) >= 1
