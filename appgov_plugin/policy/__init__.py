"""The city policy engine: hookspecs, parameters, calendar and the public facade."""

from .calendar import WorkingCalendar, add_months
from .facade import Policy
from .hookspecs import hookimpl
from .manager import PROFILES, check_profile, get_policy, hook_modules, reset_cache
from .parameters import COURSE_TYPES, DEADLINE_KINDS, PARAMETERS
from .versions import Version, parse_version

__all__ = [
    "COURSE_TYPES",
    "DEADLINE_KINDS",
    "PARAMETERS",
    "PROFILES",
    "Policy",
    "Version",
    "WorkingCalendar",
    "add_months",
    "check_profile",
    "get_policy",
    "hook_modules",
    "hookimpl",
    "parse_version",
    "reset_cache",
]
