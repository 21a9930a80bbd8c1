"""Three-tier support (issue 12, section 5; TP-SUP-1) in the sample host under the Taipei
rules (``make_host("taipei")``), SQLite and PostgreSQL:

* a ticket filed by agency staff climbs three tiers: a seed user of the agency and system
  escalates it (tier 1), the helpdesk escalates it (tier 2), the IT department as the
  technical support team resolves it (tier 3); every step in the host's history and in
  appgov's record; escalating needs a reason;
* tier 1 is recognised from the registry (a host user whose username is a person's with an
  active seed/admin assignment for the agency and system): anybody else is refused, through
  the page and through the host's engine;
* another agency's staff neither read nor act on the ticket (404);
* the escalation rate per agency, system and month (exact shares, percentages rounded half
  up), per tier-1 person; the page's roles, its CSV/XLSX/ODS exports, zh and en, and a
  constant number of SQL statements whatever the tickets.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from decimal import Decimal
from fractions import Fraction

import pytest
import sqlalchemy as sa
from casework import add_user, counting_queries, history, status, visible_text
from hosting import login

from appgov_plugin import clock
from appgov_plugin.rollout import support, support_views
from appgov_plugin.rollout.models import Assignment, MajorSystem, RolloutPerson, SystemScope
from appgov_plugin.rollout.support_case_types import SUPPORT_TICKET
from appgov_plugin.rollout.support_models import SupportTicket
from sample_host.cases import TransitionRefused, apply_transition, open_case
from sample_host.extensions import db
from sample_host.models import Case, User

AGENCY = "tainan-tourism"
OTHER = "tainan-secretariat"
SYSTEM = "SUP-ATT"
SECOND = "SUP-DOC"
TICKET = {
    "system_name": SYSTEM,
    "subject": "無法登入差勤系統",
    "description": "輸入帳號密碼後出現錯誤代碼 E401。",
    "contact": "分機 1234",
}


def _user(username: str) -> User:
    return db.session.scalar(sa.select(User).where(User.username == username))


def person(employee_id, username, agency_code=AGENCY, name=None, **extra) -> RolloutPerson:
    row = RolloutPerson(
        employee_id=employee_id,
        name=name or employee_id,
        agency_code=agency_code,
        username=username,
        **extra,
    )
    db.session.add(row)
    db.session.flush()
    return row


def assign(system, who, role, agency_code=AGENCY, starts=None, ends=None) -> None:
    db.session.add(
        Assignment(
            system_id=system.id,
            agency_code=agency_code,
            person_id=who.id,
            role=role,
            starts_on=starts or dt.date(2026, 1, 1),
            ends_on=ends,
        )
    )


def registry() -> dict[str, MajorSystem]:
    """Two systems with both agencies in scope; host users: ``seed1`` (a seed user of
    AGENCY for SYSTEM), ``admin1`` (its system administrator), ``plain`` (staff of AGENCY,
    no role), ``former`` (a seed user whose role ended yesterday), ``docseed`` (a seed user
    of AGENCY for the other system only), ``other`` and ``oseed`` (staff and seed user of
    OTHER). The demo's tickets are removed from appgov's record: the figures are the test's."""
    db.session.execute(sa.delete(SupportTicket))
    systems = {}
    for code, zh, en in (
        (SYSTEM, "測試差勤系統", "Test attendance"),
        (SECOND, "測試公文", "Test docs"),
    ):
        system = MajorSystem(code=code, name_zh=zh, name_en=en, phase="operations")
        system.scope = [SystemScope(agency_code=AGENCY), SystemScope(agency_code=OTHER)]
        db.session.add(system)
        systems[code] = system
    db.session.flush()
    for username, agency_code in (
        ("seed1", AGENCY),
        ("admin1", AGENCY),
        ("plain", AGENCY),
        ("former", AGENCY),
        ("docseed", AGENCY),
        ("other", OTHER),
        ("oseed", OTHER),
    ):
        add_user(username, "agency_staff", agency_code)
    att = systems[SYSTEM]
    assign(att, person("SUP-001", "seed1", name="種子一號"), "seed")
    assign(att, person("SUP-002", "admin1", name="管理一號"), "admin")
    person("SUP-003", "plain")
    yesterday = clock.today() - dt.timedelta(days=1)
    assign(att, person("SUP-004", "former"), "seed", ends=yesterday)
    assign(systems[SECOND], person("SUP-005", "docseed"), "seed")
    assign(att, person("SUP-006", "oseed", agency_code=OTHER), "seed", agency_code=OTHER)
    db.session.commit()
    return systems


@pytest.fixture
def host(make_host):
    app = make_host("taipei")
    with app.app_context():
        yield app


def enter(client, username: str, locale: str = "en") -> None:
    login(client, username)
    assert client.post(f"/locale/{locale}").status_code == 302


def file_ticket(client, username="staff", **changes) -> int:
    """``username`` files a ticket through the host's pages (new case, then submit)."""
    enter(client, username)
    response = client.post(f"/cases/new/{SUPPORT_TICKET}", data={**TICKET, **changes})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    case_id = int(re.search(r"/cases/(\d+)$", response.headers["Location"])[1])
    step(client, username, case_id, "submit")
    return case_id


def step(client, username, case_id, name, comment="", expect_status=None):
    enter(client, username)
    response = client.post(f"/cases/{case_id}/transition", data={"name": name, "comment": comment})
    if expect_status is not None:
        assert status(case_id) == expect_status
    return response


def ticket(case_id: int) -> SupportTicket:
    db.session.expire_all()
    return db.session.get(SupportTicket, case_id)


# -- the three tiers ---------------------------------------------------------------------------


def test_a_ticket_climbs_three_tiers_tp_sup_1(host):
    """Filed by staff -> tier-1 seed user escalates -> helpdesk escalates -> the IT
    department (technical support team) resolves; each step recorded with who took it."""
    registry()
    client = host.test_client()
    case_id = file_ticket(client)
    assert status(case_id) == "tier1"
    record = ticket(case_id)
    assert (record.tier, record.status, record.filed_by) == (1, "open", "staff")
    assert record.filed_month == f"{clock.today():%Y-%m}"

    # escalation requires a reason
    response = step(client, "seed1", case_id, "escalate", "", expect_status="tier1")
    assert "needs a comment" in visible_text(response.get_data(as_text=True))
    step(client, "seed1", case_id, "escalate", "帳號鎖定需服務台解除", expect_status="tier2")
    step(client, "helpdesk", case_id, "escalate", "", expect_status="tier2")
    step(client, "helpdesk", case_id, "escalate", "需修改系統設定", expect_status="tier3")
    step(client, "itdept", case_id, "resolve", "", expect_status="tier3")
    step(client, "itdept", case_id, "resolve", "已修正 LDAP 設定", expect_status="resolved")

    rows = history(case_id)
    steps = [(row.transition, row.from_state, row.to_state, row.actor.username) for row in rows]
    assert steps[0][0] == "open" and steps[0][3] == "staff"
    assert steps[1:] == [
        ("submit", "draft", "tier1", "staff"),
        ("escalate", "tier1", "tier2", "seed1"),
        ("escalate", "tier2", "tier3", "helpdesk"),
        ("resolve", "tier3", "resolved", "itdept"),
    ]
    assert [row.comment for row in history(case_id)][-3:] == [
        "帳號鎖定需服務台解除",
        "需修改系統設定",
        "已修正 LDAP 設定",
    ]
    record = ticket(case_id)
    seed = db.session.scalar(sa.select(RolloutPerson).where(RolloutPerson.username == "seed1"))
    assert (record.tier, record.status) == (3, "resolved")
    assert (record.tier1_username, record.tier1_person_id, record.tier1_role) == (
        "seed1",
        seed.id,
        "seed",
    )
    assert record.escalated1_reason == "帳號鎖定需服務台解除"
    assert (record.tier2_username, record.escalated2_reason) == ("helpdesk", "需修改系統設定")
    assert (record.resolved_by, record.resolution) == ("itdept", "已修正 LDAP 設定")

    # the helpdesk reads the ticket and the reasons on appgov's page (the host shows it the
    # case's status only)
    enter(client, "helpdesk")
    text = visible_text(client.get(f"/appgov/rollout/support/tickets/{case_id}").get_data(True))
    assert "E401" in text and "帳號鎖定需服務台解除" in text and "已修正 LDAP 設定" in text


def test_tier_one_resolves_with_a_resolution(host):
    registry()
    client = host.test_client()
    case_id = file_ticket(client)
    step(client, "admin1", case_id, "resolve", "", expect_status="tier1")
    step(client, "admin1", case_id, "resolve", "已重設密碼", expect_status="resolved")
    record = ticket(case_id)
    assert (record.tier, record.tier1_username, record.tier1_role) == (1, "admin1", "admin")
    assert record.resolution == "已重設密碼" and record.escalated1_at is None


@pytest.mark.parametrize("username", ["plain", "former", "docseed", "staff"])
def test_only_tier_one_people_act_at_tier_one_tp_sup_1(host, username):
    """Staff of the agency without a seed/admin role for the ticket's system (none, ended
    yesterday, another system's, the filer) are not offered the tier-1 steps and are refused
    them, through the page and through the host's engine."""
    registry()
    client = host.test_client()
    case_id = file_ticket(client)
    enter(client, username)
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert 'value="escalate"' not in page and 'value="resolve"' not in page
    for name in ("escalate", "resolve"):
        response = step(client, username, case_id, name, "試試看", expect_status="tier1")
        assert "TP-SUP-1" in visible_text(response.get_data(as_text=True))
    db.session.expire_all()
    case = db.session.get(Case, case_id)
    with pytest.raises(TransitionRefused) as refused:
        apply_transition(case, "escalate", _user(username), "試試看")
    assert "TP-SUP-1" in str(refused.value)
    assert status(case_id) == "tier1" and ticket(case_id).tier1_username is None
    # the seed user of the system is offered both
    enter(client, "seed1")
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert 'value="escalate"' in page and 'value="resolve"' in page


def test_another_agency_neither_reads_nor_acts(host):
    """OTHER's staff and even its seed user of the same system: 404 on the host's case, on
    appgov's ticket page and on a step; the rates page shows them their own agency only."""
    registry()
    client = host.test_client()
    case_id = file_ticket(client)
    for username in ("other", "oseed"):
        enter(client, username)
        assert client.get(f"/cases/{case_id}").status_code == 404
        assert client.get(f"/appgov/rollout/support/tickets/{case_id}").status_code == 404
        response = step(client, username, case_id, "resolve", "x", expect_status="tier1")
        assert response.status_code == 404
        text = client.get("/appgov/rollout/support").get_data(as_text=True)
        assert f'data-agency="{AGENCY}"' not in text
    # a guessed id answers as a missing one does
    enter(client, "other")
    assert client.get("/appgov/rollout/support/tickets/999999").status_code == 404
    # roles that read no rates: 403; the helpdesk reads tickets, not the rates
    for username in ("reviewer", "helpdesk", "mayor"):
        enter(client, username)
        assert client.get("/appgov/rollout/support").status_code == 403, username
        assert client.get("/appgov/rollout/support.csv").status_code == 403, username
    # a role that reads no ticket: 404, as for a missing case (a number tells nothing)
    enter(client, "reviewer")
    assert client.get(f"/appgov/rollout/support/tickets/{case_id}").status_code == 404


def test_filing_checks_the_system_against_the_registry(host):
    registry()
    client = host.test_client()
    enter(client, "staff")
    response = client.post(
        f"/cases/new/{SUPPORT_TICKET}", data={**TICKET, "system_name": "NO-SUCH"}
    )
    case_id = int(re.search(r"/cases/(\d+)$", response.headers["Location"])[1])
    response = step(client, "staff", case_id, "submit", expect_status="draft")
    text = visible_text(response.get_data(as_text=True))
    assert "Major information system" in text and "NO-SUCH" in text and SYSTEM in text
    assert ticket(case_id) is None
    # an agency outside the system's scope has no tier 1
    system = db.session.scalar(sa.select(MajorSystem).where(MajorSystem.code == SYSTEM))
    scope = db.session.scalar(
        sa.select(SystemScope).where(
            SystemScope.system_id == system.id, SystemScope.agency_code == AGENCY
        )
    )
    db.session.delete(scope)
    db.session.commit()
    case = open_case(SUPPORT_TICKET, AGENCY, "staff", TICKET)
    db.session.commit()
    with pytest.raises(TransitionRefused) as refused:
        apply_transition(case, "submit", _user("staff"))
    assert "TP-SUP-1" in str(refused.value) and "scope" in str(refused.value)


# -- the escalation rate -----------------------------------------------------------------------


def stored(system, agency_code, month, tier, tier1=None, role="seed", n=1) -> None:
    """``n`` ticket records of ``month`` that reached ``tier`` (for the figures)."""
    year, number = (int(part) for part in month.split("-"))
    highest = db.session.scalar(sa.select(sa.func.max(SupportTicket.case_id))) or 0
    base = max(highest, 900000) + 1
    for offset in range(n):
        db.session.add(
            SupportTicket(
                case_id=base + offset,
                agency_code=agency_code,
                system_id=system.id,
                subject="s",
                description="d",
                contact="c",
                filed_by="staff",
                filed_at=dt.datetime(year, number, 10, 2, tzinfo=dt.UTC),
                filed_on=dt.date(year, number, 10),
                filed_month=month,
                tier=tier,
                status="resolved",
                tier1_username=tier1.username if tier1 else None,
                tier1_person_id=tier1.id if tier1 else None,
                tier1_role=role if tier1 else None,
            )
        )
    db.session.commit()


def figures(systems):
    """November: AGENCY 6 filed on SYSTEM, 1 escalated by seed1 (16.7 %), 2 resolved by
    admin1 and 3 by seed1; 2 on SECOND, both escalated; OTHER 1, none escalated. December:
    AGENCY 3 on SYSTEM, 2 escalated (66.7 %)."""
    att, doc = systems[SYSTEM], systems[SECOND]
    people = {p.username: p for p in db.session.scalars(sa.select(RolloutPerson))}
    seed, admin = people["seed1"], people["admin1"]
    stored(att, AGENCY, "2026-11", 2, seed)
    stored(att, AGENCY, "2026-11", 1, seed, n=3)
    stored(att, AGENCY, "2026-11", 1, admin, role="admin", n=2)
    stored(doc, AGENCY, "2026-11", 3, people["docseed"], n=2)
    stored(att, OTHER, "2026-11", 1, people["oseed"])
    stored(att, AGENCY, "2026-12", 2, seed, n=2)
    stored(att, AGENCY, "2026-12", 1, admin, role="admin")


def test_escalation_rate_per_agency_system_and_month(host):
    systems = registry()
    figures(systems)
    att = systems[SYSTEM]
    rates = {
        (r.agency_code, r.system_id, r.month): r
        for r in support.escalation_rates(first_month="2026-11", last_month="2026-12")
    }
    november = rates[(AGENCY, att.id, "2026-11")]
    assert (november.filed, november.escalated) == (6, 1)
    assert november.share == Fraction(1, 6) and november.percent == Decimal("16.7")
    december = rates[(AGENCY, att.id, "2026-12")]
    assert (december.filed, december.escalated, december.percent) == (3, 2, Decimal("66.7"))
    assert rates[(AGENCY, systems[SECOND].id, "2026-11")].percent == Decimal("100.0")
    assert rates[(OTHER, att.id, "2026-11")].percent == Decimal("0.0")
    only = support.escalation_rates({OTHER}, system_id=att.id)
    assert [(r.agency_code, r.filed, r.escalated) for r in only] == [(OTHER, 1, 0)]
    assert support.escalation_rates(first_month="2026-12", last_month="2026-12") == [december]
    # per tier-1 person: what the evaluation of the seed users and administrators reads
    people = {(p.employee_id, p.month): p for p in support.tier1_rates({AGENCY}, system_id=att.id)}
    assert (people[("SUP-001", "2026-11")].handled, people[("SUP-001", "2026-11")].escalated) == (
        4,
        1,
    )
    assert people[("SUP-001", "2026-11")].percent == Decimal("25.0")
    assert people[("SUP-001", "2026-12")].share == Fraction(1)
    assert people[("SUP-002", "2026-11")].role == "admin"
    assert people[("SUP-002", "2026-11")].percent == Decimal("0.0")
    assert support.percent(1, 8) == Decimal("12.5") and support.percent(1, 3) == Decimal("33.3")
    assert support.percent(0, 0) is None


def test_the_page_and_its_exports(host):
    systems = registry()
    figures(systems)
    client = host.test_client()
    enter(client, "itdept")
    response = client.get("/appgov/rollout/support", query_string={"from": "2026-11"})
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert f'data-agency="{AGENCY}" data-system="{SYSTEM}" data-month="2026-11"' in text
    assert "16.7%" in text and "66.7%" in text and "2026-11" in visible_text(text)
    assert 'data-person="SUP-001" data-month="2026-11"' in text

    response = client.get("/appgov/rollout/support.csv", query_string={"system": SYSTEM})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    table = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert table[0][:2] == ["Agency", "Agency code"] and table[0][-1] == "Escalation rate (%)"
    body = {(row[1], row[4]): row for row in table[1:]}
    assert body[(AGENCY, "2026-11")][5:] == ["6", "1", "16.7"]
    assert body[(AGENCY, "2026-12")][5:] == ["3", "2", "66.7"]
    assert all(row[3] == SYSTEM for row in table[1:])

    response = client.get("/appgov/rollout/support/people.csv")
    people = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert people[0][:2] == ["Name", "Employee ID"]
    mine = [row for row in people if row[1] == "SUP-001" and row[6] == "2026-11"]
    assert [row[0] for row in mine] == ["種子一號"] and mine[0][-3:] == ["4", "1", "25.0"]
    for fmt, member in (("xlsx", "xl/workbook.xml"), ("ods", "content.xml")):
        for url in (f"/appgov/rollout/support.{fmt}", f"/appgov/rollout/support/people.{fmt}"):
            response = client.get(url)
            assert response.status_code == 200, url
            with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
                assert member in archive.namelist()
                sheets = "".join(
                    archive.read(n).decode() for n in archive.namelist() if n.endswith(".xml")
                )
            assert AGENCY in sheets and "2026-11" in sheets, url

    # the agency's staff: their own agency only
    enter(client, "staff")
    text = client.get("/appgov/rollout/support").get_data(as_text=True)
    assert f'data-agency="{AGENCY}"' in text and f'data-agency="{OTHER}"' not in text
    table = client.get("/appgov/rollout/support.csv").get_data(as_text=True)
    assert AGENCY in table and OTHER not in table
    enter(client, "head")
    assert client.get("/appgov/rollout/support").status_code == 200


@pytest.mark.parametrize(
    ("name", "value", "field"),
    [("from", "2026-13", "From month"), ("to", "115/1x", "To month"), ("system", "NOPE", "System")],
)
def test_bad_filters_are_refused_naming_the_field(host, name, value, field):
    registry()
    client = host.test_client()
    enter(client, "itdept")
    response = client.get("/appgov/rollout/support", query_string={name: value})
    assert response.status_code == 400
    assert field in visible_text(response.get_data(as_text=True))
    export = client.get("/appgov/rollout/support.csv", query_string={name: value})
    assert export.status_code == 400


def test_zh_and_en_pages(host):
    systems = registry()
    figures(systems)
    client = host.test_client()
    case_id = file_ticket(client)
    enter(client, "itdept", "zh_Hant_TW")
    text = visible_text(client.get("/appgov/rollout/support").get_data(as_text=True))
    assert "民國 115 年 11 月" in text and "測試差勤系統" in text
    page = client.get(f"/appgov/rollout/support/tickets/{case_id}").get_data(as_text=True)
    today = clock.today()
    assert f"{today.year - 1911}/{today.month:02d}/" in visible_text(page)
    enter(client, "itdept", "en")
    text = visible_text(client.get("/appgov/rollout/support").get_data(as_text=True))
    assert "2026-11" in text and "民國" not in text and "Test attendance" in text
    assert "Escalation rate" in text


def test_constant_statements_whatever_the_tickets(host):
    """The rates page and the rate functions: the same number of SQL statements with 3 and
    with 60 tickets (and more agencies, months and tier-1 people)."""
    systems = registry()
    client = host.test_client()
    enter(client, "itdept")
    people = list(db.session.scalars(sa.select(RolloutPerson).order_by(RolloutPerson.id)))
    att = systems[SYSTEM]

    def counted() -> tuple[int, int]:
        # a fresh app context, as each request has in production (``g`` not shared)
        with host.app_context(), counting_queries(host) as statements:
            assert client.get("/appgov/rollout/support").status_code == 200
        page = len(statements)
        with counting_queries(host) as statements:
            support.escalation_rates(None)
            support.tier1_rates(None)
        return page, len(statements)

    counted()  # the calendar's and the rule parameters' caches filled, as after any request
    stored(att, AGENCY, "2026-10", 2, people[0], n=3)
    few = counted()
    for month in ("2026-09", "2026-11", "2026-12"):
        for agency_code, who in ((AGENCY, people[1]), (OTHER, people[-1])):
            stored(att, agency_code, month, 1, who, n=5)
            stored(systems[SECOND], agency_code, month, 2, who, n=4)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SupportTicket)) > 50
    assert counted() == few
    assert few[1] == 2


def test_nothing_offered_on_the_tainan_profile(make_host):
    app = make_host("tainan")
    with app.app_context():
        assert not app.extensions["casehost"].case_types[SUPPORT_TICKET].is_offered()
    assert support_views.month_label("2026-11", "en") == "2026-11"


def test_the_demo_holds_a_ticket_that_climbed_three_tiers(host):
    """The taipei demo: the Tourism Bureau's staff (a system administrator in the demo
    registry) filed three tickets; one climbed to tier 3 and was resolved there, one was
    resolved at tier 1, one waits at tier 1."""
    tickets = list(db.session.scalars(sa.select(SupportTicket).order_by(SupportTicket.case_id)))
    assert [(t.tier, t.status) for t in tickets] == [(3, "resolved"), (1, "resolved"), (1, "open")]
    climbed = tickets[0]
    assert (climbed.tier1_username, climbed.tier2_username, climbed.resolved_by) == (
        "staff",
        "helpdesk",
        "itdept",
    )
    assert [row.transition for row in history(climbed.case_id)][1:] == [
        "submit",
        "escalate",
        "escalate",
        "resolve",
    ]


def test_the_subject_is_counted_in_characters(host):
    """200 Chinese characters (600 bytes) are a subject; 201 are refused naming the field,
    and nothing is written."""
    registry()
    client = host.test_client()
    case_id = file_ticket(client, subject="問" * 200)
    assert ticket(case_id).subject == "問" * 200
    cases = db.session.scalar(sa.select(sa.func.count()).select_from(Case))
    response = client.post(f"/cases/new/{SUPPORT_TICKET}", data={**TICKET, "subject": "問" * 201})
    assert response.status_code == 200
    text = visible_text(response.get_data(as_text=True))
    assert "Subject" in text and "200" in text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == cases
