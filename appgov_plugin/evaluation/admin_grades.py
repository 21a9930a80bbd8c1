"""Flask-Admin view of the roll-out scores (``appgov_rollout_score``, TP-GRADE-0..2).

The administrator creates and corrects scores here through the same check as the IT
department's form and the import (:func:`.grades.check_score`): the grade is never typed, it
follows from the score by the bands in force (TP-GRADE-1); the review case is opened from the
ranking page (TP-GRADE-2), never here.
"""

from __future__ import annotations

from flask import flash
from flask_admin.helpers import is_form_submitted
from flask_login import current_user
from wtforms import BooleanField, DecimalField, IntegerField, SelectField, StringField
from wtforms.validators import InputRequired, Optional

from ..admin import AppGovModelView, LocalizedModelView, OptionsFilterEqual, labels
from ..i18n import _, _l
from ..rollout.admin import _agency_column, _choice_column, _system_choices, _system_column
from ..training.admin import _ChoiceField
from . import grades
from .models import GRADES, SCORE_STAGES, RolloutScore

CATEGORY = _l("Evaluation")


def _group_column(view, context, model, name):
    return grades.group_label(model.group_key)


class RolloutScoreView(AppGovModelView):
    """TP-GRADE-0..2: an agency's score of a major system and year, its grade and group."""

    can_view_details = True
    column_list = ("agency_code", "system_id", "year", "stage", "score", "grade", "group_key")
    column_details_list = (
        *column_list,
        "in_it_evaluation",
        "review_case_id",
        "note",
        "source",
        "recorded_by",
        "recorded_at",
    )
    column_searchable_list = ("agency_code",)
    column_default_sort = [("year", True), ("system_id", False), ("score", True)]
    column_filters = (
        "year",
        OptionsFilterEqual(
            RolloutScore.grade, _l("Grade"), options=lambda: [(g, g) for g in GRADES]
        ),
        OptionsFilterEqual(RolloutScore.system_id, _l("System"), options=_system_choices),
        OptionsFilterEqual(RolloutScore.stage, _l("Stage"), options=lambda: labels(SCORE_STAGES)),
    )
    column_labels = {
        "agency_code": _l("Agency"),
        "system_id": _l("System"),
        "year": _l("Year"),
        "stage": _l("Stage"),
        "score": _l("Score"),
        "grade": _l("Grade"),
        "group_key": _l("Group"),
        "in_it_evaluation": _l("In the yearly IT evaluation"),
        "review_case_id": _l("Review-report case"),
        "note": _l("Note"),
        "source": _l("Source"),
        "recorded_by": _l("Recorded by"),
        "recorded_at": _l("Recorded at"),
    }
    column_descriptions = {
        "grade": _l("From the score, by the bands in force on the year's last day (TP-GRADE-1)."),
        "group_key": _l(
            "Agencies are ranked within the group of their business's nature; empty: the "
            "agency's kind in the roll-out registry (TP-GRADE-0)."
        ),
    }
    column_formatters = {
        "agency_code": _agency_column,
        "system_id": _system_column,
        "stage": _choice_column(SCORE_STAGES),
        "group_key": _group_column,
        "source": _choice_column(grades.SCORE_SOURCES),
    }
    column_formatters_detail = column_formatters
    form_columns = (
        "agency_code",
        "system_id",
        "year",
        "stage",
        "score",
        "group_key",
        "in_it_evaluation",
        "note",
    )
    form_overrides = {
        "agency_code": StringField,
        "system_id": _ChoiceField,
        "year": IntegerField,
        "stage": SelectField,
        "score": DecimalField,
        "group_key": StringField,
        "in_it_evaluation": BooleanField,
    }
    form_args = {
        "agency_code": {"validators": [InputRequired()]},
        "system_id": {
            "label": _l("System"),
            "options": _system_choices,
            "validators": [InputRequired()],
        },
        "year": {"validators": [InputRequired()]},
        "stage": {"choices": lambda: labels(SCORE_STAGES), "validators": [InputRequired()]},
        "score": {"validators": [InputRequired()], "places": None},
        "group_key": {"label": _l("Group"), "validators": [Optional()]},
        "note": {"validators": [Optional()]},
    }

    def _checked(self, form) -> grades.ScoreValues | dict[str, str]:
        raw = {
            "agency_code": form.agency_code.data,
            "system": form.system_id.data,
            "year": form.year.data,
            "stage": form.stage.data,
            "score": form.score.data,
            "group": form.group_key.data,
            "in_it_evaluation": form.in_it_evaluation.data,
            "note": form.note.data,
        }
        obj = getattr(form, "_obj", None)
        code = (raw["agency_code"] or "").strip()
        known = grades.Known.load(None, agencies=[code] if code else [])
        try:
            return grades.check_score(raw, known, own_id=obj.id if obj is not None else None)
        except grades.ScoreError as error:
            return error.problems

    def validate_form(self, form) -> bool:
        if not is_form_submitted() or form.__class__ in self._helper_forms():
            return super().validate_form(form)
        valid = super(LocalizedModelView, self).validate_form(form)
        checked = self._checked(form)
        problems = checked if isinstance(checked, dict) else {}
        fields = {"system": "system_id", "group": "group_key"}
        for name, message in problems.items():
            target = form._fields.get(fields.get(name, name))
            if target is None:
                flash(message, "danger")
            elif not target.errors:
                target.errors = [message]
        names = [str(f.label.text) for f in form if f.errors]
        if names:
            flash(_("Please correct: %(fields)s.", fields=_(", ").join(names)), "danger")
        if valid and not problems:
            form._grades_values = checked
        return valid and not problems

    def on_model_change(self, form, model, is_created):
        values = getattr(form, "_grades_values", None) or self._checked(form)
        if isinstance(values, dict):  # pragma: no cover - validate_form refused it
            raise ValueError("; ".join(values.values()))
        grades.apply_values(model, values)
        model.source = "admin"
        model.recorded_by = getattr(current_user, "username", "") or ""


def admin_views(db) -> list:
    return [
        RolloutScoreView(
            RolloutScore,
            db,
            name=_l("Roll-out scores"),
            category=CATEGORY,
            endpoint="appgov_eval_rollout_score",
        )
    ]
