"""Roster changes as cases (TP-WG-1/2, TP-ADM-1, TP-SEED-1/2/3).

An agency files its system administrators and seed users (``admin_seed_nomination``) or its
work group (``work_group_roster``) for one major system with the IT department. Each list
is the **complete roster from the effective date on**: a person on it who does not hold
the role yet starts then, a person who holds it and is left out stops then.

Checked when the case is submitted and again when the IT department accepts it
(:func:`problem`; a refusal names the rule, the field and the row, and writes nothing):

* the system (``system_name``: its code or its name in either language) is one of the
  registry's and the agency is in its scope (not excluded, TP-WG-1);
* every person is named by employee id (version 1 cases, without the column: by e-mail),
  exists in the registry, belongs to the case's agency and has not left it by the effective
  date; nobody is named twice for one role;
* TP-ADM-1: at least ``policy.min_system_admins()`` administrators; TP-SEED-1: seed users
  within ``policy.seed_user_limits(headcount)`` of the **registry's** headcount -- unless
  the change is a replacement in progress (``change_kind == "replacement"`` with an open
  :class:`~.models.UnfitFinding` for the agency and system);
* TP-SEED-3: a replacement names nobody the IT department found unfit (open finding);
* TP-WG-1: the work group has one convener, who heads a first-level unit or above.

A registry with no major system at all checks nothing (a deployment filing the forms
without keeping the registry, as before the registry existed): the case is a plain filing.

When accepted (:func:`apply`), the rows become :class:`~.models.Assignment` rows from the
effective date (``starts_on``; people left out get ``ends_on``), with ``reported_on`` (the
day the case was submitted) and ``due_on = policy.deadline("roster_change", effective)``
(TP-WG-2, TP-SEED-2: a report after ``due_on`` is late); an accepted work-group roster is
also a :class:`~.models.WorkGroupFiling` (TP-WG-1); an accepted replacement closes the
findings it answers (``replaced_on``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from .. import clock
from ..db import write_lock
from ..forms.schema import Text
from ..i18n import _, _l, format_date
from ..state import get_state
from .case_types import ADMIN_SEED_NOMINATION, WORK_GROUP_ROSTER
from .models import (
    Assignment,
    MajorSystem,
    RolloutAgency,
    RolloutPerson,
    SystemScope,
    UnfitFinding,
    WorkGroupFiling,
)

TYPES = frozenset({ADMIN_SEED_NOMINATION, WORK_GROUP_ROSTER})
#: The role of each list of the nomination form, and of each row role of the work group.
NOMINATION_LISTS = {"admins": "admin", "seeds": "seed"}
WORK_GROUP_ROLES = {"convener": "convener", "admin": "member", "seed": "member", "member": "member"}
#: The roles each case type manages (the rest of the person's roles stay as they are).
MANAGED = {ADMIN_SEED_NOMINATION: ("admin", "seed"), WORK_GROUP_ROSTER: ("convener", "member")}
REPLACEMENT = "replacement"

_FALLBACK_LABELS = {
    "system_name": _l("Major information system"),
    "admins": _l("System administrators"),
    "seeds": _l("Seed users"),
    "members": _l("Member list"),
    "employee_id": _l("Employee ID"),
    "email": _l("E-mail"),
    "role": _l("Role"),
    "effective_on": _l("Date the change takes effect"),
    "change_kind": _l("Kind of report"),
}


class RosterError(ValueError):
    """A roster the rules refuse: ``str()`` is the message (it names the rule, the field
    and the row), ``field`` the form field at fault."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass
class Roster:
    """A roster case read against the registry: the system, the agency, the effective date
    and the people of each managed role (``people[role]``: persons in the list's order)."""

    case: Any
    system: MajorSystem
    agency: RolloutAgency | None
    effective_on: dt.date
    change_kind: str
    people: dict[str, list[RolloutPerson]] = field(default_factory=dict)

    @property
    def replacement(self) -> bool:
        return self.change_kind == REPLACEMENT


# -- labels ----------------------------------------------------------------------------------


_UNREAD = object()


def _definition(case):
    """The form definition the case was filed with, read once per case object (the labels
    of a refusal and the columns ask it for every row)."""
    known = getattr(case, "_appgov_roster_form", _UNREAD)
    if known is not _UNREAD:
        return known
    from ..forms import store

    definition = None
    try:
        if case.form_key and case.form_version:
            definition = store.get(case.form_key, case.form_version)
    except (LookupError, ValueError):
        definition = None
    # a case object that takes no attribute is read again next time
    with contextlib.suppress(AttributeError):
        case._appgov_roster_form = definition
    return definition


def label(case, name: str, column: str | None = None) -> str:
    """Field ``name``'s label (or its ``column``'s) in the form the case was filed with."""
    definition = _definition(case)
    if definition is not None and name in definition.names:
        spec = definition.spec(name)
        if column is None and spec.get("label"):
            return str(Text(spec["label"]))
        for col in spec.get("columns", ()) if column else ():
            if col["name"] == column and col.get("label"):
                return str(Text(col["label"]))
    return str(_FALLBACK_LABELS.get(column or name, column or name))


def _has_column(case, name: str, column: str) -> bool:
    definition = _definition(case)
    if definition is None or name not in definition.names:
        return True  # unknown form: ask for the employee id
    return any(col["name"] == column for col in definition.spec(name).get("columns", ()))


# -- reading the case ------------------------------------------------------------------------


def registry_kept() -> bool:
    """Whether the deployment keeps the roll-out registry (any major system recorded)."""
    return get_state().session.scalar(sa.select(MajorSystem.id).limit(1)) is not None


def find_system(text: str) -> MajorSystem | None:
    """The registry's system whose code or name (either language) is ``text`` (blanks and
    letter case aside)."""
    wanted = " ".join(str(text or "").split()).casefold()
    if not wanted:
        return None
    for system in get_state().session.scalars(sa.select(MajorSystem).order_by(MajorSystem.id)):
        names = (system.code, system.name_zh, system.name_en)
        if any(" ".join((name or "").split()).casefold() == wanted for name in names):
            return system
    return None


def _date(value) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def filed_on(case) -> dt.date:
    """The day the case is filed (submitted): today in Taipei."""
    return clock.today()


def effective_date(case, filed: dt.date) -> dt.date:
    """The change's effective date (``effective_on``), else the filing date (a first
    nomination, a work group formed)."""
    return _date((case.data or {}).get("effective_on")) or filed


def change_kind(case) -> str:
    data = case.data or {}
    return str(data.get("change_kind") or data.get("report_kind") or "")


def open_findings(agency_code: str, system_id: int) -> list[UnfitFinding]:
    """The unfit findings of the agency and system not replaced yet (TP-SEED-3)."""
    return list(
        get_state().session.scalars(
            sa.select(UnfitFinding)
            .where(
                UnfitFinding.agency_code == agency_code,
                UnfitFinding.system_id == system_id,
                UnfitFinding.replaced_on.is_(None),
            )
            .order_by(UnfitFinding.id)
        )
    )


def _lists(case) -> list[tuple[str, str, list[dict]]]:
    """(field, role, rows) of the case: the nomination's two lists, or the work group's."""
    data = case.data or {}
    if case.type_key == ADMIN_SEED_NOMINATION:
        return [(name, role, list(data.get(name) or [])) for name, role in NOMINATION_LISTS.items()]
    return [("members", "", list(data.get("members") or []))]


def read(case, filed: dt.date | None = None, policy=None) -> Roster:
    """The case read against the registry, or :class:`RosterError` naming what is wrong."""
    session = get_state().session
    policy = policy or get_state().policy()
    filed = filed or filed_on(case)
    data = case.data or {}
    system = find_system(data.get("system_name"))
    if system is None:
        known = ", ".join(
            session.scalars(sa.select(MajorSystem.code).order_by(MajorSystem.code)).all()
        )
        raise RosterError(
            _(
                "%(field)s: “%(value)s” is no major system of the registry; give its code or "
                "name (%(known)s).",
                field=label(case, "system_name"),
                value=str(data.get("system_name") or ""),
                known=known,
            ),
            "system_name",
        )
    scope = session.scalar(
        sa.select(SystemScope).where(
            SystemScope.system_id == system.id, SystemScope.agency_code == case.agency_code
        )
    )
    effective = effective_date(case, filed)
    if scope is None or (scope.excluded_on is not None and scope.excluded_on <= effective):
        raise RosterError(
            _(
                "%(field)s: your agency is not in the scope of %(system)s (TP-WG-1).",
                field=label(case, "system_name"),
                system=system.display_name(_locale()),
            ),
            "system_name",
        )
    agency = session.scalar(sa.select(RolloutAgency).where(RolloutAgency.code == case.agency_code))
    roster = Roster(case, system, agency, effective, change_kind(case))
    lists = _lists(case)
    ids = {
        str(row.get("employee_id") or "").strip()
        for _name, _role, rows in lists
        for row in rows
        if isinstance(row, dict)
    } - {""}
    emails = {
        str(row.get("email") or "").strip().casefold()
        for _name, _role, rows in lists
        for row in rows
        if isinstance(row, dict)
    } - {""}
    by_id = {
        p.employee_id: p
        for p in session.scalars(
            sa.select(RolloutPerson).where(RolloutPerson.employee_id.in_(sorted(ids)))
        )
    }
    by_email = {}
    if emails:
        for p in session.scalars(
            sa.select(RolloutPerson).where(
                RolloutPerson.agency_code == case.agency_code,
                sa.func.lower(RolloutPerson.email).in_(sorted(emails)),
            )
        ):
            by_email.setdefault((p.email or "").casefold(), p)
    for name, fixed_role, rows in lists:
        with_ids = _has_column(case, name, "employee_id")
        for number, row in enumerate(rows, start=1):
            row = row if isinstance(row, dict) else {}
            role = fixed_role or WORK_GROUP_ROLES.get(str(row.get("role") or ""), "")
            if not role:
                raise RosterError(
                    _(
                        "%(field)s, row %(row)s, %(column)s: choose the role.",
                        field=label(case, name),
                        row=str(number),
                        column=label(case, name, "role"),
                    ),
                    name,
                )
            person = _person(case, name, number, row, with_ids, by_id, by_email)
            if person.left_on is not None and person.left_on <= effective:
                raise RosterError(
                    _(
                        "%(field)s, row %(row)s: %(person)s left the agency on %(day)s.",
                        field=label(case, name),
                        row=str(number),
                        person=person.name,
                        day=format_date(person.left_on),
                    ),
                    name,
                )
            already = roster.people.setdefault(role, [])
            if any(other.id == person.id for other in already):
                raise RosterError(
                    _(
                        "%(field)s, row %(row)s: %(person)s is named twice.",
                        field=label(case, name),
                        row=str(number),
                        person=person.name,
                    ),
                    name,
                )
            already.append(person)
    return roster


def _person(case, name, number, row, with_ids, by_id, by_email) -> RolloutPerson:
    employee_id = str(row.get("employee_id") or "").strip()
    column = "employee_id" if with_ids else "email"
    where = {"field": label(case, name), "row": str(number), "column": label(case, name, column)}
    if with_ids and not employee_id:
        raise RosterError(
            _("%(field)s, row %(row)s, %(column)s: give the person's employee ID.", **where),
            name,
        )
    person = by_id.get(employee_id) if with_ids else None
    if not with_ids:
        person = by_email.get(str(row.get("email") or "").strip().casefold())
    if person is None:
        raise RosterError(
            _(
                "%(field)s, row %(row)s, %(column)s: “%(value)s” is nobody of the roll-out "
                "registry.",
                value=employee_id if with_ids else str(row.get("email") or ""),
                **where,
            ),
            name,
        )
    if person.agency_code != case.agency_code:
        # rule TP-SEED-1 (issue 12): nobody serves an agency they do not belong to
        raise RosterError(
            _(
                "%(field)s, row %(row)s, %(column)s: %(person)s does not belong to your agency.",
                person=person.name,
                **where,
            ),
            name,
        )
    return person


def _locale():
    from ..i18n import current_locale

    return current_locale()


# -- the rules -------------------------------------------------------------------------------


def limits(agency: RolloutAgency | None, policy) -> tuple[int, int] | None:
    """TP-SEED-1's (minimum, maximum) for the agency's registry headcount (``None``: the
    registry does not know the agency)."""
    return policy.seed_user_limits(agency.headcount) if agency is not None else None


def check_rules(roster: Roster, policy) -> None:
    """TP-ADM-1, TP-SEED-1, TP-SEED-3, TP-WG-1 on a read roster (:class:`RosterError`)."""
    case = roster.case
    findings = open_findings(case.agency_code, roster.system.id)
    in_progress = roster.replacement and bool(findings)
    if roster.replacement:
        unfit = {finding.person_id for finding in findings}
        for name, role, _rows in _lists(case):
            for person in roster.people.get(role, ()) if role else ():
                if person.id in unfit:  # rule TP-SEED-3: replaced, not named again
                    raise RosterError(
                        _(
                            "%(field)s: %(person)s was found unfit by the IT department "
                            "(TP-SEED-3); name someone else.",
                            field=label(case, name),
                            person=person.name,
                        ),
                        name,
                    )
    if case.type_key == ADMIN_SEED_NOMINATION:
        admins = len(roster.people.get("admin", ()))
        seeds = len(roster.people.get("seed", ()))
        minimum = policy.min_system_admins()
        if admins < minimum and not in_progress:  # rule TP-ADM-1
            raise RosterError(
                _(
                    "%(field)s: at least %(need)s system administrators (TP-ADM-1); this "
                    "roster names %(have)s.",
                    field=label(case, "admins"),
                    need=str(minimum),
                    have=str(admins),
                ),
                "admins",
            )
        bounds = limits(roster.agency, policy)
        if bounds is not None and not in_progress:  # rule TP-SEED-1
            low, high = bounds
            if not low <= seeds <= high:
                raise RosterError(
                    _(
                        "%(field)s: from %(low)s to %(high)s seed users for a headcount of "
                        "%(headcount)s (TP-SEED-1); this roster names %(have)s.",
                        field=label(case, "seeds"),
                        low=str(low),
                        high=str(high),
                        headcount=str(roster.agency.headcount),
                        have=str(seeds),
                    ),
                    "seeds",
                )
        return
    conveners = roster.people.get("convener", [])
    if len(conveners) != 1:  # rule TP-WG-1
        raise RosterError(
            _(
                "%(field)s: the work group has one convener (TP-WG-1); this list names %(have)s.",
                field=label(case, "members"),
                have=str(len(conveners)),
            ),
            "members",
        )
    if not conveners[0].unit_head:  # rule TP-WG-1: 一級單位主管以上
        raise RosterError(
            _(
                "%(field)s: the convener %(person)s does not head a first-level unit or above "
                "in the registry (TP-WG-1).",
                field=label(case, "members"),
                person=conveners[0].name,
            ),
            "members",
        )


def problem(case, filed: dt.date | None = None, policy=None) -> RosterError | None:
    """Why ``case`` cannot be filed or accepted as it stands, or ``None``."""
    if not registry_kept():
        return None
    policy = policy or get_state().policy()
    try:
        check_rules(read(case, filed, policy), policy)
    except RosterError as error:
        return error
    return None


def lock(case) -> None:
    """Hold the write lock of the case's agency and system until the transaction ends, so two
    rosters of one agency and system accepted at the same moment are checked and applied one
    after the other (PostgreSQL advisory lock; SQLite has one writer anyway)."""
    system = find_system((case.data or {}).get("system_name"))
    if system is not None:
        write_lock(
            get_state().session.connection(),
            Assignment.__tablename__,
            f"{system.id}:{case.agency_code}",
        )


# -- applying an accepted roster -------------------------------------------------------------


def apply(case, filed: dt.date, actor: str, policy=None) -> list[Assignment]:
    """The accepted roster's rows as assignments (no commit); the new rows. ``filed``: the
    day the case was submitted (``reported_on``)."""
    if not registry_kept():
        return []
    session = get_state().session
    roster = read(case, filed)
    effective = roster.effective_on
    policy = policy or get_state().policy(as_of=effective)
    due = policy.deadline("roster_change", effective)  # rule TP-WG-2, TP-SEED-2
    roles = MANAGED[case.type_key]
    current = list(
        session.scalars(
            sa.select(Assignment)
            .where(
                Assignment.system_id == roster.system.id,
                Assignment.agency_code == case.agency_code,
                Assignment.role.in_(roles),
                sa.or_(Assignment.ends_on.is_(None), Assignment.ends_on > effective),
            )
            .order_by(Assignment.id)
        )
    )
    wanted = {(role, p.id) for role in roles for p in roster.people.get(role, ())}
    held = set()
    for row in current:
        if (row.role, row.person_id) in wanted:
            held.add((row.role, row.person_id))
            continue
        if row.starts_on >= effective:
            session.delete(row)  # had not begun: the person never held the role
        else:
            row.ends_on = effective
    added = []
    for role in roles:
        for person in roster.people.get(role, ()):
            if (role, person.id) in held:
                continue
            row = Assignment(
                system_id=roster.system.id,
                agency_code=case.agency_code,
                person_id=person.id,
                role=role,
                starts_on=effective,
                case_id=int(case.id),
                reported_on=filed,
                due_on=due,
                created_by=actor,
            )
            session.add(row)
            added.append(row)
    if case.type_key == WORK_GROUP_ROSTER:  # rule TP-WG-1: the member list is filed
        session.add(
            WorkGroupFiling(
                system_id=roster.system.id,
                agency_code=case.agency_code,
                filed_on=filed,
                case_id=int(case.id),
            )
        )
    if case.type_key == ADMIN_SEED_NOMINATION:
        named = {p.id for role in roles for p in roster.people.get(role, ())}
        for finding in open_findings(case.agency_code, roster.system.id):
            if finding.person_id not in named:  # rule TP-SEED-3: replaced
                finding.replaced_on = filed
                if finding.replacement_case_id is None:
                    finding.replacement_case_id = int(case.id)
    session.flush()
    return added


def late(assignment: Assignment) -> bool:
    """TP-WG-2 / TP-SEED-2: the change was reported after its ``roster_change`` deadline."""
    return (
        assignment.reported_on is not None
        and assignment.due_on is not None
        and assignment.reported_on > assignment.due_on
    )
