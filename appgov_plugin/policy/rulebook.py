"""The rulebook (``rules.md``) as data: every rule ID, its city, a short bilingual title and
the processes of the plug-in that use it today -- or will, once their issue is built.

``rules.md``, "Profiles are real": a rule prefixed TN, KH or TP is that city's rule and a
deployment on another profile applies it only when it adopts it (rule parameter
``adopted_rules`` or a hook module answering ``appgov_rule_applies``); TIME-* and MAIL-*
rules apply everywhere. Which rules a deployment applies is the facade's business
(:meth:`Policy.applies <appgov_plugin.policy.facade.Policy.applies>`); this module only
describes the rules, so it imports nothing of the policy engine.

A *process* is a form, workflow, page or tool of the plug-in. ``PROCESSES`` names, for each,
the rules it applies and the rule parameters it reads; a planned process (a later issue of
the roadmap) is named as planned. :func:`rule_in_use` and :func:`parameter_in_use` answer
from that table, so a parameter nothing reads is shown as "not used by any process yet"
instead of as if it were enforced.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..i18n import _, _l

#: Profile -> the prefix of its own rules (rules.md: "City profiles").
CITY_PREFIXES: dict[str, str] = {"tainan": "TN", "kaohsiung": "KH", "taipei": "TP"}

#: Profile -> the name an official reads (臺南市 / Tainan City).
PROFILE_LABELS: dict[str, Any] = {
    "tainan": _l("Tainan City"),
    "kaohsiung": _l("Kaohsiung City"),
    "taipei": _l("Taipei City"),
}


@dataclass(frozen=True)
class Rule:
    """One numbered rule of ``rules.md``."""

    id: str
    title: Any  # lazy, translated

    @property
    def city(self) -> str | None:
        """The profile whose rule this is; ``None`` for rules of every city (TIME-*, MAIL-*)."""
        prefix = self.id.split("-", 1)[0]
        return next((city for city, p in CITY_PREFIXES.items() if p == prefix), None)

    @property
    def processes(self) -> tuple[Process, ...]:
        """The forms, workflows and pages that apply this rule today."""
        return tuple(
            p for p in PROCESSES.values() if not (p.planned or p.facade) and self.id in p.rules
        )

    @property
    def by_facade(self) -> bool:
        """Whether the policy facade answers this rule (for every profile, applied or not)."""
        return self.id in PROCESSES["facade"].rules

    @property
    def planned(self) -> tuple[Process, ...]:
        """Planned processes (later issues) that will use this rule."""
        return tuple(p for p in PROCESSES.values() if p.planned and self.id in p.rules)

    @property
    def in_use(self) -> bool:
        return bool(self.processes)

    @property
    def parameters(self) -> tuple[str, ...]:
        """Rule parameters whose declaration names this rule (``parameters.PARAMETERS``)."""
        from .parameters import PARAMETERS  # parameters validates rule IDs against us

        return tuple(
            name
            for name, spec in PARAMETERS.items()
            if self.id in re.findall(r"[A-Z]+(?:-[A-Z]+)?-\d+", spec.rule)
        )


def _r(rule_id: str, title) -> Rule:
    return Rule(rule_id, title)


#: Every rule of rules.md, in the rulebook's order.
RULES: dict[str, Rule] = {
    rule.id: rule
    for rule in [
        # 0. Counting time (all cities)
        _r("TIME-1", _l("Working days")),
        _r("TIME-2", _l("Within N working days")),
        _r("TIME-3", _l("Within N calendar days")),
        _r("TIME-4", _l("One month before")),
        _r("TIME-5", _l("Dates shown in the ROC calendar")),
        # 1. App development proposals
        _r("TN-EVAL-1", _l("Self-assessment and requirements approved before development")),
        _r("TN-EVAL-2", _l("Data opened on the open-data platform first, or a reason")),
        _r("TN-EVAL-3", _l("Grounds for budgeting an app")),
        _r("TN-EVAL-4", _l("Feedback linked to the mayor mailbox")),
        _r("TN-EVAL-5", _l("Source code and its economic rights obtained")),
        _r("KH-EVAL-1", _l("Development evaluation plan approved by the Information Center")),
        _r("KH-EVAL-2", _l("A rejected plan may be escalated to the mayor")),
        _r("KH-EVAL-3", _l("An app without approval is stopped or delisted")),
        # 2. Listing, versions, delisting
        _r("KH-VER-1", _l("Version numbers MAJOR.MINOR.PATCH")),
        _r("KH-SEC-1", _l("Security test report for a listing")),
        _r("TN-LIST-1", _l("Listing (change) checklist and the city's store account")),
        _r("TN-LIST-3", _l("Listing work carried out by the Smart Development Center")),
        _r("KH-LIST-1", _l("City store account, service provider and keywords")),
        _r("TN-LIST-2", _l("Agency administrator account")),
        _r("KH-LIST-2", _l("Description, download link and icon")),
        _r("TN-DEL-1", _l("Grounds for a delisting evaluation")),
        _r("TN-DEL-2", _l("End of service announced one month before delisting")),
        _r("TN-DEL-3", _l("Announcement and open source code after delisting")),
        # 3. Performance and KPIs
        _r("KH-KPI-1", _l("Download target by target population")),
        _r("KH-KPI-2", _l("Combined star rating above the bar")),
        _r("KH-KPI-3", _l("Improvement and marketing plan")),
        _r("KH-KPI-4", _l("Forced delisting after consecutive years below the KPI")),
        _r("KH-KPI-5", _l("Figures collected regularly, app kept optimised")),
        _r("KH-KPI-6", _l("Yearly target and results sent to the authority")),
        _r("TN-PERF-1", _l("Self-assessment against the agency's own targets")),
        _r("TN-PERF-2", _l("Self-check checklist reported to the agency head")),
        _r("TN-PERF-3", _l("Improvement measures or a delisting evaluation")),
        _r("TP-GRADE-0", _l("Roll-out evaluation and ranking")),
        _r("TP-GRADE-1", _l("Score bands A+ to E")),
        _r("TP-GRADE-2", _l("Review report, council attendance and commendations")),
        # 4. Roll-out organisation
        _r("TP-WG-1", _l("Agency work group for a major system")),
        _r("TP-WG-2", _l("Work-group changes reported within 3 working days")),
        _r("TP-WG-3", _l("Meeting minutes within 5 working days")),
        _r("TP-WG-4", _l("Meeting cadence and the council seat")),
        _r("TP-ADM-1", _l("At least two system administrators")),
        _r("TP-SEED-1", _l("Number of seed users")),
        _r("TP-SEED-2", _l("Roster changes reported within 3 working days")),
        _r("TP-SEED-3", _l("An unfit person replaced within 10 working days")),
        _r("TP-SUP-1", _l("Three support tiers")),
        # 5. Training
        _r("TP-TRN-1", _l("Course types")),
        _r("TP-TRN-2", _l("Leave filed before the session")),
        _r("TP-TRN-3", _l("Dismissal from a course")),
        _r("TP-TRN-4", _l("Retakes and the fitness review")),
        _r("TP-TRN-5", _l("Lecturer registry")),
        _r("TP-TRN-6", _l("E-learning for all other users")),
        _r("TN-LEARN-1", _l("20 learning hours a year")),
        # 6. Mayor mailbox link
        _r("TN-MAIL-1", _l("Feedback forwarded to the mayor mailbox")),
        _r("MAIL-2", _l("No feedback is lost")),
    ]
}


@dataclass(frozen=True)
class Process:
    """A form, workflow, page or tool of the plug-in and the rules it applies.

    ``parameters``: the rule parameters it reads. ``planned``: built by a later issue
    (``roadmap`` names the roadmap item), so nothing runs it yet. ``facade``: the policy
    facade itself, which answers every rule for every profile (a city's own programs call
    it); a rule only the facade answers is not yet applied by any form, workflow or page.
    """

    key: str
    label: Any
    rules: tuple[str, ...]
    parameters: tuple[str, ...] = ()
    planned: bool = False
    roadmap: int | None = None
    facade: bool = False


_DEADLINE_PARAMETERS = tuple(
    f"deadline.{kind}"
    for kind in (
        "roster_change",
        "minutes",
        "replacement",
        "leave_makeup",
        "plan_review",
        "delisting_notice",
    )
)

#: Every process, today's first, then the planned ones in roadmap order.
PROCESSES: dict[str, Process] = {
    p.key: p
    for p in [
        Process(
            "proposal_form",
            _l("App development proposal form"),
            ("TN-EVAL-1", "TN-EVAL-2", "TN-EVAL-3", "TN-EVAL-4", "TN-EVAL-5", "KH-EVAL-1"),
        ),
        Process(
            "proposal_approval",
            _l("Proposal review and approval"),
            ("TN-EVAL-1", "TN-EVAL-3", "KH-EVAL-1", "KH-EVAL-2"),
            ("proposal_escalation_to_mayor",),
        ),
        Process(
            "kpi_page",
            _l("App evaluation page"),
            ("KH-KPI-1", "KH-KPI-2", "KH-KPI-3", "TN-PERF-1", "TN-PERF-2", "TN-PERF-3", "TN-DEL-1"),
            ("download_target_bands", "rating_bar"),
        ),
        Process(
            "mailbox_personal_data",
            _l("Citizens' personal data in the mailbox link: notice, retention purge"),
            (),
            ("mailbox_retention_years",),
        ),
        Process(
            "mailbox_reveal_approval",
            _l("Revealing a citizen's personal data: a supervisor's approval"),
            (),
            ("mailbox_reveal_needs_approval",),
        ),
        Process("working_calendar", _l("Working calendar"), ("TIME-1",)),
        Process("dates", _l("Dates on every page and form"), ("TIME-5",)),
        Process(
            "rules_in_force",
            _l("Rules in force (which rules this deployment applies)"),
            (),
            ("adopted_rules", "base_profile"),
        ),
        Process(
            "facade",
            _l("Policy facade and flask appgov deadline (for the city's own programs)"),
            (
                "TIME-1",
                "TIME-2",
                "TIME-3",
                "TIME-4",
                "KH-KPI-1",
                "KH-KPI-2",
                "KH-KPI-3",
                "TN-DEL-2",
                "KH-VER-1",
                "KH-SEC-1",
                "TP-GRADE-1",
                "TP-WG-2",
                "TP-WG-3",
                "TP-ADM-1",
                "TP-SEED-1",
                "TP-SEED-2",
                "TP-SEED-3",
                "TP-TRN-1",
                "TP-TRN-2",
                "TP-TRN-3",
                "TP-TRN-4",
            ),
            (
                "download_target_bands",
                "rating_bar",
                "grade_bands",
                "seed_user_min",
                "seed_user_headcount_per_user",
                "system_admin_min",
                "leave_dismissal_percent",
                "unexcused_absences_for_dismissal",
                "consecutive_fails_for_review",
                "dismissals_for_review",
                *_DEADLINE_PARAMETERS,
            ),
            facade=True,
        ),
        # -- planned (roadmap.md) ------------------------------------------------------
        Process(
            "listing",
            _l("Listing and version changes"),
            (
                "KH-VER-1",
                "KH-SEC-1",
                "TN-LIST-1",
                "TN-LIST-2",
                "TN-LIST-3",
                "KH-LIST-1",
                "KH-LIST-2",
            ),
            planned=True,
            roadmap=2,
        ),
        Process(
            "delisting",
            _l("Delisting and forced delisting"),
            ("KH-EVAL-3", "TN-DEL-1", "TN-DEL-2", "TN-DEL-3", "KH-KPI-4", "TIME-4"),
            ("kpi_failed_years_for_delisting", "deadline.delisting_notice"),
            planned=True,
            roadmap=2,
        ),
        Process(
            "improvement_plan",
            _l("Improvement and marketing plans and their 14-day review"),
            ("KH-KPI-3", "TN-PERF-3", "TIME-3"),
            ("plan_text_length", "deadline.plan_review"),
            planned=True,
            roadmap=2,
        ),
        Process(
            "mailbox",
            _l("Mayor-mailbox link"),
            ("TN-EVAL-4", "TN-MAIL-1", "MAIL-2", "TN-PERF-1"),
            planned=True,
            roadmap=3,
        ),
        Process(
            "rollout",
            _l("Roll-out organisation: work groups, administrators, seed users, support"),
            (
                "TP-WG-1",
                "TP-WG-2",
                "TP-WG-3",
                "TP-WG-4",
                "TP-ADM-1",
                "TP-SEED-1",
                "TP-SEED-2",
                "TP-SEED-3",
                "TP-SUP-1",
                "TIME-2",
            ),
            (
                "council_missed_meetings_seat_loss",
                "system_admin_min",
                "seed_user_min",
                "seed_user_headcount_per_user",
                "deadline.roster_change",
                "deadline.minutes",
                "deadline.replacement",
            ),
            planned=True,
            roadmap=4,
        ),
        Process(
            "training",
            _l("Training records and yearly learning hours"),
            (
                "TP-TRN-1",
                "TP-TRN-2",
                "TP-TRN-3",
                "TP-TRN-4",
                "TP-TRN-5",
                "TP-TRN-6",
                "TN-LEARN-1",
                "TIME-2",
            ),
            (
                "leave_dismissal_percent",
                "unexcused_absences_for_dismissal",
                "consecutive_fails_for_review",
                "dismissals_for_review",
                "learning_hours_per_year",
                "deadline.leave_makeup",
            ),
            planned=True,
            roadmap=5,
        ),
        Process(
            "performance_evaluation",
            _l("Yearly performance evaluation, grades and rankings"),
            ("TP-GRADE-0", "TP-GRADE-1", "TP-GRADE-2", "KH-KPI-5", "KH-KPI-6", "TN-PERF-1"),
            ("grade_bands",),
            planned=True,
            roadmap=6,
        ),
    ]
}


def rule(rule_id: str) -> Rule:
    """The rule ``rule_id`` (``"KH-KPI-1"``); ``ValueError`` names an unknown one."""
    found = RULES.get(rule_id) if isinstance(rule_id, str) else None
    if found is None:
        raise ValueError(
            _(
                "unknown rule %(rule)r; rule IDs are those of the rulebook, "
                "e.g. TN-EVAL-2, KH-KPI-1, TP-SEED-1, TIME-2",
                rule=rule_id,
            )
        )
    return found


def check_rule_ids(value: Any, what: str = "adopted_rules") -> tuple[str, ...]:
    """A list of known rule IDs without repeats (the ``adopted_rules`` parameter)."""
    if not isinstance(value, list | tuple):
        raise ValueError(
            _(
                '%(what)s: expected a list of rule IDs such as ["TN-LEARN-1"], got %(value)r',
                what=what,
                value=value,
            )
        )
    seen: list[str] = []
    for item in value:
        if item not in RULES:
            raise ValueError(_("%(what)s: unknown rule %(rule)r", what=what, rule=item))
        if item in seen:
            raise ValueError(_("%(what)s: %(rule)s is listed twice", what=what, rule=item))
        seen.append(item)
    return tuple(seen)


def declared_rules(table: dict[str, tuple[str, ...]]) -> frozenset[str]:
    """The rule IDs of a profile module's ``RULES`` table (process -> rule IDs), checked:
    a misspelt ID fails when the module is imported, not when an official files a form."""
    ids = frozenset(rule_id for rule_ids in table.values() for rule_id in rule_ids)
    for rule_id in sorted(ids):
        rule(rule_id)
    return ids


def rule_in_use(rule_id: str) -> bool:
    """Whether a form, workflow or page of the plug-in applies ``rule_id`` today."""
    return rule(rule_id).in_use


def parameter_processes(name: str, planned: bool = False) -> tuple[Process, ...]:
    """The processes (the facade included) that read rule parameter ``name`` today
    (``planned=True``: the planned processes that will read it)."""
    return tuple(p for p in PROCESSES.values() if p.planned == planned and name in p.parameters)


def parameter_in_use(name: str) -> bool:
    """Whether anything reads rule parameter ``name`` today: a form, workflow or page, or
    the policy facade. ``False`` means changing it changes nothing yet: no process uses it
    (``kpi_failed_years_for_delisting``, ``plan_text_length``, ``learning_hours_per_year``,
    ``council_missed_meetings_seat_loss``)."""
    return bool(parameter_processes(name))


def parameter_use(name: str) -> str:
    """``"process"`` (a form, workflow or page reads it), ``"facade"`` (only the policy
    facade does: ``grade_bands``...) or ``"unused"`` (nothing reads it yet)."""
    processes = parameter_processes(name)
    if any(not p.facade for p in processes):
        return "process"
    return "facade" if processes else "unused"


#: Why a rule applies (or not) in a deployment; see :func:`overview`.
SOURCES: dict[str, Any] = {
    "everywhere": _l("Every city"),
    "profile": _l("This profile's rule"),
    "parameter": _l("Adopted (rule parameter)"),
    "hook": _l("Adopted by a hook module"),
    "dropped": _l("Dropped by a hook module"),
    "other_city": _l("Not adopted"),
}


@dataclass(frozen=True)
class RuleStatus:
    """One rule as one deployment applies it, for the policy page."""

    rule: Rule
    applies: bool
    source: str  # a key of SOURCES

    @property
    def source_label(self) -> Any:
        if self.source == "profile":
            return _("%(city)s rule", city=profile_label(self.rule.city))
        if self.source == "other_city":
            return _("%(city)s rule, not adopted", city=profile_label(self.rule.city))
        return SOURCES[self.source]

    @property
    def parameters(self) -> tuple[str, ...]:
        return self.rule.parameters


@dataclass(frozen=True)
class Overview:
    """The rules of the rulebook as a deployment applies them, in three groups."""

    applied: tuple[RuleStatus, ...]  # applied, and some process uses them today
    adoptable: tuple[RuleStatus, ...]  # not applied (other cities'), used by a process today
    unused: tuple[RuleStatus, ...]  # no process uses them yet, applied or not


def status(policy, rule_id: str) -> RuleStatus:
    """How ``policy``'s deployment applies ``rule_id``, and why."""
    found = rule(rule_id)
    applies = policy.applies(found.id)
    own = found.city is None or found.city == policy.profile
    adopted = found.id in policy.param("adopted_rules")
    if applies:
        source = (
            "everywhere"
            if found.city is None
            else "profile"
            if own
            else "parameter"
            if adopted
            else "hook"
        )
    else:
        source = "dropped" if own or adopted else "other_city"
    return RuleStatus(found, applies, source)


def overview(policy) -> Overview:
    """Every rule for ``policy`` (a :class:`~appgov_plugin.policy.facade.Policy`)."""
    statuses = [status(policy, rule_id) for rule_id in RULES]
    return Overview(
        applied=tuple(s for s in statuses if s.applies and s.rule.in_use),
        adoptable=tuple(s for s in statuses if not s.applies and s.rule.in_use),
        unused=tuple(s for s in statuses if not s.rule.in_use),
    )


def profile_label(profile: str) -> Any:
    """臺南市 / Tainan City for ``"tainan"``; an unknown key is returned as it is."""
    return PROFILE_LABELS.get(profile, profile)


__all__ = [
    "CITY_PREFIXES",
    "PROCESSES",
    "PROFILE_LABELS",
    "RULES",
    "SOURCES",
    "Overview",
    "Process",
    "Rule",
    "RuleStatus",
    "check_rule_ids",
    "declared_rules",
    "overview",
    "parameter_in_use",
    "parameter_processes",
    "parameter_use",
    "profile_label",
    "rule",
    "rule_in_use",
    "status",
]
