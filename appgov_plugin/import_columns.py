"""What an import makes of a table read by :mod:`appgov_plugin.imports`: the file's columns
matched to the ones a capability accepts, each row's cells read by key, and every problem
reported with its row and column -- shared by the store reviews (``mailbox/reviews.py``),
the roll-out registry (``rollout/importer.py``) and the e-learning completions
(``training/elearning.py``).

* :class:`Column` -- a column a file may have: its key, the header names accepted (English
  and Chinese; matched ignoring case, blanks, ``_`` and full-width forms), whether the file
  must have it, whether its value is kept.
* :func:`match_columns` -- which column of the file is which: unknown columns are a warning
  (not imported), a repeated or missing required column an error.
* :class:`RowReader` -- one row's cells by key; a cell reader raises :class:`RowProblem`
  with what is wrong, and the reader reports it with the row and the column's label as the
  file has it.
* :class:`Report` -- what an import found and did, or in a dry run would do; a capability
  adds its own counts by subclassing it.
* :func:`store` -- the import's last step, all or nothing: nothing written in a dry run or
  when a row is rejected; a conflict with someone else's writing rolled back and reported.
* :func:`import_data` -- a file's bytes read and given to the capability's ``import_table``;
  a file that cannot be read is a report with one error. :func:`accepted_columns` -- the
  columns for the import page's list.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .i18n import _
from .imports import ImportedTable, ImportRefused, read_table
from .state import get_state


class RowProblem(ValueError):
    """A cell that cannot be read; its message says what is wrong."""


@dataclass(frozen=True)
class Column:
    """A column a file may have: ``key`` (the field it fills), the header ``names`` accepted
    (the first is the one reports name it by), whether the file must have it, and whether
    its value is kept (``kept=False``: read and understood, not stored -- listed in the
    report, not as unknown)."""

    key: str
    names: tuple[str, ...]
    required: bool = False
    kept: bool = True


def column(key: str, *names: str, required: bool = False, kept: bool = True) -> Column:
    return Column(key, names, required, kept)


def normalise_label(label: Any) -> str:
    """A header label (or a word of a cell) as it is matched: full-width forms folded
    (NFKC), case, ``_`` and runs of blanks ignored."""
    text = unicodedata.normalize("NFKC", str(label or "")).casefold()
    return " ".join(text.replace("_", " ").split())


@dataclass
class Problem:
    """One line of the report: the row (``None``: the file), the column's label as the file
    has it, what is wrong, and whether it stops the import (``error``) or is only said
    (``warning``: an unknown column, not imported)."""

    row: int | None
    column: str | None
    message: str
    severity: str = "error"


@dataclass
class Report:
    """What an import found and did (or, in a dry run, would do). ``stored`` is true only
    after a real import that wrote to the database; ``new`` / ``updated`` / ``unchanged``
    count the records."""

    kind: str
    dry_run: bool
    filename: str = ""
    format: str | None = None
    encoding: str | None = None
    rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    not_kept: list[str] = field(default_factory=list)
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    stored: bool = False

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def rejected_rows(self) -> list[int]:
        """The numbers of the rows with an error, in order, each once."""
        return sorted({p.row for p in self.errors if p.row is not None})

    def error(self, row, column, message) -> None:
        self.problems.append(Problem(row, column, str(message), "error"))

    def warn(self, row, column, message) -> None:
        self.problems.append(Problem(row, column, str(message), "warning"))


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def as_text(value: Any, limit: int) -> str | None:
    """A text cell, stripped (a date as ISO, a whole number as its digits: a code typed in a
    number cell); ``None`` when empty. Longer than ``limit`` characters: a problem, never
    cut."""
    if is_blank(value):
        return None
    dated = isinstance(value, dt.datetime | dt.date)
    text = value.isoformat() if dated else str(value).strip()
    if len(text) > limit:
        raise RowProblem(
            _(
                "It is %(length)s characters long; at most %(limit)s are allowed.",
                length=f"{len(text):,}",
                limit=f"{limit:,}",
            )
        )
    return text


@dataclass
class Mapped:
    """The file's columns matched: ``positions`` of each key, with its label as written."""

    positions: dict[str, int]
    labels: dict[str, str]


def match_columns(
    table: ImportedTable, columns: Sequence[Column], report: Report, unknown: str
) -> Mapped:
    """Which column of the file is which; unknown columns (a warning with the message
    ``unknown``, which says where the accepted ones are listed), repeated and missing
    columns (errors) reported."""
    known = {normalise_label(name): col for col in columns for name in col.names}
    positions: dict[str, int] = {}
    labels: dict[str, str] = {}
    for position, label in enumerate(table.headers):
        if not label:
            report.warn(table.header_row, None, _("A column without a name is not imported."))
            continue
        col = known.get(normalise_label(label))
        if col is None:
            report.warn(table.header_row, label, unknown)
            continue
        if col.key in positions:
            report.error(
                table.header_row,
                label,
                _("The same column as “%(other)s”: keep only one of them.", other=labels[col.key]),
            )
            continue
        positions[col.key] = position
        labels[col.key] = label
        if not col.kept:
            report.not_kept.append(label)
        report.columns.append(label)
    for col in columns:
        if col.required and col.key not in positions:
            report.error(
                table.header_row, col.names[0], _("This column is missing; the file must have it.")
            )
    return Mapped(positions, labels)


class RowReader:
    """Cells of one row by key, each problem reported with the row and the column."""

    def __init__(self, row, mapped: Mapped, report: Report, columns: Sequence[Column]):
        self.row, self.mapped, self.report = row, mapped, report
        self.names = {col.key: col.names[0] for col in columns}
        self.bad = False

    def label(self, key: str) -> str:
        """The column's label as the file has it, else its first accepted name (a label
        given instead of a key is its own)."""
        return self.mapped.labels.get(key) or self.names.get(key, key)

    def raw(self, key: str) -> Any:
        position = self.mapped.positions.get(key)
        return None if position is None else self.row.values[position]

    def get(self, key: str, reader: Callable[[Any], Any], *, required: bool = False) -> Any:
        value = self.raw(key)
        if is_blank(value):
            if required:
                self.fail(key, _("Empty; every row needs a value here."))
            return None
        try:
            return reader(value)
        except RowProblem as problem:
            self.fail(key, str(problem))
            return None

    def text(self, key: str, limit: int, *, required: bool = False) -> str | None:
        return self.get(key, lambda value: as_text(value, limit), required=required)

    def fail(self, key: str, message: str) -> None:
        """Report ``message`` at this row, in the column of ``key`` (or a label)."""
        self.bad = True
        self.report.error(self.row.number, self.label(key), message)


def store(
    report: Report,
    write: Callable[[], Any],
    *,
    commit: bool,
    conflict: type[Exception],
    refusal: Callable[[Exception], str],
) -> Report:
    """Store what ``report`` accepted: in a dry run or when a row is rejected, nothing (the
    session rolled back); else ``write()`` (it returns whether anything was written: the
    report's ``stored``), flushed and, with ``commit``, committed. A ``conflict`` (someone
    wrote meanwhile) is rolled back and reported as the error ``refusal(error)`` for the
    file; anything else is rolled back and raised."""
    session = get_state().session
    if report.dry_run or not report.ok:
        session.rollback()
        return report
    try:
        written = write()
        session.flush()
        if commit:
            session.commit()
    except conflict as error:
        session.rollback()
        report.error(None, None, refusal(error))
        return report
    except Exception:
        session.rollback()
        raise
    report.stored = bool(written)
    return report


def import_data(
    data: bytes,
    filename: str,
    report: Callable[[str, bool, str], Report],
    kind: str,
    import_table: Callable[..., Report],
    *,
    dry_run: bool,
    max_rows: int | None = None,
    max_bytes: int | None = None,
    **options: Any,
) -> Report:
    """Read ``data`` (``filename``: .csv, .xlsx or .ods) and import it with
    ``import_table(table, dry_run=..., filename=..., **options)``; a file that cannot be read
    is a ``report(kind, dry_run, filename)`` (the capability's :class:`Report`) with one
    error for the file."""
    try:
        table = read_table(data, filename, max_rows=max_rows, max_bytes=max_bytes)
    except ImportRefused as refused:
        refusal = report(kind, dry_run, filename)
        refusal.error(None, None, str(refused))
        return refusal
    return import_table(table, dry_run=dry_run, filename=filename, **options)


def accepted_columns(columns: Sequence[Column]) -> list[tuple[str, bool]]:
    """(the header names accepted, required) of each column, for the import page."""
    return [(" / ".join(col.names), col.required) for col in columns]
