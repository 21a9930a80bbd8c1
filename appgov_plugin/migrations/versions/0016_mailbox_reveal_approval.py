"""mailbox reveal approval: a reveal of a citizen's personal data waiting for, or decided
by, a supervisor

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 15:00:00

Capability ``mailbox`` (``appgov_plugin.mailbox.models.PersonalDataRevealRequest``,
個人資料保護法; rule parameter ``mailbox_reveal_needs_approval``): who asked to reveal
which field of which feedback item and why, who approved or refused it and when, and the
reveal an approval wrote.
"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('appgov_personal_data_reveal_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('feedback_id', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=32), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('requester_role', sa.String(length=32), nullable=False),
    sa.Column('requester_agency', sa.String(length=64), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('decided_by', sa.String(length=80), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=True),
    sa.Column('reveal_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("state IN ('pending', 'approved', 'refused')", name=op.f('ck_appgov_personal_data_reveal_request_state')),
    sa.ForeignKeyConstraint(['feedback_id'], ['appgov_feedback.id'], name=op.f('fk_appgov_personal_data_reveal_request_feedback_id_appgov_feedback')),
    sa.ForeignKeyConstraint(['reveal_id'], ['appgov_personal_data_reveal.id'], name=op.f('fk_appgov_personal_data_reveal_request_reveal_id_appgov_personal_data_reveal')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appgov_personal_data_reveal_request'))
    )
    with op.batch_alter_table('appgov_personal_data_reveal_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appgov_personal_data_reveal_request_feedback_id'), ['feedback_id'], unique=False)
        batch_op.create_index('ix_appgov_personal_data_reveal_request_state', ['state', 'requested_at'], unique=False)


def downgrade():
    with op.batch_alter_table('appgov_personal_data_reveal_request', schema=None) as batch_op:
        batch_op.drop_index('ix_appgov_personal_data_reveal_request_state')
        batch_op.drop_index(batch_op.f('ix_appgov_personal_data_reveal_request_feedback_id'))

    op.drop_table('appgov_personal_data_reveal_request')
