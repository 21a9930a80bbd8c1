"""The database layer: a hook module registered above every code module.

It answers with what administrators keep in the deployment's database (calendar
overrides, effective-dated rule-parameter changes, the base profile), so their changes
follow the same priority story as code: code default < city module < city hook package <
database. It reads through its own connection (never the request's session) and reloads
only when the tables changed, checked with one aggregate query per policy built.
"""

from __future__ import annotations

import datetime as dt
import threading
from bisect import bisect_right
from typing import Any

import sqlalchemy as sa

from ..models import BASE_PROFILE, CalendarOverride, ParameterChange
from .calendar import DayChange, WorkingCalendar
from .hookspecs import hookimpl

_FINGERPRINT = sa.select(
    sa.select(sa.func.count(CalendarOverride.id)).scalar_subquery(),
    sa.select(sa.func.max(CalendarOverride.updated_at)).scalar_subquery(),
    sa.select(sa.func.count(ParameterChange.id)).scalar_subquery(),
    sa.select(sa.func.max(ParameterChange.id)).scalar_subquery(),
)


class EffectiveDated:
    """Values of one parameter by effective date; the latest recorded wins on a tie."""

    def __init__(self, changes: list[tuple[dt.date, Any]]):
        self.days = [day for day, _ in changes]
        self.values = [value for _, value in changes]

    def at(self, day: dt.date) -> Any:
        index = bisect_right(self.days, day) - 1
        return self.values[index] if index >= 0 else None


class DatabaseLayer:
    """Hook implementations backed by appgov's tables on ``engine_source()``'s engine."""

    plugin_name = "appgov.database"

    def __init__(self, engine_source):
        self._engine_source = engine_source
        self._lock = threading.Lock()
        self._fingerprint = None
        self._calendar: WorkingCalendar | None = None
        self._parameters: dict[str, EffectiveDated] = {}

    def refresh(self) -> None:
        """Reload when the tables changed since the last load (one query otherwise)."""
        try:
            with self._engine_source().connect() as conn:
                fingerprint = tuple(conn.execute(_FINGERPRINT).one())
                if fingerprint == self._fingerprint:
                    return
                calendar_changed = fingerprint[:2] != (self._fingerprint or ())[:2]
                overrides = (
                    conn.execute(
                        sa.select(
                            CalendarOverride.day,
                            CalendarOverride.working,
                            CalendarOverride.name,
                            CalendarOverride.name_en,
                        )
                    ).all()
                    if calendar_changed
                    else None
                )
                changes = conn.execute(
                    sa.select(
                        ParameterChange.name, ParameterChange.effective_from, ParameterChange.value
                    ).order_by(ParameterChange.effective_from, ParameterChange.id)
                ).all()
        except sa.exc.DBAPIError as exc:
            raise RuntimeError(
                "appgov's tables are missing or unreadable; run `flask appgov db upgrade` "
                f"({exc.orig.__class__.__name__})"
            ) from exc
        by_name: dict[str, list] = {}
        for name, effective_from, value in changes:
            by_name.setdefault(name, []).append((effective_from, value))
        calendar = self._calendar
        if overrides is not None:
            calendar = WorkingCalendar(
                overrides=[
                    DayChange(d, working, name, "override", name_en)
                    for d, working, name, name_en in overrides
                ]
            )
        with self._lock:
            self._calendar = calendar
            self._parameters = {name: EffectiveDated(rows) for name, rows in by_name.items()}
            self._fingerprint = fingerprint

    def base_profile(self, as_of: dt.date) -> str | None:
        """The base profile administrators chose for ``as_of``, if any."""
        dated = self._parameters.get(BASE_PROFILE)
        return dated.at(as_of) if dated else None

    @hookimpl
    def appgov_parameter(self, policy, name, as_of):
        dated = self._parameters.get(name)
        return dated.at(as_of) if dated else None

    @hookimpl
    def appgov_calendar(self, policy):
        # rule TIME-1: overrides win over holidays and the shipped table
        return self._calendar
