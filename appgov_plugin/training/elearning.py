"""E-learning completions imported from the e-learning platform's export (rule TP-TRN-6).

:func:`import_file` reads one file (:func:`appgov_plugin.imports.read_table`: CSV in UTF-8,
UTF-16 or Big5, XLSX, ODS) with the columns of :data:`COLUMNS` (Chinese or English headers;
docs/training_elearning_import.md) and answers a :class:`Report`:

* every row that will be (or was) stored is listed, with the person it matched by employee
  id;
* every rejected row is listed with its row number, column and reason -- an unknown employee
  id (or one outside the importer's agencies), an unknown course or one that is not an
  e-learning course, a date that cannot be read (or lies in the future), hours that are not a
  number (or not above 0, finer than a tenth, more than the course's), the same person and
  course twice in the file, a completion already recorded. Nothing is dropped silently;
* all or nothing: one rejected row and nothing is stored; a dry run stores nothing.

The number of SQL statements does not grow with the rows: the people, the courses and the
recorded completions of the file's courses are read with one query each and the new
completions written with one ``executemany`` (``tests/test_training_elearning.py`` counts
them).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from .. import clock
from ..db import utcnow
from ..i18n import _
from ..import_columns import (
    Column,
    RowProblem,
    RowReader,
    column,
    import_data,
    match_columns,
    store,
)
from ..import_columns import Report as BaseReport
from ..imports import ImportedTable
from ..rollout.importer import as_date
from ..rollout.models import LIMITS, RolloutPerson
from ..state import get_state
from .courses import MAX_HOURS
from .models import TRAINING_LIMITS, Course, ElearningCompletion

#: The columns of the platform's export (English names first, then Chinese).
COLUMNS: tuple[Column, ...] = (
    column(
        "employee_id",
        "employee id",
        "employee_id",
        "員工編號",
        "人員編號",
        "員工代號",
        required=True,
    ),
    column(
        "course_code", "course code", "course_code", "course", "課程代碼", "課程編號", required=True
    ),
    column(
        "completed_on",
        "completed on",
        "completed_on",
        "completion date",
        "完成日期",
        "完訓日期",
        "通過日期",
        required=True,
    ),
    column("hours", "hours", "learning hours", "時數", "學習時數", "認證時數", required=True),
    column(
        "source_ref",
        "record id",
        "platform record id",
        "record_id",
        "紀錄編號",
        "平臺紀錄編號",
        "平台紀錄編號",
    ),
)


@dataclass
class Accepted:
    """A row that will be (or was) stored, with the person it matched."""

    row: int
    employee_id: str
    person_name: str
    agency_code: str
    course_code: str
    completed_on: dt.date
    hours: Decimal
    source_ref: str | None


@dataclass
class Report(BaseReport):
    """:class:`appgov_plugin.import_columns.Report` with the rows to store (``accepted``)."""

    accepted: list[Accepted] = field(default_factory=list)


def as_hours(value: Any) -> Decimal:
    """Hours: a number above 0, to a tenth of an hour (``1,5`` is not read: write 1.5)."""
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int | Decimal):
        number = Decimal(value)
    else:
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            number = None
    if number is None or not number.is_finite():
        raise RowProblem(_("“%(value)s” is not a number of hours.", value=value))
    if number <= 0:
        raise RowProblem(_("The hours must be more than 0 (%(value)s).", value=value))
    if number > MAX_HOURS:  # before the tenths: a number of sixty digits cannot be rounded
        raise RowProblem(_("At most %(max)s hours, not %(value)s.", max=MAX_HOURS, value=value))
    if number != number.quantize(Decimal("0.1")):
        raise RowProblem(
            _("Hours are kept to a tenth of an hour (e.g. 2.5), not %(value)s.", value=value)
        )
    return number


def import_table(
    table: ImportedTable,
    *,
    dry_run: bool,
    filename: str = "",
    scope: set[str] | None = None,
    actor: str | None = None,
    commit: bool = True,
) -> Report:
    """Check ``table`` and, unless ``dry_run`` or a row is rejected, store its completions
    in one transaction. ``scope``: the agency codes whose people the importer may record
    (``None``: all); a person of another agency is refused as an unknown employee id."""
    report = Report("elearning", dry_run, filename, table.format, table.encoding, len(table.rows))
    mapped = match_columns(
        table,
        COLUMNS,
        report,
        _("Unknown column: not imported (docs/training_elearning_import.md lists the columns)."),
    )
    session = get_state().session
    if not report.ok:
        return report
    if not table.rows:
        report.error(None, None, _("The file has a header but no rows."))
        return report

    people = {
        employee: (person_id, name, agency)
        for person_id, employee, name, agency in session.execute(
            sa.select(
                RolloutPerson.id,
                RolloutPerson.employee_id,
                RolloutPerson.name,
                RolloutPerson.agency_code,
            )
        )
    }
    course_rows = {
        code: (course_id, kind, hours)
        for course_id, code, kind, hours in session.execute(
            sa.select(Course.id, Course.code, Course.course_type, Course.hours)
        )
    }
    today = clock.today()
    parsed = []
    for row in table:
        cells = RowReader(row, mapped, report, COLUMNS)
        employee = cells.text("employee_id", LIMITS["employee_id"], required=True)
        code = cells.text("course_code", TRAINING_LIMITS["code"], required=True)
        completed = cells.get("completed_on", as_date, required=True)
        hours = cells.get("hours", as_hours, required=True)
        source_ref = cells.text("source_ref", TRAINING_LIMITS["source_ref"])
        person = people.get(employee) if employee else None
        if person is not None and scope is not None and person[2] not in scope:
            person = None  # another city's staff: the same answer as for no one
        if employee and person is None:
            cells.fail(
                "employee_id",
                _("No person of the registry has the employee id %(id)s.", id=employee),
            )
        course = course_rows.get(code) if code else None
        if code and course is None:
            cells.fail("course_code", _("No course has the code %(code)s.", code=code))
        elif course is not None and course[1] != "elearning":
            cells.fail(
                "course_code",
                _(
                    "The course %(code)s is not an e-learning course: its attendance is "
                    "recorded at its sessions (TP-TRN-6).",
                    code=code,
                ),
            )
            course = None
        if completed is not None and completed > today:
            cells.fail(
                "completed_on",
                _("The completion date %(day)s is in the future.", day=completed.isoformat()),
            )
        if hours is not None and course is not None and hours > course[2]:
            cells.fail(
                "hours",
                _(
                    "%(hours)s hours are more than the course's %(course)s.",
                    hours=hours,
                    course=course[2],
                ),
            )
        parsed.append((row, cells, employee, person, code, course, completed, hours, source_ref))

    course_ids = sorted({p[5][0] for p in parsed if p[5] is not None})
    recorded: set[tuple[int, int]] = set()
    if course_ids:
        recorded = set(
            session.execute(
                sa.select(ElearningCompletion.person_id, ElearningCompletion.course_id).where(
                    ElearningCompletion.course_id.in_(course_ids)
                )
            )
        )
    first_row: dict[tuple[int, int], int] = {}
    inserts = []
    now = utcnow()
    for row, cells, employee, person, code, course, completed, hours, source_ref in parsed:
        bad = cells.bad
        if person is not None and course is not None:
            key = (person[0], course[0])
            if key in first_row:
                report.error(
                    row.number,
                    cells.label("course_code"),
                    _(
                        "The employee id %(id)s and course %(code)s are in row %(row)s already.",
                        id=employee,
                        code=code,
                        row=first_row[key],
                    ),
                )
                bad = True
            else:
                first_row[key] = row.number
            if key in recorded:
                report.error(
                    row.number,
                    cells.label("course_code"),
                    _(
                        "%(name)s (%(id)s) has a completion of %(code)s recorded already.",
                        name=person[1],
                        id=employee,
                        code=code,
                    ),
                )
                bad = True
        if bad:
            continue
        report.accepted.append(
            Accepted(row.number, employee, person[1], person[2], code, completed, hours, source_ref)
        )
        inserts.append(
            {
                "person_id": person[0],
                "course_id": course[0],
                "completed_on": completed,
                "hours": hours,
                "source_ref": source_ref,
                "imported_at": now,
                "imported_by": actor,
            }
        )

    def write() -> bool:
        session.execute(sa.insert(ElearningCompletion.__table__), inserts)
        return bool(inserts)

    return store(
        report,
        write,
        commit=commit,
        conflict=IntegrityError,
        refusal=lambda _error: _(
            "Someone recorded completions during the import: nothing was stored, import again."
        ),
    )


def import_file(data: bytes, filename: str, *, dry_run: bool, **options: Any) -> Report:
    """Read ``data`` (``filename``: .csv, .xlsx or .ods; ``max_rows``, ``max_bytes``: the
    reader's limits) and import it (:func:`import_table`: ``scope``, ``actor``, ``commit``); a
    file that cannot be read is a report with one error."""
    return import_data(
        data, filename, Report, "elearning", import_table, dry_run=dry_run, **options
    )
