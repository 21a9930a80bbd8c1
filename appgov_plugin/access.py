"""Who may see what: the host's logged-in user (Flask-Login) and its contract role."""

from __future__ import annotations

from flask import abort, current_app
from flask_login import current_user


def is_admin() -> bool:
    return bool(
        current_user
        and current_user.is_authenticated
        and getattr(current_user, "role", None) in current_app.config["APPGOV_ADMIN_ROLES"]
    )


def visible_agency_codes() -> set[str] | None:
    """Agencies whose records the user sees; ``None`` means all (city-wide roles)."""
    role = getattr(current_user, "role", None)
    if role in ("agency_staff", "agency_head"):
        return {current_user.agency_code} if current_user.agency_code else set()
    return None


class AdminOnly:
    """Flask-Admin view mixin: only ``APPGOV_ADMIN_ROLES``. Anonymous visitors get the host's
    Flask-Login answer (its login page or 401); other users get 403."""

    def is_accessible(self):
        return is_admin()

    def inaccessible_callback(self, name, **kwargs):
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()
        abort(403)
