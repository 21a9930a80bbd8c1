"""The reader's messages: ``/appgov/messages`` (their own, newest first, paged), opening one
(marks it read, then goes to its link), marking all read; the unread count of the
navigation (:func:`unread_count`)."""

from __future__ import annotations

import math

import sqlalchemy as sa
from flask import abort, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..db import utcnow
from ..forms.builder import AppGovForm
from ..i18n import current_locale, format_datetime
from ..state import get_state
from ..web import blueprint
from .models import Message
from .notice import is_local_path, render

blueprint.add_templates(__file__)

#: messages per page
PAGE_SIZE = 20


class MarkAllReadForm(AppGovForm):
    """No fields: the CSRF token of the "mark all read" button."""


def _username() -> str | None:
    if not (current_user and current_user.is_authenticated):
        return None
    return getattr(current_user, "username", None)


def unread_count() -> int | None:
    """The logged-in user's unread messages (the navigation's badge), once per request."""
    username = _username()
    if username is None:
        return None
    if "appgov_unread" not in g:
        g.appgov_unread = get_state().session.scalar(
            sa.select(sa.func.count(Message.id)).where(
                Message.recipient == username, Message.read_at.is_(None)
            )
        )
    return g.appgov_unread


def _shown(message: Message, locale: str) -> dict:
    return {
        "id": message.id,
        "subject": render(message.subject, message.params, locale),
        "body": render(message.body, message.params, locale),
        "when": format_datetime(message.created_at, locale, style="short"),
        "unread": message.read_at is None,
        "link": message.link if is_local_path(message.link) else None,
    }


@blueprint.get("/messages")
@login_required
def messages():
    username = _username()
    session = get_state().session
    page = request.args.get("page", 1, type=int) or 1
    mine = Message.recipient == username
    total = session.scalar(sa.select(sa.func.count(Message.id)).where(mine))
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(max(page, 1), pages)
    rows = session.scalars(
        sa.select(Message)
        .where(mine)
        .order_by(Message.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    locale = current_locale()
    return render_template(
        "appgov/notifications/messages.html",
        messages=[_shown(message, locale) for message in rows],
        total=total,
        unread=unread_count(),
        page=page,
        pages=pages,
        page_url=lambda number: url_for("appgov.messages", page=number),
        form=MarkAllReadForm(),
    )


def _own(message_id: int) -> Message:
    message = get_state().session.get(Message, message_id)
    if message is None or message.recipient != _username():
        abort(404)  # another person's message is not there, whatever its id
    return message


@blueprint.get("/messages/<int:message_id>")
@login_required
def message_open(message_id):
    message = _own(message_id)
    if message.read_at is None:
        message.read_at = utcnow()
        get_state().session.commit()
    if is_local_path(message.link):
        return redirect(message.link)
    return render_template(
        "appgov/notifications/message.html", message=_shown(message, current_locale())
    )


@blueprint.post("/messages/read")
@login_required
def messages_mark_read():
    form = MarkAllReadForm()
    if not form.validate_on_submit():
        abort(400)  # no (or a stale) CSRF token: nothing marked
    session = get_state().session
    session.execute(
        sa.update(Message)
        .where(Message.recipient == _username(), Message.read_at.is_(None))
        .values(read_at=utcnow())
    )
    session.commit()
    return redirect(url_for("appgov.messages"))
