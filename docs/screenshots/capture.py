"""Take the README's screenshots: the sample host with appgov, in Traditional Chinese and English.

    python docs/screenshots/capture.py [--out docs/screenshots]

Starts ``flask --app sample_host run`` on a new SQLite database in a temporary folder (the demo
data is seeded on first start), logs in with Debian's Chromium through Playwright and saves:

* ``inbox-<lang>.png`` -- the reviewer's inbox with the demo proposal waiting;
* ``case-<lang>.png`` -- that case: its data, the decision form, the history;
* ``policy-<lang>.png`` -- the rules in force with their parameters (top of the page);
* ``parameter-form-<lang>.png`` -- an administrator's rule-parameter change form;
* ``inbox-zh-390.png`` -- the inbox at phone width (390 px);
* ``mailbox-request-zh.png`` -- the mailbox officer's page of a citizen's feedback, replied
  and closed (the feedback posted over Open311, sent by ``flask appgov mailbox forward``);
* ``app-mailbox-<lang>.png`` -- the app page's mayor-mailbox section after ``flask appgov
  mailbox sync``: the mailbox number, closed, the reply.

``<lang>`` is ``zh`` (zh_Hant_TW) or ``en``; desktop shots are 1280 px wide.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
MAX_HEIGHT = 2200  # px: long pages are cut here


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(tmp: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp / 'screens.sqlite'}"}
    env.pop("SECRET_KEY", None)
    app = f"sample_host:create_app({{'INSTANCE_PATH': {str(tmp / 'instance')!r}}})"
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", app, "run", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"flask run exited:\n{process.stdout.read()}")
        try:
            urllib.request.urlopen(base + "/login", timeout=2)
            return process, base
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("flask run did not answer within 60 s")


def log_in(page, base: str, username: str) -> None:
    page.goto(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", f"demo-{username}")
    page.click("main button[type=submit]")
    page.wait_for_load_state()


FAILED: list[str] = []


def visit(page, url: str) -> None:
    response = page.goto(url)
    if response is None or response.status >= 400:
        FAILED.append(f"{url}: HTTP {response.status if response else '?'}")


def shoot(page, path: Path) -> None:
    height = page.evaluate("document.documentElement.scrollHeight")
    width = page.viewport_size["width"]
    page.screenshot(
        path=str(path),
        full_page=True,
        clip={"x": 0, "y": 0, "width": width, "height": min(height, MAX_HEIGHT)},
    )
    print(f"  {path.relative_to(REPO) if path.is_relative_to(REPO) else path}")


def first_parameter_link(page, base: str) -> str:
    page.goto(base + "/admin/appgov_parameters/")
    links = page.eval_on_selector_all(
        "a[href^='/admin/appgov_parameters/']", "els => els.map(e => e.getAttribute('href'))"
    )
    links = [link for link in links if link.rstrip("/") != "/admin/appgov_parameters"]
    if not links:
        raise SystemExit("no rule parameter to change on /admin/appgov_parameters/")
    return links[0]


MAILBOX_KEY = "demo-mailbox-key"  # the sample host's own mailbox (sample_host/mailbox)


def mailbox_command(base: str, tmp: Path, command: str) -> None:
    """``flask appgov mailbox <command>`` on the screenshots' host, its own mailbox named in
    the environment (as the README tells a deployment)."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp / 'screens.sqlite'}",
        "APPGOV_MAILBOX_URL": f"{base}/mailbox/open311/v2",
        "APPGOV_MAILBOX_API_KEY": MAILBOX_KEY,
    }
    env.pop("SECRET_KEY", None)
    app = f"sample_host:create_app({{'INSTANCE_PATH': {str(tmp / 'instance')!r}}})"
    flask = [sys.executable, "-m", "flask", "--app", app, "appgov", "mailbox", command]
    done = subprocess.run(flask, cwd=REPO, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"flask appgov mailbox {command}: {done.stdout}{done.stderr}")


def capture_mailbox(browser, base: str, tmp: Path, out: Path) -> None:
    """A citizen's feedback through the mayor mailbox and back (issue 11)."""
    import httpx

    context = browser.new_context(locale="zh-TW", viewport={"width": 1280, "height": 800})
    page = context.new_page()
    log_in(page, base, "admin")  # the app's Open311 key, issued in Flask-Admin
    visit(page, base + "/admin/appgov_open311_keys/new/")
    page.select_option("select[name=app_id]", "1")
    page.fill("input[name=label]", "screenshots")
    page.click("form:has(select[name=app_id]) button[type=submit]")
    key = page.input_value("#new-api-key")
    feedback = {
        "api_key": key,
        "service_code": "app-1",
        "description": "安平古堡站的公車到站時間與實際不符，請協助更新。",
        "first_name": "美玲",
        "last_name": "陳",
        "email": "mei.chen@example.org",
    }
    with httpx.Client(base_url=f"{base}/open311/v2") as client:
        token = client.post("requests.json", data=feedback).json()[0]["token"]
        mailbox_command(base, tmp, "forward")
        answer = client.get(f"tokens/{token}.json", params={"api_key": key}).json()
    number = answer[0]["service_request_id"]
    log_in(page, base, "officer")
    visit(page, f"{base}/mailbox/requests/{number}")
    page.fill("textarea[name=reply]", "已請客運業者更新站牌資料，謝謝您的來信。")
    page.check("input[name=close]")
    page.click("#mailbox-reply-form button[type=submit]")
    page.wait_for_load_state()
    shoot(page, out / "mailbox-request-zh.png")
    mailbox_command(base, tmp, "sync")
    log_in(page, base, "staff")
    for tag in ("zh", "en"):
        visit(page, f"{base}/appgov/apps/1")
        if tag == "en":  # the layout's language button (a POST form)
            page.click('header button[lang="en"]')
            page.wait_for_load_state()
        target = out / f"app-mailbox-{tag}.png"
        page.locator("#mailbox").screenshot(path=str(target))
        print(f"  {target.relative_to(REPO) if target.is_relative_to(REPO) else target}")
    context.close()


def capture(base: str, out: Path, tmp: Path) -> None:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        for locale, tag in (("zh_Hant_TW", "zh"), ("en", "en")):
            context = browser.new_context(
                locale="zh-TW" if tag == "zh" else "en-US",
                viewport={"width": 1280, "height": 800},
            )
            page = context.new_page()
            page.goto(f"{base}/locale/{locale}")
            log_in(page, base, "reviewer")
            visit(page, base + "/inbox")
            shoot(page, out / f"inbox-{tag}.png")
            if tag == "zh":
                page.set_viewport_size({"width": 390, "height": 844})
                shoot(page, out / "inbox-zh-390.png")
                page.set_viewport_size({"width": 1280, "height": 800})
            visit(page, base + "/cases/1")
            shoot(page, out / f"case-{tag}.png")
            visit(page, base + "/appgov/policy")
            shoot(page, out / f"policy-{tag}.png")
            log_in(page, base, "staff")
            visit(page, base + "/cases/new/appgov_app_proposal")  # the Tainan self-assessment
            shoot(page, out / f"self-assessment-{tag}.png")
            log_in(page, base, "admin")
            visit(page, base + first_parameter_link(page, base))
            shoot(page, out / f"parameter-form-{tag}.png")
            visit(page, base + "/admin/appgov_forms/tn_self_assessment/edit")
            shoot(page, out / f"form-editor-{tag}.png")
            context.close()
        capture_mailbox(browser, base, tmp, out)
        browser.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=HERE, help="folder for the PNG files")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="appgov-screens-") as tmp:
        process, base = start_server(Path(tmp))
        try:
            print(f"sample host at {base}; screenshots:")
            capture(base, args.out.resolve(), Path(tmp))
        finally:
            process.terminate()
            process.communicate(timeout=10)
    if FAILED:
        print("pages that did not answer (their screenshots show the error):", *FAILED, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
