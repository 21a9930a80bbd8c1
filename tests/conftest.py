"""Shared fixtures.

Database-backed tests take the ``database_url`` fixture, which is parametrised over SQLite
(a file in the test's tmp dir) and PostgreSQL (a fresh schema per test in the server named
by ``APPGOV_TEST_POSTGRES_URL``, default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``).
An unreachable PostgreSQL skips those tests locally and fails them in CI (``CI=true``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_babel import Babel
from intranet import make_intranet
from mailbox_server import (  # noqa: F401  (the live sample mailbox)
    mailbox_server,
    own_mailbox_server,
    shared_mailbox_server,
)

from appgov_plugin import migrations
from sample_host import create_app
from sample_host.config import ENVIRONMENT_SETTINGS
from sample_host.extensions import db


def _lazy_url_builders() -> None:
    """Compile each URL rule's builder on its first ``url_for`` instead of when the rule is
    added. The suite builds a host for nearly every test, and werkzeug compiles two Python
    functions per rule at ``add_url_rule`` (over a hundred rules with Flask-Admin's views):
    a fifth of a host's start-up, for builders most tests never call. What a builder
    answers is unchanged (the same compilation, later); a served process compiles them once."""
    from werkzeug.routing.rules import Rule

    compile_builder = Rule._compile_builder

    def lazy(rule, append_unknown=True):
        name = "_build_unknown" if append_unknown else "_build"

        def build(bound, **values):
            compiled = compile_builder(bound, append_unknown).__get__(bound, None)
            setattr(bound, name, compiled)
            return compiled(**values)

        return build

    Rule._compile_builder = lazy


_lazy_url_builders()

POSTGRES_URL = os.environ.get(
    "APPGOV_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

_postgres_error: list[str] = []


def _postgres_available() -> str | None:
    """None when PostgreSQL answers, else the reason (checked once per run)."""
    if not _postgres_error:
        try:
            engine = sa.create_engine(POSTGRES_URL)
            with engine.connect() as conn:
                conn.execute(sa.text("select 1"))
            engine.dispose()
            _postgres_error.append("")
        except Exception as exc:  # any driver or network error means "not reachable"
            _postgres_error.append(f"PostgreSQL at {POSTGRES_URL} unreachable: {exc}")
    return _postgres_error[0] or None


#: The system catalogs every test schema adds rows to and drops them from.
CATALOGS = (
    "pg_attribute",
    "pg_class",
    "pg_depend",
    "pg_type",
    "pg_constraint",
    "pg_index",
    "pg_attrdef",
    "pg_namespace",
    "pg_trigger",
    "pg_sequence",
    "pg_shdepend",
)


def _vacuum_catalogs() -> None:
    """VACUUM the system catalogs of the test database. Each PostgreSQL test creates and
    drops a schema of some forty tables; with autovacuum off (a server's setting, seen on
    CI machines) the dead catalog rows pile up run after run (800 MB of ``pg_attribute``
    seen) and every CREATE and DROP slows down. Done before and after the run, once (the
    xdist controller, or a run without workers); a server that is away is left alone."""
    if _postgres_available():
        return
    engine = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("VACUUM " + ", ".join(f"pg_catalog.{t}" for t in CATALOGS)))
    except sa.exc.DBAPIError:  # not the owner of the catalogs: a server of its own rules
        pass
    finally:
        engine.dispose()


def pytest_sessionstart(session):
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        _vacuum_catalogs()


def pytest_sessionfinish(session, exitstatus):
    if _POOL:
        _drop_pool()
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        _vacuum_catalogs()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """An empty database on each backend; tables are the test's own business."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'appgov-test.sqlite'}"
        return
    problem = _postgres_available()
    if problem:
        if IN_CI:
            pytest.fail(problem)
        pytest.skip(problem)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin_engine = _admin_engine()
    with admin_engine.connect() as conn:
        _watch_ddl(conn.connection.driver_connection)
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _schema_url(schema)
    finally:
        forget_ddl = sa.text(f"DELETE FROM {DDL_LOG} WHERE schema_name = :s")
        key = _COPIED.pop(schema, None)
        if key is None or not _back_to_pool(schema, key):
            with admin_engine.connect() as conn:
                conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
                conn.execute(forget_ddl, {"s": schema})


_ADMIN_ENGINE: list[sa.Engine] = []


def _admin_engine() -> sa.Engine:
    """One autocommit engine per worker for creating and dropping test schemas."""
    if not _ADMIN_ENGINE:
        _ADMIN_ENGINE.append(sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT"))
    return _ADMIN_ENGINE[0]


def _schema_url(schema: str) -> str:
    """The test schema's URL. Commits do not wait for the WAL to reach the disk
    (``synchronous_commit=off``): a test database is thrown away, and most of a PostgreSQL
    test's time was spent waiting for fsync."""
    options = f"-csearch_path={schema} -csynchronous_commit=off"
    url = sa.engine.make_url(POSTGRES_URL).update_query_dict({"options": options})
    return url.render_as_string(hide_password=False)


#: PostgreSQL schemas of this worker holding a demo exactly as its template left it, by
#: template key: the next test of that template gets one renamed to its own schema name (a
#: catalog update) instead of replaying the template's dump (some 300 DDL statements), and
#: gives it back with its data reset. Each PostgreSQL test used to create and drop a schema
#: of fifty tables; with autovacuum off (CI's server) the dead catalog rows slowed every
#: later one.
_POOL: dict[str, list[str]] = {}
#: The test schemas a template was copied into, this worker: {schema: template key}.
_COPIED: dict[str, str] = {}
#: How often each pooled or copied schema was reset (by its current name); every
#: :data:`TRUNCATE_EVERY`-th reset truncates instead of deleting, which also drops the
#: dead rows the deletes leave (autovacuum is off on CI's server).
_RESETS: dict[str, int] = {}
TRUNCATE_EVERY = 20
#: Schemas a DDL statement touched since their copy was made (an event trigger writes it):
#: a test that migrates, adds or drops a table gives back a schema that is dropped instead.
DDL_LOG = "public.appgov_test_ddl_log"
_DDL_WATCH = f"""
SELECT pg_advisory_lock(74221);
CREATE TABLE IF NOT EXISTS {DDL_LOG} (schema_name text);
CREATE INDEX IF NOT EXISTS appgov_test_ddl_log_schema ON {DDL_LOG} (schema_name);
CREATE OR REPLACE FUNCTION public.appgov_test_ddl_end() RETURNS event_trigger
LANGUAGE plpgsql AS $$ BEGIN
  INSERT INTO {DDL_LOG} SELECT DISTINCT schema_name FROM pg_event_trigger_ddl_commands()
  WHERE schema_name LIKE 't\\_%';
END $$;
CREATE OR REPLACE FUNCTION public.appgov_test_ddl_drop() RETURNS event_trigger
LANGUAGE plpgsql AS $$ BEGIN
  INSERT INTO {DDL_LOG} SELECT DISTINCT schema_name FROM pg_event_trigger_dropped_objects()
  WHERE schema_name LIKE 't\\_%';
END $$;
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = 'appgov_test_ddl_end') THEN
    CREATE EVENT TRIGGER appgov_test_ddl_end ON ddl_command_end
      EXECUTE FUNCTION public.appgov_test_ddl_end();
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = 'appgov_test_ddl_drop') THEN
    CREATE EVENT TRIGGER appgov_test_ddl_drop ON sql_drop
      EXECUTE FUNCTION public.appgov_test_ddl_drop();
  END IF;
END $$;
SELECT pg_advisory_unlock(74221);
"""
_WATCHING: list[bool] = []


def _watch_ddl(driver) -> None:
    """The DDL log's event triggers, once per worker (idempotent, under a lock)."""
    if not _WATCHING:
        driver.execute(_DDL_WATCH)
        _WATCHING.append(True)


def _back_to_pool(schema: str, key: str) -> bool:
    """Reset the demo data of ``schema`` (a copy of template ``key``) and keep it in the pool
    under a name of its own; ``False`` when a DDL statement touched it or the reset failed
    (the caller drops it). The reset, triggers off as in a restore
    (``session_replication_role = replica``): every table emptied, then the template's rows
    and sequence values, in one round trip. ``DELETE`` empties the demo's small tables in a
    hundredth of a second where ``TRUNCATE`` (new files for fifty tables and their indexes)
    takes a fifth; every :data:`TRUNCATE_EVERY`-th reset truncates."""
    data = _SEEDED[key][0].with_name("demo_data.sql") if _SEEDED.get(key) else None
    if data is None or not data.exists():
        return False
    with _admin_engine().connect() as conn:
        dirty = conn.scalar(
            sa.text(f"SELECT EXISTS (SELECT 1 FROM {DDL_LOG} WHERE schema_name = :s)"),
            {"s": schema},
        )
        if dirty:
            return False
        tables = conn.scalars(
            sa.text("SELECT tablename FROM pg_tables WHERE schemaname = :s"), {"s": schema}
        ).all()
        pooled = f"t_pool_{uuid.uuid4().hex[:12]}"
        resets = _RESETS.pop(schema, 0) + 1
        if resets % TRUNCATE_EVERY == 0:
            empty = f"TRUNCATE {', '.join(f'{schema}.{t}' for t in tables)};"
        else:
            empty = "".join(f"DELETE FROM {schema}.{t};" for t in tables)
        driver = conn.connection.driver_connection
        try:
            driver.execute(
                "SET lock_timeout = '10s'; SET session_replication_role = replica; "
                + empty
                + data.read_text().replace("{schema}.", f"{schema}.")
                + f'; RESET ALL; ALTER SCHEMA "{schema}" RENAME TO "{pooled}"'
            )
        except Exception:  # a lock not given up, a row the reset cannot restore
            driver.execute("RESET ALL")
            return False
    _POOL.setdefault(key, []).append(pooled)
    _RESETS[pooled] = resets
    return True


def _drop_pool() -> None:
    if not _POOL:
        return
    with _admin_engine().connect() as conn:
        for names in _POOL.values():
            for name in names:
                conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        conn.execute(sa.text(f"DELETE FROM {DDL_LOG} WHERE schema_name LIKE 't\\_pool\\_%'"))
    _POOL.clear()


REPO = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(database_url, tmp_path):
    """``flask --app sample_host run`` on a free port of 127.0.0.1: (base URL, instance dir)."""
    yield from serve(database_url, tmp_path)


def serve(database_url, tmp_path, **config):
    """Run the sample host with ``config`` (e.g. ``APPGOV_PROFILE``) until the generator is
    closed: yields (base URL, instance dir)."""
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": database_url}
    env.pop("SECRET_KEY", None)
    settings = {"INSTANCE_PATH": str(tmp_path / "instance"), **config}
    app_spec = f"sample_host:create_app({settings!r})"
    # the server's output goes to a file: a pipe nobody reads fills up (64 KiB of request
    # log lines) and the server then hangs on its next log line
    log_path = tmp_path / "flask-run.log"
    log = open(log_path, "w", encoding="utf-8")  # noqa: SIM115 (closed when the server ends)
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", app_spec, "run", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.close()
            pytest.fail(f"flask run exited: {log_path.read_text(encoding='utf-8')}")
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
    process.wait(timeout=10)
    log.close()
    assert "demo-admin" in log_path.read_text(encoding="utf-8")  # the first start's logins


#: Demo databases this worker found seeded, by backend and configuration: the SQLite file,
#: or the PostgreSQL schema's dump (a file; its name as ``{schema}``), and the instance folder.
_SEEDED: dict[str, tuple[Path, Path] | None] = {}
_SEED_SCHEMA = "seedtmpl"
#: Settings only requests read (forms, limits, error pages, log-in throttling): the demo data
#: is the same whatever they are, so a template is seeded without them and shared by the
#: configurations that differ in them alone, instead of one more seeding for each such test.
REQUEST_SETTINGS = frozenset(
    {
        "WTF_CSRF_ENABLED",
        "MAX_CONTENT_LENGTH",
        "PROPAGATE_EXCEPTIONS",
        "RATELIMIT_ENABLED",
        "HOST_PROXIES",
        "HOST_LOGIN_LIMIT_PER_ACCOUNT",
        "HOST_LOGIN_LIMIT_PER_ADDRESS",
    }
)


def _schema_of(database_url: str) -> str | None:
    options = sa.engine.make_url(database_url).query.get("options", "")
    match = re.search(r"search_path=(\w+)", options)
    return match.group(1) if match else None


def _is_empty(database_url: str) -> bool:
    if database_url.startswith("sqlite:///"):
        return not Path(sa.engine.make_url(database_url).database or "").exists()
    with _admin_engine().connect() as conn:  # a pooled connection: no new session per test
        return not conn.scalar(
            sa.text("SELECT count(*) FROM information_schema.tables WHERE table_schema = :s"),
            {"s": _schema_of(database_url)},
        )


def _dump_schema(schema: str, *, data_only: bool = False) -> str:
    """The schema's tables, data, sequences and triggers as SQL (``data_only``: its rows and
    sequence values), its name as ``{schema}``."""
    url = sa.engine.make_url(POSTGRES_URL)
    command = ["pg_dump", "-h", url.host or "127.0.0.1", "-p", str(url.port or 5432)]
    command += ["-U", url.username or "postgres", "-n", schema, "--no-owner", "--no-privileges"]
    command += ["--inserts", "--rows-per-insert=500", url.database]
    if data_only:
        command.append("--data-only")
    dump = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    # no psql meta-commands (\restrict) or comments; the schema exists already
    kept = [
        line for line in dump.splitlines() if not line.startswith(("--", "\\", "CREATE SCHEMA"))
    ]
    return "\n".join(kept).replace(f"{schema}.", "{schema}.")


def _seed(test_config, where: Path, backend: str) -> tuple[Path, Path] | None:
    where.mkdir(parents=True)
    if backend == "sqlite":
        url = f"sqlite:///{where / 'demo.sqlite'}"
    else:
        schema = f"{_SEED_SCHEMA}_{uuid.uuid4().hex[:12]}"
        with _admin_engine().connect() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        url = _schema_url(schema)
    config = {
        **test_config,
        "SQLALCHEMY_DATABASE_URI": url,
        "INSTANCE_PATH": str(where / "instance"),
    }
    # seeded in a process of its own: nothing a test patched in this one (the clock, a
    # hook) reaches the demo data every later test of the worker starts from
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")}
    script = (
        "import json, sys; from sample_host import create_app; create_app(json.load(sys.stdin))"
    )
    seeded = subprocess.run(
        [sys.executable, "-c", script],
        input=json.dumps(config),
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    if seeded.returncode != 0:  # a configuration the host refuses: the test's host says so
        if backend != "sqlite":
            with _admin_engine().connect() as conn:
                conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        return None
    if backend == "sqlite":
        return where / "demo.sqlite", where / "instance"
    try:
        (where / "demo.sql").write_text(_dump_schema(schema))
        (where / "demo_data.sql").write_text(_dump_schema(schema, data_only=True))
        return where / "demo.sql", where / "instance"
    finally:
        with _admin_engine().connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))


def _shared_seed(key: str, test_config, root: Path, backend: str) -> tuple[Path, Path] | None:
    """The template for ``key``, seeded once per run: the pytest-xdist workers share the
    folder ``root`` and take turns under a lock on it, so whichever worker needs a template
    first seeds it and the others read its files (its SQLite file, its PostgreSQL dump)."""
    import fcntl

    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    where = root / digest
    with open(root / f"{digest}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
        if (where / "refused").exists():
            return None
        if (where / "done").exists():
            name = "demo.sqlite" if backend == "sqlite" else "demo.sql"
            return where / name, where / "instance"
        shutil.rmtree(where, ignore_errors=True)  # a worker that died while seeding
        seeded = _seed(test_config, where, backend)
        (where / ("done" if seeded else "refused")).touch()
        return seeded


def _seeded_copy(database_url, tmp_path, test_config, root: Path) -> None:
    """Give a new, empty test database the demo data of ``test_config`` by copying one seeded
    once per run (a SQLite file; a PostgreSQL schema replayed from its dump), with its
    instance folder (the demo's uploaded files), instead of seeding it again: the host finds
    its tables at head and its users there, as after any restart. A database that holds
    tables already is left to the host."""
    backend = "sqlite" if database_url.startswith("sqlite:///") else "postgresql"
    if not _is_empty(database_url):
        return
    instance = Path(test_config["INSTANCE_PATH"])
    # the host reads some settings from the environment (a test may set APPGOV_PROFILE
    # there): they are part of the configuration a template is seeded for
    environment = sorted(
        (name, os.environ[name])
        for name in (*ENVIRONMENT_SETTINGS, "SAMPLE_HOST_AUTO_SETUP")
        if name in os.environ
    )
    seed_config = {k: v for k, v in test_config.items() if k not in REQUEST_SETTINGS}
    key = (
        backend
        + repr(
            sorted(
                (k, repr(v))
                for k, v in seed_config.items()
                if k not in ("SQLALCHEMY_DATABASE_URI", "INSTANCE_PATH")
            )
        )
        + repr(environment)
    )
    try:
        json.dumps(seed_config)
    except TypeError:
        return  # a configuration only this process holds (a callable): seeded by the host
    if key not in _SEEDED:
        _SEEDED[key] = _shared_seed(key, seed_config, root, backend)
    if _SEEDED[key] is None:
        return
    source, source_instance = _SEEDED[key]
    if backend == "sqlite":
        shutil.copyfile(source, sa.engine.make_url(database_url).database)
    else:
        target = _schema_of(database_url)
        with _admin_engine().connect() as conn:  # the dump's statements in one round trip
            driver = conn.connection.driver_connection
            pooled = _POOL.get(key)
            if pooled:  # a copy made before, its data as the template's: renamed
                taken = pooled.pop()
                driver.execute(
                    f'DROP SCHEMA "{target}"; ALTER SCHEMA "{taken}" RENAME TO "{target}"'
                )
                _RESETS[target] = _RESETS.pop(taken, 0)
            else:
                dump = source.read_text()
                driver.execute(dump.replace("{schema}.", f"{target}."))
                driver.execute("RESET ALL")  # the dump's session settings end here
            # the copy's own DDL is not the test's
            conn.execute(sa.text(f"DELETE FROM {DDL_LOG} WHERE schema_name = :s"), {"s": target})
        _COPIED[target] = key
    if source_instance.exists() and not instance.exists():
        shutil.copytree(source_instance, instance)


@pytest.fixture(scope="session")
def _seeded_root(tmp_path_factory):
    """The demo templates' folder, one for the whole run: under pytest-xdist the parent of
    the workers' own temporary folders, which they share."""
    base = tmp_path_factory.getbasetemp()
    root = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "seeded-hosts"
    root.mkdir(exist_ok=True)
    return root


@pytest.fixture
def sample_host_factory(database_url, tmp_path, monkeypatch, _seeded_root):
    """``make(plugins=(), load_entrypoints=True, **config)``: a sample host on the test
    database (cheap password hashes, instance folder in tmp, no log-in throttling);
    engines disposed after. A new SQLite database of the stock host (no extra plug-ins)
    starts as a copy of one seeded once per configuration (:func:`_seeded_copy`)."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    apps = []

    def make(plugins=(), *, load_entrypoints=True, **config):
        test_config = {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "test",
            "WTF_CSRF_ENABLED": False,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            # Log-in throttling off: tests log in (and fail to) many times from 127.0.0.1;
            # tests/test_security.py turns it on (RATELIMIT_ENABLED=True).
            "RATELIMIT_ENABLED": False,
            **config,
        }
        if not plugins and load_entrypoints:
            _seeded_copy(database_url, tmp_path, test_config, _seeded_root)
        app = create_app(test_config, plugins=plugins, load_entrypoints=load_entrypoints)
        apps.append(app)
        return app

    yield make
    for app in apps:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def make_host(sample_host_factory):
    """``make_host(profile)``: the sample host with appgov found through its entry point."""
    return lambda profile="tainan": sample_host_factory(APPGOV_PROFILE=profile)


@pytest.fixture
def babel_app():
    """A bare Flask app with Flask-Babel (zh_Hant_TW by default), for request contexts."""
    app = Flask(__name__)
    app.config.update(SECRET_KEY="t", BABEL_DEFAULT_LOCALE="zh_Hant_TW")
    Babel(app)
    return app


@pytest.fixture
def intranet_app(database_url):
    """The test intranet (tests/intranet.py) on the test database, migrated; the app
    alone: each request gets its own context (and its own locale)."""
    app, db, _ = make_intranet(database_url, WTF_CSRF_ENABLED=False)
    with app.app_context():
        migrations.upgrade(db.engine)
    yield app, db
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def appgov_context(database_url):
    """(app, db, appgov state) of the test intranet, migrated, inside an app context: for
    tests that call appgov's functions without requests."""
    app, db, _ = make_intranet(database_url)
    with app.app_context():
        migrations.upgrade(db.engine)
        yield app, db, app.extensions["appgov"]
        db.session.remove()
        db.engine.dispose()


#: Modules whose tests take tens of seconds each without being marked ``slow`` (crawls, servers).
LONG_MODULES = frozenset({"test_fuzz.py", "test_page_walk.py", "test_startup.py"})


def _on_postgresql_needlessly(item) -> bool:
    """A test marked ``backend_independent`` in its PostgreSQL run: what it checks does not
    depend on the database (its SQLite run checks it), so the suite's time goes to the
    tests whose subject is the data layer -- queries, scope, constraints, migrations, races,
    queues -- which run on both."""
    callspec = getattr(item, "callspec", None)
    return (
        callspec is not None
        and callspec.params.get("database_url") == "postgresql"
        and item.get_closest_marker("backend_independent") is not None
    )


def pytest_collection_modifyitems(config, items):
    """Leave out the PostgreSQL runs of backend-independent tests; then the modules of the
    longest tests first (a test marked ``slow``, a crawl), each module kept together and
    every group in the order collected: pytest-xdist then hands the short tests out as
    workers come free, and no worker is left running a long test alone at the end of the
    run."""
    needless = [item for item in items if _on_postgresql_needlessly(item)]
    if needless:
        config.hook.pytest_deselected(items=needless)
        items[:] = [item for item in items if not _on_postgresql_needlessly(item)]
    long_modules = LONG_MODULES | {
        item.path.name for item in items if item.get_closest_marker("slow") is not None
    }
    items.sort(key=lambda item: item.path.name not in long_modules)
