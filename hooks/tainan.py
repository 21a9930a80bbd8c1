"""Tainan City profile (臺南市政府行動應用軟體發展及管理要點; RDEC mid-term plan 2022-2025).

Read beside ``rules.md``. Only what Tainan's documents set apart from the shared defaults
(``defaults.py``) is written here.

- TN-EVAL-1: the self-assessment form and requirements go to the Smart Development Center
  (智慧發展中心); development starts only after approval. There is no escalation to the
  mayor: a rejection is final (KH-EVAL-2 does not apply).
- TN-DEL-2: one month's notice before delisting (the ``delisting_notice`` default).
- TN-LEARN-1: 20 learning hours a year (the ``learning_hours_per_year`` default).
"""

from appgov_plugin.policy import hookimpl

#: Parameter values that differ from the shared defaults.
PARAMETERS = {
    # rule TN-DEL-1 (6): missing the KPI leads to a delisting *evaluation*, not to the
    # forced delisting of KH-KPI-4
    "kpi_failed_years_for_delisting": 0,
    "proposal_escalation_to_mayor": False,  # rule TN-EVAL-1 (no KH-EVAL-2 in Tainan)
}


@hookimpl
def appgov_parameter(policy, name, as_of):
    return PARAMETERS.get(name)
