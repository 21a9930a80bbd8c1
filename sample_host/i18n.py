"""Languages: Flask-Babel set-up, the locale selector and the ``POST /locale/<code>`` switch.

Traditional Chinese (Taiwan) is the default; English is the second language. The choice is
kept in the session and, for a logged-in user, on the user.
"""

from __future__ import annotations

from pathlib import Path

import flask_babel
from flask import Blueprint, abort, has_request_context, redirect, request, session
from flask_babel import Babel, get_locale, gettext
from flask_login import current_user

from .auth import safe_next_url
from .extensions import db

SUPPORTED_LOCALES: tuple[str, ...] = ("zh_Hant_TW", "en")
#: Each language named in itself, for the language switch.
LOCALE_NAMES = {"zh_Hant_TW": "中文", "en": "English"}
#: Primary language subtag of an Accept-Language entry -> supported locale.
_ACCEPT_LANGUAGE_MATCHES = {"zh": "zh_Hant_TW", "en": "en"}
TRANSLATIONS_DIR = Path(__file__).with_name("translations")

bp = Blueprint("i18n", __name__)


def init_babel(app, plugin_catalogs: list[tuple[str, str]]) -> Babel:
    """Set up a Flask-Babel instance for ``app`` with the host's and the plug-ins' catalogs.

    ``plugin_catalogs`` is what :func:`appgov_plugin.host.manager.collect_translation_dirs`
    returned. Flask-Babel merges the catalogs in order and a later one wins, so the plug-ins'
    pairs go first in ``BABEL_TRANSLATION_DIRECTORIES`` / ``BABEL_DOMAIN`` and the host's own
    last: a plug-in never rewords the host.
    """
    host_dirs = app.config.get("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS_DIR))
    host_dirs = host_dirs.split(";")
    host_domains = app.config.get("BABEL_DOMAIN", "messages").split(";")
    if len(host_domains) == 1:
        host_domains *= len(host_dirs)
    directories = [directory for directory, _ in plugin_catalogs] + host_dirs
    domains = [domain for _, domain in plugin_catalogs] + host_domains
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(directories)
    app.config["BABEL_DOMAIN"] = ";".join(domains)
    babel = Babel(app, locale_selector=select_locale)
    app.register_blueprint(bp)
    app.context_processor(_language_context)
    return babel


def select_locale() -> str | None:
    """Session choice, else the user's saved choice, else Accept-Language, else the default."""
    if not has_request_context():
        return None
    chosen = session.get("locale")
    if chosen in SUPPORTED_LOCALES:
        return chosen
    if current_user.is_authenticated and current_user.locale in SUPPORTED_LOCALES:
        return current_user.locale
    for tag, _quality in request.accept_languages:
        match = _ACCEPT_LANGUAGE_MATCHES.get(tag.replace("_", "-").split("-")[0].lower())
        if match:
            return match
    return None


def _language_context() -> dict:
    return {"host_locale": str(get_locale()), "host_locale_names": LOCALE_NAMES}


@bp.route("/locale/<code>", methods=["POST"])
def switch_locale(code: str):
    """Switch the language, then go back to the local ``next`` page (or home).

    POST only, with the CSRF token of the layout's language form: the choice is stored (in
    the session and on the user), so another site must not make it with a link or an image.
    """
    if code not in SUPPORTED_LOCALES:
        abort(
            400,
            description=gettext(
                "Unknown language code %(code)r. Supported languages: %(supported)s.",
                code=code,
                supported=", ".join(SUPPORTED_LOCALES),
            ),
        )
    session["locale"] = code
    if current_user.is_authenticated:
        current_user.locale = code
        db.session.commit()
    flask_babel.refresh()
    return redirect(safe_next_url(request.form.get("next") or request.args.get("next")))
