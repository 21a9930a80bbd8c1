"""Kaohsiung City profile (高雄市政府發展行動應用服務管理要點, 2021-02-17).

Read beside ``rules.md`` section by section. Only what Kaohsiung's directive sets apart
from the shared defaults (``defaults.py``) is written here.

- KH-EVAL-1: the development evaluation plan (開發評估計畫書) goes to the Information
  Center (資訊中心) for approval.
- KH-EVAL-2: when the Information Center rejects it, the agency may escalate to the mayor
  or a person the mayor authorised, whose approval overrides the rejection.
- KH-KPI-4: two consecutive years below the KPI and the authority delists the app.
- KH-KPI-1..3, KH-SEC-1, KH-VER-1: as in the defaults (they come from this directive).
"""

from appgov_plugin.policy import hookimpl

#: Parameter values that differ from the shared defaults.
PARAMETERS = {
    "proposal_escalation_to_mayor": True,  # rule KH-EVAL-2
    "kpi_failed_years_for_delisting": 2,  # rule KH-KPI-4
}


@hookimpl
def appgov_parameter(policy, name, as_of):
    return PARAMETERS.get(name)
