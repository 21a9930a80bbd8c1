"""initial host schema: agencies, users, cases and the append-only case history

Revision ID: 6c964a6614af
Revises:
Create Date: 2026-11-22 01:55:30.867873

Generated with ``flask db migrate`` and reviewed: the model's ``UTCDateTime`` is stored as
``DateTime(timezone=True)`` (``timestamptz`` on PostgreSQL) so the revision does not import
application code; plain ``create_index`` works on both SQLite and PostgreSQL.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6c964a6614af'
down_revision = None
branch_labels = None
depends_on = None

ROLES = ('agency_staff', 'agency_head', 'reviewer', 'mayor', 'it_department', 'helpdesk', 'sysadmin')


def upgrade():
    op.create_table('host_agency',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name_zh', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('city', sa.String(length=20), nullable=False),
    sa.CheckConstraint("city IN ('tainan', 'kaohsiung', 'taipei')", name=op.f('ck_host_agency_city')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_host_agency')),
    sa.UniqueConstraint('code', name=op.f('uq_host_agency_code'))
    )
    op.create_table('host_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=30), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=True),
    sa.Column('locale', sa.String(length=20), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.CheckConstraint(f"role IN ({', '.join(repr(r) for r in ROLES)})", name=op.f('ck_host_user_role')),
    sa.ForeignKeyConstraint(['agency_id'], ['host_agency.id'], name=op.f('fk_host_user_agency_id_host_agency')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_host_user')),
    sa.UniqueConstraint('username', name=op.f('uq_host_user_username'))
    )
    op.create_index(op.f('ix_host_user_agency_id'), 'host_user', ['agency_id'], unique=False)

    op.create_table('host_case',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('type_key', sa.String(length=80), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=80), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('form_version', sa.Integer(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['host_agency.id'], name=op.f('fk_host_case_agency_id_host_agency')),
    sa.ForeignKeyConstraint(['owner_id'], ['host_user.id'], name=op.f('fk_host_case_owner_id_host_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_host_case'))
    )
    op.create_index(op.f('ix_host_case_agency_id'), 'host_case', ['agency_id'], unique=False)
    op.create_index(op.f('ix_host_case_owner_id'), 'host_case', ['owner_id'], unique=False)
    op.create_index('ix_host_case_type_key_status', 'host_case', ['type_key', 'status'], unique=False)

    op.create_table('host_case_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('transition', sa.String(length=80), nullable=False),
    sa.Column('from_state', sa.String(length=80), nullable=True),
    sa.Column('to_state', sa.String(length=80), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['host_user.id'], name=op.f('fk_host_case_history_actor_id_host_user')),
    sa.ForeignKeyConstraint(['case_id'], ['host_case.id'], name=op.f('fk_host_case_history_case_id_host_case')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_host_case_history'))
    )
    op.create_index(op.f('ix_host_case_history_actor_id'), 'host_case_history', ['actor_id'], unique=False)
    op.create_index(op.f('ix_host_case_history_case_id'), 'host_case_history', ['case_id'], unique=False)


def downgrade():
    op.drop_table('host_case_history')
    op.drop_table('host_case')
    op.drop_table('host_user')
    op.drop_table('host_agency')
