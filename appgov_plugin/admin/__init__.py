"""Flask-Admin views appgov adds to the host's single ``Admin`` (endpoints ``appgov_*``)."""

from __future__ import annotations

from flask_admin.contrib.sqla import ModelView
from flask_login import current_user
from wtforms.validators import InputRequired, Length

from ..access import AdminOnly
from ..i18n import _l
from ..models import APP_STATUSES, App, CalendarOverride
from .parameters import RuleParametersView


class AppGovModelView(AdminOnly, ModelView):
    """Base model view of appgov: administrators only."""


class AppView(AppGovModelView):
    column_list = (
        "name",
        "agency_code",
        "status",
        "version",
        "linked_to_mayor_mailbox",
        "updated_at",
    )
    column_searchable_list = ("name", "agency_code")
    column_filters = ("status", "agency_code")
    column_labels = {
        "name": _l("App name"),
        "agency_code": _l("Agency"),
        "status": _l("Status"),
        "version": _l("Version"),
        "description": _l("Description"),
        "ios_url": _l("App Store link"),
        "android_url": _l("Google Play link"),
        "linked_to_mayor_mailbox": _l("Linked to the mayor mailbox"),
        "proposal_case_id": _l("Proposal case"),
        "updated_at": _l("Updated"),
    }
    form_excluded_columns = ("created_at", "updated_at")
    form_choices = {"status": [(key, label) for key, label in APP_STATUSES.items()]}
    column_formatters = {"status": lambda v, c, m, n: APP_STATUSES.get(m.status, m.status)}


class CalendarOverrideView(AppGovModelView):
    """TIME-1: typhoon days off, city holidays and extra working days; they win over the
    national holidays and the shipped DGPA table from the next deadline computed on."""

    column_list = ("day", "working", "name", "reason", "created_by", "updated_at")
    column_default_sort = ("day", True)
    column_filters = ("day", "working")
    column_labels = {
        "day": _l("Date"),
        "working": _l("Working day"),
        "name": _l("Name"),
        "reason": _l("Reason"),
        "created_by": _l("Entered by"),
        "updated_at": _l("Updated"),
    }
    column_descriptions = {
        "working": _l("Ticked: an extra working day. Unticked: a day off (e.g. typhoon)."),
    }
    form_columns = ("day", "working", "name", "reason")
    form_args = {"name": {"validators": [InputRequired(), Length(max=100)]}}

    def on_model_change(self, form, model, is_created):
        # a second override of the same day is refused by the form's unique check
        model.created_by = getattr(current_user, "username", None)


def views(db) -> list[ModelView]:
    return [
        AppView(App, db, name=_l("Apps"), category=_l("App governance"), endpoint="appgov_app"),
        CalendarOverrideView(
            CalendarOverride,
            db,
            name=_l("Working calendar"),
            category=_l("Rules"),
            endpoint="appgov_calendar_override",
        ),
        RuleParametersView(
            name=_l("Rule parameters"), category=_l("Rules"), endpoint="appgov_parameters"
        ),
    ]
