"""Demonstration training forms, where the deployment runs a roll-out (TP-TRN-*): an
enrolment accepted by the IT department, a leave request drafted."""

from __future__ import annotations

from ..demo import agency_staff, file_offered
from .case_types import ENROLLMENT, case_types


def load(open_case, users) -> None:
    owner = agency_staff(users)
    if owner is not None:
        file_offered(open_case, case_types(), owner, {ENROLLMENT: ("submit", "accept")})
