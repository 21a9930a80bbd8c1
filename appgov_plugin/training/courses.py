"""Courses, sessions, the lecturer registry and other learning: the checks every way of
keeping them shares (TP-TRN-1, TP-TRN-5, TN-LEARN-1).

The IT department's pages (:mod:`.views`) and the administrator's Flask-Admin views
(:mod:`.admin`) both call these functions, so a course, a session or a hand-entered lecturer
is refused for the same reasons wherever it is kept. Each ``*_problems`` function answers
``{field: message}`` -- the field is the model's attribute name, the message names the
field and says what to fix -- and writes nothing; :func:`create_course` and
:func:`add_session` raise :class:`CourseError` with all of them, or add the record (not
committed).

* a course: a type of :data:`~.models.COURSE_TYPES` (TP-TRN-1); a major system for the
  system-administrator, seed-user and lecturer courses; hours above 0 to a tenth of an
  hour (TP-TRN-3 counts leave against them); seats (capacity) a whole number above 0 or
  none; a code no other course has; its type and system stay once it has trainees;
* a session: a date, a start and an end after it, hours above 0 (a tenth of an hour, at
  most the time between start and end; all sessions together at most the course's hours),
  a place or an http(s) URL, and a lecturer (TP-TRN-5) chosen only from the registry's
  lecturers qualified for the course's system and active on the session's date; an
  e-learning course has no sessions (its completions are imported, TP-TRN-6);
* a lecturer entered by hand (not by passing a lecturer course): a person of the registry,
  a system, the day qualified, a revocation after it if any, and a note saying why;
* other learning (TN-LEARN-1): a person, a day, hours above 0 (a tenth) and a title.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

import sqlalchemy as sa

from ..i18n import _
from ..rollout.models import MajorSystem, RolloutPerson
from ..state import get_state
from .models import (
    COURSE_TYPES,
    SYSTEM_COURSE_TYPES,
    TRAINING_LIMITS,
    Course,
    Enrollment,
    Lecturer,
    OtherLearning,
    TrainingSession,
)

#: The largest hours a Numeric(6, 1) column holds.
MAX_HOURS = Decimal("99999.9")
#: The most seats a course has (the databases' INTEGER).
MAX_CAPACITY = 2**31 - 1


class CourseError(ValueError):
    """A course, session, lecturer or learning record refused: ``problems`` is
    ``{field: message}``; ``str(error)`` all messages."""

    def __init__(self, problems: dict[str, str]):
        super().__init__(" ".join(problems.values()))
        self.problems = dict(problems)


def _session():
    return get_state().session


# -- values ------------------------------------------------------------------------------------


#: The largest id a record has (the databases' INTEGER).
MAX_ID = 2**31 - 1


def record_id(value) -> int | None:
    """A chosen record's id from a form: ``None`` for no choice; ``-1`` (no record has it,
    refused as not one of the list) for anything that is not an id the databases can hold
    -- sixty digits are never sent to a query."""
    if value in (None, "", "None"):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return -1
    return number if 0 < number <= MAX_ID else -1


def hours_problem(value, label: str) -> str | None:
    """Why ``value`` is not hours of training (``None``: it is): a number above 0 with at most
    one decimal (TP-TRN-3's boundaries are tenths of an hour)."""
    if value is None or value == "":
        return _("%(field)s: give the hours.", field=label)
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        return _("%(field)s: “%(value)s” is not a number of hours.", field=label, value=value)
    if not number.is_finite():
        return _("%(field)s: “%(value)s” is not a number of hours.", field=label, value=value)
    if number <= 0:
        return _("%(field)s: the hours must be more than 0.", field=label)
    if number > MAX_HOURS:  # before the tenths: a number of sixty digits cannot be rounded
        return _("%(field)s: at most %(max)s hours.", field=label, max=MAX_HOURS)
    if number != number.quantize(Decimal("0.1")):
        return _(
            "%(field)s: hours are kept to a tenth of an hour (e.g. 2.5), not %(value)s.",
            field=label,
            value=number,
        )
    return None


def _text_problem(value, label: str, limit: int, *, required: bool) -> str | None:
    text = (value or "").strip() if isinstance(value, str) else value
    if not text:
        return _("%(field)s: this is required.", field=label) if required else None
    if len(text) > limit:
        return _(
            "%(field)s: at most %(limit)s characters (%(length)s given).",
            field=label,
            limit=limit,
            length=len(text),
        )
    return None


def _web_address(text: str) -> bool:
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname) and " " not in text


# -- courses -----------------------------------------------------------------------------------

#: The fields of a course, in the order the forms show them.
COURSE_FIELDS = (
    "code",
    "course_type",
    "system_id",
    "title_zh",
    "title_en",
    "hours",
    "capacity",
    "enrol_until",
)


def course_labels() -> dict[str, str]:
    return {
        "code": _("Course code"),
        "course_type": _("Course type"),
        "system_id": _("System"),
        "title_zh": _("Title (Chinese)"),
        "title_en": _("Title (English)"),
        "hours": _("Course hours"),
        "capacity": _("Seats"),
        "enrol_until": _("Nominations until"),
    }


def course_problems(values: dict, course: Course | None = None) -> dict[str, str]:
    """Why a course with ``values`` (the :data:`COURSE_FIELDS`) cannot be kept; ``course``:
    the course being edited (its own code is no duplicate). Rule TP-TRN-1."""
    labels = course_labels()
    problems: dict[str, str] = {}
    session = _session()
    code = (values.get("code") or "").strip()
    if problem := _text_problem(code, labels["code"], TRAINING_LIMITS["code"], required=True):
        problems["code"] = problem
    else:
        query = sa.select(Course.id).where(Course.code == code)
        if course is not None and course.id is not None:
            query = query.where(Course.id != course.id)
        if session.scalar(query.limit(1)) is not None:
            problems["code"] = _(
                "%(field)s: another course has the code %(code)s.", field=labels["code"], code=code
            )
    course_type = values.get("course_type")
    if course_type not in COURSE_TYPES:
        problems["course_type"] = _(
            "%(field)s: choose one of the course types (TP-TRN-1).", field=labels["course_type"]
        )
    system_id = values.get("system_id")
    if system_id in ("", None):
        system_id = None
    if system_id is not None:
        valid = isinstance(system_id, int) and 0 < system_id <= MAX_CAPACITY
        if not valid or session.get(MajorSystem, system_id) is None:
            problems["system_id"] = _(
                "%(field)s: choose one of the registry's major systems.", field=labels["system_id"]
            )
    elif course_type in SYSTEM_COURSE_TYPES:
        problems["system_id"] = _(
            "%(field)s: a system-administrator, seed-user or lecturer course belongs to one "
            "major system: choose it (TP-TRN-1).",
            field=labels["system_id"],
        )
    for name in ("title_zh", "title_en"):
        required = name == "title_zh"
        limit = TRAINING_LIMITS["title"]
        if problem := _text_problem(values.get(name), labels[name], limit, required=required):
            problems[name] = problem
    if problem := hours_problem(values.get("hours"), labels["hours"]):
        problems["hours"] = problem
    capacity = values.get("capacity")
    if capacity not in (None, ""):
        if isinstance(capacity, bool) or not isinstance(capacity, int):
            problems["capacity"] = _(
                "%(field)s: a whole number of seats, or empty for no limit.",
                field=labels["capacity"],
            )
        elif not 0 < capacity <= MAX_CAPACITY:
            problems["capacity"] = _(
                "%(field)s: at least 1 seat, or empty for no limit.", field=labels["capacity"]
            )
        elif course is not None and course.id is not None:
            from .enrollment import seats_taken

            taken = seats_taken(course)
            if capacity < taken:
                problems["capacity"] = _(
                    "%(field)s: %(taken)s seats are taken already; the course cannot have fewer.",
                    field=labels["capacity"],
                    taken=taken,
                )
    enrol_until = values.get("enrol_until")
    if enrol_until is not None and not isinstance(enrol_until, dt.date):
        problems["enrol_until"] = _(
            "%(field)s: give a date, e.g. 115/11/22.", field=labels["enrol_until"]
        )
    if course is not None and course.id is not None and "course_type" not in problems:
        changed = course.course_type != course_type or course.system_id != system_id
        if changed and _has_trainees(course.id):
            key = "course_type" if course.course_type != course_type else "system_id"
            problems.setdefault(
                key,
                _(
                    "%(field)s: the course has trainees; its type and system stay as they are.",
                    field=labels[key],
                ),
            )
    return problems


def _has_trainees(course_id: int) -> bool:
    query = sa.select(Enrollment.id).where(Enrollment.course_id == course_id).limit(1)
    return _session().scalar(query) is not None


def create_course(values: dict, actor: str | None) -> Course:
    """A new course of ``values`` (added, flushed, not committed); :class:`CourseError`
    with every problem otherwise (nothing added)."""
    problems = course_problems(values)
    if problems:
        raise CourseError(problems)
    course = Course(
        code=values["code"].strip(),
        course_type=values["course_type"],
        system_id=values.get("system_id") or None,
        title_zh=values["title_zh"].strip(),
        title_en=(values.get("title_en") or "").strip(),
        hours=Decimal(str(values["hours"])),
        capacity=values.get("capacity") or None,
        enrol_until=values.get("enrol_until"),
        created_by=actor,
    )
    _session().add(course)
    _session().flush()
    return course


# -- the lecturer registry ---------------------------------------------------------------------


def qualified_lecturers(course: Course, day: dt.date | None = None) -> list[Lecturer]:
    """TP-TRN-5: the registry's lecturers who may teach ``course`` -- qualified for its
    system (any system for a course without one) and, with ``day``, active that day; their
    people loaded (one query)."""
    query = (
        sa.select(Lecturer)
        .join(RolloutPerson, RolloutPerson.id == Lecturer.person_id)
        .options(sa.orm.contains_eager(Lecturer.person))
        .order_by(RolloutPerson.name, Lecturer.id)
    )
    if course.system_id is not None:
        query = query.where(Lecturer.system_id == course.system_id)
    if day is not None:
        query = query.where(
            Lecturer.qualified_on <= day,
            sa.or_(Lecturer.revoked_on.is_(None), Lecturer.revoked_on > day),
        )
    else:
        query = query.where(Lecturer.revoked_on.is_(None))
    return list(_session().scalars(query).unique())


def lecturer_problem(course: Course, lecturer_id, day: dt.date | None) -> str | None:
    """Why the lecturer ``lecturer_id`` may not teach a session of ``course`` on ``day``
    (``None``: they may). Rule TP-TRN-5: only the registry's lecturers qualified for the
    course's system, active on the day."""
    label = _("Lecturer")
    lecturer = None
    if isinstance(lecturer_id, int) and 0 < lecturer_id <= MAX_CAPACITY:
        lecturer = _session().get(Lecturer, lecturer_id)
    if lecturer is None:
        return _("%(field)s: choose a lecturer of the registry (TP-TRN-5).", field=label)
    if course.system_id is not None and lecturer.system_id != course.system_id:
        return _(
            "%(field)s: %(name)s is not a qualified lecturer of this course's system (TP-TRN-5).",
            field=label,
            name=lecturer.person.name,
        )
    if day is not None and not lecturer.active_on(day):
        return _(
            "%(field)s: %(name)s is not a qualified lecturer on the session's date (TP-TRN-5).",
            field=label,
            name=lecturer.person.name,
        )
    return None


# -- sessions ----------------------------------------------------------------------------------

SESSION_FIELDS = ("on", "starts_at", "ends_at", "hours", "place", "url", "lecturer_id")


def session_labels() -> dict[str, str]:
    return {
        "course_id": _("Course"),
        "on": _("Date"),
        "starts_at": _("Starts at"),
        "ends_at": _("Ends at"),
        "hours": _("Hours"),
        "place": _("Place"),
        "url": _("Online address (URL)"),
        "lecturer_id": _("Lecturer"),
    }


def _duration_hours(starts: dt.time, ends: dt.time) -> Decimal:
    minutes = (ends.hour * 60 + ends.minute) - (starts.hour * 60 + starts.minute)
    return Decimal(minutes) / 60


def session_problems(
    course: Course | None, values: dict, own: TrainingSession | None = None
) -> dict[str, str]:
    """Why a session of ``course`` with ``values`` (:data:`SESSION_FIELDS`) cannot be kept;
    ``own``: the session being edited. Rules TP-TRN-1 (no sessions for e-learning) and
    TP-TRN-5 (the lecturer)."""
    labels = session_labels()
    problems: dict[str, str] = {}
    if course is None:
        return {"course_id": _("%(field)s: choose a course.", field=labels["course_id"])}
    if course.course_type == "elearning":
        problems["course_id"] = _(
            "%(field)s: an e-learning course has no sessions; its completions are imported "
            "from the e-learning platform (TP-TRN-6).",
            field=labels["course_id"],
        )
    day = values.get("on")
    if not isinstance(day, dt.date):
        problems["on"] = _("%(field)s: give the session's date.", field=labels["on"])
        day = None
    starts, ends = values.get("starts_at"), values.get("ends_at")
    if not isinstance(starts, dt.time):
        problems["starts_at"] = _(
            "%(field)s: give the time, e.g. 09:00.", field=labels["starts_at"]
        )
    if not isinstance(ends, dt.time):
        problems["ends_at"] = _("%(field)s: give the time, e.g. 12:00.", field=labels["ends_at"])
    elif isinstance(starts, dt.time) and ends <= starts:
        problems["ends_at"] = _(
            "%(field)s: the session ends after it starts.", field=labels["ends_at"]
        )
    hours = values.get("hours")
    if problem := hours_problem(hours, labels["hours"]):
        problems["hours"] = problem
    else:
        hours = Decimal(str(hours))
        if "ends_at" not in problems and "starts_at" not in problems:
            duration = _duration_hours(starts, ends)
            if hours > duration:
                problems["hours"] = _(
                    "%(field)s: %(hours)s hours do not fit between %(start)s and %(end)s.",
                    field=labels["hours"],
                    hours=hours,
                    start=starts.strftime("%H:%M"),
                    end=ends.strftime("%H:%M"),
                )
        if "hours" not in problems and course.id is not None:
            query = sa.select(sa.func.coalesce(sa.func.sum(TrainingSession.hours), 0)).where(
                TrainingSession.course_id == course.id
            )
            if own is not None and own.id is not None:
                query = query.where(TrainingSession.id != own.id)
            others = Decimal(str(_session().scalar(query) or 0))
            if others + hours > course.hours:
                problems["hours"] = _(
                    "%(field)s: the sessions would add up to %(total)s hours, more than the "
                    "course's %(course)s.",
                    field=labels["hours"],
                    total=others + hours,
                    course=course.hours,
                )
    place = (values.get("place") or "").strip()
    url = (values.get("url") or "").strip()
    if problem := _text_problem(place, labels["place"], TRAINING_LIMITS["place"], required=False):
        problems["place"] = problem
    if problem := _text_problem(url, labels["url"], TRAINING_LIMITS["url"], required=False):
        problems["url"] = problem
    elif url and not _web_address(url):
        problems["url"] = _(
            "%(field)s: a web address starting with https:// or http://.", field=labels["url"]
        )
    if not place and not url and "place" not in problems:
        problems["place"] = _(
            "%(field)s: give the place or the online address (URL).", field=labels["place"]
        )
    lecturer_id = values.get("lecturer_id")
    problem = lecturer_problem(course, lecturer_id, day) if lecturer_id not in (None, "") else None
    if problem:
        problems["lecturer_id"] = problem
    return problems


def add_session(course: Course, values: dict) -> TrainingSession:
    """A new session of ``course`` (added, flushed, not committed); :class:`CourseError`
    with every problem otherwise (nothing added)."""
    problems = session_problems(course, values)
    if problems:
        raise CourseError(problems)
    row = TrainingSession(
        course_id=course.id,
        on=values["on"],
        starts_at=values["starts_at"],
        ends_at=values["ends_at"],
        hours=Decimal(str(values["hours"])),
        place=(values.get("place") or "").strip() or None,
        url=(values.get("url") or "").strip() or None,
        lecturer_id=values.get("lecturer_id") or None,
    )
    _session().add(row)
    _session().flush()
    return row


# -- lecturers entered by hand, other learning -------------------------------------------------


def person_by_employee_id(employee_id: str | None) -> RolloutPerson | None:
    text = (employee_id or "").strip()
    if not text or len(text) > 40:
        return None
    query = sa.select(RolloutPerson).where(RolloutPerson.employee_id == text).limit(1)
    return _session().scalars(query).first()


def lecturer_labels() -> dict[str, str]:
    return {
        "employee_id": _("Employee id"),
        "system_id": _("System"),
        "qualified_on": _("Qualified on"),
        "revoked_on": _("Revoked on"),
        "note": _("Note"),
    }


def lecturer_problems(values: dict, own: Lecturer | None = None) -> dict[str, str]:
    """Why a lecturer with ``values`` (``employee_id``, ``system_id``, ``qualified_on``,
    ``revoked_on``, ``note``) cannot be kept in the registry. Rule TP-TRN-5: entered by hand
    (no passed lecturer course cited), the entry needs a note saying why."""
    labels = lecturer_labels()
    problems: dict[str, str] = {}
    person = person_by_employee_id(values.get("employee_id"))
    if person is None:
        problems["employee_id"] = _(
            "%(field)s: no such person in the registry.", field=labels["employee_id"]
        )
    system_id = values.get("system_id")
    system = None
    if isinstance(system_id, int) and 0 < system_id <= MAX_CAPACITY:
        system = _session().get(MajorSystem, system_id)
    if system is None:
        problems["system_id"] = _(
            "%(field)s: choose one of the registry's major systems.", field=labels["system_id"]
        )
    qualified = values.get("qualified_on")
    if not isinstance(qualified, dt.date):
        problems["qualified_on"] = _(
            "%(field)s: give the day the person qualified.", field=labels["qualified_on"]
        )
    revoked = values.get("revoked_on")
    if isinstance(revoked, dt.date) and isinstance(qualified, dt.date) and revoked <= qualified:
        problems["revoked_on"] = _(
            "%(field)s: the revocation comes after the day qualified.", field=labels["revoked_on"]
        )
    enrollment_id = own.enrollment_id if own is not None else None
    note = values.get("note")
    if problem := _text_problem(
        note, labels["note"], TRAINING_LIMITS["note"], required=enrollment_id is None
    ):
        problems["note"] = (
            _(
                "%(field)s: a lecturer entered by hand, without a passed lecturer course, "
                "needs a note saying why (TP-TRN-5).",
                field=labels["note"],
            )
            if not (note or "").strip()
            else problem
        )
    if person is not None and system is not None:
        query = sa.select(Lecturer.id).where(
            Lecturer.person_id == person.id, Lecturer.system_id == system.id
        )
        if own is not None and own.id is not None:
            query = query.where(Lecturer.id != own.id)
        if _session().scalar(query.limit(1)) is not None:
            problems["employee_id"] = _(
                "%(field)s: %(name)s is a lecturer of this system already.",
                field=labels["employee_id"],
                name=person.name,
            )
    return problems


def learning_labels() -> dict[str, str]:
    return {
        "employee_id": _("Employee id"),
        "on": _("Date"),
        "hours": _("Hours"),
        "title": _("Title"),
        "source": _("Where it was learned"),
    }


def learning_problems(values: dict) -> dict[str, str]:
    """Why learning hours from elsewhere (TN-LEARN-1) with ``values`` (``employee_id``,
    ``on``, ``hours``, ``title``, ``source``) cannot be recorded."""
    labels = learning_labels()
    problems: dict[str, str] = {}
    if person_by_employee_id(values.get("employee_id")) is None:
        problems["employee_id"] = _(
            "%(field)s: no such person in the registry.", field=labels["employee_id"]
        )
    if not isinstance(values.get("on"), dt.date):
        problems["on"] = _("%(field)s: give the day.", field=labels["on"])
    if problem := hours_problem(values.get("hours"), labels["hours"]):
        problems["hours"] = problem
    limit = TRAINING_LIMITS["title"]
    if problem := _text_problem(values.get("title"), labels["title"], limit, required=True):
        problems["title"] = problem
    if problem := _text_problem(values.get("source"), labels["source"], limit, required=False):
        problems["source"] = problem
    return problems


__all__ = [
    "COURSE_FIELDS",
    "CourseError",
    "OtherLearning",
    "SESSION_FIELDS",
    "add_session",
    "course_problems",
    "create_course",
    "hours_problem",
    "learning_problems",
    "lecturer_problem",
    "lecturer_problems",
    "qualified_lecturers",
    "session_problems",
]
