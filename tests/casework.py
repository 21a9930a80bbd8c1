"""Helpers for the case tests (reading rule, search, edits): proposals, users, page text."""

from __future__ import annotations

import contextlib
import html
import re

import sqlalchemy as sa

from appgov_plugin.apps.case_types import PROPOSAL
from sample_host.cases import open_case
from sample_host.extensions import db
from sample_host.models import Agency, Case, CaseHistory, User

#: A proposal's stored answers (JSON, as the host keeps them); both profiles' questions.
ANSWERS = {
    "app_name": "府城好停車",
    "purpose": "整合路邊與路外停車場即時空位、繳費與導航，減少市區繞行找車位的時間。",
    "platforms": ["ios", "android"],
    "requirements_summary": "即時空位、路邊停車繳費、導航與到期提醒等功能需求。",
    "comparable_apps": "民間停車 App 未整合本市路邊停車繳費。",
    "open_data_first": "yes",
    "open_data_reason": "",
    "protected_data": "no",
    "open_data_alternative": "開放資料已提供空位，但繳費需 App。",
    "web_alternative": "背景提醒需行動裝置功能。",
    "eligibility_grounds": ["missing_function"],
    "other_necessity": "",
    "target_population": 1_860_000,
    "kpi_attainable": "yes",
    "kpi_plan": "於停車單據印製下載 QR Code 推廣。",
    "budget": 3_200_000,
    "mayor_mailbox_link": True,
    "source_code_rights": True,
}

#: TN-EVAL-3 ground (4): the agency head approves before review
GROUND_FOUR = {"eligibility_grounds": ["head_approved"], "other_necessity": "配合市府重大政策。"}


def posted(answers: dict) -> dict:
    """The answers as a browser posts them (ticked boxes "y", unticked ones absent)."""
    data = {}
    for name, value in answers.items():
        if value is True:
            data[name] = "y"
        elif value is False or value is None:
            continue
        elif isinstance(value, int):
            data[name] = str(value)
        else:
            data[name] = value
    return data


def add_user(username: str, role: str, agency_code: str | None) -> User:
    """A user with password ``demo-<username>`` (inside an app context; committed)."""
    agency = db.session.scalar(sa.select(Agency).where(Agency.code == agency_code))
    user = User(username=username, display_name=f"{username} 測試", role=role, agency=agency)
    user.set_password(f"demo-{username}")
    db.session.add(user)
    db.session.commit()
    return user


def new_proposal(
    owner: str = "staff",
    agency: str = "tainan-tourism",
    steps: tuple[str, ...] = (),
    actors: tuple[str, ...] = (),
    **changes,
) -> int:
    """Open a proposal through the host's engine and take ``steps`` (inside an app context)."""
    case = open_case(PROPOSAL, agency, owner, {**ANSWERS, **changes}, steps, actors)
    db.session.commit()
    return case.id


def status(case_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Case, case_id).status


def history(case_id: int) -> list[CaseHistory]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(CaseHistory).where(CaseHistory.case_id == case_id).order_by(CaseHistory.id)
        )
    )


def visible_text(page: str) -> str:
    """What a reader sees: no tags, attributes, scripts or styles; entities decoded."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def linked_case_ids(page: str) -> set[int]:
    """The case pages a page links to."""
    return {int(n) for n in re.findall(r'href="/cases/(\d+)"', page)}


@contextlib.contextmanager
def counting_queries(app):
    """Collects every SQL statement sent on the app's engine (``as statements``)."""
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
