"""The rule-parameter page of Flask-Admin: every parameter with its rule ID, default, value
in force, pending changes and history, and a form to record an effective-dated change."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_login import current_user
from wtforms import DateField, TextAreaField
from wtforms.validators import InputRequired, Length

from ..access import AdminOnly
from ..clock import today
from ..forms.builder import AppGovForm
from ..i18n import _, _l, format_date, template_gettext
from ..policy.changes import as_text, parameter_overview, parse_value, record_change, spec_of
from ..state import get_state
from ..web import request_as_of


class ParameterChangeForm(AppGovForm):
    value = TextAreaField(
        _l("New value"),
        validators=[InputRequired()],
        description=_l("A number, true/false, a profile name or a JSON list as shown."),
    )
    effective_from = DateField(_l("Effective from"), validators=[InputRequired()])
    reason = TextAreaField(_l("Reason"), validators=[InputRequired(), Length(max=2000)])


class RuleParametersView(AdminOnly, BaseView):
    def _render(self, template, **context):
        return self.render(
            template, _=template_gettext, as_text=as_text, format_date=format_date, **context
        )

    @expose("/")
    def index(self):
        as_of = request_as_of() or today()
        return self._render(
            "appgov/admin/parameters.html",
            rows=parameter_overview(get_state(), as_of),
            as_of=as_of,
            change_url=lambda name: url_for(".change", parameter=name),
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
        form = ParameterChangeForm()
        if request.method == "GET":
            form.value.data = as_text(row.current)
            form.effective_from.data = today()
        if form.validate_on_submit():
            try:
                record_change(
                    state,
                    name,
                    parse_value(form.value.data),
                    form.effective_from.data,
                    form.reason.data,
                    current_user.username,
                )
            except ValueError as exc:
                state.session.rollback()
                form.value.errors.append(str(exc))
            else:
                state.session.commit()
                flash(
                    _(
                        "%(label)s changes to %(value)s from %(day)s.",
                        label=spec.label,
                        value=form.value.data.strip(),
                        day=format_date(form.effective_from.data),
                    ),
                    "success",
                )
                return redirect(url_for(".index"))
        return self._render("appgov/admin/parameter_change.html", row=row, form=form)
