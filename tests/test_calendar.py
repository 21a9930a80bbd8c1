"""TIME-1..4: the working calendar, with property-based tests (hypothesis)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from intranet import make_intranet

import appgov_plugin
from appgov_plugin import migrations
from appgov_plugin.policy.calendar import (
    DayChange,
    WorkingCalendar,
    add_months,
    load_shipped_changes,
)
from appgov_plugin.policy.models import CalendarOverride

policy = appgov_plugin.get_policy("taipei")
# build the years the examples reach (2023-2030) once here: the first build loads the
# holiday tables, which would count against hypothesis' per-example deadline
for _year in range(2023, 2031):
    policy.is_working_day(dt.date(_year, 1, 1))
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
    # issue 8: only the years with known holidays (holidays' Taiwan range, 1998-2100)
    assert calendar.is_working_day(dt.date(1998, 1, 5))
    with pytest.raises(ValueError, match="1990 is outside the supported calendar"):
        calendar.is_working_day(dt.date(1990, 1, 3))


def test_shipped_table_covers_2024_to_2027_with_sources():
    calendar = WorkingCalendar()
    for year in (2024, 2025, 2026, 2027):
        assert calendar.non_working_days(year), year
    make_up = {d for year in (2024, 2025, 2026, 2027) for d, _ in calendar.make_up_days(year)}
    assert make_up == {dt.date(2024, 2, 17), dt.date(2025, 2, 8)}


def test_deadline_cost_does_not_grow_with_the_distance(monkeypatch):
    """No day-by-day loop: a binary search over precomputed working days, whatever n is."""
    calendar = WorkingCalendar()
    calendar.add_working_days(dt.date(2026, 1, 2), 700)  # builds 2026-2028
    assert calendar.computed_years() == [2026, 2027, 2028]
    built = []
    monkeypatch.setattr(WorkingCalendar, "_compute_year", lambda self, year: built.append(year))
    probes = []
    monkeypatch.setattr(WorkingCalendar, "is_working_day", lambda self, day: probes.append(day))
    for n in (1, 10, 100, 700):
        calendar.add_working_days(dt.date(2026, 1, 2), n)
    assert probes == [] and built == []


# -- names in the reader's language ------------------------------------------------------

CJK = re.compile(r"[\u3000-\u30ff\u4e00-\u9fff\uff00-\uffef]")


def test_national_holidays_are_named_in_both_languages():
    calendar = WorkingCalendar()
    national_day = dt.date(2026, 10, 10)
    assert calendar.day_name(national_day) == "國慶日"
    assert calendar.day_name(national_day, "zh_Hant_TW") == "國慶日"
    assert calendar.day_name(national_day, "en") == "National Day"
    zh = dict(calendar.non_working_days(2026))
    en = dict(calendar.non_working_days(2026, "en"))
    assert zh.keys() == en.keys()
    assert all(name and not CJK.search(name) for name in en.values()), en
    assert all(CJK.search(name) for name in zh.values()), zh


def test_every_shipped_dgpa_entry_has_an_english_name():
    shipped = load_shipped_changes()
    assert shipped
    for change in shipped.values():
        assert CJK.search(change.name), change
        assert change.name_en and not CJK.search(change.name_en), change
    calendar = WorkingCalendar()
    assert calendar.make_up_days(2025, "en") == [
        (dt.date(2025, 2, 8), "Make-up working day (for the 2025-01-27 bridge holiday)")
    ]
    assert (dt.date(2025, 1, 27), "彈性放假（2 月 8 日補班）") in calendar.non_working_days(2025)


def test_overrides_carry_both_names_and_fall_back_to_the_chinese_one():
    typhoon = DayChange(dt.date(2026, 11, 23), False, "颱風停班", "test", "Typhoon day off")
    old = DayChange(dt.date(2026, 11, 24), False, "市府自訂放假", "test")  # no English name yet
    calendar = WorkingCalendar(overrides=[typhoon, old])
    assert calendar.day_name(typhoon.day, "en") == "Typhoon day off"
    assert calendar.day_name(typhoon.day) == "颱風停班"
    assert calendar.day_name(old.day, "en") == "市府自訂放假"


@pytest.fixture
def intranet(database_url):
    app, db, _ = make_intranet(database_url)
    with app.app_context():
        migrations.upgrade(db.engine)
        db.session.add(
            CalendarOverride(
                day=dt.date(2026, 11, 23), name="颱風停班", name_en="Typhoon day off", reason=""
            )
        )
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()


def test_calendar_page_shows_names_and_dates_in_the_readers_language(intranet):
    client = intranet.test_client()
    client.get("/_login/clerk")
    en = client.get("/appgov/calendar/2026", headers={"Accept-Language": "en"})
    page = en.get_data(as_text=True)
    assert "National Day" in page and "Typhoon day off" in page and "2026-11-23" in page
    assert "國慶日" not in page and "颱風停班" not in page and "民國" not in page
    zh = client.get("/appgov/calendar/2026", headers={"Accept-Language": "zh-TW"})
    page = zh.get_data(as_text=True)
    assert "國慶日" in page and "颱風停班" in page and "民國 115 年 10 月 10 日" in page
    assert "National Day" not in page and "Typhoon day off" not in page
    assert "民國 115 年" in page.split("<h1", 1)[1].split("</h1>", 1)[0]


def test_calendar_command_prints_the_names_in_lang(intranet):
    runner = intranet.test_cli_runner()
    default = runner.invoke(args=["appgov", "calendar", "2026"])
    assert default.exit_code == 0, default.output
    assert "2026-10-10  國慶日" in default.output and "2026-11-23  颱風停班" in default.output
    english = runner.invoke(args=["appgov", "calendar", "2026", "--lang", "en"])
    assert "2026-10-10  National Day" in english.output
    assert "2026-11-23  Typhoon day off" in english.output and not CJK.search(english.output)
    assert "國慶日" in runner.invoke(args=["appgov", "calendar", "2026", "--lang", "zh-TW"]).output
    bad = runner.invoke(args=["appgov", "calendar", "2026", "--lang", "fr"])
    assert bad.exit_code == 2 and "unsupported locale 'fr'" in bad.output
