"""Demonstration records of the app registry: one listed app per agency that has staff, and
a development proposal in review, filed with the profile's own form.

Who acts next on the proposal depends on the rule in force (apps/case_types.py): under
TN-EVAL-1 (Tainan) the Smart Development Center (demo user ``reviewer``) countersigns it with
its opinion, then the city government (``mayor``) approves it; under KH-EVAL-1 (Kaohsiung)
the Information Center (``reviewer``) approves it. The lifecycle demo's approved apps come
through the same path (lifecycle/demo.py)."""

from __future__ import annotations

import datetime as dt

from ..access import agency_name
from ..demo import filed_answers, registered_app
from ..state import get_state
from .case_types import PROPOSAL, proposal_form_key, rests_on_ground_four


def load(open_case, users) -> None:
    staff = [u for u in users if u.role == "agency_staff" and u.agency_code]
    if not staff:
        return
    session = get_state().session
    for user in staff:
        # an app listed before appgov, approved under the earlier procedure (KH-EVAL-1,
        # TN-EVAL-1): its later cases may go on
        name = f"{agency_name(user.agency_code)}行動服務"
        registered_app(user, name, version="1.4.2", listed_on=dt.date(2023, 3, 1))
    form_key = proposal_form_key()
    if form_key is None:  # a profile without app-governance rules files no proposal
        session.flush()
        return
    owner = staff[0]
    head = next(
        (u for u in users if u.role == "agency_head" and u.agency_code == owner.agency_code),
        None,
    )
    answers = filed_answers(form_key)
    # rule TN-EVAL-3 ground (4): through the agency head first, then in review
    if rests_on_ground_four(answers) and head is not None:
        steps, actors = ("submit_to_head", "head_approve"), (owner.username, head.username)
    else:
        steps, actors = ("submit",), (owner.username,)
    open_case(
        PROPOSAL,
        owner.agency_code,
        owner.username,
        answers,
        transitions=steps,
        actor_usernames=actors,
    )
    session.flush()
