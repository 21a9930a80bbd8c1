"""Demonstration training records, where the deployment runs the training rules (TP-TRN-*).

Runs after the demo registry (:mod:`appgov_plugin.rollout.demo_registry`): the courses of
its document system (公文線上簽核系統) and the people of its agencies, every date counted
from today and every deadline from the policy, through the capability's own functions (a
course's checks, the roll call, the results), so what the pages show is what they would
after the same steps by hand:

* **Lecturer course** (講師培訓課程, 12 h, finished): three candidates recommended by their
  agencies; two passed and are now the system's lecturers in the registry (TP-TRN-5), one
  failed. Its lecturer was entered by hand (the vendor's trainer, with a note).
* **Seed-user course, first run** (12 h in four sessions, finished, results recorded): the
  seed users of six agencies. One trainee took 2.3 h of leave and stays (under 20 %), one
  took 3 h and was dismissed (TP-TRN-3), one was absent and never made it up: the sweep
  turned it into an unexcused absence and dismissed them (TP-TRN-2). One trainee failed;
  one failed for the third time in a row, so a fitness review is flagged for the IT
  department to open or decline (TP-TRN-4). The failed and dismissed trainees have a retake
  proposed on the second run.
* **Seed-user course, second run** (upcoming, taught by a lecturer who passed the lecturer
  course): the retakes proposed, and the Tourism Bureau's nomination accepted by the IT
  department (the demo's nomination case); the Tourism Bureau's draft leave request for
  its first session.
* **System-administrator course** (6 h in two sessions, the last two working days ago): the
  roll calls taken, one trainee absent with the make-up window still open; no results yet
  -- the IT department records them (the README's walk).
* **E-learning course** (3 h): completions of the Tourism Bureau's staff, as an import from
  the e-learning platform (TP-TRN-6); and other learning hours of a few of them, so the
  learning-hours report (TN-LEARN-1) shows some people above the year's target and most
  below it.

A deployment without the registry files the forms' sample answers as before.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa

from ..clock import today
from ..demo import agency_staff, file_offered
from ..rollout.models import Assignment, MajorSystem, RolloutPerson
from ..state import get_state
from . import attendance, courses, results
from .case_types import ENROLLMENT, LEAVE_REQUEST, case_types
from .models import ElearningCompletion, Enrollment, Lecturer, OtherLearning

SYSTEM = "tn-edoc"
ACTOR = "demo"
PLACE = "臺南市政府永華市政中心 10 樓資訊教室"
MORNING = (dt.time(9, 0), dt.time(12, 0))
AFTERNOON = (dt.time(13, 30), dt.time(16, 30))
#: Agencies whose seed users are on the first seed-user course.
SEED_AGENCIES = (
    "tainan-tourism",
    "tainan-civil",
    "tainan-works",
    "tainan-education",
    "tainan-finance",
    "tainan-labor",
)
LECTURER_NOTE = "委外廠商教育訓練講師，依契約指派（講師培訓課程開辦前）。"


def load(open_case, users) -> None:
    state = get_state()
    policy = state.policy()
    owner = agency_staff(users)
    session = state.session
    system = session.scalar(sa.select(MajorSystem).where(MajorSystem.code == SYSTEM))
    if not policy.applies("TP-TRN-1") or system is None:  # no roll-out registry
        if owner is not None:
            file_offered(open_case, case_types(), owner, {ENROLLMENT: ("submit", "accept")})
        return
    day = today()
    people = _people(session, system.id)
    lecturer = _vendor_lecturer(session, system, people, day)
    lecturers = _lecturer_course(session, policy, system, people, lecturer, day)
    _seed_courses(session, policy, system, people, lecturer, day)
    second = _second_seed_course(session, policy, system, lecturers[0], day)
    _admin_course(session, policy, system, people, lecturer, day)
    _elearning(session, policy, people, day)
    session.flush()
    if owner is not None and owner.agency_code in people["agencies"]:
        _nomination(open_case, owner, people, second)


# -- who ---------------------------------------------------------------------------------


def _people(session, system_id: int) -> dict:
    """The registry's people by what they play on the document system, per agency: its
    administrators and seed users today, and the rest of its staff."""
    rows = session.execute(
        sa.select(Assignment.agency_code, Assignment.role, RolloutPerson)
        .join(RolloutPerson, RolloutPerson.id == Assignment.person_id)
        .where(
            Assignment.system_id == system_id,
            Assignment.ends_on.is_(None),
            RolloutPerson.left_on.is_(None),
        )
        .order_by(RolloutPerson.id)
    ).all()
    roles: dict[str, dict[str, list[RolloutPerson]]] = {}
    for code, role, person in rows:
        roles.setdefault(code, {}).setdefault(role, []).append(person)
    everyone = session.scalars(
        sa.select(RolloutPerson).where(RolloutPerson.left_on.is_(None)).order_by(RolloutPerson.id)
    ).all()
    staff: dict[str, list[RolloutPerson]] = {}
    for person in everyone:
        staff.setdefault(person.agency_code, []).append(person)
    return {"roles": roles, "staff": staff, "agencies": set(staff)}


def _role(people, code: str, role: str) -> list[RolloutPerson]:
    return people["roles"].get(code, {}).get(role, [])


# -- when --------------------------------------------------------------------------------


def _working_day(policy, day: dt.date, step: int) -> dt.date:
    """``day``, or the nearest working day from it in the direction of ``step`` (TIME-1)."""
    while not policy.is_working_day(day):
        day += dt.timedelta(days=step)
    return day


def _days(policy, start: dt.date, count: int, every: int, step: int = 1) -> list[dt.date]:
    """``count`` working days ``every`` calendar days apart from ``start``."""
    days = []
    day = start
    for _index in range(count):
        day = _working_day(policy, day, step)
        days.append(day)
        day += dt.timedelta(days=every)
    return days


def _course(system, code, course_type, title_zh, title_en, hours, capacity, enrol_until):
    return courses.create_course(
        {
            "code": code,
            "course_type": course_type,
            "system_id": system.id if course_type != "elearning" else None,
            "title_zh": title_zh,
            "title_en": title_en,
            "hours": Decimal(hours),
            "capacity": capacity,
            "enrol_until": enrol_until,
        },
        ACTOR,
    )


def _sessions(course, days, hours: str, lecturer: Lecturer | None, times=MORNING) -> list:
    return [
        courses.add_session(
            course,
            {
                "on": day,
                "starts_at": times[0],
                "ends_at": times[1],
                "hours": Decimal(hours),
                "place": PLACE,
                "lecturer_id": lecturer.id if lecturer is not None else None,
            },
        )
        for day in days
    ]


def _enrolled(session, course, persons, **extra) -> list[Enrollment]:
    """The trainees of a course that has run: their nominations accepted before it began
    (as an import of the earlier records: a finished course takes no new nominations)."""
    rows = [
        Enrollment(
            course_id=course.id,
            person_id=person.id,
            agency_code=person.agency_code,
            status="enrolled",
            created_by=ACTOR,
            **extra,
        )
        for person in persons
    ]
    session.add_all(rows)
    session.flush()
    return rows


def _results(course, outcomes: dict, on: dt.date) -> None:
    """The results recorded on ``on`` (the IT department's day after the last session)."""
    for row in results.record_results(course, outcomes, ACTOR):
        row.result_on = on
    course.results_on = on


def _roll_call(course_sessions, trainees, exceptions: dict) -> None:
    """Every trainee present at every session but for ``exceptions``: {(session index,
    trainee index): (mark, hours)}."""
    for index, course_session in enumerate(course_sessions):
        marks = {}
        for number, enrollment in enumerate(trainees):
            if enrollment.status != "enrolled":
                continue
            mark, hours = exceptions.get((index, number), ("present", None))
            marks[enrollment.id] = (mark, hours)
        attendance.record_roll_call(course_session, marks, ACTOR)


# -- the courses -------------------------------------------------------------------------


def _vendor_lecturer(session, system, people, day) -> Lecturer:
    """rule TP-TRN-5: the registry's first lecturer, entered by hand before the lecturer
    course ran (the IT department's own staff member who teaches with the vendor)."""
    person = _role(people, "tainan-sdc", "member")[0]
    lecturer = Lecturer(
        person_id=person.id,
        system_id=system.id,
        qualified_on=day - dt.timedelta(days=365),
        note=LECTURER_NOTE,
        created_by=ACTOR,
    )
    session.add(lecturer)
    session.flush()
    return lecturer


def _lecturer_course(session, policy, system, people, lecturer, day) -> list[Lecturer]:
    """rule TP-TRN-5: three recommended candidates; two pass and join the registry."""
    course = _course(
        system,
        "EDOC-LEC-115-1",
        "lecturer",
        "公文線上簽核系統講師培訓課程（第1期）",
        "Online document approval system: lecturer course, 1st run",
        "12",
        12,
        None,
    )
    start = day - dt.timedelta(days=80)
    days = _days(policy, start, 2, 1)
    _sessions(course, days, "6", lecturer, times=(dt.time(9, 0), dt.time(16, 0)))
    candidates = [
        _role(people, "tainan-tourism", "admin")[-1],
        _role(people, "tainan-civil", "admin")[0],
        _role(people, "tainan-works", "admin")[0],
    ]
    trainees = _enrolled(session, course, candidates)
    _roll_call(course.sessions, trainees, {})
    outcomes = {trainees[0].id: "pass", trainees[1].id: "pass", trainees[2].id: "fail"}
    _results(course, outcomes, days[-1] + dt.timedelta(days=3))
    return list(
        session.scalars(
            sa.select(Lecturer)
            .where(Lecturer.enrollment_id.in_([t.id for t in trainees]))
            .order_by(Lecturer.id)
        )
    )


def _seed_courses(session, policy, system, people, lecturer, day) -> None:
    """The first run of the seed-user course, and the two earlier runs that the Tourism
    Bureau's work-group member, whom it means to make its second seed user, failed: the
    third fail flags TP-TRN-4's review (a case for the bureau)."""
    repeater = _repeater(people)
    for number, days_ago in ((1, 300), (2, 200)):
        earlier = _course(
            system,
            f"EDOC-SEED-114-{number}",
            "seed",
            f"公文線上簽核系統種子人員課程（114年第{number}期）",
            f"Online document approval system: seed-user course, 2025 run {number}",
            "6",
            30,
            None,
        )
        days = _days(policy, day - dt.timedelta(days=days_ago), 2, 7)
        _sessions(earlier, days, "3", lecturer)
        trainees = _enrolled(session, earlier, [repeater])
        _roll_call(earlier.sessions, trainees, {})
        _results(earlier, {trainees[0].id: "fail"}, days[-1] + dt.timedelta(days=3))

    course = _course(
        system,
        "EDOC-SEED-115-1",
        "seed",
        "公文線上簽核系統種子人員課程（第1期）",
        "Online document approval system: seed-user course, 1st run",
        "12",
        30,
        None,
    )
    days = _days(policy, day - dt.timedelta(days=50), 4, 7)
    course_sessions = _sessions(course, days, "3", lecturer)
    persons = [p for code in SEED_AGENCIES for p in _role(people, code, "seed")]
    persons = [p for p in persons if p is not repeater] + [repeater]
    trainees = _enrolled(session, course, persons)
    # rule TP-TRN-3: 1.2 h + 1.1 h = 2.3 h of a 12 h course stays; 3 h reaches 20 %
    # rule TP-TRN-2: an absence never made up becomes unexcused at the sweep
    _roll_call(
        course_sessions,
        trainees,
        {
            (0, 1): ("leave", Decimal("1.2")),
            (2, 1): ("leave", Decimal("1.1")),
            (1, 2): ("leave", Decimal("3")),
            (2, 3): ("absent", None),
        },
    )
    attendance.sweep_overdue(day, ACTOR)
    graded = [t for t in trainees if t.status == "enrolled"]
    outcomes = {t.id: "pass" for t in graded}
    outcomes[graded[3].id] = "fail"
    outcomes[graded[-1].id] = "fail"  # the repeater's third fail in a row (TP-TRN-4)
    _results(course, outcomes, days[-1] + dt.timedelta(days=3))


def _repeater(people) -> RolloutPerson:
    return _role(people, "tainan-tourism", "member")[0]


def _second_seed_course(session, policy, system, lecturer, day):
    """The second run, ahead: taught by a lecturer from the lecturer course (TP-TRN-5); the
    retakes the first run's results proposed are put on it."""
    course = _course(
        system,
        "EDOC-SEED-115-2",
        "seed",
        "公文線上簽核系統種子人員課程（第2期）",
        "Online document approval system: seed-user course, 2nd run",
        "12",
        30,
        _working_day(policy, day + dt.timedelta(days=7), 1),
    )
    days = _days(policy, day + dt.timedelta(days=14), 4, 7)
    _sessions(course, days, "3", lecturer, times=AFTERNOON)
    results.propose_waiting(None, ACTOR)
    return course


def _admin_course(session, policy, system, people, lecturer, day) -> None:
    """Two sessions, the last two working days ago: roll calls taken, one trainee absent
    with the make-up window open (TP-TRN-2); the results are the IT department's to record."""
    course = _course(
        system,
        "EDOC-ADM-115-1",
        "admin",
        "公文線上簽核系統機關系統管理者課程（第1期）",
        "Online document approval system: system-administrator course, 1st run",
        "6",
        24,
        None,
    )
    last = _working_day(
        policy, _working_day(policy, day - dt.timedelta(days=1), -1) - dt.timedelta(days=1), -1
    )  # two working days ago
    first = _working_day(policy, last - dt.timedelta(days=7), -1)
    course_sessions = _sessions(course, [first, last], "3", lecturer)
    persons = [p for code in SEED_AGENCIES[:4] for p in _role(people, code, "admin")[:2]]
    trainees = _enrolled(session, course, persons)
    _roll_call(course_sessions, trainees, {(1, 2): ("absent", None)})


def _elearning(session, policy, people, day) -> None:
    """rule TP-TRN-6: the general-user course's completions, as imported; and other
    learning (TN-LEARN-1) of a few of the Tourism Bureau's people."""
    course = _course(
        None,
        "EDOC-EL-115",
        "elearning",
        "公文線上簽核系統一般使用者數位課程",
        "Online document approval system: e-learning course for every user",
        "3",
        None,
        None,
    )
    staff = people["staff"].get("tainan-tourism", [])
    for number, person in enumerate(staff):
        session.add(
            ElearningCompletion(
                person_id=person.id,
                course_id=course.id,
                completed_on=day - dt.timedelta(days=5 + 3 * number),
                hours=Decimal("3"),
                source_ref=f"ELN-{person.employee_id}",
                imported_by=ACTOR,
            )
        )
    learned = (
        ("資通安全通識教育", "e等公務園+學習平臺", "3"),
        ("個人資料保護法實務", "臺南市政府公務人力發展中心", "6"),
        ("公文寫作與電子公文", "臺南市政府公務人力發展中心", "12"),
    )
    for number, person in enumerate(staff[:6]):
        for index, (title, source, hours) in enumerate(learned[: 1 + number % 3]):
            session.add(
                OtherLearning(
                    person_id=person.id,
                    on=day - dt.timedelta(days=30 + 20 * index),
                    hours=Decimal(hours),
                    title=title,
                    source=source,
                    created_by=ACTOR,
                )
            )


def _nomination(open_case, owner, people, course) -> None:
    """The Tourism Bureau nominates two of its staff for the second run (accepted by the
    IT department) and drafts a leave request for one of them."""
    staff = [
        p
        for p in people["staff"][owner.agency_code]
        if p not in _role(people, owner.agency_code, "seed")
    ]
    nominated = staff[-2:]
    rows = [
        {"employee_id": person.employee_id, "name": person.name, "retake": False}
        for person in nominated
    ]
    first = course.sessions[0]
    answers = {
        ENROLLMENT: {"course_code": course.code, "trainees": rows},
        LEAVE_REQUEST: {
            "employee_id": nominated[0].employee_id,
            "course_code": course.code,
            "session_date": first.on.isoformat(),
            "leave_kind": "in_advance",
            "leave_hours": "1.5",
            "reason": "當日下午需出席市議會觀光委員會質詢備詢，申請事先請假。",
        },
    }
    file_offered(
        open_case, case_types(), owner, {ENROLLMENT: ("submit", "accept")}, answers=answers
    )
