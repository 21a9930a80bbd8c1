"""appgov's pages inside the host (mounted at ``APPGOV_URL_PREFIX``)."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, current_app, render_template, request
from flask_login import login_required
from wtforms import DateField, DecimalField, IntegerField
from wtforms.validators import InputRequired, NumberRange, Optional

from ..access import visible_agency_codes
from ..clock import today
from ..forms.builder import AppGovForm
from ..i18n import _, _l, current_locale, format_date, ngettext, template_gettext
from ..kpi import evaluate
from ..models import APP_STATUSES, App
from ..policy import hook_modules
from ..policy.changes import as_text, parameter_overview
from ..state import get_state

blueprint = Blueprint("appgov", __name__, template_folder="templates")


@blueprint.context_processor
def appgov_template_helpers():
    # appgov's templates translate through the appgov domain, whatever the host uses.
    return {
        "_": template_gettext,
        "gettext": template_gettext,
        "ngettext": ngettext,
        "appgov_base": current_app.config["APPGOV_BASE_TEMPLATE"],
        "format_date": format_date,
        "current_locale": current_locale,
    }


def request_as_of() -> dt.date | None:
    """The ``?as_of=YYYY-MM-DD`` of the request (``None`` when absent); 400 when malformed."""
    text = request.args.get("as_of")
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        abort(400, description=_("%(value)r is not an ISO date (YYYY-MM-DD)", value=text))


@blueprint.get("/")
@login_required
def index():
    state = get_state()
    query = state.session.query(App).order_by(App.agency_code, App.name)
    agencies = visible_agency_codes()
    if agencies is not None:
        query = query.filter(App.agency_code.in_(agencies))
    return render_template(
        "appgov/index.html",
        apps=query.all(),
        statuses=APP_STATUSES,
        profile=state.policy().profile,
    )


@blueprint.get("/policy")
@login_required
def policy():
    """Every rule parameter in force (``?as_of=YYYY-MM-DD``), pending changes, history."""
    state = get_state()
    current = state.policy(as_of=request_as_of())
    return render_template(
        "appgov/policy.html",
        policy=current,
        rows=parameter_overview(state, current.as_of),
        modules=hook_modules(current),
        change_url=None,
        as_text=as_text,
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


class KpiForm(AppGovForm):
    evaluated_on = DateField(_l("Evaluation date"), validators=[InputRequired()])
    population = IntegerField(
        _l("Target population"), validators=[InputRequired(), NumberRange(min=0)]
    )
    downloads = IntegerField(_l("Downloads"), validators=[InputRequired(), NumberRange(min=0)])
    ios_average = DecimalField(_l("iOS average rating"), validators=[Optional(), NumberRange(0, 5)])
    ios_count = IntegerField(
        _l("iOS number of ratings"), validators=[Optional(), NumberRange(min=0)]
    )
    android_average = DecimalField(
        _l("Android average rating"), validators=[Optional(), NumberRange(0, 5)]
    )
    android_count = IntegerField(
        _l("Android number of ratings"), validators=[Optional(), NumberRange(min=0)]
    )

    def validate(self, extra_validators=None):
        if not super().validate(extra_validators):
            return False
        if self.ios_average.data is None and self.android_average.data is None:
            self.ios_average.errors.append(_("Give at least one store's average rating."))
            return False
        return True


@blueprint.route("/kpi", methods=["GET", "POST"])
@login_required
def kpi():
    """KH-KPI-1..3 for one app, with the parameters in force on the evaluation date."""
    form = KpiForm()
    if request.method == "GET":
        form.evaluated_on.data = today()
    result = None
    if form.validate_on_submit():

        def side(average, count):
            return None if average.data is None else (average.data, count.data)

        result = evaluate(
            get_state().policy(as_of=form.evaluated_on.data),
            form.population.data,
            form.downloads.data,
            ios=side(form.ios_average, form.ios_count),
            android=side(form.android_average, form.android_count),
        )
    return render_template("appgov/kpi.html", form=form, result=result)
