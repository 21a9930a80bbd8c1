"""The administrator's recorded correction of a case: ``/cases/<id>/correct``.

Case data is read-only in Flask-Admin (:class:`sample_host.admin.CaseView`); a system
administrator corrects a case's agency, owner and answers here, with the case type's own
form of the version the case was filed with (its validation included) and a required
reason. :func:`sample_host.cases.correct_case`
writes one history row ``correct`` with ``{field: [old, new]}`` and the reason, shown on the
case page. Reached from the case page and from the case's details in Flask-Admin.
"""

from __future__ import annotations

import sqlalchemy as sa
import wtforms
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload
from wtforms import SelectField, TextAreaField, validators

from appgov_plugin.forms.builder import AppGovForm

from .cases import (
    COMMENT_MAX_LENGTH,
    CaseRefused,
    agency_label,
    case_type_of,
    correct_case,
    state_label,
    user_label,
)
from .extensions import db
from .models import Agency, Case, User
from .plugins import current_host
from .views import _case_or_404, _changed_labels

bp = Blueprint("corrections", __name__)


class CorrectionForm(AppGovForm):
    """The case's agency and owner and the reason; the answers are the case type's form."""

    agency = SelectField(_l("Agency"), validators=[validators.InputRequired()])
    owner = SelectField(
        _l("Owner"),
        validators=[validators.InputRequired()],
        description=_l("The owner belongs to the case's agency."),
    )
    reason = TextAreaField(
        _l("Reason for the correction"),
        validators=[validators.InputRequired(), validators.Length(max=COMMENT_MAX_LENGTH)],
        description=_l(
            "Required. Recorded in the case's history with what changed, old and new values."
        ),
        render_kw={"rows": 3, "maxlength": COMMENT_MAX_LENGTH},
    )


def _correction_form(case: Case) -> CorrectionForm:
    form = CorrectionForm(
        prefix="correction-",
        data={"agency": str(case.agency_id), "owner": str(case.owner_id)},
        meta={"csrf": False},  # the page's one CSRF token is checked for every POST
    )
    agencies = db.session.scalars(sa.select(Agency).order_by(Agency.city, Agency.code)).all()
    form.agency.choices = [(str(a.id), agency_label(a)) for a in agencies]
    users = db.session.scalars(
        sa.select(User)
        .where(User.agency_id.is_not(None), sa.or_(User.active.is_(True), User.id == case.owner_id))
        .options(joinedload(User.agency))
        .order_by(User.agency_id, User.display_name, User.id)
    ).all()
    form.owner.choices = [
        (str(u.id), f"{user_label(u)} · {u.agency.name}") for u in users if u.agency
    ]
    return form


@bp.route("/cases/<int:case_id>/correct", methods=["GET", "POST"])
@login_required
def correct(case_id: int):
    """The administrator corrects the case's agency, owner and/or answers with a reason.

    A missing or unreadable case is a 404 (as on the case page), anyone but a system
    administrator gets 403. A refused correction shows the page again with the message at
    the field at fault and what was typed; nothing is written.
    """
    case = _case_or_404(case_id)
    if not current_host().is_admin(current_user):
        abort(403)
    case_type = case_type_of(case)
    # the form of the case's own version (form_key, form_version), not the live one
    answers_form = case_type.case_form(case) if case_type else None
    form = _correction_form(case)
    refusal: str | None = None
    if request.method == "POST":
        answers_valid = answers_form.validate() if answers_form is not None else True
        if form.validate() and answers_valid:
            try:
                result = correct_case(
                    case,
                    current_user._get_current_object(),
                    form.reason.data,
                    agency=db.session.get(Agency, int(form.agency.data)),
                    owner=db.session.get(User, int(form.owner.data)),
                    answers=case_type.data_from(answers_form) if case_type else None,
                    decimal_fields={
                        f.name for f in answers_form or () if isinstance(f, wtforms.DecimalField)
                    },
                )
            except CaseRefused as error:
                case = db.session.get(Case, case_id)
                if error.field in ("owner", "reason"):
                    form[error.field].errors = [*form[error.field].errors, str(error)]
                else:
                    refusal = str(error)
            else:
                flash(
                    gettext(
                        "The correction was recorded in the history: %(fields)s.",
                        fields=_changed_labels(answers_form, result.changes),
                    ),
                    "success",
                )
                return redirect(url_for("main.case_detail", case_id=case_id))
    return render_template(
        "cases/correct.html",
        case=case,
        case_type=case_type,
        form=form,
        answers_form=answers_form,
        refusal=refusal,
        state=state_label(case),
    )
