"""``flask appgov forms ...``: the versioned form definitions (:mod:`.store`).

``list`` every form with its live version and last change, ``show KEY [--version N]`` the
TOML text of a version, ``publish KEY FILE --reason ...`` a new version (validated by the
engine; refused with its message and exit status 1), ``history KEY`` and ``verify`` (the
hash chains of the versions).
"""

from __future__ import annotations

import getpass
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from appgov_plugin.audit import heads_digest
from appgov_plugin.cli import appgov_group, audit_history
from appgov_plugin.state import get_state

from . import store


@click.group("forms")
def forms_group():
    """Versioned form definitions (appgov_form_version)."""


@forms_group.command("list")
@with_appcontext
def forms_list():
    """Every form: live version, who published it, when and why."""
    for key, info in sorted(store.last_changes().items()):
        click.echo(
            f"{key}  version {info.version}  {info.created_at:%Y-%m-%d %H:%M} UTC  "
            f"{info.created_by}: {info.reason}"
        )
    for message in store.conflicts():
        click.echo(f"refused: {message}", err=True)


@forms_group.command("show")
@click.argument("key")
@click.option("--version", "version", type=click.IntRange(1), default=None)
@with_appcontext
def forms_show(key, version):
    """Print the TOML text of form KEY (its live version, or --version N)."""
    try:
        click.echo(store.text_of(key, version), nl=False)
    except LookupError as exc:
        raise click.UsageError(str(exc.args[0])) from None


@forms_group.command("history")
@click.argument("key")
@with_appcontext
def forms_history(key):
    """Every version of form KEY, newest first."""
    versions = store.history(key)
    if not versions:
        raise click.UsageError(f"unknown form {key!r}")
    for info in versions:
        click.echo(
            f"version {info.version}  {info.created_at:%Y-%m-%d %H:%M} UTC  "
            f"{info.created_by}: {info.reason}  sha256 {info.sha256[:12]}"
        )


@forms_group.command("publish")
@click.argument("key")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--reason", required=True, help="Why this version (kept with it forever).")
@click.option("--by", "user", default=None, help="Who publishes (default: the login name).")
@with_appcontext
def forms_publish(key, file, reason, user):
    """Publish FILE (TOML) as the next version of form KEY."""
    user = user or f"cli:{getpass.getuser()}"
    try:
        definition = store.publish(key, file.read_text(encoding="utf-8"), user, reason)
    except (ValueError, LookupError) as exc:
        click.echo(f"refused: {exc.args[0] if exc.args else exc}", err=True)
        raise SystemExit(1) from None
    click.echo(f"{key}: version {definition.version} published by {user}")


@forms_group.command("verify")
@with_appcontext
def forms_verify():
    """Check the hash chains of the form versions (exit status 1 on a break)."""
    broken = store.verify()
    if broken is not None:
        click.echo(f"form versions: BROKEN at {broken}", err=True)
        raise SystemExit(1)
    heads = store.heads()
    click.echo(f"form versions: {len(heads)} forms intact; heads digest {heads_digest(heads)}")


def form_chain():
    """The form versions' first broken link (or ``None``), last hashes and number of rows,
    for ``flask appgov audit verify``."""
    with get_state().db.engine.connect() as conn:
        rows = conn.scalar(sa.select(sa.func.count()).select_from(store.TABLE))
    return store.verify(), store.heads(), rows


# importing this module adds ``flask appgov forms`` (host/plugin.py: COMMANDS) and the
# form versions to ``flask appgov audit verify``
appgov_group.add_command(forms_group)
audit_history("form versions", "form", form_chain)

__all__ = ["forms_group"]
