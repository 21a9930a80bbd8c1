"""The performance evaluation's dashboard in Debian's Chromium (issue 14, item 5): on the
demo's figures (Kaohsiung: downloads against the target, KH-KPI-1; ratings per store and
month; Taipei: roll-out grades per system, TP-GRADE-1, and seed users, TP-SEED-1) every chart
is drawn by the package's own Chart.js through the shared appgov-charts.js (never from the
internet), under the host's Content-Security-Policy without a violation, in zh_Hant_TW (a
CJK font on the canvas) and in en: each canvas visible and not blank, with its labels in the
reader's language, and its table beside it."""

from __future__ import annotations

import pytest
from conftest import serve
from test_browser import chromium, log_in
from test_browser_rollout_dashboard import axe_violations
from test_security import RECORD_VIOLATIONS

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def catalog(locale: str):
    """The package's catalog: the labels a zh reader gets are its translations (the page's
    own words, whatever the catalog holds today)."""
    from babel.support import Translations

    from appgov_plugin.i18n import translations_dir

    return Translations.load(
        translations_dir(), ["zh_Hant_TW" if locale == "zh-TW" else "en"], "appgov"
    )


def said(locale: str, text: str) -> str:
    return catalog(locale).gettext(text)


@pytest.fixture
def kaohsiung(tmp_path):
    yield from serve(
        f"sqlite:///{tmp_path / 'browser.sqlite'}", tmp_path, APPGOV_PROFILE="kaohsiung"
    )


@pytest.fixture
def taipei(tmp_path):
    yield from serve(f"sqlite:///{tmp_path / 'browser.sqlite'}", tmp_path, APPGOV_PROFILE="taipei")


#: Each drawn chart: its id, whether it differs from a blank canvas of its size, its labels
#: and its font.
DRAWN = """() => Array.from(document.querySelectorAll('canvas[data-appgov-chart]')).map(c => {
  const blank = document.createElement('canvas');
  blank.width = c.width; blank.height = c.height;
  const chart = window.Chart.getChart(c);
  return {
    id: c.id,
    visible: !c.hidden && c.getBoundingClientRect().height > 0,
    drawn: c.width > 0 && c.toDataURL() !== blank.toDataURL(),
    labels: chart ? chart.data.labels : null,
    series: chart ? chart.data.datasets.map(d => d.label) : null,
    font: chart ? window.Chart.defaults.font.family : null,
  };
})"""


def charts_on(page, base: str, path: str, locale: str) -> list[dict]:
    page.goto(base + path)
    page.wait_for_function("typeof window.Chart === 'function'")
    page.locator("canvas[data-appgov-chart]").first.wait_for(state="visible")
    assert page.locator("h1").inner_text() == said(locale, "Performance evaluation dashboard")
    # the page is in the reader's language (a label the catalog translates already)
    year = page.locator("label[for=dashboard-year]").inner_text()
    assert year == ("年度" if locale == "zh-TW" else "Year"), year
    return page.evaluate(DRAWN)


def check(page, charts: list[dict], expected: set[str]) -> None:
    assert {c["id"] for c in charts} >= expected, charts
    for chart in charts:
        assert chart["visible"] and chart["drawn"], chart
        assert "Noto Sans CJK TC" in chart["font"]
        key = chart["id"].removeprefix("canvas-")
        table = page.locator(f"table#table-{key}")
        assert table.is_visible()
        rows = table.locator("tbody tr")
        # the chart's categories are the table's rows (the first CHART_LIMIT of them)
        assert rows.count() >= len(chart["labels"]) > 0
        for number, label in enumerate(chart["labels"][:5]):
            assert rows.nth(number).locator("th").inner_text() == label
        canvas = page.locator(f"canvas#{chart['id']}")
        assert canvas.get_attribute("role") == "img" and canvas.get_attribute("aria-label")
        assert page.locator(f"#exports-{key} a").count() == 3


def run_in(base: str, username: str, path: str, expected: dict[str, set[str]], words) -> None:
    with chromium() as browser:
        for locale in ("zh-TW", "en"):
            context = browser.new_context(locale=locale)
            context.add_init_script(RECORD_VIOLATIONS)
            page = context.new_page()
            outside: list[str] = []
            page.on(
                "request",
                lambda r, outside=outside: (
                    outside.append(r.url) if not r.url.startswith(base) else None
                ),
            )
            errors: list[str] = []
            page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
            log_in(page, base, username)
            charts = charts_on(page, base, path, locale)
            check(page, charts, expected[locale])
            words(locale, charts)
            assert axe_violations(page) == []  # WCAG 2.1 A and AA
            assert page.evaluate("window.__cspViolations") == []
            assert outside == [] and errors == []
            context.close()


def test_the_app_charts_are_drawn_in_both_languages_KH_KPI_1(kaohsiung):
    base, _ = kaohsiung

    def words(locale, charts):
        by_id = {c["id"]: c for c in charts}
        series = by_id["canvas-downloads"]["series"]
        ratings = by_id["canvas-ratings"]
        assert series == [
            said(locale, "Downloads to the year's end"),
            said(locale, "Download target (KH-KPI-1)"),
        ]
        assert ratings["series"] == [said(locale, "iOS rating"), said(locale, "Android rating")]
        if locale == "en":
            assert all(label[:3].isalpha() for label in ratings["labels"])  # "Jan 2025"
        else:  # ROC months: 114 年 1 月
            assert all(" 年 " in label and label.endswith(" 月") for label in ratings["labels"])

    expected = {"canvas-downloads", "canvas-agencies", "canvas-ratings"}
    run_in(base, "admin", "/appgov/evaluation/", {"zh-TW": expected, "en": expected}, words)


def test_the_grade_and_seed_charts_are_drawn_in_both_languages_TP_GRADE_1(taipei):
    base, _ = taipei
    from appgov_plugin.clock import today

    def words(locale, charts):
        by_id = {c["id"]: c for c in charts}
        grades = by_id["canvas-grades"]["series"]
        assert grades == [
            said(locale, "Grade %(grade)s") % {"grade": g} for g in ("A+", "A", "B", "C", "D", "E")
        ]

    expected = {"canvas-grades", "canvas-seeds"}
    path = f"/appgov/evaluation/?year={today().year - 1}"
    run_in(base, "itdept", path, {"zh-TW": expected, "en": expected}, words)
