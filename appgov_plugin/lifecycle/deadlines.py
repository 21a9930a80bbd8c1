"""Due dates of waiting steps, from the policy facade.

A capability declares which (case type, state) waits on which deadline kind of the facade
(:func:`waits`, e.g. an improvement plan submitted waits for the authority's review,
``plan_review``, KH-KPI-3). When a case enters such a state the due date is computed from
the day it entered (Taipei time) with the policy in force that day and kept
(:class:`~.models.Deadline`); leaving the state closes it. The host shows them
(``casehost_case_deadlines``) and ``flask appgov sweep`` flags the ones past due.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from ..clock import today
from ..db import utcnow
from ..host.contract import CaseDeadline
from ..state import get_state
from .models import Deadline

#: (case type key, state) -> (deadline kind of the facade, what is due: a label)
_WAITS: dict[tuple[str, str], tuple[str, Any]] = {}
#: Deadline kinds whose rows record a report already made (closed when made; ``overdue_at``:
#: made late): shown for their case when it has no open deadline (:func:`shown_closed`).
_SHOWN_CLOSED: dict[str, Any] = {}


def shown_closed(kind: str, label: Any) -> None:
    """Show the closed rows of ``kind`` too (the roll-out's reports, TP-SEED-2: the due date
    of a report filed, overdue when it came late); ``label`` says what was due."""
    _SHOWN_CLOSED[kind] = label


def waits(type_key: str, state: str, kind: str, label: Any) -> None:
    """Declare that a case of ``type_key`` in ``state`` waits on the facade's deadline
    ``kind`` (``policy.deadline(kind, entered_on)``); ``label`` says what is due."""
    _WAITS[(type_key, state)] = (kind, label)


def waiting_kind(type_key: str, state: str) -> str | None:
    entry = _WAITS.get((type_key, state))
    return entry[0] if entry else None


def on_transition(case, target: str, app_id: int | None, on: dt.date | None = None) -> None:
    """The case moved to ``target``: close its open deadline, start the one ``target``
    waits on (if any). No commit."""
    session = get_state().session
    now = utcnow()
    for deadline in session.scalars(
        sa.select(Deadline).where(Deadline.case_id == int(case.id), Deadline.closed_at.is_(None))
    ):
        deadline.closed_at = now
    kind = waiting_kind(case.type_key, target)
    if kind is not None:
        started = on or today()
        due = get_state().policy(as_of=started).deadline(kind, started)
        session.add(
            Deadline(
                case_id=int(case.id),
                app_id=app_id,
                type_key=case.type_key,
                state=target,
                kind=kind,
                started_on=started,
                due_on=due,
            )
        )
    session.flush()


def open_deadlines(case_ids) -> dict[int, Deadline]:
    """The open deadline of each case in ``case_ids`` (one query)."""
    ids = [int(case_id) for case_id in case_ids]
    if not ids:
        return {}
    rows = get_state().session.scalars(
        sa.select(Deadline).where(Deadline.case_id.in_(ids), Deadline.closed_at.is_(None))
    )
    return {row.case_id: row for row in rows}


def as_case_deadline(deadline: Deadline, on: dt.date | None = None) -> CaseDeadline:
    """What the host shows: the due date, what is due, overdue (past due, or flagged)."""
    _kind, label = _WAITS.get((deadline.type_key, deadline.state), (deadline.kind, deadline.kind))
    overdue = deadline.overdue_at is not None or deadline.due_on < (on or today())
    return CaseDeadline(due_on=deadline.due_on, label=label, overdue=overdue)


def case_deadlines(case_ids) -> dict[int, CaseDeadline]:
    """appgov's answer to ``casehost_case_deadlines``."""
    on = today()
    if not _SHOWN_CLOSED:
        return {case_id: as_case_deadline(d, on) for case_id, d in open_deadlines(case_ids).items()}
    ids = [int(case_id) for case_id in case_ids]
    if not ids:
        return {}
    rows = get_state().session.scalars(
        sa.select(Deadline)
        .where(
            Deadline.case_id.in_(ids),
            sa.or_(Deadline.closed_at.is_(None), Deadline.kind.in_(sorted(_SHOWN_CLOSED))),
        )
        .order_by(Deadline.id)
    )
    waiting, made = {}, {}
    for row in rows:
        (waiting if row.closed_at is None else made)[row.case_id] = row
    answer = {case_id: as_case_deadline(d, on) for case_id, d in waiting.items()}
    for case_id, row in made.items():
        answer.setdefault(
            case_id,
            CaseDeadline(
                due_on=row.due_on, label=_SHOWN_CLOSED[row.kind], overdue=row.overdue_at is not None
            ),
        )
    return answer


def flag_overdue(as_of: dt.date) -> list[Deadline]:
    """Mark every open deadline due before ``as_of`` and not flagged yet (the sweep); returns
    the ones flagged now, so a second run flags nothing."""
    rows = list(
        get_state().session.scalars(
            sa.select(Deadline)
            .where(
                Deadline.closed_at.is_(None),
                Deadline.overdue_at.is_(None),
                Deadline.due_on < as_of,
            )
            .order_by(Deadline.id)
            .with_for_update(skip_locked=True)
        )
    )
    now = utcnow()
    for row in rows:
        row.overdue_at = now
    get_state().session.flush()
    return rows
