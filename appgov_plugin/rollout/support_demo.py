"""Demonstration support tickets (TP-SUP-1), where the deployment runs the three-tier
support and the demo registry names the first agency staff a system administrator or seed
user (:mod:`.demo_registry`, loaded before this module):

* one that climbed all three tiers: filed by the staff, escalated by them as the agency's
  tier 1, escalated by the helpdesk, resolved by the IT department (technical support team);
* one resolved at tier 1;
* one waiting at tier 1.
"""

from __future__ import annotations

from ..demo import agency_staff
from ..state import get_state
from . import support
from .support_case_types import SUPPORT_TICKET, case_types

#: (subject, description, steps after filing with their actors' roles).
TICKETS = (
    (
        "公文系統簽核後無法送出",
        "簽核完成後按「送出」出現錯誤代碼 E500，重新登入仍相同。",
        (("escalate", "tier1"), ("escalate", "helpdesk"), ("resolve", "it_department")),
    ),
    ("忘記如何設定代理人", "請假期間需設定代理人簽核，找不到設定位置。", (("resolve", "tier1"),)),
    ("列印格式跑版", "列印公文時頁尾被截斷。", ()),
)


def load(open_case, users) -> None:
    case_type = case_types()[0]
    owner = agency_staff(users)
    if owner is None or not case_type.is_offered():
        return
    held = support.tier1_roles(owner.username)
    system_ids = sorted(system_id for agency, system_id in held if agency == owner.agency_code)
    if not system_ids:
        return  # the demo registry names the staff in no tier-1 role
    system = get_state().session.get(support.MajorSystem, system_ids[0])
    by_role = {}
    for user in users:
        by_role.setdefault(user.role, user.username)
    for subject, description, steps in TICKETS:
        names = ["submit", *(name for name, _role in steps)]
        actors = [owner.username] + [
            owner.username if role == "tier1" else by_role[role] for _name, role in steps
        ]
        data = {
            "system_name": system.name_zh,
            "subject": subject,
            "description": description,
            "contact": "分機 8585",
        }
        # the host's demo steps carry its own comment (a reason, a resolution)
        open_case(SUPPORT_TICKET, owner.agency_code, owner.username, data, names, actors)
