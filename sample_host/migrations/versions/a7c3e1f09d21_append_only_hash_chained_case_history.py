"""append-only case history enforced by triggers, hash-chained; corrections

Revision ID: a7c3e1f09d21
Revises: 3f1c2a9d7b40
Create Date: 2026-12-01 23:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'a7c3e1f09d21'
down_revision = '3f1c2a9d7b40'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
