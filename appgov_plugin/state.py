"""Per-application state of the plug-in, kept in ``app.extensions["appgov"]``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app

from .clock import today
from .config import apply_defaults


@dataclass
class AppGovState:
    db: Any
    profile: str
    policy_modules: tuple[str, ...] = ()
    case_types: Any = None  # CaseTypeRegistry when AppGov plays host for itself
    database_layer: Any = None  # appgov_plugin.policy.database.DatabaseLayer
    #: AppGov(agencies=...): the host's agencies, a list or a callable returning one
    agency_source: Any = None

    @property
    def session(self):
        return self.db.session

    def policy(self, as_of=None):
        """The city policy facade for this deployment (rules.md, policy-api.md), with the
        base profile and parameters administrators set for ``as_of`` (default today)."""
        from .policy.manager import policy_with_layer

        layer = self.database_layer
        layer.refresh()
        profile = layer.base_profile(as_of or today()) or self.profile
        return policy_with_layer(profile, self.policy_modules, as_of, layer)


def setup_state(app, db) -> AppGovState:
    """Create (once) the plug-in's state for ``app``; validates the configuration."""
    if "appgov" in app.extensions:
        return app.extensions["appgov"]
    if db is None:
        raise ValueError("appgov needs the host's Flask-SQLAlchemy instance: AppGov(app, db=db)")
    apply_defaults(app)
    from .policy import check_profile

    profile = check_profile(app.config["APPGOV_PROFILE"])
    modules = app.config["APPGOV_POLICY_MODULES"]
    if isinstance(modules, str):
        modules = tuple(m for m in modules.replace(",", " ").split() if m)
    from .policy.database import DatabaseLayer

    state = AppGovState(db=db, profile=profile, policy_modules=tuple(modules))
    state.database_layer = DatabaseLayer(lambda: db.engine)
    app.extensions["appgov"] = state
    return state


def get_state(app=None) -> AppGovState:
    app = app or current_app
    try:
        return app.extensions["appgov"]
    except KeyError:
        raise RuntimeError(
            "appgov is not set up on this application: use AppGov(app, db=db) "
            "or a host that loads the 'casehost' entry points"
        ) from None
