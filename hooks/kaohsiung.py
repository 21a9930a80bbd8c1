"""Kaohsiung City profile (高雄市政府發展行動應用服務管理要點, 2021-02-17).

Read beside ``rules.md`` section by section. ``RULES`` below is the profile's column of the
rulebook's table ("Profiles are real"): the rules a Kaohsiung deployment applies, by
process. Other cities' rules apply here only when adopted (rule parameter
``adopted_rules``, or a hook module answering ``appgov_rule_applies``); TIME-* and MAIL-*
apply everywhere. Only what Kaohsiung's directive sets apart from the shared defaults
(``defaults.py``) is written here.

- KH-EVAL-1: the development evaluation plan (開發評估計畫書) goes to the Information
  Center (資訊中心) for approval.
- KH-EVAL-2: when the Information Center rejects it, the agency may escalate to the mayor
  or a person the mayor authorised, whose approval overrides the rejection.
- KH-KPI-1..6: download bands, star rating, improvement and marketing plan with its 14-day
  review, and forced delisting after two consecutive years below the KPI (KH-KPI-4).
- KH-VER-1, KH-SEC-1: version numbers and the security test report for a listing.
- Roll-out, training and grades (TP-*) and learning hours (TN-LEARN-1): adopt them.
"""

from appgov_plugin.policy import hookimpl
from appgov_plugin.policy.rulebook import declared_rules

#: The rules this profile applies, by process (rules.md, "Profiles are real").
RULES = {
    "proposal form": ("KH-EVAL-1",),
    "proposal approval": ("KH-EVAL-1", "KH-EVAL-2"),
    "listing / versions": ("KH-LIST-1", "KH-LIST-2", "KH-VER-1", "KH-SEC-1"),
    "delisting": ("KH-EVAL-3", "KH-KPI-4"),
    "app evaluation": ("KH-KPI-1", "KH-KPI-2", "KH-KPI-3", "KH-KPI-4", "KH-KPI-5", "KH-KPI-6"),
}
_APPLIES = declared_rules(RULES)

#: Parameter values that differ from the shared defaults.
PARAMETERS = {
    "proposal_escalation_to_mayor": True,  # rule KH-EVAL-2
    "kpi_failed_years_for_delisting": 2,  # rule KH-KPI-4
}


@hookimpl
def appgov_rule_applies(policy, rule):
    # the city's own rules; everything else as adopted (defaults.py)
    return True if rule in _APPLIES else None


@hookimpl
def appgov_parameter(policy, name, as_of):
    return PARAMETERS.get(name)
