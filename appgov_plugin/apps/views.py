"""The app registry's pages: the apps of the agencies the reader may see (filtered, searched,
paged), one app's page (its status, stores, icon, version history, cases and the cases its
agency may open next) and the app's icon.

Query counts do not grow with the registry: the list is one statement (the page's apps, the
total, each app's open cases and next due date); an app's page reads the app, its history,
its cases and their open deadlines once each.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import abort, current_app, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from ..access import agency_name, host_agencies, visible_agency_codes
from ..clock import today
from ..i18n import _, _l, current_locale, format_date
from ..lifecycle import deadlines, registry
from ..lifecycle.case_types import DELISTING, LISTING
from ..lifecycle.models import AppCase, AppEvent, Deadline
from ..state import get_state
from ..uploads import as_reference, detect_file, mime_type, stored_path
from ..web import blueprint
from .models import APP_STATUSES, App, app_id_of

blueprint.add_templates(__file__)

#: Apps per page of the list.
PER_PAGE = 50
#: Longest search text taken (characters); a longer one is cut.
MAX_SEARCH = 100
#: The platforms an app may be in (a store link each, :attr:`App.platforms`).
PLATFORMS = {"ios": "iOS", "android": "Android"}
#: Kinds of history step that bring a version (the version history).
VERSION_KINDS = ("listed", "version", "relisted")
#: The image kinds an icon is served as (KH-LIST-2: PNG or JPEG); anything else is 404.
ICON_TYPES = ("png", "jpeg")

#: The endpoint of the app history's exports (built by the lifecycle's exports module).
HISTORY_EXPORT = "appgov.app_history_export"

#: What each kind of history step is called (``AppEvent.kind``).
EVENT_LABELS = {
    "registered": _l("Registered"),
    "listed": _l("Listed"),
    "version": _l("New version"),
    "relisted": _l("Relisted"),
    "taken_down": _l("Taken down"),
    "delisting_scheduled": _l("Delisting scheduled"),
    "delisted": _l("Delisted"),
    "stopped": _l("Development stopped"),
    "portal_announced": _l("Announced on the portal"),
    "kpi_result": _l("Yearly result recorded"),
    "plan_opened": _l("Improvement plan asked for"),
    "forced_delisting_opened": _l("Forced delisting opened"),
    "corrected": _l("Corrected by an administrator"),
}
#: The evaluation's figures and targets, recorded as ``kpi_result`` steps whose details say
#: which (``record``: appgov_plugin/evaluation/figures.py).
RECORD_LABELS = {
    "figures": _l("Evaluation figures changed"),
    "target": _l("Evaluation targets changed"),
}


def event_label(event) -> str:
    """What a history step is called, in the reader's language."""
    record = (event.details or {}).get("record") if event.kind == "kpi_result" else None
    if record in RECORD_LABELS:
        return str(RECORD_LABELS[record])
    return str(EVENT_LABELS.get(event.kind, event.kind))


#: Which lifecycle case an app's agency may open next, by the app's status.
NEXT_CASES = {
    "in_development": (LISTING,),
    "suspended": (LISTING, DELISTING),
    "listed": (LISTING, DELISTING),
}


def host_case_types():
    """The host's case type registry (empty without a case host: ``AppGov(app)``)."""
    host = current_app.extensions.get("casehost")
    return host.case_types if host is not None else {}


def visible_app(app_id: int) -> App:
    """App ``app_id`` when the reader may see it, else 404 (alike for a missing app)."""
    number = app_id_of(app_id)
    app = get_state().session.get(App, number) if number is not None else None
    agencies = visible_agency_codes()
    if app is None or (agencies is not None and app.agency_code not in agencies):
        abort(404)
    return app


# -- the list -------------------------------------------------------------------------------


@dataclass
class ListPage:
    apps: list[App]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def first(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.total and self.apps else 0

    @property
    def last(self) -> int:
        return self.first + len(self.apps) - 1 if self.apps else 0

    def window(self, around: int = 2) -> list[int | None]:
        """Page numbers to link: the first, the last and ``around`` each side of the current
        one; ``None`` for a gap."""
        wanted = {1, self.pages, *range(self.page - around, self.page + around + 1)}
        numbers = sorted(n for n in wanted if 1 <= n <= self.pages)
        out: list[int | None] = []
        for number in numbers:
            if out and number - (out[-1] or 0) > 1:
                out.append(None)
            out.append(number)
        return out


def agency_options(visible: set[str] | None) -> list[tuple[str, str]]:
    """(code, name in the reader's language) of the agencies the reader may see."""
    agencies = host_agencies()
    if agencies is None:
        codes = sorted(visible or ())
        return [(code, code) for code in codes]
    return [(a.code, a.name()) for a in agencies if visible is None or a.code in visible]


def open_case_condition() -> sa.ColumnElement[bool]:
    """SQL: the linked case is not in a final state of its type's workflow."""
    finals = [
        sa.and_(AppCase.type_key == t.key, AppCase.status.in_(sorted(t.workflow.final_states)))
        for t in host_case_types()
        if t.workflow.final_states
    ]
    return sa.not_(sa.or_(*finals)) if finals else sa.true()


def list_filters(args, agencies: list[tuple[str, str]]) -> tuple[dict, list[str]]:
    """The list's filters from the query string and the messages about bad ones (each
    naming its filter)."""
    chosen = {"agency": "", "status": "", "platform": "", "q": "", "page": 1}
    errors = []
    agency = (args.get("agency") or "").strip()
    if agency:
        if agency in {code for code, _name in agencies}:
            chosen["agency"] = agency
        else:
            errors.append(
                _("Agency: “%(value)s” is not one of the agencies you may see.", value=agency)
            )
    status = (args.get("status") or "").strip()
    if status:
        if status in APP_STATUSES:
            chosen["status"] = status
        else:
            errors.append(_("Status: “%(value)s” is not an app status.", value=status))
    platform = (args.get("platform") or "").strip()
    if platform:
        if platform in PLATFORMS:
            chosen["platform"] = platform
        else:
            errors.append(
                _("Platform: “%(value)s” is not a platform (iOS or Android).", value=platform)
            )
    chosen["q"] = (args.get("q") or "").strip()[:MAX_SEARCH]
    page = (args.get("page") or "").strip()
    if page:
        if page.isascii() and page.isdigit() and 0 < len(page) < 7 and int(page) > 0:
            chosen["page"] = int(page)
        else:
            errors.append(_("Page: “%(value)s” is not a page number.", value=page))
    return chosen, errors


def app_page(
    visible: set[str] | None, chosen: dict, per_page: int = PER_PAGE
) -> tuple[ListPage, dict[int, int], dict[int, Any]]:
    """One page of the apps matching ``chosen`` that the reader may see, with the total and
    each app's open cases and next due date: one statement (the page's ids and the total by
    a window count, then the two figures of those apps only). A page beyond the last one is
    empty (its total then reads 0)."""
    conditions = []
    if visible is not None:
        conditions.append(App.agency_code.in_(sorted(visible)) if visible else sa.false())
    if chosen["agency"]:
        conditions.append(App.agency_code == chosen["agency"])
    if chosen["status"]:
        conditions.append(App.status == chosen["status"])
    if chosen["platform"]:
        column = App.ios_url if chosen["platform"] == "ios" else App.android_url
        conditions.append(sa.and_(column.is_not(None), column != ""))
    if chosen["q"]:
        conditions.append(sa.func.lower(App.name).contains(chosen["q"].lower(), autoescape=True))
    page = chosen["page"]
    order = (App.agency_code, App.name, App.id)
    chosen_ids = (
        sa.select(App.id, sa.func.count().over().label("total"))
        .where(*conditions)
        .order_by(*order)
        .limit(per_page)
        .offset((page - 1) * per_page)
        .subquery("chosen")
    )
    open_cases = (
        sa.select(sa.func.count())
        .select_from(AppCase)
        .where(AppCase.app_id == App.id, open_case_condition())
        .correlate(App)
        .scalar_subquery()
    )
    next_due = (
        sa.select(sa.func.min(Deadline.due_on))
        .where(Deadline.app_id == App.id, Deadline.closed_at.is_(None))
        .correlate(App)
        .scalar_subquery()
    )
    rows = (
        get_state()
        .session.execute(
            sa.select(App, chosen_ids.c.total, open_cases, next_due)
            .join(chosen_ids, chosen_ids.c.id == App.id)
            .order_by(*order)
        )
        .all()
    )
    listing = ListPage([row[0] for row in rows], rows[0][1] if rows else 0, page, per_page)
    counts = {row[0].id: row[2] for row in rows if row[2]}
    due = {row[0].id: row[3] for row in rows if row[3] is not None}
    return listing, counts, due


@blueprint.get("/")
@login_required
def index():
    state = get_state()
    visible = visible_agency_codes()
    agencies = agency_options(visible)
    chosen, errors = list_filters(request.args, agencies)
    if errors:
        listing = ListPage([], 0, 1, PER_PAGE)
        counts, due = {}, {}
    else:
        listing, counts, due = app_page(visible, chosen)
    kept = {k: v for k, v in chosen.items() if v and k != "page"}
    # what each row shows, translated once per page rather than once per row
    locale, on = current_locale(), today()
    names = dict(agencies)
    rows = [
        (
            app,
            names.get(app.agency_code) or agency_name(app.agency_code),
            _(", ").join(PLATFORMS[p] for p in app.platforms),
            format_date(due[app.id], locale, style="short") if app.id in due else "",
            app.id in due and due[app.id] < on,
        )
        for app in listing.apps
    ]
    body = render_template(
        "appgov/apps/index.html",
        listing=listing,
        rows=rows,
        status_labels={key: str(label) for key, label in APP_STATUSES.items()},
        counts=counts,
        chosen=chosen,
        errors=errors,
        agencies=agencies,
        statuses=APP_STATUSES,
        platforms=PLATFORMS,
        page_url=lambda number: url_for("appgov.index", **kept, page=number),
        filtered=bool(kept),
        policy=state.policy(),
    )
    return body, 400 if errors else 200


# -- one app --------------------------------------------------------------------------------


@dataclass
class CaseRow:
    case_id: int
    url: str | None
    type_label: Any
    state_label: Any
    due_on: Any
    due_label: Any
    overdue: bool


def case_rows(app_id: int) -> list[CaseRow]:
    """The app's cases with their type, state and due date (two queries)."""
    links = registry.cases_of(app_id)
    open_ = deadlines.open_deadlines([link.case_id for link in links])
    case_types = host_case_types()
    has_page = "main.case_detail" in current_app.view_functions
    on = today()
    rows = []
    for link in links:
        case_type = case_types[link.type_key] if link.type_key in case_types else None  # noqa: SIM401 (a registry, no .get)
        states = case_type.workflow.states if case_type else {}
        deadline = open_.get(link.case_id)
        shown = deadlines.as_case_deadline(deadline, on) if deadline else None
        rows.append(
            CaseRow(
                case_id=link.case_id,
                url=url_for("main.case_detail", case_id=link.case_id) if has_page else None,
                type_label=case_type.label if case_type else link.type_key,
                state_label=states.get(link.status, link.status),
                due_on=shown.due_on if shown else None,
                due_label=shown.label if shown else None,
                overdue=bool(shown and shown.overdue),
            )
        )
    return rows


def next_cases(app: App) -> list[tuple[Any, str]]:
    """(label, address) of the lifecycle cases the reader may open for ``app`` now: the
    agency's own users in the case type's filing role, for the types the host offers."""
    if "main.new_case" not in current_app.view_functions:
        return []
    user = current_user
    if getattr(user, "agency_code", None) != app.agency_code:
        return []
    case_types = host_case_types()
    out = []
    for key in NEXT_CASES.get(app.status, ()):
        if key not in case_types:
            continue
        case_type = case_types[key]
        if case_type.creator_role != getattr(user, "role", None) or not case_type.is_offered():
            continue
        if key == LISTING:
            label = _("File a version change") if app.status == "listed" else _("File a listing")
        else:
            label = case_type.label
        out.append((label, url_for("main.new_case", type_key=key, app=app.id)))
    return out


def version_rows(events: list[AppEvent]) -> list[AppEvent]:
    """The history's steps that brought a version, newest first."""
    return [e for e in reversed(events) if e.kind in VERSION_KINDS and e.version]


@blueprint.get("/apps/<int:app_id>")
@login_required
def app_detail(app_id):
    app = visible_app(app_id)
    current = get_state().policy()
    events = registry.history(app.id)
    has_case_page = "main.case_detail" in current_app.view_functions
    return render_template(
        "appgov/apps/app.html",
        app=app,
        statuses=APP_STATUSES,
        platforms=PLATFORMS,
        icon=as_reference(app.icon),
        events=list(reversed(events)),
        versions=version_rows(events),
        event_label=event_label,
        cases=case_rows(app.id),
        next_cases=next_cases(app),
        case_url=(lambda case_id: url_for("main.case_detail", case_id=case_id))
        if has_case_page
        else (lambda case_id: None),
        mailbox_rule=current.applies("TN-EVAL-4") or current.applies("TN-MAIL-1"),
        # the history's CSV/XLSX/ODS (lifecycle/exports.py), where it is installed
        history_export=HISTORY_EXPORT if HISTORY_EXPORT in current_app.view_functions else None,
    )


@blueprint.get("/apps/<int:app_id>/icon")
@login_required
def app_icon(app_id):
    """The app's icon (KH-LIST-2), to anyone who may see the app; 404 when it has none."""
    app = visible_app(app_id)
    reference = as_reference(app.icon)
    if reference is None:
        abort(404)
    path = stored_path(reference["sha256"])
    if not path.is_file():
        abort(404)
    kinds = detect_file(path)
    if not kinds or kinds[0] not in ICON_TYPES:
        abort(404)  # only an image is shown inline; the content decides, never the name
    response = send_file(path, mimetype=mime_type(kinds), conditional=True, etag=False)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, max-age=300"
    response.headers.setdefault("Content-Security-Policy", "default-src 'none'; sandbox")
    return response
