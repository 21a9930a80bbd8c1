"""Shared defaults: every rule of ``rules.md`` exactly as the rulebook words it.

Registered first and marked ``trylast``, so the city module of the profile, a deployment's
hook package (entry-point group ``appgov``) and the database layer all come before it.
Parameters come from ``policy.param(...)``; their defaults are in
:mod:`appgov_plugin.policy.parameters`. All thresholds use exact arithmetic (``Decimal`` or
integers): "reaching 20 %" must not depend on floating-point rounding.
"""

from __future__ import annotations

from appgov_plugin.policy import hookimpl
from appgov_plugin.policy.calendar import WorkingCalendar, add_months
from appgov_plugin.policy.parameters import PARAMETERS
from appgov_plugin.policy.rulebook import RULES
from appgov_plugin.policy.versions import is_major_change

_national_calendar: WorkingCalendar | None = None


@hookimpl(trylast=True)
def appgov_parameter(policy, name, as_of):
    return PARAMETERS[name].default


@hookimpl(trylast=True)
def appgov_rule_applies(policy, rule):
    # rules.md "Profiles are real": TIME-* and MAIL-* apply everywhere; a city's rule applies
    # elsewhere only when adopted (the profile's own module answers for its own rules)
    return RULES[rule].city is None or rule in policy.param("adopted_rules")


@hookimpl(trylast=True)
def appgov_download_target(policy, population):
    # rule KH-KPI-1: target = floor(P x rate) of the band P falls in
    rate = next(
        rate for low, rate in reversed(policy.param("download_target_bands")) if population >= low
    )
    return int(population * rate // 100)


@hookimpl(trylast=True)
def appgov_rating_passes(policy, ios, android):
    # rule KH-KPI-2: combined average strictly above the bar; weighted by rating counts when
    # every known side has one, else the plain mean of the known averages.
    bar = policy.param("rating_bar")
    sides = [side for side in (ios, android) if side is not None]
    if all(count is not None for _, count in sides):
        total = sum(count for _, count in sides)
        if total > 0:
            return sum(avg * count for avg, count in sides) > bar * total
    return sum(avg for avg, _ in sides) > bar * len(sides)


@hookimpl(trylast=True)
def appgov_grade(policy, score):
    # rule TP-GRADE-1: the first band whose lowest score the score reaches
    for grade, low in policy.param("grade_bands"):
        if score >= low:
            return grade
    raise AssertionError("grade bands always end at 0")  # normalise() guarantees it


@hookimpl(trylast=True)
def appgov_seed_user_limits(policy, headcount):
    # rule TP-SEED-1: at least 2, at most floor(headcount / 20), and never a maximum below 2
    minimum = policy.param("seed_user_min")
    return minimum, max(minimum, headcount // policy.param("seed_user_headcount_per_user"))


@hookimpl(trylast=True)
def appgov_min_system_admins(policy):
    # rule TP-ADM-1
    return policy.param("system_admin_min")


@hookimpl(trylast=True)
def appgov_calendar(policy):
    # rule TIME-1: national holidays + the shipped DGPA table (no deployment overrides here)
    global _national_calendar
    if _national_calendar is None:
        _national_calendar = WorkingCalendar()
    return _national_calendar


@hookimpl(trylast=True)
def appgov_is_working_day(policy, day):
    # rule TIME-1
    return policy.calendar.is_working_day(day)


@hookimpl(trylast=True)
def appgov_add_working_days(policy, start, n):
    # rule TIME-2: the start day is not counted
    return policy.calendar.add_working_days(start, n)


@hookimpl(trylast=True)
def appgov_deadline(policy, kind, start):
    # rules TIME-2 (working days), TIME-3 (calendar days), TIME-4 (months); the length in
    # force on the start date applies.
    length, mode = policy.param(f"deadline.{kind}", as_of=start)
    if mode == "working_days":
        return policy.calendar.add_working_days(start, length)
    if mode == "calendar_days":
        return policy.calendar.add_calendar_days(start, length)
    return add_months(start, length)


@hookimpl(trylast=True)
def appgov_needs_security_report(policy, previous, new, relisting_after_security_takedown):
    # rule KH-SEC-1: a new app, a major version change (KH-VER-1) or a relisting after a
    # takedown for a security risk
    return previous is None or is_major_change(previous, new) or relisting_after_security_takedown


@hookimpl(trylast=True)
def appgov_training_status(policy, course_type, course_hours, leave_hours, unexcused_absences):
    # rule TP-TRN-3: leave reaching the course's percentage of its hours, or any unexcused
    # absence, dismisses the trainee. leave / hours >= pct / 100, kept exact.
    if unexcused_absences >= policy.param("unexcused_absences_for_dismissal"):
        return "dismissed"
    percent = policy.param("leave_dismissal_percent")[course_type]
    if leave_hours * 100 >= percent * course_hours:
        return "dismissed"
    return "active"


@hookimpl(trylast=True)
def appgov_fitness_review_needed(policy, outcomes):
    # rule TP-TRN-4: three consecutive fails, or two or more dismissals
    if outcomes.count("dismissed") >= policy.param("dismissals_for_review"):
        return True
    run = longest = 0
    for outcome in outcomes:
        run = run + 1 if outcome == "fail" else 0
        longest = max(longest, run)
    return longest >= policy.param("consecutive_fails_for_review")


# the shared defaults of the other hooks answer from here, with the rules' defaults: the
# mailbox link's adapter (Open311 to APPGOV_MAILBOX_URL, appgov_plugin/mailbox/adapters.py)
# and the notifications (in-app messages, e-mail after commit,
# appgov_plugin/notifications/default.py)
from appgov_plugin.mailbox.adapters import appgov_mailbox_adapter  # noqa: E402, F401
from appgov_plugin.notifications.default import appgov_notify  # noqa: E402, F401
