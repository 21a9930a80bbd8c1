"""The training records' tables (TP-TRN-1..6, TN-LEARN-1), on the roll-out registry's people
(:class:`~appgov_plugin.rollout.models.RolloutPerson`) and systems
(:class:`~appgov_plugin.rollout.models.MajorSystem`).

* :class:`Course` -- one run of a course (a 梯次): its type (TP-TRN-1), its major system
  (required for the system-administrator, seed-user and lecturer courses), its hours (the
  base of TP-TRN-3's leave threshold), its seats (``capacity``: every trainee attends every
  session; ``None``: no limit, as for e-learning), the last day agencies nominate trainees
  and the day its results were recorded. Kept by the IT department.
* :class:`TrainingSession` -- one class meeting of a course: date, start and end time,
  hours, a place or a URL, and a lecturer from the registry (TP-TRN-5).
* :class:`Lecturer` -- the lecturer registry (講師資料庫, TP-TRN-5): a person qualified to
  teach one system's courses, from the day they passed its lecturer course (the enrollment
  cited) or an administrator's entry (a note why); ``revoked_on`` ends it.
* :class:`Enrollment` -- one person on one course: nominated by their agency (the case
  cited) or proposed as a retake (TP-TRN-4, ``retake_of_id``); its status, and the
  dismissal (退訓) with its rule and reason (TP-TRN-3) or the result (pass or fail).
* :class:`Attendance` -- one trainee at one session: present, on leave (hours, filed in
  advance or made up after an emergency, TP-TRN-2), absent (the make-up window open until
  ``makeup_due_on``) or an unexcused absence (曠課: the window passed, or leave made up
  late).
* :class:`ElearningCompletion` -- a completion imported from the e-learning platform
  (TP-TRN-6), matched to the person by employee id.
* :class:`OtherLearning` -- learning hours from elsewhere (another institution's course, a
  conference) an administrator records, so a person's yearly hours count every source
  (TN-LEARN-1).
* :class:`FitnessFlag` -- TP-TRN-4: the person's outcomes on one system's course type make
  them eligible for a fitness review; the IT department decides whether to open it (the
  review case cited) or not (its note).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, TimestampMixin, utcnow
from ..i18n import _l
from ..rollout.models import LIMITS, MajorSystem, RolloutPerson

#: TP-TRN-1: the course types (the facade's ``training_status`` course types).
COURSE_TYPES = {
    "admin": _l("System-administrator course (in person)"),
    "seed": _l("Seed-user course"),
    "lecturer": _l("Lecturer course"),
    "elearning": _l("General-user e-learning course"),
    "other": _l("Other course"),
}
#: Course types that belong to one major system (TP-TRN-1, TP-TRN-5).
SYSTEM_COURSE_TYPES = ("admin", "seed", "lecturer")
#: The course type each roster role must be enrolled on (issue 13, section 2).
ROLE_COURSE = {"admin": "admin", "seed": "seed"}

#: An enrollment's status.
ENROLLMENT_STATUSES = {
    "proposed": _l("Retake proposed"),
    "enrolled": _l("Enrolled"),
    "dismissed": _l("Dismissed"),
    "passed": _l("Passed"),
    "failed": _l("Failed"),
    "withdrawn": _l("Withdrawn"),
}
#: A trainee's attendance at one session.
ATTENDANCE_STATUSES = {
    "present": _l("Present"),
    "leave": _l("On leave"),
    "absent": _l("Absent (leave may still be made up)"),
    "unexcused": _l("Unexcused absence"),
}
#: How leave was filed (TP-TRN-2).
LEAVE_KINDS = {
    "in_advance": _l("Asked before the session"),
    "emergency": _l("Made up after an emergency"),
}

#: Field sizes (characters, not bytes).
TRAINING_LIMITS = {
    "code": 40,
    "title": 200,
    "place": 200,
    "url": 500,
    "reason": 2000,
    "note": 2000,
    "source_ref": 100,
}
#: Hours are kept to a tenth of an hour (2.3 h, 2.4 h: TP-TRN-3's boundaries stay exact).
HOURS = sa.Numeric(6, 1)


def _list(values) -> str:
    return ", ".join(f"'{value}'" for value in values)


class Course(TimestampMixin, Base):
    __tablename__ = "appgov_training_course"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(TRAINING_LIMITS["code"]), unique=True)
    course_type: Mapped[str] = mapped_column(sa.String(16), index=True)
    system_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("appgov_rollout_system.id"), index=True
    )
    title_zh: Mapped[str] = mapped_column(sa.String(TRAINING_LIMITS["title"]))
    title_en: Mapped[str] = mapped_column(sa.String(TRAINING_LIMITS["title"]))
    #: TP-TRN-3: the course hours leave counts against.
    hours: Mapped[Decimal] = mapped_column(HOURS)
    #: Seats (every trainee attends every session); ``None``: no limit.
    capacity: Mapped[int | None] = mapped_column()
    #: The last day agencies nominate trainees (``None``: until the first session).
    enrol_until: Mapped[dt.date | None] = mapped_column(sa.Date)
    #: The day the IT department recorded the results (``None``: not yet).
    results_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    created_by: Mapped[str | None] = mapped_column(sa.String(80))

    system: Mapped[MajorSystem | None] = relationship()
    sessions: Mapped[list[TrainingSession]] = relationship(
        back_populates="course",
        order_by="(TrainingSession.on, TrainingSession.starts_at, TrainingSession.id)",
    )

    __table_args__ = (
        sa.CheckConstraint(f"course_type IN ({_list(COURSE_TYPES)})", name="course_type"),
        sa.CheckConstraint("hours > 0", name="hours_positive"),
        sa.CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
        sa.CheckConstraint(
            f"system_id IS NOT NULL OR course_type NOT IN ({_list(SYSTEM_COURSE_TYPES)})",
            name="system_course_has_system",
        ),
    )

    def display_title(self, locale: str | None) -> str:
        english = (locale or "").startswith("en")
        return self.title_en if english and self.title_en else self.title_zh


class Lecturer(Base):
    __tablename__ = "appgov_training_lecturer"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("appgov_rollout_person.id"), index=True)
    system_id: Mapped[int] = mapped_column(sa.ForeignKey("appgov_rollout_system.id"), index=True)
    qualified_on: Mapped[dt.date] = mapped_column(sa.Date)
    #: The passed lecturer-course enrollment that qualified them (TP-TRN-5), if any.
    enrollment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("appgov_training_enrollment.id")
    )
    #: Why an administrator entered them by hand (required without an enrollment).
    note: Mapped[str | None] = mapped_column(sa.Text)
    revoked_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str | None] = mapped_column(sa.String(80))

    person: Mapped[RolloutPerson] = relationship()
    system: Mapped[MajorSystem] = relationship()

    __table_args__ = (sa.UniqueConstraint("person_id", "system_id", name="person_system"),)

    def active_on(self, day: dt.date) -> bool:
        return self.qualified_on <= day and (self.revoked_on is None or day < self.revoked_on)


class TrainingSession(Base):
    __tablename__ = "appgov_training_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("appgov_training_course.id"), index=True)
    on: Mapped[dt.date] = mapped_column(sa.Date, index=True)
    starts_at: Mapped[dt.time] = mapped_column(sa.Time)
    ends_at: Mapped[dt.time] = mapped_column(sa.Time)
    hours: Mapped[Decimal] = mapped_column(HOURS)
    place: Mapped[str | None] = mapped_column(sa.String(TRAINING_LIMITS["place"]))
    url: Mapped[str | None] = mapped_column(sa.String(TRAINING_LIMITS["url"]))
    #: TP-TRN-5: chosen from the lecturer registry (of the course's system).
    lecturer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("appgov_training_lecturer.id"), index=True
    )

    course: Mapped[Course] = relationship(back_populates="sessions")
    lecturer: Mapped[Lecturer | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint("hours > 0", name="hours_positive"),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint("place IS NOT NULL OR url IS NOT NULL", name="place_or_url"),
    )


class Enrollment(Base):
    __tablename__ = "appgov_training_enrollment"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("appgov_training_course.id"), index=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("appgov_rollout_person.id"), index=True)
    #: The person's agency when enrolled (it reads the trainee's records).
    agency_code: Mapped[str] = mapped_column(sa.String(LIMITS["code"]), index=True)
    status: Mapped[str] = mapped_column(sa.String(16), default="enrolled")
    #: The nomination case (``None``: entered by the IT department, or a retake proposal).
    case_id: Mapped[int | None] = mapped_column(index=True)
    #: TP-TRN-4: the failed or dismissed enrollment this one retakes.
    retake_of_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("appgov_training_enrollment.id"), index=True
    )
    #: TP-TRN-3: when and why the trainee was dismissed (the rule cited).
    dismissed_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    dismissal_rule: Mapped[str | None] = mapped_column(sa.String(16))
    dismissal_reason: Mapped[str | None] = mapped_column(sa.Text)
    #: The day the result (pass or fail) was recorded.
    result_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str | None] = mapped_column(sa.String(80))

    course: Mapped[Course] = relationship()
    person: Mapped[RolloutPerson] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("course_id", "person_id", name="course_person"),
        sa.CheckConstraint(f"status IN ({_list(ENROLLMENT_STATUSES)})", name="status"),
    )


class Attendance(Base):
    __tablename__ = "appgov_training_attendance"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("appgov_training_session.id"))
    enrollment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("appgov_training_enrollment.id"), index=True
    )
    status: Mapped[str] = mapped_column(sa.String(16))
    #: TP-TRN-3: the hours of leave (at most the session's hours).
    leave_hours: Mapped[Decimal | None] = mapped_column(HOURS)
    leave_kind: Mapped[str | None] = mapped_column(sa.String(16))
    leave_filed_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    #: TP-TRN-2: the last day an absence may be made up (``leave_makeup`` deadline).
    makeup_due_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    #: The leave request case, when the leave came through one.
    case_id: Mapped[int | None] = mapped_column(index=True)
    recorded_by: Mapped[str | None] = mapped_column(sa.String(80))
    recorded_at: Mapped[dt.datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    session: Mapped[TrainingSession] = relationship()
    enrollment: Mapped[Enrollment] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("session_id", "enrollment_id", name="session_enrollment"),
        sa.CheckConstraint(f"status IN ({_list(ATTENDANCE_STATUSES)})", name="status"),
        sa.CheckConstraint(
            f"leave_kind IS NULL OR leave_kind IN ({_list(LEAVE_KINDS)})", name="leave_kind"
        ),
        sa.CheckConstraint("leave_hours IS NULL OR leave_hours >= 0", name="leave_not_negative"),
    )


class ElearningCompletion(Base):
    __tablename__ = "appgov_training_completion"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("appgov_rollout_person.id"), index=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("appgov_training_course.id"), index=True)
    completed_on: Mapped[dt.date] = mapped_column(sa.Date, index=True)
    hours: Mapped[Decimal] = mapped_column(HOURS)
    #: The platform's own record id, if its export has one.
    source_ref: Mapped[str | None] = mapped_column(sa.String(TRAINING_LIMITS["source_ref"]))
    imported_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    imported_by: Mapped[str | None] = mapped_column(sa.String(80))

    person: Mapped[RolloutPerson] = relationship()
    course: Mapped[Course] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("person_id", "course_id", name="person_course"),
        sa.CheckConstraint("hours > 0", name="hours_positive"),
    )


class OtherLearning(Base):
    __tablename__ = "appgov_training_other_learning"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("appgov_rollout_person.id"), index=True)
    on: Mapped[dt.date] = mapped_column(sa.Date, index=True)
    hours: Mapped[Decimal] = mapped_column(HOURS)
    title: Mapped[str] = mapped_column(sa.String(TRAINING_LIMITS["title"]))
    #: Where it was learned (an institution, a platform).
    source: Mapped[str | None] = mapped_column(sa.String(TRAINING_LIMITS["title"]))
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str | None] = mapped_column(sa.String(80))

    person: Mapped[RolloutPerson] = relationship()

    __table_args__ = (sa.CheckConstraint("hours > 0", name="hours_positive"),)


class FitnessFlag(Base):
    __tablename__ = "appgov_training_fitness_flag"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("appgov_rollout_person.id"), index=True)
    system_id: Mapped[int] = mapped_column(sa.ForeignKey("appgov_rollout_system.id"))
    course_type: Mapped[str] = mapped_column(sa.String(16))
    agency_code: Mapped[str] = mapped_column(sa.String(LIMITS["code"]), index=True)
    #: The outcomes that raised it, oldest first (``"fail,fail,fail"``), and their count:
    #: a later flag needs more outcomes than the last one read.
    outcomes: Mapped[str] = mapped_column(sa.String(400))
    outcome_count: Mapped[int] = mapped_column()
    flagged_on: Mapped[dt.date] = mapped_column(sa.Date)
    #: The IT department's decision: the review case it opened, or why it opened none.
    review_case_id: Mapped[int | None] = mapped_column(index=True)
    decided_by: Mapped[str | None] = mapped_column(sa.String(80))
    decided_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    decision_note: Mapped[str | None] = mapped_column(sa.Text)

    person: Mapped[RolloutPerson] = relationship()
    system: Mapped[MajorSystem] = relationship()

    __table_args__ = (
        sa.UniqueConstraint(
            "person_id", "system_id", "course_type", "outcome_count", name="person_outcomes"
        ),
        sa.CheckConstraint(f"course_type IN ({_list(COURSE_TYPES)})", name="course_type"),
    )
