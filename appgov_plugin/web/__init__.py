"""appgov's pages inside the host (mounted at ``APPGOV_URL_PREFIX``)."""

from __future__ import annotations

import contextlib
import datetime as dt
from decimal import Decimal

from flask import Blueprint, abort, current_app, g, render_template, request, url_for
from flask_login import login_required
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import ServiceUnavailable
from wtforms.validators import InputRequired, Optional

from ..access import agency_name, is_admin, visible_agency_codes
from ..clock import today
from ..forms.builder import AppGovForm, Bounds, DecimalNumberField, WholeNumberField
from ..forms.fields import TaiwanDateField
from ..host.unavailable import database_unavailable, one_line
from ..i18n import (
    _,
    _l,
    current_locale,
    format_date,
    format_number,
    ngettext,
    parse_date,
    template_gettext,
)
from ..kpi import EVALUATIONS, MAX_COUNT, MAX_POPULATION, evaluate, evaluate_targets, evaluations
from ..models import APP_STATUSES, App
from ..policy import PARAMETERS, rulebook
from ..policy.calendar import supported_years
from ..policy.changes import parameter_overview
from ..policy.display import template_helpers as parameter_template_helpers
from ..policy.manager import hook_module_labels
from ..state import get_state

blueprint = Blueprint("appgov", __name__, template_folder="templates", static_folder="static")


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
        "format_number": format_number,
        "profile_label": rulebook.profile_label,
        "agency_name": agency_name,
        "rule_title": lambda rule_id: rulebook.rule(rule_id).title,
        **parameter_template_helpers(),
    }


#: Seconds a client is asked to wait before trying again while the database is away.
RETRY_AFTER_SECONDS = 30


@blueprint.errorhandler(OperationalError)
@blueprint.errorhandler(InterfaceError)
def database_away(error):
    """appgov's pages while the database is away: 503 with ``Retry-After`` and one log line.

    The 503 goes through the host's own error handling (``handle_http_exception``): its
    error page in its layout and language where it has one, Werkzeug's plain 503 page with
    the message below otherwise -- never a 500 or a traceback. Driver errors that are not an
    outage (:func:`~appgov_plugin.host.unavailable.database_unavailable`) stay 500s.
    """
    if not database_unavailable(error):
        raise error
    with contextlib.suppress(OperationalError, InterfaceError):  # no connection: nothing to undo
        get_state().session.rollback()
    # The user record cannot be read now: the page (and the language choice) is a visitor's.
    g._login_user = current_app.login_manager.anonymous_user()
    current_app.logger.error(
        "database unavailable: %s %s answered 503: %s",
        request.method,
        request.path,
        one_line(error),
    )
    unavailable = ServiceUnavailable(
        description=_l("The database cannot be reached right now. Try again in a moment."),
        retry_after=RETRY_AFTER_SECONDS,
    )
    return current_app.handle_http_exception(unavailable)


def request_as_of() -> dt.date | None:
    """The ``?as_of=`` date of the request, ROC (115/11/22) or ISO (``None`` when absent);
    400 naming the value and both forms when malformed (TIME-5)."""
    text = (request.args.get("as_of") or "").strip()
    try:
        return parse_date(text) if text else None
    except ValueError as exc:
        abort(400, description=str(exc))


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
        policy=state.policy(),
    )


@blueprint.get("/policy")
@login_required
def policy():
    """The rules in force (``?as_of=``): which rules the deployment applies and where they
    are used, which it could adopt, which no process uses yet; every rule parameter in
    force, pending changes, history."""
    state = get_state()
    current = state.policy(as_of=request_as_of())
    return render_template(
        "appgov/policy.html",
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
        "appgov/calendar.html",
        year=year,
        year_label=(f"民國 {year - 1911} 年" if locale == "zh_Hant_TW" else str(year)),
        days_off=cal.non_working_days(year, locale),
        make_up=cal.make_up_days(year, locale),
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
        "appgov/app.html",
        app=app,
        statuses=APP_STATUSES,
        mailbox_rule=current.applies("TN-EVAL-4") or current.applies("TN-MAIL-1"),
    )


def _count_field(label, maximum=MAX_COUNT, required=False):
    check = InputRequired() if required else Optional()
    return WholeNumberField(label, validators=[check, Bounds(0, maximum)])


def _decimal_field(label, maximum):
    return DecimalNumberField(
        label, places=None, validators=[Optional(), Bounds(Decimal(0), Decimal(maximum))]
    )


class KaohsiungKpiForm(AppGovForm):
    """KH-KPI-1..3: target population, downloads and both stores' ratings."""

    evaluated_on = TaiwanDateField(_l("Evaluation date"), validators=[InputRequired()])
    population = _count_field(_l("Target population"), MAX_POPULATION, required=True)
    downloads = _count_field(_l("Downloads"), required=True)
    ios_average = _decimal_field(_l("iOS average rating"), 5)
    ios_count = _count_field(_l("iOS number of ratings"))
    android_average = _decimal_field(_l("Android average rating"), 5)
    android_count = _count_field(_l("Android number of ratings"))

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        for average, count in (
            (self.ios_average, self.ios_count),
            (self.android_average, self.android_count),
        ):
            if average.data is None and count.data is not None and not average.errors:
                average.errors.append(_("Give the average rating of this number of ratings."))
                valid = False
        if (
            self.ios_average.data is None
            and self.android_average.data is None
            and not (self.ios_average.errors or self.android_average.errors)
        ):
            self.ios_average.errors.append(_("Give at least one store's average rating."))
            valid = False
        return valid

    def evaluate(self, policy):
        def side(average, count):
            return None if average.data is None else (average.data, count.data)

        return evaluate(
            policy,
            self.population.data,
            self.downloads.data,
            ios=side(self.ios_average, self.ios_count),
            android=side(self.android_average, self.android_count),
        )


class TainanTargetsForm(AppGovForm):
    """TN-PERF-1: each measure beside the target the agency set for it."""

    evaluated_on = TaiwanDateField(_l("Evaluation date"), validators=[InputRequired()])
    installs = _count_field(_l("Installs"))
    installs_target = _count_field(_l("Installs the agency aims for (at least)"))
    uninstalls = _count_field(_l("Uninstalls"))
    uninstalls_limit = _count_field(_l("Uninstalls the agency accepts (at most)"))
    rating = _decimal_field(_l("Store rating (average stars)"), 5)
    rating_target = _decimal_field(_l("Store rating the agency aims for (at least)"), 5)
    reviews = _count_field(_l("Store reviews received"))
    reviews_handled = _count_field(_l("Store reviews handled"))
    handled_target_percent = _decimal_field(
        _l("Share of reviews the agency aims to handle (percent, at least)"), 100
    )

    #: (value field, target field) of each measure (rule TN-PERF-1)
    PAIRS = (
        ("installs", "installs_target"),
        ("uninstalls", "uninstalls_limit"),
        ("rating", "rating_target"),
        ("reviews_handled", "handled_target_percent"),
    )

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if self.reviews_handled.data is not None and self.reviews.data is None:
            self.reviews.errors.append(_("Give the number of reviews received too."))
            valid = False
        if (
            self.reviews_handled.data is not None
            and self.reviews.data is not None
            and self.reviews_handled.data > self.reviews.data
        ):
            self.reviews_handled.errors.append(
                _(
                    "More reviews handled than received (%(count)s).",
                    count=format_number(self.reviews.data),
                )
            )
            valid = False
        given = 0
        for value_name, target_name in self.PAIRS:
            value, target = self[value_name], self[target_name]
            if value.errors or target.errors:
                continue
            if value.data is not None and target.data is None:
                target.errors.append(_("Give the agency's target for this measure too."))
                valid = False
            elif value.data is None and target.data is not None:
                value.errors.append(_("Give the measured value beside the agency's target."))
                valid = False
            elif value.data is not None:
                given += 1
        if valid and not given:
            self.installs.errors.append(
                _("Give at least one measure with the target the agency set (TN-PERF-1).")
            )
            valid = False
        return valid

    def evaluate(self, policy):
        return evaluate_targets(
            policy,
            **{name: self[name].data for pair in self.PAIRS for name in pair},
            reviews=self.reviews.data,
        )


KPI_FORMS = {"kaohsiung": KaohsiungKpiForm, "tainan": TainanTargetsForm}


@blueprint.route("/kpi", methods=["GET", "POST"])
@login_required
def kpi():
    """The app evaluation the deployment's rules call for (``?evaluation=kaohsiung`` for
    KH-KPI-1..3, ``tainan`` for TN-PERF-1/3), with the rules in force on the evaluation
    date; where none applies (Taipei), which the deployment could adopt."""
    state = get_state()
    current = state.policy()
    available = evaluations(current)
    choices = [(key, EVALUATIONS[key].label, EVALUATIONS[key].rules) for key in available]
    adoptable = [(e.key, e.label, e.rules) for e in EVALUATIONS.values() if e.key not in available]
    chosen = request.args.get("evaluation") or (available[0] if available else None)
    page = {
        "policy_profile": current.profile,
        "choices": choices,
        "adoptable": adoptable,
        "adopted_label": PARAMETERS["adopted_rules"].label,
        "plan_rule": current.applies("KH-KPI-3"),
        "tn_perf_2": current.applies("TN-PERF-2"),
        "one_decimal": Decimal("0.1"),
    }
    if chosen is None:
        return render_template("appgov/kpi.html", form=None, result=None, chosen=None, **page)
    if chosen not in available:
        abort(404)
    form = KPI_FORMS[chosen]()
    if request.method == "GET":
        form.evaluated_on.data = today()
    result = None
    if form.validate_on_submit():
        then = state.policy(as_of=form.evaluated_on.data)
        if chosen in evaluations(then):
            result = form.evaluate(then)
        else:
            form.evaluated_on.errors.append(
                _(
                    "On %(date)s this deployment did not apply %(rules)s.",
                    date=format_date(then.as_of),
                    rules=", ".join(EVALUATIONS[chosen].requires),
                )
            )
    return render_template(
        "appgov/kpi.html",
        form=form,
        result=result,
        chosen=chosen,
        action=url_for("appgov.kpi", evaluation=chosen),
        **page,
    )
