"""Taipei City profile (臺北市政府重大資訊系統推動標準作業程序).

Read beside ``rules.md``. Only what Taipei's procedure sets apart from the shared defaults
(``defaults.py``) is written here.

- TP-WG-*, TP-ADM-1, TP-SEED-*, TP-SUP-1, TP-TRN-*, TP-GRADE-*: as in the defaults (they
  come from this procedure).
- App development proposals have no escalation to the mayor (KH-EVAL-2 does not apply).
"""

from appgov_plugin.policy import hookimpl

#: Parameter values that differ from the shared defaults.
PARAMETERS = {
    # no forced delisting for missed app KPIs (KH-KPI-4 is Kaohsiung's)
    "kpi_failed_years_for_delisting": 0,
    "proposal_escalation_to_mayor": False,
}


@hookimpl
def appgov_parameter(policy, name, as_of):
    return PARAMETERS.get(name)
