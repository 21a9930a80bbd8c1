"""A city's own statistics source for the apps' monthly figures (issue 14, item 1;
KH-KPI-5: figures collected regularly; TN-PERF-1).

A hook of the city plugin manager (project ``"appgov"``, beside the rule, notification,
lifecycle and mailbox hooks): a deployment's hook module (``APPGOV_POLICY_MODULES`` or an
``appgov`` entry point) implements it with ``appgov_plugin.policy.hookimpl``.
``flask appgov evaluation collect YEAR`` asks it for every app in the stores and saves what
it registers through :func:`appgov_plugin.evaluation.figures.save_figures` (source
``hook``): the same checks as the agency's form, every change in the app's history.

Documented with a runnable example in ``docs/evaluation_hooks.md``.
"""

import pluggy

from ..policy.hookspecs import PROJECT

hookspec = pluggy.HookspecMarker(PROJECT)


@hookspec
def appgov_collect_app_figures(app, year, register):
    """Contribute ``app``'s figures of ``year`` from the city's own statistics source.

    ``app`` is the registry's app (``id``, ``code``, ``name``, ``agency_code``,
    ``ios_url``, ``android_url``); ``year`` the calendar year asked. Call
    ``register(month, **values)`` for each month (1 to 12) you know, with any of
    ``downloads_ios``, ``downloads_android``, ``uninstalls`` (whole numbers from 0), and
    ``rating_ios``, ``ratings_ios``, ``rating_android``, ``ratings_android`` (each store's
    rating from 0 to 5 with at most two decimals -- give it as a ``Decimal`` or a text such
    as ``"4.25"``, never a float you computed -- and its number of ratings, which needs
    the rating). A figure you leave out keeps what is stored; ``None`` clears it.

    Every implementation is called, in registration order: for a figure two modules give
    for the same month, the module registered later (the higher priority, as for the rule
    hooks) wins; a later call of one module for a month adds to or overrides its earlier
    one. A month the
    checks refuse (a negative count, three decimals, a month not yet begun) is reported
    with its fields and stored for no month of that app; the other apps go on. Called
    outside any request, inside the application context of the command.

    :returns: nothing (what you register is what counts).
    """
