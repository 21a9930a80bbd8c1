"""The Open311 ``POST requests.json`` of a citizen's feedback: its checks and its storage.

:func:`clean_feedback` checks every field of the request at once -- sizes in characters
(:data:`~.models.LIMITS`), control characters, latitude and longitude ranges, the shape of
an e-mail address, ``http``/``https`` media links -- and raises :class:`IntakeError` with one
error per refused field (Open311's ``[{"code": 400, "description": ...}]``, each naming its
field, in the request's language). :func:`store_feedback` writes the feedback and its outbox
row in one transaction (rule MAIL-2: stored before acknowledged): either both are committed
or neither, and the citizen is answered only after the commit.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.orm import make_transient_to_detached

from ..db import utcnow
from ..i18n import DEFAULT_LOCALE, _
from ..safe_input import has_control_character
from ..state import get_state
from .models import LIMITS, Feedback, FeedbackOutbox

#: The Open311 fields of a feedback item (besides ``api_key`` and ``service_code``).
TEXT_FIELDS = (
    "description",
    "email",
    "first_name",
    "last_name",
    "phone",
    "device_id",
    "media_url",
    "address_string",
)
#: Fields whose text may span lines (the others are one line).
MULTILINE_FIELDS = frozenset({"description", "address_string"})
#: Latitude and longitude ranges (WGS 84 degrees).
COORDINATE_RANGES = {"lat": (-90, 90), "long": (-180, 180)}
#: Decimals kept of a coordinate (the column's scale: about 0.1 m).
COORDINATE_PLACES = decimal.Decimal("0.000001")
#: Longest coordinate text accepted (digits, sign, point).
MAX_COORDINATE_CHARS = 20
#: Parameters read once: given twice, a request is ambiguous.
SINGLE_FIELDS = ("api_key", "service_code", "locale", "lat", "long", *TEXT_FIELDS)

#: An e-mail address's shape: a local part and a domain of at least two labels, no blanks.
EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+")
#: A phone number as people write it: digits, a leading +, blanks, ( ) - . # and an
#: extension (ext, 轉, 分機).
PHONE = re.compile(r"\+?[0-9() .\-#]*[0-9][0-9() .\-#]*((ext\.?|轉|分機|#)\s*[0-9]{1,8})?")
#: Line breaks refused in one-line fields (a control character in any field is refused).
LINE_BREAK = re.compile("[\r\n\t\u2028\u2029\x85]")


@dataclass
class OpenError:
    """One Open311 error: the HTTP code and what to correct (naming the field)."""

    code: int
    description: str

    def as_json(self) -> dict:
        return {"code": self.code, "description": self.description}


@dataclass
class IntakeError(Exception):
    """A request refused: its HTTP status and one :class:`OpenError` per refused field."""

    status: int
    errors: list[OpenError] = field(default_factory=list)

    @classmethod
    def one(cls, status: int, description: str) -> IntakeError:
        return cls(status, [OpenError(status, description)])


def field_error(name: str, message: str) -> OpenError:
    return OpenError(400, _("%(field)s: %(message)s", field=name, message=message))


def single_values(params, names=SINGLE_FIELDS) -> list[OpenError]:
    """Errors for parameters given more than once (``params``: a MultiDict)."""
    return [
        field_error(name, _("give it once only."))
        for name in names
        if len(params.getlist(name)) > 1
    ]


def control_character_message() -> str:
    return _("remove the control character (an invisible character such as NUL).")


def _text(name: str, value: str) -> tuple[str | None, str | None]:
    """(cleaned value or None, error message or None) of one text field."""
    if has_control_character(value):
        return None, control_character_message()
    value = value.strip()
    if name not in MULTILINE_FIELDS and LINE_BREAK.search(value):
        return None, _("write it on one line.")
    if len(value) > LIMITS[name]:
        return None, _(
            "at most %(limit)s characters (%(length)s given).",
            limit=LIMITS[name],
            length=len(value),
        )
    if not value:
        return None, None
    if name == "email" and not EMAIL.fullmatch(value):
        return None, _("write an e-mail address such as name@example.org.")
    if name == "phone" and not PHONE.fullmatch(value):
        return None, _("write a phone number with digits, such as 06-2991111.")
    if name == "media_url":
        parts = urlsplit(value)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname or " " in value:
            return None, _("write a web address starting with https:// (or http://).")
    return value, None


def _coordinate(name: str, value: str) -> tuple[decimal.Decimal | None, str | None]:
    low, high = COORDINATE_RANGES[name]
    message = _(
        "write a number of degrees from %(low)s to %(high)s, such as %(example)s.",
        low=low,
        high=high,
        example="22.992" if name == "lat" else "120.185",
    )
    text = value.strip()
    if len(text) > MAX_COORDINATE_CHARS or has_control_character(text):
        return None, message
    try:
        number = decimal.Decimal(text)
    except decimal.InvalidOperation:
        return None, message
    if not number.is_finite() or not low <= number <= high:
        return None, message
    return number.quantize(COORDINATE_PLACES, rounding=decimal.ROUND_HALF_EVEN), None


def clean_feedback(params) -> dict:
    """The feedback fields of ``params`` (a MultiDict of the form), checked and cleaned: a
    dict of the :data:`TEXT_FIELDS` (``None`` when not given) and ``lat``/``long``.

    :raises IntakeError: 400, one error per refused field; nothing is stored.
    """
    errors: dict[str, OpenError] = {}
    for name in ("lat", "long", *TEXT_FIELDS):
        if len(params.getlist(name)) > 1:
            errors[name] = field_error(name, _("give it once only."))
    cleaned: dict = {}
    for name in TEXT_FIELDS:
        value, message = _text(name, params.get(name) or "")
        if message:
            errors.setdefault(name, field_error(name, message))
        elif name == "description" and not value:
            errors.setdefault(name, field_error(name, _("write your feedback (required).")))
        cleaned[name] = value
    given = [name for name in COORDINATE_RANGES if (params.get(name) or "").strip()]
    for name in given:
        cleaned[name], message = _coordinate(name, params.get(name))
        if message:
            errors.setdefault(name, field_error(name, message))
    if len(given) == 1:
        missing = "long" if given == ["lat"] else "lat"
        errors[missing] = field_error(missing, _("give lat and long together, or neither."))
    for name in COORDINATE_RANGES:
        cleaned.setdefault(name, None)
    if errors:
        raise IntakeError(400, list(errors.values()))
    return cleaned


#: How stale a key's ``last_used_at`` may get: an app's requests all come with its one key,
#: and updating the key's row with each would make them wait for each other's commit.
LAST_USED_PRECISION = dt.timedelta(minutes=1)
#: The statements of :func:`store_feedback`.
INSERT_FEEDBACK = sa.insert(Feedback.__table__).returning(Feedback.__table__.c.id)
INSERT_OUTBOX = sa.insert(FeedbackOutbox.__table__)


def _stale(last_used_at: dt.datetime | None, now: dt.datetime) -> bool:
    if last_used_at is None:
        return True
    if last_used_at.tzinfo is None:  # SQLite gives UTC back without its offset
        last_used_at = last_used_at.replace(tzinfo=dt.UTC)
    return now - last_used_at >= LAST_USED_PRECISION


def store_feedback(
    *,
    app,
    fields: dict,
    api_key=None,
    locale: str = DEFAULT_LOCALE,
) -> Feedback:
    """Store one feedback item of ``app`` and its outbox row (state ``pending``) in ONE
    transaction, committed here (rule MAIL-2: stored before acknowledged). On any error the
    transaction is rolled back and nothing of it remains.

    :param fields: the cleaned fields (:func:`clean_feedback`).
    :param api_key: the :class:`~.models.ApiKey` it came with (its last use is recorded, to
        the minute: :data:`LAST_USED_PRECISION`).
    """
    session = get_state().session
    now = utcnow()
    values = {
        "app_id": app.id,
        "service_code": app.code,
        "api_key_id": api_key.id if api_key is not None else None,
        "token": str(uuid.uuid4()),
        "idempotency_key": str(uuid.uuid4()),
        "locale": locale,
        "requested_at": now,
        "updated_at": now,
        "status": "open",
        **{name: fields.get(name) for name in (*TEXT_FIELDS, "lat", "long")},
    }
    try:
        # two INSERTs through Core on the session's transaction: the ORM's unit of work
        # cost ten times the statements themselves (benchmarks/mailbox_intake.py)
        feedback_id = session.execute(INSERT_FEEDBACK, values).scalar_one()
        session.execute(
            INSERT_OUTBOX,
            {"feedback_id": feedback_id, "state": "pending", "next_attempt_at": now},
        )
        if api_key is not None and _stale(api_key.last_used_at, now):
            api_key.last_used_at = now
        session.commit()
    except BaseException:
        session.rollback()
        raise
    # the stored item as the ORM would have loaded it (no query): the columns not written
    # are read when asked for
    feedback = Feedback(id=feedback_id, **values)
    make_transient_to_detached(feedback)
    session.add(feedback)
    return feedback


__all__ = [
    "COORDINATE_RANGES",
    "IntakeError",
    "OpenError",
    "TEXT_FIELDS",
    "clean_feedback",
    "field_error",
    "single_values",
    "store_feedback",
]
