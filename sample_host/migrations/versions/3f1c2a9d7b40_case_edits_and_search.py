"""owners' edits in the case history (changes), searchable answers on the case

Revision ID: 3f1c2a9d7b40
Revises: 6c964a6614af
Create Date: 2026-12-01 20:30:00

``host_case_history.changes``: {field: [old, new]} for an owner's edit, NULL for the other
steps. ``host_case.search_text``: the answers as lower-case text (JSON columns keep non-ASCII
text escaped, so LIKE cannot search them); filled here for the cases already stored, then
kept by the model on every insert and update.
"""
import json

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3f1c2a9d7b40'
down_revision = '6c964a6614af'
branch_labels = None
depends_on = None


def _searchable_text(data):
    """Same as sample_host.models.searchable_text at the time of this revision (a revision
    does not import application code)."""
    parts = []

    def walk(value):
        if isinstance(value, bool) or value is None:
            return
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item)
        elif str(value).strip():
            parts.append(str(value).strip().lower())

    walk(data or {})
    return "\n".join(parts)


def upgrade():
    with op.batch_alter_table('host_case_history') as batch:
        batch.add_column(sa.Column('changes', sa.JSON(), nullable=True))
    with op.batch_alter_table('host_case') as batch:
        batch.add_column(sa.Column('search_text', sa.Text(), server_default='', nullable=False))

    cases = sa.table(
        'host_case', sa.column('id', sa.Integer), sa.column('data', sa.Text),
        sa.column('search_text', sa.Text),
    )
    connection = op.get_bind()
    # data read as text and parsed here: the same on SQLite (TEXT) and PostgreSQL (json)
    rows = connection.execute(
        sa.select(cases.c.id, sa.cast(cases.c.data, sa.Text))
    ).all()
    for case_id, text in rows:
        data = json.loads(text) if text else {}
        connection.execute(
            cases.update().where(cases.c.id == case_id).values(search_text=_searchable_text(data))
        )


def downgrade():
    with op.batch_alter_table('host_case') as batch:
        batch.drop_column('search_text')
    with op.batch_alter_table('host_case_history') as batch:
        batch.drop_column('changes')
