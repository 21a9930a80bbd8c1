"""Notifications: every workflow tells people what happened with :func:`notify`.

The city hook ``appgov_notify`` (:mod:`.hookspecs`, ``docs/notification_hooks.md``) delivers
each :class:`Notice`; the shared default stores in-app messages (the "Messages" page, an
unread count in the navigation) and sends e-mail over SMTP after the transaction commits
when ``APPGOV_MAIL_SERVER`` is configured.

Public API (other capabilities import exactly these)::

    from appgov_plugin.notifications import notify
    notify("plan_submitted", roles=("reviewer",), agency_code=app.agency_code,
           subject=_l("Improvement plan for %(app)s submitted"), params={"app": app.name},
           link=url, case_id=case.id, app_id=app.id, exclude=user.username)
"""

from .notice import Notice, Recipient, notify, render

__all__ = ["Notice", "Recipient", "notify", "render"]
