"""The host's commands: ``flask --app sample_host host audit verify`` (and ``host setup``,
:func:`sample_host.database.setup_command`).

``verify`` walks every case's history chain (:mod:`appgov_plugin.audit`) and checks that
each case's state is the state its last history row moved it to; it prints ``OK`` with the
counts, or the first broken link (case, history row, problem) and exits with status 1.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from appgov_plugin.audit import BrokenLink, first_broken_link, heads_digest

from .database import setup_command
from .extensions import db
from .models import Case, CaseHistory, history_content

host = AppGroup("host", help="The sample host's maintenance commands.")
audit = AppGroup("audit", help="The case history's audit trail.")
host.add_command(audit)
host.add_command(setup_command)  # flask host setup: migrate and seed as a deployment step


@dataclass(frozen=True)
class HistoryReport:
    """What :func:`verify_history` found: counts, and the first broken link or None."""

    cases: int
    rows: int
    broken: BrokenLink | None
    #: :func:`appgov_plugin.audit.heads_digest` of every case's last history row
    heads: str = ""


class _Counted:
    """The rows as they stream past: how many, and each case's last row hash."""

    def __init__(self, rows: Iterable):
        self.rows, self.count, self.heads = rows, 0, {}

    def __iter__(self) -> Iterator:
        for row in self.rows:
            self.count += 1
            self.heads[row.case_id] = row.row_hash
            yield row


def _first_state_mismatch() -> BrokenLink | None:
    """The first case without history, or whose state is not its last row's target."""
    last_id = (
        sa.select(sa.func.max(CaseHistory.id))
        .where(CaseHistory.case_id == Case.id)
        .correlate(Case)
        .scalar_subquery()
    )
    row = db.session.execute(
        sa.select(Case.id, Case.status, CaseHistory.id, CaseHistory.to_state)
        .outerjoin(CaseHistory, CaseHistory.id == last_id)
        .where(sa.or_(CaseHistory.id.is_(None), CaseHistory.to_state != Case.status))
        .order_by(Case.id)
        .limit(1)
    ).first()
    if row is None:
        return None
    case_id, status, history_id, to_state = row
    if history_id is None:
        return BrokenLink(case_id, None, "the case has no history (its rows were removed)")
    return BrokenLink(
        case_id,
        history_id,
        f"the case is {status!r} but its last history row moved it to {to_state!r} "
        "(later rows were removed or the case was changed outside its history)",
    )


def _first_orphan() -> BrokenLink | None:
    row = db.session.execute(
        sa.select(CaseHistory.case_id, CaseHistory.id)
        .where(~sa.select(Case.id).where(Case.id == CaseHistory.case_id).exists())
        .order_by(CaseHistory.case_id, CaseHistory.id)
        .limit(1)
    ).first()
    return BrokenLink(row[0], row[1], "its case does not exist") if row else None


def verify_history() -> HistoryReport:
    """Walk every case's history in ``id`` order (streamed) and check the cases' states."""
    rows = _Counted(
        db.session.execute(
            sa.select(CaseHistory)
            .order_by(CaseHistory.case_id, CaseHistory.id)
            .execution_options(yield_per=500)
        ).scalars()
    )
    chain = first_broken_link(
        rows,
        chain_of=lambda row: row.case_id,
        content_of=history_content,
        previous_of=lambda row: row.previous_hash,
        hash_of=lambda row: row.row_hash,
    )
    found = [link for link in (chain, _first_state_mismatch(), _first_orphan()) if link]
    cases = db.session.scalar(sa.select(sa.func.count(Case.id)))
    if chain is None:
        total = rows.count
    else:
        total = db.session.scalar(sa.select(sa.func.count(CaseHistory.id)))
    # the lowest case first; in one case, a broken link before a state that does not follow
    broken = min(found, key=lambda link: link.chain) if found else None
    return HistoryReport(cases, total, broken, heads_digest(rows.heads))


@audit.command("verify")
def verify() -> None:
    """Check the hash chain of every case's history; exit 1 at the first broken link."""
    report = verify_history()
    if report.broken is None:
        cases = f"{report.cases} case{'' if report.cases == 1 else 's'}"
        rows = f"{report.rows} history row{'' if report.rows == 1 else 's'}"
        click.echo(
            f"OK: {cases}, {rows}; every chain holds "
            "and every case is in the state its history leads to."
        )
        click.echo(f"heads: {report.heads}")
        return
    link = report.broken
    row = f"history row {link.row_id}" if link.row_id is not None else "no history row"
    click.echo(f"BROKEN: case {link.chain}, {row}: {link.problem}.", err=True)
    raise SystemExit(1)
