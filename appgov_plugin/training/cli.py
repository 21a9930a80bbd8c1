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
from ..import_cli import echo_file, echo_problems, echo_refused, lang_option, read_file
from .elearning import Report, import_file


@appgov_group.group("training")
def training_group():
    """Training records: courses, e-learning completions (TP-TRN-1..6, TN-LEARN-1)."""


def print_report(report: Report) -> None:
    echo_file(report)
    verb = "would store" if report.dry_run else "stored"
    for row in report.accepted:
        ref = f" [{row.source_ref}]" if row.source_ref else ""
        click.echo(
            f"  {verb}: row {row.row}: {row.employee_id} {row.person_name} ({row.agency_code}) "
            f"{row.course_code} {row.completed_on.isoformat()} {row.hours} h{ref}"
        )
    echo_problems(report)
    if report.ok:
        click.echo(f"{verb}: {len(report.accepted)} completions")
    else:
        echo_refused(report)


@training_group.command("import-elearning")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file and report; store nothing.")
@lang_option
@with_appcontext
def import_elearning_command(file, dry_run, locale):
    """Import the e-learning platform's completions from FILE (.csv in UTF-8 or Big5,
    .xlsx, .ods), matched to people by employee id (TP-TRN-6). All or nothing: one rejected
    row and nothing is stored. Exit status 1 when anything is rejected."""
    data, bounds = read_file(file)
    with force_locale(locale):
        report = import_file(data, file.name, dry_run=dry_run, actor="cli", **bounds)
        print_report(report)
    if not report.ok:
        raise SystemExit(1)
