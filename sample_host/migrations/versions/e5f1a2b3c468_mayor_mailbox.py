"""the sample mayor mailbox: its requests and their history; the mailbox officer's role

Revision ID: e5f1a2b3c468
Revises: d2e6a8b1c357
Create Date: 2026-12-02 08:00:00

``host_mailbox_request``: a request the mailbox received over its Open311 endpoint, with its
number (``service_request_id``) and the sender's ``idempotency_key``, both unique: the same
key is recorded once however many times it is posted, at once or not (MAIL-2).
``host_mailbox_action``: the officer's replies, closings and reopenings.

``host_user``'s role check admits ``mailbox_officer`` (市長信箱承辦人). A batch ``ALTER``
recreates ``host_user`` on SQLite, which carries no trigger (those of a7c3e1f09d21 are on
``host_case`` and ``host_case_history``). The downgrade refuses while a user has the role.
"""
from alembic import op
import sqlalchemy as sa


revision = 'e5f1a2b3c468'
down_revision = 'd2e6a8b1c357'
branch_labels = None
depends_on = None

ROLES = ('agency_staff', 'agency_head', 'reviewer', 'mayor', 'it_department', 'helpdesk', 'sysadmin')
NEW_ROLES = ROLES[:-1] + ('mailbox_officer',) + ROLES[-1:]


def _role_check(roles):
    return f"role IN ({', '.join(repr(r) for r in roles)})"


def upgrade():
    with op.batch_alter_table('host_user') as batch:
        batch.drop_constraint(op.f('ck_host_user_role'), type_='check')
        batch.create_check_constraint(op.f('ck_host_user_role'), _role_check(NEW_ROLES))

    op.create_table('host_mailbox_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service_request_id', sa.String(length=64), nullable=True),
    sa.Column('idempotency_key', sa.String(length=64), nullable=True),
    sa.Column('service_code', sa.String(length=64), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('first_name', sa.String(length=100), nullable=True),
    sa.Column('last_name', sa.String(length=100), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('device_id', sa.String(length=200), nullable=True),
    sa.Column('media_url', sa.String(length=1000), nullable=True),
    sa.Column('lat', sa.Numeric(precision=9, scale=6), nullable=True),
    sa.Column('long', sa.Numeric(precision=9, scale=6), nullable=True),
    sa.Column('address_string', sa.String(length=500), nullable=True),
    sa.Column('app_code', sa.String(length=64), nullable=True),
    sa.Column('app_name', sa.String(length=200), nullable=True),
    sa.Column('agency_code', sa.String(length=40), nullable=True),
    sa.Column('agency_name', sa.String(length=200), nullable=True),
    sa.Column('feedback_id', sa.String(length=64), nullable=True),
    sa.Column('locale', sa.String(length=20), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('status_notes', sa.Text(), nullable=True),
    sa.Column('agency_responsible', sa.String(length=200), nullable=True),
    sa.CheckConstraint("status IN ('open', 'closed')", name=op.f('ck_host_mailbox_request_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_host_mailbox_request')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_host_mailbox_request_idempotency_key')),
    sa.UniqueConstraint('service_request_id', name=op.f('uq_host_mailbox_request_service_request_id'))
    )
    op.create_index('ix_host_mailbox_request_status_id', 'host_mailbox_request', ['status', 'id'], unique=False)
    op.create_index('ix_host_mailbox_request_requested_at', 'host_mailbox_request', ['requested_at'], unique=False)

    op.create_table('host_mailbox_action',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.CheckConstraint("action IN ('reply', 'close', 'reopen')", name=op.f('ck_host_mailbox_action_action')),
    sa.ForeignKeyConstraint(['actor_id'], ['host_user.id'], name=op.f('fk_host_mailbox_action_actor_id_host_user')),
    sa.ForeignKeyConstraint(['request_id'], ['host_mailbox_request.id'], name=op.f('fk_host_mailbox_action_request_id_host_mailbox_request')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_host_mailbox_action'))
    )
    op.create_index(op.f('ix_host_mailbox_action_actor_id'), 'host_mailbox_action', ['actor_id'], unique=False)
    op.create_index(op.f('ix_host_mailbox_action_request_id'), 'host_mailbox_action', ['request_id'], unique=False)


def downgrade():
    op.drop_table('host_mailbox_action')
    op.drop_table('host_mailbox_request')
    with op.batch_alter_table('host_user') as batch:
        batch.drop_constraint(op.f('ck_host_user_role'), type_='check')
        batch.create_check_constraint(op.f('ck_host_user_role'), _role_check(ROLES))
