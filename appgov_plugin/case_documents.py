"""The documents an authority sends for a decided case, as PDF (issue 16): the decision letter
of a development proposal (``apps/decision_letter.py``: TN-EVAL-1, KH-EVAL-1/2) and the
written reply to a yearly KPI report (``lifecycle/kpi_reply.py``: KH-KPI-6).

``/appgov/cases/<id>/document.pdf`` answers the document of case ``<id>`` to whoever reads
the case's answers on the host's case page -- the host decides, through the contract's
``casehost_case_for_reader`` (anyone else, a guessed id included: 404, as for a missing
case); a case of that type not decided yet: 404 with a message. Who decided and when come
from the host's history (``casehost_case_history``): the last step, a decision
(``decides=True``), that brought the case to its state. The case page links the document
(``CaseType.documents``, :func:`documents_for`) once the case is in a decided state.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import abort, current_app, url_for
from flask_login import current_user, login_required

from .clock import today
from .host.contract import CaseDocument, CaseStep
from .i18n import _, _l, format_date, format_datetime, format_number
from .pdf import FontMissing, font_missing_abort, pdf_response
from .uploads import case_for_reader
from .web import blueprint

#: The deciders' roles as a letter names them.
DECIDER_ROLES = {
    "agency_head": _l("Agency head"),
    "reviewer": _l("App authority (reviewer)"),
    "mayor": _l("Mayor or authorised delegate"),
    "it_department": _l("IT department"),
}


@dataclass(frozen=True)
class Decided:
    """What a document builder gets: the case, its case type, the decision step and every
    step (oldest first)."""

    case: Any
    case_type: Any
    decision: CaseStep
    steps: list[CaseStep]


#: type key -> (states whose document exists, builder(Decided) -> (pdf bytes, file name)),
#: filled by the capabilities (:func:`register`).
BUILDERS: dict[str, tuple[frozenset[str], Callable[[Decided], tuple[bytes, str]]]] = {}


def register(type_key: str, states, builder) -> None:
    BUILDERS[type_key] = (frozenset(states), builder)


def documents_for(type_key: str, states, label) -> Callable[[Any], list[CaseDocument]]:
    """A ``CaseType.documents`` callable: the link to the case's PDF in ``states``."""
    decided = frozenset(states)

    def documents(case) -> list[CaseDocument]:
        if getattr(case, "status", None) not in decided:
            return []
        return [CaseDocument(label, url_for("appgov.case_document", case_id=case.id))]

    return documents


def case_steps(case) -> list[CaseStep]:
    """The host's history of ``case`` (``casehost_case_history``), oldest first."""
    app = current_app._get_current_object()
    pm = getattr(app.extensions.get("casehost"), "pm", None)
    hook = getattr(getattr(pm, "hook", None), "casehost_case_history", None)
    return list((hook(app=app, case=case) if hook else None) or [])


def decision_step(case, case_type, steps: list[CaseStep]) -> CaseStep | None:
    """The last step that is a decision of the workflow and brought ``case`` to its state."""
    decisions = {(t.name, t.source) for t in case_type.workflow.transitions if t.decides}
    for step in reversed(steps):
        if step.to_state == case.status and (step.transition, step.from_state) in decisions:
            return step
        if step.to_state != case.status:
            return None
    return None


def host_case_type(type_key: str):
    host = current_app.extensions.get("casehost")
    case_types = host.case_types if host is not None else {}
    if type_key not in case_types:  # a registry, not a dict
        return None
    return case_types[type_key]


# -- what the documents share ---------------------------------------------------------------


def decider_text(step: CaseStep) -> str:
    role = DECIDER_ROLES.get(step.actor_role, step.actor_role)
    return f"{step.actor_name} ({role})"


def answer_text(form, name: str, value) -> str:
    """A stored answer as the reader reads it: a choice's label, yes/no, a number with
    separators, a date (ROC in zh), text as stored."""
    field = form[name] if form is not None and name in form else None
    choices = dict((str(k), v) for k, v, *_rest in getattr(field, "iter_choices", lambda: [])())
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return "、".join(str(choices.get(str(item), item)) for item in value) or "—"
    if choices and str(value) in choices:
        return str(choices[str(value)])
    if isinstance(value, int | float):
        return format_number(value)
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return format_date(dt.date.fromisoformat(value))
        except ValueError:
            return value
    return "" if value is None else str(value)


def answer_rows(case, case_type, names) -> list[tuple[str, str]]:
    """(label, answer) of the case's answers ``names``, labelled by the form it was filed
    with (its own version); answers the form does not ask are left out."""
    form = case_type.case_form(case)
    data = case.data or {}
    rows = []
    for name in names:
        if name in form and data.get(name) not in (None, "", []):
            rows.append((str(form[name].label.text), answer_text(form, name, data[name])))
    return rows


def signature_rows(decided: Decided) -> list[tuple[str, str]]:
    return [
        (_("Decided by"), decider_text(decided.decision)),
        (_("Decided on"), format_datetime(decided.decision.at)),
    ]


def issued_line() -> str:
    return _("Issued by appgov on %(date)s", date=format_date(today()))


# -- the route ------------------------------------------------------------------------------


@blueprint.get("/cases/<int:case_id>/document.pdf")
@login_required
def case_document(case_id: int):
    """The decided case's document as PDF, to a reader of the case (else 404)."""
    user = getattr(current_user, "_get_current_object", lambda: current_user)()
    case = case_for_reader(case_id, user) if 0 < case_id < 2**31 else None
    known = BUILDERS.get(getattr(case, "type_key", None))
    case_type = host_case_type(case.type_key) if case is not None else None
    if case is None or known is None or case_type is None:
        abort(
            404,
            description=_(
                "There is no document of case #%(id)s, or it is not open to you.", id=case_id
            ),
        )
    states, builder = known
    steps = case_steps(case) if case.status in states else []
    decision = decision_step(case, case_type, steps) if steps else None
    if decision is None:
        abort(
            404,
            description=_(
                "Case #%(id)s is not decided yet: its document is issued with the decision.",
                id=case_id,
            ),
        )
    try:
        data, filename = builder(Decided(case, case_type, decision, steps))
    except FontMissing as error:
        font_missing_abort(error)
    return pdf_response(data, filename)
