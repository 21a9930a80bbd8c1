"""``flask appgov training import-elearning FILE [--dry-run] [--lang en]``: the e-learning
platform's completions (rule TP-TRN-6; :mod:`.elearning`, the columns in
docs/training_elearning_import.md).

Prints every row stored (or, with ``--dry-run``, to be stored) and every rejected row as
``row N, column C: reason``. Exit status 0 when the file was imported (or could be), 1 when
a row is rejected (nothing stored) or the file cannot be read.
"""

from __future__ import annotations

from flask.cli import with_appcontext

from ..cli import appgov_group
from ..import_cli import import_options, run_import
from .elearning import import_file


@appgov_group.group("training")
def training_group():
    """Training records: courses, e-learning completions (TP-TRN-1..6, TN-LEARN-1)."""


def _row(row) -> str:
    ref = f" [{row.source_ref}]" if row.source_ref else ""
    return (
        f"{row.employee_id} {row.person_name} ({row.agency_code}) "
        f"{row.course_code} {row.completed_on.isoformat()} {row.hours} h{ref}"
    )


@training_group.command("import-elearning")
@import_options
@with_appcontext
def import_elearning_command(file, dry_run, locale):
    """Import the e-learning platform's completions from FILE (.csv in UTF-8 or Big5,
    .xlsx, .ods), matched to people by employee id (TP-TRN-6). All or nothing: one rejected
    row and nothing is stored. Exit status 1 when anything is rejected."""
    run_import(
        file,
        import_file,
        dry_run=dry_run,
        locale=locale,
        row=_row,
        total=lambda report: f"{len(report.accepted)} completions",
        actor="cli",
    )
