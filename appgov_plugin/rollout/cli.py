"""``flask appgov rollout import agencies|people|scope FILE [--dry-run]``: the roll-out
registry's bulk import (:mod:`.importer`; the columns in docs/rollout_import.md).

Prints the report: what would be (with ``--dry-run``) or was imported, then every problem
as ``row N, column C: reason``. Exit status 0 when the file was imported (or, with
``--dry-run``, could be), 1 when a row is rejected (nothing stored) or the file cannot be
read. A file on the operator's disk may hold more rows than the web page takes
(``APPGOV_IMPORT_MAX_ROWS``): up to :data:`appgov_plugin.import_cli.CLI_MAX_ROWS`.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_babel import force_locale

from ..cli import appgov_group
from ..import_cli import echo_file, echo_problems, echo_refused, lang_option, read_file
from .importer import COLUMNS, Report, import_file


@appgov_group.group("rollout")
def rollout_group():
    """The roll-out registry: agencies, people, major systems' scope (TP-WG, TP-SEED)."""


def print_report(report: Report) -> None:
    verb = "would import" if report.dry_run else "imported"
    echo_file(report, f" of {report.kind}")
    echo_problems(report)
    if report.ok:
        click.echo(
            f"{verb}: {report.new} new, {report.updated} updated, {report.unchanged} unchanged"
        )
    else:
        echo_refused(report)


@rollout_group.command("import")
@click.argument("kind", type=click.Choice(sorted(COLUMNS)))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file and report; store nothing.")
@lang_option
@with_appcontext
def import_command(kind, file, dry_run, locale):
    """Import KIND (agencies, people or scope) from FILE (.csv in UTF-8 or Big5, .xlsx,
    .ods). All or nothing: one rejected row and nothing is stored; codes the registry has
    are updated. Exit status 1 when anything is rejected."""
    data, bounds = read_file(file)
    with force_locale(locale):
        report = import_file(kind, data, file.name, dry_run=dry_run, **bounds)
        print_report(report)
    if not report.ok:
        raise SystemExit(1)
