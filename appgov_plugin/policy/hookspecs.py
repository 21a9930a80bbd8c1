"""appgov's own hooks: the city policy (``rules.md``), one hook per rule.

Project name ``"appgov"``; city modules are discovered through the setuptools entry-point
group ``appgov``. Every rule hook is ``firstresult``: the last-registered module that
answers (returns non-``None``) wins, so a city module overrides only what it defines.
Rule hooks receive ``policy``, the :class:`~appgov_plugin.policy.facade.Policy` asking,
to read parameters (``policy.param(name, as_of)``) and call other rules. Inputs are
validated by the facade before any hook is called.

Each hook is documented with an example in ``docs/policy_hooks.md``.
"""

import pluggy

PROJECT = "appgov"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec(firstresult=True)
def appgov_parameter(policy, name, as_of):
    """The value of rule parameter ``name`` in force on date ``as_of``.

    Parameters are declared in :mod:`appgov_plugin.policy.parameters` (rule ID, unit,
    label, validator). City modules answer for the names whose value differs in their city;
    the database layer answers for administrators' effective-dated changes.
    :returns: the value, or ``None`` to let an earlier-registered module answer.
    """


@hookspec(firstresult=True)
def appgov_rule_applies(policy, rule):
    """Whether this deployment applies rule ``rule`` (a known rule ID such as ``"TN-LEARN-1"``).

    ``rules.md``, "Profiles are real": each profile module answers ``True`` for the rules it
    declares (its ``RULES`` table); the shared default answers ``True`` for the rules of every
    city (TIME-*, MAIL-*) and for the IDs listed in the rule parameter ``adopted_rules``,
    ``False`` otherwise. A city module adopts a rule by answering ``True`` and drops one by
    answering ``False``. Forms, workflows and pages ask it through ``policy.applies(rule)``;
    the facade's rule calls (``download_target`` ...) answer whatever it says.
    :returns: ``bool``, or ``None`` to let an earlier-registered module answer.
    """


@hookspec(firstresult=True)
def appgov_download_target(policy, population):
    """KH-KPI-1: download target (int) for a target population (int >= 0)."""


@hookspec(firstresult=True)
def appgov_rating_passes(policy, ios, android):
    """KH-KPI-2: whether the combined store rating passes.

    ``ios`` and ``android`` are ``(average, count)`` or ``None``; a count may be ``None``.
    :returns: ``bool``.
    """


@hookspec(firstresult=True)
def appgov_grade(policy, score):
    """TP-GRADE-1: grade band (``"A+"`` ... ``"E"``) for a score in 0-100 (Decimal)."""


@hookspec(firstresult=True)
def appgov_seed_user_limits(policy, headcount):
    """TP-SEED-1: ``(minimum, maximum)`` seed users for an agency's headcount."""


@hookspec(firstresult=True)
def appgov_min_system_admins(policy):
    """TP-ADM-1: minimum number of system administrators per agency (int)."""


@hookspec(firstresult=True)
def appgov_calendar(policy):
    """TIME-1: the :class:`~appgov_plugin.policy.calendar.WorkingCalendar` to count with."""


@hookspec(firstresult=True)
def appgov_is_working_day(policy, day):
    """TIME-1: whether ``day`` (a ``date``) is a working day."""


@hookspec(firstresult=True)
def appgov_add_working_days(policy, start, n):
    """TIME-2: the ``n``-th working day after ``start`` (start itself not counted)."""


@hookspec(firstresult=True)
def appgov_deadline(policy, kind, start):
    """The deadline (a ``date``) of ``kind`` for an event on ``start``.

    Kinds and their rules are listed in :data:`appgov_plugin.policy.parameters.DEADLINE_KINDS`.
    """


@hookspec(firstresult=True)
def appgov_needs_security_report(policy, previous, new, relisting_after_security_takedown):
    """KH-VER-1, KH-SEC-1: whether a listing application needs a security test report.

    ``previous`` and ``new`` are parsed :class:`~appgov_plugin.policy.versions.Version`
    objects (``previous`` is ``None`` for a new app). :returns: ``bool``.
    """


@hookspec(firstresult=True)
def appgov_training_status(policy, course_type, course_hours, leave_hours, unexcused_absences):
    """TP-TRN-3: ``"active"`` or ``"dismissed"`` (hours are Decimals)."""


@hookspec(firstresult=True)
def appgov_fitness_review_needed(policy, outcomes):
    """TP-TRN-4: whether a trainee's outcomes (oldest first) call for a fitness review."""
