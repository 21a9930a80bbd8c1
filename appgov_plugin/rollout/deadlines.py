"""The roster cases' deadlines, kept in the lifecycle's deadline table
(:class:`appgov_plugin.lifecycle.models.Deadline`), shown by the host
(``casehost_case_deadlines``) and swept by ``flask appgov sweep``.

* **The report of a roster change** (TP-WG-2, TP-SEED-2): when the agency submits a roster,
  a row ``kind="roster_change"`` records the effective date (``started_on``), the due date
  ``policy.deadline("roster_change", effective)`` (``due_on``), the moment of the report
  (``closed_at``: nothing waits on the agency any more) and, when it came after the due
  date, ``overdue_at`` (reported late). The case page shows it although closed
  (:func:`appgov_plugin.lifecycle.deadlines.shown_closed`): due date, "overdue"
  when reported late. The accepted assignments carry the same ``reported_on`` and
  ``due_on``.
* **The replacement of a person found unfit** (TP-SEED-3): the replacement case opened by
  the IT department's finding waits on ``replacement`` (10 working days from the request)
  until it is accepted: an open row, shown and flagged past due like every lifecycle
  deadline; the finding itself is flagged once by the sweep step of :mod:`.unfit`.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from ..clock import TAIPEI
from ..db import utcnow
from ..i18n import _l
from ..lifecycle import deadlines as lifecycle_deadlines
from ..lifecycle.models import Deadline
from ..state import get_state
from . import roster
from .case_types import ADMIN_SEED_NOMINATION

REPORT = "roster_change"
REPLACEMENT = "replacement"
REPORT_LABEL = _l("the report of the roster change (TP-WG-2, TP-SEED-2)")
REPLACEMENT_LABEL = _l("the replacement of the person found unfit (TP-SEED-3)")

# rule TP-SEED-3: a replacement case waits on the replacement deadline while open
lifecycle_deadlines.waits(ADMIN_SEED_NOMINATION, "draft", REPLACEMENT, REPLACEMENT_LABEL)


def record_report(case) -> Deadline | None:
    """The agency submitted ``case``: its report's due date and whether it is late. No
    commit; ``None`` where the deployment keeps no registry."""
    if not roster.registry_kept():
        return None
    filed = roster.filed_on(case)
    effective = roster.effective_date(case, filed)
    due = get_state().policy(as_of=effective).deadline(REPORT, effective)
    # the moment of the report, on the filing day in Taipei (reported_on reads it back)
    now = dt.datetime.combine(filed, dt.datetime.now(TAIPEI).timetz()).astimezone(dt.UTC)
    row = Deadline(
        case_id=int(case.id),
        app_id=None,
        type_key=case.type_key,
        state="reported",
        kind=REPORT,
        started_on=effective,
        due_on=due,
        closed_at=now,
        overdue_at=now if filed > due else None,  # rule TP-SEED-2: reported late
    )
    session = get_state().session
    session.add(row)
    session.flush()
    return row


def _report_rows(case_ids) -> dict[int, Deadline]:
    """The latest report row of each case (one query)."""
    ids = sorted({int(case_id) for case_id in case_ids})
    if not ids:
        return {}
    rows = get_state().session.scalars(
        sa.select(Deadline)
        .where(Deadline.case_id.in_(ids), Deadline.kind == REPORT, Deadline.state == "reported")
        .order_by(Deadline.id)
    )
    return {row.case_id: row for row in rows}


def reported_on(case) -> dt.date:
    """The day the agency (last) submitted ``case`` (Taipei), else today."""
    row = _report_rows([case.id]).get(int(case.id))
    if row is None or row.closed_at is None:
        return roster.filed_on(case)
    at = row.closed_at
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    return at.astimezone(TAIPEI).date()


def open_replacement(case, requested_on: dt.date, due_on: dt.date) -> Deadline:
    """The replacement case ``case`` waits on ``due_on`` (TP-SEED-3). No commit."""
    row = Deadline(
        case_id=int(case.id),
        app_id=None,
        type_key=case.type_key,
        state="draft",
        kind=REPLACEMENT,
        started_on=requested_on,
        due_on=due_on,
    )
    session = get_state().session
    session.add(row)
    session.flush()
    return row


def close_replacement(case) -> None:
    """The replacement case was accepted: nothing waits on it any more. No commit."""
    now = utcnow()
    for row in get_state().session.scalars(
        sa.select(Deadline).where(
            Deadline.case_id == int(case.id),
            Deadline.kind == REPLACEMENT,
            Deadline.closed_at.is_(None),
        )
    ):
        row.closed_at = now
    get_state().session.flush()


# rule TP-SEED-2: the report's due date stays shown once made, overdue when made late
lifecycle_deadlines.shown_closed(REPORT, REPORT_LABEL)
