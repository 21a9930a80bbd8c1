"""TIME-1..4: the working calendar, with property-based tests (hypothesis)."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

import appgov_plugin
from appgov_plugin.policy.calendar import DayChange, WorkingCalendar, add_months

policy = appgov_plugin.get_policy("taipei")
days = st.dates(min_value=dt.date(2023, 6, 1), max_value=dt.date(2028, 6, 30))
counts = st.integers(min_value=1, max_value=400)


@given(days, counts)
def test_deadline_is_a_working_day_strictly_after_the_start(start, n):
    deadline = policy.add_working_days(start, n)
    assert deadline > start
    assert policy.is_working_day(deadline)


@given(days, counts)
def test_exactly_n_working_days_lie_after_the_start(start, n):
    deadline = policy.add_working_days(start, n)
    between = [start + dt.timedelta(days=i) for i in range(1, (deadline - start).days + 1)]
    assert sum(policy.is_working_day(d) for d in between) == n


@given(days, days, counts)
def test_deadline_is_monotone_in_the_start(a, b, n):
    first, second = sorted((a, b))
    assert policy.add_working_days(first, n) <= policy.add_working_days(second, n)


@given(days, counts, counts)
def test_adding_working_days_composes(start, a, b):
    assert policy.add_working_days(start, a + b) == policy.add_working_days(
        policy.add_working_days(start, a), b
    )


@settings(max_examples=200)
@given(days, st.integers(min_value=1, max_value=60))
def test_calendar_days_land_on_the_first_working_day_on_or_after(start, n):
    # TIME-3
    deadline = policy.calendar.add_calendar_days(start, n)
    target = start + dt.timedelta(days=n)
    assert deadline >= target and policy.is_working_day(deadline)
    assert all(
        not policy.is_working_day(target + dt.timedelta(days=i))
        for i in range((deadline - target).days)
    )


@given(st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_one_month_later_is_the_same_day_or_the_months_last(start):
    # TIME-4
    later = add_months(start, 1)
    assert (later.year * 12 + later.month) - (start.year * 12 + start.month) == 1
    assert later.day == start.day or (later + dt.timedelta(days=1)).month != later.month


def test_overrides_win_over_holidays_and_the_shipped_table():
    typhoon = DayChange(dt.date(2026, 11, 23), False, "颱風停班", "test")
    extra = DayChange(dt.date(2025, 1, 27), True, "extra working day", "test")
    calendar = WorkingCalendar(overrides=[typhoon, extra])
    assert not calendar.is_working_day(dt.date(2026, 11, 23))
    assert calendar.is_working_day(dt.date(2025, 1, 27))  # beats the shipped bridge day
    assert calendar.day_name(dt.date(2026, 11, 23)) == "颱風停班"
    # Friday 2026-11-20 + 1 working day skips the typhoon Monday
    assert calendar.add_working_days(dt.date(2026, 11, 20), 1) == dt.date(2026, 11, 24)


def test_calendar_grows_on_demand_far_from_its_first_year():
    calendar = WorkingCalendar()
    assert calendar.is_working_day(dt.date(2026, 11, 23))
    # 3,000 working days later is a dozen years away
    far = calendar.add_working_days(dt.date(2026, 1, 2), 3000)
    assert far.year >= 2037 and calendar.is_working_day(far)
    assert calendar.is_working_day(dt.date(1990, 1, 3))


def test_shipped_table_covers_2024_to_2027_with_sources():
    calendar = WorkingCalendar()
    for year in (2024, 2025, 2026, 2027):
        assert calendar.non_working_days(year), year
    make_up = {d for year in (2024, 2025, 2026, 2027) for d, _ in calendar.make_up_days(year)}
    assert make_up == {dt.date(2024, 2, 17), dt.date(2025, 2, 8)}


def test_deadline_cost_does_not_grow_with_the_distance(monkeypatch):
    """No day-by-day loop: a binary search over precomputed working days, whatever n is."""
    calendar = WorkingCalendar()
    calendar.add_working_days(dt.date(2026, 1, 2), 1)  # builds 2023-2029
    built = []
    monkeypatch.setattr(
        WorkingCalendar, "_compute_years", lambda self, years: built.append(years) or ([], {})
    )
    probes = []
    monkeypatch.setattr(WorkingCalendar, "is_working_day", lambda self, day: probes.append(day))
    for n in (1, 10, 100, 700):
        calendar.add_working_days(dt.date(2026, 1, 2), n)
    assert probes == [] and built == []
