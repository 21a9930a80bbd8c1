"""Citizens' personal data in the feedback pages (個人資料保護法): masked wherever the reader
does not need it, revealed one field at a time with a logged reason.

Masking (full-width ``＊`` in Chinese, as Taiwanese agencies print it, ``*`` in Latin-script
values):

* **name** -- the family name stays, the given name keeps its last character:
  王 + 小明 → ``王＊明``, 王 + 明 → ``王＊``, 歐陽 + 志豪 → ``歐陽＊豪``; a Latin given or
  family name keeps its first letter: John Smith → ``J*** S***``;
* **e-mail** -- the first character of the local part and the whole domain:
  ``a***@example.org`` (three marks whatever the length: the length tells nothing);
* **phone** -- a mobile number keeps its first four and last three digits
  (``0912-***-678``; +886 912 345 678 alike), any other number its first two and last
  three (``06-***-111``), a short one nothing;
* **address** -- the first six characters (city and district: 臺南市中西區) and ``＊＊＊``;
* **location** -- two decimals (about a kilometre);
* **free text** (the description on lists, the item's page and exports, the mailbox's reply
  on lists and exports) -- e-mail addresses and phone numbers inside it masked as above; the
  item's page reveals the text as written like any other field.

Who reads what (decided here, checked on the server by :mod:`.views`):

* :data:`READER_ROLES` read feedback, masked: the app's agency (``agency_staff``,
  ``agency_head``: their own agency's apps only), the app authority (``reviewer``) and the
  mayor's office (``mayor``) for their city's apps, the administrator every city's (the
  failed forwardings are theirs). The IT department and the helpdesk (and any role a host
  adds, such as the mailbox's own officers, who read the mailbox itself) do not: they have
  no task with the citizens' feedback (proportionality, 個人資料保護法 第5條).
* :data:`REVEAL_ROLES` may reveal a field: the people who follow the feedback up -- the
  app's agency staff and head, and the reviewer of the app's city (TN-PERF-1: review
  handling). The mayor's office and the administrator read masked data only. Each reveal is
  a :class:`~.models.PersonalDataReveal` row (who, which field of which item, when, why);
  the value is shown to that reader only, for :data:`REVEAL_MINUTES` minutes after the
  reveal, and never kept in a page anyone else gets. Where the rule parameter
  ``mailbox_reveal_needs_approval`` is on, a reveal waits for a supervisor's approval
  first (:mod:`.reveal_approval`).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal

from ..i18n import _l

#: The mask character in Chinese text (full-width asterisk), and in Latin-script values
#: (e-mail addresses, phone numbers, Latin names): the ASCII one.
MARK = "＊"
LATIN_MARK = "*"
#: What replaces a hidden run (three marks, whatever the run's length).
HIDDEN = MARK * 3
LATIN_HIDDEN = LATIN_MARK * 3

#: Roles that read feedback (masked); the administrator reads it too (see the docstring).
READER_ROLES = frozenset({"agency_staff", "agency_head", "reviewer", "mayor"})
#: Roles that may reveal one field of one feedback item they read, with a reason.
REVEAL_ROLES = frozenset({"agency_staff", "agency_head", "reviewer"})
#: Roles that handle a citizen's personal-data requests (find, export unmasked, erase:
#: 個人資料保護法 §3, §10, §11) for their city's apps: the mayor mailbox's officers, who
#: answer the citizens (:mod:`.rights`). The administrator reads the log of these requests
#: (Flask-Admin), not the data.
RIGHTS_ROLES = frozenset({"mailbox_officer"})
#: How long a revealed value stays shown to the reader who revealed it.
REVEAL_MINUTES = 10
#: A reveal's reason: at least this many characters, at most the second.
REASON_MIN, REASON_MAX = 10, 500

#: The fields a reader may reveal, with their labels (``field`` of the reveal log).
REVEALABLE = {
    "last_name": _l("Family name"),
    "first_name": _l("Given name"),
    "email": _l("E-mail"),
    "phone": _l("Phone"),
    "address_string": _l("Address"),
    "location": _l("Location"),
    # the text as written: the e-mail addresses and phone numbers in it are masked
    "description": _l("Contact details in the text"),
}

_EMAIL_IN_TEXT = re.compile(r"[^\s@<>()\[\]\"',;:]+@[^\s@<>()\[\]\"',;:]+\.[A-Za-z]{2,}")
# a Taiwanese number inside text: +886 or 0, then 8 to 10 digits with blanks, dots, dashes
# or brackets between them
_PHONE_IN_TEXT = re.compile(r"(?<![\d\w])(?:\+?886[\s\-.]?|\(?0)[\d\s\-.()]{7,16}\d(?!\d)")


def _is_cjk(text: str) -> bool:
    return any(unicodedata.east_asian_width(ch) in ("W", "F") for ch in text)


def mask_given_name(name: str | None) -> str:
    """The given name: a Chinese one keeps its last character (小明 → ＊明, 明 → ＊,
    阿美麗 → 阿＊麗); a Latin one its first letter (John → J＊＊＊)."""
    name = (name or "").strip()
    if not name:
        return ""
    if _is_cjk(name):
        if len(name) == 1:
            return MARK
        if len(name) == 2:
            return MARK + name[-1]
        return name[0] + MARK * (len(name) - 2) + name[-1]
    return name[0] + LATIN_HIDDEN


def mask_family_name(name: str | None) -> str:
    """The family name: a Chinese one as it is (王, 歐陽: it names no one alone); a Latin one
    keeps its first letter (Smith → S＊＊＊)."""
    name = (name or "").strip()
    if not name or _is_cjk(name):
        return name
    return name[0] + LATIN_HIDDEN


def lang_of(text: str | None) -> str:
    """The language of a citizen's text, for ``lang`` (WCAG 3.1.2): Chinese when it holds
    Chinese characters, else English."""
    return "zh-Hant-TW" if text and _is_cjk(text) else "en"


def full_name(first: str | None, last: str | None) -> str:
    """A name as it is written: 王小明 (Chinese: family name first, no blank), John Smith."""
    first, last = (first or "").strip(), (last or "").strip()
    if _is_cjk(first + last):
        return last + first
    return " ".join(part for part in (first, last) if part)


def mask_name(first: str | None, last: str | None) -> str:
    """The masked name: 王＊明, 王＊, J＊＊＊ S＊＊＊ (empty when the citizen gave none)."""
    first, last = (first or "").strip(), (last or "").strip()
    if _is_cjk(first + last):
        return mask_family_name(last) + mask_given_name(first)
    return " ".join(p for p in (mask_given_name(first), mask_family_name(last)) if p)


def mask_email(address: str | None) -> str:
    """``a＊＊＊@example.org``; text that is no address: ``＊＊＊``."""
    address = (address or "").strip()
    if not address:
        return ""
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        return LATIN_HIDDEN
    return local[0] + LATIN_HIDDEN + "@" + domain


def _digits(phone: str) -> str:
    digits = re.sub(r"\D", "", phone)
    if phone.lstrip().startswith("+886") or (digits.startswith("886") and len(digits) >= 11):
        digits = "0" + digits[3:]
    return digits


#: A phone number's extension (ext 12, 轉 12, 分機 12, #12): not part of the number.
_EXTENSION = re.compile(r"(ext\.?|轉|分機|#).*$", re.IGNORECASE)


def normalised_phone(phone: str | None) -> str:
    """The digits of a phone number without its extension, a +886 prefix written as the
    leading 0 (+886 912-345-678, 0912 345 678 and 886912345678 are all ``0912345678``)."""
    return _digits(_EXTENSION.sub("", (phone or "").strip()))


def normalised_email(address: str | None) -> str:
    """An e-mail address as compared: blanks removed, lower case."""
    return "".join((address or "").split()).lower()


def contacts_in_text(text: str | None) -> tuple[set[str], set[str]]:
    """(e-mail addresses, phone numbers) written in ``text``, normalised."""
    text = text or ""
    emails = {normalised_email(m) for m in _EMAIL_IN_TEXT.findall(text)}
    phones = {normalised_phone(m.group(0)) for m in _PHONE_IN_TEXT.finditer(text)}
    return emails, phones


def mask_phone(phone: str | None) -> str:
    """A mobile number: ``0912-＊＊＊-678``; another: ``06-＊＊＊-111``; a short one:
    ``＊＊＊``."""
    phone = (phone or "").strip()
    if not phone:
        return ""
    digits = _digits(phone)
    if len(digits) == 10 and digits.startswith("09"):
        return f"{digits[:4]}-{LATIN_HIDDEN}-{digits[-3:]}"
    if len(digits) >= 8:
        return f"{digits[:2]}-{LATIN_HIDDEN}-{digits[-3:]}"
    return LATIN_HIDDEN


def mask_address(address: str | None) -> str:
    """The first six characters (臺南市中西區) and ``＊＊＊``; a short one: ``＊＊＊``."""
    address = (address or "").strip()
    if not address:
        return ""
    kept = address[:6] if len(address) > 8 else ""
    return kept + (HIDDEN if _is_cjk(address) else LATIN_HIDDEN)


def mask_location(lat: Decimal | float | None, long: Decimal | float | None) -> str:
    """Latitude and longitude to two decimals (about a kilometre)."""
    if lat is None or long is None:
        return ""
    return f"{Decimal(str(lat)):.2f}, {Decimal(str(long)):.2f}"


def location_text(lat, long) -> str:
    """Latitude and longitude as given (six decimals)."""
    if lat is None or long is None:
        return ""
    return f"{Decimal(str(lat)):.6f}, {Decimal(str(long)):.6f}"


def mask_text(text: str | None) -> str:
    """Free text with the e-mail addresses and phone numbers inside it masked."""
    if not text:
        return ""
    text = _EMAIL_IN_TEXT.sub(lambda m: mask_email(m.group(0)), text)
    return _PHONE_IN_TEXT.sub(lambda m: mask_phone(m.group(0)), text)


def excerpt(text: str | None, length: int = 80) -> str:
    """The first ``length`` characters of the masked text, on one line."""
    one_line = " ".join(mask_text(text).split())
    return one_line if len(one_line) <= length else one_line[: length - 1] + "…"


# -- one feedback item's fields ----------------------------------------------------------


def value_of(feedback, field: str) -> str:
    """The field's value as given (the revealed view)."""
    if field == "location":
        return location_text(feedback.lat, feedback.long)
    return (getattr(feedback, field) or "").strip()


def masked_value(feedback, field: str) -> str:
    """The field's masked view."""
    if field == "first_name":
        return mask_given_name(feedback.first_name)
    if field == "last_name":
        return mask_family_name(feedback.last_name)
    if field == "email":
        return mask_email(feedback.email)
    if field == "phone":
        return mask_phone(feedback.phone)
    if field == "address_string":
        return mask_address(feedback.address_string)
    if field == "location":
        return mask_location(feedback.lat, feedback.long)
    if field == "description":
        return mask_text(feedback.description)
    raise ValueError(f"unknown personal field {field!r}; known: {', '.join(REVEALABLE)}")


def reveal_window_start(now: dt.datetime) -> dt.datetime:
    """The earliest reveal still shown at ``now``."""
    return now - dt.timedelta(minutes=REVEAL_MINUTES)
