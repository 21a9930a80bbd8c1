"""Flask-Admin at ``/admin/`` for the host's tables; only ``sysadmin`` may enter.

Plug-in admin views join the same ``Admin`` (``install_plugins``); they check access with
``app.extensions["casehost"].is_admin`` (:func:`sample_host.auth.is_admin`).
"""

from __future__ import annotations

from flask import abort, redirect, request, url_for
from flask_admin import Admin, AdminIndexView
from flask_admin.contrib.sqla import ModelView
from flask_admin.menu import MenuLink
from flask_admin.theme import Bootstrap4Theme
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import PasswordField
from wtforms.validators import ValidationError

from appgov_plugin.host.contract import STANDARD_ROLES

from .auth import is_admin
from .extensions import db
from .i18n import LOCALE_NAMES, SUPPORTED_LOCALES
from .models import CITIES, ROLE_LABELS, Agency, Case, CaseHistory, User


class HostAccessMixin:
    """Admin access rule: ``sysadmin`` only; others log in first or get HTTP 403."""

    def is_accessible(self) -> bool:
        return is_admin(current_user)

    def inaccessible_callback(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        abort(403)


class HostIndexView(HostAccessMixin, AdminIndexView):
    """The admin home page."""


class HostModelView(HostAccessMixin, ModelView):
    """Common settings of the host's model views."""

    page_size = 50


class AgencyView(HostModelView):
    column_list = ("code", "name_zh", "name_en", "city")
    column_searchable_list = ("code", "name_zh", "name_en")
    column_labels = {
        "code": _l("Code"),
        "name_zh": _l("Chinese name"),
        "name_en": _l("English name"),
        "city": _l("City"),
    }
    form_choices = {"city": list(CITIES.items())}


class UserView(HostModelView):
    """Users; the password hash is never shown, a new password is hashed on save."""

    column_list = ("username", "display_name", "role", "agency", "locale", "active")
    column_searchable_list = ("username", "display_name")
    column_labels = {
        "username": _l("Username"),
        "display_name": _l("Display name"),
        "role": _l("Role"),
        "agency": _l("Agency"),
        "locale": _l("Language"),
        "active": _l("Active"),
    }
    form_columns = (
        "username",
        "display_name",
        "new_password",
        "role",
        "agency",
        "locale",
        "active",
    )
    form_extra_fields = {
        "new_password": PasswordField(
            _l("New password"), description=_l("Leave empty to keep the current password.")
        )
    }
    form_choices = {
        "role": [(role, ROLE_LABELS[role]) for role in STANDARD_ROLES],
        "locale": [(code, LOCALE_NAMES[code]) for code in SUPPORTED_LOCALES],
    }

    def on_model_change(self, form, model: User, is_created: bool) -> None:
        if form.new_password.data:
            model.set_password(form.new_password.data)
        elif is_created:
            raise ValidationError(gettext("A new user needs a password."))


class CaseView(HostModelView):
    """Cases: corrections only; states change through workflow transitions, never here."""

    can_create = False
    can_delete = False
    column_list = ("id", "type_key", "status", "agency", "owner", "created_at", "updated_at")
    column_labels = {
        "type_key": _l("Case type"),
        "status": _l("Status"),
        "agency": _l("Agency"),
        "owner": _l("Owner"),
        "created_at": _l("Opened at"),
        "updated_at": _l("Updated"),
        "data": _l("Case data"),
        "form_version": _l("Form version"),
    }
    column_default_sort = ("id", True)
    column_filters = ("type_key", "status")
    form_columns = ("agency", "owner", "data", "form_version")


class CaseHistoryView(HostModelView):
    """The append-only history, read-only."""

    can_create = False
    can_edit = False
    can_delete = False
    column_list = ("id", "case", "at", "actor", "transition", "from_state", "to_state", "comment")
    column_labels = {
        "case": _l("Case"),
        "at": _l("When"),
        "actor": _l("Who"),
        "transition": _l("Step"),
        "from_state": _l("From"),
        "to_state": _l("To"),
        "comment": _l("Comment"),
    }
    column_default_sort = ("id", True)


def init_admin(app) -> Admin:
    """The application's single ``Admin``, with the host's views (plug-ins add theirs)."""
    admin = Admin(
        app,
        name=_l("Case host administration"),
        url="/admin",
        index_view=HostIndexView(name=_l("Overview"), url="/admin"),
        theme=Bootstrap4Theme(swatch="default"),
    )
    category = _l("Host")
    admin.add_view(
        AgencyView(Agency, db, name=_l("Agencies"), endpoint="host_agency", category=category)
    )
    admin.add_view(UserView(User, db, name=_l("Users"), endpoint="host_user", category=category))
    admin.add_view(CaseView(Case, db, name=_l("Cases"), endpoint="host_case", category=category))
    admin.add_view(
        CaseHistoryView(
            CaseHistory,
            db,
            name=_l("Case history"),
            endpoint="host_case_history",
            category=category,
        )
    )
    admin.add_link(MenuLink(name=_l("Back to the site"), endpoint="main.home"))
    return admin
