"""``flask appgov mailbox forward`` and ``flask appgov mailbox sync`` (TN-MAIL-1, MAIL-2):
the citizens' feedback delivered to the city's mailbox, and the mailbox's number, status and
reply brought back. Both for cron; ``forward --loop`` is a worker (SIGTERM or Ctrl-C: it
finishes the batch in hand and exits). ``flask appgov mailbox purge`` (cron, daily): the
retention purge of citizens' contact data (個人資料保護法 §11, :mod:`.personal_data`)."""

from __future__ import annotations

import signal
import threading

import click
from flask import current_app
from flask.cli import with_appcontext

from ..cli import appgov_group, iso_date
from .adapters import MailboxError, NotConfiguredError
from .forwarder import Forwarder, Totals
from .personal_data import purge
from .sync import sync


@appgov_group.group("mailbox")
def mailbox_group():
    """The city's mailbox: forward feedback, sync statuses (APPGOV_MAILBOX_*)."""


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()

    def handler(signum, frame):
        stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, handler)
    return stop


@mailbox_group.command("forward")
@click.option("--loop", is_flag=True, help="Keep forwarding (a worker) until SIGTERM.")
@click.option(
    "--batch",
    type=click.IntRange(1, 1000),
    default=None,
    help="Items claimed at once (default APPGOV_MAILBOX_BATCH).",
)
@click.option(
    "--interval",
    type=click.FloatRange(0.05, 3600),
    default=5.0,
    show_default=True,
    help="With --loop: seconds to wait when nothing is due.",
)
@with_appcontext
def forward_command(loop, batch, interval):
    """Deliver the feedback due to the city's mailbox; print how many items were sent, are
    retried later (backing off) and failed (parked for an administrator: Flask-Admin's
    mailbox outbox). Exit status 1 when the mailbox is not configured."""
    try:
        forwarder = Forwarder(current_app._get_current_object(), batch=batch)
    except NotConfiguredError as error:
        click.echo(str(error), err=True)
        raise SystemExit(1) from None
    stop = _stop_on_signals() if loop else threading.Event()
    totals = Totals()
    if loop:
        click.echo(f"forwarding as {forwarder.worker} every {interval:g} s until SIGTERM")
    with forwarder:
        while True:
            run = forwarder.run_due(stop=stop.is_set)
            for name in ("sent", "retried", "failed", "batches"):
                setattr(totals, name, getattr(totals, name) + getattr(run, name))
            if loop and run.batches:
                click.echo(str(run))
            if not loop or stop.wait(interval):
                break
    click.echo(str(totals))


@mailbox_group.command("sync")
@with_appcontext
def sync_command():
    """Bring the mailbox's status, reply and responsible agency back onto every forwarded
    feedback item still open (100 items per request to the mailbox). Exit status 1 when the
    mailbox is not configured or cannot be reached."""
    try:
        totals = sync(current_app._get_current_object())
    except NotConfiguredError as error:
        click.echo(str(error), err=True)
        raise SystemExit(1) from None
    except MailboxError as error:
        click.echo(f"mailbox sync stopped: {error}", err=True)
        raise SystemExit(1) from None
    click.echo(str(totals))


@mailbox_group.command("purge")
@click.option(
    "--as-of",
    "as_of",
    default=None,
    callback=iso_date,
    help="The day the retention is counted back from (YYYY-MM-DD; default: today in Taipei).",
)
@click.option("--dry-run", is_flag=True, help="Count what would be removed; write nothing.")
@with_appcontext
def purge_command(as_of, dry_run):
    """Remove the citizens' contact data of the feedback closed more than
    mailbox_retention_years years ago (個人資料保護法 §11): names, e-mail, phone, device,
    address and media link blanked, contact details in the texts masked; the anonymised record
    and the statistics stay. An open item, or one not forwarded yet, is never purged. Each run
    is recorded (Flask-Admin: personal data requests and purges); a second run changes
    nothing."""
    result = purge(as_of, dry_run=dry_run)
    click.echo(str(result))
    if result.run_id is not None:
        click.echo(f"purge run #{result.run_id} recorded")
