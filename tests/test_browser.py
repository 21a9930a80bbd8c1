"""A person in a browser: Debian's Chromium driven by Playwright against ``flask run``."""

from __future__ import annotations

import contextlib
import os
import shutil

import pytest
from conftest import IN_CI

from appgov_plugin.forms.samples import TN_SELF_ASSESSMENT

#: the demo proposal's app (the self-assessment's sample answers, appgov_plugin/apps/demo.py)
DEMO_APP_NAME = TN_SELF_ASSESSMENT["app_name"]

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@contextlib.contextmanager
def chromium():
    """Debian's Chromium through Playwright (never a downloaded browser); a missing
    chromium skips the test locally and fails it in CI."""
    if not os.path.exists(CHROMIUM) or shutil.which("chromium") is None:
        if IN_CI:
            pytest.fail("Debian's chromium is not installed (apt-get install chromium)")
        pytest.skip("Debian's chromium is not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def browser():
    """One Chromium for the module; each test opens its own context (cookies, storage)."""
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-TW")
    yield context.new_page()
    context.close()


@pytest.fixture
def database_url(tmp_path):
    """One browser run on SQLite is enough: the database layer is tested on both backends."""
    return f"sqlite:///{tmp_path / 'browser.sqlite'}"


def switch_language(page, base, locale, path="/"):
    """Open ``path`` and press the layout's language button (a POST form with CSRF)."""
    page.goto(base + path)
    page.click(f'header button[lang="{locale.replace("_", "-")}"]')
    page.wait_for_load_state()


def log_in(page, base, username):
    page.goto(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", f"demo-{username}")
    page.click("main button[type=submit]")
    page.wait_for_load_state()  # logged in (the session cookie set) before the next page


def test_staff_files_a_proposal_and_sees_errors_in_their_language(server, page, tmp_path):
    base, _ = server
    log_in(page, base, "staff")
    page.goto(base + "/cases/new/appgov_app_proposal")
    assert "App 開發評估申請" in page.content()
    page.fill("input[name=app_name]", "府城好行")
    page.click("main form button[type=submit]")
    body = page.content()
    assert "此欄位是必需的。" in body  # WTForms' Traditional Chinese, not Simplified
    # rule TN-EVAL-4, in the self-assessment's own words (forms/tn_self_assessment.toml)
    assert "行動應用軟體應提供意見回饋功能，並與市長信箱連結。" in body
    page.screenshot(path=str(tmp_path / "proposal-errors.png"), full_page=True)

    switch_language(page, base, "en", "/cases/new/appgov_app_proposal")
    page.click("main form button[type=submit]")
    assert "The app must offer a feedback function linked to the mayor mailbox." in page.content()


def test_the_center_countersigns_the_demo_proposal_and_the_city_approves_it(server, page):
    """Rule TN-EVAL-1: the Smart Development Center (the reviewer) countersigns with its
    opinion, the city government (the mayor or a delegate) approves."""
    base, _ = server
    log_in(page, base, "reviewer")
    page.goto(base + "/inbox")
    # the proposal's row (the demo's listing checklist and self-check name the same app)
    row = page.locator("tr", has_text=DEMO_APP_NAME).filter(has_text="App 開發評估申請")
    row.locator("a").first.click()
    case_url = page.url
    assert page.locator("button[value=approve]").count() == 0  # the city approves
    page.fill("#comment", "本中心審查意見：建議核准。")
    page.click("button[value=countersign]")
    assert "本中心審查意見：建議核准。" in page.locator("table.history").inner_text()
    page.goto(base + "/logout")
    log_in(page, base, "mayor")
    page.goto(base + "/inbox")
    assert DEMO_APP_NAME in page.content()  # waiting for the city government
    page.goto(case_url)
    page.click("button[value=city_approve]")
    assert page.locator(".badge", has_text="核定").count() == 1
    assert "審查中" in page.locator("table.history").inner_text()
    page.goto(base + "/appgov/")
    assert DEMO_APP_NAME in page.content()
