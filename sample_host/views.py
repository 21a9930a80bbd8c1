"""The web pages: home, inbox, case search, opening a case, a case with its history and
transitions, the owner's edit and withdrawal."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
import wtforms
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload
from wtforms import SelectField, StringField, validators

from appgov_plugin.forms.builder import AppGovForm
from appgov_plugin.forms.fields import TaiwanDateField
from appgov_plugin.host.manager import case_deadlines
from appgov_plugin.i18n import format_date, format_datetime

from .answers import _list_separator, answer_fields, case_answers, display_answer
from .cases import (
    COMMENT_MAX_LENGTH,
    SearchFilters,
    TransitionRefused,
    apply_transition,
    available_transitions,
    barred_decisions,
    case_field_change,
    case_type_of,
    create_case,
    edit_case,
    history_label,
    inbox,
    is_draft,
    may_edit,
    may_read,
    may_withdraw,
    reads_answers,
    search_cases,
    state_label,
    type_label,
    withdraw_case,
)
from .extensions import db
from .models import ROLE_LABELS, Agency, Case, CaseHistory
from .plugins import current_host

bp = Blueprint("main", __name__)

#: Cases on one page of the case search.
SEARCH_PAGE_SIZE = 25


@bp.app_context_processor
def _case_helpers() -> dict:
    return {
        "case_type_of": case_type_of,
        "type_label": type_label,
        "state_label": state_label,
        "history_label": history_label,
        "reads_answers": lambda case: reads_answers(current_user, case),
        "role_labels": ROLE_LABELS,
        "host_is_admin": current_host().is_admin,
        # the plug-ins' links the logged-in user gets (NavLink.visible)
        "host_nav_links": lambda: [
            link for link in current_host().contributions.nav_links if link.shown_to(current_user)
        ],
        "deadlines_of": deadlines_of,
        # TIME-5: Taipei time; short in tables, long in running text
        "format_datetime": format_datetime,
        "format_date": format_date,
        "comment_max_length": COMMENT_MAX_LENGTH,
    }


def deadlines_of(cases) -> dict:
    """``{case id: CaseDeadline}`` the plug-ins keep for ``cases`` (one hook call per list)."""
    host = current_host()
    return case_deadlines(current_app, host.pm, [case.id for case in cases])


# -- reading stored answers: sample_host.answers ---------------------------------------------


def change_rows(form, changes: dict | None) -> list[tuple[Any, Any, Any]]:
    """(label, old, new) for an edit's or a correction's recorded changes, readable: a
    correction's agency and owner first, then the answers in the form's order."""
    if not changes:
        return []
    fields = {f.name: f for f in answer_fields(form)}
    order = list(fields)
    names = sorted(changes, key=lambda n: (order.index(n) if n in fields else len(order), n))
    rows, case_fields = [], 0
    for name in names:  # "case.agency" sorts before "case.owner"
        old, new = changes[name]
        case_field = case_field_change(name, old, new)
        if case_field is not None:
            rows.insert(case_fields, case_field)
            case_fields += 1
            continue
        field = fields.get(name)
        label = field.label.text if field else name
        rows.append((label, display_answer(field, old), display_answer(field, new)))
    return rows


def _changed_labels(form, changes: dict) -> str:
    return _list_separator().join(str(label) for label, _old, _new in change_rows(form, changes))


def _case_or_404(case_id: int) -> Case:
    """The case, if the user may read it. An unreadable case answers 404 like a missing one:
    a guessed id does not tell whether the case exists."""
    case = db.session.get(Case, case_id)
    if case is None or not may_read(current_user, case):
        abort(
            404,
            description=gettext("There is no case #%(id)s, or it is not open to you.", id=case_id),
        )
    return case


# -- pages ----------------------------------------------------------------------------------


@bp.route("/")
def home():
    """Welcome page; after login, the case types the user may open."""
    creatable = []
    if current_user.is_authenticated:
        creatable = [
            t
            for t in current_host().case_types
            if t.creator_role == current_user.role and t.is_offered()
        ]
    return render_template("home.html", creatable=creatable)


def _page_number(name: str) -> int:
    """``?<name>=`` as a page number (1 when missing or not a positive number)."""
    raw = request.args.get(name, "")
    if raw.isascii() and raw.isdigit() and 0 < len(raw) < 7 and int(raw) > 0:
        return int(raw)
    return 1


@bp.route("/inbox")
@login_required
def inbox_page():
    """Cases the user can act on now, and the cases the user opened: a page of each
    (``?act_page=``, ``?own_page=``), one query per section."""
    to_act, owned = inbox(current_user, _page_number("act_page"), _page_number("own_page"))

    def page_url(**pages) -> str:
        wanted = {"act_page": to_act.page, "own_page": owned.page, **pages}
        return url_for("main.inbox_page", **{k: v for k, v in wanted.items() if v != 1})

    return render_template("inbox.html", to_act=to_act, owned=owned, page_url=page_url)


@bp.route("/cases/new/<type_key>", methods=["GET", "POST"])
@login_required
def new_case(type_key: str):
    """Render the case type's form; a valid submission opens a case in the initial state."""
    case_types = current_host().case_types
    if type_key not in case_types:
        abort(404)
    case_type = case_types[type_key]
    if not case_type.is_offered():
        abort(404)  # this deployment does not file this form (its rules do not apply)
    if current_user.role != case_type.creator_role or current_user.agency is None:
        abort(403)
    # the live form, read once: the form shown or validated now is the one the case keeps
    live = case_type.current_form()
    form = case_type.new_form(live)
    if request.method == "POST" and form.validate():
        case = create_case(
            case_type, current_user.agency, current_user, case_type.data_from(form), form=live
        )
        db.session.commit()
        flash(gettext("Case #%(id)s opened.", id=case.id), "success")
        return redirect(url_for(".case_detail", case_id=case.id))
    return render_template("cases/new.html", case_type=case_type, form=form)


def _render_case(case: Case, *, comment: str = "", refusal: TransitionRefused | None = None):
    case_type = case_type_of(case)
    answers_shown = reads_answers(current_user, case)
    form = case_type.case_form(case) if case_type and answers_shown else None
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
        answers=case_answers(case_type, case) if answers_shown else None,
        history=[(row, change_rows(form, row.changes) if answers_shown else []) for row in history],
        transitions=available_transitions(current_user, case),
        barred=barred_decisions(current_user, case),
        may_edit=may_edit(current_user, case),
        may_withdraw=may_withdraw(current_user, case),
        is_draft=is_draft(case),
        # the plug-ins' documents of the case (a decision letter as PDF), for answer readers
        documents=case_type.case_documents(case) if case_type and answers_shown else [],
        comment=comment,
        refusal=refusal,
    )


@bp.route("/cases/<int:case_id>")
@login_required
def case_detail(case_id: int):
    """The case's data, state, history and the steps the user may take."""
    return _render_case(_case_or_404(case_id))


@bp.route("/cases/<int:case_id>/transition", methods=["POST"])
@login_required
def transition(case_id: int):
    """Take the transition named in the form (``name``, ``comment``). A refusal is shown on
    the case page with the comment as typed; nothing is written."""
    case = _case_or_404(case_id)
    comment = request.form.get("comment", "")
    try:
        case = apply_transition(
            case,
            request.form.get("name", ""),
            current_user._get_current_object(),
            comment,
            # the state the page showed: a case decided meanwhile is refused as such
            seen_state=request.form.get("state") or None,
        )
    except TransitionRefused as refusal:
        return _render_case(db.session.get(Case, case_id), comment=comment, refusal=refusal)
    flash(gettext("The case is now “%(state)s”.", state=state_label(case)), "success")
    return redirect(url_for(".case_detail", case_id=case_id))


def _owner_step_or_refuse(case: Case, allowed: bool, refused_message: str):
    """403 for a reader who is not the owner; a notice and the case page for the owner when
    the state does not allow the step."""
    if case.owner_id != current_user.id:
        abort(403)
    if not allowed:
        flash(refused_message, "warning")
        return redirect(url_for(".case_detail", case_id=case.id))
    return None


@bp.route("/cases/<int:case_id>/edit", methods=["GET", "POST"])
@login_required
def edit(case_id: int):
    """The owner edits the answers with the case type's form, prefilled, in an editable
    state; every change is recorded in the history with its old and new value."""
    case = _case_or_404(case_id)
    refused = _owner_step_or_refuse(
        case,
        may_edit(current_user, case),
        gettext("The case cannot be edited while it is “%(state)s”.", state=state_label(case)),
    )
    if refused is not None:
        return refused
    case_type = case_type_of(case)
    form = case_type.case_form(case)  # the version the case was filed with, not the live one
    if request.method == "POST" and form.validate():
        try:
            result = edit_case(
                case,
                current_user._get_current_object(),
                case_type.data_from(form),
                decimal_fields={f.name for f in form if isinstance(f, wtforms.DecimalField)},
            )
        except TransitionRefused as refusal:
            flash(str(refusal), "danger")
            return redirect(url_for(".case_detail", case_id=case_id))
        if result.changes:
            flash(
                gettext(
                    "Your changes were saved: %(fields)s.",
                    fields=_changed_labels(form, result.changes),
                ),
                "success",
            )
        else:
            flash(gettext("Nothing was changed, so nothing was recorded."), "info")
        return redirect(url_for(".case_detail", case_id=case_id))
    return render_template("cases/edit.html", case=case, case_type=case_type, form=form)


@bp.route("/cases/<int:case_id>/withdraw", methods=["GET", "POST"])
@login_required
def withdraw(case_id: int):
    """The owner withdraws the case (GET asks for confirmation). History is append-only, so
    a withdrawn case is kept, with its history; it cannot be reopened."""
    case = _case_or_404(case_id)
    refused = _owner_step_or_refuse(
        case,
        may_withdraw(current_user, case),
        gettext("The case cannot be withdrawn while it is “%(state)s”.", state=state_label(case)),
    )
    if refused is not None:
        return refused
    comment = request.form.get("comment", "")
    refusal = None
    if request.method == "POST":
        try:
            case = withdraw_case(case, current_user._get_current_object(), comment)
        except TransitionRefused as error:
            refusal = error
            case = db.session.get(Case, case_id)
        else:
            flash(gettext("The case is now “%(state)s”.", state=state_label(case)), "success")
            return redirect(url_for(".case_detail", case_id=case_id))
    return render_template(
        "cases/withdraw.html", case=case, comment=comment, refusal=refusal, is_draft=is_draft(case)
    )


# -- case search ----------------------------------------------------------------------------


class CaseSearchForm(AppGovForm):
    """The case search's filters, read from the query string (no CSRF: it changes nothing)."""

    q = StringField(
        _l("Text or case number"),
        validators=[validators.Optional(), validators.Length(max=200)],
        description=_l("Searches the answers (e.g. the app name) and the case number."),
    )
    type = SelectField(_l("Case type"), validators=[validators.Optional()])
    state = SelectField(_l("Status"), validators=[validators.Optional()])
    agency = SelectField(_l("Agency"), validators=[validators.Optional()])
    opened_from = TaiwanDateField(_l("Opened from"), validators=[validators.Optional()])
    opened_to = TaiwanDateField(_l("Opened until"), validators=[validators.Optional()])

    def validate_opened_to(self, field):
        if field.data and self.opened_from.data and field.data < self.opened_from.data:
            raise validators.ValidationError(gettext("The end of the period is before its start."))


def _search_form() -> CaseSearchForm:
    form = CaseSearchForm(formdata=request.args, meta={"csrf": False})
    case_types = list(current_host().case_types)
    form.type.choices = [("", gettext("Any case type"))] + [
        (t.key, str(t.label)) for t in case_types
    ]
    states: dict[str, list[str]] = {}
    for case_type in case_types:
        for key, label in case_type.workflow.states.items():
            labels = states.setdefault(key, [])
            if str(label) not in labels:
                labels.append(str(label))
    form.state.choices = [("", gettext("Any status"))] + [
        (key, " / ".join(labels)) for key, labels in states.items()
    ]
    agencies = db.session.scalars(sa.select(Agency).order_by(Agency.city, Agency.code)).all()
    form.agency.choices = [("", gettext("Any agency"))] + [
        (str(agency.id), agency.name) for agency in agencies
    ]
    return form


@bp.route("/cases")
@login_required
def search():
    """Every case the user may read, filtered and paged; tab "acted": cases the user took a
    step on. The reading rule is part of the SQL query; the number of queries does not grow
    with the number of cases."""
    form = _search_form()
    acted_only = request.args.get("tab") == "acted"
    results = None
    if form.validate():
        filters = SearchFilters(
            type_key=form.type.data or None,
            state=form.state.data or None,
            agency_id=int(form.agency.data) if form.agency.data else None,
            opened_from=form.opened_from.data,
            opened_to=form.opened_to.data,
            text=form.q.data or "",
            acted_only=acted_only,
        )
        page = request.args.get("page", "1")
        page = int(page) if page.isascii() and page.isdigit() else 1
        results = search_cases(current_user, filters, page=page, per_page=SEARCH_PAGE_SIZE)

    def page_url(number: int | None = None, **changes) -> str:
        args = request.args.to_dict()
        args.pop("page", None)
        args.update({k: v for k, v in changes.items() if v is not None})
        for key in [k for k, v in changes.items() if v is None]:
            args.pop(key, None)
        if number and number > 1:
            args["page"] = str(number)
        return url_for(".search", **args)

    return render_template(
        "cases/search.html",
        form=form,
        results=results,
        acted_only=acted_only,
        page_url=page_url,
    )
