"""staff record exports: the log of exports of person-level records of the roll-out and
training capabilities

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 15:30:00

Capability ``rollout`` (``appgov_plugin.rollout.models_exports.StaffRecordExport``, issue 16:
staff records are visible only to the person, their agency's administrators and the IT
department; exports of them are logged): who exported which records, when, in which format,
with which filters, how many rows.
"""
from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('appgov_staff_record_export',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('exported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('agency_code', sa.String(length=64), nullable=True),
    sa.Column('export', sa.String(length=32), nullable=False),
    sa.Column('fmt', sa.String(length=8), nullable=False),
    sa.Column('filters', sa.JSON(), nullable=False),
    sa.Column('row_count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appgov_staff_record_export'))
    )
    with op.batch_alter_table('appgov_staff_record_export', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appgov_staff_record_export_exported_at'), ['exported_at'], unique=False)


def downgrade():
    with op.batch_alter_table('appgov_staff_record_export', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appgov_staff_record_export_exported_at'))

    op.drop_table('appgov_staff_record_export')
