"""The README's serve command: a real ``flask run`` answering over HTTP on 127.0.0.1."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.parse
import urllib.request

import pytest


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
