"""The Open311 GeoReport v2 intake of citizens' feedback (TN-EVAL-4, TN-MAIL-1, MAIL-2).

Blueprint ``appgov_open311`` mounted at ``APPGOV_OPEN311_PREFIX`` (default ``/open311/v2``),
JSON only, described in ``openapi.yaml`` (served as ``{prefix}/openapi.json``) and in
``docs/open311.md``:

* ``GET services.json`` -- one service per listed app linked to the mayor mailbox, in the
  request's language (``locale``, else ``Accept-Language``, else zh_Hant_TW); public; each
  service's ``description`` ends with the notice at collection (個人資料保護法 §8,
  :mod:`.notice`), which ``personal_data_notice`` also holds alone;
* ``GET services/<code>.json`` -- the service's definition: no input attribute, only the
  notice as an informational attribute (GeoReport v2: ``variable: false``);
* ``POST requests.json`` -- a feedback item, with the app's ``api_key``: stored with its outbox
  row before the answer (MAIL-2), ``201 [{"token", "service_notice"}]``; the forwarder
  delivers it to the city's mailbox later;
* ``GET requests.json``, ``GET requests/<id>.json``, ``GET tokens/<token>.json`` -- the
  status of the key's own app's requests only. Mayor-mailbox letters are private: these
  answers carry no description, no name, e-mail, phone, device, address, location or
  media link, and a key reads its own app's requests only (another app's are "not found").

Errors are Open311's: HTTP 400/403/404/429 with ``[{"code": <int>, "description": ...}]``
naming the field, in the request's language; nothing is stored. CSRF does not apply (the
blueprint is registered ``csrf_exempt``: the key authenticates, no cookie does); rate limits
per API key and per client address (:func:`install_rate_limits`).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from importlib import resources

import sqlalchemy as sa
import yaml
from flask import Blueprint, current_app, request
from flask_babel import force_locale
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from werkzeug.exceptions import HTTPException

from .. import safe_input
from ..access import host_agencies
from ..apps.models import App
from ..i18n import DEFAULT_LOCALE, _, local_datetime, parse_locale
from ..state import get_state
from . import keys, limit_storage, notice
from .intake import (
    IntakeError,
    OpenError,
    clean_feedback,
    control_character_message,
    field_error,
    single_values,
    store_feedback,
)
from .models import Feedback

blueprint = Blueprint("appgov_open311", __name__)

#: Open311's defaults of ``GET requests.json``: the last 90 days, at most 1000 requests.
DEFAULT_DAYS = 90
MAX_REQUESTS = 1000
#: ``service_request_id=a,b,c``: at most this many ids at once.
MAX_IDS = 100
#: Longest id, token or date text read from a query (longer is refused, never looked up).
MAX_ID_CHARS = 64
#: How ``POST requests.json`` is sent (Open311: form-encoded).
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
#: Answers read back for a citizen's client only: never kept by a proxy.
PRIVATE = {"Cache-Control": "no-store"}


# -- language, answers, errors -------------------------------------------------------------


def request_locale() -> str:
    """The request's language: Open311's ``locale`` parameter, else the best of
    ``Accept-Language``, else zh_Hant_TW (an unsupported one is skipped)."""
    wanted = [request.values.get("locale", "")] + [v for v, _q in request.accept_languages]
    for code in wanted:
        if code and code != "*":
            try:
                return parse_locale(code[:35])
            except ValueError:
                continue
    return DEFAULT_LOCALE


def answer(data, status: int = 200, headers=None):
    """A JSON answer (UTF-8, Chinese unescaped)."""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    response = current_app.response_class(body, status=status, mimetype="application/json")
    response.headers.update(headers or {})
    return response


def error_answer(status: int, errors: list[OpenError]):
    return answer([error.as_json() for error in errors], status, PRIVATE)


def open311_view(view):
    """An endpoint of the API: in the request's language; :class:`IntakeError` answered as
    Open311 errors."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        with force_locale(request_locale()):
            try:
                return view(*args, **kwargs)
            except IntakeError as error:
                return error_answer(error.status, error.errors)

    return wrapper


@blueprint.errorhandler(HTTPException)
def http_error(error: HTTPException):
    """Any HTTP error of the API (a control character refused, too many requests, a body
    too large) in Open311's error body, in the request's language."""
    with force_locale(request_locale()):
        if error.code == 429:
            description = _(
                "Too many requests (at most %(limit)s for this API key or from this address). "
                "Wait a moment and send again.",
                limit=getattr(getattr(error, "limit", None), "limit", "") or error.description,
            )
        elif error.code == 413:
            description = _("The request is too large.")
        elif error.code == 400 and (refused := safe_input.refused_parameter()) is not None:
            # the guard refused a control character (before the view, in the host's
            # language): named again here in the request's, as the view names its fields
            description = field_error(refused, control_character_message()).description
        else:
            description = str(error.description or error.name)
        response = error_answer(error.code or 500, [OpenError(error.code or 500, description)])
    if error.code == 429:
        retry = error.get_response().headers.get("Retry-After")
        if retry:
            response.headers["Retry-After"] = retry
    return response


def iso(value: dt.datetime | None) -> str | None:
    """Open311's datetimes: ISO 8601 with the offset, in Taipei time (TIME-5)."""
    return None if value is None else local_datetime(value).isoformat(timespec="seconds")


# -- the API key and the service -----------------------------------------------------------


def authenticate(params):
    """The active :class:`~.models.ApiKey` of ``params["api_key"]`` and its app.

    :raises IntakeError: 403 for a missing, unknown or revoked key (one answer for both:
        which keys exist is nobody's business).
    """
    if len(params.getlist("api_key")) > 1:
        raise IntakeError(400, [field_error("api_key", _("give it once only."))])
    given = params.get("api_key") or ""
    if not given.strip():
        raise IntakeError.one(
            403,
            _(
                "%(field)s: give the app's API key (issued by the app governance administrator).",
                field="api_key",
            ),
        )
    found = keys.find_with_app(given.strip())  # one query, not the key's and then the app's
    if found is None or not found[0].active:
        raise IntakeError.one(
            403, _("%(field)s: this key is not valid (unknown or revoked).", field="api_key")
        )
    return found


def offered(app: App | None) -> bool:
    """Whether ``app`` is a service of the endpoint: listed and linked to the mailbox."""
    return app is not None and app.status == "listed" and app.linked_to_mayor_mailbox


def agency_names(locale: str) -> dict[str, str]:
    return {agency.code: agency.name(locale) for agency in host_agencies() or ()}


# -- GET services.json ---------------------------------------------------------------------


def offered_apps():
    return get_state().session.scalars(
        sa.select(App)
        .where(App.status == "listed", App.linked_to_mayor_mailbox.is_(True))
        .order_by(App.id)
    )


class Notices:
    """The notice at collection of each service, in one language (the stored text and the
    retention read once per request)."""

    def __init__(self, locale: str):
        self.template = notice.notice_template(locale)
        self.years = notice.retention_years()
        self.names = agency_names(locale)

    def agency(self, app: App) -> str:
        return self.names.get(app.agency_code, app.agency_code)

    def of(self, app: App) -> str:
        return notice.fill(self.template, self.agency(app), self.years)


@blueprint.get("/services.json")
@open311_view
def services():
    locale = request_locale()
    notices = Notices(locale)
    found = []
    for app in offered_apps():
        text = notices.of(app)
        found.append(
            {
                "service_code": app.code,
                "service_name": app.display_name(locale),
                # the notice at collection in the field every Open311 client shows
                # (個人資料保護法 §8); personal_data_notice holds it alone
                "description": f"{app.description}\n\n{text}" if app.description else text,
                "metadata": False,
                "type": "realtime",
                "keywords": _("mayor mailbox, app feedback") + ", " + app.display_name(locale),
                "group": notices.agency(app),
                "personal_data_notice": text,
            }
        )
    return answer(found)


@blueprint.get("/services/<path:service_code>.json")
@open311_view
def service_definition(service_code: str):
    """GeoReport v2's service definition: the service asks nothing more than the standard
    fields; its one attribute is informational (``variable: false``): the notice."""
    app = None
    if len(service_code) <= MAX_ID_CHARS:
        app = get_state().session.scalar(sa.select(App).where(App.code == service_code))
    if not offered(app):
        raise IntakeError(
            404,
            [
                OpenError(
                    404,
                    _(
                        "%(field)s: no such service (services.json lists them).",
                        field="service_code",
                    ),
                )
            ],
        )
    text = Notices(request_locale()).of(app)
    return answer(
        {
            "service_code": app.code,
            "attributes": [
                {
                    "variable": False,
                    "code": "personal_data_notice",
                    "datatype": "text",
                    "required": False,
                    "datatype_description": "",
                    "order": 1,
                    "description": text,
                }
            ],
        }
    )


# -- POST requests.json --------------------------------------------------------------------


@blueprint.post("/requests.json")
@open311_view
def post_request():
    if request.mimetype not in FORM_TYPES:
        raise IntakeError.one(
            400,
            _(
                "Content-Type: send the fields form-encoded "
                "(application/x-www-form-urlencoded), as Open311 posts them."
            ),
        )
    params = request.values
    api_key, app = authenticate(params)
    errors = single_values(params, ("service_code", "locale"))
    if errors:
        raise IntakeError(400, errors)
    code = (params.get("service_code") or "").strip()
    if not code:
        raise IntakeError(
            400,
            [
                field_error(
                    "service_code", _("give the app's service code (services.json lists them).")
                )
            ],
        )
    if len(code) > MAX_ID_CHARS or code != getattr(app, "code", None):
        known = len(code) <= MAX_ID_CHARS and get_state().session.scalar(
            sa.select(App.id).where(App.code == code)
        )
        if known:
            raise IntakeError.one(
                403,
                _(
                    "%(field)s: this API key is not for service %(code)s.",
                    field="api_key",
                    code=code,
                ),
            )
        raise IntakeError(
            400, [field_error("service_code", _("no such service (services.json lists them)."))]
        )
    if not offered(app):
        raise IntakeError(
            400,
            [
                field_error(
                    "service_code",
                    _("this app is not listed or not linked to the mayor mailbox now."),
                )
            ],
        )
    fields = clean_feedback(params)
    feedback = store_feedback(app=app, fields=fields, api_key=api_key, locale=request_locale())
    notice = _(
        "Thank you. Your feedback is recorded and is being forwarded to the mayor mailbox; "
        "its case number follows (GET tokens/%(token)s.json).",
        token=feedback.token,
    )
    return answer([{"token": feedback.token, "service_notice": notice}], 201, PRIVATE)


# -- GET requests.json, requests/<id>.json, tokens/<token>.json ----------------------------

#: The columns a status answer reads: no description, no personal data (MAIL-2 privacy).
STATUS_COLUMNS = (
    Feedback.service_request_id,
    Feedback.token,
    Feedback.status,
    Feedback.status_notes,
    Feedback.service_code,
    Feedback.agency_responsible,
    Feedback.requested_at,
    Feedback.updated_at,
)


def status_json(row, app: App, locale: str) -> dict:
    return {
        "service_request_id": row.service_request_id,
        "token": row.token,
        "status": row.status,
        "status_notes": row.status_notes,
        "service_name": app.display_name(locale),
        "service_code": row.service_code,
        "agency_responsible": row.agency_responsible,
        "service_notice": "",
        "requested_datetime": iso(row.requested_at),
        "updated_datetime": iso(row.updated_at),
    }


def _list(params, name: str, limit: int) -> list[str]:
    text = params.get(name) or ""
    values = [part.strip() for part in text.split(",") if part.strip()]
    if len(values) > limit:
        raise IntakeError(400, [field_error(name, _("at most %(count)s values.", count=limit))])
    if any(len(value) > MAX_ID_CHARS for value in values):
        raise IntakeError(400, [field_error(name, _("a value is too long."))])
    return values


def _datetime(params, name: str) -> dt.datetime | None:
    text = (params.get(name) or "").strip()
    if not text:
        return None
    try:
        if len(text) > MAX_ID_CHARS:
            raise ValueError(text)
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise IntakeError(
            400,
            [
                field_error(
                    name, _("write an ISO 8601 date and time, such as 2026-12-01T09:00:00+08:00.")
                )
            ],
        ) from None
    if value.tzinfo is None:  # Taipei time (TIME-5)
        value = value.replace(tzinfo=local_datetime(dt.datetime.now(dt.UTC)).tzinfo)
    return value.astimezone(dt.UTC)


@blueprint.get("/requests.json")
@open311_view
def list_requests():
    params = request.args
    api_key, app = authenticate(params)
    errors = single_values(
        params, ("service_request_id", "service_code", "start_date", "end_date", "status")
    )
    if errors:
        raise IntakeError(400, errors)
    query = sa.select(*STATUS_COLUMNS).where(Feedback.app_id == api_key.app_id)
    ids = _list(params, "service_request_id", MAX_IDS)
    if ids:  # Open311: with service_request_id, the other filters are ignored
        query = query.where(Feedback.service_request_id.in_(ids))
    else:
        codes = _list(params, "service_code", MAX_IDS)
        if any(code != app.code for code in codes):
            raise IntakeError.one(
                403,
                _(
                    "%(field)s: this API key reads the requests of service %(code)s only.",
                    field="service_code",
                    code=app.code,
                ),
            )
        statuses = _list(params, "status", 2)
        if any(status not in ("open", "closed") for status in statuses):
            raise IntakeError(400, [field_error("status", _("write open, closed or both."))])
        end = _datetime(params, "end_date") or dt.datetime.now(dt.UTC)
        start = _datetime(params, "start_date") or end - dt.timedelta(days=DEFAULT_DAYS)
        if start > end:
            raise IntakeError(
                400, [field_error("end_date", _("the end comes before the start_date."))]
            )
        query = query.where(Feedback.requested_at >= start, Feedback.requested_at <= end)
        if statuses:
            query = query.where(Feedback.status.in_(statuses))
    rows = get_state().session.execute(
        query.order_by(Feedback.requested_at.desc(), Feedback.id.desc()).limit(MAX_REQUESTS)
    )
    locale = request_locale()
    return answer([status_json(row, app, locale) for row in rows], headers=PRIVATE)


def _not_found(name: str):
    return IntakeError.one(404, _("%(field)s: no such request of this app.", field=name))


@blueprint.get("/requests/<path:service_request_id>.json")
@open311_view
def one_request(service_request_id: str):
    api_key, app = authenticate(request.args)
    if len(service_request_id) > MAX_ID_CHARS:
        raise _not_found("service_request_id")
    row = (
        get_state()
        .session.execute(
            sa.select(*STATUS_COLUMNS).where(
                Feedback.app_id == api_key.app_id,
                Feedback.service_request_id == service_request_id,
            )
        )
        .first()
    )
    if row is None:  # another app's request is "not found" too: ids guessed or not
        raise _not_found("service_request_id")
    return answer([status_json(row, app, request_locale())], headers=PRIVATE)


@blueprint.get("/tokens/<path:token>.json")
@open311_view
def token_status(token: str):
    api_key, _app = authenticate(request.args)
    if len(token) > MAX_ID_CHARS:
        raise _not_found("token")
    row = (
        get_state()
        .session.execute(
            sa.select(Feedback.service_request_id, Feedback.token).where(
                Feedback.app_id == api_key.app_id, Feedback.token == token
            )
        )
        .first()
    )
    if row is None:
        raise _not_found("token")
    return answer(
        [{"service_request_id": row.service_request_id, "token": row.token}], headers=PRIVATE
    )


# -- the OpenAPI description -----------------------------------------------------------------


@functools.cache
def openapi_description() -> dict:
    """``openapi.yaml`` (package data) as a dict."""
    text = resources.files(__package__).joinpath("openapi.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


@blueprint.get("/openapi.json")
def openapi():
    prefix = request.script_root + current_app.config["APPGOV_OPEN311_PREFIX"]
    return answer({**openapi_description(), "servers": [{"url": prefix}]})


# -- rate limits ---------------------------------------------------------------------------


def key_of_request() -> str:
    """The rate-limit key of the request's API key (hashed: the counters' storage never holds
    a key); a request without one is counted by its address."""
    given = (request.values.get("api_key") or "").strip()
    if not given:
        return "address:" + get_remote_address()
    return "key:" + hashlib.sha256(given.encode("utf-8", "replace")).hexdigest()[:32]


def install_rate_limits(state) -> None:
    """A Flask-Limiter of the API for the application (one per application, as the sample
    host's log-in limiter): ``APPGOV_OPEN311_LIMIT_PER_KEY`` per API key and
    ``APPGOV_OPEN311_LIMIT_PER_ADDRESS`` per client address, shared by all the endpoints,
    counted in ``APPGOV_RATELIMIT_STORAGE_URI``. Off when the host's ``RATELIMIT_ENABLED``
    is false (the test suite). Runs when the blueprint is registered, after its routes."""
    app = state.app
    config = app.config
    limiter = Limiter(
        get_remote_address,
        app=app,
        # memory:// without a timer thread per request (limit_storage)
        storage_uri=limit_storage.storage_uri(config["APPGOV_RATELIMIT_STORAGE_URI"]),
        key_prefix="appgov_open311",
        strategy="fixed-window",
        headers_enabled=True,
    )
    for endpoint, view in list(app.view_functions.items()):
        if not endpoint.startswith(blueprint.name + "."):
            continue
        view = limiter.shared_limit(
            config["APPGOV_OPEN311_LIMIT_PER_KEY"],
            scope="appgov-open311-key",
            key_func=key_of_request,
        )(view)
        view = limiter.shared_limit(
            config["APPGOV_OPEN311_LIMIT_PER_ADDRESS"],
            scope="appgov-open311-address",
            key_func=get_remote_address,
        )(view)
        app.view_functions[endpoint] = view
    app.extensions["appgov_open311_limiter"] = limiter


# recorded after the routes: at registration the endpoints exist when it runs
blueprint.record_once(install_rate_limits)

__all__ = ["blueprint", "install_rate_limits", "openapi_description", "request_locale"]
