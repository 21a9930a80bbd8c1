"""appgov's own Alembic history joins a host database without touching the host's tables."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from appgov_plugin import migrations
from appgov_plugin.db import TABLE_PREFIX, metadata
from appgov_plugin.migrations import VERSION_TABLE


def _host_table(engine):
    host = sa.MetaData()
    sa.Table("alembic_version", host, sa.Column("version_num", sa.String(32), primary_key=True))
    sa.Table("cases", host, sa.Column("id", sa.Integer, primary_key=True))
    host.create_all(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO alembic_version VALUES ('host-rev-7')"))
        conn.execute(sa.text("INSERT INTO cases (id) VALUES (1)"))


def test_upgrade_adds_only_appgov_tables_and_keeps_the_hosts(database_url):
    engine = sa.create_engine(database_url)
    _host_table(engine)
    migrations.upgrade(engine)
    names = set(sa.inspect(engine).get_table_names())
    assert {n for n in names if not n.startswith(TABLE_PREFIX)} == {"alembic_version", "cases"}
    assert migrations.current_revision(engine) == migrations.head_revision()
    with engine.connect() as conn:
        # the host's own migration history is untouched
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == (
            "host-rev-7"
        )
        assert conn.execute(sa.text("SELECT count(*) FROM cases")).scalar() == 1
    migrations.upgrade(engine)  # idempotent
    engine.dispose()


def test_models_match_the_migrations(database_url):
    engine = sa.create_engine(database_url)
    migrations.upgrade(engine)
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "version_table": VERSION_TABLE,
                "include_name": lambda name, type_, parents: (
                    type_ != "table" or name.startswith(TABLE_PREFIX)
                ),
                "compare_type": True,
            },
        )
        assert compare_metadata(context, metadata) == []
    engine.dispose()


def test_downgrade_to_base_removes_every_appgov_table(database_url):
    engine = sa.create_engine(database_url)
    _host_table(engine)
    migrations.upgrade(engine)
    migrations.downgrade(engine, "base")
    names = set(sa.inspect(engine).get_table_names())
    assert {n for n in names if n.startswith(TABLE_PREFIX)} <= {"appgov_alembic_version"}
    assert {"alembic_version", "cases"} <= names
    engine.dispose()
