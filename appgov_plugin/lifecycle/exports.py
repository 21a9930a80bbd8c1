"""An app's history as a file: ``/appgov/apps/<id>/history.csv``, ``.xlsx`` and ``.ods``.

Every step of the app's life (:func:`~.registry.history`: listing, versions with their
security test reports (KH-SEC-1), takedowns, delisting (TN-DEL-1..3), KPI results and plans
(KH-KPI-3/4), an administrator's corrections), with who, when, the deciding case, the status
and version it left and why -- for whoever may see the app (404 otherwise, alike for a
missing app). Written by :mod:`appgov_plugin.exports`; the page links it with the macro
``appgov/lifecycle/_exports.html``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app
from flask_login import login_required

from ..apps.models import APP_STATUSES, App
from ..apps.views import event_label, visible_app
from ..exports import Table, export_response
from ..host.contract import STANDARD_ROLES
from ..i18n import _, current_locale
from ..uploads import as_reference
from ..web import blueprint
from . import registry
from .models import SYSTEM_ACTOR

blueprint.add_templates(__file__)


def display_names(app: App) -> dict[str, str]:
    """``{username: display name}`` of the people who act for the app's agency (one host
    call: ``casehost_users``); an administrator or a former user stays a username."""
    host = current_app.extensions.get("casehost")
    hook = getattr(getattr(getattr(host, "pm", None), "hook", None), "casehost_users", None)
    if hook is None:
        return {}
    users = hook(
        app=current_app._get_current_object(),
        roles=list(STANDARD_ROLES),
        agency_code=app.agency_code,
    )
    return {user.username: user.display_name for user in users or ()}


def _detail_value(value: Any) -> str:
    reference = as_reference(value)
    if reference is not None:
        return reference["name"] or reference["sha256"][:12]
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, Mapping):
        return "; ".join(f"{key}: {_detail_value(item)}" for key, item in value.items())
    if isinstance(value, list | tuple):
        return ("、" if current_locale() == "zh_Hant_TW" else ", ").join(
            _detail_value(item) for item in value
        )
    return "" if value is None else str(value)


def details_summary(details: Mapping[str, Any] | None) -> str:
    """An event's details, one ``key: value`` a line; files by their name."""
    return "\n".join(
        f"{key}: {_detail_value(value)}"
        for key, value in (details or {}).items()
        if value not in (None, "", [], {})
    )


def history_table(app: App) -> Table:
    """The app's history, oldest first, in the request's language."""
    names = display_names(app)
    rows = []
    for event in registry.history(app.id):
        if event.actor == SYSTEM_ACTOR:
            who = _("Automatic sweep")
        else:
            who = names.get(event.actor, event.actor)
        rows.append(
            [
                event.at,  # Taipei time (appgov_plugin.exports)
                event_label(event),
                who,
                event.actor,
                event.case_id,
                str(APP_STATUSES.get(event.from_status, event.from_status or "")),
                str(APP_STATUSES.get(event.to_status, event.to_status or "")),
                event.version or "",
                event.reason or "",
                details_summary(event.details),
            ]
        )
    headers = [
        _("Time (Taipei)"),
        _("Step"),
        _("Who"),
        _("Username"),
        _("Case"),
        _("Status before"),
        _("Status after"),
        _("Version"),
        _("Reason"),
        _("Details"),
    ]
    return Table(headers, rows, title=_("History of %(name)s", name=app.name))


@blueprint.get("/apps/<int:app_id>/history.<any(csv, xlsx, ods):fmt>")
@login_required
def app_history_export(app_id: int, fmt: str):
    """The app's history as CSV, XLSX or ODS, for whoever may see the app (404 else)."""
    app = visible_app(app_id)
    return export_response(history_table(app), fmt, f"app-{app.id}-history")
