"""The README's serve command: a real ``flask run`` answering over HTTP on 127.0.0.1."""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(database_url, tmp_path):
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": database_url}
    env.pop("SECRET_KEY", None)
    app_spec = f"sample_host:create_app({{'INSTANCE_PATH': {str(tmp_path / 'instance')!r}}})"
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", app_spec, "run", "--port", str(port)],
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
            pytest.fail(f"flask run exited: {process.stdout.read()}")
        try:
            urllib.request.urlopen(base + "/login", timeout=2)
            break
        except OSError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("flask run did not answer within 60 s")
    yield base, tmp_path / "instance"
    process.terminate()
    output = process.communicate(timeout=10)[0]
    assert "demo-admin" in output  # the demo logins were printed on first start


@pytest.mark.slow
def test_flask_run_serves_the_pages_after_login(server):
    base, instance = server
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login_page = opener.open(base + "/login").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page)
    token = token or re.search(r'name="csrf_token" value="([^"]+)"', login_page)
    form = {"username": "admin", "password": "demo-admin", "csrf_token": token.group(1)}
    opener.open(base + "/login", data=urllib.parse.urlencode(form).encode())
    for path in ("/", "/inbox", "/admin/", "/appgov/"):
        response = opener.open(base + path)
        assert response.status == 200, path
        assert response.url == base + path, f"{path} redirected to {response.url}"
    assert (instance / "secret_key").exists()
