"""Alembic environment of the sample host's own tables (``host_*``).

Runs through Flask-Migrate in an application context. Only the host's tables are compared
and migrated: plug-ins keep their own tables and migration history in the same database.
The version table is Alembic's default ``alembic_version``.
"""

from alembic import context
from flask import current_app

config = context.config
target_db = current_app.extensions["migrate"].db
target_metadata = target_db.metadata


def include_name(name, type_, parent_names):
    """Autogenerate looks at the host's tables only, never at plug-in tables."""
    if type_ == "table":
        return name in target_metadata.tables
    return True


def run_migrations_offline():
    """Emit SQL for the configured URL without connecting (``flask db upgrade --sql``)."""
    context.configure(
        url=target_db.engine.url.render_as_string(hide_password=False),
        target_metadata=target_metadata,
        include_name=include_name,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Migrate over a connection of the application's engine."""

    def process_revision_directives(context, revision, directives):
        # ``flask db migrate`` without schema changes writes no empty revision.
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []

    conf_args = dict(current_app.extensions["migrate"].configure_args)
    conf_args.setdefault("process_revision_directives", process_revision_directives)
    with target_db.engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            include_name=include_name,
            **conf_args,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
