"""The form field ``type = "app"``: one app of the registry, chosen by the agency filing.

A lifecycle form (a listing checklist, a delisting application, a plan) is about one app of
the registry. The field offers the apps the user may file for -- the apps of the agencies
the user sees (an agency's own for its staff, :func:`~appgov_plugin.access.visible_agency_codes`)
whose status is one of ``statuses`` -- and stores the app's id as text. A stored case keeps
showing, and validating with, its app whatever the app's status is now. A new-case page
opened from the app's page (``?app=<id>``) starts with that app chosen.

The form also stores the app's name as ``app_name`` (:meth:`AppField.derived_answers`): the
case's summary and the host's search find the case by it, and nobody types it twice.
"""

from __future__ import annotations

import sqlalchemy as sa
import wtforms
from flask import has_request_context, request
from wtforms.fields.choices import SelectChoice
from wtforms.utils import unset_value

from ..access import visible_agency_codes
from ..i18n import _
from ..state import get_state
from .models import APP_STATUSES, App, app_id_of


def _label(app: App) -> str:
    status = APP_STATUSES.get(app.status, app.status)
    version = f" {app.version}" if app.version else ""
    return f"{app.name}{version} ({status})"


class AppField(wtforms.SelectField):
    """A ``<select>`` of the apps the user may file for (see the module's docstring)."""

    def __init__(self, label=None, validators=None, statuses=(), **kwargs):
        super().__init__(label, validators, choices=[], **kwargs)
        self.statuses = tuple(statuses) or tuple(APP_STATUSES)
        self._apps: dict[str, App] = {}

    def _visible(self) -> sa.Select:
        query = sa.select(App)
        agencies = visible_agency_codes() if has_request_context() else None
        if agencies is not None:
            query = query.where(App.agency_code.in_(sorted(agencies)))
        return query

    def process(self, formdata, data=unset_value, extra_filters=None):
        super().process(formdata, data, extra_filters)
        if (
            formdata is None
            and self.data in (None, "")
            and has_request_context()
            and request.method == "GET"
        ):
            self.data = request.args.get("app") or None  # opened from the app's page
        session = get_state().session
        offered = list(
            session.scalars(
                self._visible().where(App.status.in_(self.statuses)).order_by(App.name, App.id)
            )
        )
        stored = app_id_of(self.data)
        if stored is not None and all(app.id != stored for app in offered):
            # a stored case shows its app whatever its status is now (if the user sees it)
            kept = session.scalar(self._visible().where(App.id == stored))
            if kept is not None:
                offered.append(kept)
        self._apps = {str(app.id): app for app in offered}
        self.choices = [SelectChoice("", "—")] + [
            SelectChoice(str(app.id), _label(app)) for app in offered
        ]

    def process_data(self, value):
        self.data = None if value in (None, "") else str(value)

    def process_formdata(self, valuelist):
        if valuelist:
            self.data = valuelist[0].strip() or None

    def pre_validate(self, form):
        if self.data in (None, ""):
            return  # the requirement validator names a missing answer
        app = self._apps.get(str(self.data))
        # the app a stored case was filed for stays valid whatever its status is now (the
        # workflow checks the status when the case moves); a new choice must be offered
        kept = self.object_data not in (None, "") and str(self.data) == str(self.object_data)
        if app is None or (app.status not in self.statuses and not kept):
            raise wtforms.validators.StopValidation(
                _("Choose one of the apps listed: this app cannot be filed for here.")
            )

    @property
    def app(self) -> App | None:
        """The chosen app (one the user may file for), or ``None``."""
        return self._apps.get(str(self.data)) if self.data else None

    def derived_answers(self) -> dict[str, str]:
        """Stored beside the field's own answer: the app's name (``app_name``)."""
        app = self.app
        return {"app_name": app.name} if app is not None else {}
