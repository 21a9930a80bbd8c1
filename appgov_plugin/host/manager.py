"""Host-side helpers: build the host plugin manager and install what plug-ins contribute.

A host that speaks the case-host contract needs only::

    pm = get_host_plugin_manager()
    registry = install_plugins(app, db, admin, pm)

:class:`appgov_plugin.AppGov` uses the same function with a manager that holds appgov
alone, so the entry-point path and the plain-extension path install the same things.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import pluggy

from . import hookspecs
from .contract import CaseTypeRegistry, ContractError

ENTRY_POINT_GROUP = "casehost"


def get_host_plugin_manager(*, load_entrypoints: bool = True, plugins=()) -> pluggy.PluginManager:
    """The host's plugin manager: the contract's specs, entry-point plug-ins, then ``plugins``.

    ``check_pending()`` makes a misspelt hook implementation fail loudly.
    """
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    if load_entrypoints:
        pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    for plugin in plugins:
        pm.register(plugin)
    pm.check_pending()
    return pm


class NavLink(NamedTuple):
    """One link a plug-in contributed to the host's main navigation (``casehost_nav_links``).

    ``badge`` answers a number for the current user (``None`` or ``0``: no badge);
    ``visible(user)`` whether the logged-in ``user`` gets the link (``None``: every logged-in
    user); ``badge_label`` the badge's words for a screen reader, a text (lazy or not) with
    ``%(num)d``, formatted as ``badge_label % {"num": count}`` -- a plural-aware text such as
    :func:`appgov_plugin.i18n.lazy_plural` picks the language's plural form there
    (``None``: the host's own words).
    """

    label: Any
    endpoint: str
    badge: Callable[[], int | None] | None = None
    visible: Callable[[Any], bool] | None = None
    badge_label: Any = None

    def shown_to(self, user) -> bool:
        """Whether ``user`` (the host's logged-in user) gets this link."""
        return self.visible is None or bool(self.visible(user))

    def badge_words(self, count: int) -> str | None:
        """The badge's words for ``count``, or ``None`` for the host's own."""
        return None if self.badge_label is None else str(self.badge_label % {"num": count})


@dataclass
class Contributions:
    """Everything the plug-ins of one host application contributed."""

    case_types: CaseTypeRegistry = field(default_factory=CaseTypeRegistry)
    admin_views: list = field(default_factory=list)
    #: the host's main navigation's links (:class:`NavLink`), in registration order
    nav_links: list[NavLink] = field(default_factory=list)


def _plugin_names(pm: pluggy.PluginManager, hook_name: str) -> list[tuple[str, object]]:
    """(plug-in name, implementation) in registration order (pluggy calls them reversed)."""
    return [(impl.plugin_name, impl) for impl in getattr(pm.hook, hook_name).get_hookimpls()]


def collect_translation_dirs(app, pm) -> list[tuple[str, str]]:
    """Call ``casehost_translation_dirs``: ``[(directory, domain), ...]``.

    Hosts call this before ``Babel.init_app`` and append the pairs to
    ``BABEL_TRANSLATION_DIRECTORIES`` / ``BABEL_DOMAIN`` (both ``;``-separated).
    """
    found: list[tuple[str, str]] = []
    pm.hook.casehost_translation_dirs(
        app=app, register=lambda d, domain: found.append((str(d), domain))
    )
    return found


def collect_case_types(app, pm) -> CaseTypeRegistry:
    """Call every ``casehost_case_types`` implementation, naming each plug-in on conflict."""
    registry = CaseTypeRegistry()
    for name, impl in _plugin_names(pm, "casehost_case_types"):
        impl.function(app=app, register=lambda ct, _owner=name: registry.register(ct, _owner))
    return registry


def install_plugins(app, db, admin, pm: pluggy.PluginManager) -> Contributions:
    """Run the start-up hooks in contract order and wire the results into ``app``.

    ``admin`` is the host's single Flask-Admin ``Admin`` (or ``None`` to skip admin views).
    Raises :class:`ContractError` on a broken contribution before anything is registered.
    """
    pm.hook.casehost_init_app(app=app, db=db)
    contributions = Contributions()
    contributions.case_types = collect_case_types(app, pm)

    blueprints = []
    pm.hook.casehost_blueprints(
        app=app,
        register=lambda bp, url_prefix=None, csrf_exempt=False: blueprints.append(
            (bp, url_prefix, csrf_exempt)
        ),
    )
    pm.hook.casehost_nav_links(
        app=app,
        register=lambda label, endpoint, badge=None, visible=None, badge_label=None: (
            contributions.nav_links.append(NavLink(label, endpoint, badge, visible, badge_label))
        ),
    )
    views = []
    pm.hook.casehost_admin_views(app=app, db=db, register=views.append)
    endpoints = [v.endpoint for v in views]
    duplicated = sorted({e for e in endpoints if endpoints.count(e) > 1})
    if duplicated:
        raise ContractError(f"admin view endpoint registered twice: {', '.join(duplicated)}")
    commands = []
    pm.hook.casehost_cli_commands(app=app, register=commands.append)

    for bp, url_prefix, csrf_exempt in blueprints:
        app.register_blueprint(bp, url_prefix=url_prefix)
        if csrf_exempt:
            exempt_from_csrf(app, bp)
    if admin is not None:
        for view in views:
            admin.add_view(view)
    contributions.admin_views = views
    for command in commands:
        app.cli.add_command(command)
    return contributions


def exempt_from_csrf(app, blueprint) -> None:
    """Exempt ``blueprint`` from Flask-WTF's ``CSRFProtect`` (``app.extensions["csrf"]``): an
    API authenticated by a key, not by a cookie. A host that sets ``CSRFProtect`` up after
    the plug-ins (``AppGov(app)`` before ``CSRFProtect(app)``) gets the exemption at its
    first request, before ``CSRFProtect`` checks it; every other blueprint stays protected."""

    def exempt() -> bool:
        csrf = app.extensions.get("csrf")
        if csrf is None:
            return False
        csrf.exempt(blueprint)
        return True

    if exempt():
        return
    pending = app.extensions.setdefault("casehost_csrf_exempt", [])
    pending.append(exempt)
    if len(pending) == 1:

        def exempt_pending():
            # before CSRFProtect's own check: registered earlier, so Flask runs it first
            if pending and app.extensions.get("csrf") is not None:
                for later in pending:
                    later()
                pending.clear()

        app.before_request(exempt_pending)


def case_deadlines(app, pm, case_ids) -> dict:
    """Every plug-in's ``casehost_case_deadlines`` answer for ``case_ids``, merged (for a case
    two plug-ins answer, the earlier due date)."""
    merged: dict = {}
    if not case_ids:
        return merged
    for answer in pm.hook.casehost_case_deadlines(app=app, case_ids=list(case_ids)):
        for case_id, deadline in (answer or {}).items():
            known = merged.get(case_id)
            if known is None or deadline.due_on < known.due_on:
                merged[case_id] = deadline
    return merged


__all__ = [
    "ENTRY_POINT_GROUP",
    "ContractError",
    "Contributions",
    "case_deadlines",
    "collect_case_types",
    "collect_translation_dirs",
    "exempt_from_csrf",
    "get_host_plugin_manager",
    "install_plugins",
]
