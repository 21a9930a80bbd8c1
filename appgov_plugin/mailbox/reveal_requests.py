"""The supervisors' page of reveal requests (:mod:`.reveal_approval`; 個人資料保護法 §18).

* ``/appgov/feedback/reveal-requests`` -- the pending requests the logged-in supervisor may
  decide (never their own), oldest first: who asked, which field of which item, when, why;
* ``POST /appgov/feedback/reveal-requests/<id>`` -- approve or refuse one (CSRF; the button
  pressed is ``decision``; a refusal may say why, shown to the requester). The decision is
  written on the request (who, when); an approval writes the reveal.

A role that decides nothing 403; a request the user may not decide 404 (alike for a missing
one), their own 403, one decided already 409; a bad note 400 naming the field. Nothing is
written by a refused form.
"""

from __future__ import annotations

import wtforms
from flask import abort, current_app, redirect, render_template, url_for
from flask_login import current_user, login_required

from ..access import agency_name
from ..forms.builder import AppGovForm
from ..forms.fields import CharacterLength, tidy_text
from ..i18n import _, _l, current_locale, format_datetime
from ..safe_input import has_control_character
from ..state import get_state
from ..web import blueprint
from . import privacy, reveal_approval

#: The page's title (its ``<h1>``, the feedback list's link).
TITLE = _l("Requests to reveal personal data")
#: The decisions, as the buttons send them.
DECISIONS = ("approve", "refuse")


class DecisionForm(AppGovForm):
    """Approving or refusing one request: an optional note (why refused)."""

    decision = wtforms.HiddenField()
    note = wtforms.TextAreaField(
        _l("Note to the requester (optional)"),
        filters=[tidy_text],
        validators=[wtforms.validators.Optional(), CharacterLength(0, privacy.REASON_MAX)],
    )

    def validate_note(self, field):
        if field.data and has_control_character(field.data):
            raise wtforms.ValidationError(
                _("Note to the requester: remove the control characters from the text.")
            )


def _require_decider() -> None:
    if not reveal_approval.is_decider():
        abort(
            403,
            description=_(
                "Requests to reveal personal data are decided by the requester's supervisor: "
                "the agency's head, or the app authority's reviewers."
            ),
        )


def _rows(refused_id: int | None = None, refused_form: DecisionForm | None = None) -> list[dict]:
    locale = current_locale()
    rows = []
    for asked, feedback, app in reveal_approval.pending_for_decider():
        form = refused_form if asked.id == refused_id else DecisionForm(formdata=None)
        rows.append(
            {
                "id": asked.id,
                "requested": format_datetime(asked.requested_at, locale),
                "username": asked.username,
                "feedback_id": feedback.id,
                "app": app.display_name(locale),
                "agency": agency_name(app.agency_code),
                "field": privacy.REVEALABLE.get(asked.field, asked.field),
                "masked": privacy.masked_value(feedback, asked.field),
                "reason": asked.reason,
                "form": form,
            }
        )
    return rows


def _page(status: int = 200, refused_id=None, refused_form=None, message=None):
    errors = [(None, message)] if message else []
    if refused_form is not None:
        anchor = f"request-{refused_id}-note"
        errors += [(anchor, error) for error in refused_form.note.errors]
    response = current_app.make_response(
        (
            render_template(
                "appgov/mailbox/reveal_requests.html",
                title=TITLE,
                rows=_rows(refused_id, refused_form),
                errors=errors,
                needs_approval=reveal_approval.needs_approval(),
                reveal_minutes=privacy.REVEAL_MINUTES,
            ),
            status,
        )
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@blueprint.get("/feedback/reveal-requests")
@login_required
def reveal_requests():
    _require_decider()
    return _page()


@blueprint.post("/feedback/reveal-requests/<int:request_id>")
@login_required
def reveal_request_decide(request_id: int):
    _require_decider()
    asked, own = reveal_approval.request_to_decide(request_id)
    if asked is None:
        abort(404)
    if own:
        abort(403, description=_("You cannot decide your own request to reveal personal data."))
    form = DecisionForm()
    decision = form.decision.data
    if asked.state != "pending":
        return _page(409, message=_("This request has been decided already."))
    if decision not in DECISIONS:
        message = _("Decision: press “Approve” or “Refuse”.")
        return _page(400, request_id, form, message)
    if not form.validate_on_submit():
        if form.errors.get("csrf_token"):
            message = _("The form has expired. Decide the request again.")
            return _page(400, request_id, form, message)
        return _page(400, request_id, form)
    if not reveal_approval.decide(asked, decision == "approve", form.note.data):
        get_state().session.rollback()
        return _page(409, message=_("This request has been decided already."))
    get_state().session.commit()
    current_app.logger.info(
        "personal data reveal request %s %s by %s",
        request_id,
        "approved" if decision == "approve" else "refused",
        getattr(current_user, "username", ""),
    )
    return redirect(url_for("appgov.reveal_requests"))
