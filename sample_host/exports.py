"""A case's history as a file: ``/cases/<id>/history.csv``, ``.xlsx`` and ``.ods``.

The audit trail of the case page (every transition, decision, comment, edit, correction and
attachment, with who, when and why) for the reader to take away: readable exactly by those
who may read the case (404 otherwise, like the page); a status-only reader (the helpdesk)
gets the steps without their comments, changes and files, as on the page. Labels are in the
request's language, times in Taipei (TIME-5). The files are written by
:mod:`appgov_plugin.exports` (CSV formula-injection safe, XLSX without formulas, ODS).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from flask import Blueprint
from flask_babel import gettext
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload

from appgov_plugin.exports import Table, export_response

from .answers import is_file_reference
from .cases import case_type_of, history_label, reads_answers, state_label
from .extensions import db
from .models import ROLE_LABELS, Case, CaseHistory
from .views import _case_or_404, change_rows

bp = Blueprint("exports", __name__)

#: The formats of :func:`case_history` (the national ODF rule: ODS beside CSV and XLSX).
FORMATS = "any(csv, xlsx, ods)"


def files_in(value: Any) -> Iterator[Mapping]:
    """Every uploaded file's reference in an answer (a file field, or a row group's files)."""
    if is_file_reference(value):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from files_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from files_in(item)


def _file_name(reference: Mapping) -> str:
    return str(reference.get("name") or reference["sha256"][:12])


def added_files(changes: Mapping[str, Sequence] | None) -> list[str]:
    """The names of the files an edit or a correction added or replaced: in an answer's
    new value, not in its old one (the same content under another name counts)."""
    names: list[str] = []
    for name, (old, new) in (changes or {}).items():
        if name.startswith("case."):  # a correction's agency or owner
            continue
        before = {(ref["sha256"], _file_name(ref)) for ref in files_in(old)}
        names += [
            _file_name(ref)
            for ref in files_in(new)
            if (ref["sha256"], _file_name(ref)) not in before
        ]
    return names


def opening_answers(case: Case, rows: Sequence[CaseHistory]) -> dict:
    """The answers the case was opened with: today's answers with every later edit and
    correction undone (each recorded its old value)."""
    data = dict(case.data or {})
    for row in reversed(rows):
        for name, (old, _new) in (row.changes or {}).items():
            if not name.startswith("case."):
                data[name] = old
    return data


def history_table(case: Case) -> Table:
    """The case's history as a table in the request's language: the case page's history
    with the actor's username and role, the changes and the files each step added."""
    rows = db.session.scalars(
        sa.select(CaseHistory)
        .where(CaseHistory.case_id == case.id)
        .options(joinedload(CaseHistory.actor))
        .order_by(CaseHistory.id)
    ).all()
    answers_shown = reads_answers(current_user, case)
    case_type = case_type_of(case)
    form = case_type.case_form(case) if case_type and answers_shown else None
    opened_with = opening_answers(case, rows) if answers_shown else {}
    body = []
    for row in rows:
        comment = changes = files = ""
        if answers_shown:
            comment = row.comment or ""
            changes = "\n".join(  # as on the case page
                gettext("%(field)s: %(old)s → %(new)s", field=label, old=old, new=new)
                for label, old, new in change_rows(form, row.changes)
            )
            names = (
                [_file_name(ref) for ref in files_in(opened_with)]
                if row.from_state is None
                else added_files(row.changes)
            )
            files = "\n".join(names)
        actor = row.actor
        body.append(
            [
                row.at,  # Taipei time (appgov_plugin.exports)
                actor.display_name,
                actor.username,
                # the history keeps no role: the actor's role today
                str(ROLE_LABELS.get(actor.role, actor.role)),
                str(history_label(case, row)),
                str(state_label(case, row.from_state)) if row.from_state else "",
                str(state_label(case, row.to_state)),
                comment,
                changes,
                files,
            ]
        )
    headers = [
        gettext("Time (Taipei)"),
        gettext("Who"),
        gettext("Username"),
        gettext("Role"),
        gettext("Step"),
        gettext("From"),
        gettext("To"),
        gettext("Comment"),
        gettext("Changes"),
        gettext("Attachments"),
    ]
    return Table(headers, body, title=gettext("History of case #%(id)s", id=case.id))


@bp.route(f"/cases/<int:case_id>/history.<{FORMATS}:fmt>")
@login_required
def case_history(case_id: int, fmt: str):
    """The case's history as CSV, XLSX or ODS, for the case's readers only (404 else)."""
    case = _case_or_404(case_id)
    return export_response(history_table(case), fmt, f"case-{case.id}-history")
