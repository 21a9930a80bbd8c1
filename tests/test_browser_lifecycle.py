"""An app's life in Debian's Chromium, as the demo users live it: the demo proposal is
countersigned by the Smart Development Center and approved by the city government
(TN-EVAL-1); its app appears in the registry in development; the agency files the listing
checklist from the app's page, the authority approves it (TN-LIST-1/2, KH-LIST-2); the
agency files a version change, the authority approves it (KH-VER-1); the app page shows
both versions with their dates."""

from __future__ import annotations

import re

import pytest
from form_samples import answers_for
from test_browser import DEMO_APP_NAME, log_in
from test_browser_forms import _fill

from appgov_plugin.forms import builder

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture
def database_url(tmp_path):
    return f"sqlite:///{tmp_path / 'browser.sqlite'}"


@pytest.fixture
def page():
    from test_browser import chromium

    with chromium() as browser:
        context = browser.new_context(locale="zh-TW")
        yield context.new_page()
        context.close()


def _decide(page, base, username, case_url, button, comment=""):
    log_in(page, base, username)
    page.goto(case_url)
    if comment:
        page.fill("#comment", comment)
    page.click(f"button[value={button}]")
    page.wait_for_load_state()


def _file_checklist(page, base, tmp_path, button_text, answers) -> str:
    """Staff opens the app's page, presses the button for the next case, fills the
    checklist (the app preselected by the page) and submits it; returns the case's URL."""
    log_in(page, base, "staff")
    page.goto(base + "/appgov/")
    page.get_by_role("link", name=DEMO_APP_NAME).click()
    page.get_by_role("link", name=button_text).click()
    selected = page.locator('main form select[name="app"] option:checked').inner_text()
    assert DEMO_APP_NAME in selected  # ?app=<id>: the app of the page
    _fill(page, builder.load("listing_checklist"), answers, tmp_path)
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r".*/cases/\d+$"))
    case_url = page.url
    page.click("button[value=submit]")
    page.wait_for_load_state()
    assert page.locator(".badge", has_text="已送出").count() == 1
    return case_url


def test_proposal_approval_listing_and_version_change(server, page, tmp_path):
    base, _ = server
    # the proposal: the centre countersigns with its opinion, the city approves (TN-EVAL-1)
    log_in(page, base, "reviewer")
    page.goto(base + "/inbox")
    row = page.locator("tr", has_text=DEMO_APP_NAME).filter(has_text="App 開發評估申請")
    row.locator("a").first.click()
    proposal_url = page.url
    page.fill("#comment", "本中心審查意見：建議核准。")
    page.click("button[value=countersign]")
    page.wait_for_load_state()
    _decide(page, base, "mayor", proposal_url, "city_approve")
    assert page.locator(".badge", has_text="核定").count() == 1

    # the registry: in development, no version yet
    log_in(page, base, "staff")
    page.goto(base + "/appgov/")
    app_row = page.locator("tr", has_text=DEMO_APP_NAME)
    assert "開發中" in app_row.inner_text()

    # the listing checklist, filed from the app's page and approved by the authority
    listing = {k: v for k, v in answers_for("listing_checklist", "tainan").items() if k != "app"}
    case_url = _file_checklist(page, base, tmp_path, "申請上架", listing)
    _decide(page, base, "reviewer", case_url, "accept")  # 「核准上架」

    log_in(page, base, "staff")
    page.goto(base + "/appgov/")
    page.get_by_role("link", name=DEMO_APP_NAME).click()
    body = page.locator("main").inner_text()
    assert "已上架" in body and "1.0.0" in body
    assert re.search(r"民國 1\d\d 年", body)  # TIME-5: ROC dates on the app page
    page.screenshot(path=str(tmp_path / "app-listed.png"), full_page=True)

    # a version change: the previous version is the registry's, the new one higher
    change = {
        **listing,
        "kind": "version_change",
        "previous_version": "1.0.0",
        "new_version": "1.1.0",
        "change_summary": "新增場館即時人數與線上繳費收據下載。",
    }
    case_url = _file_checklist(page, base, tmp_path, "申請版本更新", change)
    _decide(page, base, "reviewer", case_url, "accept")

    log_in(page, base, "staff")
    page.goto(base + "/appgov/")
    page.get_by_role("link", name=DEMO_APP_NAME).click()
    versions = page.locator("main").inner_text()
    assert "1.1.0" in versions and "1.0.0" in versions
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(tmp_path / "app-versions-390.png"), full_page=True)
