"""Three-tier support (TP-SUP-1): who acts at tier 1, the record of each ticket, the
escalation rate.

* **Tier 1** (:func:`tier1_role`): a host user is one of the agency's tier-1 people for a
  system when their username is a registry person's (``RolloutPerson.username``) of that
  agency, still there, with an active ``seed`` or ``admin`` assignment for the agency and
  system today. The workflow's guard asks it of the logged-in user (once per request,
  :func:`current_user_is_tier1`); :func:`veto` asks it of the acting user on every tier-1
  step (the host's ``casehost_before_transition``), so no caller skips it.
* **The record** (:class:`~.support_models.SupportTicket`): written by :func:`after` when
  the ticket is filed and updated at each step (the tier it reached, who acted at each tier,
  the escalation reasons, the resolution), inside the host's transaction. The host's
  history keeps every step too; the record is what the rate counts and what tiers 2 and 3
  read (the host shows the helpdesk a case's status only).
* **The escalation rate** (:func:`escalation_rates`, :func:`tier1_rates`): per agency,
  system and month of filing, the tickets filed and those escalated beyond tier 1; per
  tier-1 person the tickets they handled and escalated. One SQL statement each, whatever
  the tickets; shares are exact (:class:`fractions.Fraction`), shown as a percentage
  rounded half up to one decimal with integer arithmetic. This is what the evaluation of
  the agency and of its seed users and administrators reads (TP-SUP-1).

An open ticket counts as filed and not escalated until tier 1 escalates it; a draft (not
filed) or a withdrawn draft does not count.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import sqlalchemy as sa
from flask import has_request_context, request
from flask_login import current_user

from .. import clock
from ..db import utcnow
from ..i18n import _, _l
from ..state import get_state
from .models import Assignment, MajorSystem, RolloutPerson, SystemScope
from .support_case_types import SUPPORT_TICKET, TIERS
from .support_models import TICKET_LIMITS, SupportTicket

TYPES = frozenset({SUPPORT_TICKET})
TIER1_ROLES = ("seed", "admin")
FIELD_LABELS = {
    "system_name": _l("Major information system"),
    "subject": _l("Subject"),
    "description": _l("Description"),
    "contact": _l("Contact"),
}


class SupportError(ValueError):
    """A ticket the rules refuse; ``field`` names the form field at fault."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


# -- systems ---------------------------------------------------------------------------------


def _norm(text) -> str:
    return " ".join(str(text or "").split()).casefold()


def _systems() -> list[MajorSystem]:
    """Every major system, once per request."""
    # kept on the request (not on ``g``: an app context may outlive many requests)
    if has_request_context():
        cached = getattr(request, "_appgov_support_systems", None)
        if cached is not None:
            return cached
    systems = list(get_state().session.scalars(sa.select(MajorSystem).order_by(MajorSystem.id)))
    if has_request_context():
        request._appgov_support_systems = systems
    return systems


def find_system(text) -> MajorSystem | None:
    """The registry's system whose code or name (either language) is ``text``."""
    wanted = _norm(text)
    if not wanted:
        return None
    for system in _systems():
        if wanted in (_norm(system.code), _norm(system.name_zh), _norm(system.name_en)):
            return system
    return None


def system_of(case) -> MajorSystem | None:
    return find_system((case.data or {}).get("system_name"))


# -- tier 1 ----------------------------------------------------------------------------------


def _tier1_query(username: str, day: dt.date):
    return (
        sa.select(Assignment.agency_code, Assignment.system_id, Assignment.role, RolloutPerson.id)
        .join(RolloutPerson, RolloutPerson.id == Assignment.person_id)
        .where(
            RolloutPerson.username == username,
            RolloutPerson.agency_code == Assignment.agency_code,
            sa.or_(RolloutPerson.left_on.is_(None), RolloutPerson.left_on > day),
            Assignment.role.in_(TIER1_ROLES),
            Assignment.starts_on <= day,
            sa.or_(Assignment.ends_on.is_(None), Assignment.ends_on > day),
        )
        .order_by(Assignment.role, Assignment.id)  # "admin" before "seed"
    )


def tier1_roles(username: str | None, day: dt.date | None = None) -> dict[tuple, tuple]:
    """``{(agency_code, system_id): (person_id, role)}``: where the host user ``username``
    acts at tier 1 on ``day`` (default: today). One statement."""
    if not username:
        return {}
    day = day or clock.today()
    found: dict[tuple, tuple] = {}
    for agency_code, system_id, role, person_id in get_state().session.execute(
        _tier1_query(username, day)
    ):
        found.setdefault((agency_code, system_id), (person_id, role))
    return found


def tier1_role(user, agency_code: str, system_id: int | None, day=None) -> tuple | None:
    """``(person_id, role)`` when ``user`` is a tier-1 person of the agency and system (and
    acts in the host's ``agency_staff`` role), else ``None`` (TP-SUP-1)."""
    if user is None or system_id is None or getattr(user, "role", None) != "agency_staff":
        return None
    return tier1_roles(getattr(user, "username", None), day).get((agency_code, system_id))


def _current_tier1() -> dict[tuple, tuple]:
    username = getattr(current_user, "username", None)
    cached = getattr(request, "_appgov_support_tier1", None)
    if cached is None or cached[0] != username:
        cached = request._appgov_support_tier1 = (username, tier1_roles(username))
    return cached[1]


def current_user_is_tier1(case) -> bool:
    """The workflow's tier-1 guard: the logged-in user is a tier-1 person of the ticket's
    agency and system (TP-SUP-1). Outside a request (the demo, a command) it answers true:
    :func:`veto` checks the acting user there."""
    if not has_request_context():
        return True
    if not (current_user and current_user.is_authenticated):
        return False
    if getattr(current_user, "role", None) != "agency_staff":
        return False
    system = system_of(case)
    return system is not None and (case.agency_code, system.id) in _current_tier1()


# -- the host's transition hooks ---------------------------------------------------------------


def _label(name: str) -> str:
    return str(FIELD_LABELS[name])


def check_filing(case, day: dt.date | None = None) -> MajorSystem:
    """The ticket's system, or :class:`SupportError` naming the field: one of the
    registry's systems, the agency in its scope (not excluded), the texts within bounds."""
    day = day or clock.today()
    data = case.data or {}
    system = system_of(case)
    if system is None:
        known = ", ".join(s.code for s in sorted(_systems(), key=lambda s: s.code))
        raise SupportError(
            _(
                "%(field)s: “%(value)s” is no major system of the registry; give its code or "
                "name (%(known)s).",
                field=_label("system_name"),
                value=str(data.get("system_name") or ""),
                known=known,
            ),
            "system_name",
        )
    scope = get_state().session.scalar(
        sa.select(SystemScope).where(
            SystemScope.system_id == system.id, SystemScope.agency_code == case.agency_code
        )
    )
    if scope is None or (scope.excluded_on is not None and scope.excluded_on <= day):
        raise SupportError(
            _(
                "%(field)s: your agency is not in the scope of %(system)s; its tier 1 has "
                "nobody to answer (TP-SUP-1).",
                field=_label("system_name"),
                system=system.display_name(_locale()),
            ),
            "system_name",
        )
    for name in ("subject", "description", "contact"):
        value = str(data.get(name) or "").strip()
        if not value:
            raise SupportError(_("%(field)s: required.", field=_label(name)), name)
        if len(value) > TICKET_LIMITS[name]:
            raise SupportError(
                _(
                    "%(field)s: at most %(max)s characters.",
                    field=_label(name),
                    max=TICKET_LIMITS[name],
                ),
                name,
            )
    return system


def _locale() -> str | None:
    from ..i18n import current_locale

    return current_locale() if has_request_context() else None


def veto(case, transition, user, comment="") -> str | None:
    """The host's ``casehost_before_transition`` for tickets: filing checks the system
    (:func:`check_filing`); a tier-1 step needs a tier-1 person (TP-SUP-1)."""
    if case.type_key not in TYPES:
        return None
    try:
        if transition.name == "submit":
            check_filing(case)
        elif transition.source == "tier1":
            system = system_of(case)
            if tier1_role(user, case.agency_code, system.id if system else None) is None:
                return str(
                    _(
                        "Only the agency's seed users and system administrators of the "
                        "ticket's system act at tier 1 (TP-SUP-1)."
                    )
                )
    except SupportError as error:
        return str(error)
    return None


def _text(data, name: str) -> str:
    return str(data.get(name) or "").strip()[: TICKET_LIMITS[name]]


def after(case, transition, user, comment="") -> None:
    """Record the ticket's step (no commit; inside the host's transaction)."""
    if case.type_key not in TYPES:
        return
    session = get_state().session
    username = getattr(user, "username", "") or ""
    now = utcnow()
    comment = str(comment or "").strip()
    if transition.name == "submit":
        system = check_filing(case)
        data = case.data or {}
        day = clock.today()
        session.add(
            SupportTicket(
                case_id=int(case.id),
                agency_code=case.agency_code,
                system_id=system.id,
                subject=_text(data, "subject"),
                description=_text(data, "description"),
                contact=_text(data, "contact"),
                filed_by=username,
                filed_at=now,
                filed_on=day,
                filed_month=f"{day:%Y-%m}",
                tier=1,
                status="open",
            )
        )
        session.flush()
        return
    ticket = session.get(SupportTicket, int(case.id))
    if ticket is None or transition.source not in TIERS:
        return
    tier = TIERS[transition.source]
    if tier == 1:
        held = tier1_role(user, ticket.agency_code, ticket.system_id)
        ticket.tier1_username = username
        ticket.tier1_person_id, ticket.tier1_role = held if held else (None, None)
    elif tier == 2:
        ticket.tier2_username = username
    if transition.name == "escalate":
        ticket.tier = tier + 1
        if tier == 1:
            ticket.escalated1_at, ticket.escalated1_reason = now, comment
        else:
            ticket.escalated2_at, ticket.escalated2_reason = now, comment
    elif transition.name == "resolve":
        ticket.status = "resolved"
        ticket.resolved_by, ticket.resolved_at, ticket.resolution = username, now, comment
    session.flush()


# -- the escalation rate ---------------------------------------------------------------------


def percent(part: int, whole: int) -> Decimal | None:
    """``part / whole`` as a percentage rounded half up to one decimal, exactly (integers)."""
    if not whole:
        return None
    tenths = (2 * 1000 * part + whole) // (2 * whole)
    return Decimal(tenths).scaleb(-1)


@dataclass(frozen=True)
class Rate:
    """Tickets of one agency, system and month: ``filed`` and ``escalated`` beyond tier 1."""

    agency_code: str
    system_id: int
    month: str
    filed: int
    escalated: int

    @property
    def share(self) -> Fraction | None:
        """The escalation rate, exact (``None`` when nothing was filed)."""
        return Fraction(self.escalated, self.filed) if self.filed else None

    @property
    def percent(self) -> Decimal | None:
        return percent(self.escalated, self.filed)


@dataclass(frozen=True)
class PersonRate:
    """The tickets one tier-1 person handled (resolved or escalated) in a month, for one
    agency and system, and how many of them they escalated."""

    person_id: int
    employee_id: str
    name: str
    role: str
    agency_code: str
    system_id: int
    month: str
    handled: int
    escalated: int

    @property
    def share(self) -> Fraction | None:
        return Fraction(self.escalated, self.handled) if self.handled else None

    @property
    def percent(self) -> Decimal | None:
        return percent(self.escalated, self.handled)


def _filters(
    agencies: Collection[str] | None,
    system_id: int | None,
    first_month: str | None,
    last_month: str | None,
) -> list:
    where = []
    if agencies is not None:
        where.append(SupportTicket.agency_code.in_(sorted(agencies)))
    if system_id is not None:
        where.append(SupportTicket.system_id == system_id)
    if first_month:
        where.append(SupportTicket.filed_month >= first_month)
    if last_month:
        where.append(SupportTicket.filed_month <= last_month)
    return where


def escalation_rates(
    agencies: Collection[str] | None = None,
    *,
    system_id: int | None = None,
    first_month: str | None = None,
    last_month: str | None = None,
) -> list[Rate]:
    """Per agency, system and month of filing (``"YYYY-MM"``, Taipei), the tickets filed
    and those escalated beyond tier 1 (TP-SUP-1); ``agencies=None``: every agency. Months
    ``first_month`` to ``last_month`` included. One SQL statement."""
    escalated = sa.func.sum(sa.case((SupportTicket.tier > 1, 1), else_=0))
    rows = get_state().session.execute(
        sa.select(
            SupportTicket.agency_code,
            SupportTicket.system_id,
            SupportTicket.filed_month,
            sa.func.count(),
            escalated,
        )
        .where(*_filters(agencies, system_id, first_month, last_month))
        .group_by(SupportTicket.agency_code, SupportTicket.system_id, SupportTicket.filed_month)
        .order_by(SupportTicket.filed_month, SupportTicket.agency_code, SupportTicket.system_id)
    )
    return [Rate(a, s, m, int(n), int(e or 0)) for a, s, m, n, e in rows]


def tier1_rates(
    agencies: Collection[str] | None = None,
    *,
    system_id: int | None = None,
    first_month: str | None = None,
    last_month: str | None = None,
) -> list[PersonRate]:
    """Per tier-1 person (a seed user or system administrator), agency, system and month
    of filing: the tickets they resolved or escalated at tier 1, and how many they
    escalated (TP-SUP-1: part of their evaluation). One SQL statement."""
    escalated = sa.func.sum(sa.case((SupportTicket.tier > 1, 1), else_=0))
    rows = get_state().session.execute(
        sa.select(
            RolloutPerson.id,
            RolloutPerson.employee_id,
            RolloutPerson.name,
            SupportTicket.tier1_role,
            SupportTicket.agency_code,
            SupportTicket.system_id,
            SupportTicket.filed_month,
            sa.func.count(),
            escalated,
        )
        .join(RolloutPerson, RolloutPerson.id == SupportTicket.tier1_person_id)
        .where(*_filters(agencies, system_id, first_month, last_month))
        .group_by(
            RolloutPerson.id,
            RolloutPerson.employee_id,
            RolloutPerson.name,
            SupportTicket.tier1_role,
            SupportTicket.agency_code,
            SupportTicket.system_id,
            SupportTicket.filed_month,
        )
        .order_by(
            SupportTicket.filed_month,
            SupportTicket.agency_code,
            SupportTicket.system_id,
            RolloutPerson.employee_id,
        )
    )
    return [PersonRate(*row[:7], int(row[7]), int(row[8] or 0)) for row in rows]


def totals(rates: Iterable[Rate]) -> tuple[int, int]:
    """(filed, escalated) over ``rates``."""
    filed = escalated = 0
    for rate in rates:
        filed += rate.filed
        escalated += rate.escalated
    return filed, escalated
