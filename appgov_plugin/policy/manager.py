"""``get_policy``: the plugin manager of one city profile (policy-api.md)."""

from __future__ import annotations

import datetime as dt
import importlib
import threading
from types import ModuleType

import pluggy
from flask import current_app, has_app_context

from ..evaluation import hookspecs as evaluation_hookspecs
from ..i18n import _, _l, current_locale
from ..lifecycle import hookspecs as lifecycle_hookspecs
from ..mailbox import hookspecs as mailbox_hookspecs
from ..notifications import hookspecs as notification_hookspecs
from . import hookspecs
from .facade import Policy
from .rulebook import profile_label

ENTRY_POINT_GROUP = "appgov"
PROFILES: tuple[str, ...] = ("tainan", "kaohsiung", "taipei")
DEFAULTS_MODULE = "appgov_plugin.hooks.defaults"
#: hook specifications of the city plugin manager: the rules, the notifications, a city's
#: own workflow steps and checks, the adapter to the city's mailbox, the apps' figures from
#: the city's statistics source
HOOKSPEC_MODULES = (
    hookspecs,
    notification_hookspecs,
    lifecycle_hookspecs,
    mailbox_hookspecs,
    evaluation_hookspecs,
)

_managers: dict[tuple, pluggy.PluginManager] = {}
_lock = threading.Lock()


class UnknownProfileError(ValueError):
    """An unknown city profile. ``str()`` is the English developer message of the Python
    API; :meth:`translated` is what an official reads (the request's language)."""

    def __init__(self, profile):
        self.profile = profile
        super().__init__(f"unknown profile {profile!r}; known profiles: {', '.join(PROFILES)}")

    def translated(self) -> str:
        separator = "、" if current_locale() == "zh_Hant_TW" else ", "
        return _(
            "“%(profile)s” is not a city profile. Choose one of: %(known)s.",
            profile=self.profile,
            known=separator.join(f"{profile_label(p)} ({p})" for p in PROFILES),
        )


def check_profile(profile: str) -> str:
    """``profile`` when it is one of :data:`PROFILES`, else :class:`UnknownProfileError`."""
    if profile not in PROFILES:
        raise UnknownProfileError(profile)
    return profile


def _module(plugin) -> ModuleType | object:
    return importlib.import_module(plugin) if isinstance(plugin, str) else plugin


def build_plugin_manager(
    profile: str, plugins=(), *, load_entrypoints=True
) -> pluggy.PluginManager:
    """Defaults, then the profile's module, then ``appgov`` entry points, then ``plugins``.

    Later registrations are asked first, so each overrides the ones before it for the hooks
    it implements. ``check_pending()`` rejects a misspelt ``appgov_`` hook.
    """
    check_profile(profile)
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    for specs in HOOKSPEC_MODULES:
        pm.add_hookspecs(specs)
    pm.register(importlib.import_module(DEFAULTS_MODULE), name="appgov.defaults")
    pm.register(importlib.import_module(f"appgov_plugin.hooks.{profile}"), name=f"appgov.{profile}")
    if load_entrypoints:
        pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    for plugin in plugins:
        module = _module(plugin)
        if pm.is_registered(module):
            continue
        pm.register(module, name=getattr(module, "plugin_name", None))
    pm.check_pending()
    return pm


def _database_layer():
    """The application's database layer when called inside an app running appgov."""
    if has_app_context():
        state = current_app.extensions.get("appgov")
        if state is not None:
            return state.database_layer
    return None


def get_policy(
    profile: str, plugins=(), as_of: dt.date | None = None, *, database: bool | None = None
) -> Policy:
    """The policy facade of ``profile`` with parameters in force on ``as_of`` (default today).

    Inside a Flask application running appgov, the deployment's database layer (calendar
    overrides, administrators' parameter changes) is registered above everything else;
    ``database=False`` leaves it out, ``database=True`` insists on it. Outside an
    application the shipped defaults apply.

    Plugin managers are cached per (profile, plugins); :func:`reset_cache` forgets them
    (after installing or removing an ``appgov`` entry point at run time).
    """
    layer = None
    if database is not False:
        layer = _database_layer()
        if layer is None and database:
            raise RuntimeError("get_policy(database=True) needs an application running appgov")
        if layer is not None:
            layer.refresh()
    return policy_with_layer(profile, plugins, as_of, layer)


def policy_with_layer(profile, plugins, as_of, layer) -> Policy:
    """:func:`get_policy` once the database layer (or ``None``) is known and fresh."""
    check_profile(profile)
    if as_of is not None and (isinstance(as_of, dt.datetime) or not isinstance(as_of, dt.date)):
        raise ValueError(f"as_of must be a date, not {as_of!r}")
    plugins = tuple(plugins) + ((layer,) if layer is not None else ())
    key = (profile, plugins)
    pm = _managers.get(key)
    if pm is None:
        with _lock:
            pm = _managers.get(key)
            if pm is None:
                pm = _managers[key] = build_plugin_manager(profile, plugins)
    return Policy(profile, pm, as_of)


def reset_cache() -> None:
    with _lock:
        _managers.clear()


def hook_modules(policy: Policy) -> list[str]:
    """Registered hook modules, highest priority first (the order pluggy asks them)."""
    return [name for name, _plugin in reversed(policy.plugin_manager.list_name_plugin())]


_MODULE_LABELS = {
    "appgov.database": _l("Rule parameter changes in the database"),
    "appgov.defaults": _l("Shared defaults"),
}


def hook_module_label(name: str):
    """What an official reads for hook module ``name``: 「臺南市規定」 for ``appgov.tainan``,
    「資料庫中的規則參數變更」 for the database layer; a deployment's own module keeps its
    name (``city_package`` -> 「本市掛勾模組 city_package」)."""
    if name in _MODULE_LABELS:
        return _MODULE_LABELS[name]
    profile = name.removeprefix("appgov.")
    if name.startswith("appgov.") and profile in PROFILES:
        return _("%(city)s rules", city=profile_label(profile))
    return _("Deployment hook module %(name)s", name=name)


def hook_module_labels(policy: Policy) -> list[tuple[str, str]]:
    """``(key, label)`` of each hook module, highest priority first."""
    return [(name, str(hook_module_label(name))) for name in hook_modules(policy)]
