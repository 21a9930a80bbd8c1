"""Demonstration data of the Open311 intake: the demo's listed apps linked to the mayor
mailbox (TN-EVAL-4), and one API key issued per linked app, so a newcomer can post feedback
with any Open311 client (docs/open311.md).

Each demo key is derived from the deployment's ``SECRET_KEY`` (:func:`.keys.demo_key`):
printed once beside the demo logins at the first start (the lines :func:`load` answers),
different on every deployment, and issued by the demo data only.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from ..apps.models import App
from ..state import get_state
from . import keys

#: The demo keys' label in Flask-Admin.
DEMO_LABEL = "示範金鑰（示範資料）"


def load(open_case, users) -> list[str]:
    session = get_state().session
    session.flush()
    apps = session.scalars(sa.select(App).where(App.status == "listed").order_by(App.id)).all()
    if not apps:
        return []
    prefix = current_app.config["APPGOV_OPEN311_PREFIX"]
    lines = [
        f"appgov: Open311 intake at {prefix} (docs/open311.md). Demo API keys, one per app:",
    ]
    for app in apps:
        app.linked_to_mayor_mailbox = True
        key = keys.demo_key(current_app.config["SECRET_KEY"], app.code)
        keys.issue(app.id, DEMO_LABEL, "admin", key=key)
        lines.append(f"  {app.code:<10} {key}  {app.name}")
    session.flush()
    return lines
