"""user e-mail: where notifications are sent

Revision ID: d2e6a8b1c357
Revises: c4d9e7f3a210
Create Date: 2026-12-02 04:00:00

``host_user.email`` (NULL: no e-mail; in-app messages only). Plug-ins read it through
``casehost_users`` to send notifications.
"""
from alembic import op
import sqlalchemy as sa


revision = 'd2e6a8b1c357'
down_revision = 'c4d9e7f3a210'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('host_user') as batch:
        batch.add_column(sa.Column('email', sa.String(length=254), nullable=True))


def downgrade():
    with op.batch_alter_table('host_user') as batch:
        batch.drop_column('email')
