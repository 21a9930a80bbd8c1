"""session version: log-out and password changes end every session

Revision ID: b8d4f2a1e032
Revises: a7c3e1f09d21
Create Date: 2026-12-01 23:00:00

``host_user.session_version``: part of the user id kept in the session cookie
(``"<id>:<version>"``). Log-out and a password change raise it, so every cookie issued
before stops identifying the user. Existing users start at 1; cookies issued before this
revision (a bare ``"<id>"``) are no longer accepted: everyone logs in once more.
"""
from alembic import op
import sqlalchemy as sa


revision = 'b8d4f2a1e032'
down_revision = 'a7c3e1f09d21'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('host_user') as batch:
        batch.add_column(
            sa.Column('session_version', sa.Integer(), server_default='1', nullable=False)
        )


def downgrade():
    with op.batch_alter_table('host_user') as batch:
        batch.drop_column('session_version')
