"""Taipei City profile (臺北市政府重大資訊系統推動標準作業程序).

Read beside ``rules.md``. ``RULES`` below is the profile's column of the rulebook's table
("Profiles are real"): the roll-out rules of a major information system. The Taipei
profile has no app-governance rules of its own: a Taipei deployment that governs apps adopts
Tainan's or Kaohsiung's (rule parameter ``adopted_rules``, or a hook module answering
``appgov_rule_applies``). TIME-* and MAIL-* apply everywhere. Only what Taipei's procedure
sets apart from the shared defaults (``defaults.py``) is written here.

- TP-WG-*, TP-ADM-1, TP-SEED-*, TP-SUP-1: work groups, system administrators, seed users and
  the three support tiers of a roll-out.
- TP-TRN-*: training; TP-GRADE-*: the roll-out evaluation and its grades.
"""

from appgov_plugin.policy import hookimpl
from appgov_plugin.policy.rulebook import declared_rules

#: The rules this profile applies, by process (rules.md, "Profiles are real").
RULES = {
    "roll-out organisation": (
        "TP-WG-1",
        "TP-WG-2",
        "TP-WG-3",
        "TP-WG-4",
        "TP-ADM-1",
        "TP-SEED-1",
        "TP-SEED-2",
        "TP-SEED-3",
        "TP-SUP-1",
    ),
    "training": ("TP-TRN-1", "TP-TRN-2", "TP-TRN-3", "TP-TRN-4", "TP-TRN-5", "TP-TRN-6"),
    "grades": ("TP-GRADE-0", "TP-GRADE-1", "TP-GRADE-2"),
}
_APPLIES = declared_rules(RULES)

#: Parameter values that differ from the shared defaults: a reveal of a citizen's personal
#: data waits for a supervisor's approval, as Taipei's 1999 citizen hotline handles it
#: (個人資料保護法 §18; appgov_plugin/mailbox/reveal_approval.py).
PARAMETERS: dict = {"mailbox_reveal_needs_approval": True}


@hookimpl
def appgov_rule_applies(policy, rule):
    # the city's own rules; everything else as adopted (defaults.py)
    return True if rule in _APPLIES else None


@hookimpl
def appgov_parameter(policy, name, as_of):
    return PARAMETERS.get(name)
