"""The rules in force and the working calendar, as every official reads them."""

from __future__ import annotations

import datetime as dt

from flask import abort, render_template, request
from flask_login import login_required

from ..access import is_admin
from ..i18n import current_locale, parse_date
from ..policy import PARAMETERS, rulebook
from ..policy.calendar import supported_years
from ..policy.changes import parameter_overview
from ..policy.manager import hook_module_labels
from ..state import get_state
from ..web import blueprint

blueprint.add_templates(__file__)


def request_as_of() -> dt.date | None:
    """The ``?as_of=`` date of the request, ROC (115/11/22) or ISO (``None`` when absent);
    400 naming the value and both forms when malformed (TIME-5)."""
    text = (request.args.get("as_of") or "").strip()
    try:
        return parse_date(text) if text else None
    except ValueError as exc:
        abort(400, description=str(exc))


@blueprint.get("/policy")
@login_required
def policy():
    """The rules in force (``?as_of=``): which rules the deployment applies and where they
    are used, which it could adopt, which no process uses yet; every rule parameter in
    force, pending changes, history."""
    state = get_state()
    current = state.policy(as_of=request_as_of())
    return render_template(
        "appgov/rulebook/policy.html",
        policy=current,
        overview=rulebook.overview(current),
        parameter_use=rulebook.parameter_use,
        parameter_label=lambda name: PARAMETERS[name].label,
        rows=parameter_overview(state, current.as_of),
        modules=hook_module_labels(current),
        show_module_keys=is_admin(),  # keys in small print for administrators only
        change_url=None,
        show_keys=False,  # parameter keys are for administrators' pages only
    )


@blueprint.get("/calendar/", defaults={"year": None})
@blueprint.get("/calendar/<int:year>")
@login_required
def calendar(year):
    """TIME-1: the year's days off and make-up working days, overrides included; only the
    years the calendar knows the holidays of (``WorkingCalendar.years``), 404 otherwise."""
    current = get_state().policy()
    cal = current.calendar
    year = current.as_of.year if year is None else year
    if year not in (getattr(cal, "years", None) or supported_years()):
        abort(404)
    locale = current_locale()  # holiday names in the reader's language
    return render_template(
        "appgov/rulebook/calendar.html",
        year=year,
        year_label=(f"民國 {year - 1911} 年" if locale == "zh_Hant_TW" else str(year)),
        days_off=cal.non_working_days(year, locale),
        make_up=cal.make_up_days(year, locale),
    )
