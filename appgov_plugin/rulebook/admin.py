"""The rulebook in Flask-Admin: the working calendar's overrides
(``appgov_calendar_override``) and the rule-parameter page (``appgov_parameters``): every
parameter with its rule ID, default, value in force, pending changes and history in words,
and a form per parameter kind to record an effective-dated change (``parameter_forms``)."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_login import current_user
from wtforms.validators import DataRequired, Length, Optional

from ..access import AdminOnly
from ..admin import AppGovModelView, strip
from ..clock import today
from ..i18n import (
    _,
    _l,
    format_date,
    parse_date,
    template_gettext,
)
from ..policy.changes import (
    needs_confirmation,
    parameter_overview,
    record_change,
    retroactive_refusal,
    spec_of,
)
from ..policy.database import REFUSED
from ..policy.display import template_helpers, value_text
from ..policy.models import CalendarOverride
from ..state import get_state
from .parameter_forms import change_form


def history_warnings(state) -> list[str]:
    """What the last policy reload found wrong in the parameter history (tampering with the
    database: see ``policy.database``), in the administrator's language."""
    warnings = []
    for link in state.database_layer.broken:
        try:
            label = str(spec_of(link.chain).label)
        except ValueError:
            label = link.chain
        if link.problem == REFUSED:
            text = _(
                "Change #%(id)s of %(label)s was altered outside appgov (it no longer "
                "matches its hash) and is not applied.",
                id=link.row_id,
                label=label,
            )
        else:
            text = _(
                "The history of %(label)s was altered outside appgov: rows before change "
                "#%(id)s were removed or added.",
                id=link.row_id,
                label=label,
            )
        warnings.append(text)
    return warnings


class RuleParametersView(AdminOnly, BaseView):
    def _render(self, template, **context):
        return self.render(template, _=template_gettext, **template_helpers(), **context)

    @expose("/")
    def index(self):
        # ?as_of= in ROC (115/11/22) or ISO form; a bad one is named beside the input
        typed = (request.args.get("as_of") or "").strip()
        as_of, as_of_error = today(), None
        if typed:
            try:
                as_of = parse_date(typed)
            except ValueError as exc:
                as_of_error = str(exc)
        rows = parameter_overview(get_state(), as_of)
        return self._render(
            "appgov/rulebook/admin/parameters.html",
            rows=rows,
            history_warnings=history_warnings(get_state()),
            as_of=as_of,
            as_of_text=typed if as_of_error else format_date(as_of, style="short"),
            as_of_error=as_of_error,
            change_url=lambda name: url_for(".change", parameter=name),
            show_keys=True,
        )

    @expose("/<parameter>", methods=("GET", "POST"))
    def change(self, parameter):
        name = parameter
        try:
            spec = spec_of(name)
        except ValueError:
            abort(404)
        state = get_state()
        row = next(r for r in parameter_overview(state) if r.spec.name == name)
        submitted = request.method == "POST"
        form = change_form(spec, row.current, submitted)
        if submitted:
            fields_ok = form.validate()
            value_ok, value = form.new_value()
            day = form.effective_from.data
            confirmed = bool(form.confirm_retroactive.data)
            if fields_ok and value_ok:
                try:
                    record_change(
                        state,
                        name,
                        value,
                        day,
                        form.reason.data,
                        current_user.username,
                        confirm_retroactive=confirmed,
                    )
                except ValueError as exc:
                    state.session.rollback()
                    form.refuse(exc)
                else:
                    state.session.commit()
                    flash(
                        _(
                            "%(label)s changes to %(value)s from %(day)s.",
                            label=spec.label,
                            value=value_text(spec, value),
                            day=format_date(day),
                        ),
                        "success",
                    )
                    return redirect(url_for(".index"))
            elif day is not None and needs_confirmation(day) and not confirmed:
                # named now, with the other errors; record_change refuses it too
                form.refuse(retroactive_refusal(day))
            form.add_spare_rows()
        return self._render(
            "appgov/rulebook/admin/parameter_change.html", row=row, form=form, show_keys=True
        )


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
        "name": {"filters": [strip], "validators": [DataRequired()]},
        "name_en": {"filters": [strip], "validators": [DataRequired()]},
        "reason": {"validators": [Optional(), Length(max=2000)]},
    }

    def on_model_change(self, form, model, is_created):
        # a second override of the same day is refused by the form's unique check
        model.created_by = getattr(current_user, "username", None)


def admin_views(db) -> list:
    parameters = RuleParametersView(
        name=_l("Rule parameters"), category=_l("Rules"), endpoint="appgov_parameters"
    )
    if not getattr(parameters, "description", None):
        parameters.description = _l(
            "Rule parameters: values of the rules in force, effective-dated, with history."
        )
    return [
        CalendarOverrideView(
            CalendarOverride,
            db,
            name=_l("Working calendar"),
            category=_l("Rules"),
            endpoint="appgov_calendar_override",
        ),
        parameters,
    ]
