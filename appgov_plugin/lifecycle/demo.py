"""Demonstration cases of an app's later life, on the forms the deployment offers: a listing
checklist in review, an accepted self-check, a delisting application and a yearly KPI report
as drafts, an improvement and marketing plan submitted."""

from __future__ import annotations

from ..demo import agency_staff, file_offered
from .case_types import IMPROVEMENT_PLAN, LISTING, SELF_CHECK, case_types


def load(open_case, users) -> None:
    owner = agency_staff(users)
    if owner is None:
        return
    steps = {LISTING: ("submit",), SELF_CHECK: ("submit", "accept"), IMPROVEMENT_PLAN: ("submit",)}
    file_offered(open_case, case_types(), owner, steps)
