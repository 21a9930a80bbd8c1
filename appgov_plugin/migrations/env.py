"""Alembic environment for appgov's tables; run through :mod:`appgov_plugin.migrations`."""

from alembic import context

from appgov_plugin.db import TABLE_PREFIX, load_models, metadata
from appgov_plugin.migrations import VERSION_TABLE

load_models()  # every capability's tables in the metadata


def include_name(name, type_, parent_names):
    # Compare only appgov's tables: the host's tables are none of our business.
    if type_ == "table":
        return name.startswith(TABLE_PREFIX)
    return True


def run_migrations():
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError(
            "appgov migrations need a connection: use appgov_plugin.migrations.upgrade(engine) "
            "or `flask appgov db upgrade`"
        )
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        include_name=include_name,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
