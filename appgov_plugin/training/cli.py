"""``flask appgov training import-elearning FILE [--dry-run] [--lang en]``: the e-learning
platform's completions (rule TP-TRN-6; :mod:`.elearning`, the columns in
docs/training_elearning_import.md).

Prints every row stored (or, with ``--dry-run``, to be stored) and every rejected row as
``row N, column C: reason``. Exit status 0 when the file was imported (or could be), 1 when
a row is rejected (nothing stored) or the file cannot be read.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_babel import force_locale

from ..cli import appgov_group
from ..i18n import DEFAULT_LOCALE, parse_locale
from ..imports import limits
from .elearning import Report, import_file

#: Rows a file given to the command may have (a city's staff, once a year).
CLI_MAX_ROWS = 200_000
#: The largest file the command reads (bytes).
CLI_MAX_BYTES = 200 * 2**20


def _locale(ctx, param, value):
    try:
        return parse_locale(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@appgov_group.group("training")
def training_group():
    """Training records: courses, e-learning completions (TP-TRN-1..6, TN-LEARN-1)."""


def print_report(report: Report) -> None:
    where = report.format.upper() if report.format else "?"
    if report.encoding:
        where += f", {report.encoding}"
    click.echo(f"{report.filename} ({where}): {report.rows} rows")
    verb = "would store" if report.dry_run else "stored"
    for row in report.accepted:
        ref = f" [{row.source_ref}]" if row.source_ref else ""
        click.echo(
            f"  {verb}: row {row.row}: {row.employee_id} {row.person_name} ({row.agency_code}) "
            f"{row.course_code} {row.completed_on.isoformat()} {row.hours} h{ref}"
        )
    for problem in report.problems:
        place = "file" if problem.row is None else f"row {problem.row}"
        if problem.column:
            place += f", column {problem.column}"
        label = "ERROR" if problem.severity == "error" else "warning"
        click.echo(f"  {label}: {place}: {problem.message}")
    if report.ok:
        click.echo(f"{verb}: {len(report.accepted)} completions")
    else:
        rows = report.rejected_rows
        click.echo(
            f"refused: {len(report.errors)} problems in {len(rows)} rows; nothing was stored",
            err=True,
        )


@training_group.command("import-elearning")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file and report; store nothing.")
@click.option(
    "--lang",
    "locale",
    default=DEFAULT_LOCALE,
    show_default=True,
    callback=_locale,
    help="Language of the report's reasons: zh_Hant_TW (zh, zh-TW) or en.",
)
@with_appcontext
def import_elearning_command(file, dry_run, locale):
    """Import the e-learning platform's completions from FILE (.csv in UTF-8 or Big5,
    .xlsx, .ods), matched to people by employee id (TP-TRN-6). All or nothing: one rejected
    row and nothing is stored. Exit status 1 when anything is rejected."""
    max_bytes = max(limits()[0], CLI_MAX_BYTES)
    if file.stat().st_size > max_bytes:
        click.echo(f"{file}: larger than {max_bytes // 2**20} MB; split it", err=True)
        raise SystemExit(1)
    with force_locale(locale):
        report = import_file(
            file.read_bytes(),
            file.name,
            dry_run=dry_run,
            actor="cli",
            max_rows=max(limits()[1], CLI_MAX_ROWS),
            max_bytes=max_bytes,
        )
        print_report(report)
    if not report.ok:
        raise SystemExit(1)
