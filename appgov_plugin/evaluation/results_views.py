"""The yearly evaluation's results pages (issue 14, items 2 and 4): what
:func:`.run.evaluate_year` wrote, read in the reader's scope.

* ``/appgov/evaluation/results?year=&agency=&outcome=&evaluation=&page=``
  (``appgov.evaluation_results``) -- the year's results, one row per app, with the columns
  of the evaluation that produced them: Kaohsiung's (KH-KPI-1..4: target population, band
  rate, download target, downloads, combined rating, pass/fail, the reason, the plans
  needed, the consecutive failing years and the plan / forced-delisting cases) or Tainan's
  (TN-PERF-1: each measure against the target the agency set itself, met or not; pass/fail,
  the reason, the failing years (TN-DEL-1 (6)) and the review-report case). Pages of
  :data:`PER_PAGE`; ``/appgov/evaluation/results.csv|xlsx|ods`` with the same filters: every
  row the filters show (all pages), the same columns.
* ``/appgov/evaluation/results/<id>`` (``appgov.evaluation_result``) -- one app's result:
  the figures used, the rules, the run that wrote it (who, when, the evaluation date and
  the rule parameters in force on it) and the app's other years.
* ``POST /appgov/evaluation/results/<id>/review-request`` -- Tainan (TN-PERF-1, TN-PERF-3,
  TN-DEL-1 (6)): the authority asks the agency of a failed result for a review report and
  improvement measures or a delisting evaluation (case ``appgov_perf_review``), once per
  app and year: a second request points to the case opened first.
* ``/appgov/evaluation/runs`` (``appgov.evaluation_runs``) -- the runs: who, when, from
  where, the evaluation date, the parameters in force and what each did (the authority and
  the administrator).

The reason is worded in the reader's language from the result's fields (the stored
``reason`` is the run's English record, shown to nobody here).

Who reads what (:mod:`.access`): the administrator everything; the authority, the IT
department and the mayor's office their city's apps; an agency's staff and head their own
agency's apps; every other role 403. A result outside the reader's scope answers 404, as a
missing one does. A deployment that runs no app evaluation (the Taipei profile) gets a page
that says so and which evaluations it could adopt: the navigation shows the link to every
reader, and a 404 behind a menu entry would read as a broken link.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..access import agency_name
from ..apps.models import App
from ..clock import today
from ..exports import Table, export_response
from ..forms.builder import AppGovForm
from ..host.contract import ContractError
from ..i18n import _, _l, current_locale, format_date, format_datetime, format_number
from ..lifecycle import plans, registry
from ..paging import Paging, read_page
from ..policy import PARAMETERS
from ..policy.display import value_text
from ..rollout.views import case_url
from ..state import get_state
from ..training.hours_views import year_label
from ..web import blueprint
from . import access
from .kpi import EVALUATIONS, MEASURES, evaluations
from .models import FIRST_YEAR, RUN_STATUSES, AppEvaluation, EvaluationRun
from .review_case_types import PERF_REVIEW

blueprint.add_templates(__file__)

#: Results per page (the exports hold every row the filters show).
PER_PAGE = 50
#: Runs per page of the runs list.
RUNS_PER_PAGE = 20
EXPORT_FORMATS = ("csv", "xlsx", "ods")
#: The outcome filter's values.
OUTCOMES = ("passed", "failed")
#: The rule whose adoption lets the authority ask for a review report (TN-PERF-1).
REVIEW_RULE = "TN-PERF-1"
#: Where the run's sources come from (``EvaluationRun.started_from``).
STARTED_FROM = {"cli": "flask appgov evaluate", "admin": "Flask-Admin"}


def _policy():
    return get_state().policy()


def _actor() -> str:
    return getattr(current_user, "username", "") or ""


# -- words -------------------------------------------------------------------------------------


def outcome_word(result: AppEvaluation) -> str:
    """Pass or fail as a word (never a colour alone): KH-KPI-1/2, TN-PERF-1."""
    if result.passed:
        return _("Passed")
    if result.evaluation == "kaohsiung":
        return _("Below the KPI")
    return _("Below the agency's targets")


def met_word(met: bool | None) -> str:
    if met is None:
        return ""
    return _("met") if met else _("not met")


def _percent(value) -> str:
    return f"{format_number(value)}%"


def _number(value) -> Any:
    """A stored figure as a number (a check's text value becomes an int or a Decimal)."""
    if value is None or isinstance(value, int | Decimal):
        return value
    text = str(value)
    return int(text) if text.isdigit() else Decimal(text)


def rating_bar(run: EvaluationRun | None):
    """rule KH-KPI-2: the bar in force on the run's evaluation date (its recorded
    parameters), else today's."""
    recorded = ((run.parameters or {}).get("parameters") or {}).get("rating_bar") if run else None
    if recorded is not None:
        return Decimal(str(recorded))
    return _policy().param("rating_bar")


def reason_text(result: AppEvaluation, run: EvaluationRun | None) -> str:
    """Why the result passed or failed, in the reader's language, from the result's fields
    (the rules cited: KH-KPI-1..3, TN-PERF-1, TN-PERF-3, TN-DEL-1 (6))."""
    if result.evaluation == "kaohsiung":
        if result.passed:
            return _("Download target and rating met (KH-KPI-1, KH-KPI-2).")
        parts = []
        if result.downloads_pass is False:
            parts.append(
                _(
                    "Downloads %(downloads)s below the target %(target)s (%(rate)s of "
                    "%(population)s people) (KH-KPI-1).",
                    downloads=format_number(result.downloads),
                    target=format_number(result.download_target),
                    rate=_percent(result.band_rate),
                    population=format_number(result.population),
                )
            )
        if result.rating_pass is False:
            bar = format_number(rating_bar(run))
            parts.append(
                _("No rating known: not above %(bar)s (KH-KPI-2).", bar=bar)
                if result.combined_rating is None
                else _(
                    "Combined rating %(rating)s not above %(bar)s (KH-KPI-2).",
                    rating=format_number(result.combined_rating),
                    bar=bar,
                )
            )
        if result.needs_improvement_plan or result.needs_marketing_plan:
            parts.append(_("An improvement and marketing plan is needed (KH-KPI-3)."))
        return " ".join(parts)
    if result.passed:
        return _("The agency's own targets met (TN-PERF-1).")
    missed = [str(MEASURES.get(c["measure"], c["measure"])) for c in result.checks if not c["met"]]
    return _(
        "Below the agency's own targets: %(measures)s (TN-PERF-1). The authority may ask for "
        "a review report and improvement measures or a delisting evaluation (TN-PERF-3, "
        "TN-DEL-1 (6)).",
        measures=("、" if current_locale() == "zh_Hant_TW" else ", ").join(missed),
    )


def plans_text(result: AppEvaluation) -> str:
    """rule KH-KPI-3: the parts of the plan the result needs."""
    parts = []
    if result.needs_improvement_plan:
        parts.append(_("Improvement part (rating)."))
    if result.needs_marketing_plan:
        parts.append(_("Marketing part (downloads)."))
    return " ".join(parts) if parts else _("Not needed.")


def cases_of(result: AppEvaluation) -> list[tuple[str, int]]:
    """The cases the evaluation (or the authority) opened: (label, case id)."""
    found = []
    if result.plan_case_id:
        found.append((_("Plan: case %(id)s", id=result.plan_case_id), result.plan_case_id))
    if result.delisting_case_id:
        found.append(
            (
                _("Forced delisting: case %(id)s", id=result.delisting_case_id),
                result.delisting_case_id,
            )
        )
    if result.review_case_id:
        found.append(
            (_("Review report: case %(id)s", id=result.review_case_id), result.review_case_id)
        )
    return found


def check_of(result: AppEvaluation, measure: str) -> dict | None:
    return next((c for c in result.checks or () if c.get("measure") == measure), None)


# -- the columns ----------------------------------------------------------------------------------


def columns(kind: str) -> list[tuple[str, str]]:
    """(key, header) of the result table of evaluation ``kind``: the page and the exports."""
    head = [("app", _("App")), ("agency", _("Agency"))]
    if kind == "kaohsiung":
        body = [
            ("population", _("Target population")),
            ("band_rate", _("Band rate, percent (KH-KPI-1)")),
            ("download_target", _("Download target")),
            ("downloads", _("Downloads")),
            ("combined_rating", _("Combined rating (KH-KPI-2)")),
            ("result", _("Result")),
            ("reason", _("Reason")),
            ("plans", _("Plan needed (KH-KPI-3)")),
            ("failing_years", _("Consecutive failing years (KH-KPI-4)")),
            ("cases", _("Cases")),
        ]
    else:
        body = []
        for measure, label in MEASURES.items():
            unit = ""
            if measure == "review_handling":
                unit = "（%）" if current_locale() == "zh_Hant_TW" else " (%)"
            bound = _("at most") if measure == "uninstalls" else _("at least")
            body += [
                (f"{measure}:value", f"{label}{unit}"),
                (
                    f"{measure}:target",
                    _("%(measure)s: the agency's target (%(bound)s)", measure=label, bound=bound)
                    + unit,
                ),
                (f"{measure}:met", _("%(measure)s: met", measure=label)),
            ]
        body += [
            ("result", _("Result")),
            ("reason", _("Reason")),
            ("failing_years", _("Consecutive failing years (TN-DEL-1 (6))")),
            ("cases", _("Review report (TN-PERF-1)")),
        ]
    return head + body


def cell(key: str, result: AppEvaluation, app: App, run: EvaluationRun | None) -> Any:
    """The value of column ``key`` for one result, as the exports hold it (the page formats
    numbers with the locale's separators)."""
    if key == "app":
        return app.name
    if key == "agency":
        return agency_name(app.agency_code)
    if key == "result":
        return outcome_word(result)
    if key == "reason":
        return reason_text(result, run)
    if key == "plans":
        return plans_text(result)
    if key == "cases":
        return "; ".join(label for label, _case in cases_of(result))
    if ":" in key:
        measure, part = key.split(":")
        check = check_of(result, measure)
        if check is None:
            return _("no target") if part == "met" else None
        if part == "met":
            return met_word(check["met"])
        return _number(check[part])
    return getattr(result, key)


# -- the filters --------------------------------------------------------------------------------


@dataclass
class Filters:
    year: int
    agency: str = ""
    outcome: str = ""
    evaluation: str = ""
    page: int = 1
    errors: list[str] = field(default_factory=list)
    years: list[int] = field(default_factory=list)
    agencies: list[tuple[str, str]] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)

    def kept(self) -> dict:
        out: dict = {"year": self.year}
        if self.agency:
            out["agency"] = self.agency
        if self.outcome:
            out["outcome"] = self.outcome
        if self.evaluation and len(self.kinds) > 1:
            out["evaluation"] = self.evaluation
        return out

    @property
    def filtered(self) -> bool:
        return bool(self.agency or self.outcome)


def _in_scope(query, scope: set[str] | None):
    return query if scope is None else query.where(App.agency_code.in_(sorted(scope)))


def read_filters(args, scope: set[str] | None) -> Filters:
    """The filters from the query string; each bad one named in ``errors`` (three queries:
    the years, the agencies and the evaluations with results in the reader's scope)."""
    session = get_state().session
    joined = sa.select(AppEvaluation.year).join(App, App.id == AppEvaluation.app_id)
    years = sorted(set(session.scalars(_in_scope(joined.distinct(), scope))), reverse=True)
    errors: list[str] = []
    last = today().year
    year = years[0] if years else last - 1
    given = (args.get("year") or "").strip()
    if given:
        ok = given.isascii() and given.isdigit() and len(given) == 4
        if ok and FIRST_YEAR <= int(given) <= last:
            year = int(given)
        else:
            errors.append(
                _(
                    "Year: “%(value)s” is not a year from %(first)s to %(last)s.",
                    value=given[:10],
                    first=FIRST_YEAR,
                    last=last,
                )
            )
    codes = set(
        session.scalars(
            _in_scope(
                sa.select(App.agency_code)
                .join(AppEvaluation, AppEvaluation.app_id == App.id)
                .distinct(),
                scope,
            )
        )
    )
    allowed = codes | (scope or set())
    agencies = sorted(((c, agency_name(c)) for c in codes), key=lambda a: (a[1], a[0]))
    agency = (args.get("agency") or "").strip()
    if agency and agency not in allowed:
        errors.append(_("Agency: “%(value)s” is not an agency you may see.", value=agency[:40]))
        agency = ""
    outcome = (args.get("outcome") or "").strip()
    if outcome and outcome not in OUTCOMES:
        errors.append(
            _(
                "Result: “%(value)s” is not one of %(choices)s.",
                value=outcome[:20],
                choices=", ".join(OUTCOMES),
            )
        )
        outcome = ""
    present = set(
        session.scalars(
            _in_scope(
                sa.select(AppEvaluation.evaluation)
                .join(App, App.id == AppEvaluation.app_id)
                .where(AppEvaluation.year == year)
                .distinct(),
                scope,
            )
        )
    )
    kinds = [key for key in EVALUATIONS if key in present]
    runs_here = evaluations(_policy())
    evaluation = (args.get("evaluation") or "").strip()
    if evaluation and evaluation not in EVALUATIONS:
        errors.append(
            _(
                "Evaluation: “%(value)s” is not one of %(choices)s.",
                value=evaluation[:20],
                choices=", ".join(EVALUATIONS),
            )
        )
        evaluation = ""
    if not evaluation:
        evaluation = (kinds or runs_here or list(EVALUATIONS))[0]
    page, problem = read_page(args.get("page"))
    if problem:
        errors.append(problem)
    if year not in years:
        years = sorted({*years, year}, reverse=True)
    return Filters(year, agency, outcome, evaluation, page, errors, years, agencies, kinds)


def _results_query(filters: Filters, scope: set[str] | None):
    query = (
        sa.select(AppEvaluation, App)
        .join(App, App.id == AppEvaluation.app_id)
        .where(AppEvaluation.year == filters.year, AppEvaluation.evaluation == filters.evaluation)
    )
    query = _in_scope(query, scope)
    if filters.agency:
        query = query.where(App.agency_code == filters.agency)
    if filters.outcome:
        query = query.where(AppEvaluation.passed.is_(filters.outcome == "passed"))
    return query


def _runs_of(results) -> dict[int, EvaluationRun]:
    ids = {r.run_id for r in results}
    if not ids:
        return {}
    return {
        run.id: run
        for run in get_state().session.scalars(
            sa.select(EvaluationRun).where(EvaluationRun.id.in_(sorted(ids)))
        )
    }


def result_rows(filters: Filters, scope, *, page: int | None = None):
    """(rows [(result, app, run)], total): one page (``page``) or every row."""
    session = get_state().session
    query = _results_query(filters, scope)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    ordered = query.order_by(App.agency_code, App.name, App.id)
    if page is not None:
        ordered = ordered.limit(PER_PAGE).offset((page - 1) * PER_PAGE)
    pairs = session.execute(ordered).all()
    runs = _runs_of([r for r, _a in pairs])
    return [(r, a, runs.get(r.run_id)) for r, a in pairs], int(total or 0)


def results_table(filters: Filters, rows) -> Table:
    cols = columns(filters.evaluation)
    return Table(
        [header for _key, header in cols],
        [[cell(key, r, a, run) for key, _h in cols] for r, a, run in rows],
        title=_("Evaluation results %(year)s", year=filters.year),
    )


# -- the pages ------------------------------------------------------------------------------------


def _not_used_page():
    policy = _policy()
    return render_template(
        "appgov/evaluation/results.html",
        used=False,
        policy_profile=policy.profile,
        adoptable=list(EVALUATIONS.values()),
        adopted_label=PARAMETERS["adopted_rules"].label,
    )


def shown(value) -> str:
    """A cell on the page: numbers with the locale's separators."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, int | Decimal):
        return format_number(value)
    return str(value)


@blueprint.get("/evaluation/results")
@login_required
def evaluation_results():
    scope = access.require_reader()
    filters = read_filters(request.args, scope)
    runs_here = evaluations(_policy())
    if not runs_here and not filters.kinds:
        return _not_used_page()
    rows, total = ([], 0) if filters.errors else result_rows(filters, scope, page=filters.page)
    paging = Paging(filters.page, PER_PAGE, total)
    kept = filters.kept()
    body = render_template(
        "appgov/evaluation/results.html",
        used=True,
        filters=filters,
        rows=rows,
        paging=paging,
        columns=columns(filters.evaluation),
        cell=cell,
        shown=shown,
        cases_of=cases_of,
        case_url=case_url,
        evaluation_label=lambda key: EVALUATIONS[key].label,
        rules=EVALUATIONS[filters.evaluation].rules,
        year_label=year_label,
        authority=access.is_authority(),
        outcomes={"passed": _("Passed"), "failed": _("Not passed")},
        result_url=lambda rid: url_for("appgov.evaluation_result", result_id=rid),
        page_url=lambda number: url_for("appgov.evaluation_results", **kept, page=number),
        export_url=lambda fmt: url_for("appgov.evaluation_results_export", fmt=fmt, **kept),
    )
    return body, 400 if filters.errors else 200


@blueprint.get("/evaluation/results.<any(csv, xlsx, ods):fmt>")
@login_required
def evaluation_results_export(fmt: str):
    scope = access.require_reader()
    filters = read_filters(request.args, scope)
    if filters.errors:
        abort(400, description=" ".join(filters.errors))
    rows, _total = result_rows(filters, scope)
    return export_response(
        results_table(filters, rows), fmt, f"evaluation-{filters.evaluation}-{filters.year}"
    )


def visible_result(result_id: int) -> tuple[AppEvaluation, App]:
    """The result and its app; 404 when missing or outside the reader's scope."""
    session = get_state().session
    result = session.get(AppEvaluation, result_id) if 0 < result_id < 2**31 else None
    app = session.get(App, result.app_id) if result is not None else None
    if result is None or app is None:
        abort(404)
    access.require_in_scope(app.agency_code)  # another agency's: 404 as a missing one
    return result, app


def parameter_rows(run: EvaluationRun | None) -> list[tuple[str, str]]:
    """The rule parameters in force on the run's evaluation date, in words."""
    if run is None:
        return []
    found = []
    for name, raw in sorted(((run.parameters or {}).get("parameters") or {}).items()):
        spec = PARAMETERS.get(name)
        if spec is None:
            continue
        if spec.kind == "deadline" and isinstance(raw, list) and len(raw) == 2:
            raw = {"length": raw[0], "mode": raw[1]}  # the run records it as a pair
        try:
            text = value_text(spec, raw)
        except (TypeError, ValueError, KeyError):
            text = str(raw)
        found.append((str(spec.label), text))
    return found


def may_request_review(result: AppEvaluation, app: App) -> bool:
    """TN-PERF-1/3: the authority may ask for a review report of a failed Tainan result of
    an app still in the stores, where the deployment applies TN-PERF-1."""
    return (
        access.is_authority()
        and result.evaluation == "tainan"
        and not result.passed
        and app.status in plans.IN_STORES
        and _policy().applies(REVIEW_RULE)
    )


class ReviewRequestForm(AppGovForm):
    """The button "Ask for a review report" (the CSRF token only)."""


@blueprint.get("/evaluation/results/<int:result_id>")
@login_required
def evaluation_result(result_id: int):
    access.require_reader()
    result, app = visible_result(result_id)
    session = get_state().session
    run = session.get(EvaluationRun, result.run_id)
    others = list(
        session.scalars(
            sa.select(AppEvaluation)
            .where(AppEvaluation.app_id == app.id, AppEvaluation.year != result.year)
            .order_by(AppEvaluation.year.desc())
        )
    )
    other_runs = _runs_of(others)
    return render_template(
        "appgov/evaluation/result.html",
        result=result,
        app=app,
        run=run,
        others=[(o, other_runs.get(o.run_id)) for o in others],
        agency=agency_name(app.agency_code),
        outcome_word=outcome_word,
        reason_text=reason_text,
        plans_text=plans_text,
        met_word=met_word,
        measures=MEASURES,
        cases=cases_of(result),
        case_url=case_url,
        shown=shown,
        number=_number,
        bar=rating_bar(run),
        rules=[r.strip() for r in (result.rules or "").split(",") if r.strip()],
        evaluation_label=EVALUATIONS[result.evaluation].label,
        parameters=parameter_rows(run),
        run_status=RUN_STATUSES.get(run.status, run.status) if run else "",
        started_from=STARTED_FROM.get(run.started_from, run.started_from) if run else "",
        year_label=year_label,
        long_date=format_date,
        long_time=format_datetime,
        review_form=ReviewRequestForm() if may_request_review(result, app) else None,
        authority=access.is_authority(),
        result_url=lambda rid: url_for("appgov.evaluation_result", result_id=rid),
    )


def _review_data(result: AppEvaluation) -> dict:
    """The report's figures, from the result (rule TN-PERF-1); the agency writes the rest."""
    installs = check_of(result, "installs")
    rating = check_of(result, "rating")
    return {
        "year": result.year - 1911,  # the form asks the ROC year (TIME-5)
        "installs": int(installs["value"]) if installs else None,
        "uninstalls": result.uninstalls,
        "rating": str(rating["value"]) if rating else None,
        "self_check": None,
        "causes": None,
        "course": None,
        "measures": None,
        "delisting_assessment": None,
        "attachment": None,
    }


def _review_comment(result: AppEvaluation) -> str:
    missed = [
        f"{c['measure']} {c['value']} (target {'at least' if c['at_least'] else 'at most'} "
        f"{c['target']})"
        for c in result.checks
        if not c["met"]
    ]
    return (
        f"TN-PERF-1/TN-PERF-3: {result.year} below the agency's own targets: "
        + "; ".join(missed)
        + ": a review report and improvement measures or a delisting evaluation "
        f"(TN-DEL-1 (6); failing years: {result.failing_years})"
    )


def request_review(result_id: int, actor: str) -> tuple[int, bool]:
    """rule TN-PERF-1/3: open the review-report case of the result's app and year, once
    (the app locked, the result re-read under the lock; the case's reason key
    ``perf-review:<year>`` backs it up); (case id, whether new). No commit."""
    session = get_state().session
    result = session.get(AppEvaluation, result_id)
    app = registry.locked_app(result.app_id)
    session.refresh(result)
    if result.review_case_id is not None:
        return result.review_case_id, False
    link, new = registry.open_case_for(
        app,
        PERF_REVIEW,
        _review_data(result),
        reason_key=f"perf-review:{result.year}",
        comment=_review_comment(result),
    )
    result.review_case_id = link.case_id
    session.flush()
    if new:
        plans._notify(
            "perf_review_requested",
            roles=("agency_staff", "agency_head"),
            agency_code=app.agency_code,
            subject=_l("A review report and improvement measures are asked for %(app)s (%(year)s)"),
            params={"app": app.name, "year": str(result.year)},
            link=plans.app_path(app.id),
            case_id=link.case_id,
            app_id=app.id,
            exclude=actor,
        )
    return link.case_id, new


@blueprint.post("/evaluation/results/<int:result_id>/review-request")
@login_required
def evaluation_review_request(result_id: int):
    access.require_reader()
    result, app = visible_result(result_id)
    if not access.is_authority():
        abort(403, description=_("The app authority asks for review reports (TN-PERF-1)."))
    form = ReviewRequestForm()
    if not form.validate():  # the CSRF token
        abort(400)
    target = url_for("appgov.evaluation_result", result_id=result.id)
    if result.review_case_id is not None:
        flash(
            _(
                "The review report was asked for already: case %(id)s.",
                id=result.review_case_id,
            ),
            "info",
        )
        return redirect(target, code=303)
    if not may_request_review(result, app):
        flash(
            _(
                "A review report is asked for a failed result of the Tainan evaluation "
                "(TN-PERF-1) of an app still in the stores only."
            ),
            "warning",
        )
        return redirect(target, code=303)
    session = get_state().session
    try:
        case_id, new = request_review(result.id, _actor())
        session.commit()
    except ContractError as error:  # the host opens no case for the agency (no staff)
        session.rollback()
        flash(
            _("The host could not open the case: %(error)s", error=str(error)),
            "danger",
        )
        return redirect(target, code=303)
    except BaseException:
        session.rollback()
        raise
    flash(
        _("The review report is asked for: case %(id)s (TN-PERF-1).", id=case_id)
        if new
        else _("The review report was asked for already: case %(id)s.", id=case_id),
        "success" if new else "info",
    )
    return redirect(target, code=303)


# -- the runs --------------------------------------------------------------------------------------


def _count(value) -> int:
    """A summary's figure: a count, or the list of what it counts (ids)."""
    if isinstance(value, list | tuple | dict):
        return len(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def summary_lines(run: EvaluationRun) -> list[str]:
    """What a run did, in words (its recorded summary)."""
    found = run.summary or {}
    if not found:
        return []
    lines = [
        (_("Apps in the stores: %(num)s"), "apps"),
        (_("Evaluated: %(num)s"), "evaluated"),
        (_("Passed: %(num)s"), "passed"),
        (_("Not passed: %(num)s"), "failed"),
        (_("Not evaluated: %(num)s"), "not_evaluated"),
        (_("Results changed: %(num)s"), "changed"),
        (_("Plans opened: %(num)s"), "plans_opened"),
        (_("Forced delistings opened: %(num)s"), "delistings_opened"),
        (_("Poor performers (TN-PERF-1): %(num)s"), "poor_performers"),
    ]
    return [
        text % {"num": format_number(_count(found.get(key)))} for text, key in lines if key in found
    ]


@blueprint.get("/evaluation/runs")
@login_required
def evaluation_runs():
    access.require_reader()
    if not access.is_authority():
        abort(403, description=_("The list of evaluation runs is for the app authority."))
    page, problem = read_page(request.args.get("page"))
    errors = [problem] if problem else []
    session = get_state().session
    total = session.scalar(sa.select(sa.func.count(EvaluationRun.id))) or 0
    runs = list(
        session.scalars(
            sa.select(EvaluationRun)
            .order_by(EvaluationRun.started_at.desc(), EvaluationRun.id.desc())
            .limit(RUNS_PER_PAGE)
            .offset((page - 1) * RUNS_PER_PAGE)
        )
    )
    body = render_template(
        "appgov/evaluation/runs.html",
        runs=runs,
        errors=errors,
        paging=Paging(page, RUNS_PER_PAGE, int(total)),
        parameter_rows=parameter_rows,
        summary_lines=summary_lines,
        run_status=lambda run: RUN_STATUSES.get(run.status, run.status),
        started_from=lambda run: STARTED_FROM.get(run.started_from, run.started_from),
        evaluation_label=lambda key: EVALUATIONS[key].label if key in EVALUATIONS else key,
        year_label=year_label,
        long_date=format_date,
        long_time=format_datetime,
        page_url=lambda number: url_for("appgov.evaluation_runs", page=number),
        results_url=lambda year: url_for("appgov.evaluation_results", year=year),
    )
    return body, 400 if errors else 200
