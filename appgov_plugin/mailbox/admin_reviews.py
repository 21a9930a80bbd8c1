"""The administrator's import of store reviews and ratings for any app (Flask-Admin,
endpoint ``appgov_store_reviews``, administrators only). The agencies import their own
apps' files on their app's page (:mod:`.review_pages`); both go through
:func:`.reviews.import_file` and show the same report."""

from __future__ import annotations

import sqlalchemy as sa
from flask import request
from flask_admin import BaseView, expose

from ..access import AdminOnly, agency_name
from ..apps.models import App, app_id_of
from ..i18n import _, _l, current_locale, format_date, format_number, ngettext, template_gettext
from ..state import get_state
from .review_pages import AdminReviewImportForm, report_context, run_import


def app_choices() -> list[tuple[str, str]]:
    """Every app, by agency and name (one query): (id, "name (agency)")."""
    locale = current_locale()
    apps = get_state().session.scalars(sa.select(App).order_by(App.agency_code, App.name, App.id))
    return [
        (str(app.id), f"{app.display_name(locale)} ({agency_name(app.agency_code)})")
        for app in apps
    ]


class StoreReviewImportView(AdminOnly, BaseView):
    """Choose the app, the store and what the file holds; check the file or import it."""

    @expose("/", methods=("GET", "POST"))
    def index(self):
        form = AdminReviewImportForm()
        form.app.choices = [("", _("Choose an app"))] + app_choices()
        report, status = None, 200
        if request.method == "POST":
            if form.validate():
                number = app_id_of(form.app.data)
                app = get_state().session.get(App, number) if number else None
                if app is None:
                    form.app.errors = [_("Not an app of the registry.")]
                else:
                    report = run_import(form, app)
            if report is None or not report.ok:
                status = 400
        body = self.render(
            "appgov/reviews/admin/import.html",
            _=template_gettext,
            ngettext=ngettext,
            format_date=format_date,
            format_number=format_number,
            form=form,
            action=self.get_url(".index"),
            **report_context(report),
        )
        return body, status


def admin_views(db) -> list:
    view = StoreReviewImportView(
        name=_l("Store reviews"), category=_l("App governance"), endpoint="appgov_store_reviews"
    )
    view.description = _l("Import store reviews and ratings of any app (TN-PERF-1, KH-KPI-2).")
    return [view]
