"""The roll-out registry's demo data (issue 12: "the sample host's demo data covers a
realistic city (at least 40 agencies and schools, two systems)"; "the IT department sees the
dashboard with real breaches from the demo data"), in the sample host on SQLite and
PostgreSQL: where the deployment applies the roll-out rules (``make_host("taipei")``) the
registry holds a Tainan City of bureaus, level-2 agencies, an enterprise, district offices
and schools, two systems at go-live and in development, and rosters that break each rule
once (TP-ADM-1, TP-SEED-1 both ways, TP-SEED-2, TP-SEED-3, TP-WG-1) beside compliant
agencies; the Tourism Bureau (the demo staff's own) lacks a seed user, and a nomination
that takes effect clears the breach. On the Tainan default profile nothing is loaded."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa
from hosting import login

from appgov_plugin.clock import today
from appgov_plugin.rollout.case_types import ADMIN_SEED_NOMINATION
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
from sample_host.cases import apply_transition, open_case
from sample_host.demo import AGENCIES as HOST_AGENCIES
from sample_host.demo import USERS
from sample_host.extensions import db
from sample_host.models import User

TABLES = (
    RolloutAgency,
    RolloutPerson,
    MajorSystem,
    SystemScope,
    Assignment,
    WorkGroupFiling,
    UnfitFinding,
)

#: The breaches the demo means to show, by system and agency: (rule, check) each.
INTENDED = {
    ("tn-edoc", "tainan-tourism"): [("TP-SEED-1", "seeds_low")],
    ("tn-edoc", "tainan-qigu"): [("TP-SEED-1", "seeds_high")],
    ("tn-edoc", "tainan-works"): [("TP-ADM-1", "admins")],
    ("tn-edoc", "tainan-baihe"): [("TP-WG-1", "work_group")],
    ("tn-edoc", "tainan-xinhua"): [("TP-WG-1", "work_group")],
    ("tn-edoc", "tainan-civil"): [("TP-SEED-2", "late_report")],
    ("tn-edoc", "tainan-social"): [("TP-SEED-3", "replacement")],
    ("tn-attendance", "tainan-labor"): [("TP-WG-1", "convener")],
}


@pytest.fixture
def taipei(make_host):
    host = make_host("taipei")
    with host.app_context():
        yield host


def _system(code: str) -> MajorSystem:
    return db.session.scalar(sa.select(MajorSystem).where(MajorSystem.code == code))


def _agency(code: str) -> RolloutAgency:
    return db.session.scalar(sa.select(RolloutAgency).where(RolloutAgency.code == code))


def _today():
    policy = get_state().policy()
    return compliance(db.session, policy, today()), policy


def test_the_demo_registry_holds_a_city_of_agencies_and_schools(taipei):
    agencies = db.session.scalars(sa.select(RolloutAgency)).all()
    by_code = {a.code: a for a in agencies}
    assert len(agencies) >= 40
    kinds = {a.kind for a in agencies}
    assert kinds == {"level1", "level2", "enterprise", "district", "school"}
    schools = [a for a in agencies if a.kind == "school"]
    districts = [a for a in agencies if a.kind == "district"]
    assert len(schools) >= 5 and len(districts) >= 5
    assert {a.parent_code for a in schools} == {"tainan-education"}
    assert all(a.name_zh.endswith("區公所") for a in districts)
    assert {
        ("國民小學" in a.name_zh, "國民中學" in a.name_zh, "高級中學" in a.name_zh) for a in schools
    } >= {(True, False, False), (False, True, False), (False, False, True)}
    # the host's Tainan agencies linked by code: the host names them, the registry counts them
    host_tainan = {code for code, _, _, city in HOST_AGENCIES if city == "tainan"}
    assert host_tainan <= set(by_code)
    for code in host_tainan:
        assert by_code[code].name_zh is None and by_code[code].city is None
        assert by_code[code].headcount > 0 and by_code[code].headcount_on <= today()
    # the others named here, in the city whose IT department sees them
    for agency in agencies:
        if agency.code not in host_tainan:
            assert agency.name_zh and agency.name_en and agency.city == "tainan"
        if agency.parent_code is not None:  # every parent is an agency of the registry
            assert agency.parent_code in by_code
    assert len([a for a in agencies if a.code not in host_tainan]) >= 40
    # TP-SEED-1's boundaries are all in the city
    assert {39, 40, 41, 100} <= {a.headcount for a in agencies}


def test_two_major_systems_and_their_scope(taipei):
    day = today()
    document, attendance = _system("tn-edoc"), _system("tn-attendance")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MajorSystem)) == 2
    assert (document.phase, attendance.phase) == ("golive", "development")
    assert document.work_group_due < day < attendance.work_group_due
    policy = get_state().policy()
    assert policy.is_working_day(document.work_group_due)
    agencies = db.session.scalar(sa.select(sa.func.count()).select_from(RolloutAgency))
    assert len(document.scope) == agencies  # every agency
    assert 0 < len(attendance.scope) < agencies
    excluded = [s for s in attendance.scope if s.excluded_on is not None]
    assert [s.agency_code for s in excluded] == ["tainan-markets"]
    assert _agency("tainan-markets").kind == "enterprise"
    # rule TP-WG-1: the demo opened no mayor-approved case to cite; the note says so
    assert excluded[0].excluded_case_id is None
    assert "專案簽奉市長核定" in excluded[0].excluded_note and "示範" in excluded[0].excluded_note
    result, _ = _today()
    assert [(e.agency_code, e.case_id) for e in result.excluded] == [("tainan-markets", None)]
    shown = {(result.systems[s.system_id].code, s.agency_code) for s in result.statuses}
    assert ("tn-attendance", "tainan-markets") not in shown
    assert ("tn-edoc", "tainan-markets") in shown


def test_the_dashboard_shows_each_intended_breach_and_compliant_agencies(taipei):
    """TP-ADM-1, TP-SEED-1 (too few, too many), TP-SEED-2, TP-SEED-3 and TP-WG-1 (not filed,
    filed late, a convener who heads no unit): each where the demo means it, and nowhere
    else."""
    result, _ = _today()
    found = {
        (result.systems[s.system_id].code, s.agency_code): [(b.rule, b.check) for b in s.breaches]
        for s in result.statuses
        if s.breaches
    }
    assert found == INTENDED
    assert set(result.breaches_by_rule()) == {
        "TP-ADM-1",
        "TP-SEED-1",
        "TP-SEED-2",
        "TP-SEED-3",
        "TP-WG-1",
    }
    compliant = [s for s in result.statuses if s.compliant]
    assert len(compliant) >= 40
    kinds = {s.kind for s in compliant}
    assert kinds == {"level1", "level2", "enterprise", "district", "school"}


def test_the_tourism_bureau_lacks_a_seed_user_and_a_nomination_clears_it(taipei):
    """rule TP-SEED-1: the demo staff's agency has one seed user of at least two; a seed user
    of its own staff nominated from tomorrow leaves today's breach and clears tomorrow's
    (the Done-when walk: the roster change takes effect)."""
    result, policy = _today()
    document = _system("tn-edoc")
    (status,) = [
        s
        for s in result.statuses
        if s.agency_code == "tainan-tourism" and s.system_id == document.id
    ]
    assert (status.seeds, status.admins) == (1, 2)
    assert status.seed_limits == policy.seed_user_limits(_agency("tainan-tourism").headcount)
    (breach,) = status.breaches
    assert (breach.rule, breach.have, breach.need) == ("TP-SEED-1", 1, 2)
    # the demo users staff and head are the bureau's people (administrator, convener)
    people = db.session.scalars(
        sa.select(RolloutPerson).where(RolloutPerson.agency_code == "tainan-tourism")
    ).all()
    by_username = {p.username: p for p in people if p.username}
    names = {username: name.split("（")[0] for username, name, _, _ in USERS}
    assert by_username["staff"].name == names["staff"]
    assert by_username["head"].name == names["head"] and by_username["head"].unit_head
    roles = {
        (a.person.username, a.role)
        for a in db.session.scalars(
            sa.select(Assignment).where(
                Assignment.agency_code == "tainan-tourism", Assignment.system_id == document.id
            )
        )
    }
    assert {("staff", "admin"), ("head", "convener")} <= roles
    seeded = {
        a.person_id
        for a in db.session.scalars(sa.select(Assignment).where(Assignment.role == "seed"))
        if a.system_id == document.id and a.agency_code == "tainan-tourism"
    }
    candidate = next(p for p in people if p.id not in seeded and p.left_on is None)
    starts_on = today() + dt.timedelta(days=1)
    db.session.add(
        Assignment(
            system_id=document.id,
            agency_code="tainan-tourism",
            person_id=candidate.id,
            role="seed",
            starts_on=starts_on,
            reported_on=today(),
            due_on=policy.deadline("roster_change", starts_on),
        )
    )
    db.session.flush()

    def tourism_on(day):
        statuses = compliance(db.session, policy, day, agency_codes=["tainan-tourism"]).statuses
        return [s for s in statuses if s.system_id == document.id][0]

    assert [b.rule for b in tourism_on(today()).breaches] == ["TP-SEED-1"]
    tomorrow = tourism_on(starts_on)
    assert tomorrow.seeds == 2 and tomorrow.compliant
    db.session.rollback()


def test_the_seed_user_bounds_at_headcount_39_40_41_100(taipei):
    """rule TP-SEED-1: at most 2 at headcount 39, 40 and 41 (three are too many at 41), at
    most 5 at 100 (five are within)."""
    result, policy = _today()
    document = _system("tn-edoc")
    statuses = {s.agency_code: s for s in result.statuses if s.system_id == document.id}
    by_headcount = {}
    for status in statuses.values():
        by_headcount.setdefault(status.headcount, []).append(status)
    for headcount, limits in ((39, (2, 2)), (40, (2, 2)), (41, (2, 2)), (100, (2, 5))):
        assert policy.seed_user_limits(headcount) == limits
        assert all(s.seed_limits == limits for s in by_headcount[headcount])
    assert statuses["tainan-qigu"].headcount == 41 and statuses["tainan-qigu"].seeds == 3
    assert any(s.seeds == 5 and s.compliant for s in by_headcount[100])
    assert all(s.seeds == 2 and s.compliant for s in by_headcount[39] + by_headcount[40])


def test_the_demo_dates_count_from_today_with_the_policy_deadlines(taipei):
    """rule TP-SEED-2 / TP-WG-2: every assignment's due date is the ``roster_change`` deadline
    of its start; one report (the Civil Affairs Bureau's replacement of a seed user who left,
    her role ended the day she left) came after it. rule TP-SEED-3: the unfit findings' due
    dates are the ``replacement`` deadline; one is overdue, one not yet due."""
    policy = get_state().policy()
    day = today()
    assignments = db.session.scalars(sa.select(Assignment)).all()
    assert len(assignments) > 200
    for row in assignments:
        assert row.due_on == policy.deadline("roster_change", row.starts_on)
        assert row.starts_on <= day and row.reported_on <= day
    late = [a for a in assignments if a.reported_on > a.due_on]
    assert [(a.agency_code, a.role) for a in late] == [("tainan-civil", "seed")]
    (leaver,) = db.session.scalars(
        sa.select(RolloutPerson).where(RolloutPerson.left_on.is_not(None))
    ).all()
    assert leaver.agency_code == "tainan-civil" and leaver.left_on < day
    (ended,) = [a for a in assignments if a.ends_on is not None]
    assert ended.person_id == leaver.id and ended.ends_on == leaver.left_on
    assert late[0].starts_on == leaver.left_on  # the replacement started that day
    # a person who left holds no role after it
    assert all(a.ends_on is not None for a in assignments if a.person_id == leaver.id)
    findings = db.session.scalars(sa.select(UnfitFinding).order_by(UnfitFinding.due_on)).all()
    assert [f.agency_code for f in findings] == ["tainan-social", "tainan-health"]
    for finding in findings:
        assert finding.due_on == policy.deadline("replacement", finding.requested_on)
        assert finding.replaced_on is None and finding.requested_on <= day
        assert finding.reason and finding.found_by == "itdept"
        assert finding.person.agency_code == finding.agency_code
    assert findings[0].due_on < day < findings[1].due_on
    # the work groups: filed before the document system's deadline but two
    document = _system("tn-edoc")
    filings = {
        f.agency_code: f.filed_on
        for f in db.session.scalars(
            sa.select(WorkGroupFiling).where(WorkGroupFiling.system_id == document.id)
        )
    }
    assert "tainan-baihe" not in filings
    assert filings.pop("tainan-xinhua") > document.work_group_due
    assert all(filed <= document.work_group_due for filed in filings.values())


def test_the_demo_people_are_invented_with_example_addresses(taipei):
    people = db.session.scalars(sa.select(RolloutPerson)).all()
    agencies = {a.code for a in db.session.scalars(sa.select(RolloutAgency))}
    assert len({p.employee_id for p in people}) == len(people)
    assert len({p.name for p in people}) == len(people)  # never two alike
    assert all(p.email.endswith("@example.org") for p in people)
    assert {p.agency_code for p in people} == agencies  # a few people in every agency
    assert {p.username for p in people if p.username} == {"staff", "head"}
    # rule TP-WG-1: each agency's convener of the document system heads a unit or above
    document = _system("tn-edoc")
    conveners = db.session.scalars(
        sa.select(Assignment).where(
            Assignment.role == "convener", Assignment.system_id == document.id
        )
    ).all()
    assert {c.agency_code for c in conveners} == agencies
    assert all(c.person.unit_head for c in conveners)
    # a seed user belongs to the agency they serve
    assert all(
        a.person.agency_code == a.agency_code for a in db.session.scalars(sa.select(Assignment))
    )


def test_a_tainan_deployment_loads_no_registry(make_host):
    """The roll-out rules (TP-SEED-1 ...) do not apply on the Tainan default profile: the
    demo leaves every roll-out table empty."""
    host = make_host("tainan")
    with host.app_context():
        assert not get_state().policy().applies("TP-SEED-1")
        for table in TABLES:
            assert db.session.scalar(sa.select(sa.func.count()).select_from(table)) == 0


def test_the_it_department_sees_the_demo_breaches_on_the_dashboard(make_host):
    """Issue 12's Done-when: ``itdept`` (Tainan's IT department) reads the dashboard with the
    demo's breaches, each on its agency's row with its rule ID, the host's and the registry's
    Tainan agencies alike; ``staff`` reads no dashboard (403), but its own agency's page with
    the seed-user shortfall (TP-SEED-1)."""
    host = make_host("taipei")
    client = host.test_client()
    login(client, "itdept")
    response = client.get("/appgov/rollout/?breaches=1")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    rows = dict(
        ((system, agency), body)
        for agency, system, body in re.findall(
            r'<tr data-agency="([^"]+)" data-system="([^"]+)">(.*?)</tr>', page, re.S
        )
    )
    assert set(rows) == set(INTENDED)
    for key, breaches in INTENDED.items():
        assert re.findall(r'rule-id">([A-Z0-9-]+)<', rows[key]) == [r for r, _ in breaches]
    assert "臺南市政府觀光旅遊局" in rows[("tn-edoc", "tainan-tourism")]  # the host's name
    assert "臺南市七股區區公所" in rows[("tn-edoc", "tainan-qigu")]  # the registry's name
    login(client, "staff")
    assert client.get("/appgov/rollout/").status_code == 403
    response = client.get("/appgov/rollout/agencies/tainan-tourism")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "TP-SEED-1" in page and "王小明" in page and "陳美玲" in page
    assert client.get("/appgov/rollout/agencies/tainan-qigu").status_code == 404


def test_staff_files_the_roster_change_that_fixes_the_tourism_shortfall(taipei):
    """Issue 12's Done-when on the demo data: ``staff`` files a nomination change for the
    document system naming the Tourism Bureau's administrators, its seed user and one more
    of its staff from tomorrow; ``itdept`` accepts it; the TP-SEED-1 breach stays today and
    is gone tomorrow, when the change takes effect."""

    def user(username):
        return db.session.scalar(sa.select(User).where(User.username == username))

    document = _system("tn-edoc")
    rows = db.session.scalars(
        sa.select(Assignment).where(
            Assignment.agency_code == "tainan-tourism", Assignment.system_id == document.id
        )
    ).all()
    held = {a.person_id for a in rows}
    candidate = db.session.scalars(
        sa.select(RolloutPerson)
        .where(RolloutPerson.agency_code == "tainan-tourism", RolloutPerson.id.not_in(held))
        .order_by(RolloutPerson.employee_id)
    ).first()

    def listed(person, **extra):
        return {
            "employee_id": person.employee_id,
            "name": person.name,
            "title": person.title,
            "unit": "資訊室",
            "phone": "06-2991111",
            "email": person.email,
            **extra,
        }

    effective = today() + dt.timedelta(days=1)
    data = {
        "system_name": document.name_zh,
        "headcount": _agency("tainan-tourism").headcount,
        "change_kind": "change",
        "effective_on": effective.isoformat(),
        "change_summary": "增派機關種子人員一名，補足最低人數。",
        "admins": [listed(a.person) for a in rows if a.role == "admin"],
        "seeds": [
            listed(p, duties="推廣")
            for p in [a.person for a in rows if a.role == "seed"] + [candidate]
        ],
    }
    case = open_case(ADMIN_SEED_NOMINATION, "tainan-tourism", "staff", data)
    db.session.commit()
    apply_transition(case, "submit", user("staff"))
    apply_transition(case, "accept", user("itdept"))
    db.session.commit()
    policy = get_state().policy()

    def tourism_on(day):
        statuses = compliance(db.session, policy, day, agency_codes=["tainan-tourism"]).statuses
        return next(s for s in statuses if s.system_id == document.id)

    assert [b.rule for b in tourism_on(today()).breaches] == ["TP-SEED-1"]
    assert tourism_on(effective).seeds == 2 and tourism_on(effective).compliant


def test_the_demos_own_roster_reports_name_the_registry_and_go_through(taipei):
    """The demo's Tourism Bureau reports (``rollout/demo.py``, filed after the registry): the
    submitted work-group roster is accepted by ``itdept`` (TP-WG-1/2: a new member from the
    last working day, reported on time); the drafted nomination, submitted by ``staff`` and
    accepted, fixes the bureau's seed-user shortfall from tomorrow (TP-SEED-1)."""
    from sample_host.models import Case

    def user(username):
        return db.session.scalar(sa.select(User).where(User.username == username))

    cases = {
        c.type_key: c
        for c in db.session.scalars(sa.select(Case))
        if c.agency.code == "tainan-tourism"
    }
    roster, nomination = cases["appgov_work_group_roster"], cases[ADMIN_SEED_NOMINATION]
    assert (roster.status, nomination.status) == ("submitted", "draft")
    document = _system("tn-edoc")
    joined = roster.data["members"][-1]["employee_id"]  # the member who joined
    apply_transition(roster, "accept", user("itdept"))
    db.session.commit()
    added = db.session.scalars(sa.select(Assignment).where(Assignment.case_id == roster.id)).all()
    # the work group's members: the new one, and the administrators and seed users who
    # were not members yet (TP-WG-1: the work group includes them); all reported on time
    assert joined in {a.person.employee_id for a in added if a.role == "member"}
    assert all(a.reported_on <= a.due_on for a in added)
    filing = db.session.scalar(
        sa.select(WorkGroupFiling).where(WorkGroupFiling.case_id == roster.id)
    )
    assert filing is not None and filing.agency_code == "tainan-tourism"
    apply_transition(nomination, "submit", user("staff"))
    apply_transition(nomination, "accept", user("itdept"))
    db.session.commit()
    policy = get_state().policy()

    def tourism_on(day):
        statuses = compliance(db.session, policy, day, agency_codes=["tainan-tourism"]).statuses
        return next(s for s in statuses if s.system_id == document.id)

    assert [b.rule for b in tourism_on(today()).breaches] == ["TP-SEED-1"]
    assert tourism_on(today() + dt.timedelta(days=1)).compliant
