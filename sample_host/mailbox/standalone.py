"""The sample mailbox alone on a port: ``python -m sample_host.mailbox.standalone --port
8311 --database /tmp/mailbox.sqlite`` (tests/mailbox_server.py starts it this way), or on
any database the host supports with ``--database-url``.

The whole sample host is served (the officer's pages need its layout and log-in), but no
plug-in is loaded and no demo data: the host's tables are created if missing
(``create_all``; a test mailbox, not a deployment: deployments migrate) and one officer is
added, ``officer`` / ``demo-officer``. Threaded, HTTP/1.1 keep-alive. SQLite in WAL mode,
so readers never wait for the writer. Prints ``ready <port>`` once it answers.
"""

from __future__ import annotations

import argparse
import os
import sys

import sqlalchemy as sa
from werkzeug.serving import WSGIRequestHandler, make_server

from .. import create_app
from ..extensions import db
from ..models import User

OFFICER = ("officer", "demo-officer")


class _KeepAliveHandler(WSGIRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_request(self, *args, **kwargs) -> None:  # one line per request is noise here
        return None


def build(url: str, api_key: str, instance: str):
    """The mailbox's application on the database ``url``, its tables and officer there."""
    app = create_app(
        {
            "AUTO_SETUP": False,
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": instance,
            "SECRET_KEY": "mailbox-" + os.path.basename(instance),
            "HOST_MAILBOX_API_KEY": api_key,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "RATELIMIT_ENABLED": False,
        },
        load_entrypoints=False,
    )
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            sa.event.listen(db.engine, "connect", _sqlite_pragmas)
            db.engine.dispose()  # the start-up check's connection had no pragmas
            with db.engine.begin() as connection:
                connection.exec_driver_sql("PRAGMA journal_mode=WAL")
        db.create_all()
        if db.session.scalar(sa.select(User.id).where(User.username == OFFICER[0])) is None:
            officer = User(
                username=OFFICER[0],
                display_name="市長信箱承辦人",
                role="mailbox_officer",
                email="officer@example.org",
            )
            officer.set_password(OFFICER[1])
            db.session.add(officer)
            db.session.commit()
        db.session.remove()
    return app


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--database", help="the SQLite file")
    where.add_argument("--database-url", help="a SQLAlchemy URL (PostgreSQL...)")
    parser.add_argument("--api-key", default="demo-mailbox-key")
    parser.add_argument("--instance", help="the instance folder (default: beside the file)")
    args = parser.parse_args(argv)
    if args.database:
        url = f"sqlite:///{os.path.abspath(args.database)}"
        instance = args.instance or os.path.join(os.path.dirname(args.database), "instance")
    else:
        url, instance = args.database_url, args.instance
        if not instance:
            parser.error("--instance is needed with --database-url")
    app = build(url, args.api_key, os.path.abspath(instance))
    server = make_server(
        "127.0.0.1", args.port, app, threaded=True, request_handler=_KeepAliveHandler
    )
    print(f"ready {server.port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    sys.exit(0)


if __name__ == "__main__":
    main()
