"""append-only case history enforced by triggers, hash-chained; corrections

Revision ID: a7c3e1f09d21
Revises: 3f1c2a9d7b40
Create Date: 2026-12-01 23:00:00

``host_case_history`` gets ``previous_hash`` and ``row_hash`` (SHA-256, hex): each row's hash
covers its content and the hash of the case's row before it (``""`` for a case's first row),
see ``appgov_plugin.audit``. The rows already stored are chained here, per case in ``id``
order. A unique index on ``(case_id, previous_hash)`` refuses two rows after the same one.

Then the database itself refuses to change the history, whoever asks (raw SQL, Core, the
ORM): triggers refuse ``UPDATE`` and ``DELETE`` of ``host_case_history`` on SQLite
(``RAISE(ABORT, ...)``) and PostgreSQL (a plpgsql function; ``TRUNCATE`` too). On SQLite,
which does not enforce foreign keys here, a trigger also refuses to delete a case that has
history (PostgreSQL's foreign key already does).

A batch ``ALTER`` that recreates ``host_case_history`` or ``host_case`` on SQLite drops their
triggers: a later revision doing so must create them again.
"""
import json

from alembic import op
import sqlalchemy as sa

from appgov_plugin.audit import GENESIS, chain_hash


revision = 'a7c3e1f09d21'
down_revision = '3f1c2a9d7b40'
branch_labels = None
depends_on = None

MESSAGE = 'host_case_history is append-only'

SQLITE_TRIGGERS = {
    'host_case_history_no_update': f"""
        CREATE TRIGGER host_case_history_no_update BEFORE UPDATE ON host_case_history
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}: UPDATE refused'); END""",
    'host_case_history_no_delete': f"""
        CREATE TRIGGER host_case_history_no_delete BEFORE DELETE ON host_case_history
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}: DELETE refused'); END""",
    'host_case_no_delete_with_history': f"""
        CREATE TRIGGER host_case_no_delete_with_history BEFORE DELETE ON host_case
        WHEN EXISTS (SELECT 1 FROM host_case_history WHERE case_id = OLD.id)
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}: a case with history cannot be deleted'); END""",
}

POSTGRES_FUNCTION = f"""
    CREATE FUNCTION host_case_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{MESSAGE}: % refused', TG_OP USING ERRCODE = 'integrity_constraint_violation';
    END
    $$"""
POSTGRES_TRIGGERS = {
    'host_case_history_no_update_delete': """
        CREATE TRIGGER host_case_history_no_update_delete
        BEFORE UPDATE OR DELETE ON host_case_history
        FOR EACH ROW EXECUTE FUNCTION host_case_history_append_only()""",
    'host_case_history_no_truncate': """
        CREATE TRIGGER host_case_history_no_truncate BEFORE TRUNCATE ON host_case_history
        FOR EACH STATEMENT EXECUTE FUNCTION host_case_history_append_only()""",
}


def _chain_existing_rows(connection):
    """Chain the rows stored before this revision, per case in id order (the content as
    ``sample_host.models.history_content`` names it)."""
    history = sa.table(
        'host_case_history',
        sa.column('id', sa.Integer), sa.column('case_id', sa.Integer),
        sa.column('actor_id', sa.Integer), sa.column('at', sa.DateTime(timezone=True)),
        sa.column('transition', sa.String), sa.column('from_state', sa.String),
        sa.column('to_state', sa.String), sa.column('comment', sa.Text),
        sa.column('changes', sa.Text), sa.column('previous_hash', sa.String),
        sa.column('row_hash', sa.String),
    )
    rows = connection.execute(
        sa.select(
            history.c.id, history.c.case_id, history.c.actor_id, history.c.at,
            history.c.transition, history.c.from_state, history.c.to_state, history.c.comment,
            # read as text and parsed here: the same on SQLite (TEXT) and PostgreSQL (json)
            sa.cast(history.c.changes, sa.Text).label('changes'),
        ).order_by(history.c.case_id, history.c.id)
    ).all()
    heads = {}
    for row in rows:
        previous = heads.get(row.case_id, GENESIS)
        content = {
            'case_id': row.case_id,
            'actor_id': row.actor_id,
            'at': row.at,
            'transition': row.transition,
            'from_state': row.from_state,
            'to_state': row.to_state,
            'comment': row.comment,
            'changes': json.loads(row.changes) if row.changes is not None else None,
        }
        row_hash = heads[row.case_id] = chain_hash(previous, content)
        connection.execute(
            history.update()
            .where(history.c.id == row.id)
            .values(previous_hash=previous, row_hash=row_hash)
        )


def upgrade():
    with op.batch_alter_table('host_case_history') as batch:
        batch.add_column(sa.Column('previous_hash', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('row_hash', sa.String(length=64), nullable=True))
    _chain_existing_rows(op.get_bind())
    with op.batch_alter_table('host_case_history') as batch:
        batch.alter_column('previous_hash', existing_type=sa.String(length=64), nullable=False)
        batch.alter_column('row_hash', existing_type=sa.String(length=64), nullable=False)
    op.create_index(
        'uq_host_case_history_case_id_previous_hash', 'host_case_history',
        ['case_id', 'previous_hash'], unique=True,
    )

    if op.get_bind().dialect.name == 'sqlite':
        for create in SQLITE_TRIGGERS.values():
            op.execute(create)
    else:
        op.execute(POSTGRES_FUNCTION)
        for create in POSTGRES_TRIGGERS.values():
            op.execute(create)


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        for name in SQLITE_TRIGGERS:
            op.execute(f'DROP TRIGGER IF EXISTS {name}')
    else:
        for name in POSTGRES_TRIGGERS:
            op.execute(f'DROP TRIGGER IF EXISTS {name} ON host_case_history')
        op.execute('DROP FUNCTION IF EXISTS host_case_history_append_only()')
    op.drop_index('uq_host_case_history_case_id_previous_hash', table_name='host_case_history')
    with op.batch_alter_table('host_case_history') as batch:
        batch.drop_column('row_hash')
        batch.drop_column('previous_hash')
