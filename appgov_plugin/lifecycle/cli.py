"""``flask appgov sweep [--as-of DATE]``: what the calendar demands, run from cron.

Each step is one transaction (a failing step leaves the earlier ones done and writes
nothing of its own):

1. flag every open deadline past due (:func:`.deadlines.flag_overdue`) and tell the reviewers
   of each overdue case's agency (KH-KPI-3's 14-day review...);
2. apply the permanent delistings whose date has come (TN-DEL-2,
   :func:`.delisting.apply_scheduled`);
3. open the forced delistings of apps below the KPI in the consecutive years of the
   parameter in force (KH-KPI-4, :func:`.plans.open_forced_delistings`);
4. the steps other capabilities add (:data:`STEPS`: the roll-out flags overdue
   replacements, TP-SEED-3), each in its own transaction;
5. record a :class:`~.models.SweepRun` with the ids of what it changed.

A second run changes nothing but its own SweepRun row (flagged deadlines stay flagged, a
delisted app has no date left, a forced delisting opens once per app and run of years). Two
sweeps at once are safe: deadlines are taken with ``SKIP LOCKED`` and apps under their
write lock on PostgreSQL; the unique reason of an opened case backs it up.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from ..apps.models import App
from ..cli import appgov_group, iso_date
from ..clock import today
from ..i18n import _l
from ..state import get_state
from . import deadlines, plans
from .models import SYSTEM_ACTOR, AppCase, SweepRun

#: More sweep steps: ``(name, work)``, ``work(as_of, actor) -> list`` of the ids it changed
#: (no commit; one transaction per step), run after the lifecycle's own steps and recorded in
#: the SweepRun's summary under ``name`` (docs/rollout_roster.md).
STEPS: list[tuple[str, object]] = []


@dataclass
class SweepSummary:
    """What one sweep changed: overdue deadlines (their cases), delisted apps, opened cases."""

    as_of: dt.date
    overdue: list[dict] = field(default_factory=list)
    delisted: list[int] = field(default_factory=list)
    opened: list[int] = field(default_factory=list)
    #: what each of :data:`STEPS` changed, by its name
    more: dict[str, list] = field(default_factory=dict)
    run_id: int | None = None

    def as_json(self) -> dict:
        return {
            "overdue": self.overdue,
            "delisted": self.delisted,
            "opened": self.opened,
            # a step that changed nothing is left out of the record
            **{name: ids for name, ids in self.more.items() if ids},
        }

    @property
    def empty(self) -> bool:
        return not (self.overdue or self.delisted or self.opened or any(self.more.values()))


def _step(work):
    """Run ``work()`` in its own transaction: committed, or rolled back and raised."""
    session = get_state().session
    try:
        result = work()
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return result


def flag_overdue(as_of: dt.date) -> list[dict]:
    """Step 1: flag the deadlines past due on ``as_of`` and tell the reviewers of each case's
    agency; ``[{"deadline", "case", "due_on"}]`` of the ones flagged now. No commit."""
    session = get_state().session
    flagged = deadlines.flag_overdue(as_of)
    if not flagged:
        return []
    case_ids = sorted({row.case_id for row in flagged})
    links = {
        link.case_id: link
        for link in session.scalars(sa.select(AppCase).where(AppCase.case_id.in_(case_ids)))
    }
    app_ids = sorted({row.app_id for row in flagged if row.app_id is not None})
    apps = (
        {app.id: app for app in session.scalars(sa.select(App).where(App.id.in_(app_ids)))}
        if app_ids
        else {}
    )
    out = []
    for row in flagged:
        app = apps.get(row.app_id)
        link = links.get(row.case_id)
        agency_code = app.agency_code if app is not None else link.agency_code if link else None
        out.append({"deadline": row.id, "case": row.case_id, "due_on": row.due_on.isoformat()})
        if agency_code is None:
            continue
        plans._notify(
            "deadline_overdue",
            roles=("reviewer",),
            agency_code=agency_code,
            subject=_l("Case #%(case)s about %(app)s is overdue: due %(due)s"),
            params={
                "case": str(row.case_id),
                "app": app.name if app is not None else "—",
                "due": row.due_on,
            },
            link=plans.app_path(app.id) if app is not None else None,
            case_id=row.case_id,
            app_id=app.id if app is not None else None,
        )
    return out


def apply_scheduled(as_of: dt.date, actor: str) -> list[int]:
    """Step 2: the scheduled delistings (helper module ``delisting``). No commit."""
    from . import delisting

    return list(delisting.apply_scheduled(as_of, actor))


def sweep(as_of: dt.date | None = None, actor: str = SYSTEM_ACTOR) -> SweepSummary:
    """Run the sweep's four steps as of ``as_of`` (default: today in Taipei)."""
    as_of = as_of or today()
    summary = SweepSummary(as_of=as_of)
    summary.overdue = _step(lambda: flag_overdue(as_of))
    summary.delisted = _step(lambda: apply_scheduled(as_of, actor))
    summary.opened = _step(lambda: plans.open_forced_delistings(as_of, actor))
    for name, work in STEPS:
        summary.more[name] = _step(lambda work=work: list(work(as_of, actor)))

    def record():
        run = SweepRun(as_of=as_of, actor=actor, summary=summary.as_json())
        get_state().session.add(run)
        get_state().session.flush()
        return run.id

    summary.run_id = _step(record)
    return summary


@appgov_group.command("sweep")
@click.option(
    "--as-of",
    "as_of",
    default=None,
    callback=iso_date,
    help="The day to sweep as of (YYYY-MM-DD; default: today in Taipei).",
)
@with_appcontext
def sweep_command(as_of):
    """Flag overdue steps, apply scheduled delistings, open the forced delistings the rules
    demand (KH-KPI-4) and record what was done. Running it twice changes nothing more."""
    summary = sweep(as_of)
    click.echo(f"sweep as of {summary.as_of.isoformat()}")
    click.echo(f"overdue steps flagged: {len(summary.overdue)}")
    for item in summary.overdue:
        click.echo(f"  case #{item['case']} due {item['due_on']}")
    click.echo(f"scheduled delistings applied: {len(summary.delisted)}")
    for app_id in summary.delisted:
        click.echo(f"  app {app_id}")
    click.echo(f"forced delistings opened (KH-KPI-4): {len(summary.opened)}")
    for case_id in summary.opened:
        click.echo(f"  case #{case_id}")
    for name, ids in summary.more.items():
        click.echo(f"{name}: {len(ids)}")
    click.echo(
        f"sweep run #{summary.run_id} recorded" + (": nothing to do" if summary.empty else "")
    )
