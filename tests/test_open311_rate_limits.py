"""Rate limits of the Open311 intake (Flask-Limiter): per API key and per client address,
shared by the endpoints, answered 429 in Open311's error body with nothing stored; off with
the host's ``RATELIMIT_ENABLED=False`` (the rest of the suite); beside the sample host's own
log-in limiter; counted in Redis shared by two application processes' worth of apps
(redis://127.0.0.1:6379, a real server). On SQLite (backend-independent: nothing is
counted in the database)."""

from __future__ import annotations

import os
import random

import pytest
import redis
import sqlalchemy as sa
from open311_client import Open311

from appgov_plugin.apps.models import App
from appgov_plugin.mailbox import keys
from appgov_plugin.mailbox.models import Feedback
from sample_host.extensions import db

# backend-independent: the rate limiter (memory and Redis storage)
pytestmark = pytest.mark.backend_independent

REDIS_URL = os.environ.get("APPGOV_TEST_REDIS_URL", "redis://127.0.0.1:6379")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def limited_host(factory, per_key="3 per minute", per_address="100 per minute", **config):
    return factory(
        RATELIMIT_ENABLED=True,
        APPGOV_OPEN311_LIMIT_PER_KEY=per_key,
        APPGOV_OPEN311_LIMIT_PER_ADDRESS=per_address,
        **config,
    )


def first_apps(app, count=2) -> list[tuple[int, str]]:
    with app.app_context():
        return [
            (row.id, row.code)
            for row in db.session.execute(
                sa.select(App.id, App.code)
                .where(App.status == "listed", App.linked_to_mayor_mailbox.is_(True))
                .order_by(App.id)
                .limit(count)
            )
        ]


def issue(app, app_id) -> str:
    with app.app_context():
        key = keys.issue(app_id, "rate test", "admin")
        db.session.commit()
        return key


def stored(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Feedback))


def post(api, key, code, locale="en"):
    return api.post(
        "/requests.json",
        {"api_key": key, "service_code": code, "description": "意見", "locale": locale},
    )


def random_address() -> str:
    return "10.{}.{}.{}".format(*(random.randint(1, 254) for _ in range(3)))


def test_a_key_over_its_limit_gets_429_in_the_spec_body_and_nothing_stored(sample_host_factory):
    host = limited_host(sample_host_factory)
    (app_id, code), (other_id, other_code) = first_apps(host)
    key, other = issue(host, app_id), issue(host, other_id)
    api = Open311(host.test_client())
    assert [post(api, key, code).status for _ in range(3)] == [201, 201, 201]
    before = stored(host)
    refused = post(api, key, code)
    assert refused.status == 429, refused
    [error] = refused.json
    assert error["code"] == 429 and "3 per 1 minute" in error["description"]
    assert int(refused.response.headers["Retry-After"]) > 0
    assert stored(host) == before
    # the endpoints share the key's limit; zh by default
    listed = api.get("/requests.json", api_key=key)
    assert listed.status == 429 and listed.json[0]["code"] == 429
    assert post(api, other, other_code).status == 201  # another key: its own count


def test_an_address_over_its_limit_gets_429_whatever_the_key(sample_host_factory):
    host = limited_host(sample_host_factory, per_key="100 per minute", per_address="2 per minute")
    (app_id, code), (other_id, other_code) = first_apps(host)
    key, other = issue(host, app_id), issue(host, other_id)
    here, there = Open311(host.test_client()), Open311(host.test_client(), address="10.9.8.7")
    assert post(here, key, code).status == 201
    assert post(here, other, other_code).status == 201
    refused = post(here, other, other_code)
    assert refused.status == 429 and refused.json[0]["code"] == 429
    assert here.get("/services.json").status == 429
    assert post(there, key, code).status == 201  # another address


def test_limits_are_off_with_the_hosts_ratelimit_setting(sample_host_factory):
    # the suite's setting (RATELIMIT_ENABLED=False in conftest) switches this limiter off too
    host = sample_host_factory(APPGOV_OPEN311_LIMIT_PER_KEY="1 per hour")
    [(app_id, code)] = first_apps(host, 1)
    key = issue(host, app_id)
    api = Open311(host.test_client())
    assert [post(api, key, code).status for _ in range(3)] == [201] * 3


def test_the_api_limiter_and_the_hosts_log_in_limiter_coexist(sample_host_factory):
    host = limited_host(
        sample_host_factory,
        per_key="2 per minute",
        HOST_LOGIN_LIMIT_PER_ACCOUNT="2 per minute",
    )
    assert len(host.extensions["limiter"]) == 2
    [(app_id, code)] = first_apps(host, 1)
    key = issue(host, app_id)
    client = host.test_client()
    api = Open311(client)
    wrong = {"username": "staff", "password": "wrong"}
    assert [client.post("/login", data=wrong).status_code for _ in range(3)][-1] == 429
    assert post(api, key, code).status == 201  # the log-in throttle is not the API's
    assert post(api, key, code).status == 201
    assert post(api, key, code).status == 429
    # and the API's is not the log-in's: another account logs in
    assert (
        client.post("/login", data={"username": "head", "password": "demo-head"}).status_code == 302
    )


def _redis_or_skip():
    try:
        connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
        connection.ping()
        return connection
    except redis.RedisError as exc:
        if IN_CI:
            pytest.fail(f"Redis at {REDIS_URL} unreachable: {exc}")
        pytest.skip(f"Redis at {REDIS_URL} unreachable: {exc}")


def test_counts_in_redis_are_shared_by_every_worker(sample_host_factory):
    connection = _redis_or_skip()
    config = {
        "APPGOV_RATELIMIT_STORAGE_URI": REDIS_URL,
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": False,
    }
    one = limited_host(sample_host_factory, **config)
    two = limited_host(sample_host_factory, **config)  # another worker on the same database
    [(app_id, code)] = first_apps(one, 1)
    key = issue(one, app_id)
    address = random_address()  # this run's own counters (other runs share the server)
    first, second = (
        Open311(one.test_client(), address=address),
        Open311(two.test_client(), address=address),
    )
    assert post(first, key, code).status == 201
    assert post(second, key, code).status == 201
    assert post(first, key, code).status == 201
    assert post(second, key, code).status == 429
    assert post(first, key, code).status == 429
    counters = connection.keys("*appgov_open311*")
    assert counters
    # the counters never hold a key itself, only a hash of it
    assert not any(key.encode() in name for name in counters)
