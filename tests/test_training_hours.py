"""Learning hours (TN-LEARN-1, issue 13 section 6) in the sample host under the Taipei
profile: the yearly report matches a hand count of 50 people with every source (sessions
present and on leave -- a dismissed trainee keeps what they attended --, absences, e-learning,
other learning, the year's first and the previous year's last day), the target's boundary
(19.9 h below, 20.0 h not), the filter "below the target only", paging, the exports (CSV,
XLSX, ODS read back) equal to the page's rows, the number of statements the same for 5 and
50 people; who reads what (ids guessed or not); the transcript's year sections with ROC
dates in zh, its targets those in force on each report day. SQLite and PostgreSQL (the
``database_url`` fixture)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import re
import zipfile
from decimal import Decimal

import pytest
import sqlalchemy as sa
from casework import counting_queries, visible_text
from hosting import login

from appgov_plugin.db import Base
from appgov_plugin.rollout.models import RolloutAgency, RolloutPerson
from appgov_plugin.training import hours, hours_views
from appgov_plugin.training.models import (
    Attendance,
    Course,
    ElearningCompletion,
    Enrollment,
    OtherLearning,
    TrainingSession,
)
from sample_host.extensions import db

#: The report's day (a Wednesday): 民國 115 年 12 月 2 日.
DAY = dt.date(2026, 12, 2)
YEAR = DAY.year
H = Decimal


@pytest.fixture
def host(make_host, monkeypatch):
    monkeypatch.setattr(hours, "today", lambda: DAY)
    monkeypatch.setattr(hours_views, "today", lambda: DAY)
    return make_host("taipei")


# -- building the registry ------------------------------------------------------------------


def clear_registry() -> None:
    """No roll-out registry rows but the test's own (training rows refer to them)."""
    chosen: list[sa.Table] = []
    for table in Base.metadata.sorted_tables:
        if table.name.startswith("appgov_rollout_") or any(
            fk.column.table in chosen for fk in table.foreign_keys
        ):
            chosen.append(table)
    for table in reversed(chosen):
        db.session.execute(sa.delete(table))


def add_agency(code: str, city: str = "tainan") -> None:
    db.session.add(
        RolloutAgency(
            code=code,
            name_zh=f"{code} 機關",
            name_en=f"{code} agency",
            city=city,
            kind="level2",
            headcount=50,
            headcount_on=DAY,
        )
    )


_numbers = iter(range(1, 10**6))


def add_person(code: str, name: str | None = None, **extra) -> RolloutPerson:
    number = next(_numbers)
    person = RolloutPerson(
        employee_id=f"H{number:06d}", name=name or f"人員{number:03d}", agency_code=code, **extra
    )
    db.session.add(person)
    db.session.flush()
    return person


def add_course(code: str, hours_: str, course_type: str = "other") -> Course:
    course = Course(
        code=code,
        course_type=course_type,
        title_zh=f"{code} 課程",
        title_en=f"{code} course",
        hours=H(hours_),
    )
    db.session.add(course)
    db.session.flush()
    return course


def add_session(course_id: int, on: dt.date, hours_: str) -> TrainingSession:
    meeting = TrainingSession(
        course_id=course_id,
        on=on,
        starts_at=dt.time(9),
        ends_at=dt.time(17),
        hours=H(hours_),
        place="市府大樓 8 樓",
    )
    db.session.add(meeting)
    db.session.flush()
    return meeting


def add_session_id(course_id: int, on: dt.date, hours_: str) -> int:
    return add_session(course_id, on, hours_).id


def enrol(course_id: int, person, status: str = "enrolled") -> int:
    enrollment = Enrollment(
        course_id=course_id, person_id=person.id, agency_code=person.agency_code, status=status
    )
    db.session.add(enrollment)
    db.session.flush()
    return enrollment.id


def attend(session_id: int, enrollment_id: int, status: str, leave: str | None = None) -> None:
    db.session.add(
        Attendance(
            session_id=session_id,
            enrollment_id=enrollment_id,
            status=status,
            leave_hours=H(leave) if leave is not None else None,
        )
    )


class Person:
    """What a test keeps of a person (ids outlive the session)."""

    def __init__(self, person: RolloutPerson):
        self.id, self.agency_code = person.id, person.agency_code


class City:
    """A training year of a city: courses, sessions, and the expected hours per person,
    counted by hand as the rows are made (present: the session's hours; on leave: the
    session's hours less the leave; absent, unexcused: nothing; other years: nothing)."""

    def __init__(self):
        self.expected: dict[int, list[Decimal]] = {}  # person id -> [attended, e, other]
        self.agency_of: dict[int, str] = {}
        self.rng = random.Random(13)
        add_agency("hr-a")
        add_agency("hr-b")
        add_agency("hr-taipei", city="taipei")
        self.course = add_course("hr-c1", "12").id
        self.sessions = [  # (id, hours)
            (add_session_id(self.course, dt.date(YEAR, 1, 1), "3"), H("3")),  # the first day
            (add_session_id(self.course, dt.date(YEAR, 3, 2), "3.5"), H("3.5")),
            (add_session_id(self.course, dt.date(YEAR, 3, 3), "5.5"), H("5.5")),
        ]
        self.old_course = add_course("hr-old", "6").id
        # the previous year's last day
        self.old_session = add_session_id(self.old_course, dt.date(YEAR - 1, 12, 31), "6")
        self.elearning = [add_course(f"hr-e{n}", "2", "elearning").id for n in range(3)]

    def person(self, code: str, **extra) -> Person:
        person = Person(add_person(code, **extra))
        self.expected[person.id] = [H("0.0"), H("0.0"), H("0.0")]
        self.agency_of[person.id] = code
        return person

    def varied(self, code: str) -> Person:
        rng = self.rng
        person = self.person(code)
        got = self.expected[person.id]
        if rng.random() < 0.8:
            status = rng.choice(("enrolled", "passed", "failed", "dismissed", "withdrawn"))
            enrollment = enrol(self.course, person, status)
            for session_id, session_hours in self.sessions:
                kind = rng.choice(("present", "present", "leave", "absent", "unexcused", None))
                if kind is None:
                    continue
                leave = None
                if kind == "leave":
                    tenths = rng.randint(0, int(session_hours * 10) + 5)  # now and then more
                    leave = str(H(tenths) / 10)
                attend(session_id, enrollment, kind, leave)
                if kind == "present":
                    got[0] += session_hours
                elif kind == "leave" and H(leave) < session_hours:
                    got[0] += session_hours - H(leave)
        if rng.random() < 0.3:
            attend(self.old_session, enrol(self.old_course, person, "passed"), "present")
        for course_id in self.elearning:
            if rng.random() < 0.4:
                on = dt.date(YEAR - (rng.random() < 0.3), rng.randint(1, 12), rng.randint(1, 28))
                spent = H(rng.randint(5, 40)) / 10
                db.session.add(
                    ElearningCompletion(
                        person_id=person.id, course_id=course_id, completed_on=on, hours=spent
                    )
                )
                if on.year == YEAR:
                    got[1] += spent
        for _ in range(rng.randint(0, 3)):
            on = dt.date(YEAR - (rng.random() < 0.2), rng.randint(1, 12), rng.randint(1, 28))
            spent = H(rng.randint(1, 80)) / 10
            db.session.add(
                OtherLearning(person_id=person.id, on=on, hours=spent, title="研習", source="公訓")
            )
            if on.year == YEAR:
                got[2] += spent
        db.session.flush()
        return person

    def other(self, code: str, spent: str, **extra) -> Person:
        person = self.person(code, **extra)
        db.session.add(
            OtherLearning(person_id=person.id, on=DAY, hours=H(spent), title="研習", source="x")
        )
        self.expected[person.id][2] += H(spent)
        db.session.flush()
        return person


def enter(client, username: str, locale: str = "en") -> None:
    login(client, username)
    assert client.post(f"/locale/{locale}").status_code == 302


def get(client, url, expect=200, **query) -> str:
    response = client.get(url, query_string=query)
    assert response.status_code == expect, (url, query, response.status_code)
    return response.get_data(as_text=True)


def shown_rows(text: str) -> dict[int, tuple[Decimal, bool, str]]:
    """The report's rows: person id -> (total, below, visible text)."""
    found = re.findall(
        r'<tr data-person="(\d+)" data-employee="[^"]*" data-total="([^"]+)" '
        r'data-below="([01])">(.*?)</tr>',
        text,
        flags=re.S,
    )
    return {
        int(p): (H(total), below == "1", " ".join(visible_text(body).split()))
        for p, total, below, body in found
    }


def summary(text: str) -> tuple[int, int, Decimal]:
    return (
        int(re.search(r'data-people="(\d+)"', text)[1]),
        int(re.search(r'data-below="(\d+)">\d', text)[1]),
        H(re.search(r'data-target="([^"]+)"', text)[1]),
    )


# -- the report ---------------------------------------------------------------------------


def test_the_report_matches_a_hand_count_of_50_people_and_its_exports_TN_LEARN_1(host, monkeypatch):
    with host.app_context():
        clear_registry()
        city = City()
        for _n in range(5):
            city.varied("hr-a")
        db.session.commit()
    client = host.test_client()
    enter(client, "admin")
    get(client, "/appgov/training/hours", year=YEAR)  # the policy's tables read once
    with counting_queries(host) as five:
        get(client, "/appgov/training/hours", year=YEAR)
    with host.app_context():
        for n in range(40):
            city.varied("hr-a" if n % 2 else "hr-b")
        # rule TN-LEARN-1 at its boundary: 19.9 h is below 20, 20.0 h is not
        nineteen = city.other("hr-b", "19.9", name="邊界一")
        twenty = city.other("hr-b", "20.0", name="邊界二")
        city.varied("hr-taipei")
        city.varied("hr-taipei")
        # left before the report day: not in this year's report; leaving after it: still in
        gone = city.other("hr-a", "3", left_on=DAY - dt.timedelta(days=1))
        city.other("hr-a", "4", left_on=DAY + dt.timedelta(days=1))
        db.session.commit()
    expected = {
        pid: (sum(parts), sum(parts) < 20) for pid, parts in city.expected.items() if pid != gone.id
    }
    assert len(expected) == 50
    assert {below for _t, below in expected.values()} == {True, False}
    with counting_queries(host) as fifty:
        text = get(client, "/appgov/training/hours", year=YEAR)
    assert len(fifty) == len(five)  # statements do not grow with the people
    shown = shown_rows(text)
    assert {pid: (total, below) for pid, (total, below, _t) in shown.items()} == expected
    assert shown[nineteen.id][1] is True and "Below the target" in shown[nineteen.id][2]
    assert shown[twenty.id][1] is False and "Target reached" in shown[twenty.id][2]
    assert gone.id not in shown
    below_count = sum(1 for _t, below in expected.values() if below)
    assert summary(text) == (50, below_count, H(20))
    # the person's own parts per source, as counted by hand
    parts = city.expected[nineteen.id]
    row = f"{parts[0]:.1f} {parts[1]:.1f} 19.9 19.9 Below the target"
    assert shown[nineteen.id][2].endswith(row)
    # the filter: below the target only (the summary still counts everybody)
    below_text = get(client, "/appgov/training/hours", year=YEAR, below=1)
    assert set(shown_rows(below_text)) == {pid for pid, (_t, b) in expected.items() if b}
    assert summary(below_text) == (50, below_count, H(20))
    # one agency; the previous year (the old session and last year's completions)
    only_b = shown_rows(get(client, "/appgov/training/hours", year=YEAR, agency="hr-b"))
    assert set(only_b) == {pid for pid in expected if city.agency_of[pid] == "hr-b"}
    last_year = shown_rows(get(client, "/appgov/training/hours", year=YEAR - 1))
    assert any(total > 0 for total, _b, _t in last_year.values())
    with host.app_context():
        hand = {
            pid: total
            for pid, total in db.session.execute(
                sa.text(
                    "SELECT e.person_id, SUM(s.hours) FROM appgov_training_attendance a "
                    "JOIN appgov_training_session s ON s.id = a.session_id "
                    "JOIN appgov_training_enrollment e ON e.id = a.enrollment_id "
                    "WHERE a.status = 'present' AND s.course_id = :old GROUP BY e.person_id"
                ),
                {"old": city.old_course},
            )
        }
    for pid, (total, _b, _t) in last_year.items():
        assert total >= H(str(hand.get(pid, 0))).quantize(H("0.1"))
    # paging: 20 a page, the summary counts all
    monkeypatch.setattr(hours_views, "PER_PAGE", 20)
    third = get(client, "/appgov/training/hours", year=YEAR, page=3)
    assert len(shown_rows(third)) == 10 and "41–50 of 50 shown." in visible_text(third)
    assert summary(third)[0] == 50

    # the exports: every row, the same as the page's
    ordered = list(shown)  # the page's order (agency, name)
    response = client.get("/appgov/training/hours", query_string={"year": YEAR, "format": "csv"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    lines = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    header, body = lines[0], lines[1:]
    assert header[0] == "Employee ID" and header[-1] == "Below the target"
    employee = {}
    with host.app_context():
        for pid, eid in db.session.execute(sa.select(RolloutPerson.id, RolloutPerson.employee_id)):
            employee[eid] = pid
    as_csv = [(employee[row[0]], H(row[7]), row[9] == "yes") for row in body]
    assert as_csv == [(pid, *expected[pid]) for pid in ordered]
    assert all(H(row[8]) == 20 for row in body)

    from openpyxl import load_workbook

    response = client.get("/appgov/training/hours", query_string={"year": YEAR, "format": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data), read_only=True).active
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == header
    as_xlsx = [(employee[r[0]], H(str(r[7])).quantize(H("0.1")), r[9] == "yes") for r in values[1:]]
    assert as_xlsx == as_csv

    response = client.get("/appgov/training/hours", query_string={"year": YEAR, "format": "ods"})
    assert response.status_code == 200
    from odf.opendocument import load
    from odf.table import TableCell, TableRow

    document = load(io.BytesIO(response.data))
    ods_rows = []
    for row in document.spreadsheet.getElementsByType(TableRow):
        cells = []
        for cell in row.getElementsByType(TableCell):
            kind = cell.getAttribute("valuetype")
            cells.append(cell.getAttribute("value") if kind == "float" else str(cell))
        ods_rows.append(cells)
    assert ods_rows[0] == header
    as_ods = [(employee[r[0]], H(r[7]).quantize(H("0.1")), r[9] == "yes") for r in ods_rows[1:]]
    assert as_ods == as_csv
    assert zipfile.is_zipfile(io.BytesIO(response.data))


def test_who_reads_the_report_and_the_transcripts_ids_guessed_or_not(host):
    with host.app_context():
        clear_registry()
        city = City()
        own = [city.varied("tainan-tourism") for _ in range(3)]
        city_people = [city.varied("hr-a") for _ in range(3)]
        other_city = [city.varied("hr-taipei") for _ in range(2)]
        # a person of the registry who logs in as "reviewer" (a role reading no report)
        me = city.other("hr-a", "2", username="reviewer")
        # a formula in a name is neutralised in the export
        formula = city.other("tainan-tourism", "1", name='=HYPERLINK("x")')
        db.session.commit()
        every = sorted(city.expected)
        missing = max(every) + 1
    client = host.test_client()
    own_ids = {p.id for p in own} | {formula.id}
    for username in ("staff", "head"):
        enter(client, username)
        assert set(shown_rows(get(client, "/appgov/training/hours"))) == own_ids
        text = get(client, "/appgov/training/hours", 400, agency="hr-a")
        assert "Agency: “hr-a” is not an agency you may see." in visible_text(text)
        for pid in [*every, missing, 2**40]:
            expect = 200 if pid in own_ids else 404
            get(client, f"/appgov/training/people/{pid}", expect)
        exported = client.get("/appgov/training/hours", query_string={"format": "csv"})
        body = exported.get_data().decode("utf-8-sig")
        assert "'=HYPERLINK" in body and "\r\n=HYPERLINK" not in body
    enter(client, "itdept")
    tainan = own_ids | {p.id for p in city_people} | {me.id}
    assert set(shown_rows(get(client, "/appgov/training/hours"))) == tainan
    assert set(shown_rows(get(client, "/appgov/training/hours", agency="hr-a"))) == {
        p.id for p in city_people
    } | {me.id}
    get(client, "/appgov/training/hours", 400, agency="hr-taipei")
    for pid in [*every, missing]:
        get(client, f"/appgov/training/people/{pid}", 200 if pid in tainan else 404)
    enter(client, "admin")
    assert set(shown_rows(get(client, "/appgov/training/hours"))) == set(every)
    for person in other_city:
        get(client, f"/appgov/training/people/{person.id}")
    get(client, f"/appgov/training/people/{missing}", 404)
    # bad input: a message naming the field, nothing shown
    text = visible_text(get(client, "/appgov/training/hours", 400, year="20x6", below="2"))
    assert "Year: “20x6” is not a year from 1912 to 2026." in text
    assert "Below the target only: “2” is not 1." in text
    assert "Year: “2027”" in visible_text(get(client, "/appgov/training/hours", 400, year="2027"))
    get(client, "/appgov/training/hours", 400, format="pdf")
    get(client, "/appgov/training/hours", 400, format="csv", year="x")
    # a person of the registry reads their own transcript only; the report is not theirs
    enter(client, "reviewer")
    get(client, "/appgov/training/hours", 403)
    get(client, f"/appgov/training/people/{me.id}")
    for pid in every:
        if pid != me.id:
            get(client, f"/appgov/training/people/{pid}", 404)
    enter(client, "officer")  # neither an agency role nor a person of the registry
    get(client, "/appgov/training/hours", 403)
    get(client, f"/appgov/training/people/{own[0].id}", 404)


def test_the_transcript_per_year_with_roc_dates_in_zh_and_constant_statements(host):
    with host.app_context():
        clear_registry()
        city = City()
        quiet = city.person("hr-a")
        busy = city.person("hr-a", name="學習者")
        enrollment = enrol(city.course, busy, "dismissed")
        record = db.session.get(Enrollment, enrollment)
        record.dismissal_rule, record.dismissal_reason = "TP-TRN-3", "請假時數達門檻"
        first, second, third = (session_id for session_id, _hours in city.sessions)
        attend(first, enrollment, "present")  # 3 h
        attend(second, enrollment, "leave", "1.5")  # 3.5 - 1.5 = 2 h
        attend(third, enrollment, "unexcused")  # 0 h
        attend(city.old_session, enrol(city.old_course, busy, "passed"), "present")  # 2025
        enrol(add_course("hr-next", "6").id, busy)  # no attendance yet
        db.session.add(
            ElearningCompletion(
                person_id=busy.id,
                course_id=city.elearning[0],
                completed_on=dt.date(YEAR, 5, 20),
                hours=H("2.5"),
            )
        )
        db.session.add(
            OtherLearning(
                person_id=busy.id, on=dt.date(YEAR, 7, 1), hours=H("4"), title="資安研討會"
            )
        )
        db.session.commit()
        # the target raised from 1 June: in force on this year's report day, not on last
        # year's 31 December (rule TN-LEARN-1, an effective-dated parameter)
        from appgov_plugin.policy.changes import record_change
        from appgov_plugin.state import get_state

        record_change(
            get_state(),
            "learning_hours_per_year",
            24,
            dt.date(YEAR, 6, 1),
            "市府訓練計畫修正",
            "root",
            confirm_retroactive=True,
        )
        db.session.commit()
    client = host.test_client()
    enter(client, "itdept", "zh_Hant_TW")
    get(client, f"/appgov/training/people/{quiet.id}")  # the policy's tables read once
    with counting_queries(host) as few:
        get(client, f"/appgov/training/people/{quiet.id}")
    with counting_queries(host) as many:
        text = get(client, f"/appgov/training/people/{busy.id}")
    assert len(many) == len(few), (few, many)
    seen = visible_text(text)
    # ROC dates (TIME-5) in zh: the year's first session, the e-learning, the other learning
    assert "民國 115 年 1 月 1 日" in seen and "民國 115 年 5 月 20 日" in seen
    assert "民國 114 年 12 月 31 日" in seen and "民國 115 年 3 月 2 日" in seen
    assert "2026-01-01" not in seen
    years = re.findall(
        r'data-year="(\d+)">.*?data-total="([^"]+)" data-target="([^"]+)" data-below="([01])"',
        text,
        re.S,
    )
    assert [(int(y), H(t), H(g), b) for y, t, g, b in years] == [
        (YEAR, H("11.5"), H(24), "1"),  # 3 + 2 + 0 + 2.5 + 4
        (YEAR - 1, H("6.0"), H(20), "1"),
    ]
    assert 'media="print"' in text and "appgov-training-print.css" in text
    assert "請假時數達門檻" in seen and "TP-TRN-3" in seen and "hr-next 課程" in seen
    counted = re.findall(r'<tr data-session="\d+" data-hours="([^"]+)">', text)
    assert [H(h) for h in counted] == [H("3.0"), H("2.0"), H("0.0"), H("6.0")]
    # the same hours in the report as in the transcript
    report = shown_rows(get(client, "/appgov/training/hours", agency="hr-a"))
    assert report[busy.id][0] == H("11.5") and report[quiet.id][0] == 0
    assert summary(get(client, "/appgov/training/hours", year=YEAR - 1))[2] == H(20)
    enter(client, "itdept", "en")
    seen = visible_text(get(client, f"/appgov/training/people/{busy.id}"))
    assert "2026-01-01" in seen and "Below the target" in seen and "Dismissed" in seen
    assert "Courses without recorded attendance" in seen
    css = client.get("/appgov/static/appgov-training-print.css")
    assert css.status_code == 200 and b"size: A4" in css.data and b".host-nav" in css.data
