"""appgov's own translation domain, locale helpers and ROC dates (TIME-5).

Python code and WTForms labels use ``_`` / ``_l`` from here (domain ``appgov``, catalogs in
the installed ``appgov_plugin/translations``), so the plug-in is translated whatever the
host's own Flask-Babel set-up is.
"""

from __future__ import annotations

import datetime as dt
import re
from importlib import resources

import flask_babel
from babel import Locale, UnknownLocaleError, numbers
from babel.support import Translations
from flask_babel import Domain, get_locale
from wtforms.i18n import messages_path

from .clock import TAIPEI

DOMAIN = "appgov"
DEFAULT_LOCALE = "zh_Hant_TW"
SUPPORTED_LOCALES: tuple[str, ...] = ("zh_Hant_TW", "en")


def translations_dir() -> str:
    """Directory holding ``<locale>/LC_MESSAGES/appgov.mo`` inside the installed package."""
    return str(resources.files("appgov_plugin.translations"))


class _Domain(Domain):
    """Flask-Babel's domain, answering the catalog of the locale it last answered for
    without a lookup: a page asks for appgov's catalog for every text it shows (fifty times
    a page and more), and each lookup formats the locale's name for its cache key. The
    locale is the request's (or the one ``force_locale`` set), compared by identity."""

    _last: tuple[object, Translations] | None = None

    def get_translations(self):
        locale = get_locale()
        last = self._last
        if last is not None and locale is not None and last[0] is locale:
            return last[1]
        translations = super().get_translations()
        if locale is not None:
            self._last = (locale, translations)
        return translations


domain = _Domain(translation_directories=[translations_dir()], domain=DOMAIN)
_ = gettext = domain.gettext
_l = lazy_gettext = domain.lazy_gettext
ngettext = domain.ngettext


class lazy_plural:  # a lower-case name: used like lazy_gettext, extracted like ngettext
    """A lazy plural text: ``lazy_plural("%(num)d open item", "%(num)d open items")``.

    Translated when formatted, ``text % {"num": 3}``, in the request's language and with its
    plural form (``ngettext``): the host's navigation formats a badge's words this way
    (``casehost_nav_links``' ``badge_label``). Extract with the keyword ``lazy_plural:1,2``.
    """

    def __init__(self, singular: str, plural: str):
        self.singular, self.plural = singular, plural

    def __mod__(self, variables: dict) -> str:
        others = {name: value for name, value in variables.items() if name != "num"}
        return domain.ngettext(self.singular, self.plural, variables["num"], **others)

    def __repr__(self) -> str:
        return f"lazy_plural({self.singular!r}, {self.plural!r})"


def template_gettext(string: str, **variables) -> str:
    """``_`` in appgov's templates: the ``appgov`` domain first, else the host's own catalog
    (a host layout that appgov's pages extend keeps its own wording)."""
    translated = domain.gettext(string, **variables)
    if translated == (string % variables if variables else string):
        return flask_babel.gettext(string, **variables)
    return translated


def parse_locale(code: str) -> str:
    """Normalise a locale code to a supported one, or raise ``ValueError`` naming it."""
    try:
        wanted = Locale.parse(code.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        wanted = None
    if wanted is not None:
        for supported in SUPPORTED_LOCALES:
            have = Locale.parse(supported)
            if wanted.language != have.language:
                continue
            if (
                have.language != "zh"
                or wanted.script == "Hant"
                or (wanted.script is None and wanted.territory in (None, "TW", "HK", "MO"))
            ):
                return supported
    raise ValueError(f"unsupported locale {code!r}; supported: {', '.join(SUPPORTED_LOCALES)}")


def current_locale() -> str:
    """The request's locale as one of :data:`SUPPORTED_LOCALES` (default outside requests)."""
    loc = get_locale()
    if loc is None:
        return DEFAULT_LOCALE
    try:
        return parse_locale(str(loc))
    except ValueError:
        return DEFAULT_LOCALE


# WTForms ships zh_TW (Traditional) and zh (Simplified). Babel's "zh_Hant_TW" would fall
# back to the Simplified catalog, so map our locales to WTForms' own names explicitly.
_WTFORMS_LOCALE = {"zh_Hant_TW": "zh_TW", "en": "en"}
_wtforms_cache: dict[str, Translations] = {}


def wtforms_translations(locale: str | None = None) -> Translations:
    """WTForms' built-in messages for ``locale`` (default: the request's), Traditional for zh."""
    code = _WTFORMS_LOCALE[locale or current_locale()]
    if code not in _wtforms_cache:
        _wtforms_cache[code] = Translations.load(messages_path(), [code], domain="wtforms")
    return _wtforms_cache[code]


# -- TIME-5: Taiwan's time zone, ROC dates in zh_Hant_TW, ISO dates in en ----------------

_ROC_DATE = re.compile(r"(\d{1,3})/(\d{1,2})/(\d{1,2})")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def local_datetime(value: dt.datetime) -> dt.datetime:
    """``value`` in Asia/Taipei (TIME-5); a naive datetime is taken as UTC (how it is stored)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(TAIPEI)


def _day(value: dt.date | dt.datetime) -> dt.date:
    return local_datetime(value).date() if isinstance(value, dt.datetime) else value


def format_date(
    value: dt.date | dt.datetime | None, locale: str | None = None, style: str = "long"
) -> str:
    """TIME-5: the ROC calendar in zh_Hant_TW, the ISO date in en.

    ``style="long"`` (text): 民國 115 年 11 月 22 日; ``style="short"`` (tables, inputs):
    115/11/22. A datetime is first moved to Taipei, so an event at 23:49 UTC is dated the
    next day, as a Taipei official reads it.
    """
    if value is None:
        return ""
    day = _day(value)
    if (locale or current_locale()) != "zh_Hant_TW" or day.year < 1912:
        return day.isoformat()
    roc_year = day.year - 1911
    if style == "short":
        return f"{roc_year}/{day.month:02d}/{day.day:02d}"
    return f"民國 {roc_year} 年 {day.month} 月 {day.day} 日"


def format_datetime(
    value: dt.datetime | None, locale: str | None = None, style: str = "long"
) -> str:
    """TIME-5: a timestamp in Taipei time, to the minute: 民國 115 年 11 月 23 日 07:49 (zh,
    ``style="short"``: 115/11/23 07:49), 2026-11-23 07:49 (en)."""
    if value is None:
        return ""
    local = local_datetime(value)
    return f"{format_date(local.date(), locale, style)} {local:%H:%M}"


def parse_date(text: str) -> dt.date:
    """A typed date: ROC ``115/11/22`` or ISO ``2026-11-22`` (TIME-5).

    Anything else raises ``ValueError`` with a message (in the request's language) that
    names the value and both accepted forms.
    """
    value = (text or "").strip()
    roc = _ROC_DATE.fullmatch(value)
    iso = _ISO_DATE.fullmatch(value)
    try:
        if roc:
            year, month, day = (int(part) for part in roc.groups())
            if year < 1:
                raise ValueError(value)
            return dt.date(year + 1911, month, day)
        if iso:
            return dt.date(*(int(part) for part in iso.groups()))
    except ValueError:
        pass
    raise ValueError(
        gettext(
            "“%(value)s” is not a date. Write it as 115/11/22 (ROC year) or 2026-11-22.",
            value=value,
        )
    )


def format_number(value, locale: str | None = None) -> str:
    """A number with the locale's thousands separators (1,860,000)."""
    if value is None:
        return ""
    return numbers.format_decimal(value, locale=_babel_locale(locale))


def format_money(value, locale: str | None = None) -> str:
    """New Taiwan dollars, whole dollars: NT$3,200,000 in both languages."""
    if value is None:
        return ""
    return numbers.format_currency(
        value, "TWD", format="NT$#,##0", currency_digits=False, locale=_babel_locale(locale)
    )


def _babel_locale(locale: str | None) -> str:
    return locale or current_locale()
