"""Citizens' personal data in Flask-Admin (administrators only), next to the reveals log:

* **Personal data notice** (endpoint ``appgov_personal_data_notice``): the notice at
  collection (個人資料保護法 §8, :mod:`.notice`) in Chinese and English, as the Open311
  ``services.json`` gives it; both languages are saved together or neither (a text equal to
  the default is not stored); *Restore the default texts* removes the edited ones;
* **Personal data requests and purges** (endpoint ``appgov_personal_data_actions``, read-only):
  every search, export and erasure for a citizen (:mod:`.rights`) and every retention purge
  run (``flask appgov mailbox purge``): who, when, the contact masked, how many items, why.
"""

from __future__ import annotations

from flask import flash, redirect, request
from flask_admin import BaseView, expose
from flask_login import current_user
from markupsafe import Markup, escape
from wtforms import Form, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from ..access import AdminOnly
from ..admin import ADMIN_FORM_TRANSLATIONS, AppGovModelView, OptionsFilterEqual, labels
from ..i18n import _, _l, template_gettext
from ..safe_input import has_control_character
from ..state import get_state
from . import notice
from .models import PERSONAL_DATA_ACTIONS, PersonalDataAction


def _no_control(form, field):
    if field.data and has_control_character(field.data):
        raise ValidationError(_("remove the control characters from the text."))


def _tidy(value):
    if isinstance(value, str):
        return value.replace("\r\n", "\n").replace("\r", "\n").strip()
    return value


class NoticeForm(Form):
    class Meta:
        def get_translations(self, form):
            return ADMIN_FORM_TRANSLATIONS

    zh_Hant_TW = TextAreaField(
        _l("Notice in Chinese"),
        filters=[_tidy],
        validators=[
            DataRequired(message=_l("Write the notice, or restore the default texts.")),
            Length(max=notice.MAX_NOTICE),
            _no_control,
        ],
    )
    en = TextAreaField(
        _l("Notice in English"),
        filters=[_tidy],
        validators=[
            DataRequired(message=_l("Write the notice, or restore the default texts.")),
            Length(max=notice.MAX_NOTICE),
            _no_control,
        ],
    )


class NoticeView(AdminOnly, BaseView):
    """The notice at collection: both languages in one form."""

    @expose("/", methods=("GET", "POST"))
    def index(self):
        stored = notice.stored_notices()
        if request.method == "POST" and request.form.get("restore") == "default":
            notice.save_notices(dict.fromkeys(notice.NOTICE_LOCALES, ""), current_user.username)
            get_state().session.commit()
            flash(_("The default texts apply again."), "success")
            return redirect(self.get_url(".index"))
        if request.method == "POST":
            form = NoticeForm(request.form)
            if form.validate():
                notice.save_notices(
                    {locale: form[locale].data for locale in notice.NOTICE_LOCALES},
                    current_user.username,
                )
                get_state().session.commit()
                flash(_("The notice is saved: services.json gives it from now on."), "success")
                return redirect(self.get_url(".index"))
            fields = [str(form[name].label.text) for name in form.errors]
            flash(_("Please correct: %(fields)s.", fields=_(", ").join(fields)), "danger")
            status = 400
        else:
            form = NoticeForm(
                data={
                    locale: notice.notice_template(locale, stored)
                    for locale in notice.NOTICE_LOCALES
                }
            )
            status = 200
        body = self.render(
            "appgov/mailbox/admin/notice.html",
            _=template_gettext,
            form=form,
            stored=stored,
            years=notice.retention_years(),
            max_notice=notice.MAX_NOTICE,
        )
        return body, status


def _action_label(view, context, model, name) -> str:
    return str(PERSONAL_DATA_ACTIONS.get(model.action, model.action))


def _items(view, context, model, name):
    ids = (model.details or {}).get("feedback_ids") or []
    shown = ", ".join(f"#{number}" for number in ids[:20])
    more = "…" if len(ids) > 20 else ""
    return Markup('{} <small class="text-muted">{}</small>').format(
        model.count, escape(shown + more)
    )


class PersonalDataActionView(AppGovModelView):
    """Citizens' requests handled and purge runs, newest first: read-only."""

    description = _l(
        "Citizens' personal data requests (search, export, erasure) and retention purges: who, "
        "when, whose contact (masked), how many items, why (Personal Data Protection Act). "
        "Read-only."
    )
    can_create = False
    can_edit = False
    can_delete = False
    can_view_details = True
    column_list = ("acted_at", "action", "username", "subject", "count", "reason")
    column_details_list = ("id", "acted_at", "action", "username", "subject", "count", "reason")
    column_default_sort = ("acted_at", True)
    column_sortable_list = ("acted_at",)
    column_searchable_list = ("username", "subject", "reason")
    column_filters = (
        "acted_at",
        "username",
        OptionsFilterEqual(
            PersonalDataAction.action, _l("Action"), options=lambda: labels(PERSONAL_DATA_ACTIONS)
        ),
    )
    column_labels = {
        "id": _l("Number"),
        "acted_at": _l("When"),
        "action": _l("Action"),
        "username": _l("By"),
        "subject": _l("Citizen's contact (masked)"),
        "count": _l("Feedback items"),
        "reason": _l("Request or reason"),
    }
    column_formatters = {"action": _action_label, "count": _items}
    column_formatters_detail = column_formatters


def admin_views(db) -> list:
    edit = NoticeView(
        name=_l("Personal data notice"),
        category=_l("App governance"),
        endpoint="appgov_personal_data_notice",
    )
    return [
        edit,
        PersonalDataActionView(
            PersonalDataAction,
            db,
            name=_l("Personal data requests and purges"),
            category=_l("App governance"),
            endpoint="appgov_personal_data_actions",
        ),
    ]
