"""The forwarder to the city's mailbox (TN-MAIL-1, MAIL-2): delivery with the idempotency
key, back-off, parking after the last attempt and an administrator's retry, refusals, the
status sync, and a city's own adapter behind the hook ``appgov_mailbox_adapter``.

The mailbox is the sample host's, a real HTTP server on 127.0.0.1 (``mailbox_server``);
the feedback is stored as the intake stores it (``store_feedback``).
"""

from __future__ import annotations

import datetime as dt
import http.server
import json
import re
import socket
import sys
import textwrap
import threading
import time
import types
from pathlib import Path

import pytest
import sqlalchemy as sa
from casework import counting_queries
from flask import Flask
from hosting import login
from intranet import make_intranet
from mailbox_feedback import (
    aware,
    configure,
    feedback_rows,
    linked_app,
    outbox_rows,
    submit,
    without_demo_feedback,
)

import appgov_plugin
from appgov_plugin import migrations
from appgov_plugin.apps.models import App
from appgov_plugin.db import utcnow
from appgov_plugin.mailbox import hookspecs as mailbox_hookspecs
from appgov_plugin.mailbox.adapters import (
    MailboxError,
    MailboxItem,
    MailboxStatus,
    Open311Adapter,
    PermanentError,
    RetryableError,
)
from appgov_plugin.mailbox.forwarder import forward
from appgov_plugin.mailbox.outbox import OutboxSettings, backoff_ceiling
from appgov_plugin.mailbox.sync import sync
from sample_host.extensions import db

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "mailbox_hooks.md"
OUTBOX_LIST = "/admin/appgov_mailbox_outbox/"


@pytest.fixture
def host(sample_host_factory, mailbox_server):
    """The sample host (demo data) pointed at the running sample mailbox."""
    app = sample_host_factory()
    configure(app, mailbox_server)
    with app.app_context():
        without_demo_feedback()
        yield app
        db.session.remove()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- delivery -------------------------------------------------------------------------------


def test_every_due_item_reaches_the_mailbox_once_with_its_number(host, mailbox_server):
    # rule MAIL-2: forwarded at least once, recorded exactly once (idempotency key)
    ids = submit(3, email="citizen@example.org", first_name="小明", last_name="王")
    totals = forward(host)
    assert (totals.sent, totals.retried, totals.failed) == (3, 0, 0)
    on_mailbox = {row.idempotency_key: row for row in mailbox_server.requests()}
    feedback = feedback_rows()
    assert len(on_mailbox) == 3 == len(mailbox_server.requests())
    app = linked_app()
    for feedback_id in ids:
        item = feedback[feedback_id]
        row = on_mailbox[item.idempotency_key]
        # TN-MAIL-1: the mailbox's number on the record
        assert item.service_request_id == row.service_request_id
        assert row.feedback_id == str(feedback_id) and row.description == item.description
        assert item.forwarded_at is not None
        outbox = outbox_rows()[feedback_id]
        assert (outbox.state, outbox.attempts, outbox.claimed_by) == ("sent", 1, None)
    # the mailbox got the app and its agency (attribute[...]) beside the text
    mailbox_db = sa.create_engine(f"sqlite:///{mailbox_server.database}")
    with mailbox_db.connect() as connection:
        apps = connection.execute(
            sa.text("SELECT DISTINCT app_code, agency_code FROM host_mailbox_request")
        ).all()
    mailbox_db.dispose()
    assert apps == [(app.code, app.agency_code)]
    # nothing due any more: a second run sends nothing, the mailbox still has three
    again = forward(host)
    assert (again.sent, again.retried, again.failed, again.batches) == (0, 0, 0, 0)
    assert len(mailbox_server.requests()) == 3


def test_the_same_item_sent_twice_is_recorded_once(host, mailbox_server):
    # rule MAIL-2: a forwarder killed after the mailbox took an item sends it again
    submit(1)
    forward(host)
    item = next(iter(feedback_rows().values()))
    adapter = Open311Adapter(mailbox_server.url, mailbox_server.api_key)
    try:
        again = adapter.submit(
            MailboxItem(
                feedback_id=item.id,
                idempotency_key=item.idempotency_key,
                description=item.description,
                requested_at=aware(item.requested_at),
                locale=item.locale,
                app_code="app-1",
                app_name="x",
                agency_code="x",
                agency_name="x",
            )
        )
    finally:
        adapter.close()
    assert again.service_request_id == item.service_request_id
    assert len(mailbox_server.requests()) == 1


def test_a_batch_costs_the_same_statements_whatever_its_size(host):
    forward(host)  # the rule parameters read once (the policy's cache)
    submit(4)
    with counting_queries(host) as few:
        assert forward(host, batch=50).sent == 4
    submit(40)
    with counting_queries(host) as many:
        assert forward(host, batch=50).sent == 40
    # claim, read the items, record (an executemany per table), the empty claim after
    assert len(many) == len(few)


def test_the_command_prints_what_it_sent(host, mailbox_server):
    submit(2)
    result = host.test_cli_runner().invoke(args=["appgov", "mailbox", "forward"])
    assert result.exit_code == 0, result.output
    assert "mailbox: 2 sent, 0 retried later (backing off), 0 failed" in result.output
    assert len(mailbox_server.requests()) == 2


def test_without_a_mailbox_the_command_says_so(host):
    host.config["APPGOV_MAILBOX_URL"] = None
    result = host.test_cli_runner().invoke(args=["appgov", "mailbox", "forward"])
    assert result.exit_code == 1
    assert "APPGOV_MAILBOX_URL is not set" in result.output


# -- back-off, the last attempt, the administrator's retry ----------------------------------


def test_back_off_then_parked_then_retried_by_an_administrator(host, own_mailbox_server):
    # rule MAIL-2: retried with back-off while the mailbox is unreachable
    mailbox_server = own_mailbox_server  # taken down and brought back: the test's own
    configure(
        host,
        mailbox_server,
        APPGOV_MAILBOX_BACKOFF_BASE=10,
        APPGOV_MAILBOX_BACKOFF_MAX=25,
        APPGOV_MAILBOX_MAX_ATTEMPTS=4,
    )
    settings = OutboxSettings.from_config(host.config)
    assert [backoff_ceiling(n, settings) for n in (1, 2, 3, 4)] == [10, 20, 25, 25]
    mailbox_server.stop()
    ids = submit(2)
    start = utcnow()
    moment = start
    for attempt in (1, 2, 3):
        totals = forward(host, now=lambda m=moment: m)
        assert (totals.sent, totals.retried, totals.failed) == (0, 2, 0), attempt
        ceiling = dt.timedelta(seconds=backoff_ceiling(attempt, settings))
        rows = outbox_rows()
        for feedback_id in ids:
            row = rows[feedback_id]
            assert (row.state, row.attempts) == ("pending", attempt)
            # equal jitter: between half the ceiling and the ceiling after this attempt
            assert moment + ceiling / 2 <= aware(row.next_attempt_at) <= moment + ceiling
            assert "unreachable" in row.last_error
        # not due before its time: nothing claimed
        too_early = moment + ceiling / 2 - dt.timedelta(seconds=1)
        early = forward(host, now=lambda m=too_early: m)
        assert early.batches == 0
        moment = moment + ceiling
    totals = forward(host, now=lambda: moment)
    assert (totals.sent, totals.retried, totals.failed) == (0, 0, 2)
    rows = outbox_rows()
    assert {rows[i].state for i in ids} == {"failed"} and {rows[i].attempts for i in ids} == {4}
    assert forward(host, now=lambda: moment + dt.timedelta(days=30)).batches == 0  # parked

    client = host.test_client()
    # the list: failed first, the retry button on failed rows only, no personal data
    login(client, "admin")
    page = client.get(OUTBOX_LIST).get_data(as_text=True)
    first, second = (outbox_rows()[i].id for i in ids)
    assert page.count('name="action" value="retry"') == 2
    # the state filter: the failed ones, or none of them among the sent
    failed = client.get(OUTBOX_LIST + "?flt0_0=failed").get_data(as_text=True)
    assert failed.count('name="action" value="retry"') == 2
    sent = client.get(OUTBOX_LIST + "?flt0_0=sent").get_data(as_text=True)
    assert 'name="action" value="retry"' not in sent
    # the administrator retries one row (its button), then the rest (the bulk action)
    response = client.post(
        "/admin/appgov_mailbox_outbox/action/",
        data={"action": "retry", "rowid": [str(first)], "url": OUTBOX_LIST},
    )
    assert response.status_code == 302
    row = outbox_rows()[ids[0]]
    assert (row.state, row.attempts) == ("pending", 0)
    assert row.last_error.startswith("retried by admin at ") and "unreachable" in row.last_error
    assert outbox_rows()[ids[1]].state == "failed"
    client.post(
        "/admin/appgov_mailbox_outbox/action/",
        data={"action": "retry", "rowid": [str(first), str(second)], "url": OUTBOX_LIST},
    )
    assert {r.state for r in outbox_rows().values()} == {"pending"}
    mailbox_server.start()
    totals = forward(host)
    assert (totals.sent, totals.failed) == (2, 0)
    assert {r.feedback_id for r in mailbox_server.requests()} == {str(i) for i in ids}


#: every demo role but the administrator's (the host's ``is_admin``)
NOT_ADMINS = ("staff", "head", "reviewer", "mayor", "itdept", "helpdesk", "officer")


def test_only_an_administrator_sees_or_retries_the_outbox(host, mailbox_server):
    configure(host, mailbox_server, APPGOV_MAILBOX_API_KEY="wrong")  # refused: parked
    [feedback_id] = submit(1)
    forward(host)
    row = outbox_rows()[feedback_id]
    assert row.state == "failed"
    retry = {"action": "retry", "rowid": [str(row.id)]}
    client = host.test_client()
    # nobody logged in: the host's log-in page, nothing retried
    assert client.get(OUTBOX_LIST).status_code in (302, 401)
    assert client.post("/admin/appgov_mailbox_outbox/action/", data=retry).status_code in (
        302,
        401,
    )
    for username in NOT_ADMINS:
        login(client, username)
        assert client.get(OUTBOX_LIST).status_code == 403, username
        response = client.post("/admin/appgov_mailbox_outbox/action/", data=retry)
        assert response.status_code == 403, username
    assert outbox_rows()[feedback_id].state == "failed"
    login(client, "admin")
    assert client.get(OUTBOX_LIST).status_code == 200


def test_the_outbox_list_shows_no_personal_data(host, mailbox_server):
    configure(host, mailbox_server, APPGOV_MAILBOX_API_KEY="wrong")
    submit(1, email="hidden.citizen@example.org", first_name="祕密", phone="0912345678")
    forward(host)
    client = host.test_client()
    login(client, "admin")
    page = client.get(OUTBOX_LIST).get_data(as_text=True)
    detail_id = next(iter(outbox_rows().values())).id
    detail = client.get(f"/admin/appgov_mailbox_outbox/details/?id={detail_id}")
    for text in (page, detail.get_data(as_text=True)):
        for personal in ("hidden.citizen", "祕密", "0912345678", "路燈不亮"):
            assert personal not in text


def test_a_refused_item_is_parked_at_once_with_the_mailboxs_words(host, mailbox_server):
    configure(host, mailbox_server, APPGOV_MAILBOX_API_KEY="not-the-key")
    [feedback_id] = submit(1)
    totals = forward(host)
    assert (totals.sent, totals.retried, totals.failed) == (0, 0, 1)
    row = outbox_rows()[feedback_id]
    assert (row.state, row.attempts) == ("failed", 1)
    assert row.last_error.startswith("HTTP 403: ") and len(row.last_error) > len("HTTP 403: ")
    assert mailbox_server.requests() == []


class _TroubledMailbox(http.server.BaseHTTPRequestHandler):
    """A mailbox in trouble, as the path of its base URL says: ``/busy`` (503), ``/throttle``
    (429, Retry-After 120), ``/refuse`` (400 with an Open311 error), ``/slow`` (answers
    after the client's timeout)."""

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        kind = self.path.split("/")[1]
        if kind == "slow":
            time.sleep(1)
        status, body, headers = {
            "busy": (503, b"<h1>Service Unavailable</h1>", {}),
            "throttle": (429, b"[]", {"Retry-After": "120"}),
            "refuse": (400, '[{"code": 400, "description": "description: 太長了"}]'.encode(), {}),
            "slow": (201, b'[{"service_request_id": "1"}]', {}),
        }[kind]
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", **headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        return None


@pytest.fixture
def troubled_mailbox():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _TroubledMailbox)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_the_open311_adapter_tells_retryable_from_permanent_answers(troubled_mailbox):
    item = MailboxItem(1, "key-1", "路燈不亮", utcnow(), "zh_Hant_TW", "app-1", "好行", "A", "a")

    def outcome(path):
        adapter = Open311Adapter(f"{troubled_mailbox}/{path}", "key", timeout=0.3)
        try:
            adapter.submit(item)
        except MailboxError as error:
            return error
        finally:
            adapter.close()
        raise AssertionError(f"{path}: no error")

    busy, throttled, refused, slow = (outcome(p) for p in ("busy", "throttle", "refuse", "slow"))
    assert busy.retryable and str(busy).startswith("HTTP 503: ")
    assert throttled.retryable and throttled.retry_after == 120
    assert not refused.retryable and str(refused) == "HTTP 400: description: 太長了"
    assert slow.retryable and "did not answer in time" in str(slow)
    closed_port = _free_port()
    adapter = Open311Adapter(f"http://127.0.0.1:{closed_port}", "key", timeout=0.3)
    with pytest.raises(RetryableError, match="unreachable"):
        adapter.submit(item)
    adapter.close()


def test_a_throttling_mailbox_is_left_alone_as_long_as_it_asks(host, troubled_mailbox):
    host.config["APPGOV_MAILBOX_URL"] = f"{troubled_mailbox}/throttle"
    [feedback_id] = submit(1)
    moment = utcnow()
    assert forward(host, now=lambda: moment).retried == 1
    row = outbox_rows()[feedback_id]
    # Retry-After: 120 beats the back-off's first wait (at most 30 s by default)
    assert aware(row.next_attempt_at) == moment + dt.timedelta(seconds=120)
    assert row.last_error.startswith("HTTP 429: ")


# -- the status sync ------------------------------------------------------------------------


def test_sync_brings_the_reply_and_the_closing_back(host, mailbox_server):
    ids = submit(2)
    forward(host)
    numbers = {i: feedback_rows()[i].service_request_id for i in ids}
    mailbox_server.reply(numbers[ids[0]], "路燈已於今日修復，謝謝您的來信。", close=True)
    result = host.test_cli_runner().invoke(args=["appgov", "mailbox", "sync"])
    assert result.exit_code == 0, result.output
    assert "2 open items asked, 1 changed (1 closed), 0 unknown" in result.output
    answered, waiting = feedback_rows()[ids[0]], feedback_rows()[ids[1]]
    assert answered.status == "closed"
    assert answered.status_notes == "路燈已於今日修復，謝謝您的來信。"
    assert answered.agency_responsible  # the mailbox names who handled it
    assert answered.synced_at is not None and waiting.synced_at is not None
    assert (waiting.status, waiting.status_notes) == ("open", None)
    # a closed item is not asked about again
    assert sync(host).asked == 1


def test_a_citizens_feedback_goes_and_the_reply_comes_back_over_open311(host, mailbox_server):
    """TN-MAIL-1 end to end: posted with a plain Open311 client, forwarded, answered and
    closed by the mailbox officer, synced, read back by the client (both languages)."""
    from appgov_plugin.mailbox import keys

    app = db.session.scalars(
        sa.select(App).where(App.status == "listed", App.linked_to_mayor_mailbox).limit(1)
    ).one()
    key = keys.issue(app.id, "citizen app", "admin")
    db.session.commit()
    citizen = host.test_client()
    posted = citizen.post(
        "/open311/v2/requests.json",
        data={"api_key": key, "service_code": app.code, "description": "公園的路燈不亮"},
    )
    assert posted.status_code == 201, posted.get_data(as_text=True)
    token = posted.get_json()[0]["token"]
    assert forward(host).sent == 1
    waiting = citizen.get(f"/open311/v2/tokens/{token}.json?api_key={key}").get_json()[0]
    number = waiting["service_request_id"]
    assert number == mailbox_server.requests()[0].service_request_id
    mailbox_server.reply(number, "已派員修復，謝謝您。", close=True)
    assert sync(host).closed == 1
    for language in ("zh-TW", "en"):
        answer = citizen.get(
            f"/open311/v2/requests/{number}.json?api_key={key}",
            headers={"Accept-Language": language},
        )
        assert answer.status_code == 200, language
        [case] = answer.get_json()
        assert (case["status"], case["status_notes"]) == ("closed", "已派員修復，謝謝您。")
        assert case["agency_responsible"]


def test_sync_without_the_mailbox_stops_with_a_message(host, own_mailbox_server):
    mailbox_server = own_mailbox_server  # taken down: the test's own
    configure(host, mailbox_server)
    submit(1)
    forward(host)
    mailbox_server.stop()
    result = host.test_cli_runner().invoke(args=["appgov", "mailbox", "sync"])
    assert result.exit_code == 1
    assert "mailbox sync stopped: the mailbox is unreachable" in result.output


# -- a city's own adapter: a throw-away hook module ---------------------------------------

CITY_ADAPTER = '''
"""A throw-away city adapter: its "mailbox" is a list in this module."""

from appgov_plugin import hookimpl
from appgov_plugin.mailbox.adapters import MailboxStatus, PermanentError, Receipt, RetryableError

RECEIVED = {}
STATUS_CALLS = []


class CityMailbox:
    def submit(self, item):
        if "busy" in item.description:
            raise RetryableError("the city's system is busy")
        if "refuse" in item.description:
            raise PermanentError("the city's system refuses it")
        number = RECEIVED.setdefault(item.idempotency_key, f"CITY-{len(RECEIVED) + 1}")
        return Receipt(number, "thank you")

    def statuses(self, service_request_ids):
        STATUS_CALLS.append(len(service_request_ids))
        return {n: MailboxStatus("closed", "done by the city", "City hall")
                for n in service_request_ids}


@hookimpl
def appgov_mailbox_adapter(app):
    return CityMailbox()
'''


def test_a_city_adapter_from_a_hook_module(tmp_path, database_url, monkeypatch):
    (tmp_path / "throwaway_city_mailbox.py").write_text(CITY_ADAPTER, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "throwaway_city_mailbox", raising=False)
    app, intranet_db, _ = make_intranet(
        database_url, APPGOV_POLICY_MODULES="throwaway_city_mailbox"
    )
    with app.app_context():
        migrations.upgrade(intranet_db.engine)
        from appgov_plugin.mailbox.intake import store_feedback

        city_app = App(name="臺南好行", agency_code="TN-TOUR", linked_to_mayor_mailbox=True)
        intranet_db.session.add(city_app)
        intranet_db.session.commit()
        texts = ["路燈不亮"] * 150 + ["busy now", "please refuse"]
        stored = [store_feedback(app=city_app, fields={"description": t}).id for t in texts]
        result = app.test_cli_runner().invoke(args=["appgov", "mailbox", "forward"])
        assert result.exit_code == 0, result.output
        assert "mailbox: 150 sent, 1 retried later (backing off), 1 failed" in result.output
        module = sys.modules["throwaway_city_mailbox"]
        assert len(module.RECEIVED) == 150
        from appgov_plugin.mailbox.models import Feedback, FeedbackOutbox

        numbers = intranet_db.session.scalars(
            sa.select(Feedback.service_request_id).where(Feedback.id.in_(stored[:150]))
        ).all()
        assert sorted(numbers) == sorted(module.RECEIVED.values())
        errors = dict(
            intranet_db.session.execute(
                sa.select(FeedbackOutbox.state, FeedbackOutbox.last_error).where(
                    FeedbackOutbox.feedback_id.in_(stored[150:])
                )
            ).all()
        )
        assert errors == {
            "pending": "the city's system is busy",
            "failed": "the city's system refuses it",
        }
        # the sync asks the city's system 100 numbers at a time
        totals = sync(app)
        assert module.STATUS_CALLS == [100, 50]
        assert (totals.asked, totals.changed, totals.closed) == (150, 150, 150)
        intranet_db.session.remove()
        intranet_db.engine.dispose()


# -- the hook's documentation (datasette style) ---------------------------------------------


def _hook_names():
    return {name for name in dir(mailbox_hookspecs) if name.startswith("appgov_")}


def test_every_mailbox_hook_is_documented():
    documented = set(re.findall(r"^## (appgov_\w+)\(", DOC.read_text(encoding="utf-8"), re.M))
    assert documented == _hook_names() == {"appgov_mailbox_adapter"}
    for name in _hook_names():
        assert getattr(mailbox_hookspecs, name).__doc__.strip(), name


def test_the_documented_adapter_runs(tmp_path):
    module = types.ModuleType("mailbox_doc_examples")
    module.hookimpl = appgov_plugin.hookimpl
    for block in re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S):
        exec(compile(textwrap.dedent(block), str(DOC), "exec"), module.__dict__)
    policy = appgov_plugin.get_policy("tainan", plugins=[module])  # check_pending()
    hook = policy.plugin_manager.hook.appgov_mailbox_adapter
    app = Flask("city")
    assert hook(app=app) is None  # no folder: the Open311 default, unset here too
    app.config["APPGOV_MAILBOX_URL"] = "http://127.0.0.1:9/open311/v2"
    default = hook(app=app)
    assert isinstance(default, Open311Adapter)
    default.close()
    app.config["CITY_MAILBOX_FOLDER"] = str(tmp_path / "drop")
    adapter = hook(app=app)
    item = MailboxItem(
        7, "key-7", "路燈不亮", utcnow(), "zh_Hant_TW", "app-1", "臺南好行", "A", "a"
    )
    assert adapter.submit(item) == adapter.submit(item) == "DROP-7"  # twice: one file
    assert len(list((tmp_path / "drop").glob("*.json"))) == 1
    (tmp_path / "drop" / "DROP-7.status.json").write_text(
        json.dumps({"status": "closed", "reply": "已處理"}), encoding="utf-8"
    )
    assert adapter.statuses(["DROP-7", "DROP-8"]) == {"DROP-7": MailboxStatus("closed", "已處理")}
    with pytest.raises(PermanentError):
        adapter.submit(MailboxItem(8, "k8", " ", utcnow(), "en", "app-1", "x", "A", "a"))
