"""The yearly evaluation run (``flask appgov evaluate YEAR``, the Flask-Admin button): every
app in the stores during the year, by the evaluations the deployment runs
(:func:`.kpi.evaluations`), with the per-app rules of :mod:`.kpi`:

* Kaohsiung (KH-KPI-1..4): the target population (``AppTarget``; an app without one is
  listed "not evaluated: no target population"), the band's download target, the combined
  rating (KH-KPI-2), pass/fail; the lifecycle's year result (:func:`..lifecycle.plans.
  store_year_results`), the improvement and marketing plan (KH-KPI-3) and the forced
  delisting after the consecutive failing years (KH-KPI-4), opened through the lifecycle
  capability (reason keys: never twice);
* Tainan (TN-PERF-1/3, TN-DEL-1 (6)): each measure against the agency's own targets; a
  poor performer is listed, and the authority may ask it for a review report
  (:mod:`.results_views`).

Two steps: :func:`start_run` checks the year and the evaluation date (an
:class:`EvaluationError` names the field; nothing written) and commits the run as
``running``; :func:`carry_out` evaluates every app in memory, committing the run row's
progress every :data:`PROGRESS_EVERY` apps (its reads are plain values: nothing expires),
then stores the results and opens the cases in ONE transaction (a failure rolls all of it
back and records the run ``failed`` with its error).

The computation and the result writes take a constant number of statements whatever the
number of apps (:mod:`.totals`; each statement reads the year's rows of every app, no IN
list of thousands of ids; executemany INSERT/UPDATE), plus one progress UPDATE per
:data:`PROGRESS_EVERY` apps; opening a case for a newly failing app costs that case's own
statements. What the run reads in bulk comes as plain rows through the session's Core
connection (no ORM objects for thousands of apps), and a new result is compared with the
stored one as a tuple (:data:`STORED_FIELDS`): an unchanged row is not written. The
policy's KH-KPI-1/2 hooks are called once per distinct population or pair of ratings
(:class:`_RunPolicy`). A re-run with unchanged figures writes no result and opens nothing;
the run itself is always recorded (``EvaluationRun``: who, when, the
parameters in force on the evaluation date, the rules applied, progress, what changed).
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable
from decimal import Decimal

import sqlalchemy as sa

from ..apps.models import App
from ..clock import today
from ..db import utcnow
from ..i18n import _
from ..lifecycle import plans, registry
from ..lifecycle.case_types import FORCED_DELISTING, IMPROVEMENT_PLAN
from ..lifecycle.models import AppCase, AppYearResult
from ..policy import PARAMETERS
from ..state import get_state
from .kpi import EVALUATIONS, evaluate, evaluate_targets, evaluations
from .models import FIRST_YEAR, AppEvaluation, AppTarget, EvaluationRun
from .totals import YearFigures, no_figures, year_figures

#: The result columns a run compares to decide whether a row changed.
RESULT_FIELDS = (
    "evaluation", "downloads_ios", "downloads_android", "downloads", "uninstalls",
    "rating_ios", "ratings_ios", "rating_android", "ratings_android", "combined_rating",
    "feedback_count", "median_response_hours", "reviews", "reviews_handled", "population",
    "band_rate", "download_target", "downloads_pass", "rating_pass", "checks", "passed",
    "reason", "rules", "needs_improvement_plan", "needs_marketing_plan", "failing_years",
)  # fmt: skip
#: The columns of a stored result a run compares (the computed ones and the cases' links).
STORED_FIELDS = RESULT_FIELDS + ("plan_case_id", "delisting_case_id")
#: The rules a Kaohsiung result names.
KAOHSIUNG_RULES = ", ".join(EVALUATIONS["kaohsiung"].rules)
#: KH-KPI-2's combined rating is kept to four places.
FOUR_PLACES = Decimal("0.0001")
#: How often the run row's progress is written (apps).
PROGRESS_EVERY = 500
#: A run still "running" after this long died with its process (it no longer blocks one).
STALE_AFTER = dt.timedelta(hours=1)
#: The target columns a run reads (rules KH-KPI-1, TN-PERF-1).
TARGET_COLUMNS = (
    "target_population", "installs_target", "uninstalls_limit", "rating_target",
    "handled_target_percent",
)  # fmt: skip


class EvaluationError(ValueError):
    """A run refused before it starts; ``field`` names the input at fault."""

    def __init__(self, message: str, field: str = "year"):
        super().__init__(message)
        self.field = field


def default_date(year: int) -> dt.date:
    """The evaluation date: the year's 31 December, or today when that is still ahead."""
    return min(dt.date(year, 12, 31), today())


def check_year(year) -> int:
    """The year a run evaluates: a whole year from :data:`FIRST_YEAR` to this year."""
    if (
        isinstance(year, bool)
        or not isinstance(year, int)
        or not FIRST_YEAR <= year <= today().year
    ):
        raise EvaluationError(
            _(
                "Year: give a year from %(first)s to %(last)s.",
                first=str(FIRST_YEAR),
                last=str(today().year),
            ),
            "year",
        )
    return year


def check_date(year: int, evaluated_on) -> dt.date:
    """The evaluation date (whose rule parameters apply): a day of ``year`` or later, up to
    today; ``None``: :func:`default_date`."""
    if evaluated_on is None:
        return default_date(year)
    if isinstance(evaluated_on, dt.datetime) or not isinstance(evaluated_on, dt.date):
        raise EvaluationError(_("Evaluation date: give a day as YYYY-MM-DD."), "as_of")
    if evaluated_on.year < year:
        raise EvaluationError(
            _("Evaluation date: give a day of %(year)s or later.", year=str(year)), "as_of"
        )
    if evaluated_on > today():
        raise EvaluationError(_("Evaluation date: give a day up to today."), "as_of")
    return evaluated_on


def running(year: int) -> EvaluationRun | None:
    """A run of ``year`` still running, started within :data:`STALE_AFTER` (an older one
    died with its process)."""
    return get_state().session.scalar(
        sa.select(EvaluationRun)
        .where(
            EvaluationRun.year == year,
            EvaluationRun.status == "running",
            EvaluationRun.started_at >= utcnow() - STALE_AFTER,
        )
        .limit(1)
    )


def apps_in_stores(year: int) -> list[tuple[int, str]]:
    """(id, status) of the apps in the stores at some time during ``year``: listed (or
    suspended), or delisted on or after its 1 January; listed on or before its 31 December
    (or on an unknown day)."""
    query = sa.select(App.id, App.status).where(_in_stores(year)).order_by(App.id)
    session = get_state().session
    session.flush()
    return [(app_id, status) for app_id, status in session.connection().execute(query).all()]


def _in_stores(year: int):
    """:func:`apps_in_stores`'s condition."""
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    in_stores = sa.or_(
        App.status.in_(plans.IN_STORES),
        sa.and_(App.status == "delisted", App.delist_on.is_not(None), App.delist_on >= start),
    )
    listed = sa.or_(App.listed_on.is_(None), App.listed_on <= end)
    return sa.and_(in_stores, listed)


def combined_rating(ios, android) -> Decimal | None:
    """KH-KPI-2's combined average, exact to four places: weighted by the rating counts when
    every known side has one, else the plain mean (the same rule as the policy's hook)."""
    if ios is None or android is None:
        side = android if ios is None else ios
        if side is None:
            return None
        average, count = side
        value = average * count / count if count else average  # one side: its own average
        return Decimal(value).quantize(FOUR_PLACES)
    (ios_average, ios_count), (android_average, android_count) = ios, android
    if ios_count is not None and android_count is not None and ios_count + android_count > 0:
        value = (ios_average * ios_count + android_average * android_count) / (
            ios_count + android_count
        )
    else:
        value = (ios_average + android_average) / 2
    return Decimal(value).quantize(FOUR_PLACES)


def band_rate(policy, population: int) -> Decimal:
    """rule KH-KPI-1: the percent of the band ``population`` falls in."""
    bands = policy.param("download_target_bands")
    return Decimal(next(rate for low, rate in reversed(bands) if population >= low))


def failing_years(history: dict[int, bool], year: int) -> int:
    """Consecutive failing years up to and including ``year`` (KH-KPI-4, TN-DEL-1 (6)):
    a passing year, or a year without a result, ends the count."""
    count = 0
    while history.get(year - count) is False:
        count += 1
    return count


class _RunPolicy:
    """The policy of a run's evaluation date, remembering the answers of KH-KPI-1's target
    and KH-KPI-2's rating bar per distinct input (the hooks are functions of their
    arguments and the parameters in force that day): one hook call per distinct
    population or pair of ratings, not per app."""

    def __init__(self, policy):
        self._policy = policy
        self._targets: dict[int, int] = {}
        self._ratings: dict[tuple, bool] = {}
        self._bands: dict[int, Decimal] = {}
        # what each app's evaluation asks, bound once (no __getattr__ per call)
        self.as_of, self.param, self.applies = policy.as_of, policy.param, policy.applies

    def __getattr__(self, name):
        return getattr(self._policy, name)

    def download_target(self, population: int) -> int:
        try:
            return self._targets[population]
        except (KeyError, TypeError):
            found = self._targets[population] = self._policy.download_target(population)
            return found

    def rating_passes(self, ios=None, android=None) -> bool:
        key = (ios, android)
        try:
            return self._ratings[key]
        except (KeyError, TypeError):
            found = self._ratings[key] = self._policy.rating_passes(ios=ios, android=android)
            return found

    def band_rate(self, population: int) -> Decimal:
        """rule KH-KPI-1: :func:`band_rate`, once per distinct population."""
        try:
            return self._bands[population]
        except KeyError:
            found = self._bands[population] = band_rate(self._policy, population)
            return found


def _figures(fig: YearFigures) -> dict:
    return {
        "downloads_ios": fig.downloads_ios,
        "downloads_android": fig.downloads_android,
        "downloads": fig.downloads,
        "uninstalls": fig.uninstalls,
        "rating_ios": fig.rating_ios,
        "ratings_ios": fig.ratings_ios,
        "rating_android": fig.rating_android,
        "ratings_android": fig.ratings_android,
        "feedback_count": fig.feedback_count,
        "median_response_hours": fig.median_response_hours,
        "reviews": fig.reviews,
        "reviews_handled": fig.reviews_handled,
    }


def kaohsiung_result(policy, fig: YearFigures, target: AppTarget) -> dict:
    """rules KH-KPI-1..3 for one app (:func:`.kpi.evaluate`)."""
    rating_ios, rating_android = fig.rating_ios, fig.rating_android
    ios = None if rating_ios is None else (rating_ios, fig.ratings_ios)
    android = None if rating_android is None else (rating_android, fig.ratings_android)
    population, downloads = target.target_population, fig.downloads
    rate = (
        policy.band_rate(population)
        if isinstance(policy, _RunPolicy)
        else band_rate(policy, population)
    )
    combined = combined_rating(ios, android)
    if ios is None and android is None:  # rule KH-KPI-2: no rating is not above the bar
        result = evaluate(policy, population, downloads, ios=(Decimal(0), None))
    else:
        result = evaluate(policy, population, downloads, ios=ios, android=android)
    downloads_pass, rating_pass = result.downloads_pass, result.rating_pass
    if downloads_pass and rating_pass:
        reason = "download target and rating met (KH-KPI-1, KH-KPI-2)"
    else:
        reasons = []
        if not downloads_pass:
            reasons.append(
                f"downloads {downloads:,} below the target {result.download_target:,} "
                f"({rate}% of {population:,}) (KH-KPI-1)"
            )
        if not rating_pass:
            shown = "none" if combined is None else combined
            reasons.append(f"combined rating {shown} not above {result.rating_bar} (KH-KPI-2)")
        if result.plan_rule_applies:
            reasons.append("a plan is needed (KH-KPI-3)")
        reason = "; ".join(reasons)
    return {
        "evaluation": "kaohsiung",
        "downloads_ios": fig.downloads_ios,
        "downloads_android": fig.downloads_android,
        "downloads": downloads,
        "uninstalls": fig.uninstalls,
        "rating_ios": rating_ios,
        "ratings_ios": fig.ratings_ios,
        "rating_android": rating_android,
        "ratings_android": fig.ratings_android,
        "feedback_count": fig.feedback_count,
        "median_response_hours": fig.median_response_hours,
        "reviews": fig.reviews,
        "reviews_handled": fig.reviews_handled,
        "population": population,
        "band_rate": rate,
        "combined_rating": combined,
        "checks": [],
        "download_target": result.download_target,
        "downloads_pass": downloads_pass,
        "rating_pass": rating_pass,
        "passed": downloads_pass and rating_pass,
        "reason": reason,
        "rules": KAOHSIUNG_RULES,
        "needs_improvement_plan": result.needs_improvement_plan,
        "needs_marketing_plan": result.needs_marketing_plan,
    }


def tainan_result(policy, fig: YearFigures, target: AppTarget) -> dict | None:
    """rule TN-PERF-1 for one app (:func:`.kpi.evaluate_targets`); ``None`` when the agency
    set no target its figures can be compared with."""
    combined = combined_rating(
        None if fig.rating_ios is None else (fig.rating_ios, fig.ratings_ios),
        None if fig.rating_android is None else (fig.rating_android, fig.ratings_android),
    )
    given = {}
    if target.installs_target is not None:
        given.update(installs=fig.downloads_in_year, installs_target=target.installs_target)
    if target.uninstalls_limit is not None and fig.uninstalls is not None:
        given.update(uninstalls=fig.uninstalls, uninstalls_limit=target.uninstalls_limit)
    if target.rating_target is not None and combined is not None:
        given.update(rating=combined, rating_target=target.rating_target)
    if target.handled_target_percent is not None:
        given.update(
            reviews=fig.reviews,
            reviews_handled=fig.reviews_handled,
            handled_target_percent=target.handled_target_percent,
        )
    if not given:
        return None
    result = evaluate_targets(policy, **given)
    checks = [
        {
            "measure": c.measure,
            "value": str(
                c.value if not isinstance(c.value, Decimal) else c.value.quantize(Decimal("0.01"))
            ),
            "target": str(c.target),
            "at_least": c.at_least,
            "met": c.met,
        }
        for c in result.checks
    ]
    missed = [c["measure"] for c in checks if not c["met"]]
    reason = (
        "below the agency's own targets: " + ", ".join(missed) + " (TN-PERF-1); "
        "the authority may ask for a review report or a delisting evaluation "
        "(TN-PERF-3, TN-DEL-1 (6))"
        if missed
        else "the agency's own targets met (TN-PERF-1)"
    )
    return {
        "evaluation": "tainan",
        **_figures(fig),
        "combined_rating": combined,
        "population": None,
        "band_rate": None,
        "download_target": None,
        "downloads_pass": None,
        "rating_pass": None,
        "checks": checks,
        "passed": result.passes,
        "reason": reason,
        "rules": ", ".join(EVALUATIONS["tainan"].rules),
        "needs_improvement_plan": False,
        "needs_marketing_plan": False,
    }


def _count_in_stores(year: int) -> int:
    return get_state().session.scalar(sa.select(sa.func.count(App.id)).where(_in_stores(year)))


def _parameters(policy) -> dict:
    found = {}
    for name in PARAMETERS:
        try:
            value = policy.param(name)
        except (KeyError, ValueError):
            continue
        found[name] = _jsonable(value)
    return found


def _jsonable(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def start_run(year, *, actor: str, started_from: str, evaluated_on=None) -> EvaluationRun:
    """Check the year and the evaluation date and record the run as ``running``, with the
    rule parameters in force on the evaluation date (committed: a progress page sees it).
    :class:`EvaluationError` names the field at fault and writes nothing."""
    year = check_year(year)
    evaluated_on = check_date(year, evaluated_on)
    if running(year) is not None:
        raise EvaluationError(
            _("Year: the evaluation of %(year)s is running already.", year=str(year)), "year"
        )
    policy = get_state().policy(as_of=evaluated_on)
    keys = evaluations(policy)
    session = get_state().session
    run = EvaluationRun(
        year=year,
        profile=policy.profile,
        evaluated_on=evaluated_on,
        actor=actor,
        started_from=started_from,
        status="running",
        # the apps to evaluate, known from the start (a progress page shows 0 of them; the
        # run corrects it when the apps changed in between)
        total=_count_in_stores(year) if keys else 0,
        done=0,
        parameters={
            "parameters": _parameters(policy),
            "evaluations": keys,
            "rules": sorted(
                {rule for key in keys for rule in EVALUATIONS[key].rules if policy.applies(rule)}
                | {r for r in ("KH-KPI-4", "TN-DEL-1") if keys and policy.applies(r)}
            ),
        },
        summary={},
    )
    session.add(run)
    session.commit()
    return run


def evaluate_year(
    year,
    *,
    actor: str,
    started_from: str = "cli",
    evaluated_on: dt.date | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> EvaluationRun:
    """Run the evaluation of ``year`` and record it; commits. A failure is recorded on the
    run (``failed``, its error) and raised again."""
    run = start_run(year, actor=actor, started_from=started_from, evaluated_on=evaluated_on)
    return carry_out(run.id, progress=progress)


def carry_out(run_id: int, progress: Callable[[int, int], None] | None = None) -> EvaluationRun:
    """Do the work of the run ``run_id`` (:func:`start_run`): evaluate, store the results,
    open the cases, record the summary; commits. ``progress(done, total)`` is called every
    :data:`PROGRESS_EVERY` apps, after the run row's progress is committed."""
    session = get_state().session
    run = session.get(EvaluationRun, run_id)
    try:
        summary = _evaluate(run_id, run.year, run.actor, run.evaluated_on, progress, run.total)
    except Exception as error:
        session.rollback()
        run = session.get(EvaluationRun, run_id)
        run.status, run.finished_at = "failed", utcnow()
        run.error = f"{type(error).__name__}: {error}"
        session.commit()
        raise
    run = session.get(EvaluationRun, run_id)
    run.summary, run.status, run.finished_at = summary, "done", utcnow()
    run.done = run.total
    session.commit()
    return run


def _set_progress(run_id: int, done: int, total: int | None = None) -> None:
    """The run row's progress, committed (the run's own reads are plain values, so the
    commit expires nothing it still needs)."""
    values = {"done": done} if total is None else {"done": done, "total": total}
    session = get_state().session
    session.execute(sa.update(EvaluationRun).where(EvaluationRun.id == run_id).values(**values))
    session.commit()


def _history(session, model, year: int, into: dict) -> None:
    """Every app's passed/failed years before ``year`` (``model``: the run's results or the
    lifecycle's year results), into ``{app: {year: passed}}``."""
    query = sa.select(model.app_id, model.year, model.passed).where(model.year < year)
    for app_id, on_year, passed in session.connection().execute(query).all():
        into.setdefault(app_id, {})[on_year] = passed


def _evaluate(run_id, year, actor, evaluated_on, progress, recorded_total=None) -> dict:
    """Evaluate every app in memory (progress committed as it goes), then store the
    results and open the cases in one transaction."""
    session = get_state().session
    policy = _RunPolicy(get_state().policy(as_of=evaluated_on))
    keys = evaluations(policy)
    apps = apps_in_stores(year) if keys else []  # the Taipei profile evaluates no apps
    total = len(apps)
    if total != recorded_total:  # start_run recorded the count; the apps changed since
        _set_progress(run_id, 0, total)
    # every statement reads the year's rows of every app (no IN list of thousands of ids):
    # the apps in the stores are picked here
    figures = year_figures(year) if apps else {}
    # plain rows through the Core connection (nothing is pending: the run row is committed)
    connection = session.connection()
    targets = {
        row.app_id: row
        for row in connection.execute(
            sa.select(AppTarget.app_id, *(getattr(AppTarget, c) for c in TARGET_COLUMNS)).where(
                AppTarget.year == year
            )
        ).all()  # one fetchall, not a fetch per row
    }
    # the stored results as plain tuples in STORED_FIELDS order: {app: (id, values)}
    known = {
        row[1]: (row[0], tuple(row[2:]))
        for row in connection.execute(
            sa.select(
                AppEvaluation.id,
                AppEvaluation.app_id,
                *(getattr(AppEvaluation, f) for f in STORED_FIELDS),
            ).where(AppEvaluation.year == year)
        ).all()
    }
    previous: dict[int, dict[int, bool]] = {}
    _history(session, AppEvaluation, year, previous)
    kaohsiung = "kaohsiung" in keys
    if kaohsiung:  # rule KH-KPI-4: the lifecycle's recorded years count (manual ones too)
        _history(session, AppYearResult, year, previous)
    rows: dict[int, dict] = {}
    not_evaluated: list[dict] = []
    for number, (app_id, _status) in enumerate(apps, 1):
        target = targets.get(app_id)
        row = None
        if kaohsiung:
            if target is None or target.target_population is None:
                not_evaluated.append({"app_id": app_id, "reason": "no target population"})
            else:
                row = kaohsiung_result(policy, figures.get(app_id) or no_figures(app_id), target)
        elif "tainan" in keys:
            fig = figures.get(app_id) or no_figures(app_id)
            row = tainan_result(policy, fig, target) if target else None
            if row is None:
                not_evaluated.append({"app_id": app_id, "reason": "no targets set"})
        if row is not None:
            history = {**previous.get(app_id, {}), year: row["passed"]}
            row["failing_years"] = failing_years(history, year)  # KH-KPI-4, TN-DEL-1 (6)
            rows[app_id] = row
        if number % PROGRESS_EVERY == 0 and number < total:
            _set_progress(run_id, number)
            if progress is not None:
                progress(number, total)
    cases = _open_cases(policy, dict(apps), rows, year, actor) if kaohsiung else {}
    changed = _write(run_id, year, rows, known, cases)
    if progress is not None:
        progress(total, total)
    return {
        "apps": total,
        "evaluated": len(rows),
        "passed": sum(1 for r in rows.values() if r["passed"]),
        "failed": sum(1 for r in rows.values() if not r["passed"]),
        "not_evaluated": not_evaluated,
        # rule TN-PERF-1: the poor performers the authority may ask for a review report
        "poor_performers": sorted(
            a for a, r in rows.items() if r["evaluation"] == "tainan" and not r["passed"]
        ),
        "changed": len(changed),
        "changed_apps": changed,
        "plans_opened": sorted(c["plan"] for c in cases.values() if c.get("plan_new")),
        "delistings_opened": sorted(
            c["delisting"] for c in cases.values() if c.get("delisting_new")
        ),
    }


def _open_cases(policy, statuses: dict[int, str], rows, year, actor) -> dict[int, dict]:
    """The lifecycle's year results in bulk, then the plans (KH-KPI-3) and forced
    delistings (KH-KPI-4) not opened yet: one case at a time, each under its app's lock."""
    session = get_state().session
    results = {
        app_id: (not row["downloads_pass"], not row["rating_pass"], row["reason"])
        for app_id, row in rows.items()
    }
    year_rows = plans.store_year_results(results, year, actor)[0] if results else {}
    # every plan and forced delisting (as many as apps failed, not as apps evaluated)
    links, pending = {}, set()
    for app_id, type_key, reason_key, case_id, status in session.execute(
        sa.select(
            AppCase.app_id, AppCase.type_key, AppCase.reason_key, AppCase.case_id, AppCase.status
        ).where(AppCase.type_key.in_((IMPROVEMENT_PLAN, FORCED_DELISTING)))
    ):
        links[(app_id, type_key, reason_key)] = case_id
        if type_key == FORCED_DELISTING and status not in ("delisted", "kept"):
            pending.add(app_id)  # rule KH-KPI-4: one forced delisting at a time
    wants_plan = plans.plans_apply(policy)
    years = plans.delisting_years(policy)
    plan_key, delisting_key = f"kpi:{year}", f"kpi-delisting:{year}"
    cases: dict[int, dict] = {}
    for app_id, row in rows.items():
        found = {}
        plan = links.get((app_id, IMPROVEMENT_PLAN, plan_key))
        if plan is not None:
            found["plan"] = plan
        delisting = links.get((app_id, FORCED_DELISTING, delisting_key))
        if delisting is not None:
            found["delisting"] = delisting
        needs_plan = wants_plan and not row["passed"] and plan is None  # rule KH-KPI-3
        needs_delisting = bool(  # rule KH-KPI-4
            years
            and row["failing_years"] >= years
            and delisting is None
            and app_id not in pending
            and statuses[app_id] in plans.IN_STORES
        )
        if needs_plan or needs_delisting:
            app = registry.locked_app(app_id)
            if needs_plan:
                link, new = plans.open_plan(app, year_rows[app_id], actor)
                found.update(plan=link.case_id, plan_new=new)
            if needs_delisting and app.status in plans.IN_STORES:
                run_years = list(range(year - years + 1, year + 1))
                link, new = plans.open_forced_delisting(app, run_years, actor)
                if link is not None and link.reason_key == delisting_key:
                    found.update(delisting=link.case_id, delisting_new=new)
        cases[app_id] = found
    return cases


def _write(run_id, year, rows, known, cases) -> list[int]:
    """Upsert the results in bulk (one INSERT and one UPDATE statement, each only when a row
    needs it); the ids whose result changed. A row is compared with the stored one as a
    tuple of :data:`STORED_FIELDS` (Decimal == Decimal, exact); the run id and time move
    only on a changed row."""
    session = get_state().session
    inserts, updates, changed = [], [], []
    now = utcnow()
    values_of = operator.itemgetter(*RESULT_FIELDS)
    nothing: dict = {}
    for app_id, row in rows.items():
        found = cases.get(app_id, nothing)
        values = (*values_of(row), found.get("plan"), found.get("delisting"))
        old = known.get(app_id)
        if old is not None and old[1] == values:
            continue
        changed.append(app_id)
        row = dict(zip(STORED_FIELDS, values, strict=True), run_id=run_id, evaluated_at=now)
        if old is None:
            inserts.append({**row, "app_id": app_id, "year": year})
        else:
            updates.append({**row, "id": old[0]})
    if inserts:  # Core executemany of the table (every row has every key: NULLs as such)
        session.connection().execute(AppEvaluation.__table__.insert(), inserts)
    if updates:
        session.execute(sa.update(AppEvaluation), updates)
    return changed
