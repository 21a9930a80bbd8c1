"""The ``mailbox_server`` fixture: the sample host's mayor mailbox as a real HTTP server on
127.0.0.1 (a process of its own, ``python -m sample_host.mailbox.standalone``), on a free
port and its own SQLite file in the test's tmp dir, for tests that talk Open311 to it.

``server.url`` is the Open311 base (``http://127.0.0.1:<port>/mailbox/open311/v2``),
``server.api_key`` its key. ``server.stop()`` takes the mailbox down (the process ends, the
port is closed); ``server.start()`` brings it back on the same port and database.
``server.requests()`` reads the rows on the mailbox side from its database.
``server.reply(number, text, close=True)`` answers a request as the officer does: logged in
over HTTP, through the request's page and its reply form (CSRF token included);
``server.close_request(number)`` closes one the same way.

``mailbox_server`` is shared by the tests of one pytest-xdist worker (one process, port and
file, started once), its requests deleted before each test: a start costs a second or more
and most tests only post to it. A test that takes the mailbox down and brings it back uses
``own_mailbox_server``: a process, port and file of its own, stopped after the test.
"""

from __future__ import annotations

import http.cookiejar
import re
import select
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

REPO = Path(__file__).resolve().parents[1]
API_KEY = "test-mailbox-key"
OFFICER = ("officer", "demo-officer")
#: How long a start may take before the fixture gives up (it takes about a second).
START_TIMEOUT = 30


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class MailboxRow:
    """One request as the mailbox stored it."""

    id: int
    service_request_id: str
    idempotency_key: str | None
    description: str
    status: str
    status_notes: str | None
    feedback_id: str | None


class MailboxServer:
    """A sample mailbox process; see the module's docstring."""

    def __init__(self, directory: Path, api_key: str = API_KEY, database_url: str | None = None):
        """``database_url``: another database than the SQLite file in ``directory``."""
        self.directory = directory
        self.database = directory / "mailbox.sqlite"
        self.database_url = database_url or f"sqlite:///{self.database}"
        self._engine: sa.Engine | None = None
        self.api_key = api_key
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.url = f"{self.base}/mailbox/open311/v2"
        self.process: subprocess.Popen | None = None
        self.log = directory / "mailbox.log"

    # -- the process --------------------------------------------------------------------

    def start(self) -> MailboxServer:
        """Start the server (again) on its port and database; returns once it answers."""
        if self.process is not None and self.process.poll() is None:
            return self
        command = [sys.executable, "-m", "sample_host.mailbox.standalone"]
        command += ["--port", str(self.port), "--database-url", self.database_url]
        command += ["--instance", str(self.directory / "instance"), "--api-key", self.api_key]
        with open(self.log, "a", encoding="utf-8") as log:
            self.process = subprocess.Popen(
                command, cwd=REPO, stdout=subprocess.PIPE, stderr=log, text=True
            )
        deadline = time.monotonic() + START_TIMEOUT
        # "ready <port>" once it listens; nothing within the timeout: a hung start
        readable, _, _ = select.select([self.process.stdout], [], [], START_TIMEOUT)
        line = self.process.stdout.readline() if readable else ""
        if not line.startswith("ready"):
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None
            pytest.fail(f"the mailbox did not start: {self.log.read_text(encoding='utf-8')}")
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.02)
        pytest.fail("the mailbox did not answer")

    def stop(self) -> None:
        """Take the mailbox down: the process ends and its port is closed."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process.stdout.close()
        self.process = None

    def empty(self) -> None:
        """Delete every request (and the officer's actions on them) on the mailbox side: the
        state of a new mailbox for the next test, its officer kept."""
        with self._connect_engine().begin() as connection:
            connection.execute(sa.text("DELETE FROM host_mailbox_action"))
            connection.execute(sa.text("DELETE FROM host_mailbox_request"))

    def _connect_engine(self) -> sa.Engine:
        if self._engine is None:
            self._engine = sa.create_engine(self.database_url, poolclass=sa.pool.NullPool)
        return self._engine

    def dispose(self) -> None:
        """Stop the server and let go of the database."""
        self.stop()
        if self._engine is not None:
            self._engine.dispose()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    # -- the mailbox side -----------------------------------------------------------------

    def requests(self) -> list[MailboxRow]:
        """Every request stored on the mailbox side, in the order received."""
        with self._connect_engine().connect() as connection:
            rows = connection.execute(
                sa.text(
                    "SELECT id, service_request_id, idempotency_key, description, status,"
                    " status_notes, feedback_id FROM host_mailbox_request ORDER BY id"
                )
            ).all()
        return [MailboxRow(*row) for row in rows]

    def officer(self) -> OfficerSession:
        """A browser-like session of the mailbox officer, logged in."""
        return OfficerSession(self.base)

    def reply(self, number: str, text: str, *, close: bool = True) -> None:
        """Reply to request ``number`` (and close it) as the officer, over HTTP."""
        self.officer().reply(number, text, close=close)

    def close_request(self, number: str) -> None:
        self.officer().post(f"/mailbox/requests/{number}/close", page=f"/mailbox/requests/{number}")


_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class OfficerSession:
    """Pages of the mailbox over HTTP with cookies, as the officer's browser sees them."""

    def __init__(self, base: str, username: str = OFFICER[0], password: str = OFFICER[1]):
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))
        self.post("/login", {"username": username, "password": password}, page="/login")

    def get(self, path: str) -> tuple[int, str]:
        try:
            with self.opener.open(self.base + path, timeout=30) as response:
                return response.status, response.read().decode("utf-8")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8")

    def post(self, path: str, data: dict | None = None, *, page: str) -> tuple[int, str]:
        """POST ``data`` with the CSRF token of ``page`` (as the browser's form would)."""
        status, html = self.get(page)
        match = _CSRF.search(html)
        assert match, f"no CSRF token on {page} ({status})"
        body = urllib.parse.urlencode({"csrf_token": match[1], **(data or {})}).encode()
        try:
            with self.opener.open(self.base + path, data=body, timeout=30) as response:
                return response.status, response.read().decode("utf-8")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8")

    def reply(self, number: str, text: str, *, close: bool = True) -> None:
        data = {"reply": text, **({"close": "y"} if close else {})}
        status, html = self.post(
            f"/mailbox/requests/{number}/reply", data, page=f"/mailbox/requests/{number}"
        )
        assert status == 200 and "mailbox-reply" in html, (status, html[:500])


@pytest.fixture(scope="session")
def shared_mailbox_server(tmp_path_factory):
    """The sample mailbox of this worker, started once (see the module's docstring)."""
    server = MailboxServer(tmp_path_factory.mktemp("mailbox"))
    server.start()
    yield server
    server.dispose()


@pytest.fixture
def mailbox_server(shared_mailbox_server):
    """The worker's sample mailbox on 127.0.0.1 (see :class:`MailboxServer`), running and
    without requests; not to be stopped (``own_mailbox_server`` is)."""
    shared_mailbox_server.start()  # up again should a test have left it down
    shared_mailbox_server.empty()
    return shared_mailbox_server


@pytest.fixture
def own_mailbox_server(tmp_path_factory):
    """A sample mailbox of the test's own, to stop and start again; stopped after."""
    server = MailboxServer(tmp_path_factory.mktemp("own-mailbox"))
    server.start()
    yield server
    server.dispose()
