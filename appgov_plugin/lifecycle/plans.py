"""Kaohsiung's improvement and marketing plan (KH-KPI-3) and forced delisting (KH-KPI-4).

* The authority (role ``reviewer``, of the app's city) records an app's KPI result of a year
  on the app's page (:func:`record_year_result`; until the evaluation capability computes
  it). A failing year opens the improvement and marketing plan for the agency
  (``appgov_improvement_plan``, owned by the app's contact, once per app and year: reason
  ``kpi:<year>``) where the deployment applies KH-KPI-3 -- a Tainan deployment is asked for
  no plan (rules.md, "Profiles are real").
* The agency submits the plan; the authority reviews it by the ``plan_review`` deadline of
  the policy facade (14 calendar days, KH-KPI-3, TIME-3): the case waits on it while
  ``submitted`` (:func:`~.deadlines.waits`), the host shows the due date and
  ``flask appgov sweep`` flags an overdue review.
* ``kpi_failed_years_for_delisting`` consecutive failing years (KH-KPI-4; 0: never) open a
  forced delisting (``appgov_forced_delisting``, reason ``kpi-delisting:<latest year>``):
  at once when the authority records the last of them, else by the sweep
  (:func:`open_forced_delistings`). The agency may state its view (``respond``); the
  authority delists the app (the registry records it, reason KH-KPI-4) or keeps it, with
  its reasons.

The handler (``TYPES``, :func:`veto`, :func:`after`) is one of the dispatcher's
(:mod:`.workflows`); the routes are on appgov's shared blueprint.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import NamedTuple

import sqlalchemy as sa
from flask import current_app

from ..apps.models import App
from ..clock import today
from ..db import utcnow
from ..host.contract import Transition, Workflow
from ..i18n import _, _l
from ..state import get_state
from ..web import blueprint
from . import deadlines, registry
from .case_types import FORCED_DELISTING, IMPROVEMENT_PLAN
from .models import SYSTEM_ACTOR, AppCase, AppEvent, AppYearResult

blueprint.add_templates(__file__)

TYPES = (IMPROVEMENT_PLAN, FORCED_DELISTING)

#: rule KH-KPI-3, TIME-3: a submitted plan waits on the authority's review
deadlines.waits(
    IMPROVEMENT_PLAN,
    "submitted",
    "plan_review",
    _l("the authority's review of the plan (KH-KPI-3)"),
)

#: The statuses of an app the KPI still concerns (a delisted app is out of the stores).
IN_STORES = ("listed", "suspended")
#: The years a result may be recorded for (``AppYearResult``'s check).
FIRST_YEAR, LAST_YEAR = 2000, 2200
#: The forced delisting's states and their labels.
FORCED_STATES = {
    "opened": _l("Opened: the agency may state its view"),
    "responded": _l("The agency stated its view"),
    "delisted": _l("Delisted"),
    "kept": _l("Kept in the stores"),
}


def forced_delisting_workflow() -> Workflow:
    """Opened (the agency may edit its statement and ``respond``) -> the authority delists
    the app or keeps it (a comment says why); both are decisions (rule KH-KPI-4)."""
    transitions = [
        Transition("respond", "opened", "responded", "agency_staff", _l("State the agency's view"))
    ]
    for source in ("opened", "responded"):
        transitions += [
            Transition(
                "delist", source, "delisted", "reviewer", _l("Delist the app"), decides=True
            ),
            Transition(
                "keep",
                source,
                "kept",
                "reviewer",
                _l("Keep the app"),
                comment_required=True,
                decides=True,
            ),
        ]
    return Workflow(
        initial="opened",
        states=dict(FORCED_STATES),
        transitions=tuple(transitions),
        final_states=frozenset({"delisted", "kept"}),
        editable_states=frozenset({"opened"}),
        # opened for the agency by the rule, not the agency's draft: the authority reads
        # and decides it from the start (the agency may state its view first)
        private_drafts=False,
    )


# -- the policy ------------------------------------------------------------------------------


def plans_apply(policy) -> bool:
    """rule KH-KPI-3: whether this deployment asks for improvement and marketing plans."""
    return policy.applies("KH-KPI-3")


def delisting_years(policy) -> int:
    """rule KH-KPI-4: consecutive failing years that force a delisting here (0: never)."""
    if not policy.applies("KH-KPI-4"):
        return 0
    return int(policy.param("kpi_failed_years_for_delisting") or 0)


# -- notifications ---------------------------------------------------------------------------


def app_path(app_id: int) -> str:
    """The app's page on this site (a notice's link; no request needed, the sweep has none)."""
    return current_app.config.get("APPGOV_URL_PREFIX", "/appgov").rstrip("/") + f"/apps/{app_id}"


def _notify(event: str, **kwargs) -> None:
    """:func:`appgov_plugin.notifications.notify`, where that capability is installed."""
    try:
        from ..notifications import notify
    except ImportError:  # pragma: no cover - the notifications capability ships with appgov
        return
    notify(event, **kwargs)


# -- recording a year's result and opening cases ---------------------------------------------


@dataclass
class Outcome:
    """What recording a year's result did."""

    result: AppYearResult
    recorded: bool = False
    plan: AppCase | None = None
    plan_opened: bool = False
    delisting: AppCase | None = None
    delisting_opened: bool = False
    messages: list = field(default_factory=list)


def record_year_result(
    app: App,
    year: int,
    *,
    downloads_failed: bool,
    rating_failed: bool,
    reason: str,
    actor: str,
    policy=None,
) -> Outcome:
    """Record ``app``'s KPI result of ``year`` (call it with the app from
    :func:`~.registry.locked_app`; no commit) and open what the rules demand: the plan of a
    failing year (KH-KPI-3) and a forced delisting after the consecutive failing years of
    KH-KPI-4. Recording the same result again opens what is missing and nothing more; a
    different result of a recorded year is refused (``LifecycleError`` on ``year``)."""
    policy = policy or get_state().policy()
    if not FIRST_YEAR <= year <= today().year:
        raise registry.LifecycleError(
            _(
                "Year: give a year from %(first)s to %(last)s.",
                first=str(FIRST_YEAR),
                last=str(today().year),
            ),
            "year",
        )
    session = get_state().session
    passed = not (downloads_failed or rating_failed)
    result = session.scalar(
        sa.select(AppYearResult).where(AppYearResult.app_id == app.id, AppYearResult.year == year)
    )
    outcome = Outcome(result=result)
    if result is None:
        result = AppYearResult(
            app_id=app.id,
            year=year,
            passed=passed,
            downloads_failed=bool(downloads_failed),
            rating_failed=bool(rating_failed),
            reason=reason or "",
            recorded_by=actor,
        )
        session.add(result)
        session.flush()
        registry.record(
            app,
            "kpi_result",
            actor,
            reason=reason or ("KH-KPI-1, KH-KPI-2" if passed else "KH-KPI-3"),
            details={
                "year": year,
                "passed": passed,
                "downloads_failed": bool(downloads_failed),
                "rating_failed": bool(rating_failed),
            },
        )
        outcome.result, outcome.recorded = result, True
    elif (result.downloads_failed, result.rating_failed) != (
        bool(downloads_failed),
        bool(rating_failed),
    ):
        raise registry.LifecycleError(
            _(
                "Year: the result of %(year)s is already recorded, with other failing parts.",
                year=str(year),
            ),
            "year",
        )
    if not result.passed and plans_apply(policy):
        outcome.plan, outcome.plan_opened = open_plan(app, result, actor)
    run = failing_run(app.id, delisting_years(policy))
    if run and app.status in IN_STORES:
        outcome.delisting, outcome.delisting_opened = open_forced_delisting(app, run, actor)
    return outcome


class YearResult(NamedTuple):
    """A year result as :func:`store_year_results` returns it (plain values, not an ORM
    object: a city's run stores 2,000 of them); :func:`open_plan` reads ``year`` and the
    failing parts."""

    app_id: int
    year: int
    passed: bool
    downloads_failed: bool
    rating_failed: bool
    reason: str


def store_year_results(results: dict[int, tuple[bool, bool, str]], year: int, actor: str):
    """The evaluation run's results of ``year`` ({app id: (downloads failed, rating failed,
    reason)}; rules KH-KPI-1..3), in bulk: a new year is inserted, a recorded year whose
    failing parts changed is UPDATED (the evaluation replaces the manual entry), an unchanged
    one is left alone; each change is recorded in the app's history (``kpi_result``).
    Returns ({app id: the result as stored, a :class:`YearResult`}, the ids changed). A
    constant number of statements whatever the number of apps: one SELECT of plain columns,
    and only when something changed the apps' status and version and an executemany INSERT
    and UPDATE; no commit."""
    session = get_state().session
    ids = sorted(results)

    # a few apps by their ids; many (a city's yearly run) by the year alone: no IN list of
    # thousands of parameters
    few = len(ids) <= 100

    def only(query, column):
        return query.where(column.in_(ids)) if few else query

    y = AppYearResult
    query = sa.select(y.app_id, y.id, y.passed, y.downloads_failed, y.rating_failed, y.reason)
    session.flush()  # plain rows through the Core connection: what is pending included
    connection = session.connection()
    known = {
        row[0]: row[1:]
        for row in connection.execute(only(query.where(y.year == year), y.app_id)).all()
        if row[0] in results
    }
    stored: dict[int, YearResult] = {}
    changed, inserts, updates = [], [], []
    for app_id, (downloads_failed, rating_failed, reason) in results.items():
        downloads_failed, rating_failed = bool(downloads_failed), bool(rating_failed)
        passed = not (downloads_failed or rating_failed)
        row = known.get(app_id)
        if row is not None and row[1:4] == (passed, downloads_failed, rating_failed):
            stored[app_id] = YearResult(app_id, year, *row[1:4], row[4])
            continue
        values = {
            "passed": passed,
            "downloads_failed": downloads_failed,
            "rating_failed": rating_failed,
            "reason": reason or "",
            "recorded_by": actor,
        }
        if row is None:
            inserts.append({"app_id": app_id, "year": year, **values})
        else:
            updates.append({"id": row[0], **values})
        changed.append(app_id)
        stored[app_id] = YearResult(
            app_id, year, passed, downloads_failed, rating_failed, values["reason"]
        )
    if not changed:
        return stored, changed
    now = utcnow()
    apps = dict(
        (app_id, (status, version))
        for app_id, status, version in connection.execute(
            only(sa.select(App.id, App.status, App.version), App.id)
        ).all()
    )
    events = []
    for app_id in changed:
        result, (status, version) = stored[app_id], apps[app_id]
        events.append(
            {
                "app_id": app_id,
                "at": now,
                "kind": "kpi_result",
                "actor": actor,
                "from_status": status,
                "to_status": status,
                "version": version,
                "reason": result.reason,
                "details": {
                    "year": year,
                    "passed": result.passed,
                    "downloads_failed": result.downloads_failed,
                    "rating_failed": result.rating_failed,
                },
            }
        )
    for insert in inserts:
        insert["recorded_at"] = now
    # Core executemany of the tables (no ORM bookkeeping for rows the session never holds)
    if inserts:
        connection.execute(AppYearResult.__table__.insert(), inserts)
    if updates:
        session.execute(sa.update(AppYearResult), updates)
    connection.execute(AppEvent.__table__.insert(), events)
    return stored, changed


def open_plan(app: App, result: AppYearResult, actor: str) -> tuple[AppCase, bool]:
    """rule KH-KPI-3: the plan of ``result``'s failing year, opened once (reason
    ``kpi:<year>``) for the agency, owned by the app's contact; (link, whether new)."""
    year = result.year
    link, new = registry.open_case_for(
        app,
        IMPROVEMENT_PLAN,
        {
            "year": year,
            # which parts the plan needs (KH-KPI-3): the improvement part for the rating,
            # the marketing part for the downloads (the form asks them from the figures)
            "downloads_failed": result.downloads_failed,
            "rating_failed": result.rating_failed,
        },
        reason_key=f"kpi:{year}",
        comment=_plan_comment(result),
    )
    if new:
        registry.record(
            app,
            "plan_opened",
            actor,
            case_id=link.case_id,
            reason="KH-KPI-3",
            details={"year": year},
        )
        _notify(
            "plan_opened",
            roles=("agency_staff",),
            agency_code=app.agency_code,
            subject=_l("An improvement and marketing plan is asked for %(app)s (%(year)s)"),
            params={"app": app.name, "year": str(year)},
            link=app_path(app.id),
            case_id=link.case_id,
            app_id=app.id,
            exclude=actor,
        )
    return link, new


def _plan_comment(result: AppYearResult) -> str:
    parts = []
    if result.rating_failed:
        parts.append("rating (KH-KPI-2): improvement part")
    if result.downloads_failed:
        parts.append("downloads (KH-KPI-1): marketing part")
    return f"KH-KPI-3: below the KPI in {result.year}: " + "; ".join(parts)


def failing_run(app_id: int, years: int) -> list[int]:
    """The app's last ``years`` recorded years, oldest first, when they are consecutive and
    all failed (rule KH-KPI-4); else (or ``years`` 0) an empty list."""
    if years <= 0:
        return []
    rows = (
        get_state()
        .session.execute(
            sa.select(AppYearResult.year, AppYearResult.passed)
            .where(AppYearResult.app_id == app_id)
            .order_by(AppYearResult.year.desc())
            .limit(years)
        )
        .all()
    )
    return _run(rows, years)


def _run(rows, years: int) -> list[int]:
    """``rows`` (year, passed), newest first: their years when they are ``years``
    consecutive failing years."""
    if len(rows) < years or any(passed for _year, passed in rows):
        return []
    found = [year for year, _passed in rows]
    if found != list(range(found[0], found[0] - years, -1)):
        return []
    return sorted(found)


def open_forced_delisting(app: App, run: list[int], actor: str) -> tuple[AppCase | None, bool]:
    """rule KH-KPI-4: the forced delisting of the failing years ``run`` (oldest first),
    opened once (reason ``kpi-delisting:<latest year>``) unless one is open already; (link,
    whether new). Call it with the app from :func:`~.registry.locked_app`."""
    reason_key = f"kpi-delisting:{run[-1]}"
    known = registry.opened_for(app.id, FORCED_DELISTING, reason_key)
    if known is not None:
        return known, False
    pending = open_forced_case(app.id)
    if pending is not None:  # still deciding an earlier run: one forced delisting at a time
        return pending, False
    years = ", ".join(str(year) for year in run)
    link, new = registry.open_case_for(
        app,
        FORCED_DELISTING,
        {"failed_years": list(run)},
        reason_key=reason_key,
        comment=f"KH-KPI-4: below the KPI in {len(run)} consecutive years ({years})",
    )
    if new:
        registry.record(
            app,
            "forced_delisting_opened",
            actor,
            case_id=link.case_id,
            reason="KH-KPI-4",
            details={"years": list(run)},
        )
        _notify(
            "forced_delisting_opened",
            roles=("agency_staff", "agency_head"),
            agency_code=app.agency_code,
            subject=_l("Forced delisting of %(app)s opened: below the KPI in %(years)s"),
            params={"app": app.name, "years": years},
            link=app_path(app.id),
            case_id=link.case_id,
            app_id=app.id,
            exclude=actor,
        )
    return link, new


def open_forced_case(app_id: int) -> AppCase | None:
    """The app's forced delisting still waiting for the authority's decision, if any."""
    return get_state().session.scalar(
        sa.select(AppCase)
        .where(
            AppCase.app_id == app_id,
            AppCase.type_key == FORCED_DELISTING,
            AppCase.status.not_in(("delisted", "kept")),
        )
        .limit(1)
    )


def open_forced_delistings(as_of: dt.date, actor: str = SYSTEM_ACTOR) -> list[int]:
    """``flask appgov sweep``: open the forced delisting of every app in the stores whose last
    N years (the parameter in force on ``as_of``) all failed and that has none for that run;
    the new cases' ids. Each app is re-read under its lock before its case opens, so two
    sweeps at once open one case (the unique reason backs it up). No commit."""
    policy = get_state().policy(as_of=as_of)
    years = delisting_years(policy)
    if years <= 0:
        return []
    session = get_state().session
    rows = session.execute(
        sa.select(AppYearResult.app_id, AppYearResult.year, AppYearResult.passed)
        .join(App, App.id == AppYearResult.app_id)
        .where(App.status.in_(IN_STORES))
        .order_by(AppYearResult.app_id, AppYearResult.year.desc())
    ).all()
    by_app: dict[int, list] = {}
    for app_id, year, passed in rows:
        by_app.setdefault(app_id, []).append((year, passed))
    runs = {app_id: run for app_id, found in by_app.items() if (run := _run(found[:years], years))}
    if not runs:
        return []
    known = set(
        session.execute(
            sa.select(AppCase.app_id, AppCase.reason_key).where(
                AppCase.type_key == FORCED_DELISTING, AppCase.app_id.in_(sorted(runs))
            )
        ).all()
    )
    opened = []
    for app_id in sorted(runs):
        if (app_id, f"kpi-delisting:{runs[app_id][-1]}") in known:
            continue
        app = registry.locked_app(app_id)
        if app is None or app.status not in IN_STORES:
            continue
        run = failing_run(app_id, years)  # re-read under the lock
        if not run:
            continue
        link, new = open_forced_delisting(app, run, actor)
        if new:
            opened.append(link.case_id)
    return opened


# -- the dispatcher's handler ----------------------------------------------------------------


def veto(case, transition, user, comment="") -> str | None:
    if case.type_key != FORCED_DELISTING or transition.name != "delist":
        return None
    app_id = registry.case_app_id(case)
    app = get_state().session.get(App, app_id) if app_id else None
    if app is None:
        return _("This case names no app of the registry: it cannot delist one.")
    if app.status == "delisted":
        return _("%(app)s is delisted already.", app=app.name)
    return None


def after(case, transition, user, comment="") -> None:
    app_id = registry.case_app_id(case)
    app = get_state().session.get(App, app_id) if app_id else None
    if app is None:
        return
    username = getattr(user, "username", SYSTEM_ACTOR)
    if case.type_key == IMPROVEMENT_PLAN and transition.name in ("submit", "resubmit"):
        _notify(
            "plan_submitted",
            roles=("reviewer",),
            agency_code=case.agency_code,
            subject=_l("Improvement and marketing plan for %(app)s submitted"),
            params={"app": app.name},
            link=app_path(app.id),
            case_id=int(case.id),
            app_id=app.id,
            exclude=username,
        )
        return
    if case.type_key == FORCED_DELISTING and transition.name == "delist":
        locked = registry.locked_app(app.id)
        registry.record(
            locked,
            "delisted",
            username,
            status="delisted",
            case_id=int(case.id),
            reason="KH-KPI-4" + (f": {comment}" if comment else ""),
            details={"failed_years": list((case.data or {}).get("failed_years") or [])},
        )
    if transition.decides:
        _notify(
            f"{case.type_key}_decided",
            usernames=(case.owner_username,) if case.owner_username else (),
            subject=_l("Case #%(case)s about %(app)s decided: %(decision)s"),
            params={"case": str(case.id), "app": app.name, "decision": transition.label},
            link=app_path(app.id),
            case_id=int(case.id),
            app_id=app.id,
            exclude=username,
        )
