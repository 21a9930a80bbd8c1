"""Every page and form of the sample host with appgov, as every demo role, in both languages.

The walk (``tests/walk.py``) follows every same-site link, submits every form empty and with
bad values, and checks each answer: no HTTP 500, the page's language and title, Traditional
Chinese without Simplified characters or English sentences, English without Chinese, no raw
internal keys, ROC dates and no UTC offsets, refused input reported and kept. Names of people,
agencies and apps and other typed data are taken out of the text first.

All roles and both languages on SQLite with the Tainan profile, agency staff under the
Kaohsiung and Taipei profiles; on PostgreSQL the walks that submit the most forms
(administrator and agency staff, Chinese): the database's own checks (lengths, types) are
what differ there.
"""

from __future__ import annotations

import contextlib
import io
import re
import shutil

import pytest
from flask import Blueprint, redirect, request
from walk import (
    ANONYMOUS,
    ERROR_PATHS,
    LOCALES,
    ROLES,
    PageChecker,
    Walker,
    format_problems,
    make_demo_app,
    open_draft_copies,
    parse_page,
    simplified_only,
)

from sample_host.extensions import db


def _dispose(app):
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def seeded_sqlite(tmp_path_factory):
    """``seeded(profile)``: a SQLite file with the demo data and a draft copy of each demo case
    (:func:`walk.open_draft_copies`), made once per profile; each walk gets its own copy."""
    files = {}

    def seeded(profile):
        if profile not in files:
            folder = tmp_path_factory.mktemp(f"walk-seed-{profile}")
            with pytest.MonkeyPatch.context() as env:
                env.delenv("DATABASE_URL", raising=False)
                env.delenv("SECRET_KEY", raising=False)
                with contextlib.redirect_stdout(io.StringIO()):  # the demo logins
                    app = make_demo_app(
                        f"sqlite:///{folder / 'demo.sqlite'}", str(folder / "instance"), profile
                    )
                assert open_draft_copies(app) >= 1
                _dispose(app)
            files[profile] = folder / "demo.sqlite"
        return files[profile]

    return seeded


@pytest.fixture
def make_walker(seeded_sqlite, tmp_path, monkeypatch):
    """``make_walker(profile="tainan")``: a walker on a fresh copy of the seeded demo database
    (what one walk's accepted submissions may have written never reaches the next walk)."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    apps = []

    def make(profile="tainan"):
        copy = tmp_path / f"walk-{profile}.sqlite"
        shutil.copy(seeded_sqlite(profile), copy)
        apps.append(make_demo_app(f"sqlite:///{copy}", str(tmp_path / "instance"), profile))
        return Walker(apps[-1])

    yield make
    for app in apps:
        _dispose(app)


def _offered_case_types(app) -> set[str]:
    """The case types of which agency staff may open new cases in ``app`` today."""
    with app.test_request_context():
        return {t.key for t in app.extensions["casehost"].case_types if t.is_offered()}


def _assert_reached(walker, result):
    """The walk went where it claims to, and never where it must not."""
    visited = {(method, url.split("?")[0]) for method, url, _ in result.pages}
    errors = {("GET", path) for path in ERROR_PATHS}
    assert not any(
        (method != "GET" and ("/transition" in url or "/withdraw" in url))
        or "/delete/" in url
        or (url.startswith(("/logout", "/locale/")) and (method, url) not in errors)
        for method, url, _ in result.pages
    ), result.pages
    assert errors <= set((m, u) for m, u, _ in result.pages)
    assert len(result.pages) < walker.max_pages  # the URL patterns kept the walk bounded
    if result.role == ANONYMOUS:
        assert {("GET", "/login"), ("POST empty", "/login"), ("POST bad", "/login")} <= visited
        return
    assert {("GET", "/inbox"), ("GET", "/appgov/policy"), ("GET", "/appgov/kpi")} <= visited
    if walker.app.config["APPGOV_PROFILE"] != "taipei":  # Taipei has no KPI evaluation form
        assert ("POST bad", "/appgov/kpi") in visited
    if result.role == "staff":
        # a case page (the demo's cases and their draft copies: of every case type offered)
        assert any(m == "GET" and re.fullmatch(r"/cases/\d+", u) for m, u in visited)
        assert any(m == "POST bad" and u.endswith("/edit") for m, u in visited), "no case edited"
        # every case type the deployment offers (its forms' rules apply): the new-case form
        # refused empty and with bad values; Taipei files no development proposal
        offered = _offered_case_types(walker.app)
        taipei = walker.app.config["APPGOV_PROFILE"] == "taipei"
        assert ("appgov_app_proposal" in offered) is not taipei, offered
        assert len(offered) >= 4, offered
        for key in offered:
            assert ("POST empty", f"/cases/new/{key}") in visited, key
            assert ("POST bad", f"/cases/new/{key}") in visited, key
    if result.role == "admin":
        forms = 0
        for url in walker.admin_urls():
            path = url.split("?")[0]
            assert ("GET", path) in visited, url
            if path.endswith(("/new/", "/edit/")):
                forms += 1
                assert ("POST empty", path) in visited, url
                assert ("POST bad", path) in visited, url
        assert forms >= 6  # agencies, users, apps, calendar: create and edit forms
        # cases are read-only in Flask-Admin; their recorded correction is walked instead
        for mode in ("GET", "POST empty", "POST bad"):
            assert any(m == mode and u.endswith("/correct") for m, u in visited), mode
        assert any(
            method == "POST bad" and url.startswith("/admin/appgov_parameters/")
            for method, url, _ in result.pages
        )


def _assert_clean(result):
    if result.problems:
        pytest.fail(
            f"{len(result.problems)} problems in {len(result.pages)} answers "
            f"as {result.role} ({result.locale}):\n{format_problems(result.problems)}",
            pytrace=False,
        )


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("role", (ANONYMOUS, *ROLES))
def test_every_page_and_form_is_fit_for_officials(make_walker, role, locale):
    walker = make_walker("tainan")
    result = walker.walk(role, locale)
    _assert_reached(walker, result)
    _assert_clean(result)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("profile", ["kaohsiung", "taipei"])
def test_the_other_cities_rules_read_as_well(make_walker, profile, locale):
    """The profile changes the proposal form, the KPI page and the rules shown: agency staff
    (who files proposals) walks them under the other cities' profiles."""
    walker = make_walker(profile)
    result = walker.walk("staff", locale)
    _assert_reached(walker, result)
    _assert_clean(result)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("role", ["admin", "staff"])
def test_forms_refuse_bad_values_on_postgresql(make_host, role):
    app = make_host("tainan")
    open_draft_copies(app)
    walker = Walker(app)
    result = walker.walk(role, "zh_Hant_TW")
    _assert_reached(walker, result)
    _assert_clean(result)


# --- the walk's own checks fail when they should ---------------------------------------------

_PROBE_PAGE = (
    '<!doctype html><html lang="zh-Hant-TW"><head><title>測試</title></head><body><main>'
    '<form method="post"><label for="n">件數</label>'
    '<input type="number" id="n" name="count" value="{value}">{error}'
    '<button type="submit">送出</button></form></main></body></html>'
)


def test_accepted_bad_input_lost_values_and_crashes_are_problems(make_walker):
    """Probe pages added to the app: a form that takes an empty submission, one that forgets
    the number typed, and a page that raises."""
    walker = make_walker()
    probe = Blueprint("walk_probe", __name__)

    @probe.route("/probe/accepts", methods=["GET", "POST"])
    def accepts():
        if request.method == "POST":
            return redirect("/")
        return _PROBE_PAGE.format(value="", error="")

    @probe.route("/probe/forgets", methods=["GET", "POST"])
    def forgets():
        error = (
            '<div class="invalid-feedback">件數：請填數字。</div>'
            if request.method == "POST"
            else ""
        )
        return _PROBE_PAGE.format(value="", error=error)

    @probe.route("/probe/crashes")
    def crashes():
        raise RuntimeError("probe")

    walker.app.register_blueprint(probe)
    result = walker.walk(
        ANONYMOUS, "zh_Hant_TW", also=["/probe/accepts", "/probe/forgets", "/probe/crashes"]
    )
    found = {(p.check, p.method, p.url) for p in result.problems}
    assert ("accepted", "POST empty", "/probe/accepts") in found
    assert ("accepted", "POST bad", "/probe/accepts") in found
    assert ("typed value lost", "POST bad", "/probe/forgets") in found
    assert ("http 500", "GET", "/probe/crashes") in found
    assert {p.url for p in result.problems} <= {
        "/probe/accepts",
        "/probe/forgets",
        "/probe/crashes",
    }


# --- the checks catch what they are meant to (and only that) ----------------------------------


def _checker(**kwargs):
    return PageChecker(
        vocabulary=["王小明（觀光旅遊局承辦人）", "Tainan City Tourism Bureau"],
        keys={"state": {"in_review", "draft"}, "role": {"agency_staff"}},
        agency_codes={"tainan-tourism"},
        **kwargs,
    )


def _problems(body, locale="zh_Hant_TW", url="/inbox", role="staff"):
    lang, title = ("en", "Inbox") if locale == "en" else ("zh-Hant-TW", "收件匣")
    page = parse_page(
        f'<!doctype html><html lang="{lang}"><head><title>{title}</title></head>'
        f"<body><main>{body}</main></body></html>"
    )
    return {(p.check, p.text.split(" in ")[0]) for p in _checker().check(page, url, role, locale)}


def test_simplified_characters_are_found_and_traditional_ones_pass():
    assert simplified_only("该字段是必填字段。") == ["该"]
    assert simplified_only("此欄位是必需的。臺南市政府") == []
    assert ("simplified", "该") in _problems("<p>该字段是必填字段。</p>")
    assert _problems("<p>此欄位是必需的。</p>") == set()


def test_english_sentences_on_chinese_pages_but_not_proper_nouns_codes_or_other_languages():
    assert ("english", "'Failed to save record'") in _problems("<div>Failed to save record.</div>")
    assert ("english", "'Save and Continue'") in _problems(
        '<input type="submit" value="Save and Continue">'
    )
    assert ("english", "'Search for a case'") in _problems(
        '<input placeholder="Search for a case">'
    )
    allowed = (
        "<p>iOS 與 Android 版上架 App Store 及 Google Play，介接 Open Data 與 Open API。</p>"
        "<p>KH-KPI-1：下載數 NT$3,200,000，聯絡 it@tainan.gov.tw 或 https://www.tainan.gov.tw/</p>"
        '<a lang="en" href="/locale/en">English is spoken here</a>'
        "<code>flask appgov policy show --as-of</code>"
        "<p>Tainan City Tourism Bureau</p>"
        "<script>var a = 'not for reading at all';</script>"
    )
    assert _problems(allowed) == set()


def test_chinese_on_english_pages_except_data_and_the_language_switch():
    assert ("chinese", "歡迎， 。") in _problems("<p>歡迎，王小明（觀光旅遊局承辦人）。</p>", "en")
    assert (
        _problems(
            '<p>Welcome, 王小明（觀光旅遊局承辦人）.</p><a lang="zh-Hant-TW" href="#">中文</a>',
            "en",
        )
        == set()
    )


def test_raw_keys_dates_and_leftovers():
    found = _problems(
        "<td>in_review</td><td>agency_staff</td><td>tainan-tourism</td>"
        "<p>appgov.database</p><td>2026-11-22 07:49:00.123456+00:00</td><td>2026-11-22</td>"
        "<td>None</td><p>%(name)s</p>"
    )
    assert {check for check, _ in found} >= {
        "raw key",
        "iso timestamp",
        "utc offset",
        "iso date",
        "raw value",
        "leftover",
    }
    assert sum(check == "raw key" for check, _ in found) == 4
    # an example in a placeholder, an English page's ISO date and a plain English "draft"
    assert _problems('<input name="day" placeholder="例：115/11/22 或 2026-11-22">') == set()
    assert (
        _problems("<p>「31/02/2026」不是日期，請寫成 115/11/22（民國年）或 2026-11-22。</p>")
        == set()
    )
    # examples of what to type in the other language's field
    assert _problems("<small>顯示於英文日曆，例如「Typhoon day off」。</small>") == set()
    assert _problems("<small>Shown on the Chinese calendar, e.g. 颱風停班.</small>", "en") == set()
    assert ("english", "'Typhoon day off'") in _problems("<p>颱風「Typhoon day off」</p>")
    assert _problems("<td>2026-11-22</td><p>Save as draft</p>", "en") == set()


def test_keys_in_small_print_are_for_administrators_on_admin_pages_only():
    body = "<td><code>in_review</code></td>"
    assert _problems(body, url="/admin/host_case/", role="admin") == set()
    assert ("raw key", "state 'in_review'") in _problems(body, url="/cases/1", role="staff")


def test_page_language_title_and_date_inputs():
    page = parse_page('<html><body><input type="date" name="day"></body></html>')
    checks = {p.check for p in _checker().check(page, "/appgov/kpi", "staff", "en")}
    assert checks == {"html lang", "title", "date input"}


def test_forms_are_read_with_their_fields():
    page = parse_page(
        '<form method="post" action="/x"><input type="hidden" name="csrf_token" value="t">'
        '<input name="evaluated_on" placeholder="例：115/11/22"><input type="number" name="n">'
        '<select name="s"><option value="a">A</option><option value="b" selected>B</option>'
        '</select><textarea name="t">old</textarea><button type="submit">送出</button></form>'
    )
    (form,) = page.forms
    assert (form.method, form.action) == ("post", "/x")
    kinds = {f.name: f.kind for f in form.fields}
    assert kinds == {
        "csrf_token": "hidden",
        "evaluated_on": "date",
        "n": "number",
        "s": "select",
        "t": "textarea",
    }
    assert form.fields[3].options == ["a", "b"] and form.fields[3].value == "b"
