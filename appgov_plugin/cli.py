"""``flask appgov ...``: the command group every capability adds to (``rulebook/cli.py``:
policy, deadlines, the working calendar; ``forms/cli.py``: the forms' versions), the schema
commands and ``audit verify``, which walks every append-only history a capability declares
with :func:`audit_history`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import click
from flask.cli import with_appcontext

from . import migrations
from .audit import BrokenLink, heads_digest
from .forms import store as form_store
from .state import get_state


def iso_date(ctx, param, value) -> dt.date | None:
    """A click callback: an option's ISO date (YYYY-MM-DD), or ``None`` when not given."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO date (YYYY-MM-DD)") from None


@click.group("appgov")
def appgov_group():
    """App governance (appgov) commands."""


@appgov_group.group("db")
def db_group():
    """appgov's own tables (Alembic history in appgov_alembic_version)."""


@db_group.command("upgrade")
@with_appcontext
def db_upgrade():
    """Create or upgrade appgov's tables."""
    migrations.upgrade(get_state().db.engine)
    form_store.record_shipped(get_state().db.engine)
    click.echo(f"appgov schema at revision {migrations.current_revision(get_state().db.engine)}")


@db_group.command("current")
@with_appcontext
def db_current():
    """Print appgov's schema revision."""
    click.echo(migrations.current_revision(get_state().db.engine) or "(none)")


#: ``(label, item, walk)`` per audited history; ``walk()`` answers its first broken link
#: (or ``None``), its chains' last hashes and its number of rows.
_HISTORIES: list[tuple[str, str, Callable[[], tuple[BrokenLink | None, dict, int]]]] = []


def audit_history(label: str, item: str, walk) -> None:
    """Have ``flask appgov audit verify`` walk a hash-chained history (``label`` as printed,
    ``item`` naming one chain in a message: "parameter", "form")."""
    _HISTORIES.append((label, item, walk))


@appgov_group.group("audit")
def audit_group():
    """The tamper-evident histories: rule-parameter changes, form versions."""


@audit_group.command("verify")
@with_appcontext
def audit_verify():
    """Walk the hash chains of every history (in id order): print "<history>: OK: N rows in
    M chains" for each and one digest of all chains' last hashes (keep it elsewhere: a later
    rewrite or removal of last rows changes it), or the first broken link and exit with
    status 1."""
    every_head = {}
    for label, item, walk in _HISTORIES:
        broken, heads, rows = walk()
        if broken is not None:
            click.echo(
                f"BROKEN: {item} {broken.chain!r}, change #{broken.row_id}: {broken.problem}",
                err=True,
            )
            raise SystemExit(1)
        click.echo(f"{label}: OK: {rows} rows in {len(heads)} chains")
        every_head.update(heads)
    click.echo(f"heads: {heads_digest(every_head)}")


__all__ = ["appgov_group", "audit_history"]
