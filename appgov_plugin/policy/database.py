"""The database layer: a hook module registered above every code module.

It answers with what administrators keep in the deployment's database (calendar
overrides, effective-dated rule-parameter changes, the base profile), so their changes
follow the same priority story as code: code default < city module < city hook package <
database. It reads through its own connection (never the request's session) and reloads
only when the tables changed, checked with one aggregate query per policy built.

The parameter part of that fingerprint covers every column of every change (a string
aggregate, digested with ``md5`` in PostgreSQL; on SQLite the aggregate stays in-process),
not just the number of rows and the last id: a row edited in place by someone who dropped
the append-only triggers (migration 0005) is noticed by the next policy built, without a
restart. On reload each row is checked against its hash chain (:mod:`appgov_plugin.audit`):

- a row whose content no longer matches its ``row_hash`` (edited in place) is **refused**:
  it is left out of the policy, so the value in force is the one before it, and an error
  naming the parameter and change id is logged (logger ``appgov_plugin.policy.database``);
- a row whose ``previous_hash`` does not match the row before it (a row was removed or
  inserted before it) is genuine itself and stays in force; an error is logged.

``flask appgov audit verify`` reports the same breaks (exit status 1).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from bisect import bisect_right
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import aggregate_order_by

from ..audit import GENESIS, BrokenLink, chain_hash
from .calendar import DayChange, WorkingCalendar
from .hookspecs import hookimpl
from .models import BASE_PROFILE, HASHED, CalendarOverride, ParameterChange

log = logging.getLogger(__name__)


def _row_text() -> sa.ColumnElement[str]:
    """Every column of a parameter change as one text (NULLs as empty text)."""
    text = None
    for column in ParameterChange.__table__.columns:
        part = sa.func.coalesce(sa.cast(column, sa.Text), "")
        text = part if text is None else text.concat("|").concat(part)
    return text


def _content_aggregate(dialect: str) -> sa.ScalarSelect:
    """One value that changes when any column of any parameter change does."""
    if dialect == "postgresql":
        return sa.select(
            sa.func.md5(
                sa.func.string_agg(_row_text(), aggregate_order_by("\n", ParameterChange.id))
            )
        ).scalar_subquery()
    rows = sa.select(_row_text().label("row")).order_by(ParameterChange.id).subquery()
    return sa.select(sa.func.aggregate_strings(rows.c.row, "\n")).scalar_subquery()


def _fingerprint(dialect: str) -> sa.Select:
    return sa.select(
        sa.select(sa.func.count(CalendarOverride.id)).scalar_subquery(),
        sa.select(sa.func.max(CalendarOverride.updated_at)).scalar_subquery(),
        sa.select(sa.func.count(ParameterChange.id)).scalar_subquery(),
        sa.select(sa.func.max(ParameterChange.id)).scalar_subquery(),
        _content_aggregate(dialect),
    )


_FINGERPRINTS: dict[str, sa.Select] = {}

_CHANGES = sa.select(
    ParameterChange.id,
    *(getattr(ParameterChange, column) for column in HASHED),
    ParameterChange.previous_hash,
    ParameterChange.row_hash,
).order_by(ParameterChange.name, ParameterChange.id)


#: the problem of a row left out of the policy: edited in place
REFUSED = "its content does not match its hash: refused"


def checked_changes(rows) -> tuple[list, list[BrokenLink]]:
    """The rows (ordered by name, then id) that may be used, and every break found.

    A row whose content does not match its own hash is left out; a row that follows a
    break of the chain (its ``previous_hash`` is not the hash of the row before it) is kept.
    """
    kept, broken = [], []
    last: dict[str, str] = {}
    for row in rows:
        previous = row.previous_hash or GENESIS
        if previous != last.get(row.name, GENESIS):
            broken.append(
                BrokenLink(
                    row.name, row.id, "its previous-row hash does not match the row before it"
                )
            )
        content = {column: getattr(row, column) for column in HASHED}
        if row.row_hash != chain_hash(previous, content):
            broken.append(BrokenLink(row.name, row.id, REFUSED))
        else:
            kept.append(row)
        last[row.name] = row.row_hash or GENESIS
    return kept, broken


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
        #: the breaks of the parameter history found at the last reload
        self.broken: list[BrokenLink] = []

    def refresh(self) -> None:
        """Reload when the tables changed since the last load (one query otherwise)."""
        try:
            with self._engine_source().connect() as conn:
                dialect = conn.dialect.name
                if dialect not in _FINGERPRINTS:
                    _FINGERPRINTS[dialect] = _fingerprint(dialect)
                fingerprint = tuple(conn.execute(_FINGERPRINTS[dialect]).one())
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
                changes = conn.execute(_CHANGES).all()
        except sa.exc.DBAPIError as exc:
            raise RuntimeError(
                "appgov's tables are missing or unreadable; run `flask appgov db upgrade` "
                f"({exc.orig.__class__.__name__})"
            ) from exc
        kept, broken = checked_changes(changes)
        for link in broken:
            log.error(
                "appgov: the history of rule parameter %r is broken at change #%s: %s "
                "(run `flask appgov audit verify`)",
                link.chain,
                link.row_id,
                link.problem,
            )
        by_name: dict[str, list] = {}
        for row in sorted(kept, key=lambda row: (row.effective_from, row.id)):
            by_name.setdefault(row.name, []).append((row.effective_from, row.value))
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
            self.broken = broken
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
