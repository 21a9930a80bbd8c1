"""Sessions, log-in, headers, files and the language switch as a security office checks them
(issue 8, "Sessions, log-in, headers"): each test failed before its fix.

* a copied session cookie stops working at log-out; a password change ends other sessions;
* failed log-ins are throttled per account and per address (memory and Redis storage), and
  an unknown username costs the same password-hash check as a known one;
* every page carries the security headers and a CSP under which no inline script runs --
  also Flask-Admin's list, filters, actions and forms in a real browser;
* the SQLite file holding the password hashes is created 0600;
* ``/locale/<code>`` changes stored state only by a POST with a CSRF token.
"""

from __future__ import annotations

import os
import re
import socket
import stat
import uuid

import pytest
import sqlalchemy as sa
import werkzeug.security
from alembic import command
from conftest import IN_CI
from flask import render_template
from test_browser import chromium, log_in

from sample_host import create_app
from sample_host.database import MIGRATIONS_DIR
from sample_host.extensions import db, migrate
from sample_host.models import User

# backend-independent: sessions, headers, CSP, throttling (memory and Redis)
pytestmark = pytest.mark.backend_independent

#: Throttling is on in every application of this module (conftest turns it off elsewhere).
THROTTLED = {"RATELIMIT_ENABLED": True}


@pytest.fixture
def app(sample_host_factory):
    return sample_host_factory(**THROTTLED)


def login(client, username, password=None, address="127.0.0.1"):
    return client.post(
        "/login",
        data={"username": username, "password": password or f"demo-{username}"},
        environ_base={"REMOTE_ADDR": address},
    )


def logged_in(client) -> bool:
    """The client's session identifies someone (the inbox needs a log-in)."""
    response = client.get("/inbox")
    if response.status_code == 302:
        assert response.location.startswith("/login")
        return False
    assert response.status_code == 200
    return True


def user_row(app, username) -> User:
    with app.app_context():
        found = db.session.scalar(sa.select(User).where(User.username == username))
        db.session.expunge(found)
        return found


# --- sessions -------------------------------------------------------------------------------


def test_a_copied_session_cookie_stops_working_at_log_out(app):
    browser = app.test_client()
    assert login(browser, "staff").status_code == 302
    copied = browser.get_cookie("session").value
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert logged_in(thief)  # the copy works while the session lives

    assert browser.post("/logout").status_code == 302
    assert not logged_in(browser)
    assert not logged_in(thief)  # ... and not after the log-out
    # a new log-in gives a new session; the old copy stays dead
    assert login(browser, "staff").status_code == 302
    assert logged_in(browser) and not logged_in(thief)
    assert user_row(app, "staff").session_version == 2


def test_logging_out_ends_the_users_sessions_everywhere(app):
    office, phone = app.test_client(), app.test_client()
    login(office, "staff")
    login(phone, "staff")
    other_user = app.test_client()
    login(other_user, "head")
    office.post("/logout")
    assert not logged_in(phone)  # every session of the user (documented: README)
    assert logged_in(other_user)  # nobody else's


def test_a_password_change_in_flask_admin_ends_the_users_other_sessions(app):
    staff = app.test_client()
    login(staff, "staff")
    admin = app.test_client()
    login(admin, "admin")
    copied_admin = app.test_client()
    copied_admin.set_cookie("session", admin.get_cookie("session").value)
    target = user_row(app, "staff")
    form = {
        "username": "staff",
        "display_name": target.display_name,
        "new_password": "a new secret",
        "role": target.role,
        "agency": str(target.agency_id),
        "active": "y",
    }
    changed = admin.post(f"/admin/host_user/edit/?id={target.id}", data=form)
    assert changed.status_code == 302
    assert not logged_in(staff)
    assert login(staff, "staff", "a new secret").status_code == 302 and logged_in(staff)

    # editing without a new password keeps the sessions
    form["new_password"] = ""
    form["display_name"] = "Renamed"
    assert admin.post(f"/admin/host_user/edit/?id={target.id}", data=form).status_code == 302
    assert logged_in(staff)

    # administrators changing their own password stay logged in where they did it only
    me = user_row(app, "admin")
    own = {
        "username": "admin",
        "display_name": me.display_name,
        "new_password": "admin's new secret",
        "role": me.role,
        "agency": str(me.agency_id) if me.agency_id else "__None",
        "active": "y",
    }
    assert admin.post(f"/admin/host_user/edit/?id={me.id}", data=own).status_code == 302
    assert logged_in(admin)
    assert not logged_in(copied_admin)


def test_a_session_without_the_version_names_nobody(app):
    """Cookies issued before session versions (a bare user id) log nobody in."""
    staff = user_row(app, "staff")
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(staff.id)
    assert not logged_in(client)
    with client.session_transaction() as session:
        session["_user_id"] = f"{staff.id}:{staff.session_version}"
    assert logged_in(client)
    with client.session_transaction() as session:
        session["_user_id"] = f"{staff.id}:{staff.session_version + 1}"
    assert not logged_in(client)


def test_the_session_version_migration_keeps_users_and_starts_at_one(sample_host_factory):
    app = sample_host_factory(AUTO_SETUP=False)
    with app.app_context():
        config = migrate.get_config(str(MIGRATIONS_DIR))
        command.upgrade(config, "a7c3e1f09d21")
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO host_user (username, display_name, password_hash, role, active)"
                    " VALUES ('old', 'Old', 'x', 'sysadmin', :yes)"
                ),
                {"yes": True},
            )
        command.upgrade(config, "b8d4f2a1e032")
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT session_version FROM host_user")).all() == [(1,)]
        command.downgrade(config, "a7c3e1f09d21")
        columns = {c["name"] for c in sa.inspect(db.engine).get_columns("host_user")}
        assert "session_version" not in columns and "username" in columns
        db.engine.dispose()


# --- log-in throttling ------------------------------------------------------------------------


def test_200_wrong_passwords_lock_the_account_and_then_the_right_one_is_refused(app):
    client = app.test_client()
    statuses = [login(client, "admin", "guess", address="10.0.0.1").status_code for _ in range(200)]
    # HOST_LOGIN_LIMIT_PER_ACCOUNT = "5 per minute; 20 per hour": five tries, then 429s
    assert statuses[:5] == [200] * 5 and set(statuses[5:]) == {429}
    refused = login(client, "admin", address="10.0.0.1")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    page = refused.get_data(as_text=True)
    assert "登入失敗次數過多" in page and '<h1 class="h3 mb-3">嘗試次數過多</h1>' in page
    assert not logged_in(client)
    # per account: the right password from another address is refused too ...
    assert login(app.test_client(), "admin", address="10.0.0.2").status_code == 429
    # ... while other accounts log in as usual, from anywhere
    other = app.test_client()
    assert login(other, "staff", address="10.0.0.2").status_code == 302 and logged_in(other)
    # the same name typed differently is the same account
    assert login(client, "  ADMIN ", "guess", address="10.0.0.3").status_code == 429


def test_the_429_page_speaks_english_too(app):
    client = app.test_client()
    client.post("/locale/en")
    for _ in range(5):
        login(client, "head", "guess")
    page = login(client, "head").get_data(as_text=True)
    assert "Too many failed log-in attempts" in page and "Too many attempts" in page


def test_failed_log_ins_are_limited_per_address_over_many_accounts(sample_host_factory):
    app = sample_host_factory(HOST_LOGIN_LIMIT_PER_ADDRESS="3 per minute", **THROTTLED)
    client = app.test_client()
    sprayed = [login(client, name, "guess", "10.0.0.9").status_code for name in "abcdef"]
    assert sprayed == [200, 200, 200, 429, 429, 429]
    assert login(client, "staff", address="10.0.0.9").status_code == 429
    assert login(client, "staff", address="10.0.0.10").status_code == 302


def test_successful_log_ins_use_up_no_attempts(app):
    client = app.test_client()
    for _ in range(12):
        assert login(client, "staff").status_code == 302
        client.post("/logout")
    assert [login(client, "staff", "guess").status_code for _ in range(6)][-1] == 429


def test_throttling_can_be_switched_off_and_is_on_by_default(sample_host_factory, tmp_path):
    off = sample_host_factory(RATELIMIT_ENABLED=False)
    client = off.test_client()
    assert {login(client, "admin", "guess").status_code for _ in range(10)} == {200}
    # production configuration: no test_config switch
    app = create_app(
        {"INSTANCE_PATH": str(tmp_path / "default"), "AUTO_SETUP": False}, load_entrypoints=False
    )
    assert app.config["RATELIMIT_ENABLED"] is True
    assert app.config["HOST_LOGIN_LIMIT_PER_ACCOUNT"] == "5 per minute; 20 per hour"
    with app.app_context():
        db.engine.dispose()


def _redis_or_skip() -> str:
    url = os.environ.get("APPGOV_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    problem = None
    try:
        import redis  # noqa: F401
    except ImportError:
        problem = "the redis package is not installed (pip install -e '.[test]')"
    else:
        try:
            socket.create_connection(("127.0.0.1", 6379), timeout=2).close()
        except OSError as exc:
            problem = f"Redis at 127.0.0.1:6379 unreachable: {exc}"
    if problem:
        if IN_CI:
            pytest.fail(problem)
        pytest.skip(problem)
    return url


def test_with_redis_storage_two_workers_share_the_count(sample_host_factory):
    """Memory storage counts per process; Redis (production) counts for all workers."""
    url = _redis_or_skip()
    import redis

    prefix = f"appgov-test-{uuid.uuid4().hex[:10]}"
    shared = {"RATELIMIT_STORAGE_URI": url, "RATELIMIT_KEY_PREFIX": prefix, **THROTTLED}
    worker_a = sample_host_factory(**shared).test_client()
    worker_b = sample_host_factory(**shared, AUTO_SETUP=False).test_client()
    try:
        assert [login(worker_a, "admin", "guess").status_code for _ in range(3)] == [200] * 3
        assert [login(worker_b, "admin", "guess").status_code for _ in range(3)] == [200, 200, 429]
        assert login(worker_a, "admin").status_code == 429
        assert login(worker_b, "staff").status_code == 302
    finally:
        client = redis.Redis.from_url(url)
        keys = list(client.scan_iter(match=f"*{prefix}*"))
        assert keys  # the counters were in Redis
        client.delete(*keys)
        client.close()


def test_unknown_usernames_cost_the_same_password_hash_check(app, monkeypatch):
    computed: list[str] = []
    real = werkzeug.security._hash_internal

    def counting(method, salt, password):
        computed.append(method)
        return real(method, salt, password)

    monkeypatch.setattr(werkzeug.security, "_hash_internal", counting)
    client = app.test_client()
    login(client, "nobody-here", "guess")  # first use: the dummy hash is made once
    computed.clear()
    for name in ("staff", "nobody-here", "no-such-user"):
        assert "帳號或密碼錯誤" in login(client, name, "guess").get_data(as_text=True)
    # one hash computation each, with the method of the real hashes
    assert computed == ["pbkdf2:sha256:1000"] * 3


# --- headers and cookies ---------------------------------------------------------------------


def _security_headers(response) -> dict:
    headers = response.headers
    policy = headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'" and directives["base-uri"] == "'none'"
    for name in ("script-src", "style-src"):
        assert "'unsafe-inline'" not in directives[name] and "*" not in directives[name]
        assert directives[name].startswith("'self'")
    return directives


def _inline_code_problems(page: str, directives: dict) -> list[str]:
    """Inline script, handlers and style elements the CSP would block (nonce checked)."""
    nonce = re.search(r"'nonce-([^']+)'", directives["script-src"])
    nonce = nonce[1] if nonce else None
    problems = []
    for tag in re.findall(r"<(?:script|style)\b[^>]*>", page):
        if tag.startswith("<script") and " src=" in tag:
            continue
        if nonce is None or f'nonce="{nonce}"' not in tag:
            problems.append(tag)
    problems += re.findall(r"<[a-zA-Z][^>]*?\son[a-z]+\s*=[^>]*>", page)
    return problems


def test_every_page_carries_the_security_headers_and_no_inline_script(app):
    client = app.test_client()
    anonymous = ["/login", "/no/such/page", "/static/host.css", "/static/host.js"]
    for url in anonymous:
        response = client.get(url)
        directives = _security_headers(response)
        if response.mimetype == "text/html":
            assert _inline_code_problems(response.get_data(as_text=True), directives) == [], url
    login(client, "admin")
    with app.test_request_context():
        admin = app.extensions["admin"][0]
        admin_urls = ["/admin/"]
        for view in admin._views:
            if getattr(view, "can_create", False) and hasattr(view, "create_view"):
                admin_urls.append(view.get_url(f"{view.endpoint}.create_view"))
            admin_urls.append(view.get_url(f"{view.endpoint}.{view._default_view}"))
    with app.app_context():
        case_id = db.session.scalar(sa.select(sa.text("min(id)")).select_from(sa.text("host_case")))
    pages = ["/", "/inbox", "/cases", f"/cases/{case_id}", "/appgov/", "/appgov/policy"]
    checked = 0
    for url in pages + sorted(set(admin_urls)):
        response = client.get(url)
        assert response.status_code == 200, url
        directives = _security_headers(response)
        assert _inline_code_problems(response.get_data(as_text=True), directives) == [], url
        checked += 1
    assert checked >= 12
    # a failed form (error summary) and an error page too
    for response in (
        client.post("/cases/new/appgov_app_proposal", data={}),
        client.get("/logout"),
    ):
        directives = _security_headers(response)
        assert _inline_code_problems(response.get_data(as_text=True), directives) == []


def test_pages_for_a_logged_in_user_are_never_cached(app):
    """After log-out the back button must not bring a case page back from the cache."""
    client = app.test_client()
    assert "no-store" not in client.get("/login").headers.get("Cache-Control", "")
    login(client, "staff")
    for path in ("/inbox", "/cases", "/appgov/", "/appgov/policy"):
        assert client.get(path).headers.get("Cache-Control") == "no-store", path
    login(client, "admin")
    assert client.get("/admin/host_user/").headers.get("Cache-Control") == "no-store"
    # the static files, the site's, appgov's and Flask-Admin's, are cached as usual
    for path in (
        "/static/host.css",
        "/appgov/static/appgov.css",
        "/admin/static/bootstrap/bootstrap4/css/bootstrap.min.css",
    ):
        static = client.get(path)
        assert static.status_code == 200, path
        assert "no-store" not in static.headers.get("Cache-Control", ""), path


def test_users_are_deactivated_never_deleted(app):
    """The case history names the people who acted: Flask-Admin offers no delete of users."""
    client = app.test_client()
    login(client, "admin")
    staff = user_row(app, "staff")
    listing = client.get("/admin/host_user/").get_data(as_text=True)
    assert "/admin/host_user/delete/" not in listing
    response = client.post("/admin/host_user/delete/", data={"id": str(staff.id)})
    assert response.status_code in (302, 403, 404)
    assert user_row(app, "staff") is not None


def test_flask_admin_scripts_carry_the_responses_nonce(app):
    client = app.test_client()
    login(client, "admin")
    response = client.get("/admin/host_agency/")
    directives = _security_headers(response)
    nonce = re.search(r"'nonce-([^']+)'", directives["script-src"])[1]
    page = response.get_data(as_text=True)
    assert page.count(f'nonce="{nonce}"') >= 5  # Flask-Admin's own script and style elements
    assert "data-model-action=" in page and "data-confirm=" in page  # the host's overrides
    assert (
        client.get("/admin/host_agency/").headers["Content-Security-Policy"]
        != response.headers["Content-Security-Policy"]
    )  # a new nonce per response


def test_the_plain_error_page_styles_itself_with_the_nonce(sample_host_factory):
    """The page shown when the layout cannot be (the database is away) keeps its style."""
    app = sample_host_factory(AUTO_SETUP=False, **THROTTLED)
    context = {"code": 503, "title": "T", "explanation": "E", "description": None}
    app.add_url_rule("/plain", "plain", lambda: render_template("errors/plain.html", **context))
    response = app.test_client().get("/plain")
    directives = _security_headers(response)
    assert "<style nonce=" in response.get_data(as_text=True)
    assert _inline_code_problems(response.get_data(as_text=True), directives) == []


def test_cookies_are_http_only_and_secure_when_served_over_https(sample_host_factory, monkeypatch):
    plain = sample_host_factory(**THROTTLED)
    response = login(plain.test_client(), "staff")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert "Strict-Transport-Security" not in response.headers

    monkeypatch.setenv("HOST_HTTPS", "1")
    https = sample_host_factory(AUTO_SETUP=False, **THROTTLED)
    assert https.config["SESSION_COOKIE_SECURE"] and https.config["REMEMBER_COOKIE_SECURE"]
    assert https.config["PREFERRED_URL_SCHEME"] == "https"
    client = https.test_client()
    response = client.post(
        "/login",
        data={"username": "staff", "password": "demo-staff"},
        base_url="https://localhost",
    )
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_behind_a_proxy_the_client_address_is_the_forwarded_one(sample_host_factory):
    app = sample_host_factory(HOST_PROXIES=1, **THROTTLED)
    client = app.test_client()

    def via_proxy(name, password, client_address):
        return client.post(
            "/login",
            data={"username": name, "password": password},
            headers={"X-Forwarded-For": client_address},
            environ_base={"REMOTE_ADDR": "192.0.2.1"},
        ).status_code

    statuses = [via_proxy(f"user{i}", "guess", "198.51.100.7") for i in range(31)]
    assert statuses[:30] == [200] * 30 and statuses[30] == 429  # "30 per minute" per address
    assert via_proxy("staff", "demo-staff", "198.51.100.8") == 302  # another client: fine


# --- the SQLite file ------------------------------------------------------------------------


def test_the_sqlite_file_is_created_readable_by_its_owner_only(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    old_umask = os.umask(0o022)  # the usual umask, under which SQLite creates files 0644
    try:
        instance = tmp_path / "instance"
        app = create_app(
            {"INSTANCE_PATH": str(instance), "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"}
        )
        database = instance / "sample_host.sqlite"
        assert stat.S_IMODE(database.stat().st_mode) == 0o600
        assert stat.S_IMODE(instance.stat().st_mode) == 0o700
        with app.app_context():
            assert db.session.scalar(sa.select(sa.func.count(User.id))) > 0  # hashes are in it
            db.engine.dispose()
        # a file named by DATABASE_URL elsewhere too
        elsewhere = tmp_path / "data" / "host.sqlite"
        elsewhere.parent.mkdir()
        monkeypatch.setenv("DATABASE_URL", f"sqlite:///{elsewhere}")
        other = create_app({"INSTANCE_PATH": str(instance), "AUTO_SETUP": False})
        assert stat.S_IMODE(elsewhere.stat().st_mode) == 0o600
        with other.app_context():
            db.engine.dispose()
    finally:
        os.umask(old_umask)


# --- the language switch --------------------------------------------------------------------


def _token(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page)[1]


def test_the_language_switch_is_a_post_with_a_csrf_token(sample_host_factory):
    app = sample_host_factory(WTF_CSRF_ENABLED=True, **THROTTLED)
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]
    client.post("/login", data={"username": "staff", "password": "demo-staff", "csrf_token": token})
    assert logged_in(client)

    # a link or an image on another site (GET) changes nothing
    response = client.get("/locale/en?next=/inbox")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"] and "GET" not in response.headers["Allow"]
    assert "收件匣" in client.get("/inbox").get_data(as_text=True)
    # a form on another site (no token) changes nothing
    assert client.post("/locale/en", data={"next": "/inbox"}).status_code == 400
    assert user_row(app, "staff").locale is None

    page = client.get("/inbox").get_data(as_text=True)
    switch = re.search(r'<form method="post" class="host-languages-form".*?</form>', page, re.S)[0]
    assert 'name="next" value="/inbox"' in switch
    response = client.post("/locale/en", data={"csrf_token": _token(switch), "next": "/inbox"})
    assert response.status_code == 302 and response.location == "/inbox"
    assert "Inbox" in client.get("/inbox").get_data(as_text=True)
    assert user_row(app, "staff").locale == "en"
    # the next page stays on this site
    response = client.post(
        "/locale/zh_Hant_TW", data={"csrf_token": _token(switch), "next": "//evil.example"}
    )
    assert response.location == "/"


# --- in a browser -------------------------------------------------------------------------------

#: Records CSP violations in the page (Playwright's init scripts are not subject to the CSP).
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI + " " + (e.sample || ""));
}, true);
"""


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_pages_and_flask_admin_work_in_a_browser_without_csp_violations(server):
    base, _ = server
    with chromium() as browser:
        context = browser.new_context(locale="zh-TW")
        context.add_init_script(RECORD_VIOLATIONS)
        page = context.new_page()
        console: list[str] = []
        page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: console.append(f"page error: {e}"))
        dialogs: list[str] = []

        def answer(dialog):
            dialogs.append(dialog.type)
            dialog.dismiss()

        page.on("dialog", answer)
        seen: list[str] = []

        def check(label):
            violations = page.evaluate("window.__cspViolations")
            assert (label, violations) == (label, [])
            seen.append(label)

        # the layout's script (static/host.js): a failed form moves to its error summary
        page.goto(base + "/login")
        page.click("main form button[type=submit]")
        page.wait_for_load_state()
        assert page.evaluate("document.activeElement.classList.contains('error-summary')")
        check("failed log-in")

        log_in(page, base, "admin")
        for url in ("/", "/inbox", "/appgov/", "/appgov/policy"):
            page.goto(base + url)
            check(url)

        # the language switch with the keyboard: Tab to the button, Enter
        page.focus('header button[lang="en"]')
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.evaluate("document.documentElement.lang") == "en"
        assert page.url.endswith("/appgov/policy")
        with page.expect_navigation():
            page.click('header button[lang="zh-Hant-TW"]')
        assert page.evaluate("document.documentElement.lang") == "zh-Hant-TW"
        check("language switch")

        # Flask-Admin's list: "with selected" actions, the row delete button, both asking first
        page.goto(base + "/admin/host_agency/")
        rows = page.locator("input.action-checkbox").count()
        assert rows > 0
        page.click("li.dropdown:has([data-model-action]) > a.dropdown-toggle")
        page.click("[data-model-action=delete]")
        assert dialogs == ["alert"]  # "please select at least one record"
        page.check("input.action-checkbox >> nth=0")
        page.click("li.dropdown:has([data-model-action]) > a.dropdown-toggle")
        page.click("[data-model-action=delete]")
        assert dialogs == ["alert", "confirm"]  # dismissed: nothing deleted
        page.click("button[data-confirm] >> nth=0")
        assert dialogs == ["alert", "confirm", "confirm"]
        page.goto(base + "/admin/host_agency/")
        assert page.locator("input.action-checkbox").count() == rows
        check("admin list actions")

        # Flask-Admin's filters: the menu adds a filter row (admin/js/bs4_filters.js)
        page.goto(base + "/admin/host_case/")
        page.click("li.dropdown:has(a.filter) > a.dropdown-toggle")
        page.click("a.filter >> nth=0")
        assert page.locator("table.filters tr").count() == 1
        assert page.url.endswith("/admin/host_case/")  # javascript: links did not navigate
        check("admin filters")

        # Flask-Admin's form widgets (select2) and the appgov admin pages
        page.goto(base + "/admin/host_user/new/")
        assert page.locator(".select2-container").count() >= 1
        check("admin form")
        page.goto(base + "/admin/appgov_parameters/")
        check("appgov parameters")

        assert [m for m in console if "Content Security Policy" in m or "Refused" in m] == []
        assert [m for m in console if m.startswith("page error")] == []
        assert len(seen) == 10

        # the control: inline script is really refused here, and the refusal is recorded
        page.evaluate(
            "() => { const s = document.createElement('script');"
            " s.textContent = 'window.inlineRan = true'; document.body.appendChild(s); }"
        )
        assert page.evaluate("window.inlineRan === undefined")
        assert any("script-src" in v for v in page.evaluate("window.__cspViolations"))
        context.close()
