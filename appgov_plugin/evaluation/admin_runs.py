"""Flask-Admin: the evaluation runs (``appgov_eval_run``, endpoint ``appgov_eval_runs``,
administrators only) -- a read-only list of every run (who, when, from where, the
evaluation date, status, progress) and the "Run the evaluation" form (year, optional
evaluation date; issue 14 item 2, rules KH-KPI-1..4 or TN-PERF-1 by the profile).

The form records the run (:func:`.run.start_run` commits it as ``running``), then the work
(:func:`.run.carry_out`) goes into a background thread with its own application context and
session; the browser is sent to the run's page, whose ``<progress>`` bar polls
``progress/<id>.json`` (done, total, status) through ``appgov-eval-progress.js`` served from
the package, and which refreshes itself without JavaScript. A refused year or date is shown
on the form with the field named, and nothing is written.

``APPGOV_EVALUATION_IN_REQUEST = True`` (tests) runs the work inside the request instead;
:data:`THREADS` keeps the threads started (a test may join them).
"""

from __future__ import annotations

import threading

from flask import abort, current_app, jsonify, redirect, request
from flask_admin import expose
from flask_login import current_user
from wtforms import SubmitField
from wtforms.validators import InputRequired, Optional

from .. import web
from ..admin import AppGovModelView
from ..forms.builder import AppGovForm
from ..forms.fields import TaiwanDateField, WholeNumberField
from ..i18n import _, _l, format_date, format_datetime, template_gettext
from ..state import get_state
from . import run as evaluation_run
from .models import RUN_STATUSES, EvaluationRun

web.blueprint.add_templates(__file__)

CATEGORY = _l("Evaluation")
#: run id -> the thread doing its work (the latest ones)
THREADS: dict[int, threading.Thread] = {}


class RunForm(AppGovForm):
    """The year to evaluate and, optionally, the evaluation date (its rule parameters)."""

    year = WholeNumberField(_l("Year to evaluate"), validators=[InputRequired()])
    evaluated_on = TaiwanDateField(
        _l("Evaluation date (empty: 31 December of the year)"), validators=[Optional()]
    )
    submit = SubmitField(_l("Run the evaluation"))


def _status_column(view, context, model, name):
    return RUN_STATUSES.get(model.status, model.status)


def _progress_column(view, context, model, name):
    return f"{model.done} / {model.total}"


def _date_column(view, context, model, name):
    value = getattr(model, name)
    return format_date(value) if value else ""


def _time_column(view, context, model, name):
    value = getattr(model, name)
    return format_datetime(value) if value else ""


def _work(app, run_id: int) -> None:
    """The run's work in a thread: its own application context and session."""
    with app.app_context():
        try:
            evaluation_run.carry_out(run_id)
        except Exception:  # recorded on the run (failed, its error) by carry_out
            app.logger.exception("appgov: evaluation run %s failed", run_id)
        finally:
            get_state().session.remove()


def launch(run_id: int) -> None:
    """Carry out the recorded run ``run_id``: in a background thread, or in the request
    when ``APPGOV_EVALUATION_IN_REQUEST`` is set."""
    app = current_app._get_current_object()
    if app.config.get("APPGOV_EVALUATION_IN_REQUEST"):
        try:
            evaluation_run.carry_out(run_id)
        except Exception:
            app.logger.exception("appgov: evaluation run %s failed", run_id)
        return
    thread = threading.Thread(
        target=_work, args=(app, run_id), name=f"appgov-evaluation-{run_id}", daemon=True
    )
    THREADS[run_id] = thread
    thread.start()


def progress_of(run: EvaluationRun) -> dict:
    """What the progress bar shows (the JSON endpoint's answer)."""
    return {
        "id": run.id,
        "year": run.year,
        "status": run.status,
        "status_label": str(RUN_STATUSES.get(run.status, run.status)),
        "done": run.done,
        "total": run.total,
        "finished": run.status != "running",
        "count_label": _("%(done)s of %(total)s apps", done=str(run.done), total=str(run.total)),
    }


class EvaluationRunView(AppGovModelView):
    """The runs, newest first (read-only), and the form that starts one."""

    can_create = False
    can_edit = False
    can_delete = False
    can_view_details = True
    list_template = "appgov/evaluation/admin/runs_list.html"
    column_list = (
        "id",
        "year",
        "profile",
        "evaluated_on",
        "actor",
        "started_from",
        "started_at",
        "finished_at",
        "status",
        "done",
    )
    column_details_list = (*column_list, "total", "parameters", "summary", "error")
    column_default_sort = ("id", True)
    column_filters = ("year", "status", "actor")
    column_labels = {
        "id": _l("Run"),
        "year": _l("Year"),
        "profile": _l("Profile"),
        "evaluated_on": _l("Evaluation date"),
        "actor": _l("Started by"),
        "started_from": _l("Started from"),
        "started_at": _l("Started"),
        "finished_at": _l("Finished"),
        "status": _l("Status"),
        "done": _l("Progress (apps)"),
        "total": _l("Apps"),
        "parameters": _l("Rule parameters in force"),
        "summary": _l("What it did"),
        "error": _l("Error"),
    }
    column_formatters = {
        "status": _status_column,
        "done": _progress_column,
        "evaluated_on": _date_column,
        "started_at": _time_column,
        "finished_at": _time_column,
    }
    column_formatters_detail = column_formatters

    def render(self, template, **kwargs):
        # appgov's own catalog in appgov's templates (Flask-Admin's uses ``_gettext``)
        kwargs.setdefault("_", template_gettext)
        kwargs.setdefault("format_date", format_date)
        if template == self.list_template and "run_form" not in kwargs:
            kwargs["run_form"] = RunForm(formdata=None)
            kwargs["run_action"] = self.get_url(".start")
        return super().render(template, **kwargs)

    @expose("/run", methods=("GET", "POST"))
    def start(self):
        """The form; a valid POST records the run and sends the browser to its progress."""
        form = RunForm()
        status = 200
        if request.method == "POST":
            if form.validate():
                try:
                    run = evaluation_run.start_run(
                        form.year.data,
                        actor=current_user.username,
                        started_from="admin",
                        evaluated_on=form.evaluated_on.data,
                    )
                except evaluation_run.EvaluationError as refused:
                    field = form.year if refused.field == "year" else form.evaluated_on
                    field.errors = [str(refused)]
                else:
                    launch(run.id)
                    return redirect(self.get_url(".progress", run_id=run.id), code=303)
            status = 400
        return self.render(
            "appgov/evaluation/admin/run_start.html",
            run_form=form,
            run_action=self.get_url(".start"),
        ), status

    def _run(self, run_id: int) -> EvaluationRun:
        session = get_state().session
        session.expire_all()  # the thread's commits
        run = session.get(EvaluationRun, run_id)
        if run is None:
            abort(404)
        return run

    @expose("/progress/<int:run_id>")
    def progress(self, run_id: int):
        run = self._run(run_id)
        return self.render(
            "appgov/evaluation/admin/run_progress.html",
            run=run,
            progress=progress_of(run),
            json_url=self.get_url(".progress_json", run_id=run.id),
            summary=run_summary(run),
        )

    @expose("/progress/<int:run_id>.json")
    def progress_json(self, run_id: int):
        answer = jsonify(progress_of(self._run(run_id)))
        answer.headers["Cache-Control"] = "no-store"
        return answer


def run_summary(run: EvaluationRun) -> list[str]:
    """The finished run's summary, in the reader's language."""
    if run.status != "done":
        return []
    from .run_cli import summary_lines

    return summary_lines(run)[1:]


def admin_views(db) -> list:
    return [
        EvaluationRunView(
            EvaluationRun,
            db,
            name=_l("Evaluation runs"),
            category=CATEGORY,
            endpoint="appgov_eval_runs",
        )
    ]


__all__ = ["EvaluationRunView", "RunForm", "THREADS", "admin_views", "launch", "_"]
