"""TIME-1..4: the Taiwan working-day calendar and date arithmetic.

A day is a working day unless it is a Saturday, Sunday or national holiday; make-up
working days (補班) are working days even on a Saturday. Sources, in increasing priority:
the ``holidays`` package (country TW), the shipped table ``data/tw_calendar.toml`` (make-up
days and holiday changes announced by the DGPA), and a deployment's own overrides (typhoon
days off, a city holiday, an extra working day).

Working days are kept as a sorted array of date ordinals per year, each year computed on
its own when first asked (never the years between), so
:meth:`WorkingCalendar.add_working_days` is a binary search plus one step per year crossed:
no loop over days. Only the years whose holidays are known are answered: the ``holidays``
package's range for Taiwan (1998-2100), widened to the shipped table's years
(:attr:`WorkingCalendar.years`); other years are a ``ValueError``.

Every named day has a Chinese and an English name (``holidays`` in ``zh_TW`` and ``en_US``,
``name``/``name_en`` in the shipped table and in overrides); the questions that return names
take the reader's ``locale`` (``"zh_Hant_TW"``, the default, or ``"en"``).
"""

from __future__ import annotations

import calendar as _stdlib_calendar
import datetime as dt
import functools
import threading
import tomllib
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources

import holidays


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


def _supported_years(shipped: Mapping[dt.date, DayChange]) -> range:
    """The years whose national holidays are known: the ``holidays`` package's range for
    Taiwan (1998-2100 in holidays 0.109; earlier years have no holiday table there, later
    ones no lunar dates), widened to any year of the shipped DGPA table."""
    taiwan = holidays.country_holidays("TW").__class__
    first, last = taiwan.start_year, taiwan.end_year
    years = {day.year for day in shipped}
    return range(min([first, *years]), max([last, *years]) + 1)


@functools.cache
def supported_years() -> range:
    """The years the shipped calendar answers for (:attr:`WorkingCalendar.years` of a
    calendar without deployment-specific shipped changes)."""
    return _supported_years(load_shipped_changes())


@dataclass(frozen=True)
class _Year:
    """One computed year: its working days (sorted ordinals, and as a set) and named days."""

    ordinals: list[int]
    working: frozenset[int]
    names: dict[dt.date, DayName]


class WorkingCalendar:
    """Working days from national holidays + shipped changes + overrides (overrides win).

    Only the years of :attr:`years` are answered (``ValueError`` naming the range outside
    them); each year is computed on its own the first time it is asked, never the years
    between it and the ones already known.
    """

    def __init__(
        self,
        shipped: Mapping[dt.date, DayChange] | None = None,
        overrides: Iterable[DayChange] = (),
    ):
        self._shipped = dict(load_shipped_changes() if shipped is None else shipped)
        self._overrides = {c.day: c for c in overrides}
        self._lock = threading.Lock()
        self._years: dict[int, _Year] = {}
        #: the years this calendar answers for (see :func:`_supported_years`)
        self.years: range = _supported_years(self._shipped)

    # -- building -----------------------------------------------------------------------
    def _national(self, year: int, language: str = "zh_TW") -> holidays.HolidayBase:
        return holidays.country_holidays("TW", years=year, language=language)

    def _compute_year(self, year: int) -> _Year:
        national = self._national(year)
        national_en = self._national(year, "en_US")
        make_up = set(getattr(national, "weekend_workdays", ()))
        names = {
            day: DayName(name, national_en.get(day, ""))
            for day, name in national.items()
            if day.year == year
        }
        ordinals = []
        day = dt.date(year, 1, 1)
        one = dt.timedelta(days=1)
        while day.year == year:
            working = day.weekday() < 5 and day not in national
            if day in make_up:
                working = True
            change = self._overrides.get(day) or self._shipped.get(day)
            if change is not None:
                working = change.working
                names[day] = DayName(change.name, change.name_en)
            if working:
                ordinals.append(day.toordinal())
            if day.month == 12 and day.day == 31:
                break
            day += one
        return _Year(ordinals, frozenset(ordinals), names)

    def _year(self, year: int) -> _Year:
        computed = self._years.get(year)
        if computed is not None:
            return computed
        if year not in self.years:
            raise ValueError(
                f"year {year} is outside the supported calendar "
                f"({self.years.start}-{self.years.stop - 1})"
            )
        with self._lock:
            computed = self._years.get(year)
            if computed is None:
                computed = self._years[year] = self._compute_year(year)
        return computed

    def computed_years(self) -> list[int]:
        """The years computed so far (ascending)."""
        return sorted(self._years)

    # -- questions ----------------------------------------------------------------------
    def is_working_day(self, day: dt.date) -> bool:
        """TIME-1."""
        return day.toordinal() in self._year(day.year).working

    def day_name(self, day: dt.date, locale: str | None = None) -> str | None:
        """Holiday, make-up day or override name of ``day`` in ``locale``, if any."""
        name = self._year(day.year).names.get(day)
        return name(locale) if name else None

    def add_working_days(self, start: dt.date, n: int) -> dt.date:
        """TIME-2: the ``n``-th working day after ``start``; ``start`` itself never counts.

        A binary search in the start's year, then whole years skipped by their number of
        working days: no loop over days."""
        if n < 1:
            raise ValueError(f"number of working days must be at least 1, not {n!r}")
        year = start.year
        ordinals = self._year(year).ordinals
        index = bisect_right(ordinals, start.toordinal())
        remaining = n
        while remaining > len(ordinals) - index:
            remaining -= len(ordinals) - index
            year += 1
            ordinals, index = self._year(year).ordinals, 0
        return dt.date.fromordinal(ordinals[index + remaining - 1])

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
        computed = self._year(year)
        result = []
        day = dt.date(year, 1, 1)
        while day.year == year:
            ordinal = day.toordinal()
            if ordinal not in computed.working and (day.weekday() < 5 or day in computed.names):
                name = computed.names.get(day)
                result.append((day, name(locale) if name else ""))
            if day.month == 12 and day.day == 31:
                break
            day += dt.timedelta(days=1)
        return result

    def make_up_days(self, year: int, locale: str | None = None) -> list[tuple[dt.date, str]]:
        """Saturdays and Sundays that are working days in ``year`` (補班 and overrides), with
        their names in ``locale``."""
        computed = self._year(year)
        days = (dt.date.fromordinal(o) for o in computed.ordinals)
        return [
            (day, computed.names[day](locale) if day in computed.names else "")
            for day in days
            if day.weekday() >= 5
        ]


def add_months(start: dt.date, months: int) -> dt.date:
    """TIME-4: same day ``months`` later; the month's last day when it has no such day."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    last = _stdlib_calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(start.day, last))
