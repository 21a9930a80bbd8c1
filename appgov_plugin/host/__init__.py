"""The case-host contract (hookspecs, data types, host-side helpers) and appgov's side of it."""

from .contract import (
    STANDARD_ROLES,
    CaseType,
    CaseTypeRegistry,
    ContractError,
    Transition,
    Workflow,
)
from .hookspecs import hookimpl
from .manager import Contributions, get_host_plugin_manager, install_plugins

__all__ = [
    "STANDARD_ROLES",
    "CaseType",
    "CaseTypeRegistry",
    "ContractError",
    "Contributions",
    "Transition",
    "Workflow",
    "get_host_plugin_manager",
    "hookimpl",
    "install_plugins",
]
