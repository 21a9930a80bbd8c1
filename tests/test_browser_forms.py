"""A Kaohsiung official fills the improvement and marketing plan (KH-KPI-3) in Debian's
Chromium: two cost rows, the computed total shown live and on the case page; the live
download target (KH-KPI-1) from the policy facade."""

from __future__ import annotations

import pytest
from conftest import serve
from form_samples import SAMPLE_APP, answers_for, formdata
from test_browser import chromium, log_in

from appgov_plugin.forms import builder

pytestmark = [pytest.mark.slow, pytest.mark.browser]

PLAN = "appgov_improvement_plan"


@pytest.fixture
def database_url(tmp_path):
    return f"sqlite:///{tmp_path / 'browser.sqlite'}"


@pytest.fixture
def kaohsiung(database_url, tmp_path):
    yield from serve(database_url, tmp_path, APPGOV_PROFILE="kaohsiung")


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


def _fill(page, definition, answers, tmp_path):
    """Type ``answers`` into the form as a person would (files chosen from disk)."""
    for name, value in formdata(definition, answers).items(multi=True):
        field = page.locator(f'main form [name="{name}"]')
        kind = field.first.get_attribute("type")
        if kind != "hidden" and not field.first.is_visible():
            # a row beyond the visible ones: "add a row" first, as a person would
            page.locator(f'fieldset:has([name="{name}"]) [data-appgov-add-row]').click()
        if kind in ("radio", "checkbox"):
            page.locator(f'main form [name="{name}"][value="{value}"]').check()
        elif kind == "file":
            path = tmp_path / value.filename
            path.write_bytes(value.stream.read())
            field.set_input_files(str(path))
        elif field.first.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)


def test_plan_with_two_cost_rows_shows_the_total(kaohsiung, page, tmp_path):
    base, _ = kaohsiung
    definition = builder.load("improvement_marketing_plan")
    answers = dict(answers_for("improvement_marketing_plan", "kaohsiung"))
    costs = [
        {"item": "介面重新設計", "description": "委外設計", "amount": 360_000},
        {"item": "功能開發", "description": "多圖上傳", "amount": 875_500},
    ]
    answers["improvement_costs"] = costs[:1]
    log_in(page, base, "staff")
    # opened from the app's page: the demo's listed app of the staff's agency is chosen
    page.goto(base + f"/cases/new/{PLAN}?app={SAMPLE_APP}")
    assert page.locator('main form select[name="app"]').input_value() == SAMPLE_APP
    del answers["app"]
    _fill(page, definition, answers, tmp_path)  # the year and the rest, typed in
    total = page.locator('output[data-appgov-total="amount"]').first
    assert total.inner_text().strip() == "360,000"
    # the second row: "add a row", typed in, and the total follows as it is typed
    group = page.locator("fieldset[data-appgov-rows]").first
    group.locator("[data-appgov-add-row]").click()
    row = group.locator("tbody tr:not([hidden])").nth(1)
    row.locator('input[name$="-item"]').fill(costs[1]["item"])
    row.locator('input[name$="-description"]').fill(costs[1]["description"])
    row.locator('input[name$="-amount"]').fill("875,500")
    assert total.inner_text().strip() == "1,235,500"
    page.screenshot(path=str(tmp_path / "plan-rows.png"), full_page=True)
    page.click("main form button[type=submit]")
    page.wait_for_url("**/cases/*")
    body = page.locator("main").inner_text()
    assert "介面重新設計" in body and "功能開發" in body
    assert "1,235,500" in body  # the total of the cost analysis on the case page


def test_evaluation_plan_shows_the_download_target_live(kaohsiung, page):
    base, _ = kaohsiung
    log_in(page, base, "staff")
    page.goto(base + "/cases/new/appgov_app_proposal")
    page.fill('input[name="target_population"]', "1,986,191")
    page.locator('input[name="target_population"]').blur()
    target = page.locator("output[data-appgov-check]").first
    target.filter(has_text="99,309").wait_for()  # KH-KPI-1: floor(1,986,191 x 5 %)
    page.fill('input[name="target_population"]', "35000")
    page.locator('input[name="target_population"]').blur()
    target.filter(has_text="8,750").wait_for()
