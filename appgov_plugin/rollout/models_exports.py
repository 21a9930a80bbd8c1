"""The log of exports of staff records (issue 16: "visible only to the person, their
agency's administrators and the IT department; exports of them are logged").

* :class:`StaffRecordExport` -- one export of person-level records of the roll-out and
  training capabilities (:data:`~.staff_records.EXPORTS`: the learning-hours report as a
  file, a transcript as PDF, the support escalation rate per person): who, in which role
  and agency, when, which export in which format, with which filters, how many rows.
  Written in the request that serves the file; read-only in Flask-Admin.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, utcnow


class StaffRecordExport(Base):
    __tablename__ = "appgov_staff_record_export"

    id: Mapped[int] = mapped_column(primary_key=True)
    exported_at: Mapped[dt.datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow, index=True
    )
    username: Mapped[str] = mapped_column(sa.String(80))
    role: Mapped[str] = mapped_column(sa.String(32), default="")
    agency_code: Mapped[str | None] = mapped_column(sa.String(64))
    #: which export (a key of :data:`~.staff_records.EXPORTS`)
    export: Mapped[str] = mapped_column(sa.String(32))
    #: csv, xlsx, ods or pdf
    fmt: Mapped[str] = mapped_column(sa.String(8))
    #: the filters as given (year, agency, below, month, system, person)
    filters: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    #: how many person rows the file holds (a transcript: 1)
    row_count: Mapped[int] = mapped_column(sa.Integer, default=0)
