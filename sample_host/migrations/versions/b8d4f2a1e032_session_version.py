"""session version: log-out and password changes end every session

Revision ID: b8d4f2a1e032
Revises: a7c3e1f09d21
Create Date: 2026-12-01 23:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'b8d4f2a1e032'
down_revision = 'a7c3e1f09d21'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
