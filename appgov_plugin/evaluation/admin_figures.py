"""Flask-Admin views of the apps' monthly figures (``appgov_eval_figures``) and yearly
targets (``appgov_eval_targets``): issue 14, item 1 (KH-KPI-1, KH-KPI-2, KH-KPI-5,
TN-PERF-1).

The administrator creates, corrects and removes them here through the same check and save
as the agency's form, the import and the hook (:func:`.figures.save_figures`,
:func:`.figures.save_target`): every problem named on its field, nothing half-written,
every change recorded in the app's history. A record's app and period are not changed
here (edit the other month or year instead); a removal is recorded as the figures cleared.
"""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from flask import flash
from flask_admin.babel import gettext as admin_gettext
from flask_admin.helpers import is_form_submitted
from flask_login import current_user
from wtforms import StringField
from wtforms.validators import InputRequired, Optional

from ..admin import AppGovModelView, OptionsFilterEqual
from ..apps.models import App
from ..i18n import _, _l, current_locale
from ..state import get_state
from ..training.admin import _ChoiceField
from . import figures
from .models import FIGURE_SOURCES, AppFigure, AppTarget

CATEGORY = _l("Evaluation")


def _app_choices() -> list[tuple[int, str]]:
    locale = current_locale()
    apps = get_state().session.scalars(sa.select(App).order_by(App.code, App.id))
    return [(a.id, f"{a.display_name(locale)} ({a.code})") for a in apps]


def _app_column(view, context, model, name):
    app = get_state().session.get(App, model.app_id)
    return f"{app.display_name(current_locale())} ({app.code})" if app else ""


def _source_column(view, context, model, name):
    return str(FIGURE_SOURCES.get(model.source, model.source))


def _actor() -> str:
    return getattr(current_user, "username", "") or ""


def _text(value) -> str:
    if value is None:
        return ""
    return format(value, "f") if isinstance(value, Decimal) else str(value)


class _SavedThroughFigures(AppGovModelView):
    """Create, update and delete through :mod:`.figures` instead of populating the row."""

    can_view_details = True
    key_fields: tuple[str, ...] = ()
    value_fields: tuple[str, ...] = ()

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        for name in self.key_fields:  # a record's app and period stay as they are
            if name in form:
                del form[name]
        if obj is not None and not is_form_submitted():
            for name in self.value_fields:
                form[name].data = _text(getattr(obj, name))
        return form

    def _refused(self, form, error: figures.FiguresError) -> None:
        get_state().session.rollback()
        for name, message in error.problems.items():
            target = form._fields.get(name) if form is not None else None
            if target is not None:
                target.errors = [message]
            flash(message, "danger")

    def _save(self, form, key):  # pragma: no cover - each view says how
        raise NotImplementedError

    def create_model(self, form):
        key = tuple(form[name].data for name in self.key_fields)
        try:
            saved = self._save(form, key)
            get_state().session.commit()
        except figures.FiguresError as error:
            self._refused(form, error)
            return False
        if saved.row is None:
            flash(_("Nothing was entered: no record was made."), "warning")
            return False
        self.after_model_change(form, saved.row, True)
        return saved.row

    def _all_blank(self, form) -> bool:
        return all(not str(form[name].data or "").strip() for name in self.value_fields)

    def update_model(self, form, model):
        key = tuple(getattr(model, name) for name in self.key_fields)
        if self._all_blank(form):  # a record is removed with Delete, not by emptying it
            first = form[self.value_fields[0]]
            first.errors = [_("Give at least one value; to remove the record, delete it.")]
            flash(first.errors[0], "danger")
            return False
        try:
            self._save(form, key)
            get_state().session.commit()
        except figures.FiguresError as error:
            self._refused(form, error)
            return False
        return True

    def delete_model(self, model):
        key = tuple(getattr(model, name) for name in self.key_fields)
        try:
            self._clear(key)
            get_state().session.commit()
        except figures.FiguresError as error:
            self._refused(None, error)
            return False
        except Exception as exc:  # pragma: no cover - Flask-Admin's own reporting
            get_state().session.rollback()
            flash(admin_gettext("Failed to delete record. %(error)s", error=str(exc)), "error")
            return False
        return True


_FIGURE_LABELS = {name: figures.LABELS[name] for name in ("year", "month", *figures.FIGURE_FIELDS)}


class AppFigureView(_SavedThroughFigures):
    """An app's figures of one month (KH-KPI-5; ratings KH-KPI-2)."""

    key_fields = ("app_id", "year", "month")
    value_fields = figures.FIGURE_FIELDS
    column_list = ("app_id", "year", "month", *figures.FIGURE_FIELDS, "source")
    column_details_list = (*column_list, "recorded_by", "recorded_at")
    column_default_sort = [("year", True), ("app_id", False), ("month", False)]
    column_filters = (
        "year",
        "month",
        OptionsFilterEqual(
            AppFigure.source,
            _l("Figures from"),
            options=lambda: [(k, str(v)) for k, v in FIGURE_SOURCES.items()],
        ),
    )
    column_labels = {
        "app_id": _l("App"),
        **_FIGURE_LABELS,
        "source": _l("Figures from"),
        "recorded_by": _l("Recorded by"),
        "recorded_at": _l("Recorded at"),
    }
    column_formatters = {"app_id": _app_column, "source": _source_column}
    column_formatters_detail = column_formatters
    form_columns = ("app_id", "year", "month", *figures.FIGURE_FIELDS)
    form_overrides = {
        "app_id": _ChoiceField,
        "year": StringField,
        "month": StringField,
        **dict.fromkeys(figures.FIGURE_FIELDS, StringField),
    }
    form_args = {
        "app_id": {"label": _l("App"), "options": _app_choices, "validators": [InputRequired()]},
        "year": {"validators": [InputRequired()]},
        "month": {"validators": [InputRequired()]},
        **{name: {"validators": [Optional()]} for name in figures.FIGURE_FIELDS},
    }

    def _save(self, form, key):
        app_id, year, month = key
        values = {name: form[name].data for name in figures.FIGURE_FIELDS}
        return figures.save_figures(app_id, year, month, values, "form", _actor())

    def _clear(self, key):
        app_id, year, month = key
        values = dict.fromkeys(figures.FIGURE_FIELDS)
        return figures.save_figures(app_id, year, month, values, "form", _actor())


class AppTargetView(_SavedThroughFigures):
    """An app's targets of one year (KH-KPI-1; TN-PERF-1)."""

    key_fields = ("app_id", "year")
    value_fields = figures.TARGET_FIELDS
    column_list = ("app_id", "year", *figures.TARGET_FIELDS)
    column_details_list = (*column_list, "set_by", "set_at")
    column_default_sort = [("year", True), ("app_id", False)]
    column_filters = ("year",)
    column_labels = {
        "app_id": _l("App"),
        "year": _l("Year"),
        **{name: figures.LABELS[name] for name in figures.TARGET_FIELDS},
        "set_by": _l("Set by"),
        "set_at": _l("Set at"),
    }
    column_formatters = {"app_id": _app_column}
    column_formatters_detail = column_formatters
    form_columns = ("app_id", "year", *figures.TARGET_FIELDS)
    form_overrides = {
        "app_id": _ChoiceField,
        "year": StringField,
        **dict.fromkeys(figures.TARGET_FIELDS, StringField),
    }
    form_args = {
        "app_id": {"label": _l("App"), "options": _app_choices, "validators": [InputRequired()]},
        "year": {"validators": [InputRequired()]},
        **{name: {"validators": [Optional()]} for name in figures.TARGET_FIELDS},
    }

    def _save(self, form, key):
        app_id, year = key
        values = {name: form[name].data for name in figures.TARGET_FIELDS}
        return figures.save_target(app_id, year, values, _actor())

    def _clear(self, key):
        app_id, year = key
        return figures.save_target(app_id, year, dict.fromkeys(figures.TARGET_FIELDS), _actor())


def admin_views(db) -> list:
    return [
        AppFigureView(
            AppFigure, db, name=_l("App figures"), category=CATEGORY, endpoint="appgov_eval_figures"
        ),
        AppTargetView(
            AppTarget, db, name=_l("App targets"), category=CATEGORY, endpoint="appgov_eval_targets"
        ),
    ]
