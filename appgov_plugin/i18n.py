"""appgov's own translation domain, locale helpers and ROC dates (TIME-5).

Python code and WTForms labels use ``_`` / ``_l`` from here (domain ``appgov``, catalogs in
the installed ``appgov_plugin/translations``), so the plug-in is translated whatever the
host's own Flask-Babel set-up is.
"""

from __future__ import annotations

import datetime as dt
from importlib import resources

import flask_babel
from babel import Locale, UnknownLocaleError
from babel.support import Translations
from flask_babel import Domain, get_locale
from wtforms.i18n import messages_path

DOMAIN = "appgov"
DEFAULT_LOCALE = "zh_Hant_TW"
SUPPORTED_LOCALES: tuple[str, ...] = ("zh_Hant_TW", "en")


def translations_dir() -> str:
    """Directory holding ``<locale>/LC_MESSAGES/appgov.mo`` inside the installed package."""
    return str(resources.files("appgov_plugin.translations"))


domain = Domain(translation_directories=[translations_dir()], domain=DOMAIN)
_ = gettext = domain.gettext
_l = lazy_gettext = domain.lazy_gettext
ngettext = domain.ngettext


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


def format_date(day: dt.date | None, locale: str | None = None) -> str:
    """TIME-5: ROC calendar in zh_Hant_TW (民國 115 年 11 月 22 日), ISO date in en."""
    if day is None:
        return ""
    if (locale or current_locale()) == "zh_Hant_TW":
        roc_year = day.year - 1911
        if roc_year < 1:
            return day.isoformat()
        return f"民國 {roc_year} 年 {day.month} 月 {day.day} 日"
    return day.isoformat()
