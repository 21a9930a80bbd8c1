"""The roll-out compliance dashboard (issue 12, section 4) and each agency's own page.

* ``/appgov/rollout/`` -- for every agency in scope of every major system, today: system
  administrators against the minimum (TP-ADM-1), seed users against the agency's limits
  (TP-SEED-1), the work group filed by its deadline with a convener who heads a first-level
  unit (TP-WG-1), roster changes reported late (TP-WG-2 / TP-SEED-2) and unfit persons not
  replaced in time (TP-SEED-3); each breach with its rule ID and a link to what fixes it.
  Filters: system, phase, agency kind, parent agency, breaches only; a summary per rule; a
  chart of compliance per agency kind (Chart.js, served from the package, with the same
  figures as a table); the agencies excluded by a mayor-approved case with the case cited
  (TP-WG-1). ``/appgov/rollout.csv``, ``.xlsx`` and ``.ods``: the same rows as a file.
* ``/appgov/rollout/agencies/<code>`` -- one agency: its rosters per system (who holds each
  role today, each person's history of roles), its breaches and what fixes them.

Who reads what: the administrator every agency; the IT department (``it_department``) the
agencies of its city (the host's agencies of the city and the registry's agencies whose
``city`` is it); an agency's staff and head their own agency's page only (another agency's
code answers 404, as a missing one does); every other role 403.

The number of SQL statements does not grow with the agencies or the systems: the dashboard
runs :func:`~.compliance.compliance` (one statement per table read), one for the systems of
the filter, one for the parent agencies, one for the overdue findings' replacement cases and
the host's agency list once; the agency page the same plus its roster and findings.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import abort, current_app, g, render_template, request, url_for
from flask_login import current_user, login_required

from ..access import AGENCY_ROLES, host_agencies, is_admin, visible_agency_codes
from ..clock import today
from ..exports import Table, export_response
from ..i18n import _, current_locale, format_date, ngettext
from ..paging import Paging
from ..state import get_state
from ..web import blueprint
from .case_types import ADMIN_SEED_NOMINATION, WORK_GROUP_ROSTER
from .compliance import CHECKS, AgencyStatus, Breach, Compliance, compliance
from .models import (
    AGENCY_KINDS,
    LIMITS,
    PHASES,
    ROLES,
    Assignment,
    MajorSystem,
    RolloutAgency,
    RolloutPerson,
    SystemScope,
    UnfitFinding,
    WorkGroupFiling,
)

blueprint.add_templates(__file__)

#: Roles that read the dashboard besides the administrator (the city's IT department).
DASHBOARD_ROLES = frozenset({"it_department"})
#: Rows (agency and system) per page of the dashboard; the summary and chart count them all.
PER_PAGE = 100
#: The rules the dashboard checks, in its order (its summary's rows).
RULES = ("TP-ADM-1", "TP-SEED-1", "TP-WG-1", "TP-SEED-2", "TP-SEED-3", "TP-WG-3", "TP-WG-4")
#: The agency's meetings page (appgov_plugin/rollout/meeting_views.py) fixes these checks.
MEETINGS_PAGE = "appgov.rollout_agency_meetings"
#: What the agency files to fix each check (the host's new-case page of that case type); a
#: late report (TP-SEED-2) is history, not fixed by a new case: the agency page shows it.
FIXING_CASE = {
    "admins": ADMIN_SEED_NOMINATION,
    "seeds_low": ADMIN_SEED_NOMINATION,
    "seeds_high": ADMIN_SEED_NOMINATION,
    "work_group": WORK_GROUP_ROSTER,
    "convener": WORK_GROUP_ROSTER,
}
#: The Flask-Admin record an administrator corrects for each check.
FIXING_RECORD = {
    "admins": Assignment,
    "seeds_low": Assignment,
    "seeds_high": Assignment,
    "late_report": Assignment,
    "work_group": WorkGroupFiling,
    "convener": Assignment,
    "replacement": UnfitFinding,
}


# -- who reads what -------------------------------------------------------------------------


def _role(user=None) -> str | None:
    return getattr(user or current_user, "role", None)


def reads_dashboard(user) -> bool:
    """Whether ``user`` reads the dashboard: the administrator and the IT department (the
    host's navigation shows the link to these only)."""
    if not (user and user.is_authenticated):
        return False
    host_rule = getattr(current_app.extensions.get("casehost"), "is_admin", None)
    if (
        host_rule(user)
        if callable(host_rule)
        else _role(user) in current_app.config["APPGOV_ADMIN_ROLES"]
    ):
        return True
    return _role(user) in DASHBOARD_ROLES


def city_scope() -> set[str] | None:
    """The agencies the reader's city-wide scope holds (``None``: all, the administrator):
    the host's agencies of the reader's city and the registry's agencies of that city which
    the host does not know (one query for the latter)."""
    visible = visible_agency_codes()
    if visible is None:
        return None
    own = getattr(current_user, "agency_code", None)
    agencies = host_agencies() or ()
    city = next((a.city for a in agencies if a.code == own), "")
    if not city:
        return visible
    known = {a.code for a in agencies}
    registry = get_state().session.scalars(
        sa.select(RolloutAgency.code).where(RolloutAgency.city == city)
    )
    return visible | {code for code in registry if code not in known}


def require_dashboard_reader() -> set[str] | None:
    if not reads_dashboard(current_user):
        abort(
            403,
            description=_(
                "The roll-out dashboard is for the IT department and the administrator; "
                "an agency reads its own page."
            ),
        )
    return city_scope()


def agency_page_scope(code: str) -> None:
    """404 unless the reader may see agency ``code``'s page (403 for roles that read none)."""
    role = _role()
    if role in AGENCY_ROLES:
        if getattr(current_user, "agency_code", None) != code:
            abort(404)
        return
    scope = require_dashboard_reader()
    if scope is not None and code not in scope:
        abort(404)


# -- names, dates, links --------------------------------------------------------------------


def agency_names(result: Compliance | None = None) -> dict[str, str]:
    """code -> the agency's name in the reader's language: the host's (once per request),
    else the registry's own names (the agencies ``result`` read)."""
    english = current_locale() == "en"
    names: dict[str, str] = {}
    for agency in result.agencies.values() if result else ():
        name = (agency.name_en if english and agency.name_en else agency.name_zh) or agency.name_en
        if name:
            names[agency.code] = name
    for agency in host_agencies() or ():
        names[agency.code] = agency.name()
    return names


def short_date(day: dt.date | None) -> str:
    return format_date(day, style="short") if day else ""


def _host_case_types():
    host = current_app.extensions.get("casehost")
    return host.case_types if host is not None else {}


def case_url(case_id: int | None) -> str | None:
    if not case_id or "main.case_detail" not in current_app.view_functions:
        return None
    return url_for("main.case_detail", case_id=case_id)


def new_case_url(type_key: str, agency_code: str) -> str | None:
    """The host's new-case page of ``type_key`` for the reader who files it for
    ``agency_code`` (its own staff in the case type's filing role), else ``None``."""
    if "main.new_case" not in current_app.view_functions:
        return None
    case_types = _host_case_types()
    if type_key not in case_types:
        return None
    case_type = case_types[type_key]
    if getattr(current_user, "agency_code", None) != agency_code:
        return None
    if case_type.creator_role != _role() or not case_type.is_offered():
        return None
    return url_for("main.new_case", type_key=type_key)


def case_type_label(type_key: str) -> str:
    case_types = _host_case_types()
    return str(case_types[type_key].label) if type_key in case_types else type_key


def admin_url(model, record_id: int | None = None) -> str | None:
    """The Flask-Admin page of ``model`` (a record's edit page with ``record_id``), for the
    administrator, where a view of that model is registered."""
    if not is_admin():
        return None
    for admin in current_app.extensions.get("admin", ()) or ():
        for view in getattr(admin, "_views", ()):
            if getattr(view, "model", None) is model:
                if record_id is not None and getattr(view, "can_edit", False):
                    return url_for(f"{view.endpoint}.edit_view", id=record_id)
                return url_for(f"{view.endpoint}.index_view")
    return None


# -- the breaches in words ------------------------------------------------------------------


def breach_text(breach: Breach, status: AgencyStatus) -> str:
    if breach.check == "admins":
        return _(
            "%(have)s system administrators; at least %(need)s.",
            have=breach.have,
            need=breach.need,
        )
    if breach.check == "seeds_low":
        return _(
            "%(have)s seed users; at least %(need)s for a headcount of %(headcount)s.",
            have=breach.have,
            need=breach.need,
            headcount=status.headcount,
        )
    if breach.check == "seeds_high":
        return _(
            "%(have)s seed users; at most %(need)s for a headcount of %(headcount)s.",
            have=breach.have,
            need=breach.need,
            headcount=status.headcount,
        )
    if breach.check == "work_group":
        return _("Work group not filed by %(due)s.", due=short_date(breach.due))
    if breach.check == "convener":
        return _("The work group's convener does not head a first-level unit or above.")
    if breach.check == "late_report":
        return ngettext(
            "%(num)d roster change reported after its deadline (the latest due %(due)s).",
            "%(num)d roster changes reported after their deadline (the latest due %(due)s).",
            breach.have or 0,
            due=short_date(breach.due),
        )
    if breach.check == "replacement":
        return ngettext(
            "%(num)d unfit person not replaced by the deadline (due %(due)s).",
            "%(num)d unfit persons not replaced by the deadline (the first due %(due)s).",
            breach.have or 0,
            due=short_date(breach.due),
        )
    if breach.check == "minutes":
        return ngettext(
            "%(num)d work-group meeting's minutes late or missing (the first due %(due)s).",
            "%(num)d work-group meetings' minutes late or missing (the first due %(due)s).",
            breach.have or 0,
            due=short_date(breach.due),
        )
    if breach.check == "council_seat":
        return _(
            "The coordination council seat was lost on %(day)s and no one has been appointed.",
            day=short_date(breach.due),
        )
    return breach.check


@dataclass
class Fix:
    label: str
    url: str | None


def breach_fixes(
    breach: Breach, status: AgencyStatus, findings: dict[tuple[int, str], list[UnfitFinding]]
) -> list[Fix]:
    """What fixes ``breach``: the replacement case of each overdue finding (TP-SEED-3), the
    agency's own new-case page of the roster case type (its staff), the Flask-Admin record
    (the administrator), and always the agency's page."""
    fixes: list[Fix] = []
    if breach.check == "replacement":
        for finding in findings.get((status.system_id, status.agency_code), ()):
            if finding.replacement_case_id:
                fixes.append(
                    Fix(
                        _("Replacement case #%(id)s", id=finding.replacement_case_id),
                        case_url(finding.replacement_case_id),
                    )
                )
            address = admin_url(UnfitFinding, finding.id)
            if address:
                label = _("Finding #%(id)s in the administration", id=finding.id)
                fixes.append(Fix(label, address))
    if breach.check == "late_report":
        fixes.append(
            Fix(
                _("The history of roles, with the late reports"),
                url_for("appgov.rollout_agency", code=status.agency_code),
            )
        )
    if breach.check in ("minutes", "council_seat") and MEETINGS_PAGE in current_app.view_functions:
        fixes.append(
            Fix(_("The agency's meetings"), url_for(MEETINGS_PAGE, code=status.agency_code))
        )
    type_key = FIXING_CASE.get(breach.check)
    if type_key:
        address = new_case_url(type_key, status.agency_code)
        label = case_type_label(type_key)
        fixes.append(
            Fix(_("File: %(case_type)s", case_type=label), address)
            if address
            else Fix(_("The agency files: %(case_type)s", case_type=label), None)
        )
    model = FIXING_RECORD.get(breach.check)
    if model is not None and breach.check != "replacement":
        address = admin_url(model)
        if address:
            fixes.append(Fix(_("Correct in the administration"), address))
    return fixes


def request_policy():
    """The deployment's policy today, read once per request."""
    if "appgov_rollout_policy" not in g:
        g.appgov_rollout_policy = get_state().policy()
    return g.appgov_rollout_policy


def applied_rules() -> tuple[set[str], list[str]]:
    """(the roll-out rules this deployment applies, those it does not)."""
    policy = request_policy()
    applied = {rule for rule in RULES if policy.applies(rule)}
    return applied, [rule for rule in RULES if rule not in applied]


# -- the filters ----------------------------------------------------------------------------


@dataclass
class Options:
    systems: list[MajorSystem]
    parents: list[tuple[str, str]]  # (code, name)


def filter_options(scope: set[str] | None, names: dict[str, str]) -> Options:
    """The systems and the parent agencies (of agencies in the reader's scope) to filter by:
    two queries."""
    session = get_state().session
    systems = list(session.scalars(sa.select(MajorSystem).order_by(MajorSystem.code)))
    query = sa.select(RolloutAgency.parent_code).where(RolloutAgency.parent_code.is_not(None))
    if scope is not None:
        query = query.where(RolloutAgency.code.in_(sorted(scope)))
    parents = sorted(set(session.scalars(query.distinct())))
    return Options(systems, [(code, names.get(code, code)) for code in parents])


def dashboard_filters(args, options: Options) -> tuple[dict[str, Any], list[str]]:
    """The dashboard's filters from the query string, and a message naming each bad one."""
    chosen: dict[str, Any] = {
        "system": "",
        "phase": "",
        "kind": "",
        "parent": "",
        "breaches": "",
        "page": 1,
    }
    errors: list[str] = []
    system = (args.get("system") or "").strip()
    if system:
        if system in {s.code for s in options.systems}:
            chosen["system"] = system
        else:
            errors.append(_("System: “%(value)s” is not one of the major systems.", value=system))
    phase = (args.get("phase") or "").strip()
    if phase:
        if phase in PHASES:
            chosen["phase"] = phase
        else:
            errors.append(
                _(
                    "Phase: “%(value)s” is not one of %(choices)s.",
                    value=phase,
                    choices=", ".join(str(label) for label in PHASES.values()),
                )
            )
    kind = (args.get("kind") or "").strip()
    if kind:
        if kind in AGENCY_KINDS:
            chosen["kind"] = kind
        else:
            errors.append(
                _(
                    "Agency kind: “%(value)s” is not one of %(choices)s.",
                    value=kind,
                    choices=", ".join(str(label) for label in AGENCY_KINDS.values()),
                )
            )
    parent = (args.get("parent") or "").strip()
    if parent:
        if parent in {code for code, _name in options.parents}:
            chosen["parent"] = parent
        else:
            errors.append(
                _(
                    "Parent agency: “%(value)s” is not a parent agency you may see.",
                    value=parent[: LIMITS["code"]],
                )
            )
    breaches = (args.get("breaches") or "").strip()
    if breaches:
        if breaches == "1":
            chosen["breaches"] = "1"
        else:
            errors.append(_("Breaches only: “%(value)s” is not 1.", value=breaches[:10]))
    page = (args.get("page") or "").strip()
    if page:
        if page.isascii() and page.isdigit() and 0 < len(page) < 7 and int(page) > 0:
            chosen["page"] = int(page)
        else:
            errors.append(_("Page: “%(value)s” is not a page number.", value=page[:10]))
    return chosen, errors


def _kept(chosen: dict) -> dict:
    return {k: v for k, v in chosen.items() if v and k != "page"}


def read_scope(scope: set[str] | None) -> set[str] | None:
    """The agencies to read the checks for: ``None`` (no list) when no system's scope holds
    an agency outside the reader's ``scope`` -- the checks report the scope's agencies only,
    so reading without the list gives the same rows, without binding a city's thousand codes
    in each statement (one query to know)."""
    if scope is None:
        return None
    outside = sa.exists().where(SystemScope.agency_code.not_in(sorted(scope)))
    return scope if get_state().session.scalar(sa.select(outside)) else None


def run_compliance(scope: set[str] | None, chosen: dict, options: Options) -> Compliance:
    system_ids = None
    if chosen["system"]:
        system_ids = [s.id for s in options.systems if s.code == chosen["system"]]
    result = compliance(
        get_state().session,
        request_policy(),
        today(),
        system_ids=system_ids,
        agency_codes=scope,
        kinds=[chosen["kind"]] if chosen["kind"] else None,
        parent_code=chosen["parent"] or None,
        phases=[chosen["phase"]] if chosen["phase"] else None,
    )
    applied, _skipped = applied_rules()
    for status in result.statuses:
        status.breaches[:] = [b for b in status.breaches if b.rule in applied]
    return result


def overdue_findings(
    result: Compliance, scope: set[str] | None
) -> dict[tuple[int, str], list[UnfitFinding]]:
    """The unfit findings behind the TP-SEED-3 breaches, by (system, agency): one query."""
    if not any(b.check == "replacement" for s in result.statuses for b in s.breaches):
        return {}
    day = result.day
    query = (
        sa.select(UnfitFinding)
        .where(UnfitFinding.system_id.in_(list(result.systems)), UnfitFinding.due_on < day)
        .where(sa.or_(UnfitFinding.replaced_on.is_(None), UnfitFinding.replaced_on > day))
        .where(UnfitFinding.requested_on <= day)
        .order_by(UnfitFinding.due_on, UnfitFinding.id)
    )
    if scope is not None:
        query = query.where(UnfitFinding.agency_code.in_(sorted(scope)))
    out: dict[tuple[int, str], list[UnfitFinding]] = defaultdict(list)
    for finding in get_state().session.scalars(query):
        out[(finding.system_id, finding.agency_code)].append(finding)
    return out


# -- rows, summary, chart -------------------------------------------------------------------


@dataclass
class Row:
    status: AgencyStatus
    system: MajorSystem
    agency_name: str
    breaches: list[tuple[Breach, str, list[Fix]]] = field(default_factory=list)


def dashboard_rows(result: Compliance, names: dict[str, str], findings) -> list[Row]:
    rows = []
    for status in result.statuses:
        row = Row(status, result.systems[status.system_id], names.get(status.agency_code, ""))
        for breach in status.breaches:
            row.breaches.append(
                (breach, breach_text(breach, status), breach_fixes(breach, status, findings))
            )
        rows.append(row)
    return rows


def rule_summary(result: Compliance) -> list[tuple[str, int, int]]:
    """(rule, agencies breaking it, breaches) per rule checked."""
    agencies: dict[str, set] = defaultdict(set)
    counts: dict[str, int] = defaultdict(int)
    for status in result.statuses:
        for breach in status.breaches:
            counts[breach.rule] += 1
            agencies[breach.rule].add((status.system_id, status.agency_code))
    applied, _skipped = applied_rules()
    return [(rule, len(agencies[rule]), counts[rule]) for rule in RULES if rule in applied]


@dataclass
class KindFigures:
    kind: str
    label: str
    in_scope: int
    compliant: int

    @property
    def percent(self) -> int:
        """Compliant share in whole percent, rounded half up (exact integers)."""
        if not self.in_scope:
            return 0
        return (200 * self.compliant + self.in_scope) // (2 * self.in_scope)


def kind_figures(result: Compliance) -> list[KindFigures]:
    """Compliance per agency kind: (agency, system) pairs in scope and compliant."""
    totals: dict[str, list[int]] = {kind: [0, 0] for kind in AGENCY_KINDS}
    for status in result.statuses:
        if status.kind not in totals:
            continue
        totals[status.kind][0] += 1
        totals[status.kind][1] += status.compliant
    return [
        KindFigures(kind, str(AGENCY_KINDS[kind]), in_scope, compliant)
        for kind, (in_scope, compliant) in totals.items()
        if in_scope
    ]


def chart_data(figures: list[KindFigures]) -> str:
    """The chart's figures for ``data-appgov-chart`` (JSON; the script reads no other)."""
    return json.dumps(
        {
            "labels": [f.label for f in figures],
            "values": [f.percent for f in figures],
            "label": _("Compliant (%)"),
        },
        ensure_ascii=False,
    )


# -- the pages ------------------------------------------------------------------------------


def _dashboard(chosen_args):
    scope = require_dashboard_reader()
    host_names = agency_names()
    options = filter_options(scope, host_names)
    chosen, errors = dashboard_filters(chosen_args, options)
    return scope, options, chosen, errors


@blueprint.get("/rollout/")
@login_required
def rollout_dashboard():
    scope, options, chosen, errors = _dashboard(request.args)
    kept = _kept(chosen)
    codes = None
    if errors:
        result = Compliance(day=today(), systems={}, statuses=[], excluded=[])
    else:
        codes = read_scope(scope)
        result = run_compliance(codes, chosen, options)
    names = agency_names(result)
    findings = overdue_findings(result, codes) if not errors else {}
    statuses = [s for s in result.statuses if not chosen["breaches"] or s.breaches]
    paging = Paging(chosen["page"], PER_PAGE, len(statuses))
    shown = statuses[(paging.page - 1) * PER_PAGE : paging.page * PER_PAGE]
    page_result = Compliance(result.day, result.systems, shown, [], result.agencies)
    figures = kind_figures(result)
    _applied, skipped = applied_rules()
    from ..training.coverage import not_enrolled_counts  # TP-TRN-1: one statement

    untrained = (
        0 if errors else sum(not_enrolled_counts(list(result.systems), codes, result.day).values())
    )
    body = render_template(
        "appgov/rollout/dashboard.html",
        day=result.day,
        untrained=untrained,
        rows=dashboard_rows(page_result, names, findings),
        paging=paging,
        summary=rule_summary(result),
        total=len(result.statuses),
        compliant=sum(1 for s in result.statuses if s.compliant),
        figures=figures,
        chart=chart_data(figures),
        excluded=[
            (e, result.systems[e.system_id], names.get(e.agency_code, "")) for e in result.excluded
        ],
        options=options,
        chosen=chosen,
        errors=errors,
        kept=kept,
        filtered=bool(kept),
        skipped=skipped,
        kinds=AGENCY_KINDS,
        phases=PHASES,
        locale=current_locale(),
        short_date=short_date,
        case_url=case_url,
        page_url=lambda number: url_for("appgov.rollout_dashboard", **kept, page=number),
    )
    return body, 400 if errors else 200


def dashboard_table(result: Compliance, names: dict[str, str]) -> Table:
    locale = current_locale()
    headers = [
        _("System"),
        _("System code"),
        _("Phase"),
        _("Agency"),
        _("Agency code"),
        _("Agency kind"),
        _("Parent agency"),
        _("Headcount"),
        _("System administrators"),
        _("Minimum administrators"),
        _("Seed users"),
        _("Seed users, minimum"),
        _("Seed users, maximum"),
        _("Work group filed on"),
        _("Compliant"),
        _("Rules broken"),
        _("Breaches"),
    ]
    rows = []
    for status in result.statuses:
        system = result.systems[status.system_id]
        low, high = status.seed_limits or (None, None)
        rows.append(
            [
                system.display_name(locale),
                system.code,
                str(PHASES.get(system.phase, system.phase)),
                names.get(status.agency_code, ""),
                status.agency_code,
                str(AGENCY_KINDS.get(status.kind, status.kind or "")),
                status.parent_code or "",
                status.headcount,
                status.admins,
                status.min_admins,
                status.seeds,
                low,
                high,
                status.work_group_filed_on,
                _("yes") if status.compliant else _("no"),
                " ".join(dict.fromkeys(b.rule for b in status.breaches)),
                " ".join(f"{b.rule}: {breach_text(b, status)}" for b in status.breaches),
            ]
        )
    return Table(headers, rows, title=_("Roll-out compliance"))


@blueprint.get("/rollout.<any(csv, xlsx, ods):fmt>")
@login_required
def rollout_export(fmt: str):
    """The filtered dashboard as CSV, XLSX or ODS: every row, not one page."""
    scope, options, chosen, errors = _dashboard(request.args)
    if errors:
        abort(400, description=" ".join(errors))
    result = run_compliance(read_scope(scope), chosen, options)
    if chosen["breaches"]:
        result.statuses = [s for s in result.statuses if s.breaches]
    return export_response(dashboard_table(result, agency_names(result)), fmt, "rollout")


@dataclass
class PersonRoles:
    person: RolloutPerson
    current: list[Assignment]
    history: list[Assignment]


@dataclass
class SystemRoster:
    system: MajorSystem
    status: AgencyStatus | None
    excluded: Any
    breaches: list[tuple[Breach, str, list[Fix]]]
    current: dict[str, list[Assignment]]
    people: list[PersonRoles]


@blueprint.get("/rollout/agencies/<code>")
@login_required
def rollout_agency(code: str):
    if len(code) > LIMITS["code"]:
        abort(404)
    agency_page_scope(code)
    session = get_state().session
    agency = session.scalar(sa.select(RolloutAgency).where(RolloutAgency.code == code))
    if agency is None:
        abort(404)
    result = run_compliance({code}, dict.fromkeys(("system", "kind", "parent", "phase"), ""), None)
    names = agency_names(result)
    findings = overdue_findings(result, {code})
    assignments = list(
        session.scalars(
            sa.select(Assignment)
            .where(Assignment.agency_code == code)
            .options(sa.orm.joinedload(Assignment.person))
            .order_by(Assignment.system_id, Assignment.starts_on, Assignment.id)
        )
    )
    day = result.day
    by_system: dict[int, list[Assignment]] = defaultdict(list)
    for assignment in assignments:
        by_system[assignment.system_id].append(assignment)
    statuses = {s.system_id: s for s in result.statuses}
    excluded = {e.system_id: e for e in result.excluded}
    rosters = []
    for system_id, system in result.systems.items():
        if system_id not in statuses and system_id not in excluded and system_id not in by_system:
            continue
        status = statuses.get(system_id)
        current: dict[str, list[Assignment]] = {role: [] for role in ROLES}
        people: dict[int, PersonRoles] = {}
        for assignment in by_system.get(system_id, ()):
            entry = people.setdefault(assignment.person_id, PersonRoles(assignment.person, [], []))
            entry.history.append(assignment)
            if assignment.active_on(day):
                current[assignment.role].append(assignment)
                entry.current.append(assignment)
        rosters.append(
            SystemRoster(
                system=system,
                status=status,
                excluded=excluded.get(system_id),
                breaches=[
                    (b, breach_text(b, status), breach_fixes(b, status, findings))
                    for b in (status.breaches if status else ())
                ],
                current=current,
                people=sorted(people.values(), key=lambda p: (p.person.name, p.person.id)),
            )
        )
    from ..training.coverage import not_enrolled  # TP-TRN-1: one statement

    return render_template(
        "appgov/rollout/agency.html",
        agency=agency,
        untrained=not_enrolled(None, {code}, day),
        systems_by_id=result.systems,
        agency_name=names.get(code, code),
        parent_name=names.get(agency.parent_code or "", agency.parent_code or ""),
        rosters=rosters,
        day=day,
        roles=ROLES,
        kinds=AGENCY_KINDS,
        phases=PHASES,
        locale=current_locale(),
        short_date=short_date,
        case_url=case_url,
        on_dashboard=reads_dashboard(current_user),
        checks=CHECKS,
    )
