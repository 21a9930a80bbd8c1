"""Every page the navigation reaches, as every role, in both languages, at desktop and phone
width: 0 axe-core violations of WCAG 2.1 A and AA, and a layout that fits a phone.

Nothing here lists the pages: the browser logs in as each demo role (and as nobody), opens
the start pages and the deliberate error pages, and follows every link on every page it
reaches (the navigation, the lists, the records, Flask-Admin's views), one URL per Flask
endpoint (each case type's new-case form its own), so a page added later is scanned without
editing the test. Each
page is scanned at 1280 px and again at 390 px (the window resized, as when a phone is
turned) and, at 390 px, checked to fit (:func:`test_accessibility._layout`); on an English
page every Chinese text must be marked ``lang="zh-Hant-TW"`` (the language of parts,
:mod:`appgov_plugin.language_parts`); every page has one ``<h1>`` and a title naming the
page and the site. The test
prints every page it scanned and checks that every navigation link of every role was
among them.

Three demos, as the profiles differ in their pages: Tainan's after last year's evaluation
run, then Kaohsiung's (evaluated too) and Taipei's (the roll-out and training records),
where a role's endpoint already scanned on an earlier demo is scanned again only
under :data:`PROFILE_PAGES` (what the profile changes). One test per language, each with
its three servers. Forms posted empty (the error summary) and refusals are scanned by
:mod:`test_accessibility`.
"""

from __future__ import annotations

import re
from collections import Counter
from urllib.parse import urlsplit

import pytest
from conftest import serve
from test_accessibility import (
    WIDTHS,
    _layout,
    _violations,
    evaluated,
    resize,
    scanning_context,
)
from test_browser import chromium, log_in, switch_language
from walk import ANONYMOUS, ERROR_PATHS, ROLES, SKIP_PATH, START_PATHS, make_demo_app, url_pattern

pytestmark = [pytest.mark.slow, pytest.mark.browser]

#: The demos crawled, in order, and what each profile changes of a page an earlier demo's
#: crawl scanned already (path prefixes scanned again there).
PROFILES = ("tainan", "kaohsiung", "taipei")
PROFILE_PAGES = {
    "tainan": ("/",),
    "kaohsiung": ("/appgov/evaluation", "/appgov/kpi", "/appgov/apps/", "/cases/"),
    "taipei": ("/appgov/evaluation", "/appgov/rollout", "/appgov/training", "/cases/"),
}
#: Downloads and other answers that are not pages (opened, they start a download).
NOT_A_PAGE = re.compile(
    r"\.(csv|xlsx|ods|odt|pdf|json|png|svg|ics|zip|txt)(\?|$)|/export/|/download\b|/file/"
    r"|[?&](format|export_type)="
)
#: Links to the same page sorted, paged or sent back to: the page itself is scanned.
SKIP_QUERY = re.compile(r"(^|&)(url|next|sort|desc|page|page_size)=")
#: On an English page: text in Chinese outside any element marked ``lang="zh…"`` (WCAG 2.1
#: SC 3.1.2, language of parts; the document's ``<title>`` names the page in one language).
UNMARKED_CHINESE_SCRIPT = """() => {
  const han = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const found = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!han.test(node.data) || parent.closest('script, style, template')) continue;
    const marked = parent.closest('[lang]');
    if (!marked || !marked.getAttribute('lang').toLowerCase().startsWith('zh')) {
      found.push(parent.tagName.toLowerCase() + ': ' + node.data.trim().slice(0, 40));
    }
  }
  return found.slice(0, 5);
}"""
#: The page's headings of rank 1 and its title (which names the page and the site).
HEADINGS_SCRIPT = """() => ({
  h1: [...document.querySelectorAll('h1')].map(h => h.textContent.trim().slice(0, 40)),
  title: document.title,
})"""
#: A title naming the page and the site: "page · site" (the host) or "… - site" (Flask-Admin).
TITLE_PARTS = re.compile(r"\S.*\s[·-]\s.*\S")
#: A page's links, in document order, and the navigation's own.
LINKS_SCRIPT = """() => ({
  links: [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href')),
  nav: [...document.querySelectorAll('header a[href], nav a[href]')]
    .map(a => a.getAttribute('href')),
})"""


def _local(href: str, base: str) -> str | None:
    """``href`` as a path + query of the site under test, or None (another site, a skip,
    a fragment, a download, a sorted or paged copy)."""
    href = href.strip()
    if not href or href.startswith(("#", "javascript:", "mailto:", "tel:", "data:")):
        return None
    if "://" not in href:
        href = base + ("" if href.startswith("/") else "/") + href
    parts = urlsplit(href)
    if f"{parts.scheme}://{parts.netloc}" != base or SKIP_PATH.search(parts.path):
        return None
    url = parts.path + ("?" + parts.query if parts.query else "")
    if NOT_A_PAGE.search(url) or SKIP_QUERY.search(parts.query):
        return None
    return url


class Crawl:
    """The crawl of one language over the demos: what was scanned, by whom, and the
    problems found."""

    def __init__(self, browser, locale: str):
        self.browser, self.locale = browser, locale
        self.urls = None  # the demo's URL map, bound (its endpoints)
        self.scanned: list[str] = []  # "profile role url (status)"
        self.reached: set[tuple[str, str]] = set()  # (role, url asked or opened)
        self.patterns: set[tuple[str, str]] = set()  # (role, endpoint) scanned
        self.navigation: set[tuple[str, str]] = set()  # (role, url) in a header or nav
        self.problems: list[str] = []

    def demo(self, base: str, profile: str, urls) -> None:
        self.urls = urls
        for role in (ANONYMOUS, *ROLES):
            self.role(base, profile, role)

    def endpoint(self, url: str) -> str:
        """The Flask endpoint answering ``url`` (a new case's form: its path, one per case
        type; no endpoint: the path with numbers as ``#``)."""
        path = urlsplit(url).path
        if path.startswith("/cases/new/"):
            return path
        try:
            return self.urls.match(path, method="GET")[0]
        except Exception:  # 404, 405, a redirect
            return url_pattern(url)[0]

    def role(self, base: str, profile: str, role: str) -> None:
        """Crawl as ``role``: every page once per endpoint, scanned at each width."""
        context = scanning_context(self.browser, self.locale)
        page = context.new_page()
        again = PROFILE_PAGES[profile]
        try:
            switch_language(page, base, self.locale, "/login")
            if role != ANONYMOUS:
                log_in(page, base, role)
            queue = [*ERROR_PATHS, *(("/login",) if role == ANONYMOUS else START_PATHS)]
            seen: set[str] = set()
            per_endpoint: Counter = Counter()
            while queue:
                url = queue.pop(0)
                endpoint = self.endpoint(url)
                if url in seen:
                    continue
                seen.add(url)
                if url not in ERROR_PATHS:  # the error pages do not use up their endpoint
                    if per_endpoint[endpoint] or (
                        (role, endpoint) in self.patterns and not url.startswith(again)
                    ):
                        self.reached.add((role, url))  # a page of an endpoint scanned
                        continue
                    per_endpoint[endpoint] += 1
                queue += self.scan(page, base, profile, role, url)
        finally:
            context.close()

    def scan(self, page, base: str, profile: str, role: str, url: str) -> list[str]:
        """Open ``url`` and scan it at each width; the links it offers."""
        page.set_viewport_size({"width": WIDTHS[0], "height": 900})
        try:
            response = page.goto(base + url)
        except Exception as error:  # a download the link's address did not show
            if "Download is starting" in str(error):
                return []
            raise
        if response is None or "text/html" not in response.headers.get("content-type", ""):
            return []
        opened = page.url.removeprefix(base)
        self.scanned.append(f"{profile} {role} {opened} ({response.status})")
        self.reached |= {(role, url), (role, opened)}
        self.patterns |= {(role, self.endpoint(url)), (role, self.endpoint(opened))}
        for width in WIDTHS:
            if width != WIDTHS[0]:  # opened at the first width
                resize(page, width)
            where = f"{opened} as {role} ({profile}) at {width} px, {self.locale}"
            self.problems += [f"{where}: axe {v}" for v in _violations(page)]
            if width < 768:
                self.problems += [f"{where}: {p}" for p in _layout(page)]
        headings = page.evaluate(HEADINGS_SCRIPT)
        if len(headings["h1"]) != 1:
            self.problems.append(
                f"{opened} as {role} ({profile}), {self.locale}: {len(headings['h1'])} <h1> "
                f"(one names the page): {headings['h1']}"
            )
        if urlsplit(opened).path != "/" and not TITLE_PARTS.fullmatch(headings["title"]):
            self.problems.append(
                f"{opened} as {role} ({profile}), {self.locale}: the title "
                f"{headings['title']!r} does not name both the page and the site"
            )
        if self.locale == "en":
            unmarked = page.evaluate(UNMARKED_CHINESE_SCRIPT)
            if unmarked:
                self.problems.append(
                    f"{opened} as {role} ({profile}), en: Chinese not marked "
                    f'lang="zh-Hant-TW": {unmarked}'
                )
        found = page.evaluate(LINKS_SCRIPT)
        self.navigation |= {(role, t) for href in found["nav"] if (t := _local(href, base))}
        return [t for href in found["links"] if (t := _local(href, base))]

    def missed_navigation(self) -> list[str]:
        """Navigation entries of a role never reached as that role."""
        return sorted(f"{role}: {url}" for role, url in self.navigation - self.reached)


@pytest.fixture(scope="module")
def browser():
    pytest.importorskip("axe_playwright_python")
    with chromium() as browser:
        yield browser


def _demo(profile: str, tmp_path):
    """The sample host of ``profile``, evaluated (last year) where the profile evaluates:
    (its server, to be started with ``next``; a function giving its URL map)."""
    url = f"sqlite:///{tmp_path / f'crawl-{profile}.sqlite'}"
    folder = tmp_path / profile
    folder.mkdir()
    running = serve(url, folder, APPGOV_PROFILE=profile)
    if profile != "taipei":
        running = evaluated(running, url, profile)

    def urls():  # an app of the same (seeded) database, for its URL map only
        app = make_demo_app(url, str(folder / "url-map"), profile)
        return app.url_map.bind("localhost")

    return running, urls


@pytest.mark.parametrize("locale", ["zh_Hant_TW", "en"])
def test_every_page_the_navigation_reaches_passes_axe(browser, locale, tmp_path, capsys):
    crawl = Crawl(browser, locale)
    for profile in PROFILES:
        running, urls = _demo(profile, tmp_path)
        base, _ = next(running)
        try:
            crawl.demo(base, profile, urls())
        finally:
            next(running, None)  # the server stops
    with capsys.disabled():
        print(f"\n{len(crawl.scanned)} pages scanned in {locale} at {WIDTHS} px:")
        print("\n".join(f"  {line}" for line in crawl.scanned))
    assert not crawl.missed_navigation(), "navigation entries not scanned:\n" + "\n".join(
        crawl.missed_navigation()
    )
    assert len(crawl.scanned) >= len({url for _role, url in crawl.navigation})
    if crawl.problems:
        pytest.fail(
            f"{len(crawl.problems)} accessibility problems:\n" + "\n".join(crawl.problems),
            pytrace=False,
        )
