"""The citizens' feedback as agencies, reviewers and administrators read it (TN-EVAL-4,
TN-MAIL-1, TN-PERF-1), with their personal data masked (:mod:`.privacy`).

* ``/appgov/feedback`` -- the feedback of the apps the reader may see (filters: app, the
  mailbox's status, the forwarding state; paged), newest first; ``/appgov/feedback.csv``,
  ``.xlsx`` and ``.ods`` -- the same list as a file, masked alike;
* ``/appgov/feedback/<id>`` -- one item: its text, the masked personal data with a reveal
  form per field, the forwarding state in words, the mailbox's number, status and reply;
* ``POST /appgov/feedback/<id>/reveal/<field>`` -- reveal one field with a reason (CSRF, a
  :class:`~.models.PersonalDataReveal` row); the value is then shown to that reader only;
  where a supervisor approves reveals (:mod:`.reveal_approval`) it records the request
  instead and shows nothing until the approval;
* the app page's "Mayor mailbox" section (``appgov/mailbox/_app_section.html``, through the
  template helper ``mailbox_section(app)``) and the navigation's badge
  (:func:`open_feedback_count`).

Who reads and who reveals: :mod:`.privacy` (agency roles their own agency's apps, city-wide
readers their city's, the administrator all; other roles 403). An item the reader may not
see answers 404, alike for a missing one. Query counts do not grow with the feedback: the
list is one statement (the page's items with their app, forwarding state and the total),
the page one (the item, its app and outbox row) and one for the reader's own reveals, the
app section two (the counts, the latest items).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
import wtforms
from flask import abort, current_app, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms.validators import DataRequired

from ..access import AGENCY_ROLES, agency_name, is_admin, visible_agency_codes
from ..apps.models import App, app_id_of
from ..db import utcnow
from ..exports import Table, export_response
from ..forms.builder import AppGovForm
from ..forms.fields import CharacterLength, tidy_text
from ..i18n import _, _l, current_locale, format_datetime
from ..safe_input import has_control_character
from ..state import get_state
from ..web import blueprint
from . import privacy, reveal_approval
from .models import FEEDBACK_STATUSES, OUTBOX_STATES, Feedback, FeedbackOutbox, PersonalDataReveal

blueprint.add_templates(__file__)

#: Feedback items per page of the list.
PER_PAGE = 30
#: Most rows of one export (the newest first); the file says when more matched.
EXPORT_LIMIT = 10_000
#: Latest items on the app page.
APP_SECTION_ITEMS = 5

#: The forwarding filter: its choices, the outbox states each covers, their labels.
FORWARDING = {
    "waiting": (("pending", "sending"), _l("Waiting to be forwarded")),
    "forwarded": (("sent",), _l("Forwarded")),
    "failed": (("failed",), _l("Failed")),
}


# -- who reads, who reveals -----------------------------------------------------------------


def _role() -> str | None:
    return getattr(current_user, "role", None)


def may_read() -> bool:
    """Whether the logged-in user reads citizens' feedback at all (:mod:`.privacy`)."""
    return is_admin() or _role() in privacy.READER_ROLES


def reads_feedback(user) -> bool:
    """Whether ``user`` reads citizens' feedback: :func:`may_read` for any user (the host's
    navigation shows the feedback link to these only)."""
    if not (user and user.is_authenticated):
        return False
    role = getattr(user, "role", None)
    # the administrator: the host's rule, else APPGOV_ADMIN_ROLES (as access.is_admin)
    host_rule = getattr(current_app.extensions.get("casehost"), "is_admin", None)
    if host_rule(user) if callable(host_rule) else role in current_app.config["APPGOV_ADMIN_ROLES"]:
        return True
    return role in privacy.READER_ROLES


def may_reveal() -> bool:
    """Whether the logged-in user may reveal a field of an item they read (:mod:`.privacy`)."""
    return _role() in privacy.REVEAL_ROLES


def require_reader() -> set[str] | None:
    """The agencies whose apps' feedback the reader sees (``None``: all); 403 for a role
    that reads no feedback."""
    if not may_read():
        abort(
            403,
            description=_(
                "Your role does not read citizens' feedback: it holds their personal data "
                "(Personal Data Protection Act)."
            ),
        )
    return visible_agency_codes()


def _visible(visible: set[str] | None) -> sa.ColumnElement[bool]:
    if visible is None:
        return sa.true()
    return App.agency_code.in_(sorted(visible)) if visible else sa.false()


def _username() -> str:
    return getattr(current_user, "username", "") or ""


# -- the navigation's badge -----------------------------------------------------------------


def open_feedback_count() -> int | None:
    """Open feedback of the apps of the reader's own agency (agency roles only; the
    navigation's badge), once per request."""
    if not (current_user and current_user.is_authenticated) or _role() not in AGENCY_ROLES:
        return None
    own = getattr(current_user, "agency_code", None)
    if not own:
        return None
    if "appgov_open_feedback" not in g:
        g.appgov_open_feedback = get_state().session.scalar(
            sa.select(sa.func.count(Feedback.id))
            .join(App, App.id == Feedback.app_id)
            .where(App.agency_code == own, Feedback.status == "open")
        )
    return g.appgov_open_feedback


# -- the list -------------------------------------------------------------------------------


@dataclass
class Row:
    """One list row, as the page and the export show it (personal data masked)."""

    feedback: Feedback
    app: App
    state: str | None

    @property
    def forwarding(self) -> str:
        return next(
            (key for key, (states, _label) in FORWARDING.items() if self.state in states), ""
        )


@dataclass
class FeedbackPage:
    rows: list[Row]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def first(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1 if self.rows else 0


def app_options(visible: set[str] | None) -> list[tuple[int, str]]:
    """(id, name in the reader's language) of the visible apps linked to the mailbox or with
    feedback: the app filter's choices (one query)."""
    has_feedback = sa.exists().where(Feedback.app_id == App.id)
    apps = get_state().session.execute(
        sa.select(App.id, App.name, App.name_en)
        .where(_visible(visible), sa.or_(App.linked_to_mayor_mailbox, has_feedback))
        .order_by(App.name, App.id)
    )
    english = current_locale() == "en"
    return [(id_, (name_en if english and name_en else name)) for id_, name, name_en in apps]


def list_filters(args, apps: list[tuple[int, str]]) -> tuple[dict, list[str]]:
    """The list's filters from the query string, and a message naming each bad one."""
    chosen: dict[str, Any] = {"app": None, "status": "", "forwarding": "", "page": 1}
    errors = []
    app = (args.get("app") or "").strip()
    if app:
        number = app_id_of(app) if app.isascii() and app.isdigit() else None
        if number is not None and number in {id_ for id_, _name in apps}:
            chosen["app"] = number
        else:
            errors.append(_("App: “%(value)s” is not one of the apps you may see.", value=app))
    status = (args.get("status") or "").strip()
    if status:
        if status in FEEDBACK_STATUSES:
            chosen["status"] = status
        else:
            errors.append(_("Status: “%(value)s” is not open or closed.", value=status))
    forwarding = (args.get("forwarding") or "").strip()
    if forwarding:
        if forwarding in FORWARDING:
            chosen["forwarding"] = forwarding
        else:
            errors.append(
                _(
                    "Forwarding: “%(value)s” is not waiting, forwarded or failed.",
                    value=forwarding,
                )
            )
    page = (args.get("page") or "").strip()
    if page:
        if page.isascii() and page.isdigit() and 0 < len(page) < 7 and int(page) > 0:
            chosen["page"] = int(page)
        else:
            errors.append(_("Page: “%(value)s” is not a page number.", value=page))
    return chosen, errors


def feedback_rows(
    visible: set[str] | None, chosen: dict, per_page: int | None = PER_PAGE
) -> tuple[list[Row], int]:
    """The items matching ``chosen`` that the reader may see, newest first, with the total:
    one statement (the page's ids and the total by a window count, then those items with
    their app and outbox row). ``per_page=None``: the first :data:`EXPORT_LIMIT`."""
    conditions = [_visible(visible)]
    if chosen["app"]:
        conditions.append(Feedback.app_id == chosen["app"])
    if chosen["status"]:
        conditions.append(Feedback.status == chosen["status"])
    if chosen["forwarding"]:
        conditions.append(FeedbackOutbox.state.in_(FORWARDING[chosen["forwarding"]][0]))
    limit = per_page or EXPORT_LIMIT
    offset = (chosen["page"] - 1) * per_page if per_page else 0
    chosen_ids = (
        sa.select(Feedback.id, sa.func.count().over().label("total"))
        .join(App, App.id == Feedback.app_id)
        .outerjoin(FeedbackOutbox, FeedbackOutbox.feedback_id == Feedback.id)
        .where(*conditions)
        .order_by(Feedback.id.desc())
        .limit(limit)
        .offset(offset)
        .subquery("chosen")
    )
    result = (
        get_state()
        .session.execute(
            sa.select(Feedback, App, FeedbackOutbox.state, chosen_ids.c.total)
            .join(chosen_ids, chosen_ids.c.id == Feedback.id)
            .join(App, App.id == Feedback.app_id)
            .outerjoin(FeedbackOutbox, FeedbackOutbox.feedback_id == Feedback.id)
            .order_by(Feedback.id.desc())
        )
        .all()
    )
    total = result[0][3] if result else 0
    return [Row(feedback, app, state) for feedback, app, state, _total in result], total


def _kept(chosen: dict) -> dict:
    return {k: v for k, v in chosen.items() if v and k != "page"}


@blueprint.get("/feedback")
@login_required
def feedback_list():
    visible = require_reader()
    apps = app_options(visible)
    chosen, errors = list_filters(request.args, apps)
    rows, total = ([], 0) if errors else feedback_rows(visible, chosen)
    listing = FeedbackPage(rows, total, chosen["page"], PER_PAGE)
    kept = _kept(chosen)
    locale = current_locale()
    body = render_template(
        "appgov/mailbox/feedback_list.html",
        listing=listing,
        shown=[_list_row(row, locale) for row in rows],
        apps=apps,
        chosen=chosen,
        errors=errors,
        statuses=FEEDBACK_STATUSES,
        forwarding=FORWARDING,
        filtered=bool(kept),
        kept=kept,
        page_url=lambda number: url_for("appgov.feedback_list", **kept, page=number),
        # a supervisor's link to the reveal requests waiting for them (reveal_approval)
        decisions_waiting=reveal_approval.pending_count(),
    )
    return body, 400 if errors else 200


def _state_label(state: str | None) -> str:
    return str(OUTBOX_STATES[state]) if state in OUTBOX_STATES else ""


def _list_row(row: Row, locale: str) -> dict:
    feedback = row.feedback
    return {
        "id": feedback.id,
        "app": row.app.display_name(locale),
        "agency": agency_name(row.app.agency_code),
        "received": format_datetime(feedback.requested_at, locale, style="short"),
        "excerpt": privacy.excerpt(feedback.description),
        "name": privacy.mask_name(feedback.first_name, feedback.last_name),
        "status": feedback.status,
        "status_label": str(FEEDBACK_STATUSES.get(feedback.status, feedback.status)),
        "state": row.state or "",
        "state_label": _state_label(row.state),
        "number": feedback.service_request_id or "",
    }


# -- the export -----------------------------------------------------------------------------


def feedback_table(rows: list[Row], total: int) -> Table:
    """The list as a table (masked personal data; times in Taipei, appgov_plugin.exports)."""
    locale = current_locale()
    headers = [
        _("Feedback"),
        _("App"),
        _("Service code"),
        _("Agency"),
        _("Received (Taipei)"),
        _("Forwarding"),
        _("Mailbox number"),
        _("Mailbox status"),
        _("Reply"),
        _("Updated (Taipei)"),
        _("Name (masked)"),
        _("E-mail (masked)"),
        _("Phone (masked)"),
        _("Text (contacts masked)"),
    ]
    out = []
    for row in rows:
        feedback = row.feedback
        out.append(
            [
                feedback.id,
                row.app.display_name(locale),
                feedback.service_code,
                agency_name(row.app.agency_code),
                feedback.requested_at,
                _state_label(row.state),
                feedback.service_request_id or "",
                str(FEEDBACK_STATUSES.get(feedback.status, feedback.status)),
                privacy.mask_text(feedback.status_notes),
                feedback.updated_at,
                privacy.mask_name(feedback.first_name, feedback.last_name),
                privacy.mask_email(feedback.email),
                privacy.mask_phone(feedback.phone),
                privacy.mask_text(feedback.description),
            ]
        )
    if total > len(rows):
        note = _(
            "%(shown)s of %(total)s items: filter the list for the others.",
            shown=len(rows),
            total=total,
        )
        out.append([None, note] + [None] * (len(headers) - 2))
    return Table(headers, out, title=_("Citizens' feedback"))


@blueprint.get("/feedback.<any(csv, xlsx, ods):fmt>")
@login_required
def feedback_export(fmt: str):
    """The filtered list as CSV, XLSX or ODS, personal data masked."""
    visible = require_reader()
    chosen, errors = list_filters(request.args, app_options(visible))
    if errors:
        abort(400, description=" ".join(errors))
    rows, total = feedback_rows(visible, chosen, per_page=None)
    return export_response(feedback_table(rows, total), fmt, "feedback")


# -- one item -------------------------------------------------------------------------------


class RevealForm(AppGovForm):
    """Revealing one field of one item: why (mandatory)."""

    reason = wtforms.TextAreaField(
        _l("Reason for revealing"),
        filters=[tidy_text],
        validators=[
            DataRequired(message=_l("Reason for revealing: write why you need this data.")),
            CharacterLength(privacy.REASON_MIN, privacy.REASON_MAX),
        ],
    )

    def validate_reason(self, field):
        if field.data and has_control_character(field.data):
            raise wtforms.ValidationError(
                _("Reason for revealing: remove the control characters from the text.")
            )


def visible_feedback(feedback_id: int, visible: set[str] | None) -> tuple[Feedback, App, Any]:
    """(item, its app, its outbox row) when the reader may see it, else 404 (alike for a
    missing item): one query."""
    number = app_id_of(feedback_id)  # bounded like an app id: a 60-digit id is no item
    found = None
    if number is not None:
        found = (
            get_state()
            .session.execute(
                sa.select(Feedback, App, FeedbackOutbox)
                .join(App, App.id == Feedback.app_id)
                .outerjoin(FeedbackOutbox, FeedbackOutbox.feedback_id == Feedback.id)
                .where(Feedback.id == number)
            )
            .first()
        )
    if found is None or (visible is not None and found[1].agency_code not in visible):
        abort(404)
    return found[0], found[1], found[2]


def revealed_fields(feedback: Feedback) -> set[str]:
    """The fields the reader revealed in the last :data:`~.privacy.REVEAL_MINUTES`."""
    if not may_reveal():
        return set()
    since = privacy.reveal_window_start(utcnow())
    return set(
        get_state().session.scalars(
            sa.select(PersonalDataReveal.field).where(
                PersonalDataReveal.feedback_id == feedback.id,
                PersonalDataReveal.username == _username(),
                PersonalDataReveal.revealed_at >= since,
            )
        )
    )


@dataclass
class PersonalField:
    key: str
    label: Any
    masked: str
    value: str | None  # the revealed value, for this reader only
    form: RevealForm | None
    message: str | None = None
    #: this reader's latest request where a supervisor approves reveals (pending, refused)
    asked: Any = None


def personal_fields(
    feedback: Feedback, refused: tuple[str, RevealForm, str | None] | None = None
) -> list[PersonalField]:
    """The item's personal fields the citizen gave: masked, revealed (this reader's
    reveals) or with a reveal form; the text (``description``, its contact details masked)
    comes last."""
    revealing = may_reveal()
    shown = revealed_fields(feedback)
    # requests count only while approval is on: off, a field is revealed at once
    approving = revealing and reveal_approval.needs_approval()
    asked = reveal_approval.latest_requests(feedback) if approving else {}
    out = []
    for key, label in privacy.REVEALABLE.items():
        value = privacy.value_of(feedback, key)
        if not value:
            continue
        masked = privacy.masked_value(feedback, key)
        hidden = masked != value
        form = None
        message = None
        request_row = asked.get(key) if hidden and key not in shown else None
        if request_row is not None and request_row.state == "approved":
            request_row = None  # its reveal's minutes are over: ask again
        waiting = request_row is not None and request_row.state == "pending"
        if revealing and hidden and key not in shown and not waiting:
            if refused and refused[0] == key:
                form, message = refused[1], refused[2]
            else:
                form = RevealForm(formdata=None)
        out.append(
            PersonalField(
                key,
                label,
                masked,
                value if (key in shown or not hidden) else None,
                form,
                message,
                request_row,
            )
        )
    return out


def forwarding_text(feedback: Feedback, outbox: FeedbackOutbox | None, locale: str) -> str:
    """Where the item's delivery to the mailbox stands, in words."""
    if outbox is None:
        return _("Not queued for forwarding.")
    if outbox.state == "sent" or feedback.service_request_id:
        when = feedback.forwarded_at or outbox.sent_at
        if when is None:
            return _("Forwarded to the mayor mailbox.")
        return _("Forwarded to the mayor mailbox on %(when)s.", when=format_datetime(when, locale))
    if outbox.state == "failed":
        return _(
            "Not forwarded: %(attempts)s attempts failed; an administrator retries it.",
            attempts=outbox.attempts,
        )
    if outbox.state == "sending":
        return _("Being forwarded to the mayor mailbox now.")
    if outbox.attempts:
        return _(
            "Waiting to be forwarded: %(attempts)s attempts failed so far; next attempt %(when)s.",
            attempts=outbox.attempts,
            when=format_datetime(outbox.next_attempt_at, locale),
        )
    return _("Waiting to be forwarded to the mayor mailbox.")


def _render_item(feedback_id: int, refused=None):
    visible = require_reader()
    feedback, app, outbox = visible_feedback(feedback_id, visible)
    locale = current_locale()
    fields = personal_fields(feedback, refused)
    errors = [(f"reveal-{f.key}", f.form.reason.errors) for f in fields if f.form and f.form.errors]
    # the text as its own section; an empty description (not given) is a masked empty text
    text = next((f for f in fields if f.key == "description"), None)
    fields = [f for f in fields if f.key != "description"]
    return render_template(
        "appgov/mailbox/feedback.html",
        feedback=feedback,
        app=app,
        app_name=app.display_name(locale),
        outbox=outbox,
        fields=fields,
        text=text,
        errors=errors,
        refused_message=refused[2] if refused else None,
        forwarding_text=forwarding_text(feedback, outbox, locale),
        state=outbox.state if outbox else "",
        state_label=_state_label(outbox.state if outbox else None),
        status_label=FEEDBACK_STATUSES.get(feedback.status, feedback.status),
        show_error=is_admin(),
        reveal_minutes=privacy.REVEAL_MINUTES,
        reason_min=privacy.REASON_MIN,
        received=format_datetime(feedback.requested_at, locale),
        synced=format_datetime(feedback.synced_at, locale),
        may_reveal=may_reveal(),
        needs_approval=reveal_approval.needs_approval() if may_reveal() else False,
        asked_at=lambda asked: format_datetime(asked.requested_at, locale),
        decided_at=lambda asked: format_datetime(asked.decided_at, locale),
    )


@blueprint.get("/feedback/<int:feedback_id>")
@login_required
def feedback_detail(feedback_id: int):
    response = current_app.make_response(_render_item(feedback_id))
    # the page may carry a revealed value: never kept by a shared cache or the browser
    response.headers["Cache-Control"] = "private, no-store"
    return response


@blueprint.post("/feedback/<int:feedback_id>/reveal/<field>")
@login_required
def feedback_reveal(feedback_id: int, field: str):
    """Reveal one field (rule: 個人資料保護法, a logged action with a reason). Refusals write
    nothing: a role that reads no feedback or may not reveal 403, an item the reader may not
    see 404, an unknown field 404, a field the citizen did not give 409, a missing or bad
    reason 400 with the message naming the field."""
    visible = require_reader()
    feedback, _app, _outbox = visible_feedback(feedback_id, visible)
    if not may_reveal():
        abort(403, description=_("Your role reads this feedback's personal data masked only."))
    if field not in privacy.REVEALABLE:
        abort(404)
    form = RevealForm()
    label = privacy.REVEALABLE[field]
    value = privacy.value_of(feedback, field)
    if not value or privacy.masked_value(feedback, field) == value:
        message = _("%(field)s: this feedback has nothing masked to reveal.", field=label)
        return _refuse(feedback_id, field, form, message, 409)
    if not form.validate_on_submit():
        if form.errors.get("csrf_token"):
            return _refuse(
                feedback_id,
                field,
                form,
                _("The form has expired. Write the reason again and send it."),
                400,
            )
        return _refuse(feedback_id, field, form, None, 400)
    session = get_state().session
    if reveal_approval.needs_approval():
        # 個人資料保護法 §18: a supervisor approves the reveal first; nothing is shown yet
        asked = reveal_approval.ask(feedback, field, form.reason.data)
        session.commit()
        current_app.logger.info(
            "personal data reveal requested: feedback %s field %s by %s (request %s)",
            feedback.id,
            field,
            _username(),
            asked.id,
        )
        return redirect(url_for("appgov.feedback_detail", feedback_id=feedback.id) + f"#{field}")
    session.add(
        PersonalDataReveal(
            feedback_id=feedback.id,
            field=field,
            username=_username(),
            reason=form.reason.data,
            revealed_at=utcnow(),
        )
    )
    session.commit()
    current_app.logger.info(
        "personal data revealed: feedback %s field %s by %s", feedback.id, field, _username()
    )
    return redirect(url_for("appgov.feedback_detail", feedback_id=feedback.id) + f"#{field}")


def _refuse(feedback_id: int, field: str, form: RevealForm, message: str | None, status: int):
    get_state().session.rollback()
    response = current_app.make_response(
        (_render_item(feedback_id, refused=(field, form, message)), status)
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


# -- the app page's section -----------------------------------------------------------------


@dataclass
class AppSection:
    """What the app page shows of the app's mailbox link."""

    linked: bool
    code: str | None
    counts: dict[str, int]
    latest: list[dict]
    readable: bool
    list_url: str | None


def mailbox_section(app: App) -> AppSection:
    """The app page's "Mayor mailbox" section (two queries: the counts, the latest items;
    none of them for a role that reads no feedback)."""
    readable = may_read()
    counts = {"open": 0, "closed": 0, "waiting": 0, "failed": 0}
    latest: list[dict] = []
    if readable:
        session = get_state().session
        waiting = FeedbackOutbox.state.in_(FORWARDING["waiting"][0])
        failed = FeedbackOutbox.state.in_(FORWARDING["failed"][0])
        figures = session.execute(
            sa.select(
                sa.func.count(Feedback.id).filter(Feedback.status == "open"),
                sa.func.count(Feedback.id).filter(Feedback.status == "closed"),
                sa.func.count(Feedback.id).filter(waiting),
                sa.func.count(Feedback.id).filter(failed),
            )
            .outerjoin(FeedbackOutbox, FeedbackOutbox.feedback_id == Feedback.id)
            .where(Feedback.app_id == app.id)
        ).one()
        counts = dict(zip(counts, (int(n or 0) for n in figures), strict=True))
        locale = current_locale()
        rows = session.execute(
            sa.select(Feedback, FeedbackOutbox.state)
            .outerjoin(FeedbackOutbox, FeedbackOutbox.feedback_id == Feedback.id)
            .where(Feedback.app_id == app.id)
            .order_by(Feedback.id.desc())
            .limit(APP_SECTION_ITEMS)
        ).all()
        latest = [
            {
                "id": feedback.id,
                "received": format_datetime(feedback.requested_at, locale, style="short"),
                "excerpt": privacy.excerpt(feedback.description, 60),
                "number": feedback.service_request_id or "",
                "status": feedback.status,
                "status_label": FEEDBACK_STATUSES.get(feedback.status, feedback.status),
                "state": state or "",
                "state_label": _state_label(state),
                "reply": privacy.excerpt(feedback.status_notes, 120),
            }
            for feedback, state in rows
        ]
    return AppSection(
        linked=bool(app.linked_to_mayor_mailbox),
        code=app.code,
        counts=counts,
        latest=latest,
        readable=readable,
        list_url=url_for("appgov.feedback_list", app=app.id) if readable else None,
    )


@blueprint.context_processor
def _mailbox_helpers():
    # the language of a citizen's text, for its lang attribute (WCAG 3.1.2)
    return {"mailbox_section": mailbox_section, "data_lang": privacy.lang_of}
