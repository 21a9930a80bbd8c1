"""sample_host: a small low-code case-management app that hosts plug-ins (``casehost`` contract).

Run it with ``flask --app sample_host run``. See ``sample_host/README.md``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import Any

from flask import Flask
from jinja2.bccache import Bucket, BytecodeCache

from appgov_plugin.host.manager import (
    Contributions,
    collect_translation_dirs,
    get_host_plugin_manager,
    install_plugins,
)

from . import auth, cli, corrections, errors, exports, forms, host_hooks, i18n, security, views
from .admin import init_admin
from .config import HostConfigError, configure, ensure_instance_folder
from .database import init_database, setup_database
from .extensions import csrf, db
from .mailbox import init_mailbox
from .plugins import CaseHost

__all__ = ["HostConfigError", "create_app"]


class _SharedBytecode(BytecodeCache):
    """Compiled templates kept in memory for every app of this process: a second app (a
    worker's next test, a CLI command beside a server) renders without compiling again.
    Jinja keys each entry on the template's name and a checksum of its source."""

    def __init__(self):
        self._code: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        with self._lock:
            self._code[bucket.key] = bucket.bytecode_to_string()


_BYTECODE = _SharedBytecode()


def create_app(
    test_config: Mapping[str, Any] | None = None,
    *,
    plugins: Iterable[object] = (),
    load_entrypoints: bool = True,
) -> Flask:
    """Build the host application.

    :param test_config: config values that win over the environment; besides Flask's own
        keys: ``INSTANCE_PATH`` (absolute), ``AUTO_SETUP`` (``False``: no migrations/seeding),
        ``PASSWORD_HASH_METHOD``.
    :param plugins: plug-in objects registered after the entry-point plug-ins.
    :param load_entrypoints: discover plug-ins in the ``casehost`` entry-point group.
    :raises HostConfigError: an unusable instance folder, secret key file or database.
    :raises appgov_plugin.host.contract.ContractError: a plug-in broke the contract; nothing
        has been written to the database then.
    """
    test_config = dict(test_config or {})
    app = Flask(__name__, instance_path=test_config.get("INSTANCE_PATH"))
    app.jinja_options = {**app.jinja_options, "bytecode_cache": _BYTECODE}
    ensure_instance_folder(app)
    configure(app, test_config)
    init_database(app)

    # The host's own hook implementations come last: pluggy asks them first.
    pm = get_host_plugin_manager(load_entrypoints=load_entrypoints, plugins=(*plugins, host_hooks))
    i18n.init_babel(app, collect_translation_dirs(app, pm))
    csrf.init_app(app)
    auth.init_auth(app)
    forms.init_forms(app)
    errors.init_errors(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(corrections.bp)
    app.register_blueprint(exports.bp)
    init_mailbox(app)
    app.cli.add_command(cli.host)
    admin = init_admin(app)
    security.init_security(app, admin)
    # Published before the start-up hooks run, so plug-ins may read pm and is_admin there.
    host = CaseHost(pm=pm, contributions=Contributions(), is_admin=auth.is_admin)
    app.extensions["casehost"] = host
    host.contributions = install_plugins(app, db, admin, pm)

    if app.config["AUTO_SETUP"]:
        setup_database(app)
    return app
