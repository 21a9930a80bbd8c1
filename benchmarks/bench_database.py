"""The benchmarks' throw-away database: a SQLite file in a temporary folder, or a PostgreSQL
schema of ``APPGOV_BENCH_POSTGRES_URL`` (default ``APPGOV_TEST_POSTGRES_URL``, else
``postgresql+psycopg://postgres@127.0.0.1:5432/test``) reached through ``search_path``;
or an empty database given by its URL, left as it is."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid

import sqlalchemy as sa

POSTGRES_URL = os.environ.get(
    "APPGOV_BENCH_POSTGRES_URL",
    os.environ.get("APPGOV_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
)


class Database:
    """A fresh database of ``kind`` (``"sqlite"`` or ``"postgresql"``), or the empty one at
    ``url``: ``url``, ``kind``, ``folder`` (a temporary folder for the run's files) and
    ``drop()``."""

    def __init__(self, kind: str, url: str | None = None, *, prefix: str = "appgov-bench-"):
        self.folder = tempfile.mkdtemp(prefix=prefix)
        self.schema = None
        if url:
            self.url = url
            self.kind = sa.engine.make_url(url).get_backend_name()
            return
        self.kind = kind
        if kind == "sqlite":
            self.url = f"sqlite:///{self.folder}/bench.sqlite"
            return
        self.schema = f"bench_{uuid.uuid4().hex[:10]}"
        self.admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{self.schema}"'))
        url = sa.engine.make_url(POSTGRES_URL).update_query_dict(
            {"options": f"-csearch_path={self.schema}"}
        )
        self.url = url.render_as_string(hide_password=False)

    def drop(self) -> None:
        """Remove the throw-away schema and the temporary folder (its SQLite file)."""
        if self.schema:
            with self.admin.connect() as conn:
                conn.execute(sa.text(f'DROP SCHEMA "{self.schema}" CASCADE'))
            self.admin.dispose()
        shutil.rmtree(self.folder, ignore_errors=True)


def each_database(args, prefix: str):
    """The databases a benchmark's ``--database-url`` (that one, kept) or ``--db`` options
    (default: SQLite and PostgreSQL) name, made one at a time and dropped after use."""
    if args.database_url:
        makers = [lambda: Database("", args.database_url, prefix=prefix)]
    else:
        makers = [
            lambda kind=kind: Database(kind, prefix=prefix)
            for kind in args.db or ("sqlite", "postgresql")
        ]
    for make in makers:
        database = make()
        try:
            yield database
        finally:
            database.drop()
