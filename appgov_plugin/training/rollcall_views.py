"""The roll call of a training session on appgov's blueprint (TP-TRN-2, TP-TRN-3).

``GET|POST /training/sessions/<id>/roll-call`` (endpoint ``appgov.training_roll_call``): each
trainee of the session's course, one per row (a fieldset: present / on leave / absent and the
hours of leave, the session's by default), with their leave so far against the course type's
threshold and their status. Saving records the marks (:func:`.attendance.record_roll_call`):
an absent trainee may make the leave up until the ``leave_makeup`` deadline; a trainee whose
leave reaches the threshold, or with an unexcused absence, is dismissed (TP-TRN-3). Bad input
(hours above the session's, letters) is answered naming the trainee and nothing is written.

Who: :func:`.access.may_take_roll_call` -- the IT department (sessions of courses with a
trainee of its city, or none yet), the administrator, the session's own lecturer. Other roles
that read training records get 404 for a session they do not keep (as for a missing one),
roles that read none 403. Built for a phone (390 px: no table, big targets) and the keyboard.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..forms.builder import AppGovForm
from ..i18n import _, current_locale, format_date
from ..state import get_state
from ..web import blueprint
from . import access, attendance
from .models import ATTENDANCE_STATUSES, ENROLLMENT_STATUSES, Enrollment, TrainingSession

blueprint.add_templates(__file__)

MARKS = {
    "present": ATTENDANCE_STATUSES["present"],
    "leave": ATTENDANCE_STATUSES["leave"],
    "absent": ATTENDANCE_STATUSES["absent"],
}


def _link(endpoint: str, **values) -> str | None:
    return url_for(endpoint, **values) if endpoint in current_app.view_functions else None


def _readable(session: TrainingSession) -> bool:
    """Whether the IT department's city scope reaches the session: a course with no trainee
    yet, or one with a trainee of its city (the administrator: every session)."""
    scope = access.agency_scope()
    if scope is None:
        return True
    codes = (
        get_state()
        .session.scalars(
            sa.select(Enrollment.agency_code).where(Enrollment.course_id == session.course_id)
        )
        .all()
    )
    return not codes or bool(set(codes) & scope)


def require_roll_call(session_id: int) -> TrainingSession:
    """The session, or 404 (missing, or outside the reader's scope) / 403 (a role that reads
    no training record)."""
    session = get_state().session.get(TrainingSession, session_id)
    if not (access.reads_training() or access.own_person() is not None):
        abort(403)  # a lecturer is a person of the registry in whatever role
    if session is None or not access.may_take_roll_call(session):
        abort(404)
    if access.keeps_courses() and not _readable(session):
        lecturer = session.lecturer
        own = lecturer is not None and lecturer.person.username == getattr(
            current_user, "username", None
        )
        if not own:
            abort(404)
    return session


def readable_roll(session: TrainingSession):
    """The session's roll (:func:`.attendance.roll`) as the reader may see it (issue 16: a
    person's records are read by their agency and the IT department of their city): the
    whole roll for the administrator and the session's own lecturer (their task), the
    trainees of its city's agencies for the IT department of a course shared with another
    city."""
    roll = attendance.roll(session)
    scope = access.agency_scope()
    lecturer = session.lecturer
    username = getattr(current_user, "username", None)
    if scope is None or (lecturer is not None and lecturer.person.username == username):
        return roll
    return [(enrollment, row) for enrollment, row in roll if enrollment.agency_code in scope]


def _rows(session: TrainingSession, posted=None):
    """The page's rows: (enrollment, attendance, summary, mark, hours) per trainee."""
    roll = readable_roll(session)
    found = attendance.summaries([enrollment for enrollment, _row in roll])
    rows = []
    for enrollment, row in roll:
        mark = row.status if row is not None else ""
        if mark == "unexcused":
            mark = "absent"
        hours = (
            attendance.plain_hours(row.leave_hours)
            if row is not None and row.leave_hours is not None and row.status == "leave"
            else ""
        )
        if posted is not None and enrollment.id in posted:
            mark, hours = posted[enrollment.id]
        rows.append(
            {
                "enrollment": enrollment,
                "person": enrollment.person,
                "attendance": row,
                "summary": found.get(enrollment.id),
                "mark": mark or "",
                "hours": hours or "",
                "editable": enrollment.status in attendance.OPEN_STATUSES,
            }
        )
    return rows


@blueprint.route("/training/sessions/<int:session_id>/roll-call", methods=["GET", "POST"])
@login_required
def training_roll_call(session_id: int):
    db = get_state().session
    session = require_roll_call(session_id)
    form = AppGovForm()
    errors: list[attendance.AttendanceError] = []
    posted = None
    if request.method == "POST":
        editable = [
            enrollment
            for enrollment, _row in readable_roll(session)
            if enrollment.status in attendance.OPEN_STATUSES
        ]
        posted = {}
        for enrollment in editable:
            mark = (request.form.get(f"mark-{enrollment.id}") or "").strip()
            hours = (request.form.get(f"hours-{enrollment.id}") or "").strip()
            if mark:
                posted[enrollment.id] = (mark, hours)
        if not form.validate():
            errors.append(
                attendance.AttendanceError(
                    " ".join(str(e) for e in form.csrf_token.errors) if form.meta.csrf else "",
                    "csrf",
                )
            )
        elif not posted:
            errors.append(
                attendance.AttendanceError(
                    _("Mark each trainee present, on leave or absent."), "mark"
                )
            )
        else:
            try:
                result = attendance.record_roll_call(session, posted, current_user.username)
                db.commit()
            except attendance.AttendanceError as error:
                db.rollback()
                errors.append(error)
            except BaseException:
                db.rollback()
                raise
            else:
                flash(
                    _(
                        "The roll call of %(day)s is saved: %(count)s trainees recorded.",
                        day=format_date(session.on),
                        count=str(len(posted)),
                    ),
                    "success",
                )
                for enrollment in result.dismissed:
                    flash(
                        _(
                            "%(trainee)s is dismissed: %(reason)s",
                            trainee=attendance.trainee_label(enrollment),
                            reason=attendance.dismissal_text(enrollment),
                        ),
                        "warning",
                    )
                return redirect(
                    url_for("appgov.training_roll_call", session_id=session.id), code=303
                )
    course = session.course
    rows = _rows(session, posted if errors else None)
    return (
        render_template(
            "appgov/training/rollcall_session.html",
            session=session,
            course=course,
            course_title=course.display_title(current_locale()),
            rows=rows,
            form=form,
            errors=errors,
            marks=MARKS,
            statuses=ENROLLMENT_STATUSES,
            attendance_statuses=ATTENDANCE_STATUSES,
            makeup_due=attendance.makeup_due(session),
            course_link=_link("appgov.training_course", course_id=course.id),
            reason_text=attendance.reason_text,
            plain=attendance.plain_hours,
        ),
        400 if errors else 200,
    )
