"""A minimal existing intranet (Flask-SQLAlchemy, Flask-Login, Flask-Admin, no pluggy)
that embeds appgov with ``AppGov(app, db=db, admin=admin)``. Shared by several tests."""

from __future__ import annotations

from flask import Flask
from flask_admin import Admin
from flask_login import LoginManager, UserMixin, login_user
from flask_sqlalchemy import SQLAlchemy

from appgov_plugin import AppGov


class IntranetUser(UserMixin):
    """The existing intranet's own user object, speaking the contract's UserLike."""

    def __init__(self, username, role, agency_code):
        self.id, self.username, self.role, self.agency_code = username, username, role, agency_code


#: The intranet's agencies, given to AppGov(agencies=...) as the contract's casehost_agencies.
AGENCIES = [
    ("TN-TOUR", "臺南市政府觀光旅遊局", "Tainan City Tourism Bureau"),
    ("TN-SDC", "臺南市政府智慧發展中心", "Tainan City Smart Development Center"),
]

USERS = {
    "root": IntranetUser("root", "sysadmin", None),
    "clerk": IntranetUser("clerk", "agency_staff", "TN-TOUR"),
}


def make_intranet(database_url, agencies=lambda: AGENCIES, **config):
    app = Flask("intranet")
    app.config.update(
        SECRET_KEY="test",
        TESTING=True,
        SQLALCHEMY_DATABASE_URI=database_url,
        APPGOV_PROFILE="kaohsiung",
    )
    app.config.update(config)
    db = SQLAlchemy(app)
    login = LoginManager(app)
    login.user_loader(USERS.get)
    admin = Admin(app, name="Intranet")

    @app.get("/_login/<name>")
    def _login(name):
        login_user(USERS[name])
        return "ok"

    appgov = AppGov(app, db=db, admin=admin, agencies=agencies)
    return app, db, appgov
