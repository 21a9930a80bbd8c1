"""appgov's own tables (all prefixed ``appgov_``)."""

from .apps import APP_STATUSES, App
from .base import TABLE_PREFIX, Base
from .calendar import CalendarOverride
from .parameters import BASE_PROFILE, AppendOnlyError, ParameterChange

metadata = Base.metadata

__all__ = [
    "BASE_PROFILE",
    "AppendOnlyError",
    "ParameterChange",
    "APP_STATUSES",
    "TABLE_PREFIX",
    "App",
    "Base",
    "CalendarOverride",
    "metadata",
]
