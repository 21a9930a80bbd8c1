"""Demonstration roll-out reports, where the deployment runs a roll-out (TP-*): the first
agency staff's work-group roster submitted to the IT department, and their nomination of
system administrators and seed users drafted.

Runs after the demo registry (:mod:`.demo_registry`). The reports then name the registry's
people of the agency by employee id, on the major system at go-live that has the agency in
its scope (roster cases are checked against the registry, TP-WG-1, TP-SEED-1): the roster
reports a member who joined the work group a few working days ago (on time, TP-WG-2); the
draft nominates a second seed user from tomorrow, which fixes the agency's shortfall
(TP-SEED-1) once it is submitted and the IT department accepts it. Without a registry the
forms' sample answers are filed.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from ..clock import today
from ..demo import agency_staff, file_offered
from ..state import get_state
from .case_types import ADMIN_SEED_NOMINATION, WORK_GROUP_ROSTER, case_types
from .models import Assignment, MajorSystem, RolloutPerson, SystemScope

#: The demo's made-up office telephone (the registry keeps no phone numbers).
PHONE = "06-298-{:04d}"


def load(open_case, users) -> None:
    owner = agency_staff(users)
    if owner is None:
        return
    file_offered(
        open_case,
        case_types(),
        owner,
        {WORK_GROUP_ROSTER: ("submit",)},
        answers=registry_answers(owner.agency_code),
    )


def _row(person: RolloutPerson, unit: str, **extra) -> dict:
    return {
        "employee_id": person.employee_id,
        "name": person.name,
        "title": person.title or "",
        "unit": unit,
        "phone": PHONE.format(person.id % 10_000),
        "email": person.email or f"{person.employee_id.lower()}@example.org",
        **extra,
    }


def _system(session, agency_code: str) -> MajorSystem | None:
    """The registry's system at go-live (else any) that has the agency in its scope."""
    systems = session.scalars(
        sa.select(MajorSystem)
        .join(SystemScope, SystemScope.system_id == MajorSystem.id)
        .where(SystemScope.agency_code == agency_code, SystemScope.excluded_on.is_(None))
        .order_by(MajorSystem.phase != "golive", MajorSystem.code)
    ).all()
    return systems[0] if systems else None


def registry_answers(agency_code: str) -> dict[str, dict] | None:
    """The two reports' answers from the registry, by case type; ``None`` without one."""
    session = get_state().session
    system = _system(session, agency_code)
    if system is None:
        return None
    policy = get_state().policy()
    day = today()
    held: dict[str, list[RolloutPerson]] = {}
    for assignment in session.scalars(
        sa.select(Assignment)
        .where(Assignment.system_id == system.id, Assignment.agency_code == agency_code)
        .where(Assignment.starts_on <= day)
        .where(sa.or_(Assignment.ends_on.is_(None), Assignment.ends_on > day))
        .order_by(Assignment.id)
    ):
        held.setdefault(assignment.role, []).append(assignment.person)
    in_roles = {p.id for people in held.values() for p in people}
    others = session.scalars(
        sa.select(RolloutPerson)
        .where(RolloutPerson.agency_code == agency_code, RolloutPerson.left_on.is_(None))
        .where(RolloutPerson.id.not_in(in_roles) if in_roles else sa.true())
        .order_by(RolloutPerson.id)
    ).all()
    if not held.get("convener") or len(held.get("admin", ())) < 2 or len(others) < 2:
        return None
    unit = "資訊推動小組"
    joined, nominated = others[0], others[1]
    joined_on = day - dt.timedelta(days=1)
    while not policy.is_working_day(joined_on):
        joined_on -= dt.timedelta(days=1)
    roster = [_row(held["convener"][0], unit, role="convener")]
    roster += [_row(p, unit, role="admin") for p in held.get("admin", ())]
    roster += [_row(p, unit, role="seed") for p in held.get("seed", ())]
    roster += [_row(p, unit, role="member") for p in [*held.get("member", ()), joined]]
    seeds = [*held.get("seed", ()), nominated]
    return {
        WORK_GROUP_ROSTER: {
            "system_name": system.name_zh,
            "report_kind": "change",
            "effective_on": joined_on.isoformat(),
            "change_summary": f"{joined.name}加入工作小組為組員。",
            "reported_on": day.isoformat(),
            "members": roster,
            "convener_level": True,
        },
        ADMIN_SEED_NOMINATION: {
            "system_name": system.name_zh,
            "change_kind": "change",
            "effective_on": (day + dt.timedelta(days=1)).isoformat(),
            "change_summary": f"增派{nominated.name}為機關種子人員（至少二名，TP-SEED-1）。",
            "admins": [_row(p, unit) for p in held["admin"]],
            "seeds": [_row(p, unit, duties=f"{system.name_zh}操作輔導") for p in seeds],
        },
    }
