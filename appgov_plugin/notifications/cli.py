"""``flask appgov mail send``: send the notification e-mails still due (for cron, beside
``flask appgov sweep``): the ones whose after-commit send failed, retried with a growing
delay, at most ``APPGOV_MAIL_MAX_ATTEMPTS`` times."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from ..cli import appgov_group
from .delivery import deliver_pending, mail_configured


@appgov_group.group("mail")
def mail_group():
    """Notification e-mail (APPGOV_MAIL_*)."""


@mail_group.command("send")
@with_appcontext
def mail_send():
    """Send every queued notification e-mail that is due; print how many were sent and how
    many failed (kept for a later try). Exit status 1 when any failed."""
    if not mail_configured(current_app):
        click.echo("APPGOV_MAIL_SERVER is not set: no e-mail is queued or sent")
        return
    sent, failed = deliver_pending()
    click.echo(f"e-mail: {sent} sent, {failed} failed (kept for a later try)")
    if failed:
        raise SystemExit(1)
