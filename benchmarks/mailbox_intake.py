"""Benchmark: the Open311 intake (``POST {prefix}/requests.json``) on one server process.

A sample host on a fresh database (SQLite in a temporary folder, PostgreSQL in a throw-away
schema of ``APPGOV_BENCH_POSTGRES_URL``, default ``APPGOV_TEST_POSTGRES_URL`` or
``postgresql+psycopg://postgres@127.0.0.1:5432/test``; or ``--database-url`` of an empty
database) is migrated and seeded with its demo data, and one API key is issued for a listed
app linked to the mayor mailbox. Then it is served over real HTTP on 127.0.0.1 by ONE
process: gunicorn with one ``gthread`` worker of one thread -- one request at a time, as
gunicorn's ``sync`` worker, but keeping connections alive (the ``sync`` worker closes every
connection after its answer, so every request would pay a new TCP connection; werkzeug's
single-threaded server keeps one connection to itself until it closes, so concurrent
clients would wait for each other's connections rather than for the server).

Three ways, measured in the same run, round by round in a rotating order, ``--requests``
items each per round, median of ``--rounds`` rounds:

- ``intake`` -- ``POST {prefix}/requests.json`` with the key and a citizen's feedback (an
  Open311 form of 200 characters of Chinese text, a name, e-mail, phone, device and
  location): the product's path, every answer checked to be 201;
- ``bare``   -- the same Flask application answering ``POST /bench/bare.json`` with a JSON
  201 and no storage (a route registered on the benchmark's own application object only,
  exempt from CSRF like the API; the same form posted): what the framework, the sample
  host and appgov cost for any request before its own work;
- ``floor``  -- a loop doing only the same INSERT of the feedback row and of its outbox row
  and the COMMIT, one transaction per item, through SQLAlchemy Core on the application's
  own engine (one connection held): the storage floor.

The HTTP client is another process (``--client``): ``--concurrency`` threads, each with its
own keep-alive ``httpx.Client``, enough to keep the one server thread busy. Requests per
second are items over the round's wall time; p50/p99 latency over all requests of all
rounds (for HTTP: sent to answered, as the client sees it, queueing included).

Durability: intake and floor write to the same database through the same engine, with the
settings the sample host leaves in force, read back from the server's own connection and
printed (SQLite: ``journal_mode``, ``synchronous``; PostgreSQL: ``synchronous_commit``,
``fsync``, ``wal_sync_method``). Rate limits: on, at a ceiling no run reaches
(``APPGOV_OPEN311_LIMIT_PER_KEY`` and ``..._PER_ADDRESS`` ``1000000 per minute``), so their
cost is in the figures, counted in the product's default ``memory://`` storage
(``--limits redis``: in ``APPGOV_BENCH_REDIS_URL``, default ``redis://127.0.0.1:6379/15``,
as production counts; ``--limits off``: none).

Targets: intake at least 50 % of the storage floor's items per second on SQLite and
PostgreSQL. The forwarder's items per second: ``benchmarks/mailbox_reliability.py``.

Usage: ``python benchmarks/mailbox_intake.py [--db sqlite --db postgresql] [--rounds 5]
[--requests 400] [--concurrency 4] [--limits memory|redis|off] [--quick]``
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as dt
import decimal
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import sqlalchemy as sa
from bench_database import Database, each_database

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

#: A limit no run reaches: the limiter counts every request, refuses none.
HIGH_LIMIT = "1000000 per minute"
#: ``--limits redis``: the counters in this Redis (``APPGOV_BENCH_REDIS_URL``).
REDIS_URL = os.environ.get("APPGOV_BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
SECRET = "benchmark-mailbox-intake"
BARE_PATH = "/bench/bare.json"
SETTINGS_PATH = "/bench/settings.json"
PROFILE_PATH = "/bench/profile.json"
#: A citizen's feedback as an app's feedback page posts it (200 characters of text).
SENTENCE = "民生路與公園路口的路燈連續三天沒有亮，晚上行人經過很危險，請儘速派員修理。"
DESCRIPTION = (SENTENCE * 6)[:200]
FEEDBACK = {
    "description": DESCRIPTION,
    "first_name": "小明",
    "last_name": "王",
    "email": "citizen@example.org",
    "phone": "06-2991111",
    "device_id": "bench-device-0001",
    "lat": "22.992000",
    "long": "120.185000",
    "address_string": "臺南市中西區民生路二段",
    "locale": "zh_Hant_TW",
}
WAYS = ("intake", "bare", "floor")


# -- the application served (gunicorn imports this module: server_app) ------------------------


def host_config(url: str, instance: str, limits: str) -> dict:
    """The sample host's settings; ``limits``: ``memory``, ``redis`` (counters in
    :data:`REDIS_URL`) or ``off``."""
    return {
        "SQLALCHEMY_DATABASE_URI": url,
        "INSTANCE_PATH": instance,
        "SECRET_KEY": SECRET,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "APPGOV_PROFILE": "tainan",
        "RATELIMIT_ENABLED": limits != "off",
        "APPGOV_RATELIMIT_STORAGE_URI": REDIS_URL if limits == "redis" else "memory://",
        "APPGOV_OPEN311_LIMIT_PER_KEY": HIGH_LIMIT,
        "APPGOV_OPEN311_LIMIT_PER_ADDRESS": HIGH_LIMIT,
    }


def durability(connection) -> dict[str, str]:
    """The durability settings in force on ``connection``."""
    if connection.dialect.name == "sqlite":
        return {
            name: str(connection.exec_driver_sql(f"PRAGMA {name}").scalar())
            for name in ("journal_mode", "synchronous")
        }
    return {
        name: str(connection.exec_driver_sql(f"SHOW {name}").scalar())
        for name in ("synchronous_commit", "fsync", "wal_sync_method")
    }


def server_app():
    """The sample host of the benchmark's database (environment ``BENCH_*``), with the
    ``bare`` baseline route and the settings route added to this application object only."""
    from flask import current_app, request

    from sample_host import create_app
    from sample_host.extensions import csrf, db

    app = create_app(
        {
            **host_config(
                os.environ["BENCH_DATABASE_URL"],
                os.environ["BENCH_INSTANCE"],
                os.environ["BENCH_LIMITS"],
            ),
            "AUTO_SETUP": False,  # migrated and seeded by the benchmark before
        }
    )

    def bare():
        request.form.get("description")  # the same form read, nothing stored
        body = json.dumps([{"token": "bench", "service_notice": ""}])
        return current_app.response_class(body, status=201, mimetype="application/json")

    def settings():
        with db.engine.connect() as connection:
            return durability(connection)

    app.add_url_rule(BARE_PATH, "bench_bare", csrf.exempt(bare), methods=["POST"])
    app.add_url_rule(SETTINGS_PATH, "bench_settings", settings)
    if os.environ.get("BENCH_PROFILE"):
        profile_intake(app, os.environ["BENCH_PROFILE"])
    return app


def profile_intake(app, path: str) -> None:
    """``--profile``: cProfile the whole WSGI call of every intake request in the server;
    ``GET /bench/profile.json`` writes the statistics to ``path``."""
    import cProfile

    profiler = cProfile.Profile()
    intake_path = app.config["APPGOV_OPEN311_PREFIX"] + "/requests.json"
    wsgi_app = app.wsgi_app

    def profiled(environ, start_response):
        if environ.get("PATH_INFO") != intake_path:
            return wsgi_app(environ, start_response)
        profiler.enable()
        try:
            return list(wsgi_app(environ, start_response))
        finally:
            profiler.disable()

    def dump():
        profiler.dump_stats(path)
        return {"written": path}

    app.wsgi_app = profiled
    app.add_url_rule(PROFILE_PATH, "bench_profile", dump)


# -- the database ---------------------------------------------------------------------------


def prepare(database: Database, limits: str):
    """Migrate and seed; issue the benchmark's key. (host, api_key, service_code)."""
    from appgov_plugin.apps.models import App
    from appgov_plugin.mailbox import keys
    from sample_host import create_app
    from sample_host.extensions import db

    host = create_app(host_config(database.url, f"{database.folder}/instance", limits))
    with host.app_context():
        app = db.session.scalars(
            sa.select(App)
            .where(App.status == "listed", App.linked_to_mayor_mailbox.is_(True))
            .order_by(App.id)
            .limit(1)
        ).one()
        key = keys.issue(app.id, "benchmark", "benchmark")
        code = app.code
        db.session.commit()
        db.session.remove()
    return host, key, code


# -- the server -----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn: one process, one gthread worker with one thread (see the module's text)."""

    def __init__(self, database: Database, limits: str, profile: str | None = None):
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "BENCH_DATABASE_URL": database.url,
            "BENCH_INSTANCE": f"{database.folder}/instance",
            "BENCH_LIMITS": limits,
            "BENCH_PROFILE": profile or "",
            "PYTHONPATH": os.pathsep.join(
                filter(None, (str(REPO / "benchmarks"), str(REPO), os.environ.get("PYTHONPATH")))
            ),
        }
        env.pop("SECRET_KEY", None)
        self.log = open(Path(database.folder) / "gunicorn.log", "w+", encoding="utf-8")  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "gunicorn",
                "--workers", "1", "--worker-class", "gthread", "--threads", "1",
                "--keep-alive", "60", "--backlog", "64",
                "--bind", f"127.0.0.1:{self.port}",
                "mailbox_intake:server_app()",
            ],
            cwd=REPO, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        import urllib.request

        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.log.seek(0)
                raise SystemExit(f"gunicorn exited:\n{self.log.read()}")
            try:
                with urllib.request.urlopen(self.base + SETTINGS_PATH, timeout=5) as answer:
                    self.settings = json.loads(answer.read())
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise SystemExit("gunicorn did not answer within 60 s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


# -- the client (another process) -------------------------------------------------------------


def client_main(base: str, concurrency: int) -> None:
    """Read ``<way> <count> <json form>`` lines; answer each with a JSON line of the round's
    wall time, latencies and status codes. ``threads`` keep-alive clients post at once."""
    import httpx

    local = threading.local()

    def post(path: str, form: dict) -> tuple[float, int]:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = httpx.Client(base_url=base, timeout=60)
        started = time.perf_counter()
        response = client.post(path, data=form)
        response.read()
        return time.perf_counter() - started, response.status_code

    with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
        for line in sys.stdin:
            path, count, form = line.split(" ", 2)
            form = json.loads(form)
            started = time.perf_counter()
            results = list(pool.map(post, [path] * int(count), [form] * int(count)))
            seconds = time.perf_counter() - started
            statuses: dict[str, int] = {}
            for _latency, status in results:
                statuses[str(status)] = statuses.get(str(status), 0) + 1
            print(
                json.dumps(
                    {"seconds": seconds, "latencies": [r[0] for r in results], "statuses": statuses}
                ),
                flush=True,
            )


class Client:
    def __init__(self, base: str, concurrency: int):
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--client", base, "--concurrency", str(concurrency)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def run(self, path: str, count: int, form: dict, expected: int = 201) -> dict:
        self.process.stdin.write(f"{path} {count} {json.dumps(form, ensure_ascii=False)}\n")
        self.process.stdin.flush()
        result = json.loads(self.process.stdout.readline())
        if result["statuses"] != {str(expected): count}:
            raise SystemExit(f"{path}: answers {result['statuses']}, expected {expected} each")
        return result

    def stop(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)


# -- the storage floor --------------------------------------------------------------------------


def floor_loop(engine, app_id: int, key_id: int, code: str):
    """``run(count)``: ``count`` items, each the feedback INSERT, its outbox INSERT and the
    COMMIT on one held connection (Core); answers (seconds, latencies)."""
    from appgov_plugin.mailbox.models import Feedback, FeedbackOutbox

    feedback = Feedback.__table__
    insert_feedback = sa.insert(feedback).returning(feedback.c.id)
    insert_outbox = sa.insert(FeedbackOutbox.__table__)
    fields = {k: v for k, v in FEEDBACK.items() if k not in ("lat", "long", "locale")}
    connection = engine.connect()

    def run(count: int) -> tuple[float, list[float]]:
        latencies = []
        clock = time.perf_counter
        started = clock()
        for _ in range(count):
            begun = clock()
            now = dt.datetime.now(dt.UTC)
            with connection.begin():
                feedback_id = connection.execute(
                    insert_feedback,
                    {
                        **fields,
                        "app_id": app_id,
                        "service_code": code,
                        "api_key_id": key_id,
                        "token": str(uuid.uuid4()),
                        "idempotency_key": str(uuid.uuid4()),
                        "lat": FEEDBACK_LAT,
                        "long": FEEDBACK_LONG,
                        "locale": "zh_Hant_TW",
                        "requested_at": now,
                        "updated_at": now,
                        "status": "open",
                    },
                ).scalar_one()
                connection.execute(
                    insert_outbox,
                    {
                        "feedback_id": feedback_id,
                        "state": "pending",
                        "attempts": 0,
                        "next_attempt_at": now,
                        "created_at": now,
                    },
                )
            latencies.append(clock() - begun)
        return clock() - started, latencies

    return run, connection


FEEDBACK_LAT = decimal.Decimal(FEEDBACK["lat"])
FEEDBACK_LONG = decimal.Decimal(FEEDBACK["long"])


# -- one database ---------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def measure(database: Database, args) -> dict:
    from appgov_plugin.mailbox.models import ApiKey, Feedback, FeedbackOutbox
    from sample_host.extensions import db

    limits = args.limits
    host, key, code = prepare(database, limits)
    with host.app_context():
        engine = db.engine
        api_key = db.session.scalars(sa.select(ApiKey).where(ApiKey.label == "benchmark")).one()
        app_id, key_id = api_key.app_id, api_key.id
        db.session.remove()
    with engine.connect() as connection:
        before = connection.scalar(sa.select(sa.func.count()).select_from(Feedback))
        outbox_before = connection.scalar(sa.select(sa.func.count()).select_from(FeedbackOutbox))
    profile = f"{args.profile}.{database.kind}" if args.profile else None
    server = Server(database, limits, profile)
    client = None
    floor_connection = None
    try:
        client = Client(server.base, args.concurrency)
        run_floor, floor_connection = floor_loop(engine, app_id, key_id, code)
        floor_settings = durability(floor_connection)
        floor_connection.commit()
        if floor_settings != server.settings:
            raise SystemExit(f"settings differ: server {server.settings}, floor {floor_settings}")
        prefix = host.config["APPGOV_OPEN311_PREFIX"]
        form = {"api_key": key, "service_code": code, **FEEDBACK}

        def http(path):
            def run(count):
                result = client.run(path, count, form)
                return result["seconds"], result["latencies"]

            return run

        ways = {
            "intake": http(f"{prefix}/requests.json"),
            "bare": http(BARE_PATH),
            "floor": run_floor,
        }
        warm = max(20, args.requests // 10)
        for run in ways.values():
            run(warm)
        rates = {way: [] for way in WAYS}
        latencies = {way: [] for way in WAYS}
        for number in range(args.rounds):
            order = WAYS[number % 3 :] + WAYS[: number % 3]
            for way in order:
                seconds, lat = ways[way](args.requests)
                rates[way].append(args.requests / seconds)
                latencies[way] += lat
        with engine.connect() as connection:
            stored = connection.scalar(sa.select(sa.func.count()).select_from(Feedback)) - before
            outbox = (
                connection.scalar(sa.select(sa.func.count()).select_from(FeedbackOutbox))
                - outbox_before
            )
        if profile:
            show_profile(server.base, profile)
        expected = (warm + args.rounds * args.requests) * 2  # intake + floor
        if stored != expected or outbox != expected:
            raise SystemExit(f"stored {stored} items and {outbox} outbox rows, expected {expected}")
        return {
            "kind": database.kind,
            "settings": server.settings,
            "rates": {way: statistics.median(r) for way, r in rates.items()},
            "p50": {way: percentile(v, 0.50) * 1e3 for way, v in latencies.items()},
            "p99": {way: percentile(v, 0.99) * 1e3 for way, v in latencies.items()},
        }
    finally:
        if floor_connection is not None:
            floor_connection.close()
        if client is not None:
            client.stop()
        server.stop()
        engine.dispose()


def show_profile(base: str, path: str) -> None:
    """The server's profile of the intake requests, written and printed (the heaviest 30 by
    cumulative time)."""
    import pstats
    import urllib.request

    with urllib.request.urlopen(base + PROFILE_PATH, timeout=30) as answer:
        answer.read()
    print(f"cProfile of the intake requests in the server ({path}):")
    pstats.Stats(path).sort_stats("cumulative").print_stats(30)


# -- the report -----------------------------------------------------------------------------------

LABELS = {
    "intake": "intake POST requests.json",
    "bare": "bare JSON 201 (same app)",
    "floor": "storage floor (Core)",
}


def report(results: list[dict], args) -> None:
    print(
        f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores; "
        f"load average {args.load_before:.1f} before, {os.getloadavg()[0]:.1f} after"
    )
    print(
        f"one gunicorn process (1 gthread worker, 1 thread, keep-alive); client: another "
        f"process, {args.concurrency} threads of httpx; {args.requests} items per round, "
        f"median of {args.rounds} rounds"
    )
    if args.limits == "off":
        print("rate limits: off (RATELIMIT_ENABLED=False)")
    else:
        storage = REDIS_URL if args.limits == "redis" else "memory://"
        print(f"rate limits: on, {HIGH_LIMIT} per key and per address, counted in {storage}")
    print(
        f"{'database':<11} {'way':<27} {'items/s':>8} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'× floor':>8} {'× bare':>7}"
    )
    for result in results:
        rates = result["rates"]
        for way in WAYS:
            print(
                f"{result['kind']:<11} {LABELS[way]:<27} {rates[way]:>8.0f} "
                f"{result['p50'][way]:>7.2f} {result['p99'][way]:>7.2f} "
                f"{rates[way] / rates['floor']:>8.2f} {rates[way] / rates['bare']:>7.2f}"
            )
    for result in results:
        settings = ", ".join(f"{k}={v}" for k, v in result["settings"].items())
        ratio = result["rates"]["intake"] / result["rates"]["floor"]
        verdict = "met" if ratio >= 0.5 else "MISSED"
        print(
            f"{result['kind']}: intake {ratio:.0%} of the storage floor (target >= 50 %: "
            f"{verdict}); durability in force for both: {settings}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", action="append", choices=("sqlite", "postgresql"))
    parser.add_argument("--database-url", help="an empty database to use (not dropped)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--limits", choices=("memory", "redis", "off"), default="memory")
    parser.add_argument(
        "--profile", metavar="FILE", help="cProfile the intake in the server (FILE.<db>)"
    )
    parser.add_argument("--quick", action="store_true", help="a smoke run: 1 round of 30")
    parser.add_argument("--client", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        client_main(args.client, args.concurrency)
        return
    args.load_before = os.getloadavg()[0]  # other work on the machine (the run shares it)
    if args.quick:
        args.rounds, args.requests = 1, 30
    results = [measure(database, args) for database in each_database(args, "appgov-bench-intake-")]
    report(results, args)


if __name__ == "__main__":
    main()
