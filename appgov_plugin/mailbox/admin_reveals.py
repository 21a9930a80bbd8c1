"""The log of revealed personal data in Flask-Admin (endpoint
``appgov_personal_data_reveals``; administrators only, read-only): who revealed which field
of which feedback item, when and why (個人資料保護法; :mod:`.privacy`, :mod:`.views`); and,
where a supervisor approves reveals, the requests (endpoint
``appgov_personal_data_reveal_requests``): who asked, when and why, who approved or refused
and when (:mod:`.reveal_approval`).

Nothing here is created, changed or deleted: a reveal is recorded by the feedback page's
form, and the log stays as written. The values themselves are never shown: the feedback is
named by its number (its page shows it masked).
"""

from __future__ import annotations

from flask import url_for
from markupsafe import Markup, escape

from ..admin import AppGovModelView, OptionsFilterEqual, labels
from ..i18n import _l
from .models import REVEAL_REQUEST_STATES, PersonalDataReveal, PersonalDataRevealRequest
from .privacy import REVEALABLE


def _field_label(view, context, model, name) -> str:
    return str(REVEALABLE.get(model.field, model.field))


def _feedback_link(view, context, model, name):
    address = url_for("appgov.feedback_detail", feedback_id=model.feedback_id)
    return Markup('<a href="{}">#{}</a>').format(escape(address), model.feedback_id)


class RevealLogView(AppGovModelView):
    """Revealed personal data, newest first: read-only."""

    description = _l(
        "Revealed personal data: who revealed which field of which citizen's feedback, when "
        "and why (Personal Data Protection Act). Read-only."
    )
    can_create = False
    can_edit = False
    can_delete = False
    can_view_details = True
    column_list = ("revealed_at", "username", "feedback_id", "field", "reason")
    column_details_list = ("id", "revealed_at", "username", "feedback_id", "field", "reason")
    column_default_sort = ("revealed_at", True)
    column_searchable_list = ("username", "reason")
    column_filters = (
        "revealed_at",
        "username",
        "feedback_id",
        OptionsFilterEqual(
            PersonalDataReveal.field, _l("Field"), options=lambda: labels(REVEALABLE)
        ),
    )
    column_labels = {
        "id": _l("Number"),
        "revealed_at": _l("Revealed at"),
        "username": _l("Revealed by"),
        "feedback_id": _l("Feedback"),
        "field": _l("Field"),
        "reason": _l("Reason"),
    }
    column_formatters = {"field": _field_label, "feedback_id": _feedback_link}
    column_formatters_detail = column_formatters


def _state_label(view, context, model, name) -> str:
    return str(REVEAL_REQUEST_STATES.get(model.state, model.state))


class RevealRequestLogView(AppGovModelView):
    """Reveal requests and their decisions, newest first: read-only."""

    description = _l(
        "Requests to reveal personal data where a supervisor approves reveals: who asked for "
        "which field of which citizen's feedback, when and why, who approved or refused it "
        "and when (Personal Data Protection Act). Read-only."
    )
    can_create = False
    can_edit = False
    can_delete = False
    can_view_details = True
    column_list = (
        "requested_at",
        "username",
        "feedback_id",
        "field",
        "state",
        "decided_by",
        "decided_at",
    )
    column_details_list = (
        "id",
        "requested_at",
        "username",
        "requester_role",
        "requester_agency",
        "feedback_id",
        "field",
        "reason",
        "state",
        "decided_by",
        "decided_at",
        "decision_note",
        "reveal_id",
    )
    column_default_sort = ("requested_at", True)
    column_searchable_list = ("username", "decided_by", "reason")
    column_filters = (
        "requested_at",
        "username",
        "decided_by",
        "feedback_id",
        OptionsFilterEqual(
            PersonalDataRevealRequest.state,
            _l("State"),
            options=lambda: labels(REVEAL_REQUEST_STATES),
        ),
    )
    column_labels = {
        "id": _l("Number"),
        "requested_at": _l("Asked at"),
        "username": _l("Asked by"),
        "requester_role": _l("Role of the requester"),
        "requester_agency": _l("Agency of the requester"),
        "feedback_id": _l("Feedback"),
        "field": _l("Field"),
        "reason": _l("Reason"),
        "state": _l("State"),
        "decided_by": _l("Decided by"),
        "decided_at": _l("Decided at"),
        "decision_note": _l("Note to the requester"),
        "reveal_id": _l("Reveal"),
    }
    column_formatters = {
        "field": _field_label,
        "feedback_id": _feedback_link,
        "state": _state_label,
    }
    column_formatters_detail = column_formatters


def admin_views(db) -> list:
    return [
        RevealLogView(
            PersonalDataReveal,
            db,
            name=_l("Revealed personal data"),
            category=_l("App governance"),
            endpoint="appgov_personal_data_reveals",
        ),
        RevealRequestLogView(
            PersonalDataRevealRequest,
            db,
            name=_l("Requests to reveal personal data"),
            category=_l("App governance"),
            endpoint="appgov_personal_data_reveal_requests",
        ),
    ]
