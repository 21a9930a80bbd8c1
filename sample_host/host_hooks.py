"""The host's own implementations of the case-host contract: the hooks plug-ins ask the host
(registered on the host's plugin manager after every plug-in, so the host answers first)."""

from __future__ import annotations

import sqlalchemy as sa

from appgov_plugin.host import hookimpl

from .cases import may_read, reads_answers
from .extensions import db
from .models import Agency, Case, User

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
