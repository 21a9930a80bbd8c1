"""Logging in and out (Flask-Login, hashed passwords, CSRF-protected forms) and access rules."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import login_required, login_user, logout_user
from sqlalchemy import select
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


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    user = db.session.get(User, int(user_id))
    return user if user is not None and user.active else None


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
        if user is not None and user.check_password(form.password.data) and login_user(user):
            flash(gettext("Welcome, %(name)s.", name=user.display_name), "success")
            return redirect(safe_next_url(request.args.get("next")))
        flash(gettext("Wrong username or password."), "danger")
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Log out (POST only, so other sites cannot log users out with a link)."""
    logout_user()
    flash(gettext("You have logged out."), "info")
    return redirect(url_for("main.home"))
