"""The sample mailbox's Open311 GeoReport v2 endpoint, ``/mailbox/open311/v2`` (JSON).

What appgov's forwarder (and any Open311 client) talks to; the protocol is the one in the
sample host's README, "The mayor mailbox":

* ``GET services.json`` -- the one service, ``app-feedback``;
* ``POST requests.json`` -- form-encoded; ``api_key`` must be ``HOST_MAILBOX_API_KEY``; the
  ``Idempotency-Key`` header (or ``attribute[idempotency_key]``) records the request once:
  the same key again answers 200 with the same ``service_request_id`` and creates nothing
  (MAIL-2); a new request answers 201 ``[{"service_request_id", "service_notice"}]``;
* ``GET requests.json`` (``service_request_id=a,b,c`` -- at most 100 --, ``service_code``,
  ``start_date``, ``end_date``, ``status``) and ``GET requests/<id>.json``, with ``api_key``.

Errors are GeoReport's: 400 (a parameter missing or wrong, named), 403 (no or a wrong
``api_key``), 404 (no such service or request), each ``[{"code", "description"}]``;
nothing is stored then. The blueprint is exempt from CSRF (a key, not a session cookie,
authorises its calls); the officer's pages are not.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hmac

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify, request
from flask_babel import gettext
from werkzeug.exceptions import HTTPException

from ..extensions import db
from .models import LIMITS, STATUSES, MailboxRequest
from .store import by_number, receive

bp = Blueprint("mailbox_open311", __name__, url_prefix="/mailbox/open311/v2")

#: The mailbox's one service.
SERVICE_CODE = "app-feedback"
#: Most ids one ``GET requests.json`` may ask for.
MAX_IDS = 100
#: Most requests one ``GET requests.json`` answers (GeoReport's default), and the window it
#: looks back on without dates.
MAX_RESULTS = 1000
DEFAULT_WINDOW = dt.timedelta(days=90)

#: Plain text parameters of ``POST requests.json`` -> column.
TEXT_FIELDS = {
    "description": "description",
    "email": "email",
    "first_name": "first_name",
    "last_name": "last_name",
    "phone": "phone",
    "device_id": "device_id",
    "media_url": "media_url",
    "address_string": "address_string",
    "attribute[app_code]": "app_code",
    "attribute[app_name]": "app_name",
    "attribute[agency_code]": "agency_code",
    "attribute[agency_name]": "agency_name",
    "attribute[feedback_id]": "feedback_id",
    "attribute[locale]": "locale",
}


class Refused(HTTPException):
    """A GeoReport error: its code and its description."""

    def __init__(self, code: int, description: str):
        super().__init__(description)
        self.code = code


def error_body(code: int, description: str):
    return jsonify([{"code": code, "description": description}]), code


@bp.errorhandler(HTTPException)
def _as_open311_error(error: HTTPException):
    """Every error of the endpoint (ours, 405, 413, a control character refused before the
    view) in GeoReport's shape."""
    code = error.code or 500
    description = error.description if isinstance(error, Refused) else None
    if description is None:
        own = error.description
        stock = {vars(cls).get("description") for cls in type(error).__mro__}
        description = own if own and own not in stock else error.name
    return error_body(code, str(description))


def _check_api_key(value: str | None) -> None:
    expected = current_app.config.get("HOST_MAILBOX_API_KEY") or ""
    if not value:
        raise Refused(403, gettext("api_key: an API key is required."))
    if not expected or not hmac.compare_digest(value.encode(), expected.encode()):
        raise Refused(403, gettext("api_key: this API key is not valid."))


def _check_service_code(value: str | None) -> str:
    if not value:
        raise Refused(400, gettext("service_code: this parameter is required."))
    if value != SERVICE_CODE:
        raise Refused(404, gettext("service_code: there is no service %(code)s.", code=value[:64]))
    return value


def _too_long(name: str, limit: int) -> Refused:
    return Refused(
        400, gettext("%(field)s: at most %(limit)s characters.", field=name, limit=limit)
    )


def _text(name: str, column: str) -> str | None:
    value = (request.form.get(name) or "").strip()
    if len(value) > LIMITS[column]:
        raise _too_long(name, LIMITS[column])
    return value or None


def _coordinate(name: str, bound: int) -> decimal.Decimal | None:
    raw = (request.form.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = decimal.Decimal(raw)
    except decimal.InvalidOperation:
        value = None
    if value is None or not value.is_finite() or not -bound <= value <= bound or len(raw) > 20:
        raise Refused(
            400,
            gettext("%(field)s: a number from -%(bound)s to %(bound)s.", field=name, bound=bound),
        )
    return value.quantize(decimal.Decimal("0.000001"))


def _timestamp(name: str, raw: str) -> dt.datetime:
    """An ISO 8601 time with its offset (``2026-12-02T08:00:00+08:00``; ``Z`` for UTC)."""
    try:
        value = dt.datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        value = None
    if value is None or value.tzinfo is None or len(raw) > 40:
        raise Refused(
            400,
            gettext(
                "%(field)s: an ISO 8601 date and time with its offset, such as "
                "2026-12-02T08:00:00+08:00.",
                field=name,
            ),
        )
    return value.astimezone(dt.UTC)


def _idempotency_key() -> str | None:
    header = (request.headers.get("Idempotency-Key") or "").strip()
    attribute = (request.form.get("attribute[idempotency_key]") or "").strip()
    if header and attribute and header != attribute:
        raise Refused(
            400,
            gettext(
                "attribute[idempotency_key]: differs from the Idempotency-Key header; send one key."
            ),
        )
    key = header or attribute
    if len(key) > LIMITS["idempotency_key"]:
        raise _too_long("Idempotency-Key", LIMITS["idempotency_key"])
    return key or None


def request_values() -> dict:
    """The checked columns of a posted request; the first problem raises :class:`Refused`."""
    _check_api_key(request.form.get("api_key"))
    values = {"service_code": _check_service_code(request.form.get("service_code"))}
    for name, column in TEXT_FIELDS.items():
        values[column] = _text(name, column)
    if not values["description"]:
        raise Refused(400, gettext("description: this parameter is required."))
    email = values["email"]
    if email and ("@" not in email or email.startswith("@") or email.endswith("@")):
        raise Refused(400, gettext("email: not an e-mail address."))
    media = values["media_url"]
    if media and not media.lower().startswith(("http://", "https://")):
        raise Refused(400, gettext("media_url: an http or https address."))
    values["lat"] = _coordinate("lat", 90)
    values["long"] = _coordinate("long", 180)
    if (values["lat"] is None) != (values["long"] is None):
        raise Refused(400, gettext("lat, long: send both or neither."))
    raw_time = request.form.get("attribute[requested_datetime]") or ""
    values["requested_at"] = (
        _timestamp("attribute[requested_datetime]", raw_time) if raw_time.strip() else None
    )
    values["idempotency_key"] = _idempotency_key()
    return values


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat(timespec="seconds") if value else None


def as_open311(row: MailboxRequest) -> dict:
    """A request as ``GET requests.json`` words it (no personal data)."""
    return {
        "service_request_id": row.service_request_id,
        "status": row.status,
        "status_notes": row.status_notes or "",
        "agency_responsible": row.agency_responsible or "",
        "service_code": row.service_code,
        "service_name": gettext("App feedback"),
        "requested_datetime": _iso(row.requested_at),
        "updated_datetime": _iso(row.updated_at),
    }


# -- routes --------------------------------------------------------------------------------


@bp.get("/services.json")
def services():
    """The one service (no key needed: Open311 discovery)."""
    return jsonify(
        [
            {
                "service_code": SERVICE_CODE,
                "service_name": gettext("App feedback"),
                "description": gettext("Citizens' feedback on the city's apps."),
                "metadata": False,
                "type": "realtime",
                "keywords": "app,feedback",
                "group": gettext("Mayor's mailbox"),
            }
        ]
    )


@bp.post("/requests.json")
def post_request():
    """Record a request once per idempotency key: 201 new, 200 known key."""
    number, created = receive(request_values())
    body = [{"service_request_id": number, "service_notice": ""}]
    return jsonify(body), 201 if created else 200


@bp.get("/requests.json")
def get_requests():
    _check_api_key(request.args.get("api_key"))
    query = sa.select(MailboxRequest)
    ids = [i.strip() for i in (request.args.get("service_request_id") or "").split(",")]
    ids = [i for i in ids if i]
    if len(ids) > MAX_IDS:
        raise Refused(400, gettext("service_request_id: at most %(num)s ids at once.", num=MAX_IDS))
    if ids:
        query = query.where(MailboxRequest.service_request_id.in_(ids))
    else:
        code = request.args.get("service_code")
        if code:
            query = query.where(MailboxRequest.service_code == _check_service_code(code))
        status = request.args.get("status")
        if status:
            if status not in STATUSES:
                raise Refused(400, gettext("status: open or closed."))
            query = query.where(MailboxRequest.status == status)
        start = request.args.get("start_date")
        end = request.args.get("end_date")
        start = _timestamp("start_date", start) if start else None
        end = _timestamp("end_date", end) if end else None
        if start is None and end is None:
            start = dt.datetime.now(dt.UTC) - DEFAULT_WINDOW
        if start is not None:
            query = query.where(MailboxRequest.requested_at >= start)
        if end is not None:
            query = query.where(MailboxRequest.requested_at <= end)
    rows = db.session.scalars(query.order_by(MailboxRequest.id.desc()).limit(MAX_RESULTS))
    return jsonify([as_open311(row) for row in rows])


@bp.get("/requests/<number>.json")
def get_request(number: str):
    _check_api_key(request.args.get("api_key"))
    row = by_number(number) if len(number) <= 64 else None
    if row is None:
        raise Refused(
            404, gettext("service_request_id: there is no request %(id)s.", id=number[:64])
        )
    return jsonify([as_open311(row)])


#: The endpoint's paths and the methods each answers (a wrong method: 405 in GeoReport's shape).
_KNOWN = {"services.json": "GET", "requests.json": "GET, POST"}


@bp.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
def _elsewhere(rest: str):
    """Whatever the routes above do not answer: 405 for a known path, else 404, both with
    GeoReport's body (the host's error page is HTML)."""
    allowed = _KNOWN.get(rest) or ("GET" if rest.startswith("requests/") else None)
    if allowed:
        response = error_body(
            405, gettext("This address answers %(methods)s only.", methods=allowed)
        )[0]
        response.status_code = 405
        response.headers["Allow"] = allowed
        return response
    raise Refused(404, gettext("There is no such address in the Open311 endpoint."))
