"""The notice (what happened, to whom) and :func:`notify`, the one call every workflow makes.

A notice's subject and body are kept as message ids with their parameters, never as
translated text: each recipient reads them in their own language, on the Messages page
(the reader's language) and in the e-mail (the recipient's ``locale`` from the host, else
``zh_Hant_TW``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel.speaklater import LazyString

from ..i18n import DEFAULT_LOCALE, domain, format_date, format_datetime, parse_locale


@dataclass(frozen=True)
class Recipient:
    """One person a notice is for: the host's username, and where and how to write to them
    (``email`` ``None``: in-app messages only; ``locale`` one of the supported locales)."""

    username: str
    email: str | None = None
    locale: str = DEFAULT_LOCALE
    display_name: str = ""


def as_recipient(user) -> Recipient:
    """A host user (anything with ``username``, and optionally ``email``, ``locale``,
    ``display_name``: what ``casehost_users`` answers) or a bare username as a
    :class:`Recipient`."""
    if isinstance(user, Recipient):
        return user
    if isinstance(user, str):
        return Recipient(username=user)
    username = getattr(user, "username", None)
    if not username:
        raise ValueError(f"notify: recipient {user!r} has no username")
    return Recipient(
        username=str(username),
        email=(getattr(user, "email", None) or None),
        locale=recipient_locale(getattr(user, "locale", None)),
        display_name=str(getattr(user, "display_name", "") or ""),
    )


def recipient_locale(code: str | None) -> str:
    """A host user's ``locale`` as a supported locale; ``zh_Hant_TW`` when unset or unknown."""
    if not code:
        return DEFAULT_LOCALE
    try:
        return parse_locale(str(code))
    except ValueError:
        return DEFAULT_LOCALE


# -- message ids and parameters, kept untranslated ---------------------------------------


def msgid_of(text) -> tuple[str, dict]:
    """``(msgid, variables)`` of ``text``: a lazy string of appgov's domain
    (``_l("Plan for %(app)s submitted", app=...)``: its message id and the variables it was
    given) or a plain message id (``"Plan for %(app)s submitted"``, marked for extraction
    by the caller)."""
    if isinstance(text, LazyString):
        # flask_babel's Domain.lazy_gettext(string, **variables) keeps both as given
        args, kwargs = text._args, dict(text._kwargs)
        if not args or not isinstance(args[0], str):
            raise ValueError(f"notify: {text!r} is not a lazy gettext string")
        return args[0], kwargs
    if isinstance(text, str):
        return text, {}
    raise TypeError(f"notify: a message id or a lazy string, not {type(text).__name__}")


def freeze_param(value):
    """A parameter as JSON: strings and integers as they are; a lazy string as its message id
    (translated with the text); a date or datetime to be written in the reader's style (ROC
    dates in zh, TIME-5); a ``Decimal`` as its exact text."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, LazyString):
        msgid, variables = msgid_of(value)
        return {"msgid": msgid, "params": freeze_params(variables)}
    if isinstance(value, dt.datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"date": value.isoformat()}
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"notify: parameter value {value!r} cannot be kept (use str, int or a date)")


def freeze_params(params: Mapping[str, Any] | None) -> dict:
    return {str(name): freeze_param(value) for name, value in (params or {}).items()}


def _thaw(value, locale: str):
    if isinstance(value, dict):
        if "msgid" in value:
            return render(value["msgid"], value.get("params") or {}, locale)
        if "datetime" in value:
            return format_datetime(dt.datetime.fromisoformat(value["datetime"]), locale)
        if "date" in value:
            return format_date(dt.date.fromisoformat(value["date"]), locale)
    return value


def render(msgid: str | None, params: Mapping[str, Any] | None, locale: str) -> str:
    """``msgid`` translated into ``locale`` (appgov's domain) with ``params`` filled in."""
    if not msgid:
        return ""
    variables = {name: _thaw(value, locale) for name, value in (params or {}).items()}
    with force_locale(locale):
        text = domain.gettext(msgid)
    # a placeholder is filled even when no parameter was given (a KeyError, not "%(app)s")
    return text % variables if variables or "%(" in msgid else text


def is_local_path(link: str | None) -> bool:
    """Whether ``link`` is a path on this site (``/cases/5``), not another site's URL."""
    return (
        isinstance(link, str)
        and link.startswith("/")
        and not link.startswith("//")
        and "\\" not in link
        and not any(ord(ch) < 32 for ch in link)
    )


@dataclass
class Notice:
    """Something that happened, for ``recipients`` to hear about.

    ``subject`` and ``body`` are message ids of appgov's domain with ``params`` (JSON-ready,
    see :func:`freeze_param`); :meth:`render` writes them in a recipient's language. ``link``
    is a path on this site (``/appgov/apps/7``); ``actor`` the username whose step it was
    (never among the recipients).
    """

    event: str
    recipients: tuple[Recipient, ...]
    subject: str
    body: str | None = None
    params: dict = field(default_factory=dict)
    link: str | None = None
    case_id: int | None = None
    app_id: int | None = None
    actor: str | None = None

    @property
    def usernames(self) -> tuple[str, ...]:
        return tuple(recipient.username for recipient in self.recipients)

    def render(self, msgid: str | None, locale: str) -> str:
        return render(msgid, self.params, locale)

    def subject_in(self, locale: str) -> str:
        return self.render(self.subject, locale)

    def body_in(self, locale: str) -> str:
        return self.render(self.body, locale)


# -- notify ------------------------------------------------------------------------------


def _host_users(roles, agency_code) -> list:
    host = current_app.extensions.get("casehost")
    hook = getattr(getattr(getattr(host, "pm", None), "hook", None), "casehost_users", None)
    if hook is None:
        return []
    return list(
        hook(app=current_app._get_current_object(), roles=roles, agency_code=agency_code) or ()
    )


def resolve_recipients(
    *, roles: Iterable[str] = (), agency_code: str | None = None, usernames=(), exclude=()
) -> tuple[Recipient, ...]:
    """The people in ``roles`` acting for ``agency_code`` (the host's ``casehost_users``;
    none without a case host) and ``usernames``, each once (first seen kept), without
    ``exclude``.

    A bare username of ``usernames`` (the case's owner, say) is looked up among the people
    who act for ``agency_code`` in any role (one more ``casehost_users`` question), so that
    they are e-mailed in their language too; one the host does not answer for gets in-app
    messages only.
    """
    roles = tuple(roles)
    if roles and not agency_code:
        raise ValueError("notify: roles= needs the agency_code= whose people they are")
    excluded = {exclude} if isinstance(exclude, str) else set(exclude or ())
    if isinstance(usernames, str):
        usernames = (usernames,)
    usernames = [user for user in usernames if not (user is None or user == "")]
    people = _host_users(roles, agency_code) if roles else []
    bare = {u for u in usernames if isinstance(u, str)} - {p.username for p in people} - excluded
    if bare and agency_code:
        from ..host.contract import STANDARD_ROLES

        known = {p.username: p for p in _host_users(STANDARD_ROLES, agency_code)}
        usernames = [known.get(u, u) if isinstance(u, str) else u for u in usernames]
    found: dict[str, Recipient] = {}
    for user in [*people, *usernames]:
        recipient = as_recipient(user)
        if recipient.username in excluded:
            continue
        known = found.get(recipient.username)
        if known is None or (known.email is None and recipient.email):
            found[recipient.username] = recipient
    return tuple(found.values())


def notify(
    event: str,
    *,
    subject,
    body=None,
    params: Mapping[str, Any] | None = None,
    roles: Iterable[str] = (),
    agency_code: str | None = None,
    usernames: Iterable = (),
    exclude: str | Iterable[str] | None = None,
    link: str | None = None,
    case_id: int | None = None,
    app_id: int | None = None,
) -> Notice:
    """Tell people that ``event`` happened: an in-app message each (and an e-mail when
    ``APPGOV_MAIL_*`` is configured), through the city hook ``appgov_notify``.

    Call it inside the transaction of the step it reports (a host's after-transition hook,
    a sweep): the messages are written in that transaction and the e-mail is sent only after
    it commits (a rolled-back step notifies nobody). Example::

        from appgov_plugin.i18n import _l
        from appgov_plugin.notifications import notify

        notify(
            "plan_submitted",
            roles=("reviewer",), agency_code=app.agency_code, usernames=(),
            subject=_l("Improvement plan for %(app)s submitted"), params={"app": app.name},
            link=url_for("appgov.app_detail", app_id=app.id), case_id=case.id, app_id=app.id,
            exclude=user.username,
        )

    :param event: a short key of what happened (``"plan_submitted"``), kept with the message
        and readable by city hook modules.
    :param subject: a lazy string of appgov's domain (``_l("...")``) or a plain message id;
        kept untranslated, written in each reader's language. ``%(name)s`` placeholders are
        filled from ``params`` (and from the lazy string's own variables).
    :param body: an optional longer text, the same way (the e-mail's text and the message
        page; the subject when omitted).
    :param params: the placeholders' values: str, int, ``Decimal``, a date or datetime
        (written as the reader writes dates: ROC in zh), or a lazy string (translated too).
    :param roles: host roles to notify, with ``agency_code``: the people the host's
        ``casehost_users(app, roles, agency_code)`` answers (nobody outside a case host).
    :param usernames: more recipients: host user objects (``username``, ``email``,
        ``locale``) or usernames, looked up among the people of ``agency_code`` for their
        address and language (when the host does not know one: in-app messages only).
    :param exclude: the acting user's username (or several): never told about their own step.
    :param link: the path on this site the message opens (``/appgov/apps/7``); another
        site's URL is refused (``ValueError``).
    :returns: the :class:`Notice` delivered (``recipients`` empty: nobody to tell, the hook
        was not called).
    """
    subject_id, subject_vars = msgid_of(subject)
    body_id, body_vars = msgid_of(body) if body is not None else (None, {})
    if not event or not isinstance(event, str):
        raise ValueError("notify: event must be a non-empty key such as 'plan_submitted'")
    if link is not None and not is_local_path(link):
        raise ValueError(f"notify: link must be a path on this site, not {link!r}")
    frozen = freeze_params({**subject_vars, **body_vars, **(params or {})})
    notice = Notice(
        event=event,
        recipients=resolve_recipients(
            roles=roles, agency_code=agency_code, usernames=usernames, exclude=exclude
        ),
        subject=subject_id,
        body=body_id,
        params=frozen,
        link=link,
        case_id=case_id,
        app_id=app_id,
        actor=exclude if isinstance(exclude, str) else None,
    )
    # a placeholder without a value is the caller's mistake: refused now, not at display
    try:
        notice.subject_in(DEFAULT_LOCALE), notice.body_in(DEFAULT_LOCALE)
    except (KeyError, ValueError, TypeError) as error:
        raise ValueError(f"notify: {event}: the text needs a parameter: {error}") from error
    if notice.recipients:
        from ..state import get_state

        get_state().policy().plugin_manager.hook.appgov_notify(notice=notice)
    return notice
