"""Accessibility of the states of a page a crawl does not reach: axe-core (WCAG 2.1 A and AA)
in Debian's Chromium, at desktop width (1280 px) and phone width (390 px), in Traditional
Chinese and in English, on forms posted empty (the error summary), refused filters and
filtered lists. Every page as such is scanned by :mod:`test_accessibility_crawl`, which uses
the helpers here (axe loaded once per browser context, the resize, the phone layout check).

At 390 px the page must also fit: no horizontal scrolling, and a fixed navigation bar must not
cover the start of the content. One ``flask run`` per language, one browser for the module.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import subprocess
import sys

import pytest
from conftest import REPO, serve
from test_browser import chromium, log_in, switch_language

pytestmark = [pytest.mark.slow, pytest.mark.browser]

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
WIDTHS = (1280, 390)
#: (label, path, who): ``None`` is not logged in; ``@...`` is found on the page first;
#: ``#submit``: its form posted empty; ``#refused``: the page answers 400 (named bad input).
PAGES = (
    ("login, posted empty", "/login#submit", None),
    ("app list, filtered", "/appgov/?status=listed&platform=ios&q=%E8%87%BA", "reviewer"),
    ("app list, bad filter", "/appgov/?status=nope&page=0#refused", "reviewer"),
    ("app correction, posted empty", "/admin/appgov_app/correct/?id=1#submit", "admin"),
    (
        "delisting application, posted empty",
        "/cases/new/appgov_delisting_application#submit",
        "staff",
    ),
    ("evaluation results, bad filter", "/appgov/evaluation/results?year=abc#refused", "reviewer"),
    ("an app's figures, posted empty", "/appgov/evaluation/apps/1/figures#submit", "staff"),
)

#: The layout at phone width, measured in the page.
LAYOUT_SCRIPT = """() => {
  const doc = document.documentElement;
  const nav = document.querySelector('nav, .navbar');
  const main = document.querySelector('main')
    || document.querySelector('body > .container, body > .container-fluid');
  const first = main && (main.firstElementChild || main);
  const out = {scrollWidth: doc.scrollWidth, clientWidth: doc.clientWidth,
               navFixed: false, navBottom: null, firstTop: null, first: null, wide: []};
  if (nav) {
    const position = getComputedStyle(nav).position;
    out.navFixed = position === 'fixed' || position === 'sticky';
    out.navBottom = nav.getBoundingClientRect().bottom;
  }
  if (first) {
    out.firstTop = first.getBoundingClientRect().top;
    out.first = first.tagName.toLowerCase() + (first.className ? '.' + first.className : '');
  }
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.right > doc.clientWidth + 1 && r.width > 0 && getComputedStyle(el).position !== 'fixed') {
      let scroller = el.parentElement, clipped = false;
      while (scroller && scroller !== document.body) {
        const o = getComputedStyle(scroller).overflowX;
        if (o === 'auto' || o === 'scroll' || o === 'hidden') { clipped = true; break; }
        scroller = scroller.parentElement;
      }
      if (!clipped) out.wide.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
        + (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ')[0] : '')
        + ' right=' + Math.round(r.right));
    }
  }
  out.wide = out.wide.slice(0, 5);
  return out;
}"""


@pytest.fixture
def database_url(tmp_path):
    """One run on SQLite: the pages, not the database, are under test."""
    return f"sqlite:///{tmp_path / 'a11y.sqlite'}"


@pytest.fixture(scope="module")
def browser():
    pytest.importorskip("axe_playwright_python")
    with chromium() as browser:
        yield browser


@functools.cache
def axe_source() -> str:
    """axe-core's script as the Python package ships it (no download)."""
    from axe_playwright_python.sync_playwright import Axe

    return Axe().axe_script


def scanning_context(browser, locale: str):
    """A browser context whose every page has axe-core loaded before its own scripts run
    (an init script: sent once, not 570 kB per scan; the page's CSP does not apply)."""
    context = browser.new_context(locale="zh-TW" if locale != "en" else "en-US")
    context.add_init_script(axe_source())
    return context


def resize(page, width: int) -> None:
    """The window ``width`` px wide, after the page has handled the resize (two animation
    frames: the host's script gives a table that now scrolls its tab stop on ``resize``)."""
    page.set_viewport_size({"width": width, "height": 900})
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}


def _violations(page) -> list[str]:
    """axe-core's WCAG 2.1 A/AA violations on ``page``, one line each with examples."""
    if not page.evaluate("() => typeof axe !== 'undefined'"):  # a context without it
        page.evaluate(axe_source())
    response = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
    found = []
    for violation in response["violations"]:
        nodes = violation["nodes"]
        examples = []
        for node in nodes[:3]:
            html = " ".join(node["html"].split())[:100]
            data = next((c.get("data") for c in node.get("any", []) if c.get("data")), None)
            if isinstance(data, dict) and "contrastRatio" in data:
                html += (
                    f" [contrast {data['contrastRatio']}:1, {data.get('fgColor')} on "
                    f"{data.get('bgColor')}, needs {data.get('expectedContrastRatio')}]"
                )
            examples.append(html)
        found.append(
            f"{violation['id']} ({violation.get('impact')}, {len(nodes)}x): {violation['help']}"
            f" -- e.g. " + " | ".join(examples)
        )
    return found


def _layout(page) -> list[str]:
    layout = page.evaluate(LAYOUT_SCRIPT)
    problems = []
    if layout["scrollWidth"] > layout["clientWidth"] + 1:
        problems.append(
            f"horizontal overflow: page {layout['scrollWidth']} px wide in a "
            f"{layout['clientWidth']} px window; too wide: {layout['wide']}"
        )
    if (
        layout["navFixed"]
        and layout["firstTop"] is not None
        and layout["firstTop"] + 0.5 < layout["navBottom"]
    ):
        problems.append(
            f"the fixed navigation (bottom {layout['navBottom']:.0f} px) covers the content "
            f"({layout['first']} starts at {layout['firstTop']:.0f} px)"
        )
    return problems


def _open(page, base, path) -> tuple[str, str | None]:
    """Go to ``path`` (``@...``: the first link on that page to a page below it; ``#submit``:
    submit the page's form empty; ``#refused``: the answer must be 400, a refusal page checked
    like any other): (the path opened, a problem with the answer or None)."""
    if path.startswith("@"):
        # "@/a/" the first link below /a/ on /a/; "@/a/>/b/" the first link to /b/ on /a/
        index, _, below = path[1:].partition(">")
        below = below or index
        page.goto(base + index)
        links = page.eval_on_selector_all(
            f"main a[href^='{below}'], a[href^='{below}']",
            "els => els.map(e => e.getAttribute('href'))",
        )
        links = [link for link in links if link.rstrip("/") != index.rstrip("/")]
        if not links:
            return index, f"no link below {index} to open"
        path = links[0]
    submit = path.endswith("#submit")
    refused = path.endswith("#refused")
    path = path.removesuffix("#refused")
    response = page.goto(base + path.removesuffix("#submit"))
    if refused and response is not None and response.status == 400:
        return path, None
    if response is None or response.status >= 400 or refused:
        return path, f"HTTP {response.status if response else '?'}"
    if submit:
        page.click("main form button[type=submit], main form input[type=submit]")
        page.wait_for_load_state()
    return path, None


def _problems(browser, base: str, locale: str, pages) -> list[str]:
    """Every page of ``pages`` (label, path, who) at each width in ``locale``: axe's
    violations and, at phone width, the layout's problems."""
    problems: list[str] = []
    context = scanning_context(browser, locale)
    page = context.new_page()
    try:
        switch_language(page, base, locale)
        current_user = None
        for label, path, who in pages:
            if who != current_user:
                if who is None:
                    context.clear_cookies()
                    switch_language(page, base, locale)
                else:
                    log_in(page, base, who)
                    page.wait_for_load_state()
                current_user = who
            # opened once at the first width, then scanned at each width as the window is
            # resized (the layout follows the media queries, as when a reader turns a phone)
            page.set_viewport_size({"width": WIDTHS[0], "height": 900})
            opened, problem = _open(page, base, path)
            if problem:
                problems.append(f"{label} ({opened}), {locale}: {problem}")
                continue
            for width in WIDTHS:
                if width != WIDTHS[0]:  # opened at the first width
                    resize(page, width)
                where = f"{label} ({opened}) at {width} px, {locale}"
                problems += [f"{where}: axe {v}" for v in _violations(page)]
                if width < 768:
                    problems += [f"{where}: {p}" for p in _layout(page)]
    finally:
        context.close()
    return problems


def _fail_on(problems: list[str]) -> None:
    if problems:
        pytest.fail(
            f"{len(problems)} accessibility problems:\n" + "\n".join(problems), pytrace=False
        )


@pytest.mark.parametrize("locale", ["zh_Hant_TW", "en"])
def test_posted_and_refused_pages_pass_axe_and_fit_a_phone(server, browser, locale):
    base, _ = server
    _fail_on(_problems(browser, base, locale, PAGES))


#: Issue 12's pages, on the Taipei profile's demo registry (a Tainan city of 47 agencies).
ROLLOUT_PAGES = (
    ("roll-out dashboard, breaches only", "/appgov/rollout/?breaches=1", "itdept"),
    (
        "record a meeting, posted empty",
        "/appgov/rollout/meetings/new?system=tn-edoc&body=council#submit",
        "itdept",
    ),
)
TRAINING_PAGES = (("new course, posted empty", "/appgov/training/courses/new#submit", "itdept"),)
GRADE_PAGES = (("score entry, posted empty", "/appgov/evaluation/grades/new#submit", "itdept"),)


@pytest.fixture
def taipei_server(tmp_path):
    yield from serve(
        f"sqlite:///{tmp_path / 'a11y-taipei.sqlite'}", tmp_path, APPGOV_PROFILE="taipei"
    )


def test_posted_roll_out_and_training_forms_pass_axe_and_fit_a_phone(taipei_server, browser):
    """Both languages on one server (its start is the cost)."""
    base, _ = taipei_server
    _fail_on(
        [
            p
            for locale in ("zh_Hant_TW", "en")
            for p in _problems(browser, base, locale, ROLLOUT_PAGES + TRAINING_PAGES + GRADE_PAGES)
        ]
    )


def evaluated(server, database_url: str, profile: str | None = None):
    """``server``'s demo with last year's evaluation run (``flask appgov evaluate``), as an
    administrator runs it after the demo's figures are in: the results pages have rows."""
    base, instance = next(server)
    settings = {"INSTANCE_PATH": str(instance)}
    if profile:
        settings["APPGOV_PROFILE"] = profile
    env = {**os.environ, "DATABASE_URL": database_url}
    env.pop("SECRET_KEY", None)
    command = [sys.executable, "-m", "flask", "--app", f"sample_host:create_app({settings!r})"]
    command += ["appgov", "evaluate", str(dt.date.today().year - 1)]
    subprocess.run(command, cwd=REPO, env=env, check=True, capture_output=True)
    yield base, instance
    next(server, None)  # the server stopped


@pytest.fixture
def server(database_url, tmp_path):
    """The demo (Tainan's profile)."""
    yield from serve(database_url, tmp_path)
