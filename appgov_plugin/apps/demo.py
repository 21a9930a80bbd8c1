"""Demonstration records appgov adds to a new sample database."""

from __future__ import annotations

from ..access import agency_name
from ..forms import builder
from ..state import get_state
from .case_types import PROPOSAL
from .models import App

_DEMO_PROPOSAL = {
    "app_name": "台南好停車",
    "purpose": "整合路邊與路外停車場即時空位、繳費與導航，減少市區繞行找車位的時間與排碳。",
    "platforms": ["ios", "android"],
    # answers to Tainan's self-assessment (TN-EVAL-1..5) and to Kaohsiung's evaluation plan
    # (KH-EVAL-1): the demo case answers the questions the deployment's profile asks
    "requirements_summary": "路邊與路外停車場即時空位、路邊停車繳費、導航與到期提醒。",
    "comparable_apps": "民間停車 App 未整合本市路邊停車繳費與即時空位資料。",
    "open_data_first": "yes",
    "open_data_reason": "",
    "protected_data": "no",
    "open_data_alternative": "停車空位已為開放資料；繳費與到期提醒需 App。",
    "web_alternative": "即時導航與背景提醒需行動裝置功能，響應式網頁無法完全替代。",
    "eligibility_grounds": ["missing_function"],
    "target_population": 1_860_000,
    "kpi_attainable": "yes",
    "kpi_plan": "路邊停車單據印製下載 QR Code，並於停車場推廣。",
    "budget": 3_200_000,
    "mayor_mailbox_link": True,
    "source_code_rights": True,
}


def load(open_case, users) -> None:
    """One listed app per agency that has staff, and a development proposal in review."""
    staff = [u for u in users if u.role == "agency_staff" and u.agency_code]
    if not staff:
        return
    session = get_state().session
    for user in staff:
        session.add(
            App(
                agency_code=user.agency_code,
                name=f"{agency_name(user.agency_code)}行動服務",
                description="示範用 App",
                status="listed",
                version="1.4.2",
                linked_to_mayor_mailbox=True,
            )
        )
    owner = staff[0]
    asked = builder.load("app_proposal").asked(get_state().policy().applies)
    open_case(
        PROPOSAL,
        owner.agency_code,
        owner.username,
        {name: value for name, value in _DEMO_PROPOSAL.items() if name in asked},
        transitions=("submit",),
        actor_usernames=(owner.username,),
    )
    session.flush()
