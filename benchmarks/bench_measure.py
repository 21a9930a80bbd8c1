"""What the benchmarks measure with: the sample host on a throw-away database
(:mod:`bench_database`), the median time of a call, and the SQL statements it sends."""

from __future__ import annotations

import statistics
import time

import sqlalchemy as sa
from bench_database import Database


def make_host(database: Database, profile: str = "taipei", **config):
    """The sample host on ``database`` under ``profile`` (its demo seeded at the first
    start), with cheap password hashes and no log-in throttling or CSRF."""
    from sample_host import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database.url,
            "INSTANCE_PATH": f"{database.folder}/instance",
            "SECRET_KEY": "benchmark",
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "APPGOV_PROFILE": profile,
            "RATELIMIT_ENABLED": False,
            "WTF_CSRF_ENABLED": False,
            **config,
        }
    )


def timed(run, rounds: int) -> tuple[float, object]:
    """The median of ``rounds`` calls of ``run()`` after one warm-up, and its last answer."""
    run()  # warm-up
    times, answer = [], None
    for _ in range(rounds):
        start = time.perf_counter()
        answer = run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), answer


def statements_of(engine, run) -> tuple[object, int]:
    """``run()``'s answer and the number of SQL statements it sent on ``engine``."""
    sent: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        sent.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        answer = run()
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    return answer, len(sent)
