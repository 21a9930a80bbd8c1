"""The authority records an app's KPI result of a year on the app's page (KH-KPI-1..3),
until the evaluation capability computes it: a failing year opens the improvement and
marketing plan, consecutive failing years a forced delisting (:mod:`.plans`). For the
reviewer of the app's city only, where the deployment applies KH-KPI-3."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms import BooleanField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from ..access import visible_agency_codes
from ..apps.models import App
from ..forms.builder import AppGovForm, Bounds, WholeNumberField
from ..i18n import _, _l
from ..state import get_state
from ..web import blueprint
from . import registry
from .models import AppCase, AppYearResult
from .plans import FIRST_YEAR, LAST_YEAR, TYPES, Outcome, plans_apply, record_year_result

blueprint.add_templates(__file__)


class YearResultForm(AppGovForm):
    """The authority records an app's KPI result of a year (KH-KPI-1..3)."""

    year = WholeNumberField(_l("Year"), validators=[InputRequired(), Bounds(FIRST_YEAR, LAST_YEAR)])
    downloads_failed = BooleanField(_l("Below the download target (KH-KPI-1)"))
    rating_failed = BooleanField(_l("Rating of 3.5 stars or less (KH-KPI-2)"))
    reason = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])


@dataclass
class PlanActions:
    """What the app page's partial shows: the app's recorded years, each with its plan, and
    the form when the reader may record a result."""

    app: App
    results: list
    plans: dict
    form: YearResultForm | None


def may_record(app: App) -> bool:
    """The reviewer of the app's city (server-side: the reading scope and the role)."""
    agencies = visible_agency_codes()
    if agencies is not None and app.agency_code not in agencies:
        return False
    return getattr(current_user, "role", None) == "reviewer"


def plan_actions(app: App) -> PlanActions | None:
    """The partial's data, or ``None`` where the deployment asks for no plan (KH-KPI-3)."""
    if app is None or not plans_apply(get_state().policy()):
        return None
    session = get_state().session
    results = list(
        session.scalars(
            sa.select(AppYearResult)
            .where(AppYearResult.app_id == app.id)
            .order_by(AppYearResult.year.desc())
        )
    )
    plans = {
        link.reason_key: link
        for link in session.scalars(
            sa.select(AppCase).where(
                AppCase.app_id == app.id,
                AppCase.type_key.in_(TYPES),
                AppCase.reason_key.is_not(None),
            )
        )
    }
    form = YearResultForm(formdata=None) if may_record(app) else None
    return PlanActions(app=app, results=results, plans=plans, form=form)


@blueprint.context_processor
def _plan_helpers():
    return {"plan_actions": plan_actions}


def _allowed_app(app_id: int) -> App:
    """The app for the action: 404 when the reader may not see it (another city's reviewer,
    another agency) or the deployment asks for no plan; 403 for a role that may not act."""
    from ..apps.views import visible_app  # the app pages import this module's helpers

    app = visible_app(app_id)
    if not plans_apply(get_state().policy()):
        abort(404)  # rules.md "Profiles are real": no plan is asked here (KH-KPI-3)
    if getattr(current_user, "role", None) != "reviewer":
        abort(403)
    return app


@blueprint.route("/apps/<int:app_id>/year-results", methods=["GET", "POST"])
@login_required
def record_year_result_view(app_id):
    """The authority records a year's result; a failing year opens the plan (KH-KPI-3)."""
    app = _allowed_app(app_id)
    form = YearResultForm()
    if request.method == "POST" and form.validate():
        session = get_state().session
        try:
            locked = registry.locked_app(app.id)
            outcome = record_year_result(
                locked,
                form.year.data,
                downloads_failed=form.downloads_failed.data,
                rating_failed=form.rating_failed.data,
                reason=(form.reason.data or "").strip(),
                actor=current_user.username,
            )
            session.commit()
        except registry.LifecycleError as error:
            session.rollback()
            getattr(form, error.field or "year").errors = [str(error)]
        except BaseException:
            session.rollback()
            raise
        else:
            flash(_result_message(outcome), "success")
            return redirect(url_for("appgov.app_detail", app_id=app.id), code=303)
    status = 400 if request.method == "POST" else 200
    return render_template("appgov/lifecycle/year_result.html", app=app, form=form), status


def _result_message(outcome: Outcome) -> str:
    year = str(outcome.result.year)
    parts = [
        _("The result of %(year)s is recorded.", year=year)
        if outcome.recorded
        else _("The result of %(year)s was recorded already.", year=year)
    ]
    if outcome.plan_opened:
        parts.append(
            _(
                "Improvement and marketing plan #%(case)s opened for the agency.",
                case=str(outcome.plan.case_id),
            )
        )
    elif outcome.plan is not None:
        parts.append(_("Its plan is case #%(case)s.", case=str(outcome.plan.case_id)))
    if outcome.delisting_opened:
        parts.append(
            _("Forced delisting #%(case)s opened (KH-KPI-4).", case=str(outcome.delisting.case_id))
        )
    return " ".join(parts)
