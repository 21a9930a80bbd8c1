"""TIME-1..4: the Taiwan working-day calendar and date arithmetic.

A day is a working day unless it is a Saturday, Sunday or national holiday; make-up
working days (補班) are working days even on a Saturday. Sources, in increasing priority:
the ``holidays`` package (country TW), the shipped table ``data/tw_calendar.toml`` (make-up
days and holiday changes announced by the DGPA), and a deployment's own overrides (typhoon
days off, a city holiday, an extra working day).

Working days are kept as a sorted array of date ordinals per covered year range, so
:meth:`WorkingCalendar.add_working_days` is a binary search plus an index: its cost does not
depend on the distance between start and deadline.

Every named day has a Chinese and an English name (``holidays`` in ``zh_TW`` and ``en_US``,
``name``/``name_en`` in the shipped table and in overrides); the questions that return names
take the reader's ``locale`` (``"zh_Hant_TW"``, the default, or ``"en"``).
"""

from __future__ import annotations

import calendar as _stdlib_calendar
import datetime as dt
import threading
import tomllib
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources

import holidays

#: Years computed around the first year asked for; more are added on demand.
_SPAN = 6


@dataclass(frozen=True)
class DayChange:
    """One shipped or configured change: ``working`` True adds a working day, False a day off.

    ``name`` is the Chinese name, ``name_en`` the English one (the Chinese one when empty).
    """

    day: dt.date
    working: bool
    name: str
    source: str
    name_en: str = ""


@dataclass(frozen=True)
class DayName:
    """A named day's name in both languages."""

    zh: str
    en: str

    def __call__(self, locale: str | None = None) -> str:
        return (self.en or self.zh) if is_english(locale) else (self.zh or self.en)


def is_english(locale: str | None) -> bool:
    """Whether ``locale`` (``"en"``, ``"en_US"``, ``"zh_Hant_TW"``, ``None``) reads English."""
    return bool(locale) and str(locale).replace("-", "_").split("_")[0].lower() == "en"


def load_shipped_changes() -> dict[dt.date, DayChange]:
    """The DGPA table shipped in ``appgov_plugin/policy/data/tw_calendar.toml``."""
    text = (
        resources.files("appgov_plugin.policy")
        .joinpath("data/tw_calendar.toml")
        .read_text(encoding="utf-8")
    )
    data = tomllib.loads(text)
    changes: dict[dt.date, DayChange] = {}
    for key, working in (("make_up_workday", True), ("day_off", False)):
        for entry in data.get(key, []):
            changes[entry["date"]] = DayChange(
                entry["date"], working, entry["name"], entry["source"], entry["name_en"]
            )
    return changes


class WorkingCalendar:
    """Working days from national holidays + shipped changes + overrides (overrides win)."""

    def __init__(
        self,
        shipped: Mapping[dt.date, DayChange] | None = None,
        overrides: Iterable[DayChange] = (),
    ):
        self._shipped = dict(load_shipped_changes() if shipped is None else shipped)
        self._overrides = {c.day: c for c in overrides}
        self._lock = threading.Lock()
        self._first_year: int | None = None
        self._last_year: int | None = None
        self._ordinals: list[int] = []
        self._working: set[int] = set()
        self._names: dict[dt.date, DayName] = {}

    # -- building -----------------------------------------------------------------------
    def _national(self, years: range, language: str = "zh_TW") -> holidays.HolidayBase:
        return holidays.country_holidays("TW", years=years, language=language)

    def _compute_years(self, years: range) -> tuple[list[int], dict[dt.date, DayName]]:
        national = self._national(years)
        national_en = self._national(years, "en_US")
        make_up = set(getattr(national, "weekend_workdays", ()))
        names = {day: DayName(name, national_en.get(day, "")) for day, name in national.items()}
        ordinals = []
        day = dt.date(years.start, 1, 1)
        end = dt.date(years.stop, 1, 1)
        one = dt.timedelta(days=1)
        while day < end:
            working = day.weekday() < 5 and day not in national
            if day in make_up:
                working = True
            change = self._overrides.get(day) or self._shipped.get(day)
            if change is not None:
                working = change.working
                names[day] = DayName(change.name, change.name_en)
            if working:
                ordinals.append(day.toordinal())
            day += one
        return ordinals, names

    def _ensure(self, year: int) -> None:
        if self._first_year is not None and self._first_year <= year <= self._last_year:
            return
        with self._lock:
            if self._first_year is None:
                first, last = year - _SPAN // 2, year + _SPAN // 2
            else:
                first = min(self._first_year, year - 1)
                last = max(self._last_year, year + 1)
            if first < dt.MINYEAR + 1 or last > dt.MAXYEAR - 1:
                raise ValueError(f"year {year} is outside the supported calendar")
            ordinals, names = self._compute_years(range(first, last + 1))
            self._ordinals = ordinals
            self._working = set(ordinals)
            self._names = names
            self._first_year, self._last_year = first, last

    # -- questions ----------------------------------------------------------------------
    def is_working_day(self, day: dt.date) -> bool:
        """TIME-1."""
        self._ensure(day.year)
        return day.toordinal() in self._working

    def day_name(self, day: dt.date, locale: str | None = None) -> str | None:
        """Holiday, make-up day or override name of ``day`` in ``locale``, if any."""
        self._ensure(day.year)
        name = self._names.get(day)
        return name(locale) if name else None

    def add_working_days(self, start: dt.date, n: int) -> dt.date:
        """TIME-2: the ``n``-th working day after ``start``; ``start`` itself never counts."""
        if n < 1:
            raise ValueError(f"number of working days must be at least 1, not {n!r}")
        self._ensure(start.year)
        while True:
            ordinals = self._ordinals
            index = bisect_right(ordinals, start.toordinal()) + n - 1
            if index < len(ordinals):
                return dt.date.fromordinal(ordinals[index])
            self._ensure(self._last_year + 1)

    def next_working_day_on_or_after(self, day: dt.date) -> dt.date:
        """TIME-3: ``day`` itself when it is a working day, else the next working day."""
        if self.is_working_day(day):
            return day
        return self.add_working_days(day, 1)

    def add_calendar_days(self, start: dt.date, n: int) -> dt.date:
        """TIME-3: ``start + n`` days, moved to the next working day when needed."""
        return self.next_working_day_on_or_after(start + dt.timedelta(days=n))

    def non_working_days(self, year: int, locale: str | None = None) -> list[tuple[dt.date, str]]:
        """Weekday days off and their names in ``locale`` in ``year`` (weekends only when
        named)."""
        self._ensure(year)
        result = []
        day = dt.date(year, 1, 1)
        while day.year == year:
            if not self.is_working_day(day) and (day.weekday() < 5 or day in self._names):
                result.append((day, self.day_name(day, locale) or ""))
            day += dt.timedelta(days=1)
        return result

    def make_up_days(self, year: int, locale: str | None = None) -> list[tuple[dt.date, str]]:
        """Saturdays and Sundays that are working days in ``year`` (補班 and overrides), with
        their names in ``locale``."""
        self._ensure(year)
        days = (dt.date.fromordinal(o) for o in self._ordinals)
        return [
            (day, self.day_name(day, locale) or "")
            for day in days
            if day.year == year and day.weekday() >= 5
        ]


def add_months(start: dt.date, months: int) -> dt.date:
    """TIME-4: same day ``months`` later; the month's last day when it has no such day."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    last = _stdlib_calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(start.day, last))
