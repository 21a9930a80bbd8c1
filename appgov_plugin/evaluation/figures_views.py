"""The apps' figures per month and targets per year (issue 14, item 1; KH-KPI-1, KH-KPI-5,
TN-PERF-1): pages, exports and the file import.

* ``/appgov/evaluation/figures?year=&page=`` (``appgov.evaluation_figures``) -- the apps
  in the reader's scope with, for the year, the months entered and the year's totals;
  exports ``/appgov/evaluation/figures.csv|xlsx|ods?year=`` of every month's figures (the
  columns the import reads, so an export can be corrected and imported again).
* ``/appgov/evaluation/apps/<id>/figures?year=`` (``appgov.evaluation_app_figures``) -- one
  app's 12 months in a grid and its targets of the year (the fields the deployment's
  evaluations need: Kaohsiung's target population and its basis, Tainan's own targets).
  The agency's staff enter and correct them (``access.records_figures``); the other
  readers read them.
* ``/appgov/evaluation/figures/import`` (``appgov.evaluation_figures_import``) -- the file
  import (all or nothing, :mod:`.figures_import`).

Every save goes through :mod:`.figures` (the one check). Who reads what is
:mod:`.access`: an app of another agency, by its id, answers 404 as a missing one does;
a role that reads nothing here 403.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms import StringField, SubmitField
from wtforms.validators import Optional

from ..access import agency_name
from ..apps.models import App
from ..clock import today
from ..exports import FORMATS, Table, export_response
from ..forms.builder import AppGovForm
from ..i18n import _, _l, current_locale, format_number
from ..import_columns import accepted_columns
from ..import_pages import ImportFileForm, import_upload, limits_text
from ..paging import Paging
from ..state import get_state
from ..training.hours_views import year_label
from ..web import blueprint
from . import access, figures, figures_import, kpi
from .models import FIGURE_SOURCES, FIRST_YEAR, AppFigure

blueprint.add_templates(__file__)

PER_PAGE = 50
MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _actor() -> str:
    return getattr(current_user, "username", "") or ""


def _year(latest: int | None = None) -> tuple[int, str | None]:
    """``?year=`` (default this year) and the problem with it, if any."""
    latest = today().year if latest is None else latest
    raw = request.args.get("year", "").strip()
    if not raw:
        return today().year, None
    try:
        return figures.parse_year(raw, latest=latest), None
    except ValueError as error:
        return today().year, str(error)


def month_label(month: int) -> str:
    """A month as its reader names it: 3 月 in zh, March in en."""
    if current_locale() == "zh_Hant_TW":
        return f"{month} 月"
    return MONTH_NAMES[month - 1]


def number(value: Any) -> str:
    return "" if value is None else format_number(value)


# -- the list ------------------------------------------------------------------------------


def _apps_query(scope: set[str] | None):
    query = sa.select(App)
    if scope is not None:
        query = query.where(App.agency_code.in_(sorted(scope)))
    return query.order_by(App.agency_code, App.code, App.id)


def _totals(app_ids: list[int], year: int) -> dict[int, dict[str, Any]]:
    """Per app: the months entered and the year's sums (one query)."""
    out: dict[int, dict[str, Any]] = {}
    if not app_ids:
        return out
    f = AppFigure
    query = (
        sa.select(f.app_id, f.month, f.downloads_ios, f.downloads_android, f.uninstalls)
        .where(f.year == year, f.app_id.in_(app_ids))
        .order_by(f.app_id, f.month)
    )
    for app_id, month, ios, android, uninstalls in get_state().session.execute(query):
        row = out.setdefault(
            app_id,
            {"months": [], "downloads_ios": 0, "downloads_android": 0, "uninstalls": None},
        )
        row["months"].append(month)
        row["downloads_ios"] += ios or 0
        row["downloads_android"] += android or 0
        if uninstalls is not None:
            row["uninstalls"] = (row["uninstalls"] or 0) + uninstalls
    return out


def _years(chosen: int, latest: int) -> list[int]:
    """The years offered, newest first: ten back from ``latest``, and the one chosen."""
    offered = set(range(max(FIRST_YEAR, today().year - 10), latest + 1)) | {chosen}
    return sorted(offered, reverse=True)


def _page() -> int:
    raw = request.args.get("page", "1").strip()
    return int(raw) if raw.isdigit() and 0 < int(raw) < 100_000 else 1


@blueprint.get("/evaluation/figures")
@login_required
def evaluation_figures():
    scope = access.require_reader()
    year, problem = _year()
    session = get_state().session
    total = session.scalar(sa.select(sa.func.count()).select_from(_apps_query(scope).subquery()))
    paging = Paging(_page(), PER_PAGE, int(total or 0))
    apps = list(
        session.scalars(_apps_query(scope).limit(PER_PAGE).offset((paging.page - 1) * PER_PAGE))
    )
    totals = _totals([a.id for a in apps], year)
    locale = current_locale()
    body = render_template(
        "appgov/evaluation/figures.html",
        year=year,
        problem=problem,
        apps=apps,
        totals=totals,
        paging=paging,
        years=_years(year, today().year),
        records=access.records_figures(),
        app_name=lambda app: app.display_name(locale),
        agency_name=agency_name,
        year_label=year_label,
        month_label=month_label,
        number=number,
        formats=FORMATS,
        export_url=lambda fmt: url_for("appgov.evaluation_figures_export", fmt=fmt, year=year),
        page_url=lambda n: url_for("appgov.evaluation_figures", year=year, page=n),
        app_url=lambda app: url_for("appgov.evaluation_app_figures", app_id=app.id, year=year),
    )
    return body, 400 if problem else 200


EXPORT_COLUMNS = (
    ("app", _l("App code")),
    ("name", _l("App")),
    ("agency", _l("Agency")),
    ("year", _l("Year")),
    ("month", _l("Month")),
    *((name, figures.LABELS[name]) for name in figures.FIGURE_FIELDS),
    ("source", _l("Figures from")),
    ("recorded_by", _l("Recorded by")),
    ("recorded_at", _l("Recorded at")),
)


def figures_table(year: int, scope: set[str] | None) -> Table:
    """Every month's figures of ``year`` of the apps in ``scope`` (one query)."""
    f = AppFigure
    query = sa.select(App, f).join(f, f.app_id == App.id).where(f.year == year)
    if scope is not None:
        query = query.where(App.agency_code.in_(sorted(scope)))
    query = query.order_by(App.agency_code, App.code, f.month)
    locale = current_locale()
    rows = [
        [
            app.code,
            app.display_name(locale),
            agency_name(app.agency_code),
            row.year,
            row.month,
            *(getattr(row, name) for name in figures.FIGURE_FIELDS),
            str(FIGURE_SOURCES.get(row.source, row.source)),
            row.recorded_by,
            row.recorded_at,
        ]
        for app, row in get_state().session.execute(query)
    ]
    return Table([str(label) for _key, label in EXPORT_COLUMNS], rows, title=_("Figures"))


@blueprint.get("/evaluation/figures.<any(csv, xlsx, ods):fmt>")
@login_required
def evaluation_figures_export(fmt: str):
    scope = access.require_reader()
    year, problem = _year()
    if problem:
        abort(400, description=problem)
    return export_response(figures_table(year, scope), fmt, f"app-figures-{year}")


# -- one app -------------------------------------------------------------------------------


def field_name(month: int, name: str) -> str:
    return f"m{month}_{name}"


def _grid_form(year: int):
    """The 12-month grid: one text input per month and figure (the months begun only)."""
    now = today()
    last = now.month if year == now.year else 12

    class FiguresGridForm(AppGovForm):
        save_figures = SubmitField(_l("Save the figures"))

    for month in range(1, last + 1):
        for name in figures.FIGURE_FIELDS:
            setattr(
                FiguresGridForm,
                field_name(month, name),
                StringField(
                    _("%(month)s: %(field)s", month=month_label(month), field=figures.label(name)),
                    validators=[Optional()],
                ),
            )
    return FiguresGridForm, range(1, last + 1)


def target_fields(policy) -> list[str]:
    """The targets the deployment's evaluations need (``kpi.evaluations``)."""
    out: list[str] = []
    for key in kpi.evaluations(policy):
        out.extend(name for name in figures.TARGETS_OF.get(key, ()) if name not in out)
    return out


def _target_form(names: list[str]):
    class TargetForm(AppGovForm):
        save_target = SubmitField(_l("Save the targets"))

    for name in names:
        setattr(TargetForm, name, StringField(figures.LABELS[name], validators=[Optional()]))
    return TargetForm


def _shown(value: Any) -> str:
    if value is None:
        return ""
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def _visible_app(app_id: int) -> App:
    app = get_state().session.get(App, app_id) if 0 < app_id < 2**31 else None
    if app is None:
        abort(404)
    access.require_in_scope(app.agency_code)  # another agency's app: 404 as a missing one
    return app


def _put_problems(form, problems: dict[str, str], month: int | None = None) -> None:
    for name, message in problems.items():
        key = field_name(month, name) if month is not None else name
        target = form._fields.get(key)
        if target is not None:
            target.errors = [message]
        else:
            form.form_errors = [*form.form_errors, message]


@blueprint.route("/evaluation/apps/<int:app_id>/figures", methods=["GET", "POST"])
@login_required
def evaluation_app_figures(app_id: int):
    access.require_reader()
    app = _visible_app(app_id)
    writer = access.records_figures()
    if request.method == "POST" and not writer:
        abort(403, description=_("The agency's staff enter the app's figures and targets."))
    policy = get_state().policy()
    targets = target_fields(policy)
    year, problem = _year(latest=figures.target_latest_year())
    if problem:
        abort(400, description=problem)
    grid_class, months = _grid_form(year)
    target_class = _target_form(targets)
    stored = figures.months_of(app.id, year)
    target = figures.target_of(app.id, year)
    posted = request.method == "POST"
    which = "target" if posted and "save_target" in request.form else "figures"
    grid = grid_class(formdata=request.form if posted and which == "figures" else None)
    target_form = target_class(formdata=request.form if posted and which == "target" else None)
    if not (posted and which == "figures"):
        for month in months:
            for name in figures.FIGURE_FIELDS:
                grid[field_name(month, name)].data = _shown(getattr(stored.get(month), name, None))
    if not (posted and which == "target"):
        for name in targets:
            target_form[name].data = _shown(getattr(target, name, None))
    status = 200
    if posted:
        session = get_state().session
        form = grid if which == "figures" else target_form
        if form.validate():  # the CSRF token
            try:
                if which == "figures":
                    changed = _save_grid(app, year, months, grid)
                else:
                    _refuse_empty_targets(target_form, targets)
                    try:
                        saved = figures.save_target(
                            app, year, {n: target_form[n].data for n in targets}, _actor()
                        )
                    except figures.FiguresError as error:
                        _put_problems(target_form, error.problems)
                        raise
                    changed = 1 if saved.changed else 0
                session.commit()
            except figures.FiguresError:
                session.rollback()
                status = 400
            except BaseException:
                session.rollback()
                raise
            else:
                flash(
                    (
                        _("The figures are saved: %(count)s months changed.", count=changed)
                        if which == "figures"
                        else _("The targets are saved.")
                    )
                    if changed
                    else _("Nothing changed."),
                    "success",
                )
                return redirect(
                    url_for("appgov.evaluation_app_figures", app_id=app.id, year=year), code=303
                )
        else:
            status = 400
    locale = current_locale()
    body = render_template(
        "appgov/evaluation/app_figures.html",
        app=app,
        app_name=app.display_name(locale),
        agency=agency_name(app.agency_code),
        year=year,
        years=_years(year, figures.target_latest_year()),
        figures_open=year <= today().year,
        grid=grid,
        months=list(months),
        fields=figures.FIGURE_FIELDS,
        field_name=field_name,
        stored=stored,
        target_form=target_form,
        targets=targets,
        writer=writer,
        failed=which if status == 400 else None,
        month_label=month_label,
        label=figures.label,
        year_label=year_label,
        number=number,
        sources=FIGURE_SOURCES,
        evaluations=[kpi.EVALUATIONS[k] for k in kpi.evaluations(policy)],
        totals=_totals([app.id], year).get(app.id),
    )
    return body, status


def _refuse_empty_targets(form, names: list[str]) -> None:
    """An empty target form would clear the year's targets: refused, naming the first
    field (a target is cleared on its own)."""
    if names and all(not str(form[n].data or "").strip() for n in names):
        form[names[0]].errors = [
            _(
                "%(field)s: enter at least one target; to remove a target, clear its field only.",
                field=figures.label(names[0]),
            )
        ]
        raise figures.FiguresError({})


def _save_grid(app: App, year: int, months, grid) -> int:
    """Every month of the grid checked first (all problems at once), then saved; nothing
    is written when any month is refused (:class:`figures.FiguresError`)."""
    stored = figures.months_of(app.id, year)
    if len(months) and all(
        not (grid[field_name(m, n)].data or "").strip()
        for m in months
        for n in figures.FIGURE_FIELDS
    ):
        # an empty grid would clear the whole year: refused (a month is cleared on its own)
        first = field_name(next(iter(months)), figures.FIGURE_FIELDS[0])
        grid[first].errors = [
            _(
                "%(month)s: enter the figures of at least one month; to remove a month's "
                "figures, clear that month's fields only.",
                month=month_label(next(iter(months))),
            )
        ]
        raise figures.FiguresError({})
    wanted: dict[int, dict[str, Any]] = {}
    failed = False
    for month in months:
        values = {name: grid[field_name(month, name)].data for name in figures.FIGURE_FIELDS}
        try:
            figures.check_month(year, month, values, stored=stored.get(month))
        except figures.FiguresError as error:
            _put_problems(grid, error.problems, month)
            failed = True
        wanted[month] = values
    if failed:
        raise figures.FiguresError({})
    changed = 0
    for month, values in wanted.items():
        try:
            saved = figures.save_figures(app, year, month, values, "form", _actor())
        except figures.FiguresError as error:
            _put_problems(grid, error.problems, month)
            raise
        changed += 1 if saved.changed else 0
    return changed


# -- the import ------------------------------------------------------------------------------


class FiguresImportForm(ImportFileForm):
    """A file of apps' monthly figures (KH-KPI-5, TN-PERF-1)."""


@blueprint.route("/evaluation/figures/import", methods=["GET", "POST"])
@login_required
def evaluation_figures_import():
    access.require_reader()
    if not access.records_figures():
        abort(403, description=_("The agency's staff import their apps' figures."))
    form = FiguresImportForm()
    report, status = None, 200
    if request.method == "POST":
        report, status = import_upload(
            form,
            lambda data, filename, dry_run: figures_import.import_file(
                data, filename, dry_run=dry_run, allowed=access.scope(), actor=_actor()
            ),
        )
    locale = current_locale()
    body = render_template(
        "appgov/evaluation/figures_import.html",
        form=form,
        report=report,
        limits=limits_text(),
        accepted=accepted_columns(figures_import.COLUMNS),
        app_name=lambda app: app.display_name(locale),
        month_label=month_label,
        number=number,
        fields=figures.FIGURE_FIELDS,
        label=figures.label,
    )
    return body, status
