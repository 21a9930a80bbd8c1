"""The IT department's roster actions on appgov's blueprint (TP-SEED-3, TP-WG-1).

* ``GET|POST /rollout/people/<id>/unfit`` -- mark an administrator or seed user unfit for a
  system, with a reason (10 to 2,000 characters): the finding and the agency's replacement
  case (:func:`.unfit.mark_unfit`).
* ``GET|POST /rollout/scope/<id>/exclusion`` -- record the mayor-approved case that takes an
  agency out of a system's scope (TP-WG-1): the case must be one the host shows the reader
  (``casehost_case_for_reader``), with the date and a note.

Both for the IT department (of the agency's city) and the administrator only: other roles
get 403, a person or scope row outside the reader's city 404 (a guessed id tells nothing).
Forms carry the host's CSRF token (Flask-WTF, as every form of appgov's).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms import DateField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from ..access import is_admin
from ..forms.builder import AppGovForm, WholeNumberField
from ..i18n import _, _l, format_date
from ..state import get_state
from ..web import blueprint
from . import unfit
from .models import LIMITS, ROLES, MajorSystem, RolloutPerson, SystemScope
from .views import city_scope

blueprint.add_templates(__file__)

#: Roles that act on rosters, besides the administrator.
ACTING_ROLES = frozenset({"it_department"})


def require_actor(agency_code: str) -> None:
    """403 for a role that does not act on rosters; 404 for an agency outside the scope."""
    if not (is_admin() or getattr(current_user, "role", None) in ACTING_ROLES):
        abort(403)
    scope = city_scope()
    if scope is not None and agency_code not in scope:
        abort(404)


class UnfitForm(AppGovForm):
    """TP-SEED-3: the IT department finds a person unfit for a system."""

    system = SelectField(_l("System"), validators=[InputRequired()], coerce=str)
    reason = TextAreaField(
        _l("Reason"),
        validators=[InputRequired(), Length(min=unfit.REASON_MIN, max=unfit.REASON_MAX)],
    )


@blueprint.route("/rollout/people/<int:person_id>/unfit", methods=["GET", "POST"])
@login_required
def rollout_mark_unfit(person_id: int):
    session = get_state().session
    person = session.get(RolloutPerson, person_id)
    if person is None:
        abort(404)
    require_actor(person.agency_code)
    from .. import clock

    systems = unfit.systems_of(person, clock.today())
    form = UnfitForm()
    form.system.choices = [
        (str(s.id), f"{s.code} {s.display_name(_current_locale())}") for s in systems
    ]
    if request.method == "POST" and form.validate():
        try:
            marked = unfit.mark_unfit(
                person, int(form.system.data), form.reason.data, current_user.username
            )
            session.commit()
        except unfit.UnfitError as error:
            session.rollback()
            getattr(form, error.field or "reason").errors = [str(error)]
        except BaseException:
            session.rollback()
            raise
        else:
            if marked.case_id is not None:
                flash(
                    _(
                        "%(person)s is found unfit; the replacement case #%(case)s is opened "
                        "for the agency, due %(due)s (TP-SEED-3).",
                        person=person.name,
                        case=str(marked.case_id),
                        due=format_date(marked.finding.due_on),
                    ),
                    "success",
                )
            else:
                flash(
                    _(
                        "%(person)s is found unfit, due %(due)s (TP-SEED-3); the host has no "
                        "such agency, so no replacement case could be opened: tell the agency.",
                        person=person.name,
                        due=format_date(marked.finding.due_on),
                    ),
                    "warning",
                )
            return redirect(url_for("appgov.rollout_mark_unfit", person_id=person.id), code=303)
    status = 400 if request.method == "POST" else 200
    findings = list(
        session.scalars(
            sa.select(unfit.UnfitFinding)
            .where(unfit.UnfitFinding.person_id == person.id)
            .order_by(unfit.UnfitFinding.id.desc())
        )
    )
    return (
        render_template(
            "appgov/rollout/roster_unfit.html",
            person=person,
            form=form,
            systems=systems,
            findings=findings,
        ),
        status,
    )


def _current_locale():
    from ..i18n import current_locale

    return current_locale()


class ExclusionForm(AppGovForm):
    """TP-WG-1: the mayor-approved case that takes the agency out of the system's scope."""

    case_id = WholeNumberField(_l("Approving case number"), validators=[InputRequired()])
    excluded_on = DateField(_l("Date of the approval"), validators=[InputRequired()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=LIMITS["reason"])])


@blueprint.route("/rollout/scope/<int:scope_id>/exclusion", methods=["GET", "POST"])
@login_required
def rollout_exclusion(scope_id: int):
    session = get_state().session
    scope = session.get(SystemScope, scope_id)
    if scope is None:
        abort(404)
    require_actor(scope.agency_code)
    system = session.get(MajorSystem, scope.system_id)
    form = ExclusionForm()
    if request.method == "POST" and form.validate():
        host = current_app.extensions.get("casehost")
        case = (
            host.pm.hook.casehost_case_for_reader(
                app=current_app._get_current_object(),
                case_id=form.case_id.data,
                user=current_user._get_current_object(),
            )
            if host is not None
            else None
        )
        if case is None:
            form.case_id.errors = [
                _(
                    "Approving case number: no case #%(case)s you may read.",
                    case=str(form.case_id.data),
                )
            ]
        else:
            scope.excluded_case_id = int(case.id)
            scope.excluded_on = form.excluded_on.data
            scope.excluded_note = (form.note.data or "").strip() or None
            session.commit()
            flash(
                _(
                    "The agency is out of the scope of %(system)s from %(day)s, by case "
                    "#%(case)s (TP-WG-1).",
                    system=system.display_name(_current_locale()),
                    day=format_date(scope.excluded_on),
                    case=str(case.id),
                ),
                "success",
            )
            return redirect(url_for("appgov.rollout_exclusion", scope_id=scope.id), code=303)
    status = 400 if request.method == "POST" else 200
    return (
        render_template(
            "appgov/rollout/roster_exclusion.html", scope=scope, system=system, form=form
        ),
        status,
    )


@blueprint.context_processor
def _roster_helpers():
    """``rollout_departures(code)`` for the agency's page: who left its roles by leaving the
    agency (template ``appgov/rollout/_roster_departures.html``); ``rollout_acts()``: the
    reader acts on rosters (marks a person unfit, records an exclusion)."""
    return {
        "rollout_departures": unfit.departures,
        "rollout_roles": ROLES,
        "rollout_acts": lambda: is_admin() or getattr(current_user, "role", None) in ACTING_ROLES,
    }
