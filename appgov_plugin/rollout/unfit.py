"""Unfit persons and their replacement (TP-SEED-3); people who leave their agency.

* :func:`mark_unfit` -- the IT department finds a person unfit for a system: an
  :class:`~.models.UnfitFinding` with the reason, ``requested_on`` (today) and ``due_on =
  policy.deadline("replacement", requested_on)`` (10 working days), and a replacement case
  (``admin_seed_nomination`` with ``change_kind = "replacement"``) opened for the agency
  through the host (``casehost_open_case``), waiting on that deadline. When the agency's
  replacement is accepted (:func:`.roster.apply`) the finding gets ``replaced_on`` and the
  unfit person's assignment ends on the effective date.
* :func:`flag_overdue` -- the sweep's step: findings past their deadline and not replaced
  are flagged once (``overdue_flagged_at``); the dashboard's TP-SEED-3 breach lists them.
* :func:`end_departures` -- a person who left (``left_on``) or moved to another agency
  (``agency_code`` changed) holds no role of the old agency from then on: their open
  assignments end that day (a transfer: the day it is recorded). Run when the person's row
  changes in a session (an administrator's edit, the import) and by the sweep for anything
  written around the ORM. No finding is opened: leaving is no unfitness; the agency's
  shortfall shows as the dashboard's TP-ADM-1 / TP-SEED-1 breach, and :func:`departures`
  lists who left for the agency's pages.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from .. import clock
from ..db import utcnow
from ..host.contract import ContractError
from ..i18n import _, _l
from ..state import get_state
from . import deadlines
from .case_types import ADMIN_SEED_NOMINATION
from .models import Assignment, MajorSystem, RolloutPerson, UnfitFinding

#: The reason's length, characters.
REASON_MIN, REASON_MAX = 10, 2000
#: The roles a finding concerns (TP-SEED-3 names administrators and seed users).
ROLES = ("admin", "seed")


class UnfitError(ValueError):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass
class Marked:
    finding: UnfitFinding
    case_id: int | None


def systems_of(person: RolloutPerson, on: dt.date) -> list[MajorSystem]:
    """The systems in which ``person`` is an administrator or seed user of their agency."""
    return list(
        get_state().session.scalars(
            sa.select(MajorSystem)
            .join(Assignment, Assignment.system_id == MajorSystem.id)
            .where(
                Assignment.person_id == person.id,
                Assignment.agency_code == person.agency_code,
                Assignment.role.in_(ROLES),
                Assignment.starts_on <= on,
                sa.or_(Assignment.ends_on.is_(None), Assignment.ends_on > on),
            )
            .distinct()
            .order_by(MajorSystem.code)
        )
    )


def mark_unfit(person: RolloutPerson, system_id: int, reason: str, actor: str) -> Marked:
    """Record the finding and open the replacement case (no commit); :class:`UnfitError`
    naming the field when refused (nothing written)."""
    reason = (reason or "").strip()
    if not REASON_MIN <= len(reason) <= REASON_MAX:
        raise UnfitError(
            _(
                "Reason: from %(low)s to %(high)s characters; this one has %(have)s.",
                low=str(REASON_MIN),
                high=str(REASON_MAX),
                have=str(len(reason)),
            ),
            "reason",
        )
    session = get_state().session
    requested = clock.today()
    system = next((s for s in systems_of(person, requested) if s.id == system_id), None)
    if system is None:
        raise UnfitError(
            _(
                "System: %(person)s is no system administrator or seed user of that system.",
                person=person.name,
            ),
            "system",
        )
    known = session.scalar(
        sa.select(UnfitFinding.id).where(
            UnfitFinding.person_id == person.id,
            UnfitFinding.system_id == system.id,
            UnfitFinding.replaced_on.is_(None),
        )
    )
    if known is not None:
        raise UnfitError(
            _("System: %(person)s is already found unfit for it.", person=person.name), "system"
        )
    due = get_state().policy(as_of=requested).deadline("replacement", requested)  # TP-SEED-3
    finding = UnfitFinding(
        person_id=person.id,
        system_id=system.id,
        agency_code=person.agency_code,
        reason=reason,
        found_by=actor,
        requested_on=requested,
        due_on=due,
    )
    session.add(finding)
    session.flush()
    case = _open_case(finding, system, person)
    if case is not None:
        finding.replacement_case_id = int(case.id)
        deadlines.open_replacement(case, requested, due)
    session.flush()
    _notify(finding, system, person, case, actor)
    return Marked(finding, int(case.id) if case is not None else None)


def _open_case(finding: UnfitFinding, system: MajorSystem, person: RolloutPerson):
    """The replacement case, opened for the agency through the host; ``None`` when the host
    does not know the agency (a registry-only agency files no cases here)."""
    host = current_app.extensions.get("casehost")
    if host is None:
        return None
    try:
        return host.pm.hook.casehost_open_case(
            app=current_app._get_current_object(),
            type_key=ADMIN_SEED_NOMINATION,
            agency_code=finding.agency_code,
            data={
                "system_name": system.code,
                "change_kind": "replacement",
                "effective_on": None,
                "change_summary": f"{person.name} ({person.employee_id})",
            },
            owner_username=None,
            comment=f"TP-SEED-3: replace {person.employee_id} by {finding.due_on.isoformat()}",
        )
    except ContractError:
        return None


def _notify(finding, system, person, case, actor) -> None:
    """The agency's staff and head are told (in-app, e-mail where configured)."""
    from ..notifications import notify

    notify(
        "rollout_unfit",
        roles=("agency_staff", "agency_head"),
        agency_code=finding.agency_code,
        subject=_l(
            "Replace %(person)s (%(system)s) by %(due)s: found unfit by the IT department "
            "(TP-SEED-3)"
        ),
        params={"person": person.name, "system": system.code, "due": finding.due_on},
        case_id=int(case.id) if case is not None else None,
        exclude=actor,
    )


# -- the sweep ------------------------------------------------------------------------------


def flag_overdue(as_of: dt.date, actor: str = "") -> list[int]:
    """Flag the findings not replaced by their deadline, once; their ids. No commit."""
    rows = list(
        get_state().session.scalars(
            sa.select(UnfitFinding)
            .where(
                UnfitFinding.replaced_on.is_(None),
                UnfitFinding.overdue_flagged_at.is_(None),
                UnfitFinding.due_on < as_of,
            )
            .order_by(UnfitFinding.id)
            .with_for_update(skip_locked=True)
        )
    )
    now = utcnow()
    for row in rows:
        row.overdue_flagged_at = now
    get_state().session.flush()
    return [row.id for row in rows]


# -- people who leave -----------------------------------------------------------------------


def _end(session, person_ids, agency_of: dict[int, str], left_of: dict[int, dt.date]) -> list:
    """End the open assignments of ``person_ids`` that their departure ends."""
    ended = []
    if not person_ids:
        return ended
    rows = session.scalars(
        sa.select(Assignment).where(
            Assignment.person_id.in_(sorted(person_ids)), Assignment.ends_on.is_(None)
        )
    ).all()
    for row in rows:
        left = left_of.get(row.person_id)
        moved = agency_of.get(row.person_id) not in (None, row.agency_code)
        day = left if left is not None else (clock.today() if moved else None)
        if day is None:
            continue
        if row.starts_on >= day:
            session.delete(row)  # had not begun
        else:
            row.ends_on = day
        ended.append(row.id)
    return ended


def end_departures(as_of: dt.date, actor: str = "") -> list[int]:
    """The sweep's catch-all: end the open assignments of people who left by ``as_of`` or
    work for another agency now; the ids of the rows ended. No commit."""
    session = get_state().session
    rows = session.execute(
        sa.select(Assignment.person_id, RolloutPerson.agency_code, RolloutPerson.left_on)
        .join(RolloutPerson, RolloutPerson.id == Assignment.person_id)
        .where(
            Assignment.ends_on.is_(None),
            sa.or_(
                RolloutPerson.left_on <= as_of,
                RolloutPerson.agency_code != Assignment.agency_code,
            ),
        )
    ).all()
    agency_of = {pid: code for pid, code, _left in rows}
    left_of = {pid: left for pid, _code, left in rows if left is not None and left <= as_of}
    ended = _end(session, set(agency_of), agency_of, left_of)
    session.flush()
    return ended


@event.listens_for(Session, "before_flush")
def _person_changed(session, flush_context, instances) -> None:
    """A person's ``left_on`` or agency changed in this session: their roles end."""
    changed = []
    for obj in session.dirty:
        if not isinstance(obj, RolloutPerson):
            continue
        attrs = sa.inspect(obj).attrs
        if attrs.left_on.history.has_changes() or attrs.agency_code.history.has_changes():
            changed.append(obj)
    if not changed:
        return
    with session.no_autoflush:
        agency_of = {p.id: p.agency_code for p in changed}
        left_of = {p.id: p.left_on for p in changed if p.left_on is not None}
        _end(session, set(agency_of), agency_of, left_of)


def departures(agency_code: str, since: dt.date | None = None) -> list[tuple]:
    """Who left ``agency_code``'s roles by leaving the agency (or moving): (person,
    assignment) pairs, newest first, ended since ``since`` (default: any time)."""
    query = (
        sa.select(RolloutPerson, Assignment)
        .join(Assignment, Assignment.person_id == RolloutPerson.id)
        .where(
            Assignment.agency_code == agency_code,
            Assignment.ends_on.is_not(None),
            sa.or_(
                Assignment.ends_on == RolloutPerson.left_on,
                RolloutPerson.agency_code != agency_code,
            ),
        )
        .order_by(Assignment.ends_on.desc(), Assignment.id)
    )
    if since is not None:
        query = query.where(Assignment.ends_on >= since)
    return [tuple(row) for row in get_state().session.execute(query)]


# the sweep's steps (lifecycle/cli.py STEPS): TP-SEED-3's overdue findings, departures
from ..lifecycle import cli as _sweep  # noqa: E402

_sweep.STEPS.append(("rollout_unfit_overdue", flag_overdue))
_sweep.STEPS.append(("rollout_departures", end_departures))
