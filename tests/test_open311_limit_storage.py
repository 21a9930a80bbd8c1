"""The Open311 rate limits' memory storage (``appgov_plugin.mailbox.limit_storage``): the
same counting as ``limits``' ``memory://``, without starting a timer thread per request."""

from __future__ import annotations

import threading

from limits import parse
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import FixedWindowRateLimiter

from appgov_plugin.mailbox import limit_storage
from appgov_plugin.mailbox.limit_storage import InlineExpiryMemoryStorage


def _storage() -> InlineExpiryMemoryStorage:
    storage = storage_from_string(limit_storage.storage_uri("memory://"))
    storage.timer.join()  # the one timer MemoryStorage starts when created
    return storage


def test_memory_becomes_the_inline_storage_and_other_storages_stay():
    assert limit_storage.storage_uri("memory://") == "appgov-memory://"
    assert limit_storage.storage_uri("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"
    assert isinstance(_storage(), InlineExpiryMemoryStorage)


def test_the_private_steps_it_relies_on_are_still_there():
    # another limits release that renames them fails here, not silently at run time
    assert callable(getattr(MemoryStorage, limit_storage.SCHEDULE))
    assert callable(getattr(MemoryStorage, limit_storage.EXPIRE))


def test_hits_start_no_thread_and_count_as_memory_does():
    storage = _storage()
    limiter = FixedWindowRateLimiter(storage)
    limit = parse("3 per minute")
    threads = threading.active_count()
    assert [limiter.hit(limit, "key:a") for _ in range(4)] == [True, True, True, False]
    assert [limiter.hit(limit, "key:b") for _ in range(2)] == [True, True]
    assert threading.active_count() == threads
    assert not storage.timer.is_alive()
    reference = FixedWindowRateLimiter(MemoryStorage())
    assert [reference.hit(limit, "key:a") for _ in range(4)] == [True, True, True, False]


def test_expired_counters_are_cleaned_up_in_the_calling_thread():
    storage = _storage()
    storage.incr("old", expiry=60)
    storage.expirations["old"] = 0  # its window is over
    storage._next_expiry = float("inf")  # within EXPIRY_INTERVAL of the last clean-up
    storage.incr("new", expiry=60)
    assert "old" in storage.storage
    storage._next_expiry = 0  # the interval has passed
    storage.incr("new", expiry=60)
    assert "old" not in storage.storage and storage.storage["new"] == 2


def test_the_api_counts_in_it(sample_host_factory):
    host = sample_host_factory(RATELIMIT_ENABLED=True)
    limiter = host.extensions["appgov_open311_limiter"]
    with host.app_context():
        assert isinstance(limiter.storage, InlineExpiryMemoryStorage)
