"""The mayor-mailbox link as its people live it (issue 11, "Done when"; TN-EVAL-4, TN-MAIL-1,
MAIL-2), everything real on 127.0.0.1: one ``flask run`` of the sample host (appgov inside,
its demo data) whose own sample mailbox is the city's; Debian's Chromium for the people.

1. the administrator issues the app's Open311 key in Flask-Admin (shown once);
2. a citizen's app posts feedback with a plain Open311 client (httpx, form-encoded): 201 with
   a token, which names no mailbox number yet;
3. ``flask appgov mailbox forward`` (a process of its own, configured through the
   environment as a deployment is) delivers it: the token now resolves to the mailbox's
   number;
4. the mailbox officer finds the request in the mailbox's pages, replies and closes it;
5. ``flask appgov mailbox sync`` brings the reply and the closing back;
6. the agency's staff read them on the app page (the mailbox number, closed, the reply) in
   Traditional Chinese (ROC dates) and in English, and the citizen's name masked on the
   feedback page; the client's ``GET requests/<id>.json`` says closed, with the reply.

axe (WCAG 2.1 A/AA) checks the officer's request page and the feedback pages visited. The
README's screenshots of the same path: docs/screenshots/capture.py.
"""

from __future__ import annotations

import re

import pytest
from conftest import serve
from test_accessibility import _violations
from test_browser import chromium, log_in, switch_language

pytestmark = [pytest.mark.slow, pytest.mark.browser]

#: The sample host's own mailbox: its Open311 base below the host, and the demo's key.
MAILBOX_PATH = "/mailbox/open311/v2"
MAILBOX_KEY = "demo-mailbox-key"
#: The demo's listed app of the Tourism Bureau (the demo staff's agency), linked to the mailbox.
APP_ID = 1
CITIZEN = {"first_name": "美玲", "last_name": "陳", "email": "mei.chen@example.org"}
FEEDBACK = "安平古堡站的公車到站時間與實際不符，請協助更新。"
REPLY = "已請客運業者更新站牌資料，謝謝您的來信。"


@pytest.fixture
def host(database_url, tmp_path):
    """``flask run`` of the sample host on the test database: (base URL, instance dir)."""
    yield from serve(database_url, tmp_path)


@pytest.fixture
def browser():
    pytest.importorskip("axe_playwright_python")
    with chromium() as browser:
        yield browser


@pytest.fixture
def cron(host, database_url, monkeypatch):
    """``cron("forward")``: ``flask appgov mailbox forward`` (or ``sync``) as a deployment's
    cron runs it: the sample host made from the same database and instance folder, the
    mailbox named in the environment (the host's own: ``APPGOV_MAILBOX_URL``,
    ``APPGOV_MAILBOX_API_KEY``); the command's output. The command runs in this process
    (``test_cli_runner``: the same click command ``flask`` runs), which spares starting
    Python and the plug-ins once more for each command."""
    from sample_host import create_app
    from sample_host.extensions import db

    base, instance = host
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("APPGOV_MAILBOX_URL", base + MAILBOX_PATH)
    monkeypatch.setenv("APPGOV_MAILBOX_API_KEY", MAILBOX_KEY)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    app = create_app({"INSTANCE_PATH": str(instance)})

    def run(command: str) -> str:
        result = app.test_cli_runner().invoke(args=["appgov", "mailbox", command])
        assert result.exit_code == 0, result.output
        return result.output

    yield run
    with app.app_context():
        db.engine.dispose()


def issue_key(page, base: str) -> str:
    """The administrator issues the app's key in Flask-Admin; the page shows it once."""
    log_in(page, base, "admin")
    page.goto(base + "/admin/appgov_open311_keys/new/")
    page.select_option("select[name=app_id]", str(APP_ID))
    page.fill("input[name=label]", "citizen app (end-to-end test)")
    page.click("form:has(select[name=app_id]) button[type=submit]")
    key = page.input_value("#new-api-key")
    assert key.startswith("o311_"), key
    return key


def axe_clean(page, label: str, problems: list[str]) -> None:
    problems += [f"{label}: {found}" for found in _violations(page)]


def test_a_citizens_feedback_reaches_the_mailbox_and_the_reply_comes_back(host, browser, cron):
    import httpx

    base, _ = host
    problems = []
    context = browser.new_context(locale="zh-TW", viewport={"width": 1280, "height": 800})
    page = context.new_page()
    api_key = issue_key(page, base)

    # the citizen's app: a plain Open311 client, form-encoded
    with httpx.Client(base_url=base + "/open311/v2", timeout=30) as client:
        services = client.get("services.json").json()
        code = next(s["service_code"] for s in services if s["service_code"] == f"app-{APP_ID}")
        posted = client.post(
            "requests.json",
            data={"api_key": api_key, "service_code": code, "description": FEEDBACK, **CITIZEN},
        )
        assert posted.status_code == 201, posted.text
        assert posted.headers["content-type"].startswith("application/json")
        token = posted.json()[0]["token"]
        waiting = client.get(f"tokens/{token}.json", params={"api_key": api_key})
        assert waiting.status_code == 200, waiting.text
        assert waiting.json()[0]["service_request_id"] is None  # not forwarded yet

        # the forwarder, as cron runs it, to the sample host's own mailbox (MAIL-2)
        output = cron("forward")
        assert re.search(r"\b[1-9]\d* sent\b", output), output
        number = client.get(f"tokens/{token}.json", params={"api_key": api_key}).json()[0][
            "service_request_id"
        ]
        assert number, "the token resolves to the mailbox's number once forwarded"

        # the mailbox officer finds it among the requests, replies and closes it
        log_in(page, base, "officer")
        page.goto(base + "/mailbox/")
        row = page.locator(f'tr[data-request="{number}"]')
        assert row.count() == 1  # recorded once (MAIL-2)
        assert "處理中" in row.inner_text()
        row.get_by_role("link", name=number).click()
        assert FEEDBACK in page.locator(".mailbox-description").inner_text()
        assert page.locator("#mailbox-citizen").inner_text().strip() in ("陳美玲", "陳 美玲")
        axe_clean(page, "officer's request page", problems)
        page.fill("textarea[name=reply]", REPLY)
        page.check("input[name=close]")
        page.click("#mailbox-reply-form button[type=submit]")
        page.wait_for_load_state()
        assert page.locator("#mailbox-status").inner_text() == "已結案"
        assert page.locator("#mailbox-reply").inner_text() == REPLY

        # the status comes back to appgov
        output = cron("sync")
        assert re.search(r"\b[1-9]\d* closed\b", output), output
        assert " 0 unknown" in output, output  # the demo's forwarded items are in the mailbox

        # the agency's staff: the app page and the feedback page, in zh_Hant_TW then en
        log_in(page, base, "staff")
        for locale, closed, roc in (("zh_Hant_TW", "已結案", True), ("en", "Closed", False)):
            if locale == "en":
                switch_language(page, base, "en", f"/appgov/apps/{APP_ID}")
            page.goto(f"{base}/appgov/apps/{APP_ID}")
            item = page.locator("#mailbox tr", has_text=number)
            cells = item.inner_text()
            assert closed in cells and REPLY in cells, cells
            received = item.locator("td").nth(1).inner_text()
            assert re.fullmatch(
                r"1\d\d/\d\d/\d\d \d\d:\d\d" if roc else r"20\d\d-\d\d-\d\d \d\d:\d\d", received
            ), received  # TIME-5: ROC dates in zh

            page.goto(f"{base}/appgov/feedback?app={APP_ID}")
            mine = page.locator("table.feedback-list tbody tr", has_text=number)
            assert mine.locator("td.masked").inner_text() == "陳＊玲"  # the name masked
            assert "美玲" not in page.content() and CITIZEN["email"] not in page.content()
            axe_clean(page, f"feedback page ({locale})", problems)

        # the client's status query: closed, the officer's reply in status_notes
        answer = client.get(f"requests/{number}.json", params={"api_key": api_key})
        assert answer.status_code == 200, answer.text
        [case] = answer.json()
        assert (case["service_request_id"], case["status"]) == (number, "closed")
        assert case["status_notes"] == REPLY
    context.close()
    assert not problems, "\n".join(problems)
