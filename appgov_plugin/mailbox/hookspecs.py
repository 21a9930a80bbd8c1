"""The mailbox adapter hook of appgov's city plugin manager (project ``"appgov"``).

Declared beside the rule, notification and lifecycle hooks on the same plugin manager: a
deployment's hook module (``APPGOV_POLICY_MODULES`` or an ``appgov`` entry point)
implements it with ``appgov_plugin.policy.hookimpl``. appgov's default (``trylast``, in
:mod:`appgov_plugin.mailbox.adapters`) speaks Open311 GeoReport v2 to the city's mailbox.
Documented with a runnable example in ``docs/mailbox_hooks.md``.
"""

import pluggy

from ..policy.hookspecs import PROJECT

hookspec = pluggy.HookspecMarker(PROJECT)


@hookspec(firstresult=True)
def appgov_mailbox_adapter(app):
    """The adapter that delivers citizens' feedback to the city's mailbox, for one run of
    ``flask appgov mailbox forward`` or ``flask appgov mailbox sync`` in application
    ``app`` (read your settings from ``app.config``).

    The adapter is an object with two methods (and, if it holds connections, ``close()``,
    called when the run ends):

    * ``submit(item)`` -- deliver one :class:`~appgov_plugin.mailbox.adapters.MailboxItem`
      (the feedback with its app, agency and ``idempotency_key``) and answer the mailbox's
      case number (a ``str``) or a :class:`~appgov_plugin.mailbox.adapters.Receipt`. The
      same item may be submitted again (a forwarder killed after sending it, two forwarders
      whose leases crossed): the mailbox must record it once per ``idempotency_key``
      (MAIL-2). Raise :class:`~appgov_plugin.mailbox.adapters.RetryableError` when the
      mailbox could not take it now (down, busy, timed out: tried again with back-off),
      :class:`~appgov_plugin.mailbox.adapters.PermanentError` when it refused the item
      (parked as failed at once, with your message, for an administrator); any other
      exception counts as retryable.
    * ``statuses(service_request_ids)`` -- the mailbox's status of up to 100 cases: a dict
      ``{service_request_id: MailboxStatus(status, status_notes, agency_responsible,
      updated_datetime)}`` (``status`` ``"open"`` or ``"closed"``); a case the mailbox does
      not know is left out.

    Called from a worker (no request); several forwarder processes may each hold one, and
    ``submit`` is called from several threads at once (``APPGOV_MAILBOX_CONCURRENCY``; 1 for
    an adapter that cannot), outside any application context.

    :returns: the adapter, or ``None`` to leave it to the modules registered before yours
        (in the end appgov's Open311 adapter, which needs ``APPGOV_MAILBOX_URL``).
    """
