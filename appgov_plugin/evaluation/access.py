"""Who reads and records what in the performance evaluation (KH-KPI-1..6, TN-PERF-1..3,
TP-GRADE-0..2), checked on the server for every page, export and action:

* the administrator: everything, and starts the evaluation run (Flask-Admin, the CLI);
* the app authority (``reviewer``: Kaohsiung's Information Center, Tainan's Smart
  Development Center): the apps of its city -- figures, results, and the request for a
  review report (TN-PERF-1/3);
* the IT department (``it_department``): the roll-out scores and grades of its city, which
  it enters and imports (TP-GRADE-0..2), and reads the apps' results;
* the mayor's office (``mayor``): reads everything of its city;
* an agency's staff (``agency_staff``): its own agency's apps -- enters their figures and
  targets (KH-KPI-5/6, TN-PERF-1) -- and reads its results and grades; its head
  (``agency_head``) reads them;
* every other role (helpdesk, mailbox officer): nothing here (403).

A record outside the reader's scope answers 404, as a missing one does (ids guessed or not).
"""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from ..access import AGENCY_ROLES, is_admin, visible_agency_codes

#: Roles that read the evaluation pages (besides the administrator).
READER_ROLES = frozenset({"reviewer", "it_department", "mayor"}) | AGENCY_ROLES
#: The role that enters and imports an app's figures and targets (its own agency's).
FIGURE_ROLES = frozenset({"agency_staff"})
#: The role that enters and imports the roll-out scores (its city's).
SCORE_ROLES = frozenset({"it_department"})
#: The authority: asks a poor performer for a review report (TN-PERF-1/3).
AUTHORITY_ROLES = frozenset({"reviewer"})


def _role() -> str | None:
    return getattr(current_user, "role", None)


def _logged_in() -> bool:
    return bool(current_user and current_user.is_authenticated)


def reads_evaluation(user=None) -> bool:
    """Whether the reader may open the evaluation pages at all (the navigation asks too)."""
    if not _logged_in():
        return False
    return is_admin() or _role() in READER_ROLES


def require_reader() -> set[str] | None:
    """403 for a role that reads nothing here; else the agency codes the reader sees
    (``None``: all)."""
    if not reads_evaluation():
        abort(403)
    return scope()


def scope() -> set[str] | None:
    """The agencies whose apps, figures, results and grades the reader sees (``None``: all):
    the own agency for agency roles, the city's for the city-wide roles (the roll-out
    registry's agencies of the city included)."""
    if is_admin():
        return None
    if _role() in AGENCY_ROLES:
        return visible_agency_codes()
    from ..rollout.views import city_scope

    return city_scope()


def in_scope(agency_code: str | None) -> bool:
    agencies = scope()
    return agencies is None or agency_code in agencies


def require_in_scope(agency_code: str | None) -> None:
    """404 when the record's agency is outside the reader's scope (as a missing one)."""
    if not in_scope(agency_code):
        abort(404)


def records_figures() -> bool:
    """The administrator and agency staff (their own agency's apps) enter figures."""
    return _logged_in() and (is_admin() or _role() in FIGURE_ROLES)


def keeps_scores() -> bool:
    """The administrator and the IT department enter and import roll-out scores."""
    return _logged_in() and (is_admin() or _role() in SCORE_ROLES)


def is_authority() -> bool:
    """The app authority of the reader's city (or the administrator)."""
    return _logged_in() and (is_admin() or _role() in AUTHORITY_ROLES)
