"""TIME-5: every date and time is read in Taiwan's time zone, whatever the server's."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

TAIPEI = ZoneInfo("Asia/Taipei")


def today() -> dt.date:
    """Today's date in Taipei: a server on UTC must not date a 07:00 event yesterday."""
    return dt.datetime.now(TAIPEI).date()
