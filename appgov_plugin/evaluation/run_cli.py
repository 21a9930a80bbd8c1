"""``flask appgov evaluate YEAR [--as-of YYYY-MM-DD] [--lang en]``: the yearly evaluation
run (issue 14 item 2; rules KH-KPI-1..4 or TN-PERF-1, by the deployment's profile) of
:func:`.run.evaluate_year`, recorded as an ``EvaluationRun`` (who: ``cli:<OS user>``).

Prints the summary in the chosen language: apps in the stores, evaluated, passed, failed,
the plans (KH-KPI-3) and forced delistings (KH-KPI-4) opened, the results changed, and the
poor performers (TN-PERF-1). A refused year or evaluation date is printed with the field
it names and exits with status 1, nothing written.
"""

from __future__ import annotations

import datetime as dt
import getpass

import click
from flask.cli import with_appcontext
from flask_babel import force_locale

from ..cli import appgov_group
from ..i18n import _
from ..import_cli import lang_option


def cli_actor() -> str:
    """``cli:<the OS user>`` (who ran the command), or ``cli``."""
    try:
        return f"cli:{getpass.getuser()}"[:80]
    except (KeyError, OSError):  # pragma: no cover - no user name in this environment
        return "cli"


def summary_lines(run) -> list[str]:
    """The run's summary as printed (in the current locale)."""
    s = run.summary
    lines = [
        _(
            "Evaluation of %(year)s (run #%(id)s, evaluation date %(date)s, profile %(profile)s)",
            year=str(run.year),
            id=str(run.id),
            date=run.evaluated_on.isoformat(),
            profile=run.profile,
        ),
        _("Apps in the stores: %(num)s", num=str(s.get("apps", 0))),
        _("Evaluated: %(num)s", num=str(s.get("evaluated", 0))),
        _("Passed: %(num)s", num=str(s.get("passed", 0))),
        _("Not passed: %(num)s", num=str(s.get("failed", 0))),
        _("Not evaluated: %(num)s", num=str(len(s.get("not_evaluated", [])))),
        _("Plans opened: %(num)s", num=str(len(s.get("plans_opened", [])))),
        _("Forced delistings opened: %(num)s", num=str(len(s.get("delistings_opened", [])))),
        _("Results changed: %(num)s", num=str(s.get("changed", 0))),
    ]
    if s.get("poor_performers"):
        lines.append(
            _(
                "Below the agency's own targets (TN-PERF-1): apps %(ids)s",
                ids=", ".join(f"#{i}" for i in s["poor_performers"]),
            )
        )
    if not run.parameters.get("evaluations"):
        lines.append(_("This deployment applies no app evaluation: nothing was evaluated."))
    return lines


@appgov_group.command("evaluate")
@click.argument("year")
@click.option("--as-of", "as_of", help="The evaluation date (YYYY-MM-DD; default 31 December).")
@lang_option
@with_appcontext
def evaluate_command(year, as_of, locale):
    """Evaluate every app in the stores during YEAR and open the plans and forced
    delistings the rules demand (KH-KPI-1..4; TN-PERF-1 on Tainan). Re-running a year
    updates the same results and opens nothing twice. Exit status 1 on a refused year or
    date."""
    from .run import EvaluationError, evaluate_year

    with force_locale(locale):
        try:
            number = int(year.strip())
        except ValueError:
            number = None
        try:
            if number is None:
                from .run import check_year

                check_year(year)  # raises, naming the year
            day = None
            if as_of is not None:
                try:
                    day = dt.date.fromisoformat(as_of.strip())
                except ValueError:
                    raise EvaluationError(
                        _("Evaluation date: give a day as YYYY-MM-DD."), "as_of"
                    ) from None
            run = evaluate_year(number, actor=cli_actor(), started_from="cli", evaluated_on=day)
        except EvaluationError as error:
            click.echo(str(error), err=True)
            raise SystemExit(1) from None
        for line in summary_lines(run):
            click.echo(line)
