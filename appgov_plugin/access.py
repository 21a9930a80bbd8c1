"""Who may see what (the host's logged-in user and its contract role) and which agencies
there are (the host's, through ``casehost_agencies`` or ``AppGov(agencies=...)``).

appgov's records (the app registry) follow the host's reading scope:

* the administrator (the host's ``is_admin``) sees every agency's records;
* ``agency_staff`` and ``agency_head`` their own agency's;
* every other role (reviewer, mayor, IT department, helpdesk) the records of the agencies
  of its city -- the city of the user's own agency, as the host's agency list names it.
  A user without an agency, or whose agency carries no city, sees their own agency's
  records at most (least privilege).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from flask import abort, current_app, g, has_request_context
from flask_login import current_user

from .i18n import current_locale
from .state import get_state

log = logging.getLogger(__name__)


#: Roles that see their own agency's records only; every other role sees its city's.
AGENCY_ROLES = frozenset({"agency_staff", "agency_head"})


def is_admin() -> bool:
    """Whether the logged-in user administers appgov: the host's own rule when appgov runs
    in a case host (``app.extensions["casehost"].is_admin``, the contract's admin check),
    else (``AppGov(app)`` in a plain Flask app) a role in ``APPGOV_ADMIN_ROLES``."""
    if not (current_user and current_user.is_authenticated):
        return False
    host_rule = getattr(current_app.extensions.get("casehost"), "is_admin", None)
    if callable(host_rule):
        user = getattr(current_user, "_get_current_object", lambda: current_user)()
        return bool(host_rule(user))
    return getattr(current_user, "role", None) in current_app.config["APPGOV_ADMIN_ROLES"]


def visible_agency_codes() -> set[str] | None:
    """Codes of the agencies whose records the user sees; ``None`` means all (the
    administrator). See the module's docstring."""
    if is_admin():
        return None
    if not (current_user and current_user.is_authenticated):
        return set()
    own = getattr(current_user, "agency_code", None)
    mine = {own} if own else set()
    if getattr(current_user, "role", None) in AGENCY_ROLES or not own:
        return mine
    agencies = host_agencies() or ()
    city = next((agency.city for agency in agencies if agency.code == own), "")
    if not city:
        return mine
    return {agency.code for agency in agencies if agency.city == city} | mine


class AdminOnly:
    """Flask-Admin view mixin: only administrators (:func:`is_admin`: the host's rule, or
    ``APPGOV_ADMIN_ROLES`` without a case host). Anonymous visitors get the host's
    Flask-Login answer (its login page or 401); other users get 403."""

    def is_accessible(self):
        return is_admin()

    def inaccessible_callback(self, name, **kwargs):
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()
        abort(403)


# -- the host's agencies -----------------------------------------------------------------


@dataclass(frozen=True)
class HostAgency:
    """One of the host's agencies (機關): its code, its name in both languages and its city
    (a key such as ``"tainan"``; empty when the host names none). City-wide roles see the
    records of the agencies of their own agency's city."""

    code: str
    name_zh: str
    name_en: str = ""
    city: str = ""

    def name(self, locale: str | None = None) -> str:
        """The name in ``locale`` (default: the request's); the Chinese one when no English."""
        if (locale or current_locale()) == "en" and self.name_en:
            return self.name_en
        return self.name_zh or self.name_en or self.code


def as_host_agency(item) -> HostAgency:
    """A ``casehost_agencies`` answer item as :class:`HostAgency`.

    Accepted: an object or mapping with ``code``, ``name_zh``/``name_en`` (or ``name``)
    and optionally ``city``, or a tuple ``(code, name_zh, name_en, city)`` /
    ``(code, name_zh, name_en)`` / ``(code, name)``.
    """
    if isinstance(item, HostAgency):
        return item
    if isinstance(item, tuple | list):
        if len(item) not in (2, 3, 4):
            raise ValueError(f"agency {item!r}: expected (code, name_zh[, name_en[, city]])")
        return HostAgency(*(str(part or "") for part in item))
    get = item.get if isinstance(item, Mapping) else lambda key: getattr(item, key, None)
    code = get("code")
    if not code:
        raise ValueError(f"agency {item!r} has no code")
    name_zh = get("name_zh") or get("name") or ""
    return HostAgency(str(code), str(name_zh), str(get("name_en") or ""), str(get("city") or ""))


def _ask_host(app):
    # a pluggy host: its plugin manager (appgov's own answer comes last); AppGov(agencies=...)
    # without one: the intranet's list, as appgov's casehost_agencies would answer
    pm = getattr(app.extensions.get("casehost"), "pm", None)
    hook = getattr(getattr(pm, "hook", None), "casehost_agencies", None)
    if hook is not None:
        return hook(app=app)
    return given_agencies(app)


def given_agencies(app):
    """The agencies given as ``AppGov(app, agencies=...)`` (a list, or a callable returning
    one), or ``None``: appgov's own answer to ``casehost_agencies``."""
    source = get_state(app).agency_source
    return source() if callable(source) else source


def host_agencies() -> list[HostAgency] | None:
    """The host's agencies (once per request), or ``None`` when the host names none: a host
    without ``casehost_agencies`` and an ``AppGov`` without ``agencies=``."""
    if has_request_context() and "appgov_agencies" in g:
        return g.appgov_agencies
    app = current_app._get_current_object()
    answer = _ask_host(app)
    agencies = None if answer is None else [as_host_agency(item) for item in answer]
    if agencies is None and not app.extensions.get("appgov_agencies_warned"):
        app.extensions["appgov_agencies_warned"] = True
        log.warning(
            "appgov: the host names no agencies (casehost_agencies, or AppGov(agencies=...)); "
            "agency codes in the app registry are taken as typed"
        )
    if has_request_context():
        g.appgov_agencies = agencies
    return agencies


def agency_name(code: str | None) -> str:
    """The agency's name in the reader's language; the code itself when the host has none."""
    if not code:
        return ""
    for agency in host_agencies() or ():
        if agency.code == code:
            return agency.name()
    return code
