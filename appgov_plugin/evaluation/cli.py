"""``flask appgov evaluation ...``: the performance evaluation's commands.

* ``import-scores FILE [--dry-run] [--lang en]`` -- roll-out scores (TP-GRADE-0..1;
  :mod:`.grades_import`): every row stored (or, with ``--dry-run``, to be stored) and every
  rejected row as ``row N, column C: reason``. Exit status 0 when the file was imported (or
  could be), 1 when a row is rejected (nothing stored), the file cannot be read or the
  deployment does not apply TP-GRADE-1.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_babel import force_locale

from ..cli import appgov_group
from ..import_cli import echo_file, echo_problems, echo_refused, lang_option, read_file


@appgov_group.group("evaluation")
def evaluation_group():
    """The performance evaluation: figures, runs, grades (KH-KPI, TN-PERF, TP-GRADE)."""


@evaluation_group.command("import-scores")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file and report; store nothing.")
@lang_option
@with_appcontext
def import_scores_command(file, dry_run, locale):
    """Import roll-out scores from FILE (.csv in UTF-8 or Big5, .xlsx, .ods): agency code,
    system code, year, stage, score, group, in IT evaluation (TP-GRADE-0..1). All or
    nothing: one rejected row and nothing is stored. Exit status 1 when anything is
    rejected."""
    from ..state import get_state
    from .grades import RULE_BANDS
    from .grades_import import import_file

    if not get_state().policy().applies(RULE_BANDS):
        click.echo(f"this deployment does not apply {RULE_BANDS}: no scores are kept", err=True)
        raise SystemExit(1)
    data, bounds = read_file(file)
    with force_locale(locale):
        report = import_file(data, file.name, dry_run=dry_run, actor="cli", **bounds)
        echo_file(report)
        verb = "would store" if report.dry_run else "stored"
        for row in report.accepted:
            v = row.values
            click.echo(
                f"  {verb}: row {row.row}: {v.agency_code} system {v.system_id} {v.year} "
                f"{v.stage} {v.score} {v.grade} ({v.group_key})"
            )
        echo_problems(report)
        if report.ok:
            click.echo(
                f"{verb}: {report.new} new, {report.updated} changed, {report.unchanged} unchanged"
            )
        else:
            echo_refused(report)
    if not report.ok:
        raise SystemExit(1)


@evaluation_group.command("import-figures")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file and report; store nothing.")
@lang_option
@with_appcontext
def import_figures_command(file, dry_run, locale):
    """Import apps' monthly figures from FILE (.csv in UTF-8 or Big5, .xlsx, .ods): app
    code, year, month, downloads iOS, downloads Android, uninstalls, each store's rating and
    number of ratings (KH-KPI-5, TN-PERF-1; :mod:`.figures_import`). All or nothing: one
    rejected row and nothing is stored. Exit status 1 when anything is rejected."""
    from .figures_import import import_file

    data, bounds = read_file(file)
    with force_locale(locale):
        report = import_file(data, file.name, dry_run=dry_run, actor="cli", **bounds)
        echo_file(report)
        verb = "would store" if report.dry_run else "stored"
        for row in report.accepted:
            values = ", ".join(f"{k} {v}" for k, v in row.values.items())
            click.echo(
                f"  {verb}: row {row.row}: {row.app.code} {row.year}-{row.month:02d} {values}"
            )
        echo_problems(report)
        if report.ok:
            click.echo(
                f"{verb}: {report.new} new, {report.updated} changed, {report.unchanged} unchanged"
            )
        else:
            echo_refused(report)
    if not report.ok:
        raise SystemExit(1)


@evaluation_group.command("collect")
@click.argument("year", type=int)
@lang_option
@with_appcontext
def collect_command(year, locale):
    """Collect YEAR's monthly figures of every app in the stores from the city's statistics
    source (the hook ``appgov_collect_app_figures``, docs/evaluation_hooks.md) and save them
    through the same checks as the agency's form (source "hook"). An app whose months are
    refused keeps what it had and is listed; exit status 1 then."""
    from ..state import get_state
    from .figures import FiguresError, collect

    session = get_state().session
    with force_locale(locale):
        try:
            done = collect(year)
            session.commit()
        except FiguresError as error:
            session.rollback()
            for message in error.problems.values():
                click.echo(message, err=True)
            raise SystemExit(1) from None
        except BaseException:
            session.rollback()
            raise
        for app, months in done.refused.items():
            for month, problems in months.items():
                for message in problems.values():
                    click.echo(f"  REFUSED: {app} {year} month {month}: {message}")
        click.echo(
            f"{year}: {done.apps} apps asked; {done.saved} months saved, "
            f"{done.unchanged} unchanged, {len(done.refused)} apps refused"
        )
    if done.refused:
        raise SystemExit(1)
