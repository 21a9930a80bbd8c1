"""The app evaluation the deployment's rules call for: Kaohsiung's KPI table (KH-KPI-1..3),
Tainan's own targets (TN-PERF-1/3)."""

from __future__ import annotations

from decimal import Decimal

from flask import abort, render_template, request, url_for
from flask_login import login_required
from wtforms.validators import InputRequired, Optional

from ..clock import today
from ..forms.builder import AppGovForm, Bounds, DecimalNumberField, WholeNumberField
from ..forms.fields import TaiwanDateField
from ..i18n import _, _l, format_date, format_number
from ..policy import PARAMETERS
from ..state import get_state
from ..web import blueprint
from .kpi import EVALUATIONS, MAX_COUNT, MAX_POPULATION, evaluate, evaluate_targets, evaluations

blueprint.add_templates(__file__)


def _count_field(label, maximum=MAX_COUNT, required=False):
    check = InputRequired() if required else Optional()
    return WholeNumberField(label, validators=[check, Bounds(0, maximum)])


def _decimal_field(label, maximum):
    return DecimalNumberField(
        label, places=None, validators=[Optional(), Bounds(Decimal(0), Decimal(maximum))]
    )


class KaohsiungKpiForm(AppGovForm):
    """KH-KPI-1..3: target population, downloads and both stores' ratings."""

    evaluated_on = TaiwanDateField(_l("Evaluation date"), validators=[InputRequired()])
    population = _count_field(_l("Target population"), MAX_POPULATION, required=True)
    downloads = _count_field(_l("Downloads"), required=True)
    ios_average = _decimal_field(_l("iOS average rating"), 5)
    ios_count = _count_field(_l("iOS number of ratings"))
    android_average = _decimal_field(_l("Android average rating"), 5)
    android_count = _count_field(_l("Android number of ratings"))

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        for average, count in (
            (self.ios_average, self.ios_count),
            (self.android_average, self.android_count),
        ):
            if average.data is None and count.data is not None and not average.errors:
                average.errors.append(_("Give the average rating of this number of ratings."))
                valid = False
        if (
            self.ios_average.data is None
            and self.android_average.data is None
            and not (self.ios_average.errors or self.android_average.errors)
        ):
            self.ios_average.errors.append(_("Give at least one store's average rating."))
            valid = False
        return valid

    def evaluate(self, policy):
        def side(average, count):
            return None if average.data is None else (average.data, count.data)

        return evaluate(
            policy,
            self.population.data,
            self.downloads.data,
            ios=side(self.ios_average, self.ios_count),
            android=side(self.android_average, self.android_count),
        )


class TainanTargetsForm(AppGovForm):
    """TN-PERF-1: each measure beside the target the agency set for it."""

    evaluated_on = TaiwanDateField(_l("Evaluation date"), validators=[InputRequired()])
    installs = _count_field(_l("Installs"))
    installs_target = _count_field(_l("Installs the agency aims for (at least)"))
    uninstalls = _count_field(_l("Uninstalls"))
    uninstalls_limit = _count_field(_l("Uninstalls the agency accepts (at most)"))
    rating = _decimal_field(_l("Store rating (average stars)"), 5)
    rating_target = _decimal_field(_l("Store rating the agency aims for (at least)"), 5)
    reviews = _count_field(_l("Store reviews received"))
    reviews_handled = _count_field(_l("Store reviews handled"))
    handled_target_percent = _decimal_field(
        _l("Share of reviews the agency aims to handle (percent, at least)"), 100
    )

    #: (value field, target field) of each measure (rule TN-PERF-1)
    PAIRS = (
        ("installs", "installs_target"),
        ("uninstalls", "uninstalls_limit"),
        ("rating", "rating_target"),
        ("reviews_handled", "handled_target_percent"),
    )

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if self.reviews_handled.data is not None and self.reviews.data is None:
            self.reviews.errors.append(_("Give the number of reviews received too."))
            valid = False
        if (
            self.reviews_handled.data is not None
            and self.reviews.data is not None
            and self.reviews_handled.data > self.reviews.data
        ):
            self.reviews_handled.errors.append(
                _(
                    "More reviews handled than received (%(count)s).",
                    count=format_number(self.reviews.data),
                )
            )
            valid = False
        given = 0
        for value_name, target_name in self.PAIRS:
            value, target = self[value_name], self[target_name]
            if value.errors or target.errors:
                continue
            if value.data is not None and target.data is None:
                target.errors.append(_("Give the agency's target for this measure too."))
                valid = False
            elif value.data is None and target.data is not None:
                value.errors.append(_("Give the measured value beside the agency's target."))
                valid = False
            elif value.data is not None:
                given += 1
        if valid and not given:
            self.installs.errors.append(
                _("Give at least one measure with the target the agency set (TN-PERF-1).")
            )
            valid = False
        return valid

    def evaluate(self, policy):
        return evaluate_targets(
            policy,
            **{name: self[name].data for pair in self.PAIRS for name in pair},
            reviews=self.reviews.data,
        )


KPI_FORMS = {"kaohsiung": KaohsiungKpiForm, "tainan": TainanTargetsForm}


@blueprint.route("/kpi", methods=["GET", "POST"])
@login_required
def kpi():
    """The app evaluation the deployment's rules call for (``?evaluation=kaohsiung`` for
    KH-KPI-1..3, ``tainan`` for TN-PERF-1/3), with the rules in force on the evaluation
    date; where none applies (Taipei), which the deployment could adopt."""
    state = get_state()
    current = state.policy()
    available = evaluations(current)
    choices = [(key, EVALUATIONS[key].label, EVALUATIONS[key].rules) for key in available]
    adoptable = [(e.key, e.label, e.rules) for e in EVALUATIONS.values() if e.key not in available]
    chosen = request.args.get("evaluation") or (available[0] if available else None)
    page = {
        "policy_profile": current.profile,
        "choices": choices,
        "adoptable": adoptable,
        "adopted_label": PARAMETERS["adopted_rules"].label,
        "plan_rule": current.applies("KH-KPI-3"),
        "tn_perf_2": current.applies("TN-PERF-2"),
        "one_decimal": Decimal("0.1"),
    }
    if chosen is None:
        return render_template(
            "appgov/evaluation/kpi.html", form=None, result=None, chosen=None, **page
        )
    if chosen not in available:
        abort(404)
    form = KPI_FORMS[chosen]()
    if request.method == "GET":
        form.evaluated_on.data = today()
    result = None
    if form.validate_on_submit():
        then = state.policy(as_of=form.evaluated_on.data)
        if chosen in evaluations(then):
            result = form.evaluate(then)
        else:
            form.evaluated_on.errors.append(
                _(
                    "On %(date)s this deployment did not apply %(rules)s.",
                    date=format_date(then.as_of),
                    rules=", ".join(EVALUATIONS[chosen].requires),
                )
            )
    return render_template(
        "appgov/evaluation/kpi.html",
        form=form,
        result=result,
        chosen=chosen,
        action=url_for("appgov.kpi", evaluation=chosen),
        **page,
    )
