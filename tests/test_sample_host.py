"""The sample host: start-up and seeding, login, pages, admin, case engine, i18n, errors.

Runs on SQLite and PostgreSQL (the ``database_url`` fixture) with a small fake plug-in that
contributes a "leave request" case type (a Flask-WTF form and a four-step workflow).
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from datetime import UTC
from pathlib import Path

import click
import flask_babel
import pytest
import sqlalchemy as sa
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from flask import Blueprint, current_app, render_template_string
from flask_admin import BaseView, expose
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, NumberRange

from appgov_plugin.host.contract import (
    STANDARD_ROLES,
    CaseType,
    ContractError,
    Transition,
    Workflow,
)
from appgov_plugin.host.hookspecs import hookimpl
from sample_host import HostConfigError, create_app
from sample_host.cases import (
    TransitionRefused,
    TransitionVetoed,
    apply_transition,
    open_case,
)
from sample_host.demo import USERS
from sample_host.extensions import db
from sample_host.models import (
    ROLE_LABELS,
    Agency,
    AppendOnlyError,
    Case,
    CaseHistory,
    User,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
HOST_TABLES = ("host_agency", "host_user", "host_case", "host_case_history")

# --- the fake plug-in --------------------------------------------------------------------


class LeaveForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired()])
    days = IntegerField("Days", validators=[DataRequired(), NumberRange(min=1)])
    start = DateField("First day", validators=[DataRequired()])
    kind = SelectField(
        "Kind", choices=[SelectChoice("annual", "Annual leave"), SelectChoice("sick", "Sick leave")]
    )


LEAVE_WORKFLOW = Workflow(
    initial="draft",
    states={
        "draft": "Draft",
        "submitted": "Submitted",
        "endorsed": "Endorsed",
        "approved": "Approved",
        "returned": "Returned",
    },
    transitions=(
        Transition("submit", "draft", "submitted", "agency_staff", "Submit"),
        Transition("endorse", "submitted", "endorsed", "agency_head", "Endorse"),
        Transition("approve", "endorsed", "approved", "reviewer", "Approve"),
        Transition("return", "endorsed", "returned", "reviewer", "Return", comment_required=True),
    ),
    final_states=frozenset({"approved", "returned"}),
)


class FakePlugin:
    """A plug-in object; pluggy names it after ``__name__``. Knobs make its hooks misbehave."""

    def __init__(self, name: str = "fake_leave", key: str = "leave"):
        self.__name__ = name
        self.key = key
        self.veto: str | None = None
        self.fail_after = False
        self.fail_demo = False
        self.after_calls: list[tuple[str, str]] = []
        self.demo_usernames: list[str] = []

    @hookimpl
    def casehost_case_types(self, app, register):
        register(
            CaseType(
                key=self.key,
                label="Leave request",
                form=LeaveForm,
                workflow=LEAVE_WORKFLOW,
                summary=lambda data: data.get("title", ""),
                form_version=2,
            )
        )

    @hookimpl
    def casehost_demo_data(self, app, db, open_case, users):
        self.demo_usernames = [user.username for user in users]
        open_case(
            self.key, "tainan-tourism", "staff", {"title": "Demo leave", "days": 2}, ("submit",)
        )
        if self.fail_demo:
            raise RuntimeError("demo data broke")

    @hookimpl
    def casehost_before_transition(self, case, transition, user, comment):
        return self.veto

    @hookimpl
    def casehost_after_transition(self, case, transition, user, comment):
        self.after_calls.append((transition.name, user.username))
        case.data["last_step"] = transition.name  # saved with the transition
        if self.fail_after:
            raise RuntimeError("after hook broke")


class ExtrasPlugin:
    """The start-up hooks: catalog, init, blueprint, admin view, CLI command, schema upgrade."""

    __name__ = "fake_extras"

    def __init__(self, catalog_dir: Path):
        self.catalog_dir = catalog_dir
        self.upgrades = 0
        self.fail_upgrade = False

    @hookimpl
    def casehost_translation_dirs(self, app, register):
        register(self.catalog_dir, "fake")

    @hookimpl
    def casehost_init_app(self, app, db):
        app.config["FAKE_READY"] = "casehost" in app.extensions

    @hookimpl
    def casehost_blueprints(self, app, register):
        pages = Blueprint("fake_pages", __name__)
        pages.add_url_rule(
            "/",
            "index",
            lambda: render_template_string(
                '{% extends "base.html" %}{% block content %}fake page{% endblock %}'
            ),
        )
        register(pages, url_prefix="/fake")

    @hookimpl
    def casehost_admin_views(self, app, db, register):
        class FakeAdminView(BaseView):
            def is_accessible(self):
                return current_app.extensions["casehost"].is_admin(current_user)

            @expose("/")
            def index(self):
                return "fake admin"

        register(FakeAdminView(name="Fake", endpoint="fake_admin"))

    @hookimpl
    def casehost_cli_commands(self, app, register):
        register(click.Command("fake-hello", callback=lambda: click.echo("hello from fake")))

    @hookimpl
    def casehost_upgrade_schema(self, app, db):
        self.upgrades += 1
        if self.fail_upgrade:
            raise RuntimeError("fake tables are\nbroken")


@pytest.fixture
def extras(tmp_path):
    """An ExtrasPlugin with a compiled "fake" catalog translating "Leave request"."""
    catalog = Catalog(locale="zh_Hant_TW", domain="fake")
    catalog.add("Leave request", "請假申請")
    mo_dir = tmp_path / "catalogs" / "zh_Hant_TW" / "LC_MESSAGES"
    mo_dir.mkdir(parents=True)
    with open(mo_dir / "fake.mo", "wb") as handle:
        write_mo(handle, catalog)
    return ExtrasPlugin(tmp_path / "catalogs")


# --- fixtures and helpers ----------------------------------------------------------------


@pytest.fixture
def plugin():
    return FakePlugin()


@pytest.fixture
def make_app(sample_host_factory):
    """``make_app(plugins, **config)``: a host with exactly these plug-ins."""
    return lambda plugins, **config: sample_host_factory(plugins, load_entrypoints=False, **config)


@pytest.fixture
def app(make_app, plugin):
    return make_app([plugin])


@pytest.fixture
def client(app):
    return app.test_client()


def row_counts(url: str) -> dict[str, int]:
    """Rows per host table, read through an engine of its own."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar() for t in HOST_TABLES
            }
    finally:
        engine.dispose()


def login(client, username: str, password: str | None = None):
    return client.post(
        "/login", data={"username": username, "password": password or f"demo-{username}"}
    )


def user(username: str) -> User:
    return db.session.scalar(sa.select(User).where(User.username == username))


def add_user(username: str, role: str, agency_code: str | None) -> User:
    agency = db.session.scalar(sa.select(Agency).where(Agency.code == agency_code))
    new = User(username=username, display_name=username, role=role, agency=agency)
    new.set_password(f"demo-{username}")
    db.session.add(new)
    db.session.commit()
    return new


def new_leave(*transitions: str, agency_code: str = "tainan-tourism", owner: str = "staff") -> Case:
    case = open_case("leave", agency_code, owner, {"title": "Trip", "days": 1}, transitions)
    db.session.commit()
    return case


def history_of(case_id: int) -> list[tuple]:
    rows = db.session.scalars(
        sa.select(CaseHistory).where(CaseHistory.case_id == case_id).order_by(CaseHistory.id)
    )
    return [(r.transition, r.from_state, r.to_state, r.actor.username, r.comment) for r in rows]


# --- start-up and seeding ----------------------------------------------------------------


def test_first_start_migrates_seeds_and_prints_logins_once(make_app, plugin, database_url, capsys):
    make_app([plugin])
    out = capsys.readouterr().out
    for username, _name, role, _agency in USERS:
        assert re.search(rf"\b{username}\s+demo-{username}\s+{role}\b", out)
    assert plugin.demo_usernames == [username for username, *_ in USERS]
    counts = row_counts(database_url)
    # 6 agencies, one user per role, the plug-in's demo case opened and submitted.
    assert counts == {"host_agency": 7, "host_user": 8, "host_case": 1, "host_case_history": 2}
    engine = sa.create_engine(database_url)
    assert "alembic_version" in sa.inspect(engine).get_table_names()
    engine.dispose()

    again = FakePlugin()
    make_app([again])
    assert "demo-" not in capsys.readouterr().out
    assert again.demo_usernames == []
    assert row_counts(database_url) == counts


def test_every_standard_role_has_a_demo_user_and_a_label():
    assert sorted(role for _u, _n, role, _a in USERS) == sorted(STANDARD_ROLES)
    assert set(ROLE_LABELS) == set(STANDARD_ROLES)


def test_failed_seeding_writes_nothing_and_the_next_start_seeds(make_app, database_url):
    broken = FakePlugin()
    broken.fail_demo = True
    with pytest.raises(RuntimeError, match="demo data broke"):
        make_app([broken])
    assert row_counts(database_url) == dict.fromkeys(HOST_TABLES, 0)

    make_app([FakePlugin()])
    assert row_counts(database_url)["host_user"] == 8


def test_duplicate_case_type_key_is_a_contract_error_and_writes_nothing(make_app, database_url):
    with pytest.raises(ContractError) as excinfo:
        make_app([FakePlugin("plugin_one"), FakePlugin("plugin_two")])
    message = str(excinfo.value)
    assert "'leave'" in message and "plugin_one" in message and "plugin_two" in message
    engine = sa.create_engine(database_url)
    assert sa.inspect(engine).get_table_names() == []
    engine.dispose()


def test_plugin_start_up_contributions_are_wired_in(make_app, plugin, extras):
    app = make_app([plugin, extras])
    assert app.config["FAKE_READY"] is True
    # plug-in catalogs come first: the host's own catalog, merged last, keeps its wording
    assert "fake" in app.config["BABEL_DOMAIN"].split(";")[:-1]
    directories = app.config["BABEL_TRANSLATION_DIRECTORIES"].split(";")
    assert str(extras.catalog_dir) in directories[:-1]
    assert app.config["BABEL_DOMAIN"].split(";")[-1] == "messages"
    with app.test_request_context():
        assert flask_babel.gettext("Leave request") == "請假申請"
    runner = app.test_cli_runner()
    assert runner.invoke(args=["fake-hello"]).output == "hello from fake\n"

    client = app.test_client()
    login(client, "staff")
    page = client.get("/fake/").text
    assert "fake page" in page and "收件匣" in page  # the plug-in page uses the host layout
    assert client.get("/admin/fake_admin/").status_code == 403
    client.post("/logout")
    login(client, "admin")
    assert client.get("/admin/fake_admin/").text == "fake admin"
    assert "/admin/fake_admin/" in client.get("/admin/").text

    make_app([FakePlugin(), extras])
    assert extras.upgrades == 2  # plug-in schemas are upgraded at every start


def test_a_failing_plugin_schema_upgrade_stops_start_up_in_one_line(
    make_app, plugin, extras, database_url
):
    extras.fail_upgrade = True
    with pytest.raises(HostConfigError) as excinfo:
        make_app([plugin, extras])
    assert str(excinfo.value) == (
        "sample_host: a plug-in could not upgrade its tables: fake tables are broken"
    )
    assert row_counts(database_url) == dict.fromkeys(HOST_TABLES, 0)


def test_case_host_state_is_published_on_the_app(app, plugin):
    host = app.extensions["casehost"]
    assert "leave" in host.case_types
    assert host.pm.is_registered(plugin)
    with app.app_context():
        assert host.is_admin(user("admin")) and not host.is_admin(user("reviewer"))


# --- configuration errors ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("not a database url", "not a database URL"),
        ("nosuchdialect://host/db", "nosuchdialect"),
        ("postgresql://appgov:s3cret@127.0.0.1:1/nowhere", "127.0.0.1"),
    ],
)
def test_bad_database_url_is_one_clear_line(url, reason, tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", url)
    with pytest.raises(HostConfigError) as excinfo:
        create_app({"SECRET_KEY": "test", "INSTANCE_PATH": str(tmp_path)}, load_entrypoints=False)
    message = str(excinfo.value)
    assert message.startswith("sample_host: cannot use DATABASE_URL '")
    assert reason in message
    assert "\n" not in message and "s3cret" not in message


def test_flask_run_with_a_bad_database_url_prints_one_line(tmp_path):
    env = {**os.environ, "DATABASE_URL": "postgresql://appgov:s3cret@127.0.0.1:1/nowhere"}
    env.pop("SECRET_KEY", None)
    app_spec = f"sample_host:create_app({{'INSTANCE_PATH': {str(tmp_path)!r}}})"
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", app_spec, "run", "--port", "5999"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: sample_host: cannot use DATABASE_URL 'postgresql")
    assert "s3cret" not in result.stderr


def test_unusable_instance_folder_is_named(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    instance = blocker / "instance"
    with pytest.raises(HostConfigError, match=re.escape(str(instance))):
        create_app({"SECRET_KEY": "test", "INSTANCE_PATH": str(instance)}, load_entrypoints=False)


def test_secret_key_is_generated_once_into_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    config = {"INSTANCE_PATH": str(tmp_path), "AUTO_SETUP": False}
    first = create_app(config, load_entrypoints=False)
    key_file = tmp_path / "secret_key"
    assert first.secret_key == key_file.read_text().strip()
    assert len(first.secret_key) == 64
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert create_app(config, load_entrypoints=False).secret_key == first.secret_key
    # Without DATABASE_URL the database is a SQLite file in the instance folder.
    assert first.config["SQLALCHEMY_DATABASE_URI"].endswith(str(tmp_path / "sample_host.sqlite"))

    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    assert create_app(config, load_entrypoints=False).secret_key == "from-the-environment"


# --- login, pages, languages -------------------------------------------------------------


def test_login_and_logout_with_messages_in_both_languages(client):
    assert client.get("/login").status_code == 200
    refused = login(client, "admin", "wrong")
    assert refused.status_code == 200
    assert "帳號或密碼錯誤。" in refused.get_data(as_text=True)

    assert client.post("/locale/en").status_code == 302
    refused = login(client, "admin", "wrong")
    assert "Wrong username or password." in refused.get_data(as_text=True)

    assert client.get("/inbox").status_code == 302
    accepted = login(client, "admin")
    assert accepted.status_code == 302 and accepted.location == "/"
    assert "Log out" in client.get("/").get_data(as_text=True)
    assert client.post("/logout").status_code == 302
    assert client.get("/inbox").location.startswith("/login?next=")


def test_pages_answer_for_the_admin(client):
    login(client, "admin")
    for url in (
        "/",
        "/login",
        "/inbox",
        "/admin/",
        "/admin/host_agency/",
        "/admin/host_user/",
        "/admin/host_user/new/",
        "/admin/host_case/",
        "/admin/host_case_history/",
    ):
        assert client.get(url).status_code == 200, url


def test_admin_is_for_sysadmin_only(client):
    anonymous = client.get("/admin/")
    assert anonymous.status_code == 302 and anonymous.location.startswith("/login?next=")
    login(client, "staff")
    assert client.get("/admin/").status_code == 403
    assert client.get("/admin/host_user/").status_code == 403


def test_admin_user_form_hashes_a_new_password(app, client):
    login(client, "admin")
    with app.app_context():
        agency_id = db.session.scalar(sa.select(Agency.id).where(Agency.code == "taipei-ca"))
    created = client.post(
        "/admin/host_user/new/",
        data={
            "username": "newbie",
            "display_name": "New Person",
            "new_password": "correct horse",
            "role": "agency_staff",
            "agency": str(agency_id),
            "active": "y",
        },
    )
    assert created.status_code == 302
    listing = client.get("/admin/host_user/").get_data(as_text=True)
    assert "newbie" in listing and "pbkdf2" not in listing
    with app.app_context():
        newbie = user("newbie")
        assert newbie.password_hash.startswith("pbkdf2:") and newbie.agency_code == "taipei-ca"
    client.post("/logout")
    assert login(client, "newbie", "correct horse").location == "/"


def test_unknown_locale_is_a_400_naming_it(client):
    response = client.post("/locale/xx-evil")
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "xx-evil" in text and "zh_Hant_TW, en" in text


def test_locale_follows_accept_language_then_the_user_choice(app, client):
    assert "Log in" in client.get("/", headers={"Accept-Language": "en-US,en;q=0.8"}).text
    assert "登入" in client.get("/", headers={"Accept-Language": "zh-TW"}).text
    assert "登入" in client.get("/").text  # default: zh_Hant_TW
    login(client, "staff")
    client.post("/locale/en")
    with app.app_context():
        assert user("staff").locale == "en"
    fresh = app.test_client()
    login(fresh, "staff")
    assert "Inbox" in fresh.get("/", headers={"Accept-Language": "zh-TW"}).text


def test_next_redirects_only_to_local_paths(client):
    for target, expected in [
        ("/inbox", "/inbox"),
        ("//evil.example", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
    ]:
        response = client.post(
            "/login",
            query_string={"next": target},
            data={"username": "staff", "password": "demo-staff"},
        )
        assert response.location == expected, target


def test_posts_need_a_csrf_token(make_app, plugin):
    app = make_app([plugin], WTF_CSRF_ENABLED=True)
    client = app.test_client()
    assert login(client, "staff").status_code == 400
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/login").text)
    response = client.post(
        "/login", data={"username": "staff", "password": "demo-staff", "csrf_token": token[1]}
    )
    assert response.status_code == 302


# --- cases -------------------------------------------------------------------------------


def test_open_a_case_from_the_plugin_form(app, client):
    login(client, "staff")
    assert "/cases/new/leave" in client.get("/").text
    form_page = client.get("/cases/new/leave").text
    assert 'name="title"' in form_page and "First day" in form_page

    invalid = client.post("/cases/new/leave", data={"title": "", "days": "0", "start": ""})
    assert invalid.status_code == 200 and "invalid-feedback" in invalid.text
    created = client.post(
        "/cases/new/leave",
        data={"title": "Family trip", "days": "3", "start": "2025-02-03", "kind": "annual"},
    )
    assert created.status_code == 302
    case_id = int(created.location.rsplit("/", 1)[1])
    with app.app_context():
        case = db.session.get(Case, case_id)
        assert (case.type_key, case.status, case.agency_code) == (
            "leave",
            "draft",
            "tainan-tourism",
        )
        assert case.data == {
            "title": "Family trip",
            "days": 3,
            "start": "2025-02-03",
            "kind": "annual",
        }
        assert case.form_version == 2 and case.owner.username == "staff"
        assert (
            case.created_at.tzinfo is not None and case.created_at.utcoffset().total_seconds() == 0
        )
        assert history_of(case_id) == [("open", None, "draft", "staff", "")]
    detail = client.get(f"/cases/{case_id}").text
    assert "Family trip" in detail and 'value="submit"' in detail
    assert '<th class="w-25">Kind</th><td>Annual leave</td>' in detail


def test_only_the_creator_role_may_open_and_unknown_types_404(client):
    login(client, "reviewer")
    assert client.get("/cases/new/leave").status_code == 403
    assert client.get("/cases/new/nope").status_code == 404


def test_transitions_through_the_web_record_history(app, client):
    with app.app_context():
        case_id = new_leave().id
    login(client, "staff")
    response = client.post(f"/cases/{case_id}/transition", data={"name": "submit", "comment": " "})
    assert response.location == f"/cases/{case_id}"
    page = client.get(f"/cases/{case_id}").text
    assert "Submitted" in page and 'value="submit"' not in page
    client.post("/logout")

    login(client, "head")
    assert 'value="endorse"' in client.get(f"/cases/{case_id}").text
    client.post(f"/cases/{case_id}/transition", data={"name": "endorse", "comment": "OK"})
    client.post("/logout")

    login(client, "reviewer")
    refused = client.post(
        f"/cases/{case_id}/transition", data={"name": "return"}, follow_redirects=True
    )
    assert "需要填寫意見" in refused.text
    client.post(f"/cases/{case_id}/transition", data={"name": "approve", "comment": "Fine"})
    with app.app_context():
        approved = db.session.get(Case, case_id)
        assert (approved.status, approved.data["last_step"]) == ("approved", "approve")
        assert history_of(case_id) == [
            ("open", None, "draft", "staff", ""),
            ("submit", "draft", "submitted", "staff", ""),
            ("endorse", "submitted", "endorsed", "head", "OK"),
            ("approve", "endorsed", "approved", "reviewer", "Fine"),
        ]
        row = db.session.scalars(
            sa.select(CaseHistory).where(CaseHistory.case_id == case_id)
        ).first()
        assert row.at.tzinfo == UTC


def test_the_role_must_match_and_sysadmin_cannot_bypass(app, plugin):
    """Refusals outside a request speak the default language, Traditional Chinese."""
    plugin.after_calls.clear()
    with app.app_context():
        case = new_leave()
        for username in ("head", "reviewer", "admin"):
            with pytest.raises(TransitionRefused, match="機關承辦人"):
                apply_transition(case, "submit", user(username), "")
        with pytest.raises(TransitionRefused, match="無法執行"):
            apply_transition(case, "approve", user("reviewer"), "")
        assert db.session.get(Case, case.id).status == "draft"
        assert plugin.after_calls == []


def test_agency_roles_act_only_within_their_agency(app):
    with app.app_context():
        add_user("ks-head", "agency_head", "kaohsiung-tb")
        add_user("ks-staff", "agency_staff", "kaohsiung-tb")
        case = new_leave("submit")
        with pytest.raises(TransitionRefused, match="其他機關"):
            apply_transition(case, "endorse", user("ks-head"), "")
        apply_transition(case, "endorse", user("head"), "")
        # Reviewers act city-wide, whatever their own agency.
        apply_transition(case, "approve", user("reviewer"), "")
        assert case.status == "approved"

    client = app.test_client()
    login(client, "ks-staff")
    # another agency's case answers like a missing one (tests/test_case_access.py)
    assert client.get(f"/cases/{case.id}").status_code == 404


def test_a_veto_is_shown_and_writes_nothing(app, client, plugin):
    with app.app_context():
        case_id = new_leave().id
    plugin.veto = "The budget office says no."
    plugin.after_calls.clear()
    login(client, "staff")
    page = client.post(
        f"/cases/{case_id}/transition", data={"name": "submit"}, follow_redirects=True
    ).text
    assert "The budget office says no." in page
    with app.app_context():
        assert db.session.get(Case, case_id).status == "draft"
        assert len(history_of(case_id)) == 1
        with pytest.raises(TransitionVetoed):
            apply_transition(db.session.get(Case, case_id), "submit", user("staff"), "")
    assert plugin.after_calls == []


def test_an_after_hook_failure_rolls_everything_back(app, plugin):
    plugin.fail_after = True
    plugin.after_calls.clear()
    with app.app_context():
        case = new_leave()
        before = case.updated_at
        with pytest.raises(RuntimeError, match="after hook broke"):
            apply_transition(case, "submit", user("staff"), "")
        assert plugin.after_calls == [("submit", "staff")]
        assert case.status == "draft" and case.updated_at == before
        assert "last_step" not in case.data
        assert len(history_of(case.id)) == 1


def test_a_decided_case_cannot_be_decided_again(app):
    with app.app_context():
        add_user("reviewer2", "reviewer", "kaohsiung-ic")
        case = new_leave("submit", "endorse")
        stale = db.session.get(Case, case.id)
        apply_transition(case, "approve", user("reviewer"), "")
        with pytest.raises(TransitionRefused, match="無法執行"):
            apply_transition(stale, "return", user("reviewer2"), "too late")
        assert [row[0] for row in history_of(case.id)] == ["open", "submit", "endorse", "approve"]


def test_history_is_append_only(app):
    with app.app_context():
        case_id = new_leave("submit").id
        row = db.session.scalars(
            sa.select(CaseHistory).where(CaseHistory.case_id == case_id)
        ).first()
        row.comment = "rewritten"
        with pytest.raises(AppendOnlyError, match="UPDATE refused"):
            db.session.commit()
        db.session.rollback()
        db.session.delete(db.session.get(CaseHistory, row.id))
        with pytest.raises(AppendOnlyError, match="DELETE refused"):
            db.session.commit()
        db.session.rollback()
        with pytest.raises(AppendOnlyError, match="bulk"):
            db.session.execute(sa.update(CaseHistory).values(comment="bulk"))
        with pytest.raises(AppendOnlyError, match="bulk"):
            db.session.execute(sa.delete(CaseHistory))
        db.session.rollback()
        assert history_of(case_id) == [
            ("open", None, "draft", "staff", ""),
            ("submit", "draft", "submitted", "staff", ""),
        ]


def test_open_case_checks_its_arguments(app):
    with app.app_context():
        with pytest.raises(ContractError, match="unknown case type 'nope'"):
            open_case("nope", "tainan-tourism", "staff", {})
        with pytest.raises(ContractError, match="unknown agency code 'nope'"):
            open_case("leave", "nope", "staff", {})
        with pytest.raises(ContractError, match="2 transitions but 1 actors"):
            open_case("leave", "tainan-tourism", "staff", {}, ("submit", "endorse"), ("staff",))
        db.session.rollback()
        case = open_case("leave", "tainan-tourism", "staff", {}, ("submit", "endorse", "return"))
        assert history_of(case.id)[-1] == (
            "return",
            "endorsed",
            "returned",
            "reviewer",
            "Demo data",
        )
        db.session.rollback()


def test_inbox_lists_actionable_and_own_cases_with_a_bounded_number_of_queries(app):
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    def inbox_queries(client) -> tuple[int, str]:
        statements.clear()
        with app.app_context():
            engine = db.engine
            sa.event.listen(engine, "before_cursor_execute", count)
            try:
                page = client.get("/inbox").text
            finally:
                sa.event.remove(engine, "before_cursor_execute", count)
        return len(statements), page

    head = app.test_client()
    login(head, "head")
    with app.app_context():
        add_user("tp-staff", "agency_staff", "taipei-ca")
        for _ in range(4):
            new_leave("submit")
        new_leave("submit", agency_code="taipei-ca", owner="tp-staff")  # not head's agency
    few, page = inbox_queries(head)
    assert page.count('href="/cases/') == 5  # the demo case and four new ones

    with app.app_context():
        for _ in range(25):
            new_leave("submit")
    many, page = inbox_queries(head)
    assert page.count('href="/cases/') == 30
    assert few == many <= 3

    staff = app.test_client()
    login(staff, "staff")
    assert inbox_queries(staff)[1].count('href="/cases/') == 30  # owned, none actionable


def test_demo_data_opens_the_plugin_case_for_real(app):
    with app.app_context():
        case = db.session.scalar(sa.select(Case))
        assert (case.status, case.owner.username, case.data["title"]) == (
            "submitted",
            "staff",
            "Demo leave",
        )


def test_hosts_the_real_appgov_plugin(make_app):
    """The plug-in this host exists for, registered directly (no installed entry point)."""
    appgov = pytest.importorskip("appgov_plugin.host.plugin")
    app = make_app([appgov])
    with app.app_context():
        case = db.session.scalar(sa.select(Case))
        assert case.type_key in app.extensions["casehost"].case_types
    client = app.test_client()
    login(client, "admin")
    for url in (
        "/",
        "/inbox",
        f"/cases/{case.id}",
        "/admin/",
        app.config["APPGOV_URL_PREFIX"] + "/",
    ):
        assert client.get(url).status_code == 200, url
