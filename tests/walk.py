"""The page walk: every page a demo user can reach, every form posted empty and with bad
values, every answer checked for what an official must never see.

A reusable library for the tests (``tests/test_page_walk.py``) and a command-line report::

    python tests/walk.py [--roles staff,admin] [--locales zh_Hant_TW,en] [--profile tainan]

It drives a sample-host Flask app through its test client (no browser, CSRF off):

* log in as a demo role, switch the language with ``POST /locale/<code>``;
* start from ``/``, ``/inbox``, ``/appgov/``, ``/admin/``, a few error pages (404, 400, 405)
  and, for an administrator, every Flask-Admin view (list, create form, edit form and details
  of an existing row);
* follow every same-site link answered by GET -- never ``/logout``, the ``/locale/``
  switches, static files or other sites -- at most a few URLs per path and query pattern,
  so paging, sorting and filtering variants do not explode;
* submit every form found once **empty** and once **with bad values** (letters in number
  fields, ``31/02/2026`` in date fields, a 10,000-character text, an unknown choice) --
  never logout, workflow transitions, deletes or bulk actions;
* check every HTML answer (:class:`PageChecker`): no HTTP 500; ``<html lang>`` and a
  ``<title>``; Traditional Chinese pages without Simplified-only characters or English
  sentences; English pages without Chinese; no raw internal keys; no UTC offsets or ISO
  timestamps, and ROC dates on Chinese pages; no ``<input type=date>``; a refused form says
  so and keeps the date and number the user typed. A bad submission that is accepted is a
  problem too.

Names of people, agencies and apps, and everything else users typed (case data, comments,
reasons, calendar names), are data: :func:`data_vocabulary` reads them from the database
after seeding and the checks take them out of the text first.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import re
import sys
import time
import traceback
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import hanzidentifier
import jinja2
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict
from werkzeug.routing import BuildError

ROLES = ("staff", "head", "reviewer", "mayor", "itdept", "helpdesk", "officer", "admin")
#: Not logged in: the login page, the redirects to it, error pages.
ANONYMOUS = "anonymous"
LOCALES = ("zh_Hant_TW", "en")
HTML_LANG = {"zh_Hant_TW": "zh-Hant-TW", "en": "en"}
START_PATHS = ("/", "/inbox", "/appgov/", "/admin/")
#: Error pages, asked for on purpose: 404, 404 of a record, 400 of a bad parameter, 405 (a
#: GET of the POST-only logout logs nobody out, nor does one of the POST-only language switch).
ERROR_PATHS = (
    "/no-such-page",
    "/cases/999999",
    "/appgov/apps/999999",
    "/appgov/policy?as_of=31/02/2026",
    "/logout",
    "/locale/xx",
)

#: Never followed: leaving the session, switching the language, static files.
SKIP_PATH = re.compile(r"^/(logout|locale/|static/|admin/static/)|/static/")
#: Never submitted: irreversible or state-changing forms (validation is not what they test).
SKIP_ACTION = re.compile(
    r"^/logout\b|^/locale/|/(?:transition|withdraw|cancel|revoke|archive|delete)\b|/action/|/ajax/"
)

BAD_NUMBER = "abc"
BAD_DATE = "31/02/2026"
BAD_TEXT = "x" * 10_000
BAD_CHOICE = "no-such-choice"

#: Proper nouns and technical words an official reads in English in a Chinese page.
ALLOWED_ENGLISH = (
    "App Store",
    "Google Play",
    "Open Data",
    "Open API",
    # Kaohsiung's directive names the web alternative so (kh_evaluation_plan, KH-EVAL-1 (三))
    "Responsive Web Design",
    "iOS",
    "Android",
    "KPI",
    "NT$",
    "JSON",
    "API",
    "App",
    "app",
    "Email",
    "email",
    "URL",
    # the kinds of file an upload field accepts (appgov_plugin.uploads.KINDS), named so in
    # both languages
    "PDF",
    "PNG",
    "JPEG",
    "ODT",
    "ODS",
    "DOCX",
    "XLSX",
    "ZIP",
    "OpenDocument",
)
# Patterns start at a word's first letter and never backtrack into a word (``*+``): a
# 10,000-letter input shown back is checked in linear time.
_URL_OR_EMAIL = re.compile(
    r"(?:https?://|(?<![\w.])www\.)\S++|(?<![\w.+-])[\w.+-]++@[\w-]++(?:\.[\w-]++)++"
)
_RULE_ID = re.compile(r"\b[A-Z]{2,}(?:-[A-Z0-9]+)+\b")
_ENGLISH_SENTENCE = re.compile(
    r"(?<![A-Za-z'’-])[A-Za-z][A-Za-z'’]*+(?:-[A-Za-z]++)*+"
    r"(?:[ \t\n,;:]++[A-Za-z][A-Za-z'’]*+(?:-[A-Za-z]++)*+){2,}"
)
_CJK = re.compile(
    r"[\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uff60]"
)
_HANZI = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
#: A time with a UTC offset or zone after it: ``07:49:00+00:00``, ``07:49Z``, ``07:49 UTC``.
_UTC_OFFSET = re.compile(r"\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?\s?(?:[+-]\d{2}:?\d{2}|Z|UTC|GMT)\b")
_ISO_TIMESTAMP_US = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}\.\d+")
_ISO_DATE = re.compile(r"(?<![\d-])\d{4}-\d{2}-\d{2}(?![\d-])")
#: A date-format hint: "例", or the ROC form beside the ISO one ("115/11/22 或 2026-11-22").
_FORMAT_EXAMPLE = re.compile(r"例|(?<!\d)1\d\d/\d{1,2}/\d{1,2}(?!\d)")
#: An example in the other language, quoted after 例如 / e.g.: what to type in an English field.
_OTHER_LANGUAGE_EXAMPLE_ZH = re.compile(r"(?<=例如)「[^」]{1,80}」")
_OTHER_LANGUAGE_EXAMPLE_EN = re.compile(r"\be\.g\.,? [\u3400-\u9fff]{1,20}")
_MODULE_NAME = re.compile(r"\b(?:appgov_plugin|appgov|sample_host)\.[a-z_][a-z_.]*[a-z_]")
_LEFTOVER = re.compile(r"%\([a-z_]+\)[sd]|\{\{|\}\}|\{%|%\}|Traceback \(most recent")
_RAW_VALUES = {"None", "null", "True", "False", "[]", "{}", "undefined", "nan", "NaN"}

#: Text-level elements: their text joins the surrounding sentence.
INLINE = frozenset(
    {
        *("a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "dfn", "em", "i", "kbd"),
        *("label", "mark", "q", "s", "samp", "small", "span", "strong", "sub", "sup", "time"),
        *("u", "var"),
    }
)
#: A citizen's name as the pages mask it (王○明, 張○○, 王＊明): data, in any language.
_MASKED_NAME = re.compile(r"\S*[○＊]\S*")
#: The mark of a Chinese part on an English page (appgov_plugin/language_parts.py): read as
#: if it were not there (what the walker checks is the text; the crawl checks the marks).
MARK_ATTRS = {"lang": "zh-Hant-TW"}
#: Elements whose text is not language-checked: code, keyboard and sample output.
CODE = frozenset({"code", "kbd", "samp", "pre"})
INVISIBLE = frozenset({"script", "style", "template", "noscript", "head"})
VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param"}
    | {"source", "track", "wbr"}
)
#: Attributes a reader sees or hears.
READ_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt")
#: Where an admin may see keys: code and small print.
SMALL_PRINT = frozenset({"code", "kbd", "samp", "pre", "small"})
ERROR_MARKERS = re.compile(
    r'class="[^"]*\b(?:invalid-feedback|is-invalid|alert-danger|has-error|help-block|'
    r'text-danger|errors?)\b|role="alert"'
)


# --- what the checks report ------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong on one answer."""

    check: str
    url: str
    role: str
    locale: str
    text: str
    method: str = "GET"
    area: str = "other"

    def __str__(self) -> str:
        return (
            f"[{self.area}] {self.check}: {self.method} {self.url} as {self.role} ({self.locale}):"
            f" {self.text}"
        )


def area_of(url: str, status: int = 200, in_nav: bool = False) -> str:
    """The part of the product a problem belongs to (who fixes it)."""
    path = urlsplit(url).path
    if in_nav:
        return "chrome"
    if path.startswith("/admin/appgov_parameters"):
        return "params"
    if path.startswith("/admin"):
        return "admin" if status < 400 or status == 500 else "chrome"
    if status >= 400 and status != 500:
        return "chrome"
    if path.startswith("/cases/new/appgov_") or path.startswith(("/appgov/kpi", "/appgov/policy")):
        return "rules"
    if path in ("/inbox",) or path.startswith("/cases"):
        return "cases"
    if path in ("/", "/login") or path.startswith("/locale"):
        return "chrome"
    return "other"


# --- reading a page ----------------------------------------------------------------------


@dataclass
class Segment:
    """A run of text a reader sees as one piece (inline elements joined)."""

    text: str
    code: bool = False  # inside <code>/<kbd>/<samp>/<pre>
    other_lang: bool = False  # inside an element whose lang differs from the page's
    small: bool = False  # code or small print (where an admin may see keys)
    nav: bool = False  # inside <nav> (the host's chrome)
    attribute: str | None = None  # the attribute it came from, None for text
    example: bool = False  # a placeholder: examples of what to type


@dataclass
class FormField:
    name: str
    kind: str  # text, number, date, textarea, password, hidden, checkbox, radio, select, ...
    value: str = ""
    checked: bool = False
    options: list[str] = field(default_factory=list)
    multiple: bool = False


@dataclass
class Form:
    action: str
    method: str
    fields: list[FormField] = field(default_factory=list)
    submit: tuple[str, str] | None = None  # first named submit button (name, value)


class PageParser(HTMLParser):
    """Text segments, links, forms, ``<html lang>``, ``<title>`` and date inputs of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lang: str | None = None
        self.title: str | None = None
        self.links: list[str] = []
        self.forms: list[Form] = []
        self.segments: list[Segment] = []
        self.date_inputs: list[str] = []
        self._stack: list[tuple[str, dict, tuple, bool]] = []
        self._buffer: list[str] = []
        self._buffer_flags: tuple | None = None
        self._form: Form | None = None
        self._select: FormField | None = None
        self._textarea: FormField | None = None
        self._in_title = False
        self._title_parts: list[str] = []
        self._in_mark = False  # inside a language mark (it holds text only)

    # the element stack: (tag, attrs, flags, invisible), flags inherited from the parent
    _NO_FLAGS = (False, False, False, False)  # code, other language, small print, in <nav>

    def _push(self, tag: str, attrs: dict) -> None:
        code, other, small, nav = self._flags()
        classes = attrs.get("class", "").split()
        lang = attrs.get("lang")
        flags = (
            code or tag in CODE,
            other or (lang is not None and bool(self.lang) and lang.lower() != self.lang.lower()),
            small or tag in SMALL_PRINT or "small" in classes or "text-muted" in classes,
            nav or tag == "nav",
        )
        invisible = self._invisible() or tag in INVISIBLE or _hidden(attrs)
        self._stack.append((tag, attrs, flags, invisible))

    def _flags(self) -> tuple:
        return self._stack[-1][2] if self._stack else self._NO_FLAGS

    def _invisible(self) -> bool:
        return self._stack[-1][3] if self._stack else False

    def _flush(self) -> None:
        text = " ".join("".join(self._buffer).split())
        if text and self._buffer_flags is not None:
            code, other, small, nav = self._buffer_flags
            self.segments.append(Segment(text, code, other, small, nav))
        self._buffer = []
        self._buffer_flags = None

    def handle_starttag(self, tag, attrs_list):
        attrs = {k: (v if v is not None else "") for k, v in attrs_list}
        if tag == "span" and attrs == MARK_ATTRS:  # appgov_plugin.language_parts: text only
            self._in_mark = True
            return
        if tag == "html":
            self.lang = attrs.get("lang")
        if tag not in INLINE:
            self._flush()
        if tag == "title":
            self._in_title = True
        if tag not in VOID:
            self._push(tag, attrs)
        self._attributes(tag, attrs)
        if tag == "a" and "href" in attrs:
            self.links.append(attrs["href"])
        elif tag == "form":
            self._form = Form(attrs.get("action", ""), attrs.get("method", "get").lower())
            self.forms.append(self._form)
        elif tag == "input":
            self._input(attrs)
        elif tag == "button" and self._form is not None:
            if attrs.get("type", "submit") == "submit" and self._form.submit is None:
                if attrs.get("name"):
                    self._form.submit = (attrs["name"], attrs.get("value", ""))
                else:
                    self._form.submit = ("", "")
        elif tag == "select" and self._form is not None and attrs.get("name"):
            self._select = FormField(attrs["name"], "select", multiple="multiple" in attrs)
            self._form.fields.append(self._select)
        elif tag == "option" and self._select is not None:
            value = attrs.get("value")
            self._select.options.append(value if value is not None else "")
            if "selected" in attrs:
                self._select.value = value or ""
        elif tag == "textarea" and self._form is not None and attrs.get("name"):
            self._textarea = FormField(attrs["name"], "textarea")
            self._form.fields.append(self._textarea)
        if tag == "br":
            self._flush()

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def _attributes(self, tag, attrs) -> None:
        if self._invisible():
            return
        code, other, small, nav = self._flags()
        if attrs.get("lang") and self.lang and attrs["lang"].lower() != self.lang.lower():
            other = True
        for name in READ_ATTRIBUTES:
            value = attrs.get(name)
            if value and value.strip():
                self.segments.append(
                    Segment(
                        " ".join(value.split()),
                        code,
                        other,
                        small,
                        nav,
                        attribute=name,
                        example=name == "placeholder",
                    )
                )
        if tag == "input" and attrs.get("type") in ("submit", "button", "reset"):
            value = attrs.get("value", "")
            if value.strip():
                self.segments.append(Segment(value, code, other, small, nav, attribute="value"))

    def _input(self, attrs) -> None:
        kind = attrs.get("type", "text").lower()
        if kind in ("date", "datetime-local", "month", "week"):
            self.date_inputs.append(attrs.get("name", "?"))
        if self._form is None:
            return
        name = attrs.get("name")
        if kind in ("submit", "image"):
            if self._form.submit is None:
                self._form.submit = (name or "", attrs.get("value", "")) if name else ("", "")
            return
        if not name or kind in ("button", "reset", "file"):
            return
        if kind in ("text", "search", "") and _looks_like_date(name, attrs):
            kind = "date"
        elif kind in ("text", "") and attrs.get("inputmode") in ("numeric", "decimal"):
            kind = "number"
        elif kind in ("datetime-local", "month", "week"):
            kind = "date"
        self._form.fields.append(
            FormField(name, kind, attrs.get("value", ""), checked="checked" in attrs)
        )

    def handle_endtag(self, tag):
        if tag == "span" and self._in_mark:
            self._in_mark = False
            return
        if tag not in INLINE:
            self._flush()
        if tag == "title":
            self._in_title = False
            self.title = " ".join("".join(self._title_parts).split())
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        for index in range(len(self._stack) - 1, -1, -1):
            if self._stack[index][0] == tag:
                del self._stack[index:]
                break

    def handle_data(self, data):
        if self._in_title:
            self._title_parts.append(data)
        if self._textarea is not None:
            self._textarea.value += data
            return
        if self._invisible():
            return
        flags = self._flags()
        if self._buffer_flags is not None and flags != self._buffer_flags and data.strip():
            self._flush()
        if data.strip() or self._buffer:
            if self._buffer_flags is None:
                self._buffer_flags = flags
            self._buffer.append(data)

    def close(self):
        super().close()
        self._flush()


def _hidden(attrs: dict) -> bool:
    """``hidden``, ``aria-hidden``, ``display: none`` or Bootstrap's ``d-none`` (alone)."""
    classes = attrs.get("class", "").split()
    style = attrs.get("style", "").replace(" ", "")
    return (
        "hidden" in attrs
        or attrs.get("aria-hidden") == "true"
        or "display:none" in style
        or ("d-none" in classes and not any(re.fullmatch(r"d-\w+-(?!none)\w+", c) for c in classes))
    )


def _looks_like_date(name: str, attrs: dict) -> bool:
    hint = " ".join(attrs.get(a, "") for a in ("placeholder", "data-role", "data-date-format"))
    return bool(
        re.search(r"date|picker|YYYY|115/|\d{4}-\d{2}-\d{2}", hint)
        or re.search(r"(^|_)(date|day|as_of|effective_from|from|until)($|_)|_on$", name)
    )


def parse_page(text: str) -> PageParser:
    parser = PageParser()
    parser.feed(text)
    parser.close()
    return parser


# --- data and keys from the database -------------------------------------------------------

#: Columns that hold keys, never text for a reader (their values are checked as keys).
KEY_COLUMNS = frozenset(
    {
        "password_hash",
        "code",
        "role",
        "status",
        "type_key",
        "transition",
        "from_state",
        "to_state",
        "agency_code",
        "locale",
        "city",
        "version_num",
    }
)


def _strings(value) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _dict_keys(value) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _dict_keys(item)
    elif isinstance(value, list):
        for item in value:
            yield from _dict_keys(item)


def data_vocabulary(engine) -> tuple[list[str], set[str]]:
    """(text users and seeds typed, longest first; keys found in the data).

    Every string column and every string inside JSON columns of every table: values with
    Chinese or a space are text for readers (names, descriptions, answers, comments,
    reasons); identifiers (``tainan-tourism``, ``in_review``) and the field names of JSON
    case data are keys.
    """
    import json

    metadata = sa.MetaData()
    metadata.reflect(engine)
    words: set[str] = set()
    keys: set[str] = set()
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            columns = [
                c
                for c in table.columns
                if isinstance(c.type, sa.String | sa.Text | sa.JSON)
                or "json" in str(c.type).lower()
            ]
            if not columns:
                continue
            for row in conn.execute(sa.select(*columns)):
                for column, value in zip(columns, row, strict=True):
                    if isinstance(value, str) and value[:1] in "{[":
                        with contextlib.suppress(ValueError):
                            value = json.loads(value)
                    keys.update(k for k in _dict_keys(value) if "_" in k)
                    for text in _strings(value):
                        text = text.strip()
                        if column.name in KEY_COLUMNS:
                            if re.fullmatch(r"[a-z][a-z0-9]*(?:[_-][a-z0-9]+)+", text):
                                keys.add(text)
                        elif len(text) >= 2 and (_CJK.search(text) or " " in text):
                            words.add(" ".join(text.split()))
    return sorted(words, key=len, reverse=True), keys


def internal_keys(app) -> dict[str, set[str]]:
    """Keys of the running product by kind: case types, states, transitions, roles, fields."""
    from appgov_plugin.host.contract import STANDARD_ROLES

    kinds: dict[str, set[str]] = defaultdict(set)
    kinds["role"].update(STANDARD_ROLES)
    host = app.extensions.get("casehost")
    if host is not None:
        for case_type in host.case_types:
            kinds["case type"].add(case_type.key)
            kinds["state"].update(case_type.workflow.states)
            kinds["transition"].update(t.name for t in case_type.workflow.transitions)
    try:
        from appgov_plugin.apps.models import APP_STATUSES

        kinds["app status"].update(APP_STATUSES)
    except ImportError:  # pragma: no cover - appgov not installed
        pass
    return kinds


# --- the checks ----------------------------------------------------------------------------


def _alternation(words: Iterable[str]) -> re.Pattern | None:
    """One pattern for many literal strings, longest first (so the longest one wins)."""
    words = sorted({w for w in words if w}, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, words))) if words else None


_ALLOWED_ENGLISH = re.compile(
    r"(?<![A-Za-z])(?:"
    + "|".join(re.escape(w) for w in sorted(ALLOWED_ENGLISH, key=len, reverse=True))
    + r")(?![A-Za-z])"
)


def _strip_allowed_english(text: str) -> str:
    """``text`` without URLs, e-mail addresses, rule IDs and the allowed proper nouns."""
    if not re.search(r"[A-Za-z]", text):
        return text
    text = _URL_OR_EMAIL.sub(" ", text)
    text = _RULE_ID.sub(" ", text)
    return _ALLOWED_ENGLISH.sub("·", text)


#: Characters of Simplified Chinese that Traditional Chinese does not use (CC-CEDICT).
SIMPLIFIED_ONLY = frozenset(
    set(hanzidentifier.helpers.SIMPLIFIED_CHARACTERS)
    - set(hanzidentifier.helpers.TRADITIONAL_CHARACTERS)
)


def simplified_only(text: str) -> list[str]:
    """Characters of ``text`` that exist in Simplified Chinese only."""
    return sorted(set(text) & SIMPLIFIED_ONLY)


@dataclass
class PageChecker:
    """The checks on every HTML answer, with the data vocabulary and the product's keys."""

    vocabulary: list[str]
    keys: dict[str, set[str]]
    agency_codes: set[str] = field(default_factory=set)
    #: Login names: ``reviewer`` is a username as well as a role key.
    usernames: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._data = _alternation(self.vocabulary)
        # key -> (kind, looks like an identifier: has _ - or .)
        self._keys: dict[str, tuple[str, bool]] = {}
        for kind, values in self.keys.items():
            for key in values:
                if key and key not in self._keys:
                    self._keys[key] = (kind, bool(re.search(r"[_\-.]", key)))
        for code in self.agency_codes:
            self._keys[code] = ("agency code", True)
        words = _alternation(self._keys)
        self._key_pattern = words and re.compile(rf"(?<![\w-])(?:{words.pattern})(?![\w-])")

    def _clean(self, text: str) -> str:
        """``text`` with the data (names, typed text) taken out."""
        return self._data.sub(" ", text) if self._data else text

    def raw_keys(self, text: str, locale: str, on_admin: bool) -> list[tuple[str, str]]:
        """(kind, key) of the internal keys in ``text``."""
        found = []
        for match in self._key_pattern.finditer(text) if self._key_pattern else ():
            key = match.group(0)
            kind, identifier_like = self._keys[key]
            if not identifier_like and (key in self.usernames or locale == "en"):
                continue  # "reviewer" is also a login name; "draft" is English in English
            if kind == "agency code" and on_admin:
                continue  # the administrator's agency list shows the codes as data
            found.append((kind, key))
        return found

    def check(
        self, page: PageParser, url: str, role: str, locale: str, method: str = "GET"
    ) -> list[Problem]:
        problems: list[Problem] = []
        path = urlsplit(url).path
        on_admin = path.startswith("/admin")

        def report(check: str, text: str, segment: Segment | None = None) -> None:
            in_nav = bool(segment and segment.nav)
            problems.append(
                Problem(check, url, role, locale, text, method, area_of(url, 200, in_nav))
            )

        expected = HTML_LANG[locale]
        if page.lang != expected:
            report("html lang", f"<html lang={page.lang!r}>, expected {expected!r}")
        if not page.title:
            report("title", "no <title> or an empty one")
        for name in page.date_inputs:
            report("date input", f"<input type=date> for {name!r} (use TaiwanDateField)")

        title = [Segment(page.title)] if page.title else []
        for segment in title + page.segments:
            raw = segment.text
            text = self._clean(raw)
            shown = _short(raw)
            # language
            if not segment.other_lang and not (segment.code and locale != "en"):
                if locale == "zh_Hant_TW":
                    chars = simplified_only(text)
                    if chars:
                        report("simplified", f"{''.join(chars)} in {shown!r}", segment)
                    text = _OTHER_LANGUAGE_EXAMPLE_ZH.sub("「」", text)
                    english = _ENGLISH_SENTENCE.search(_strip_allowed_english(text))
                    if english and not segment.code:
                        report("english", f"{english.group(0)!r} in {shown!r}", segment)
                elif not segment.code:
                    text = _OTHER_LANGUAGE_EXAMPLE_EN.sub("e.g.", text)
                    text = _MASKED_NAME.sub("", text)  # a citizen's name masked: data
                    runs = re.findall(f"{_CJK.pattern}+", text)
                    if runs:
                        report("chinese", f"{' '.join(dict.fromkeys(runs))} in {shown!r}", segment)
            # keys: nowhere for non-admins; admins in code and small print on admin pages
            if not (on_admin and segment.small) and (role != "admin" or on_admin):
                # a passage in English inside a Chinese page (a form's English preview) is
                # read as English: "approved" there is a word, not the state key
                reading = "en" if segment.other_lang and locale != "en" else locale
                for kind, key in self.raw_keys(text, reading, on_admin):
                    report("raw key", f"{kind} {key!r} in {shown!r}", segment)
                module = _MODULE_NAME.search(text)
                if module:
                    report("raw key", f"module name {module.group(0)!r} in {shown!r}", segment)
            # dates and times
            if _UTC_OFFSET.search(raw):
                report("utc offset", f"{shown!r}", segment)
            if _ISO_TIMESTAMP_US.search(raw):
                report("iso timestamp", f"{shown!r}", segment)
            elif (
                locale == "zh_Hant_TW"
                and not segment.example
                and not _FORMAT_EXAMPLE.search(raw)
                and _ISO_DATE.search(text)
            ):
                report("iso date", f"{_ISO_DATE.search(text).group(0)} in {shown!r}", segment)
            # template leftovers, raw Python values
            leftover = _LEFTOVER.search(raw)
            if leftover:
                report("leftover", f"{leftover.group(0)!r} in {shown!r}", segment)
            if raw.strip() in _RAW_VALUES and segment.attribute is None:
                report("raw value", f"{raw.strip()!r} shown as text", segment)
        return problems


def _short(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- walking -------------------------------------------------------------------------------


def url_pattern(url: str) -> tuple[str, tuple[str, ...]]:
    """(path with numbers as ``#``, sorted query keys with numbers as ``#``)."""
    parts = urlsplit(url)
    path = re.sub(r"\d+", "#", parts.path)
    keys = tuple(sorted({re.sub(r"\d+", "#", k) for k, _ in parse_qsl(parts.query, True)}))
    return path, keys


@dataclass
class WalkResult:
    role: str
    locale: str
    pages: list[tuple[str, str, int]] = field(default_factory=list)  # method, url, status
    problems: list[Problem] = field(default_factory=list)
    #: (local action, form) of every form seen, the skipped ones too (the fuzz test's input)
    forms: list[tuple[str, Form]] = field(default_factory=list)
    seconds: float = 0.0
    cpu_seconds: float = 0.0

    def summary(self) -> str:
        counts = Counter(p.check for p in self.problems)
        return (
            f"{self.role}/{self.locale}: {len(self.pages)} answers in {self.seconds:.1f} s "
            f"({self.cpu_seconds:.1f} s CPU), "
            f"{len(self.problems)} problems {dict(counts)}"
        )


class Walker:
    """Walk one app as one role in one language (``walk``); keeps the checker's data."""

    def __init__(self, app, *, per_pattern: int = 3, per_path: int = 4, max_pages: int = 700):
        self.app = app
        self.per_pattern = per_pattern
        self.per_path = per_path
        self.max_pages = max_pages
        with app.app_context():
            from sample_host.extensions import db

            vocabulary, data_keys = data_vocabulary(db.engine)
            codes = set(db.session.execute(sa.text("select code from host_agency")).scalars())
            # an app's code is shown as such (its Open311 service_code, the mailbox section)
            app_codes = set(db.session.execute(sa.text("select code from appgov_app")).scalars())
            usernames = set(db.session.execute(sa.text("select username from host_user")).scalars())
        keys = internal_keys(app)
        keys["stored key"].update(data_keys - codes - app_codes)
        self.checker = PageChecker(vocabulary, keys, codes, usernames)
        self._urls = app.url_map.bind("localhost")

    # the crawl
    def walk(
        self, role: str, locale: str, also: Iterable[str] = (), submit: bool = True
    ) -> WalkResult:
        """Walk as ``role`` (a demo username or :data:`ANONYMOUS`) in ``locale``, starting
        from :data:`START_PATHS`, :data:`ERROR_PATHS` and the paths in ``also``; with
        ``submit=False`` only crawl (GET) and collect the forms in ``result.forms``."""
        started, cpu = time.monotonic(), time.process_time()
        result = WalkResult(role, locale)
        client = self.app.test_client()
        # the language first, so that the welcome message is in it too
        client.post(f"/locale/{locale}")
        if role != ANONYMOUS:
            response = client.post("/login", data={"username": role, "password": f"demo-{role}"})
            if response.status_code != 302:
                raise AssertionError(f"{role} could not log in: HTTP {response.status_code}")
        queue: list[str] = [*START_PATHS, *ERROR_PATHS, *also]
        if role == ANONYMOUS:
            queue.insert(0, "/login")
        if role == "admin":
            queue += self.admin_urls()
        seen: set[str] = set()
        per_pattern: Counter = Counter()
        per_path: Counter = Counter()
        posted: set[tuple] = set()
        while queue and len(result.pages) < self.max_pages:
            url = queue.pop(0)
            if url in seen:
                continue
            endpoint, keys = self.endpoint_pattern(url)
            if url not in ERROR_PATHS:  # the error pages do not use up their endpoint's share
                if (
                    per_pattern[(endpoint, keys)] >= self.per_pattern
                    or per_path[endpoint] >= self.per_path
                ):
                    continue
                per_pattern[(endpoint, keys)] += 1
                per_path[endpoint] += 1
            seen.add(url)
            response = self._request(client, "GET", url, None, role, locale, result)
            if response is None:
                continue
            page = self._answer(response, url, role, locale, "GET", result)
            location = response.headers.get("Location")
            if location and 300 <= response.status_code < 400:
                target = _local(location, url)
                if target:
                    queue.append(target)
            if page is None:
                continue
            for href in page.links:
                target = _local(href, url)
                if target and target not in seen:
                    queue.append(target)
            for form in page.forms:
                action = _local(form.action or url, url, allow_skipped=True)
                if action:
                    result.forms.append((action, form))
                if not submit or not action or SKIP_ACTION.search(urlsplit(action).path):
                    continue
                signature = (
                    form.method,
                    self.endpoint_pattern(action),
                    tuple(f.name for f in form.fields),
                )
                if signature in posted:
                    continue
                posted.add(signature)
                for mode in ("empty", "bad"):
                    self._submit(client, form, action, mode, role, locale, result)
        result.seconds = time.monotonic() - started
        result.cpu_seconds = time.process_time() - cpu
        return result

    def endpoint_pattern(self, url: str) -> tuple[str, tuple[str, ...]]:
        """(the Flask endpoint answering ``url`` -- or its path with numbers as ``#`` --, the
        sorted query keys with numbers as ``#``): the unit of "a few URLs per pattern"."""
        path, keys = url_pattern(url)
        if path.startswith("/cases/new/"):  # each case type's new case: a form of its own
            return path, keys
        try:
            endpoint, _ = self._urls.match(urlsplit(url).path, method="GET")
        except Exception:  # 404, 405, redirects: the path pattern stands for itself
            endpoint = path
        return endpoint, keys

    def admin_urls(self) -> list[str]:
        """List, create form, edit form and details of an existing row, for every view."""
        from flask_admin.contrib.sqla import ModelView

        from sample_host.extensions import db

        urls: list[str] = []
        with self.app.test_request_context():
            from flask import url_for

            for admin in self.app.extensions.get("admin", []):
                for view in admin._views:
                    endpoint = view.endpoint
                    if not isinstance(view, ModelView):
                        with contextlib.suppress(BuildError):  # a view without an index page
                            urls.append(url_for(f"{endpoint}.index"))
                        continue
                    urls.append(url_for(f"{endpoint}.index_view"))
                    if view.can_create:
                        urls.append(url_for(f"{endpoint}.create_view"))
                    row = db.session.scalars(sa.select(view.model).limit(1)).first()
                    if row is None:
                        continue
                    pk = view.get_pk_value(row)
                    if view.can_edit:
                        urls.append(url_for(f"{endpoint}.edit_view", id=pk))
                    if view.can_view_details:
                        urls.append(url_for(f"{endpoint}.details_view", id=pk))
        return urls

    def _request(self, client, label, url, data, role, locale, result):
        """The answer, or None after recording an exception the app let through (TESTING)."""
        try:
            response = client.post(url, data=MultiDict(data)) if data else client.get(url)
        except Exception as exc:
            result.pages.append((label, url, 500))
            where = traceback.extract_tb(exc.__traceback__)[-1]
            result.problems.append(
                Problem(
                    "http 500",
                    url,
                    role,
                    locale,
                    f"{type(exc).__name__}: {_short(str(exc))} "
                    f"({Path(where.filename).name}:{where.lineno})",
                    label,
                    area_of(url, 500),
                )
            )
            return None
        result.pages.append((label, url, response.status_code))
        return response

    def _answer(self, response, url, role, locale, method, result) -> PageParser | None:
        status = response.status_code
        if status >= 500:
            text = response.get_data(as_text=True)
            result.problems.append(
                Problem(
                    "http 500",
                    url,
                    role,
                    locale,
                    f"HTTP {status}: {_short(_error_line(text))}",
                    method,
                    area_of(url, 500),
                )
            )
        if not response.content_type.startswith("text/html") or 300 <= status < 400:
            return None
        page = parse_page(response.get_data(as_text=True))
        for problem in self.checker.check(page, url, role, locale, method):
            if status >= 400 and problem.area != "chrome":
                problem = Problem(**{**problem.__dict__, "area": "chrome"})
            result.problems.append(problem)
        return page

    def _submit(self, client, form: Form, action, mode, role, locale, result) -> None:
        data: list[tuple[str, str]] = []
        typed: dict[str, str] = {}
        for f in form.fields:
            value = _value_for(f, mode)
            if value is None:
                continue
            data.append((f.name, value))
            if mode == "bad" and f.kind in ("date", "number"):
                typed[f.name] = value
        if form.submit and form.submit[0]:
            data.append(form.submit)
        label = f"{form.method.upper()} {mode}"
        if form.method == "post":
            url = action
            response = self._request(client, label, url, data, role, locale, result)
        else:
            query = urlencode(list(parse_qsl(urlsplit(action).query)) + data)
            url = urlsplit(action).path + ("?" + query if query else "")
            response = self._request(client, label, url, None, role, locale, result)
        if response is None:
            return
        page = self._answer(response, url, role, locale, label, result)
        if form.method != "post" or response.status_code >= 400:
            return
        if not [f for f in form.fields if f.kind not in ("hidden", "checkbox", "radio")]:
            return  # nothing to fill in: a button, not a form
        location = response.headers.get("Location", "")
        if 300 <= response.status_code < 400:
            if "/login" not in location:
                result.problems.append(
                    Problem(
                        "accepted",
                        action,
                        role,
                        locale,
                        f"{mode} submission accepted (redirected to {location})",
                        label,
                        area_of(action),
                    )
                )
            return
        if page is None:
            return
        body = response.get_data(as_text=True)
        if not ERROR_MARKERS.search(body):
            result.problems.append(
                Problem(
                    "accepted",
                    action,
                    role,
                    locale,
                    f"{mode} submission answered without an error message",
                    label,
                    area_of(action),
                )
            )
            return
        # the typed date and number are shown back in their inputs
        again = {f.name: f for refreshed in page.forms for f in refreshed.fields}
        for name, value in typed.items():
            shown = again.get(name)
            if shown is not None and shown.kind != "select" and shown.value != value:
                result.problems.append(
                    Problem(
                        "typed value lost",
                        action,
                        role,
                        locale,
                        f"{name!r}: typed {value!r}, shown {shown.value!r}",
                        label,
                        area_of(action),
                    )
                )


def _value_for(f: FormField, mode: str) -> str | None:
    if f.kind == "hidden":
        return f.value
    if f.kind in ("checkbox", "radio"):
        return ("on" if f.kind == "checkbox" else BAD_CHOICE) if mode == "bad" else None
    if f.kind == "select":
        if mode == "bad":
            return BAD_CHOICE
        return f.options[0] if f.options else ""
    if mode == "empty":
        return ""
    if f.kind == "number":
        return BAD_NUMBER
    if f.kind == "date":
        return BAD_DATE
    return BAD_TEXT


def _local(href: str, base: str, allow_skipped: bool = False) -> str | None:
    """``href`` as a local path + query (fragment dropped), None for other sites and skips."""
    href = html.unescape(href.strip())
    if not href or href.startswith(("#", "javascript:", "mailto:", "tel:", "data:")):
        return None if href.startswith(("javascript:", "mailto:", "tel:", "data:")) else base
    absolute = urljoin("http://localhost" + base, href)
    parts = urlsplit(absolute)
    if parts.netloc != "localhost":
        return None
    if not allow_skipped and SKIP_PATH.search(parts.path):
        return None
    return parts.path + ("?" + parts.query if parts.query else "")


def _error_line(text: str) -> str:
    lines = [line.strip() for line in re.sub(r"<[^>]+>", "\n", text).splitlines() if line.strip()]
    errors = [line for line in lines if "Error" in line or "Exception" in line]
    return (errors[-1] if errors else (lines[0] if lines else "")).strip()


# --- the command-line report ---------------------------------------------------------------


def open_draft_copies(app) -> int:
    """A draft copy of every demo case (same type, agency, owner and answers): cases still
    being written, so that the walk reaches their edit and withdraw pages. Returns how many."""
    from sample_host.cases import open_case
    from sample_host.extensions import db
    from sample_host.models import Case

    with app.app_context():
        cases = db.session.scalars(sa.select(Case).order_by(Case.id)).all()
        for case in cases:
            open_case(case.type_key, case.agency.code, case.owner.username, dict(case.data))
        db.session.commit()
        return len(cases)


class SharedTemplateCache(jinja2.BytecodeCache):
    """Compiled templates shared by every app a run makes (keyed by name and source checksum,
    so an edited template is compiled again): each walk's new app skips Jinja's compiler."""

    def __init__(self) -> None:
        self._store: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        code = self._store.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket) -> None:
        self._store[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CACHE = SharedTemplateCache()


def make_demo_app(database_url: str, instance_path: str, profile: str = "tainan"):
    """A sample host for walking: demo data, CSRF off, cheap password hashes."""
    from sample_host import create_app

    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "walk",
            "WTF_CSRF_ENABLED": False,
            "INSTANCE_PATH": instance_path,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "APPGOV_PROFILE": profile,
        }
    )
    app.jinja_env.bytecode_cache = TEMPLATE_CACHE
    return app


AREAS = ("chrome", "cases", "admin", "params", "rules", "other")


def grouped(problems: Iterable[Problem]) -> list[tuple[str, str, str, list[str], list[str]]]:
    """(area, check, text, where, who): one entry per distinct problem text."""
    groups: dict[tuple, tuple[set, set]] = defaultdict(lambda: (set(), set()))
    for p in problems:
        where, who = groups[(p.area, p.check, p.text)]
        where.add(f"{p.method} {url_pattern(p.url)[0]}")
        who.add(f"{p.role}/{'en' if p.locale == 'en' else 'zh'}")
    order = {area: index for index, area in enumerate(AREAS)}
    return [
        (area, check, text, sorted(where), sorted(who))
        for (area, check, text), (where, who) in sorted(
            groups.items(), key=lambda item: (order.get(item[0][0], 99), item[0][1:])
        )
    ]


def _listed(items: list[str], limit: int) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def format_problems(problems: Iterable[Problem], limit: int = 60) -> str:
    """The assertion message: one line per distinct problem, where and as whom."""
    entries = grouped(problems)
    lines = [
        f"[{area}] {check}: {text}\n    at {_listed(where, 4)} as {_listed(who, 8)}"
        for area, check, text, where, who in entries[:limit]
    ]
    if len(entries) > limit:
        lines.append(f"... and {len(entries) - limit} more distinct problems")
    return "\n".join(lines)


def markdown_report(results: list[WalkResult]) -> str:
    """Problems grouped by area, then check, with URLs, roles, locales and the text."""
    lines = []
    current = None
    for area, check, text, where, who in grouped(p for r in results for p in r.problems):
        if area != current:
            lines.append(f"\n## {area}\n")
            current = area
        where_text = _listed([f"`{w}`" for w in where], 6)
        lines.append(f"- **{check}**: {text} -- {where_text} -- as {_listed(who, 16)}")
    return "\n".join(lines).strip() + "\n"


def main(argv: list[str] | None = None) -> int:
    import contextlib
    import io
    import os
    import shutil
    import tempfile

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # sample_host, from the checkout
    from sample_host.extensions import db

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--roles", default=",".join((ANONYMOUS, *ROLES)))
    parser.add_argument("--locales", default=",".join(LOCALES))
    parser.add_argument("--profile", default="tainan")
    parser.add_argument(
        "--database-url",
        help="one database for every walk (default: a copy of a new SQLite demo database each)",
    )
    args = parser.parse_args(argv)
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("SECRET_KEY", None)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        seed = Path(tmp) / "seed.sqlite"
        if not args.database_url:
            with contextlib.redirect_stdout(io.StringIO()):  # the demo logins
                app = make_demo_app(f"sqlite:///{seed}", f"{tmp}/instance", args.profile)
            open_draft_copies(app)
            with app.app_context():
                db.engine.dispose()
        shared = None
        for role in args.roles.split(","):
            for locale in args.locales.split(","):
                if args.database_url:
                    if shared is None:
                        with contextlib.redirect_stdout(io.StringIO()):
                            app = make_demo_app(args.database_url, f"{tmp}/instance", args.profile)
                        open_draft_copies(app)
                        shared = Walker(app)
                    walker = shared
                else:
                    copy = Path(tmp) / f"{role}-{locale}.sqlite"
                    shutil.copy(seed, copy)
                    walker = Walker(make_demo_app(f"sqlite:///{copy}", f"{tmp}/instance"))
                result = walker.walk(role, locale)
                print(result.summary(), file=sys.stderr)
                results.append(result)
                if walker is not shared:
                    with walker.app.app_context():
                        db.engine.dispose()
    print(markdown_report(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
