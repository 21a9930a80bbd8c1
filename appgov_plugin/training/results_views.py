"""Results, retakes and fitness reviews on appgov's blueprint (TP-TRN-4, TP-TRN-5).

* ``GET|POST /training/courses/<id>/results`` (``appgov.training_results``) -- the IT
  department and the administrator (:func:`.access.keeps_courses`) record pass or fail for
  each enrolled trainee of the course in their scope (:func:`.results.record_results`);
  other roles 403, a missing course 404.
* ``GET|POST /training/retakes`` (``appgov.training_retakes``) -- the retakes appgov
  proposed (TP-TRN-4) and who waits for a course: an agency confirms or withdraws its own
  trainees' proposals, the IT department any of its city's (confirming re-checks the
  seats); the IT department proposes retakes for the waiting once a course has seats. A
  proposal outside the reader's scope answers 404 (ids guessed or not); roles that read no
  training record 403.
* ``GET|POST /training/fitness`` (``appgov.training_fitness``) -- TP-TRN-4's flags: the IT
  department opens the review case for the agency or declines it with a note
  (:mod:`.fitness`); other roles 403, a flag outside the city 404.

Every form carries the host's CSRF token; bad input is answered with a message naming the
field (and the trainee) and nothing is written.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload

from ..access import AGENCY_ROLES
from ..forms.builder import AppGovForm
from ..i18n import _, current_locale
from ..rollout.admin import agency_display_name
from ..rollout.views import case_url
from ..state import get_state
from ..web import blueprint
from . import access, fitness, results
from . import enrollment as enrolling
from .models import COURSE_TYPES, ENROLLMENT_STATUSES, Course, Enrollment

blueprint.add_templates(__file__)


def _actor() -> str:
    return getattr(current_user, "username", "") or ""


def _link(endpoint: str, **values) -> str | None:
    if f"appgov.{endpoint}" in current_app.view_functions:
        return url_for(f"appgov.{endpoint}", **values)
    return None


def _require_keeper() -> set[str] | None:
    if not access.keeps_courses():
        abort(403)
    return access.agency_scope()


class CsrfForm(AppGovForm):
    """The page's own inputs are read by hand; this carries and checks the CSRF token."""


# -- results --------------------------------------------------------------------------------


@blueprint.route("/training/courses/<int:course_id>/results", methods=["GET", "POST"])
@login_required
def training_results(course_id: int):
    scope = _require_keeper()
    session = get_state().session
    course = session.get(Course, course_id)
    if course is None:
        abort(404)
    form = CsrfForm()
    errors: dict[str, str] = {}
    chosen: dict[int, str] = {}
    if request.method == "POST":
        rows = results.gradable(course, scope)
        for row in rows:
            value = request.form.get(f"result-{row.id}")
            if value:
                chosen[row.id] = value
        if not form.validate():
            errors["results"] = _("The form expired; send it again.")
        else:
            try:
                changed = results.record_results(course, chosen, _actor(), scope)
                session.commit()
            except results.ResultError as error:
                session.rollback()
                errors[error.field or "results"] = str(error)
            except BaseException:
                session.rollback()
                raise
            else:
                flash(
                    _(
                        "Results of %(course)s recorded (trainees: %(count)s).",
                        count=str(len(changed)),
                        course=course.code,
                    ),
                    "success",
                )
                return redirect(url_for("appgov.training_results", course_id=course.id), 303)
        course = session.get(Course, course_id)
    rows = results.gradable(course, scope)
    return (
        render_template(
            "appgov/training/results_course.html",
            course=course,
            rows=rows,
            form=form,
            errors=errors,
            chosen=chosen,
            statuses=ENROLLMENT_STATUSES,
            result_labels=results.RESULTS,
            course_types=COURSE_TYPES,
            locale=current_locale(),
            agency_name=agency_display_name,
            course_link=_link("training_course", course_id=course.id),
        ),
        400 if errors else 200,
    )


# -- retakes --------------------------------------------------------------------------------


def _retake_scope() -> set[str] | None:
    if access.keeps_courses():
        return access.agency_scope()
    if getattr(current_user, "role", None) in AGENCY_ROLES:
        return access.agency_scope()
    abort(403)


def _proposals(scope: set[str] | None) -> list[Enrollment]:
    query = (
        sa.select(Enrollment)
        .where(Enrollment.status == "proposed")
        .options(
            joinedload(Enrollment.person),
            joinedload(Enrollment.course).joinedload(Course.system),
            joinedload(Enrollment.course).selectinload(Course.sessions),  # the first session
        )
        .order_by(Enrollment.id)
    )
    if scope is not None:
        query = query.where(Enrollment.agency_code.in_(sorted(scope)))
    return list(get_state().session.scalars(query).unique())


def _confirm(row: Enrollment) -> None:
    """Confirm a proposed retake: the seats and the person checked again, under the lock."""
    course = row.course
    enrolling.lock(course)
    enrolling.check_person(row.person, row.agency_code)
    closed = enrolling.closed_reason(course)
    if closed:
        raise enrolling.EnrollmentError(closed, "course")
    enrolling.check_seat(course, excluding=row.id)
    row.status = "enrolled"
    get_state().session.flush()


@blueprint.route("/training/retakes", methods=["GET", "POST"])
@login_required
def training_retakes():
    scope = _retake_scope()
    session = get_state().session
    form = CsrfForm()
    error = None
    if request.method == "POST":
        action = request.form.get("action")
        if not form.validate():
            error = _("The form expired; send it again.")
        elif action == "propose":
            if not access.keeps_courses():
                abort(403)
            made = results.propose_waiting(scope, _actor())
            session.commit()
            flash(
                _("Retakes proposed: %(count)s.", count=str(len(made))),
                "success" if made else "info",
            )
            return redirect(url_for("appgov.training_retakes"), 303)
        elif action in ("confirm", "withdraw"):
            try:
                wanted = int(request.form.get("enrollment", ""))
            except ValueError:
                abort(404)
            query = sa.select(Enrollment).where(
                Enrollment.id == wanted, Enrollment.status == "proposed"
            )
            if scope is not None:
                query = query.where(Enrollment.agency_code.in_(sorted(scope)))
            row = session.scalars(query.with_for_update()).first()
            if row is None:
                abort(404)
            name = f"{row.person.name} ({row.person.employee_id})"
            try:
                if action == "confirm":
                    _confirm(row)
                else:
                    row.status = "withdrawn"
                session.commit()
            except enrolling.EnrollmentError as refused:
                session.rollback()
                error = _("%(person)s: %(problem)s", person=name, problem=str(refused))
            except BaseException:
                session.rollback()
                raise
            else:
                message = (
                    _("%(person)s's retake confirmed.", person=name)
                    if action == "confirm"
                    else _("%(person)s's retake withdrawn.", person=name)
                )
                flash(message, "success")
                return redirect(url_for("appgov.training_retakes"), 303)
        else:
            error = _("Action: choose confirm or withdraw.")
    return (
        render_template(
            "appgov/training/retakes_list.html",
            proposals=_proposals(scope),
            waiting=results.waiting(scope),
            form=form,
            error=error,
            keeper=access.keeps_courses(),
            statuses=ENROLLMENT_STATUSES,
            course_types=COURSE_TYPES,
            locale=current_locale(),
            agency_name=agency_display_name,
        ),
        400 if error else 200,
    )


# -- fitness reviews ------------------------------------------------------------------------


@blueprint.route("/training/fitness", methods=["GET", "POST"])
@login_required
def training_fitness():
    scope = _require_keeper()
    session = get_state().session
    form = CsrfForm()
    errors: dict[str, str] = {}
    failed_flag = None
    if request.method == "POST":
        action = request.form.get("action")
        flag = fitness.flag_in_scope(request.form.get("flag"), scope)
        if flag is None:
            abort(404)
        failed_flag = flag.id
        note = request.form.get("note", "")
        if not form.validate():
            errors["note"] = _("The form expired; send it again.")
        else:
            try:
                if action == "open":
                    case_id = fitness.open_review(flag, _actor(), note)
                    message = _(
                        "Fitness review case #%(case)s opened for the agency (TP-TRN-4).",
                        case=str(case_id),
                    )
                elif action == "decline":
                    fitness.decline(flag, note, _actor())
                    message = _("No fitness review: the note is recorded (TP-TRN-4).")
                else:
                    raise fitness.FitnessError(_("Action: open the review or decline it."))
                session.commit()
            except fitness.FitnessError as error:
                session.rollback()
                errors[error.field or "note"] = str(error)
            except BaseException:
                session.rollback()
                raise
            else:
                flash(message, "success")
                return redirect(url_for("appgov.training_fitness"), 303)
    return (
        render_template(
            "appgov/training/fitness_flags.html",
            flags=fitness.flags(scope),
            form=form,
            errors=errors,
            failed_flag=failed_flag,
            case_url=case_url,
            course_types=COURSE_TYPES,
            locale=current_locale(),
            agency_name=agency_display_name,
        ),
        400 if errors else 200,
    )
