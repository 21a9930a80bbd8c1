"""The roll-out compliance dashboard and the agency's own page (issue 12, section 4), in the
sample host under the Taipei profile (the TP-* rules apply): the seed-user limits at the
headcount boundaries 39/40/41/100 (TP-SEED-1), the administrators' minimum (TP-ADM-1), the
work group's deadline and convener (TP-WG-1), an excluded agency leaving the scope with its
case cited (TP-WG-1), a late roster report (TP-SEED-2), an overdue replacement (TP-SEED-3);
each breach with its rule ID and what fixes it; filters; the exports in three formats; zh
(ROC dates) and en; the chart's figures as a table and its scripts served from the package;
a test per role; and a number of SQL statements that does not grow with the agencies.
SQLite and PostgreSQL (the ``database_url`` fixture)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from casework import counting_queries, visible_text
from hosting import login

from appgov_plugin.db import Base
from appgov_plugin.rollout import views
from appgov_plugin.rollout.models import (
    Assignment,
    MajorSystem,
    RolloutAgency,
    RolloutPerson,
    SystemScope,
    UnfitFinding,
    WorkGroupFiling,
)
from sample_host.extensions import db

#: The dashboard's day (a Wednesday): 民國 115 年 12 月 2 日.
DAY = dt.date(2026, 12, 2)
DUE = DAY - dt.timedelta(days=30)  # the work groups' deadline (TP-WG-1), passed
STATIC = Path(views.__file__).resolve().parents[1] / "web" / "static"


@pytest.fixture
def host(make_host, monkeypatch):
    monkeypatch.setattr(views, "today", lambda: DAY)
    return make_host("taipei")


# -- building the registry ------------------------------------------------------------------

_people = iter(range(1, 10**6))


def add_system(code="erp", phase="golive", due=DUE) -> int:
    system = MajorSystem(
        code=code, name_zh=f"{code} 系統", name_en=f"{code} system", phase=phase, work_group_due=due
    )
    db.session.add(system)
    db.session.flush()
    return system.id


def add_agency(
    system_id: int,
    code: str,
    headcount: int,
    *,
    admins: int = 2,
    seeds: int = 2,
    kind: str = "level2",
    parent: str | None = None,
    city: str = "tainan",
    filed_on: dt.date | None = DUE,
    head_convener: bool = True,
) -> str:
    """An agency in scope of ``system_id``, with ``admins`` administrators and ``seeds`` seed
    users in the role on DAY, its work group filed on ``filed_on`` with a convener."""
    db.session.add(
        RolloutAgency(
            code=code,
            name_zh=f"{code} 機關",
            name_en=f"{code} agency",
            city=city,
            kind=kind,
            parent_code=parent,
            headcount=headcount,
            headcount_on=DAY - dt.timedelta(days=100),
        )
    )
    db.session.add(SystemScope(system_id=system_id, agency_code=code))
    roles = ["admin"] * admins + ["seed"] * seeds
    if filed_on is not None:
        roles.append("convener")
        db.session.add(WorkGroupFiling(system_id=system_id, agency_code=code, filed_on=filed_on))
    for role in roles:
        assign(system_id, code, role, unit_head=(role == "convener" and head_convener))
    db.session.flush()
    return code


def add_person(code: str, unit_head: bool = False, name: str | None = None) -> RolloutPerson:
    number = next(_people)
    person = RolloutPerson(
        employee_id=f"E{number:06d}",
        name=name or f"人員{number}",
        agency_code=code,
        title="科長" if unit_head else "科員",
        unit_head=unit_head,
    )
    db.session.add(person)
    db.session.flush()
    return person


def assign(
    system_id,
    code,
    role,
    *,
    person=None,
    unit_head=False,
    starts_on=DAY - dt.timedelta(days=60),
    ends_on=None,
    reported_on=None,
    due_on=None,
    case_id=None,
) -> Assignment:
    assignment = Assignment(
        system_id=system_id,
        agency_code=code,
        person_id=(person or add_person(code, unit_head)).id,
        role=role,
        starts_on=starts_on,
        ends_on=ends_on,
        reported_on=reported_on,
        due_on=due_on,
        case_id=case_id,
    )
    db.session.add(assignment)
    return assignment


def clear_registry() -> None:
    """No roll-out registry rows but the test's own: the demo's Tainan registry removed with
    every row that refers to it (meetings, tickets...), dependants first."""
    chosen: list[sa.Table] = []
    for table in Base.metadata.sorted_tables:
        if table.name.startswith("appgov_rollout_") or any(
            fk.column.table in chosen for fk in table.foreign_keys
        ):
            chosen.append(table)
    for table in reversed(chosen):
        db.session.execute(sa.delete(table))


def build(app, make) -> None:
    with app.app_context():
        clear_registry()
        make()
        db.session.commit()


def enter(client, username: str, locale: str = "en") -> None:
    """Log in as ``username`` and read the pages in ``locale``."""
    login(client, username)
    assert client.post(f"/locale/{locale}").status_code == 302


# -- reading the pages ----------------------------------------------------------------------


def page(client, url, expect=200, **query) -> str:
    response = client.get(url, query_string=query)
    assert response.status_code == expect, (url, query, response.status_code)
    return response.get_data(as_text=True)


def rows(text: str) -> dict[tuple[str, str], str]:
    """The dashboard's rows by (agency code, system code): each row's visible text."""
    found = re.findall(
        r'<tr data-agency="([^"]+)" data-system="([^"]+)">(.*?)</tr>', text, flags=re.S
    )
    return {(a, s): " ".join(visible_text(body).split()) for a, s, body in found}


def rules_of(row: str) -> set[str]:
    return set(re.findall(r"TP-[A-Z]+-\d", row))


def boundary_registry():
    """TP-SEED-1 at headcount 39, 40, 41 and 100 (limits (2,2), (2,2), (2,2), (2,5)) and
    TP-ADM-1 at 1 and 2 administrators."""
    system = add_system()
    add_agency(system, "rt-39-two", 39, seeds=2)
    add_agency(system, "rt-40-two", 40, seeds=2)
    add_agency(system, "rt-40-one", 40, seeds=1)
    add_agency(system, "rt-41-two", 41, seeds=2)
    add_agency(system, "rt-41-three", 41, seeds=3)
    add_agency(system, "rt-100-five", 100, seeds=5)
    add_agency(system, "rt-100-six", 100, seeds=6)
    add_agency(system, "rt-100-one-admin", 100, admins=1, seeds=5)


# -- the rules ------------------------------------------------------------------------------


def test_seed_user_limits_and_admin_minimum_at_the_boundaries_TP_SEED_1_TP_ADM_1(host):
    build(host, boundary_registry)
    client = host.test_client()
    enter(client, "itdept")
    shown = rows(page(client, "/appgov/rollout/"))
    assert rules_of(shown[("rt-39-two", "erp")]) == set()
    assert rules_of(shown[("rt-40-two", "erp")]) == set()
    assert rules_of(shown[("rt-41-two", "erp")]) == set()
    assert rules_of(shown[("rt-100-five", "erp")]) == set()
    assert "2 (2–2)" in shown[("rt-41-two", "erp")]
    assert "5 (2–5)" in shown[("rt-100-five", "erp")]
    # one over the maximum, one under the minimum, one administrator short
    assert rules_of(shown[("rt-41-three", "erp")]) == {"TP-SEED-1"}
    assert "3 seed users; at most 2 for a headcount of 41." in shown[("rt-41-three", "erp")]
    assert rules_of(shown[("rt-100-six", "erp")]) == {"TP-SEED-1"}
    assert "at most 5 for a headcount of 100" in shown[("rt-100-six", "erp")]
    assert rules_of(shown[("rt-40-one", "erp")]) == {"TP-SEED-1"}
    assert "1 seed users; at least 2" in shown[("rt-40-one", "erp")]
    assert rules_of(shown[("rt-100-one-admin", "erp")]) == {"TP-ADM-1"}
    assert "1 system administrators; at least 2." in shown[("rt-100-one-admin", "erp")]


def test_the_summary_counts_each_rule_and_the_chart_table_each_kind(host):
    def make():
        boundary_registry()
        system = add_system("hr")
        add_agency(system, "rt-school", 30, kind="school", seeds=1)
        add_agency(system, "rt-school-ok", 30, kind="school")

    build(host, make)
    client = host.test_client()
    enter(client, "itdept")
    text = page(client, "/appgov/rollout/", system="erp")
    summary = re.search(
        r'<table class="table table-sm rollout-rule-summary">(.*?)</table>', text, re.S
    )
    lines = {
        " ".join(visible_text(body).split())
        for body in re.findall(r"<tr>(.*?)</tr>", summary[1], re.S)
    }
    assert any(line.startswith("TP-SEED-1") and line.endswith("3 3") for line in lines), lines
    assert any(line.startswith("TP-ADM-1") and line.endswith("1 1") for line in lines), lines
    # the chart's figures (a data attribute, JSON) and the same figures as a table
    kinds = re.search(r'<table class="table table-sm rollout-kinds">(.*?)</table>', text, re.S)[1]
    level2 = " ".join(
        visible_text(re.search(r'<tr data-kind="level2">(.*?)</tr>', kinds, re.S)[1]).split()
    )
    assert level2 == "Level-2 agency 8 4 50%"
    assert 'data-kind="school"' not in kinds  # the filter: the schools are in another system
    data = json.loads(re.search(r'data-appgov-chart="([^"]+)"', text)[1].replace("&#34;", '"'))
    assert data["labels"] == ["Level-2 agency"] and data["values"] == [50]
    assert 'role="img"' in text and "aria-label=" in text
    text = page(client, "/appgov/rollout/", system="hr")
    kinds = re.search(r'<table class="table table-sm rollout-kinds">(.*?)</table>', text, re.S)[1]
    school = " ".join(
        visible_text(re.search(r'<tr data-kind="school">(.*?)</tr>', kinds, re.S)[1]).split()
    )
    assert school == "School 2 1 50%"


def test_an_excluded_agency_leaves_the_scope_with_its_case_cited_TP_WG_1(host):
    def make():
        system = add_system()
        add_agency(system, "rt-in", 40)
        add_agency(system, "rt-out", 40, seeds=0, admins=0, filed_on=None)
        scope = db.session.query(SystemScope).filter_by(agency_code="rt-out").one()
        scope.excluded_case_id = 4321
        scope.excluded_on = DAY - dt.timedelta(days=5)
        scope.excluded_note = "專案簽奉市長核定"
        # excluded from tomorrow: still in scope today
        add_agency(system, "rt-later", 40, seeds=0)
        later = db.session.query(SystemScope).filter_by(agency_code="rt-later").one()
        later.excluded_case_id, later.excluded_on = 4322, DAY + dt.timedelta(days=1)

    build(host, make)
    client = host.test_client()
    enter(client, "itdept")
    text = page(client, "/appgov/rollout/")
    shown = rows(text)
    assert ("rt-in", "erp") in shown and ("rt-later", "erp") in shown
    assert ("rt-out", "erp") not in shown
    excluded = re.search(
        r'<table class="table table-sm rollout-excluded">(.*?)</table>', text, re.S
    )[1]
    assert 'data-agency="rt-out"' in excluded and 'href="/cases/4321"' in excluded
    assert "4322" not in excluded and "專案簽奉市長核定" in excluded
    # the agency page says so too
    agency = page(client, "/appgov/rollout/agencies/rt-out")
    assert 'href="/cases/4321"' in agency and "TP-WG-1" in agency


def test_the_work_group_is_filed_by_its_deadline_with_a_unit_head_as_convener_TP_WG_1(host):
    def make():
        system = add_system(due=DAY - dt.timedelta(days=1))
        add_agency(system, "rt-on-time", 40, filed_on=DAY - dt.timedelta(days=1))
        add_agency(system, "rt-late", 40, filed_on=DAY)
        add_agency(system, "rt-never", 40, filed_on=None)
        add_agency(system, "rt-clerk", 40, head_convener=False)
        future = add_system("future", due=DAY)  # due today: not yet broken
        add_agency(future, "rt-future", 40, filed_on=None)

    build(host, make)
    client = host.test_client()
    enter(client, "admin")
    shown = rows(page(client, "/appgov/rollout/"))
    assert rules_of(shown[("rt-on-time", "erp")]) == set()
    assert rules_of(shown[("rt-late", "erp")]) == {"TP-WG-1"}
    assert "Work group not filed by 2026-12-01." in shown[("rt-late", "erp")]
    assert rules_of(shown[("rt-never", "erp")]) == {"TP-WG-1"}
    assert "does not head a first-level unit" in shown[("rt-clerk", "erp")]
    assert rules_of(shown[("rt-future", "future")]) == set()


def test_a_late_roster_report_and_an_overdue_replacement_TP_SEED_2_TP_SEED_3(host):
    def make():
        system = add_system()
        code = add_agency(system, "rt-late-report", 40)
        assign(
            system,
            code,
            "member",
            reported_on=DAY - dt.timedelta(days=3),
            due_on=DAY - dt.timedelta(days=5),
            starts_on=DAY - dt.timedelta(days=10),
            case_id=777,
        )
        code = add_agency(system, "rt-on-time-report", 40)
        assign(
            system,
            code,
            "member",
            reported_on=DAY - dt.timedelta(days=5),
            due_on=DAY - dt.timedelta(days=5),
            starts_on=DAY - dt.timedelta(days=10),
        )
        for code, due, replaced in (
            ("rt-overdue", DAY - dt.timedelta(days=1), None),
            ("rt-due-today", DAY, None),
            ("rt-replaced", DAY - dt.timedelta(days=2), DAY - dt.timedelta(days=3)),
        ):
            add_agency(system, code, 40)
            db.session.add(
                UnfitFinding(
                    person_id=add_person(code).id,
                    system_id=system,
                    agency_code=code,
                    reason="未完成種子人員訓練",
                    found_by="itdept",
                    requested_on=DAY - dt.timedelta(days=20),
                    due_on=due,
                    replacement_case_id=888 if code == "rt-overdue" else None,
                    replaced_on=replaced,
                )
            )

    build(host, make)
    client = host.test_client()
    enter(client, "itdept")
    text = page(client, "/appgov/rollout/")
    shown = rows(text)
    assert rules_of(shown[("rt-late-report", "erp")]) == {"TP-SEED-2"}
    assert "1 roster change reported after its deadline" in shown[("rt-late-report", "erp")]
    assert rules_of(shown[("rt-on-time-report", "erp")]) == set()
    assert rules_of(shown[("rt-overdue", "erp")]) == {"TP-SEED-3"}
    assert rules_of(shown[("rt-due-today", "erp")]) == set()
    assert rules_of(shown[("rt-replaced", "erp")]) == set()
    late = re.search(r'<tr data-agency="rt-late-report".*?</tr>', text, re.S)[0]
    assert 'href="/appgov/rollout/agencies/rt-late-report"' in late
    assert "The agency files:" not in late  # a late report is history: no new case fixes it
    # what fixes it: the finding's replacement case
    overdue = re.search(r'<tr data-agency="rt-overdue".*?</tr>', text, re.S)[0]
    assert 'href="/cases/888"' in overdue
    # the agency page: the late report flagged in the person's history, with its case
    agency = page(client, "/appgov/rollout/agencies/rt-late-report")
    assert 'href="/cases/777"' in agency and "late: due 2026-11-27" in agency


def test_minutes_late_or_missing_break_tp_wg_3_with_the_agencys_meetings_linked(host):
    from appgov_plugin.rollout.models_meetings import Meeting

    def make():
        system = add_system()
        for code, received in (
            ("rt-no-minutes", None),
            ("rt-late-minutes", DAY - dt.timedelta(days=2)),
            ("rt-minutes-on-time", DAY - dt.timedelta(days=12)),
        ):
            add_agency(system, code, 40)
            db.session.add(
                Meeting(
                    system_id=system,
                    body="work_group",
                    agency_code=code,
                    held_on=DAY - dt.timedelta(days=20),
                    mode="in_person",
                    minutes_due_on=DAY - dt.timedelta(days=10),
                    minutes_received_on=received,
                )
            )

    build(host, make)
    client = host.test_client()
    enter(client, "itdept")
    text = page(client, "/appgov/rollout/")
    shown = rows(text)
    assert rules_of(shown[("rt-no-minutes", "erp")]) == {"TP-WG-3"}
    assert rules_of(shown[("rt-late-minutes", "erp")]) == {"TP-WG-3"}
    assert rules_of(shown[("rt-minutes-on-time", "erp")]) == set()
    assert "1 work-group meeting's minutes late or missing" in shown[("rt-no-minutes", "erp")]
    summary = re.search(r"rollout-rule-summary\">(.*?)</table>", text, re.S)[1]
    assert "TP-WG-3" in summary
    if views.MEETINGS_PAGE in host.view_functions:
        row = re.search(r'<tr data-agency="rt-no-minutes".*?</tr>', text, re.S)[0]
        assert 'href="/appgov/rollout/agencies/rt-no-minutes/meetings"' in row


def test_what_fixes_a_breach_for_the_agency_and_for_the_administrator(host):
    def make():
        system = add_system()
        add_agency(system, "tainan-tourism", 100, seeds=1, kind="level1")

    build(host, make)
    client = host.test_client()
    enter(client, "staff")  # the agency's own staff file the roster change
    text = page(client, "/appgov/rollout/agencies/tainan-tourism")
    assert "TP-SEED-1" in text
    assert 'href="/cases/new/appgov_admin_seed_nomination"' in text
    enter(client, "itdept")  # the IT department is told who files it
    text = page(client, "/appgov/rollout/")
    row = re.search(r'<tr data-agency="tainan-tourism".*?</tr>', text, re.S)[0]
    assert "/cases/new/" not in row and "The agency files:" in visible_text(row)
    assert "/admin/" not in row
    enter(client, "admin")
    row = re.search(
        r'<tr data-agency="tainan-tourism".*?</tr>', page(client, "/appgov/rollout/"), re.S
    )[0]
    # the Flask-Admin record of the registry's assignments (appgov_plugin/rollout/admin.py)
    links = re.findall(r'href="(/admin/[^"]+)"', row)
    assert links and all(link.startswith("/admin/appgov_rollout_") for link in links)
    for link in set(links):
        assert client.get(link.replace("&amp;", "&")).status_code == 200, link


def test_the_agency_page_shows_todays_roster_and_each_persons_history(host):
    def make():
        system = add_system()
        code = add_agency(system, "rt-history", 40, seeds=1)
        person = add_person(code, name="林怡君")
        assign(
            system,
            code,
            "member",
            person=person,
            starts_on=DAY - dt.timedelta(days=200),
            ends_on=DAY - dt.timedelta(days=50),
        )
        assign(system, code, "seed", person=person, starts_on=DAY - dt.timedelta(days=50))

    build(host, make)
    client = host.test_client()
    enter(client, "itdept")
    text = page(client, "/appgov/rollout/agencies/rt-history")
    roster = re.search(r'<table class="table table-sm rollout-roster">(.*?)</table>', text, re.S)[1]
    seeds = re.search(r'<tr data-role="seed">(.*?)</tr>', roster, re.S)[1]
    member = re.search(r'<tr data-role="member">(.*?)</tr>', roster, re.S)[1]
    assert "林怡君" in seeds and "林怡君" not in member
    history = re.search(r'<table class="table table-sm rollout-history">(.*?)</table>', text, re.S)[
        1
    ]
    mine = " ".join(visible_text(history.split("林怡君", 1)[1]).split())
    assert mine.startswith("E")
    assert "Work-group member 2026-05-16 2026-10-13" in mine
    assert "Seed user 2026-10-13 in the role" in mine
    assert "TP-SEED-1" not in text  # two seeds now: within the limits


# -- filters, exports, languages ------------------------------------------------------------


def test_filters_by_system_phase_kind_and_parent_and_bad_ones_named(host):
    def make():
        erp = add_system("erp", phase="golive")
        hr = add_system("hr", phase="planning")
        add_agency(erp, "rt-bureau", 400, kind="level1", seeds=1)
        add_agency(erp, "rt-school-a", 30, kind="school", parent="rt-bureau")
        add_agency(hr, "rt-district", 40, kind="district", seeds=1)

    build(host, make)
    client = host.test_client()
    enter(client, "itdept")
    assert set(rows(page(client, "/appgov/rollout/", system="hr"))) == {("rt-district", "hr")}
    assert set(rows(page(client, "/appgov/rollout/", phase="golive"))) >= {
        ("rt-bureau", "erp"),
        ("rt-school-a", "erp"),
    }
    assert ("rt-district", "hr") not in rows(page(client, "/appgov/rollout/", phase="golive"))
    assert set(rows(page(client, "/appgov/rollout/", kind="school"))) == {("rt-school-a", "erp")}
    assert set(rows(page(client, "/appgov/rollout/", parent="rt-bureau"))) == {
        ("rt-bureau", "erp"),
        ("rt-school-a", "erp"),
    }
    breaching = set(rows(page(client, "/appgov/rollout/", breaches="1")))
    assert ("rt-bureau", "erp") in breaching and ("rt-school-a", "erp") not in breaching
    for name, value, label in (
        ("system", "nope", "System:"),
        ("phase", "later", "Phase:"),
        ("kind", "ministry", "Agency kind:"),
        ("parent", "rt-elsewhere", "Parent agency:"),
        ("page", "0", "Page:"),
    ):
        text = page(client, "/appgov/rollout/", expect=400, **{name: value})
        assert label in visible_text(text) and "data-agency" not in text
        assert client.get("/appgov/rollout.csv", query_string={name: value}).status_code == 400


def test_the_dashboard_exports_as_csv_xlsx_and_ods(host):
    build(host, boundary_registry)
    client = host.test_client()
    enter(client, "itdept")
    response = client.get("/appgov/rollout.csv", query_string={"breaches": "1"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    table = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    header, body = table[0], {row[4]: row for row in table[1:]}
    assert header[4] == "Agency code" and header[15] == "Rules broken"
    assert set(body) >= {"rt-41-three", "rt-100-six", "rt-40-one", "rt-100-one-admin"}
    assert "rt-41-two" not in body  # breaches only
    assert body["rt-41-three"][15] == "TP-SEED-1" and body["rt-41-three"][12] == "2"
    assert body["rt-100-one-admin"][15] == "TP-ADM-1"
    for fmt, member in (("xlsx", "xl/workbook.xml"), ("ods", "content.xml")):
        response = client.get(f"/appgov/rollout.{fmt}")
        assert response.status_code == 200, fmt
        with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
            assert member in archive.namelist()
            sheets = "".join(
                archive.read(n).decode() for n in archive.namelist() if n.endswith(".xml")
            )
        assert "rt-41-three" in sheets and "TP-SEED-1" in sheets


def test_zh_pages_show_roc_dates_and_en_pages_iso_dates(host):
    build(host, boundary_registry)
    client = host.test_client()
    enter(client, "itdept", "zh_Hant_TW")
    text = page(client, "/appgov/rollout/")
    assert re.search(r'<html lang="zh-Hant-TW"', text)
    assert "115/12/02" in text and "115/11/02" in text  # today, the work groups' deadline
    assert "2026-12-02" not in visible_text(text)
    agency = page(client, "/appgov/rollout/agencies/rt-40-one")
    assert "115/08/24" in agency  # the headcount's date
    client.post("/locale/en")
    text = page(client, "/appgov/rollout/")
    assert re.search(r'<html lang="en"', text)
    assert "2026-12-02" in text and "115/12/02" not in text


# -- who reads what -------------------------------------------------------------------------


def scoped_registry():
    system = add_system()
    add_agency(system, "tainan-tourism", 100, seeds=1, kind="level1")
    add_agency(system, "rt-tainan-school", 30, kind="school", city="tainan")
    add_agency(system, "rt-taipei-school", 30, kind="school", city="taipei", seeds=0)


@pytest.mark.parametrize("username", ["admin", "itdept"])
def test_the_administrator_and_the_it_department_read_the_dashboard(host, username):
    build(host, scoped_registry)
    client = host.test_client()
    enter(client, username)
    shown = rows(page(client, "/appgov/rollout/"))
    assert ("tainan-tourism", "erp") in shown and ("rt-tainan-school", "erp") in shown
    # the IT department sees its own city's agencies only; another city's is a 404
    other = ("rt-taipei-school", "erp") in shown
    assert other == (username == "admin")
    page(client, "/appgov/rollout/agencies/rt-taipei-school", expect=200 if other else 404)
    page(client, "/appgov/rollout/agencies/rt-tainan-school")
    page(client, "/appgov/rollout/agencies/no-such-agency", expect=404)
    assert client.get("/appgov/rollout.csv").status_code == 200
    assert 'href="/appgov/rollout/"' in page(client, "/inbox")  # the navigation's link


@pytest.mark.parametrize("username", ["reviewer", "mayor", "helpdesk", "officer"])
def test_other_city_wide_roles_are_refused(host, username):
    build(host, scoped_registry)
    client = host.test_client()
    enter(client, username)
    page(client, "/appgov/rollout/", expect=403)
    assert client.get("/appgov/rollout.csv").status_code == 403
    page(client, "/appgov/rollout/agencies/tainan-tourism", expect=403)
    assert 'href="/appgov/rollout/"' not in page(client, "/inbox")


@pytest.mark.parametrize("username", ["staff", "head"])
def test_agency_staff_and_head_read_their_own_agency_page_only(host, username):
    build(host, scoped_registry)
    client = host.test_client()
    enter(client, username)
    page(client, "/appgov/rollout/", expect=403)
    assert client.get("/appgov/rollout.xlsx").status_code == 403
    text = page(client, "/appgov/rollout/agencies/tainan-tourism")
    assert "TP-SEED-1" in text and 'href="/appgov/rollout/"' not in text
    # another agency's code, guessed or real, answers as a missing one
    for code in ("rt-tainan-school", "rt-taipei-school", "tainan-sdc", "x" * 41):
        page(client, f"/appgov/rollout/agencies/{code}", expect=404)
    assert 'href="/appgov/rollout/"' not in page(client, "/inbox")


def test_anonymous_visitors_are_sent_to_log_in(host):
    client = host.test_client()
    for url in (
        "/appgov/rollout/",
        "/appgov/rollout/agencies/tainan-tourism",
        "/appgov/rollout.csv",
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.location


# -- the chart's scripts, the query count ---------------------------------------------------


def test_the_chart_scripts_are_served_from_the_package_and_no_script_is_inline(host):
    build(host, boundary_registry)
    client = host.test_client()
    enter(client, "itdept")
    text = page(client, "/appgov/rollout/")
    sources = re.findall(r'<script src="([^"]+)"', text)
    assert "/appgov/static/vendor/chartjs/chart.umd.min.js" in sources
    assert "/appgov/static/appgov-charts.js" in sources  # the one chart script
    for source in sources:
        assert source.startswith("/"), source  # never from the internet
    for tag in re.findall(r"<script\b[^>]*>", text):
        assert " src=" in tag or "nonce=" in tag, tag
    assert not re.search(r"<[a-zA-Z][^>]*?\son[a-z]+\s*=", text)
    response = client.get("/appgov/static/vendor/chartjs/chart.umd.min.js")
    assert response.status_code == 200 and b"Chart.js v4" in response.data
    assert (STATIC / "vendor" / "chartjs" / "LICENSE.md").read_text().startswith("The MIT License")


def many_agencies(system_ids: list[int], start: int, count: int) -> None:
    for number in range(start, start + count):
        for system in system_ids:
            code = f"rt-{number:04d}"
            if system != system_ids[0]:
                db.session.add(SystemScope(system_id=system, agency_code=code))
                for role in ("admin", "seed", "seed"):
                    assign(system, code, role)
            else:
                add_agency(system, code, 40 + number, seeds=1 + number % 4, admins=1 + number % 2)
        if number % 5 == 0:
            db.session.add(
                UnfitFinding(
                    person_id=add_person(code).id,
                    system_id=system_ids[0],
                    agency_code=code,
                    reason="不適任",
                    found_by="itdept",
                    requested_on=DAY - dt.timedelta(days=30),
                    due_on=DAY - dt.timedelta(days=5),
                    replacement_case_id=900 + number,
                )
            )


@pytest.mark.parametrize("username", ["admin", "itdept"])
def test_the_number_of_statements_does_not_grow_with_the_agencies(host, username):
    """3 agencies or 60 in two systems, each with breaches of every kind: the same number
    of SQL statements for the dashboard, its export and an agency's page."""
    with host.app_context():
        clear_registry()
        systems = [add_system("erp"), add_system("hr", due=DAY + dt.timedelta(days=30))]
        many_agencies(systems, 0, 3)
        db.session.commit()
    client = host.test_client()
    enter(client, username)

    def statements() -> list[int]:
        counts = []
        for url in ("/appgov/rollout/", "/appgov/rollout.csv", "/appgov/rollout/agencies/rt-0000"):
            page(client, url)  # warm: the host's own first-request reads
            with counting_queries(host) as sent:
                text = page(client, url)
            counts.append(len(sent))
            if url == "/appgov/rollout/":
                breaches = rules_of(text)
        assert breaches >= {"TP-SEED-1", "TP-ADM-1", "TP-SEED-3"}
        return counts

    few = statements()
    with host.app_context():
        systems = [s.id for s in db.session.query(MajorSystem).order_by(MajorSystem.code)]
        many_agencies(systems, 3, 57)
        db.session.commit()
    assert len(rows(page(client, "/appgov/rollout/"))) >= 100  # a full page of 60 × 2
    assert statements() == few
