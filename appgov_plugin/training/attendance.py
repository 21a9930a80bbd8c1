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
from ..i18n import _, _l, format_date, format_number
from ..state import get_state
from .models import ENROLLMENT_STATUSES, Attendance, Course, Enrollment, TrainingSession

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


#: The dismissal reasons' texts (rule TP-TRN-3), worded at display time.
LEAVE_REASON = _l("%(leave)s h of leave of a %(hours)s h course reaches %(percent)s %% (TP-TRN-3)")
UNEXCUSED_ON_REASON = _l("An unexcused absence from the session of %(day)s (TP-TRN-3)")
UNEXCUSED_REASON = _l("An unexcused absence (TP-TRN-3)")


def _reason_parts(stored: str | None):
    """``(lazy text, params)`` of a stored reason (the day a date), else ``None``."""
    try:
        data = json.loads(stored) if stored else None
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    if data.get("kind") == "leave":
        leave, hours, percent = (
            _number(data.get(key)) for key in ("leave_hours", "course_hours", "percent")
        )
        if None in (leave, hours, percent):
            return None
        return LEAVE_REASON, {
            "leave": _plain(leave),
            "hours": _plain(hours),
            "percent": _plain(percent),
        }
    if data.get("kind") == "unexcused":
        try:
            day = dt.date.fromisoformat(data["session_on"]) if data.get("session_on") else None
        except (TypeError, ValueError):
            day = None
        if day is not None:
            return UNEXCUSED_ON_REASON, {"day": day}
        return UNEXCUSED_REASON, {}
    return None


def reason_text(stored: str | None) -> str:
    """A stored dismissal reason in the reader's language (rule TP-TRN-3): "2.4 h of leave of
    a 12 h course reaches 20 %", "An unexcused absence from the session of 2027-02-03". A
    reason not written by this module is shown as it stands."""
    if not stored:
        return ""
    parts = _reason_parts(stored)
    if parts is None:
        return stored
    text, params = parts
    shown = {k: format_date(v) if isinstance(v, dt.date) else v for k, v in params.items()}
    return _(text._args[0], **shown)


def reason_lazy(stored: str | None):
    """The stored reason as a lazy string with its figures (a notification's parameter,
    worded in each reader's language), or the stored text."""
    parts = _reason_parts(stored)
    if parts is None:
        return stored or ""
    text, params = parts
    return _l(text._args[0], **params)


def dismissal_text(enrollment) -> str:
    """``enrollment``'s dismissal reason in the reader's language ("" when none)."""
    return reason_text(getattr(enrollment, "dismissal_reason", None))


# -- reading input -----------------------------------------------------------------------


def parse_hours(text, label: str, session: TrainingSession) -> Decimal:
    """Hours of leave typed for ``session`` (``label`` names the trainee's field): a number
    above 0, at most the session's hours, to a tenth of an hour; ``AttendanceError``
    otherwise."""
    raw = str(text if text is not None else "").strip().replace(",", ".")
    limit = _hours(session.hours)
    try:
        hours = Decimal(raw)
        if not hours.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        raise AttendanceError(
            _(
                "%(field)s: “%(value)s” is not a number of hours; write it as 1.5.",
                field=label,
                value=raw,
            ),
            "hours",
        ) from None
    if hours <= 0 or hours > limit:
        raise AttendanceError(
            _(
                "%(field)s: %(value)s h is not between 0.1 h and the session's %(limit)s h "
                "(TP-TRN-3).",
                field=label,
                value=_plain(hours) if hours.is_finite() else raw,
                limit=_plain(limit),
            ),
            "hours",
        )
    if hours != hours.quantize(TENTH):
        raise AttendanceError(
            _(
                "%(field)s: %(value)s h: give the hours to a tenth of an hour (1.5).",
                field=label,
                value=raw,
            ),
            "hours",
        )
    return hours.quantize(TENTH)


def trainee_label(enrollment: Enrollment) -> str:
    """How a message names the trainee: name and employee id."""
    person = enrollment.person
    return f"{person.name} ({person.employee_id})" if person.employee_id else person.name


# -- the roll call -----------------------------------------------------------------------


def roll(session: TrainingSession) -> list[tuple[Enrollment, Attendance | None]]:
    """The trainees of ``session``'s course (every enrollment but proposed and withdrawn
    ones), with their attendance at it; two queries."""
    db = get_state().session
    enrollments = list(
        db.scalars(
            sa.select(Enrollment)
            .options(sa.orm.joinedload(Enrollment.person))
            .where(
                Enrollment.course_id == session.course_id,
                Enrollment.status.not_in(("proposed", "withdrawn")),
            )
        )
    )
    enrollments.sort(key=lambda e: (e.person.name, e.person.employee_id or "", e.id))
    rows = {
        row.enrollment_id: row
        for row in db.scalars(sa.select(Attendance).where(Attendance.session_id == session.id))
    }
    return [(enrollment, rows.get(enrollment.id)) for enrollment in enrollments]


def makeup_due(session: TrainingSession, policies: _Policies | None = None) -> dt.date:
    """rule TP-TRN-2: the last day an absence from ``session`` may be made up (TIME-2)."""
    policy = (policies or _Policies()).on(session.on)
    return policy.deadline(MAKEUP, session.on)


@dataclass
class RollCallResult:
    changed: list[Attendance]
    dismissed: list[Enrollment]


def record_roll_call(session: TrainingSession, marks, actor) -> RollCallResult:
    """Record the roll call of ``session``: ``marks`` maps an enrollment id to ``(mark,
    hours)`` (``mark`` one of :data:`ROLL_CALL_MARKS`, ``hours`` the typed leave hours, the
    session's when blank). Every mark is checked first: an :class:`AttendanceError` naming the
    trainee and the field is raised and nothing is written. Trainees not in ``marks`` are left
    as they are; a trainee no longer enrolled (dismissed, passed, failed) is not recorded.
    Then each trainee's status is recomputed (rule TP-TRN-3). No commit."""
    from .enrollment import actor_name

    username = actor_name(actor)
    if session.on > clock.today():
        raise AttendanceError(
            _(
                "The session of %(day)s has not taken place yet: its roll call is taken on "
                "the day.",
                day=format_date(session.on),
            ),
            "session",
        )
    policies = _Policies()
    due = makeup_due(session, policies)
    known = {enrollment.id: (enrollment, row) for enrollment, row in roll(session)}
    planned: list[tuple[Enrollment, Attendance | None, str, Decimal | None]] = []
    for enrollment_id, (mark, hours) in marks.items():
        if enrollment_id not in known:
            raise AttendanceError(
                _("Trainee %(id)s is not on this session's course.", id=enrollment_id),
                "trainee",
                enrollment_id,
            )
        enrollment, row = known[enrollment_id]
        label = trainee_label(enrollment)
        if enrollment.status not in OPEN_STATUSES:
            if row is None or row.status != mark:
                raise AttendanceError(
                    _(
                        "%(trainee)s: no longer attends the course (%(status)s); the roll call "
                        "does not change their attendance.",
                        trainee=label,
                        status=str(ENROLLMENT_STATUSES.get(enrollment.status, enrollment.status)),
                    ),
                    "mark",
                    enrollment_id,
                )
            continue
        if mark not in ROLL_CALL_MARKS:
            raise AttendanceError(
                _("%(trainee)s: choose present, on leave or absent.", trainee=label),
                "mark",
                enrollment_id,
            )
        if row is not None and row.status == "unexcused" and mark != "absent":
            # rule TP-TRN-2: the make-up window has passed; the roll call does not excuse it
            raise AttendanceError(
                _(
                    "%(trainee)s: the absence is already unexcused (the make-up deadline "
                    "%(due)s has passed, TP-TRN-2); it stays recorded as absent.",
                    trainee=label,
                    due=format_date(row.makeup_due_on or due),
                ),
                "mark",
                enrollment_id,
            )
        leave = None
        if mark == "leave":
            text = str(hours).strip() if hours is not None else ""
            label_hours = _("%(trainee)s, hours of leave", trainee=label)
            try:
                leave = parse_hours(text or str(session.hours), label_hours, session)
            except AttendanceError as error:
                raise AttendanceError(str(error), error.field, enrollment_id) from None
        planned.append((enrollment, row, mark, leave))
    db = get_state().session
    today = clock.today()
    changed = []
    for enrollment, row, mark, leave in planned:
        if row is None:
            row = Attendance(session_id=session.id, enrollment_id=enrollment.id, status=mark)
            db.add(row)
        elif row.status == "unexcused":
            continue  # kept (checked above: marked absent again)
        before = (row.status, row.leave_hours)
        row.status = mark
        row.recorded_by = username
        if mark == "present":
            row.leave_hours = row.leave_kind = row.leave_filed_on = row.makeup_due_on = None
        elif mark == "leave":
            row.leave_hours = leave
            row.makeup_due_on = None
        else:
            row.leave_hours = row.leave_kind = row.leave_filed_on = None
            row.makeup_due_on = due  # rule TP-TRN-2: the make-up window
            if today > due:  # recorded after the window closed: unexcused at once
                row.status = "unexcused"
        if row.id is None or before != (row.status, row.leave_hours):
            changed.append(row)
    db.flush()
    dismissed = recompute([enrollment for enrollment, *_rest in planned], actor, policies)
    return RollCallResult(changed=changed, dismissed=dismissed)


# -- leave -------------------------------------------------------------------------------


@dataclass
class LeaveOutcome:
    attendance: Attendance
    #: rule TP-TRN-2: an emergency made up after ``makeup_due_on``: an unexcused absence
    late: bool
    due_on: dt.date | None
    dismissed: bool

    def message(self) -> str:
        """What the trainee is told."""
        if self.late:
            return _(
                "The leave of %(day)s was made up after the make-up deadline %(due)s: it is "
                "recorded as an unexcused absence (TP-TRN-2).",
                day=format_date(self.attendance.session.on),
                due=format_date(self.due_on),
            )
        return _(
            "The leave of %(day)s is recorded: %(hours)s h.",
            day=format_date(self.attendance.session.on),
            hours=_plain(_hours(self.attendance.leave_hours)),
        )


def leave_problem(
    enrollment: Enrollment,
    session: TrainingSession,
    kind: str,
    hours: Decimal,
    filed_at: dt.datetime,
    labels: dict | None = None,
) -> AttendanceError | None:
    """Why leave of ``hours`` from ``session`` for ``enrollment``, filed at ``filed_at``
    (Taipei) as ``kind``, is refused (``None``: it is not). ``labels``: the form's field
    labels by name (the messages name them)."""
    labels = labels or {}

    def name(field: str, fallback) -> str:
        return str(labels.get(field) or fallback)

    trainee = trainee_label(enrollment)
    if session.course_id != enrollment.course_id:
        return AttendanceError(
            _(
                "%(field)s: %(trainee)s is not a trainee of the session's course.",
                field=name("course_code", _("Course code")),
                trainee=trainee,
            ),
            "course_code",
        )
    if enrollment.status not in OPEN_STATUSES:
        return AttendanceError(
            _(
                "%(field)s: %(trainee)s no longer attends the course (%(status)s).",
                field=name("employee_id", _("Trainee's employee ID")),
                trainee=trainee,
                status=str(ENROLLMENT_STATUSES.get(enrollment.status, enrollment.status)),
            ),
            "employee_id",
        )
    limit = _hours(session.hours)
    if hours <= 0 or hours > limit or hours != hours.quantize(TENTH):
        return AttendanceError(
            _(
                "%(field)s: %(value)s h is not between 0.1 h and the session's %(limit)s h, in "
                "tenths of an hour (TP-TRN-3).",
                field=name("leave_hours", _("Hours of leave")),
                value=_plain(hours),
                limit=_plain(limit),
            ),
            "leave_hours",
        )
    begins = session_start(session)
    if kind == "in_advance" and filed_at >= begins:
        # rule TP-TRN-2: leave in advance is asked before the session starts
        return AttendanceError(
            _(
                "%(field)s: leave in advance is asked before the session starts (%(day)s "
                "%(time)s); filed %(filed)s, it is an emergency make-up (TP-TRN-2).",
                field=name("leave_kind", _("Kind of leave")),
                day=format_date(session.on),
                time=session.starts_at.strftime("%H:%M"),
                filed=format_date(filed_at.date()) + " " + filed_at.strftime("%H:%M"),
            ),
            "leave_kind",
        )
    if kind == "emergency" and filed_at < begins:
        return AttendanceError(
            _(
                "%(field)s: the session has not started (%(day)s %(time)s): leave asked before "
                "it is leave in advance (TP-TRN-2).",
                field=name("leave_kind", _("Kind of leave")),
                day=format_date(session.on),
                time=session.starts_at.strftime("%H:%M"),
            ),
            "leave_kind",
        )
    if kind not in ("in_advance", "emergency"):
        return AttendanceError(
            _("%(field)s: choose in advance or emergency.", field=name("leave_kind", kind)),
            "leave_kind",
        )
    row = get_state().session.scalar(
        sa.select(Attendance).where(
            Attendance.session_id == session.id, Attendance.enrollment_id == enrollment.id
        )
    )
    if row is not None and row.status == "present":
        return AttendanceError(
            _(
                "%(field)s: %(trainee)s was recorded present at the session of %(day)s.",
                field=name("session_date", _("Leave day (the session date)")),
                trainee=trainee,
                day=format_date(session.on),
            ),
            "session_date",
        )
    return None


def file_leave(
    enrollment: Enrollment,
    session: TrainingSession,
    kind: str,
    hours: Decimal,
    filed_at: dt.datetime,
    actor,
    *,
    case_id: int | None = None,
) -> LeaveOutcome:
    """Record leave (rule TP-TRN-2): in advance, or an emergency made up by
    ``makeup_due_on``; made up later, the absence is unexcused (and the trainee dismissed,
    TP-TRN-3). :class:`AttendanceError` when :func:`leave_problem` refuses it (nothing
    written). No commit."""
    from .enrollment import actor_name

    problem = leave_problem(enrollment, session, kind, hours, filed_at)
    if problem is not None:
        raise problem
    db = get_state().session
    policies = _Policies()
    row = db.scalar(
        sa.select(Attendance).where(
            Attendance.session_id == session.id, Attendance.enrollment_id == enrollment.id
        )
    )
    if row is None:
        row = Attendance(session_id=session.id, enrollment_id=enrollment.id, status="leave")
        db.add(row)
    filed_on = filed_at.astimezone(clock.TAIPEI).date()
    due = None
    late = False
    if kind == "emergency":
        due = row.makeup_due_on or makeup_due(session, policies)
        late = filed_on > due  # rule TP-TRN-2: later than the deadline counts as unexcused
    row.status = "unexcused" if late or row.status == "unexcused" else "leave"
    row.leave_hours = hours.quantize(TENTH)
    row.leave_kind = kind
    row.leave_filed_on = filed_on
    row.makeup_due_on = due
    row.case_id = case_id if case_id is not None else row.case_id
    row.recorded_by = actor_name(actor)
    db.flush()
    row.session = session
    dismissed = recompute([enrollment], actor, policies)
    return LeaveOutcome(
        attendance=row, late=row.status == "unexcused", due_on=due, dismissed=bool(dismissed)
    )


# -- the status --------------------------------------------------------------------------


def recompute(enrollments, actor, policies: _Policies | None = None) -> list[Enrollment]:
    """rule TP-TRN-3: dismiss every enrolled trainee of ``enrollments`` whose leave reaches the
    threshold or who has an unexcused absence; returns the ones dismissed now (each passed to
    :func:`appgov_plugin.training.results.after_outcome`). A dismissal stands: a later
    correction of the attendance does not undo it. No commit."""
    enrollments = [e for e in enrollments if e.status in OPEN_STATUSES]
    if not enrollments:
        return []
    db = get_state().session
    db.flush()
    found = summaries(enrollments, policies)
    dismiss = [e for e in enrollments if found[e.id].status == "dismissed"]
    if not dismiss:
        return []
    first_unexcused = dict(
        db.execute(
            sa.select(Attendance.enrollment_id, sa.func.min(TrainingSession.on))
            .join(TrainingSession, TrainingSession.id == Attendance.session_id)
            .where(
                Attendance.enrollment_id.in_([e.id for e in dismiss]),
                Attendance.status == "unexcused",
            )
            .group_by(Attendance.enrollment_id)
        ).all()
    )
    today = clock.today()
    for enrollment in dismiss:
        enrollment.status = "dismissed"
        enrollment.dismissed_on = today
        enrollment.dismissal_rule = RULE_DISMISSAL
        enrollment.dismissal_reason = _reason(
            found[enrollment.id], first_unexcused.get(enrollment.id)
        )
    db.flush()
    _notify_dismissed(dismiss)
    try:
        from .results import after_outcome
    except ImportError:  # pragma: no cover - helper module of the same package
        after_outcome = None
    for enrollment in dismiss:
        if after_outcome is not None:
            after_outcome(enrollment, actor)  # rule TP-TRN-4: the retake
    return dismiss


def _notify_dismissed(dismissed: list[Enrollment]) -> None:
    """Tell the trainee's agency (and the trainee, when they log in) why (rule TP-TRN-3)."""
    from ..notifications import notify

    for enrollment in dismissed:
        person = enrollment.person
        notify(
            "training_dismissed",
            roles=("agency_staff", "agency_head"),
            agency_code=enrollment.agency_code,
            usernames=(person.username,) if person.username else (),
            subject=_l("%(person)s is dismissed from course %(course)s (TP-TRN-3)"),
            body=_l("%(person)s is dismissed from course %(course)s (TP-TRN-3): %(reason)s"),
            params={
                "person": person.name,
                "course": enrollment.course.code,
                "reason": reason_lazy(enrollment.dismissal_reason),
            },
        )


# -- the sweep ---------------------------------------------------------------------------


def sweep_overdue(as_of: dt.date, actor) -> list[int]:
    """The sweep's step (rule TP-TRN-2): absences whose make-up deadline passed before
    ``as_of`` become unexcused, once (a second run finds none), and their trainees are
    dismissed (TP-TRN-3). Returns the attendance ids changed. No commit."""
    db = get_state().session
    rows = list(
        db.scalars(
            sa.select(Attendance)
            .where(Attendance.status == "absent", Attendance.makeup_due_on < as_of)
            .order_by(Attendance.id)
            .with_for_update(skip_locked=True)
        )
    )
    if not rows:
        return []
    for row in rows:
        row.status = "unexcused"
        row.recorded_by = actor if isinstance(actor, str) else getattr(actor, "username", None)
    db.flush()
    ids = sorted({row.enrollment_id for row in rows})
    enrollments = list(
        db.scalars(
            sa.select(Enrollment)
            .options(sa.orm.joinedload(Enrollment.person), sa.orm.joinedload(Enrollment.course))
            .where(Enrollment.id.in_(ids), Enrollment.status.in_(OPEN_STATUSES))
            .order_by(Enrollment.id)
        )
    )
    recompute(enrollments, actor)
    return [row.id for row in rows]


# the sweep's step (lifecycle/cli.py STEPS): TP-TRN-2's overdue make-ups
from ..lifecycle import cli as _sweep  # noqa: E402

_sweep.STEPS.append(("training_unexcused", sweep_overdue))


#: Hours as a page shows them (2.4, 12).
plain_hours = _plain
