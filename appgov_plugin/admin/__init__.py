"""Flask-Admin views appgov adds to the host's single ``Admin`` (endpoints ``appgov_*``).

Every model view is a :class:`~appgov_plugin.admin.base.LocalizedModelView`: messages in the
reader's language, Taipei dates in the reader's convention, keys as labels. They work the
same in a pluggy host and in an intranet that embeds ``AppGov(app, db=db, admin=admin)``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask_admin.contrib.sqla import ModelView
from flask_login import current_user
from wtforms import SelectField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import TextInput

from ..access import AdminOnly, agency_name, host_agencies
from ..i18n import _, _l
from ..models import APP_STATUSES, App, CalendarOverride
from ..policy.versions import parse_version
from .base import LocalizedModelView, OptionsFilterEqual, labels
from .parameters import RuleParametersView

#: Hosts of the official stores (KH-LIST-1, TN-LIST-1: apps are published there).
APP_STORE_HOSTS = ("apps.apple.com", "itunes.apple.com")
GOOGLE_PLAY_HOSTS = ("play.google.com",)


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class AppGovModelView(LocalizedModelView, AdminOnly, ModelView):
    """Base model view of appgov: administrators only."""


# -- validators --------------------------------------------------------------------------


class VersionNumber:
    """rule KH-VER-1: ``MAJOR.MINOR.PATCH``, decided by :func:`parse_version`."""

    def __call__(self, form, field):
        if not field.data:
            return
        try:
            parse_version(field.data)
        except ValueError:
            raise ValidationError(
                _(
                    "“%(value)s” is not a version number: write MAJOR.MINOR.PATCH, "
                    "e.g. 1.0.0 (KH-VER-1).",
                    value=field.data,
                )
            ) from None


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


# -- the agency of an app ----------------------------------------------------------------


def agency_choices() -> list[tuple[str, str]]:
    """The host's agencies as ``(code, "name (code)")``, after an empty "choose" entry."""
    return [("", _("Choose an agency"))] + [
        (agency.code, f"{agency.name()} ({agency.code})") for agency in host_agencies() or ()
    ]


def agency_filter_options() -> list[tuple[str, str]] | None:
    agencies = host_agencies()
    return None if agencies is None else [(a.code, a.name()) for a in agencies]


class AgencyField(SelectField):
    """One of the host's agencies (``casehost_agencies`` / ``AppGov(agencies=...)``); any
    other code is refused. A host that names no agencies gets a text input, as typed."""

    def __init__(self, label=None, validators=None, **kwargs):
        for key in ("choices", "coerce", "allow_blank"):
            kwargs.pop(key, None)
        super().__init__(
            label,
            validators,
            choices=agency_choices,
            invalid_choice_message=_l("Choose one of the agencies in the list."),
            **kwargs,
        )

    @staticmethod
    def _free_text() -> bool:
        return host_agencies() is None

    def __call__(self, **kwargs):
        if self._free_text():
            return TextInput()(self, **kwargs)
        return super().__call__(**kwargs)

    def _value(self):
        return self.data or ""

    def pre_validate(self, form):
        if self._free_text():
            return
        try:
            super().pre_validate(form)
        except ValidationError as exc:
            # Flask-Admin shows string errors only, not lazy ones
            raise ValidationError(str(exc)) from None


def _agency_column(view, context, model, name):
    return agency_name(model.agency_code)


# -- the views ---------------------------------------------------------------------------


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
    column_formatters = {"agency_code": _agency_column}
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
        "name": {"filters": [_strip], "validators": [DataRequired()]},
        "agency_code": {"validators": [InputRequired(), Length(max=64)]},
        "version": {"filters": [_strip], "validators": [Optional(), VersionNumber()]},
        "description": {"validators": [Optional(), Length(max=2000)]},
        "ios_url": {
            "filters": [_strip],
            "validators": [Optional(), StoreLink(APP_STORE_HOSTS, "App Store")],
        },
        "android_url": {
            "filters": [_strip],
            "validators": [Optional(), StoreLink(GOOGLE_PLAY_HOSTS, "Google Play")],
        },
    }


class CalendarOverrideView(AppGovModelView):
    """TIME-1: typhoon days off, city holidays and extra working days; they win over the
    national holidays and the shipped DGPA table from the next deadline computed on."""

    description = _l(
        "Working calendar: typhoon days off, city holidays and extra working days, which win "
        "over the national holidays."
    )
    column_list = ("day", "working", "name", "name_en", "reason", "created_by", "updated_at")
    column_default_sort = ("day", True)
    column_filters = ("day", "working")
    column_labels = {
        "day": _l("Date"),
        "working": _l("Working day"),
        "name": _l("Chinese name"),
        "name_en": _l("English name"),
        "reason": _l("Reason"),
        "created_by": _l("Entered by"),
        "updated_at": _l("Updated"),
    }
    column_descriptions = {
        "day": _l("e.g. 115/11/22 or 2026-11-22"),
        "working": _l("Ticked: an extra working day. Unticked: a day off (e.g. typhoon)."),
        "name": _l("Shown on the Chinese calendar, e.g. 颱風停班."),
        "name_en": _l("Shown on the English calendar, e.g. Typhoon day off."),
    }
    form_columns = ("day", "working", "name", "name_en", "reason")
    form_args = {
        "name": {"filters": [_strip], "validators": [DataRequired()]},
        "name_en": {"filters": [_strip], "validators": [DataRequired()]},
        "reason": {"validators": [Optional(), Length(max=2000)]},
    }

    def on_model_change(self, form, model, is_created):
        # a second override of the same day is refused by the form's unique check
        model.created_by = getattr(current_user, "username", None)


def views(db) -> list[ModelView]:
    parameters = RuleParametersView(
        name=_l("Rule parameters"), category=_l("Rules"), endpoint="appgov_parameters"
    )
    if not getattr(parameters, "description", None):
        parameters.description = _l(
            "Rule parameters: values of the rules in force, effective-dated, with history."
        )
    return [
        AppView(App, db, name=_l("Apps"), category=_l("App governance"), endpoint="appgov_app"),
        CalendarOverrideView(
            CalendarOverride,
            db,
            name=_l("Working calendar"),
            category=_l("Rules"),
            endpoint="appgov_calendar_override",
        ),
        parameters,
    ]
