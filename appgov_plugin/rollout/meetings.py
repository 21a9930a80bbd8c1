"""The roll-out meetings (TP-WG-3, TP-WG-4): cadence, next meeting due, minutes, seats.

* **Cadence** (TP-WG-4, TP-WG-3) by the system's phase: the coordination council every two
  months; the steering group monthly in planning, development and go-live, quarterly in
  operations; the agency work group monthly at go-live and as needed otherwise (TP-WG-3:
  "as needed in operations"; the rules set no cadence in planning and development).
  :func:`next_due` is the last meeting's day plus the cadence's months (the same day of the
  month, the month's last day where it has no such day); a body that never met is due now.
* **Minutes** (TP-WG-3): ``policy.deadline("minutes", held_on)`` -- 5 working days after the
  meeting (TIME-2: weekends, holidays and the city's calendar). Minutes that reached the IT
  department after it are late; a work group's minutes late or missing past the deadline is
  the agency's breach ``TP-WG-3``.
* **Seats** (TP-WG-4): the person listed for an agency at a council meeting while the agency
  has no seat becomes its representative (:class:`~.models_meetings.CouncilSeat`). A
  representative who misses three consecutive council meetings of the system in person
  (online, absent, represented or not listed all count as missed) loses the seat on the
  third; the agency's breach ``TP-WG-4`` stands until another person represents it.

:func:`meeting_breaches` answers both breaches for the compliance dashboard with two
statements whatever the agencies.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from ..db import write_lock
from ..i18n import _, current_locale
from .compliance import Breach
from .models import PHASES, MajorSystem, RolloutPerson, SystemScope
from .models_meetings import ATTENDANCE, BODIES, MODES, Attendance, CouncilSeat, Meeting

#: Months between meetings by (body, phase); a missing pair meets as needed.
CADENCE_MONTHS: dict[tuple[str, str], int] = {
    **{("council", phase): 2 for phase in PHASES},  # TP-WG-4
    ("steering", "planning"): 1,  # TP-WG-4
    ("steering", "development"): 1,
    ("steering", "golive"): 1,
    ("steering", "operations"): 3,
    ("work_group", "golive"): 1,  # TP-WG-3, TP-WG-4
}
#: Consecutive council meetings missed in person that lose the seat (TP-WG-4).
SEAT_MISSES = 3
#: The kinds of file minutes may be (read from the content, :mod:`appgov_plugin.uploads`).
MINUTES_KINDS = ("pdf", "odt", "docx")
#: The largest minutes file (bytes).
MINUTES_MAX_BYTES = 20 * 2**20
#: Attendance lines a form takes at most.
MAX_ATTENDANCE = 500
#: Work-group and minutes breaches look back this far.
LOOKBACK = dt.timedelta(days=365)


class MeetingError(ValueError):
    """Bad input for a meeting: ``field`` names the form's field."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def cadence(body: str, phase: str) -> int | None:
    """Months between ``body``'s meetings in ``phase`` (``None``: as needed)."""
    if body not in BODIES or phase not in PHASES:
        raise ValueError(f"unknown body or phase: {body!r}, {phase!r}")
    return CADENCE_MONTHS.get((body, phase))


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months (31 January + 1 month: the last of February)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass
class Due:
    """The next meeting due of one body (and agency) of one system."""

    system: MajorSystem
    body: str
    agency_code: str | None
    last: dt.date | None
    months: int | None
    due: dt.date | None
    overdue: bool


def next_due(
    last: dt.date | None, body: str, phase: str, day: dt.date
) -> tuple[dt.date | None, bool]:
    """(the next meeting's due day, whether it is overdue on ``day``) for a body whose last
    meeting was ``last`` (``None``: never met: due ``day``, not yet overdue if it has a
    cadence). ``(None, False)`` when the body meets as needed."""
    months = cadence(body, phase)
    if months is None:
        return None, False
    if last is None:
        return day, False
    due = add_months(last, months)
    return due, due < day


def due_list(
    session,
    systems: list[MajorSystem],
    day: dt.date,
    *,
    agency_codes: Iterable[str] | None = None,
    bodies: Iterable[str] = tuple(BODIES),
) -> list[Due]:
    """The next meeting due per body (the work groups per agency in scope and not excluded,
    limited to ``agency_codes`` unless ``None``): two statements whatever the agencies."""
    bodies = set(bodies)
    if not systems:
        return []
    by_id = {s.id: s for s in systems}
    last: dict[tuple[int, str, str | None], dt.date] = {
        (system_id, body, code): held
        for system_id, body, code, held in session.execute(
            sa.select(
                Meeting.system_id, Meeting.body, Meeting.agency_code, sa.func.max(Meeting.held_on)
            )
            .where(Meeting.system_id.in_(list(by_id)), Meeting.held_on <= day)
            .group_by(Meeting.system_id, Meeting.body, Meeting.agency_code)
        )
    }
    rows: list[Due] = []

    def add(system, body, code):
        held = last.get((system.id, body, code))
        due, overdue = next_due(held, body, system.phase, day)
        months = cadence(body, system.phase)
        rows.append(Due(system, body, code, held, months, due, overdue))

    for system in systems:
        for body in ("council", "steering"):
            if body in bodies:
                add(system, body, None)
    if "work_group" in bodies:
        query = (
            sa.select(SystemScope.system_id, SystemScope.agency_code)
            .where(SystemScope.system_id.in_(list(by_id)))
            .where(sa.or_(SystemScope.excluded_on.is_(None), SystemScope.excluded_on > day))
            .order_by(SystemScope.system_id, SystemScope.agency_code)
        )
        if agency_codes is not None:
            query = query.where(SystemScope.agency_code.in_(list(agency_codes)))
        for system_id, code in session.execute(query):
            add(by_id[system_id], "work_group", code)
    return rows


# -- attendance lines -------------------------------------------------------------------------


def attendance_words() -> dict[str, str]:
    """What a line may say for each attendance (key, English and the reader's words)."""
    words: dict[str, str] = {}
    for key, label in ATTENDANCE.items():
        words[key] = key
        words[key.replace("_", " ")] = key
        words[str(label).casefold()] = key
    return words


def parse_attendance(text: str) -> list[tuple[int, str, str]]:
    """``text``'s lines as (line number, employee id, attendance key); one line a person:
    ``E000123 in_person`` (or the attendance in words: ``online``, ``親自出席`` ...).
    :class:`MeetingError` naming the line."""
    words = attendance_words()
    rows = []
    lines = (text or "").splitlines()
    if len(lines) > MAX_ATTENDANCE:
        raise MeetingError(
            "attendance",
            _("Attendance: at most %(max)s lines.", max=MAX_ATTENDANCE),
        )
    for number, line in enumerate(lines, start=1):
        line = line.strip()
        if not line:
            continue
        parts = re.split(r"[\s,;，、]+", line, maxsplit=1)
        if len(parts) != 2:
            raise MeetingError(
                "attendance",
                _(
                    "Attendance, line %(line)s: an employee id and how the person attended, "
                    "e.g. “E000123 in_person”.",
                    line=number,
                ),
            )
        employee_id, said = parts[0], parts[1].strip().casefold()
        if said not in words:
            raise MeetingError(
                "attendance",
                _(
                    "Attendance, line %(line)s: “%(value)s” is none of %(choices)s.",
                    line=number,
                    value=parts[1].strip()[:40],
                    choices=", ".join(ATTENDANCE),
                ),
            )
        rows.append((number, employee_id, words[said]))
    return rows


# -- recording --------------------------------------------------------------------------------


def record_meeting(
    session,
    policy,
    *,
    system: MajorSystem,
    body: str,
    agency_code: str | None,
    held_on: dt.date,
    mode: str,
    attendance_text: str,
    minutes: dict | None,
    received_on: dt.date | None,
    today: dt.date,
    username: str | None,
) -> Meeting:
    """Check everything, then add the meeting, its attendance and (council) the seats it
    changes to ``session`` (the caller commits; nothing is added when a check fails)."""
    if body not in BODIES:
        raise MeetingError("body", _("Body: choose one of the list."))
    if mode not in MODES:
        raise MeetingError("mode", _("Held: in person or online."))
    if held_on > today:
        raise MeetingError("held_on", _("Date: a meeting not yet held cannot be recorded."))
    if body == "work_group" and not agency_code:
        raise MeetingError("agency", _("Agency: a work group's meeting names its agency."))
    if body != "work_group":
        agency_code = None
    elif (
        session.scalar(
            sa.select(SystemScope.id).where(
                SystemScope.system_id == system.id, SystemScope.agency_code == agency_code
            )
        )
        is None
    ):
        raise MeetingError(
            "agency",
            _(
                "Agency: %(agency)s is not in the scope of %(system)s.",
                agency=agency_code[:40],
                system=system.code,
            ),
        )
    if received_on is not None:
        if minutes is None:
            raise MeetingError(
                "received_on", _("Minutes received on: upload the minutes with the date.")
            )
        check_received(received_on, held_on, today)
    rows = parse_attendance(attendance_text)
    people = (
        {
            p.employee_id: p
            for p in session.scalars(
                sa.select(RolloutPerson).where(
                    RolloutPerson.employee_id.in_([employee for _, employee, _ in rows])
                )
            )
        }
        if rows
        else {}
    )
    seen: set[str] = set()
    for number, employee_id, _status in rows:
        person = people.get(employee_id)
        if person is None:
            raise MeetingError(
                "attendance",
                _(
                    "Attendance, line %(line)s: no person with employee id %(id)s in the registry.",
                    line=number,
                    id=employee_id[:40],
                ),
            )
        if employee_id in seen:
            raise MeetingError(
                "attendance",
                _(
                    "Attendance, line %(line)s: %(id)s is listed twice.",
                    line=number,
                    id=employee_id,
                ),
            )
        seen.add(employee_id)
        if body == "work_group" and person.agency_code != agency_code:
            raise MeetingError(
                "attendance",
                _(
                    "Attendance, line %(line)s: %(id)s is not of the work group's agency.",
                    line=number,
                    id=employee_id,
                ),
            )
    meeting = Meeting(
        system_id=system.id,
        body=body,
        agency_code=agency_code,
        held_on=held_on,
        mode=mode,
        minutes_due_on=policy.deadline("minutes", held_on),  # TP-WG-3
        created_by=username,
    )
    if minutes is not None:
        attach_minutes(meeting, minutes, received_on or today)
    meeting.attendance = [
        Attendance(person_id=people[employee_id].id, status=status)
        for _, employee_id, status in rows
    ]
    session.add(meeting)
    session.flush()
    if body == "council":
        update_seats(session, system.id, [people[e] for _, e, _ in rows], held_on)
    return meeting


def check_received(received_on: dt.date, held_on: dt.date, today: dt.date) -> None:
    if received_on < held_on:
        raise MeetingError("received_on", _("Minutes received on: not before the meeting."))
    if received_on > today:
        raise MeetingError("received_on", _("Minutes received on: not after today."))


def attach_minutes(meeting: Meeting, reference: dict, received_on: dt.date) -> None:
    meeting.minutes_sha256 = reference["sha256"]
    meeting.minutes_name = reference["name"]
    meeting.minutes_size = reference["size"]
    meeting.minutes_type = reference["type"][:100]
    meeting.minutes_received_on = received_on


def update_seats(session, system_id: int, listed: list[RolloutPerson], held_on: dt.date) -> None:
    """TP-WG-4 after a council meeting of ``system_id``: a seat for each agency listed
    without one, then every seat's consecutive meetings missed in person counted again
    (meetings may be recorded late, out of order): the third loses the seat. Holds the
    system's seat lock (:func:`~appgov_plugin.db.write_lock`), so two meetings recorded at
    once do not both seat an agency."""
    write_lock(session.connection(), CouncilSeat.__tablename__, str(system_id))
    seats = list(
        session.scalars(
            sa.select(CouncilSeat)
            .where(CouncilSeat.system_id == system_id, CouncilSeat.lost_on.is_(None))
            .order_by(CouncilSeat.id)
        )
    )
    seated = {seat.agency_code for seat in seats}
    for person in listed:
        if person.agency_code not in seated:
            seat = CouncilSeat(
                system_id=system_id,
                agency_code=person.agency_code,
                person_id=person.id,
                since=held_on,
            )
            session.add(seat)
            seats.append(seat)
            seated.add(person.agency_code)
    session.flush()
    if not seats:
        return
    meetings = session.execute(
        sa.select(Meeting.id, Meeting.held_on)
        .where(Meeting.system_id == system_id, Meeting.body == "council")
        .order_by(Meeting.held_on, Meeting.id)
    ).all()
    present = {
        (meeting_id, person_id)
        for meeting_id, person_id in session.execute(
            sa.select(Attendance.meeting_id, Attendance.person_id)
            .join(Meeting, Meeting.id == Attendance.meeting_id)
            .where(Meeting.system_id == system_id, Meeting.body == "council")
            .where(Attendance.person_id.in_({seat.person_id for seat in seats}))
            .where(Attendance.status == "in_person")
        )
    }
    for seat in seats:
        missed = 0
        for meeting_id, held in meetings:
            if held < seat.since:
                continue
            missed = 0 if (meeting_id, seat.person_id) in present else missed + 1
            if missed == SEAT_MISSES:
                seat.lost_on, seat.lost_meeting_id = held, meeting_id
                break
    session.flush()


# -- breaches for the dashboard ---------------------------------------------------------------


def meeting_breaches(
    session,
    day: dt.date,
    system_ids: Iterable[int],
    agency_codes: Iterable[str] | None = None,
) -> dict[tuple[int, str], list[Breach]]:
    """(system, agency) -> its meetings' breaches on ``day``: ``TP-WG-3`` (``minutes``:
    work-group minutes of the last year received after the deadline, or still missing past
    it; ``have`` the number, ``due`` the earliest deadline) and ``TP-WG-4``
    (``council_seat``: the seat lost, no one appointed since; ``due`` the day it was lost).
    Two statements whatever the agencies."""
    system_ids = list(system_ids)
    found: dict[tuple[int, str], list[Breach]] = defaultdict(list)
    if not system_ids:
        return found
    late = sa.or_(
        Meeting.minutes_received_on > Meeting.minutes_due_on,
        sa.and_(
            sa.or_(Meeting.minutes_received_on.is_(None), Meeting.minutes_received_on > day),
            Meeting.minutes_due_on < day,
        ),
    )
    query = (
        sa.select(
            Meeting.system_id,
            Meeting.agency_code,
            sa.func.count(),
            sa.func.min(Meeting.minutes_due_on),
        )
        .where(Meeting.system_id.in_(system_ids), Meeting.body == "work_group")
        .where(Meeting.held_on <= day, Meeting.held_on > day - LOOKBACK)
        .where(late)
        .group_by(Meeting.system_id, Meeting.agency_code)
    )
    if agency_codes is not None:
        query = query.where(Meeting.agency_code.in_(list(agency_codes)))
    for system_id, code, number, earliest in session.execute(query):
        found[(system_id, code)].append(Breach("minutes", "TP-WG-3", have=number, due=earliest))
    # the latest seat of each agency: lost (on or before day) means no one was appointed
    seats = sa.select(
        CouncilSeat.system_id,
        CouncilSeat.agency_code,
        CouncilSeat.lost_on,
        sa.func.row_number()
        .over(
            partition_by=(CouncilSeat.system_id, CouncilSeat.agency_code),
            order_by=(CouncilSeat.since.desc(), CouncilSeat.id.desc()),
        )
        .label("latest"),
    ).where(CouncilSeat.system_id.in_(system_ids), CouncilSeat.since <= day)
    if agency_codes is not None:
        seats = seats.where(CouncilSeat.agency_code.in_(list(agency_codes)))
    seats = seats.subquery()
    for system_id, code, lost_on in session.execute(
        sa.select(seats.c.system_id, seats.c.agency_code, seats.c.lost_on).where(
            seats.c.latest == 1, seats.c.lost_on.is_not(None), seats.c.lost_on <= day
        )
    ):
        found[(system_id, code)].append(Breach("council_seat", "TP-WG-4", due=lost_on))
    return found


def breach_text(breach: Breach) -> str | None:
    """A meeting breach in words (``None`` for another check)."""
    from ..i18n import format_date, ngettext

    if breach.check == "minutes":
        return ngettext(
            "%(num)d work-group meeting's minutes late or missing (the first due %(due)s).",
            "%(num)d work-group meetings' minutes late or missing (the first due %(due)s).",
            breach.have or 0,
            due=format_date(breach.due, style="short"),
        )
    if breach.check == "council_seat":
        return _(
            "The council representative lost the seat on %(day)s (three council meetings "
            "missed in person): appoint another.",
            day=format_date(breach.due, style="short"),
        )
    return None


def body_label(body: str) -> str:
    return str(BODIES.get(body, body))


def locale_is_english() -> bool:
    return current_locale() == "en"
