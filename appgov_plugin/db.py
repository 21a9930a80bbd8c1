"""Declarative base of appgov's own tables.

appgov's tables live in their own ``MetaData`` (every table prefixed ``appgov_``) with their
own Alembic history, so the plug-in can join a host's existing database without touching
the host's tables. Queries use the host's Flask-SQLAlchemy session, which binds any mapped
class to the host's engine.
"""

import datetime as dt
import hashlib
import importlib

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

TABLE_PREFIX = "appgov_"

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


#: every appgov table (each capability's ``models`` module adds its own)
metadata = Base.metadata

#: The modules that declare appgov's tables (a capability with tables adds its own).
MODEL_MODULES = (
    "appgov_plugin.policy.models",
    "appgov_plugin.apps.models",
    "appgov_plugin.forms.store",
    "appgov_plugin.lifecycle.models",
    "appgov_plugin.notifications.models",
    "appgov_plugin.mailbox.models",
    "appgov_plugin.rollout.models",
    "appgov_plugin.rollout.models_meetings",
    "appgov_plugin.rollout.support_models",
    "appgov_plugin.rollout.models_exports",
    "appgov_plugin.training.models",
    "appgov_plugin.evaluation.models",
)


def load_models() -> None:
    """Import every module of :data:`MODEL_MODULES`, so :data:`metadata` holds all tables."""
    for name in MODEL_MODULES:
        importlib.import_module(name)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class TimestampMixin:
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


def write_lock(connection: sa.Connection, chain: str, key: str) -> None:
    """Hold the write lock of one hash-chained history (``chain``, e.g. the table's name,
    and ``key``, e.g. a parameter's name) until ``connection``'s transaction ends.

    PostgreSQL: ``pg_advisory_xact_lock`` on a 64-bit hash of both (other keys are not held
    up). SQLite, which has one writer at a time anyway: the transaction is begun
    ``IMMEDIATE``, taking the database's write lock now rather than at the insert, so nothing
    else commits between reading the chain's head and appending to it.
    """
    dialect = connection.dialect.name
    if dialect == "postgresql":
        digest = hashlib.sha256(f"{chain}:{key}".encode()).digest()
        number = int.from_bytes(digest[:8], "big", signed=True)
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": number})
    elif dialect == "sqlite":
        if not connection.connection.driver_connection.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        raise RuntimeError(f"appgov supports SQLite and PostgreSQL, not {dialect}")
