"""Listing an app and changing its version: the listing (change) checklist (TN-LIST-1/2,
KH-LIST-1/2, KH-VER-1, KH-SEC-1).

The agency files the checklist (form ``listing_checklist``, case type
:data:`~.case_types.LISTING`) for one of its apps: a new listing of an app in development,
a version change of a listed app, or the relisting of an app taken down for a while. The
authority (role ``reviewer``) approves the listing or returns the checklist. Checked when
it is submitted and again when it is approved (:func:`veto`, :func:`problem`):

* the app exists and is the case's agency's own;
* the kind of application fits the app's status (new listing: in development; version
  change: listed; relisting: taken down);
* the app was approved: its development proposal was approved, or an administrator
  registered it as approved (KH-EVAL-3; TN-EVAL-1 in Tainan);
* the version is ``MAJOR.MINOR.PATCH`` and higher than the app's current one (KH-VER-1; a
  relisting may bring back the version that was taken down, never a lower one);
* the previous version and the security takedown typed in the checklist are the
  registry's (the form's ``required_by`` decides the report with them);
* the security test report is there when :meth:`Policy.needs_security_report` asks for it
  (KH-SEC-1: a new app, a major change, a relisting after a security takedown), only where
  the deployment applies KH-SEC-1 (a Tainan deployment asks for none).

A refusal names the field (its label in the form of the case, in the reader's language)
and writes nothing. On approval the app is read under its write lock first, so a second
listing of the same app approved at the same moment is checked against the first one's
result and refused (its version is no longer higher).

When approved (:func:`after`) the app's store links, icon, version, listing date (first
listing) and status (listed) change through :func:`~.registry.record`, which keeps the step
in the app's history with the report's file reference, the links and the icon. The
reviewers of the agency's city are told of a submission, the owner of the decision
(:func:`appgov_plugin.notifications.notify`).
"""

from __future__ import annotations

from typing import Any

from flask import current_app, has_request_context, url_for

from ..apps.models import APP_STATUSES, App
from ..clock import today
from ..forms.schema import Text
from ..i18n import _, _l
from ..policy.versions import parse_version
from ..state import get_state
from .case_types import LISTING
from .models import AppEvent
from .registry import LifecycleError, case_app_id, locked_app, record, was_approved

TYPES = frozenset({LISTING})

NEW_LISTING, VERSION_CHANGE, RELISTING = "new_listing", "version_change", "relisting"
#: The app's status each kind of application is for.
STATUS_OF_KIND = {NEW_LISTING: "in_development", VERSION_CHANGE: "listed", RELISTING: "suspended"}
#: The history step each kind of application records when approved.
EVENT_OF_KIND = {NEW_LISTING: "listed", VERSION_CHANGE: "version", RELISTING: "relisted"}
#: The steps that are checked: the agency's submission and the authority's approval.
CHECKED_STEPS = ("submit", "resubmit")
APPROVED = "accepted"

#: Labels of fields, for a case whose form does not name them (never in a stored form).
_FALLBACK_LABELS = {
    "app": _l("App"),
    "kind": _l("Kind of application"),
    "new_version": _l("Version to list"),
    "previous_version": _l("Previous version"),
    "security_takedown": _l("The app was taken down for a security risk"),
    "security_report": _l("Security test report"),
}


def _definition(case):
    from ..forms import store

    try:
        if case.form_key and case.form_version:
            return store.get(case.form_key, case.form_version)
        return store.live("listing_checklist")
    except (LookupError, ValueError):
        return None


def label(case, name: str) -> str:
    """Field ``name``'s label in the form the case was filed with (the reader's language)."""
    definition = _definition(case)
    if definition is not None and name in definition.names:
        spec = definition.spec(name)
        if spec.get("label"):
            return str(Text(spec["label"]))
    return str(_FALLBACK_LABELS.get(name, name))


def _choice_label(case, name: str, value: str) -> str:
    definition = _definition(case)
    if definition is not None and name in definition.names:
        for choice in definition.spec(name).get("choices", ()):
            if choice["value"] == value:
                return str(Text(choice["label"]))
    return value


def _report(data) -> Any:
    value = (data or {}).get("security_report")
    return value if isinstance(value, dict) and value.get("sha256") else None


def needs_report(policy, app: App, data) -> bool:
    """KH-SEC-1, where the deployment applies it: whether this application needs the
    security test report, from the registry's version and takedown (not the typed ones)."""
    if not policy.applies("KH-SEC-1"):
        return False  # rule KH-SEC-1 is Kaohsiung's ("Profiles are real")
    kind = data.get("kind")
    previous = None if kind == NEW_LISTING else app.version
    try:
        return policy.needs_security_report(
            previous,
            str(data.get("new_version") or "").strip(),
            relisting_after_security_takedown=kind == RELISTING and bool(app.security_takedown),
        )
    except ValueError:
        return False  # the version itself is refused (KH-VER-1)


def problem(case, app: App | None, policy=None) -> LifecycleError | None:
    """Why the checklist ``case`` cannot go on for ``app`` (as the registry has it now), or
    ``None``. The error's ``field`` is the field at fault, its message names it."""
    policy = policy or get_state().policy()
    data = dict(case.data or {})
    if app is None or app.agency_code != case.agency_code:
        # another agency's app (a guessed id too) is no app of this agency's
        return LifecycleError(
            _("%(field)s: choose one of your agency's apps.", field=label(case, "app")), "app"
        )
    kind = data.get("kind")
    wanted = STATUS_OF_KIND.get(kind)
    if wanted is None:
        return LifecycleError(
            _("%(field)s: choose the kind of application.", field=label(case, "kind")), "kind"
        )
    if app.status != wanted:
        return LifecycleError(
            _(
                "%(field)s: “%(kind)s” is for an app that is “%(wanted)s”; "
                "%(app)s is “%(status)s”.",
                field=label(case, "kind"),
                kind=_choice_label(case, "kind", kind),
                wanted=str(APP_STATUSES[wanted]),
                app=app.name,
                status=str(APP_STATUSES.get(app.status, app.status)),
            ),
            "kind",
        )
    if not was_approved(app):  # rule KH-EVAL-3, TN-EVAL-1
        rule = "KH-EVAL-3" if policy.applies("KH-EVAL-3") else "TN-EVAL-1"
        return LifecycleError(
            _(
                "%(field)s: %(app)s has no approved development proposal, so it cannot be "
                "listed (%(rule)s).",
                field=label(case, "app"),
                app=app.name,
                rule=rule,
            ),
            "app",
        )
    version_rule = "KH-VER-1" if policy.applies("KH-VER-1") else "TN-LIST-1"
    new_text = str(data.get("new_version") or "").strip()
    try:  # rule KH-VER-1: MAJOR.MINOR.PATCH
        new = parse_version(new_text)
    except ValueError:
        return LifecycleError(
            _(
                "%(field)s: “%(value)s” is no version MAJOR.MINOR.PATCH, e.g. 1.0.0 (%(rule)s).",
                field=label(case, "new_version"),
                value=new_text,
                rule=version_rule,
            ),
            "new_version",
        )
    current = None
    if app.version:
        try:
            current = parse_version(app.version)
        except ValueError:
            current = None  # a version typed before KH-VER-1 was checked: any new one goes
    if current is not None and (new < current or (new == current and kind != RELISTING)):
        # rule KH-VER-1: a new version is higher; a relisting may bring the same one back
        return LifecycleError(
            _(
                "%(field)s: %(new)s is not higher than the app's current version "
                "%(current)s (%(rule)s).",
                field=label(case, "new_version"),
                new=new_text,
                current=app.version,
                rule=version_rule,
            )
            if kind != RELISTING
            else _(
                "%(field)s: %(new)s is lower than the app's current version %(current)s "
                "(%(rule)s).",
                field=label(case, "new_version"),
                new=new_text,
                current=app.version,
                rule=version_rule,
            ),
            "new_version",
        )
    if kind != NEW_LISTING and "previous_version" in data:
        typed = str(data.get("previous_version") or "").strip()
        if typed != (app.version or ""):
            return LifecycleError(
                _(
                    "%(field)s: the registry's current version of %(app)s is %(current)s, "
                    "not “%(value)s”.",
                    field=label(case, "previous_version"),
                    app=app.name,
                    current=app.version or "—",
                    value=typed,
                ),
                "previous_version",
            )
    if (
        kind == RELISTING
        and "security_takedown" in data
        and bool(data.get("security_takedown")) != bool(app.security_takedown)
    ):
        message = (
            _(
                "%(field)s: the registry records that %(app)s was taken down for a "
                "security risk: tick it.",
                field=label(case, "security_takedown"),
                app=app.name,
            )
            if app.security_takedown
            else _(
                "%(field)s: the registry records no security takedown of %(app)s: "
                "leave it unticked.",
                field=label(case, "security_takedown"),
                app=app.name,
            )
        )
        return LifecycleError(message, "security_takedown")
    if needs_report(policy, app, data) and _report(data) is None:  # rule KH-SEC-1
        return LifecycleError(
            _(
                "%(field)s: this application needs the security test report (KH-SEC-1: a "
                "new app, a change of the major version, a relisting after a takedown for "
                "a security risk).",
                field=label(case, "security_report"),
            ),
            "security_report",
        )
    return None


def _app(case) -> App | None:
    app_id = case_app_id(case)
    return get_state().session.get(App, app_id) if app_id is not None else None


def veto(case, transition, user, comment="") -> str | None:
    """The reason to refuse a submission or an approval of the checklist, or ``None``."""
    if transition.target == APPROVED:
        # rule KH-VER-1: read under the app's write lock, so two approvals of the same app
        # are serialised and the second is checked against the first one's result
        app_id = case_app_id(case)
        app = locked_app(app_id) if app_id is not None else None
    elif transition.name in CHECKED_STEPS:
        app = _app(case)
    else:
        return None
    error = problem(case, app)
    return str(error) if error is not None else None


def _links(app: App, data) -> tuple[str | None, str | None]:
    """The store links after the listing: those the checklist gives; a store it no longer
    names loses its link; a store it names without a link keeps the one it had."""
    platforms = set(data.get("platforms") or ())
    out = []
    for platform, current in (("ios", app.ios_url), ("android", app.android_url)):
        given = str(data.get(f"download_link_{platform}") or "").strip() or None
        if given is None:
            given = current if platform in platforms else None
        out.append(given)
    return out[0], out[1]


def apply(case, user, comment: str = "") -> AppEvent:
    """The approved checklist's effect on the registry (in the caller's transaction)."""
    app_id = case_app_id(case)
    app = locked_app(app_id) if app_id is not None else None
    error = problem(case, app)
    if error is not None:  # moved since the veto (it holds the lock: not expected)
        raise error
    data = dict(case.data or {})
    kind = data["kind"]
    before = app.version
    ios_url, android_url = _links(app, data)
    icon = data.get("icon") if isinstance(data.get("icon"), dict) else app.icon
    app.ios_url, app.android_url = ios_url, android_url
    app.icon = icon  # rule KH-LIST-2: the icon of the approved listing
    if app.listed_on is None:
        app.listed_on = today()
    if kind == RELISTING:
        app.security_takedown = False  # rule KH-SEC-1 (3): relisted with its report
    return record(
        app,
        EVENT_OF_KIND[kind],
        getattr(user, "username", ""),
        status="listed",
        version=str(data["new_version"]).strip(),
        case_id=int(case.id),
        reason=comment or "",
        details={
            "kind": kind,
            "from_version": before,
            "security_report": _report(data),  # rule KH-SEC-1
            "ios_url": ios_url,
            "android_url": android_url,
            "icon": icon,
            "change_summary": data.get("change_summary") or "",
        },
    )


# -- notifications --------------------------------------------------------------------------


def _link(app_id: int | None) -> str | None:
    if app_id is None or not has_request_context():
        return None
    try:
        return url_for("appgov.app_detail", app_id=app_id)
    except Exception:  # a host without appgov's pages: no link
        return None


def _owner(case):
    """The case's owner as the host knows them (with their e-mail), else their username."""
    username = getattr(case, "owner_username", None)
    if not username:
        return None
    casehost = current_app.extensions.get("casehost") if current_app else None
    if casehost is not None:
        people = casehost.pm.hook.casehost_users(
            app=current_app._get_current_object(),
            roles=("agency_staff", "agency_head"),
            agency_code=case.agency_code,
        )
        for person in people or ():
            if getattr(person, "username", None) == username:
                return person
    return username


def _notify(case, transition, user) -> None:
    from ..notifications import notify

    data = case.data or {}
    app_id = case_app_id(case)
    params = {"app": str(data.get("app_name") or ""), "version": str(data.get("new_version") or "")}
    actor = getattr(user, "username", None)
    common = {"params": params, "link": _link(app_id), "case_id": int(case.id), "app_id": app_id}
    if transition.name in CHECKED_STEPS:
        notify(
            "listing_submitted",
            roles=("reviewer",),
            agency_code=case.agency_code,
            subject=_l("Listing checklist of %(app)s %(version)s submitted"),
            exclude=actor,
            **common,
        )
        return
    owner = _owner(case)
    if owner is None:
        return
    if transition.target == APPROVED:
        subject = _l("Listing of %(app)s %(version)s approved")
        event = "listing_approved"
    elif transition.name == "return":
        subject = _l("Listing checklist of %(app)s returned for revision")
        event = "listing_returned"
    else:
        return
    notify(event, usernames=(owner,), subject=subject, exclude=actor, **common)


def after(case, transition, user, comment="") -> None:
    """An approved checklist lists the app or changes its version; people are told."""
    if transition.target == APPROVED:
        apply(case, user, comment)
    _notify(case, transition, user)
