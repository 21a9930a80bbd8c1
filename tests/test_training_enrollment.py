"""Nominating trainees (issue 13, section 2; TP-TRN-1, TP-TRN-4, TP-TRN-5) in the sample
host under the Taipei rules, SQLite and PostgreSQL:

* the nomination case (form version 2): the course by code, trainees by employee id;
  submitting and accepting are refused naming the rule, the field and the row -- a full
  course (exactly at capacity), a duplicate (also twice in one nomination), a person of
  another agency, who left or is unknown, closed nominations, a lecturer course without the
  recommendation, a retake of nothing -- and nothing is written; the acceptance enrols;
* the acceptance checks the seats again (two nominations for the last seat);
* ``enroll()`` refuses with the field named;
* who of the administrators and seed users is not enrolled on their course, in one query,
  on the roll-out agency page and the dashboard.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from casework import counting_queries, status
from flask_babel import force_locale
from hosting import login
from training_world import AGENCY, EN, OTHER, assign, course, person, seat, user, world

from appgov_plugin import clock
from appgov_plugin.training import coverage, enrollment
from appgov_plugin.training.case_types import ENROLLMENT
from appgov_plugin.training.models import Enrollment
from sample_host.cases import TransitionRefused, apply_transition, open_case
from sample_host.extensions import db


@pytest.fixture
def host(make_host):
    """The host, its refusals read in English (the messages these tests look for)."""
    app = make_host("taipei")
    with app.app_context(), force_locale("en"):
        yield app


def nominate(code: str, *employee_ids, retake=(), recommendation=None, agency_code=AGENCY):
    data = {
        "course_code": code,
        "trainees": [
            {"employee_id": e, "name": "某人", "retake": e in retake} for e in employee_ids
        ],
    }
    if recommendation is not None:
        data["lecturer_recommendation"] = recommendation
    case = open_case(ENROLLMENT, agency_code, "staff", data)
    db.session.commit()
    return case


def refused(case, step="submit") -> str:
    actor = user("staff" if step == "submit" else "itdept")
    with pytest.raises(TransitionRefused) as caught:
        apply_transition(case, step, actor)
    return str(caught.value)


def enrolled(course_row) -> set[str]:
    db.session.expire_all()
    rows = db.session.scalars(
        sa.select(Enrollment).where(
            Enrollment.course_id == course_row.id, Enrollment.status != "withdrawn"
        )
    )
    return {r.person.employee_id for r in rows}


def test_nomination_case_enrols_and_refuses_with_the_reason_tp_trn_1(host):
    system = world()
    seeds = course("TT-SEED-01", system, capacity=3)
    first = nominate("TT-SEED-01", "TT-001", "TT-002")
    apply_transition(first, "submit", user("staff"))
    apply_transition(first, "accept", user("itdept"))
    assert status(first.id) == "accepted"
    assert enrolled(seeds) == {"TT-001", "TT-002"}
    rows = db.session.scalars(sa.select(Enrollment).where(Enrollment.course_id == seeds.id))
    assert {(r.case_id, r.status, r.agency_code) for r in rows} == {(first.id, "enrolled", AGENCY)}

    # each refusal names the rule, the field and the row; nothing is written
    for ids, wanted in (
        (("TT-001",), "row 1"),  # already on the course
        (("TT-003", "TT-003"), "row 2"),  # twice in one nomination
        (("TT-003", "TO-001"), "another agency"),
        (("NOPE",), "no such person"),
    ):
        case = nominate("TT-SEED-01", *ids)
        message = refused(case)
        assert "TP-TRN-1" in message and wanted in message, message
        assert status(case.id) == "draft"
    gone = person("TT-008")
    gone.left_on = clock.today() - dt.timedelta(days=1)
    db.session.commit()
    assert "left the agency" in refused(nominate("TT-SEED-01", "TT-008"))
    assert "course" in refused(nominate("NO-SUCH-COURSE", "TT-003")).lower()
    assert enrolled(seeds) == {"TT-001", "TT-002"}

    # capacity boundary: the third seat of three fits, a fourth does not
    third = nominate("TT-SEED-01", "TT-003")
    fourth = nominate("TT-SEED-01", "TT-004")
    for case in (third, fourth):
        apply_transition(case, "submit", user("staff"))  # 2 of 3 taken: both fit now
    apply_transition(third, "accept", user("itdept"))
    message = refused(fourth, "accept")  # the acceptance checks the seats again
    assert "full" in message and "3 of 3" in message and "TP-TRN-1" in message, message
    assert status(fourth.id) == "submitted"
    assert enrolled(seeds) == {"TT-001", "TT-002", "TT-003"}
    assert "full" in refused(nominate("TT-SEED-01", "TT-005"))

    # closed nominations: the last day passed, or the first session has come
    course("TT-SEED-02", system, enrol_until=clock.today() - dt.timedelta(days=1))
    assert "closed" in refused(nominate("TT-SEED-02", "TT-005"))
    course("TT-SEED-03", system, first_in=0)
    assert "has begun" in refused(nominate("TT-SEED-03", "TT-005"))
    course("TT-SEED-04", system, enrol_until=clock.today(), first_in=1)
    today = nominate("TT-SEED-04", "TT-005")  # the last day itself still takes them
    apply_transition(today, "submit", user("staff"))

    # rule TP-TRN-5: a lecturer course takes the agency's recommendation
    lecturers = course("TT-LECT-01", system, "lecturer")
    message = refused(nominate("TT-LECT-01", "TT-006"))
    assert "TP-TRN-5" in message, message
    fine = nominate("TT-LECT-01", "TT-006", recommendation="熟悉系統操作，曾協助同仁教學。")
    apply_transition(fine, "submit", user("staff"))
    apply_transition(fine, "accept", user("itdept"))
    assert enrolled(lecturers) == {"TT-006"}

    # rule TP-TRN-4: a retake retakes a failed or dismissed course of the type and system
    message = refused(nominate("TT-SEED-04", "TT-007", retake=("TT-007",)))
    assert "TP-TRN-4" in message and "row 1" in message, message
    past = course("TT-SEED-00", system, first_in=-30)
    failed = seat(past, "TT-007", "failed", result_on=clock.today() - dt.timedelta(days=20))
    retake = nominate("TT-SEED-04", "TT-007", retake=("TT-007",))
    apply_transition(retake, "submit", user("staff"))
    apply_transition(retake, "accept", user("itdept"))
    db.session.expire_all()
    row = db.session.scalar(sa.select(Enrollment).where(Enrollment.case_id == retake.id))
    assert (row.retake_of_id, row.status) == (failed.id, "enrolled")


def test_enroll_refuses_naming_the_field(host):
    """enroll() itself: capacity, duplicate, other agency, left, closed (TP-TRN-1)."""
    system = world()
    small = course("TT-ADM-01", system, "admin", capacity=1)
    made = enrollment.enroll(small, person("TT-001"), "itdept")
    db.session.commit()
    assert made.status == "enrolled" and made.agency_code == AGENCY
    cases = (
        (small, "TT-001", None, "employee_id", "already on"),
        (small, "TT-002", None, "course", "full"),
        (small, "TO-001", AGENCY, "employee_id", "another agency"),
    )
    for target, who, nominating, field, text in cases:
        with pytest.raises(enrollment.EnrollmentError) as caught:
            enrollment.enroll(target, person(who), "itdept", agency_code=nominating)
        db.session.rollback()
        assert caught.value.field == field and text in str(caught.value)
    with pytest.raises(enrollment.EnrollmentError) as caught:
        enrollment.enroll(small, None, "itdept")
    db.session.rollback()
    assert caught.value.field == "employee_id"
    # a withdrawn enrollment frees its seat and is taken up again
    made = db.session.get(Enrollment, made.id)
    made.status = "withdrawn"
    db.session.commit()
    again = enrollment.enroll(small, person("TT-002"), "itdept")
    db.session.commit()
    assert again.status == "enrolled"
    assert [c.code for c in enrollment.open_courses(course_type="admin")] == ["TT-ADM-01"]


def test_not_enrolled_on_their_course_tp_trn_1(host):
    """Administrators and seed users with no enrollment on the matching course of their
    system: one query whatever their number; shown on the agency page and the dashboard."""
    system = world(people=12)
    seeds = course("TT-SEED-01", system, "seed")
    admins = course("TT-ADM-01", system, "admin")
    for n in (1, 2):
        assign(system, f"TT-00{n}", "admin")
    for n in (3, 4, 5):
        assign(system, f"TT-00{n}", "seed")
    seat(admins, "TT-001")  # covered
    seat(seeds, "TT-002")  # an administrator on the seed course: not covered
    seat(seeds, "TT-003", "proposed")  # a proposed retake counts
    seat(seeds, "TT-004", "withdrawn")  # withdrawn does not
    today, system_id = clock.today(), system.id
    with counting_queries(host) as sent:
        missing = coverage.not_enrolled([system_id], {AGENCY, OTHER}, today)
    assert len(sent) == 1
    assert [(m.employee_id, m.role, m.course_type) for m in missing] == [
        ("TT-002", "admin", "admin"),
        ("TT-004", "seed", "seed"),
        ("TT-005", "seed", "seed"),
    ]
    counts = coverage.not_enrolled_counts([system_id], None, today)
    assert counts == {(system_id, AGENCY): 3}
    for n in range(6, 13):
        assign(system, f"TT-{n:03d}", "seed")
    with counting_queries(host) as sent:
        assert len(coverage.not_enrolled([system_id], {AGENCY}, today)) == 10
    assert len(sent) == 1

    client = host.test_client()
    login(client, "itdept")
    client.post("/locale/en")
    page = client.get(f"/appgov/rollout/agencies/{AGENCY}", headers=EN)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Not enrolled on their course (TP-TRN-1)" in text
    section = text.split("Not enrolled on their course (TP-TRN-1)", 1)[1]
    assert "觀光2" in section and "觀光5" in section and "觀光3" not in section.split("</table>")[0]
    dashboard = client.get("/appgov/rollout/", headers=EN).get_data(as_text=True)
    assert "not enrolled on their course (TP-TRN-1)" in dashboard
