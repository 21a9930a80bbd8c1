"""``flask appgov ...``: the command group every capability adds to (``rulebook/cli.py``:
policy, deadlines, the working calendar, the audit of the rule-parameter history), and the
schema commands."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from . import migrations
from .forms import store as form_store
from .state import get_state


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


__all__ = ["appgov_group"]
