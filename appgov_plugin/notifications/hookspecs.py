"""The notification hook of appgov's city plugin manager (project ``"appgov"``).

Declared beside the rule hooks (:mod:`appgov_plugin.policy.hookspecs`) on the same plugin
manager: a city hook module (``APPGOV_POLICY_MODULES``, an ``appgov`` entry point, or a
``get_policy(..., plugins=...)`` module) implements it with ``@hookimpl`` of project
``"appgov"``. Each hook is documented with an example in ``docs/notification_hooks.md``.
"""

import pluggy

PROJECT = "appgov"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec(firstresult=True)
def appgov_notify(notice):
    """Deliver ``notice`` (a :class:`~appgov_plugin.notifications.Notice`): something
    happened (``notice.event``, e.g. ``"plan_submitted"``) that ``notice.recipients`` should
    hear about.

    Called by :func:`appgov_plugin.notifications.notify` inside the caller's (the host's)
    transaction, after the recipients are resolved (the acting user left out); nothing is
    committed here. The shared default (``trylast``) stores one in-app message per recipient
    (the "Messages" page and its unread count in the navigation) and, when
    ``APPGOV_MAIL_SERVER`` is configured, queues one e-mail per recipient with an address,
    sent after the transaction commits.

    ``notice.subject`` and ``notice.body`` are untranslated message ids; ``notice.render(
    notice.subject, locale)`` translates one into a recipient's language
    (``recipient.locale``).

    :returns: ``True`` when the module delivered the notice its own way and the default must
        not run; ``None`` to let the modules registered before it (and the default) deliver
        it too.
    """
