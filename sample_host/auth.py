"""Logging in and out (Flask-Login, hashed passwords, CSRF-protected forms) and access rules.

Sessions: the session cookie names the user as ``"<id>:<session version>"``
(:meth:`sample_host.models.User.get_id`). Logging out and changing the password raise the
user's version, so every cookie issued before -- in this browser, in another, or copied --
no longer identifies anyone: log-out ends all of the user's sessions.

Log-in throttling (Flask-Limiter, one limiter per application): *failed* attempts are
counted per account (the typed username) and per client address, ``HOST_LOGIN_LIMIT_PER_ACCOUNT``
and ``HOST_LOGIN_LIMIT_PER_ADDRESS``; past either limit the log-in form answers 429 with a
translated explanation, even to the right password, until the window has passed. An unknown
username costs the same password-hash check as a known one.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_limiter import Limiter
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired

from .extensions import db, login_manager
from .forms import HostForm
from .models import User

#: Roles that act only on cases of their own agency; every other role but the administrator
#: acts for the agencies of its city (the city of the user's own agency).
AGENCY_SCOPED_ROLES = frozenset({"agency_staff", "agency_head"})
#: Roles that read every case, whatever its agency or city (the deployment's administrator).
ADMIN_ROLES = frozenset({"sysadmin"})

bp = Blueprint("auth", __name__)


class LoginForm(HostForm):
    """Username and password."""

    username = StringField(
        _l("Username"), validators=[DataRequired()], render_kw={"autocomplete": "username"}
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired()],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField(_l("Log in"))


def init_auth(app) -> None:
    """Attach Flask-Login and the login/logout routes to ``app``."""
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    # Flask-Login flashes str(login_message): the lazy string is translated per request.
    login_manager.localize_callback = str
    login_manager.login_message_category = "warning"
    app.register_blueprint(bp)
    init_throttling(app)


#: The session's user id: ``"<id>:<session version>"``.
SESSION_ID = re.compile(r"([0-9]{1,18}):([0-9]{1,18})")


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The active user a session names, if the session's version is still the user's."""
    match = SESSION_ID.fullmatch(session_id or "")
    if match is None:
        return None  # a cookie from before session versions: log in again
    user = db.session.get(User, int(match[1]))
    if user is None or not user.active or user.session_version != int(match[2]):
        return None
    return user


def client_address() -> str:
    """The client's address (behind reverse proxies: set ``HOST_PROXIES``)."""
    return request.remote_addr or "unknown"


def account_key() -> str:
    """The account a log-in attempt is for: the typed username as the form reads it
    (trimmed, case-folded), hashed so that the key is short whatever was typed."""
    name = (request.form.get("username") or "").strip().casefold()
    return "account:" + hashlib.sha256(name.encode("utf-8", "replace")).hexdigest()


def failed_log_in(response) -> bool:
    """A log-in attempt that did not log in (a successful one redirects)."""
    return response.status_code != 302


def throttled_message() -> str:
    return gettext(
        "Too many failed log-in attempts for this account or from this computer. "
        "Wait a few minutes, then try again. If you have forgotten your password, "
        "ask your system administrator."
    )


def init_throttling(app) -> Limiter:
    """A Flask-Limiter for ``app`` (its ``RATELIMIT_*`` settings) limiting failed log-ins.

    One limiter per application: a limiter keeps its storage and switches from the
    application it was last initialised with, and tests build many applications.
    """
    limiter = Limiter(client_address, app=app)
    view = app.view_functions["auth.login"]
    for limits, key in (
        (app.config["HOST_LOGIN_LIMIT_PER_ACCOUNT"], account_key),
        (app.config["HOST_LOGIN_LIMIT_PER_ADDRESS"], client_address),
    ):
        view = limiter.limit(
            limits,
            key_func=key,
            methods=["POST"],
            deduct_when=failed_log_in,
            error_message=throttled_message,
        )(view)
    app.view_functions["auth.login"] = view
    app.extensions["host_login_limiter"] = limiter
    return limiter


def dummy_password_hash() -> str:
    """A hash of a random password made like real ones (``PASSWORD_HASH_METHOD``), checked
    for unknown usernames so that they take as long as known ones (once per application)."""
    cached = current_app.extensions.get("host_dummy_password_hash")
    if cached is None:
        method = current_app.config["PASSWORD_HASH_METHOD"]
        cached = generate_password_hash(secrets.token_urlsafe(24), method=method)
        current_app.extensions["host_dummy_password_hash"] = cached
    return cached


def is_admin(user) -> bool:
    """The host's admin rule: an authenticated, active ``sysadmin``.

    Published as ``app.extensions["casehost"].is_admin`` for plug-in admin views.
    """
    return bool(
        user is not None and user.is_authenticated and user.is_active and user.role == "sysadmin"
    )


def user_city(user) -> str | None:
    """The user's city: their agency's city (``None`` without an agency)."""
    agency = getattr(user, "agency", None)
    return agency.city if agency is not None else None


def in_agency_scope(user, case) -> bool:
    """Agency staff and heads: their own agency's cases; the administrator: every case;
    every other (city-wide) role: the cases of the agencies of its city. A city-wide user
    without an agency has no city, so no case is in their scope."""
    if user.role in ADMIN_ROLES:
        return True
    if user.role in AGENCY_SCOPED_ROLES:
        return user.agency_id is not None and user.agency_id == case.agency_id
    city = user_city(user)
    return city is not None and case.agency.city == city


def safe_next_url(target: str | None) -> str:
    """``target`` if it is a path on this site, else the home page (no open redirects)."""
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and not any(ch.isspace() or ord(ch) < 32 for ch in target)
    ):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("main.home")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the login form (also to a logged-in user, to switch accounts); on success go
    to the local ``next`` page."""
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(User.username == form.username.data.strip()))
        if user is None:
            # One hash check as for a known name: the answer's time does not tell who exists.
            check_password_hash(dummy_password_hash(), form.password.data)
        elif user.check_password(form.password.data) and login_user(user):
            flash(gettext("Welcome, %(name)s.", name=user.display_name), "success")
            return redirect(safe_next_url(request.args.get("next")))
        flash(gettext("Wrong username or password."), "danger")
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Log out (POST only, so other sites cannot log users out with a link).

    Ends every session of the user (their session version goes up): a copy of the cookie
    taken before, or another browser still logged in, no longer identifies them.
    """
    current_user.end_sessions()
    db.session.commit()
    logout_user()
    flash(gettext("You have logged out."), "info")
    return redirect(url_for("main.home"))
