"""appgov's pages inside the host (mounted at ``APPGOV_URL_PREFIX``)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template
from flask_login import login_required

from ..access import visible_agency_codes
from ..i18n import _, current_locale, format_date, ngettext
from ..models import APP_STATUSES, App
from ..policy import PARAMETERS, hook_modules
from ..state import get_state

blueprint = Blueprint("appgov", __name__, template_folder="templates")


@blueprint.context_processor
def appgov_template_helpers():
    # appgov's templates translate through the appgov domain, whatever the host uses.
    return {
        "_": _,
        "gettext": _,
        "ngettext": ngettext,
        "appgov_base": current_app.config["APPGOV_BASE_TEMPLATE"],
        "format_date": format_date,
        "current_locale": current_locale,
    }


@blueprint.get("/")
@login_required
def index():
    state = get_state()
    query = state.session.query(App).order_by(App.agency_code, App.name)
    agencies = visible_agency_codes()
    if agencies is not None:
        query = query.filter(App.agency_code.in_(agencies))
    return render_template(
        "appgov/index.html", apps=query.all(), statuses=APP_STATUSES, profile=state.profile
    )


@blueprint.get("/policy")
@login_required
def policy():
    current = get_state().policy()
    rows = [(spec, current.raw_param(name)) for name, spec in PARAMETERS.items()]
    return render_template(
        "appgov/policy.html", policy=current, rows=rows, modules=hook_modules(current)
    )


@blueprint.get("/calendar/", defaults={"year": None})
@blueprint.get("/calendar/<int:year>")
@login_required
def calendar(year):
    """TIME-1: the year's days off and make-up working days, overrides included."""
    current = get_state().policy()
    year = year or current.as_of.year
    if not 1912 <= year <= 9998:
        abort(404)
    cal = current.calendar
    return render_template(
        "appgov/calendar.html",
        year=year,
        days_off=cal.non_working_days(year),
        make_up=cal.make_up_days(year),
    )


@blueprint.get("/apps/<int:app_id>")
@login_required
def app_detail(app_id):
    app = get_state().session.get(App, app_id)
    agencies = visible_agency_codes()
    if app is None or (agencies is not None and app.agency_code not in agencies):
        abort(404)
    return render_template("appgov/app.html", app=app, statuses=APP_STATUSES)
