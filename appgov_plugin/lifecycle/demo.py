"""Demonstration cases of an app's later life, on the forms the deployment offers: an approved
app ready to list and a listed app with its version history (:func:`load_listings`), an
accepted self-check, a delisting application and a yearly KPI report as drafts, a yearly
KPI report accepted by the authority (its written reply as PDF, :func:`load_kpi_reply`), an
improvement and marketing plan submitted on time, one overdue, and an app below the KPI in
consecutive years for the sweep's -- or last year's evaluation run's -- forced delisting,
opened once whichever comes first (:func:`load_plans`; :mod:`..evaluation.demo`)."""

from __future__ import annotations

import datetime as dt

from ..apps.models import App
from ..clock import today
from ..demo import agency_staff, file_offered, filed_answers, registered_app
from ..state import get_state
from . import deadlines, registry
from .case_types import (
    DELISTING,
    IMPROVEMENT_PLAN,
    KPI_REPORT,
    LISTING,
    SELF_CHECK,
    case_types,
)
from .models import AppCase, AppYearResult
from .plans import delisting_years, plans_apply


def load(open_case, users) -> None:
    owner = agency_staff(users)
    if owner is None:
        return
    steps = {LISTING: ("submit",), SELF_CHECK: ("submit", "accept"), IMPROVEMENT_PLAN: ("submit",)}
    # listings: load_listings; delisting applications: load_delistings
    # improvement plans (and forced delisting): load_plans
    others = [t for t in case_types() if t.key not in (LISTING, DELISTING, IMPROVEMENT_PLAN)]
    file_offered(open_case, others, owner, steps)
    load_listings(open_case, owner)
    load_delistings(open_case, owner)
    load_plans(open_case, owner)
    load_kpi_reply(open_case, owner)


def load_kpi_reply(open_case, owner) -> None:
    """Where the yearly KPI report is filed (KH-KPI-6), one the authority accepted: its
    written reply downloads as PDF from the case page (issue 16)."""
    offered = next((t for t in case_types() if t.key == KPI_REPORT), None)
    if offered is None or not offered.is_offered():
        return
    answers = filed_answers(offered.current_form_key())
    open_case(KPI_REPORT, owner.agency_code, owner.username, answers, ("submit", "accept"))


def _approved_app(open_case, owner, name: str):
    """An app entered in the registry by an approved development proposal (the profile's
    own proposal form and approval path), or ``None`` where no proposal is filed."""
    import sqlalchemy as sa

    from ..apps.case_types import proposal_form_key, rests_on_ground_four

    form_key = proposal_form_key()
    if form_key is None:
        return None
    answers = {**filed_answers(form_key), "app_name": name}
    steps = ("submit_to_head", "head_approve") if rests_on_ground_four(answers) else ("submit",)
    # rule TN-EVAL-1: countersigned, then approved by the city; KH-EVAL-1: approved
    policy = get_state().policy()
    steps += ("countersign", "city_approve") if policy.applies("TN-EVAL-1") else ("approve",)
    case = open_case("appgov_app_proposal", owner.agency_code, owner.username, answers, steps)
    return get_state().session.scalar(sa.select(App).where(App.proposal_case_id == case.id))


def listing_answers(app, kind: str, new_version: str, previous=None, report=False, summary=""):
    """The listing checklist's sample answers as this deployment files them, for ``app``."""
    from ..forms import samples, store

    policy = get_state().policy()
    answers = dict(samples.answers_for("listing_checklist", policy.profile) or {})
    answers.update(
        app=str(app.id),
        kind=kind,
        new_version=new_version,
        previous_version=previous,
        change_summary=summary or None,
        security_takedown=bool(app.security_takedown) if kind == "relisting" else None,
    )
    if report:  # rule KH-SEC-1
        answers["security_report"] = samples.Upload("pdf", f"資安檢測報告-{new_version}.pdf")
    else:
        answers.pop("security_report", None)
    asked = set(store.live("listing_checklist").asked(policy.applies))
    answers = {k: v for k, v in answers.items() if k in asked}
    return {**samples.stored_files(answers), "app_name": app.name}


def load_listings(open_case, owner) -> None:
    """An approved app ready to list, and a listed one with its versions: the listing
    (1.0.0, with the security test report under KH-SEC-1), a minor update (1.1.0, no
    report) and a major update (2.0.0, with the report)."""
    offered = next((t for t in case_types() if t.key == LISTING), None)
    if offered is None or not offered.is_offered():
        return
    ready = _approved_app(open_case, owner, "臺南好停車（示範：待上架）")
    listed = _approved_app(open_case, owner, "臺南公車即時通（示範）")
    if ready is None or listed is None:
        return
    steps = ("submit", "accept")
    for kind, new, previous, report, summary in (
        ("new_listing", "1.0.0", None, True, ""),
        ("version_change", "1.1.0", "1.0.0", False, "新增常用路線收藏；修正到站時間顯示。"),
        ("version_change", "2.0.0", "1.1.0", True, "改版為新架構，新增轉乘規劃及無障礙公車預約。"),
    ):
        answers = listing_answers(listed, kind, new, previous, report, summary)
        open_case(LISTING, owner.agency_code, owner.username, answers, steps)


def load_delistings(open_case, owner) -> None:
    """An app listed without an approved proposal (KH-EVAL-3: the authority stops or delists
    it), and where the delisting application is filed (TN-DEL-1..3) two listed apps with
    one submitted each: a permanent delisting announced in the app 40 days ago (the notice
    of TN-DEL-2 given), and a short-term takedown for a severe defect (ground (5): no
    notice)."""

    from ..forms import samples

    policy = get_state().policy()
    day = today()

    def demo_app(name: str, approved: bool = True):
        listed_on = day - dt.timedelta(days=400)
        return registered_app(owner, name, version="1.0.0", listed_on=listed_on, approved=approved)

    # rule KH-EVAL-3: no approved proposal, so the authority stops or delists it
    demo_app("臺南夜市地圖（示範：未經核准上架）", approved=False)
    offered = next((t for t in case_types() if t.key == DELISTING), None)
    if offered is None or not offered.is_offered():
        return
    lantern = demo_app("臺南古都燈會（示範：申請永久下架）")
    announced = day - dt.timedelta(days=40)
    permanent = {
        **samples.answers_for("delisting_application", policy.profile),
        "app": str(lantern.id),
        "app_name": lantern.name,
        "announced_on": announced.isoformat(),  # rule TN-DEL-2: one month's notice given
        "delist_on": max(day, policy.deadline("delisting_notice", announced)).isoformat(),
    }
    open_case(DELISTING, owner.agency_code, owner.username, permanent, ("submit",))
    defect = demo_app("府城防災通（示範：短期下架）")
    short_term = {
        "app": str(defect.id),
        "app_name": defect.name,
        "platforms": ["ios", "android"],
        "takedown_kind": "short_term",
        "grounds": "severe_defect",  # rule TN-DEL-1 (5), TN-DEL-2: no notice needed
        "evaluation": "新版推播模組造成部分 Android 裝置開啟即閃退，廠商評估須兩週修復，先行下架。",
        "delist_on": day.isoformat(),
        "short_term_until": (day + dt.timedelta(days=14)).isoformat(),
    }
    open_case(DELISTING, owner.agency_code, owner.username, short_term, ("submit",))


def load_plans(open_case, owner) -> None:
    """Where the deployment asks for plans (KH-KPI-3): a plan submitted today (its review due
    in 14 days), a plan submitted 20 days ago whose review is overdue (its deadline started
    then), and, where KH-KPI-4 applies, an app below the KPI in the consecutive years of the
    rule in force, recorded without its forced delisting: ``flask appgov sweep`` opens it, or
    the evaluation of last year (its figures from :mod:`appgov_plugin.evaluation.demo` fail
    the same way), whichever runs first -- one case either way (reason
    ``kpi-delisting:<last year>``)."""

    policy = get_state().policy()
    if not plans_apply(policy):
        return
    session = get_state().session
    day = today()
    year = day.year - 1

    def demo_app(name: str) -> App:
        listed_on = day - dt.timedelta(days=900)
        return registered_app(owner, name, version="1.2.0", listed_on=listed_on)

    def failed(app: App, on_year: int, downloads: bool, rating: bool) -> AppYearResult:
        result = AppYearResult(
            app_id=app.id,
            year=on_year,
            passed=False,
            downloads_failed=downloads,
            rating_failed=rating,
            reason="示範資料",
            recorded_by="demo",
        )
        session.add(result)
        session.flush()
        registry.record(
            app,
            "kpi_result",
            "demo",
            reason="KH-KPI-3",
            details={
                "year": on_year,
                "passed": False,
                "downloads_failed": downloads,
                "rating_failed": rating,
            },
        )
        return result

    answers = filed_answers("improvement_marketing_plan")
    for name, submitted_days_ago in (
        ("府城觀光導覽（示範：改善計畫審查中）", 0),
        ("活動報名通（示範：改善計畫審查逾期）", 20),
    ):
        app = demo_app(name)
        result = failed(app, year, downloads=True, rating=True)
        data = {
            **answers,
            "app": str(app.id),
            "app_name": app.name,
            "year": year,
            "downloads_failed": True,
            "rating_failed": True,
        }
        case = open_case(IMPROVEMENT_PLAN, owner.agency_code, owner.username, data, ("submit",))
        link = session.get(AppCase, int(case.id))
        link.reason_key = f"kpi:{result.year}"
        registry.record(
            app,
            "plan_opened",
            "demo",
            case_id=link.case_id,
            reason="KH-KPI-3",
            details={"year": year},
        )
        if submitted_days_ago:  # rule KH-KPI-3: the 14-day review started back then
            started = day - dt.timedelta(days=submitted_days_ago)
            deadlines.on_transition(case, "submitted", app.id, on=started)
    years = delisting_years(policy)
    if years > 0:  # rule KH-KPI-4
        # recorded by hand; last year's figures (evaluation/demo.py) fail the same way, so
        # ``flask appgov evaluate <last year>`` keeps that result and opens the demo's one
        # forced delisting -- or finds the one the sweep opened first (the same reason key)
        app = demo_app("舊城導覽（示範：連續未達績效指標）")
        for on_year in range(year - years + 1, year + 1):
            failed(app, on_year, downloads=True, rating=False)
    session.flush()
