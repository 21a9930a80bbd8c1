"""Security headers on every response, the CSP nonce, HTTPS cookies and trusted proxies.

Installed by :func:`sample_host.create_app` for the host's pages, appgov's pages and
Flask-Admin's alike:

* ``Content-Security-Policy``: scripts and style sheets only from this site (no inline
  ``<script>``, no ``on*=`` handler, no ``javascript:`` URL runs), except the ``<script>`` and
  ``<style>`` elements that carry this response's nonce (Flask-Admin's, through
  ``Admin.csp_nonce_generator``; templates call ``csp_nonce()``). ``style="..."`` attributes
  stay allowed (``style-src-attr``): Flask-Admin's widgets and a few layout widths use them and
  they cannot run code. Nothing may frame a page (``frame-ancestors 'none'``).
* ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY`` (browsers without CSP 2),
  ``Referrer-Policy: same-origin`` (case numbers in addresses never leave the site),
  ``Cross-Origin-Opener-Policy: same-origin`` and a ``Permissions-Policy`` that turns off
  devices no page uses.
* ``Cache-Control: no-store`` on every page shown to a logged-in user: after log-out the
  browser's back button cannot bring a case back from its cache.
* ``HOST_HTTPS`` (env ``HOST_HTTPS=1``): the site is served over HTTPS, so the session and
  remember-me cookies are ``Secure``, URLs built outside a request use ``https`` and
  responses carry ``Strict-Transport-Security`` (set in :func:`sample_host.config.configure`).
* ``HOST_PROXIES`` (env ``HOST_PROXIES=1``): the number of reverse proxies in front of the
  host; their ``X-Forwarded-For``/``-Proto`` headers are then trusted, so log-in throttling
  counts per client address (not per proxy) and HTTPS is recognised.
"""

from __future__ import annotations

import secrets

from flask import current_app, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

from appgov_plugin import language_parts

#: Headers every response carries (a view may set its own value first).
STATIC_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}
#: One year, the usual HSTS lifetime (sent only with ``HOST_HTTPS``).
HSTS = "max-age=31536000; includeSubDomains"


def csp_nonce() -> str:
    """This response's CSP nonce (made on first use, one per request)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def content_security_policy(nonce: str | None) -> str:
    """The policy; ``nonce`` admits the inline elements that carry it (``None``: none)."""
    elements = f" 'nonce-{nonce}'" if nonce else ""
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src 'self'{elements}",
            f"style-src 'self'{elements}",
            "style-src-attr 'unsafe-inline'",
            # Bootstrap draws select arrows and the menu icon with data: SVG images.
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def add_security_headers(response):
    """``after_request``: the CSP (with the nonce if the page used one) and the fixed headers."""
    policy = content_security_policy(g.get("csp_nonce"))
    response.headers.setdefault("Content-Security-Policy", policy)
    for name, value in STATIC_HEADERS.items():
        response.headers.setdefault(name, value)
    if current_app.config.get("HOST_HTTPS"):
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    # The user Flask-Login loaded for this request, if any: never load one here (the
    # database may be away, see errors.py).
    user = g.get("_login_user")
    static = (request.endpoint or "").rpartition(".")[2] == "static"  # the site's, appgov's,
    # Flask-Admin's static files: the same for everyone, cached as Flask sends them
    logged_in = user is not None and user.is_authenticated and not static
    # a page that already forbids storing keeps its own words ("private, no-store")
    if logged_in and "no-store" not in (response.headers.get("Cache-Control") or ""):
        response.headers["Cache-Control"] = "no-store"
    return response


def init_security(app, admin=None) -> None:
    """Install the headers on ``app``, the language of parts, the nonce for templates and
    Flask-Admin, the proxies."""
    app.after_request(add_security_headers)
    # WCAG 2.1 SC 3.1.2 on every page of the site, Flask-Admin's too: Chinese data on an
    # English page marked lang="zh-Hant-TW" (after_request functions run last-added first)
    app.after_request(language_parts.mark_response)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    if admin is not None:
        admin.csp_nonce_generator = csp_nonce
    proxies = int(app.config.get("HOST_PROXIES") or 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)


__all__ = ["add_security_headers", "content_security_policy", "csp_nonce", "init_security"]
