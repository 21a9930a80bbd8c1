"""form versions: append-only, hash-chained history of every form definition

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 01:30:00

``appgov_form_version`` keeps every version of every form definition (the full TOML text,
its sha256, who, when, why), one chain per form key (``previous_hash``, ``row_hash`` as in
0005). Unique (key, version): two publishes never get the same version. Triggers refuse
every UPDATE and DELETE (and TRUNCATE on PostgreSQL), whoever sends them.

The shipped files (``forms/*.toml``) are recorded by ``appgov_plugin.forms.store`` on first
use, not here: a revision never reads application files that change between releases.
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

TABLE = 'appgov_form_version'

_MESSAGE = f'{TABLE} is append-only: a published form version is never changed or removed, publish a new one'

SQLITE_TRIGGERS = {
    f'{TABLE}_no_update': 'UPDATE',
    f'{TABLE}_no_delete': 'DELETE',
}
PG_FUNCTION = f'{TABLE}_append_only'
PG_TRIGGERS = {
    f'{TABLE}_no_update_delete': 'BEFORE UPDATE OR DELETE ON {table} FOR EACH ROW',
    f'{TABLE}_no_truncate': 'BEFORE TRUNCATE ON {table} FOR EACH STATEMENT',
}


def _create_triggers(connection):
    if connection.dialect.name == 'postgresql':
        op.execute(
            f"""
            CREATE FUNCTION {PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '{_MESSAGE} (% refused)', TG_OP
                    USING ERRCODE = 'integrity_constraint_violation';
            END
            $$
            """
        )
        for name, when in PG_TRIGGERS.items():
            op.execute(
                f'CREATE TRIGGER {name} {when.format(table=TABLE)} '
                f'EXECUTE FUNCTION {PG_FUNCTION}()'
            )
    else:
        for name, event in SQLITE_TRIGGERS.items():
            op.execute(
                f"CREATE TRIGGER {name} BEFORE {event} ON {TABLE} "
                f"BEGIN SELECT RAISE(ABORT, '{_MESSAGE} ({event} refused)'); END"
            )


def _drop_triggers(connection):
    if connection.dialect.name == 'postgresql':
        for name in PG_TRIGGERS:
            op.execute(f'DROP TRIGGER IF EXISTS {name} ON {TABLE}')
        op.execute(f'DROP FUNCTION IF EXISTS {PG_FUNCTION}()')
    else:
        for name in SQLITE_TRIGGERS:
            op.execute(f'DROP TRIGGER IF EXISTS {name}')


def upgrade():
    op.create_table(TABLE,
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('definition', sa.Text(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('previous_hash', sa.String(length=64), nullable=True),
    sa.Column('row_hash', sa.String(length=64), nullable=False),
    sa.CheckConstraint('length(trim(reason)) > 0', name=op.f('ck_appgov_form_version_reason')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_appgov_form_version_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appgov_form_version')),
    sa.UniqueConstraint('key', 'version', name=op.f('uq_appgov_form_version_key'))
    )
    _create_triggers(op.get_bind())


def downgrade():
    _drop_triggers(op.get_bind())
    op.drop_table(TABLE)
