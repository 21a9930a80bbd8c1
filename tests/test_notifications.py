"""Notifications (issue 10): ``notify`` through the city hook ``appgov_notify``; the default's
in-app messages (the Messages page, the unread count in the navigation) and e-mail over SMTP
after commit, against a real SMTP server (aiosmtpd) on 127.0.0.1. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
import socket
import ssl
import subprocess
import sys
import textwrap
import threading
import types
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from casework import counting_queries, visible_text
from hosting import login

import appgov_plugin
from appgov_plugin.i18n import _l
from appgov_plugin.notifications import Notice, notify
from appgov_plugin.notifications import hookspecs as notification_hookspecs
from appgov_plugin.notifications.delivery import deliver_pending
from appgov_plugin.notifications.models import MailOutbox, Message
from appgov_plugin.policy import reset_cache
from sample_host.extensions import db
from sample_host.models import User

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "notification_hooks.md"

#: a message id with a translation in both catalogs (zh: full-width punctuation)
SUBJECT = _l("The app misses %(count)s of the agency's targets (TN-PERF-1).")
ZH_SUBJECT = "本 App 未達成機關自訂目標共 3 項（TN-PERF-1）。"
EN_SUBJECT = "The app misses 3 of the agency's targets (TN-PERF-1)."
BASE_URL = "https://intranet.example.gov.tw"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """aiosmtpd handler: every message the server accepted, parsed."""

    def __init__(self):
        self.received: list[tuple[list[str], email.message.EmailMessage]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.received.append((list(envelope.rcpt_tos), parsed))
        return "250 OK"

    def by_address(self) -> dict[str, email.message.EmailMessage]:
        with self.lock:
            return {to[0]: message for to, message in self.received}


@pytest.fixture
def smtp_port():
    return _free_port()


@pytest.fixture
def smtp_server(smtp_port):
    """A real SMTP server on 127.0.0.1 (aiosmtpd), started by the test: its inbox."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    yield inbox
    controller.stop()


def mail_config(port: int) -> dict:
    return {
        "APPGOV_MAIL_SERVER": "127.0.0.1",
        "APPGOV_MAIL_PORT": port,
        "APPGOV_MAIL_SENDER": "appgov@tainan.example.gov.tw",
        "APPGOV_MAIL_TIMEOUT": 5,
        "APPGOV_BASE_URL": BASE_URL,
    }


def quiet(app):
    """The host's demo data notified people too (and may have mailed them): those messages
    are marked read and their e-mails sent, and the test sees only what it adds."""
    with app.app_context():
        now = dt.datetime.now(dt.UTC)
        db.session.execute(sa.update(Message).values(read_at=now))
        db.session.execute(sa.update(MailOutbox).values(sent_at=now))
        db.session.commit()
        app.extensions["test_baseline"] = (
            db.session.scalar(sa.select(sa.func.max(Message.id))) or 0,
            db.session.scalar(sa.select(sa.func.max(MailOutbox.id))) or 0,
        )
    return app


@pytest.fixture
def host(sample_host_factory):
    """``host(**config)``: the sample host (appgov through its entry point), demo quiet."""
    return lambda **config: quiet(sample_host_factory(**config))


def set_locale(app, username: str, locale: str | None) -> None:
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == username))
        user.locale = locale
        db.session.commit()


def plan_submitted(app, **changes) -> Notice:
    """staff's step: the agency's head and the city's reviewers are told (committed)."""
    with app.test_request_context("/", base_url="http://127.0.0.1"):
        notice = notify(
            "plan_submitted",
            **{
                "roles": ("reviewer", "agency_staff", "agency_head"),
                "agency_code": "tainan-tourism",
                "subject": _l(
                    "The app misses %(count)s of the agency's targets (TN-PERF-1).", count=3
                ),
                "link": "/appgov/",
                "case_id": 7,
                "app_id": 3,
                "exclude": "staff",
                **changes,
            },
        )
        db.session.commit()
    return notice


def messages(app) -> list[Message]:
    after = app.extensions["test_baseline"][0]
    with app.app_context():
        return list(
            db.session.scalars(sa.select(Message).where(Message.id > after).order_by(Message.id))
        )


def outbox(app) -> list[MailOutbox]:
    after = app.extensions["test_baseline"][1]
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(MailOutbox).where(MailOutbox.id > after).order_by(MailOutbox.id)
            )
        )


# -- recipients and storage --------------------------------------------------------------


def test_notify_stores_a_message_for_each_resolved_recipient_but_not_the_actor(host):
    app = host()
    notice = plan_submitted(app)
    # casehost_users of the sample host: the agency's staff and head, the city's reviewer
    assert set(notice.usernames) == {"head", "reviewer"}  # staff took the step
    stored = messages(app)
    assert {m.recipient for m in stored} == {"head", "reviewer"}
    first = stored[0]
    # kept untranslated: the message id and its parameters, written in the reader's language
    assert first.subject == "The app misses %(count)s of the agency's targets (TN-PERF-1)."
    assert first.params == {"count": 3}
    assert (first.event, first.link, first.case_id, first.app_id) == (
        "plan_submitted",
        "/appgov/",
        7,
        3,
    )
    assert first.actor == "staff" and first.read_at is None
    assert outbox(app) == []  # no APPGOV_MAIL_SERVER: no e-mail queued


def test_usernames_are_added_once_and_nobody_left_calls_no_hook(host):
    app = host()
    notice = plan_submitted(app, roles=(), usernames=("helpdesk", "helpdesk", "staff"))
    assert notice.usernames == ("helpdesk",)
    notice = plan_submitted(app, roles=(), usernames=("staff",))
    assert notice.usernames == ()
    assert [m.recipient for m in messages(app)] == ["helpdesk"]


def test_bad_calls_are_refused_before_anything_is_written(host):
    app = host()
    with app.test_request_context("/"):
        with pytest.raises(ValueError, match="link must be a path on this site"):
            notify(
                "x",
                subject=SUBJECT,
                params={"count": 1},
                usernames=("head",),
                link="https://evil.example/",
            )
        with pytest.raises(ValueError, match="link must be a path"):
            notify(
                "x",
                subject=SUBJECT,
                params={"count": 1},
                usernames=("head",),
                link="//evil.example/",
            )
        with pytest.raises(ValueError, match="needs a parameter"):
            notify("x", subject=SUBJECT, usernames=("head",))
        with pytest.raises(ValueError, match="agency_code"):
            notify("x", subject=SUBJECT, params={"count": 1}, roles=("reviewer",))
        db.session.commit()
    assert messages(app) == []


def test_parameters_are_written_in_the_readers_language(host):
    app = host()
    with app.app_context():
        notice = notify(
            "deadline",
            subject=_l("Result as of %(day)s"),
            params={"day": dt.date(2026, 11, 22)},
            usernames=("head",),
        )
        db.session.commit()
        assert "民國 115 年 11 月 22 日" in notice.subject_in("zh_Hant_TW")  # TIME-5
        assert "2026-11-22" in notice.subject_in("en")


def test_a_plain_appgov_app_notifies_the_usernames_only(intranet_app):
    app, intranet_db = intranet_app  # AppGov(app): no case host to ask for people
    with app.test_request_context("/"):
        notice = notify(
            "plan_submitted",
            roles=("reviewer",),
            agency_code="TN-TOUR",
            usernames=("clerk",),
            subject=SUBJECT,
            params={"count": 3},
        )
        intranet_db.session.commit()
    assert notice.usernames == ("clerk",)
    client = app.test_client()
    client.get("/_login/clerk")
    page = client.get("/appgov/messages", headers={"Accept-Language": "zh-TW"})
    assert page.status_code == 200 and ZH_SUBJECT in visible_text(page.get_data(as_text=True))
    client.get("/_login/root")
    assert ZH_SUBJECT not in visible_text(client.get("/appgov/messages").get_data(as_text=True))


# -- the navigation's unread count and the Messages page ------------------------------------


def test_unread_count_in_the_navigation(host):
    app = host()
    plan_submitted(app)
    plan_submitted(app, roles=(), usernames=("reviewer",))
    client = app.test_client()
    login(client, "reviewer")
    with counting_queries(app) as statements:
        page = client.get("/").get_data(as_text=True)
    link = re.search(r'<a class="nav-link" href="/appgov/messages"[^>]*>(.*?)</a>', page, re.S)
    assert link, "no Messages link in the navigation"
    assert re.search(r'<span class="badge[^"]*">2<span class="sr-only">', link.group(1))
    # one count query for the badge, whatever the number of messages
    assert sum("appgov_message" in s for s in statements) == 1
    login(client, "staff")
    page = client.get("/").get_data(as_text=True)
    link = re.search(r'<a class="nav-link" href="/appgov/messages"[^>]*>(.*?)</a>', page, re.S)
    assert link and "badge" not in link.group(1)  # nothing unread: no badge


def test_the_messages_page_shows_the_readers_own_messages_in_their_language(host):
    app = host()
    set_locale(app, "reviewer", "en")
    plan_submitted(app)
    client = app.test_client()
    login(client, "reviewer")
    page = client.get("/appgov/messages")
    assert page.status_code == 200
    text = visible_text(page.get_data(as_text=True))
    assert EN_SUBJECT in text
    assert "Unread" in text  # in words, not only by its look
    login(client, "head")  # zh_Hant_TW: the same message in Chinese
    assert ZH_SUBJECT in visible_text(client.get("/appgov/messages").get_data(as_text=True))
    reviewers = [m.id for m in messages(app) if m.recipient == "reviewer"]
    heads = [m.id for m in messages(app) if m.recipient == "head"]
    # another person's message is not there, read or opened
    assert client.get(f"/appgov/messages/{reviewers[0]}").status_code == 404
    assert client.get("/appgov/messages/999999").status_code == 404
    response = client.get(f"/appgov/messages/{heads[0]}")
    assert response.status_code == 302 and response.headers["Location"] == "/appgov/"
    by_id = {m.id: m for m in messages(app)}
    assert by_id[heads[0]].read_at is not None and by_id[reviewers[0]].read_at is None
    anonymous = app.test_client()
    assert anonymous.get("/appgov/messages").status_code in (302, 401)  # login required
    assert anonymous.get(f"/appgov/messages/{heads[0]}").status_code in (302, 401)


def test_messages_page_queries_do_not_grow_with_messages_and_it_pages(host):
    app = host()
    set_locale(app, "reviewer", "en")
    plan_submitted(app, roles=(), usernames=("reviewer",))
    client = app.test_client()
    login(client, "reviewer")
    with counting_queries(app) as few:
        client.get("/appgov/messages")
    for _ in range(24):
        plan_submitted(app, roles=(), usernames=("reviewer",))
    with counting_queries(app) as many:
        first = client.get("/appgov/messages").get_data(as_text=True)
    assert len(many) == len(few)
    assert len(re.findall(r'href="/appgov/messages/\d+"', first)) == 20  # PAGE_SIZE rows
    assert "Page 1 of 2" in first
    second = client.get("/appgov/messages?page=2").get_data(as_text=True)
    with app.app_context():  # the demo data's messages to the reviewer, and the test's 25
        total = db.session.scalar(
            sa.select(sa.func.count(Message.id)).where(Message.recipient == "reviewer")
        )
    assert 25 < total <= 40
    assert len(re.findall(r'href="/appgov/messages/\d+"', second)) == total - 20
    ids = [int(n) for n in re.findall(r'href="/appgov/messages/(\d+)"', first)]
    assert ids == sorted(ids, reverse=True)  # newest first


def test_mark_all_read_needs_the_csrf_token(host):
    app = host(WTF_CSRF_ENABLED=True)
    plan_submitted(app)
    plan_submitted(app, roles=(), usernames=("reviewer",))
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    client.post(
        "/login", data={"username": "reviewer", "password": "demo-reviewer", "csrf_token": token}
    )
    assert client.post("/appgov/messages/read").status_code == 400  # no token: nothing marked
    assert all(m.read_at is None for m in messages(app) if m.recipient == "reviewer")
    page = client.get("/appgov/messages").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/appgov/messages/read", data={"csrf_token": token})
    assert response.status_code == 302
    assert all(m.read_at is not None for m in messages(app) if m.recipient == "reviewer")
    assert all(m.read_at is None for m in messages(app) if m.recipient == "head")  # not theirs


# -- e-mail ------------------------------------------------------------------------------


def test_mail_goes_after_commit_in_each_recipients_language(host, smtp_server, smtp_port):
    app = host(**mail_config(smtp_port))
    smtp_server.received.clear()  # the demo data's mails
    set_locale(app, "head", "en")
    with app.test_request_context("/"):
        notify(
            "plan_submitted",
            roles=("reviewer", "agency_head"),
            agency_code="tainan-tourism",
            # a bare username is looked up among the agency's people for an address
            usernames=("helpdesk", "someone-the-host-does-not-know"),
            subject=SUBJECT,
            params={"count": 3},
            link="/appgov/",
            exclude="staff",
        )
        db.session.flush()
        assert smtp_server.received == []  # inside the step's transaction: nothing sent
        db.session.commit()
    mails = smtp_server.by_address()
    assert set(mails) == {"reviewer@example.org", "head@example.org", "helpdesk@example.org"}
    assert len(messages(app)) == 4  # the unknown username: an in-app message only
    zh, en = mails["reviewer@example.org"], mails["head@example.org"]
    assert zh["Subject"] == ZH_SUBJECT  # RFC 2047 encoded, decoded back whole
    assert "=?utf-8?" in zh.as_string().lower() or zh["Subject"].isascii() is False
    assert en["Subject"] == EN_SUBJECT
    assert zh["From"] == "appgov@tainan.example.gov.tw"
    ids = {m.recipient: m.id for m in messages(app)}
    body = zh.get_content()
    assert ZH_SUBJECT in body and f"{BASE_URL}/appgov/messages/{ids['reviewer']}" in body
    assert "App governance" in en.get_content()
    rows = outbox(app)
    assert len(rows) == 3 and all(r.sent_at and r.attempts == 1 and not r.last_error for r in rows)
    assert {r.locale for r in rows} == {"zh_Hant_TW", "en"}
    with app.app_context():  # nothing left to send: a later run sends nothing again
        assert deliver_pending() == (0, 0)
    assert len(smtp_server.received) == 3


@pytest.fixture
def certificate(tmp_path):
    """A self-signed certificate for 127.0.0.1 (the test's own CA): (cert, key) paths."""
    cert, key = tmp_path / "smtp.crt", tmp_path / "smtp.key"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.mark.backend_independent  # the SMTP transport
def test_starttls_and_login_against_a_server_that_demands_both(host, smtp_port, certificate):
    cert, key = certificate
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((mechanism, auth_data.login, auth_data.password))
        ok = (auth_data.login, auth_data.password) == (b"appgov", "s3cret-密".encode())
        return AuthResult(success=ok)

    inbox = Inbox()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=smtp_port,
        tls_context=server_tls,
        require_starttls=True,
        auth_required=True,
        authenticator=authenticator,
    )
    controller.start()
    try:
        app = host(
            **mail_config(smtp_port),
            APPGOV_MAIL_USE_TLS=True,
            APPGOV_MAIL_CA_FILE=str(cert),
            APPGOV_MAIL_USERNAME="appgov",
            APPGOV_MAIL_PASSWORD="s3cret-密",
        )
        inbox.received.clear()
        plan_submitted(app, roles=("reviewer",))
    finally:
        controller.stop()
    assert inbox.by_address()["reviewer@example.org"]["Subject"] == ZH_SUBJECT
    assert logins and logins[-1][1:] == (b"appgov", "s3cret-密".encode())
    (row,) = outbox(app)
    assert row.sent_at is not None and row.last_error is None


@pytest.mark.backend_independent  # the SMTP transport
def test_an_unknown_certificate_is_refused_and_kept_for_later(host, smtp_port, certificate):
    cert, key = certificate
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    inbox = Inbox()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=smtp_port, tls_context=server_tls, require_starttls=True
    )
    controller.start()
    try:
        app = host(**mail_config(smtp_port), APPGOV_MAIL_USE_TLS=True)  # the system's CAs only
        inbox.received.clear()
        plan_submitted(app, roles=("reviewer",))
    finally:
        controller.stop()
    assert inbox.received == []
    (row,) = outbox(app)
    assert row.sent_at is None and "CERTIFICATE_VERIFY_FAILED" in row.last_error


def test_a_rolled_back_step_sends_nothing(host, smtp_server, smtp_port):
    app = host(**mail_config(smtp_port))
    smtp_server.received.clear()  # the demo data's mails
    with app.test_request_context("/"):
        notify(
            "plan_submitted",
            subject=SUBJECT,
            params={"count": 3},
            roles=("reviewer",),
            agency_code="tainan-tourism",
        )
        db.session.flush()
        db.session.rollback()
        db.session.commit()  # a later commit of the same session has nothing queued
        assert deliver_pending() == (0, 0)
    assert smtp_server.received == [] and messages(app) == [] and outbox(app) == []


def test_smtp_down_keeps_the_row_and_a_later_run_sends_it(host, smtp_port):
    app = host(**mail_config(smtp_port))  # nothing listens on the port yet
    plan_submitted(app, roles=("reviewer",))
    (row,) = outbox(app)
    assert row.sent_at is None and row.attempts == 1
    assert "Connection" in row.last_error or "refused" in row.last_error.lower()
    assert messages(app)[0].recipient == "reviewer"  # the in-app message is there anyway
    runner = app.test_cli_runner()
    result = runner.invoke(args=["appgov", "mail", "send"])
    assert "0 sent, 0 failed" in result.output  # not due yet: it waits before retrying
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        with app.app_context():
            assert deliver_pending(now=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=2)) == (1, 0)
    finally:
        controller.stop()
    (row,) = outbox(app)
    assert row.sent_at is not None and row.attempts == 2 and row.last_error is None
    assert inbox.by_address()["reviewer@example.org"]["Subject"] == ZH_SUBJECT


def test_mail_send_command_retries_and_reports(host, smtp_port):
    app = host(**mail_config(smtp_port))
    plan_submitted(app, roles=("reviewer",))
    with app.app_context():  # due again now
        db.session.execute(
            sa.update(MailOutbox).values(next_attempt_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
        )
        db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["appgov", "mail", "send"])
    assert result.exit_code == 1 and "0 sent, 1 failed" in result.output
    assert outbox(app)[0].attempts == 2
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        with app.app_context():
            db.session.execute(
                sa.update(MailOutbox).values(next_attempt_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
            )
            db.session.commit()
        result = runner.invoke(args=["appgov", "mail", "send"])
    finally:
        controller.stop()
    assert result.exit_code == 0 and "1 sent, 0 failed" in result.output
    assert list(inbox.by_address()) == ["reviewer@example.org"]


def test_two_senders_at_once_send_each_mail_once(host, smtp_server, smtp_port):
    app = host(**mail_config(smtp_port))
    for _ in range(10):
        with app.test_request_context("/"):
            notify(
                "race",
                subject=SUBJECT,
                params={"count": 1},
                usernames=("reviewer",),
                agency_code="tainan-tourism",
            )
            db.session.flush()
            db.session.info.pop("appgov_mail_outbox")  # as if the after-commit send died
            db.session.commit()
    smtp_server.received.clear()
    assert len(outbox(app)) == 10 and all(row.sent_at is None for row in outbox(app))
    barrier = threading.Barrier(2)
    results = []

    def sender():  # a cron run and another worker at the same moment
        with app.app_context():
            barrier.wait()
            results.append(deliver_pending())
            db.session.remove()

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(sent for sent, _failed in results) == 10
    assert len(smtp_server.received) == 10  # each once
    assert all(row.sent_at is not None and row.attempts == 1 for row in outbox(app))


def test_no_mail_is_queued_without_a_server(host):
    app = host()
    plan_submitted(app)
    assert len(messages(app)) == 2 and outbox(app) == []
    result = app.test_cli_runner().invoke(args=["appgov", "mail", "send"])
    assert "APPGOV_MAIL_SERVER is not set" in result.output


# -- a city's own delivery ---------------------------------------------------------------

CITY_MODULE = '''
from appgov_plugin import hookimpl

DELIVERED = []


@hookimpl
def appgov_notify(notice):
    """The city sends plan notices through its own system, nothing else."""
    DELIVERED.append((notice.event, notice.usernames, notice.subject_in("zh_Hant_TW")))
    return True if notice.event == "plan_submitted" else None
'''


@pytest.fixture
def city_module(tmp_path, monkeypatch):
    (tmp_path / "throwaway_notify_city.py").write_text(textwrap.dedent(CITY_MODULE))
    monkeypatch.syspath_prepend(str(tmp_path))
    reset_cache()
    yield "throwaway_notify_city"
    sys.modules.pop("throwaway_notify_city", None)
    reset_cache()


def test_a_city_hook_module_that_answers_true_replaces_the_default(host, city_module):
    app = host(APPGOV_POLICY_MODULES=(city_module,))
    delivered = sys.modules[city_module].DELIVERED
    delivered.clear()  # the demo data's notices
    plan_submitted(app)
    assert [(event, set(usernames), subject) for event, usernames, subject in delivered] == [
        ("plan_submitted", {"reviewer", "head"}, ZH_SUBJECT)
    ]
    assert messages(app) == []  # True: the default did not run
    # None: the city module saw it, and the default stored the message too
    with app.app_context():
        notify("deadline_near", subject=SUBJECT, params={"count": 1}, usernames=("reviewer",))
        db.session.commit()
    assert delivered[-1][0] == "deadline_near"
    assert [(m.event, m.recipient) for m in messages(app)] == [("deadline_near", "reviewer")]


# -- the hook's documentation (datasette style, as tests/test_docs.py) ---------------------


def _hook_names(module):
    return {name for name in dir(module) if name.startswith("appgov_")}


def test_every_notification_hook_is_documented():
    documented = set(re.findall(r"^## (appgov_\w+)\(", DOC.read_text(encoding="utf-8"), re.M))
    assert documented == _hook_names(notification_hookspecs)
    for name in _hook_names(notification_hookspecs):
        assert getattr(notification_hookspecs, name).__doc__, f"{name} has no docstring"


def test_notification_hook_examples_run(host):
    module = types.ModuleType("notification_doc_examples")
    module.hookimpl = appgov_plugin.hookimpl
    for block in re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S):
        exec(compile(block, str(DOC), "exec"), module.__dict__)
    policy = appgov_plugin.get_policy("tainan", plugins=[module])  # check_pending()
    impls = [i.plugin for i in policy.plugin_manager.hook.appgov_notify.get_hookimpls()]
    assert module in impls
    app = host()
    with app.app_context():
        overdue = Notice("review_overdue", (), "Messages", link="/appgov/")
        assert policy.plugin_manager.hook.appgov_notify(notice=overdue) is True
        assert module.DUTY_LOG == [("review_overdue", "/appgov/")]
        other = Notice("plan_submitted", (), "Messages")
        # the example leaves every other notice to the default (which stores nothing here:
        # no recipients)
        assert module.appgov_notify(notice=other) is None
