"""The roll-out compliance of every agency in scope of a major system, on one day.

For each (system, agency) in scope and not excluded (TP-WG-1), :func:`compliance` checks:

* **TP-ADM-1** -- system administrators in the role that day >= ``policy.min_system_admins()``;
* **TP-SEED-1** -- seed users that day within ``policy.seed_user_limits(headcount)``;
* **TP-WG-1** -- the work group filed with the IT department by the system's deadline, with
  a convener who heads a first-level unit or above;
* **TP-WG-2 / TP-SEED-2** -- roster changes reported after their ``roster_change`` deadline;
* **TP-SEED-3** -- unfit persons not replaced by their ``replacement`` deadline;
* **TP-WG-3 / TP-WG-4** -- work-group minutes late or missing, a council seat lost and not
  filled (:func:`.meetings.meeting_breaches`, two statements).

The number of SQL statements does not grow with the agencies or systems: one per table
read (scope, agencies, role counts with the conveners, filings, late reports, unfit
findings), each grouped in the database; the rest is dictionary work in Python
(``tests/test_rollout_compliance.py`` counts them). ``benchmarks/rollout_dashboard.py``
sets it beside one hand-written SQL query that computes the same breaches.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa

from .models import (
    Assignment,
    MajorSystem,
    RolloutAgency,
    RolloutPerson,
    SystemScope,
    UnfitFinding,
    WorkGroupFiling,
)

#: The checks, in the order the dashboard shows them, with their rule IDs.
CHECKS = {
    "admins": "TP-ADM-1",
    "seeds_low": "TP-SEED-1",
    "seeds_high": "TP-SEED-1",
    "work_group": "TP-WG-1",
    "convener": "TP-WG-1",
    "late_report": "TP-SEED-2",
    "replacement": "TP-SEED-3",
    # .meetings.meeting_breaches (issue 12, section 3)
    "minutes": "TP-WG-3",
    "council_seat": "TP-WG-4",
}


@dataclass(frozen=True)
class Breach:
    """One broken rule: ``check`` (a key of :data:`CHECKS`), its ``rule`` and the figures
    the message needs (``have``, ``need``: a count and its bound; ``due``: a date)."""

    check: str
    rule: str
    have: int | None = None
    need: int | None = None
    due: dt.date | None = None


@dataclass
class AgencyStatus:
    """One agency in scope of one system, that day."""

    system_id: int
    agency_code: str
    kind: str | None
    parent_code: str | None
    headcount: int | None
    admins: int = 0
    seeds: int = 0
    seed_limits: tuple[int, int] | None = None
    min_admins: int = 0
    work_group_filed_on: dt.date | None = None
    breaches: list[Breach] = field(default_factory=list)

    @property
    def compliant(self) -> bool:
        return not self.breaches


@dataclass
class Excluded:
    """An agency taken out of a system's scope by a mayor-approved case (TP-WG-1)."""

    system_id: int
    agency_code: str
    case_id: int | None
    excluded_on: dt.date | None
    note: str | None


@dataclass
class Compliance:
    day: dt.date
    systems: dict[int, MajorSystem]
    statuses: list[AgencyStatus]
    excluded: list[Excluded]
    #: The registry's agencies read (code -> a row of code, names, city, kind, parent_code,
    #: headcount): their names, kinds and parents.
    agencies: dict[str, sa.Row] = field(default_factory=dict)

    def breaches_by_rule(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for status in self.statuses:
            for breach in status.breaches:
                counts[breach.rule] += 1
        return dict(counts)


def _in(column, values: Iterable | None):
    return sa.true() if values is None else column.in_(list(values))


def compliance(
    session,
    policy,
    day: dt.date,
    *,
    system_ids: Iterable[int] | None = None,
    agency_codes: Iterable[str] | None = None,
    kinds: Iterable[str] | None = None,
    parent_code: str | None = None,
    phases: Iterable[str] | None = None,
) -> Compliance:
    """Every agency in scope of the chosen systems on ``day``, with its breaches.

    ``agency_codes`` limits the agencies (a reader's visible agencies; ``None``: all);
    ``kinds``, ``parent_code`` and ``phases`` are the dashboard's filters.
    """
    system_ids = None if system_ids is None else set(system_ids)
    agency_codes = None if agency_codes is None else set(agency_codes)
    systems_query = sa.select(MajorSystem).where(_in(MajorSystem.id, system_ids))
    if phases is not None:
        systems_query = systems_query.where(MajorSystem.phase.in_(list(phases)))
    systems = {s.id: s for s in session.scalars(systems_query.order_by(MajorSystem.code))}
    result = Compliance(day=day, systems=systems, statuses=[], excluded=[])
    if not systems:
        return result

    # the columns the checks and the names need, as rows (not entities: a fifth of the time)
    agencies_query = sa.select(
        RolloutAgency.code,
        RolloutAgency.name_zh,
        RolloutAgency.name_en,
        RolloutAgency.city,
        RolloutAgency.kind,
        RolloutAgency.parent_code,
        RolloutAgency.headcount,
    ).where(_in(RolloutAgency.code, agency_codes))
    if kinds is not None:
        agencies_query = agencies_query.where(RolloutAgency.kind.in_(list(kinds)))
    if parent_code:
        agencies_query = agencies_query.where(
            sa.or_(RolloutAgency.parent_code == parent_code, RolloutAgency.code == parent_code)
        )
    filtered = kinds is not None or bool(parent_code)
    agencies = {a.code: a for a in session.execute(agencies_query)}
    result.agencies = agencies

    scope_rows = session.execute(
        sa.select(
            SystemScope.system_id,
            SystemScope.agency_code,
            SystemScope.excluded_case_id,
            SystemScope.excluded_on,
            SystemScope.excluded_note,
        )
        .where(SystemScope.system_id.in_(list(systems)))
        .where(_in(SystemScope.agency_code, agency_codes))
        .order_by(SystemScope.system_id, SystemScope.agency_code)
    ).all()

    active = sa.and_(
        Assignment.starts_on <= day, sa.or_(Assignment.ends_on.is_(None), Assignment.ends_on > day)
    )
    # the administrators, the seed users and whether a unit head convenes, per agency and
    # system in one grouped statement (one row per agency and system, not per role)
    counts: dict[tuple[int, str, str], int] = {}
    conveners_led_by_heads: set[tuple[int, str]] = set()
    led_by_head = sa.and_(Assignment.role == "convener", RolloutPerson.unit_head.is_(True))
    for system_id, code, admins, seeds, head in session.execute(
        sa.select(
            Assignment.system_id,
            Assignment.agency_code,
            sa.func.sum(sa.case((Assignment.role == "admin", 1), else_=0)),
            sa.func.sum(sa.case((Assignment.role == "seed", 1), else_=0)),
            sa.func.max(sa.case((led_by_head, 1), else_=0)),
        )
        .join(RolloutPerson, RolloutPerson.id == Assignment.person_id)
        .where(Assignment.system_id.in_(list(systems)), active)
        .where(_in(Assignment.agency_code, agency_codes))
        .group_by(Assignment.system_id, Assignment.agency_code)
    ):
        counts[(system_id, code, "admin")] = int(admins or 0)
        counts[(system_id, code, "seed")] = int(seeds or 0)
        if head:
            conveners_led_by_heads.add((system_id, code))

    filed: dict[tuple[int, str], dt.date] = {
        (system_id, code): first
        for system_id, code, first in session.execute(
            sa.select(
                WorkGroupFiling.system_id,
                WorkGroupFiling.agency_code,
                sa.func.min(WorkGroupFiling.filed_on),
            )
            .where(WorkGroupFiling.system_id.in_(list(systems)), WorkGroupFiling.filed_on <= day)
            .where(_in(WorkGroupFiling.agency_code, agency_codes))
            .group_by(WorkGroupFiling.system_id, WorkGroupFiling.agency_code)
        )
    }

    # TP-WG-2 / TP-SEED-2: changes of the last year reported after their deadline
    late: dict[tuple[int, str], tuple[int, dt.date]] = {
        (system_id, code): (number, latest)
        for system_id, code, number, latest in session.execute(
            sa.select(
                Assignment.system_id,
                Assignment.agency_code,
                sa.func.count(),
                sa.func.max(Assignment.due_on),
            )
            .where(Assignment.system_id.in_(list(systems)))
            .where(Assignment.reported_on > Assignment.due_on)
            .where(Assignment.starts_on > day - dt.timedelta(days=365), Assignment.starts_on <= day)
            .where(_in(Assignment.agency_code, agency_codes))
            .group_by(Assignment.system_id, Assignment.agency_code)
        )
    }

    overdue: dict[tuple[int, str], tuple[int, dt.date]] = {
        (system_id, code): (number, earliest)
        for system_id, code, number, earliest in session.execute(
            sa.select(
                UnfitFinding.system_id,
                UnfitFinding.agency_code,
                sa.func.count(),
                sa.func.min(UnfitFinding.due_on),
            )
            .where(UnfitFinding.system_id.in_(list(systems)), UnfitFinding.due_on < day)
            .where(sa.or_(UnfitFinding.replaced_on.is_(None), UnfitFinding.replaced_on > day))
            .where(UnfitFinding.requested_on <= day)
            .where(_in(UnfitFinding.agency_code, agency_codes))
            .group_by(UnfitFinding.system_id, UnfitFinding.agency_code)
        )
    }

    # TP-WG-3 (work-group minutes late or missing) and TP-WG-4 (council seat lost): two
    # statements (.meetings, which imports this module)
    from .meetings import meeting_breaches

    meeting = meeting_breaches(session, day, systems, agency_codes)

    min_admins = policy.min_system_admins()
    limits_of: dict[int, tuple[int, int]] = {}
    for system_id, code, excluded_case, excluded_on, note in scope_rows:
        agency = agencies.get(code)
        if agency is None and filtered:
            continue
        if excluded_on is not None and excluded_on <= day:
            result.excluded.append(Excluded(system_id, code, excluded_case, excluded_on, note))
            continue
        system = systems[system_id]
        key = (system_id, code)
        status = AgencyStatus(
            system_id=system_id,
            agency_code=code,
            kind=agency.kind if agency else None,
            parent_code=agency.parent_code if agency else None,
            headcount=agency.headcount if agency else None,
            admins=counts.get((system_id, code, "admin"), 0),
            seeds=counts.get((system_id, code, "seed"), 0),
            min_admins=min_admins,
            work_group_filed_on=filed.get(key),
        )
        breaches = status.breaches
        if status.admins < min_admins:
            breaches.append(Breach("admins", "TP-ADM-1", status.admins, min_admins))
        if status.headcount is not None:
            if status.headcount not in limits_of:
                limits_of[status.headcount] = policy.seed_user_limits(status.headcount)
            low, high = status.seed_limits = limits_of[status.headcount]
            if status.seeds < low:
                breaches.append(Breach("seeds_low", "TP-SEED-1", status.seeds, low))
            elif status.seeds > high:
                breaches.append(Breach("seeds_high", "TP-SEED-1", status.seeds, high))
        due = system.work_group_due
        if due is not None and due < day and (key not in filed or filed[key] > due):
            breaches.append(Breach("work_group", "TP-WG-1", due=due))
        if key in filed and key not in conveners_led_by_heads:
            breaches.append(Breach("convener", "TP-WG-1"))
        if key in late:
            number, latest = late[key]
            breaches.append(Breach("late_report", "TP-SEED-2", have=number, due=latest))
        if key in overdue:
            number, earliest = overdue[key]
            breaches.append(Breach("replacement", "TP-SEED-3", have=number, due=earliest))
        breaches.extend(meeting.get(key, ()))
        result.statuses.append(status)
    return result
