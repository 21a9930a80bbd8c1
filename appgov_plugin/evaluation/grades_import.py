"""Roll-out scores imported from a file (TP-GRADE-0..1): the IT department's spreadsheet.

:func:`import_file` reads one file (:func:`appgov_plugin.imports.read_table`: CSV in UTF-8,
UTF-16 or Big5, XLSX, ODS) with the columns of :data:`COLUMNS` (Chinese or English headers)
and checks every row with :func:`.grades.check_score` -- the same check as the form's. All
or nothing: one rejected row and nothing is stored; a dry run stores nothing. A row of an
agency, system and year recorded already updates that score (never a second one); an
unchanged row is left alone.

The statements do not grow with the rows: the registry is read once (:class:`.grades.Known`:
four queries), the new scores are written with one ``executemany`` and the changed ones each
by their primary key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ..db import utcnow
from ..i18n import _
from ..import_columns import Column, RowReader, column, import_data, match_columns, store
from ..import_columns import Report as BaseReport
from ..imports import ImportedTable
from ..rollout.importer import as_yes_no
from ..state import get_state
from .grades import FIELDS, Known, ScoreError, ScoreValues, check_score, evaluation_date
from .models import FIRST_YEAR, LAST_YEAR, RolloutScore

COLUMNS: tuple[Column, ...] = (
    column("agency_code", "agency code", "agency", "機關代碼", "機關", required=True),
    column("system", "system code", "system", "系統代碼", "系統", required=True),
    column("year", "year", "年度", "考評年度", required=True),
    column("stage", "stage", "階段", "考評階段"),
    column("score", "score", "分數", "總分", "考評分數", required=True),
    column("group", "group", "組別", "業務性質", "分組"),
    column(
        "in_it_evaluation",
        "in it evaluation",
        "in_it_evaluation",
        "資訊績效考評對象",
        "資訊績效考核對象",
    ),
    column("note", "note", "備註"),
)


@dataclass
class Accepted:
    row: int
    values: ScoreValues


@dataclass
class Report(BaseReport):
    accepted: list[Accepted] = field(default_factory=list)


def _year(value: Any) -> Any:
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    return value


def import_table(
    table: ImportedTable,
    *,
    dry_run: bool,
    filename: str = "",
    allowed: set[str] | None = None,
    actor: str = "",
    commit: bool = True,
) -> Report:
    """Check ``table`` and, unless ``dry_run`` or a row is rejected, store its scores in one
    transaction. ``allowed``: the agencies the importer records for (``None``: all)."""
    report = Report("grades", dry_run, filename, table.format, table.encoding, len(table.rows))
    mapped = match_columns(
        table, COLUMNS, report, _("Unknown column: not imported (the page lists the columns).")
    )
    if not report.ok:
        return report
    if not table.rows:
        report.error(None, None, _("The file has a header but no rows."))
        return report
    session = get_state().session
    known = Known.load(allowed)
    policies: dict[int, Any] = {}
    first_row: dict[tuple[str, int, int], int] = {}
    for row in table:
        cells = RowReader(row, mapped, report, COLUMNS)
        raw = {
            "agency_code": cells.text("agency_code", 40, required=True),
            "system": cells.text("system", 40, required=True),
            "year": cells.get("year", _year, required=True),
            "stage": cells.text("stage", 40),
            "score": cells.raw("score"),
            "group": cells.text("group", 200),
            "in_it_evaluation": cells.get("in_it_evaluation", as_yes_no),
            "note": cells.text("note", 4000),
        }
        if cells.bad:
            continue
        try:
            year = raw["year"] if isinstance(raw["year"], int) else int(str(raw["year"]))
        except ValueError:
            year = None
        policy = None
        if year is not None and FIRST_YEAR <= year <= LAST_YEAR:
            if year not in policies:
                policies[year] = get_state().policy(as_of=evaluation_date(year))
            policy = policies[year]
        try:
            values = check_score(raw, known, policy=policy)
        except ScoreError as error:
            for name, message in error.problems.items():
                cells.fail(name, message)  # the check's fields are the columns' keys
            continue
        key = (values.agency_code, values.system_id, values.year)
        if key in first_row:
            cells.fail(
                "year",
                _(
                    "The agency, system and year are in row %(row)s already.",
                    row=first_row[key],
                ),
            )
            continue
        first_row[key] = row.number
        report.accepted.append(Accepted(row.number, values))
    recorded = _recorded_rows(report, session)
    changed = _count(report, recorded)

    def write() -> bool:
        now = utcnow()
        inserts = [
            {
                "agency_code": a.values.agency_code,
                "system_id": a.values.system_id,
                "year": a.values.year,
                **{name: getattr(a.values, name) for name in FIELDS},
                "source": "import",
                "recorded_by": actor,
                "recorded_at": now,
            }
            for a in report.accepted
            if a.values.existing_id is None
        ]
        if inserts:
            session.execute(sa.insert(RolloutScore.__table__), inserts)
        for row, values in changed:
            for name in FIELDS:
                setattr(row, name, getattr(values, name))
            row.source, row.recorded_by = "import", actor
        return bool(inserts or changed)

    return store(
        report,
        write,
        commit=commit,
        conflict=IntegrityError,
        refusal=lambda _error: _(
            "Someone recorded scores during the import: nothing was stored, import again."
        ),
    )


def _recorded_rows(report: Report, session) -> dict[int, RolloutScore]:
    """The recorded scores the file's rows update, locked (one query)."""
    ids = [a.values.existing_id for a in report.accepted if a.values.existing_id is not None]
    if not ids:
        return {}
    query = sa.select(RolloutScore).where(RolloutScore.id.in_(ids)).with_for_update()
    return {row.id: row for row in session.scalars(query)}


def _count(report: Report, recorded: dict[int, RolloutScore]) -> list:
    """Count the new, updated and unchanged rows; the (row, values) pairs that change."""
    changed = []
    for accepted in report.accepted:
        row = recorded.get(accepted.values.existing_id)
        if row is None:
            report.new += 1
        elif any(getattr(row, name) != getattr(accepted.values, name) for name in FIELDS):
            report.updated += 1
            changed.append((row, accepted.values))
        else:
            report.unchanged += 1
    return changed


def import_file(data: bytes, filename: str, *, dry_run: bool, **options: Any) -> Report:
    """Read ``data`` (``filename``: .csv, .xlsx or .ods; ``max_rows``, ``max_bytes``: the
    reader's limits) and import it (:func:`import_table`: ``allowed``, ``actor``, ``commit``); a
    file that cannot be read is a report with one error."""
    return import_data(data, filename, Report, "grades", import_table, dry_run=dry_run, **options)
