"""Demonstration roll-out reports, where the deployment runs a roll-out (TP-*): a work-group
roster submitted to the IT department, an administrator and seed-user nomination drafted."""

from __future__ import annotations

from ..demo import agency_staff, file_offered
from .case_types import WORK_GROUP_ROSTER, case_types


def load(open_case, users) -> None:
    owner = agency_staff(users)
    if owner is not None:
        file_offered(open_case, case_types(), owner, {WORK_GROUP_ROSTER: ("submit",)})
