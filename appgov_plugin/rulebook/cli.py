"""``flask appgov policy show``, ``deadline``, ``calendar``, and the rule-parameter
history's hash chain that ``flask appgov audit verify`` walks."""

from __future__ import annotations

import datetime as dt

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from ..audit import first_broken_link
from ..cli import appgov_group, audit_history
from ..i18n import DEFAULT_LOCALE, format_date, parse_locale
from ..policy import hook_modules
from ..policy.changes import as_text, is_retroactive, parameter_overview
from ..policy.models import HASHED, ParameterChange
from ..state import get_state


def _date(value: str, what: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO date (YYYY-MM-DD)", param_hint=what
        ) from None


@appgov_group.group("policy")
def policy_group():
    """The city policy in force."""


@policy_group.command("show")
@click.option("--as-of", "as_of", default=None, help="Date (YYYY-MM-DD) the parameters apply on.")
@with_appcontext
def policy_show(as_of):
    """Profile, hook modules (highest priority first), every rule parameter in force with
    its rule ID and default, pending changes and change history."""
    state = get_state()
    policy = state.policy(as_of=_date(as_of, "--as-of") if as_of else None)
    click.echo(f"profile: {policy.profile}")
    click.echo(f"as of: {policy.as_of.isoformat()}")
    click.echo("hook modules (highest priority first):")
    for name in hook_modules(policy):
        click.echo(f"  {name}")
    click.echo("parameters:")
    for row in parameter_overview(state, policy.as_of):
        click.echo(
            f"  {row.spec.name} = {as_text(row.current)}  [{row.spec.rule}]"
            f"  (default {as_text(row.default)})"
        )
        for change in row.pending:
            click.echo(
                f"    pending: {as_text(change.value)} from {change.effective_from.isoformat()}"
            )
        for change in row.history:
            click.echo(
                f"    history: {change.effective_from.isoformat()} "
                f"{as_text(change.previous_value)} -> {as_text(change.value)} "
                f"by {change.changed_by} on {format_date(change.changed_at, 'en')}: "
                f"{change.reason}{' (retroactive)' if is_retroactive(change) else ''}"
            )


@appgov_group.command("deadline")
@click.argument("kind")
@click.argument("start")
@with_appcontext
def deadline(kind, start):
    """Print the deadline of KIND for an event on START (YYYY-MM-DD)."""
    policy = get_state().policy()
    try:
        click.echo(policy.deadline(kind, _date(start, "START")).isoformat())
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None


def _locale(ctx, param, value):
    try:
        return parse_locale(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@appgov_group.command("calendar")
@click.argument("year", type=click.IntRange(1912, 9998))
@click.option(
    "--lang",
    "locale",
    default=DEFAULT_LOCALE,
    show_default=True,
    callback=_locale,
    help="Language of the day names: zh_Hant_TW (zh, zh-TW) or en.",
)
@with_appcontext
def calendar(year, locale):
    """List the non-working weekdays and make-up working days of YEAR (ISO dates), with their
    names in --lang."""
    cal = get_state().policy().calendar
    click.echo(f"non-working days {year}:")
    for day, name in cal.non_working_days(year, locale):
        click.echo(f"  {day.isoformat()}  {name}")
    click.echo(f"make-up working days {year}:")
    for day, name in cal.make_up_days(year, locale):
        click.echo(f"  {day.isoformat()}  {name}")


def parameter_chain() -> tuple:
    """The rule-parameter history's first broken link (or ``None``) and its chains' last
    hashes ``{parameter: row_hash}``: one of the histories ``flask appgov audit verify``
    walks (:mod:`appgov_plugin.cli`)."""
    with get_state().db.engine.connect() as conn:
        rows = conn.execute(
            sa.select(ParameterChange).order_by(ParameterChange.name, ParameterChange.id)
        ).all()
    broken = first_broken_link(
        rows,
        chain_of=lambda row: row.name,
        content_of=lambda row: {column: getattr(row, column) for column in HASHED},
        previous_of=lambda row: row.previous_hash,
        hash_of=lambda row: row.row_hash,
    )
    return broken, {row.name: row.row_hash for row in rows}, len(rows)


audit_history("rule parameters", "parameter", parameter_chain)
