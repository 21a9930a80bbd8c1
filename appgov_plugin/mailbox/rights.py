"""The citizen's rights over their feedback (個人資料保護法 §3, §10, §11): one page,
``/appgov/feedback/personal-data``, for the mayor mailbox's officers.

Who: the **mailbox officer** (:data:`~.privacy.RIGHTS_ROLES`), for the apps of their own
city. Citizens ask the mayor mailbox to inspect, copy or erase their data; the officer, who
answers them there, knows them. The administrator reads feedback masked only
(:mod:`.privacy`) and reads the log of these requests in Flask-Admin; every other role 403.

* **Find** (POST: the contact never goes into a URL or a server log): every item whose
  contact fields or text name one e-mail address or phone number (:func:`.personal_data.
  find_feedback`), listed masked;
* **Export** the found items for the citizen, unmasked (their own data), as CSV, XLSX or ODS
  (:mod:`appgov_plugin.exports`);
* **Erase** their contact data (:func:`.personal_data.remove_contact_data`), with a reason
  and a confirmation.

Each is one :class:`~.models.PersonalDataAction` row (who, when, the contact masked, the
items, why), in the same transaction as what it records. A refused form writes nothing and
names the field to correct.
"""

from __future__ import annotations

import contextlib

import wtforms
from flask import abort, current_app, render_template
from flask_login import current_user, login_required
from wtforms.validators import DataRequired

from ..access import agency_name, visible_agency_codes
from ..exports import FORMATS, Table, export_response
from ..forms.builder import AppGovForm
from ..forms.fields import CharacterLength, tidy_text
from ..i18n import _, _l, current_locale, format_datetime
from ..safe_input import has_control_character
from ..state import get_state
from ..web import blueprint
from . import personal_data, privacy
from .models import FEEDBACK_STATUSES

#: The page's title (navigation and ``<h1>``).
TITLE = _l("Citizens' personal data requests")


def handles_rights(user) -> bool:
    """Whether ``user`` handles citizens' personal-data requests (the navigation's link)."""
    return bool(user and user.is_authenticated) and (
        getattr(user, "role", None) in privacy.RIGHTS_ROLES
    )


def require_officer() -> set[str] | None:
    """The agencies whose apps' feedback the officer searches; 403 for any other role."""
    if not handles_rights(current_user):
        abort(
            403,
            description=_(
                "Citizens' personal data requests are handled by the mayor mailbox's officers."
            ),
        )
    return visible_agency_codes()


def _no_control(form, field):
    if field.data and has_control_character(field.data):
        raise wtforms.ValidationError(_("remove the control characters from the text."))


def _contact_check(form, field):
    try:
        personal_data.parse_contact(field.data)
    except ValueError as error:
        raise wtforms.ValidationError(str(error)) from None


def _request_field(label, message):
    return wtforms.TextAreaField(
        label,
        filters=[tidy_text],
        validators=[
            DataRequired(message=message),
            CharacterLength(privacy.REASON_MIN, privacy.REASON_MAX),
            _no_control,
        ],
    )


_REQUEST_MESSAGE = _l(
    "The citizen's request: write how and when the citizen asked (e.g. a letter of "
    "115/12/01, reference 1150001234)."
)


class SearchForm(AppGovForm):
    contact = wtforms.StringField(
        _l("E-mail or phone"), filters=[tidy_text], validators=[_contact_check]
    )
    reason = _request_field(_l("The citizen's request"), _REQUEST_MESSAGE)


class ExportForm(SearchForm):
    fmt = wtforms.SelectField(
        _l("File format"),
        choices=[(ext, label) for ext, label in FORMATS],
        validate_choice=True,
    )


class EraseForm(AppGovForm):
    contact = wtforms.HiddenField(filters=[tidy_text], validators=[_contact_check])
    reason = _request_field(
        _l("Reason for erasing"),
        _l(
            "Reason for erasing: write why the contact data is erased (e.g. the citizen's "
            "request of 115/12/01)."
        ),
    )
    confirm = wtforms.BooleanField(
        _l("I confirm: the contact data of these items is erased for good."),
        validators=[
            DataRequired(
                message=_l("Confirmation: tick the box to confirm; an erasure cannot be undone.")
            )
        ],
    )


def _errors(form) -> list[tuple[str, str]]:
    """(field id, "Label: message") of each refused field (the CSRF token as expired)."""
    out = []
    for name, messages in form.errors.items():
        if name == "csrf_token":
            out.append(("", _("The form has expired. Send it again.")))
            continue
        label = str(form[name].label.text) if form[name].label else ""
        for message in messages:
            named = message if message.startswith(label) else f"{label}: {message}"
            out.append((form[name].id, named))
    return out


def _rows(found) -> list[dict]:
    locale = current_locale()
    return [
        {
            "id": feedback.id,
            "app": app.display_name(locale),
            "agency": agency_name(app.agency_code),
            "received": format_datetime(feedback.requested_at, locale, style="short"),
            "status": str(FEEDBACK_STATUSES.get(feedback.status, feedback.status)),
            "name": privacy.mask_name(feedback.first_name, feedback.last_name),
            "email": privacy.mask_email(feedback.email),
            "phone": privacy.mask_phone(feedback.phone),
            "removed": format_datetime(feedback.contact_removed_at, locale, style="short"),
            "open": feedback.status == "open" or not feedback.service_request_id,
        }
        for feedback, app in found
    ]


def _page(status=200, **context):
    context.setdefault("search", SearchForm(formdata=None))
    context.setdefault("errors", [])
    body = render_template(
        "appgov/mailbox/personal_data.html",
        title=TITLE,
        formats=FORMATS,
        reason_min=privacy.REASON_MIN,
        **context,
    )
    response = current_app.make_response((body, status))
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _username() -> str:
    return getattr(current_user, "username", "") or ""


def _found_and_logged(form, visible, action: str, **details):
    """(the contact, the items naming it) of a valid search or export form, the action
    logged and committed (who, the contact masked, why, the items)."""
    contact = personal_data.parse_contact(form.contact.data)
    found = personal_data.find_feedback(contact, visible)
    session = get_state().session
    personal_data.log_action(
        session,
        action,
        _username(),
        subject=contact.masked,
        reason=form.reason.data,
        ids=[feedback.id for feedback, _app in found],
        **details,
    )
    session.commit()
    return contact, found


@blueprint.get("/feedback/personal-data")
@login_required
def personal_data_requests():
    require_officer()
    return _page()


@blueprint.post("/feedback/personal-data")
@login_required
def personal_data_search():
    visible = require_officer()
    form = SearchForm()
    if not form.validate_on_submit():
        return _page(400, search=form, errors=_errors(form))
    contact, found = _found_and_logged(form, visible, "search")
    erase = EraseForm(formdata=None, contact=form.contact.data)
    return _page(search=form, found=_rows(found), searched=contact, erase=erase)


@blueprint.post("/feedback/personal-data/export")
@login_required
def personal_data_export():
    """The found items unmasked, for the citizen (their own data), logged."""
    visible = require_officer()
    form = ExportForm()
    if not form.validate_on_submit():
        return _page(400, search=form, errors=_errors(form))
    _contact, found = _found_and_logged(form, visible, "export", format=form.fmt.data)
    response = export_response(citizen_table(found), form.fmt.data, "personal-data")
    response.headers["Cache-Control"] = "private, no-store"
    return response


@blueprint.post("/feedback/personal-data/erase")
@login_required
def personal_data_erase():
    visible = require_officer()
    form = EraseForm()
    search = SearchForm(formdata=None, contact=form.contact.data)
    if not form.validate_on_submit():
        found = []
        with contextlib.suppress(ValueError):  # a contact tampered with: nothing listed
            found = personal_data.find_feedback(
                personal_data.parse_contact(form.contact.data), visible
            )
        return _page(400, search=search, found=_rows(found), erase=form, errors=_errors(form))
    contact = personal_data.parse_contact(form.contact.data)
    found = personal_data.find_feedback(contact, visible)
    session = get_state().session
    try:
        changed = personal_data.remove_contact_data(session, [f.id for f, _app in found])
        personal_data.log_action(
            session,
            "erase",
            _username(),
            subject=contact.masked,
            reason=form.reason.data,
            ids=changed,
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    current_app.logger.info("personal data erased: %s items by %s", len(changed), _username())
    return _page(search=search, erased=len(changed), searched=contact)


def citizen_table(found) -> Table:
    """The citizen's own feedback, unmasked (times in Taipei)."""
    locale = current_locale()
    headers = [
        _("Feedback"),
        _("App"),
        _("Agency"),
        _("Received (Taipei)"),
        _("Mailbox number"),
        _("Mailbox status"),
        _("Reply"),
        _("Updated (Taipei)"),
        _("Family name"),
        _("Given name"),
        _("E-mail"),
        _("Phone"),
        _("Address"),
        _("Location"),
        _("Device"),
        _("Attached media address"),
        _("Text"),
        _("Contact data removed (Taipei)"),
    ]
    rows = [
        [
            feedback.id,
            app.display_name(locale),
            agency_name(app.agency_code),
            feedback.requested_at,
            feedback.service_request_id or "",
            str(FEEDBACK_STATUSES.get(feedback.status, feedback.status)),
            feedback.status_notes or "",
            feedback.updated_at,
            feedback.last_name or "",
            feedback.first_name or "",
            feedback.email or "",
            feedback.phone or "",
            feedback.address_string or "",
            privacy.location_text(feedback.lat, feedback.long),
            feedback.device_id or "",
            feedback.media_url or "",
            feedback.description,
            feedback.contact_removed_at,
        ]
        for feedback, app in found
    ]
    return Table(headers, rows, title=_("Your feedback"))
