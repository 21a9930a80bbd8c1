"""Results, retakes, fitness reviews and new lecturers (issue 13, section 4; TP-TRN-4,
TP-TRN-5) in the sample host under the Taipei rules, SQLite and PostgreSQL:

* the results page: the IT department records pass or fail per trainee (a missing answer
  is refused naming the trainee, nothing written); other roles 403, a guessed course 404;
* a fail proposes a retake on the next open course of the type and system with a seat (else
  the trainee waits); the agency confirms it (the seats checked again) or withdraws it, an
  agency of another agency gets 404 for a guessed proposal;
* three fails in a row flag a fitness review; the IT department opens it: a case for the
  agency, which finds the person unfit (TP-SEED-3's replacement follows); two dismissals
  flag one too, which the IT department declines with a note;
* a passed lecturer course adds the lecturer to the registry of the course's system;
* the pages' statement counts do not grow with the trainees.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from casework import add_user, counting_queries, status, visible_text
from hosting import login
from training_world import AGENCY, EN, OTHER, assign, course, person, seat, user, world

from appgov_plugin import clock
from appgov_plugin.rollout.models import UnfitFinding
from appgov_plugin.training import results
from appgov_plugin.training.case_types import FITNESS_REVIEW
from appgov_plugin.training.models import Course, Enrollment, FitnessFlag, Lecturer
from sample_host.cases import TransitionRefused, apply_transition
from sample_host.extensions import db
from sample_host.models import Case


@pytest.fixture
def host(make_host):
    app = make_host("taipei")
    with app.app_context():
        add_user("otherstaff", "agency_staff", OTHER)
        add_user("tpit", "it_department", "taipei-doit")  # another city's IT department
        yield app


def client_of(host, username):
    """A client logged in as ``username``, in English (the sample host's test clients
    share their cookies: log in again before acting as someone else)."""
    client = host.test_client()
    login(client, username)
    client.post("/locale/en")
    return client


def post_results(client, course_id, answers: dict[int, str]):
    data = {f"result-{eid}": value for eid, value in answers.items()}
    return client.post(f"/appgov/training/courses/{course_id}/results", data=data, headers=EN)


def enrollment(enrollment_id) -> Enrollment:
    db.session.expire_all()
    return db.session.get(Enrollment, enrollment_id)


def test_results_retakes_and_the_pages_roles(host):
    system = world()
    done = course("TT-SEED-01", system, first_in=-7)
    later = course("TT-SEED-02", system, first_in=20, capacity=2)
    ids = {e: seat(done, e).id for e in ("TT-001", "TT-002", "TT-003")}
    other = seat(done, "TO-001").id
    done_id, later_id = done.id, later.id

    # who may open the results page (TP-TRN-4): the IT department of the city, the admin
    url = f"/appgov/training/courses/{done_id}/results"
    for username, code in (("staff", 403), ("head", 403), ("reviewer", 403), ("itdept", 200)):
        assert client_of(host, username).get(url).status_code == code, username
    assert client_of(host, "admin").get(url).status_code == 200
    assert (
        client_of(host, "admin").get("/appgov/training/courses/999999/results").status_code == 404
    )
    page = client_of(host, "itdept").get(url, headers=EN).get_data(as_text=True)
    assert "觀光1" in page and f'name="result-{ids["TT-001"]}"' in page
    assert "<legend" in page and 'scope="col"' in page

    zh = host.test_client()  # the default language: the pages render in zh_Hant_TW
    login(zh, "itdept")
    for page_url in (url, "/appgov/training/retakes", "/appgov/training/fitness"):
        answer = zh.get(page_url)
        assert answer.status_code == 200 and 'lang="zh' in answer.get_data(as_text=True)

    # a trainee left without a result: refused naming them, nothing written
    answers = {ids["TT-001"]: "fail", ids["TT-002"]: "pass", other: "pass"}
    refused = post_results(client_of(host, "itdept"), done_id, answers)
    assert refused.status_code == 400
    assert "Result of 觀光3 (TT-003)" in visible_text(refused.get_data(as_text=True))
    assert enrollment(ids["TT-001"]).status == "enrolled"
    assert (
        post_results(
            client_of(host, "itdept"), done_id, {**answers, ids["TT-003"]: "maybe"}
        ).status_code
        == 400
    )
    answers[ids["TT-003"]] = "fail"
    assert post_results(client_of(host, "itdept"), done_id, answers).status_code == 303
    assert enrollment(ids["TT-001"]).status == "failed"
    assert enrollment(ids["TT-002"]).result_on == clock.today()

    # rule TP-TRN-4: each fail is proposed a retake on the next course with a seat
    proposals = db.session.scalars(
        sa.select(Enrollment).where(Enrollment.course_id == later_id).order_by(Enrollment.id)
    ).all()
    assert [(p.retake_of_id, p.status) for p in proposals] == [
        (ids["TT-001"], "proposed"),
        (ids["TT-003"], "proposed"),
    ]
    assert (
        post_results(client_of(host, "itdept"), done_id, answers).status_code == 400
    )  # recorded already

    # the retakes page: the agency sees its own, another agency none and 404 when guessing
    listing = (
        client_of(host, "staff").get("/appgov/training/retakes", headers=EN).get_data(as_text=True)
    )
    assert "觀光1" in listing and "TT-SEED-02" in listing
    assert "觀光1" not in client_of(host, "otherstaff").get("/appgov/training/retakes").get_data(
        as_text=True
    )
    first = proposals[0].id
    answer = client_of(host, "otherstaff").post(
        "/appgov/training/retakes", data={"action": "confirm", "enrollment": first}
    )
    assert answer.status_code == 404
    for guess in ("999999", "x"):
        data = {"action": "confirm", "enrollment": guess}
        assert (
            client_of(host, "staff").post("/appgov/training/retakes", data=data).status_code == 404
        )
    assert client_of(host, "reviewer").get("/appgov/training/retakes").status_code == 403
    assert (
        client_of(host, "tpit")
        .post("/appgov/training/retakes", data={"action": "withdraw", "enrollment": first})
        .status_code
        == 404
    )
    assert enrollment(first).status == "proposed"

    # confirming checks the seats again: the course shrank to one seat
    with host.app_context():
        db.session.get(type(later), later_id).capacity = 1
        db.session.commit()
    answer = client_of(host, "staff").post(
        "/appgov/training/retakes", data={"action": "confirm", "enrollment": first}
    )
    print(answer.get_data(as_text=True)[-3000:])
    assert answer.status_code == 400 and "full" in answer.get_data(as_text=True)
    assert enrollment(first).status == "proposed"
    second = proposals[1].id
    assert (
        client_of(host, "staff")
        .post("/appgov/training/retakes", data={"action": "withdraw", "enrollment": second})
        .status_code
        == 303
    )
    assert (
        client_of(host, "staff")
        .post("/appgov/training/retakes", data={"action": "confirm", "enrollment": first})
        .status_code
        == 303
    )
    assert (enrollment(first).status, enrollment(second).status) == ("enrolled", "withdrawn")


def test_waiting_for_a_course_and_proposing_later(host):
    """No open course with a seat: the trainee waits; the IT department proposes once one
    opens (TP-TRN-4)."""
    system = world()
    done = course("TT-ADM-01", system, "admin", first_in=-3)
    failed = seat(done, "TT-001")
    assert post_results(client_of(host, "itdept"), done.id, {failed.id: "fail"}).status_code == 303
    assert [w.id for w in results.waiting({AGENCY})] == [failed.id]
    page = client_of(host, "staff").get("/appgov/training/retakes", headers=EN)
    assert "Waiting for a course" in page.get_data(as_text=True)
    with host.app_context():
        fresh = course("TT-ADM-02", db.session.merge(system), "admin", first_in=14)
        fresh_id = fresh.id
    assert (
        client_of(host, "staff")
        .post("/appgov/training/retakes", data={"action": "propose"})
        .status_code
        == 403
    )
    assert (
        client_of(host, "itdept")
        .post("/appgov/training/retakes", data={"action": "propose"})
        .status_code
        == 303
    )
    db.session.expire_all()
    made = db.session.scalar(sa.select(Enrollment).where(Enrollment.retake_of_id == failed.id))
    assert (made.course_id, made.status) == (fresh_id, "proposed")
    assert results.waiting({AGENCY}) == []


def test_three_fails_flag_a_review_the_it_department_opens_tp_trn_4(host):
    system = world()
    assign(system, "TT-001", "seed")
    assign(system, "TT-002", "seed")
    flags_url = "/appgov/training/fitness"
    for n in (1, 2, 3):
        past = course(f"TT-SEED-0{n}", system, first_in=-10 + n)
        row = seat(past, "TT-001")
        assert post_results(client_of(host, "itdept"), past.id, {row.id: "fail"}).status_code == 303
        count = db.session.scalar(
            sa.select(sa.func.count(FitnessFlag.id)).where(FitnessFlag.system_id == system.id)
        )
        assert count == (1 if n == 3 else 0), n
    flag = db.session.scalar(sa.select(FitnessFlag).where(FitnessFlag.system_id == system.id))
    assert (flag.outcomes, flag.outcome_count, flag.agency_code) == ("fail,fail,fail", 3, AGENCY)
    assert flag.course_type == "seed" and flag.system_id == system.id

    # who reads the flags
    for username, code in (("staff", 403), ("head", 403), ("reviewer", 403)):
        assert client_of(host, username).get(flags_url).status_code == code, username
    assert "觀光1" in client_of(host, "itdept").get(flags_url, headers=EN).get_data(as_text=True)
    assert "觀光1" not in client_of(host, "tpit").get(flags_url).get_data(as_text=True)
    for guess in (str(flag.id), "999999"):
        answer = client_of(host, "tpit").post(flags_url, data={"action": "open", "flag": guess})
        assert answer.status_code == 404
    flag_id = flag.id

    # the IT department opens the review: a case for the agency
    assert (
        client_of(host, "itdept")
        .post(flags_url, data={"action": "open", "flag": flag_id})
        .status_code
        == 303
    )
    db.session.expire_all()
    flag = db.session.get(FitnessFlag, flag_id)
    case = db.session.get(Case, flag.review_case_id)
    assert case.type_key == FITNESS_REVIEW and case.agency_code == AGENCY
    assert flag.decided_by == "itdept" and flag.decided_at is not None
    assert "TT-001" in case.data["person_name"] and case.data["outcomes"] == "fail, fail, fail"
    answer = client_of(host, "itdept").post(
        flags_url, data={"action": "decline", "flag": flag_id, "note": "x" * 20}
    )
    assert answer.status_code == 400  # decided already

    # the agency states its view; the IT department finds the person unfit (TP-SEED-3)
    apply_transition(case, "respond", user("staff"))
    with pytest.raises(TransitionRefused) as short:
        apply_transition(db.session.get(Case, case.id), "unfit", user("itdept"), "太短")
    assert "TP-SEED-3" in str(short.value)
    reason = "連續三次未通過種子人員課程測驗，經評估不適任。"
    apply_transition(db.session.get(Case, case.id), "unfit", user("itdept"), reason)
    assert status(case.id) == "unfit"
    finding = db.session.scalar(
        sa.select(UnfitFinding).where(UnfitFinding.person_id == person("TT-001").id)
    )
    assert finding.system_id == system.id and finding.replacement_case_id

    # a fourth fail raises a new flag (one more outcome), the same count never twice
    fourth = course("TT-SEED-04", system, first_in=-1)
    row = seat(fourth, "TT-001")
    assert post_results(client_of(host, "itdept"), fourth.id, {row.id: "fail"}).status_code == 303
    counts = db.session.scalars(
        sa.select(FitnessFlag.outcome_count)
        .where(FitnessFlag.system_id == system.id)
        .order_by(FitnessFlag.id)
    )
    assert list(counts) == [3, 4]
    assert results.flag_fitness(person("TT-001").id, system.id, "seed") is None


def test_two_dismissals_flag_a_review_declined_with_a_note_tp_trn_4(host):
    system = world()
    for n in (1, 2):
        past = course(f"TT-ADM-0{n}", system, "admin", first_in=-20 + n)
        row = seat(
            past, "TT-002", "dismissed", dismissed_on=clock.today() - dt.timedelta(days=9 - n)
        )
        results.after_outcome(row, "itdept")  # as the roll call does on a dismissal
        db.session.commit()
    flag = db.session.scalar(sa.select(FitnessFlag).where(FitnessFlag.system_id == system.id))
    assert (flag.outcomes, flag.course_type) == ("dismissed,dismissed", "admin")
    answer = client_of(host, "itdept").post(
        "/appgov/training/fitness", data={"action": "decline", "flag": flag.id, "note": "短"}
    )
    assert answer.status_code == 400 and "Note" in answer.get_data(as_text=True)
    assert db.session.get(FitnessFlag, flag.id).decided_at is None
    note = "機關已另行指派人員，無須評估。"
    answer = client_of(host, "itdept").post(
        "/appgov/training/fitness", data={"action": "decline", "flag": flag.id, "note": note}
    )
    assert answer.status_code == 303
    db.session.expire_all()
    flag = db.session.get(FitnessFlag, flag.id)
    assert (flag.decision_note, flag.review_case_id, flag.decided_by) == (note, None, "itdept")


def test_a_passed_lecturer_joins_the_registry_tp_trn_5(host):
    system = world()
    lecturers = course("TT-LECT-01", system, "lecturer", first_in=-2)
    passed, failed = seat(lecturers, "TT-004"), seat(lecturers, "TT-005")
    answers = {passed.id: "pass", failed.id: "fail"}
    assert post_results(client_of(host, "itdept"), lecturers.id, answers).status_code == 303
    rows = db.session.scalars(sa.select(Lecturer).where(Lecturer.system_id == system.id)).all()
    assert [(r.person.employee_id, r.system_id, r.enrollment_id) for r in rows] == [
        ("TT-004", system.id, passed.id)
    ]
    assert rows[0].qualified_on == clock.today()
    if "appgov.training_lecturers" in host.view_functions:
        registry = (
            client_of(host, "itdept")
            .get("/appgov/training/lecturers", headers=EN)
            .get_data(as_text=True)
        )
        assert "觀光4" in registry and "觀光5" not in registry


def test_statement_counts_do_not_grow_with_the_trainees(host):
    """The results, retakes and fitness pages: the same statements for 2 trainees as for 29
    (proposals, waiting trainees and flags included)."""
    system = world(people=30)
    done = course("TT-SEED-01", system, first_in=-1, capacity=None)
    later = course("TT-SEED-02", system, first_in=30, capacity=None)
    done_id, later_id, system_id = done.id, later.id, system.id
    urls = (
        f"/appgov/training/courses/{done_id}/results",
        "/appgov/training/retakes",
        "/appgov/training/fitness",
    )

    def add(first: int, last: int) -> None:
        done, later = db.session.get(Course, done_id), db.session.get(Course, later_id)
        for n in range(first, last):
            employee_id = f"TT-{n:03d}"
            failed = seat(done, employee_id, "failed", result_on=clock.today())
            if n % 2:
                seat(later, employee_id, "proposed", retake_of_id=failed.id)
            db.session.add(
                FitnessFlag(
                    person_id=person(employee_id).id,
                    system_id=system_id,
                    course_type="seed",
                    agency_code=AGENCY,
                    outcomes="dismissed,dismissed",
                    outcome_count=2,
                    flagged_on=clock.today(),
                )
            )
        db.session.commit()

    def counts() -> list[int]:
        client = client_of(host, "itdept")
        sent_counts = []
        for url in urls:
            client.get(url)  # warm: the host's own first-request reads
            db.session.expunge_all()  # nothing the test wrote stays in the session's map
            with counting_queries(host) as sent:
                assert client.get(url).status_code == 200
            sent_counts.append(len(sent))
        return sent_counts

    add(1, 3)
    few = counts()
    add(3, 30)
    assert counts() == few
