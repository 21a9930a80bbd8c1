"""Accessibility of the mailbox officer's pages (sample_host/mailbox): axe-core (WCAG 2.1 A
and AA) in Debian's Chromium at desktop and phone width, in both languages, with the checks
of tests/test_accessibility.py: the list, filtered, a refused filter (400), a request, its
reply form posted empty (the error summary)."""

from __future__ import annotations

import pytest
from test_accessibility import WIDTHS, _layout, _violations, browser  # noqa: F401
from test_browser import log_in, switch_language

# backend-independent: axe on rendered pages
pytestmark = [pytest.mark.backend_independent, pytest.mark.slow, pytest.mark.browser]


def _first_request(page, base) -> str:
    page.goto(base + "/mailbox/")
    links = page.eval_on_selector_all(
        "main a[href^='/mailbox/requests/']", "els => els.map(e => e.getAttribute('href'))"
    )
    assert links, "no request on the officer's list"
    return links[0]


@pytest.mark.parametrize("locale", ["zh_Hant_TW", "en"])
def test_the_officers_pages_pass_axe_and_fit_a_phone(server, browser, locale):  # noqa: F811
    base, _ = server
    context = browser.new_context(locale="zh-TW" if locale != "en" else "en-US")
    page = context.new_page()
    problems: list[str] = []
    try:
        log_in(page, base, "officer")
        switch_language(page, base, locale)
        request = _first_request(page, base)
        pages = (
            ("list", "/mailbox/", 200, None),
            ("list, closed", "/mailbox/?status=closed", 200, None),
            ("list, bad filter", "/mailbox/?status=nope", 400, None),
            ("request", request, 200, None),
            ("reply posted empty", request, 200, "#mailbox-reply-form button[type=submit]"),
        )
        for label, path, status, submit in pages:
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": 900})
                response = page.goto(base + path)
                where = f"{label} ({path}) at {width} px, {locale}"
                if response is None or response.status != status:
                    problems.append(f"{where}: HTTP {response.status if response else '?'}")
                    break
                if submit:
                    page.fill("#reply", "")
                    with page.expect_response(lambda r: r.request.method == "POST") as posted:
                        page.click(submit)
                    page.wait_for_load_state()
                    if posted.value.status != 400:
                        problems.append(f"{where}: the empty reply answered {posted.value.status}")
                    if not page.query_selector(".error-summary"):
                        problems.append(f"{where}: no error summary")
                problems += [f"{where}: axe {v}" for v in _violations(page)]
                if width < 768:
                    problems += [f"{where}: {p}" for p in _layout(page)]
    finally:
        context.close()
    if problems:
        pytest.fail(
            f"{len(problems)} accessibility problems:\n" + "\n".join(problems), pytrace=False
        )
