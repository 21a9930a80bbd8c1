"""The sample host's mayor mailbox (市長信箱): a small city request system of its own, so that
appgov's mailbox link runs end to end on one machine.

* an Open311 GeoReport v2 endpoint at ``/mailbox/open311/v2`` (:mod:`.open311`), which
  appgov's forwarder posts citizens' feedback to and reads statuses from;
* the officer's pages at ``/mailbox/`` (:mod:`.views`): the mailbox officer
  (``mailbox_officer``, 市長信箱承辦人) and the administrator read the requests, reply and
  close or reopen them;
* its tables ``host_mailbox_*`` (:mod:`.models`, host migration ``e5f1a2b3c468``);
* demo requests (:mod:`.demo`) and a stand-alone server for tests (:mod:`.standalone`).

Settings: ``HOST_MAILBOX_API_KEY`` (also read from the environment, :mod:`sample_host.config`;
the demo's default ``demo-mailbox-key``; empty: the endpoint refuses every call).
"""

from __future__ import annotations

from ..extensions import csrf
from . import models  # noqa: F401  (the tables are part of the host's metadata)
from .open311 import bp as open311_bp
from .views import bp as pages_bp
from .views import nav_link

#: The demo's key; a deployment sets its own in the environment.
DEMO_API_KEY = "demo-mailbox-key"


def init_mailbox(app) -> None:
    """Mount the endpoint (exempt from CSRF) and the officer's pages on ``app``."""
    app.config.setdefault("HOST_MAILBOX_API_KEY", DEMO_API_KEY)
    csrf.exempt(open311_bp)
    app.register_blueprint(open311_bp)
    app.register_blueprint(pages_bp)
    app.add_template_global(nav_link, "host_mailbox_nav_link")
