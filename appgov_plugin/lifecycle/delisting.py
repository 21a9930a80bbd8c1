"""Delisting an app: the delisting application (TN-DEL-1..3) and the scheduled delisting.

The agency files the delisting application (form ``delisting_application``, case type
:data:`~.case_types.DELISTING`) for one of its apps in the stores or taken down for now; the
authority (role ``reviewer``) accepts it or returns it. Checked when it is submitted and
again when it is accepted (:func:`veto`):

* the app is the case's agency's own and listed or taken down (TN-DEL-1);
* ground (8) "other" needs the agency head's approval (TN-DEL-1 (8));
* the planned delisting date is at least the facade's ``delisting_notice`` deadline after
  the notice in the app (one calendar month, TIME-4), except for ground (5) or a special
  short-term takedown (TN-DEL-2).

When accepted (:func:`after`): a short-term takedown takes the app down now (status
``suspended``); a permanent delisting whose date has come delists it now, else schedules it
(``App.delist_on``) for :func:`apply_scheduled`, which ``flask appgov sweep`` calls. A
permanent delisting keeps the grounds and the source-code decision (TN-DEL-3) in the app's
history; the portal announcement is the authority's own action (:mod:`.actions`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from flask import has_request_context, url_for

from ..apps.models import App
from ..clock import today
from ..i18n import _, _l, format_date
from ..state import get_state
from .case_types import DELISTING
from .models import SYSTEM_ACTOR, AppEvent
from .registry import case_app_id, locked_app, record

TYPES = frozenset({DELISTING})

#: The statuses an app may be delisted from (the form's ``statuses``, TN-DEL-1).
DELISTABLE = ("listed", "suspended")
#: TN-DEL-1 ground (5): a severe defect not fixable within a week (no notice, TN-DEL-2)
SEVERE_DEFECT = "severe_defect"
#: TN-DEL-1 ground (8): other special circumstances, approved by the agency head
OTHER_GROUND = "other"
PERMANENT = "permanent"
SHORT_TERM = "short_term"
#: The steps that are checked: the agency's submission and the authority's acceptance.
CHECKED_STEPS = ("submit", "resubmit", "accept")

#: The labels of the form's fields that a refusal names (the form's own labels).
FIELD_LABELS = {
    "app": _l("App"),
    "announced_on": _l("Date the end of service was announced in the app"),
    "delist_on": _l("Planned delisting date"),
    "grounds_head_approved": _l("Approved by the agency head"),
}


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def notice_needed(data: dict) -> bool:
    """TN-DEL-2: the notice of one month is needed, except for ground (5) or a special
    short-term takedown."""
    return data.get("takedown_kind") != SHORT_TERM and data.get("grounds") != SEVERE_DEFECT


def earliest_delisting(data: dict, policy=None) -> dt.date | None:
    """The earliest delisting date the answers allow (TN-DEL-2, TIME-4): the facade's
    ``delisting_notice`` deadline of the notice date; ``None`` when no notice is needed or
    none is given."""
    announced = _date(data.get("announced_on"))
    if not notice_needed(data) or announced is None:
        return None
    return (policy or get_state().policy()).deadline("delisting_notice", announced)


def check(case) -> str | None:
    """Why the delisting application ``case`` may not move on, or ``None``."""
    data = case.data or {}
    app_id = case_app_id(case)
    app = get_state().session.get(App, app_id) if app_id is not None else None
    if app is None or app.agency_code != case.agency_code:
        return _("“%(field)s”: choose one of the agency's own apps.", field=FIELD_LABELS["app"])
    if app.status not in DELISTABLE:  # rule TN-DEL-1: an app in the stores, or taken down
        return _(
            "“%(field)s”: %(app)s is not listed or taken down for now, so it cannot be delisted.",
            field=FIELD_LABELS["app"],
            app=app.name,
        )
    # rule TN-DEL-1 (8): other special circumstances need the agency head's approval
    if data.get("grounds") == OTHER_GROUND and data.get("grounds_head_approved") is not True:
        return _(
            "“%(field)s”: delisting for other special circumstances needs the agency head's "
            "approval (TN-DEL-1).",
            field=FIELD_LABELS["grounds_head_approved"],
        )
    delist_on = _date(data.get("delist_on"))
    if delist_on is None:
        return _("“%(field)s” is needed.", field=FIELD_LABELS["delist_on"])
    if not notice_needed(data):
        return None
    announced = _date(data.get("announced_on"))
    if announced is None:  # rule TN-DEL-2: the notice in the app comes first
        return _(
            "“%(field)s” is needed: the end of service is announced in the app at least one "
            "month before delisting (TN-DEL-2).",
            field=FIELD_LABELS["announced_on"],
        )
    earliest = earliest_delisting(data)
    if delist_on < earliest:  # rule TN-DEL-2, TIME-4
        return _(
            "“%(field)s”: the earliest delisting date is %(date)s, one month after the "
            "notice in the app on %(notice)s (TN-DEL-2); only ground (5) or a short-term "
            "takedown needs no notice.",
            field=FIELD_LABELS["delist_on"],
            date=format_date(earliest),
            notice=format_date(announced),
        )
    return None


def veto(case, transition, user, comment="") -> str | None:
    """The checks of the module's docstring, on submission and on acceptance."""
    if transition.name not in CHECKED_STEPS:
        return None
    return check(case)


def source_code_decision(data: dict) -> dict:
    """TN-DEL-3: the source code opened (with its licence), or not (with the reason and
    the date the agency head approved it)."""
    if data.get("open_source") == "open":
        return {"open": True, "license": data.get("open_source_license") or ""}
    return {
        "open": False,
        "reason": data.get("not_open_reason") or "",
        "approved_on": data.get("not_open_approved_on") or None,
    }


def details_of(data: dict) -> dict:
    """What an app's history keeps of an accepted delisting application."""
    details = {
        "takedown_kind": data.get("takedown_kind"),
        "grounds": data.get("grounds"),
        "platforms": list(data.get("platforms") or ()),
        "announced_on": data.get("announced_on") or None,
        "delist_on": data.get("delist_on") or None,
    }
    if data.get("grounds") == OTHER_GROUND:
        details["grounds_other"] = data.get("grounds_other") or ""
    if data.get("takedown_kind") == SHORT_TERM:
        details["short_term_until"] = data.get("short_term_until") or None
    else:
        details["source_code"] = source_code_decision(data)  # rule TN-DEL-3
    return details


def _app_link(app: App) -> str | None:
    if not has_request_context():
        return None
    try:
        return url_for("appgov.app_detail", app_id=app.id)
    except Exception:  # a host without appgov's pages mounted
        return None


def tell_agency(event: str, app: App, subject, actor: str | None, case_id=None, **params):
    """Tell the app's agency staff (and its contact) what happened to the app."""
    from ..notifications import notify

    notify(
        event,
        roles=("agency_staff",),
        agency_code=app.agency_code,
        usernames=(app.contact_username,) if app.contact_username else (),
        subject=subject,
        params={"app": app.name, **params},
        link=_app_link(app),
        case_id=case_id,
        app_id=app.id,
        exclude=actor,
    )


def after(case, transition, user, comment="") -> None:
    """An accepted application takes the app down, delists it or schedules its delisting."""
    if transition.name != "accept":
        return
    data = case.data or {}
    app = locked_app(case_app_id(case))
    actor = getattr(user, "username", "") or ""
    details = details_of(data)
    if data.get("takedown_kind") == SHORT_TERM:  # rule TN-DEL-2: a special short-term takedown
        record(
            app,
            "taken_down",
            actor,
            status="suspended",
            case_id=case.id,
            reason=comment,
            details=details,
        )
        tell_agency("app_taken_down", app, _l("%(app)s is taken down for now"), actor, case.id)
        return
    delist_on = _date(data.get("delist_on"))
    if delist_on <= today():
        delist(app, actor, case_id=case.id, reason=comment, details=details)
        return
    app.delist_on = delist_on  # rule TN-DEL-2: waits for its date (apply_scheduled)
    record(app, "delisting_scheduled", actor, case_id=case.id, reason=comment, details=details)
    tell_agency(
        "delisting_scheduled",
        app,
        _l("%(app)s will be delisted on %(day)s"),
        actor,
        case.id,
        day=delist_on,
    )


def delist(app: App, actor: str, *, case_id=None, reason="", details=None) -> AppEvent:
    """Delist ``app`` now (from :func:`locked_app`; no commit) and tell its agency."""
    app.delist_on = None
    event = record(
        app,
        "delisted",
        actor,
        status="delisted",
        case_id=case_id,
        reason=reason,
        details=details,
    )
    tell_agency("app_delisted", app, _l("%(app)s is delisted"), actor, case_id)
    return event


def apply_scheduled(as_of: dt.date, actor: str = SYSTEM_ACTOR) -> list[int]:
    """Delist every app whose scheduled delisting date (``App.delist_on``, TN-DEL-2) is
    ``as_of`` or earlier; returns their ids. No commit. Idempotent: a delisted app has no
    date left, so a second run finds nothing. ``flask appgov sweep`` calls it."""
    session = get_state().session
    due = list(
        session.scalars(
            sa.select(App.id)
            .where(App.delist_on.is_not(None), App.delist_on <= as_of, App.status != "delisted")
            .order_by(App.id)
        )
    )
    done = []
    for app_id in due:
        app = locked_app(app_id)  # re-read under the lock: another run may have done it
        if app is None or app.delist_on is None or app.delist_on > as_of:
            continue
        if app.status == "delisted":
            app.delist_on = None
            continue
        scheduled = session.scalar(
            sa.select(AppEvent)
            .where(AppEvent.app_id == app.id, AppEvent.kind == "delisting_scheduled")
            .order_by(AppEvent.id.desc())
            .limit(1)
        )
        delist(
            app,
            actor,
            case_id=scheduled.case_id if scheduled else None,
            reason=_("The scheduled delisting date has come (TN-DEL-2)."),
            details=dict(scheduled.details or {}) if scheduled else {},
        )
        done.append(app.id)
    return done
