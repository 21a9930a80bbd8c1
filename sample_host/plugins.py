"""Plug-in discovery and the per-application host state kept in ``app.extensions["casehost"]``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pluggy
from flask import current_app

from appgov_plugin.host.contract import CaseTypeRegistry
from appgov_plugin.host.manager import Contributions


@dataclass
class CaseHost:
    """``app.extensions["casehost"]``: what the host knows about its plug-ins.

    * ``pm`` -- the pluggy ``PluginManager`` (project ``"casehost"``) used for every hook;
    * ``contributions`` -- what :func:`~appgov_plugin.host.manager.install_plugins` returned;
    * ``is_admin`` -- the host's admin rule, ``is_admin(user) -> bool``; plug-in admin views
      call it from their ``is_accessible`` to follow the host (only ``sysadmin``).
    """

    pm: pluggy.PluginManager
    contributions: Contributions
    is_admin: Callable[[Any], bool]

    @property
    def case_types(self) -> CaseTypeRegistry:
        return self.contributions.case_types


def current_host() -> CaseHost:
    """The :class:`CaseHost` of the current application."""
    return current_app.extensions["casehost"]
