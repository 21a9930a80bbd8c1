"""Start-up as production runs it: a damaged SQLite file is one clear line, and several
gunicorn workers starting on an empty database migrate and seed it exactly once (the
start-up lock in ``sample_host.database.setup_lock``)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
import sqlalchemy as sa
from conftest import REPO, _free_port

from sample_host import HostConfigError, create_app
from sample_host.demo import USERS
from sample_host.extensions import db

#: gunicorn of this environment (the ``test`` extra installs it, as ``server`` does).
GUNICORN = shutil.which("gunicorn", path=os.path.dirname(sys.executable)) or "gunicorn"


def _damage(path, how: str) -> None:
    """Garbage instead of a database, or a valid header followed by overwritten pages."""
    if how == "garbage":
        path.write_bytes(b"this is not a database\x00\xff" * 400)
        return
    app = create_app(
        {"INSTANCE_PATH": str(path.parent), "SECRET_KEY": "t", "PASSWORD_HASH_METHOD": "pbkdf2"}
    )
    with app.app_context():
        db.engine.dispose()
    with open(path, "r+b") as handle:
        handle.seek(4096)
        handle.write(b"\xff" * 40_000)


@pytest.mark.parametrize("how", ["garbage", "overwritten pages"])
def test_damaged_sqlite_file_is_one_line_naming_it(tmp_path, monkeypatch, capsys, how):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    path = tmp_path / "sample_host.sqlite"
    _damage(path, how)
    capsys.readouterr()
    with pytest.raises(HostConfigError) as info:
        create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "t"})
    message = str(info.value)
    assert "\n" not in message
    assert str(path) in message
    assert "damaged or not a database" in message
    assert "Traceback" not in capsys.readouterr().out


@pytest.mark.parametrize("command", [["run", "--port", "0"], ["routes"]])
def test_damaged_sqlite_file_flask_command_prints_one_error_line(tmp_path, command):
    path = tmp_path / "sample_host.sqlite"
    _damage(path, "garbage")
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SECRET_KEY"}}
    spec = f"sample_host:create_app({{'INSTANCE_PATH': {str(tmp_path)!r}}})"
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", spec, *command],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith("Error: sample_host: the SQLite file ")
    assert str(path) in lines[0]


def _count(database_url, sql):
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(sql)).scalar()
    finally:
        engine.dispose()


def test_gunicorn_workers_start_together_on_an_empty_database(database_url, tmp_path):
    """``gunicorn -w 3`` on a new database: every worker boots, the tables are migrated and
    the demo data loaded exactly once, and the site answers."""
    workers = 3
    port = _free_port()
    log = tmp_path / "gunicorn.log"
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env["DATABASE_URL"] = database_url
    spec = f"sample_host:create_app({{'INSTANCE_PATH': {str(tmp_path / 'instance')!r}}})"
    config = tmp_path / "gunicorn_conf.py"
    config.write_text(
        "def post_worker_init(worker):\n    worker.log.info('worker %s has the app', worker.pid)\n"
    )
    command = [GUNICORN, "-w", str(workers), "-b", f"127.0.0.1:{port}", "-c", str(config), spec]
    with open(log, "w") as output:
        process = subprocess.Popen(
            command,
            cwd=REPO,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 25
        status = None
        while time.monotonic() < deadline and process.poll() is None:
            text = log.read_text()
            booted = text.count("Booting worker with pid")
            try:
                status = urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5).status
            except (OSError, urllib.error.HTTPError):
                status = None
            if status == 200 and booted >= workers and text.count("has the app") >= workers:
                break  # every worker's create_app has returned
            time.sleep(0.3)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    text = log.read_text()
    assert status == 200, text
    assert text.count("Booting worker with pid") == workers, text
    assert text.count("has the app") == workers, text
    assert "Traceback" not in text and "Worker exited" not in text, text
    assert "UniqueViolation" not in text and "IntegrityError" not in text, text
    assert text.count("demo data loaded") == 1, text  # seeded by exactly one worker
    assert _count(database_url, "select count(*) from host_user") == len(USERS)
    assert _count(database_url, "select count(*) from host_user where username = 'admin'") == 1
    assert _count(database_url, "select count(*) from alembic_version") == 1
    assert _count(database_url, "select count(*) from appgov_alembic_version") == 1


def test_host_setup_is_a_deployment_step_of_its_own(database_url, tmp_path):
    """``SAMPLE_HOST_AUTO_SETUP=0`` workers leave the database alone; ``flask host setup``
    migrates and seeds it once, and is a no-op the second time."""
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env.update(DATABASE_URL=database_url, SAMPLE_HOST_AUTO_SETUP="0")
    spec = f"sample_host:create_app({{'INSTANCE_PATH': {str(tmp_path / 'instance')!r}}})"

    def flask(*args):
        result = subprocess.run(
            [sys.executable, "-m", "flask", "--app", spec, *args],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    flask("routes")  # a start with AUTO_SETUP off creates nothing
    engine = sa.create_engine(database_url)
    try:
        assert "host_user" not in sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()
    first = flask("host", "setup")
    assert "demo data loaded" in first and "up to date" in first
    second = flask("host", "setup")
    assert "demo data loaded" not in second and "up to date" in second
    assert _count(database_url, "select count(*) from host_user") == len(USERS)
    assert _count(database_url, "select count(*) from appgov_alembic_version") == 1
