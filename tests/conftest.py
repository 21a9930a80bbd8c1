"""Shared fixtures.

Database-backed tests take the ``database_url`` fixture, which is parametrised over SQLite
(a file in the test's tmp dir) and PostgreSQL (a fresh schema per test in the server named
by ``APPGOV_TEST_POSTGRES_URL``, default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``).
An unreachable PostgreSQL skips those tests locally and fails them in CI (``CI=true``).
"""

from __future__ import annotations

import os
import uuid

import pytest
import sqlalchemy as sa

POSTGRES_URL = os.environ.get(
    "APPGOV_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

_postgres_error: list[str] = []


def _postgres_available() -> str | None:
    """None when PostgreSQL answers, else the reason (checked once per run)."""
    if not _postgres_error:
        try:
            engine = sa.create_engine(POSTGRES_URL)
            with engine.connect() as conn:
                conn.execute(sa.text("select 1"))
            engine.dispose()
            _postgres_error.append("")
        except Exception as exc:  # any driver or network error means "not reachable"
            _postgres_error.append(f"PostgreSQL at {POSTGRES_URL} unreachable: {exc}")
    return _postgres_error[0] or None


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """An empty database on each backend; tables are the test's own business."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'appgov-test.sqlite'}"
        return
    problem = _postgres_available()
    if problem:
        if IN_CI:
            pytest.fail(problem)
        pytest.skip(problem)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin_engine = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = sa.engine.make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin_engine.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin_engine.dispose()
