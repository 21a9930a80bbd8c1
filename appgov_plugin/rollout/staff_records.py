"""Staff records of the roll-out and training capabilities (issue 16): who reads a person's
records, and the log of their exports.

**Who reads a person's records** (the roster and history of roles on an agency's roll-out
page, council and work-group attendance, nominations, leave, results, transcripts, the
learning-hours report, the support escalation rate per person): the person themselves
(their registry record's ``username``: their own transcript), **their agency's
administrators** and the **IT department** of their city; the system administrator
(``is_admin``) keeps the registry and reads all. *The agency's administrators* are the
host's agency roles of that agency (``agency_staff`` and ``agency_head``,
:data:`~appgov_plugin.access.AGENCY_ROLES`): the agency's staff files the rosters,
nominations and leave these records come from (the cases of :mod:`.case_types`, the
training's nominations), so the product has always given them their own agency's records;
the registry's system administrators (TP-ADM-1) administer a *system* for the agency and
often have no login. Other agencies' staff and heads, the mayor's office, reviewers and the
helpdesk read no one's records (403 for a page they have no part of, 404 for a record of
an agency outside their scope, ids guessed or not). A session's lecturer reads its roll
call (their task, TP-TRN-5); the IT department the roll of its own city's trainees. The
checks: :mod:`appgov_plugin.training.access`, :func:`.views.agency_page_scope`,
:func:`.meeting_views.readable_attendance`, :func:`.support_views.rate_scope`,
:func:`appgov_plugin.training.rollcall_views.readable_roll`.

**Exports of person-level records** are each one :class:`~.models_exports.StaffRecordExport`
row (who, role, agency, when, which export, format, filters, rows), committed before the
file is sent: Flask-Admin *Staff record exports* (``appgov_staff_record_exports``,
read-only).
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_login import current_user

from ..db import utcnow
from ..i18n import _l
from ..state import get_state
from .models_exports import StaffRecordExport

#: The exports of person-level records, with their labels.
EXPORTS = {
    "learning_hours": _l("Learning hours report"),
    "transcript": _l("Training transcript (PDF)"),
    "support_people": _l("Support escalation rate per person"),
}


def log_export(export: str, fmt: str, filters: dict[str, Any], row_count: int) -> None:
    """Record one export of person-level records by the logged-in user (committed)."""
    if export not in EXPORTS:
        raise ValueError(f"unknown staff-record export {export!r}; known: {', '.join(EXPORTS)}")
    session = get_state().session
    username = getattr(current_user, "username", "") or ""
    session.add(
        StaffRecordExport(
            exported_at=utcnow(),
            username=username,
            role=getattr(current_user, "role", "") or "",
            agency_code=getattr(current_user, "agency_code", None),
            export=export,
            fmt=fmt,
            filters={k: v for k, v in filters.items() if v not in (None, "", False)},
            row_count=row_count,
        )
    )
    session.commit()
    current_app.logger.info(
        "staff records exported: %s (%s, %s rows) by %s", export, fmt, row_count, username
    )
