"""``AppGov``: embed the plug-in in an existing Flask app without a pluggy host.

Follows the Flask extension pattern: ``AppGov(app, db=db, admin=admin, agencies=...)`` or
``appgov = AppGov(); appgov.init_app(app, db=db, admin=admin, agencies=...)``. ``agencies``
plays the contract's ``casehost_agencies``: a list (or a callable returning one) of the
intranet's agencies, each ``(code, name_zh, name_en)`` or an object with those attributes.
The extension plays host for appgov alone, running the same case-host hook implementations a
pluggy host runs, so both integration paths install the same blueprints, admin views, CLI and
case types, and the same refusal of control characters in appgov's pages and admin views
(:mod:`appgov_plugin.safe_input`; the intranet's own pages are its own business).
State lives in ``app.extensions["appgov"]``.
"""

from __future__ import annotations

from flask_babel import Babel

from .host import plugin as host_plugin
from .host.manager import get_host_plugin_manager, install_plugins
from .i18n import DEFAULT_LOCALE, SUPPORTED_LOCALES
from .state import AppGovState


class AppGov:
    def __init__(self, app=None, *, db=None, admin=None, agencies=None):
        self._db, self._admin, self._agencies = db, admin, agencies
        if app is not None:
            self.init_app(app, db=db, admin=admin, agencies=agencies)

    def init_app(self, app, *, db=None, admin=None, agencies=None) -> AppGovState:
        db = db if db is not None else self._db
        admin = admin if admin is not None else self._admin
        agencies = agencies if agencies is not None else self._agencies
        if "appgov" in app.extensions:
            raise RuntimeError("appgov is already set up on this application")
        if getattr(app, "login_manager", None) is None:
            raise RuntimeError(
                "appgov's pages need Flask-Login: set up a LoginManager on the app first"
            )
        if "babel" not in app.extensions:
            app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
            Babel(app, locale_selector=current_locale_selector)
        pm = get_host_plugin_manager(load_entrypoints=False, plugins=[host_plugin])
        contributions = install_plugins(app, db, admin, pm)
        state = app.extensions["appgov"]
        state.case_types = contributions.case_types
        state.agency_source = agencies
        if app.config["APPGOV_AUTO_UPGRADE"]:
            with app.app_context():
                pm.hook.casehost_upgrade_schema(app=app, db=db)
        return state


def current_locale_selector():
    """Locale for hosts without Flask-Babel: the best of the request's Accept-Language."""
    from flask import has_request_context, request

    if not has_request_context():
        return None  # the default locale (CLI, background work)
    return request.accept_languages.best_match(SUPPORTED_LOCALES, DEFAULT_LOCALE)


__all__ = ["AppGov"]
