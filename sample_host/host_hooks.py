"""The host's own implementations of the case-host contract: the hooks plug-ins ask the host
(registered on the host's plugin manager after every plug-in, so the host answers first)."""

from __future__ import annotations

import sqlalchemy as sa

from appgov_plugin.host import hookimpl

from .extensions import db
from .models import Agency


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
