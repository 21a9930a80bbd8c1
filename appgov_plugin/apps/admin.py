"""The app registry in Flask-Admin (endpoint ``appgov_app``)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.model.template import LinkRowAction
from flask_login import current_user
from wtforms import BooleanField, Form, SelectField, StringField, TextAreaField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    StopValidation,
    ValidationError,
)

from ..admin import (
    ADMIN_FORM_TRANSLATIONS,
    AgencyField,
    AppGovModelView,
    OptionsFilterEqual,
    agency_column,
    agency_filter_options,
    labels,
    strip,
)
from ..forms.fields import VersionNumber
from ..i18n import _, _l, template_gettext
from ..lifecycle import registry
from ..policy.display import template_helpers
from ..state import get_state
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


def _reference_when_approved(form, field):
    """The approving document's number is required when the approval is ticked."""
    if form.approved_before.data and not (field.data or "").strip():
        raise ValidationError(_("Give the number of the document that approved the app."))


class _Required(DataRequired):
    """DataRequired whose (lazy) message is translated when it is raised: Flask-Admin shows
    string errors only, so a lazy message left the field without its message."""

    def __call__(self, form, field):
        try:
            super().__call__(form, field)
        except StopValidation as exc:
            raise StopValidation(str(exc)) from None


#: Longest reason of a registration or a correction (characters).
MAX_REASON = 2000


def _correction_url(action, row_id, row) -> str:
    return url_for(".correct", id=row_id)


class CorrectionForm(Form):
    """An administrator's correction of an app's status and/or version, with its reason."""

    class Meta:
        def get_translations(self, form):
            return ADMIN_FORM_TRANSLATIONS

    status = SelectField(
        _l("Status"),
        choices=lambda: labels(APP_STATUSES),
        validate_choice=True,
        invalid_choice_message=_l("Choose one of the statuses in the list."),
    )
    version = StringField(
        _l("Version"),
        filters=[strip],
        validators=[Optional(), Length(max=32), VersionNumber()],
        description=_l("MAJOR.MINOR.PATCH, e.g. 1.0.0 (KH-VER-1)."),
    )
    reason = TextAreaField(
        _l("Reason"),
        filters=[strip],
        validators=[
            DataRequired(message=_l("Write why the app's record is corrected.")),
            Length(max=MAX_REASON),
        ],
    )


class AppView(AppGovModelView):
    """The registry's records. Status and version move only through the lifecycle's cases
    (:func:`appgov_plugin.lifecycle.registry.record`): here they are read-only, except

    * registering an app (the create form: its status and version as they are, e.g. an app
      listed before appgov; recorded as a ``registered`` step with the reason), and
    * an administrator's **correction** (``/admin/appgov_app/correct/?id=``, a row action):
      a new status and/or version with a mandatory reason, recorded as a ``corrected`` step
      with the administrator, the old and the new values.
    """

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
        "listed_on",
        "delist_on",
        "created_at",
        "updated_at",
    )
    column_extra_row_actions = [
        LinkRowAction("fa fa-wrench", _correction_url, title=_l("Correct the status or version"))
    ]
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
        "listed_on": _l("Listed on"),
        "delist_on": _l("Delisting on"),
        "created_at": _l("Created"),
        "updated_at": _l("Updated"),
        "registration_reason": _l("Reason for registering"),
    }
    column_descriptions = {
        "status": _l("Set when registering; then only the app's cases or a correction move it."),
        "version": _l("MAJOR.MINOR.PATCH, e.g. 1.0.0 (KH-VER-1)."),
        "ios_url": _l("The app's page on the App Store (https://apps.apple.com/...)."),
        "android_url": _l("The app's page on Google Play (https://play.google.com/...)."),
    }
    column_choices = {"status": labels(APP_STATUSES)}
    column_formatters = {"agency_code": agency_column}
    # the proposal case is set by the workflow (KH-EVAL-1, TN-EVAL-1), never typed here;
    # status and version: the create form only (ONLY_ON_CREATE), then read-only
    form_columns = (
        "name",
        "agency_code",
        "status",
        "version",
        "description",
        "ios_url",
        "android_url",
        "linked_to_mayor_mailbox",
        "approved_before",
        "approval_reference",
        "registration_reason",
    )
    form_extra_fields = {
        # KH-EVAL-3 / TN-EVAL-1: an app registered here was either approved under the
        # procedure before appgov (its approval's document number kept), or it was not --
        # and then the authority stops or delists it like any app without approval
        "approved_before": BooleanField(
            _l("Its development was approved before appgov"),
            description=_l(
                "Tick only for an app approved under the earlier procedure (KH-EVAL-1, "
                "TN-EVAL-1); an app without approval is stopped or delisted (KH-EVAL-3)."
            ),
        ),
        "approval_reference": StringField(
            _l("Approval document number"),
            filters=[strip],
            validators=[_reference_when_approved, Length(max=200)],
            description=_l("The number of the approving document (required when ticked)."),
        ),
        "registration_reason": TextAreaField(
            _l("Reason for registering"),
            filters=[strip],
            validators=[
                _Required(message=_l("Write why the app enters the registry here.")),
                Length(max=MAX_REASON),
            ],
            description=_l("Why the app enters the registry here (kept in its history)."),
        ),
    }
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

    #: Fields of the create form only: the edit form never has them, so a posted
    #: ``status``/``version`` is not even read (issue 10: no hand moves).
    ONLY_ON_CREATE = (
        "status",
        "version",
        "approved_before",
        "approval_reference",
        "registration_reason",
    )

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        for name in self.ONLY_ON_CREATE:
            if name in form:
                delattr(form, name)
        return form

    def on_model_change(self, form, model, is_created):
        if not is_created:
            return
        # the registration is the app's first history step (lifecycle registry)
        get_state().session.flush()
        reason = form.registration_reason.data if "registration_reason" in form else ""
        approved = bool(form.approved_before.data) if "approved_before" in form else False
        reference = form.approval_reference.data if "approval_reference" in form else ""
        registry.record(
            model,
            "registered",
            getattr(current_user, "username", "") or "admin",
            reason=reason,
            details={"by": "flask-admin", "approved": approved, "approval_reference": reference},
        )

    # -- the correction ------------------------------------------------------------------

    @expose("/correct/", methods=("GET", "POST"))
    def correct(self):
        key = self.coerce_id(request.args.get("id"))
        if key is None:
            abort(404)
        app_id = key[0]
        app = get_state().session.get(App, app_id)
        if app is None:
            abort(404)
        form = CorrectionForm(
            request.form if request.method == "POST" else None,
            status=app.status,
            version=app.version or "",
        )
        if request.method == "POST" and form.validate():
            app = registry.locked_app(app_id)
            new_status, new_version = form.status.data, form.version.data or None
            if new_version is None and app.version:
                form.version.errors.append(
                    _("A version cannot be removed; write the version in force (KH-VER-1).")
                )
            elif new_status == app.status and new_version == app.version:
                form.status.errors.append(
                    _("Nothing to correct: change the status or the version.")
                )
            else:
                old_status, old_version = app.status, app.version
                registry.record(
                    app,
                    "corrected",
                    current_user.username,
                    status=new_status,
                    version=new_version,
                    reason=form.reason.data,
                    details={
                        "from_status": old_status,
                        "to_status": new_status,
                        "from_version": old_version,
                        "to_version": new_version,
                    },
                )
                get_state().session.commit()
                flash(_("The correction of %(name)s is recorded.", name=app.name), "success")
                return redirect(url_for(".details_view", id=app.id))
            get_state().session.rollback()
        if request.method == "POST" and form.errors:
            fields = [str(form[name].label.text) for name in form.errors if name in form]
            flash(_("Please correct: %(fields)s.", fields=_(", ").join(fields)), "danger")
        return self.render(
            "appgov/apps/admin/correct.html",
            app=app,
            form=form,
            statuses=APP_STATUSES,
            _=template_gettext,
            **template_helpers(),
        )


def admin_views(db) -> list:
    return [AppView(App, db, name=_l("Apps"), category=_l("App governance"), endpoint="appgov_app")]
