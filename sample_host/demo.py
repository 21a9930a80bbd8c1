"""Demonstration data for a new, empty database: agencies, one user per role, plug-in records.

The demo passwords are ``demo-<username>``. They are created here only, printed once when
the database is seeded, and documented in the README of the sample host.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from .cases import open_case
from .extensions import db
from .mailbox import demo as mailbox_demo
from .models import Agency, User
from .plugins import current_host

#: code, Chinese name, English name, city
AGENCIES = (
    ("tainan-sdc", "臺南市政府智慧發展中心", "Tainan City Smart Development Center", "tainan"),
    ("tainan-tourism", "臺南市政府觀光旅遊局", "Tainan City Tourism Bureau", "tainan"),
    ("tainan-secretariat", "臺南市政府秘書處", "Tainan City Government Secretariat", "tainan"),
    ("kaohsiung-ic", "高雄市政府資訊中心", "Kaohsiung City Information Center", "kaohsiung"),
    ("kaohsiung-tb", "高雄市政府交通局", "Kaohsiung City Transportation Bureau", "kaohsiung"),
    (
        "taipei-doit",
        "臺北市政府資訊局",
        "Taipei City Department of Information Technology",
        "taipei",
    ),
    ("taipei-ca", "臺北市政府民政局", "Taipei City Department of Civil Affairs", "taipei"),
)

#: username, display name, role, agency code. A city-wide role (reviewer, mayor, IT
#: department, helpdesk) acts for the agencies of its agency's city: every demo user but the
#: administrator has an agency, all in Tainan.
USERS = (
    ("staff", "王小明（觀光旅遊局承辦人）", "agency_staff", "tainan-tourism"),
    ("head", "陳美玲（觀光旅遊局局長）", "agency_head", "tainan-tourism"),
    ("reviewer", "林志豪（智慧發展中心審查）", "reviewer", "tainan-sdc"),
    ("mayor", "市長室（秘書處）", "mayor", "tainan-secretariat"),
    ("itdept", "張雅婷（智慧發展中心資訊）", "it_department", "tainan-sdc"),
    ("helpdesk", "服務台", "helpdesk", "tainan-sdc"),
    ("officer", "黃淑芬（秘書處市長信箱承辦人）", "mailbox_officer", "tainan-secretariat"),
    ("admin", "系統管理者", "sysadmin", None),
)


@dataclass(frozen=True)
class DemoLogin:
    """A demo account to print at first start."""

    username: str
    password: str
    role: str


def demo_password(username: str) -> str:
    return f"demo-{username}"


def load_demo_data() -> tuple[list[DemoLogin], list[str]]:
    """Add the host's demo records, then ``casehost_demo_data`` for the plug-ins.

    Plug-ins receive ``open_case`` and the demo users (agency, role and username known).
    Runs inside the caller's transaction and commits nothing, so a failing plug-in leaves
    the database as empty as it was. Answers the demo logins and the lines the plug-ins
    gave to print beside them (appgov's demo API keys).
    """
    agencies = {}
    for code, name_zh, name_en, city in AGENCIES:
        agencies[code] = Agency(code=code, name_zh=name_zh, name_en=name_en, city=city)
        db.session.add(agencies[code])
    users, logins = [], []
    for username, display_name, role, agency_code in USERS:
        user = User(
            username=username,
            display_name=display_name,
            role=role,
            agency=agencies.get(agency_code),
            # notifications go to a reserved example domain: nothing leaves a demo
            email=f"{username}@example.org",
        )
        user.set_password(demo_password(username))
        db.session.add(user)
        users.append(user)
        logins.append(DemoLogin(username, demo_password(username), role))
    db.session.flush()
    mailbox_demo.load(users)
    answers = current_host().pm.hook.casehost_demo_data(
        app=current_app._get_current_object(), db=db, open_case=open_case, users=users
    )
    notes = [str(line) for lines in reversed(answers) for line in lines or ()]
    return logins, [*notes, *mailbox_demo.notes()]
