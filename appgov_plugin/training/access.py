"""Who reads and records what in the training records (TP-TRN-1..6, TN-LEARN-1). Staff
records: a person's training is seen by the person, their agency and the IT department only.

* the administrator: everything;
* the IT department (``it_department``): the agencies of its city
  (:func:`appgov_plugin.rollout.views.city_scope`); it keeps the courses, sessions, roll
  calls, results, imports and the fitness reviews (:func:`keeps_courses`);
* an agency's staff and head (:data:`~appgov_plugin.access.AGENCY_ROLES`): their own agency's
  trainees -- nominations, leave, statuses, the agency's learning hours and its people's
  transcripts;
* a person in the registry with a login (``RolloutPerson.username``): their own transcript;
* a session's lecturer (the registry lecturer's person, by ``username``): that session's roll
  call.

A record outside the reader's scope answers 404, as a missing one does (ids guessed or not);
a role that reads no training record at all gets 403.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_login import current_user

from ..access import AGENCY_ROLES, is_admin
from ..state import get_state

#: The roles that keep the courses besides the administrator.
KEEPER_ROLES = frozenset({"it_department"})


def _role() -> str | None:
    return getattr(current_user, "role", None)


def keeps_courses() -> bool:
    """The administrator and the IT department keep courses, sessions, roll calls, results."""
    if not (current_user and current_user.is_authenticated):
        return False
    return is_admin() or _role() in KEEPER_ROLES


def agency_scope() -> set[str] | None:
    """The agency codes whose trainees the reader sees: ``None`` all (the administrator); the
    city's for the IT department; the own agency for agency roles; none for the others."""
    if not (current_user and current_user.is_authenticated):
        return set()
    if is_admin():
        return None
    if _role() in KEEPER_ROLES:
        from ..rollout.views import city_scope

        return city_scope()
    if _role() in AGENCY_ROLES:
        own = getattr(current_user, "agency_code", None)
        return {own} if own else set()
    return set()


def reads_training(user=None) -> bool:
    """Whether the navigation shows the training pages to the logged-in user: the keepers
    and agency roles (a person of the registry in another role reaches their own transcript
    by its address; the course pages are not theirs)."""
    if not (current_user and current_user.is_authenticated):
        return False
    return keeps_courses() or _role() in AGENCY_ROLES


def own_person():
    """The registry person the logged-in user is (by username), else ``None``."""
    if not (current_user and current_user.is_authenticated):
        return None
    from ..rollout.models import RolloutPerson

    username = getattr(current_user, "username", None)
    if not username:
        return None
    return (
        get_state()
        .session.scalars(
            sa.select(RolloutPerson).where(RolloutPerson.username == username).limit(1)
        )
        .first()
    )


def may_read_person(person) -> bool:
    """Whether the reader sees ``person``'s training records (their own, their agency's for
    agency roles, the city's for the IT department, all for the administrator)."""
    if person is None:
        return False
    scope = agency_scope()
    if scope is None or person.agency_code in scope:
        return True
    username = getattr(current_user, "username", None)
    return bool(username) and person.username == username


def may_take_roll_call(session) -> bool:
    """The keepers of the session's agency scope, or the session's own lecturer."""
    if keeps_courses():
        return True
    lecturer = getattr(session, "lecturer", None)
    username = getattr(current_user, "username", None)
    return bool(username) and lecturer is not None and lecturer.person.username == username
