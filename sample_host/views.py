"""The web pages: home, inbox, opening a case, a case with its history and transitions."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload

from .cases import (
    TransitionRefused,
    apply_transition,
    available_transitions,
    case_type_of,
    create_case,
    history_label,
    inbox,
    may_view,
    state_label,
)
from .extensions import db
from .models import ROLE_LABELS, Case, CaseHistory
from .plugins import current_host

bp = Blueprint("main", __name__)


@bp.app_context_processor
def _case_helpers() -> dict:
    return {
        "case_type_of": case_type_of,
        "state_label": state_label,
        "history_label": history_label,
        "role_labels": ROLE_LABELS,
        "host_is_admin": current_host().is_admin,
        "host_nav_links": lambda: current_host().contributions.nav_links,
    }


def _display(field, value) -> Any:
    """A stored answer for reading: choice labels instead of keys, yes/no, lists joined."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    choices = {}
    if getattr(field, "choices", None):
        # iter_choices() yields (value, label, selected, ...) on every WTForms choice field.
        choices = {str(choice[0]): choice[1] for choice in field.iter_choices()}
    if isinstance(value, list):
        return ", ".join(str(choices.get(str(item), item)) for item in value)
    return choices.get(str(value), value)


def case_answers(case_type, data) -> list[tuple[Any, Any]]:
    """(label, readable answer) for each stored answer, labels from the case type's form."""
    form = case_type.form() if case_type else None
    answers = []
    for name, value in data.items():
        field = form[name] if form is not None and name in form else None
        answers.append((field.label.text if field else name, _display(field, value)))
    return answers


def _case_or_404(case_id: int) -> Case:
    case = db.session.get(Case, case_id)
    if case is None:
        abort(404)
    if not may_view(current_user, case):
        abort(403)
    return case


@bp.route("/")
def home():
    """Welcome page; after login, the case types the user may open."""
    creatable = []
    if current_user.is_authenticated:
        creatable = [t for t in current_host().case_types if t.creator_role == current_user.role]
    return render_template("home.html", creatable=creatable)


@bp.route("/inbox")
@login_required
def inbox_page():
    """Cases the user can act on now, and the cases the user opened."""
    to_act, owned = inbox(current_user)
    return render_template("inbox.html", to_act=to_act, owned=owned)


@bp.route("/cases/new/<type_key>", methods=["GET", "POST"])
@login_required
def new_case(type_key: str):
    """Render the case type's form; a valid submission opens a case in the initial state."""
    case_types = current_host().case_types
    if type_key not in case_types:
        abort(404)
    case_type = case_types[type_key]
    if current_user.role != case_type.creator_role or current_user.agency is None:
        abort(403)
    form = case_type.form()
    if request.method == "POST" and form.validate():
        case = create_case(
            case_type,
            current_user.agency,
            current_user,
            case_type.data_from(form),
            form_version=case_type.form_version,
        )
        db.session.commit()
        flash(gettext("Case #%(id)s opened.", id=case.id), "success")
        return redirect(url_for(".case_detail", case_id=case.id))
    return render_template("cases/new.html", case_type=case_type, form=form)


@bp.route("/cases/<int:case_id>")
@login_required
def case_detail(case_id: int):
    """The case's data, state, history and the transitions the user may take."""
    case = _case_or_404(case_id)
    case_type = case_type_of(case)
    history = db.session.scalars(
        sa.select(CaseHistory)
        .where(CaseHistory.case_id == case.id)
        .options(joinedload(CaseHistory.actor))
        .order_by(CaseHistory.id)
    ).all()
    return render_template(
        "cases/detail.html",
        case=case,
        case_type=case_type,
        answers=case_answers(case_type, case.data),
        history=history,
        transitions=available_transitions(current_user, case),
    )


@bp.route("/cases/<int:case_id>/transition", methods=["POST"])
@login_required
def transition(case_id: int):
    """Take the transition named in the form (``name``, ``comment``)."""
    case = _case_or_404(case_id)
    try:
        case = apply_transition(
            case,
            request.form.get("name", ""),
            current_user._get_current_object(),
            request.form.get("comment", ""),
        )
    except TransitionRefused as refusal:
        flash(str(refusal), "danger")
    else:
        flash(gettext("The case is now “%(state)s”.", state=state_label(case)), "success")
    return redirect(url_for(".case_detail", case_id=case_id))
