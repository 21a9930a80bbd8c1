"""The host's own implementations of the case-host contract: the hooks plug-ins ask the host
(registered on the host's plugin manager after every plug-in, so the host answers first)."""

from __future__ import annotations

import sqlalchemy as sa

from appgov_plugin.host import hookimpl
from appgov_plugin.host.contract import CaseStep, ContractError

from .auth import ADMIN_ROLES, AGENCY_SCOPED_ROLES
from .cases import create_case, may_read, reads_answers
from .extensions import db
from .models import Agency, Case, CaseHistory, User
from .plugins import current_host

#: The largest id of ``host_case.id`` (an INTEGER on both backends).
_MAX_CASE_ID = 2**31 - 1


@hookimpl
def casehost_agencies(app):
    """Every agency of the host, ``(code, name_zh, name_en, city)``, by city and code (the
    city scopes what city-wide roles see in plug-ins)."""
    rows = db.session.execute(
        sa.select(Agency.code, Agency.name_zh, Agency.name_en, Agency.city).order_by(
            Agency.city, Agency.code
        )
    )
    return [tuple(row) for row in rows]


def _case_number(case_id) -> int | None:
    """``case_id`` as a case number, or None when it cannot be one (text from a URL included:
    ``"12"`` is 12; ``"12a"``, ``"-1"``, ``"١٢"``, ``True``, too large: None)."""
    if isinstance(case_id, bool):
        return None
    if isinstance(case_id, str):
        text = case_id.strip()
        if not (text.isascii() and text.isdigit()) or len(text) > 10:
            return None
        case_id = int(text)
    if not isinstance(case_id, int) or not 0 < case_id <= _MAX_CASE_ID:
        return None
    return case_id


@hookimpl
def casehost_case_for_reader(app, case_id, user):
    """The case if ``user`` may read its answers (``may_read`` and ``reads_answers``, the rule
    of the case page), else None: missing, closed to the user, an anonymous or inactive user,
    an id that is no case number (appgov's file route asks before it sends a case's file)."""
    user = user._get_current_object() if hasattr(user, "_get_current_object") else user
    if not isinstance(user, User) or not user.is_authenticated or not user.is_active:
        return None
    number = _case_number(case_id)
    case = db.session.get(Case, number) if number is not None else None
    if case is None or not may_read(user, case) or not reads_answers(user, case):
        return None
    return case


@hookimpl
def casehost_case_history(app, case):
    """The case's history rows, oldest first, as :class:`CaseStep` (one statement)."""
    number = _case_number(getattr(case, "id", None))
    if number is None:
        return []
    rows = db.session.execute(
        sa.select(CaseHistory, User, Agency.code)
        .join(User, User.id == CaseHistory.actor_id)
        .outerjoin(Agency, Agency.id == User.agency_id)
        .where(CaseHistory.case_id == number)
        .order_by(CaseHistory.id)
    )
    return [
        CaseStep(
            transition=row.transition,
            from_state=row.from_state,
            to_state=row.to_state,
            at=row.at,
            actor_username=user.username,
            actor_name=user.display_name,
            actor_role=user.role,
            actor_agency_code=code,
            comment=row.comment or "",
        )
        for row, user, code in rows
    ]


@hookimpl
def casehost_users(app, roles, agency_code):
    """Active users in ``roles`` who act for ``agency_code``: agency roles of that agency,
    city-wide roles of its city (the reading and acting scope of the case pages)."""
    agency = db.session.scalar(sa.select(Agency).where(Agency.code == agency_code))
    roles = [role for role in roles if role not in ADMIN_ROLES]
    if agency is None or not roles:
        return []
    own = [role for role in roles if role in AGENCY_SCOPED_ROLES]
    city = [role for role in roles if role not in AGENCY_SCOPED_ROLES]
    same_city = sa.select(Agency.id).where(Agency.city == agency.city)
    return list(
        db.session.scalars(
            sa.select(User)
            .where(
                User.active.is_(True),
                sa.or_(
                    sa.and_(User.role.in_(own), User.agency_id == agency.id),
                    sa.and_(User.role.in_(city), User.agency_id.in_(same_city)),
                ),
            )
            .order_by(User.id)
        )
    )


@hookimpl
def casehost_open_case(app, type_key, agency_code, data, owner_username, comment):
    """A case opened for a plug-in: owned by ``owner_username`` when that is an active user
    of the agency in the case type's creator role, else by the agency's first such user; the
    opening row carries ``comment``. Nothing is committed."""
    case_types = current_host().case_types
    if type_key not in case_types:
        raise ContractError(f"casehost_open_case: unknown case type {type_key!r}")
    case_type = case_types[type_key]
    agency = db.session.scalar(sa.select(Agency).where(Agency.code == agency_code))
    if agency is None:
        raise ContractError(f"casehost_open_case: unknown agency code {agency_code!r}")
    candidates = sa.select(User).where(
        User.active.is_(True), User.agency_id == agency.id, User.role == case_type.creator_role
    )
    owner = None
    if owner_username:
        owner = db.session.scalar(candidates.where(User.username == owner_username))
    if owner is None:
        owner = db.session.scalar(candidates.order_by(User.id).limit(1))
    if owner is None:
        raise ContractError(
            f"casehost_open_case: agency {agency_code!r} has no active "
            f"{case_type.creator_role} to own a {type_key!r} case"
        )
    return create_case(case_type, agency, owner, data, comment=comment)
