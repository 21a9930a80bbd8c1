"""Case types whose form is a versioned definition of ``forms/``, and the workflow of a form
filed with an authority (a checklist, an application, a plan, a report, a roster).

:func:`form_case_type` ties a case type to a form definition: a new case gets the form's
live version (:mod:`appgov_plugin.forms.store`), a stored case re-renders and validates with
its own, and the case type is offered only where the deployment applies the rules the form
serves (its ``rules``; a city adopts another city's form by adopting its rules in the
``adopted_rules`` rule parameter).

:func:`filing_workflow` is the workflow such a form follows until its capability's own
workflow replaces it: the owner drafts and submits it, the receiving role accepts it or
returns it with a comment, the owner corrects a returned form and submits it again, or
withdraws it. Accepting and returning are decisions (separation of duties).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import has_request_context, request

from .forms import store
from .host.contract import CaseType, Transition, Workflow
from .i18n import _l
from .state import get_state

FILING_STATES = {
    "draft": _l("Draft"),
    "submitted": _l("Submitted"),
    "returned": _l("Returned for revision"),
    "accepted": _l("Accepted"),
    "withdrawn": _l("Withdrawn"),
}


def policy_in_force():
    """The deployment's policy today, built once per request: the host asks guards and
    ``offered`` for every case type and case it lists, and each build reads the database."""
    if not has_request_context():
        return get_state().policy()
    policy = getattr(request, "_appgov_case_policy", None)
    if policy is None:
        policy = request._appgov_case_policy = get_state().policy()
    return policy


def filing_workflow(receiver: str) -> Workflow:
    """Draft -> submitted -> accepted, or returned (with a comment) -> resubmitted; the
    owner edits a draft or a returned form and may withdraw it. ``receiver`` is the role
    that accepts or returns it (``reviewer`` for the app authority, ``it_department`` for a
    roll-out report)."""
    return Workflow(
        initial="draft",
        states=dict(FILING_STATES),
        transitions=(
            Transition("submit", "draft", "submitted", "agency_staff", _l("Submit")),
            Transition("resubmit", "returned", "submitted", "agency_staff", _l("Resubmit")),
            Transition("accept", "submitted", "accepted", receiver, _l("Accept"), decides=True),
            Transition(
                "return",
                "submitted",
                "returned",
                receiver,
                _l("Return for revision"),
                comment_required=True,
                decides=True,
            ),
        ),
        final_states=frozenset({"accepted", "withdrawn"}),
        editable_states=frozenset({"draft", "returned"}),
        withdrawable_states=frozenset({"draft", "returned"}),
        withdrawn_state="withdrawn",
    )


def _summary(field: str) -> Callable[[Mapping[str, Any]], str]:
    return lambda data: str(data.get(field) or "")


def form_offered(form_key: str) -> bool:
    """Whether this deployment files form ``form_key`` today (its live definition's rules)."""
    return store.live(form_key).offered_by(policy_in_force())


def form_case_type(
    key: str,
    form_key: str | Callable[[], str | None],
    label: Any,
    description: Any,
    workflow: Workflow,
    *,
    summary_field: str = "app_name",
    offered: Callable[[], bool] | None = None,
    unrecorded_key: str | None = None,
    documents: Callable[[Any], Any] | None = None,
) -> CaseType:
    """A case type filed with the versioned form ``form_key`` (a key, or a callable choosing
    one, e.g. per profile), offered where :func:`form_offered` says so unless ``offered``
    decides. ``unrecorded_key``: the form of cases stored before the host recorded form keys
    (default: the live key). ``documents``: ``CaseType.documents`` (a decided case's PDF)."""

    def live_key() -> str | None:
        return form_key() if callable(form_key) else form_key

    def live_version() -> int | None:
        current = live_key()
        return store.live_version(current) if current else None

    def default_offered() -> bool:
        current = live_key()
        return bool(current) and form_offered(current)

    # a city's own review steps (hook appgov_workflow_steps, docs/lifecycle_hooks.md)
    from .lifecycle.steps import extended_workflow

    return CaseType(
        key=key,
        label=label,
        form=None,
        form_key=live_key,
        form_version=live_version,
        form_at=lambda stored_key, version: store.form_at(
            stored_key, version, unrecorded_key or live_key()
        ),
        workflow=extended_workflow(workflow, key),
        creator_role="agency_staff",
        description=description,
        summary=_summary(summary_field),
        offered=offered or default_offered,
        documents=documents,
    )
