"""Telling "the database is away" from a bug, for hosts and for appgov's own pages.

While the database cannot be used -- the server stopped, restarting or refusing connections,
connections cut, SQLite locked or its file unreadable -- a request deserves a 503 "try again
in a moment" and one log line. Everything else a driver raises (a missing table, a pattern
SQLite finds too complex, a value PostgreSQL refuses) is a bug or an input the application
should have refused, and stays a 500 with its traceback.
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

#: SQLite's ``OperationalError`` messages that mean the file cannot be used right now.
SQLITE_AWAY = (
    "database is locked",
    "database table is locked",
    "unable to open database file",
    "disk i/o error",
    "database or disk is full",
)

#: What a host registers its handler for (then asks :func:`database_unavailable`).
DATABASE_ERRORS = (OperationalError, InterfaceError)


def database_unavailable(error: BaseException) -> bool:
    """True when ``error`` says the database is away rather than that the request is wrong."""
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated or isinstance(error, InterfaceError):
        return True
    if not isinstance(error, OperationalError):
        return False
    if type(error.orig).__module__.startswith("sqlite3"):
        message = str(error.orig).lower()
        return any(text in message for text in SQLITE_AWAY)
    # psycopg and the other drivers: OperationalError is the connection, the server's
    # state or its resources (PEP 249: "not necessarily under the control of the programmer")
    return True


def one_line(error: BaseException) -> str:
    """The driver's own message on one line (no SQL, no parameters)."""
    orig = getattr(error, "orig", None) or error
    text = " ".join(line.strip() for line in str(orig).splitlines() if line.strip())
    return text or type(orig).__name__


__all__ = ["DATABASE_ERRORS", "database_unavailable", "one_line"]
