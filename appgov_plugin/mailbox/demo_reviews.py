"""Demonstration store reviews and ratings: the first listed demo app gets a few Google Play
and App Store reviews (one answered, one edited later) and two weeks of ratings in both
stores -- imported through the same path as an agency's files (:func:`.reviews.import_file`:
Play Console's UTF-16 CSV and an App Store table), so the demo shows what an import does."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa

from ..apps.models import App
from ..clock import TAIPEI, today
from ..exports import Table, to_csv, to_xlsx
from ..state import get_state
from .reviews import import_file, package_of

#: The package of a demo app without a Google Play link.
DEMO_PACKAGE = "tw.gov.tainan.demo"
PLAY_HEADERS = (
    "Package Name",
    "App Version Code",
    "App Version Name",
    "Reviewer Language",
    "Device",
    "Review Submit Date and Time",
    "Review Submit Millis Since Epoch",
    "Review Last Update Date and Time",
    "Review Last Update Millis Since Epoch",
    "Star Rating",
    "Review Title",
    "Review Text",
    "Developer Reply Date and Time",
    "Developer Reply Millis Since Epoch",
    "Developer Reply Text",
    "Review Link",
)

#: (days ago, stars, text, reply or None) of the Google Play reviews
PLAY_REVIEWS = (
    (12, 5, "查詢很方便，介面清楚。", "感謝您的肯定，我們會持續改善。"),
    (9, 2, "更新後開啟很慢，常常閃退。", "已於 1.4.3 版修正閃退問題，請更新後再試。"),
    (4, 4, "希望可以加入夜間模式。", None),
    (1, 1, "登入一直失敗，無法使用。", None),
)
#: (days ago, stars, title, text, reply or None) of the App Store reviews
IOS_REVIEWS = (
    (10, 5, "很實用", "出門前查一下就知道哪裡好玩。", None),
    (6, 3, "還可以", "資料偶爾沒有更新。", "謝謝您的回饋，資料已改為每日更新。"),
    (2, 4, "好用", "推薦給外地朋友。", None),
)


def _stamp(days_ago: int, hour: int) -> dt.datetime:
    day = today() - dt.timedelta(days=days_ago)
    return dt.datetime.combine(day, dt.time(hour, 15), tzinfo=TAIPEI)


def _play_reviews(package: str) -> bytes:
    rows = []
    for number, (days_ago, stars, text, reply) in enumerate(PLAY_REVIEWS, start=1):
        written = _stamp(days_ago, 9)
        millis = int(written.timestamp() * 1000)
        replied = _stamp(max(days_ago - 1, 0), 16) if reply else None
        rows.append(
            [
                package,
                "142",
                "1.4.2",
                "zh_TW",
                "demo-device",
                written.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                str(millis),
                written.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                str(millis),
                str(stars),
                "",
                text,
                replied.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if replied else "",
                str(int(replied.timestamp() * 1000)) if replied else "",
                reply or "",
                f"https://play.google.com/console/review-details?reviewId=gp:demo-{number}",
            ]
        )
    # Play Console writes UTF-16; the shared writer's UTF-8 is re-encoded as it would be
    text = to_csv(Table(PLAY_HEADERS, rows)).decode("utf-8-sig")
    return text.encode("utf-16")


def _ios_reviews() -> bytes:
    headers = ("Date", "Rating", "Title", "Review", "Nickname", "Version", "Territory", "Review ID")
    headers += ("Developer Response", "Response Date")
    rows = [
        [
            _stamp(days_ago, 20).replace(tzinfo=None),
            stars,
            title,
            text,
            f"demo-user-{number}",
            "1.4.2",
            "TWN",
            f"demo-ios-{number}",
            reply or "",
            _stamp(max(days_ago - 1, 0), 10).replace(tzinfo=None) if reply else None,
        ]
        for number, (days_ago, stars, title, text, reply) in enumerate(IOS_REVIEWS, start=1)
    ]
    return to_xlsx(Table(headers, rows))


def _ratings(store: str, package: str) -> bytes:
    base = {"android": (Decimal("4.02"), 1180), "ios": (Decimal("4.31"), 640)}[store]
    rows = []
    for days_ago in range(13, -1, -1):
        day = today() - dt.timedelta(days=days_ago)
        count = base[1] + (13 - days_ago) * 3
        dip = Decimal("0.05") if days_ago in (9, 1) else 0  # a bad version's days
        average = str(base[0] + (13 - days_ago) * Decimal("0.01") - dip)
        if store == "android":
            rows.append([day.isoformat(), package, "NA", average, str(count)])
        else:
            rows.append([day.isoformat(), average, str(count)])
    if store == "android":
        headers = ("Date", "Package Name", "Daily Average Rating", "Total Average Rating")
        headers += ("Total Ratings",)
    else:
        headers = ("Date", "Average Rating", "Ratings")
    return to_csv(Table(headers, rows))


def load(open_case, users) -> None:
    session = get_state().session
    app = session.scalars(
        sa.select(App).where(App.status == "listed").order_by(App.id).limit(1)
    ).first()
    if app is None:
        return
    package = package_of(app) or DEMO_PACKAGE
    actor = next((u.username for u in users if u.agency_code == app.agency_code), "admin")
    files = (
        ("android", "reviews", _play_reviews(package), "reviews_tw.gov.tainan.demo_demo.csv"),
        ("ios", "reviews", _ios_reviews(), "app-store-reviews.xlsx"),
        (
            "android",
            "ratings",
            _ratings("android", package),
            "ratings_tw.gov.tainan.demo_overview.csv",
        ),
        ("ios", "ratings", _ratings("ios", package), "app-store-ratings.csv"),
    )
    for store, kind, data, name in files:
        report = import_file(app, store, kind, data, name, actor=actor, dry_run=False, commit=False)
        if not report.ok:  # the demo's own files: a failure is a bug, said loudly
            raise RuntimeError(f"demo {store} {kind}: {report.problems}")
