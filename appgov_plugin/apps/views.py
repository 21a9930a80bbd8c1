"""The app registry's pages: the apps of the agencies the reader may see, one app's page."""

from __future__ import annotations

from flask import abort, render_template
from flask_login import login_required

from ..access import visible_agency_codes
from ..state import get_state
from ..web import blueprint
from .models import APP_STATUSES, App

blueprint.add_templates(__file__)


@blueprint.get("/")
@login_required
def index():
    state = get_state()
    query = state.session.query(App).order_by(App.agency_code, App.name)
    agencies = visible_agency_codes()
    if agencies is not None:
        query = query.filter(App.agency_code.in_(agencies))
    return render_template(
        "appgov/apps/index.html",
        apps=query.all(),
        statuses=APP_STATUSES,
        policy=state.policy(),
    )


@blueprint.get("/apps/<int:app_id>")
@login_required
def app_detail(app_id):
    app = get_state().session.get(App, app_id)
    agencies = visible_agency_codes()
    if app is None or (agencies is not None and app.agency_code not in agencies):
        abort(404)
    current = get_state().policy()
    return render_template(
        "appgov/apps/app.html",
        app=app,
        statuses=APP_STATUSES,
        mailbox_rule=current.applies("TN-EVAL-4") or current.applies("TN-MAIL-1"),
    )
