"""Start-up configuration: instance folder, secret key, database URL and defaults.

Precedence everywhere: the ``test_config`` mapping given to :func:`sample_host.create_app`,
then environment variables, then files/defaults in the instance folder.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

DEFAULTS = {
    "BABEL_DEFAULT_LOCALE": "zh_Hant_TW",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Taipei",
    "SESSION_COOKIE_SAMESITE": "Lax",
    # werkzeug.security method for new password hashes; tests use a cheap pbkdf2.
    "PASSWORD_HASH_METHOD": "scrypt",
    # The appgov plug-in's pages extend the host's layout (it defines the block "content").
    "APPGOV_BASE_TEMPLATE": "base.html",
    # Cookies scripts cannot read (Flask's and Flask-Login's defaults, stated).
    "SESSION_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    # Served over HTTPS: Secure cookies, https URLs, HSTS (sample_host.security).
    "HOST_HTTPS": False,
    # Reverse proxies in front of the host whose X-Forwarded-* headers are trusted.
    "HOST_PROXIES": 0,
    # Log-in throttling (Flask-Limiter, sample_host.auth): failed attempts per account
    # (the typed username) and per client address. Memory storage counts per process: with
    # several workers or hosts use a shared one, e.g. redis://127.0.0.1:6379/0.
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_STRATEGY": "moving-window",
    "RATELIMIT_KEY_PREFIX": "sample_host",
    "RATELIMIT_HEADERS_ENABLED": True,
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    "HOST_LOGIN_LIMIT_PER_ACCOUNT": "5 per minute; 20 per hour",
    "HOST_LOGIN_LIMIT_PER_ADDRESS": "30 per minute; 200 per hour",
    # The largest request body accepted, in bytes: a case form with its uploaded files
    # (one file at most 50 MB, forms/*.toml max_size_mb) and its text. Larger: 413, the
    # friendly page of sample_host.errors naming the limit. Env: HOST_MAX_CONTENT_LENGTH.
    "MAX_CONTENT_LENGTH": 60 * 1024 * 1024,
}

#: Settings read from environment variables of the same name (after DEFAULTS, before
#: ``test_config``): name -> parser.
_FALSE = {"0", "false", "no", "off", ""}
ENVIRONMENT_SETTINGS = {
    "HOST_HTTPS": lambda value: value.strip().lower() not in _FALSE,
    "HOST_PROXIES": int,
    "RATELIMIT_ENABLED": lambda value: value.strip().lower() not in _FALSE,
    "RATELIMIT_STORAGE_URI": str,
    "HOST_LOGIN_LIMIT_PER_ACCOUNT": str,
    "HOST_LOGIN_LIMIT_PER_ADDRESS": str,
    "HOST_MAX_CONTENT_LENGTH": int,
    # the sample mayor mailbox's Open311 key (sample_host.mailbox; demo: demo-mailbox-key)
    "HOST_MAILBOX_API_KEY": str,
    # where appgov's forwarder sends citizens' feedback (the city's Open311 mailbox, e.g. the
    # sample host's own http://127.0.0.1:5000/mailbox/open311/v2) and the key it posts with
    "APPGOV_MAILBOX_URL": str,
    "APPGOV_MAILBOX_API_KEY": str,
    # the city profile of the demo deployment: tainan (default), kaohsiung or taipei
    "APPGOV_PROFILE": str,
    # the CJK font of appgov's PDF documents (default: Noto Sans CJK, fonts-noto-cjk)
    "APPGOV_PDF_FONT": str,
}

#: Seconds PostgreSQL connection attempts may take before start-up gives up.
POSTGRES_CONNECT_TIMEOUT = 10


class HostConfigError(click.ClickException, RuntimeError):
    """A start-up problem explained in one line.

    Being a :class:`click.ClickException`, ``flask run`` and ``flask db ...`` print it as a
    single ``Error: ...`` line and exit with status 1 instead of showing a traceback.
    """


def one_line(exc: BaseException) -> str:
    """The gist of ``exc`` on one line (the driver's own message for database errors)."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        exc = exc.orig
    text = " ".join(line.strip() for line in str(exc).splitlines() if line.strip())
    return text or type(exc).__name__


def mask_password(url: str) -> str:
    """``url`` with any password replaced by ``***`` (also for URLs SQLAlchemy cannot parse)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def database_error(app, reason: BaseException | str) -> HostConfigError:
    """The one-line error naming where the database URL came from and why it is unusable."""
    source = app.config["HOST_DATABASE_SOURCE"]
    url = mask_password(app.config["SQLALCHEMY_DATABASE_URI"])
    if isinstance(reason, BaseException):
        reason = one_line(reason)
    return HostConfigError(f"sample_host: cannot use {source} {url!r}: {reason}")


def ensure_instance_folder(app) -> None:
    """Create ``app.instance_path`` (SQLite file and secret key live there; a new folder is
    created 0700: only the account running the host may look inside)."""
    try:
        os.makedirs(app.instance_path, mode=0o700, exist_ok=True)
    except OSError as exc:
        raise HostConfigError(
            f"sample_host: cannot create the instance folder {app.instance_path}: "
            f"{exc.strerror or exc}"
        ) from exc


def load_secret_key(app) -> str:
    """``SECRET_KEY`` from the environment, else the key in ``instance/secret_key``.

    The file is generated on first use (mode 0600) and reused afterwards, so sessions
    survive restarts without any key written in the code.
    """
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = os.path.join(app.instance_path, "secret_key")
    if os.path.exists(path):
        return _read_secret_key(path)
    # written whole under a name of its own, then linked into place: a process starting at
    # the same moment (gunicorn's workers) finds no file or the whole key, never an empty one
    key = secrets.token_hex(32)
    draft = f"{path}.{os.getpid()}.{secrets.token_hex(4)}"
    try:
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(key + "\n")
        try:
            os.link(draft, path)
        except FileExistsError:  # another process was first: its key is the key
            return _read_secret_key(path)
    except OSError as exc:
        raise HostConfigError(
            f"sample_host: cannot write the secret key file {path}: {exc.strerror or exc}"
        ) from exc
    finally:
        if os.path.exists(draft):
            os.unlink(draft)
    return key


def _read_secret_key(path: str) -> str:
    try:
        with open(path, encoding="ascii") as handle:
            key = handle.read().strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise HostConfigError(
            f"sample_host: cannot read the secret key file {path}: {exc}"
        ) from exc
    if not key:
        raise HostConfigError(
            f"sample_host: the secret key file {path} is empty; delete it to generate a new key"
        )
    return key


def _database_url(app, test_config: Mapping) -> tuple[str, str]:
    """(URL, where it came from) following the documented precedence."""
    if test_config.get("SQLALCHEMY_DATABASE_URI"):
        return test_config["SQLALCHEMY_DATABASE_URI"], "SQLALCHEMY_DATABASE_URI"
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"], "DATABASE_URL"
    return "sqlite:///" + os.path.join(app.instance_path, "sample_host.sqlite"), "the database"


def configure_database(app, test_config: Mapping) -> None:
    """Set ``SQLALCHEMY_DATABASE_URI`` after checking that the URL parses.

    ``postgres://`` and ``postgresql://`` without a driver mean psycopg 3, the driver this
    host installs (SQLAlchemy would otherwise look for psycopg2).
    """
    url, source = _database_url(app, test_config)
    app.config["HOST_DATABASE_SOURCE"] = source
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise database_error(app, "this is not a database URL (dialect+driver://...)") from exc
    if parsed.drivername in {"postgres", "postgresql"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername.startswith("postgresql") and "connect_timeout" not in parsed.query:
        options = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
        options.setdefault("connect_args", {}).setdefault(
            "connect_timeout", POSTGRES_CONNECT_TIMEOUT
        )
    app.config["SQLALCHEMY_DATABASE_URI"] = parsed.render_as_string(hide_password=False)
    if parsed.drivername.startswith("sqlite"):
        create_private_sqlite_file(parsed.database)


def create_private_sqlite_file(database: str | None) -> None:
    """Create a new SQLite database file with mode 0600 before SQLite creates it 0644.

    The file holds the password hashes, like the secret key it is readable by its owner
    only; SQLite gives its journal and WAL files the mode of the database file. An existing
    file is left as it is; ``:memory:`` and ``file:`` URIs are SQLite's business.
    """
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    try:
        fd = os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    except OSError:
        return  # a missing folder or no permission: connecting reports it in one line
    os.close(fd)


def configure_https(app, test_config: Mapping) -> None:
    """``HOST_HTTPS`` sets the cookies' ``Secure`` flag and the URL scheme (unless given)."""
    https = bool(app.config["HOST_HTTPS"])
    for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if key not in test_config:
            app.config[key] = https
    if "PREFERRED_URL_SCHEME" not in test_config:
        app.config["PREFERRED_URL_SCHEME"] = "https" if https else "http"


def configure(app, test_config: Mapping) -> None:
    """Fill ``app.config``: defaults, environment, ``test_config``, secret key, database URL."""
    app.config.from_mapping(DEFAULTS)
    app.config["AUTO_SETUP"] = os.environ.get("SAMPLE_HOST_AUTO_SETUP", "1").lower() not in {
        "0",
        "false",
        "no",
    }
    for name, parse in ENVIRONMENT_SETTINGS.items():
        if name in os.environ:
            try:
                app.config[name] = parse(os.environ[name])
            except ValueError as exc:
                raise HostConfigError(f"sample_host: {name}={os.environ[name]!r}: {exc}") from exc
    if "HOST_MAX_CONTENT_LENGTH" in app.config:
        app.config["MAX_CONTENT_LENGTH"] = app.config["HOST_MAX_CONTENT_LENGTH"]
    app.config.from_mapping(test_config)
    configure_https(app, test_config)
    app.config["SECRET_KEY"] = test_config.get("SECRET_KEY") or load_secret_key(app)
    configure_database(app, test_config)
