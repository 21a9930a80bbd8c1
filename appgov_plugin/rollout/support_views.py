"""The three-tier support's pages (TP-SUP-1).

* ``/appgov/rollout/support`` -- the escalation rate: per agency, major system and month of
  filing, the tickets filed and those escalated beyond tier 1 (the share, exact, shown
  rounded half up to 0.1 %), and per tier-1 person (seed user or system administrator) the
  tickets they handled and escalated. Filters: system, months from and to (``YYYY-MM`` or
  ROC ``115/12``). ``/appgov/rollout/support.csv|xlsx|ods``: the agencies' rows;
  ``/appgov/rollout/support/people.csv|xlsx|ods``: the tier-1 people's.
* ``/appgov/rollout/support/tickets/<case id>`` -- one ticket as the support tiers read it:
  the question, the tier it is at, who acted at each tier with the escalation reasons and
  the resolution (the host shows the helpdesk a case's status only), and a link to the
  host's case page where the steps are taken.

Who reads what: the administrator every agency; the IT department (acting as the technical
support team, tier 3) its city's agencies (the host's and the registry's of that city); an
agency's staff and head their own agency. The ticket page also the helpdesk (tier 2) for its
city. Another agency's ticket answers 404, as a missing one does; other roles 403.

A page runs a fixed number of SQL statements whatever the tickets: the systems, the two
rate statements (:func:`.support.escalation_rates`, :func:`.support.tier1_rates`), the
registry agencies of the city and the host's agency list once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import abort, render_template, request, url_for
from flask_login import current_user, login_required

from ..access import AGENCY_ROLES, is_admin
from ..exports import Table, export_response
from ..i18n import _, current_locale, format_datetime
from ..state import get_state
from ..web import blueprint
from . import staff_records, support
from .models import ROLES, MajorSystem
from .support_case_types import STATES
from .support_models import SupportTicket
from .views import agency_names, case_url, city_scope

blueprint.add_templates(__file__)

#: Roles that read every agency's rates of their city (the administrator reads all).
CITY_ROLES = frozenset({"it_department"})
#: Roles that read a ticket of their city besides the IT department (tier 2).
TICKET_CITY_ROLES = frozenset({"it_department", "helpdesk"})

_ISO_MONTH = re.compile(r"([0-9]{4})-([0-9]{1,2})")
_ROC_MONTH = re.compile(r"([0-9]{2,3})[/-]([0-9]{1,2})")


def rate_scope() -> set[str] | None:
    """The agencies whose rates the reader reads (``None``: all), else 403."""
    if is_admin():
        return None
    role = getattr(current_user, "role", None)
    if role in AGENCY_ROLES:
        own = getattr(current_user, "agency_code", None)
        return {own} if own else set()
    if role in CITY_ROLES:
        return city_scope()
    abort(
        403,
        description=_(
            "The escalation rate is for the IT department, the administrator and the "
            "agencies themselves."
        ),
    )


def parse_month(text: str) -> str | None:
    """``"YYYY-MM"`` of a typed month (``2026-12`` or ROC ``115/12``), else ``None``."""
    text = (text or "").strip()
    iso, roc = _ISO_MONTH.fullmatch(text), _ROC_MONTH.fullmatch(text)
    if iso:
        year, month = int(iso[1]), int(iso[2])
    elif roc:
        year, month = int(roc[1]) + 1911, int(roc[2])
    else:
        return None
    if not (1912 <= year <= 2200 and 1 <= month <= 12):
        return None
    return f"{year:04d}-{month:02d}"


def month_label(month: str, locale: str | None = None) -> str:
    """A ``"YYYY-MM"`` month as its reader reads it: 民國 115 年 12 月 (zh), 2026-12 (en)."""
    year, number = (int(part) for part in month.split("-"))
    if (locale or current_locale()) == "zh_Hant_TW" and year >= 1912:
        return f"民國 {year - 1911} 年 {number} 月"
    return month


def percent_text(value) -> str:
    return "—" if value is None else f"{value}%"


@dataclass
class Filters:
    system: MajorSystem | None
    first: str | None
    last: str | None
    given: dict
    errors: list


def read_filters(args) -> Filters:
    systems = support._systems()
    given = {name: (args.get(name) or "").strip() for name in ("system", "from", "to")}
    errors: list[str] = []
    system = None
    if given["system"]:
        system = next((s for s in systems if s.code == given["system"]), None)
        if system is None:
            errors.append(_("System: “%(value)s” is no major system.", value=given["system"]))
    months = {}
    for name, label in (("from", _("From month")), ("to", _("To month"))):
        months[name] = parse_month(given[name]) if given[name] else None
        if given[name] and months[name] is None:
            errors.append(
                _(
                    "%(field)s: “%(value)s” is no month; give it as 2026-12 or 115/12.",
                    field=label,
                    value=given[name],
                )
            )
    if months["from"] and months["to"] and months["from"] > months["to"]:
        errors.append(_("To month: it comes before the from month."))
    return Filters(
        system, months["from"], months["to"], {k: v for k, v in given.items() if v}, errors
    )


def _rates(scope, filters: Filters):
    kwargs = dict(
        system_id=filters.system.id if filters.system else None,
        first_month=filters.first,
        last_month=filters.last,
    )
    return support.escalation_rates(scope, **kwargs), support.tier1_rates(scope, **kwargs)


@blueprint.get("/rollout/support")
@login_required
def rollout_support():
    scope = rate_scope()
    filters = read_filters(request.args)
    rates, people = ([], []) if filters.errors else _rates(scope, filters)
    systems = {s.id: s for s in support._systems()}
    filed, escalated = support.totals(rates)
    body = render_template(
        "appgov/rollout/support.html",
        filters=filters,
        systems=systems,
        rates=rates,
        people=people,
        filed=filed,
        escalated=escalated,
        total_percent=percent_text(support.percent(escalated, filed)),
        names=agency_names(),
        roles=ROLES,
        locale=current_locale(),
        month_label=month_label,
        percent_text=percent_text,
    )
    return body, 400 if filters.errors else 200


def rates_table(rates, systems, names) -> Table:
    locale = current_locale()
    rows = [
        [
            names.get(rate.agency_code, ""),
            rate.agency_code,
            systems[rate.system_id].display_name(locale),
            systems[rate.system_id].code,
            rate.month,
            rate.filed,
            rate.escalated,
            rate.percent,
        ]
        for rate in rates
    ]
    headers = [
        _("Agency"),
        _("Agency code"),
        _("System"),
        _("System code"),
        _("Month"),
        _("Tickets filed"),
        _("Escalated beyond tier 1"),
        _("Escalation rate (%)"),
    ]
    return Table(headers, rows, title=_("Escalation rate"))


def people_table(people, systems, names) -> Table:
    locale = current_locale()
    rows = [
        [
            p.name,
            p.employee_id,
            str(ROLES.get(p.role, p.role or "")),
            names.get(p.agency_code, ""),
            p.agency_code,
            systems[p.system_id].display_name(locale),
            p.month,
            p.handled,
            p.escalated,
            p.percent,
        ]
        for p in people
    ]
    headers = [
        _("Name"),
        _("Employee ID"),
        _("Role"),
        _("Agency"),
        _("Agency code"),
        _("System"),
        _("Month"),
        _("Tickets handled at tier 1"),
        _("Escalated"),
        _("Escalation rate (%)"),
    ]
    return Table(headers, rows, title=_("Escalation rate per person"))


def export_filters(filters: Filters) -> dict:
    """The filters as the staff-record export log records them."""
    system = filters.system.code if filters.system else None
    return {"system": system, "from": filters.first, "to": filters.last}


def _export(fmt: str, which: str):
    scope = rate_scope()
    filters = read_filters(request.args)
    if filters.errors:
        abort(400, description=" ".join(filters.errors))
    rates, people = _rates(scope, filters)
    systems = {s.id: s for s in support._systems()}
    names = agency_names()
    if which == "people":
        # issue 16: an export of staff records is logged (who, when, filters, rows)
        staff_records.log_export("support_people", fmt, export_filters(filters), len(people))
        return export_response(people_table(people, systems, names), fmt, "support-people")
    return export_response(rates_table(rates, systems, names), fmt, "support-escalation")


@blueprint.get("/rollout/support.<any(csv, xlsx, ods):fmt>")
@login_required
def rollout_support_export(fmt: str):
    return _export(fmt, "rates")


@blueprint.get("/rollout/support/people.<any(csv, xlsx, ods):fmt>")
@login_required
def rollout_support_people_export(fmt: str):
    return _export(fmt, "people")


# -- one ticket ------------------------------------------------------------------------------


def ticket_scope(ticket: SupportTicket) -> None:
    """404 unless the reader reads the ticket: the administrator, the agency's own staff and
    head, the helpdesk and the IT department of its city. A role that reads no ticket gets
    404 too, as for a missing one: a case's number tells nothing (the host's rule for every
    route of a case)."""
    if is_admin():
        return
    role = getattr(current_user, "role", None)
    if role in AGENCY_ROLES:
        if getattr(current_user, "agency_code", None) != ticket.agency_code:
            abort(404)
        return
    if role not in TICKET_CITY_ROLES:
        abort(404)
    scope = city_scope()
    if scope is not None and ticket.agency_code not in scope:
        abort(404)


@blueprint.get("/rollout/support/tickets/<int:case_id>")
@login_required
def rollout_support_ticket(case_id: int):
    if case_id > 2**31 - 1:
        abort(404)
    ticket = get_state().session.get(SupportTicket, case_id)
    if ticket is None:
        abort(404)
    ticket_scope(ticket)
    system = get_state().session.get(MajorSystem, ticket.system_id)
    state = {1: "tier1", 2: "tier2", 3: "tier3"}[ticket.tier]
    if ticket.status == "resolved":
        state = "resolved"
    return render_template(
        "appgov/rollout/support_ticket.html",
        ticket=ticket,
        system=system,
        state_label=STATES[state],
        agency_name=agency_names().get(ticket.agency_code, ticket.agency_code),
        roles=ROLES,
        locale=current_locale(),
        when=lambda value: format_datetime(value, style="short"),
        case_url=case_url(ticket.case_id),
        rates_url=url_for("appgov.rollout_support"),
    )


def reads_support(user) -> bool:
    """Whether the navigation shows the support page to ``user``."""
    if not (user and user.is_authenticated):
        return False
    return is_admin() or getattr(user, "role", None) in AGENCY_ROLES | CITY_ROLES
