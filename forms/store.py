"""Versioned form definitions: every version of every form, kept forever in the database.

Table ``appgov_form_version`` (migration 0006): ``key``, ``version``, ``definition`` (the
full TOML text), ``sha256`` (of that text), ``created_at`` (UTC), ``created_by``,
``reason``, and ``previous_hash``/``row_hash`` chaining the versions of one form
(:mod:`appgov_plugin.audit`). Unique (key, version); append-only: triggers refuse UPDATE
and DELETE (and TRUNCATE on PostgreSQL), and the ORM refuses them before they are sent.

* The shipped files (``forms/<key>.toml``) are the first version of each form. They are
  recorded on first use in each process (``created_by`` ``appgov``, ``reason`` ``shipped``),
  or by :func:`record_shipped` right after ``flask appgov db upgrade``. A shipped file
  whose (key, version) is already stored with other content is refused and logged as an
  error (:func:`conflicts` names it; the stored version stays in force).
* :func:`live` is the highest version of a form; :func:`get` one version;
  :func:`publish` validates an administrator's definition with the engine
  (:func:`appgov_plugin.forms.builder.parse`) and stores it as live + 1, whatever version
  the text names. An invalid definition raises ``ValueError`` with the engine's message and
  nothing is written. Two publishes of one form at the same moment are serialised by the
  form's write lock (PostgreSQL advisory lock, SQLite ``BEGIN IMMEDIATE``), so they never
  get the same version (the unique constraint would refuse it anyway).

Caching: built definitions (and so their WTForms classes) are kept process-wide per
(key, version, sha256) and survive requests. Which version is live is read with one small
query per request (all forms at once, kept on the request), so a version published by
another worker or process is in force from the next request on: the database is the truth.

The store reads and writes through its own connections (never the request's session), like
the policy's database layer.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
import re
import threading
import tomllib
import weakref
from dataclasses import dataclass
from importlib import resources
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column

from appgov_plugin.audit import chain_hash, first_broken_link
from appgov_plugin.db import Base, utcnow, write_lock

log = logging.getLogger(__name__)

#: ``created_by`` and ``reason`` of a shipped file's version
SHIPPED_BY = "appgov"
SHIPPED_REASON = "shipped"
#: the longest definition text stored (characters)
MAX_DEFINITION_CHARS = 200_000
#: the columns a row's hash covers (``sha256`` stands for the definition text)
HASHED = ("key", "version", "sha256", "created_at", "created_by", "reason")


class AppendOnlyError(RuntimeError):
    """Form versions are never changed or removed; a change is a new version."""


class FormVersion(Base):
    __tablename__ = "appgov_form_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(100))
    version: Mapped[int] = mapped_column(sa.Integer)
    #: the full TOML text of this version
    definition: Mapped[str] = mapped_column(sa.Text)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str] = mapped_column(sa.String(100))
    reason: Mapped[str] = mapped_column(sa.Text)
    #: ``row_hash`` of the version before this one of the same form; None for the first
    previous_hash: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    #: ``audit.chain_hash(previous_hash, content)``
    row_hash: Mapped[str] = mapped_column(sa.String(64))

    __table_args__ = (
        sa.UniqueConstraint("key", "version"),
        sa.CheckConstraint("length(trim(reason)) > 0", name="reason"),
        sa.CheckConstraint("version >= 1", name="version"),
    )

    def content(self) -> dict[str, Any]:
        return {column: getattr(self, column) for column in HASHED}


@event.listens_for(FormVersion, "before_update")
@event.listens_for(FormVersion, "before_delete")
def _refuse_rewriting_history(mapper, connection, target):
    raise AppendOnlyError(f"form version {target.key} v{target.version} cannot be changed")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_rewriting_history(state) -> None:
    if (state.is_update or state.is_delete) and state.bind_mapper is sa.inspect(FormVersion):
        raise AppendOnlyError("form versions are history: bulk UPDATE/DELETE refused")


TABLE = FormVersion.__table__
T = TABLE.c


@dataclass(frozen=True)
class VersionInfo:
    """One stored version, without its text (history lists)."""

    key: str
    version: int
    sha256: str
    created_at: dt.datetime
    created_by: str
    reason: str

    def __post_init__(self):
        if self.created_at.tzinfo is None:  # SQLite keeps no time zone: stored in UTC
            object.__setattr__(self, "created_at", self.created_at.replace(tzinfo=dt.UTC))

    @property
    def shipped(self) -> bool:
        return self.created_by == SHIPPED_BY and self.reason == SHIPPED_REASON


# -- the engine ---------------------------------------------------------------------------


def _builder():
    from appgov_plugin.forms import builder

    return builder


def parse(text: str, source: str):
    """The engine's checked definition of TOML ``text`` (``ValueError`` naming the problem)."""
    builder = _builder()
    if hasattr(builder, "parse"):
        return builder.parse(text, source)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{source}: not valid TOML: {exc}") from None
    return builder.build(data, source=source)


def source_of(key: str, version: int | None = None) -> str:
    """How errors name a stored version (``forms/app_proposal.toml`` for the shipped file)."""
    return f"forms/{key}.toml" + (f" (version {version})" if version else "")


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Shipped:
    key: str
    version: int
    text: str
    sha256: str


def shipped_files() -> dict[str, Shipped]:
    """The definitions shipped in the package (``forms/*.toml``) by key; a file the engine
    refuses is logged and left out. Read and checked once per process (the package's files
    do not change while it runs; :func:`clear_cache` forgets them)."""
    return dict(_shipped_files())


@functools.cache
def _shipped_files() -> dict[str, Shipped]:
    found = {}
    root = resources.files("appgov_plugin.forms")
    for key in _builder().available():
        text = normalise(root.joinpath(f"{key}.toml").read_text(encoding="utf-8"))
        try:
            version = parse(text, source_of(key)).version
        except ValueError as exc:
            log.error("appgov: shipped form %s is invalid and not recorded: %s", key, exc)
            continue
        found[key] = Shipped(key, version, text, digest(text))
    return found


def normalise(text: str) -> str:
    """Line breaks as ``\\n`` (browsers send CRLF), one final line break."""
    return text.replace("\r\n", "\n").replace("\r", "\n").rstrip() + "\n"


_TABLE_HEADER = re.compile(r"^\s*\[", re.M)
_TOP_KEY = r"^[ \t]*{name}[ \t]*=[^\n]*$"


def _top_level(text: str) -> tuple[str, str]:
    """``text`` split before its first table header: (top-level keys, the rest)."""
    match = _TABLE_HEADER.search(text)
    cut = match.start() if match else len(text)
    return text[:cut], text[cut:]


def with_version(text: str, version: int) -> str:
    """``text`` with its top-level ``version = ...`` set to ``version`` (added after ``key``,
    or first, when it is missing). Everything else, comments included, stays as typed."""
    head, rest = _top_level(text)
    pattern = re.compile(_TOP_KEY.format(name="version"), re.M)
    line = f"version = {version}"
    if pattern.search(head):
        head = pattern.sub(line, head, count=1)
    else:
        key_line = re.compile(_TOP_KEY.format(name="key"), re.M).search(head)
        if key_line:
            head = head[: key_line.end()] + "\n" + line + head[key_line.end() :]
        else:
            head = line + "\n" + head
    return head + rest


# -- the lock -----------------------------------------------------------------------------


def lock_form(connection: sa.Connection, key: str) -> None:
    """Hold form ``key``'s write lock until ``connection``'s transaction ends (as
    :func:`appgov_plugin.policy.changes.lock_parameter`): PostgreSQL
    ``pg_advisory_xact_lock`` on the key, SQLite ``BEGIN IMMEDIATE``."""
    write_lock(connection, FormVersion.__tablename__, key)


# -- the caches ---------------------------------------------------------------------------

_lock = threading.Lock()
#: built definitions by (key, version, sha256): process-wide, they survive requests
_DEFINITIONS: dict[tuple[str, int, str], Any] = {}
#: engines whose shipped files were recorded (checked) in this process
_SYNCED: weakref.WeakSet = weakref.WeakSet()
#: shipped files refused for an engine: {engine: [message, ...]}
_CONFLICTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_G_KEY = "_appgov_live_forms"


def _engine(engine: sa.Engine | None) -> sa.Engine:
    if engine is not None:
        return engine
    from appgov_plugin.state import get_state

    return get_state().db.engine


_LIVE = (
    sa.select(T.key, T.version, T.sha256)
    .join(
        latest := sa.select(T.key.label("k"), sa.func.max(T.version).label("v"))
        .group_by(T.key)
        .subquery(),
        sa.and_(T.key == latest.c.k, T.version == latest.c.v),
    )
    .order_by(T.key)
)


def _request_cache() -> dict | None:
    """A dict kept on the request (not ``g``: an application context may outlive it)."""
    from flask import has_request_context, request

    if not has_request_context():
        return None
    current = request._get_current_object()
    cache = getattr(current, _G_KEY, None)
    if cache is None:
        cache = {}
        setattr(current, _G_KEY, cache)
    return cache


def live_versions(engine: sa.Engine | None = None) -> dict[str, tuple[int, str]]:
    """``{key: (version, sha256)}`` of every form's live version: one query per request."""
    engine = _engine(engine)
    ensure_shipped(engine)
    cache = _request_cache()
    if cache is not None and id(engine) in cache:
        return cache[id(engine)]
    with engine.connect() as conn:
        rows = {key: (version, sha) for key, version, sha in conn.execute(_LIVE)}
    if cache is not None:
        cache[id(engine)] = rows
    return rows


def _forget_live(engine: sa.Engine) -> None:
    cache = _request_cache()
    if cache is not None:
        cache.pop(id(engine), None)


def _definition(key: str, version: int, sha: str, text: str | None, engine: sa.Engine):
    """The built definition of a stored version (cached per key, version and sha256)."""
    cached = _DEFINITIONS.get((key, version, sha))
    if cached is not None:
        return cached
    if text is None:
        with engine.connect() as conn:
            text = conn.scalar(sa.select(T.definition).where(T.key == key, T.version == version))
        if text is None:
            raise LookupError(f"form {key!r} has no version {version}")
    if digest(text) != sha:
        raise TamperedVersion(
            f"form {key!r} version {version}: its text does not match its sha256 "
            "(altered outside appgov); it is not used"
        )
    shipped = _shipped_definition(key, sha)
    built = shipped if shipped is not None else parse(text, source_of(key, version))
    with _lock:
        return _DEFINITIONS.setdefault((key, version, sha), built)


def _shipped_definition(key: str, sha: str):
    """The engine's own cached build of the shipped file when the stored text is that file
    (one set of form classes for both)."""
    builder = _builder()
    if key not in builder.available():
        return None
    text = normalise(
        resources.files("appgov_plugin.forms").joinpath(f"{key}.toml").read_text("utf-8")
    )
    return builder.load(key) if digest(text) == sha else None


class TamperedVersion(ValueError):
    """A stored version whose text no longer matches its sha256."""


class UnknownForm(LookupError):
    pass


# -- shipped files ------------------------------------------------------------------------


def ensure_shipped(engine: sa.Engine | None = None) -> None:
    """Record the shipped files once per process and engine (see :func:`record_shipped`)."""
    engine = _engine(engine)
    if engine in _SYNCED:
        return
    with _lock:
        if engine in _SYNCED:
            return
        record_shipped(engine)
        _SYNCED.add(engine)


def record_shipped(engine: sa.Engine | None = None) -> list[str]:
    """Record every shipped file whose (key, version) is not stored yet (``appgov``,
    ``shipped``); returns the refusals: a shipped (key, version) stored with other content
    is never replaced (logged as an error, :func:`conflicts`)."""
    engine = _engine(engine)
    refused = []
    shipped = shipped_files()
    with engine.connect() as conn:
        stored = {
            (key, version): sha
            for key, version, sha in conn.execute(sa.select(T.key, T.version, T.sha256))
        }
    missing = [item for item in shipped.values() if (item.key, item.version) not in stored]
    if missing:  # one transaction for all of them (a new database records every form)
        with engine.begin() as conn:
            for item in missing:
                lock_form(conn, item.key)
                sha = conn.scalar(
                    sa.select(T.sha256).where(T.key == item.key, T.version == item.version)
                )
                if sha is None:
                    _insert(conn, item.key, item.version, item.text, SHIPPED_BY, SHIPPED_REASON)
                    log.info("appgov: recorded shipped form %s version %s", item.key, item.version)
                stored[(item.key, item.version)] = sha or item.sha256
    for item in shipped.values():
        if stored[(item.key, item.version)] == item.sha256:
            continue
        message = (
            f"forms/{item.key}.toml: version {item.version} is already stored with other "
            f"content; the shipped file is refused and the stored version stays in force "
            "(raise the file's version to ship a change)"
        )
        log.error("appgov: %s", message)
        refused.append(message)
    _CONFLICTS[engine] = refused
    return refused


def conflicts(engine: sa.Engine | None = None) -> list[str]:
    """The shipped files refused for ``engine`` in this process."""
    engine = _engine(engine)
    ensure_shipped(engine)
    return list(_CONFLICTS.get(engine, ()))


def _insert(conn, key, version, text, user, reason) -> None:
    previous = conn.scalar(
        sa.select(T.row_hash).where(T.key == key).order_by(T.version.desc()).limit(1)
    )
    row = {
        "key": key,
        "version": version,
        "definition": text,
        "sha256": digest(text),
        "created_at": utcnow().replace(microsecond=0),
        "created_by": user,
        "reason": reason,
    }
    row["previous_hash"] = previous
    row["row_hash"] = chain_hash(previous, {column: row[column] for column in HASHED})
    conn.execute(TABLE.insert().values(**row))


# -- the API ------------------------------------------------------------------------------


def keys(engine: sa.Engine | None = None) -> list[str]:
    """Every form's key: the shipped ones and any other stored."""
    return sorted(live_versions(engine))


def live(key: str, engine: sa.Engine | None = None):
    """The live (highest) version of form ``key`` as the engine's ``FormDefinition``.

    A version altered outside appgov (text not matching its sha256) is skipped with an
    error logged: the version before it is live."""
    engine = _engine(engine)
    found = live_versions(engine).get(key)
    if found is None:
        raise UnknownForm(f"unknown form {key!r}; known: {', '.join(keys(engine))}")
    version, sha = found
    try:
        return _definition(key, version, sha, None, engine)
    except TamperedVersion as exc:
        log.error("appgov: %s", exc)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(T.version, T.sha256, T.definition)
            .where(T.key == key, T.version < version)
            .order_by(T.version.desc())
        ).all()
    for older, sha, text in rows:
        try:
            return _definition(key, older, sha, text, engine)
        except TamperedVersion as exc:
            log.error("appgov: %s", exc)
    raise UnknownForm(f"form {key!r} has no usable version")


def get(key: str, version: int, engine: sa.Engine | None = None):
    """Version ``version`` of form ``key`` (``LookupError`` when there is none)."""
    engine = _engine(engine)
    ensure_shipped(engine)
    with engine.connect() as conn:
        sha = conn.scalar(sa.select(T.sha256).where(T.key == key, T.version == version))
    if sha is None:
        raise UnknownForm(f"form {key!r} has no version {version}")
    return _definition(key, version, sha, None, engine)


def text_of(key: str, version: int | None = None, engine: sa.Engine | None = None) -> str:
    """The stored TOML text of a version (default: the live one)."""
    engine = _engine(engine)
    if version is None:
        found = live_versions(engine).get(key)
        if found is None:
            raise UnknownForm(f"unknown form {key!r}")
        version = found[0]
    with engine.connect() as conn:
        text = conn.scalar(sa.select(T.definition).where(T.key == key, T.version == version))
    if text is None:
        raise UnknownForm(f"form {key!r} has no version {version}")
    return text


def history(key: str, engine: sa.Engine | None = None) -> list[VersionInfo]:
    """Every version of form ``key``, newest first (without the texts)."""
    engine = _engine(engine)
    ensure_shipped(engine)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(T.key, T.version, T.sha256, T.created_at, T.created_by, T.reason)
            .where(T.key == key)
            .order_by(T.version.desc())
        ).all()
    return [VersionInfo(*row) for row in rows]


def last_changes(engine: sa.Engine | None = None) -> dict[str, VersionInfo]:
    """Each form's live version with who, when and why (one query)."""
    engine = _engine(engine)
    ensure_shipped(engine)
    latest = sa.select(T.key.label("k"), sa.func.max(T.version).label("v")).group_by(T.key)
    latest = latest.subquery()
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(T.key, T.version, T.sha256, T.created_at, T.created_by, T.reason).join(
                latest, sa.and_(T.key == latest.c.k, T.version == latest.c.v)
            )
        ).all()
    return {row.key: VersionInfo(*row) for row in rows}


def check(key: str, text: str, version: int | None = None, engine=None):
    """``text`` as the engine reads it, with its version set to ``version`` (default: the
    next one): a preview, nothing stored. ``ValueError`` names the problem."""
    text = normalise(text or "")
    if len(text) > MAX_DEFINITION_CHARS:
        raise ValueError(
            f"{source_of(key)}: the definition is longer than {MAX_DEFINITION_CHARS} characters"
        )
    if version is None:
        found = live_versions(engine).get(key)
        version = (found[0] if found else 0) + 1
    text = with_version(text, version)
    try:
        definition = parse(text, source_of(key, version))
    except RecursionError:  # tomllib on "[[[[..." (hostile input, never a 500)
        raise ValueError(f"{source_of(key, version)}: not valid TOML: nested too deeply") from None
    if definition.key != key:
        raise ValueError(f"{source_of(key, version)}: key {definition.key!r} must be {key!r}")
    return definition, text


class StaleDraft(ValueError):
    """A definition edited from a version that is no longer the live one."""

    def __init__(self, message: str, live: VersionInfo):
        super().__init__(message)
        self.live = live


def publish(
    key: str,
    toml_text: str,
    user: str,
    reason: str,
    engine: sa.Engine | None = None,
    *,
    based_on: int | None = None,
):
    """Validate ``toml_text`` with the engine and store it as form ``key``'s next version
    (live + 1, whatever version the text names) by ``user`` for ``reason``.

    ``ValueError`` (the engine's message, or what is missing) when it is refused: then
    nothing is written. With ``based_on`` (the version the administrator started from), a
    version published by someone else meanwhile refuses it (:class:`StaleDraft`): nobody's
    change is overwritten unseen. Returns the new version's definition."""
    engine = _engine(engine)
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("a new version needs a reason")
    if not user:
        raise ValueError("a new version needs the name of who publishes it")
    if key not in live_versions(engine):
        raise UnknownForm(f"unknown form {key!r}; known: {', '.join(keys(engine))}")
    with engine.begin() as conn:
        lock_form(conn, key)
        current = conn.execute(
            sa.select(T.version, T.definition)
            .where(T.key == key)
            .order_by(T.version.desc())
            .limit(1)
        ).one()
        if based_on is not None and current.version != based_on:
            info = VersionInfo(
                *conn.execute(
                    sa.select(
                        T.key, T.version, T.sha256, T.created_at, T.created_by, T.reason
                    ).where(T.key == key, T.version == current.version)
                ).one()
            )
            raise StaleDraft(
                f"{source_of(key)}: version {info.version} was published by {info.created_by} "
                f"while this draft was edited from version {based_on}; nothing was saved",
                info,
            )
        version = current.version + 1
        definition, text = check(key, toml_text, version, engine)
        if text == with_version(current.definition, version):
            raise ValueError(
                f"{source_of(key)}: no change from version {current.version}; nothing was saved"
            )
        _insert(conn, key, version, text, user, reason)
    _forget_live(engine)
    with _lock:
        return _DEFINITIONS.setdefault((key, version, digest(text)), definition)


def live_version(key: str) -> int:
    """The version a case opened now gets (``CaseType.form_version=lambda: ...``)."""
    return live(key).version


def form_at(key: str | None, version: int | None, default_key: str | None = None):
    """``CaseType.form_at``: the form callable ``form(data=None, **kwargs)`` of form ``key``
    (``default_key`` when not recorded) at ``version``. A case stored before versions were
    kept (``version`` None) was filed with the form's first stored version (the shipped
    file)."""
    key = key or default_key

    def form(data=None, **kwargs):
        from appgov_plugin.state import get_state

        if version is None:
            versions = history(key)
            definition = get(key, versions[-1].version) if versions else live(key)
        else:
            definition = get(key, version)
        return definition.form_for(get_state().policy(), data=data, **kwargs)

    return form


def verify(engine: sa.Engine | None = None):
    """The first broken link of the form versions' hash chains (or a text that no longer
    matches its sha256), or ``None``: for ``flask appgov audit verify``."""
    from appgov_plugin.audit import BrokenLink

    engine = _engine(engine)
    with engine.connect() as conn:
        rows = conn.execute(sa.select(TABLE).order_by(T.key, T.id)).all()
    for row in rows:
        if digest(row.definition) != row.sha256:
            return BrokenLink(row.key, row.id, "its text does not match its sha256")
    return first_broken_link(
        rows,
        chain_of=lambda row: row.key,
        content_of=lambda row: {column: getattr(row, column) for column in HASHED},
        previous_of=lambda row: row.previous_hash,
        hash_of=lambda row: row.row_hash,
    )


def heads(engine: sa.Engine | None = None) -> dict[str, str]:
    """``{key: row_hash}`` of every form's last version (``audit.heads_digest``)."""
    engine = _engine(engine)
    with engine.connect() as conn:
        rows = conn.execute(sa.select(T.key, T.row_hash).order_by(T.key, T.id)).all()
    return {f"form:{key}": row_hash for key, row_hash in rows}


def clear_cache() -> None:
    """Forget the built definitions and the shipped files read (tests)."""
    with _lock:
        _DEFINITIONS.clear()
        _shipped_files.cache_clear()


__all__ = [
    "AppendOnlyError",
    "FormVersion",
    "StaleDraft",
    "TamperedVersion",
    "UnknownForm",
    "VersionInfo",
    "check",
    "conflicts",
    "ensure_shipped",
    "get",
    "heads",
    "history",
    "keys",
    "last_changes",
    "live",
    "form_at",
    "live_version",
    "live_versions",
    "lock_form",
    "publish",
    "record_shipped",
    "text_of",
    "verify",
    "with_version",
]
