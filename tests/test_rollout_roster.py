"""Rosters and seed-user assignment (issue 12, section 2) in the sample host under the Taipei
rules (``make_host("taipei")``), SQLite and PostgreSQL:

* a roster change is a case: accepted, its rows become assignments from the effective date,
  with the ``roster_change`` deadline; late reports are flagged (across Lunar New Year 2027);
* the quota boundaries through the case (TP-SEED-1 at headcount 39/40/41/100, TP-ADM-1),
  refused on submit naming the rule and the field, unless a replacement is in progress;
* a person of another agency, or unknown, is refused naming the row and the field;
* unfit -> replacement case -> accepted -> replaced (TP-SEED-3); the sweep flags overdue
  findings once; a person who leaves ends their roles;
* an exclusion by a mayor-approved case (TP-WG-1); the roles that may act.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from casework import add_user, counting_queries, posted, status
from flask import render_template
from hosting import login

from appgov_plugin import clock
from appgov_plugin.lifecycle import deadlines as lifecycle_deadlines
from appgov_plugin.lifecycle.models import Deadline, SweepRun
from appgov_plugin.notifications.models import Message
from appgov_plugin.rollout import roster, unfit
from appgov_plugin.rollout.case_types import ADMIN_SEED_NOMINATION, WORK_GROUP_ROSTER
from appgov_plugin.rollout.compliance import compliance
from appgov_plugin.rollout.models import (
    Assignment,
    MajorSystem,
    RolloutAgency,
    RolloutPerson,
    SystemScope,
    UnfitFinding,
    WorkGroupFiling,
)
from appgov_plugin.state import get_state
from sample_host.cases import TransitionRefused, apply_transition, open_case
from sample_host.extensions import db
from sample_host.models import Case, User

AGENCY = "tainan-tourism"
OTHER = "tainan-secretariat"
SYSTEM = "RT-EDOC"
EN = {"Accept-Language": "en"}


def _user(username: str) -> User:
    return db.session.scalar(sa.select(User).where(User.username == username))


def agency(code: str, headcount: int) -> RolloutAgency:
    row = db.session.scalar(sa.select(RolloutAgency).where(RolloutAgency.code == code))
    if row is None:
        row = RolloutAgency(code=code, kind="level1", headcount=0, headcount_on=dt.date(2026, 1, 1))
        db.session.add(row)
    row.headcount = headcount
    db.session.commit()
    return row


def registry(headcount: int = 100, people: int = 12) -> MajorSystem:
    """A system with the two agencies in scope and ``people`` staff of AGENCY (RT-001...)
    plus two of OTHER (RO-001, RO-002); RT-001 heads a first-level unit."""
    agency(AGENCY, headcount)
    agency(OTHER, 60)
    system = MajorSystem(
        code=SYSTEM, name_zh="測試公文系統", name_en="Test e-document", phase="golive"
    )
    system.scope = [SystemScope(agency_code=AGENCY), SystemScope(agency_code=OTHER)]
    db.session.add(system)
    for n in range(1, people + 1):
        db.session.add(
            RolloutPerson(
                employee_id=f"RT-{n:03d}",
                name=f"觀光{n}",
                agency_code=AGENCY,
                email=f"rt{n}@example.org",
                unit_head=n == 1,
            )
        )
    for n in (1, 2):
        db.session.add(
            RolloutPerson(
                employee_id=f"RO-{n:03d}", name=f"秘書{n}", agency_code=OTHER, unit_head=True
            )
        )
    db.session.commit()
    return system


def row(employee_id: str, **extra) -> dict:
    return {
        "employee_id": employee_id,
        "name": "某人",
        "title": "科員",
        "unit": "資訊室",
        "phone": "02-1234",
        "email": "x@example.org",
        **extra,
    }


def nomination(admins, seeds, effective=None, kind="change") -> dict:
    data = {
        "system_name": SYSTEM,
        "change_kind": kind,
        "admins": [row(e) for e in admins],
        "seeds": [row(e, duties="推廣") for e in seeds],
    }
    if kind != "initial":
        data["effective_on"] = (effective or clock.today()).isoformat()
        data["change_summary"] = "人員異動"
    return data


def ids(*numbers) -> list[str]:
    return [f"RT-{n:03d}" for n in numbers]


def file(data, owner="staff", agency_code=AGENCY, type_key=ADMIN_SEED_NOMINATION) -> Case:
    case = open_case(type_key, agency_code, owner, data)
    db.session.commit()
    return case


def submit(case, username="staff") -> None:
    apply_transition(case, "submit", _user(username))


def accept(case) -> None:
    apply_transition(case, "accept", _user("itdept"))


def refused(case, username="staff", step="submit") -> str:
    with pytest.raises(TransitionRefused) as caught:
        apply_transition(case, step, _user(username))
    assert status(case.id) == ("draft" if step == "submit" else "submitted")
    return str(caught.value)


def active(system_id: int, role: str, day: dt.date | None = None) -> set[str]:
    day = day or clock.today()
    db.session.expire_all()
    rows = db.session.scalars(
        sa.select(Assignment).where(
            Assignment.system_id == system_id,
            Assignment.agency_code == AGENCY,
            Assignment.role == role,
        )
    )
    return {a.person.employee_id for a in rows if a.active_on(day)}


@pytest.fixture
def host(make_host):
    app = make_host("taipei")
    with app.app_context():
        yield app


# -- the quotas through the case ---------------------------------------------------------------


def test_seed_quota_boundaries_tp_seed_1(host):
    """TP-SEED-1 at headcount 39, 40, 41 (at most 2) and 100 (at most 5), on submit."""
    system = registry()
    for headcount, allowed in ((39, 2), (40, 2), (41, 2), (100, 5)):
        agency(AGENCY, headcount)
        too_many = file(nomination(ids(1, 2), ids(*range(3, 3 + allowed + 1))))
        message = refused(too_many)
        assert "TP-SEED-1" in message and "機關種子人員名單" in message, message
        assert f"{allowed + 1}" in message and f"{headcount}" in message
        fits = file(nomination(ids(1, 2), ids(*range(3, 3 + allowed))))
        submit(fits)
        accept(fits)
        assert status(fits.id) == "accepted"
        assert active(system.id, "seed") == set(ids(*range(3, 3 + allowed)))
    too_few = file(nomination(ids(1, 2), ids(3)))
    assert "TP-SEED-1" in refused(too_few)


def test_fewer_than_two_admins_refused_tp_adm_1(host):
    registry()
    case = file(nomination(ids(1), ids(3, 4)))
    message = refused(case)
    assert "TP-ADM-1" in message and "機關系統管理者名單" in message
    assert db.session.scalar(sa.select(sa.func.count()).where(Assignment.case_id == case.id)) == 0


def test_the_acceptance_checks_again(host):
    """A roster fine when submitted is refused on acceptance once the registry moved (the
    headcount fell): the IT department accepts nothing that breaks TP-SEED-1."""
    registry(headcount=100)
    case = file(nomination(ids(1, 2), ids(3, 4, 5, 6)))
    submit(case)
    agency(AGENCY, 41)
    assert "TP-SEED-1" in refused(case, "itdept", "accept")


def test_replacement_in_progress_may_break_the_limits(host):
    """TP-SEED-3: a replacement with an open finding is accepted outside the limits; the same
    roster as a plain change, or a replacement without a finding, is refused."""
    system = registry(headcount=41)
    first = file(nomination(ids(1, 2), ids(3, 4)))
    submit(first)
    accept(first)
    person = db.session.scalar(
        sa.select(RolloutPerson).where(RolloutPerson.employee_id == "RT-003")
    )
    assert "TP-SEED-1" in refused(file(nomination(ids(1, 2), ids(4, 5, 6), kind="replacement")))
    db.session.add(
        UnfitFinding(
            person_id=person.id,
            system_id=system.id,
            agency_code=AGENCY,
            reason="不熟悉系統操作流程",
            found_by="itdept",
            requested_on=clock.today(),
            due_on=clock.today() + dt.timedelta(days=14),
        )
    )
    db.session.commit()
    assert "TP-SEED-1" in refused(file(nomination(ids(1, 2), ids(4, 5, 6))))
    # the unfit person may not be named again in the replacement
    assert "TP-SEED-3" in refused(file(nomination(ids(1, 2), ids(3, 5, 6), kind="replacement")))
    case = file(nomination(ids(1, 2), ids(4, 5, 6), kind="replacement"))
    submit(case)
    accept(case)
    assert active(system.id, "seed") == set(ids(4, 5, 6))
    finding = db.session.scalar(sa.select(UnfitFinding).where(UnfitFinding.system_id == system.id))
    assert finding.replaced_on == clock.today() and finding.replacement_case_id == case.id


# -- who may be named ------------------------------------------------------------------------


def test_a_person_of_another_agency_or_unknown_is_refused(host):
    registry()
    message = refused(file(nomination(ids(1, 2), [*ids(3), "RO-001"])))
    # in the reader's language (zh_Hant_TW by default): the row, the field, the person
    assert "第 2 列" in message and "員工編號" in message and "秘書1" in message, message
    message = refused(file(nomination(["RT-001", "NOBODY-9"], ids(3, 4))))
    assert "第 2 列" in message and "NOBODY-9" in message and "機關系統管理者名單" in message
    message = refused(file(nomination(ids(1, 2), [row("")["employee_id"], *ids(4)])))
    assert "第 1 列" in message and "員工編號" in message
    assert "重複列名" in refused(file(nomination(ids(1, 1), ids(3, 4))))


def test_staff_of_another_agency_cannot_file_for_this_agency(host):
    """An agency files for itself only: the case is its own agency's, so a roster naming
    another agency's people is refused; the other agency's staff get 403 on the IT
    department's actions."""
    registry()
    add_user("staff2", "agency_staff", OTHER)
    case = file(nomination(ids(1, 2), ids(3, 4)), owner="staff2", agency_code=OTHER)
    message = refused(case, "staff2")
    assert "觀光1" in message and "第 1 列" in message
    person = db.session.scalar(
        sa.select(RolloutPerson).where(RolloutPerson.employee_id == "RT-003")
    )
    client = host.test_client()
    login(client, "staff2")
    assert client.get(f"/appgov/rollout/people/{person.id}/unfit").status_code == 403


def test_a_system_out_of_scope_or_unknown_is_refused(host):
    system = registry()
    message = refused(file({**nomination(ids(1, 2), ids(3, 4)), "system_name": "不存在系統"}))
    assert "重大資訊系統名稱" in message and SYSTEM in message
    scope = db.session.scalar(
        sa.select(SystemScope).where(
            SystemScope.agency_code == AGENCY, SystemScope.system_id == system.id
        )
    )
    scope.excluded_on = dt.date(2026, 1, 1)
    db.session.commit()
    assert "TP-WG-1" in refused(file(nomination(ids(1, 2), ids(3, 4))))


# -- dates -----------------------------------------------------------------------------------


def test_effective_date_starts_the_assignment_and_ends_the_removed(host):
    system = registry()
    start = clock.today()
    first = file(nomination(ids(1, 2), ids(3, 4), effective=start))
    submit(first)
    accept(first)
    later = start + dt.timedelta(days=10)
    change = file(nomination(ids(1, 2), ids(3, 5), effective=later))
    submit(change)
    accept(change)
    assert active(system.id, "seed", start) == set(ids(3, 4))
    assert active(system.id, "seed", later - dt.timedelta(days=1)) == set(ids(3, 4))
    assert active(system.id, "seed", later) == set(ids(3, 5))
    policy = get_state().policy()
    seen = {s.agency_code: s.seeds for s in compliance(db.session, policy, start).statuses}
    assert seen[AGENCY] == 2
    new = db.session.scalar(sa.select(Assignment).where(Assignment.case_id == change.id))
    assert new.starts_on == later and new.reported_on == start
    assert new.due_on == get_state().policy(as_of=later).deadline("roster_change", later)
    ended = db.session.scalar(
        sa.select(Assignment).join(RolloutPerson).where(RolloutPerson.employee_id == "RT-004")
    )
    assert ended.ends_on == later


def test_late_report_across_lunar_new_year_tp_seed_2(host, monkeypatch):
    """Effective Wed 2027-02-03, just before the 2027 Lunar New Year holidays (Thu 02-04 to
    Wed 02-10 are no working days on the calendar): due Mon 02-15. Filed Fri 02-12 (nine
    calendar days on) is in time; filed Tue 02-16 is late, flagged on the case, the
    assignment and the dashboard."""
    system = registry()
    effective = dt.date(2027, 2, 3)
    policy = get_state().policy(as_of=effective)
    assert not any(policy.is_working_day(dt.date(2027, 2, d)) for d in range(4, 11))
    due = policy.deadline("roster_change", effective)
    assert due == dt.date(2027, 2, 15)
    monkeypatch.setattr(clock, "today", lambda: dt.date(2027, 2, 12))
    on_time = file(nomination(ids(1, 2), ids(3, 4), effective=effective))
    submit(on_time)
    accept(on_time)
    monkeypatch.setattr(clock, "today", lambda: dt.date(2027, 2, 16))
    late = file(nomination(ids(1, 2), ids(3, 5), effective=effective))
    submit(late)
    accept(late)
    rows = {a.case_id: a for a in db.session.scalars(sa.select(Assignment))}
    assert rows[on_time.id].reported_on == dt.date(2027, 2, 12) and not roster.late(
        rows[on_time.id]
    )
    assert rows[late.id].reported_on == dt.date(2027, 2, 16) and roster.late(rows[late.id])
    with counting_queries(host) as statements:
        shown = lifecycle_deadlines.case_deadlines([on_time.id, late.id])
    assert len(statements) == 1  # one query whatever the number of cases
    assert shown[on_time.id].due_on == due and not shown[on_time.id].overdue
    assert shown[late.id].due_on == due and shown[late.id].overdue
    client = host.test_client()
    login(client, "staff")
    page = client.get(f"/cases/{late.id}").get_data(as_text=True)
    deadline = page[page.index('id="case-deadline"') :].split("</p>")[0]
    assert "民國 116 年 2 月 15 日" in deadline and "TP-SEED-2" in deadline
    assert "text-danger" in deadline, deadline  # reported late
    page = client.get(f"/cases/{on_time.id}").get_data(as_text=True)
    deadline = page[page.index('id="case-deadline"') :].split("</p>")[0]
    assert "民國 116 年 2 月 15 日" in deadline and "text-danger" not in deadline
    result = compliance(
        db.session, get_state().policy(), dt.date(2027, 2, 20), system_ids=[system.id]
    )
    breaches = {b.rule for s in result.statuses if s.agency_code == AGENCY for b in s.breaches}
    assert "TP-SEED-2" in breaches


# -- unfit -> replacement (TP-SEED-3) --------------------------------------------------------


def _seed_roster(system) -> RolloutPerson:
    case = file(nomination(ids(1, 2), ids(3, 4)))
    submit(case)
    accept(case)
    return db.session.scalar(sa.select(RolloutPerson).where(RolloutPerson.employee_id == "RT-003"))


def test_unfit_opens_a_replacement_case_which_replaces_the_person(host):
    system = registry()
    person = _seed_roster(system)
    client = host.test_client()
    login(client, "itdept")
    url = f"/appgov/rollout/people/{person.id}/unfit"
    page = client.get(url, headers=EN)
    assert page.status_code == 200 and SYSTEM in page.get_data(as_text=True)
    short = client.post(url, data={"system": str(system.id), "reason": "太短"}, headers=EN)
    assert (
        short.status_code == 400
        and db.session.scalar(sa.select(UnfitFinding).where(UnfitFinding.system_id == system.id))
        is None
    )
    response = client.post(
        url, data={"system": str(system.id), "reason": "多次未協助同仁操作系統，經查不適任。"}
    )
    assert response.status_code == 303
    db.session.expire_all()
    finding = db.session.scalar(sa.select(UnfitFinding).where(UnfitFinding.system_id == system.id))
    assert finding.requested_on == clock.today()
    assert finding.due_on == get_state().policy().deadline("replacement", clock.today())
    case = db.session.get(Case, finding.replacement_case_id)
    told = db.session.scalars(
        sa.select(Message.recipient).where(
            Message.event == "rollout_unfit", Message.case_id == case.id
        )
    ).all()
    assert "staff" in told and "head" in told and "itdept" not in told
    assert case.type_key == ADMIN_SEED_NOMINATION and case.agency_code == AGENCY
    assert case.data["change_kind"] == "replacement" and case.status == "draft"
    shown = lifecycle_deadlines.case_deadlines([case.id])[case.id]
    assert shown.due_on == finding.due_on and not shown.overdue
    again = client.post(url, data={"system": str(system.id), "reason": "再次認定不適任之理由"})
    assert again.status_code == 400
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(UnfitFinding)
            .where(UnfitFinding.system_id == system.id)
        )
        == 1
    )
    # the agency fills the case in and files it; the IT department accepts it
    case.data = nomination(ids(1, 2), ids(4, 5), kind="replacement")
    db.session.commit()
    submit(case)
    accept(case)
    db.session.expire_all()
    finding = db.session.scalar(sa.select(UnfitFinding).where(UnfitFinding.system_id == system.id))
    assert finding.replaced_on == clock.today()
    assert active(system.id, "seed") == set(ids(4, 5))
    assert lifecycle_deadlines.case_deadlines([case.id])[case.id].label is not None
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Deadline)
            .where(Deadline.case_id == case.id, Deadline.closed_at.is_(None))
        )
        == 0
    )


def _swept(runner, day: dt.date) -> list[int]:
    """The findings one sweep as of ``day`` flagged (its SweepRun's summary)."""
    result = runner.invoke(args=["appgov", "sweep", "--as-of", day.isoformat()])
    assert result.exit_code == 0, result.output
    assert "rollout_unfit_overdue:" in result.output
    db.session.expire_all()
    run = db.session.scalar(sa.select(SweepRun).order_by(SweepRun.id.desc()).limit(1))
    return run.summary.get("rollout_unfit_overdue", [])


def test_sweep_flags_overdue_findings_once(host):
    system = registry()
    person = _seed_roster(system)
    marked = unfit.mark_unfit(person, system.id, "未能完成種子人員職責", "itdept")
    db.session.commit()
    due, finding_id = marked.finding.due_on, marked.finding.id
    runner = host.test_cli_runner()
    assert finding_id not in _swept(runner, due)  # due that day: not overdue yet
    assert finding_id in _swept(runner, due + dt.timedelta(days=1))
    flagged = db.session.get(UnfitFinding, finding_id).overdue_flagged_at
    assert flagged is not None
    assert _swept(runner, due + dt.timedelta(days=2)) == []  # once only
    assert db.session.get(UnfitFinding, finding_id).overdue_flagged_at == flagged
    result = compliance(db.session, get_state().policy(), due + dt.timedelta(days=1))
    breaches = {
        b.rule
        for s in result.statuses
        if s.agency_code == AGENCY and s.system_id == system.id
        for b in s.breaches
    }
    assert "TP-SEED-3" in breaches


@pytest.mark.parametrize(
    "username,code", [("staff", 403), ("head", 403), ("reviewer", 403), ("helpdesk", 403)]
)
def test_only_the_it_department_or_the_administrator_mark_unfit(host, username, code):
    system = registry()
    person = _seed_roster(system)
    client = host.test_client()
    login(client, username)
    url = f"/appgov/rollout/people/{person.id}/unfit"
    data = {"system": str(system.id), "reason": "多次未協助同仁操作系統"}
    assert client.post(url, data=data).status_code == code
    assert (
        db.session.scalar(sa.select(UnfitFinding).where(UnfitFinding.system_id == system.id))
        is None
    )
    login(client, "admin")
    assert client.post(url, data=data).status_code == 303
    login(client, "itdept")
    assert client.get("/appgov/rollout/people/999999/unfit").status_code == 404
    stranger = RolloutPerson(employee_id="KH-1", name="高雄人", agency_code="kh-far")
    db.session.add(
        RolloutAgency(
            code="kh-far",
            kind="level1",
            headcount=50,
            headcount_on=dt.date(2026, 1, 1),
            city="kaohsiung",
        )
    )
    db.session.add(stranger)
    db.session.commit()
    assert client.get(f"/appgov/rollout/people/{stranger.id}/unfit").status_code == 404


# -- people who leave ------------------------------------------------------------------------


def test_a_seed_user_who_leaves_ends_the_role_and_shows_the_shortfall(host):
    system = registry()
    person = _seed_roster(system)
    left = clock.today() + dt.timedelta(days=3)
    person.left_on = left
    db.session.commit()
    db.session.expire_all()
    ended = db.session.scalar(
        sa.select(Assignment).where(Assignment.person_id == person.id, Assignment.role == "seed")
    )
    assert ended.ends_on == left
    result = compliance(db.session, get_state().policy(), left, system_ids=[system.id])
    breaches = {b.rule for s in result.statuses if s.agency_code == AGENCY for b in s.breaches}
    assert "TP-SEED-1" in breaches
    assert [p.employee_id for p, _a in unfit.departures(AGENCY)] == ["RT-003"]
    with host.test_request_context(f"/appgov/rollout/people/{person.id}/unfit"):
        shown = render_template(
            "appgov/rollout/_roster_departures.html", agency=agency(AGENCY, 100)
        )
    assert "RT-003" in shown and f"民國 {left.year - 1911} 年" in shown
    assert "<td>seed</td>" not in shown  # the role's label (Seed user, 機關種子人員)
    # a transfer to another agency ends the roles too (the sweep catches a raw update)
    with db.engine.begin() as conn:
        conn.execute(
            sa.update(RolloutPerson)
            .where(RolloutPerson.employee_id == "RT-004")
            .values(agency_code=OTHER)
        )
    runner = host.test_cli_runner()
    result = runner.invoke(args=["appgov", "sweep"])
    assert "rollout_departures: 1" in result.output, result.output
    db.session.expire_all()
    assert active(system.id, "seed", left) == set()


# -- work group and exclusion (TP-WG-1) ------------------------------------------------------


def test_work_group_roster_files_the_work_group_with_a_unit_head(host):
    system = registry()
    data = {
        "system_name": "測試公文系統",
        "report_kind": "formed",
        "reported_on": clock.today().isoformat(),
        "members": [
            row("RT-002", role="convener"),
            row("RT-003", role="seed"),
            row("RT-004", role="member"),
        ],
        "convener_level": True,
    }
    case = file(data, type_key=WORK_GROUP_ROSTER)
    assert "TP-WG-1" in refused(case)
    data["members"][0]["employee_id"] = "RT-001"  # heads a first-level unit
    case = file(data, type_key=WORK_GROUP_ROSTER)
    submit(case)
    accept(case)
    filing = db.session.scalar(sa.select(WorkGroupFiling).where(WorkGroupFiling.case_id == case.id))
    assert filing.system_id == system.id and filing.filed_on == clock.today()
    assert active(system.id, "convener") == {"RT-001"}
    assert active(system.id, "member") == {"RT-003", "RT-004"}


def test_exclusion_by_a_mayor_approved_case(host):
    system = registry()
    approving = file(nomination(ids(1, 2), ids(3, 4)))
    submit(approving)
    scope = db.session.scalar(
        sa.select(SystemScope).where(
            SystemScope.agency_code == AGENCY, SystemScope.system_id == system.id
        )
    )
    client = host.test_client()
    login(client, "staff")
    url = f"/appgov/rollout/scope/{scope.id}/exclusion"
    assert client.get(url).status_code == 403
    login(client, "itdept")
    data = {"case_id": "999999", "excluded_on": "2026-11-01", "note": "專案簽奉市長核定"}
    response = client.post(url, data=data, headers=EN)
    assert response.status_code == 400 and "999999" in response.get_data(as_text=True)
    response = client.post(url, data={**data, "case_id": str(approving.id)})
    assert response.status_code == 303
    db.session.expire_all()
    result = compliance(db.session, get_state().policy(), clock.today(), system_ids=[system.id])
    excluded = {e.agency_code: e.case_id for e in result.excluded}
    assert excluded == {AGENCY: approving.id}
    assert AGENCY not in {s.agency_code for s in result.statuses}


def test_the_agency_fixes_its_shortfall_through_the_pages(host):
    """Done when (issue 12): the agency files a roster change on the host's pages (form
    version 2, people by employee id); a roster breaking TP-SEED-1 is refused on submit with
    the rule named on the case page; the one that fits, accepted, ends the breach from its
    effective date."""
    system = registry(headcount=100)
    before = compliance(db.session, get_state().policy(), clock.today(), system_ids=[system.id])
    assert "TP-SEED-1" in {
        b.rule for s in before.statuses if s.agency_code == AGENCY for b in s.breaches
    }
    client = host.test_client()
    login(client, "staff")
    new = f"/cases/new/{ADMIN_SEED_NOMINATION}"
    assert "員工編號" in client.get(new).get_data(as_text=True)
    too_many = nomination(ids(1, 2), ids(3, 4, 5, 6, 7, 8))
    response = client.post(new, data=posted(too_many))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    case_id = int(response.headers["Location"].rsplit("/", 1)[1])
    page = client.post(
        f"/cases/{case_id}/transition", data={"name": "submit", "state": "draft"}, headers=EN
    ).get_data(as_text=True)
    assert "TP-SEED-1" in page and status(case_id) == "draft"
    response = client.post(new, data=posted(nomination(ids(1, 2), ids(3, 4, 5))))
    case_id = int(response.headers["Location"].rsplit("/", 1)[1])
    client.post(f"/cases/{case_id}/transition", data={"name": "submit", "state": "draft"})
    assert status(case_id) == "submitted"
    login(client, "itdept")
    client.post(f"/cases/{case_id}/transition", data={"name": "accept", "state": "submitted"})
    assert status(case_id) == "accepted"
    db.session.expire_all()
    after = compliance(db.session, get_state().policy(), clock.today(), system_ids=[system.id])
    mine = next(s for s in after.statuses if s.agency_code == AGENCY)
    assert (mine.admins, mine.seeds) == (2, 3) and not mine.breaches


def test_the_check_reads_a_fixed_number_of_statements(host):
    """The roster's check reads the registry in a fixed number of statements, whatever the
    number of people named (one query for the persons of all rows)."""
    registry(headcount=200)
    small = file(nomination(ids(1, 2), ids(3, 4)))
    large = file(nomination(ids(1, 2, 3), ids(4, 5, 6, 7, 8, 9, 10)))
    policy = get_state().policy()
    assert roster.problem(file(nomination(ids(1, 2), ids(3, 4))), policy=policy) is None
    assert small.agency_code == large.agency_code  # the host's lazy loads, before counting
    counts = []
    for case in (small, large):
        with counting_queries(host) as statements:
            assert roster.problem(case, policy=policy) is None
        counts.append(list(statements))
    shown = [[s.split("FROM")[1].split()[0] if "FROM" in s else s[:30] for s in c] for c in counts]
    assert len(counts[0]) == len(counts[1]) <= 9, shown


def test_the_reason_is_counted_in_characters(host):
    """TP-SEED-3's reason: 10 characters at least, counted as characters (ten Chinese
    characters are ten, not thirty bytes); refused, nothing is written."""
    system = registry()
    person = _seed_roster(system)
    with pytest.raises(unfit.UnfitError) as caught:
        unfit.mark_unfit(person, system.id, "未協助同仁操作系統", "itdept")  # nine
    assert caught.value.field == "reason" and "9" in str(caught.value)
    db.session.rollback()
    mine = sa.select(sa.func.count()).select_from(UnfitFinding)
    assert db.session.scalar(mine.where(UnfitFinding.system_id == system.id)) == 0
    marked = unfit.mark_unfit(person, system.id, "未能協助同仁操作系統", "itdept")  # ten
    db.session.commit()
    assert marked.finding.reason == "未能協助同仁操作系統"
    assert db.session.scalar(mine.where(UnfitFinding.system_id == system.id)) == 1
