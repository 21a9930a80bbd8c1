"""A city's own steps and checks in appgov's workflows, without a change to appgov.

Hooks of the city plugin manager (project ``"appgov"``, beside the rule hooks of
:mod:`appgov_plugin.policy.hookspecs`): a deployment's hook module (``APPGOV_POLICY_MODULES``
or an ``appgov`` entry point) implements them with ``appgov_plugin.policy.hookimpl``.

* :func:`appgov_workflow_steps` adds a review state to a case type's workflow when the case
  types are built (at start-up, from the hook modules alone: no database);
* :func:`appgov_check_transition` refuses a step of any of appgov's cases (a proposal, a
  listing, a delisting, a plan, a report...) with a message, asked before the host writes.

Each hook is documented with a runnable example in ``docs/lifecycle_hooks.md``.
"""

import pluggy

from ..policy.hookspecs import PROJECT

hookspec = pluggy.HookspecMarker(PROJECT)


@hookspec
def appgov_workflow_steps(case_type, add_step):
    """Add review steps to the workflow of case type ``case_type`` (a key such as
    ``"appgov_listing_checklist"`` or ``"appgov_app_proposal"``).

    Call ``add_step(after_state, state, label, role, approve_label, return_label,
    rule=None)`` for each step, or nothing for a case type the city leaves alone:

    * every transition that entered ``after_state`` (a state of the workflow) now enters the
      new state ``state`` (a key not yet used), labelled ``label``;
    * from ``state``, ``role`` (one of the host contract's ``STANDARD_ROLES``) approves
      (transition ``<state>_approve``, labelled ``approve_label``: on to ``after_state``) or
      returns (``<state>_return``, ``return_label``, a comment required: to the workflow's
      ``returned`` state, else its initial state); both are decisions (separation of
      duties: nobody decides a case they filed or took part in in another role);
    * ``rule``: the ID of the rule the step serves (a known rule ID, shown in the state's
      label), or ``None``.

    Called once per case type when the case types are built; a bad call (an unknown state,
    role or rule) stops the start-up with a message naming it. Every implementation is
    called (pluggy's order: the last-registered module first); steps added after the same
    state follow each other in the order they were added.
    """


@hookspec(firstresult=True)
def appgov_check_transition(case, transition, user, comment):
    """A reason to refuse ``transition`` on ``case`` by ``user`` with ``comment``, or ``None``.

    Asked before every step of appgov's cases, after appgov's own checks and before the host
    writes anything: ``case`` is the host's case (``type_key``, ``status``, ``agency_code``,
    ``data``: the answers, ``owner_username``), ``transition`` the workflow step
    (``name``, ``source``, ``target``, ``role``, ``decides``), ``user`` who asks
    (``username``, ``role``, ``agency_code``), ``comment`` their comment.

    :returns: the message the user reads (a text: translate it yourself), which refuses the
        step and writes nothing; ``None`` to let the step through (the next module is
        asked). The first module that answers decides.
    """
