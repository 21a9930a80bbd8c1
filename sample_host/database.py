"""Database start-up: connect, run the host's and the plug-ins' migrations, seed demo data."""

from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa
from alembic import command
from alembic.util.exc import CommandError
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from .config import HostConfigError, database_error, one_line
from .demo import DemoLogin, load_demo_data
from .extensions import db, migrate
from .models import User
from .plugins import current_host

#: The host's Alembic environment (version table: the default ``alembic_version``).
MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def init_database(app) -> None:
    """Bind Flask-SQLAlchemy and Flask-Migrate to ``app`` and check the database answers.

    A bad URL, a missing driver or an unreachable server becomes one
    :class:`~sample_host.config.HostConfigError` line naming the (password-masked) URL.
    """
    try:
        db.init_app(app)
    except (ArgumentError, ImportError) as exc:
        raise database_error(app, exc) from exc
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR))
    with app.app_context():
        try:
            with db.engine.connect():
                pass
        except SQLAlchemyError as exc:
            raise database_error(app, exc) from exc


def setup_database(app) -> None:
    """Upgrade the host schema, then the plug-ins' (``casehost_upgrade_schema``); seed if empty.

    Both upgrades run at every start (they are no-ops when up to date). Demo data is loaded
    when the host has no user yet -- a new database, or one whose seeding failed -- in a
    single transaction, and the demo logins are printed.
    """
    with app.app_context():
        try:
            command.upgrade(migrate.get_config(str(MIGRATIONS_DIR)), "head")
        except CommandError as exc:
            raise HostConfigError(f"sample_host: cannot upgrade the host tables: {exc}") from exc
        try:
            current_host().pm.hook.casehost_upgrade_schema(app=app, db=db)
        except HostConfigError:
            raise
        except Exception as exc:
            raise HostConfigError(
                f"sample_host: a plug-in could not upgrade its tables: {one_line(exc)}"
            ) from exc
        if db.session.scalar(sa.select(User.id).limit(1)) is None:
            print_demo_logins(seed())


def seed() -> list[DemoLogin]:
    """Load all demo data in one transaction: committed entirely or not at all."""
    try:
        logins = load_demo_data()
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return logins


def print_demo_logins(logins: list[DemoLogin]) -> None:
    click.echo("sample_host: new database, demo data loaded. Demo logins:")
    click.echo(f"  {'username':<10} {'password':<15} role")
    for login in logins:
        click.echo(f"  {login.username:<10} {login.password:<15} {login.role}")
