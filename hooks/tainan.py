"""Tainan City profile (臺南市政府行動應用軟體發展及管理要點; RDEC mid-term plan 2022-2025).

Read beside ``rules.md``. ``RULES`` below is the profile's column of the rulebook's table
("Profiles are real"): the rules a Tainan deployment applies, by process. Other cities'
rules apply here only when adopted (rule parameter ``adopted_rules``, or a hook module
answering ``appgov_rule_applies``); TIME-* and MAIL-* apply everywhere. Only what Tainan's
documents set apart from the shared defaults (``defaults.py``) is written here.

- TN-EVAL-1: the self-assessment form and requirements go to the Smart Development Center
  (智慧發展中心); development starts only after approval. There is no escalation to the
  mayor: a rejection is final (KH-EVAL-2 is Kaohsiung's).
- TN-PERF-1..3: apps are evaluated against the targets the agency sets itself; a poor
  performer gets improvement measures or a delisting evaluation (TN-DEL-1 (6)), not
  Kaohsiung's download bands, improvement-and-marketing plan or forced delisting.
- TN-DEL-2: one month's notice before delisting (the ``delisting_notice`` default).
- TN-LEARN-1: 20 learning hours a year (the ``learning_hours_per_year`` default).
- Roll-out, training and grades (TP-*): adopt them for a roll-out.
"""

from appgov_plugin.policy import hookimpl
from appgov_plugin.policy.rulebook import declared_rules

#: The rules this profile applies, by process (rules.md, "Profiles are real").
RULES = {
    "proposal form": ("TN-EVAL-1", "TN-EVAL-2", "TN-EVAL-3", "TN-EVAL-4", "TN-EVAL-5"),
    "proposal approval": ("TN-EVAL-1",),
    "listing / versions": ("TN-LIST-1", "TN-LIST-2", "TN-LIST-3"),
    "delisting": ("TN-DEL-1", "TN-DEL-2", "TN-DEL-3"),
    "app evaluation": ("TN-PERF-1", "TN-PERF-2", "TN-PERF-3"),
    "learning hours": ("TN-LEARN-1",),
    "mayor mailbox": ("TN-MAIL-1",),
}
_APPLIES = declared_rules(RULES)

#: Parameter values that differ from the shared defaults.
PARAMETERS = {
    "proposal_escalation_to_mayor": False,  # rule TN-EVAL-1 (no KH-EVAL-2 in Tainan)
}


@hookimpl
def appgov_rule_applies(policy, rule):
    # the city's own rules; everything else as adopted (defaults.py)
    return True if rule in _APPLIES else None


@hookimpl
def appgov_parameter(policy, name, as_of):
    return PARAMETERS.get(name)
