"""Citizens' personal data after collection (個人資料保護法 §3, §10, §11): removing a feedback
item's contact data, the retention purge, and finding one citizen's feedback.

* :func:`remove_contact_data` -- the one way contact data is removed, for the purge and for
  the citizen's erasure request alike: the name, e-mail, phone, device id, address and media
  link are blanked, the location kept to two decimals (about a kilometre), the e-mail
  addresses and phone numbers in the text and in the mailbox's reply masked
  (:func:`~.privacy.mask_text`), and so are those in the reasons of the item's reveal log
  (the log keeps no value, but a reason may quote one). The record stays: its app, times,
  status, reply and mailbox number, so the counts and response times of
  :mod:`appgov_plugin.evaluation.totals` do not change (``updated_at`` is written back as it
  was). ``contact_removed_at`` says when; an item is never changed twice.
* :func:`purge` -- ``flask appgov mailbox purge``: the contact data of feedback closed and
  forwarded more than ``mailbox_retention_years`` years before the day (counted from its
  last update, the closure the mailbox reported); an open item, or one not forwarded yet, is
  never purged. One :class:`~.models.PersonalDataAction` row per run (none with
  ``dry_run``).
* :func:`parse_contact` / :func:`find_feedback` -- one citizen's feedback by e-mail address
  or phone number (normalised: case and blanks; +886 / 886 / 0; separators; extensions),
  in the contact fields and in the text.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa

from ..apps.models import App
from ..clock import TAIPEI, today
from ..db import utcnow
from ..i18n import _
from ..state import get_state
from . import privacy
from .intake import EMAIL
from .models import Feedback, PersonalDataAction, PersonalDataReveal, PersonalDataRevealRequest

#: The contact fields blanked.
CONTACT_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "device_id",
    "address_string",
    "media_url",
)
#: A location kept after removal: two decimals (:func:`~.privacy.mask_location`).
COARSE_LOCATION = Decimal("0.01")
#: Most feedback ids a log row lists (its ``count`` says how many there were).
MAX_LOGGED_IDS = 10_000
#: Who a purge run from the command line is recorded as.
PURGE_ACTOR = "appgov-mailbox-purge"
#: The purge's legal ground, in its log row.
PURGE_GROUND = "個人資料保護法 §11"

T = Feedback.__table__.c


def _coarse(value):
    return None if value is None else Decimal(str(value)).quantize(COARSE_LOCATION)


def _anonymised(row, now: dt.datetime) -> dict:
    values = {
        **{name: None for name in CONTACT_FIELDS},
        "lat": _coarse(row.lat),
        "long": _coarse(row.long),
        "description": privacy.mask_text(row.description),
        "status_notes": None if row.status_notes is None else privacy.mask_text(row.status_notes),
        # as it was: the response times are counted to it (evaluation/totals.py)
        "updated_at": row.updated_at,
        "contact_removed_at": now,
    }
    return {"b_id": row.id, **{f"v_{name}": value for name, value in values.items()}}


#: The columns :func:`remove_contact_data` writes.
WRITTEN = (*CONTACT_FIELDS, "lat", "long", "description", "status_notes", "updated_at")


def remove_contact_data(session, feedback_ids) -> list[int]:
    """Remove the contact data of the items ``feedback_ids`` not removed yet (see the
    module's docstring); the ids changed. Not committed."""
    ids = sorted(set(feedback_ids))
    if not ids:
        return []
    now = utcnow()
    changed: list[int] = []
    update = (
        sa.update(Feedback.__table__)
        .where(T.id == sa.bindparam("b_id"))
        .values({name: sa.bindparam(f"v_{name}") for name in (*WRITTEN, "contact_removed_at")})
    )
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = session.execute(
            sa.select(T.id, T.lat, T.long, T.description, T.status_notes, T.updated_at).where(
                T.id.in_(chunk), T.contact_removed_at.is_(None)
            )
        ).all()
        if not rows:
            continue
        session.execute(update, [_anonymised(row, now) for row in rows])
        done = [row.id for row in rows]
        # the logs' free text may quote the contact data: masked alike
        for column in (
            PersonalDataReveal.reason,
            PersonalDataRevealRequest.reason,
            PersonalDataRevealRequest.decision_note,
        ):
            _mask_logged_text(session, column, done)
        changed += done
    return changed


def _mask_logged_text(session, column, feedback_ids: list[int]) -> None:
    """Mask the e-mail addresses and phone numbers in a log's text column (reveals, reveal
    requests) of the feedback items ``feedback_ids``."""
    table = column.class_.__table__
    rows = session.execute(
        sa.select(table.c.id, table.c[column.key]).where(table.c.feedback_id.in_(feedback_ids))
    ).all()
    masked = [
        {"r_id": row[0], "v_text": privacy.mask_text(row[1])}
        for row in rows
        if row[1] and privacy.mask_text(row[1]) != row[1]
    ]
    if masked:
        session.execute(
            sa.update(table)
            .where(table.c.id == sa.bindparam("r_id"))
            .values({column.key: sa.bindparam("v_text")}),
            masked,
        )


def log_action(session, action: str, username: str, *, subject="", reason="", ids=(), **details):
    """One row of the personal-data log (not committed)."""
    ids = list(ids)
    session.add(
        PersonalDataAction(
            action=action,
            username=username,
            acted_at=utcnow(),
            subject=subject[:300],
            reason=reason,
            count=len(ids),
            details={**details, "feedback_ids": ids[:MAX_LOGGED_IDS]},
        )
    )


# -- the retention purge ----------------------------------------------------------------------


def years_before(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` years earlier (29 February: the 28th)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


@dataclass
class PurgeResult:
    as_of: dt.date
    years: int
    #: items last updated before this day (Taipei) were due
    before: dt.date
    dry_run: bool
    ids: list[int] = field(default_factory=list)
    run_id: int | None = None

    def __str__(self) -> str:
        verb = "would remove" if self.dry_run else "removed"
        return (
            f"mailbox purge as of {self.as_of.isoformat()} (retention {self.years} years: "
            f"feedback closed before {self.before.isoformat()}): contact data {verb} from "
            f"{len(self.ids)} items"
        )


def purge_due(before: dt.date):
    """The items whose contact data is due: closed, forwarded (the mailbox's number is
    known), last updated before ``before`` (Taipei), not removed yet."""
    moment = dt.datetime.combine(before, dt.time(), TAIPEI).astimezone(dt.UTC)
    return sa.select(T.id).where(
        T.status == "closed",
        T.service_request_id.is_not(None),
        T.contact_removed_at.is_(None),
        T.updated_at < moment,
    )


def purge(
    as_of: dt.date | None = None, *, dry_run: bool = False, actor: str = PURGE_ACTOR
) -> PurgeResult:
    """Remove the contact data of the feedback past retention as of ``as_of`` (default today
    in Taipei); committed with its log row, or nothing written with ``dry_run``."""
    from .notice import retention_years

    as_of = as_of or today()
    years = retention_years(as_of)
    result = PurgeResult(as_of, years, years_before(as_of, years), dry_run)
    session = get_state().session
    try:
        due = list(session.scalars(purge_due(result.before).order_by(T.id)))
        if dry_run:
            result.ids = due
            session.rollback()
            return result
        result.ids = remove_contact_data(session, due)
        log_action(
            session,
            "purge",
            actor,
            subject=_("feedback closed before %(day)s", day=result.before.isoformat()),
            reason=PURGE_GROUND,
            ids=result.ids,
            as_of=as_of.isoformat(),
            retention_years=years,
            before=result.before.isoformat(),
        )
        session.flush()
        result.run_id = session.scalars(
            sa.select(PersonalDataAction.id).order_by(PersonalDataAction.id.desc()).limit(1)
        ).first()
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return result


# -- one citizen's feedback -------------------------------------------------------------------


@dataclass(frozen=True)
class Contact:
    """An e-mail address or a phone number, normalised."""

    kind: str  # "email" or "phone"
    value: str

    @property
    def masked(self) -> str:
        return (
            privacy.mask_email(self.value)
            if self.kind == "email"
            else (privacy.mask_phone(self.value))
        )


def parse_contact(text: str | None) -> Contact:
    """The contact a search names; ``ValueError`` with a message naming the field."""
    text = (text or "").strip()
    if not text:
        raise ValueError(_("E-mail or phone: write the citizen's e-mail address or phone number."))
    if "@" in text:
        address = privacy.normalised_email(text)
        if not EMAIL.fullmatch(address):
            raise ValueError(
                _("E-mail or phone: write an e-mail address such as name@example.org.")
            )
        return Contact("email", address)
    digits = privacy.normalised_phone(text)
    if len(digits) < 8 or len(digits) > 12 or any(c.isalpha() for c in text):
        raise ValueError(
            _("E-mail or phone: write a phone number with its area code, such as 0912-345-678.")
        )
    return Contact("phone", digits)


def _stripped(column):
    for mark in ("-", " ", "(", ")", ".", "+"):
        column = sa.func.replace(column, mark, "")
    return column


def _matches(feedback: Feedback, contact: Contact) -> bool:
    emails, phones = privacy.contacts_in_text(feedback.description)
    if contact.kind == "email":
        return privacy.normalised_email(feedback.email) == contact.value or contact.value in emails
    return privacy.normalised_phone(feedback.phone) == contact.value or contact.value in phones


def find_feedback(contact: Contact, visible: set[str] | None) -> list[tuple[Feedback, App]]:
    """Every item of the visible agencies' apps whose contact fields or text name
    ``contact``, newest first (one query; the database narrows, Python confirms)."""
    if contact.kind == "email":
        wanted = sa.or_(
            sa.func.lower(T.email).contains(contact.value, autoescape=True),
            sa.func.lower(T.description).contains(contact.value, autoescape=True),
        )
    else:
        numbers = [contact.value]
        if contact.value.startswith("0"):
            numbers.append("886" + contact.value[1:])
        wanted = sa.or_(
            *(_stripped(T.phone).contains(n, autoescape=True) for n in numbers),
            *(_stripped(T.description).contains(n, autoescape=True) for n in numbers),
        )
    query = (
        sa.select(Feedback, App)
        .join(App, App.id == Feedback.app_id)
        .where(wanted)
        .order_by(Feedback.id.desc())
    )
    if visible is not None:
        query = query.where(App.agency_code.in_(sorted(visible)) if visible else sa.false())
    return [(f, a) for f, a in get_state().session.execute(query).all() if _matches(f, contact)]
