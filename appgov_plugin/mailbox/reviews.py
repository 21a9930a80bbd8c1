"""Store reviews and ratings imported from the stores' exports (TN-PERF-1, KH-KPI-2).

An agency handles its app's store reviews as part of its self-assessment (TN-PERF-1), and
the star rating is a KPI (KH-KPI-2): both come from files the agency downloads from the
stores -- Google Play Console's reviews and ratings reports, and a table of App Store
reviews and ratings (App Store Connect has no review export of its own) -- in the
columns of :data:`FORMATS` (docs/store_reviews.md lists them, with their Chinese names).

:func:`import_file` reads one file (:mod:`appgov_plugin.imports`: .csv, .xlsx or .ods)
for one app, one store and one kind (``reviews`` or ``ratings``) and answers a
:class:`Report`:

* every unknown column and every bad row is in the report (row number, column, reason, in
  the reader's language), nothing is dropped silently; a row that is fine to leave out (a
  day without ratings yet) is reported as a warning;
* a dry run reports what the import would do and stores nothing;
* the import itself is all-or-nothing: one bad row and nothing is stored;
* the same review imported again updates it (its reply, an edit), never duplicates it
  (``uq_appgov_store_review_key``: app, store and the review's id); a rating is one per
  app, store and day;
* averages are exact decimals (``Decimal``, two places, rounded half up), never floats.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qs, urlsplit

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ..apps.models import App
from ..clock import TAIPEI
from ..db import utcnow
from ..i18n import _, _l
from ..import_columns import Column, RowProblem, RowReader, column, is_blank, match_columns
from ..import_columns import Report as BaseReport
from ..imports import ImportedTable, ImportRefused, read_table
from ..state import get_state
from .models import STORES, StoreRating, StoreReview

#: What a file holds.
KINDS = {"reviews": _l("Reviews"), "ratings": _l("Ratings")}

#: Longest texts kept (characters); a longer one is a bad row, never cut.
TEXT_LIMITS = {
    "review_id": 200,
    "title": 500,
    "text": 20_000,
    "author": 200,
    "language": 20,
    "app_version": 64,
    "reply_text": 20_000,
    "package": 200,
}
#: Keys read from the database per query (stays under every backend's parameter limit).
CHUNK = 500
#: What a ratings report writes for a day without any rating yet.
NO_RATING = frozenset({"NA", "N/A", "-", "—"})
#: Two decimal places: the ratings' column (Numeric(3, 2)).
CENTS = Decimal("0.01")


#: The accepted columns of each (store, kind). docs/store_reviews.md says the same.
FORMATS: dict[tuple[str, str], tuple[Column, ...]] = {
    # Google Play Console: Download reports > Reviews (reviews_<package>_<yyyymm>.csv)
    ("android", "reviews"): (
        column("package", "Package Name", "套件名稱"),
        column("version_code", "App Version Code", "版本代碼", kept=False),
        column("app_version", "App Version Name", "版本名稱", "版本"),
        column("language", "Reviewer Language", "評論者語言", "語言"),
        column("device", "Device", "裝置", kept=False),
        column("submitted", "Review Submit Date and Time", "評論提交日期和時間", "評論日期"),
        column("submitted_ms", "Review Submit Millis Since Epoch"),
        column("updated", "Review Last Update Date and Time", "評論上次更新日期和時間"),
        column("updated_ms", "Review Last Update Millis Since Epoch"),
        column("rating", "Star Rating", "星級評等", "評分", "星等", required=True),
        column("title", "Review Title", "評論標題", "標題"),
        column("text", "Review Text", "評論內容", "評論"),
        column("replied", "Developer Reply Date and Time", "開發人員回覆日期和時間", "回覆日期"),
        column("replied_ms", "Developer Reply Millis Since Epoch"),
        column("reply_text", "Developer Reply Text", "開發人員回覆內容", "回覆內容"),
        column("link", "Review Link", "評論連結"),
    ),
    # Google Play Console: Download reports > Statistics > Ratings (ratings_..._overview.csv)
    # and the count of ratings, which that report lacks (KH-KPI-2 weighs by it)
    ("android", "ratings"): (
        column("on_date", "Date", "日期", required=True),
        column("package", "Package Name", "套件名稱"),
        column("daily", "Daily Average Rating", "每日平均評分", kept=False),
        column("average", "Total Average Rating", "總平均評分", "平均評分", required=True),
        column(
            "ratings",
            "Total Ratings",
            "Ratings",
            "Ratings Count",
            "評分數",
            "評分次數",
            required=True,
        ),
    ),
    # App Store: no review export in App Store Connect; the columns of the common export
    # (App Store Connect API customerReviews, review-export tools)
    ("ios", "reviews"): (
        column("reviewed", "Date", "日期", "評論日期", required=True),
        column("rating", "Rating", "評分", "星等", required=True),
        column("title", "Title", "標題"),
        column("text", "Review", "Body", "評論", "評論內容"),
        column("author", "Nickname", "Author", "Reviewer", "暱稱", "作者"),
        column("app_version", "Version", "版本"),
        column("territory", "Territory", "Country", "國家或地區", "地區", kept=False),
        column("review_id", "Review ID", "ID", "評論編號"),
        column("reply_text", "Developer Response", "開發者回覆", "回覆內容"),
        column("replied", "Response Date", "Developer Response Date", "回覆日期"),
    ),
    ("ios", "ratings"): (
        column("on_date", "Date", "日期", required=True),
        column("average", "Average Rating", "平均評分", required=True),
        column(
            "ratings",
            "Ratings",
            "Ratings Count",
            "Rating Count",
            "評分數",
            "評分次數",
            required=True,
        ),
    ),
}


# -- the report ------------------------------------------------------------------------------


@dataclass
class Report(BaseReport):
    """What an import found and did (:class:`appgov_plugin.import_columns.Report`), for one
    store; ``replies`` counts reviews that get a reply they did not have."""

    store: str = ""
    replies: int = 0


# -- reading cells ---------------------------------------------------------------------------


def as_stars(value: Any) -> int:
    """A star rating, a whole number from 1 to 5."""
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or number != number.to_integral_value():
        raise RowProblem(_("“%(value)s” is not a star rating from 1 to 5.", value=value))
    if not 1 <= number <= 5:
        raise RowProblem(_("“%(value)s” is not a star rating from 1 to 5.", value=value))
    return int(number)


def as_average(value: Any) -> Decimal:
    """An average rating from 1 to 5 as an exact decimal of two places (rounded half up:
    4.125 is 4.13)."""
    text = str(value).strip()
    try:
        number = value if isinstance(value, Decimal) else Decimal(text)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise RowProblem(_("“%(value)s” is not an average rating from 1 to 5.", value=text))
    number = number.quantize(CENTS, rounding=ROUND_HALF_UP)
    if not Decimal(1) <= number <= Decimal(5):
        raise RowProblem(_("“%(value)s” is not an average rating from 1 to 5.", value=text))
    return number


def as_count(value: Any) -> int:
    """A number of ratings: a whole number, 0 or more (``1,234`` is read as 1234)."""
    if isinstance(value, int) and not isinstance(value, bool):
        number: Any = value
    else:
        text = str(value).strip().replace(",", "")
        number = int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None
    if number is None or number < 0 or number > 2**31 - 1:
        raise RowProblem(_("“%(value)s” is not a number of ratings.", value=value))
    return number


_ROC = re.compile(r"(\d{2,3})[/.-](\d{1,2})[/.-](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?")
_SLASHED = re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?")


def as_timestamp(value: Any) -> dt.datetime:
    """A point in time: ISO 8601 (``2026-11-01T08:12:33Z``, with an offset, or ``... UTC``),
    ``2026/11/01 08:12``, ROC ``115/11/01 08:12`` or a spreadsheet's date cell. Without a
    zone it is Taipei time (TIME-5); a date alone is its midnight in Taipei."""
    if isinstance(value, dt.datetime):
        return (value if value.tzinfo else value.replace(tzinfo=TAIPEI)).astimezone(dt.UTC)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(), tzinfo=TAIPEI).astimezone(dt.UTC)
    text = str(value).strip()
    zone = None
    if text.upper().endswith(" UTC"):
        text, zone = text[:-4].strip(), dt.UTC
    stamp = None
    try:
        stamp = dt.datetime.fromisoformat(text)
    except ValueError:
        match = _SLASHED.fullmatch(text) or _ROC.fullmatch(text)
        if match:
            year, month, day, hour, minute, second = (int(p or 0) for p in match.groups())
            if match.re is _ROC:
                year += 1911
            try:
                stamp = dt.datetime(year, month, day, hour, minute, second)
            except ValueError:
                stamp = None
    if stamp is None:
        raise RowProblem(
            _(
                "“%(value)s” is not a date and time. Write it as 2026-11-01 08:30 or "
                "115/11/01 08:30.",
                value=value,
            )
        )
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=zone or TAIPEI)
    return stamp.astimezone(dt.UTC)


def as_day(value: Any) -> dt.date:
    """A day: ``2026-11-01``, ``2026/11/01``, ROC ``115/11/01`` or a date cell."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    try:
        return as_timestamp(text).date()
    except RowProblem:
        raise RowProblem(
            _(
                "“%(value)s” is not a date. Write it as 115/11/22 (ROC year) or 2026-11-22.",
                value=value,
            )
        ) from None


def as_millis(value: Any) -> dt.datetime:
    """Milliseconds since 1970-01-01 UTC (Google Play's ``... Millis Since Epoch``)."""
    text = str(value).strip()
    if isinstance(value, int) and not isinstance(value, bool):
        text = str(value)
    if not (text.isascii() and text.isdigit()) or len(text) > 15:
        raise RowProblem(_("“%(value)s” is not a time in milliseconds since 1970.", value=value))
    return dt.datetime.fromtimestamp(int(text) / 1000, tz=dt.UTC)


def package_of(app: App) -> str | None:
    """The app's Google Play package (``id=`` of its store link), if it has one."""
    if not app.android_url:
        return None
    values = parse_qs(urlsplit(app.android_url).query).get("id")
    return values[0] if values else None


def review_id_from_link(link: str | None) -> str | None:
    """Play Console's review id (``reviewId=`` of the Review Link)."""
    if not link:
        return None
    values = parse_qs(urlsplit(link).query).get("reviewId")
    return values[0].strip() if values and values[0].strip() else None


def derived_id(*parts: Any) -> str:
    """A stable id for a review whose file gives none: a hash of what does not change
    when the reviewer edits it (when and where it was first written, who wrote it)."""
    text = "\x1f".join("" if part is None else str(part) for part in parts)
    return "derived-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:40]


# -- one file --------------------------------------------------------------------------------


def _text(cells: RowReader, key: str) -> str | None:
    return cells.text(key, TEXT_LIMITS.get(key, 20_000))


def _android_review(cells: RowReader, app_package: str | None) -> dict | None:
    package = _text(cells, "package")
    if package and app_package and package != app_package:
        cells.fail(
            cells.mapped.labels.get("package"),
            _(
                "“%(value)s” is another app's package; this app's is %(package)s.",
                value=package,
                package=app_package,
            ),
        )
    submitted = cells.get("submitted_ms", as_millis) or cells.get("submitted", as_timestamp)
    updated = cells.get("updated_ms", as_millis) or cells.get("updated", as_timestamp)
    if submitted is None and updated is None and not cells.bad:
        cells.fail("Review Submit Date and Time", _("Empty; every row needs a value here."))
    record = {
        "rating": cells.get("rating", as_stars, required=True),
        "title": _text(cells, "title"),
        "text": _text(cells, "text"),
        "author": None,
        "language": _text(cells, "language"),
        "app_version": _text(cells, "app_version"),
        "reviewed_at": updated or submitted,
        "reply_text": _text(cells, "reply_text"),
        "replied_at": cells.get("replied_ms", as_millis) or cells.get("replied", as_timestamp),
    }
    link_id = review_id_from_link(_text(cells, "link"))
    if link_id and len(link_id) > TEXT_LIMITS["review_id"]:
        cells.fail("link", _("The review's id in the link is too long."))
    device = _text(cells, "device")
    first = submitted or updated
    record["review_id"] = link_id or derived_id(
        first.astimezone(dt.UTC).isoformat() if first else "", device, record["language"]
    )
    return None if cells.bad else record


def _ios_review(cells: RowReader, app_package: str | None) -> dict | None:
    record = {
        "reviewed_at": cells.get("reviewed", as_timestamp, required=True),
        "rating": cells.get("rating", as_stars, required=True),
        "title": _text(cells, "title"),
        "text": _text(cells, "text"),
        "author": _text(cells, "author"),
        "language": None,
        "app_version": _text(cells, "app_version"),
        "reply_text": _text(cells, "reply_text"),
        "replied_at": cells.get("replied", as_timestamp),
        "review_id": _text(cells, "review_id"),
    }
    if cells.bad:
        return None
    if not record["review_id"]:
        stamp = record["reviewed_at"].astimezone(dt.UTC).isoformat()
        record["review_id"] = derived_id(stamp, record["author"])
    return record


def _rating(cells: RowReader, app_package: str | None) -> dict | None:
    package = _text(cells, "package")
    if package and app_package and package != app_package:
        cells.fail(
            cells.mapped.labels.get("package"),
            _(
                "“%(value)s” is another app's package; this app's is %(package)s.",
                value=package,
                package=app_package,
            ),
        )
    on_date = cells.get("on_date", as_day, required=True)
    average_cell = cells.raw("average")
    if is_blank(average_cell) or str(average_cell).strip().upper() in NO_RATING:
        if not cells.bad:
            cells.report.warn(
                cells.row.number,
                cells.mapped.labels.get("average"),
                _("No rating yet on this day: the row is left out."),
            )
        return None
    record = {
        "on_date": on_date,
        "average": cells.get("average", as_average, required=True),
        "ratings": cells.get("ratings", as_count, required=True),
    }
    return None if cells.bad else record


ROW_READERS = {
    ("android", "reviews"): _android_review,
    ("ios", "reviews"): _ios_review,
    ("android", "ratings"): _rating,
    ("ios", "ratings"): _rating,
}


def parse(table: ImportedTable, app: App, store: str, kind: str, report: Report) -> list[dict]:
    """The records of ``table`` (reviews or ratings), every problem in ``report``."""
    columns = FORMATS[(store, kind)]
    mapped = match_columns(
        table,
        columns,
        report,
        _("Unknown column: not imported (the import page shows the columns read)."),
    )
    if not report.ok:
        return []
    reader = ROW_READERS[(store, kind)]
    package = package_of(app) if store == "android" else None
    key = "review_id" if kind == "reviews" else "on_date"
    records: list[dict] = []
    first_row: dict[Any, int] = {}
    for row in table.rows:
        report.rows += 1
        if row.extra:
            report.warn(
                row.number, None, _("Values beyond the last named column are not imported.")
            )
        cells = RowReader(row, mapped, report, columns)
        record = reader(cells, package)
        if record is None:
            continue
        if record[key] in first_row:
            report.error(
                row.number,
                mapped.labels.get(key) if kind == "ratings" else None,
                _("The same day as row %(row)s: keep only one of them.", row=first_row[record[key]])
                if kind == "ratings"
                else _(
                    "The same review as row %(row)s: keep only one of them.",
                    row=first_row[record[key]],
                ),
            )
            continue
        first_row[record[key]] = row.number
        record["_row"] = row.number
        records.append(record)
    return records


# -- storing ---------------------------------------------------------------------------------

REVIEW_FIELDS = (
    "rating",
    "title",
    "text",
    "author",
    "language",
    "app_version",
    "reviewed_at",
    "reply_text",
    "replied_at",
)
RATING_FIELDS = ("average", "ratings")


def _same(stored: Any, new: Any) -> bool:
    if isinstance(stored, dt.datetime) and isinstance(new, dt.datetime):
        if stored.tzinfo is None:  # SQLite gives back UTC without its zone
            stored = stored.replace(tzinfo=dt.UTC)
        return stored == new
    if isinstance(stored, Decimal) or isinstance(new, Decimal):
        return stored is not None and new is not None and Decimal(stored) == Decimal(new)
    return stored == new


def _existing(session, model, app: App, store: str, column, keys: Iterable) -> dict:
    keys = list(keys)
    found = {}
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        for record in session.scalars(
            sa.select(model).where(model.app_id == app.id, model.store == store, column.in_(chunk))
        ):
            found[getattr(record, column.key)] = record
        # rows are locked nowhere: the unique keys refuse a concurrent duplicate
    return found


def _apply(
    app: App, store: str, kind: str, records: list[dict], actor: str, report: Report, write: bool
):
    session = get_state().session
    if kind == "reviews":
        model, column, fields, key = StoreReview, StoreReview.review_id, REVIEW_FIELDS, "review_id"
    else:
        model, column, fields, key = StoreRating, StoreRating.on_date, RATING_FIELDS, "on_date"
    existing = _existing(session, model, app, store, column, (r[key] for r in records))
    now = utcnow()
    for record in records:
        stored = existing.get(record[key])
        values = {name: record[name] for name in fields}
        if stored is None:
            report.new += 1
            if kind == "reviews" and values["reply_text"]:
                report.replies += 1
            if write:
                session.add(
                    model(
                        app_id=app.id,
                        store=store,
                        **{key: record[key]},
                        **values,
                        imported_at=now,
                        imported_by=actor,
                    )
                )
            continue
        changed = {n: v for n, v in values.items() if not _same(getattr(stored, n), v)}
        if not changed:
            report.unchanged += 1
            continue
        report.updated += 1
        if kind == "reviews" and values["reply_text"] and not stored.reply_text:
            report.replies += 1
        if write:
            for name, value in changed.items():
                setattr(stored, name, value)
            stored.imported_at, stored.imported_by = now, actor


def import_file(
    app: App,
    store: str,
    kind: str,
    data: bytes,
    filename: str,
    *,
    actor: str,
    dry_run: bool,
    commit: bool = True,
) -> Report:
    """Read ``data`` (the file named ``filename``) as ``store``'s ``kind`` for ``app`` and,
    unless ``dry_run`` or the report has an error, store it all in one transaction
    (``commit=False``: flushed only, the caller commits -- the demo data). Nothing is
    written when anything is wrong."""
    if store not in STORES or kind not in KINDS:
        raise ValueError(f"unknown store {store!r} or kind {kind!r}")
    report = Report(store=store, kind=kind, dry_run=dry_run, filename=filename)
    try:
        table = read_table(data, filename)
    except ImportRefused as refused:
        report.error(None, None, str(refused))
        return report
    report.format, report.encoding = table.format, table.encoding
    records = parse(table, app, store, kind, report)
    if report.ok and not records and not report.rows:
        report.error(None, None, _("The file has a header but no rows."))
    write = report.ok and not dry_run
    session = get_state().session
    try:
        _apply(app, store, kind, records if report.ok else [], actor, report, write)
        if write:
            session.flush()
            if commit:
                session.commit()
            report.stored = bool(report.new or report.updated)
    except IntegrityError:
        session.rollback()
        report.new = report.updated = report.unchanged = report.replies = 0
        report.stored = False
        report.error(
            None,
            None,
            _("Another import of this app's file ran at the same time. Import the file again."),
        )
    except BaseException:
        session.rollback()
        raise
    return report
