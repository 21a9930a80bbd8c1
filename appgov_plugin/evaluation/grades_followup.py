"""What follows a grade (rule TP-GRADE-2).

* :func:`open_review_case` / :func:`open_review_cases` -- a D or E opens a review-report
  case (``appgov_grade_review``) for the agency through the host (``casehost_open_case``,
  as :mod:`appgov_plugin.rollout.unfit` opens a replacement case). Once per score: the
  case's id is kept on ``RolloutScore.review_case_id`` under a row lock, and a score that
  has one opens no other. An agency the host does not know (a registry-only school or
  district office) gets no case here: the answer lists it, the IT department writes to it.
* :func:`follow_ups` -- per score: the review case, the coordination council the agency
  must attend (D and E; the council meetings of ``rollout/models_meetings.py`` held after
  the evaluation date, and whether the agency's people attended), joining the yearly IT
  evaluation next year (E units outside it) and the commendations (A+, A and B, as the
  seed lists them; C carries none). Two queries for any number of scores.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app

from ..host.contract import ContractError
from ..i18n import _l
from ..rollout.models import MajorSystem, RolloutPerson
from ..rollout.models_meetings import Attendance, Meeting
from ..state import get_state
from .grade_case_types import GRADE_REVIEW
from .grades import BOTTOM_GRADES, evaluation_date
from .models import RolloutScore

#: rule TP-GRADE-2 (seed 玖、五): the commendations of each grade; C carries none.
COMMENDATIONS = {
    "A+": _l(
        "Commendation: the agency's system administrators, seed users and officer in charge "
        "two or one merit citations; their direct supervisor one merit citation; others who "
        "contributed two or one commendations."
    ),
    "A": _l(
        "Commendation: the agency's system administrators, seed users and officer in charge "
        "one merit citation; their direct supervisor two commendations; others who "
        "contributed two or one commendations."
    ),
    "B": _l(
        "Commendation: the agency's system administrators, seed users and officer in charge "
        "two commendations; their direct supervisor and others who contributed one "
        "commendation."
    ),
}
#: Attendance that counts as attending a council meeting (in person, online, represented).
ATTENDED = ("in_person", "online", "represented")


class ReviewCaseError(ValueError):
    pass


@dataclass
class Opened:
    """What :func:`open_review_cases` did: scores given a case now, those that had one, and
    those the host opened none for (each a score)."""

    opened: list[RolloutScore] = field(default_factory=list)
    existing: list[RolloutScore] = field(default_factory=list)
    not_opened: list[RolloutScore] = field(default_factory=list)


def needs_review(score: RolloutScore) -> bool:
    """rule TP-GRADE-2: D and E submit a review report."""
    return score.grade in BOTTOM_GRADES


def review_data(score: RolloutScore, system: MajorSystem) -> dict:
    """The review report's answers appgov fills from the score (TP-GRADE-0/1); the agency
    writes the causes and measures."""
    return {
        "system_name": f"{system.name_zh} ({system.code})",
        "year": score.year - 1911,
        "stage": score.stage,
        "score": str(score.score),
        "grade": score.grade,
        "causes": None,
        "measures": None,
        "attachment": None,
    }


def open_review_case(score: RolloutScore, system: MajorSystem, actor: str) -> int | None:
    """Open the score's review case (no commit) unless it has one; the case's id, ``None``
    when the host opens no case for the agency. ``score`` is locked by the caller."""
    if not needs_review(score):
        raise ReviewCaseError(f"score {score.id} is graded {score.grade}: no review report")
    if score.review_case_id is not None:
        return score.review_case_id
    host = current_app.extensions.get("casehost")
    if host is None:
        return None
    try:
        case = host.pm.hook.casehost_open_case(
            app=current_app._get_current_object(),
            type_key=GRADE_REVIEW,
            agency_code=score.agency_code,
            data=review_data(score, system),
            owner_username=None,
            comment=(
                f"TP-GRADE-2: {system.code} {score.year} score {score.score} grade {score.grade}: "
                "review report and coordination council"
            ),
        )
    except ContractError:
        return None
    if case is None:
        return None
    score.review_case_id = int(case.id)
    get_state().session.flush()
    return score.review_case_id


def open_review_cases(
    year: int, *, system_id: int | None, agencies: set[str] | None, actor: str
) -> Opened:
    """Open the review cases of the D and E scores of ``year`` (one system, or all) in the
    reader's ``agencies``; rows locked, each opened once (no commit)."""
    session = get_state().session
    query = (
        sa.select(RolloutScore)
        .where(RolloutScore.year == year, RolloutScore.grade.in_(BOTTOM_GRADES))
        .order_by(RolloutScore.system_id, RolloutScore.score, RolloutScore.agency_code)
        .with_for_update()
    )
    if system_id is not None:
        query = query.where(RolloutScore.system_id == system_id)
    if agencies is not None:
        query = query.where(RolloutScore.agency_code.in_(sorted(agencies)))
    rows = list(session.scalars(query))
    systems = {
        s.id: s
        for s in session.scalars(
            sa.select(MajorSystem).where(MajorSystem.id.in_({r.system_id for r in rows}))
        )
    }
    done = Opened()
    for row in rows:
        if row.review_case_id is not None:
            done.existing.append(row)
        elif open_review_case(row, systems[row.system_id], actor) is not None:
            done.opened.append(row)
        else:
            done.not_opened.append(row)
    return done


# -- the follow-ups shown beside each score ------------------------------------------------------


@dataclass
class Council:
    """The council meeting a D or E agency must attend: the first one of the system held
    after the evaluation date (``None``: none held yet) and whether it attended."""

    meeting_id: int | None = None
    held_on: object = None
    attended: bool = False


@dataclass
class FollowUp:
    review_case_id: int | None = None
    needs_review: bool = False
    council: Council | None = None
    joins_it_evaluation: int | None = None  # the year an E unit joins the IT evaluation
    commendation: str | None = None


def follow_ups(scores: list[RolloutScore]) -> dict[int, FollowUp]:
    """rule TP-GRADE-2: each score's follow-ups, by the score's id (two queries)."""
    bottom = [s for s in scores if needs_review(s)]
    councils = _councils(bottom)
    out = {}
    for score in scores:
        item = FollowUp(review_case_id=score.review_case_id)
        if needs_review(score):
            item.needs_review = True
            item.council = councils.get(score.id, Council())
            if score.grade == "E" and not score.in_it_evaluation:
                item.joins_it_evaluation = score.year + 1
        elif score.grade in COMMENDATIONS:
            item.commendation = str(COMMENDATIONS[score.grade])
        out[score.id] = item
    return out


def _councils(scores: list[RolloutScore]) -> dict[int, Council]:
    """The first council meeting of each score's system after its evaluation date, and
    whether the agency's people attended it: the meetings in one query, the attendance of
    the agencies' people at them in another."""
    if not scores:
        return {}
    session = get_state().session
    since = min(evaluation_date(s.year) for s in scores)
    meetings = list(
        session.execute(
            sa.select(Meeting.id, Meeting.system_id, Meeting.held_on)
            .where(
                Meeting.body == "council",
                Meeting.system_id.in_({s.system_id for s in scores}),
                Meeting.held_on > since,
            )
            .order_by(Meeting.held_on, Meeting.id)
        )
    )
    attended: set[tuple[int, str]] = set()
    if meetings:
        attended = set(
            session.execute(
                sa.select(Attendance.meeting_id, RolloutPerson.agency_code)
                .join(RolloutPerson, RolloutPerson.id == Attendance.person_id)
                .where(
                    Attendance.meeting_id.in_([m.id for m in meetings]),
                    Attendance.status.in_(ATTENDED),
                    RolloutPerson.agency_code.in_({s.agency_code for s in scores}),
                )
            ).all()
        )
    out = {}
    for score in scores:
        after = evaluation_date(score.year)
        first = next(
            (m for m in meetings if m.system_id == score.system_id and m.held_on > after), None
        )
        out[score.id] = (
            Council(first.id, first.held_on, (first.id, score.agency_code) in attended)
            if first
            else Council()
        )
    return out
