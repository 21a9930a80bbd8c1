"""Translations: appgov's domain, WTForms' Traditional Chinese, locales, ROC dates (TIME-5)."""

from __future__ import annotations

import datetime as dt
import io
from importlib import resources
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask import Flask
from flask_babel import Babel, force_locale

from appgov_plugin.forms import builder
from appgov_plugin.i18n import SUPPORTED_LOCALES, _, format_date, parse_locale


@pytest.fixture
def babel_app():
    app = Flask(__name__)
    app.config.update(SECRET_KEY="t", WTF_CSRF_ENABLED=False, BABEL_DEFAULT_LOCALE="zh_Hant_TW")
    Babel(app)
    return app


def _key(value):
    """A message id or string as comparable data: a plural's forms as a tuple."""
    return value if isinstance(value, str) else tuple(value)


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_compiled_catalogs_match_their_sources(locale):
    root = Path(str(resources.files("appgov_plugin.translations")))
    po = read_po((root / locale / "LC_MESSAGES" / "appgov.po").open("rb"), locale=locale)
    mo = read_mo((root / locale / "LC_MESSAGES" / "appgov.mo").open("rb"))
    translated = {_key(m.id): _key(m.string) for m in po if m.id and m.string and not m.fuzzy}
    assert {_key(m.id): _key(m.string) for m in mo if m.id} == translated, "run pybabel compile"
    assert all(m.string for m in po if m.id), f"{locale}: untranslated messages"


def test_catalog_template_covers_every_source_message():
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    repo = Path(__file__).resolve().parents[1]
    method_map, options_map = parse_mapping_cfg(io.StringIO((repo / "babel.cfg").read_text()))
    keywords = {"_": None, "_l": None, "gettext": None, "lazy_gettext": None, "ngettext": (1, 2)}
    source = {
        msg if isinstance(msg, str) else msg[0]
        for _f, _l, msg, _c, _ctx in extract_from_dir(
            str(repo), method_map, options_map, keywords=keywords
        )
    }
    template = {
        _key(m.id)[0] if not isinstance(m.id, str) else m.id
        for m in read_po((repo / "translations/appgov.pot").open("rb"))
        if m.id
    }
    assert source - template == set(), "run pybabel extract + update"


def test_babel_cfg_reads_every_template_of_every_capability():
    # a capability's templates (apps/templates/..., rulebook/templates/...) are extracted
    # like the shared ones: a template no mapping reads would lose its translations
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    repo = Path(__file__).resolve().parents[1]
    method_map, options_map = parse_mapping_cfg(io.StringIO((repo / "babel.cfg").read_text()))
    read = {filename for filename, *_rest in extract_from_dir(str(repo), method_map, options_map)}
    package = repo / "appgov_plugin"
    templates = {str(path.relative_to(repo)) for path in package.rglob("templates/**/*.html")}
    missing = {t for t in templates if t not in read and "_(" in (repo / t).read_text()}
    assert missing == set()


def test_appgov_strings_follow_the_request_locale(babel_app):
    with babel_app.test_request_context():
        assert _("Apps") == "App 清單"
        with force_locale("en"):
            assert _("Apps") == "Apps"


def test_wtforms_messages_are_traditional_not_simplified(babel_app):
    form_class = builder.load("app_proposal").form_class
    with babel_app.test_request_context(method="POST", data={}):
        form = form_class()
        assert not form.validate()
        message = form.app_name.errors[0]
        assert message == "此欄位是必需的。"  # WTForms' zh_TW catalog, not zh's 该字段是必填字段。
        with force_locale("en"):
            form = form_class()
            form.validate()
            assert form.app_name.errors[0] == "This field is required."


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("zh_Hant_TW", "zh_Hant_TW"),
        ("zh-TW", "zh_Hant_TW"),
        ("zh_Hant", "zh_Hant_TW"),
        ("en", "en"),
        ("en_US", "en"),
    ],
)
def test_locale_codes_normalise(code, expected):
    assert parse_locale(code) == expected


@pytest.mark.parametrize("code", ["xx", "zh_CN", "zh_Hans", "", "fr"])
def test_unknown_locale_is_named(code):
    with pytest.raises(ValueError, match=f"unsupported locale {code!r}; supported: zh_Hant_TW, en"):
        parse_locale(code)


def test_dates_show_in_the_roc_calendar_in_chinese_and_iso_in_english():
    # rule TIME-5
    assert format_date(dt.date(2026, 11, 22), "zh_Hant_TW") == "民國 115 年 11 月 22 日"
    assert format_date(dt.date(2026, 11, 22), "en") == "2026-11-22"
