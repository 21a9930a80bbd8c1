"""appgov's shared blueprint (mounted at ``APPGOV_URL_PREFIX``): the template helpers of
every appgov page, the 503 answer while the database is away, and the template folders of the
capabilities. Each capability adds its routes in its own ``views`` module
(``apps/views.py``, ``rulebook/views.py``, ``evaluation/views.py``) and its templates under
``<capability>/templates/appgov/<capability>/``.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from flask import Blueprint, current_app, g, request
from jinja2 import ChoiceLoader, FileSystemLoader
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import ServiceUnavailable

from .. import language_parts
from ..access import agency_name
from ..host.unavailable import database_unavailable, one_line
from ..i18n import (
    _l,
    current_locale,
    format_date,
    format_number,
    ngettext,
    template_gettext,
)
from ..policy import rulebook
from ..policy.display import template_helpers as parameter_template_helpers
from ..state import get_state


class CapabilityBlueprint(Blueprint):
    """A blueprint whose templates come from its own folder and from each capability's."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._template_folders: list[str] = [str(Path(self.root_path) / "templates")]

    def add_templates(self, module_file: str) -> None:
        """Add ``templates/`` beside ``module_file`` (a capability's ``views.py``)."""
        folder = str(Path(module_file).parent / "templates")
        if folder not in self._template_folders:
            self._template_folders.append(folder)

    @property
    def jinja_loader(self):
        return ChoiceLoader([FileSystemLoader(folder) for folder in self._template_folders])


blueprint = CapabilityBlueprint("appgov", __name__, static_folder="static")
# WCAG 2.1 SC 3.1.2: Chinese data on appgov's English pages marked as such
blueprint.after_request(language_parts.mark_response)


@blueprint.context_processor
def appgov_template_helpers():
    # appgov's templates translate through the appgov domain, whatever the host uses.
    return {
        "_": template_gettext,
        "gettext": template_gettext,
        "ngettext": ngettext,
        "appgov_base": current_app.config["APPGOV_BASE_TEMPLATE"],
        "format_date": format_date,
        "current_locale": current_locale,
        "format_number": format_number,
        "profile_label": rulebook.profile_label,
        "agency_name": agency_name,
        "rule_title": lambda rule_id: rulebook.rule(rule_id).title,
        **parameter_template_helpers(),
    }


#: Seconds a client is asked to wait before trying again while the database is away.
RETRY_AFTER_SECONDS = 30


@blueprint.errorhandler(OperationalError)
@blueprint.errorhandler(InterfaceError)
def database_away(error):
    """appgov's pages while the database is away: 503 with ``Retry-After`` and one log line.

    The 503 goes through the host's own error handling (``handle_http_exception``): its
    error page in its layout and language where it has one, Werkzeug's plain 503 page with
    the message below otherwise -- never a 500 or a traceback. Driver errors that are not an
    outage (:func:`~appgov_plugin.host.unavailable.database_unavailable`) stay 500s.
    """
    if not database_unavailable(error):
        raise error
    with contextlib.suppress(OperationalError, InterfaceError):  # no connection: nothing to undo
        get_state().session.rollback()
    # The user record cannot be read now: the page (and the language choice) is a visitor's.
    g._login_user = current_app.login_manager.anonymous_user()
    current_app.logger.error(
        "database unavailable: %s %s answered 503: %s",
        request.method,
        request.path,
        one_line(error),
    )
    unavailable = ServiceUnavailable(
        description=_l("The database cannot be reached right now. Try again in a moment."),
        retry_after=RETRY_AFTER_SECONDS,
    )
    return current_app.handle_http_exception(unavailable)
