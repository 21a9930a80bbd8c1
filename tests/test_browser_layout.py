"""The host layout in a phone-width browser (390 px): the navigation never covers the page,
nothing scrolls sideways, a keyboard reaches everything (skip link, visible focus), a failed
form moves the reader to its error summary, and axe finds no accessibility violations in the
layout. Debian's Chromium driven by Playwright against ``flask run`` (issue 7)."""

from __future__ import annotations

import pytest
from conftest import serve
from playwright.sync_api import expect
from test_browser import chromium, log_in, switch_language

pytestmark = [pytest.mark.slow, pytest.mark.browser]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def database_url(tmp_path):
    """One browser run on SQLite is enough: the database layer is tested on both backends."""
    return f"sqlite:///{tmp_path / 'browser.sqlite'}"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One ``flask run`` for the module: its tests read pages (a failed log-in aside, which
    changes nothing another test reads), each in a browser context of its own."""
    folder = tmp_path_factory.mktemp("layout-server")
    yield from serve(f"sqlite:///{folder / 'browser.sqlite'}", folder)


@pytest.fixture(scope="module")
def browser():
    """One Chromium for the module; each test opens its own context (cookies, storage)."""
    with chromium() as browser:
        yield browser


@pytest.fixture
def phone(browser):
    context = browser.new_context(locale="zh-TW", viewport=PHONE, device_scale_factor=2)
    yield context.new_page()
    context.close()


def layout_problems(page) -> list[str]:
    """What is wrong with the page's layout at the current width."""
    facts = page.evaluate(
        """() => {
        const header = document.querySelector('body > header');
        const main = document.querySelector('main');
        const nav = header.getBoundingClientRect();
        const wide = [...document.querySelectorAll('main *')].filter(el => {
            const box = el.getBoundingClientRect();
            if (box.right <= window.innerWidth + 0.5) return false;
            // inside a box that scrolls sideways itself (a .table-responsive wrapper) is fine
            for (let up = el.parentElement; up && up !== main; up = up.parentElement) {
                const style = getComputedStyle(up);
                if (['auto', 'scroll'].includes(style.overflowX)) return false;
            }
            return true;
        }).map(el => {
            const table = el.closest('table');
            const where = table ? ' in table.' + table.className.replaceAll(' ', '.') : '';
            return el.tagName.toLowerCase() + (el.className ? '.' + el.className : '') + where;
        });
        return {
            position: [header, header.querySelector('nav') || header]
                .map(el => getComputedStyle(el).position)
                .find(p => ['fixed', 'sticky', 'absolute'].includes(p)) || 'static',
            navBottom: nav.bottom,
            mainTop: main.getBoundingClientRect().top,
            scrollWidth: document.documentElement.scrollWidth,
            width: window.innerWidth,
            wide: wide.slice(0, 5),
        };
    }"""
    )
    problems = []
    if facts["position"] in ("fixed", "sticky", "absolute"):
        problems.append(f"the navigation is position: {facts['position']}")
    if facts["mainTop"] < facts["navBottom"]:
        problems.append(f"main starts at {facts['mainTop']} under the nav ({facts['navBottom']})")
    if facts["scrollWidth"] > facts["width"]:
        problems.append(f"the page is {facts['scrollWidth']} px wide at {facts['width']} px")
    if facts["wide"]:
        problems.append(f"wider than the screen: {facts['wide']}")
    return problems


def axe_violations(page, context=None, rules=None) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    options = {"resultTypes": ["violations"]}
    if rules:
        options["runOnly"] = {"type": "rule", "values": rules}
    results = Axe().run(page, context=context, options=options)
    return [
        f"{v['id']}: {[node['target'] for node in v['nodes']][:3]}"
        for v in results.response["violations"]
    ]


def test_pages_fit_a_phone_without_the_navigation_covering_them(server, phone):
    base, _ = server
    page = phone
    for url in ("/", "/login", "/no/such/page"):
        page.goto(base + url)
        assert (url, layout_problems(page)) == (url, [])
    log_in(page, base, "staff")
    for url in ("/", "/inbox", "/appgov/", "/appgov/policy", "/cases/new/appgov_app_proposal"):
        page.goto(base + url)
        assert (url, layout_problems(page)) == (url, [])
    switch_language(page, base, "en", "/inbox")
    assert ("/inbox in English", layout_problems(page)) == ("/inbox in English", [])


def test_the_layout_passes_axe_on_a_phone_and_on_a_desktop(server, browser):
    base, _ = server
    for viewport in (PHONE, {"width": 1280, "height": 900}):
        context = browser.new_context(locale="zh-TW", viewport=viewport)
        page = context.new_page()
        for url in ("/", "/login", "/no/such/page"):
            page.goto(base + url)
            assert axe_violations(page) == [], (url, viewport)
        page.goto(base + "/login")
        page.click("main form button[type=submit]")
        page.wait_for_load_state()  # the answer page with its style sheet, before axe reads it
        assert axe_violations(page) == [], ("failed login", viewport)
        log_in(page, base, "admin")
        page.goto(base + "/")
        assert axe_violations(page) == [], ("/", viewport)
        switch_language(page, base, "en", "/")
        assert axe_violations(page) == [], ("/ in English", viewport)
        # the navigation on every page: colour contrast and names of its links
        for url in ("/inbox", "/appgov/"):
            page.goto(base + url)
            assert axe_violations(page, context="body > header") == [], (url, viewport)
        context.close()


def test_keyboard_skip_link_and_visible_focus(server, phone):
    base, _ = server
    page = phone
    page.goto(base + "/")
    page.keyboard.press("Tab")
    skip = page.evaluate(
        """() => { const el = document.activeElement; const box = el.getBoundingClientRect();
        return {cls: el.className, top: box.top, bottom: box.bottom,
                outline: getComputedStyle(el).outlineStyle}; }"""
    )
    assert skip["cls"] == "skip-link"
    assert skip["top"] >= 0 and skip["bottom"] <= PHONE["height"]  # visible once focused
    assert skip["outline"] != "none"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    # every link and button of the navigation is reached by Tab, each with a visible focus
    page.goto(base + "/")
    wanted = page.evaluate("document.querySelectorAll('header a, header button').length")
    reached = []
    for _ in range(wanted + 1):
        page.keyboard.press("Tab")
        focus = page.evaluate(
            """() => { const el = document.activeElement;
            return {inHeader: !!el.closest('header'), text: el.textContent.trim(),
                    outline: getComputedStyle(el).outlineStyle,
                    width: parseFloat(getComputedStyle(el).outlineWidth)}; }"""
        )
        if focus["inHeader"]:
            assert focus["outline"] != "none" and focus["width"] >= 2, focus
            reached.append(focus["text"])
    assert len(reached) == wanted, reached


def test_a_failed_login_moves_to_the_error_summary(server, phone):
    base, _ = server
    page = phone
    page.goto(base + "/login")
    page.click("main form button[type=submit]")
    summary = page.locator(".error-summary")
    assert summary.get_attribute("role") == "alert"
    # host.js moves the focus once it has loaded: wait for it (Playwright retries), no sleep
    expect(summary).to_be_focused()
    assert "有 2 個欄位需要修正" in summary.inner_text()
    summary.locator("a").first.click()
    assert page.evaluate("document.activeElement.id") == "username"
    assert layout_problems(page) == []


def test_appgov_own_layout_fits_a_phone(phone, database_url):
    """The AppGov(app) path: appgov's own base template, served by the Flask test client."""
    from intranet import make_intranet

    from appgov_plugin.apps.models import App

    app, db, _ = make_intranet(database_url, APPGOV_AUTO_UPGRADE=True)
    with app.app_context():
        db.session.add(
            App(agency_code="TN-TOUR", name="臺南旅遊行動導覽" * 4, status="listed", version="1.0")
        )
        db.session.commit()
    client = app.test_client()
    client.get("/_login/clerk")

    def serve(route):
        url = route.request.url.removeprefix("http://intranet.test")
        response = client.get(url, headers={"Accept-Language": "zh-TW"})
        route.fulfill(
            status=response.status_code, headers=dict(response.headers), body=response.data
        )

    phone.route("http://intranet.test/**", serve)
    for url in ("/appgov/", "/appgov/policy", "/appgov/kpi"):
        phone.goto("http://intranet.test" + url)
        assert phone.evaluate("document.documentElement.lang") == "zh-Hant-TW"
        assert layout_problems(phone) == [], url
