"""Demonstration figures and targets for last year's evaluation run (issue 14 item 2):
monthly :class:`~.models.AppFigure` rows (from the month an app was listed, the year before
last onwards: the target is reached by the downloads summed to the year's end, KH-KPI-1) and
last year's :class:`~.models.AppTarget` of the demo apps (:mod:`..apps.demo`,
:mod:`..lifecycle.demo`), so that ``flask appgov evaluate <last year>`` finds every case:

* Kaohsiung (KH-KPI-1..4):

  - the Tourism Bureau's app: target population 1,986,191 (the template's example: target
    99,309), 120,000 downloads, rated 4.3 / 4.1: passes;
  - the night-market map: 35,000 (target 8,750), 9,100 downloads, but rated 3.6 (40
    ratings) / 3.4 (60): combined 3.48, not above 3.5 (KH-KPI-2): a NEW improvement plan
    (the improvement part) is opened (KH-KPI-3);
  - the two apps whose plans the lifecycle demo filed for last year: 2,750,000 (target
    137,500) with 80,000 downloads rated 3.2 / 3.0, and 150,000 (target 15,000) with 6,000
    downloads rated exactly 3.5 on both stores (3.5 fails): both fail both parts, as
    recorded; their plans exist (reason ``kpi:<year>``): none opened again;
  - the old-town guide, below the KPI by its downloads in the years the lifecycle demo
    recorded by hand (last year included): 420,000 (target 42,000), 18,000 downloads, rated
    4.0: its downloads fail as recorded, the consecutive failing years reach the profile's
    count and the ONE forced delisting of the demo opens (KH-KPI-4) -- or, when
    ``flask appgov sweep`` opened it first, the run links that one (the same reason key).

* Tainan (TN-PERF-1): the Tourism Bureau's app meets the targets its agency set (installs,
  uninstalls at most, store rating); the night-market map misses its installs target: the
  poor performer the authority may ask for a review report (TN-PERF-1/3).

The Taipei profile evaluates no apps: no figures are loaded there.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa

from ..apps.models import App
from ..clock import today
from ..state import get_state
from .kpi import evaluations
from .models import AppFigure, AppTarget

#: name prefix -> (target population, downloads to last year's end, (iOS avg, count),
#: (Android avg, count)); rule KH-KPI-1/2
KAOHSIUNG = {
    "臺南市政府觀光旅遊局行動服務": (1_986_191, 120_000, ("4.30", 1_200), ("4.10", 2_300)),
    "臺南夜市地圖": (35_000, 9_100, ("3.60", 40), ("3.40", 60)),
    "府城觀光導覽": (2_750_000, 80_000, ("3.20", 300), ("3.00", 500)),
    "活動報名通": (150_000, 6_000, ("3.50", 80), ("3.50", 120)),
    "舊城導覽": (420_000, 18_000, ("4.00", 150), ("4.00", 250)),
}
#: name prefix -> (installs of last year, its target, uninstalls, their limit, (iOS),
#: (Android), rating target); rule TN-PERF-1
TAINAN = {
    "臺南市政府觀光旅遊局行動服務": (
        26_000,
        20_000,
        1_800,
        3_000,
        ("4.40", 900),
        ("4.20", 1_600),
        "4.00",
    ),
    "臺南夜市地圖": (2_100, 5_000, 300, 1_000, ("3.90", 30), ("4.10", 45), "3.80"),
}


def _months(listed_on: dt.date | None, year: int, since: int) -> list[tuple[int, int]]:
    """(year, month) from the app's listing (or January of ``since``) to ``year``'s end."""
    first = dt.date(since, 1, 1)
    start = max(first, listed_on.replace(day=1)) if listed_on else first
    months = []
    on = start
    while on.year <= year:
        months.append((on.year, on.month))
        on = dt.date(on.year + (on.month == 12), on.month % 12 + 1, 1)
    return months


def _figures(
    app: App, year: int, total: int, ios, android, uninstalls=None, since=None
) -> list[AppFigure]:
    """``total`` downloads spread over the app's months since ``since`` (default the year
    before ``year``; 40 % iOS), each month rated ``ios`` / ``android``; the year's
    ``uninstalls`` spread over its months."""
    months = _months(app.listed_on, year, year - 1 if since is None else since)
    each = total // len(months)
    in_year = [m for m in months if m[0] == year]
    rows = []
    for number, (on_year, month) in enumerate(months):
        count = each + (total - each * len(months) if number == len(months) - 1 else 0)
        ios_count = count * 2 // 5
        rows.append(
            AppFigure(
                app_id=app.id,
                year=on_year,
                month=month,
                downloads_ios=ios_count,
                downloads_android=count - ios_count,
                uninstalls=None
                if uninstalls is None or on_year != year
                else uninstalls // len(in_year)
                + (uninstalls % len(in_year) if (on_year, month) == in_year[-1] else 0),
                rating_ios=Decimal(ios[0]),
                ratings_ios=ios[1],
                rating_android=Decimal(android[0]),
                ratings_android=android[1],
                source="form",
                recorded_by="demo",
            )
        )
    return rows


def _app(prefix: str) -> App | None:
    return get_state().session.scalar(
        sa.select(App).where(App.name.startswith(prefix)).order_by(App.id).limit(1)
    )


def load(open_case, users) -> None:
    policy = get_state().policy()
    keys = evaluations(policy)
    if not keys:  # the Taipei profile evaluates no apps
        return
    session = get_state().session
    year = today().year - 1
    if "kaohsiung" in keys:
        for prefix, (population, total, ios, android) in KAOHSIUNG.items():
            app = _app(prefix)
            if app is None:
                continue
            session.add_all(_figures(app, year, total, ios, android))
            session.add(
                AppTarget(
                    app_id=app.id,
                    year=year,
                    target_population=population,  # rule KH-KPI-1
                    population_basis="示範：服務對象人口（主計處統計）",
                    set_by="demo",
                )
            )
    elif "tainan" in keys:
        for prefix, (installs, target, uninstalls, limit, ios, android, rating) in TAINAN.items():
            app = _app(prefix)
            if app is None:
                continue
            # the installs of the year alone (the period TN-PERF-1 assesses)
            session.add_all(_figures(app, year, installs, ios, android, uninstalls, since=year))
            session.add(
                AppTarget(
                    app_id=app.id,
                    year=year,
                    installs_target=target,  # rule TN-PERF-1: set by the agency itself
                    uninstalls_limit=limit,
                    rating_target=Decimal(rating),
                    set_by="demo",
                )
            )
    session.flush()
