"""The apps' Open311 API keys (TN-EVAL-4: each app's feedback function posts with its own).

An administrator issues a key in Flask-Admin (``appgov_open311_keys``): the key is shown
once, only its SHA-256 is kept, with its first characters (:data:`PREFIX_CHARS`) so people
can tell keys apart. A revoked key stays, with who revoked it, when and why; a revoked or
unknown key is refused (403). The demo data issues one key per demo app derived from the
deployment's ``SECRET_KEY`` (:func:`demo_key`): printed at the first start, never a constant
known to the world.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

import sqlalchemy as sa

from ..apps.models import App
from ..db import utcnow
from ..state import get_state
from .models import ApiKey

#: Every key starts so (a secret scanner can recognise one that leaked).
KEY_START = "o311_"
#: Characters of a key kept and shown to tell keys apart.
PREFIX_CHARS = 12
#: Longest key accepted (longer input is no key: refused before hashing).
MAX_KEY_CHARS = 200


def hash_key(key: str) -> str:
    """The SHA-256 (hex) of ``key``: what is stored and looked up."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def new_key() -> str:
    """A new random key (240 bits)."""
    return KEY_START + secrets.token_urlsafe(30)


def demo_key(secret_key: str | bytes, app_code: str) -> str:
    """The demo key of ``app_code``: derived from the deployment's ``SECRET_KEY`` (HMAC), so
    it differs from one deployment to the next; only the demo data issues it."""
    secret = secret_key if isinstance(secret_key, bytes) else str(secret_key).encode()
    digest = hmac.new(secret, f"appgov-open311-demo:{app_code}".encode(), "sha256").hexdigest()
    return f"{KEY_START}demo_{digest[:32]}"


def issue(app_id: int, label: str, created_by: str, *, key: str | None = None) -> str:
    """Add a key for app ``app_id`` to the session (the caller commits) and answer the key
    itself: the only time it is known."""
    key = key or new_key()
    get_state().session.add(
        ApiKey(
            app_id=app_id,
            label=label,
            prefix=key[:PREFIX_CHARS],
            key_hash=hash_key(key),
            created_by=created_by,
        )
    )
    return key


def find(key: str | None) -> ApiKey | None:
    """The key's record when ``key`` is a key that was issued (revoked or not), else None."""
    if not key or len(key) > MAX_KEY_CHARS:
        return None
    return get_state().session.scalar(sa.select(ApiKey).where(ApiKey.key_hash == hash_key(key)))


def find_with_app(key: str | None) -> tuple[ApiKey, App] | None:
    """The key's record and its app, read in one query, when ``key`` was issued (revoked or
    not), else None: what every request of the Open311 API looks up first."""
    if not key or len(key) > MAX_KEY_CHARS:
        return None
    query = sa.select(ApiKey, App).join(App, App.id == ApiKey.app_id)
    row = get_state().session.execute(query.where(ApiKey.key_hash == hash_key(key))).first()
    return None if row is None else (row[0], row[1])


def revoke(api_key: ApiKey, revoked_by: str, reason: str) -> None:
    """Revoke ``api_key`` (the caller commits): refused from now on, kept with who, when, why."""
    api_key.revoked_at = utcnow()
    api_key.revoked_by = revoked_by
    api_key.revoke_reason = reason


__all__ = [
    "KEY_START",
    "MAX_KEY_CHARS",
    "PREFIX_CHARS",
    "demo_key",
    "find",
    "find_with_app",
    "hash_key",
    "issue",
    "new_key",
    "revoke",
]
