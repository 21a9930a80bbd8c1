"""Changing an app in the registry: the only way its status and version move.

Every change goes through :func:`record`, which writes the app's new status (and version)
and an :class:`~.models.AppEvent` in the caller's transaction, with the app read under its
write lock (:func:`locked_app`), so two decisions on one app are serialised and the second
sees the first one's result. Workflows call it from their after-transition hooks; the
administrator's correction and the sweep call it too.

Cases about an app are linked to it (:func:`link_case`) when they take a step, and appgov
opens the cases the rules demand through the host (:func:`open_case_for`), once per app,
case type and reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from flask import current_app

from ..apps.models import App, app_id_of
from ..db import utcnow, write_lock
from ..state import get_state
from .models import AppCase, AppEvent


class LifecycleError(ValueError):
    """A lifecycle step that the rules refuse; ``str()`` is the message for the user (in the
    request's language) and ``field`` the form field at fault, when one is."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def locked_app(app_id: int) -> App | None:
    """App ``app_id`` re-read under its write lock until the transaction ends
    (``SELECT ... FOR UPDATE`` on PostgreSQL; the database's write lock on SQLite)."""
    session = get_state().session
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        write_lock(connection, "appgov_app", str(app_id))
        connection.execute(sa.text("UPDATE appgov_app SET id = id WHERE id = :id"), {"id": app_id})
        query = sa.select(App).where(App.id == app_id)
    else:
        query = sa.select(App).where(App.id == app_id).with_for_update()
    return session.scalars(query.execution_options(populate_existing=True)).one_or_none()


def record(
    app: App,
    kind: str,
    actor: str,
    *,
    status: str | None = None,
    version: str | None = None,
    case_id: int | None = None,
    reason: str = "",
    details: Mapping[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> AppEvent:
    """Move ``app`` to ``status`` (default: unchanged) and ``version`` (default: unchanged)
    and append the step to its history; no commit. Call it with the app from
    :func:`locked_app`."""
    previous = app.status
    if status is not None:
        app.status = status
    if version is not None:
        app.version = version
    event = AppEvent(
        app_id=app.id,
        at=at or utcnow(),
        kind=kind,
        actor=actor,
        case_id=case_id,
        from_status=previous,
        to_status=app.status,
        version=app.version,
        reason=reason or "",
        details=dict(details or {}),
    )
    session = get_state().session
    session.add(event)
    session.flush()
    return event


def history(app_id: int) -> list[AppEvent]:
    """The app's history, oldest first."""
    return list(
        get_state().session.scalars(
            sa.select(AppEvent).where(AppEvent.app_id == app_id).order_by(AppEvent.id)
        )
    )


def was_approved(app: App) -> bool:
    """KH-EVAL-1 / TN-EVAL-1: the app's development was approved -- its proposal approved in
    appgov (``proposal_case_id``), or an administrator registered it as approved under the
    procedure before appgov (the ``registered`` step's ``details["approved"]``). An app
    without approval is not listed, and the authority stops or delists it (KH-EVAL-3)."""
    if app.proposal_case_id is not None:
        return True
    details = get_state().session.scalars(
        sa.select(AppEvent.details).where(AppEvent.app_id == app.id, AppEvent.kind == "registered")
    )
    return any(bool((item or {}).get("approved")) for item in details)


def case_app_id(case) -> int | None:
    """The app a case is about: its answer ``app`` (the registry id), else ``None``."""
    return app_id_of((case.data or {}).get("app"))


def link_case(case, app_id: int, *, reason_key: str | None = None) -> AppCase:
    """Keep (or update) the link of host case ``case`` to app ``app_id`` with the case's
    current state; no commit."""
    session = get_state().session
    link = session.get(AppCase, int(case.id))
    if link is None:
        link = AppCase(
            case_id=int(case.id),
            app_id=app_id,
            type_key=case.type_key,
            status=case.status,
            agency_code=case.agency_code,
            reason_key=reason_key,
        )
        session.add(link)
    else:
        link.app_id = app_id
        link.status = case.status
        link.updated_at = utcnow()
    session.flush()
    return link


def cases_of(app_id: int) -> list[AppCase]:
    """The cases linked to an app, newest first (drafts are linked once submitted)."""
    return list(
        get_state().session.scalars(
            sa.select(AppCase).where(AppCase.app_id == app_id).order_by(AppCase.case_id.desc())
        )
    )


def opened_for(app_id: int, type_key: str, reason_key: str) -> AppCase | None:
    """The case appgov opened for ``app_id`` of ``type_key`` and ``reason_key``, if any."""
    return get_state().session.scalar(
        sa.select(AppCase).where(
            AppCase.app_id == app_id,
            AppCase.type_key == type_key,
            AppCase.reason_key == reason_key,
        )
    )


def open_case_for(
    app: App, type_key: str, data: Mapping[str, Any], *, reason_key: str, comment: str
) -> tuple[AppCase, bool]:
    """Open a ``type_key`` case about ``app`` through the host (``casehost_open_case``,
    owned by the app's contact) unless one was opened for the same ``reason_key``: returns
    (the link, whether it is new). Call it with the app from :func:`locked_app`: the lock
    serialises concurrent callers; the unique (app, type, reason) backs it up."""
    known = opened_for(app.id, type_key, reason_key)
    if known is not None:
        return known, False
    host = current_app.extensions.get("casehost")
    if host is None:
        raise RuntimeError("appgov opens cases through a case host (casehost_open_case)")
    case = host.pm.hook.casehost_open_case(
        app=current_app._get_current_object(),
        type_key=type_key,
        agency_code=app.agency_code,
        data={"app": str(app.id), "app_name": app.name, **dict(data)},
        owner_username=app.contact_username,
        comment=comment,
    )
    if case is None:
        raise RuntimeError("the host does not open cases for plug-ins (casehost_open_case)")
    return link_case(case, app.id, reason_key=reason_key), True
