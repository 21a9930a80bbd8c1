"""The apps' Open311 API keys in Flask-Admin (endpoint ``appgov_open311_keys``;
administrators only).

* **Issue** (the list's "Create"): an app linked to the mayor mailbox and a label; the key is
  shown once, on the answer to the form (never stored, never in a flash message or a
  cookie), only its SHA-256 and its first characters are kept (:mod:`.keys`);
* **Revoke** (a row's button): with a mandatory reason; who revoked it and when are kept and
  the key is refused (403) from then on. Keys are never edited or deleted: the list is the
  record of who could post for which app.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.model.template import LinkRowAction
from flask_login import current_user
from markupsafe import Markup, escape
from wtforms import Form, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from .. import web
from ..admin import ADMIN_FORM_TRANSLATIONS, AppGovModelView, strip
from ..apps.models import App
from ..i18n import _, _l, template_gettext
from ..state import get_state
from . import keys
from .models import ApiKey

#: Longest revocation reason (characters).
MAX_REASON = 2000

# the issue and revoke pages' templates (templates/appgov/mailbox/admin/)
web.blueprint.add_templates(__file__)


def _app_choices() -> list[tuple[str, str]]:
    apps = get_state().session.scalars(
        sa.select(App).where(App.linked_to_mayor_mailbox.is_(True)).order_by(App.name, App.id)
    )
    return [("", _("Choose an app"))] + [(str(a.id), a.name) for a in apps]


class _Translated(Form):
    class Meta:
        def get_translations(self, form):
            return ADMIN_FORM_TRANSLATIONS


class IssueKeyForm(_Translated):
    app_id = SelectField(
        _l("App"),
        choices=_app_choices,
        validate_choice=True,
        invalid_choice_message=_l("Choose one of the apps in the list."),
    )
    label = StringField(
        _l("Label"),
        filters=[strip],
        validators=[
            DataRequired(message=_l("Say who uses the key (the app's release, its vendor).")),
            Length(max=200),
        ],
        description=_l("Who uses the key: the app's release or its vendor."),
    )

    def validate_app_id(self, field):
        if not field.data:
            raise ValidationError(_("Choose the app the key posts for."))


class RevokeKeyForm(_Translated):
    reason = TextAreaField(
        _l("Reason"),
        filters=[strip],
        validators=[
            DataRequired(message=_l("Write why the key is revoked.")),
            Length(max=MAX_REASON),
        ],
    )


def _revoke_url(action, row_id, row) -> str:
    return url_for(".revoke", id=row_id)


def _app_column(view, context, model, name):
    # the app's Open311 service code in small print (an administrator hands it on with the key)
    app = get_state().session.get(App, model.app_id)
    if app is None:
        return model.app_id
    return Markup('{} <small class="text-muted">{}</small>').format(app.name, app.code)


def _state_column(view, context, model, name):
    # words, not a colour (WCAG 1.4.1)
    return _("Active") if model.active else _("Revoked")


def _prefix_column(view, context, model, name):
    return Markup("<code>{}…</code>").format(escape(model.prefix))


class ApiKeyView(AppGovModelView):
    """The apps' Open311 keys: issued, listed, revoked; never shown again, edited or deleted."""

    can_create = True
    can_edit = False
    can_delete = False
    can_view_details = True
    column_list = (
        "app_id",
        "label",
        "prefix",
        "state",
        "created_at",
        "created_by",
        "last_used_at",
        "revoked_at",
        "revoked_by",
        "revoke_reason",
    )
    column_details_list = column_list
    column_default_sort = ("id", True)
    column_labels = {
        "app_id": _l("App"),
        "label": _l("Label"),
        "prefix": _l("Key begins with"),
        "state": _l("State"),
        "created_at": _l("Issued at"),
        "created_by": _l("Issued by"),
        "last_used_at": _l("Last feedback posted"),
        "revoked_at": _l("Revoked at"),
        "revoked_by": _l("Revoked by"),
        "revoke_reason": _l("Reason for revoking"),
    }
    column_formatters = {"app_id": _app_column, "state": _state_column, "prefix": _prefix_column}
    column_formatters_detail = column_formatters
    column_extra_row_actions = [LinkRowAction("fa fa-ban", _revoke_url, title=_l("Revoke"))]

    def _render_page(self, template: str, **context):
        return self.render(template, _=template_gettext, **context)

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self):
        form = IssueKeyForm(request.form if request.method == "POST" else None)
        if request.method == "POST" and form.validate():
            session = get_state().session
            app = session.get(App, int(form.app_id.data))
            key = keys.issue(app.id, form.label.data, current_user.username)
            session.commit()
            response = self.make_response_once(app, form.label.data, key)
            return response
        if request.method == "POST" and form.errors:
            fields = [str(form[name].label.text) for name in form.errors if name in form]
            flash(_("Please correct: %(fields)s.", fields=_(", ").join(fields)), "danger")
        return self._render_page("appgov/mailbox/admin/key_issue.html", form=form)

    def make_response_once(self, app, label: str, key: str):
        """The page showing the new key: once, never cached."""
        from flask import make_response

        response = make_response(
            self._render_page("appgov/mailbox/admin/key_issued.html", app=app, label=label, key=key)
        )
        response.headers["Cache-Control"] = "no-store"
        return response

    @expose("/revoke/", methods=("GET", "POST"))
    def revoke(self):
        key_id = self.coerce_id(request.args.get("id"))
        if key_id is None:
            abort(404)
        session = get_state().session
        api_key = session.get(ApiKey, key_id[0])
        if api_key is None:
            abort(404)
        app = session.get(App, api_key.app_id)
        form = RevokeKeyForm(request.form if request.method == "POST" else None)
        if not api_key.active:
            flash(_("This key is revoked already."), "info")
            return redirect(url_for(".index_view"))
        if request.method == "POST" and form.validate():
            keys.revoke(api_key, current_user.username, form.reason.data)
            session.commit()
            flash(
                _(
                    "The key %(prefix)s… of %(app)s is revoked: it is refused from now on.",
                    prefix=api_key.prefix,
                    app=app.name,
                ),
                "success",
            )
            return redirect(url_for(".index_view"))
        if request.method == "POST" and form.errors:
            flash(_("Please correct: %(fields)s.", fields=form.reason.label.text), "danger")
        return self._render_page(
            "appgov/mailbox/admin/key_revoke.html", form=form, api_key=api_key, app=app
        )


def admin_views(db) -> list:
    return [
        ApiKeyView(
            ApiKey,
            db,
            name=_l("Open311 API keys"),
            category=_l("App governance"),
            endpoint="appgov_open311_keys",
        )
    ]
