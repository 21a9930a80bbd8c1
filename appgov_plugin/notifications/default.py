"""The shared default of ``appgov_notify`` (``trylast``): in-app messages, e-mail after commit.

Registered by :func:`appgov_plugin.policy.manager.build_plugin_manager` right after the rule
defaults, so every city module, entry point and ``plugins=`` module is asked before it.
"""

from __future__ import annotations

from .hookspecs import hookimpl


@hookimpl(trylast=True)
def appgov_notify(notice):
    from .delivery import store

    store(notice)
    return True
