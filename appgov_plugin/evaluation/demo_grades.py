"""Demonstration roll-out scores, where the deployment applies TP-GRADE-1 (the Taipei
profile): last year's go-live scores of the document system (``tn-edoc`` of
:mod:`appgov_plugin.rollout.demo_registry`) for every agency in its scope, so the published
ranking shows every grade, ties and what follows (TP-GRADE-0..2).

* The level-1 agencies carry the band edges: 95 (A+), 90 (A), 80 (B), 70 (C), 60 (D) and
  59.99 (E); the Education and Public Works Bureaus tie at 92.40 (A) and two district
  offices at 61.00 (D, from the bottom).
* The Tourism Bureau -- the one agency with staff in the sample host -- is graded E: its
  staff wrote and submitted the review report (``appgov_grade_review``), which waits for
  the IT department; the Secretariat (D) and the other D and E agencies get no case, as the
  host has no staff to own one (the ranking says "no case opened yet"; the button reports
  them).
* The schools are outside the department's yearly IT evaluation: an E school joins it the
  next year (TP-GRADE-2). A+, A and B carry their commendations.

Every score goes through :func:`.grades.check_score` (the grade from the policy as of last
year's 31 December) inside the demo's transaction.
"""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from ..clock import today
from ..demo import agency_staff
from ..rollout.models import MajorSystem, RolloutAgency, SystemScope
from ..state import get_state
from . import grades, grades_followup
from .models import RolloutScore

SYSTEM = "tn-edoc"
#: The Tourism Bureau's review report (TP-GRADE-2), as its staff wrote it.
REVIEW_CAUSES = (
    "上線初期僅完成 3 成同仁帳號開通，種子人員 2 名均為新進人員，教育訓練排定於上線後，"
    "致公文線上簽核比率偏低。"
)
REVIEW_MEASURES = (
    "一、本年 3 月底前完成全局同仁帳號開通並辦理 2 場操作訓練。"
    "二、增派資深同仁 1 名擔任種子人員。"
    "三、每月統計線上簽核比率，於主管會報追蹤。"
)
#: The level-1 agencies' scores: each band's edge, a tie, the host's agencies graded low.
SCORES = {
    "tainan-sdc": "96.50",
    "tainan-civil": "95.00",
    "tainan-epb": "99.00",
    "tainan-education": "92.40",
    "tainan-works": "92.40",
    "tainan-health": "90.00",
    "tainan-econ": "89.99",
    "tainan-social": "86.00",
    "tainan-finance": "80.00",
    "tainan-culture": "79.99",
    "tainan-labor": "70.00",
    "tainan-transport": "69.99",
    "tainan-secretariat": "60.00",
    "tainan-land": "62.50",
    "tainan-tourism": "59.99",
    "tainan-shengli-es": "52.00",  # E, outside the IT evaluation: joins it next year
}
#: The other agencies' scores, in code order (two district offices tie at 61.00).
OTHER_SCORES = (
    "88.25",
    "93.10",
    "76.40",
    "84.00",
    "71.75",
    "66.30",
    "97.20",
    "82.60",
    "58.40",
    "91.00",
    "74.80",
    "68.20",
    "85.50",
    "79.00",
    "95.40",
    "63.70",
    "87.90",
    "72.30",
    "90.60",
    "61.00",
    "61.00",
    "77.70",
    "54.20",
    "83.30",
    "69.00",
    "94.10",
    "80.80",
    "65.50",
    "86.60",
    "73.40",
    "92.00",
    "56.80",
)


def load(open_case, users) -> list[str] | None:
    state = get_state()
    if not state.policy().applies(grades.RULE_BANDS):  # the deployment grades no roll-out
        return None
    session = state.session
    system = session.scalar(sa.select(MajorSystem).where(MajorSystem.code == SYSTEM))
    if system is None:  # no demo registry
        return None
    year = today().year - 1
    codes = sorted(
        session.scalars(
            sa.select(SystemScope.agency_code).where(
                SystemScope.system_id == system.id, SystemScope.excluded_on.is_(None)
            )
        )
    )
    kinds = dict(session.execute(sa.select(RolloutAgency.code, RolloutAgency.kind)).all())
    others = iter(OTHER_SCORES)
    known = grades.Known.load(None)
    policy = state.policy(as_of=grades.evaluation_date(year))
    for code in codes:
        score = SCORES.get(code) or next(others, "75.00")
        values = grades.check_score(
            {
                "agency_code": code,
                "system": system.code,
                "year": year,
                "stage": "golive",
                "score": Decimal(score),
                "in_it_evaluation": kinds.get(code) != "school",
            },
            known,
            policy=policy,
        )
        row = RolloutScore(source="demo", recorded_by="demo")
        grades.apply_values(row, values)
        session.add(row)
    session.flush()
    # rule TP-GRADE-2: the review reports of the D and E agencies the host can give a case;
    # the one of the agency with staff written and submitted
    staff = agency_staff(users)
    if staff is not None:
        _submitted_review(open_case, staff, system, year)
    grades_followup.open_review_cases(year, system_id=system.id, agencies=None, actor="demo")
    session.flush()
    return None


def _submitted_review(open_case, staff, system: MajorSystem, year: int) -> None:
    """The review report of ``staff``'s agency (graded E), written and submitted by its
    staff: the IT department has it to accept or return (TP-GRADE-2)."""
    session = get_state().session
    score = session.scalar(
        sa.select(RolloutScore).where(
            RolloutScore.agency_code == staff.agency_code,
            RolloutScore.system_id == system.id,
            RolloutScore.year == year,
        )
    )
    if score is None or not grades_followup.needs_review(score):
        return
    data = {
        **grades_followup.review_data(score, system),
        "causes": REVIEW_CAUSES,
        "measures": REVIEW_MEASURES,
    }
    case = open_case(
        grades_followup.GRADE_REVIEW, staff.agency_code, staff.username, data, ("submit",)
    )
    score.review_case_id = int(case.id)
    session.flush()
