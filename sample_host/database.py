"""Database start-up: connect, run the host's and the plug-ins' migrations, seed demo data."""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Iterator
from pathlib import Path

import click
import sqlalchemy as sa
from alembic import command
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import ArgumentError, DatabaseError, SQLAlchemyError

from .config import HostConfigError, database_error, one_line
from .demo import DemoLogin, load_demo_data
from .extensions import db, migrate
from .models import User
from .plugins import current_host

#: The host's Alembic environment (version table: the default ``alembic_version``).
MIGRATIONS_DIR = Path(__file__).with_name("migrations")
#: Name of the PostgreSQL advisory lock held around migrate + seed (hashed with the schema).
SETUP_LOCK_NAME = "sample_host:setup"


def init_database(app) -> None:
    """Bind Flask-SQLAlchemy and Flask-Migrate to ``app`` and check the database answers.

    A bad URL, a missing driver or an unreachable server becomes one
    :class:`~sample_host.config.HostConfigError` line naming the (password-masked) URL.
    """
    # A connection that died while idle in the pool (database restarted, connections cut)
    # is noticed and replaced before a request uses it: recovery without a restart.
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {}).setdefault("pool_pre_ping", True)
    try:
        db.init_app(app)
    except (ArgumentError, ImportError) as exc:
        raise database_error(app, exc) from exc
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR))
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            sa.event.listen(db.engine, "connect", _without_jit)
        try:
            with db.engine.connect() as connection:
                # Reads the catalog: a SQLite file that is not a database fails here, not
                # with a traceback in the middle of the migrations.
                sa.inspect(connection).get_table_names()
        except SQLAlchemyError as exc:
            raise unusable_database(app, exc) from exc


def _without_jit(dbapi_connection, _record) -> None:
    """PostgreSQL's JIT off for the host's connections: the inbox's and the search's reading
    rule is one large statement whose estimated cost passes ``jit_above_cost``, and
    compiling it took 3 s on 50,000 cases for a query that runs in 0.1 s without
    (benchmarks/lifecycle.py). Short transactional queries never gain from JIT."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("SET jit = off")
    finally:
        cursor.close()
    dbapi_connection.commit()  # a SET rolled back with its transaction would be undone


def unusable_database(app, exc: SQLAlchemyError) -> HostConfigError:
    """The one-line start-up error for ``exc``; a damaged SQLite file is named as such."""
    url = db.engine.url
    reason = one_line(exc)
    if (
        url.get_backend_name() == "sqlite"
        and url.database not in (None, "", ":memory:")
        and isinstance(exc, DatabaseError)
        and ("not a database" in reason or "malformed" in reason)
    ):
        return HostConfigError(
            f"sample_host: the SQLite file {url.database} is damaged or not a database "
            f"({reason}); restore it from a backup, or move it away to start with a "
            "new database"
        )
    return database_error(app, exc)


def setup_database(app) -> None:
    """Upgrade the host schema, then the plug-ins' (``casehost_upgrade_schema``); seed if empty.

    Both upgrades run at every start (they are no-ops when up to date). Demo data is loaded
    when the host has no user yet -- a new database, or one whose seeding failed -- in a
    single transaction, and the demo logins are printed.
    """
    with app.app_context(), setup_lock(app):
        try:
            if _current_revision() != _head_revision():  # at the head: one query
                command.upgrade(migrate.get_config(str(MIGRATIONS_DIR)), "head")
        except CommandError as exc:
            raise HostConfigError(f"sample_host: cannot upgrade the host tables: {exc}") from exc
        except SQLAlchemyError as exc:
            raise unusable_database(app, exc) from exc
        try:
            current_host().pm.hook.casehost_upgrade_schema(app=app, db=db)
        except HostConfigError:
            raise
        except Exception as exc:
            raise HostConfigError(
                f"sample_host: a plug-in could not upgrade its tables: {one_line(exc)}"
            ) from exc
        try:
            empty = db.session.scalar(sa.select(User.id).limit(1)) is None
        except SQLAlchemyError as exc:
            raise unusable_database(app, exc) from exc
        if empty:
            print_demo_logins(*seed())


@functools.cache
def _head_revision() -> str | None:
    """The head of the host's shipped migrations, read once per process."""
    return ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()


def _current_revision() -> str | None:
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@contextlib.contextmanager
def setup_lock(app) -> Iterator[None]:
    """Hold the start-up lock of this database: one process migrates and seeds at a time.

    Several gunicorn workers, or several hosts, starting on the same database wait here for
    each other; whoever comes second finds the tables upgraded and the demo data loaded.
    PostgreSQL: a session-level advisory lock keyed by the schema the host uses, on a
    connection of its own (the migrations use others). SQLite: an exclusive ``flock`` on
    ``<database file>.lock`` (created 0600). An in-memory SQLite database is private to its
    process and needs none.
    """
    engine = db.engine
    backend = engine.url.get_backend_name()
    if backend == "postgresql":
        try:
            connection = engine.connect()
            connection.exec_driver_sql("SET LOCAL lock_timeout = 0")  # wait as long as it takes
            connection.execute(
                sa.text("SELECT pg_advisory_lock(hashtextextended(:name || current_schema(), 0))"),
                {"name": SETUP_LOCK_NAME},
            )
            connection.commit()
        except SQLAlchemyError as exc:
            raise unusable_database(app, exc) from exc
        try:
            yield
        finally:
            try:
                connection.execute(
                    sa.text(
                        "SELECT pg_advisory_unlock(hashtextextended(:name || current_schema(), 0))"
                    ),
                    {"name": SETUP_LOCK_NAME},
                )
                connection.commit()
            finally:
                connection.close()  # closing the session releases the lock in any case
        return
    database = engine.url.database if backend == "sqlite" else None
    if not database or database == ":memory:" or database.startswith("file:"):
        yield
        return
    import fcntl  # POSIX; the lock file sits next to the database

    path = f"{database}.lock"
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise HostConfigError(
            f"sample_host: cannot create the start-up lock file {path}: {exc.strerror or exc}"
        ) from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the flock


@click.command("setup")
@with_appcontext
def setup_command() -> None:
    """Upgrade the host's and the plug-ins' tables; load the demo data into an empty database.

    What every start does unless ``SAMPLE_HOST_AUTO_SETUP=0``, as a deployment step of its
    own (under the same start-up lock, so it may also run while workers start).
    """
    setup_database(current_app)
    click.echo("sample_host: the host's and the plug-ins' tables are up to date.")


def seed() -> tuple[list[DemoLogin], list[str]]:
    """Load all demo data in one transaction: committed entirely or not at all. Answers the
    demo logins and the plug-ins' lines to print beside them."""
    try:
        logins, notes = load_demo_data()
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return logins, notes


def print_demo_logins(logins: list[DemoLogin], notes: list[str] = ()) -> None:
    click.echo("sample_host: new database, demo data loaded. Demo logins:")
    click.echo(f"  {'username':<10} {'password':<15} role")
    for login in logins:
        click.echo(f"  {login.username:<10} {login.password:<15} {login.role}")
    for line in notes:
        click.echo(line)
