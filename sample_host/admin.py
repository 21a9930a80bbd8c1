"""Flask-Admin at ``/admin/`` for the host's tables; only ``sysadmin`` may enter.

Plug-in admin views join the same ``Admin`` (``install_plugins``); they check access with
``app.extensions["casehost"].is_admin`` (:func:`sample_host.auth.is_admin`).

Officials read it in Traditional Chinese or English: form messages come from WTForms' own
Traditional catalog (:class:`appgov_plugin.admin.AdminForm`), Flask-Admin's texts from
its catalog completed and reworded by the host's (``translations_admin/``, domain ``admin``),
dates in Taipei time in the reader's convention, keys as labels.
"""

from __future__ import annotations

from pathlib import Path

import flask_admin.babel
import flask_babel
from babel import support
from flask import abort, has_app_context, redirect, request, url_for
from flask_admin import Admin, AdminIndexView, expose
from flask_admin.contrib.sqla import ModelView
from flask_admin.helpers import get_current_view
from flask_admin.menu import MenuLink
from flask_admin.model.template import LinkRowAction
from flask_admin.theme import Bootstrap4Theme
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user
from markupsafe import Markup
from wtforms import PasswordField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from appgov_plugin.admin import LocalizedModelView, OptionsFilterEqual, labels
from appgov_plugin.host.contract import STANDARD_ROLES

from .auth import is_admin
from .cases import agency_label, case_type_of, history_label, state_label
from .extensions import db
from .i18n import SUPPORTED_LOCALES
from .models import CITIES, ROLE_LABELS, Agency, Case, CaseHistory, User
from .plugins import current_host

#: The host's Flask-Admin catalog (domain ``admin``): what Flask-Admin's zh_Hant_TW catalog
#: lacks ("Failed to create record.") or words in mainland usage (保存, 導出, 創建).
ADMIN_TRANSLATIONS_DIR = Path(__file__).with_name("translations_admin")


def host_catalog_wins() -> None:
    """Let the ``Admin``'s ``translations_path`` catalog reword Flask-Admin's own.

    Flask-Admin 2.2 merges ``translations_path`` *before* its own catalog, so its own wording
    wins over the host's, and caches the merge per locale for every ``Admin`` of the process
    (a second application with another catalog gets the first one's). Here Flask-Admin's
    catalog is loaded first and the view's ``Admin`` catalog last, cached per catalog set.
    Idempotent; an ``Admin`` without ``translations_path`` gets Flask-Admin's catalog as before.
    """
    domain = flask_admin.babel.domain
    if getattr(domain, "host_catalog_last", False):
        return
    own = tuple(domain._translation_directories)
    cache: dict[tuple, support.Translations] = {}

    def get_translations():
        if not has_app_context():
            return support.NullTranslations()
        locale = flask_babel.get_locale()
        extra = getattr(getattr(get_current_view(), "admin", None), "translations_path", None)
        directories = own + ((str(extra),) if extra else ())
        key = (str(locale), directories)
        if key not in cache:
            translations = support.Translations()
            for directory in directories:
                catalog = support.Translations.load(directory, [locale], "admin")
                translations.merge(catalog)
                if hasattr(catalog, "plural"):
                    translations.plural = catalog.plural
            cache[key] = translations
        return cache[key]

    domain.get_translations = get_translations
    domain.host_catalog_last = True


class HostAccessMixin:
    """Admin access rule: ``sysadmin`` only; others log in first or get HTTP 403."""

    def is_accessible(self) -> bool:
        return is_admin(current_user)

    def inaccessible_callback(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        abort(403)


class HostIndexView(HostAccessMixin, AdminIndexView):
    """The admin home page: every section and view the administrator may open, described."""

    @expose("/")
    def index(self):
        return self.render(self._template, sections=admin_sections(self.admin))


def admin_sections(admin: Admin) -> list[tuple[object, list[tuple[object, str, object]]]]:
    """``[(category, [(view name, url, description), ...]), ...]`` in menu order, only the
    views the current user may open; a view's one-line ``description`` attribute, if any."""
    sections: dict[str, tuple[object, list]] = {}
    for view in admin._views:
        if view is admin.index_view or not (view.is_accessible() and view.is_visible()):
            continue
        category = view.category or ""
        url = view.get_url(f"{view.endpoint}.{view._default_view}")  # as the menu does
        entry = (view.name, url, getattr(view, "description", ""))
        sections.setdefault(str(category), (category, []))[1].append(entry)
    return list(sections.values())


class HostModelView(LocalizedModelView, HostAccessMixin, ModelView):
    """Common settings of the host's model views."""

    page_size = 50


def _agency_name(view, context, model, name) -> str:
    agency = getattr(model, name)
    return agency.name if agency else ""


def _display_name(view, context, model, name) -> str:
    user = getattr(model, name)
    return user.display_name if user else ""


#: The users' language, named in the reader's language (the language switch names each
#: language in itself instead).
LANGUAGE_LABELS = {"zh_Hant_TW": _l("Traditional Chinese (Taiwan)"), "en": _l("English")}


class AgencyView(HostModelView):
    description = _l("Agencies: code, Chinese and English name and city of every agency.")
    column_list = ("code", "name_zh", "name_en", "city")
    column_searchable_list = ("code", "name_zh", "name_en")
    column_labels = {
        "code": _l("Code"),
        "name_zh": _l("Chinese name"),
        "name_en": _l("English name"),
        "city": _l("City"),
    }
    column_choices = {"city": labels(CITIES)}
    form_choices = {"city": labels(CITIES)}


class UserView(HostModelView):
    """Users; the password hash is never shown, a new password is hashed on save."""

    description = _l(
        "Users: who logs in, their role, agency and language. Users are never deleted (the "
        "case history names them): untick Active to end someone's access."
    )
    # The case history and the rule-parameter history name the people who acted: a user is
    # deactivated, never deleted.
    can_delete = False
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
    column_choices = {"role": [(role, ROLE_LABELS[role]) for role in STANDARD_ROLES]}
    column_formatters = {
        "agency": _agency_name,
        "locale": lambda v, c, m, n: LANGUAGE_LABELS.get(m.locale, ""),
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
        "locale": [(code, LANGUAGE_LABELS[code]) for code in SUPPORTED_LOCALES],
    }
    form_args = {
        "agency": {
            "get_label": agency_label,
            "blank_text": _l("No agency (system administrators only)"),
        },
        "locale": {"blank_text": _l("The browser's language")},
    }

    def create_form(self, obj=None):
        form = super().create_form(obj)
        form.new_password.validators = [InputRequired(), Length(max=128)]
        form.new_password.flags.required = True
        form.new_password.description = gettext("The new user's first password.")
        return form

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        form.new_password.validators = [Optional(), Length(max=128)]
        return form

    def on_model_change(self, form, model: User, is_created: bool) -> None:
        # A new password ends the user's sessions (User.set_password raises session_version).
        if form.new_password.data:
            model.set_password(form.new_password.data)
        elif is_created:
            raise ValidationError(gettext("A new user needs a password."))

    def after_model_change(self, form, model: User, is_created: bool) -> None:
        # Administrators changing their own password stay logged in here (a new session);
        # their other sessions end.
        if form.new_password.data and model.id == current_user.id:
            login_user(model)


def _case_type_label(view, context, model, name) -> object:
    case_type = case_type_of(model)
    return case_type.label if case_type else model.type_key


def _case_state_label(view, context, model, name) -> object:
    return state_label(model)


def case_type_options() -> list[tuple[str, str]]:
    return [(ct.key, str(ct.label)) for ct in current_host().case_types]


def case_state_options() -> list[tuple[str, str]]:
    states: dict[str, str] = {}
    for ct in current_host().case_types:
        for key, label in ct.workflow.states.items():
            states.setdefault(key, str(label))
    return list(states.items())


def _case_answers(view, context, model, name) -> Markup:
    """The case's answers as the case page shows them (labels, readable values), with the
    form the case was filed with; section headings as headings, row groups on one line."""
    from .answers import case_answers

    items = Markup("").join(
        Markup('<dt class="h6 mt-2">{}</dt>').format(item.label)
        if item.kind == "heading"
        else Markup("<dt>{}</dt><dd>{}</dd>").format(item.label, item.text)
        for item in case_answers(case_type_of(model), model)
    )
    return Markup('<dl class="mb-0">{}</dl>').format(items)


def _correction_url(action, row_id, row) -> str:
    return url_for("corrections.correct", case_id=row_id)


class CaseView(HostModelView):
    """Cases, read-only: a correction of a case's agency, owner or answers is a recorded step
    with a reason (``/cases/<id>/correct``, linked from the list and the details); states
    change through workflow transitions, never here."""

    description = _l(
        "Cases: read a case; correct its agency, owner or answers with a recorded reason; "
        "states change only by steps."
    )
    can_create = False
    can_edit = False
    can_delete = False
    can_view_details = True
    details_template = "admin/host_case_details.html"
    column_extra_row_actions = [
        LinkRowAction("fa fa-wrench", _correction_url, title=_l("Correct the case"))
    ]
    column_details_list = (
        "id",
        "type_key",
        "status",
        "agency",
        "owner",
        "created_at",
        "updated_at",
        "form_key",
        "form_version",
        "data",
    )
    column_list = ("id", "type_key", "status", "agency", "owner", "created_at", "updated_at")
    column_labels = {
        "id": _l("Case number"),
        "type_key": _l("Case type"),
        "status": _l("Status"),
        "agency": _l("Agency"),
        "owner": _l("Owner"),
        "created_at": _l("Opened at"),
        "updated_at": _l("Updated"),
        "data": _l("Case data"),
        "form_key": _l("Form"),
        "form_version": _l("Form version"),
    }
    column_formatters = {
        "type_key": _case_type_label,
        "status": _case_state_label,
        "agency": _agency_name,
        "owner": _display_name,
        "data": _case_answers,
    }
    column_default_sort = ("id", True)
    column_filters = (
        OptionsFilterEqual(Case.type_key, _l("Case type"), options=case_type_options),
        OptionsFilterEqual(Case.status, _l("Status"), options=case_state_options),
    )


def _history_case(view, context, model, name) -> str:
    case_type = case_type_of(model.case)
    return f"#{model.case_id} {case_type.label if case_type else model.case.type_key}"


class CaseHistoryView(HostModelView):
    """The append-only history, read-only."""

    description = _l("Case history: every step of every case, who took it and when (read-only).")
    can_create = False
    can_edit = False
    can_delete = False
    column_list = ("id", "case", "at", "actor", "transition", "from_state", "to_state", "comment")
    column_labels = {
        "id": _l("No."),
        "case": _l("Case"),
        "at": _l("When"),
        "actor": _l("Who"),
        "transition": _l("Step"),
        "from_state": _l("From"),
        "to_state": _l("To"),
        "comment": _l("Comment"),
    }
    column_formatters = {
        "case": _history_case,
        "actor": _display_name,
        "transition": lambda v, c, m, n: history_label(m.case, m),
        "from_state": lambda v, c, m, n: state_label(m.case, m.from_state) if m.from_state else "",
        "to_state": lambda v, c, m, n: state_label(m.case, m.to_state),
    }
    column_default_sort = ("id", True)


class HostMenuLink(MenuLink):
    """A link of the admin navigation shown to administrators only."""

    def is_accessible(self) -> bool:
        return is_admin(current_user)


def init_admin(app) -> Admin:
    """The application's single ``Admin``, with the host's views (plug-ins add theirs)."""
    host_catalog_wins()
    admin = Admin(
        app,
        name=_l("Case host administration"),
        url="/admin",
        index_view=HostIndexView(name=_l("Overview"), url="/admin"),
        translations_path=str(ADMIN_TRANSLATIONS_DIR),
        theme=Bootstrap4Theme(swatch="default", base_template="admin/host_base.html"),
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
    admin.add_link(HostMenuLink(name=_l("Back to the site"), endpoint="main.home"))
    return admin
