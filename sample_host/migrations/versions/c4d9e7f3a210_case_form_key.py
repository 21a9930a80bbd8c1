"""the form a case was filed with: host_case.form_key beside form_version

Revision ID: c4d9e7f3a210
Revises: b8d4f2a1e032
Create Date: 2026-12-02 01:30:00

``host_case.form_key`` (nullable): the key of the form definition the case was filed with;
with ``form_version`` it names the form the host always re-renders, validates and exports
the case with (``CaseType.form_for(key, version)``), whatever version is live later. Cases
already stored get the key of their case type where the installed plug-ins name one fixed
key (``CaseType.form_key`` a plain string); the others stay NULL ("not recorded": the
plug-in's ``form_at`` decides).

Plain ``ALTER TABLE ... ADD COLUMN`` / ``DROP COLUMN``, never a batch ``ALTER``: on SQLite a
batch recreates ``host_case`` and would drop the append-only trigger of a7c3e1f09d21
(``host_case_no_delete_with_history``).
"""
from alembic import context, op
import sqlalchemy as sa


revision = 'c4d9e7f3a210'
down_revision = 'b8d4f2a1e032'
branch_labels = None
depends_on = None


def _known_form_keys():
    """{case type key: form key} of the installed case types that name one fixed key (the
    host runs its migrations inside its application, plug-ins installed); empty otherwise."""
    try:
        from flask import current_app, has_app_context

        if not has_app_context() or 'casehost' not in current_app.extensions:
            return {}
        case_types = current_app.extensions['casehost'].contributions.case_types
    except Exception:  # no application: nothing is known, nothing is guessed
        return {}
    return {
        case_type.key: case_type.form_key
        for case_type in case_types
        if isinstance(case_type.form_key, str)
    }


def upgrade():
    op.add_column('host_case', sa.Column('form_key', sa.String(length=80), nullable=True))
    if context.is_offline_mode():
        return
    cases = sa.table('host_case', sa.column('type_key', sa.String), sa.column('form_key', sa.String))
    for type_key, form_key in sorted(_known_form_keys().items()):
        op.execute(
            cases.update()
            .where(cases.c.type_key == type_key, cases.c.form_key.is_(None))
            .values(form_key=form_key)
        )


def downgrade():
    # SQLite >= 3.35 drops a column in place (the table and its triggers stay)
    op.execute('ALTER TABLE host_case DROP COLUMN form_key')
