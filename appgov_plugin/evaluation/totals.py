"""An app's figures of one year, aggregated for every app at once (KH-KPI-1/2/5,
TN-PERF-1): the evaluation run, the results pages and the charts read them from here.

One statement per source whatever the number of apps (GROUP BY aggregates, no per-app
query):

* ``appgov_eval_app_figure``, in ONE pass (:func:`_monthly`) -- downloads summed to the
  year's end (KH-KPI-1: the yearly report asks the cumulative downloads at the year's end,
  ``forms/kpi_yearly_report.toml``), the year's own downloads and uninstalls, the months
  with figures, and the latest month of the year with a rating per store (with its rating
  and count, packed in the same aggregate);
* the mailbox's ``appgov_store_rating``: the store's overall rating on the latest day on or
  before 31 December, for a store whose months give none;
* the mailbox's feedback (``appgov_feedback``): items that arrived in the year, and the
  median hours from arrival to the mailbox's answer. An item is *answered* when the mailbox
  reported it closed with a reply (``status == "closed"`` and ``status_notes`` given, Open311's
  status and notes); the moment it was answered is ``updated_at``, when appgov recorded
  that closure from the mailbox;
* the store reviews (``appgov_store_review``) written in the year; handled = replied.

Years run in Taiwan time (UTC+8).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable
from decimal import Decimal
from typing import NamedTuple

import sqlalchemy as sa

from ..state import get_state
from .models import AppFigure

TAIWAN = dt.timezone(dt.timedelta(hours=8))


class YearFigures(NamedTuple):
    """One app's figures of a year (immutable; a named tuple: 2,000 of them are built per
    run)."""

    app_id: int
    downloads_ios: int
    downloads_android: int
    downloads: int  # cumulative to the year's end (rule KH-KPI-1)
    downloads_in_year: int
    uninstalls: int | None
    rating_ios: Decimal | None
    ratings_ios: int | None
    rating_android: Decimal | None
    ratings_android: int | None
    months: int
    feedback_count: int
    median_response_hours: Decimal | None
    reviews: int
    reviews_handled: int


def year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    """The year's first instant and the next year's, Taiwan time."""
    return dt.datetime(year, 1, 1, tzinfo=TAIWAN), dt.datetime(year + 1, 1, 1, tzinfo=TAIWAN)


def _only(query, column, app_ids):
    return query if app_ids is None else query.where(column.in_(app_ids))


#: :func:`_monthly`'s packing of a month's rating: month, rating in hundredths, count + 1.
MONTH_SHIFT, STARS_SHIFT = 10**13, 10**10


def _latest_rated(rating, count, month):
    """The month, its rating (hundredths of a star) and its count (+ 1; 0: no count) packed
    in one whole number, month first: ``MAX`` of it over an app's rows is the latest month
    with a rating together with that month's figures (rule KH-KPI-2), with no second look
    at the table. Exact: a rating is ``Numeric(3, 2)`` from 0 to 5 (0..500 hundredths, the
    rounding only undoes SQLite's binary REAL) and a count an ``Integer`` (< 2**31 <
    STARS_SHIFT; added to as a BIGINT), so the parts never overlap; the largest value
    (12 * 10**13 + ...) fits a BIGINT."""

    def number(value: int):  # in the SQL text, not a parameter: a constant to the planner
        return sa.literal_column(str(value), sa.BigInteger)

    hundredths = sa.cast(sa.func.round(rating * number(100)), sa.BigInteger)
    return (
        sa.cast(month, sa.BigInteger) * number(MONTH_SHIFT)
        + hundredths * number(STARS_SHIFT)
        + sa.func.coalesce(sa.cast(count, sa.BigInteger) + number(1), number(0))
    )


def _unpack(value) -> tuple[Decimal, int | None] | None:
    """:func:`_latest_rated`'s (rating, count), or ``None`` (no month with a rating)."""
    if value is None:
        return None
    value = int(value)
    hundredths, count = divmod(value % MONTH_SHIFT, STARS_SHIFT)
    return Decimal(hundredths).scaleb(-2), (count - 1 if count else None)


def _monthly(session, year, app_ids) -> dict[int, tuple]:
    """ONE statement over ``appgov_eval_app_figure`` for every app (rules KH-KPI-1/2,
    TN-PERF-1): {app: (downloads iOS, Android to the year's end, the year's downloads, its
    uninstalls, its months, (rating, count) iOS or None, the same for Android)}.

    One pass over the rows to the year's end (``year <= Y``: the (app, year, month) unique
    index) sums the downloads, and -- the year's rows only, by aggregate ``FILTER`` -- the
    year's own figures and the latest month with a rating per store (:func:`_latest_rated`;
    no window over every row, no join back)."""
    f = AppFigure
    in_year = f.year == year
    query = _only(
        sa.select(
            f.app_id,
            sa.func.sum(f.downloads_ios),
            sa.func.sum(f.downloads_android),
            sa.func.sum(f.downloads_ios).filter(in_year),
            sa.func.sum(f.downloads_android).filter(in_year),
            sa.func.sum(f.uninstalls).filter(in_year),
            sa.func.count().filter(in_year),
            sa.func.max(_latest_rated(f.rating_ios, f.ratings_ios, f.month)).filter(
                in_year, f.rating_ios.is_not(None)
            ),
            sa.func.max(_latest_rated(f.rating_android, f.ratings_android, f.month)).filter(
                in_year, f.rating_android.is_not(None)
            ),
        )
        .where(f.year <= year)
        .group_by(f.app_id),
        f.app_id,
        app_ids,
    )
    found = {}
    # plain values through the Core connection (no ORM row processing)
    for (
        app_id,
        d_ios,
        d_android,
        y_ios,
        y_android,
        uninstalls,
        months,
        r_ios,
        r_android,
    ) in session.connection().execute(query).all():  # one fetchall, not a fetch per row
        found[app_id] = (
            d_ios or 0,
            d_android or 0,
            (y_ios or 0) + (y_android or 0),
            uninstalls,
            months,
            _unpack(r_ios),
            _unpack(r_android),
        )
    return found


def _store_ratings(session, year, app_ids) -> dict[int, dict]:
    """The mailbox's StoreRating latest on or before 31 December, per app and store."""
    from ..mailbox.models import StoreRating as r

    rank = (
        sa.func.row_number()
        .over(partition_by=(r.app_id, r.store), order_by=r.on_date.desc())
        .label("rank")
    )
    inner = _only(
        sa.select(r.app_id, r.store, r.average, r.ratings, rank).where(
            r.on_date <= dt.date(year, 12, 31)
        ),
        r.app_id,
        app_ids,
    ).subquery()
    found: dict[int, dict] = {}
    for row in session.execute(sa.select(inner).where(inner.c.rank == 1)):
        found.setdefault(row.app_id, {})[row.store] = (Decimal(row.average), row.ratings)
    return found


def _feedback(session, year, app_ids) -> dict[int, tuple[int, Decimal | None]]:
    from ..mailbox.models import Feedback as fb

    start, end = year_bounds(year)
    answered = sa.and_(fb.status == "closed", fb.status_notes.is_not(None), fb.status_notes != "")
    query = _only(
        sa.select(fb.app_id, fb.requested_at, sa.case((answered, fb.updated_at))).where(
            fb.requested_at >= start, fb.requested_at < end
        ),
        fb.app_id,
        app_ids,
    )
    counts: dict[int, int] = {}
    hours: dict[int, list[Decimal]] = {}
    for app_id, arrived, answered_at in session.execute(query):
        counts[app_id] = counts.get(app_id, 0) + 1
        if answered_at is not None:
            seconds = (_aware(answered_at) - _aware(arrived)).total_seconds()
            hours.setdefault(app_id, []).append(Decimal(int(seconds)) / 3600)
    return {
        app_id: (
            count,
            statistics.median(hours[app_id]).quantize(Decimal("0.1")) if app_id in hours else None,
        )
        for app_id, count in counts.items()
    }


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _reviews(session, year, app_ids) -> dict[int, tuple[int, int]]:
    from ..mailbox.models import StoreReview as sr

    start, end = year_bounds(year)
    query = _only(
        sa.select(sr.app_id, sa.func.count(sr.id), sa.func.count(sr.replied_at))
        .where(sr.reviewed_at >= start, sr.reviewed_at < end)
        .group_by(sr.app_id),
        sr.app_id,
        app_ids,
    )
    return {app_id: (count, handled) for app_id, count, handled in session.execute(query)}


def no_figures(app_id: int) -> YearFigures:
    """An app's year without any figure."""
    return YearFigures(
        app_id=app_id, downloads_ios=0, downloads_android=0, downloads=0, downloads_in_year=0,
        uninstalls=None, rating_ios=None, ratings_ios=None, rating_android=None,
        ratings_android=None, months=0, feedback_count=0, median_response_hours=None,
        reviews=0, reviews_handled=0,
    )  # fmt: skip


def year_figures(year: int, app_ids: Iterable[int] | None = None) -> dict[int, YearFigures]:
    """Every app's figures of ``year`` (``app_ids``: those apps only, each present even
    without figures); four statements whatever the number of apps."""
    session = get_state().session
    session.flush()  # the figures read through the Core connection include pending ones
    ids = None if app_ids is None else sorted(set(app_ids))
    monthly = _monthly(session, year, ids)
    imported = _store_ratings(session, year, ids)
    feedback = _feedback(session, year, ids)
    reviews = _reviews(session, year, ids)
    keys = set(ids) if ids is not None else set().union(monthly, imported, feedback, reviews)
    nothing = (0, 0, 0, None, 0, None, None)
    found = {}
    for app_id in sorted(keys):
        ios, android, in_year, uninstalls, months, rated_ios, rated_android = monthly.get(
            app_id, nothing
        )
        # a month's entered rating first; else the mailbox's imported store rating
        if (rated_ios is None or rated_android is None) and app_id in imported:
            stored = imported[app_id]
            rated_ios = rated_ios or stored.get("ios")
            rated_android = rated_android or stored.get("android")
        rating_ios, ratings_ios = rated_ios or (None, None)
        rating_android, ratings_android = rated_android or (None, None)
        count, median = feedback.get(app_id, (0, None))
        review_count, handled = reviews.get(app_id, (0, 0))
        found[app_id] = YearFigures(
            app_id,
            ios,
            android,
            ios + android,
            in_year,
            uninstalls,
            rating_ios,
            ratings_ios,
            rating_android,
            ratings_android,
            months,
            count,
            median,
            review_count,
            handled,
        )
    return found
