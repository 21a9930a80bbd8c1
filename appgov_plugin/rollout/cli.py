"""``flask appgov rollout import agencies|people|scope FILE [--dry-run]``: the roll-out
registry's bulk import (:mod:`.importer`; the columns in docs/rollout_import.md).

Prints the report: what would be (with ``--dry-run``) or was imported, then every problem
as ``row N, column C: reason``. Exit status 0 when the file was imported (or, with
``--dry-run``, could be), 1 when a row is rejected (nothing stored) or the file cannot be
read. A file on the operator's disk may hold more rows than the web page takes
(``APPGOV_IMPORT_MAX_ROWS``): up to :data:`CLI_MAX_ROWS`.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_babel import force_locale

from ..cli import appgov_group
from ..i18n import DEFAULT_LOCALE, parse_locale
from ..imports import limits
from .importer import COLUMNS, Report, import_file

#: Rows a file given to the command may have (a city's staff list).
CLI_MAX_ROWS = 200_000
#: The largest file the command reads (bytes).
CLI_MAX_BYTES = 200 * 2**20


def _locale(ctx, param, value):
    try:
        return parse_locale(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@appgov_group.group("rollout")
def rollout_group():
    """The roll-out registry: agencies, people, major systems' scope (TP-WG, TP-SEED)."""


def print_report(report: Report) -> None:
    verb = "would import" if report.dry_run else "imported"
    where = report.format.upper() if report.format else "?"
    if report.encoding:
        where += f", {report.encoding}"
    click.echo(f"{report.filename} ({where}): {report.rows} rows of {report.kind}")
    for problem in report.problems:
        place = "file" if problem.row is None else f"row {problem.row}"
        if problem.column:
            place += f", column {problem.column}"
        label = "ERROR" if problem.severity == "error" else "warning"
        click.echo(f"  {label}: {place}: {problem.message}")
    if report.ok:
        click.echo(
            f"{verb}: {report.new} new, {report.updated} updated, {report.unchanged} unchanged"
        )
    else:
        rows = report.rejected_rows
        click.echo(
            f"refused: {len(report.errors)} problems in {len(rows)} rows; nothing was stored",
            err=True,
        )


@rollout_group.command("import")
@click.argument("kind", type=click.Choice(sorted(COLUMNS)))
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
def import_command(kind, file, dry_run, locale):
    """Import KIND (agencies, people or scope) from FILE (.csv in UTF-8 or Big5, .xlsx,
    .ods). All or nothing: one rejected row and nothing is stored; codes the registry has
    are updated. Exit status 1 when anything is rejected."""
    max_bytes = max(limits()[0], CLI_MAX_BYTES)
    if file.stat().st_size > max_bytes:
        click.echo(f"{file}: larger than {max_bytes // 2**20} MB; split it", err=True)
        raise SystemExit(1)
    data = file.read_bytes()
    with force_locale(locale):
        report = import_file(
            kind,
            data,
            file.name,
            dry_run=dry_run,
            max_rows=max(limits()[1], CLI_MAX_ROWS),
            max_bytes=max_bytes,
        )
        print_report(report)
    if not report.ok:
        raise SystemExit(1)
