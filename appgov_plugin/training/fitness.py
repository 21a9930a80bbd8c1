"""TP-TRN-4's fitness reviews: the IT department reads the flags :mod:`.results` raised
and either opens the review -- a case for the agency and the IT department, opened through
the host (``casehost_open_case``, as :mod:`appgov_plugin.rollout.unfit` opens a
replacement case) -- or declines it with a note. Both decisions are recorded on the flag
(who, when, the case or the note).

In the review case the agency states its view; the IT department keeps the person in the
role or finds them unfit, which records the finding and opens TP-SEED-3's replacement
(:func:`appgov_plugin.rollout.unfit.mark_unfit`).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload

from ..db import utcnow
from ..host.contract import ContractError
from ..i18n import _
from ..state import get_state
from .case_types import FITNESS_REVIEW
from .models import COURSE_TYPES, FitnessFlag

NOTE_MIN, NOTE_MAX = 10, 2000
OUTCOME_LABELS = {"pass": "pass", "fail": "fail", "dismissed": "dismissed"}


class FitnessError(ValueError):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def flags(agency_codes: set[str] | None) -> list[FitnessFlag]:
    """The flags of ``agency_codes`` (``None``: all), undecided first, newest first (one
    query)."""
    query = (
        sa.select(FitnessFlag)
        .options(joinedload(FitnessFlag.person), joinedload(FitnessFlag.system))
        .order_by(FitnessFlag.decided_at.is_not(None), FitnessFlag.id.desc())
    )
    if agency_codes is not None:
        query = query.where(FitnessFlag.agency_code.in_(sorted(agency_codes)))
    return list(get_state().session.scalars(query))


def flag_in_scope(flag_id, agency_codes: set[str] | None) -> FitnessFlag | None:
    try:
        flag_id = int(flag_id)
    except (TypeError, ValueError):
        return None
    query = sa.select(FitnessFlag).where(FitnessFlag.id == flag_id).with_for_update()
    if agency_codes is not None:
        query = query.where(FitnessFlag.agency_code.in_(sorted(agency_codes)))
    return get_state().session.scalars(query).first()


def _undecided(flag: FitnessFlag) -> None:
    if flag.decided_at is not None:
        raise FitnessError(_("Flag: the IT department has decided it already."), "flag")


def open_review(flag: FitnessFlag, actor: str, note: str = "") -> int:
    """Open the review case for the flag's agency (no commit); its id. :class:`FitnessError`
    when the flag is decided or the host opens no case for the agency."""
    _undecided(flag)
    host = current_app.extensions.get("casehost")
    if host is None:
        raise FitnessError(_("Flag: the host opens no cases here."), "flag")
    person, system = flag.person, flag.system
    try:
        case = host.pm.hook.casehost_open_case(
            app=current_app._get_current_object(),
            type_key=FITNESS_REVIEW,
            agency_code=flag.agency_code,
            data={
                "person_name": f"{person.name} ({person.employee_id})",
                "system_name": system.code,
                "course_type": flag.course_type,
                "outcomes": flag.outcomes.replace(",", ", "),
                "statement": None,
            },
            owner_username=None,
            comment=(
                f"TP-TRN-4: {person.employee_id}, {system.code}, "
                f"{COURSE_TYPES.get(flag.course_type, flag.course_type)}: {flag.outcomes}"
            ),
        )
    except ContractError as error:
        raise FitnessError(
            _("Flag: the host could not open the review case (%(error)s).", error=str(error)),
            "flag",
        ) from error
    if case is None:
        raise FitnessError(_("Flag: the host opens no cases for this agency."), "flag")
    flag.review_case_id = int(case.id)
    flag.decided_by = actor
    flag.decided_at = utcnow()
    flag.decision_note = (note or "").strip() or None
    get_state().session.flush()
    return int(case.id)


def check_note(note: str) -> str:
    note = (note or "").strip()
    if not NOTE_MIN <= len(note) <= NOTE_MAX:
        raise FitnessError(
            _(
                "Note: from %(low)s to %(high)s characters; this one has %(have)s.",
                low=str(NOTE_MIN),
                high=str(NOTE_MAX),
                have=str(len(note)),
            ),
            "note",
        )
    return note


def decline(flag: FitnessFlag, note: str, actor: str) -> None:
    """Open no review, with a note why (no commit)."""
    _undecided(flag)
    flag.decision_note = check_note(note)
    flag.decided_by = actor
    flag.decided_at = utcnow()
    get_state().session.flush()


# -- the review case's workflow (called from .workflows) ------------------------------------


def _flag_of(case) -> FitnessFlag | None:
    return (
        get_state()
        .session.scalars(sa.select(FitnessFlag).where(FitnessFlag.review_case_id == int(case.id)))
        .first()
    )


def veto(case, transition, user, comment="") -> str | None:
    """Finding the person unfit needs a finding :func:`mark_unfit` can record."""
    if transition.name != "unfit":
        return None
    from .. import clock
    from ..rollout import unfit

    flag = _flag_of(case)
    if flag is None:
        return _("TP-TRN-4: this review case has no training flag.")
    reason = (comment or "").strip()
    if not unfit.REASON_MIN <= len(reason) <= unfit.REASON_MAX:
        return _(
            "TP-SEED-3: Comment: from %(low)s to %(high)s characters; this one has %(have)s.",
            low=str(unfit.REASON_MIN),
            high=str(unfit.REASON_MAX),
            have=str(len(reason)),
        )
    if all(s.id != flag.system_id for s in unfit.systems_of(flag.person, clock.today())):
        return _(
            "TP-SEED-3: %(person)s is no system administrator or seed user of %(system)s any "
            "more; keep the case instead.",
            person=flag.person.name,
            system=flag.system.code,
        )
    from ..rollout.models import UnfitFinding

    known = get_state().session.scalar(
        sa.select(UnfitFinding.id).where(
            UnfitFinding.person_id == flag.person_id,
            UnfitFinding.system_id == flag.system_id,
            UnfitFinding.replaced_on.is_(None),
        )
    )
    if known is not None:
        return _(
            "TP-SEED-3: %(person)s is already found unfit for %(system)s.",
            person=flag.person.name,
            system=flag.system.code,
        )
    return None


def after(case, transition, user, comment="") -> None:
    if transition.name != "unfit":
        return
    from ..rollout import unfit

    flag = _flag_of(case)
    if flag is None:
        return
    unfit.mark_unfit(
        flag.person, flag.system_id, comment or "", getattr(user, "username", "") or ""
    )
