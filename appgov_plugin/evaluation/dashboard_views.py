"""The performance evaluation's dashboard (issue 14, item 5).

* ``/appgov/evaluation/?year=&app=`` (``appgov.evaluation_home``) -- the year's charts, each
  with its table beside it and its exports (:mod:`.dashboard`): downloads against the target
  per app and per agency (KH-KPI-1, TN-PERF-1), each store's rating per month (of one app
  with ``app``), mailbox response times per app, roll-out grades per major system
  (TP-GRADE-1), learning hours per agency (TN-LEARN-1) and seed users per major system
  (TP-SEED-1) -- each section only where the deployment applies its rules.
* ``/appgov/evaluation/charts.<csv|xlsx|ods>?chart=&year=&app=``
  (``appgov.evaluation_chart_export``) -- one chart's table as a file.

Who reads what (:mod:`.access`): the administrator everything; the city-wide readers (the
app authority, the IT department, the mayor's office) their city's agencies; an agency's
staff and head their own agency's apps and people only (another agency's app by its id
answers 404, as a missing one does); every other role 403.

Charts are drawn by Chart.js served from the package (``static/vendor/chartjs``) through the
shared ``static/appgov-charts.js``: the canvas is hidden until the script draws it and the
same figures are in the table beside it (no script, no inline code: the CSP allows it).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from flask import abort, render_template, request, url_for
from flask_login import login_required

from ..access import host_agencies
from ..apps.models import App
from ..clock import today
from ..exports import export_response
from ..i18n import _, current_locale, format_number
from ..state import get_state
from ..web import blueprint
from . import access, dashboard
from .models import FIRST_YEAR, AppEvaluation, AppFigure

blueprint.add_templates(__file__)

EXPORT_FORMATS = ("csv", "xlsx", "ods")
#: Years the chooser offers back from the current one.
YEARS_BACK = 10


def cell(value) -> str:
    """A table cell as its reader reads it: numbers with the locale's separators, nothing
    as a dash."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int | Decimal):
        return format_number(value)
    return str(value)


def _default_year(scope: set[str] | None) -> int:
    """The latest year with a result or figures the reader sees, else last year (one
    statement)."""
    years = []
    for model in (AppEvaluation, AppFigure):
        query = sa.select(sa.func.max(model.year)).join(App, App.id == model.app_id)
        if scope is not None:
            query = query.where(App.agency_code.in_(sorted(scope)))
        years.append(query.scalar_subquery())
    found = [y for y in get_state().session.execute(sa.select(*years)).one() if y is not None]
    year = max(found) if found else today().year - 1
    return min(year, today().year)


def read_year(scope: set[str] | None) -> tuple[int, list[str]]:
    """The year chosen (default :func:`_default_year`) and a message naming a bad one."""
    given = (request.args.get("year") or "").strip()
    if not given:
        return _default_year(scope), []
    last = today().year
    if given.isascii() and given.isdigit() and len(given) == 4 and FIRST_YEAR <= int(given) <= last:
        return int(given), []
    return _default_year(scope), [
        _(
            "Year: “%(value)s” is not a year from %(first)s to %(last)s.",
            value=given[:10],
            first=FIRST_YEAR,
            last=last,
        )
    ]


def read_app(scope: set[str] | None) -> App | None:
    """The app whose ratings the chart shows (``app``): 404 outside the reader's scope, as a
    missing one (ids guessed or not); 400 for what is not an id."""
    given = (request.args.get("app") or "").strip()
    if not given:
        return None
    if not (given.isascii() and given.isdigit() and len(given) < 10):
        abort(400, description=_("App: “%(value)s” is not an app's number.", value=given[:10]))
    app = get_state().session.get(App, int(given))
    if app is None:
        abort(404)
    access.require_in_scope(app.agency_code)
    return app


def context(scope: set[str] | None, year: int, app: App | None) -> dashboard.Context:
    policy = get_state().policy(as_of=min(dt.date(year, 12, 31), today()))
    names = {agency.code: agency.name() for agency in host_agencies() or ()}
    return dashboard.Context(year, scope, policy, names, app_id=app.id if app else None)


def _registry_names(ctx: dashboard.Context, codes: set[str]) -> None:
    """Names of the roll-out registry's agencies the host does not know (one statement)."""
    missing = {c for c in codes if c not in ctx.names}
    if missing:
        from ..training.hours_views import agency_names

        ctx.names.update(agency_names(missing))


def build_sections(ctx: dashboard.Context, keys: list[str], app: App | None):
    sections = []
    downloads = None
    for key in keys:
        if key == "downloads":
            downloads = dashboard.app_downloads(ctx)
            section = dashboard.downloads_section(ctx)
        elif key == "agencies":
            section = dashboard.agencies_section(ctx, downloads)
        elif key == "ratings":
            section = dashboard.ratings_section(ctx, app)
        elif key == "learning":
            section = _learning(ctx)
        else:
            section = dashboard.build(key, ctx)
        sections.append(section)
    return sections


def _learning(ctx: dashboard.Context) -> dashboard.Section:
    from ..rollout.models import RolloutPerson

    if ctx.scope is None:
        codes = set(get_state().session.scalars(sa.select(RolloutPerson.agency_code).distinct()))
    else:
        codes = set(ctx.scope)
    _registry_names(ctx, codes)
    return dashboard.learning_section(ctx)


@blueprint.get("/evaluation/")
@login_required
def evaluation_home():
    scope = access.require_reader()
    year, errors = read_year(scope)
    app = read_app(scope)
    ctx = context(scope, year, app)
    keys = dashboard.sections_applied(ctx.policy)
    sections = [] if errors else build_sections(ctx, keys, app)
    kept = {"year": year}
    if app is not None:
        kept["app"] = app.id
    last = today().year
    years = sorted({*range(last, max(FIRST_YEAR, last - YEARS_BACK) - 1, -1), year}, reverse=True)
    locale = current_locale()
    body = render_template(
        "appgov/evaluation/dashboard.html",
        year=year,
        years=years,
        app=app,
        apps=ctx.apps() if not errors and "ratings" in keys else [],
        app_name=ctx.app_name,
        errors=errors,
        sections=sections,
        applied=keys,
        cell=cell,
        locale=locale,
        year_label=dashboard.year_label,
        export_url=lambda key, fmt: url_for(
            "appgov.evaluation_chart_export", fmt=fmt, chart=key, **kept
        ),
    )
    return body, 400 if errors else 200


@blueprint.get("/evaluation/charts.<any(csv, xlsx, ods):fmt>")
@login_required
def evaluation_chart_export(fmt: str):
    """One chart's table (every row) as CSV, XLSX or ODS."""
    scope = access.require_reader()
    key = (request.args.get("chart") or "").strip()
    if key not in dashboard.CHARTS:
        abort(
            400,
            description=_(
                "Chart: “%(value)s” is not one of %(choices)s.",
                value=key[:20],
                choices=", ".join(dashboard.CHARTS),
            ),
        )
    year, errors = read_year(scope)
    if errors:
        abort(400, description=" ".join(errors))
    app = read_app(scope)
    ctx = context(scope, year, app)
    if key not in dashboard.sections_applied(ctx.policy):
        abort(404)
    section = build_sections(ctx, [key], app)[0]
    return export_response(section.table(year), fmt, f"evaluation-{key}-{year}")


def section_links() -> list[tuple[str, str]]:
    """The evaluation's pages the reader may open, for the pages' own navigation: the
    dashboard; where the deployment evaluates apps (KH-KPI-1..4, TN-PERF-1) the results, the
    figures and targets and, for the authority, the runs; where it grades roll-outs
    (TP-GRADE-1) the grades; the one-app KPI calculator."""
    from . import grades_views
    from .kpi import evaluations

    links = [("appgov.evaluation_home", _("Dashboard"))]
    if evaluations(get_state().policy()):
        links.append(("appgov.evaluation_results", _("Results")))
        links.append(("appgov.evaluation_figures", _("Figures and targets")))
        if access.is_authority():
            links.append(("appgov.evaluation_runs", _("Evaluation runs")))
    if grades_views.reads_grades():
        links.append(("appgov.evaluation_grades", _("Roll-out grades")))
    links.append(("appgov.kpi", _("KPI calculator")))
    return links


@blueprint.context_processor
def _evaluation_sections():
    return {"evaluation_section_links": section_links}
