"""appgov's own Alembic migration history.

Version table ``appgov_alembic_version``; only ``appgov_*`` tables are compared or touched,
so a host's own tables and its own ``alembic_version`` stay as they are.
"""

from __future__ import annotations

import functools

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

VERSION_TABLE = "appgov_alembic_version"
SCRIPT_LOCATION = "appgov_plugin:migrations"


def alembic_config(connection: sa.Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", SCRIPT_LOCATION)
    cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine: sa.Engine, revision: str = "head") -> None:
    """Upgrade appgov's tables on ``engine`` in one transaction (where the backend allows).

    On PostgreSQL the transaction first takes an advisory lock (per schema): several
    processes starting at once upgrade one after the other, and the later ones find the
    tables at ``revision`` already. Tables already at the head cost one query (every start
    of a host asks).
    """
    if revision == "head" and current_revision(engine) == _head():
        return
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(
                sa.text(
                    "SELECT pg_advisory_xact_lock(hashtextextended(:name || current_schema(), 0))"
                ),
                {"name": "appgov:upgrade"},
            )
        command.upgrade(alembic_config(connection), revision)


def downgrade(engine: sa.Engine, revision: str) -> None:
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), revision)


def current_revision(engine: sa.Engine) -> str | None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        return context.get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


@functools.cache
def _head() -> str | None:
    """The head of the shipped revisions, read once per process (they ship with the code)."""
    return head_revision()
