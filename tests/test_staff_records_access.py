"""Staff records of the roll-out and training capabilities (issue 16): visible only to the
person, their agency's administrators (the agency's staff and head) and the IT department
(the administrator keeps the registry); exports of them are logged (who, when, which
export, filters, rows) and the log is read in Flask-Admin. A test per role, ids guessed or
not: the learning-hours report and its exports, a transcript and its PDF, an agency's
roll-out page (rosters), a council meeting's attendance, the support rate per person.
SQLite and PostgreSQL (the ``database_url`` fixture)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from casework import add_user, visible_text
from hosting import login
from test_training_hours import add_agency, add_course, add_person, add_session, clear_registry

from appgov_plugin.rollout.models import MajorSystem
from appgov_plugin.rollout.models_exports import StaffRecordExport
from appgov_plugin.rollout.models_meetings import Attendance, Meeting
from appgov_plugin.training.models import Enrollment
from sample_host.extensions import db

DAY = dt.date(2026, 12, 2)
OWN, OTHER = "tainan-tourism", "tainan-sdc"
#: roles that read no one's staff records
NO_RECORDS = ("mayor", "reviewer", "helpdesk")


@pytest.fixture
def host(make_host):
    """The Taipei profile (the roll-out and training rules apply); a person of the demo
    staff's agency, one of another agency of the city, one logging in as ``reviewer``; a
    council meeting both attended; the other agency's staff ``sdcstaff``."""
    app = make_host("taipei")
    with app.app_context():
        clear_registry()
        add_agency(OWN)
        add_agency(OTHER)
        own = add_person(OWN, "王推動")
        other = add_person(OTHER, "李推動")
        me = add_person(OTHER, "林審查", username="reviewer")
        system = MajorSystem(code="erp", name_zh="公文系統", name_en="ERP", phase="golive")
        db.session.add(system)
        db.session.flush()
        meeting = Meeting(
            system_id=system.id, body="council", held_on=DAY, mode="in_person", minutes_due_on=DAY
        )
        db.session.add(meeting)
        db.session.flush()
        for person in (own, other):
            db.session.add(Attendance(meeting_id=meeting.id, person_id=person.id, status="absent"))
        db.session.commit()
        add_user("sdcstaff", "agency_staff", OTHER)
        app.people = {"own": own.id, "other": other.id, "me": me.id}
        app.meeting = meeting.id
    return app


def status(client, url) -> int:
    return client.get(url).status_code


def exports(host) -> list[StaffRecordExport]:
    with host.app_context():
        return list(db.session.scalars(sa.select(StaffRecordExport).order_by(StaffRecordExport.id)))


def test_each_role_reads_the_person_records_of_its_scope_only(host):
    own, other, me = host.people["own"], host.people["other"], host.people["me"]
    client = host.test_client()
    meeting = f"/appgov/rollout/meetings/{host.meeting}"
    scopes = {
        # the agency's administrators: their own agency's people
        "staff": {own},
        "head": {own},
        "sdcstaff": {other, me},
        # the IT department of the city and the administrator: everyone of the city
        "itdept": {own, other, me},
        "admin": {own, other, me},
    }
    for username, readable in scopes.items():
        login(client, username)
        for person_id in (own, other, me, 999_999, 2**40):
            expected = 200 if person_id in readable else 404
            url = f"/appgov/training/people/{person_id}"
            assert status(client, url) == expected, (username, person_id)
        report = client.get("/appgov/training/hours").get_data(as_text=True)
        assert ("王推動" in report) == (own in readable), username
        assert ("李推動" in report) == (other in readable), username
        for code, person_id in ((OWN, own), (OTHER, other)):
            page = f"/appgov/rollout/agencies/{code}"
            assert status(client, page) == (200 if person_id in readable else 404), username
        attendance = visible_text(client.get(meeting).get_data(as_text=True))
        assert ("王推動" in attendance) == (own in readable), username
        assert ("李推動" in attendance) == (other in readable), username
    # the mayor's office, reviewers and the helpdesk read no one's records (their own
    # transcript aside: the reviewer is a person of the registry)
    for username in NO_RECORDS:
        login(client, username)
        assert status(client, "/appgov/training/hours") == 403, username
        assert status(client, "/appgov/training/hours?format=csv") == 403, username
        assert status(client, f"/appgov/rollout/agencies/{OWN}") == 403, username
        assert status(client, meeting) == 403, username
        assert status(client, "/appgov/rollout/support/people.csv") == 403, username
        for person_id in (own, other):
            assert status(client, f"/appgov/training/people/{person_id}") == 404, username
            pdf = f"/appgov/training/people/{person_id}/transcript.pdf"
            assert status(client, pdf) == 404, username
        assert status(client, f"/appgov/training/people/{me}") == (
            200 if username == "reviewer" else 404
        )
    # nothing refused was logged as an export
    assert exports(host) == []


def test_a_roll_call_shows_the_it_department_its_own_citys_trainees(host):
    """A course shared by two cities: the IT department takes the roll call of its city's
    trainees only (the administrator every trainee)."""
    with host.app_context():
        add_agency("kaohsiung-tb", city="kaohsiung")
        far = add_person("kaohsiung-tb", "高推動")
        course = add_course("SHARED-1", "3")
        session = add_session(course.id, DAY, "3")
        for person_id, code in ((host.people["own"], OWN), (far.id, "kaohsiung-tb")):
            db.session.add(Enrollment(course_id=course.id, person_id=person_id, agency_code=code))
        db.session.commit()
        url = f"/appgov/training/sessions/{session.id}/roll-call"
    client = host.test_client()
    login(client, "itdept")
    text = client.get(url).get_data(as_text=True)
    assert "王推動" in text and "高推動" not in text
    login(client, "admin")
    text = client.get(url).get_data(as_text=True)
    assert "王推動" in text and "高推動" in text


def test_every_export_of_person_records_is_logged(host):
    client = host.test_client()
    login(client, "staff")
    response = client.get("/appgov/training/hours?format=csv&year=2026&below=1")
    assert response.status_code == 200
    assert client.get("/appgov/rollout/support/people.xlsx").status_code == 200
    pdf = client.get(f"/appgov/training/people/{host.people['own']}/transcript.pdf")
    # a refused export (a bad filter, another agency's person) writes nothing
    assert client.get("/appgov/training/hours?format=csv&agency=tainan-sdc").status_code == 400
    pdf_other = f"/appgov/training/people/{host.people['other']}/transcript.pdf"
    assert client.get(pdf_other).status_code == 404
    logged = exports(host)
    hours, support = logged[0], logged[1]
    assert (hours.username, hours.role, hours.agency_code) == ("staff", "agency_staff", OWN)
    assert (hours.export, hours.fmt, hours.row_count) == ("learning_hours", "csv", 1)
    assert hours.filters == {"year": 2026, "below": True}
    assert hours.exported_at is not None
    assert (support.export, support.fmt, support.username) == ("support_people", "xlsx", "staff")
    if pdf.status_code == 200:  # the PDF needs the Noto CJK font (APPGOV_PDF_FONT)
        assert len(logged) == 3
        transcript = logged[2]
        assert (transcript.export, transcript.fmt, transcript.row_count) == ("transcript", "pdf", 1)
        assert transcript.filters == {"person": host.people["own"]}
    else:
        assert len(logged) == 2
    # the log in Flask-Admin: administrators only, read-only
    url = "/admin/appgov_staff_record_exports/"
    login(client, "admin")
    assert client.post("/locale/en").status_code == 302
    text = visible_text(client.get(url).get_data(as_text=True))
    assert "Learning hours report" in text and "staff" in text
    assert client.get(url + "new/").status_code in (302, 403, 404)
    for username in ("staff", "head", "itdept", "mayor"):
        login(client, username)
        assert client.get(url).status_code == 403, username
