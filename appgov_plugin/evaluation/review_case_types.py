"""The case type of Tainan's performance review (TN-PERF-1, TN-PERF-3, TN-DEL-1 (6)).

* ``appgov_perf_review`` -- the review report and improvement measures (or a delisting
  evaluation) the authority (Tainan's Smart Development Center, ``reviewer``) asks of an
  agency whose app failed the targets the agency set itself (form ``perf_review_report``):
  opened by appgov from the app's failed yearly result (:mod:`.results_views`), once per app
  and year, never offered for filing; the agency writes and submits it, the authority
  accepts it or returns it.

The module is also a transition handler of ``host/plugin.py``'s ``WORKFLOWS``: each step of
such a case keeps its link to the app current (the app page lists the case with its state),
a submitted report tells the authority, and a decision tells the case's owner.
"""

from __future__ import annotations

from ..apps.models import App
from ..host.contract import CaseType
from ..i18n import _l
from ..state import get_state
from ..submissions import filing_workflow, form_case_type

PERF_REVIEW = "appgov_perf_review"


def case_types() -> list[CaseType]:
    return [
        form_case_type(
            PERF_REVIEW,
            "perf_review_report",
            _l("Performance review report"),
            _l(
                "The review report and improvement measures, or a delisting evaluation, the "
                "authority asks of an app below its agency's own targets (TN-PERF-1, "
                "TN-PERF-3, TN-DEL-1 (6))."
            ),
            filing_workflow("reviewer"),
            offered=lambda: False,
        )
    ]


# -- the transitions (host/plugin.py WORKFLOWS) ------------------------------------------------


def veto(case, transition, user, comment="") -> str | None:
    return None


def after(case, transition, user, comment="") -> None:
    """rule TN-PERF-1/3: the case's link to its app follows its state; the authority hears
    of a submitted report, the owner of the decision."""
    if case.type_key != PERF_REVIEW:
        return
    from ..lifecycle import plans, registry  # the lifecycle imports the evaluation's models

    app_id = registry.case_app_id(case)
    app = get_state().session.get(App, app_id) if app_id else None
    if app is None:
        return
    registry.link_case(case, app.id)
    username = getattr(user, "username", "")
    if transition.name in ("submit", "resubmit"):
        plans._notify(
            "perf_review_submitted",
            roles=("reviewer",),
            agency_code=case.agency_code,
            subject=_l("Performance review report for %(app)s submitted"),
            params={"app": app.name},
            link=plans.app_path(app.id),
            case_id=int(case.id),
            app_id=app.id,
            exclude=username,
        )
    elif transition.decides:
        plans._notify(
            "perf_review_decided",
            usernames=(case.owner_username,) if case.owner_username else (),
            subject=_l("Case #%(case)s about %(app)s decided: %(decision)s"),
            params={"case": str(case.id), "app": app.name, "decision": transition.label},
            link=plans.app_path(app.id),
            case_id=int(case.id),
            app_id=app.id,
            exclude=username,
        )
