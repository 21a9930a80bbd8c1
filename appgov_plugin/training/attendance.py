"""Attendance, leave and dismissal (TP-TRN-2, TP-TRN-3; the ``leave_makeup`` deadline, TIME-2).

* :func:`summaries` -- per enrollment: the leave hours so far, the unexcused absences, the
  leave threshold of the course type in hours (parameter ``leave_dismissal_percent`` of the
  policy in force when the course began), the status ``policy.training_status(...)``
  answers and the dismissal (rule, reason). A constant number of queries, whatever the
  number of trainees or courses.
* :func:`record_roll_call` -- the trainer's roll call of one session: present, on leave
  (hours, at most the session's; the session's by default) or absent. An absent trainee may
  make the leave up until ``makeup_due_on = policy.deadline("leave_makeup", session.on)``
  (rule TP-TRN-2).
* :func:`file_leave` -- leave asked in advance (before the session starts, Taipei time) or
  made up after an emergency within the deadline; a make-up after ``makeup_due_on`` is
  recorded as an unexcused absence (rule TP-TRN-2).
* :func:`recompute` -- after every change: a trainee whose leave reaches the threshold or who
  has an unexcused absence is dismissed (rule TP-TRN-3): status ``dismissed``,
  ``dismissed_on``, ``dismissal_rule = "TP-TRN-3"`` and ``dismissal_reason`` (the figures as
  JSON, shown in the reader's language by :func:`dismissal_text`); then
  :func:`appgov_plugin.training.results.after_outcome` proposes the retake (TP-TRN-4).
* :func:`sweep_overdue` -- the sweep's step (``flask appgov sweep``): absences whose make-up
  deadline has passed become unexcused, once, and their trainees are dismissed.

Nothing here commits: the caller (a page, a case's transition, the sweep) does.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa

from .. import clock
from ..i18n import _, format_date, format_number
from ..state import get_state
from .models import Attendance, Course, Enrollment, TrainingSession

RULE_LEAVE = "TP-TRN-2"
RULE_DISMISSAL = "TP-TRN-3"
#: The deadline kind of an emergency make-up (TIME-2).
MAKEUP = "leave_makeup"
#: The marks a roll call records.
ROLL_CALL_MARKS = ("present", "leave", "absent")
#: Enrollments whose attendance still counts (a passed, failed or withdrawn one is closed).
OPEN_STATUSES = ("enrolled",)
ZERO = Decimal("0")
TENTH = Decimal("0.1")


class AttendanceError(ValueError):
    """A roll call or leave the rules refuse: ``str()`` names the rule, the trainee and the
    field; ``field`` is the form field at fault, ``enrollment_id`` the trainee's row."""

    def __init__(self, message: str, field: str | None = None, enrollment_id: int | None = None):
        super().__init__(message)
        self.field = field
        self.enrollment_id = enrollment_id


# -- time --------------------------------------------------------------------------------


def taipei_now() -> dt.datetime:
    """Now in Taipei (TIME-5), on :func:`appgov_plugin.clock.today`'s day."""
    now = dt.datetime.now(clock.TAIPEI)
    day = clock.today()
    if now.date() != day:
        now = dt.datetime.combine(day, now.timetz())
    return now


def session_start(session: TrainingSession) -> dt.datetime:
    """The moment the session starts, in Taipei."""
    return dt.datetime.combine(session.on, session.starts_at, tzinfo=clock.TAIPEI)


def started(session: TrainingSession, at: dt.datetime | None = None) -> bool:
    """Whether the session has started at ``at`` (default now in Taipei)."""
    return (at or taipei_now()) >= session_start(session)


# -- policy ------------------------------------------------------------------------------


class _Policies:
    """One policy per day, from one :meth:`AppGovState.policy` call (its freshness check is
    one query; the days' siblings share its plug-in manager)."""

    def __init__(self):
        self._base = None
        self._days: dict[dt.date, object] = {}

    def on(self, day: dt.date | None):
        day = day or clock.today()
        policy = self._days.get(day)
        if policy is None:
            if self._base is None:
                self._base = get_state().policy()
            base = self._base
            policy = self._days[day] = type(base)(base.profile, base.plugin_manager, day)
        return policy


def _hours(value) -> Decimal:
    return Decimal(value if value is not None else 0)


def threshold_hours(policy, course_type: str, course_hours) -> tuple[Decimal, Decimal]:
    """(percent, hours): the leave that dismisses a trainee of the course (rule TP-TRN-3)."""
    percent = Decimal(policy.param("leave_dismissal_percent")[course_type])
    return percent, percent * _hours(course_hours) / 100


# -- the summaries -----------------------------------------------------------------------


@dataclass(frozen=True)
class TraineeSummary:
    """One trainee's attendance on one course (rule TP-TRN-3)."""

    enrollment_id: int
    course_id: int
    course_type: str
    course_hours: Decimal
    #: Leave recorded so far (hours).
    leave_hours: Decimal
    #: Unexcused absences (曠課).
    unexcused: int
    #: Absences whose make-up window is still open.
    absent: int
    #: The leave percentage of the course type and the hours it makes.
    threshold_percent: Decimal
    threshold_hours: Decimal
    #: ``policy.training_status(...)``: "active" or "dismissed".
    status: str
    #: The enrollment's status as recorded ("enrolled", "dismissed", "passed", ...).
    enrollment_status: str
    dismissed_on: dt.date | None
    dismissal_rule: str | None
    #: The stored reason (JSON figures; :func:`dismissal_text` words it).
    dismissal_reason: str | None

    @property
    def dismissed(self) -> bool:
        return self.enrollment_status == "dismissed" or self.status == "dismissed"

    @property
    def leave_left(self) -> Decimal:
        """Leave hours the trainee may still take before reaching the threshold."""
        return max(ZERO, self.threshold_hours - self.leave_hours)

    def reason_text(self) -> str:
        """The dismissal's reason in the reader's language ("" when not dismissed)."""
        return reason_text(self.dismissal_reason)


def _ids(enrollments) -> list[int]:
    ids = []
    for item in enrollments:
        ids.append(int(item if isinstance(item, int) else item.id))
    return sorted(set(ids))


def summaries(enrollments, policies: _Policies | None = None) -> dict[int, TraineeSummary]:
    """Per enrollment id (``enrollments``: Enrollment rows or ids): the trainee's leave hours,
    unexcused absences, the leave threshold in hours and the status
    ``policy.training_status`` answers (rule TP-TRN-3), with the recorded dismissal.

    Three queries whatever the number of enrollments (plus the policy's freshness check):
    the enrollments with their course, the courses' first session days and the attendance
    totals. The parameters are those in force on the course's first session day (today for a
    course without sessions)."""
    ids = _ids(enrollments)
    if not ids:
        return {}
    session = get_state().session
    rows = session.execute(
        sa.select(
            Enrollment.id,
            Enrollment.course_id,
            Enrollment.status,
            Enrollment.dismissed_on,
            Enrollment.dismissal_rule,
            Enrollment.dismissal_reason,
            Course.course_type,
            Course.hours,
        )
        .join(Course, Course.id == Enrollment.course_id)
        .where(Enrollment.id.in_(ids))
    ).all()
    course_ids = sorted({row.course_id for row in rows})
    starts = (
        dict(
            session.execute(
                sa.select(TrainingSession.course_id, sa.func.min(TrainingSession.on))
                .where(TrainingSession.course_id.in_(course_ids))
                .group_by(TrainingSession.course_id)
            ).all()
        )
        if course_ids
        else {}
    )
    totals = {
        row.enrollment_id: row
        for row in session.execute(
            sa.select(
                Attendance.enrollment_id,
                sa.func.coalesce(
                    sa.func.sum(
                        sa.case((Attendance.status == "leave", Attendance.leave_hours), else_=0)
                    ),
                    0,
                ).label("leave"),
                sa.func.sum(sa.case((Attendance.status == "unexcused", 1), else_=0)).label(
                    "unexcused"
                ),
                sa.func.sum(sa.case((Attendance.status == "absent", 1), else_=0)).label("absent"),
            )
            .where(Attendance.enrollment_id.in_(ids))
            .group_by(Attendance.enrollment_id)
        ).all()
    }
    policies = policies or _Policies()
    out = {}
    for row in rows:
        policy = policies.on(starts.get(row.course_id))
        total = totals.get(row.id)
        leave = _hours(total.leave if total is not None else 0).quantize(TENTH)
        unexcused = int(total.unexcused or 0) if total is not None else 0
        absent = int(total.absent or 0) if total is not None else 0
        hours = _hours(row.hours)
        percent, limit = threshold_hours(policy, row.course_type, hours)
        out[row.id] = TraineeSummary(
            enrollment_id=row.id,
            course_id=row.course_id,
            course_type=row.course_type,
            course_hours=hours,
            leave_hours=leave,
            unexcused=unexcused,
            absent=absent,
            threshold_percent=percent,
            threshold_hours=limit,
            status=policy.training_status(row.course_type, hours, leave, unexcused),
            enrollment_status=row.status,
            dismissed_on=row.dismissed_on,
            dismissal_rule=row.dismissal_rule,
            dismissal_reason=row.dismissal_reason,
        )
    return out


# -- the dismissal's reason ----------------------------------------------------------------


def _reason(summary: TraineeSummary, session_on: dt.date | None = None) -> str:
    """The figures of a dismissal, stored as JSON and worded at display time."""
    if summary.unexcused:
        data = {"kind": "unexcused", "count": summary.unexcused}
        if session_on is not None:
            data["session_on"] = session_on.isoformat()
    else:
        data = {
            "kind": "leave",
            "leave_hours": str(summary.leave_hours),
            "course_hours": str(summary.course_hours),
            "percent": str(summary.threshold_percent),
        }
    return json.dumps(data, sort_keys=True)


def _number(text) -> Decimal | None:
    try:
        return Decimal(str(text)).normalize()
    except (InvalidOperation, ValueError):
        return None


def _plain(value: Decimal) -> str:
    value = value.normalize()
    return format_number(value.quantize(Decimal(1)) if value == value.to_integral() else value)


def reason_text(stored: str | None) -> str:
    """A stored dismissal reason in the reader's language (rule TP-TRN-3): "2.4 h of leave of
    a 12 h course reaches 20 %", "1 unexcused absence (session of 2027-02-03)". A reason not
    written by this module is shown as it stands."""
    if not stored:
        return ""
    try:
        data = json.loads(stored)
    except ValueError:
        return stored
    if not isinstance(data, dict):
        return stored
    if data.get("kind") == "leave":
        leave, hours, percent = (
            _number(data.get(key)) for key in ("leave_hours", "course_hours", "percent")
        )
        if None in (leave, hours, percent):
            return stored
        return _(
            "%(leave)s h of leave of a %(hours)s h course reaches %(percent)s %% (TP-TRN-3)",
            leave=_plain(leave),
            hours=_plain(hours),
            percent=_plain(percent),
        )
    if data.get("kind") == "unexcused":
        day = data.get("session_on")
        try:
            day = dt.date.fromisoformat(day) if day else None
        except ValueError:
            day = None
        if day is not None:
            return _(
                "An unexcused absence from the session of %(day)s (TP-TRN-3)",
                day=format_date(day),
            )
        return _("An unexcused absence (TP-TRN-3)")
    return stored


def dismissal_text(enrollment) -> str:
    """``enrollment``'s dismissal reason in the reader's language ("" when none)."""
    return reason_text(getattr(enrollment, "dismissal_reason", None))
