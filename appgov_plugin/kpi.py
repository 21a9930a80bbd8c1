"""KPI evaluation of one app for one period (KH-KPI-1..3), with the rules in force on the
evaluation date: a 2025 evaluation re-run in 2027 still uses 2025's parameters."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class KpiResult:
    evaluated_on: dt.date
    download_target: int
    downloads: int
    downloads_pass: bool
    rating_bar: Decimal
    rating_pass: bool
    #: KH-KPI-3: the improvement part when the rating fails, the marketing part when
    #: downloads fail
    needs_improvement_plan: bool
    needs_marketing_plan: bool

    @property
    def passes(self) -> bool:
        return self.downloads_pass and self.rating_pass


def evaluate(policy, population: int, downloads: int, ios=None, android=None) -> KpiResult:
    """Evaluate with ``policy`` (built ``as_of`` the evaluation date)."""
    target = policy.download_target(population)  # rule KH-KPI-1
    if isinstance(downloads, bool) or not isinstance(downloads, int) or downloads < 0:
        raise ValueError(f"downloads must be a whole number of at least 0, not {downloads!r}")
    rating_pass = policy.rating_passes(ios=ios, android=android)  # rule KH-KPI-2
    return KpiResult(
        evaluated_on=policy.as_of,
        download_target=target,
        downloads=downloads,
        downloads_pass=downloads >= target,
        rating_bar=policy.param("rating_bar"),
        rating_pass=rating_pass,
        needs_improvement_plan=not rating_pass,  # rule KH-KPI-3
        needs_marketing_plan=downloads < target,  # rule KH-KPI-3
    )
