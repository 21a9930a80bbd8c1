"""Configuration keys of the plug-in (``app.config``), with their defaults."""

from __future__ import annotations

DEFAULTS: dict[str, object] = {
    # Base city profile: "tainan", "kaohsiung" or "taipei" (rules.md, policy-api.md).
    "APPGOV_PROFILE": "tainan",
    # Where appgov's pages are mounted in the host.
    "APPGOV_URL_PREFIX": "/appgov",
    # Extra policy hook modules (dotted names) registered after entry-point modules.
    "APPGOV_POLICY_MODULES": (),
    # Roles (host contract names) allowed into appgov's Flask-Admin views.
    "APPGOV_ADMIN_ROLES": ("sysadmin",),
    # Template appgov's pages extend; it must define the block "content".
    "APPGOV_BASE_TEMPLATE": "appgov/base.html",
    # AppGov(app) path only: upgrade appgov's tables when the extension starts.
    "APPGOV_AUTO_UPGRADE": False,
    # Uploaded files of the forms' answers: the largest accepted (MB, a field may ask less)
    # and where they are kept (default: <instance folder>/appgov_uploads, outside the web
    # root); the host's MAX_CONTENT_LENGTH should allow at least the largest.
    "APPGOV_UPLOAD_MAX_MB": 50,
    "APPGOV_UPLOAD_DIR": None,
    # Imported tables (appgov_plugin.imports: .csv/.xlsx/.ods, e.g. store reviews): the
    # largest file (MB) and the most data rows; a larger file is refused as a whole.
    "APPGOV_IMPORT_MAX_MB": 10,
    "APPGOV_IMPORT_MAX_ROWS": 20_000,
    # The CJK font embedded in PDF documents (appgov_plugin.pdf): a .ttf/.otf/.ttc file, a
    # collection's face as "path#index"; None: Noto Sans CJK where installed, or fc-list's.
    "APPGOV_PDF_FONT": None,
    # Notifications by e-mail (appgov_plugin.notifications): none without a server. Sent
    # after the step's transaction commits; failures are retried (flask appgov mail send).
    "APPGOV_MAIL_SERVER": None,
    "APPGOV_MAIL_PORT": 25,
    "APPGOV_MAIL_USE_TLS": False,  # STARTTLS on the plain port
    "APPGOV_MAIL_USE_SSL": False,  # TLS from the start (port 465)
    "APPGOV_MAIL_USERNAME": None,
    "APPGOV_MAIL_PASSWORD": None,
    "APPGOV_MAIL_SENDER": None,  # the From address; default appgov@localhost
    "APPGOV_MAIL_CA_FILE": None,  # a CA bundle for the server's certificate (a city's own CA)
    "APPGOV_MAIL_TIMEOUT": 10,  # seconds for the SMTP connection
    "APPGOV_MAIL_MAX_ATTEMPTS": 10,  # tries before a failing e-mail is left alone
    # The site's address (scheme and host, https://intranet.example.gov.tw) for the links in
    # e-mail; default: the host of the request that queued it.
    "APPGOV_BASE_URL": None,
    # The city's mailbox (appgov_plugin.mailbox; TN-MAIL-1, MAIL-2): the default adapter
    # speaks Open311 GeoReport v2 to APPGOV_MAILBOX_URL (the base, .../open311/v2); nothing is
    # forwarded without it. A city with another system answers appgov_mailbox_adapter.
    "APPGOV_MAILBOX_URL": None,
    "APPGOV_MAILBOX_API_KEY": None,
    "APPGOV_MAILBOX_SERVICE_CODE": "app-feedback",
    "APPGOV_MAILBOX_TIMEOUT": 10,  # seconds per request to the mailbox
    # delivery attempts: the n-th failure waits a random time between half of and all of
    # min(MAX, BASE * 2 ** (n - 1)) seconds (jitter); after MAX_ATTEMPTS the item is
    # parked as failed (Flask-Admin's outbox list has the retry action)
    "APPGOV_MAILBOX_BACKOFF_BASE": 30,
    "APPGOV_MAILBOX_BACKOFF_MAX": 3600,
    "APPGOV_MAILBOX_MAX_ATTEMPTS": 12,
    # how long a forwarder holds the items it claimed: a forwarder killed mid-batch leaves
    # them to the next one after this (the idempotency key makes the resend safe)
    "APPGOV_MAILBOX_LEASE_SECONDS": 300,
    # items a forwarder claims at once, and how many of them it sends at the same time
    "APPGOV_MAILBOX_BATCH": 50,
    "APPGOV_MAILBOX_CONCURRENCY": 4,
    # The Open311 GeoReport v2 intake (appgov_plugin.mailbox.open311; docs/open311.md): where
    # it is mounted, and its rate limits (Flask-Limiter notation, ";"-separated) per API key
    # and per client address. Limit counters: memory:// (one process) or redis://... shared
    # by every worker in production. Off with the host's RATELIMIT_ENABLED=False.
    "APPGOV_OPEN311_PREFIX": "/open311/v2",
    "APPGOV_OPEN311_LIMIT_PER_KEY": "600 per minute",
    "APPGOV_OPEN311_LIMIT_PER_ADDRESS": "60 per minute; 1000 per day",
    "APPGOV_RATELIMIT_STORAGE_URI": "memory://",
}


def apply_defaults(app) -> None:
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
