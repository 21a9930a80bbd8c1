"""appgov's reactions to the transitions of an app's cases after approval.

Each lifecycle module (``listing``, ``delisting``, ``plans``) names the case types it
handles (``TYPES``) and offers ``veto(case, transition, user, comment)`` (a message refusing
the step, or ``None``) and ``after(case, transition, user, comment)`` (what the step changes
in the registry, in the host's transaction). Here every step of a case about an app also
keeps the case's link to the app and its deadlines (:mod:`.deadlines`), and a city's hook
modules may refuse a step (``appgov_check_transition``, :mod:`.hookspecs`).
"""

from __future__ import annotations

from ..state import get_state
from . import deadlines, delisting, listing, plans
from .registry import case_app_id, link_case

#: The modules that handle the lifecycle's case types (see the module's docstring).
HANDLERS: tuple = (listing, delisting, plans)


def _handler(case):
    return next((module for module in HANDLERS if case.type_key in module.TYPES), None)


def city_check(case, transition, user, comment) -> str | None:
    """A city's hook modules refusing the step (``appgov_check_transition``), or ``None``."""
    hook = getattr(get_state().policy().plugin_manager.hook, "appgov_check_transition", None)
    if hook is None:
        return None
    answer = hook(case=case, transition=transition, user=user, comment=comment)
    return str(answer) if answer else None


def veto(case, transition, user, comment="") -> str | None:
    handler = _handler(case)
    reason = handler.veto(case, transition, user, comment) if handler else None
    return reason or city_check(case, transition, user, comment)


def after(case, transition, user, comment="") -> None:
    handler = _handler(case)
    if handler is None:
        return
    app_id = case_app_id(case)
    if app_id is not None:
        link_case(case, app_id)
    deadlines.on_transition(case, transition.target, app_id)
    handler.after(case, transition, user, comment)
