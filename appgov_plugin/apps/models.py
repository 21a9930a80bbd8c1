"""The app registry: every mobile app the city governs."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, TimestampMixin
from ..i18n import _l

#: Lifecycle of an app in the registry (KH-EVAL-1, TN-LIST-1, TN-DEL-1..3, KH-KPI-4).
APP_STATUSES = {
    "proposed": _l("Proposed"),
    "in_development": _l("In development"),
    #: KH-EVAL-3: the authority stopped an app developed without approval
    "stopped": _l("Development stopped"),
    "listed": _l("Listed"),
    "suspended": _l("Temporarily taken down"),
    "delisted": _l("Delisted"),
}


#: The largest id of an app (an INTEGER column on both backends).
MAX_ID = 2**31 - 1


def app_id_of(value) -> int | None:
    """``value`` (an answer, text from a URL or a form) as an app id, or ``None`` when it
    cannot be one: ``"12"`` is 12; ``"12a"``, ``"-1"``, ``"١٢"``, ``True``, too large: None."""
    if isinstance(value, bool) or value is None:
        return None
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 10:
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


def web_address(column: str) -> str:
    """SQL check: ``column`` is empty or an http(s) address (never ``javascript:``)."""
    return (
        f"{column} IS NULL OR substr(lower({column}), 1, 8) = 'https://' "
        f"OR substr(lower({column}), 1, 7) = 'http://'"
    )


class App(TimestampMixin, Base):
    """A mobile app of one agency (identified by the host's agency code)."""

    __tablename__ = "appgov_app"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_code: Mapped[str] = mapped_column(sa.String(64), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    #: the app's English name, where it has one (pages and Open311 in English); else ``name``
    name_en: Mapped[str | None] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[str] = mapped_column(sa.String(32), default="proposed", index=True)
    #: KH-VER-1: MAJOR.MINOR.PATCH
    version: Mapped[str | None] = mapped_column(sa.String(32))
    ios_url: Mapped[str | None] = mapped_column(sa.String(500))
    android_url: Mapped[str | None] = mapped_column(sa.String(500))
    linked_to_mayor_mailbox: Mapped[bool] = mapped_column(default=False)
    #: the app's stable code: its Open311 ``service_code`` (TN-EVAL-4, the mailbox link);
    #: ``app-<id>`` when the app enters the registry, never changed after
    code: Mapped[str | None] = mapped_column(sa.String(64), unique=True, index=True)
    #: host case id of the development proposal that approved it (KH-EVAL-1, TN-EVAL-1);
    #: set by the workflow, never typed in
    proposal_case_id: Mapped[int | None] = mapped_column(sa.Integer, unique=True)
    #: the agency's contact for the app: who filed its proposal (host username); cases
    #: appgov opens for the app (a plan, a forced delisting) are owned by them
    contact_username: Mapped[str | None] = mapped_column(sa.String(80))
    #: KH-LIST-2: the icon of the approved listing (an uploaded file's reference)
    icon: Mapped[dict | None] = mapped_column(sa.JSON)
    #: the first listing's approval date (TN-LIST-1, KH-LIST-2)
    listed_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    #: an approved permanent delisting waits for this date (TN-DEL-2); the sweep applies it
    delist_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    #: KH-SEC-1 (3): taken down for a security risk, so its relisting needs a test report
    security_takedown: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    __table_args__ = (
        sa.CheckConstraint(
            "status IN ({})".format(", ".join(f"'{key}'" for key in APP_STATUSES)), name="status"
        ),
        sa.CheckConstraint(
            "proposal_case_id IS NULL OR proposal_case_id > 0", name="proposal_case_id"
        ),
        sa.CheckConstraint(web_address("ios_url"), name="ios_url"),
        sa.CheckConstraint(web_address("android_url"), name="android_url"),
    )

    @property
    def platforms(self) -> tuple[str, ...]:
        """The stores the app is listed in (a store link each)."""
        return tuple(p for p, url in (("ios", self.ios_url), ("android", self.android_url)) if url)

    def display_name(self, locale: str | None = None) -> str:
        """The name in ``locale`` (``en...``: the English name where there is one)."""
        if locale and str(locale).startswith("en") and self.name_en:
            return self.name_en
        return self.name

    def __str__(self) -> str:
        return self.name


@sa.event.listens_for(App, "after_insert")
def _give_code(mapper, connection, target: App) -> None:
    """A new app's stable code, from its id (known only now)."""
    if target.code is None:
        code = f"app-{target.id}"
        connection.execute(sa.update(App).where(App.id == target.id).values(code=code))
        sa.orm.attributes.set_committed_value(target, "code", code)
