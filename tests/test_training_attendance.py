"""Attendance, leave and dismissal (issue 13, section 3; rules TP-TRN-2, TP-TRN-3, TIME-2) in
the sample host under the Taipei rules (``make_host("taipei")``), SQLite and PostgreSQL:

* every leave threshold exactly at its boundary through the roll-call page (a 12 h course:
  2.3 h stays, 2.4 h dismisses; a 12 h lecturer course: 1.1 h stays, 1.2 h dismisses);
* the make-up deadline across Lunar New Year 2027, through the leave case: on the 7th
  working day in time, the day after an unexcused absence that dismisses (the trainee told
  why); leave "in advance" after the session started refused naming the rule and field;
* the sweep: an overdue absence becomes unexcused once and dismisses;
* the roll-call page per role (guessed ids), bad input named with nothing written;
* ``summaries`` costs the same statements for 3 and 30 trainees.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
import sqlalchemy as sa
from casework import add_user, counting_queries, status
from hosting import login

from appgov_plugin import clock
from appgov_plugin.lifecycle.models import Deadline
from appgov_plugin.notifications.models import Message
from appgov_plugin.rollout.models import MajorSystem, RolloutAgency, RolloutPerson
from appgov_plugin.state import get_state
from appgov_plugin.training import attendance
from appgov_plugin.training.case_types import LEAVE_REQUEST
from appgov_plugin.training.models import (
    Attendance,
    Course,
    Enrollment,
    Lecturer,
    TrainingSession,
)
from sample_host.cases import TransitionRefused, apply_transition, open_case
from sample_host.extensions import db
from sample_host.models import User

AGENCY = "tainan-tourism"
FAR = "kaohsiung-tb"  # another city's agency
EN = {"Accept-Language": "en"}
DAY = dt.date(2026, 11, 30)  # a Monday, before today (2026-12-02 or later in the runs)


@pytest.fixture
def host(make_host):
    app = make_host("taipei")
    with app.app_context():
        yield app


def _user(username: str) -> User:
    return db.session.scalar(sa.select(User).where(User.username == username))


def registry(people: int = 4, agency_code: str = AGENCY, prefix: str = "AT") -> list:
    if db.session.scalar(sa.select(MajorSystem.id).limit(1)) is None:
        db.session.add(MajorSystem(code="AT-EDOC", name_zh="公文", name_en="E-doc", phase="golive"))
    for code in {agency_code}:
        if db.session.scalar(sa.select(RolloutAgency).where(RolloutAgency.code == code)) is None:
            db.session.add(RolloutAgency(code=code, kind="level1", headcount=100, headcount_on=DAY))
    persons = [
        RolloutPerson(
            employee_id=f"{prefix}-{n:03d}", name=f"學員{prefix}{n}", agency_code=agency_code
        )
        for n in range(1, people + 1)
    ]
    db.session.add_all(persons)
    db.session.commit()
    return persons


def course(code: str, course_type: str = "admin", hours="12", sessions=((DAY, "3"),)) -> Course:
    system = db.session.scalar(sa.select(MajorSystem).limit(1))
    row = Course(
        code=code,
        course_type=course_type,
        system_id=system.id if course_type in ("admin", "seed", "lecturer") else None,
        title_zh=f"課程{code}",
        title_en=f"Course {code}",
        hours=Decimal(hours),
        capacity=None,
    )
    db.session.add(row)
    db.session.flush()
    for on, hours_of in sessions:
        db.session.add(
            TrainingSession(
                course_id=row.id,
                on=on,
                starts_at=dt.time(9),
                ends_at=dt.time(12),
                hours=Decimal(hours_of),
                place="資訊局教室",
            )
        )
    db.session.commit()
    return row


def enrol(course_row: Course, persons) -> list[Enrollment]:
    rows = [
        Enrollment(course_id=course_row.id, person_id=p.id, agency_code=p.agency_code)
        for p in persons
    ]
    db.session.add_all(rows)
    db.session.commit()
    return rows


def session_of(course_row: Course, n: int = 0) -> TrainingSession:
    return course_row.sessions[n]


def roll_call(client, session_id: int, marks: dict, headers=EN):
    data = {}
    for enrollment_id, (mark, hours) in marks.items():
        data[f"mark-{enrollment_id}"] = mark
        data[f"hours-{enrollment_id}"] = hours
    return client.post(
        f"/appgov/training/sessions/{session_id}/roll-call", data=data, headers=headers
    )


def _rows_of(session: TrainingSession) -> dict[int, Attendance]:
    """The session's attendance rows by enrollment id (the demo has rows of its own)."""
    db.session.expire_all()
    rows = db.session.scalars(sa.select(Attendance).where(Attendance.session_id == session.id))
    return {row.enrollment_id: row for row in rows}


def fresh(enrollment_id: int) -> Enrollment:
    db.session.expire_all()
    return db.session.get(Enrollment, enrollment_id)


# -- TP-TRN-3: every threshold at its boundary ------------------------------------------------


def test_leave_thresholds_exactly_at_their_boundaries_tp_trn_3(host):
    """rule TP-TRN-3 through the roll-call page: of a 12 h course 2.3 h of leave stays and
    2.4 h dismisses (20 %), also when reached over two sessions; of a 12 h lecturer course
    1.1 h stays and 1.2 h dismisses (10 %). The reason and rule are shown and stored."""
    persons = registry(6)
    admin_course = course("AT-ADM-01", sessions=((DAY, "3"), (DAY + dt.timedelta(days=1), "3")))
    lecturer_course = course("AT-LEC-01", "lecturer")
    stays, dismissed, later = enrol(admin_course, persons[:3])
    lecturer_stays, lecturer_dismissed = enrol(lecturer_course, persons[3:5])
    client = host.test_client()
    login(client, "itdept")
    client.post("/locale/en")  # the reasons below are read in English
    first = session_of(admin_course)
    response = roll_call(
        client,
        first.id,
        {stays.id: ("leave", "2.3"), dismissed.id: ("leave", "2.4"), later.id: ("leave", "2.3")},
    )
    assert response.status_code == 303
    assert fresh(stays.id).status == "enrolled"
    gone = fresh(dismissed.id)
    assert gone.status == "dismissed" and gone.dismissal_rule == "TP-TRN-3"
    assert gone.dismissed_on == clock.today()
    assert json.loads(gone.dismissal_reason) == {
        "kind": "leave",
        "leave_hours": "2.4",
        "course_hours": "12.0",
        "percent": "20",
    }
    page = client.get(response.headers["Location"], headers=EN).get_data(as_text=True)
    assert "2.4 h of leave of a 12 h course reaches 20 % (TP-TRN-3)" in page
    # the one at 2.3 h reaches 2.4 h with 0.1 h more at the next session
    second = session_of(admin_course, 1)
    response = roll_call(client, second.id, {stays.id: ("present", ""), later.id: ("leave", "0.1")})
    assert response.status_code == 303
    assert fresh(stays.id).status == "enrolled" and fresh(later.id).status == "dismissed"
    found = attendance.summaries([stays, later])
    assert found[stays.id].leave_hours == Decimal("2.3") and found[stays.id].status == "active"
    assert found[stays.id].threshold_hours == Decimal("2.4")
    assert found[later.id].leave_hours == Decimal("2.4") and found[later.id].status == "dismissed"
    # the lecturer course: 10 % of 12 h
    response = roll_call(
        client,
        session_of(lecturer_course).id,
        {lecturer_stays.id: ("leave", "1.1"), lecturer_dismissed.id: ("leave", "1.2")},
    )
    assert response.status_code == 303
    assert fresh(lecturer_stays.id).status == "enrolled"
    assert fresh(lecturer_dismissed.id).status == "dismissed"
    found = attendance.summaries([lecturer_stays, lecturer_dismissed])
    assert found[lecturer_stays.id].threshold_hours == Decimal("1.2")
    assert "1.2 h of leave of a 12 h course reaches 10 %" in client.get(
        f"/appgov/training/sessions/{session_of(lecturer_course).id}/roll-call", headers=EN
    ).get_data(as_text=True)
    # the dismissed trainee is no longer on the form (shown below, with the reason)
    page = client.get(f"/appgov/training/sessions/{first.id}/roll-call", headers=EN).get_data(
        as_text=True
    )
    assert f'name="mark-{dismissed.id}"' not in page and f'name="mark-{stays.id}"' in page
    assert "Trainees no longer attending" in page


# -- TP-TRN-2: the make-up deadline across Lunar New Year, through the leave case ------------


LNY_SESSION = dt.date(2027, 2, 3)  # Wednesday; 2027-02-04 to 02-10 are holidays


def _on(monkeypatch, day: dt.date, hour: int = 10, minute: int = 0) -> None:
    monkeypatch.setattr(clock, "today", lambda: day)
    at = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=clock.TAIPEI)
    monkeypatch.setattr(attendance, "taipei_now", lambda: at)


def leave_case(person, code: str, kind: str, hours="2", day=LNY_SESSION, **extra):
    data = {
        "employee_id": person.employee_id,
        "course_code": code,
        "session_date": day.isoformat(),
        "leave_kind": kind,
        "leave_hours": hours,
        "reason": "家中急事",
        **extra,
    }
    case = open_case(LEAVE_REQUEST, AGENCY, "staff", data)
    db.session.commit()
    return case


def refused(case, step: str = "submit", username: str = "staff") -> str:
    with pytest.raises(TransitionRefused) as caught:
        apply_transition(case, step, _user(username))
    db.session.rollback()
    return str(caught.value)


def test_makeup_across_lunar_new_year_and_late_leave_dismisses_tp_trn_2(host, monkeypatch):
    """rule TP-TRN-2 (TIME-2): absent on Wed 2027-02-03, just before the Lunar New Year
    holidays, the leave may be made up until the 7th working day, Fri 2027-02-19 (computed
    with the policy). Made up that day through the leave case: leave. Made up on Mon 02-22:
    accepted as an unexcused absence, the trainee dismissed (TP-TRN-3) and told why. Leave
    in advance submitted after the session started is refused naming the rule and field."""
    on_time, late, advance, other = registry(4)
    far = registry(1, FAR, "KH")[0]
    lny = course("AT-SEED-LNY", "seed", sessions=((LNY_SESSION, "3"),))
    enrolled = enrol(lny, [on_time, late, advance, other, far])
    policy = get_state().policy(as_of=LNY_SESSION)
    assert not any(policy.is_working_day(dt.date(2027, 2, d)) for d in range(4, 11))
    due = policy.deadline("leave_makeup", LNY_SESSION)
    assert due == dt.date(2027, 2, 19)
    session = session_of(lny)
    assert attendance.makeup_due(session) == due

    # leave in advance, the day before: fine; after the session started (10:00 > 09:00): no
    _on(monkeypatch, dt.date(2027, 2, 2), 17)
    early = leave_case(advance, lny.code, "in_advance")
    apply_transition(early, "submit", _user("staff"))
    _on(monkeypatch, LNY_SESSION, 9, 30)
    too_late = leave_case(other, lny.code, "in_advance", hours="2")
    message = refused(too_late)
    assert "TP-TRN-2" in message and "請假方式" in message  # the field's label, zh
    # the checks of the trainee, the session and the hours
    assert "員工編號" in refused(leave_case(far, lny.code, "emergency"))  # another agency's
    unknown = leave_case(other, lny.code, "emergency", employee_id="NOBODY")
    assert "NOBODY" in refused(unknown)
    assert "課程代碼" in refused(leave_case(other, "NO-SUCH", "emergency"))
    assert "請假日期" in refused(
        leave_case(other, lny.code, "emergency", day=LNY_SESSION + dt.timedelta(days=1))
    )
    assert "請假時數" in refused(leave_case(other, lny.code, "emergency", hours="3.5"))
    assert not _rows_of(session)

    # the roll call on the day: two absent (the in-advance leave is not accepted yet)
    client = host.test_client()
    login(client, "itdept")
    marks = {
        enrolled[0].id: ("absent", ""),
        enrolled[1].id: ("absent", ""),
        enrolled[3].id: ("present", ""),
    }
    assert roll_call(client, session.id, marks).status_code == 303
    rows = _rows_of(session)
    assert rows[enrolled[0].id].status == "absent" and rows[enrolled[0].id].makeup_due_on == due
    apply_transition(early, "accept", _user("itdept"))
    db.session.commit()
    assert status(early.id) == "accepted"
    db.session.expire_all()
    advance_row = db.session.scalar(
        sa.select(Attendance).where(Attendance.enrollment_id == enrolled[2].id)
    )
    assert (advance_row.status, advance_row.leave_kind, advance_row.leave_filed_on) == (
        "leave",
        "in_advance",
        dt.date(2027, 2, 2),
    )
    assert advance_row.case_id == early.id

    # the 7th working day: in time
    _on(monkeypatch, due, 16)
    in_time = leave_case(on_time, lny.code, "emergency")
    apply_transition(in_time, "submit", _user("staff"))
    # the day after (the next working day, Mon 02-22): an unexcused absence once accepted
    _on(monkeypatch, dt.date(2027, 2, 22), 9)
    made_up_late = leave_case(late, lny.code, "emergency")
    apply_transition(made_up_late, "submit", _user("staff"))
    db.session.commit()
    deadline = db.session.scalar(sa.select(Deadline).where(Deadline.case_id == made_up_late.id))
    assert deadline.kind == "leave_makeup" and deadline.due_on == due and deadline.overdue_at
    # accepted later still: judged by the submission's day
    _on(monkeypatch, dt.date(2027, 2, 24), 9)
    for case in (in_time, made_up_late):
        apply_transition(case, "accept", _user("itdept"))
    db.session.commit()
    db.session.expire_all()
    rows = _rows_of(session)
    assert rows[enrolled[0].id].status == "leave"
    assert rows[enrolled[0].id].leave_filed_on == due
    assert rows[enrolled[1].id].status == "unexcused"
    assert rows[enrolled[1].id].leave_filed_on == dt.date(2027, 2, 22)
    assert fresh(enrolled[0].id).status == "enrolled"
    gone = fresh(enrolled[1].id)
    assert gone.status == "dismissed" and gone.dismissal_rule == "TP-TRN-3"
    assert json.loads(gone.dismissal_reason) == {
        "count": 1,
        "kind": "unexcused",
        "session_on": "2027-02-03",
    }
    told = db.session.scalars(
        sa.select(Message.event).where(Message.case_id == made_up_late.id)
    ).all()
    assert "training_leave_late" in told
    # the case page shows the make-up's due date, overdue
    login(client, "staff")
    page = client.get(f"/cases/{made_up_late.id}", headers=EN)
    assert page.status_code == 200
    # a second leave for a trainee dismissed is refused
    again = leave_case(late, lny.code, "emergency")
    assert "TP-TRN-2" in refused(again)


# -- the sweep -------------------------------------------------------------------------------


def test_sweep_turns_an_overdue_absence_unexcused_once_and_dismisses(host, monkeypatch):
    """rule TP-TRN-2: an absence not made up by its deadline becomes unexcused by the sweep,
    once; the trainee is dismissed (TP-TRN-3)."""
    absent, waiting = registry(2)
    sweep_course = course("AT-SWEEP", sessions=((DAY, "3"), (DAY + dt.timedelta(days=7), "3")))
    first, second = enrol(sweep_course, [absent, waiting])
    monkeypatch.setattr(clock, "today", lambda: DAY)
    attendance.record_roll_call(
        session_of(sweep_course), {first.id: ("absent", ""), second.id: ("present", "")}, "itdept"
    )
    monkeypatch.setattr(clock, "today", lambda: DAY + dt.timedelta(days=7))
    attendance.record_roll_call(session_of(sweep_course, 1), {second.id: ("absent", "")}, "itdept")
    db.session.commit()
    due = get_state().policy().deadline("leave_makeup", DAY)

    def overdue(as_of: dt.date) -> int:
        """Absences past their deadline on ``as_of``, the demo's included."""
        return db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Attendance)
            .where(Attendance.status == "absent", Attendance.makeup_due_on < as_of)
        )

    runner = host.test_cli_runner()
    runner.invoke(args=["appgov", "sweep", "--as-of", due.isoformat()])  # the demo's, if any
    assert fresh(first.id).status == "enrolled"  # on the due day: still in time
    after = due + dt.timedelta(days=1)
    expected = overdue(after)
    assert expected >= 1
    result = runner.invoke(args=["appgov", "sweep", "--as-of", after.isoformat()])
    assert result.exit_code == 0, result.output
    assert f"training_unexcused: {expected}" in result.output
    assert fresh(first.id).status == "dismissed" and fresh(second.id).status == "enrolled"
    again = runner.invoke(args=["appgov", "sweep", "--as-of", after.isoformat()])
    assert "training_unexcused: 0" in again.output
    statuses = db.session.scalars(
        sa.select(Attendance.status).where(Attendance.enrollment_id == first.id)
    ).all()
    assert statuses == ["unexcused"]


# -- the page: who, and bad input ------------------------------------------------------------


def test_roll_call_page_per_role_and_bad_input(host):
    """Who takes the roll call: the IT department (its city's sessions), the administrator,
    the session's own lecturer; an agency and another lecturer get 404, a role that reads no
    training record 403, a guessed id 404. Letters and hours above the session's are named
    with the trainee and nothing is written. Both languages; one fieldset per trainee."""
    persons = registry(3)
    far = registry(1, FAR, "KH")
    teacher, other_teacher = registry(2, AGENCY, "LT")
    teacher.username, other_teacher.username = "lecturer1", "lecturer2"
    system = db.session.scalar(sa.select(MajorSystem).limit(1))
    lecturer = Lecturer(person_id=teacher.id, system_id=system.id, qualified_on=DAY, note="test")
    db.session.add_all(
        [
            lecturer,
            Lecturer(
                person_id=other_teacher.id, system_id=system.id, qualified_on=DAY, note="test"
            ),
        ]
    )
    add_user("lecturer1", "agency_staff", AGENCY)
    add_user("lecturer2", "agency_staff", AGENCY)
    page_course = course("AT-PAGE")
    session = session_of(page_course)
    session.lecturer_id = lecturer.id
    db.session.commit()
    enrolled = enrol(page_course, persons)
    far_course = course("AT-FAR")
    enrol(far_course, far)
    url = f"/appgov/training/sessions/{session.id}/roll-call"
    far_url = f"/appgov/training/sessions/{session_of(far_course).id}/roll-call"
    guessed = "/appgov/training/sessions/987654/roll-call"
    client = host.test_client()
    expected = {
        "itdept": (200, 404, 404),
        "admin": (200, 200, 404),
        "lecturer1": (200, 404, 404),
        "lecturer2": (404, 404, 404),
        "staff": (404, 404, 404),
        "reviewer": (403, 403, 403),
    }
    for username, answers in expected.items():
        login(client, username)
        got = tuple(client.get(u, headers=EN).status_code for u in (url, far_url, guessed))
        assert got == answers, username
        assert roll_call(client, session.id, {enrolled[0].id: ("present", "")}).status_code in (
            (303,) if answers[0] == 200 else (answers[0],)
        ), username
    db.session.execute(sa.delete(Attendance).where(Attendance.session_id == session.id))
    db.session.commit()

    login(client, "lecturer1")
    page = client.get(url, headers=EN).get_data(as_text=True)
    assert page.count("<fieldset") == 3 and page.count('type="radio"') == 9
    for enrollment in enrolled:
        assert f'<label for="hours-{enrollment.id}">' in page
        assert f'<label for="mark-{enrollment.id}-leave">' in page
    zh = client.get(url, headers={"Accept-Language": "zh-TW"}).get_data(as_text=True)
    assert '<html lang="zh-Hant-TW"' in zh and zh.count("<fieldset") == 3
    client.post("/locale/en")
    for bad, name in (("abc", "abc"), ("3.5", "3.5"), ("0", "0"), ("1.25", "1.25")):
        response = roll_call(
            client, session.id, {enrolled[0].id: ("present", ""), enrolled[1].id: ("leave", bad)}
        )
        assert response.status_code == 400, bad
        text = response.get_data(as_text=True)
        assert "error-summary" in text and persons[1].employee_id in text and name in text
        assert f'href="#hours-{enrolled[1].id}"' in text
        assert not _rows_of(session)
    # blank hours: the session's
    response = roll_call(client, session.id, {enrolled[1].id: ("leave", "")})
    assert response.status_code == 303
    (row,) = _rows_of(session).values()
    assert (row.status, row.leave_hours, row.recorded_by) == ("leave", Decimal("3.0"), "lecturer1")
    page = client.get(url, headers=EN).get_data(as_text=True)
    assert '<html lang="en"' in page
    # dismissed (3 h of 12 h), shown below the form with the reason and the leave so far
    assert "3 h of leave of a 12 h course reaches 20 % (TP-TRN-3)" in page
    assert "Leave so far: 3 h of 2.4 h allowed (20 % of the course)" in page
    # a session later than today cannot be called yet
    future = course("AT-FUTURE", sessions=((clock.today() + dt.timedelta(days=30), "3"),))
    login(client, "itdept")
    (future_enrollment,) = enrol(future, registry(1, AGENCY, "FU"))
    response = roll_call(client, session_of(future).id, {future_enrollment.id: ("present", "")})
    assert response.status_code == 400


# -- query counts ----------------------------------------------------------------------------


def test_summaries_query_count_is_constant(host):
    """``summaries`` reads 3 trainees and 30 trainees (with attendance) in the same number of
    statements."""
    persons = registry(33)
    few_course = course("AT-Q3", sessions=((DAY, "3"), (DAY + dt.timedelta(days=1), "3")))
    many_course = course("AT-Q30", "lecturer", sessions=((DAY, "3"),))
    few = enrol(few_course, persons[:3])
    many = enrol(many_course, persons[3:])
    for enrollment in few + many:
        for session in enrollment.course.sessions:
            db.session.add(
                Attendance(
                    session_id=session.id,
                    enrollment_id=enrollment.id,
                    status="leave",
                    leave_hours=Decimal("0.5"),
                )
            )
    db.session.commit()
    attendance.summaries([few[0].id])  # the policy layer's first load, once per process
    counts = []
    for rows in (few, many, few + many):
        ids = [row.id for row in rows]
        db.session.expire_all()
        with counting_queries(host) as statements:
            found = attendance.summaries(ids)
        assert len(found) == len(rows)
        counts.append(len(statements))
    assert counts[0] == counts[1] == counts[2] <= 4, counts
    assert found[few[0].id].leave_hours == Decimal("1.0")
    assert found[many[0].id].leave_hours == Decimal("0.5")
