"""Apps' monthly figures imported from a file (issue 14, item 1; KH-KPI-5, TN-PERF-1).

:func:`import_file` reads one file (:func:`appgov_plugin.imports.read_table`: CSV in UTF-8,
UTF-16 or Big5, XLSX, ODS) with the columns of :data:`COLUMNS` (English or Chinese headers):
one row per app and month -- the app's code, year, month, downloads per store, uninstalls,
each store's rating and number of ratings. Every row is checked as the form checks a month
(:func:`.figures.check_month`); a row of an app outside the importer's scope is refused as
an unknown app. All or nothing: one rejected row and nothing is stored; a dry run stores
nothing. A column the file leaves out keeps what is stored; an empty cell of a column it has
clears that figure. Each month is saved through :func:`.figures.save_figures` (source
``import``), which records every change in the app's history.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from ..apps.models import App
from ..i18n import _
from ..import_columns import Column, RowReader, column, import_data, match_columns, store
from ..import_columns import Report as BaseReport
from ..imports import ImportedTable
from ..state import get_state
from . import figures
from .models import AppFigure

COLUMNS: tuple[Column, ...] = (
    # the first name is the report's; the export's headers (English and Chinese) are here too
    column("app", "app code", "code", "App 代碼", "應用程式代碼", "代碼", required=True),
    column("year", "year", "年度", "年", required=True),
    column("month", "month", "月份", "月", required=True),
    column("downloads_ios", "downloads iOS", "downloads (iOS)", "iOS downloads", "iOS 下載數"),
    column(
        "downloads_android",
        "downloads Android",
        "downloads (Android)",
        "Android downloads",
        "Android 下載數",
    ),
    column("uninstalls", "uninstalls", "解除安裝數", "移除數"),
    column("rating_ios", "rating iOS", "rating (iOS)", "iOS rating", "iOS 評分", "iOS 星等"),
    column(
        "ratings_ios",
        "ratings iOS",
        "number of ratings (iOS)",
        "iOS ratings",
        "iOS 評分數",
        "iOS 評分人數",
    ),
    column(
        "rating_android",
        "rating Android",
        "rating (Android)",
        "Android rating",
        "Android 評分",
        "Android 星等",
    ),
    column(
        "ratings_android",
        "ratings Android",
        "number of ratings (Android)",
        "Android ratings",
        "Android 評分數",
        "Android 評分人數",
    ),
)


@dataclass
class Accepted:
    row: int
    app: App
    year: int
    month: int
    values: dict[str, Any]


@dataclass
class Report(BaseReport):
    accepted: list[Accepted] = field(default_factory=list)


def _apps(codes: set[str]) -> dict[str, App]:
    if not codes:
        return {}
    query = sa.select(App).where(App.code.in_(sorted(codes)))
    return {app.code: app for app in get_state().session.scalars(query)}


def _stored(apps: list[App], years: set[int]) -> dict[tuple[int, int, int], AppFigure]:
    if not apps or not years:
        return {}
    query = sa.select(AppFigure).where(
        AppFigure.app_id.in_(sorted({a.id for a in apps})), AppFigure.year.in_(sorted(years))
    )
    return {(r.app_id, r.year, r.month): r for r in get_state().session.scalars(query)}


def import_table(
    table: ImportedTable,
    *,
    dry_run: bool,
    filename: str = "",
    allowed: set[str] | None = None,
    actor: str = "",
    commit: bool = True,
) -> Report:
    """Check ``table`` and, unless ``dry_run`` or a row is rejected, store its figures in one
    transaction. ``allowed``: the agencies whose apps the importer records (``None``: all)."""
    report = Report("figures", dry_run, filename, table.format, table.encoding, len(table.rows))
    mapped = match_columns(
        table, COLUMNS, report, _("Unknown column: not imported (the page lists the columns).")
    )
    if not report.ok:
        return report
    if not table.rows:
        report.error(None, None, _("The file has a header but no rows."))
        return report
    given = [c.key for c in COLUMNS if c.key in mapped.positions and c.key in figures.FIGURE_FIELDS]
    rows = []
    for row in table:
        cells = RowReader(row, mapped, report, COLUMNS)
        code = cells.text("app", 64, required=True)
        year, month = cells.raw("year"), cells.raw("month")
        for key, value in (("year", year), ("month", month)):
            if value is None or (isinstance(value, str) and not value.strip()):
                cells.fail(key, _("Empty; every row needs a value here."))
        rows.append((row, cells, code, year, month))
    apps = _apps({code for _r, _c, code, _y, _m in rows if code})
    years = set()
    for _r, _c, _code, year, _m in rows:
        with contextlib.suppress(ValueError):
            years.add(figures.parse_year(year))
    stored = _stored(list(apps.values()), years)
    first: dict[tuple[int, int, int], int] = {}
    for row, cells, code, year, month in rows:
        if cells.bad:
            continue
        app = apps.get(code)
        if app is None or (allowed is not None and app.agency_code not in allowed):
            # another agency's app is answered as an unknown one
            cells.fail("app", _("No app of yours has the code %(code)s.", code=code))
            continue
        values = {key: cells.raw(key) for key in given}
        try:
            checked_year, checked_month, clean = figures.check_month(year, month, values)
            figures.check_month(
                year, month, values, stored=stored.get((app.id, checked_year, checked_month))
            )
        except figures.FiguresError as error:
            for name, message in error.problems.items():
                cells.fail(name, message)  # the check's fields are the columns' keys
            continue
        key = (app.id, checked_year, checked_month)
        if key in first:
            cells.fail(
                "month",
                _("The app, year and month are in row %(row)s already.", row=first[key]),
            )
            continue
        first[key] = row.number
        report.accepted.append(Accepted(row.number, app, checked_year, checked_month, clean))
    for accepted in report.accepted:
        row = stored.get((accepted.app.id, accepted.year, accepted.month))
        if row is None:
            report.new += 1
        elif any(getattr(row, k) != v for k, v in accepted.values.items()):
            report.updated += 1
        else:
            report.unchanged += 1

    def write() -> bool:
        for accepted in report.accepted:
            figures.save_figures(
                accepted.app, accepted.year, accepted.month, accepted.values, "import", actor
            )
        return bool(report.new or report.updated)

    return store(
        report,
        write,
        commit=commit,
        conflict=figures.FiguresError,  # someone changed a month meanwhile
        refusal=lambda error: "; ".join(error.problems.values()),
    )


def import_file(data: bytes, filename: str, *, dry_run: bool, **options: Any) -> Report:
    """Read ``data`` (``filename``: .csv, .xlsx or .ods; ``max_rows``, ``max_bytes``: the
    reader's limits) and import it (:func:`import_table`: ``allowed``, ``actor``, ``commit``); a
    file that cannot be read is a report with one error."""
    return import_data(data, filename, Report, "figures", import_table, dry_run=dry_run, **options)
