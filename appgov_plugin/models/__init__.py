"""appgov's own tables (all prefixed ``appgov_``)."""

from .apps import APP_STATUSES, App
from .base import TABLE_PREFIX, Base

metadata = Base.metadata

__all__ = ["APP_STATUSES", "TABLE_PREFIX", "App", "Base", "metadata"]
