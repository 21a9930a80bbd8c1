"""Accessibility of the pages officials use: axe-core (WCAG 2.1 A and AA) in Debian's Chromium,
at desktop width (1280 px) and phone width (390 px), in Traditional Chinese and in English.

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
    ("login", "/login", None),
    ("login, posted empty", "/login#submit", None),
    ("home", "/", "reviewer"),
    ("inbox", "/inbox", "reviewer"),
    ("case", "/cases/1", "reviewer"),
    ("case search", "/cases", "reviewer"),
    # issue 10: the app list (filtered, and a bad filter refused), an app page with the app
    # authority's actions (the demo's listed app: take down for a security risk), messages
    ("app list", "/appgov/", "reviewer"),
    ("app list, filtered", "/appgov/?status=listed&platform=ios&q=%E8%87%BA", "reviewer"),
    ("app list, bad filter", "/appgov/?status=nope&page=0#refused", "reviewer"),
    ("app page with the reviewer's actions", "/appgov/apps/1", "reviewer"),
    ("messages", "/appgov/messages", "reviewer"),
    ("policy", "/appgov/policy", "reviewer"),
    ("KPI form", "/appgov/kpi", "reviewer"),
    ("calendar", "/appgov/calendar/", "reviewer"),
    ("admin home", "/admin/", "admin"),
    ("admin list", "/admin/host_case/", "admin"),
    ("admin create form", "/admin/appgov_calendar_override/new/", "admin"),
    ("app list (Flask-Admin, column descriptions)", "/admin/appgov_app/", "admin"),
    ("app correction form", "/admin/appgov_app/correct/?id=1", "admin"),
    ("app correction, posted empty", "/admin/appgov_app/correct/?id=1#submit", "admin"),
    ("rule parameter form", "@/admin/appgov_parameters/", "admin"),
    # issue 9: the low-code forms (sections, notices, file, rows) and their editor
    ("self-assessment form", "/cases/new/appgov_app_proposal", "staff"),
    (
        "delisting application, posted empty",
        "/cases/new/appgov_delisting_application#submit",
        "staff",
    ),
    ("listing checklist", "/cases/new/appgov_listing_checklist", "staff"),
    # issue 11: the feedback list and an item (masked), the store reviews and their import
    ("feedback list", "/appgov/feedback", "staff"),
    ("feedback item", "/appgov/feedback/1", "staff"),
    ("store reviews", "/appgov/apps/1/reviews", "staff"),
    ("store review import", "/appgov/apps/1/reviews/import", "staff"),
    ("forms list", "/admin/appgov_forms/", "admin"),
    ("form editor", "/admin/appgov_forms/tn_self_assessment/edit", "admin"),
    # issue 11 in Flask-Admin: the Open311 keys, the mailbox outbox, personal-data reveals
    ("Open311 keys", "/admin/appgov_open311_keys/", "admin"),
    ("mailbox outbox", "/admin/appgov_mailbox_outbox/", "admin"),
    ("personal data reveals", "/admin/appgov_personal_data_reveals/", "admin"),
    # issue 14 on Tainan's evaluation (TN-PERF-1): the dashboard, results, a result, runs,
    # an app's figures and targets (posted empty: refused), the import, Flask-Admin
    ("evaluation dashboard", "/appgov/evaluation/", "reviewer"),
    ("evaluation results", "/appgov/evaluation/results", "reviewer"),
    ("evaluation results, bad filter", "/appgov/evaluation/results?year=abc#refused", "reviewer"),
    ("evaluation result", "@/appgov/evaluation/results>/appgov/evaluation/results/", "reviewer"),
    ("evaluation runs", "/appgov/evaluation/runs", "reviewer"),
    ("figures of the agency's apps", "/appgov/evaluation/figures", "staff"),
    ("an app's figures and targets", "/appgov/evaluation/apps/1/figures", "staff"),
    ("an app's figures, posted empty", "/appgov/evaluation/apps/1/figures#submit", "staff"),
    ("figures import", "/appgov/evaluation/figures/import", "staff"),
    ("evaluation runs (Flask-Admin)", "/admin/appgov_eval_runs/", "admin"),
    ("run the evaluation (Flask-Admin)", "/admin/appgov_eval_runs/run", "admin"),
    ("app figures (Flask-Admin)", "/admin/appgov_eval_figures/", "admin"),
    ("app target form (Flask-Admin)", "/admin/appgov_eval_targets/new/", "admin"),
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
def test_pages_pass_axe_and_fit_a_phone(server, browser, locale):
    base, _ = server
    _fail_on(_problems(browser, base, locale, PAGES))


#: Issue 12's pages, on the Taipei profile's demo registry (a Tainan city of 47 agencies).
ROLLOUT_PAGES = (
    ("roll-out dashboard", "/appgov/rollout/", "itdept"),
    ("roll-out dashboard, breaches only", "/appgov/rollout/?breaches=1", "itdept"),
    ("agency's roll-out page", "/appgov/rollout/agencies/tainan-tourism", "itdept"),
    (
        "mark a person unfit",
        "@/appgov/rollout/agencies/tainan-tourism>/appgov/rollout/people/",
        "itdept",
    ),
    ("meetings", "/appgov/rollout/meetings", "itdept"),
    (
        "record a council meeting",
        "/appgov/rollout/meetings/new?system=tn-edoc&body=council",
        "itdept",
    ),
    (
        "record a meeting, posted empty",
        "/appgov/rollout/meetings/new?system=tn-edoc&body=council#submit",
        "itdept",
    ),
    ("support rates", "/appgov/rollout/support", "itdept"),
    ("own agency's roll-out page", "/appgov/rollout/agencies/tainan-tourism", "staff"),
    ("agency's meetings", "/appgov/rollout/agencies/tainan-tourism/meetings", "staff"),
    ("support ticket form", "/cases/new/appgov_support_ticket", "staff"),
    ("roster nomination form", "/cases/new/appgov_admin_seed_nomination", "staff"),
    ("registry agencies (Flask-Admin)", "/admin/appgov_rollout_agency/", "admin"),
    ("registry person form", "/admin/appgov_rollout_person/new/", "admin"),
    ("registry import", "/admin/appgov_rollout_import/", "admin"),
)

#: Issue 13's pages, on the same demo (its training records: appgov_plugin/training/demo.py;
#: course 4 is the finished seed-user course, 5 the next one, 6 the administrators' course).
TRAINING_PAGES = (
    ("training courses", "/appgov/training/", "itdept"),
    ("a finished course with its trainees", "/appgov/training/courses/4", "itdept"),
    ("new course form", "/appgov/training/courses/new", "itdept"),
    ("new course, posted empty", "/appgov/training/courses/new#submit", "itdept"),
    ("roll call", "@/appgov/training/courses/6>/appgov/training/sessions/", "itdept"),
    ("results", "/appgov/training/courses/6/results", "itdept"),
    ("retakes", "/appgov/training/retakes", "itdept"),
    ("fitness reviews", "/appgov/training/fitness", "itdept"),
    ("lecturer registry", "/appgov/training/lecturers", "itdept"),
    ("learning hours", "/appgov/training/hours", "itdept"),
    ("a transcript", "@/appgov/training/hours>/appgov/training/people/", "itdept"),
    ("e-learning import", "/appgov/training/elearning-import", "itdept"),
    ("training courses, an agency's view", "/appgov/training/", "staff"),
    ("own trainees on a course", "/appgov/training/courses/5", "staff"),
    ("own agency's learning hours", "/appgov/training/hours", "staff"),
    ("training nomination form", "/cases/new/appgov_training_enrollment", "staff"),
    ("training leave form", "/cases/new/appgov_training_leave", "staff"),
    ("courses (Flask-Admin)", "/admin/appgov_training_course/", "admin"),
    ("session form (Flask-Admin)", "/admin/appgov_training_session/new/", "admin"),
    ("lecturers (Flask-Admin)", "/admin/appgov_training_lecturer/", "admin"),
)

#: Issue 14's roll-out grades (TP-GRADE-0..2) and the dashboard's grade and seed charts.
GRADE_PAGES = (
    ("evaluation dashboard with grades", "/appgov/evaluation/", "itdept"),
    ("roll-out grades", "/appgov/evaluation/grades", "itdept"),
    (
        "a score with its follow-ups",
        "@/appgov/evaluation/grades>/appgov/evaluation/grades/",
        "itdept",
    ),
    ("score entry", "/appgov/evaluation/grades/new", "itdept"),
    ("score entry, posted empty", "/appgov/evaluation/grades/new#submit", "itdept"),
    ("score import", "/appgov/evaluation/grades/import", "itdept"),
    ("the published ranking, an agency's view", "/appgov/evaluation/grades", "staff"),
    ("roll-out scores (Flask-Admin)", "/admin/appgov_eval_rollout_score/", "admin"),
)


@pytest.fixture
def taipei_server(tmp_path):
    yield from serve(
        f"sqlite:///{tmp_path / 'a11y-taipei.sqlite'}", tmp_path, APPGOV_PROFILE="taipei"
    )


def test_roll_out_and_training_pages_pass_axe_and_fit_a_phone(taipei_server, browser):
    """Both languages on one server (its start is the cost)."""
    base, _ = taipei_server
    _fail_on(
        [
            p
            for locale in ("zh_Hant_TW", "en")
            for p in _problems(browser, base, locale, ROLLOUT_PAGES + TRAINING_PAGES + GRADE_PAGES)
        ]
    )


#: Issue 14 on Kaohsiung's evaluation (KH-KPI-1..4): bands, targets, plans, delisting.
KAOHSIUNG_PAGES = (
    ("evaluation dashboard (Kaohsiung)", "/appgov/evaluation/", "reviewer"),
    ("evaluation results (Kaohsiung)", "/appgov/evaluation/results", "reviewer"),
    (
        "evaluation result (Kaohsiung)",
        "@/appgov/evaluation/results>/appgov/evaluation/results/",
        "reviewer",
    ),
    ("an app's figures and target population", "/appgov/evaluation/apps/1/figures", "staff"),
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
    """The demo (Tainan's profile) with last year's evaluation run."""
    yield from evaluated(serve(database_url, tmp_path), database_url)


@pytest.fixture
def kaohsiung_server(tmp_path):
    url = f"sqlite:///{tmp_path / 'a11y-kh.sqlite'}"
    yield from evaluated(serve(url, tmp_path, APPGOV_PROFILE="kaohsiung"), url, "kaohsiung")


def test_kaohsiung_evaluation_pages_pass_axe_and_fit_a_phone(kaohsiung_server, browser):
    """Both languages on one server; the demo's evaluation run of last year has results."""
    base, _ = kaohsiung_server
    _fail_on(
        [
            p
            for locale in ("zh_Hant_TW", "en")
            for p in _problems(browser, base, locale, KAOHSIUNG_PAGES)
        ]
    )
