"""The public policy facade (``policy-api.md``): validates input, then asks the hooks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ..clock import today
from .parameters import COURSE_TYPES, DEADLINE_KINDS, _decimal, parameter
from .rulebook import RULES, rule
from .versions import parse_version

_OUTCOMES = ("pass", "fail", "dismissed")


def _count(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{what} must be a whole number, not {value!r}")
    if value < 0:
        raise ValueError(f"{what} must not be negative: {value!r}")
    return value


def _non_negative(value: Any, what: str) -> Decimal:
    number = _decimal(value, what)
    if number < 0:
        raise ValueError(f"{what} must not be negative: {value!r}")
    return number


def _date(value: Any, what: str) -> dt.date:
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise ValueError(f"{what} must be a date, not {value!r}")
    return value


def _store_rating(value: Any, side: str):
    if value is None:
        return None
    if not isinstance(value, tuple | list) or len(value) != 2:
        raise ValueError(f"{side} must be (average, count) or None, not {value!r}")
    average = _decimal(value[0], f"{side} average rating")
    if not Decimal(0) <= average <= Decimal(5):
        raise ValueError(f"{side} average rating {value[0]!r} is outside 0-5")
    count = None if value[1] is None else _count(value[1], f"{side} rating count")
    return average, count


class Policy:
    """One city profile's rules, answering as of a date (parameters in force then).

    Obtain it with :func:`appgov_plugin.get_policy`. Every figure the UI, Flask-Admin, CLI
    and reports show comes from these methods.
    """

    def __init__(self, profile: str, plugin_manager, as_of: dt.date | None = None):
        self.profile = profile
        self.plugin_manager = plugin_manager
        self.as_of = as_of or today()
        self._hook = plugin_manager.hook
        self._params: dict[tuple[str, dt.date], Any] = {}
        self._applies: dict[str, bool] = {}
        self._calendar = None

    def __repr__(self) -> str:
        return f"<Policy {self.profile} as of {self.as_of.isoformat()}>"

    # -- parameters ---------------------------------------------------------------------
    def param(self, name: str, as_of: dt.date | None = None) -> Any:
        """Normalised value of rule parameter ``name`` in force on ``as_of`` (default: the
        policy's date)."""
        day = as_of or self.as_of
        key = (name, day)
        try:
            return self._params[key]
        except KeyError:
            pass
        spec = parameter(name)
        value = spec.normalise(self._hook.appgov_parameter(policy=self, name=name, as_of=day))
        self._params[key] = value
        return value

    def raw_param(self, name: str, as_of: dt.date | None = None) -> Any:
        """The parameter as stored (JSON-compatible), for display and editing."""
        self.param(name, as_of)  # validates
        return self._hook.appgov_parameter(policy=self, name=name, as_of=as_of or self.as_of)

    # -- which rules apply ---------------------------------------------------------------
    def applies(self, rule_id: str) -> bool:
        """Whether this deployment applies rule ``rule_id`` on the policy's date (rules.md,
        "Profiles are real"): its profile's own rules, TIME-* and MAIL-*, and the rules it
        adopted (parameter ``adopted_rules`` or a hook module). ``ValueError`` names an
        unknown rule ID. The rule calls below answer every rule whatever this says."""
        try:
            return self._applies[rule_id]
        except (KeyError, TypeError):
            pass
        known = rule(rule_id).id
        answer = bool(self._hook.appgov_rule_applies(policy=self, rule=known))
        self._applies[known] = answer
        return answer

    def applied_rules(self) -> frozenset[str]:
        """The IDs of every rule this deployment applies on the policy's date."""
        return frozenset(rule_id for rule_id in RULES if self.applies(rule_id))

    # -- KPIs ---------------------------------------------------------------------------
    def download_target(self, population: int) -> int:
        """KH-KPI-1."""
        return self._hook.appgov_download_target(
            policy=self, population=_count(population, "population")
        )

    def rating_passes(self, ios=None, android=None) -> bool:
        """KH-KPI-2."""
        ios, android = _store_rating(ios, "ios"), _store_rating(android, "android")
        if ios is None and android is None:
            raise ValueError("rating_passes needs at least one store's rating (ios or android)")
        return self._hook.appgov_rating_passes(policy=self, ios=ios, android=android)

    def grade(self, score) -> str:
        """TP-GRADE-1."""
        number = _decimal(score, "score")
        if not Decimal(0) <= number <= Decimal(100):
            raise ValueError(f"score {score!r} is outside 0-100")
        return self._hook.appgov_grade(policy=self, score=number)

    # -- roll-out organisation ----------------------------------------------------------
    def seed_user_limits(self, headcount: int) -> tuple[int, int]:
        """TP-SEED-1."""
        return self._hook.appgov_seed_user_limits(
            policy=self, headcount=_count(headcount, "headcount")
        )

    def min_system_admins(self) -> int:
        """TP-ADM-1."""
        return self._hook.appgov_min_system_admins(policy=self)

    # -- time ---------------------------------------------------------------------------
    @property
    def calendar(self):
        """TIME-1: the working calendar (built once per policy)."""
        if self._calendar is None:
            self._calendar = self._hook.appgov_calendar(policy=self)
        return self._calendar

    def is_working_day(self, day: dt.date) -> bool:
        """TIME-1."""
        return self._hook.appgov_is_working_day(policy=self, day=_date(day, "day"))

    def add_working_days(self, start: dt.date, n: int) -> dt.date:
        """TIME-2."""
        if _count(n, "number of working days") < 1:
            raise ValueError(f"number of working days must be at least 1, not {n!r}")
        return self._hook.appgov_add_working_days(policy=self, start=_date(start, "start"), n=n)

    def deadline(self, kind: str, start: dt.date) -> dt.date:
        """The deadline of ``kind`` for an event on ``start`` (see ``DEADLINE_KINDS``)."""
        if kind not in DEADLINE_KINDS:
            raise ValueError(f"unknown deadline kind {kind!r}; known: {', '.join(DEADLINE_KINDS)}")
        return self._hook.appgov_deadline(policy=self, kind=kind, start=_date(start, "start"))

    # -- listing ------------------------------------------------------------------------
    def needs_security_report(
        self, previous: str | None, new: str, relisting_after_security_takedown: bool = False
    ) -> bool:
        """KH-VER-1, KH-SEC-1."""
        new_version = parse_version(new)
        previous_version = None if previous is None else parse_version(previous)
        if previous_version is not None and new_version < previous_version:
            raise ValueError(f"new version {new!r} is lower than the previous version {previous!r}")
        return self._hook.appgov_needs_security_report(
            policy=self,
            previous=previous_version,
            new=new_version,
            relisting_after_security_takedown=bool(relisting_after_security_takedown),
        )

    # -- training -----------------------------------------------------------------------
    def training_status(
        self, course_type: str, course_hours, leave_hours, unexcused_absences: int
    ) -> str:
        """TP-TRN-3."""
        if course_type not in COURSE_TYPES:
            raise ValueError(
                f"unknown course type {course_type!r}; known: {', '.join(COURSE_TYPES)}"
            )
        hours = _non_negative(course_hours, "course hours")
        if hours == 0:
            raise ValueError("course hours must be above 0")
        return self._hook.appgov_training_status(
            policy=self,
            course_type=course_type,
            course_hours=hours,
            leave_hours=_non_negative(leave_hours, "leave hours"),
            unexcused_absences=_count(unexcused_absences, "unexcused absences"),
        )

    def fitness_review_needed(self, outcomes) -> bool:
        """TP-TRN-4."""
        outcomes = list(outcomes)
        for outcome in outcomes:
            if outcome not in _OUTCOMES:
                raise ValueError(
                    f"unknown training outcome {outcome!r}; known: {', '.join(_OUTCOMES)}"
                )
        return self._hook.appgov_fitness_review_needed(policy=self, outcomes=outcomes)
