"""Evaluating one app for one period, the way the deployment's rules say (rules.md,
"Profiles are real"), with the rules in force on the evaluation date: a 2025 evaluation
re-run in 2027 still uses 2025's parameters.

Two evaluations exist; a deployment runs the ones whose rules it applies
(:func:`evaluations`):

- ``kaohsiung`` (KH-KPI-1..3): the download target of the target population's band, the
  combined star rating above the bar, and the improvement-and-marketing plan an app below
  either needs;
- ``tainan`` (TN-PERF-1, TN-PERF-3, TN-DEL-1 (6)): installs, uninstalls, store rating and
  review handling against the targets the agency set itself; a poor performer gets
  improvement measures or a delisting evaluation.

The Taipei profile has neither (it may adopt one).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..i18n import _l

#: Upper bounds of what an official types (a sensible ceiling, not a rule).
MAX_POPULATION = 100_000_000
MAX_COUNT = 1_000_000_000  # downloads, installs, uninstalls, ratings, reviews


@dataclass(frozen=True)
class Evaluation:
    """One way of evaluating apps: it runs where every rule of ``requires`` applies;
    ``rules`` are the ones a deployment adopts to run all of it."""

    key: str
    requires: tuple[str, ...]
    rules: tuple[str, ...]
    label: Any


EVALUATIONS: dict[str, Evaluation] = {
    e.key: e
    for e in (
        Evaluation(
            "kaohsiung",
            ("KH-KPI-1", "KH-KPI-2"),
            ("KH-KPI-1", "KH-KPI-2", "KH-KPI-3"),
            _l("Kaohsiung City KPI evaluation: download target, star rating, plan"),
        ),
        Evaluation(
            "tainan",
            ("TN-PERF-1",),
            ("TN-PERF-1", "TN-PERF-2", "TN-PERF-3"),
            _l("Tainan City evaluation against the agency's own targets"),
        ),
    )
}


def evaluations(policy) -> list[str]:
    """The evaluations ``policy``'s deployment runs, in :data:`EVALUATIONS` order."""
    return [key for key, e in EVALUATIONS.items() if all(map(policy.applies, e.requires))]


def _count(value: Any, what: str, maximum: int = MAX_COUNT) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
        raise ValueError(f"{what} must be a whole number from 0 to {maximum:,}, not {value!r}")
    return value


# -- Kaohsiung: KH-KPI-1..3 ----------------------------------------------------------------


@dataclass(frozen=True)
class KpiResult:
    evaluated_on: dt.date
    population: int
    download_target: int
    downloads: int
    downloads_pass: bool
    rating_bar: Decimal
    rating_pass: bool
    #: KH-KPI-3 applies in this deployment (else no plan is mentioned)
    plan_rule_applies: bool
    #: KH-KPI-3: the improvement part when the rating fails, the marketing part when
    #: downloads fail
    needs_improvement_plan: bool
    needs_marketing_plan: bool

    @property
    def passes(self) -> bool:
        return self.downloads_pass and self.rating_pass


def evaluate(policy, population: int, downloads: int, ios=None, android=None) -> KpiResult:
    """KH-KPI-1..3 with ``policy`` (built ``as_of`` the evaluation date)."""
    _count(population, "population", MAX_POPULATION)
    _count(downloads, "downloads")
    target = policy.download_target(population)  # rule KH-KPI-1
    rating_pass = policy.rating_passes(ios=ios, android=android)  # rule KH-KPI-2
    plan = policy.applies("KH-KPI-3")
    return KpiResult(
        evaluated_on=policy.as_of,
        population=population,
        download_target=target,
        downloads=downloads,
        downloads_pass=downloads >= target,
        rating_bar=policy.param("rating_bar"),
        rating_pass=rating_pass,
        plan_rule_applies=plan,
        needs_improvement_plan=plan and not rating_pass,  # rule KH-KPI-3
        needs_marketing_plan=plan and downloads < target,  # rule KH-KPI-3
    )


# -- Tainan: TN-PERF-1, TN-PERF-3, TN-DEL-1 (6) -------------------------------------------

#: measure -> label; each is compared with the target the agency set (TN-PERF-1)
MEASURES: dict[str, Any] = {
    "installs": _l("Installs"),
    "uninstalls": _l("Uninstalls"),
    "rating": _l("Store rating"),
    "review_handling": _l("Reviews handled"),
}


@dataclass(frozen=True)
class TargetCheck:
    """One measure against the agency's target: ``at_least`` (installs, rating, share of
    reviews handled) or at most (uninstalls)."""

    measure: str
    value: Any  # int, or Decimal (stars, percent)
    target: Any
    at_least: bool

    @property
    def met(self) -> bool:
        return self.value >= self.target if self.at_least else self.value <= self.target

    @property
    def label(self) -> Any:
        return MEASURES[self.measure]


@dataclass(frozen=True)
class TargetResult:
    evaluated_on: dt.date
    checks: tuple[TargetCheck, ...]
    #: TN-PERF-3 / TN-DEL-1 apply in this deployment
    measures_rule_applies: bool
    delisting_rule_applies: bool

    @property
    def passes(self) -> bool:
        return all(check.met for check in self.checks)

    @property
    def missed(self) -> tuple[TargetCheck, ...]:
        return tuple(check for check in self.checks if not check.met)


def evaluate_targets(
    policy,
    *,
    installs: int | None = None,
    installs_target: int | None = None,
    uninstalls: int | None = None,
    uninstalls_limit: int | None = None,
    rating: Decimal | None = None,
    rating_target: Decimal | None = None,
    reviews: int | None = None,
    reviews_handled: int | None = None,
    handled_target_percent: Decimal | None = None,
) -> TargetResult:
    """TN-PERF-1: each measure the agency set a target for, against that target.

    A measure is given with its target or not at all; at least one is needed. The share
    of reviews handled is ``reviews_handled / reviews`` in percent (100 % with no reviews).
    """
    pairs = {
        "installs": (installs, installs_target),
        "uninstalls": (uninstalls, uninstalls_limit),
        "rating": (rating, rating_target),
        "review_handling": (reviews_handled, handled_target_percent),
    }
    checks = []
    for measure, (value, target) in pairs.items():
        if measure == "review_handling" and (reviews is None) != (value is None):
            raise ValueError("reviews and reviews handled are given together")
        if (value is None) != (target is None):
            raise ValueError(f"{measure}: the value and the agency's target are given together")
        if value is None:
            continue
        if measure == "rating":
            value, target = Decimal(value), Decimal(target)
            for number in (value, target):
                if not Decimal(0) <= number <= Decimal(5):
                    raise ValueError(f"rating {number} is outside 0-5")
            checks.append(TargetCheck(measure, value, target, at_least=True))
        elif measure == "review_handling":
            _count(reviews, "reviews")
            _count(value, "reviews handled", reviews)
            target = Decimal(target)
            if not Decimal(0) <= target <= Decimal(100):
                raise ValueError(f"handled target {target} is outside 0-100 %")
            share = Decimal(100) if reviews == 0 else Decimal(value) * 100 / Decimal(reviews)
            checks.append(TargetCheck(measure, share, target, at_least=True))
        else:
            _count(value, measure)
            _count(target, f"{measure} target")
            checks.append(TargetCheck(measure, value, target, at_least=measure == "installs"))
    if not checks:
        raise ValueError("give at least one measure with the agency's target (TN-PERF-1)")
    return TargetResult(
        evaluated_on=policy.as_of,
        checks=tuple(checks),
        measures_rule_applies=policy.applies("TN-PERF-3"),
        delisting_rule_applies=policy.applies("TN-DEL-1"),
    )
