"""Error pages in the host layout, in the reader's language (also under /admin/ and plug-ins).

Every HTTP error (400, 403, 404, 405, 413, 500, ...) is answered with the site's navigation,
a translated title and explanation, the error's own description when the code that raised it
gave one (``abort(400, description=...)``), links back and the error's status code. Clients
that prefer JSON (``Accept: application/json``) get ``{"status", "title", "detail"}``.

While the database is away (PostgreSQL stopped or unreachable, connections cut, SQLite
locked) every request is answered 503 with ``Retry-After`` -- "try again in a moment" -- and
one log line naming the request and the driver's message, no traceback. Nothing needs a
restart: the pool checks connections before use (``pool_pre_ping``) and reconnects.
"""

from __future__ import annotations

from decimal import Decimal

from flask import current_app, g, jsonify, render_template, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, ServiceUnavailable

from appgov_plugin.host.unavailable import DATABASE_ERRORS, database_unavailable, one_line
from appgov_plugin.i18n import format_number

from .extensions import db

#: Seconds a client is asked to wait before trying again while the database is away.
RETRY_AFTER_SECONDS = 30

#: status code -> (title, explanation) for the errors a person meets on this site.
MESSAGES = {
    400: (
        _l("The request could not be handled"),
        _l(
            "The page received something it could not read. "
            "Go back, check what you entered and try again."
        ),
    ),
    401: (_l("Please log in"), _l("You need to log in to see this page.")),
    403: (
        _l("You do not have access to this page"),
        _l(
            "Your account may not see this page or do this. "
            "If you need access, ask your system administrator."
        ),
    ),
    404: (
        _l("Page not found"),
        _l(
            "There is no page at this address. "
            "Check the address, or start again from the home page."
        ),
    ),
    405: (
        _l("This action is not possible here"),
        _l(
            "This address does not accept this kind of request. "
            "Use the site's buttons and links instead of typing the address."
        ),
    ),
    413: (
        _l("What you sent is too large"),
        _l(
            "The form or file you sent is larger than this site accepts. "
            "Send a smaller file or a shorter text."
        ),
    ),
    429: (
        _l("Too many attempts"),
        _l("This was tried too often in a short time. Wait a few minutes, then try again."),
    ),
    503: (
        _l("The service is unavailable for a moment"),
        _l(
            "The system cannot reach its database right now. Nothing you did caused this. "
            "Try again in a moment; if it lasts, tell the helpdesk."
        ),
    ),
    500: (
        _l("Something went wrong on our side"),
        _l(
            "The page could not be shown because of an error in the system, not because of "
            "anything you did. Try again later; if it keeps happening, tell the helpdesk."
        ),
    ),
}
#: Any other error status.
OTHER = (
    _l("The page could not be shown"),
    _l("The request could not be completed. Go back and try again."),
)
#: Flask-WTF's CSRF refusal explained (its own description is English only).
CSRF_REFUSED = _l(
    "The form was open too long or was not sent from this site. Reload the page and send it again."
)


def init_errors(app) -> None:
    """Answer every HTTP error of ``app`` with :func:`handle_http_error`, and a database
    that is away with a 503 (:func:`handle_database_away`)."""
    app.register_error_handler(HTTPException, handle_http_error)
    for error in DATABASE_ERRORS:
        app.register_error_handler(error, handle_database_away)


def handle_database_away(error: Exception):
    """503 "try again in a moment" in the reader's language, and one log line; a driver
    error that is not an outage (a bug, an input to refuse) stays a 500 with its traceback."""
    if not database_unavailable(error):
        raise error
    current_app.logger.error(
        "database unavailable: %s %s answered 503: %s",
        request.method,
        request.path,
        one_line(error),
    )
    return handle_http_error(ServiceUnavailable(retry_after=RETRY_AFTER_SECONDS))


def describe(error: HTTPException) -> tuple[str, str, str | None]:
    """(title, explanation, the error's own description or ``None``), translated.

    Werkzeug's stock descriptions are English boilerplate and are replaced by the
    explanation; a description the raising code gave (already in the reader's language)
    is kept.
    """
    title, explanation = MESSAGES.get(error.code, OTHER)
    if isinstance(error, CSRFError):
        return str(title), str(CSRF_REFUSED), None
    own = error.description
    stock = {vars(cls).get("description") for cls in type(error).__mro__}
    if not own or own in stock or error.code >= 500:
        own = None  # boilerplate, or details of a failure that are for the log only
    if own is None and error.code == 413:
        own = too_large_limit()
    return str(title), str(explanation), own and str(own)


def too_large_limit() -> str | None:
    """What a 413 page adds: the site's limit (``MAX_CONTENT_LENGTH``), in megabytes."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if not limit:
        return None
    megabytes = Decimal(limit) / (1024 * 1024)
    size = format_number(int(megabytes) if megabytes == int(megabytes) else round(megabytes, 1))
    return gettext(
        "This site accepts at most %(size)s MB in one submission, files included. "
        "Nothing was saved.",
        size=size,
    )


def handle_http_error(error: HTTPException):
    """The error as a page in the host layout (or JSON), with its own status and headers."""
    code = error.code or 500
    if code >= 500:
        # The failing work may have left the session in a broken transaction.
        try:
            db.session.rollback()
        except DATABASE_ERRORS as exc:  # no connection to roll back on: nothing to undo
            current_app.logger.warning("rollback before the error page failed: %s", one_line(exc))
        except Exception:  # the page must still be shown
            current_app.logger.exception("rollback before the error page failed")
    if code == 503:
        # The database is away (nothing else answers 503 here): the user record cannot be
        # read, so the page is drawn for a visitor -- navigation without the user's links.
        g._login_user = current_app.login_manager.anonymous_user()
    title, explanation, own = describe(error)
    headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
    if _wants_json():
        body = {"status": code, "title": title, "detail": own or explanation}
        return jsonify(body), code, headers
    context = {"code": code, "title": title, "explanation": explanation, "description": own}
    try:
        page = render_template("errors/error.html", **context)
    except DATABASE_ERRORS as exc:
        # The layout needs the database, which is away: a page without navigation.
        current_app.logger.warning("the error page could not use the layout: %s", one_line(exc))
        page = render_template("errors/plain.html", **context)
    except Exception:
        # The layout itself failed: a page without navigation.
        current_app.logger.exception("the error page could not use the layout")
        page = render_template("errors/plain.html", **context)
    return page, code, headers


def _wants_json() -> bool:
    accept = request.accept_mimetypes
    best = accept.best_match(["text/html", "application/json"])
    return best == "application/json" and accept[best] > accept["text/html"]


__all__ = ["describe", "handle_database_away", "handle_http_error", "init_errors"]
