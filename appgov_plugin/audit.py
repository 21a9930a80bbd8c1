"""Tamper-evident history: each row carries a hash of its content and of the row before it.

A *chain* is the rows of one case (host case history) or of one rule parameter (appgov's
parameter changes), in ``id`` order. ``row_hash = sha256(previous_hash + canonical(content))``
where the first row of a chain uses the empty string as its previous hash. Changing,
removing or inserting a row anywhere breaks every later link; :func:`first_broken_link`
finds the first one.

The canonical form is stable across SQLite and PostgreSQL: JSON with sorted keys, no
whitespace, non-ASCII kept, timestamps in UTC ISO 8601 (microseconds dropped, since not every
backend keeps them), dates ISO, decimals and floats as their shortest text.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

#: The previous hash of a chain's first row.
GENESIS = ""


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).replace(microsecond=0).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal | float):
        return format(Decimal(str(value)).normalize(), "f")
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def canonical(content: Mapping[str, Any]) -> str:
    """``content`` as the one text its hash is computed over."""
    return json.dumps(_plain(content), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def chain_hash(previous_hash: str | None, content: Mapping[str, Any]) -> str:
    """The hash of a row holding ``content`` that follows a row hashed ``previous_hash``."""
    text = (previous_hash or GENESIS) + "\n" + canonical(content)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def heads_digest(heads: Mapping[Hashable, str]) -> str:
    """One hash over every chain's last row hash (``{chain: row_hash}``).

    A chain cannot show that its last rows were removed or rewritten together with their
    hashes; an operator who keeps this digest outside the database (a ticket, the log
    server) and compares it with the next verification can.
    """
    lines = sorted(f"{chain} {row_hash}" for chain, row_hash in heads.items())
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class BrokenLink:
    """The first row whose stored hashes do not match its content or its predecessor."""

    chain: Hashable
    row_id: Any
    problem: str

    def __str__(self) -> str:
        return f"chain {self.chain}: row {self.row_id}: {self.problem}"


def first_broken_link(
    rows: Iterable[Any],
    *,
    chain_of: Callable[[Any], Hashable],
    content_of: Callable[[Any], Mapping[str, Any]],
    previous_of: Callable[[Any], str | None],
    hash_of: Callable[[Any], str | None],
    id_of: Callable[[Any], Any] = lambda row: row.id,
) -> BrokenLink | None:
    """Walk ``rows`` (ordered by chain, then id) and return the first broken link, or None.

    A row is broken when its stored previous hash is not its predecessor's hash (a row was
    removed, inserted or reordered) or when its stored hash is not the hash of its content
    (the row was edited in place).
    """
    last: dict[Hashable, str] = {}
    for row in rows:
        chain = chain_of(row)
        expected_previous = last.get(chain, GENESIS)
        stored_previous = previous_of(row) or GENESIS
        if stored_previous != expected_previous:
            return BrokenLink(
                chain, id_of(row), "its previous-row hash does not match the row before it"
            )
        stored = hash_of(row)
        if stored != chain_hash(stored_previous, content_of(row)):
            return BrokenLink(chain, id_of(row), "its content does not match its hash")
        last[chain] = stored
    return None


__all__ = ["GENESIS", "BrokenLink", "canonical", "chain_hash", "first_broken_link", "heads_digest"]
