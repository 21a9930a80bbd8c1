"""The host's own pages for officials (issue 7): Traditional Chinese host forms, error pages in
the site layout, the form macros of ``_form.html`` (required markers, error summary, ARIA), the
language switch, the home page, and one language per page."""

from __future__ import annotations

import html as htmllib
import json
import re
from pathlib import Path

import hanzidentifier
import pytest
from flask import render_template_string
from flask_wtf import FlaskForm
from hosting import login
from wtforms import (
    BooleanField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectMultipleField,
    StringField,
    widgets,
)
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional

from appgov_plugin.forms.fields import TaiwanDateField
from sample_host.demo import USERS
from sample_host.forms import HostForm

# backend-independent: the host pages' markup, macros and language switch
pytestmark = pytest.mark.backend_independent

DISPLAY_NAMES = [name for _user, name, _role, _agency in USERS]


@pytest.fixture
def app(make_host):
    return make_host()


@pytest.fixture
def client(app):
    return app.test_client()


def in_english(client):
    assert client.post("/locale/en").status_code == 302


# --- reading pages -----------------------------------------------------------------------


def visible_text(page: str, drop_lang: str | None = None) -> str:
    """The page's text as read: no tags, scripts or styles; without the elements marked
    ``lang=drop_lang`` (the language switch names each language in itself)."""
    page = re.sub(r"<(script|style|title)\b.*?</\1>", " ", page, flags=re.S)
    if drop_lang:
        page = re.sub(rf'<(\w+)[^>]*\blang="{drop_lang}"[^>]*>.*?</\1>', " ", page, flags=re.S)
    page = re.sub(r"<!--.*?-->|<[^>]+>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", htmllib.unescape(page))


def simplified_characters(text: str) -> set[str]:
    return {ch for ch in text if hanzidentifier.identify(ch) == hanzidentifier.SIMPLIFIED}


def english_phrases(page: str) -> list[str]:
    """Runs of two or more English words on a zh page (single words such as "App" or
    "KPI" are names)."""
    text = visible_text(page, drop_lang="en").replace("zh_Hant_TW, en", " ")  # language codes
    return re.findall(r"[A-Za-z][A-Za-z']+(?:[ ,.;:]+[A-Za-z][A-Za-z']+)+", text)


def chinese_on_english_page(page: str) -> list[str]:
    """Chinese on an en page, apart from the language switch and people's names."""
    text = visible_text(page, drop_lang="zh-Hant-TW")
    for name in DISPLAY_NAMES:
        text = text.replace(name, " ")
    return re.findall(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]+", text)


def assert_zh_page(page: str):
    assert '<html lang="zh-Hant-TW">' in page
    assert english_phrases(page) == []
    assert simplified_characters(visible_text(page)) == set()


def assert_en_page(page: str):
    assert '<html lang="en">' in page
    assert chinese_on_english_page(page) == []


def main_of(page: str) -> str:
    return re.search(r"<main\b.*?</main>", page, flags=re.S)[0]


# --- 1. host forms in Traditional Chinese ------------------------------------------------


def test_login_posted_empty_says_so_in_traditional_chinese_then_english(client):
    page = client.post("/login", data={}).text
    assert "此欄位是必需的。" in page
    assert "该字段是必填字段" not in page
    assert simplified_characters(visible_text(page)) == set()
    assert_zh_page(page)

    in_english(client)
    page = client.post("/login", data={}).text
    assert "This field is required." in page
    assert_en_page(page)


def test_every_host_form_speaks_traditional_chinese(app):
    """Each FlaskForm of the host's modules gets WTForms' messages from the zh_TW catalog."""
    import importlib
    import pkgutil

    import sample_host
    from appgov_plugin.i18n import wtforms_translations

    forms = set()
    for module_info in pkgutil.iter_modules(sample_host.__path__):
        module = importlib.import_module(f"sample_host.{module_info.name}")
        forms |= {
            value
            for value in vars(module).values()
            if isinstance(value, type)
            and issubclass(value, FlaskForm)
            and value.__module__.startswith("sample_host")
        }
    assert {form.__name__ for form in forms} >= {"LoginForm"}
    with app.test_request_context("/", headers={"Accept-Language": "zh-TW"}):
        zh = wtforms_translations()
        assert zh is wtforms_translations("zh_Hant_TW")
        for form in forms:
            assert form.Meta().get_translations(None) is zh, form


# --- 2. error pages ----------------------------------------------------------------------


def assert_site_layout(page: str, logged_in: bool):
    assert 'class="skip-link" href="#main"' in page
    assert re.search(r'<nav [^>]*class="navbar[^"]*host-nav', page)
    assert 'formaction="/locale/en"' in page and 'formaction="/locale/zh_Hant_TW"' in page
    main = main_of(page)
    assert 'href="/"' in main  # a way back
    assert ('href="/inbox"' in main) is logged_in
    assert ('href="/login"' in main) is not logged_in


NO_ACCESS = "You do not have access to this page"
ERRORS = [
    # (who, method, url, status, zh title, en title)
    (None, "get", "/no/such/page", 404, "找不到這個頁面", "Page not found"),
    ("staff", "get", "/appgov/apps/987654", 404, "找不到這個頁面", "Page not found"),
    (
        "staff",
        "get",
        "/admin/",
        403,
        "您沒有權限使用這個頁面",
        NO_ACCESS,
    ),
    (
        "reviewer",
        "get",
        "/cases/new/appgov_app_proposal",
        403,
        "您沒有權限使用這個頁面",
        NO_ACCESS,
    ),
    (None, "get", "/logout", 405, "這裡無法執行這項操作", "This action is not possible here"),
    (None, "post", "/locale/xx-evil", 400, "無法處理這項請求", "The request could not be handled"),
]


@pytest.mark.parametrize(("who", "method", "url", "status", "zh", "en"), ERRORS)
def test_error_pages_use_the_site_layout_in_the_reader_language(
    client, who, method, url, status, zh, en
):
    if who:
        login(client, who)
    response = getattr(client, method)(url)
    assert response.status_code == status
    page = response.text
    assert f"<title>{zh} · 案件管理系統</title>" in page
    assert f'<h1 class="h3 mb-3">{zh}</h1>' in page
    assert f"錯誤代碼 {status}" in page
    assert_site_layout(page, logged_in=bool(who))
    assert_zh_page(page)
    # Werkzeug's English boilerplate is not shown
    assert "The requested URL" not in page and "not allowed for the requested URL" not in page

    in_english(client)
    page = getattr(client, method)(url).text
    assert f'<h1 class="h3 mb-3">{en}</h1>' in page and f"Error {status}" in page
    assert_site_layout(page, logged_in=bool(who))
    assert_en_page(page)


def test_a_405_keeps_its_allow_header(client):
    response = client.get("/logout")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]


def test_the_error_own_description_is_shown_in_the_reader_language(client):
    page = client.post("/locale/xx-evil").text
    description = re.search(r'<p class="alert alert-warning error-description">(.*?)</p>', page)
    assert "xx-evil" in htmllib.unescape(description[1])
    assert "zh_Hant_TW, en" in description[1] and "不支援" in description[1]
    in_english(client)
    page = client.post("/locale/xx-evil").text
    assert "Unknown language code" in page and "xx-evil" in htmllib.unescape(page)


def test_an_appgov_abort_description_is_shown_in_the_host_layout(client):
    """appgov's pages ``abort(400, description=...)`` on a malformed ``as_of``."""
    login(client, "staff")
    response = client.get("/appgov/policy", query_string={"as_of": "not-a-day"})
    assert response.status_code == 400
    page = response.text
    assert_site_layout(page, logged_in=True)
    description = re.search(r'<p class="alert alert-warning error-description">(.*?)</p>', page)
    assert description and "not-a-day" in htmllib.unescape(description[1])
    assert_zh_page(page.replace("not-a-day", ""))


def test_too_large_a_request_is_a_413_page(sample_host_factory):
    app = sample_host_factory(MAX_CONTENT_LENGTH=1000)
    client = app.test_client()
    response = client.post("/login", data={"username": "x" * 5000, "password": "y"})
    assert response.status_code == 413
    assert "送出的資料太大" in response.text
    assert_site_layout(response.text, logged_in=False)
    assert_zh_page(response.text)


def test_a_crash_is_a_500_page_in_the_layout_without_details(sample_host_factory):
    app = sample_host_factory(PROPAGATE_EXCEPTIONS=False)

    @app.get("/_crash")
    def crash():
        raise RuntimeError("secret internals")

    client = app.test_client()
    login(client, "staff")
    response = client.get("/_crash")
    assert response.status_code == 500
    page = response.text
    assert "系統發生錯誤" in page and "secret internals" not in page
    assert_site_layout(page, logged_in=True)
    assert_zh_page(page)
    in_english(client)
    page = client.get("/_crash").text
    assert "Something went wrong on our side" in page
    assert_en_page(page)


def test_a_refused_csrf_token_is_explained_in_the_reader_language(sample_host_factory):
    app = sample_host_factory(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    response = client.post("/login", data={"username": "staff", "password": "demo-staff"})
    assert response.status_code == 400
    page = response.text
    assert "表單開啟過久" in page and "CSRF" not in page
    assert_zh_page(page)


def test_json_clients_get_json_errors(client):
    response = client.get("/no/such/page", headers={"Accept": "application/json"})
    assert response.status_code == 404 and response.is_json
    assert response.get_json() == {
        "status": 404,
        "title": "找不到這個頁面",
        "detail": "這個網址沒有對應的頁面。請檢查網址，或從首頁重新開始。",
    }
    response = client.post("/locale/xx", headers={"Accept": "application/json"})
    assert response.status_code == 400 and "'xx'" in response.get_json()["detail"]
    # a browser (Accept: text/html, */*) still gets the page
    page = client.get("/no/such/page", headers={"Accept": "text/html,*/*;q=0.8"})
    assert page.content_type.startswith("text/html")


# --- 3./5. layout and language switch ----------------------------------------------------


def test_the_language_switch_marks_the_current_language(client):
    page = client.get("/").text
    # buttons of one POST form (the switch stores the choice): each names its language in it
    buttons = re.findall(
        r'<button type="submit" class="nav-link" lang="([^"]+)" formaction="([^"]+)"', page
    )
    assert buttons == [("zh-Hant-TW", "/locale/zh_Hant_TW"), ("en", "/locale/en")]
    current = re.findall(r'<button [^>]*lang="([^"]+)"[^>]*aria-current="true"', page)
    assert current == ["zh-Hant-TW"]
    in_english(client)
    page = client.get("/").text
    assert '<html lang="en">' in page
    assert re.findall(r'<button [^>]*lang="([^"]+)"[^>]*aria-current="true"', page) == ["en"]


def test_the_navigation_is_in_the_page_flow_with_a_skip_link(client):
    login(client, "admin")
    page = client.get("/inbox").text
    assert "fixed-top" not in page and "padding-top" not in page
    assert page.index('class="skip-link"') < page.index("<nav")
    assert '<main id="main"' in page
    # the current section is marked
    assert re.search(r'<a class="nav-link" href="/inbox" aria-current="page">', page)
    assert re.search(r'<a class="nav-link" href="/admin/">', page)


# --- 6. home page ------------------------------------------------------------------------


def test_home_page_says_what_the_site_is_in_both_languages(client):
    page = client.get("/").text
    assert "歡迎使用案件管理系統" in page and "登入後，您可以：" in page
    assert_zh_page(page)
    in_english(client)
    page = client.get("/").text
    assert "Welcome to the case management system" in page and "After logging in you can:" in page
    assert_en_page(page)


@pytest.mark.parametrize("username", ["staff", "reviewer", "admin"])
def test_home_page_after_login_says_what_the_user_can_do(client, username):
    login(client, username)
    page = client.get("/").text
    assert "您目前以" in page and 'href="/inbox"' in main_of(page)
    assert_zh_page(page)
    if username == "staff":
        assert "觀光旅遊局" in main_of(page) and "/cases/new/appgov_app_proposal" in page
    if username == "admin":
        assert 'href="/admin/"' in main_of(page)
    in_english(client)
    page = client.get("/").text
    assert "You are logged in as" in page
    assert_en_page(page)


# --- 4. form rendering -------------------------------------------------------------------


class SampleForm(HostForm):
    title = StringField("Title", validators=[DataRequired()], description="A short title")
    days = IntegerField("Days", validators=[InputRequired(), NumberRange(min=1)])
    start = TaiwanDateField("First day", validators=[InputRequired()])
    kind = RadioField(
        "Kind",
        choices=[SelectChoice("annual", "Annual"), SelectChoice("sick", "Sick")],
        validators=[InputRequired()],
    )
    channels = SelectMultipleField(
        "Channels",
        choices=[SelectChoice("ios", "iOS"), SelectChoice("android", "Android")],
        validators=[DataRequired()],
        widget=widgets.ListWidget(prefix_label=False),
        option_widget=widgets.CheckboxInput(),
    )
    note = StringField("Note", validators=[Optional()])
    agree = BooleanField("I agree")


TEMPLATE = '{% from "_form.html" import render_form %}<form>{{ render_form(form, "Send") }}</form>'


def render_sample(app, data=None) -> str:
    method = "POST" if data is not None else "GET"
    with app.test_request_context("/", method=method, data=data or {}):
        form = SampleForm()
        if data is not None:
            form.validate()
        return render_template_string(TEMPLATE, form=form)


def ids_in(page: str) -> set[str]:
    return set(re.findall(r'\bid="([^"]+)"', page))


def test_required_fields_are_marked_and_explained_once(app):
    page = render_sample(app)
    assert page.count('<span class="required-mark" aria-hidden="true">*</span>') == 1 + 5
    assert "必填" in page
    assert "error-summary" not in page  # nothing submitted yet
    for name in ("title", "days", "start"):
        tag = re.search(rf'<input [^>]*\bname="{name}"[^>]*>', page)[0]
        assert 'aria-required="true"' in tag and " required" in tag
    note = re.search(r'<input [^>]*\bname="note"[^>]*>', page)[0]
    assert "required" not in note
    # description tied to its input
    title = re.search(r'<input [^>]*\bname="title"[^>]*>', page)[0]
    assert 'aria-describedby="title-help"' in title and 'id="title-help"' in page


def test_option_groups_are_fieldsets_with_a_legend(app):
    page = render_sample(app)
    radios = re.search(r'<fieldset [^>]*id="kind".*?</fieldset>', page, flags=re.S)[0]
    assert re.search(r"<legend[^>]*>Kind <span class=\"required-mark\"", radios)
    assert radios.count('type="radio"') == 2 and 'for="kind-0"' in radios
    assert all(" required" in tag for tag in re.findall(r"<input [^>]*>", radios))
    boxes = re.search(r'<fieldset [^>]*id="channels".*?</fieldset>', page, flags=re.S)[0]
    assert re.search(r"<legend[^>]*>Channels <span class=\"required-mark\"", boxes)
    assert boxes.count('type="checkbox"') == 2 and 'for="channels-1"' in boxes
    # one box is enough: no box is required on its own
    assert not any(" required" in tag for tag in re.findall(r"<input [^>]*>", boxes))


def test_a_failed_form_has_an_error_summary_linking_to_each_field(app):
    page = render_sample(app, {"title": "", "days": "abc", "start": "115/13/40", "note": "x"})
    summary = re.search(r'<div class="alert alert-danger error-summary"[^>]*>.*?</div>', page, re.S)
    summary = summary[0]
    assert 'role="alert"' in summary and 'tabindex="-1"' in summary
    assert "有 5 個欄位需要修正" in summary
    targets = re.findall(r'<a href="#([^"]+)">', summary)
    assert targets == ["title", "days", "start", "kind-0", "channels-0"]
    assert set(targets) <= ids_in(page)
    assert '<a href="#days">Days：' in summary  # zh punctuation
    # the page moves to the summary (static/host.js: the CSP runs no inline script)
    assert "<script" not in page
    host_js = (Path(__file__).parents[1] / "sample_host/static/host.js").read_text()
    assert 'document.querySelectorAll(".error-summary[tabindex]")' in host_js
    assert "summaries[0].focus();" in host_js
    # each error is tied to its input, and the typed value is kept
    for name, typed in (("title", ""), ("days", "abc"), ("start", "115/13/40")):
        tag = re.search(rf'<input [^>]*\bname="{name}"[^>]*>', page)[0]
        assert 'aria-invalid="true"' in tag and f'value="{typed}"' in tag
        described = re.search(r'aria-describedby="([^"]+)"', tag)[1].split()
        assert f"{name}-error" in described and set(described) <= ids_in(page)
    assert re.search(r'<fieldset [^>]*id="kind"[^>]*aria-describedby="kind-error"', page)
    note = re.search(r'<input [^>]*\bname="note"[^>]*>', page)[0]
    assert 'value="x"' in note and "aria-invalid" not in note


def test_error_summary_counts_one_field_in_english(app):
    data = {"title": "t", "days": "2", "start": "2026-01-05", "kind": "sick"}
    with app.test_request_context("/", method="POST", data=data, headers={"Accept-Language": "en"}):
        form = SampleForm()
        assert not form.validate()
        page = render_template_string(TEMPLATE, form=form)
    assert "There is a problem with 1 field<" in page
    assert "Channels: This field is required." in page


def test_kept_values_are_escaped(app):
    page = render_sample(app, {"title": '"><script>x</script>', "days": "1"})
    assert "<script>x</script>" not in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page


def test_the_login_form_is_rendered_by_the_macros(client):
    page = client.post("/login", data={"username": "staff"}).text
    assert "有 1 個欄位需要修正" in page
    assert '<a href="#password">密碼：此欄位是必需的。</a>' in page
    assert re.search(r'<input [^>]*name="username"[^>]*value="staff"', page)
    assert 'autocomplete="current-password"' in page


def test_the_json_error_body_is_valid_json(client):
    response = client.get("/logout", headers={"Accept": "application/json"})
    assert response.status_code == 405
    assert json.loads(response.data)["title"] == "這裡無法執行這項操作"


# --- appgov's own layout (the AppGov(app) path, no host layout) --------------------------


def test_appgov_own_layout_speaks_the_page_language_and_fits_a_phone(database_url):
    from intranet import make_intranet

    app, _db, _ = make_intranet(database_url, APPGOV_AUTO_UPGRADE=True)
    client = app.test_client()
    client.get("/_login/clerk")
    page = client.get("/appgov/", headers={"Accept-Language": "zh-TW"}).text
    assert '<html lang="zh-Hant-TW">' in page
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert '<a class="appgov-skip" href="#main">跳到主要內容</a>' in page
    assert '<main id="main" tabindex="-1">' in page
    # no inline style or script (a strict CSP allows the page); the style sheet is served
    assert "<style" not in page and "<script" not in page and " style=" not in page
    assert '<link rel="stylesheet" href="/appgov/static/appgov.css">' in page
    css = client.get("/appgov/static/appgov.css")
    assert css.status_code == 200 and css.mimetype == "text/css"
    assert "position: fixed" not in css.text and ".appgov-skip" in css.text
    assert simplified_characters(visible_text(page)) == set()
    page = client.get("/appgov/", headers={"Accept-Language": "en"}).text
    assert '<html lang="en">' in page and "Skip to main content" in page


def test_werkzeug_boilerplate_is_never_shown_as_the_description(client, app):
    from werkzeug.exceptions import BadRequestKeyError

    from sample_host.errors import describe

    with app.test_request_context("/"):
        assert describe(BadRequestKeyError("username"))[2] is None
    page = client.post("/locale/xx").text
    assert "The browser (or proxy)" not in page


def test_the_error_page_falls_back_to_a_plain_page_when_the_layout_fails(app, monkeypatch):
    import sample_host.errors

    real = sample_host.errors.render_template

    def layout_broken(name, **context):
        if name == "errors/error.html":
            raise RuntimeError("the layout needs the database")
        return real(name, **context)

    monkeypatch.setattr(sample_host.errors, "render_template", layout_broken)
    response = app.test_client().get("/no/such/page")
    assert response.status_code == 404
    assert '<html lang="zh-Hant-TW">' in response.text and "找不到這個頁面" in response.text
    assert 'href="/"' in response.text


def test_money_inputs_show_the_currency_read_with_the_input(app):
    from appgov_plugin.forms.builder import MoneyField

    class Budget(HostForm):
        budget = MoneyField("Budget", validators=[InputRequired()])

    with app.test_request_context("/", method="POST", data={"budget": "三百萬"}):
        form = Budget()
        assert not form.validate()
        page = render_template_string(TEMPLATE, form=form)
    assert '<span class="input-group-text" id="budget-unit">NT$</span>' in page
    tag = re.search(r'<input [^>]*\bname="budget"[^>]*>', page)[0]
    assert 'aria-describedby="budget-unit budget-error"' in tag and 'value="三百萬"' in tag
