"""The app registry in Flask-Admin (endpoint ``appgov_app``)."""

from __future__ import annotations

from urllib.parse import urlsplit

from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from ..admin import (
    AgencyField,
    AppGovModelView,
    OptionsFilterEqual,
    agency_column,
    agency_filter_options,
    labels,
    strip,
)
from ..forms.fields import VersionNumber
from ..i18n import _, _l
from .models import APP_STATUSES, App

#: Hosts of the official stores (KH-LIST-1, TN-LIST-1: apps are published there).
APP_STORE_HOSTS = ("apps.apple.com", "itunes.apple.com")
GOOGLE_PLAY_HOSTS = ("play.google.com",)


# -- validators --------------------------------------------------------------------------


class StoreLink:
    """A web address (``http``/``https`` only: never ``javascript:``) on one of ``hosts``."""

    def __init__(self, hosts: tuple[str, ...], store: str):
        self.hosts, self.store = hosts, store

    def __call__(self, form, field):
        if not field.data:
            return
        parts = urlsplit(field.data)
        if (
            parts.scheme.lower() not in ("http", "https")
            or not parts.hostname
            or any(char.isspace() for char in field.data)
        ):
            raise ValidationError(_("Write a web address starting with https:// (or http://)."))
        if parts.hostname.lower() not in self.hosts:
            raise ValidationError(
                _(
                    "This is not a %(store)s link: the address must be on %(hosts)s.",
                    store=self.store,
                    hosts=_(" or ").join(self.hosts),
                )
            )


class AppView(AppGovModelView):
    description = _l("Apps: every app of every agency, its status, version and store links.")
    can_view_details = True
    column_list = (
        "name",
        "agency_code",
        "status",
        "version",
        "linked_to_mayor_mailbox",
        "updated_at",
    )
    column_details_list = (
        "name",
        "agency_code",
        "status",
        "version",
        "description",
        "ios_url",
        "android_url",
        "linked_to_mayor_mailbox",
        "proposal_case_id",
        "created_at",
        "updated_at",
    )
    column_searchable_list = ("name", "agency_code")
    column_filters = (
        OptionsFilterEqual(App.status, _l("Status"), options=lambda: labels(APP_STATUSES)),
        OptionsFilterEqual(App.agency_code, _l("Agency"), options=agency_filter_options),
    )
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
        "created_at": _l("Created"),
        "updated_at": _l("Updated"),
    }
    column_descriptions = {
        "version": _l("MAJOR.MINOR.PATCH, e.g. 1.0.0 (KH-VER-1)."),
        "ios_url": _l("The app's page on the App Store (https://apps.apple.com/...)."),
        "android_url": _l("The app's page on Google Play (https://play.google.com/...)."),
    }
    column_choices = {"status": labels(APP_STATUSES)}
    column_formatters = {"agency_code": agency_column}
    # the proposal case is set by the workflow (KH-EVAL-1, TN-EVAL-1), never typed here
    form_columns = (
        "name",
        "agency_code",
        "status",
        "version",
        "description",
        "ios_url",
        "android_url",
        "linked_to_mayor_mailbox",
    )
    form_overrides = {"agency_code": AgencyField}
    form_choices = {"status": labels(APP_STATUSES)}
    form_args = {
        "name": {"filters": [strip], "validators": [DataRequired()]},
        "agency_code": {"validators": [InputRequired(), Length(max=64)]},
        "version": {"filters": [strip], "validators": [Optional(), VersionNumber()]},
        "description": {"validators": [Optional(), Length(max=2000)]},
        "ios_url": {
            "filters": [strip],
            "validators": [Optional(), StoreLink(APP_STORE_HOSTS, "App Store")],
        },
        "android_url": {
            "filters": [strip],
            "validators": [Optional(), StoreLink(GOOGLE_PLAY_HOSTS, "Google Play")],
        },
    }


def admin_views(db) -> list:
    return [AppView(App, db, name=_l("Apps"), category=_l("App governance"), endpoint="appgov_app")]
