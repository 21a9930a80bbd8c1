"""``flask appgov evaluation ...``: the performance evaluation's commands.

* ``import-scores FILE [--dry-run] [--lang en]`` -- roll-out scores (TP-GRADE-0..1;
  :mod:`.grades_import`): every row stored (or, with ``--dry-run``, to be stored) and every
  rejected row as ``row N, column C: reason``. Exit status 0 when the file was imported (or
  could be), 1 when a row is rejected (nothing stored), the file cannot be read or the
  deployment does not apply TP-GRADE-1.
"""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from flask_babel import force_locale

from ..cli import appgov_group
from ..import_cli import import_options, lang_option, run_import


@appgov_group.group("evaluation")
def evaluation_group():
    """The performance evaluation: figures, runs, grades (KH-KPI, TN-PERF, TP-GRADE)."""


@evaluation_group.command("import-scores")
@import_options
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

    def row(accepted) -> str:
        v = accepted.values
        return (
            f"{v.agency_code} system {v.system_id} {v.year} "
            f"{v.stage} {v.score} {v.grade} ({v.group_key})"
        )

    run_import(file, import_file, dry_run=dry_run, locale=locale, row=row, actor="cli")


@evaluation_group.command("import-figures")
@import_options
@with_appcontext
def import_figures_command(file, dry_run, locale):
    """Import apps' monthly figures from FILE (.csv in UTF-8 or Big5, .xlsx, .ods): app
    code, year, month, downloads iOS, downloads Android, uninstalls, each store's rating and
    number of ratings (KH-KPI-5, TN-PERF-1; :mod:`.figures_import`). All or nothing: one
    rejected row and nothing is stored. Exit status 1 when anything is rejected."""
    from .figures_import import import_file

    def row(accepted) -> str:
        values = ", ".join(f"{k} {v}" for k, v in accepted.values.items())
        return f"{accepted.app.code} {accepted.year}-{accepted.month:02d} {values}"

    run_import(file, import_file, dry_run=dry_run, locale=locale, row=row, actor="cli")


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
