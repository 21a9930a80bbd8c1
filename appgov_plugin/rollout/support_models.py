"""The support tickets' table (TP-SUP-1): appgov's own record of each ticket filed as a host
case, so the escalation rate is counted without asking the host case by case, and so tiers
2 and 3 read the ticket and the reasons it was escalated with (the host shows the helpdesk a
case's status only).

:class:`SupportTicket` -- one row per ticket, written when the ticket is filed (submitted to
tier 1) and updated by each step: the tier it reached (``tier``: 1, 2, 3; it only climbs),
who acted at each tier, the escalation reasons and the resolution. ``filed_month``
(``"YYYY-MM"``, the Taipei filing day's month) is what the escalation rate groups by.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, TimestampMixin
from .models import LIMITS

#: Field sizes (characters, not bytes).
TICKET_LIMITS = {"subject": 200, "description": 4000, "contact": 200, "text": 2000}

#: A ticket's status (``status``): waiting at its tier, resolved.
STATUSES = ("open", "resolved")


class SupportTicket(TimestampMixin, Base):
    __tablename__ = "appgov_support_ticket"

    #: The host case of the ticket.
    case_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    agency_code: Mapped[str] = mapped_column(sa.String(LIMITS["code"]), index=True)
    system_id: Mapped[int] = mapped_column(sa.ForeignKey("appgov_rollout_system.id"), index=True)
    subject: Mapped[str] = mapped_column(sa.String(TICKET_LIMITS["subject"]))
    description: Mapped[str] = mapped_column(sa.Text)
    contact: Mapped[str] = mapped_column(sa.String(TICKET_LIMITS["contact"]))
    filed_by: Mapped[str] = mapped_column(sa.String(80))
    filed_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True))
    filed_on: Mapped[dt.date] = mapped_column(sa.Date)
    filed_month: Mapped[str] = mapped_column(sa.String(7), index=True)
    #: The tier the ticket is at (or was resolved at): 1, 2 or 3.
    tier: Mapped[int] = mapped_column(default=1)
    status: Mapped[str] = mapped_column(sa.String(16), default="open")
    #: Tier 1: the seed user or system administrator who resolved or escalated it.
    tier1_username: Mapped[str | None] = mapped_column(sa.String(80))
    tier1_person_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("appgov_rollout_person.id"), index=True
    )
    tier1_role: Mapped[str | None] = mapped_column(sa.String(16))
    escalated1_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    escalated1_reason: Mapped[str | None] = mapped_column(sa.Text)
    #: Tier 2: the helpdesk's escalation to the technical support team.
    tier2_username: Mapped[str | None] = mapped_column(sa.String(80))
    escalated2_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    escalated2_reason: Mapped[str | None] = mapped_column(sa.Text)
    resolved_by: Mapped[str | None] = mapped_column(sa.String(80))
    resolved_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    resolution: Mapped[str | None] = mapped_column(sa.Text)

    __table_args__ = (
        sa.CheckConstraint("tier BETWEEN 1 AND 3", name="tier"),
        sa.CheckConstraint("status IN ('open', 'resolved')", name="status"),
        sa.CheckConstraint(
            "tier1_role IS NULL OR tier1_role IN ('admin', 'seed')", name="tier1_role"
        ),
    )
