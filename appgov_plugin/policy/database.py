"""The database layer: a hook module registered above every code module.

It answers with what administrators keep in the deployment's database, so their changes
follow the same priority story as code (code default < city module < city hook package <
database). It reads through its own connection (never the request's session) and reloads
only when the tables changed, checked with one aggregate query per ``get_policy`` call.
"""

from __future__ import annotations

import threading

import sqlalchemy as sa

from ..models import CalendarOverride
from .calendar import DayChange, WorkingCalendar
from .hookspecs import hookimpl

_FINGERPRINT = sa.select(
    sa.func.count(CalendarOverride.id), sa.func.max(CalendarOverride.updated_at)
)


class DatabaseLayer:
    """Hook implementations backed by appgov's tables on ``engine_source()``'s engine."""

    plugin_name = "appgov.database"

    def __init__(self, engine_source):
        self._engine_source = engine_source
        self._lock = threading.Lock()
        self._fingerprint = None
        self._calendar: WorkingCalendar | None = None

    def refresh(self) -> None:
        """Reload when the tables changed since the last load (one query otherwise)."""
        engine = self._engine_source()
        try:
            with engine.connect() as conn:
                fingerprint = tuple(conn.execute(_FINGERPRINT).one())
                if fingerprint == self._fingerprint:
                    return
                rows = conn.execute(
                    sa.select(CalendarOverride.day, CalendarOverride.working, CalendarOverride.name)
                ).all()
        except sa.exc.DBAPIError as exc:
            raise RuntimeError(
                "appgov's tables are missing or unreadable; run `flask appgov db upgrade` "
                f"({exc.orig.__class__.__name__})"
            ) from exc
        overrides = [DayChange(day, working, name, "override") for day, working, name in rows]
        with self._lock:
            self._calendar = WorkingCalendar(overrides=overrides)
            self._fingerprint = fingerprint

    @hookimpl
    def appgov_calendar(self, policy):
        # rule TIME-1: overrides win over holidays and the shipped table
        return self._calendar
