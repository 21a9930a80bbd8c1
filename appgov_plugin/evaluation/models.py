"""The performance evaluation's tables (KH-KPI-1..6, TN-PERF-1..3, TP-GRADE-0..2).

* :class:`AppFigure` -- an app's figures of one month: downloads per store, uninstalls, each
  store's overall rating and its number of ratings at the month's end. Entered by the
  agency, imported from a file, or collected by a city's hook from its own statistics
  source (``source``). Ratings the mailbox link imports (``appgov_store_rating``) fill a
  month whose rating was not entered.
* :class:`AppTarget` -- what an app is measured against in one year: Kaohsiung's target
  population and where the figure comes from (KH-KPI-1); Tainan's targets the agency sets
  itself (TN-PERF-1: installs, uninstalls at most, store rating, share of reviews handled).
* :class:`EvaluationRun` -- one run of the yearly evaluation (``flask appgov evaluate YEAR``
  or the Flask-Admin button): who started it, when, the evaluation date whose rule
  parameters were in force, the parameters themselves, its progress and what it did.
* :class:`AppEvaluation` -- an app's evaluation result of one year (one row per app and
  year: a re-run updates it): the figures it used, the target and its band, the rating
  result, pass or fail with the reason and the rules, the plans it needs, the consecutive
  failing years, and the cases it opened.
* :class:`RolloutScore` -- an agency's roll-out score for one major system and year
  (TP-GRADE-0), its grade (TP-GRADE-1) and the group it is ranked in; the review-report
  case of a D or E (TP-GRADE-2).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, utcnow
from ..i18n import _l

#: Where an app's figures came from.
FIGURE_SOURCES = {
    "form": _l("Entered by the agency"),
    "import": _l("Imported from a file"),
    "hook": _l("Collected from the city's statistics source"),
}
#: Which evaluation produced a result (``evaluation.kpi.EVALUATIONS``' keys).
EVALUATION_KEYS = ("kaohsiung", "tainan")
#: An evaluation run's states.
RUN_STATUSES = {
    "running": _l("Running"),
    "done": _l("Finished"),
    "failed": _l("Failed"),
}
#: The grades of TP-GRADE-1, best first.
GRADES = ("A+", "A", "B", "C", "D", "E")
#: When a roll-out evaluation is made (TP-GRADE-0: once at go-live, then yearly).
SCORE_STAGES = {"golive": _l("At go-live"), "operations": _l("Yearly, in operations")}
#: Upper bounds of what an official types (a sensible ceiling, not a rule).
MAX_COUNT = 1_000_000_000
FIRST_YEAR, LAST_YEAR = 2000, 2200


def _years(column: str = "year") -> sa.CheckConstraint:
    return sa.CheckConstraint(f"{column} BETWEEN {FIRST_YEAR} AND {LAST_YEAR}", name=column)


def _rating(column: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(f"{column} IS NULL OR {column} BETWEEN 0 AND 5", name=column)


def _count(column: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(f"{column} IS NULL OR {column} >= 0", name=column)


class AppFigure(Base):
    """One app's figures of one month (KH-KPI-5: collected regularly; TN-PERF-1)."""

    __tablename__ = "appgov_eval_app_figure"
    __table_args__ = (
        sa.UniqueConstraint("app_id", "year", "month", name="uq_appgov_eval_app_figure_month"),
        _years(),
        sa.CheckConstraint("month BETWEEN 1 AND 12", name="month"),
        _count("downloads_ios"),
        _count("downloads_android"),
        _count("uninstalls"),
        _count("ratings_ios"),
        _count("ratings_android"),
        _rating("rating_ios"),
        _rating("rating_android"),
        sa.CheckConstraint("source IN ('form', 'import', 'hook')", name="source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    app_id: Mapped[int] = mapped_column(sa.ForeignKey("appgov_app.id"), index=True)
    year: Mapped[int] = mapped_column(sa.Integer)
    month: Mapped[int] = mapped_column(sa.SmallInteger)
    #: new downloads (installs) in the month, per store; ``None``: not known
    downloads_ios: Mapped[int | None] = mapped_column(sa.Integer)
    downloads_android: Mapped[int | None] = mapped_column(sa.Integer)
    uninstalls: Mapped[int | None] = mapped_column(sa.Integer)
    #: each store's overall average at the month's end (two decimals: KH-KPI-2 compares it
    #: with a threshold exactly) and its number of ratings
    rating_ios: Mapped[Decimal | None] = mapped_column(sa.Numeric(3, 2))
    ratings_ios: Mapped[int | None] = mapped_column(sa.Integer)
    rating_android: Mapped[Decimal | None] = mapped_column(sa.Numeric(3, 2))
    ratings_android: Mapped[int | None] = mapped_column(sa.Integer)
    source: Mapped[str] = mapped_column(sa.String(16), default="form")
    recorded_by: Mapped[str] = mapped_column(sa.String(80))
    recorded_at: Mapped[dt.datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class AppTarget(Base):
    """What one app is measured against in one year."""

    __tablename__ = "appgov_eval_app_target"
    __table_args__ = (
        sa.UniqueConstraint("app_id", "year", name="uq_appgov_eval_app_target_year"),
        _years(),
        _count("target_population"),
        _count("installs_target"),
        _count("uninstalls_limit"),
        _rating("rating_target"),
        sa.CheckConstraint(
            "handled_target_percent IS NULL OR handled_target_percent BETWEEN 0 AND 100",
            name="handled_target_percent",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    app_id: Mapped[int] = mapped_column(sa.ForeignKey("appgov_app.id"), index=True)
    year: Mapped[int] = mapped_column(sa.Integer)
    #: rule KH-KPI-1: the target population and who it is / the figure's source
    target_population: Mapped[int | None] = mapped_column(sa.Integer)
    population_basis: Mapped[str | None] = mapped_column(sa.String(200))
    #: rule TN-PERF-1: the targets the agency set itself (each optional)
    installs_target: Mapped[int | None] = mapped_column(sa.Integer)
    uninstalls_limit: Mapped[int | None] = mapped_column(sa.Integer)
    rating_target: Mapped[Decimal | None] = mapped_column(sa.Numeric(3, 2))
    handled_target_percent: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 2))
    set_by: Mapped[str] = mapped_column(sa.String(80))
    set_at: Mapped[dt.datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class EvaluationRun(Base):
    """One run of the yearly evaluation: recorded whatever it finds (KH-KPI-6, TN-PERF-1)."""

    __tablename__ = "appgov_eval_run"
    __table_args__ = (
        _years(),
        sa.CheckConstraint("status IN ('running', 'done', 'failed')", name="status"),
        sa.CheckConstraint("done >= 0 AND total >= 0", name="progress"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(sa.Integer, index=True)
    profile: Mapped[str] = mapped_column(sa.String(40))
    #: the day whose rule parameters the run applied (by default the year's last day)
    evaluated_on: Mapped[dt.date] = mapped_column(sa.Date)
    actor: Mapped[str] = mapped_column(sa.String(80))
    #: ``cli`` or ``admin``
    started_from: Mapped[str] = mapped_column(sa.String(16), default="cli")
    started_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    status: Mapped[str] = mapped_column(sa.String(16), default="running")
    #: progress: apps evaluated of all
    total: Mapped[int] = mapped_column(sa.Integer, default=0)
    done: Mapped[int] = mapped_column(sa.Integer, default=0)
    #: the rule parameters in force on ``evaluated_on`` and the rules applied
    parameters: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    #: what it did: counts of passed, failed, changed, plans and delistings opened, ...
    summary: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    error: Mapped[str | None] = mapped_column(sa.Text)


class AppEvaluation(Base):
    """One app's evaluation result of one year (a re-run updates this row)."""

    __tablename__ = "appgov_eval_app_result"
    __table_args__ = (
        sa.UniqueConstraint("app_id", "year", name="uq_appgov_eval_app_result_year"),
        _years(),
        sa.CheckConstraint("evaluation IN ('kaohsiung', 'tainan')", name="evaluation"),
        sa.CheckConstraint("failing_years >= 0", name="failing_years"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    app_id: Mapped[int] = mapped_column(sa.ForeignKey("appgov_app.id"), index=True)
    year: Mapped[int] = mapped_column(sa.Integer, index=True)
    #: the run that last wrote it
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("appgov_eval_run.id"), index=True)
    evaluation: Mapped[str] = mapped_column(sa.String(16))
    #: the figures used
    downloads_ios: Mapped[int] = mapped_column(sa.Integer, default=0)
    downloads_android: Mapped[int] = mapped_column(sa.Integer, default=0)
    downloads: Mapped[int] = mapped_column(sa.Integer, default=0)
    uninstalls: Mapped[int | None] = mapped_column(sa.Integer)
    rating_ios: Mapped[Decimal | None] = mapped_column(sa.Numeric(3, 2))
    ratings_ios: Mapped[int | None] = mapped_column(sa.Integer)
    rating_android: Mapped[Decimal | None] = mapped_column(sa.Numeric(3, 2))
    ratings_android: Mapped[int | None] = mapped_column(sa.Integer)
    #: KH-KPI-2's combined average (exact, four decimals)
    combined_rating: Mapped[Decimal | None] = mapped_column(sa.Numeric(6, 4))
    feedback_count: Mapped[int] = mapped_column(sa.Integer, default=0)
    #: the median hours from a feedback item's arrival to the mailbox's answer
    median_response_hours: Mapped[Decimal | None] = mapped_column(sa.Numeric(10, 1))
    reviews: Mapped[int] = mapped_column(sa.Integer, default=0)
    reviews_handled: Mapped[int] = mapped_column(sa.Integer, default=0)
    #: KH-KPI-1: the target population, its band's rate (percent) and the target
    population: Mapped[int | None] = mapped_column(sa.Integer)
    band_rate: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 2))
    download_target: Mapped[int | None] = mapped_column(sa.Integer)
    downloads_pass: Mapped[bool | None]
    rating_pass: Mapped[bool | None]
    #: TN-PERF-1: each measure against the agency's target [{measure, value, target, met}]
    checks: Mapped[list] = mapped_column(sa.JSON, default=list)
    passed: Mapped[bool]
    #: why it passed or failed, citing the rules (English; the pages word it per locale
    #: from the fields above) and the rules applied
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    rules: Mapped[str] = mapped_column(sa.String(200), default="")
    needs_improvement_plan: Mapped[bool] = mapped_column(default=False)
    needs_marketing_plan: Mapped[bool] = mapped_column(default=False)
    #: consecutive failing years up to and including this one (KH-KPI-4, TN-DEL-1 (6))
    failing_years: Mapped[int] = mapped_column(sa.Integer, default=0)
    #: the cases the evaluation opened: the plan (KH-KPI-3), the forced delisting
    #: (KH-KPI-4), Tainan's review-report request (TN-PERF-1/3)
    plan_case_id: Mapped[int | None] = mapped_column(sa.Integer)
    delisting_case_id: Mapped[int | None] = mapped_column(sa.Integer)
    review_case_id: Mapped[int | None] = mapped_column(sa.Integer)
    evaluated_at: Mapped[dt.datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class RolloutScore(Base):
    """An agency's roll-out score for one major system and year (TP-GRADE-0..2)."""

    __tablename__ = "appgov_eval_rollout_score"
    __table_args__ = (
        sa.UniqueConstraint(
            "agency_code", "system_id", "year", name="uq_appgov_eval_rollout_score_year"
        ),
        _years(),
        sa.CheckConstraint("score >= 0 AND score <= 100", name="score"),
        sa.CheckConstraint("grade IN ('A+', 'A', 'B', 'C', 'D', 'E')", name="grade"),
        sa.CheckConstraint("stage IN ('golive', 'operations')", name="stage"),
        sa.Index("ix_appgov_eval_rollout_score_system_year", "system_id", "year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_code: Mapped[str] = mapped_column(sa.String(40), index=True)
    system_id: Mapped[int] = mapped_column(sa.ForeignKey("appgov_rollout_system.id"))
    year: Mapped[int] = mapped_column(sa.Integer)
    stage: Mapped[str] = mapped_column(sa.String(16), default="operations")
    #: 0-100, decimals allowed (TP-GRADE-1): two places, compared exactly
    score: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2))
    #: TP-GRADE-1, from the policy facade when the score was recorded
    grade: Mapped[str] = mapped_column(sa.String(2))
    #: TP-GRADE-0: agencies are ranked within the group of their business's nature
    #: (by default the agency's kind in the roll-out registry)
    group_key: Mapped[str] = mapped_column(sa.String(40))
    #: TP-GRADE-2: E units outside the yearly IT evaluation join it next year
    in_it_evaluation: Mapped[bool] = mapped_column(default=True)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    #: TP-GRADE-2: the review-report case of a D or E
    review_case_id: Mapped[int | None] = mapped_column(sa.Integer)
    source: Mapped[str] = mapped_column(sa.String(16), default="form")
    recorded_by: Mapped[str] = mapped_column(sa.String(80))
    recorded_at: Mapped[dt.datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
