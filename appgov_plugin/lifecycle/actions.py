"""The app authority's own actions on an app's page (role ``reviewer`` of the app's city).

* **Take down for a security risk** (KH-SEC-1): a listed app is taken down now (status
  ``suspended``, ``App.security_takedown``); its relisting goes through the listing
  checklist, which then asks for a security test report.
* **Stop development** (KH-EVAL-3): an app proposed or in development without an approved
  proposal is stopped.
* **Delist** (KH-EVAL-3): an app listed or taken down without an approved proposal is
  delisted.
* **Record the portal announcement** (TN-DEL-3): the date and web address of the city app
  portal's announcement of a delisted app.

Each action is a POST form with its CSRF token and a mandatory reason, recorded in the
app's history with the reviewer's username (:func:`.registry.record`, under the app's write
lock). Refusals write nothing: another role 403, an app the user may not see 404 (alike for
a missing one), a step the app's state does not allow a message on the app's page (409),
bad input the form's messages (400). The app's agency staff are told
(:func:`appgov_plugin.notifications.notify`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import wtforms
from flask import abort, flash, redirect, request, url_for
from flask_login import current_user, login_required
from wtforms.validators import DataRequired, InputRequired

from ..apps.models import App
from ..forms.builder import AppGovForm
from ..forms.fields import CharacterLength, TaiwanDateField, UrlField, WebAddress, tidy_text
from ..i18n import _, _l
from ..state import get_state
from ..web import blueprint
from .delisting import tell_agency
from .registry import history, locked_app, record, was_approved

blueprint.add_templates(__file__)

#: The role of the app authority (Tainan's Smart Development Center, Kaohsiung's
#: Information Center) in the host contract.
AUTHORITY_ROLE = "reviewer"
#: Longest reason (characters).
MAX_REASON = 2000
#: Longest web address of a portal announcement (characters).
MAX_ADDRESS = 500


class ReasonForm(AppGovForm):
    """Every action's form: the reason, mandatory."""

    reason = wtforms.TextAreaField(
        _l("Reason"),
        filters=[tidy_text],
        validators=[DataRequired(), CharacterLength(None, MAX_REASON)],
    )


class PortalForm(ReasonForm):
    """TN-DEL-3: the portal's announcement, its date and web address."""

    announced_on = TaiwanDateField(_l("Date of the announcement"), validators=[InputRequired()])
    address = UrlField(
        _l("Web address of the announcement"),
        filters=[tidy_text],
        validators=[DataRequired(), CharacterLength(None, MAX_ADDRESS), WebAddress()],
    )


def _announced(app: App) -> bool:
    return any(event.kind == "portal_announced" for event in history(app.id))


@dataclass(frozen=True)
class Action:
    """One authority action: what it is called, the rule it serves, which apps it applies
    to (``possible``: ``None`` or why not), what it records."""

    key: str
    label: Any
    rule: str
    help: Any
    form: type[ReasonForm]
    possible: Callable[[App], Any]
    kind: str
    status: str | None
    done: Any
    #: offered only where the deployment applies ``rule`` ("profiles are real"); a security
    #: takedown is offered everywhere (a security risk is one anywhere; only its relisting's
    #: report is Kaohsiung's, KH-SEC-1)
    gated: bool = True

    def offered(self, policy) -> bool:
        return not self.gated or policy.applies(self.rule)


def _security_possible(app: App):
    if app.status != "listed":  # rule KH-SEC-1: a listed app is taken down
        return _("Only a listed app can be taken down for a security risk.")
    return None


def _stop_possible(app: App):
    if app.status not in ("proposed", "in_development"):
        return _("Only an app proposed or in development can be stopped.")
    if was_approved(app):  # rule KH-EVAL-3: only without approval
        return _("This app's development was approved: it is not stopped under KH-EVAL-3.")
    return None


def _delist_possible(app: App):
    if app.status not in ("listed", "suspended"):
        return _("Only a listed or taken-down app can be delisted.")
    if was_approved(app):  # rule KH-EVAL-3: only without approval
        return _(
            "This app's development was approved: it is delisted through a delisting case, "
            "not under KH-EVAL-3."
        )
    return None


def _portal_possible(app: App):
    if app.status != "delisted":  # rule TN-DEL-3: after the delisting
        return _("The portal announcement is recorded for a delisted app only.")
    if _announced(app):
        return _("The portal announcement of this app is already recorded.")
    return None


ACTIONS: dict[str, Action] = {
    action.key: action
    for action in (
        Action(
            "security_takedown",
            _l("Take down for a security risk"),
            "KH-SEC-1",
            _l(
                "The app leaves the stores now; its relisting needs a security test report "
                "(KH-SEC-1)."
            ),
            ReasonForm,
            _security_possible,
            "taken_down",
            "suspended",
            _l("%(app)s is taken down for a security risk."),
            gated=False,
        ),
        Action(
            "stop_development",
            _l("Stop development"),
            "KH-EVAL-3",
            _l("The app is developed without an approved proposal (KH-EVAL-3)."),
            ReasonForm,
            _stop_possible,
            "stopped",
            "stopped",
            _l("The development of %(app)s is stopped."),
        ),
        Action(
            "delist_unapproved",
            _l("Delist (KH-EVAL-3)"),
            "KH-EVAL-3",
            _l("The app is listed without an approved proposal (KH-EVAL-3)."),
            ReasonForm,
            _delist_possible,
            "delisted",
            "delisted",
            _l("%(app)s is delisted."),
        ),
        Action(
            "portal_announcement",
            _l("Record the portal announcement"),
            "TN-DEL-3",
            _l("The end of service as announced on the city's app portal (TN-DEL-3)."),
            PortalForm,
            _portal_possible,
            "portal_announced",
            None,
            _l("The portal announcement of %(app)s is recorded."),
        ),
    )
}


def is_authority() -> bool:
    """Whether the logged-in user acts for the app authority (the contract's role)."""
    return bool(
        current_user
        and current_user.is_authenticated
        and getattr(current_user, "role", None) == AUTHORITY_ROLE
    )


@dataclass
class OfferedAction:
    """What the app page shows of one action: its form (with the errors of a refused
    post), where it posts and a refusal's message."""

    action: Action
    form: ReasonForm
    url: str
    message: str | None = None


def authority_actions(app: App) -> list[OfferedAction]:
    """The actions the logged-in user may take on ``app`` now (the app page's partial):
    none unless the user is the authority and sees the app (the page's own 404 decided
    that); only the rules this deployment applies; only those the app's state allows."""
    if not is_authority():
        return []
    policy = get_state().policy()
    refused = getattr(request, "_appgov_authority_refused", None)
    out = []
    for action in ACTIONS.values():
        if not action.offered(policy):
            continue
        if refused is not None and refused[0] == action.key:
            out.append(
                OfferedAction(action, refused[1], _action_url(app, action), message=refused[2])
            )
            continue
        if action.possible(app) is not None:
            continue
        form = action.form(prefix=action.key, formdata=None)
        out.append(OfferedAction(action, form, _action_url(app, action)))
    return out


def _action_url(app: App, action: Action) -> str:
    return url_for("appgov.authority_action", app_id=app.id, key=action.key)


@blueprint.context_processor
def _authority_helpers():
    return {"authority_actions": authority_actions}


def _refuse(app_id: int, key: str, form, message: str | None, status: int):
    """The app page again, the action's form with its errors or ``message``; nothing
    written."""
    from ..apps.views import app_detail

    get_state().session.rollback()
    request._appgov_authority_refused = (key, form, message)
    return app_detail(app_id), status


@blueprint.post("/apps/<int:app_id>/authority/<key>")
@login_required
def authority_action(app_id: int, key: str):
    from ..apps.views import visible_app

    action = ACTIONS.get(key)
    if action is None:
        abort(404)
    visible_app(app_id)  # 404 for an app the user may not see (or a missing one)
    if not is_authority():
        abort(403)  # rule: only the app authority acts (KH-SEC-1, KH-EVAL-3, TN-DEL-3)
    if not action.offered(get_state().policy()):
        abort(404)  # the deployment does not apply the action's rule
    form = action.form(prefix=key)
    if not form.validate_on_submit():
        return _refuse(app_id, key, form, None, 400)
    session = get_state().session
    app = locked_app(app_id)
    why_not = action.possible(app)
    if why_not is not None:
        return _refuse(app_id, key, form, str(why_not), 409)
    actor = current_user.username
    reason = form.reason.data
    details: dict[str, Any] = {"rule": action.rule}
    if action.key == "security_takedown":
        app.security_takedown = True  # rule KH-SEC-1 (3): its relisting needs a report
        details["security_takedown"] = True
    elif action.key == "portal_announcement":
        details["announced_on"] = form.announced_on.data.isoformat()
        details["address"] = form.address.data
    if action.status == "delisted":
        app.delist_on = None
    record(app, action.kind, actor, status=action.status, reason=reason, details=details)
    tell_agency(f"authority_{action.key}", app, action.done, actor, rule=action.rule, reason=reason)
    session.commit()
    flash(str(action.done) % {"app": app.name}, "success")
    return redirect(url_for("appgov.app_detail", app_id=app.id, _anchor="authority-actions"))


__all__ = ["ACTIONS", "authority_actions", "is_authority"]
