"""PostgreSQL going away while the site runs: a translated 503 "try again in a moment" (HTML
and JSON, host and appgov pages), one log line per failed request, and recovery without a
restart once the database is back.

The outage is real: the test creates a database of its own, cuts its connections with
``pg_terminate_backend`` and refuses new ones with ``ALTER DATABASE ... ALLOW_CONNECTIONS
false`` (the shared ``test`` database is never touched).
"""

from __future__ import annotations

import json
import logging
import uuid

import pytest
import sqlalchemy as sa
from conftest import IN_CI, _admin_engine, _postgres_available, _schema_url
from intranet import make_intranet

from sample_host import create_app
from sample_host.extensions import db

TERMINATE = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :n"


@pytest.fixture
def outage_database():
    """(URL of a new schema of the test database, reached as a login role of its own,
    ``cut()``, ``restore()``); dropped after. The outage is the role's: ``NOLOGIN`` refuses
    new connections and ``pg_terminate_backend`` cuts the open ones (a database of its own
    would cost a checkpoint at each ``DROP DATABASE``, tens of seconds under load)."""
    problem = _postgres_available()
    if problem:
        if IN_CI:
            pytest.fail(problem)
        pytest.skip(problem)
    name = f"appgov_outage_{uuid.uuid4().hex[:10]}"
    admin = _admin_engine()
    with admin.connect() as conn:
        # a superuser: the demo's tables, replayed by the suite's own role, are its to use
        conn.exec_driver_sql(f'CREATE ROLE "{name}" SUPERUSER LOGIN')
        conn.exec_driver_sql(f'CREATE SCHEMA "{name}" AUTHORIZATION "{name}"')

    def cut():
        with admin.connect() as conn:
            conn.exec_driver_sql(f'ALTER ROLE "{name}" NOLOGIN')
            conn.execute(sa.text(TERMINATE), {"n": name})

    def restore():
        with admin.connect() as conn:
            conn.exec_driver_sql(f'ALTER ROLE "{name}" LOGIN')

    url = sa.engine.make_url(_schema_url(name)).set(username=name)
    try:
        yield url.render_as_string(hide_password=False), cut, restore
    finally:
        cut()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{name}" CASCADE')
            conn.exec_driver_sql(f'DROP OWNED BY "{name}"')
            conn.exec_driver_sql(f'DROP ROLE "{name}"')


@pytest.fixture
def app(outage_database, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    url, _, _ = outage_database
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "test",
            "WTF_CSRF_ENABLED": False,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        }
    )
    capsys.readouterr()  # the demo logins
    yield app
    with app.app_context():
        db.engine.dispose()


TITLES = {
    "zh_Hant_TW": "服務暫時無法使用",
    "en": "The service is unavailable for a moment",
}
AGAIN = {"zh_Hant_TW": "請稍後再試", "en": "Try again in a moment"}


def _logged_in(app):
    client = app.test_client()
    response = client.post("/login", data={"username": "staff", "password": "demo-staff"})
    assert response.status_code == 302
    return client


@pytest.mark.parametrize("path", ["/inbox", "/appgov/", "/appgov/policy", "/cases/1"])
def test_database_away_is_a_translated_503_then_recovers(app, outage_database, caplog, path):
    _, cut, restore = outage_database
    client = _logged_in(app)
    assert client.get(path).status_code == 200
    anonymous = app.test_client()
    assert anonymous.get("/login").status_code == 200

    cut()
    caplog.clear()
    with caplog.at_level(logging.INFO):
        answers = {
            locale: client.get(path, headers={"Accept-Language": locale.split("_")[0]})
            for locale in ("zh_Hant_TW", "en")
        }
        as_json = client.get(path, headers={"Accept": "application/json"})
        login = anonymous.post("/login", data={"username": "staff", "password": "demo-staff"})
    for locale, response in answers.items():
        body = response.get_data(as_text=True)
        assert response.status_code == 503, body
        assert response.headers["Retry-After"] == "30"
        assert response.content_type.startswith("text/html")
        assert TITLES[locale] in body and AGAIN[locale] in body
        assert 'lang="' + ("en" if locale == "en" else "zh-Hant-TW") in body
        assert "Traceback" not in body and "OperationalError" not in body
    assert as_json.status_code == 503
    assert as_json.headers["Retry-After"] == "30"
    payload = json.loads(as_json.get_data(as_text=True))
    assert payload["status"] == 503 and payload["title"] == TITLES["zh_Hant_TW"]
    assert login.status_code == 503  # the log-in form, anonymously

    # one line per failed request, naming it, without a traceback
    records = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(records) == 4, [r.getMessage() for r in records]
    for record in records:
        assert record.exc_info is None and record.exc_text is None
        assert "database unavailable" in record.getMessage()
        assert "\n" not in record.getMessage()
    assert sum(path in r.getMessage() for r in records) == 3

    restore()  # back without restarting the app
    response = client.get(path)
    assert response.status_code == 200
    assert anonymous.get("/login").status_code == 200


def test_appgov_in_an_intranet_without_error_pages_answers_a_plain_503(outage_database, caplog):
    """appgov in a host that has no error pages (tests/intranet.py): Werkzeug's plain 503 with
    appgov's message in the reader's language, one log line, not a 500."""
    url, cut, restore = outage_database
    app, database, _ = make_intranet(url, APPGOV_AUTO_UPGRADE=True)
    client = app.test_client()
    client.get("/_login/clerk")
    assert client.get("/appgov/").status_code == 200
    cut()
    caplog.clear()
    with caplog.at_level(logging.INFO):
        answers = {
            lang: client.get("/appgov/", headers={"Accept-Language": lang})
            for lang in ("zh-TW", "en")
        }
    assert {response.status_code for response in answers.values()} == {503}
    assert {response.headers["Retry-After"] for response in answers.values()} == {"30"}
    assert "目前無法連上資料庫" in answers["zh-TW"].get_data(as_text=True)
    assert "Try again in a moment" in answers["en"].get_data(as_text=True)
    records = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(records) == 2 and all(r.exc_info is None for r in records), records
    restore()
    assert client.get("/appgov/").status_code == 200
    with app.app_context():
        database.engine.dispose()
