"""appgov's reactions to the steps of the training leave request (``appgov_training_leave``,
form ``training_leave_request`` version 2; one of the host plug-in's ``WORKFLOWS``: ``veto``
and ``after``, as :mod:`appgov_plugin.rollout.workflows`).

* submitting, resubmitting and the IT department's acceptance are refused (the message
  naming the rule and the field, nothing written) when the trainee (``employee_id``) or the
  course (``course_code``) is unknown, the person is not the filing agency's trainee on that
  course, the session (``session_date``, ``session_time`` when the course meets more than
  once that day) is not the course's, the hours are above the session's, or leave "in
  advance" is submitted after the session started (rule TP-TRN-2,
  :func:`.attendance.leave_problem`);
* a submission records its moment (Taipei time) and, for an emergency make-up, the
  ``leave_makeup`` deadline (``policy.deadline("leave_makeup", session date)``, TIME-2) in
  the deadline table: the case page shows the due date, overdue when made up late; the
  acceptance judges the leave by that moment (the filing date is the submission's);
* the IT department's acceptance records the leave on the trainee's attendance
  (:func:`.attendance.file_leave`): leave, or an unexcused absence when made up after the
  deadline (the agency and the trainee are told why), and the trainee's status follows
  (TP-TRN-3: dismissed at the leave threshold or on the unexcused absence).

Version 1 cases (typed trainee and session names) and deployments that keep no course in
appgov are plain filings, as before.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa

from .. import clock
from ..i18n import _, _l, format_date
from ..lifecycle import deadlines as lifecycle_deadlines
from ..lifecycle.models import Deadline
from ..rollout.models import RolloutPerson
from ..state import get_state
from . import attendance
from .attendance import AttendanceError
from .case_types import LEAVE_REQUEST
from .models import Course, Enrollment

CHECKED = ("submit", "resubmit", "accept")
#: The deadline rows a submission records: an emergency's make-up deadline (shown on the
#: case), leave in advance (the moment of the request).
MAKEUP = attendance.MAKEUP
IN_ADVANCE = "leave_in_advance"
MAKEUP_LABEL = _l("the make-up of emergency leave (TP-TRN-2)")
_TIME = re.compile(r"^([01]?\d|2[0-3])[:：]([0-5]\d)$")

_FALLBACK_LABELS = {
    "employee_id": _l("Trainee's employee ID"),
    "course_code": _l("Course code"),
    "session_date": _l("Leave day (the session date)"),
    "session_time": _l("Session start time"),
    "leave_kind": _l("Kind of leave"),
    "leave_hours": _l("Hours of leave"),
}


class Leave:
    """A leave request case read against the training records."""

    def __init__(self, case, enrollment, session, kind, hours):
        self.case = case
        self.enrollment = enrollment
        self.session = session
        self.kind = kind
        self.hours = hours


def _definition(case):
    from ..forms import store

    try:
        if case.form_key and case.form_version:
            return store.get(case.form_key, case.form_version)
    except (LookupError, ValueError):
        return None
    return None


def labels(case) -> dict[str, str]:
    """The field labels of the form the case was filed with (the refusals name them)."""
    from ..forms.schema import Text

    definition = _definition(case)
    out = {name: str(text) for name, text in _FALLBACK_LABELS.items()}
    if definition is not None:
        for name in _FALLBACK_LABELS:
            if name in definition.names and definition.spec(name).get("label"):
                out[name] = str(Text(definition.spec(name)["label"]))
    return out


def checked(case) -> bool:
    """Whether appgov checks and applies ``case``: a version 2 leave request (it names the
    course by code) where the deployment keeps courses in appgov."""
    if case.type_key != LEAVE_REQUEST or "course_code" not in (case.data or {}):
        return False
    return get_state().session.scalar(sa.select(Course.id).limit(1)) is not None


def _refused(case, field: str, message: str) -> AttendanceError:
    return AttendanceError(
        _("%(rule)s: %(message)s", rule=attendance.RULE_LEAVE, message=message), field
    )


def read(case) -> Leave:
    """The case's trainee, session, kind and hours, or :class:`AttendanceError` naming the
    rule and the field."""
    db = get_state().session
    data = case.data or {}
    names = labels(case)
    employee_id = str(data.get("employee_id") or "").strip()
    person = (
        db.scalars(
            sa.select(RolloutPerson).where(RolloutPerson.employee_id == employee_id).limit(1)
        ).first()
        if employee_id
        else None
    )
    if person is None:
        raise _refused(
            case,
            "employee_id",
            _(
                "%(field)s: “%(value)s” is no one in the registry.",
                field=names["employee_id"],
                value=employee_id,
            ),
        )
    code = str(data.get("course_code") or "").strip()
    course = db.scalars(sa.select(Course).where(Course.code == code)).first() if code else None
    if course is None:
        raise _refused(
            case,
            "course_code",
            _(
                "%(field)s: “%(value)s” is no course of the training records.",
                field=names["course_code"],
                value=code,
            ),
        )
    enrollment = db.scalars(
        sa.select(Enrollment).where(
            Enrollment.course_id == course.id, Enrollment.person_id == person.id
        )
    ).first()
    if enrollment is None or enrollment.agency_code != case.agency_code:
        # not the agency's own trainee: the same answer whether enrolled by another agency
        # or not at all (nothing about another agency's people is told)
        raise _refused(
            case,
            "employee_id",
            _(
                "%(field)s: %(value)s is not a trainee of your agency on course %(course)s.",
                field=names["employee_id"],
                value=employee_id,
                course=course.code,
            ),
        )
    day = data.get("session_date")
    try:
        day = day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day or ""))
    except ValueError:
        day = None
    sessions = [s for s in course.sessions if s.on == day] if day else []
    if not sessions:
        known = ", ".join(format_date(s.on) for s in course.sessions) or "—"
        raise _refused(
            case,
            "session_date",
            _(
                "%(field)s: course %(course)s has no session on that day (its sessions: "
                "%(known)s).",
                field=names["session_date"],
                course=course.code,
                known=known,
            ),
        )
    session = sessions[0]
    if len(sessions) > 1:
        text = str(data.get("session_time") or "").strip()
        match = _TIME.match(text)
        wanted = dt.time(int(match[1]), int(match[2])) if match else None
        found = [s for s in sessions if s.starts_at == wanted]
        if not found:
            raise _refused(
                case,
                "session_time",
                _(
                    "%(field)s: course %(course)s has %(count)s sessions on %(day)s; give the "
                    "start time of one (%(times)s).",
                    field=names["session_time"],
                    course=course.code,
                    count=len(sessions),
                    day=format_date(day),
                    times=", ".join(s.starts_at.strftime("%H:%M") for s in sessions),
                ),
            )
        session = found[0]
    try:
        hours = Decimal(str(data.get("leave_hours") or "").strip())
        if not hours.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        raise _refused(
            case,
            "leave_hours",
            _("%(field)s: not a number of hours.", field=names["leave_hours"]),
        ) from None
    kind = str(data.get("leave_kind") or "")
    return Leave(case, enrollment, session, kind, hours)


def problem(case, filed_at: dt.datetime) -> AttendanceError | None:
    """Why ``case``, filed at ``filed_at`` (Taipei), is refused; ``None``: it is not."""
    try:
        leave = read(case)
    except AttendanceError as error:
        return error
    error = attendance.leave_problem(
        leave.enrollment, leave.session, leave.kind, leave.hours, filed_at, labels(case)
    )
    if error is None or "TP-TRN-" in str(error):
        return error
    return _refused(case, error.field, str(error))


# -- the submission's moment -------------------------------------------------------------


def _rows(case) -> list[Deadline]:
    return list(
        get_state().session.scalars(
            sa.select(Deadline)
            .where(
                Deadline.case_id == int(case.id),
                Deadline.kind.in_((MAKEUP, IN_ADVANCE)),
                Deadline.type_key == LEAVE_REQUEST,
            )
            .order_by(Deadline.id)
        )
    )


def record_submission(case, at: dt.datetime) -> Deadline:
    """The agency submitted ``case`` at ``at``: its moment and, for an emergency, the make-up
    deadline (overdue when submitted late, rule TP-TRN-2). No commit."""
    leave = read(case)
    session = leave.session
    filed_on = at.astimezone(clock.TAIPEI).date()
    if leave.kind == "emergency":
        due = attendance.makeup_due(session)
        kind = MAKEUP
    else:
        due, kind = session.on, IN_ADVANCE
    moment = at.astimezone(dt.UTC)
    row = Deadline(
        case_id=int(case.id),
        app_id=None,
        type_key=case.type_key,
        state="submitted",
        kind=kind,
        started_on=session.on,
        due_on=due,
        closed_at=moment,
        overdue_at=moment if kind == MAKEUP and filed_on > due else None,
    )
    db = get_state().session
    db.add(row)
    db.flush()
    return row


def submitted_at(case) -> dt.datetime:
    """The moment the agency (last) submitted ``case``, in Taipei (now when not recorded)."""
    rows = _rows(case)
    if not rows or rows[-1].closed_at is None:
        return attendance.taipei_now()
    at = rows[-1].closed_at
    if at.tzinfo is None:  # SQLite keeps no time zone: stored in UTC
        at = at.replace(tzinfo=dt.UTC)
    return at.astimezone(clock.TAIPEI)


# -- the host's hooks --------------------------------------------------------------------


def veto(case, transition, user, comment="") -> str | None:
    if transition.name not in CHECKED or not checked(case):
        return None
    at = submitted_at(case) if transition.name == "accept" else attendance.taipei_now()
    error = problem(case, at)
    return str(error) if error is not None else None


def after(case, transition, user, comment="") -> None:
    if not checked(case):
        return
    if transition.name in ("submit", "resubmit"):
        record_submission(case, attendance.taipei_now())
    elif transition.name == "accept":
        leave = read(case)
        outcome = attendance.file_leave(
            leave.enrollment,
            leave.session,
            leave.kind,
            leave.hours,
            submitted_at(case),
            user,
            case_id=int(case.id),
        )
        if outcome.late:
            _notify_late(case, leave, outcome)


def _notify_late(case, leave: Leave, outcome) -> None:
    """rule TP-TRN-2: the agency and the trainee are told why the leave became an unexcused
    absence."""
    from ..notifications import notify

    person = leave.enrollment.person
    notify(
        "training_leave_late",
        roles=("agency_staff", "agency_head"),
        agency_code=leave.enrollment.agency_code,
        usernames=(person.username,) if person.username else (),
        subject=_l("Leave of %(person)s made up late: an unexcused absence (TP-TRN-2)"),
        body=_l(
            "The leave of %(person)s from the session of %(day)s was made up after the "
            "make-up deadline %(due)s: it is recorded as an unexcused absence (TP-TRN-2)."
        ),
        params={"person": person.name, "day": leave.session.on, "due": outcome.due_on},
        case_id=int(case.id),
    )


# rule TP-TRN-2: the make-up's due date stays shown on the case once made, overdue when late
lifecycle_deadlines.shown_closed(MAKEUP, MAKEUP_LABEL)
