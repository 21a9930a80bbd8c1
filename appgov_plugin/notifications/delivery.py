"""The default delivery: in-app messages, and e-mail over SMTP after the transaction commits.

:func:`store` runs inside the caller's transaction (the host's): it adds one
:class:`~.models.Message` per recipient and, when ``APPGOV_MAIL_SERVER`` is configured, one
:class:`~.models.MailOutbox` row per recipient with an address. Nothing is sent there: when
the session commits, the rows it queued are sent (:func:`deliver`, from the session's
``after_commit`` event, on a connection of its own); a rolled-back transaction leaves
nothing to send. A failed send keeps its row with ``attempts`` and ``last_error`` and a
later ``next_attempt_at``; :func:`deliver_pending` (``flask appgov mail send``, for cron)
tries every due row again.

Each row is claimed before it is sent (an ``UPDATE`` that only one worker wins), so the
after-commit send and a cron run never send the same mail twice.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime as email_date
from email.utils import make_msgid

import sqlalchemy as sa
from flask import current_app, has_app_context, has_request_context, request, url_for
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..db import utcnow
from .models import MailOutbox, Message
from .notice import Notice, render

log = logging.getLogger(__name__)

#: ``session.info`` key: the outbox rows queued in the session's current transaction
PENDING_KEY = "appgov_mail_outbox"
#: how long a claimed row is left to the worker sending it before another may try
LEASE = dt.timedelta(minutes=10)
#: footer of every e-mail (the sender's name; a message id of the navigation's link)
FOOTER = "App governance"


def mail_configured(app=None) -> bool:
    return bool((app or current_app).config.get("APPGOV_MAIL_SERVER"))


def retry_delay(attempts: int) -> dt.timedelta:
    """Wait before the next try after ``attempts`` failed ones: 1, 2, 4 ... minutes, at
    most 6 hours."""
    return dt.timedelta(minutes=min(2 ** max(attempts - 1, 0), 360))


def _session():
    from ..state import get_state

    return get_state().session


def _engine():
    from ..state import get_state

    return get_state().db.engine


def _message_url(message_id: int) -> str:
    """The absolute URL of a message's page (opening it marks it read, then goes to its
    link): ``APPGOV_BASE_URL`` (the site's scheme and host), else the request's host."""
    if has_request_context():
        path = url_for("appgov.message_open", message_id=message_id)
    else:
        prefix = current_app.config.get("APPGOV_URL_PREFIX", "/appgov").rstrip("/")
        path = f"{prefix}/messages/{message_id}"
    base = current_app.config.get("APPGOV_BASE_URL") or (
        request.host_url if has_request_context() else ""
    )
    return base.rstrip("/") + path if base else path


def store(notice: Notice) -> list[Message]:
    """Add the notice's messages (and outbox rows) to the current transaction."""
    session = _session()
    messages = [
        Message(
            recipient=recipient.username,
            event=notice.event,
            subject=notice.subject,
            body=notice.body,
            params=notice.params,
            link=notice.link,
            case_id=notice.case_id,
            app_id=notice.app_id,
            actor=notice.actor,
        )
        for recipient in notice.recipients
    ]
    session.add_all(messages)
    mailed = [(r, m) for r, m in zip(notice.recipients, messages, strict=True) if r.email]
    if not (mailed and mail_configured()):
        return messages
    session.flush()
    rows = [
        MailOutbox(
            message_id=message.id,
            address=recipient.email,
            locale=recipient.locale,
            url=_message_url(message.id),
        )
        for recipient, message in mailed
    ]
    session.add_all(rows)
    session.flush()
    session.info.setdefault(PENDING_KEY, []).extend(row.id for row in rows)
    return messages


# -- after commit ------------------------------------------------------------------------


@event.listens_for(Session, "after_commit")
def _send_after_commit(session):
    ids = session.info.pop(PENDING_KEY, None)
    if not ids or not has_app_context():
        return  # outside an application: flask appgov mail send will find them
    try:
        deliver(ids)
    except Exception:  # the host's step is committed: a mail problem must not undo its answer
        log.exception("appgov: sending notification e-mail after commit failed")


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session):
    session.info.pop(PENDING_KEY, None)


# -- sending -----------------------------------------------------------------------------


def _claim(connection, outbox_id: int, now: dt.datetime) -> bool:
    table = MailOutbox.__table__
    result = connection.execute(
        table.update()
        .where(
            table.c.id == outbox_id,
            table.c.sent_at.is_(None),
            table.c.next_attempt_at <= now,
        )
        .values(attempts=table.c.attempts + 1, next_attempt_at=now + LEASE)
    )
    return result.rowcount == 1


def build_email(row, sender: str) -> EmailMessage:
    """The e-mail of one outbox row (joined with its message's subject, body and params):
    plain text in the row's language, the subject encoded
    for any script (RFC 2047 by :class:`EmailMessage`), the message's page as a full URL."""
    subject = render(row.subject, row.params, row.locale)
    text = render(row.body, row.params, row.locale) or subject
    subject = " ".join(subject.split())  # one line: a header never carries a line break
    if row.url:
        text += f"\n\n{row.url}"
    text += f"\n\n-- \n{render(FOOTER, {}, row.locale)}\n"
    mail = EmailMessage()
    mail["Subject"] = subject
    mail["From"] = sender
    mail["To"] = row.address
    mail["Date"] = email_date(utcnow())
    mail["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    mail["Auto-Submitted"] = "auto-generated"
    mail.set_content(text)
    return mail


def _tls_context(config) -> ssl.SSLContext:
    # the server's certificate is checked (name and chain): the system's CAs, or a city's
    # own CA (APPGOV_MAIL_CA_FILE)
    return ssl.create_default_context(cafile=config.get("APPGOV_MAIL_CA_FILE") or None)


def _smtp(config) -> smtplib.SMTP:
    host = config["APPGOV_MAIL_SERVER"]
    port = int(config.get("APPGOV_MAIL_PORT") or (465 if config.get("APPGOV_MAIL_USE_SSL") else 25))
    timeout = config.get("APPGOV_MAIL_TIMEOUT", 10)
    if config.get("APPGOV_MAIL_USE_SSL"):
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=_tls_context(config))
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    try:
        if config.get("APPGOV_MAIL_USE_TLS") and not config.get("APPGOV_MAIL_USE_SSL"):
            smtp.starttls(context=_tls_context(config))
        if config.get("APPGOV_MAIL_USERNAME"):
            _login(smtp, config["APPGOV_MAIL_USERNAME"], config.get("APPGOV_MAIL_PASSWORD") or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


def _login(smtp: smtplib.SMTP, username: str, password: str) -> None:
    if username.isascii() and password.isascii():
        smtp.login(username, password)
        return
    # smtplib sends ASCII only; AUTH PLAIN is UTF-8 (RFC 4616): a password such as "密碼1"
    smtp.ehlo_or_helo_if_needed()
    token = base64.b64encode(b"\0" + username.encode() + b"\0" + password.encode()).decode()
    code, answer = smtp.docmd("AUTH", f"PLAIN {token}")
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, answer)


def _sender(config) -> str:
    return config.get("APPGOV_MAIL_SENDER") or "appgov@localhost"


def deliver(outbox_ids, now: dt.datetime | None = None) -> tuple[int, int]:
    """Send the outbox rows ``outbox_ids`` that are unsent and due (one SMTP connection for
    all); ``(sent, failed)``. Each row is claimed first (another worker's rows are skipped);
    a failure keeps the row with its error for a later try."""
    config = current_app.config
    if not outbox_ids or not mail_configured():
        return 0, 0
    now = now or utcnow()
    engine = _engine()
    claimed = []
    with engine.begin() as connection:
        for outbox_id in outbox_ids:
            if _claim(connection, outbox_id, now):
                claimed.append(outbox_id)
    if not claimed:
        return 0, 0
    outbox, messages = MailOutbox.__table__, Message.__table__
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(outbox, messages.c.subject, messages.c.body, messages.c.params)
            .join(messages, messages.c.id == outbox.c.message_id)
            .where(outbox.c.id.in_(claimed))
            .order_by(outbox.c.id)
        ).all()
    results: dict[int, str | None] = {}
    smtp = None
    try:
        for row in rows:
            try:
                if smtp is None:
                    smtp = _smtp(config)
                smtp.send_message(build_email(row, _sender(config)))
                results[row.id] = None
            except Exception as error:  # whatever went wrong is kept on the row
                results[row.id] = f"{type(error).__name__}: {error}"[:2000]
                if smtp is None or isinstance(error, OSError | smtplib.SMTPServerDisconnected):
                    # no server (or it went away): every row left fails the same way
                    for rest in rows:
                        results.setdefault(rest.id, results[row.id])
                    break
    finally:
        if smtp is not None:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()
    done = utcnow()
    attempts = {row.id: row.attempts for row in rows}
    with engine.begin() as connection:
        for outbox_id, error in results.items():
            if error is None:
                values = {"sent_at": done, "last_error": None}
            else:
                values = {
                    "last_error": error,
                    "next_attempt_at": now + retry_delay(attempts[outbox_id]),
                }
                log.warning("appgov: e-mail %s not sent (will retry): %s", outbox_id, error)
            connection.execute(outbox.update().where(outbox.c.id == outbox_id).values(**values))
    failed = sum(1 for error in results.values() if error is not None)
    return len(results) - failed, failed


def deliver_pending(now: dt.datetime | None = None) -> tuple[int, int]:
    """Send every unsent, due outbox row that has not used up ``APPGOV_MAIL_MAX_ATTEMPTS``
    tries (``flask appgov mail send``, ``flask appgov sweep``); ``(sent, failed)``."""
    if not mail_configured():
        return 0, 0
    now = now or utcnow()
    table = MailOutbox.__table__
    limit = int(current_app.config.get("APPGOV_MAIL_MAX_ATTEMPTS", 10))
    with _engine().connect() as connection:
        ids = list(
            connection.scalars(
                sa.select(table.c.id)
                .where(
                    table.c.sent_at.is_(None),
                    table.c.next_attempt_at <= now,
                    table.c.attempts < limit,
                )
                .order_by(table.c.id)
            )
        )
    return deliver(ids, now=now)
