"""The feedback outbox in Flask-Admin (endpoint ``appgov_mailbox_outbox``; administrators
only): every delivery to the city's mailbox with its state, attempts, next attempt and last
error -- the failed ones first -- and a **retry** action (a row's button, or the selected
rows): a parked item goes back to ``pending``, due now, its attempts reset, with who retried
it and when written before its last error (MAIL-2: nothing is lost, a person decides).

No personal data here: the feedback is named by its number and the mailbox's case number,
never by its text or its citizen (個人資料保護法).
"""

from __future__ import annotations

import logging

from flask import current_app, flash
from flask_admin.actions import action
from flask_admin.model.template import BaseListRowAction
from flask_login import current_user
from markupsafe import Markup, escape

from ..admin import AppGovModelView, OptionsFilterEqual, datetime_formatter, labels
from ..i18n import _, _l, ngettext
from ..state import get_state
from .models import OUTBOX_STATES, FeedbackOutbox
from .outbox import retry

log = logging.getLogger(__name__)


def _csrf_input() -> str:
    if "csrf" not in current_app.extensions:
        return ""
    from flask_wtf.csrf import generate_csrf

    return f'<input type="hidden" name="csrf_token" value="{escape(generate_csrf())}">'


class RetryRowAction(BaseListRowAction):
    """The retry button of a failed row: a POST to the list's action (never a GET link)."""

    def __init__(self):
        super().__init__(title=_l("Retry"))

    def render(self, context, row_id, row):
        if row.state != "failed":
            return ""
        view = context.get("admin_view")
        return Markup(
            '<form class="icon" method="POST" action="{url}">'
            '<input type="hidden" name="action" value="retry">'
            '<input type="hidden" name="rowid" value="{id}">'
            '<input type="hidden" name="url" value="{back}">{csrf}'
            '<button type="submit" class="btn btn-sm btn-outline-primary">{label}</button>'
            "</form>"
        ).format(
            url=view.get_url(".action_view"),
            id=row_id,
            back=context.get("return_url") or "",
            csrf=Markup(_csrf_input()),
            label=_("Retry item %(id)s", id=row_id),
        )


class OutboxView(AppGovModelView):
    """The feedback outbox: read-only rows, the retry action."""

    description = _l(
        "Deliveries of citizens' feedback to the city's mailbox. A failed item waits for an "
        "administrator: retry it once the cause (shown as the last error) is fixed."
    )
    can_create = False
    can_edit = False
    can_delete = False
    can_view_details = True
    column_list = (
        "id",
        "feedback_id",
        "state",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
        "sent_at",
    )
    column_details_list = (
        "id",
        "feedback_id",
        "state",
        "attempts",
        "next_attempt_at",
        "claimed_by",
        "lease_until",
        "last_error",
        "created_at",
        "sent_at",
    )
    column_filters = (
        OptionsFilterEqual(
            FeedbackOutbox.state, _l("State"), options=lambda: labels(OUTBOX_STATES)
        ),
    )
    # "failed" sorts first of the states (failed, pending, sending, sent)
    column_default_sort = [("state", False), ("id", False)]
    column_sortable_list = ("id", "state", "attempts", "next_attempt_at", "created_at", "sent_at")
    column_choices = {"state": labels(OUTBOX_STATES)}
    column_labels = {
        "id": _l("Delivery"),
        "feedback_id": _l("Feedback item"),
        "state": _l("State"),
        "attempts": _l("Attempts"),
        "next_attempt_at": _l("Next attempt"),
        "claimed_by": _l("Held by forwarder"),
        "lease_until": _l("Held until"),
        "last_error": _l("Last error"),
        "created_at": _l("Received"),
        "sent_at": _l("Forwarded at"),
    }
    column_extra_row_actions = [RetryRowAction()]
    # a next attempt only where one is coming (not for sent or parked items)
    column_formatters = {
        "next_attempt_at": lambda view, context, model, name: (
            datetime_formatter(view, model.next_attempt_at, name)
            if model.state == "pending"
            else ""
        )
    }

    @action(
        "retry",
        _l("Retry"),
        _l("Send the selected failed items to the mailbox again?"),
    )
    def action_retry(self, ids):
        session = get_state().session
        count = retry(session, [int(i) for i in ids], current_user.username)
        session.commit()
        log.info("appgov mailbox: %s retried outbox rows %s", current_user.username, list(ids))
        if count:
            flash(
                ngettext(
                    "%(num)d failed item will be forwarded again.",
                    "%(num)d failed items will be forwarded again.",
                    count,
                ),
                "success",
            )
        else:
            flash(_("None of the selected items had failed: nothing to retry."), "warning")


def admin_views(db) -> list:
    return [
        OutboxView(
            FeedbackOutbox,
            db,
            name=_l("Mailbox outbox"),
            category=_l("App governance"),
            endpoint="appgov_mailbox_outbox",
        )
    ]
