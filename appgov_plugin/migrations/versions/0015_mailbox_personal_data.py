"""mailbox personal data: the notice at collection, the log of citizens' rights requests and
retention purges, when a feedback item's contact data was removed

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 14:00:00

Capability ``mailbox`` (``appgov_plugin.mailbox.models``, 個人資料保護法 §3, §8, §10, §11):
the notice at collection as administrators edit it (one row per language; none: the default
text), one row per search, export or erasure for a citizen and per purge run, and
``appgov_feedback.contact_removed_at`` (the anonymised record stays).
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('appgov_personal_data_notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('locale', sa.String(length=20), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=80), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appgov_personal_data_notice')),
    sa.UniqueConstraint('locale', name=op.f('uq_appgov_personal_data_notice_locale'))
    )
    op.create_table('appgov_personal_data_action',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('acted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.CheckConstraint("action IN ('search', 'export', 'erase', 'purge')", name=op.f('ck_appgov_personal_data_action_action')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appgov_personal_data_action'))
    )
    with op.batch_alter_table('appgov_personal_data_action', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appgov_personal_data_action_acted_at'), ['acted_at'], unique=False)

    with op.batch_alter_table('appgov_feedback', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_removed_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('appgov_feedback', schema=None) as batch_op:
        batch_op.drop_column('contact_removed_at')

    with op.batch_alter_table('appgov_personal_data_action', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appgov_personal_data_action_acted_at'))

    op.drop_table('appgov_personal_data_action')
    op.drop_table('appgov_personal_data_notice')
