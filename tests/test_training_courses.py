"""Courses, sessions and the lecturer registry (issue 13, section 1: TP-TRN-1, TP-TRN-5) in
the sample host under the Taipei rules (``make_host("taipei")``), SQLite and PostgreSQL:

* the course list, a course's page and the lecturer registry per role: the administrator
  and the IT department see every trainee, an agency's staff only its own (ids guessed or
  not), other roles 403, a missing course 404; ROC dates in zh;
* the IT department creates a course and adds a session on its own pages, the
  administrator in Flask-Admin -- the same checks (training/courses.py): each refusal names
  its field and nothing is written; the lecturer only from the registry, qualified for the
  course's system on the session's date (TP-TRN-5);
* the statements of the list and the course page do not grow with the courses or trainees.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa
from casework import counting_queries, visible_text
from hosting import login

from appgov_plugin.rollout.models import MajorSystem, RolloutAgency, RolloutPerson
from appgov_plugin.training import courses
from appgov_plugin.training.models import (
    Course,
    Enrollment,
    Lecturer,
    OtherLearning,
    TrainingSession,
)
from sample_host.extensions import db

AGENCY = "tainan-tourism"
OTHER = "tainan-secretariat"
#: Roles that read no training course (the reviewer does: a person of the registry).
NO_READERS = ("mayor", "helpdesk")


@pytest.fixture
def host(make_host):
    return make_host("taipei")


def count(host, model) -> int:
    """The rows of ``model`` beyond those the demo data had (``BASE``)."""
    with host.app_context():
        total = db.session.scalar(sa.select(sa.func.count()).select_from(model))
    return total - BASE.get((id(host), model), 0)


#: (host, model) -> rows before the test's own records.
BASE: dict = {}


def setup_registry(host) -> dict:
    """Two systems, people of two agencies, four lecturers of the registry (one of the
    other system, one revoked on 2026-03-01, one qualified from 2026-04-01), one course of
    the first system with a session and trainees of both agencies."""
    for model in (Course, TrainingSession, Lecturer, Enrollment, OtherLearning):
        BASE[(id(host), model)] = 0
        BASE[(id(host), model)] = count(host, model)
    with host.app_context():
        known = set(db.session.scalars(sa.select(RolloutAgency.code)))
        for code in {AGENCY, OTHER} - known:  # the demo registry has them already
            db.session.add(
                RolloutAgency(
                    code=code, kind="level1", headcount=50, headcount_on=dt.date(2026, 1, 1)
                )
            )
        doc = MajorSystem(code="DOC", name_zh="公文系統", name_en="Documents", phase="golive")
        erp = MajorSystem(code="ERP", name_zh="財務系統", name_en="Finance", phase="golive")
        db.session.add_all([doc, erp])
        people = {}
        for n in range(1, 7):
            people[f"RT-{n}"] = RolloutPerson(
                employee_id=f"RT-{n}",
                name=f"觀光{n}",
                agency_code=AGENCY,
                email=f"rt{n}@example.org",
            )
        for n in (1, 2):
            people[f"RO-{n}"] = RolloutPerson(
                employee_id=f"RO-{n}",
                name=f"秘書{n}",
                agency_code=OTHER,
                email="ro@example.org",
                # the reviewer's login is RO-1's: a trainee of the course
                username="reviewer" if n == 1 else None,
            )
        db.session.add_all(people.values())
        db.session.flush()

        def lecturer(key, system, qualified, revoked=None):
            row = Lecturer(
                person_id=people[key].id,
                system_id=system.id,
                qualified_on=qualified,
                revoked_on=revoked,
                note="由資訊局指定",
            )
            db.session.add(row)
            return row

        ok = lecturer("RT-5", doc, dt.date(2026, 1, 1))
        other_system = lecturer("RO-2", erp, dt.date(2026, 1, 1))
        revoked = lecturer("RT-6", doc, dt.date(2025, 1, 1), dt.date(2026, 3, 1))
        later = lecturer("RO-1", doc, dt.date(2026, 4, 1))
        course = Course(
            code="DOC-ADM-115-1",
            course_type="admin",
            system_id=doc.id,
            title_zh="公文系統管理者課程",
            title_en="Documents: administrators",
            hours=Decimal("12"),
            capacity=20,
        )
        db.session.add(course)
        db.session.flush()
        first = TrainingSession(
            course_id=course.id,
            on=dt.date(2026, 3, 2),
            starts_at=dt.time(9),
            ends_at=dt.time(12),
            hours=Decimal("3"),
            place="市政大樓 12 樓資訊教室",
            lecturer_id=ok.id,
        )
        db.session.add(first)
        for key in ("RT-1", "RT-2", "RO-1"):
            db.session.add(
                Enrollment(
                    course_id=course.id,
                    person_id=people[key].id,
                    agency_code=people[key].agency_code,
                    **(
                        {
                            "status": "dismissed",
                            "dismissed_on": dt.date(2026, 3, 2),
                            "dismissal_rule": "TP-TRN-3",
                            "dismissal_reason": "曠課",
                        }
                        if key == "RT-2"
                        else {}
                    ),
                )
            )
        db.session.commit()
        return {
            "doc": doc.id,
            "erp": erp.id,
            "course": course.id,
            "session": first.id,
            "ok": ok.id,
            "other_system": other_system.id,
            "revoked": revoked.id,
            "later": later.id,
            "people": {key: p.id for key, p in people.items()},
        }


def text_of(response) -> str:
    return " ".join(visible_text(response.get_data(as_text=True)).split())


def row_of(body: str, course_id: int) -> str:
    """The course list's row of ``course_id``."""
    return body.split(f'data-course="{course_id}"')[1].split("</tr>")[0]


def add_courses(host, system_id: int, n: int, start: int = 0) -> None:
    """``n`` more courses, each with a session and two trainees."""
    with host.app_context():
        people = list(db.session.scalars(sa.select(RolloutPerson).order_by(RolloutPerson.id)))
        for i in range(start, start + n):
            course = Course(
                code=f"BULK-{i}",
                course_type="seed",
                system_id=system_id,
                title_zh=f"種子課程{i}",
                title_en=f"Seeds {i}",
                hours=Decimal("6"),
            )
            db.session.add(course)
            db.session.flush()
            db.session.add(
                TrainingSession(
                    course_id=course.id,
                    on=dt.date(2026, 5, 1) + dt.timedelta(days=i),
                    starts_at=dt.time(13),
                    ends_at=dt.time(16),
                    hours=Decimal("3"),
                    url="https://meet.example.org/x",
                )
            )
            for person in people[:2]:
                db.session.add(
                    Enrollment(course_id=course.id, person_id=person.id, agency_code=AGENCY)
                )
        db.session.commit()


def add_trainees(host, course_id: int, n: int) -> None:
    with host.app_context():
        for i in range(n):
            person = RolloutPerson(
                employee_id=f"EX-{course_id}-{i}", name=f"學員{i}", agency_code=AGENCY
            )
            db.session.add(person)
            db.session.flush()
            db.session.add(Enrollment(course_id=course_id, person_id=person.id, agency_code=AGENCY))
        db.session.commit()


# -- reading, per role ------------------------------------------------------------------------


def test_each_role_reads_the_courses_and_only_its_own_trainees(host):
    """TP-TRN-1: the list and a course's page per role; an agency sees its own trainees only,
    its count of them, not the other agencies' people or seats; guessed ids answer 404."""
    ids = setup_registry(host)
    client = host.test_client()
    course_url = f"/appgov/training/courses/{ids['course']}"
    assert client.get("/appgov/training/").status_code == 302  # the log-in page

    login(client, "staff")
    client.post("/locale/en")
    page = client.get("/appgov/training/")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert f'data-course="{ids["course"]}"' in body
    assert 'class="course-taken">2<' in row_of(body, ids["course"])  # RT-1, RT-2; not RO-1
    assert "Your agency&#39;s trainees" in body or "Your agency's trainees" in body
    page = client.get(course_url)
    text = text_of(page)
    assert page.status_code == 200
    assert "觀光1" in text and "觀光2" in text
    assert "秘書1" not in text  # another agency's trainee
    assert "2026-03-02" in text and "09:00–12:00" in text and "觀光5" in text  # the lecturer
    assert "rt1@example.org" not in page.get_data(as_text=True)
    # the agency nominates through the host's new-case page of the enrolment case type
    assert 'href="/cases/new/appgov_training_enrollment"' in page.get_data(as_text=True)
    # the keepers' forms and links are not the agency's
    assert "training-session-form" not in page.get_data(as_text=True)
    assert client.post(f"{course_url}/sessions", data={"on": "2026-03-09"}).status_code == 403
    assert client.get("/appgov/training/courses/new").status_code == 403
    for guessed in (ids["course"] + 1, 999_999, 2**40):
        assert client.get(f"/appgov/training/courses/{guessed}").status_code == 404
    # the lecturer registry: readable, names and agencies, no e-mail
    page = client.get("/appgov/training/lecturers")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "觀光5" in body and "秘書2" in body and "@example.org" not in body
    assert "由資訊局指定" not in body  # the registry's notes are the keepers'

    login(client, "itdept")
    client.post("/locale/en")
    body = client.get("/appgov/training/").get_data(as_text=True)
    assert 'class="course-taken">3<' in row_of(body, ids["course"])
    page = client.get(course_url)
    text = text_of(page)
    assert "觀光1" in text and "秘書1" in text
    assert "Add a session" in text
    assert "/cases/new/appgov_training_enrollment" not in page.get_data(as_text=True)
    # the roll call of each session and the results page, where those pages are installed
    for endpoint, link in (
        ("appgov.training_roll_call", f"/sessions/{ids['session']}/roll-call"),
        ("appgov.training_results", f"/courses/{ids['course']}/results"),
    ):
        assert (link in page.get_data(as_text=True)) == (endpoint in host.view_functions)
    # each trainee's status, a dismissal with its rule (TP-TRN-3)
    row = text.split("觀光2")[1].split("觀光")[0]
    assert "Dismissed" in row and "TP-TRN-3" in row and "2026-03-02" in row
    assert "由資訊局指定" in client.get("/appgov/training/lecturers").get_data(as_text=True)

    login(client, "admin")
    text = text_of(client.get(course_url))
    assert "秘書1" in text and "觀光2" in text

    # a person of the registry with a login (the reviewer is RO-1): the courses and, of the
    # trainees, themselves only
    login(client, "reviewer")
    assert client.get("/appgov/training/").status_code == 200
    text = text_of(client.get(course_url))
    assert "秘書1" in text and "觀光1" not in text and "觀光2" not in text
    assert client.get("/appgov/training/courses/new").status_code == 403
    assert client.get("/appgov/training/elearning-import").status_code == 403

    for username in NO_READERS:
        login(client, username)
        for url in (
            "/appgov/training/",
            course_url,
            "/appgov/training/courses/999999",
            "/appgov/training/lecturers",
            "/appgov/training/courses/new",
            "/appgov/training/elearning-import",
        ):
            assert client.get(url).status_code == 403, (username, url)

    # zh: the session's date in the ROC calendar (TIME-5)
    login(client, "staff")
    client.post("/locale/zh_Hant_TW")
    text = text_of(client.get(course_url))
    assert "115/03/02" in text and "2026-03-02" not in text
    login(client, "itdept")
    client.post("/locale/zh_Hant_TW")
    for url in (
        "/appgov/training/",
        course_url,
        "/appgov/training/lecturers",
        "/appgov/training/courses/new",
        "/appgov/training/elearning-import",
    ):
        response = client.get(url)
        assert response.status_code == 200 and 'lang="zh' in response.get_data(as_text=True), url
    assert "115/01/01" in text_of(client.get("/appgov/training/lecturers"))  # qualified on


def test_the_list_filters_and_pages_in_constant_statements(host):
    ids = setup_registry(host)
    client = host.test_client()
    login(client, "itdept")
    client.post("/locale/en")
    body = client.get("/appgov/training/?type=admin").get_data(as_text=True)
    assert f'data-course="{ids["course"]}"' in body
    mine = f'data-course="{ids["course"]}"'
    assert mine not in client.get("/appgov/training/?type=seed").get_data(as_text=True)
    assert mine not in client.get("/appgov/training/?year=2025").get_data(as_text=True)
    assert mine not in client.get("/appgov/training/?system=ERP").get_data(as_text=True)
    body = client.get("/appgov/training/?year=2026&system=DOC").get_data(as_text=True)
    assert f'data-course="{ids["course"]}"' in body
    response = client.get("/appgov/training/?year=abc&system=NOPE&type=x")
    assert response.status_code == 400
    text = text_of(response)
    assert "Year:" in text and "System:" in text and "Course type:" in text

    def statements(url, username):
        login(client, username)
        client.get(url)  # what a first request reads once (the policy, the host's lists)
        with counting_queries(host) as seen:
            assert client.get(url).status_code == 200
        return len(seen)

    urls = ("/appgov/training/", f"/appgov/training/courses/{ids['course']}")
    before = {(u, who): statements(u, who) for u in urls for who in ("itdept", "staff")}
    add_courses(host, ids["doc"], 12)
    add_trainees(host, ids["course"], 15)
    after = {(u, who): statements(u, who) for u in urls for who in ("itdept", "staff")}
    assert after == before
    # paging: 50 a page; a page beyond the last says so
    page = client.get("/appgov/training/?page=9999").get_data(as_text=True)
    assert "data-course" not in page and "There is no such page." in page


# -- creating a course and a session ----------------------------------------------------------


def test_the_it_department_creates_a_course_and_bad_input_names_the_field(host):
    """TP-TRN-1: the type; a system for the admin/seed/lecturer courses; hours above 0 to a
    tenth; seats above 0; a code once. Each refusal names its field; nothing is written."""
    ids = setup_registry(host)
    client = host.test_client()
    login(client, "itdept")
    client.post("/locale/en")
    bad = {
        "code": "DOC-ADM-115-1",  # taken
        "course_type": "seed",
        "system_id": "",  # a seed-user course needs its system
        "title_zh": "",
        "hours": "1.25",
        "capacity": "0",
        "enrol_until": "115/02/30",
    }
    response = client.post("/appgov/training/courses/new", data=bad)
    assert response.status_code == 400
    text = text_of(response)
    assert "Title (Chinese)" in text and "Nominations until" in text
    assert count(host, Course) == 1
    bad |= {"title_zh": "種子人員課程", "enrol_until": "115/02/20"}
    text = text_of(client.post("/appgov/training/courses/new", data=bad))
    summary = text.split("Please correct the fields marked below.")[1]
    for label in ("Course code", "System", "Course hours", "Seats"):
        assert label in summary, label
    assert "another course has the code DOC-ADM-115-1" in text
    assert "TP-TRN-1" in text
    assert "a tenth of an hour" in text
    assert count(host, Course) == 1
    for hours in ("0", "-3", "abc", "NaN"):
        text = text_of(client.post("/appgov/training/courses/new", data=bad | {"hours": hours}))
        assert "Course hours" in text.split("Please correct the fields marked below.")[1], hours
    assert count(host, Course) == 1
    good = bad | {"code": "DOC-SEED-115-1", "system_id": str(ids["doc"]), "hours": "2.4"}
    good |= {"capacity": "30"}
    response = client.post("/appgov/training/courses/new", data=good)
    assert response.status_code == 303
    with host.app_context():
        course = db.session.scalar(sa.select(Course).where(Course.code == "DOC-SEED-115-1"))
        assert (course.hours, course.capacity, course.system_id) == (Decimal("2.4"), 30, ids["doc"])
        assert course.enrol_until == dt.date(2026, 2, 20) and course.created_by == "itdept"
    # an e-learning course needs no system and no seats
    response = client.post(
        "/appgov/training/courses/new",
        data={"code": "EL-1", "course_type": "elearning", "title_zh": "數位課程", "hours": "2"},
    )
    assert response.status_code == 303


def test_a_session_takes_only_a_lecturer_of_the_registry_qualified_that_day(host):
    """TP-TRN-5: another system's lecturer, one revoked before the session, one not yet
    qualified on its date, an unknown id -- each refused naming the lecturer; nothing is
    written. Date, time, hours and place or URL named too."""
    ids = setup_registry(host)
    client = host.test_client()
    login(client, "itdept")
    client.post("/locale/en")
    url = f"/appgov/training/courses/{ids['course']}/sessions"
    good = {
        "on": "115/03/09",
        "starts_at": "09:00",
        "ends_at": "12:00",
        "hours": "3",
        "place": "",
        "url": "https://meet.example.org/doc",
        "lecturer_id": str(ids["ok"]),
    }
    for key in ("other_system", "revoked", "later"):
        response = client.post(url, data=good | {"lecturer_id": str(ids[key])})
        assert response.status_code == 400, key
        text = text_of(response)
        assert "Lecturer" in text.split("Please correct the fields marked below.")[1], key
        assert "TP-TRN-5" in text, key
    response = client.post(url, data=good | {"lecturer_id": "987654"})
    assert "choose a lecturer of the registry" in text_of(response)
    assert count(host, TrainingSession) == 1
    bad = good | {"on": "115/13/01", "ends_at": "08:00", "hours": "0.05", "url": ""}
    text = text_of(client.post(url, data=bad))
    summary = text.split("Please correct the fields marked below.")[1]
    assert "Date" in summary
    bad = good | {"ends_at": "08:00", "url": "", "place": ""}
    text = text_of(client.post(url, data=bad))
    summary = text.split("Please correct the fields marked below.")[1]
    assert "Ends at" in summary and "Place" in summary
    text = text_of(client.post(url, data=good | {"hours": "3.5"}))
    assert "do not fit between 09:00 and 12:00" in text
    text = text_of(client.post(url, data=good | {"url": "javascript:alert(1)"}))
    assert "Online address (URL)" in text.split("Please correct the fields marked below.")[1]
    # the sessions add up to no more than the course's hours (3 + 3 + 7 > 12)
    long_day = good | {"starts_at": "08:00", "ends_at": "17:00", "hours": "7.0"}
    client.post(url, data=good)
    assert "more than the course" in text_of(client.post(url, data=long_day))
    assert count(host, TrainingSession) == 2
    response = client.post(url, data=good | {"lecturer_id": "", "on": "115/03/16"})
    assert response.status_code == 303
    with host.app_context():
        rows = db.session.scalars(
            sa.select(TrainingSession)
            .where(TrainingSession.course_id == ids["course"])
            .order_by(TrainingSession.id)
            .offset(1)
        ).all()
        assert [(s.on, s.lecturer_id, s.url) for s in rows] == [
            (dt.date(2026, 3, 9), ids["ok"], "https://meet.example.org/doc"),
            (dt.date(2026, 3, 16), None, "https://meet.example.org/doc"),
        ]
        # the choice offered: the system's lecturers, not revoked
        course = db.session.get(Course, ids["course"])
        offered = {lecturer.id for lecturer in courses.qualified_lecturers(course)}
        assert offered == {ids["ok"], ids["later"]}
        on_day = courses.qualified_lecturers(course, dt.date(2026, 3, 9))
        assert [lecturer.id for lecturer in on_day] == [ids["ok"]]
    # the revoked lecturer was still qualified before the revocation (TP-TRN-5)
    early = good | {"on": "115/02/23", "lecturer_id": str(ids["revoked"]), "hours": "2"}
    assert client.post(url, data=early).status_code == 303
    # an e-learning course has no sessions (TP-TRN-6)
    with host.app_context():
        el = Course(code="EL", course_type="elearning", title_zh="數位", title_en="", hours=2)
        db.session.add(el)
        db.session.commit()
        el_id = el.id
    response = client.post(
        f"/appgov/training/courses/{el_id}/sessions", data=good | {"lecturer_id": ""}
    )
    assert response.status_code == 400 and "TP-TRN-6" in text_of(response)


# -- Flask-Admin -------------------------------------------------------------------------------


ADMIN_ENDPOINTS = (
    "appgov_training_course",
    "appgov_training_session",
    "appgov_training_lecturer",
    "appgov_training_other_learning",
    "appgov_training_enrollment",
)


def test_flask_admin_keeps_the_same_checks_for_the_administrator_only(host):
    """The administrator's Flask-Admin views refuse what the IT department's pages refuse
    (training/courses.py), each refusal naming its field, nothing written; a hand-entered
    lecturer needs a note (TP-TRN-5); the enrollments are read only."""
    ids = setup_registry(host)
    client = host.test_client()
    for username in ("itdept", "staff"):
        login(client, username)
        for endpoint in ADMIN_ENDPOINTS:
            assert client.get(f"/admin/{endpoint}/").status_code == 403, (username, endpoint)
    login(client, "admin")
    client.post("/locale/en")
    for endpoint in ADMIN_ENDPOINTS:
        assert client.get(f"/admin/{endpoint}/").status_code == 200, endpoint
    assert client.get("/admin/appgov_training_enrollment/new/").status_code in (302, 403, 404)
    assert count(host, Enrollment) == 3

    course = {
        "code": "ADM-2",
        "course_type": "lecturer",
        "system_id": "",
        "title_zh": "講師培訓",
        "title_en": "",
        "hours": "12",
        "capacity": "",
        "enrol_until": "",
    }
    text = text_of(client.post("/admin/appgov_training_course/new/", data=course))
    assert "System" in text.split("Please correct:")[1].split(".")[0]
    assert count(host, Course) == 1
    response = client.post(
        "/admin/appgov_training_course/new/", data=course | {"system_id": str(ids["doc"])}
    )
    assert response.status_code == 302
    # seats below those taken, a course with trainees keeps its type
    edit = f"/admin/appgov_training_course/edit/?id={ids['course']}"
    changed = course | {"code": "DOC-ADM-115-1", "course_type": "seed", "capacity": "2"}
    changed |= {"system_id": str(ids["doc"])}
    text = text_of(client.post(edit, data=changed))
    fields = text.split("Please correct:")[1].split(".")[0]
    assert "Seats" in fields and "Course type" in fields
    with host.app_context():
        assert db.session.get(Course, ids["course"]).capacity == 20

    session = {
        "course_id": str(ids["course"]),
        "on": "115/03/09",
        "starts_at": "09:00",
        "ends_at": "12:00",
        "hours": "3",
        "place": "教室",
        "url": "",
        "lecturer_id": str(ids["other_system"]),
    }
    text = text_of(client.post("/admin/appgov_training_session/new/", data=session))
    assert "Lecturer" in text.split("Please correct:")[1].split(".")[0]
    assert "TP-TRN-5" in text
    assert count(host, TrainingSession) == 1
    response = client.post(
        "/admin/appgov_training_session/new/", data=session | {"lecturer_id": str(ids["ok"])}
    )
    assert response.status_code == 302 and count(host, TrainingSession) == 2

    lecturer = {
        "employee_id": "RT-3",
        "system_id": str(ids["doc"]),
        "qualified_on": "115/01/05",
        "revoked_on": "",
        "note": "",
    }
    text = text_of(client.post("/admin/appgov_training_lecturer/new/", data=lecturer))
    assert "Note" in text.split("Please correct:")[1].split(".")[0]
    text = text_of(
        client.post("/admin/appgov_training_lecturer/new/", data=lecturer | {"employee_id": "NOPE"})
    )
    assert "Employee id" in text.split("Please correct:")[1].split(".")[0]
    text = text_of(
        client.post(
            "/admin/appgov_training_lecturer/new/",
            data=lecturer | {"employee_id": "RT-5", "note": "再次登錄"},
        )
    )
    assert "a lecturer of this system already" in text
    assert count(host, Lecturer) == 4
    response = client.post(
        "/admin/appgov_training_lecturer/new/", data=lecturer | {"note": "外聘講師，經資訊局審查"}
    )
    assert response.status_code == 302, text_of(response)[-1500:]
    with host.app_context():
        added = db.session.scalar(sa.select(Lecturer).order_by(Lecturer.id.desc()).limit(1))
        assert added.person_id == ids["people"]["RT-3"] and added.created_by == "admin"
        assert added.enrollment_id is None and added.qualified_on == dt.date(2026, 1, 5)

    learning = {
        "employee_id": "RT-1",
        "on": "115/04/01",
        "hours": "1.55",
        "title": "",
        "source": "",
    }
    text = text_of(client.post("/admin/appgov_training_other_learning/new/", data=learning))
    fields = text.split("Please correct:")[1].split(".")[0]
    assert "Hours" in fields and "Title" in fields
    assert count(host, OtherLearning) == 0
    good = learning | {"hours": "1.5", "title": "資安研討會", "source": "國家資通安全研究院"}
    assert client.post("/admin/appgov_training_other_learning/new/", data=good).status_code == 302
    with host.app_context():
        row = db.session.scalar(
            sa.select(OtherLearning).where(OtherLearning.person_id == ids["people"]["RT-1"])
        )
        assert (row.hours, row.on, row.person_id) == (
            Decimal("1.5"),
            dt.date(2026, 4, 1),
            ids["people"]["RT-1"],
        )
