"""The notice at collection (個人資料保護法 §8) that the Open311 intake gives a citizen before
they send feedback: the collecting agency, the purpose, the categories of data, how long it
is kept, and the citizen's rights (inspect, copy, correct, stop, erase: §3).

The text is the deployment's, in zh_Hant_TW and en: an administrator edits it in Flask-Admin
(:mod:`.admin_personal_data`; one :class:`~.models.PersonalDataNotice` row per language);
without a row the default text below is used. ``{agency}`` in the text is replaced by the
service's agency (the app's, in the request's language) and ``{years}`` by the retention
parameter ``mailbox_retention_years`` in force today (what ``flask appgov mailbox purge``
applies). :mod:`.open311` puts the filled text in ``services.json`` (each service's
``description`` and its ``personal_data_notice``) and in ``services/<code>.json``.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import force_locale

from ..clock import today
from ..db import utcnow
from ..i18n import _
from ..state import get_state
from .models import PersonalDataNotice

#: The languages of the notice (the Open311 request's ``locale`` picks; zh the default).
NOTICE_LOCALES = ("zh_Hant_TW", "en")
#: The retention parameter (years after closure; 個人資料保護法 §11).
RETENTION_PARAMETER = "mailbox_retention_years"
#: The placeholders a notice may hold.
PLACEHOLDERS = ("{agency}", "{years}")
#: Longest notice (characters).
MAX_NOTICE = 4000


def default_notice(locale: str) -> str:
    """The default text in ``locale``, placeholders unfilled."""
    with force_locale(locale):
        return _(
            "Notice on collecting personal data (Personal Data Protection Act, Article 8)\n"
            "Collecting agency: {agency}, through the city's mayor mailbox.\n"
            "Purpose: to handle, forward and answer your feedback, and to count it in the "
            "city's service statistics.\n"
            "Data collected: your name, e-mail address, phone number, address, location, "
            "device identifier and the contact details you write in your feedback "
            "(C001: identifying a person).\n"
            "Retention: {years} years after your feedback is closed; then your contact data "
            "is erased, and only the anonymised record and the statistics are kept.\n"
            "Where and by whom it is used: in Taiwan, by the city government and the agency "
            "that answers your feedback, electronically.\n"
            "Your rights (Article 3): you may ask the mayor mailbox to let you inspect your "
            "data, to give you a copy, to correct or complete it, to stop collecting, "
            "processing or using it, and to erase it.\n"
            "Giving your contact data is optional; without it we cannot answer you."
        )


def stored_notices() -> dict[str, PersonalDataNotice]:
    """The administrators' texts by language (one query)."""
    rows = get_state().session.scalars(sa.select(PersonalDataNotice))
    return {row.locale: row for row in rows}


def notice_template(locale: str, stored: dict | None = None) -> str:
    """The text in force in ``locale``: the administrators', else the default."""
    locale = locale if locale in NOTICE_LOCALES else NOTICE_LOCALES[0]
    row = (stored_notices() if stored is None else stored).get(locale)
    return row.text if row is not None else default_notice(locale)


def retention_years(as_of=None) -> int:
    """``mailbox_retention_years`` in force on ``as_of`` (default today)."""
    return int(get_state().policy(as_of=as_of or today()).param(RETENTION_PARAMETER))


def fill(template: str, agency: str, years: int) -> str:
    """The template with its placeholders replaced (plain replacement: no format syntax)."""
    return template.replace("{agency}", agency).replace("{years}", str(years))


def save_notices(texts: dict[str, str], username: str) -> None:
    """Store the administrators' texts (a text equal to the default, or empty, removes the
    row: the default applies, and follows later corrections of it). Not committed."""
    session = get_state().session
    stored = stored_notices()
    for locale, text in texts.items():
        text = (text or "").strip()
        row = stored.get(locale)
        if not text or text == default_notice(locale).strip():
            if row is not None:
                session.delete(row)
            continue
        if row is None:
            session.add(
                PersonalDataNotice(
                    locale=locale, text=text, updated_at=utcnow(), updated_by=username
                )
            )
        elif row.text != text:
            row.text, row.updated_at, row.updated_by = text, utcnow(), username
