"""The Open311 rate limits' counters in the process's memory, without a thread per request.

``limits``' ``MemoryStorage`` (``memory://``) cleans up old counters in a timer thread that
it starts again, 10 ms after the previous one, at the next hit: on a busy API at nearly
every request; and ``Thread.start`` waits until the new thread has run. On a loaded
machine that wait was 2-4 ms of every intake request (``benchmarks/mailbox_intake.py
--profile``). :class:`InlineExpiryMemoryStorage` (``appgov-memory://``) does the same
clean-up in the calling thread instead, at most once per :data:`EXPIRY_INTERVAL`. The
counting is the same: a counter past its window is discarded when it is read in any case
(``MemoryStorage.get``); the clean-up only frees the memory of keys no longer used.

:func:`storage_uri` maps ``APPGOV_RATELIMIT_STORAGE_URI`` ``memory://`` to it; any other
storage (``redis://...`` in production) is used as given.
"""

from __future__ import annotations

import threading
import time

from limits.storage import MemoryStorage

#: Seconds between two clean-ups of expired counters (in the thread of a request).
EXPIRY_INTERVAL = 1.0
SCHEME = "appgov-memory"

#: ``MemoryStorage``'s own (private) clean-up steps, replaced or called here; their absence
#: (another ``limits`` release) is caught by tests/test_open311_limit_storage.py.
SCHEDULE = "_MemoryStorage__schedule_expiry"
EXPIRE = "_MemoryStorage__expire_events"


class InlineExpiryMemoryStorage(MemoryStorage):
    """``memory://`` without timer threads (see the module's text)."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._next_expiry = time.monotonic() + EXPIRY_INTERVAL
        self._expiry_lock = threading.Lock()

    def _MemoryStorage__schedule_expiry(self) -> None:  # replaces the timer thread's start
        now = time.monotonic()
        if now < self._next_expiry or not self._expiry_lock.acquire(blocking=False):
            return
        try:
            self._next_expiry = now + EXPIRY_INTERVAL
            getattr(self, EXPIRE)()
        finally:
            self._expiry_lock.release()


def storage_uri(configured: str) -> str:
    """The storage URI for the limiter: ``memory://`` becomes ``appgov-memory://``."""
    if configured.startswith("memory://"):
        return SCHEME + configured[len("memory") :]
    return configured


__all__ = ["EXPIRY_INTERVAL", "InlineExpiryMemoryStorage", "storage_uri"]
