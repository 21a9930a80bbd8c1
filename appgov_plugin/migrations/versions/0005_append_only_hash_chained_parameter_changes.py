"""append-only parameter changes enforced by triggers, hash-chained

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 23:00:00

Each row gets ``previous_hash`` (the ``row_hash`` of the row before it of the same
parameter, NULL for a parameter's first row) and ``row_hash``
(``appgov_plugin.audit.chain_hash(previous_hash, content)``); existing rows are backfilled
per parameter in id order. Then triggers refuse every UPDATE and DELETE of the table (and
TRUNCATE on PostgreSQL), whoever sends them: the ORM, Core or raw SQL.

On SQLite a table rebuilt by a later batch migration loses its triggers (SQLite drops them
with the old table): such a migration must drop and re-create them (``_create_triggers``).
"""
from alembic import op
import sqlalchemy as sa

from appgov_plugin.audit import chain_hash


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

TABLE = 'appgov_parameter_change'
#: the columns a row's hash covers, as of this revision
HASHED = ('name', 'value', 'previous_value', 'effective_from', 'reason', 'changed_by', 'changed_at')

_rows = sa.table(
    TABLE,
    sa.column('id', sa.Integer),
    sa.column('name', sa.String),
    sa.column('value', sa.JSON),
    sa.column('previous_value', sa.JSON),
    sa.column('effective_from', sa.Date),
    sa.column('reason', sa.Text),
    sa.column('changed_by', sa.String),
    sa.column('changed_at', sa.DateTime(timezone=True)),
    sa.column('previous_hash', sa.String),
    sa.column('row_hash', sa.String),
)

_MESSAGE = f'{TABLE} is append-only: history is never changed or removed, a correction is a new change'

SQLITE_TRIGGERS = {
    f'{TABLE}_no_update': 'UPDATE',
    f'{TABLE}_no_delete': 'DELETE',
}
PG_FUNCTION = f'{TABLE}_append_only'
PG_TRIGGERS = {
    f'{TABLE}_no_update_delete': 'BEFORE UPDATE OR DELETE ON {table} FOR EACH ROW',
    f'{TABLE}_no_truncate': 'BEFORE TRUNCATE ON {table} FOR EACH STATEMENT',
}


def _backfill(connection):
    last = {}
    rows = connection.execute(sa.select(_rows).order_by(_rows.c.name, _rows.c.id)).all()
    for row in rows:
        previous = last.get(row.name)
        content = {column: getattr(row, column) for column in HASHED}
        row_hash = chain_hash(previous, content)
        connection.execute(
            _rows.update()
            .where(_rows.c.id == row.id)
            .values(previous_hash=previous, row_hash=row_hash)
        )
        last[row.name] = row_hash


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
    connection = op.get_bind()
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.add_column(sa.Column('previous_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('row_hash', sa.String(length=64), nullable=True))
    _backfill(connection)
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.alter_column('row_hash', existing_type=sa.String(length=64), nullable=False)
    _create_triggers(connection)


def downgrade():
    connection = op.get_bind()
    _drop_triggers(connection)
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_column('row_hash')
        batch_op.drop_column('previous_hash')
