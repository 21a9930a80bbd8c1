"""The roll-out dashboard in Debian's Chromium (issue 12, section 4), on the demo's Tainan
registry under the Taipei profile: the chart of compliance per agency kind is drawn by the
package's own Chart.js (never from the internet) from the page's data attribute, under the
host's Content-Security-Policy without a violation; the same figures are in the table beside
it; the dashboard and an agency's page pass axe (WCAG 2.1 A and AA)."""

from __future__ import annotations

import pytest
from conftest import serve
from test_browser import chromium, log_in
from test_security import RECORD_VIOLATIONS

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture
def taipei(tmp_path):
    yield from serve(f"sqlite:///{tmp_path / 'browser.sqlite'}", tmp_path, APPGOV_PROFILE="taipei")


def axe_violations(page) -> list[str]:
    pytest.importorskip("axe_playwright_python")
    from axe_playwright_python.sync_playwright import Axe

    options = {"resultTypes": ["violations"], "runOnly": ["wcag2a", "wcag2aa", "wcag21aa"]}
    results = Axe().run(page, options=options)
    return [
        f"{v['id']}: {[node['target'] for node in v['nodes']][:3]}"
        for v in results.response["violations"]
    ]


def test_the_chart_is_drawn_from_the_package_under_the_csp_and_the_pages_pass_axe(taipei):
    base, _ = taipei
    with chromium() as browser:
        context = browser.new_context(locale="zh-TW")
        context.add_init_script(RECORD_VIOLATIONS)
        page = context.new_page()
        outside: list[str] = []
        page.on(
            "request",
            lambda r: outside.append(r.url) if not r.url.startswith(base) else None,
        )
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        log_in(page, base, "itdept")
        page.goto(base + "/appgov/rollout/")
        page.wait_for_function("typeof window.Chart === 'function'")
        chart = page.locator("canvas#rollout-chart")
        chart.wait_for(state="visible")
        drawn = page.evaluate(
            "() => { const c = window.Chart.getChart('rollout-chart');"
            " return c ? [c.data.labels, c.data.datasets[0].data] : null; }"
        )
        assert drawn is not None
        labels, values = drawn
        rows = page.locator("table.rollout-kinds tbody tr")
        assert rows.count() == len(labels) >= 2
        for number, (label, value) in enumerate(zip(labels, values, strict=True)):
            row = rows.nth(number)
            assert row.locator("th").inner_text() == label
            assert row.locator("td").nth(2).inner_text() == f"{value}%"
        assert chart.get_attribute("role") == "img" and chart.get_attribute("aria-label")
        assert page.evaluate("window.__cspViolations") == []
        assert outside == [] and errors == []
        assert axe_violations(page) == []
        page.goto(base + "/appgov/rollout/agencies/tainan-tourism")
        assert "TP-SEED-1" in page.content()
        assert axe_violations(page) == []
        assert page.evaluate("window.__cspViolations") == []
        context.close()
