"""Demo data shared by the capabilities: a shipped form's sample answers
(:mod:`appgov_plugin.forms.samples`) filed as a case of the sample host.

Each capability's ``demo.py`` files the forms its deployment offers, with the questions the
deployment asks and real files for the attachments, then takes a few workflow steps so a
newcomer finds cases in every state of the inbox.
"""

from __future__ import annotations

from collections.abc import Sequence

from .forms import samples, store
from .state import get_state


def filed_answers(form_key: str) -> dict:
    """The sample answers of ``form_key`` as this deployment files them today: only the
    questions its live version asks here, attachments stored in the upload folder."""
    policy = get_state().policy()
    answers = samples.answers_for(form_key, policy.profile) or {}
    asked = set(store.live(form_key).asked(policy.applies))
    return samples.stored_files({k: v for k, v in answers.items() if k in asked})


def file_offered(
    open_case, case_types, owner, steps: dict[str, Sequence[str]], answers=None
) -> None:
    """Open a case of each of ``case_types`` the deployment offers, owned by ``owner`` (a
    demo user), with its form's sample answers (or ``answers[key]``, when given), and take
    ``steps[key]`` (each by a user of the role that takes it, as the host's ``open_case``
    picks)."""
    for case_type in case_types:
        if not case_type.is_offered():
            continue
        given = (answers or {}).get(case_type.key)
        open_case(
            case_type.key,
            owner.agency_code,
            owner.username,
            given if given is not None else filed_answers(case_type.current_form_key()),
            transitions=tuple(steps.get(case_type.key, ())),
        )


def agency_staff(users):
    """The first demo user of ``agency_staff`` with an agency, or ``None``."""
    return next((u for u in users if u.role == "agency_staff" and u.agency_code), None)


def registered_app(owner, name: str, *, version: str, listed_on, approved: bool = True):
    """A listed app of ``owner``'s agency entered by an administrator, as an app listed
    before appgov: approved under the earlier procedure (KH-EVAL-1, TN-EVAL-1), or, with
    ``approved=False``, one the authority may stop or delist (KH-EVAL-3)."""
    from .apps.models import App
    from .lifecycle.registry import record

    app = App(
        agency_code=owner.agency_code,
        name=name,
        description="示範用 App",
        status="listed",
        version=version,
        contact_username=owner.username,
        listed_on=listed_on,
        linked_to_mayor_mailbox=True,
    )
    session = get_state().session
    session.add(app)
    session.flush()
    if approved:
        reason = "示範：本系統啟用前已依原程序核定並上架之 App"
        details = {"approved": True, "approval_reference": f"示範核定文號第 {app.id:04d} 號"}
    else:
        reason = "示範資料：由管理者登錄，未經開發核准"
        details = {"approved": False}
    record(app, "registered", "admin", reason=reason, details=details)
    return app
