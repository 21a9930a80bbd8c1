"""The mailbox officer's pages, ``/mailbox/``: the list of requests (open first, by status,
a page at a time), a request with the citizen's contact details and its history, the reply
form (the reply becomes Open311's ``status_notes``), closing and reopening.

Only the mailbox officer (``mailbox_officer``) and the administrator (``sysadmin``) may open
them: any other role is answered 403, a visitor is sent to the log-in page. CSRF applies
(the host's ``CSRFProtect``): every change is a POST carrying the page's token.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import BooleanField, TextAreaField, validators

from ..forms import HostForm
from . import store
from .masking import mask_email, mask_name, mask_phone
from .models import ACTIONS, LIMITS, STATUSES, MailboxRequest

bp = Blueprint("mailbox", __name__, url_prefix="/mailbox")

#: Roles that work in the mailbox.
OFFICER_ROLES = frozenset({"mailbox_officer", "sysadmin"})
#: ``?status=`` of the list: every request (open first), or one status.
STATUS_FILTERS = ("all", *STATUSES)


def is_officer(user) -> bool:
    return bool(user and user.is_authenticated and user.role in OFFICER_ROLES)


def nav_link():
    """(label, URL, badge, badge words) of the navigation's link for officers (the mailbox
    officer and the system administrator), else ``None``."""
    if not is_officer(current_user):
        return None
    return (gettext("Mayor's mailbox"), url_for("mailbox.request_list"), None, None)


@bp.before_request
def _officers_only():
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if current_user.role not in OFFICER_ROLES:
        abort(403, description=gettext("Only the mayor's mailbox officers may see the mailbox."))
    return None


def text_lang(row: MailboxRequest) -> str | None:
    """The ``lang`` of what the citizen wrote (WCAG 3.1.2, language of parts): the request's
    language as the sender gave it, ``None`` when unknown."""
    locale = (row.locale or "").replace("_", "-").lower()
    if locale.startswith("zh"):
        return "zh-Hant-TW"
    if locale.startswith("en"):
        return "en"
    return None


@bp.app_context_processor
def _mailbox_helpers() -> dict:
    return {
        "mailbox_text_lang": text_lang,
        "mailbox_statuses": STATUSES,
        "mailbox_actions": ACTIONS,
        "mask_name": mask_name,
        "mask_email": mask_email,
        "mask_phone": mask_phone,
    }


class ReplyForm(HostForm):
    """The officer's reply to the citizen."""

    reply = TextAreaField(
        _l("Reply to the citizen"),
        validators=[validators.DataRequired(), validators.Length(max=LIMITS["status_notes"])],
        description=_l("The citizen and the app see this reply. At most 4,000 characters."),
        render_kw={"rows": 6},
    )
    close = BooleanField(_l("Close the request with this reply"))


def _request_or_404(number: str) -> MailboxRequest:
    row = store.by_number(number) if len(number) <= 64 else None
    if row is None:
        abort(404, description=gettext("There is no mailbox request %(id)s.", id=number[:64]))
    return row


def _positive(name: str, raw: str | None) -> int:
    if raw is None or raw == "":
        return 1
    if raw.isascii() and raw.isdigit() and 0 < len(raw) < 7 and int(raw) > 0:
        return int(raw)
    abort(400, description=gettext("%(field)s: a page number (1, 2, ...).", field=_l("Page")))


@bp.get("/")
def request_list():
    """The requests, open ones first (``?status=all|open|closed``, ``?page=``)."""
    status = request.args.get("status") or "all"
    if status not in STATUS_FILTERS:
        abort(
            400,
            description=gettext(
                "%(field)s: one of %(values)s.",
                field=gettext("Status"),
                # the choices as the status list names them, not the address's values
                values=gettext(", ").join(
                    [gettext("All requests, open first"), *(str(v) for v in STATUSES.values())]
                ),
            ),
        )
    page = store.list_page(
        None if status == "all" else status, _positive("page", request.args.get("page"))
    )

    def page_url(number: int) -> str:
        args = {"status": status} if status != "all" else {}
        if number != 1:
            args["page"] = number
        return url_for("mailbox.request_list", **args)

    return render_template(
        "mailbox/list.html", page=page, status=status, filters=STATUS_FILTERS, page_url=page_url
    )


def _detail(row: MailboxRequest, form: ReplyForm, code: int = 200):
    return render_template("mailbox/detail.html", row=row, form=form), code


@bp.get("/requests/<number>")
def request_detail(number: str):
    row = _request_or_404(number)
    return _detail(row, ReplyForm(formdata=None, reply=row.status_notes or ""))


@bp.post("/requests/<number>/reply")
def reply(number: str):
    row = _request_or_404(number)
    form = ReplyForm()
    if not form.validate():
        return _detail(row, form, 400)
    officer = current_user._get_current_object()
    store.reply(row, officer, form.reply.data.strip(), close=form.close.data)
    flash(gettext("Your reply to request %(id)s was saved.", id=row.service_request_id), "success")
    return redirect(url_for("mailbox.request_detail", number=row.service_request_id))


@bp.post("/requests/<number>/close")
def close(number: str):
    row = _request_or_404(number)
    if row.status != "closed":
        store.close(row, current_user._get_current_object())
    flash(gettext("Request %(id)s is closed.", id=row.service_request_id), "success")
    return redirect(url_for("mailbox.request_detail", number=row.service_request_id))


@bp.post("/requests/<number>/reopen")
def reopen(number: str):
    row = _request_or_404(number)
    if row.status != "open":
        store.reopen(row, current_user._get_current_object())
    flash(gettext("Request %(id)s is open again.", id=row.service_request_id), "success")
    return redirect(url_for("mailbox.request_detail", number=row.service_request_id))
