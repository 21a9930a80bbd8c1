"""append-only parameter changes enforced by triggers, hash-chained

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 23:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
