"""A city's own review steps in appgov's workflows (hook ``appgov_workflow_steps``).

:func:`extended_workflow` is asked for every case type appgov builds
(:func:`appgov_plugin.submissions.form_case_type`: the proposal, the lifecycle's forms, the
roll-out and training filings): the deployment's hook modules add review states with
``add_step`` (:mod:`.hookspecs`). Case types are built at start-up, before the database may
be ready, so the city plugin manager is built from the configuration alone (the profile and
``APPGOV_POLICY_MODULES``), without the database layer.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from flask import has_app_context

from ..host.contract import STANDARD_ROLES, ContractError, Transition, Workflow
from ..policy.manager import policy_with_layer
from ..policy.rulebook import rule as find_rule
from ..state import get_state


class StepLabel:
    """A step's state label with the rule it serves: 「法制審查（TN-LIST-1）」."""

    def __init__(self, label: Any, rule_id: str):
        self.label, self.rule_id = label, rule_id

    def __str__(self) -> str:
        return f"{self.label} ({self.rule_id})"

    def __html__(self) -> str:  # Jinja escapes str(); nothing here is markup
        from markupsafe import escape

        return str(escape(str(self)))


def city_plugin_manager():
    """The deployment's city plugin manager without the database layer, or ``None``
    outside an application running appgov."""
    if not has_app_context():
        return None
    try:
        state = get_state()
    except RuntimeError:
        return None
    return policy_with_layer(state.profile, state.policy_modules, None, None).plugin_manager


class _Steps:
    """The workflow being extended; :meth:`add_step` is the hook's ``add_step``."""

    def __init__(self, workflow: Workflow, case_type: str):
        self.workflow = workflow
        self.case_type = case_type

    def _refuse(self, message: str):
        raise ContractError(f"appgov_workflow_steps for {self.case_type!r}: {message}")

    def add_step(
        self,
        after_state: str,
        state: str,
        label: Any,
        role: str,
        approve_label: Any,
        return_label: Any,
        rule: str | None = None,
    ) -> None:
        workflow = self.workflow
        if after_state not in workflow.states:
            self._refuse(
                f"after_state {after_state!r} is not a state of the workflow "
                f"(states: {', '.join(workflow.states)})"
            )
        if not isinstance(state, str) or not state or state in workflow.states:
            self._refuse(f"state {state!r} must be a new state key")
        if role not in STANDARD_ROLES:
            self._refuse(f"unknown role {role!r}; known roles: {', '.join(STANDARD_ROLES)}")
        shown = label
        if rule is not None:
            try:
                shown = StepLabel(label, find_rule(rule).id)
            except ValueError as error:
                self._refuse(str(error))
        back = "returned" if "returned" in workflow.states else workflow.initial
        entering = tuple(
            dataclasses.replace(t, target=state) if t.target == after_state else t
            for t in workflow.transitions
        )
        added = (
            Transition(f"{state}_approve", state, after_state, role, approve_label, decides=True),
            Transition(
                f"{state}_return",
                state,
                back,
                role,
                return_label,
                comment_required=True,
                decides=True,
            ),
        )
        # dataclasses.replace validates the new workflow (Workflow.__post_init__)
        self.workflow = dataclasses.replace(
            workflow, states={**workflow.states, state: shown}, transitions=entering + added
        )


def extended_workflow(workflow: Workflow, case_type: str, plugin_manager=None) -> Workflow:
    """``workflow`` of case type ``case_type`` with the steps the deployment's hook modules
    add (``appgov_workflow_steps``); ``workflow`` itself when none does, or outside an
    application running appgov. ``plugin_manager``: default :func:`city_plugin_manager`."""
    pm = plugin_manager if plugin_manager is not None else city_plugin_manager()
    hook = getattr(pm.hook, "appgov_workflow_steps", None) if pm is not None else None
    if hook is None:
        return workflow
    steps = _Steps(workflow, case_type)
    hook(case_type=case_type, add_step=steps.add_step)
    return steps.workflow


def step_states(workflow: Workflow) -> dict[str, str]:
    """The states a city added (``add_step``) -> the state their approval goes on to."""
    return {t.source: t.target for t in workflow.transitions if t.name == f"{t.source}_approve"}


def through_steps(workflow: Workflow, transitions) -> list[tuple[str, bool]]:
    """``transitions`` (names, from the initial state) with the approval of each city step
    they now pass through inserted where the next one is not possible without it, as
    ``(name, inserted)``: demo data written for appgov's workflows still runs where a city
    added a step (a case that ends in a city's step waits there)."""
    added = step_states(workflow)
    names = {(t.source, t.name) for t in workflow.transitions}
    state, walked = workflow.initial, []
    for index, name in enumerate(transitions):
        while state in added and (state, name) not in names:
            walked.append((f"{state}_approve", True))
            state = added[state]
        walked.append((name, False))
        try:
            state = workflow.transition(state, name).target
        except ContractError:  # the host refuses it as it always did
            walked += [(rest, False) for rest in transitions[index + 1 :]]
            break
    return walked


def _approver(users, role: str, agency_code: str) -> str | None:
    """A demo user of ``role`` for ``agency_code``: one of the agency's own, else the first
    of the role."""
    of_role = [u for u in users if u.role == role]
    same = [u for u in of_role if getattr(u, "agency_code", None) == agency_code]
    chosen = (same or of_role or [None])[0]
    return getattr(chosen, "username", None)


def demo_open_case(open_case, users, workflows: dict[str, Workflow]):
    """The host's demo ``open_case`` (``casehost_demo_data``) passing through the steps
    cities added (:func:`through_steps`); where the demo names its actors, each inserted
    approval is taken by a demo user of the step's role."""

    def opening(type_key, agency_code, owner_username, data, transitions=(), actor_usernames=()):
        workflow = workflows.get(type_key)
        if workflow is None or not step_states(workflow):
            return open_case(
                type_key, agency_code, owner_username, data, transitions, actor_usernames
            )
        walked = through_steps(workflow, list(transitions))
        roles = {t.name: t.role for t in workflow.transitions}
        actors = []
        if actor_usernames:
            given = iter(actor_usernames)
            for name, inserted in walked:
                actors.append(
                    _approver(users, roles[name], agency_code) if inserted else next(given)
                )
        return open_case(
            type_key, agency_code, owner_username, data, [n for n, _ in walked], actors
        )

    return opening
