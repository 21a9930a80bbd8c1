"""Store reviews and ratings (issue 11, section 5; TN-PERF-1, KH-KPI-2): Google Play
Console's reviews (UTF-16 CSV) and ratings reports, App Store tables (XLSX, ODS, CSV);
unknown columns and bad rows reported with row, column and reason; a dry run stores
nothing; an import is all-or-nothing; importing again updates, never duplicates; ratings
are exact decimals. Who may import (per role, ids guessed), the app's reviews page in both
languages with a constant query count, its exports -- in the sample host with the real
plug-in, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import openpyxl
import pytest
import sqlalchemy as sa
from casework import counting_queries
from casework import visible_text as raw_text
from hosting import login

from appgov_plugin.apps.models import App
from appgov_plugin.exports import Table, to_csv, to_ods, to_xlsx
from appgov_plugin.i18n import gettext
from appgov_plugin.mailbox.models import StoreRating, StoreReview
from sample_host.extensions import db

PLAY_HEADERS = [
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
]
PACKAGE = "tw.gov.tainan.reviews"
LINK = "https://play.google.com/console/u/0/developers/1/app/2/user-feedback/review-details"


def visible_text(page: str) -> str:
    return " ".join(raw_text(page).split())


def zh(host, msgid: str, **variables) -> str:
    """``msgid`` as appgov's catalog gives it in Traditional Chinese (the lead compiles the
    catalogs: before that, the English text)."""
    with host.test_request_context(headers={"Accept-Language": "zh-TW"}):
        return gettext(msgid, **variables)


def play_row(number: int, stars="4", text="好用", reply="", when="2026-11-01T01:02:03Z"):
    millis = str(int(dt.datetime.fromisoformat(when).timestamp() * 1000) + number)
    replied = "2026-11-02T03:00:00Z" if reply else ""
    return [
        PACKAGE,
        "42",
        "1.4.2",
        "zh_TW",
        "pixel7",
        when,
        millis,
        when,
        millis,
        stars,
        "",
        text,
        replied,
        "",
        reply,
        f"{LINK}?reviewId=gp:review-{number}",
    ]


def play_csv(rows, headers=PLAY_HEADERS) -> bytes:
    """A reviews file as Play Console writes it: UTF-16 with its byte-order mark."""
    return to_csv(Table(headers, rows)).decode("utf-8-sig").encode("utf-16")


@pytest.fixture
def host(make_host):
    return make_host("tainan")


def add_app(name, agency="tainan-tourism", android=True) -> int:
    app = App(
        name=name,
        agency_code=agency,
        status="listed",
        version="1.4.2",
        android_url=f"https://play.google.com/store/apps/details?id={PACKAGE}" if android else None,
        ios_url="https://apps.apple.com/tw/app/id1234567890",
    )
    db.session.add(app)
    db.session.commit()
    return app.id


def post_file(client, app_id, store, kind, data, name, *, check=False):
    return client.post(
        f"/appgov/apps/{app_id}/reviews/import",
        data={
            "store": store,
            "kind": kind,
            "file": (io.BytesIO(data), name),
            ("check" if check else "run"): "1",
        },
        content_type="multipart/form-data",
    )


def stored_reviews(host, app_id) -> list[StoreReview]:
    with host.app_context():
        return list(
            db.session.scalars(
                sa.select(StoreReview).where(StoreReview.app_id == app_id).order_by(StoreReview.id)
            )
        )


def stored_ratings(host, app_id) -> list[StoreRating]:
    with host.app_context():
        return list(
            db.session.scalars(
                sa.select(StoreRating)
                .where(StoreRating.app_id == app_id)
                .order_by(StoreRating.store, StoreRating.on_date)
            )
        )


def problem_rows(page: str) -> list[tuple[str, str, str, str]]:
    """(row, column, kind, problem) of the report's table."""
    body = page.split('class="table table-sm import-problems"', 1)
    if len(body) < 2:
        return []
    out = []
    for row in re.findall(r"<tr class=\"problem-\w+\">(.*?)</tr>", body[1], flags=re.S):
        cells = [visible_text(c) for c in re.findall(r"<td>(.*?)</td>", row, flags=re.S)]
        out.append(tuple(cells))
    return out


# -- Google Play ----------------------------------------------------------------------------


def test_play_reviews_dry_run_stores_nothing_then_the_import_stores_them(host):
    with host.app_context():
        app_id = add_app("府城評論")
    client = host.test_client()
    login(client, "staff")
    data = play_csv([play_row(1), play_row(2, stars="1", text="閃退")])
    checked = post_file(client, app_id, "android", "reviews", data, "reviews.csv", check=True)
    assert checked.status_code == 200
    text = visible_text(checked.get_data(as_text=True))
    assert zh(host, "The file can be imported. Nothing was stored (a check only).") in text
    assert stored_reviews(host, app_id) == []  # a dry run stores nothing
    assert 'class="report-new">2<' in checked.get_data(as_text=True)

    imported = post_file(client, app_id, "android", "reviews", data, "reviews.csv")
    assert imported.status_code == 200
    reviews = stored_reviews(host, app_id)
    assert [(r.review_id, r.rating, r.text) for r in reviews] == [
        ("gp:review-1", 4, "好用"),
        ("gp:review-2", 1, "閃退"),
    ]
    first = reviews[0]
    assert first.store == "android" and first.language == "zh_TW" and first.app_version == "1.4.2"
    assert first.imported_by == "staff" and first.author is None
    stamp = (
        first.reviewed_at if first.reviewed_at.tzinfo else first.reviewed_at.replace(tzinfo=dt.UTC)
    )
    assert stamp == dt.datetime(2026, 11, 1, 1, 2, 3, 1000, tzinfo=dt.UTC)  # the millis, UTC


def test_importing_again_adds_the_reply_and_never_duplicates(host):
    with host.app_context():
        app_id = add_app("府城回覆")
    client = host.test_client()
    login(client, "head")
    post_file(client, app_id, "android", "reviews", play_csv([play_row(1), play_row(2)]), "r.csv")
    again = play_csv([play_row(1), play_row(2, reply="已修正，請更新。"), play_row(3)])
    response = post_file(client, app_id, "android", "reviews", again, "r.csv")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'class="report-new">1<' in page and 'class="report-updated">1<' in page
    assert 'class="report-unchanged">1<' in page and 'class="report-replies">1<' in page
    reviews = stored_reviews(host, app_id)
    assert len(reviews) == 3  # unique key: app, store, the review's id
    second = next(r for r in reviews if r.review_id == "gp:review-2")
    assert second.reply_text == "已修正，請更新。" and second.replied_at is not None
    assert second.imported_by == "head"
    # the same file a third time changes nothing
    third = post_file(client, app_id, "android", "reviews", again, "r.csv").get_data(as_text=True)
    assert 'class="report-unchanged">3<' in third and len(stored_reviews(host, app_id)) == 3


def test_unknown_columns_and_bad_rows_are_reported_and_nothing_is_stored(host):
    with host.app_context():
        app_id = add_app("府城錯誤")
    client = host.test_client()
    login(client, "staff")
    rows = [play_row(1), play_row(2, stars="6"), play_row(3), play_row(4)]
    rows[3][5:9] = ["yesterday", "", "yesterday", ""]  # only unreadable times
    rows = [row + ["x"] for row in rows]
    data = play_csv(rows, PLAY_HEADERS + ["Sentiment"])
    response = post_file(client, app_id, "android", "reviews", data, "reviews.csv")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    problems = problem_rows(page)
    # row numbers as the spreadsheet shows them (the header is row 1)
    warning, error = zh(host, "Warning"), zh(host, "Error")
    unknown = zh(host, "Unknown column: not imported (the import page shows the columns read).")
    assert problems[0] == ("1", "Sentiment", warning, unknown)
    stars = next(p for p in problems if p[1] == "Star Rating")
    assert stars == (
        "3",
        "Star Rating",
        error,
        zh(host, "“%(value)s” is not a star rating from 1 to 5.", value="6"),
    )
    times = [p for p in problems if p[0] == "5"]
    assert times and all(p[2] == error for p in times)
    assert {p[1] for p in times} <= {
        "Review Submit Date and Time",
        "Review Last Update Date and Time",
    }
    assert zh(host, "Refused: nothing was stored.") in visible_text(page)
    assert stored_reviews(host, app_id) == []  # all-or-nothing: rows 2 and 4 were fine


def test_a_missing_column_another_package_and_a_bad_file_are_refused(host):
    with host.app_context():
        app_id = add_app("府城套件")
    client = host.test_client()
    login(client, "staff")
    headers = [h for h in PLAY_HEADERS if h != "Star Rating"]
    row = [v for h, v in zip(PLAY_HEADERS, play_row(1), strict=True) if h != "Star Rating"]
    missing = post_file(client, app_id, "android", "reviews", play_csv([row], headers), "r.csv")
    assert missing.status_code == 400
    assert any(
        p[1] == "Star Rating" and p[0] == "1" for p in problem_rows(missing.get_data(as_text=True))
    )
    other = play_row(1)
    other[0] = "com.example.other"
    wrong = post_file(client, app_id, "android", "reviews", play_csv([other]), "r.csv")
    problems = problem_rows(wrong.get_data(as_text=True))
    assert wrong.status_code == 400 and problems[0][:2] == ("2", "Package Name")
    assert PACKAGE in problems[0][3]
    pdf = post_file(client, app_id, "android", "reviews", b"%PDF-1.4 x", "r.xlsx")
    assert pdf.status_code == 400 and "XLSX" in visible_text(pdf.get_data(as_text=True))
    assert stored_reviews(host, app_id) == []


def test_play_ratings_are_exact_decimals_and_days_without_ratings_are_reported(host):
    with host.app_context():
        app_id = add_app("府城評分")
    client = host.test_client()
    login(client, "staff")
    headers = [
        "Date",
        "Package Name",
        "Daily Average Rating",
        "Total Average Rating",
        "Total Ratings",
    ]
    rows = [
        ["2026-11-01", PACKAGE, "NA", "NA", "0"],
        ["2026-11-02", PACKAGE, "4.00", "3.505", "10"],
        ["2026-11-03", PACKAGE, "5", "3.5", "1,234"],
    ]
    response = post_file(
        client, app_id, "android", "ratings", to_csv(Table(headers, rows)), "x.csv"
    )
    assert response.status_code == 200
    problems = problem_rows(response.get_data(as_text=True))
    no_rating = zh(host, "No rating yet on this day: the row is left out.")
    assert problems == [("2", "Total Average Rating", zh(host, "Warning"), no_rating)]
    ratings = stored_ratings(host, app_id)
    assert [(r.on_date, r.average, r.ratings) for r in ratings] == [
        (dt.date(2026, 11, 2), Decimal("3.51"), 10),  # rounded half up, never a float
        (dt.date(2026, 11, 3), Decimal("3.50"), 1234),  # exactly 3.5 (KH-KPI-2 fails it)
    ]
    assert all(isinstance(r.average, Decimal) for r in ratings)
    # a day again updates it
    rows = [["2026-11-03", PACKAGE, "5", "3.52", "1240"]]
    post_file(client, app_id, "android", "ratings", to_csv(Table(headers, rows)), "x.csv")
    ratings = stored_ratings(host, app_id)
    assert [(r.average, r.ratings) for r in ratings][-1] == (Decimal("3.52"), 1240)
    assert len(ratings) == 2


# -- App Store ------------------------------------------------------------------------------


IOS_HEADERS = [
    "日期",
    "評分",
    "標題",
    "評論",
    "暱稱",
    "版本",
    "地區",
    "評論編號",
    "開發者回覆",
    "回覆日期",
]


def test_app_store_reviews_from_xlsx_with_chinese_headers_and_ratings_from_ods(host):
    with host.app_context():
        app_id = add_app("府城蘋果", android=False)
    client = host.test_client()
    login(client, "staff")
    rows = [
        [
            dt.datetime(2026, 11, 5, 20, 15),
            5,
            "很好",
            "推薦",
            "小明",
            "1.4.2",
            "TWN",
            "A1",
            None,
            None,
        ],
        ["115/11/06 08:30", 2, "", "當機", "阿華", "1.4.2", "TWN", "A2", "已修正", "2026-11-07"],
    ]
    response = post_file(
        client, app_id, "ios", "reviews", to_xlsx(Table(IOS_HEADERS, rows)), "ios.xlsx"
    )
    assert response.status_code == 200, problem_rows(response.get_data(as_text=True))
    page = response.get_data(as_text=True)
    assert "地區" in visible_text(page.split("report-facts", 1)[1])  # read, not kept: said
    reviews = stored_reviews(host, app_id)
    assert [(r.review_id, r.rating, r.author) for r in reviews] == [
        ("A1", 5, "小明"),
        ("A2", 2, "阿華"),
    ]
    stamp = reviews[1].reviewed_at
    stamp = stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)
    assert stamp == dt.datetime(2026, 11, 6, 0, 30, tzinfo=dt.UTC)  # ROC, Taipei time
    ratings = Table(
        ["Date", "Average Rating", "Ratings"],
        [[dt.date(2026, 11, 5), Decimal("4.35"), 640], [dt.date(2026, 11, 6), Decimal("4.4"), 650]],
    )
    response = post_file(client, app_id, "ios", "ratings", to_ods(ratings), "ios.ods")
    assert response.status_code == 200, problem_rows(response.get_data(as_text=True))
    assert [(r.store, r.average, r.ratings) for r in stored_ratings(host, app_id)] == [
        ("ios", Decimal("4.35"), 640),
        ("ios", Decimal("4.40"), 650),
    ]


def test_a_review_twice_in_one_file_and_a_too_long_title_are_bad_rows(host):
    with host.app_context():
        app_id = add_app("府城重複", android=False)
    client = host.test_client()
    login(client, "staff")
    rows = [
        ["2026-11-05", "5", "好", "", "", "", "", "B1", "", ""],
        ["2026-11-06", "4", "好" * 501, "", "", "", "", "B2", "", ""],
        ["2026-11-07", "3", "", "", "", "", "", "B1", "", ""],
    ]
    response = post_file(
        client, app_id, "ios", "reviews", to_csv(Table(IOS_HEADERS, rows)), "i.csv"
    )
    problems = problem_rows(response.get_data(as_text=True))
    assert response.status_code == 400
    assert [(p[0], p[1]) for p in problems] == [("3", "標題"), ("4", "")]
    assert "501" in problems[0][3] and "2" in problems[1][3]
    assert stored_reviews(host, app_id) == []


def test_the_configured_size_and_row_limits_refuse_the_whole_file(host):
    with host.app_context():
        app_id = add_app("府城上限")
    host.config.update(APPGOV_IMPORT_MAX_ROWS=2)
    client = host.test_client()
    login(client, "staff")
    data = play_csv([play_row(1), play_row(2), play_row(3)])
    response = post_file(client, app_id, "android", "reviews", data, "r.csv")
    assert response.status_code == 400
    too_many = zh(
        host, "The file has more than %(limit)s rows. Split it into smaller files.", limit="2"
    )
    assert problem_rows(response.get_data(as_text=True))[0][1:] == ("", zh(host, "Error"), too_many)
    host.config.update(APPGOV_IMPORT_MAX_ROWS=20_000, APPGOV_IMPORT_MAX_MB=1 / 1024)
    response = post_file(client, app_id, "android", "reviews", data, "r.csv")
    page = response.get_data(as_text=True)
    too_large = zh(
        host, "The file is larger than %(limit)s. Split it into smaller files.", limit="1 KB"
    )
    assert response.status_code == 400 and too_large in visible_text(page)
    assert 'aria-invalid="true"' in page  # named at the file field, in the error summary too
    assert stored_reviews(host, app_id) == []


# -- who may import -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "page", "importing"),
    [
        ("staff", 200, 200),  # the app's agency
        ("head", 200, 200),
        ("reviewer", 200, 403),  # the city's roles read, never import
        ("mayor", 200, 403),
        ("itdept", 200, 403),
        ("helpdesk", 200, 403),
        ("admin", 200, 200),
    ],
)
def test_each_role_reads_and_imports_as_its_scope_allows(host, username, page, importing):
    with host.app_context():
        app_id = add_app("府城權限")
    client = host.test_client()
    login(client, username)
    assert client.get(f"/appgov/apps/{app_id}/reviews").status_code == page
    assert client.get(f"/appgov/apps/{app_id}/reviews/import").status_code == importing
    response = post_file(client, app_id, "android", "reviews", play_csv([play_row(1)]), "r.csv")
    assert response.status_code == importing
    assert len(stored_reviews(host, app_id)) == (1 if importing == 200 else 0)


def test_an_agency_cannot_import_for_another_agencys_app_by_a_guessed_id(host):
    with host.app_context():
        other = add_app("智慧南市", agency="tainan-sdc")
        kaohsiung = add_app("高雄好行", agency="kaohsiung-tb")
        top = db.session.scalar(sa.select(sa.func.max(App.id)))
    client = host.test_client()
    login(client, "staff")
    for app_id in (other, kaohsiung, top + 1, 2**31 - 1):
        assert client.get(f"/appgov/apps/{app_id}/reviews/import").status_code == 404
        response = post_file(client, app_id, "android", "reviews", play_csv([play_row(1)]), "r.csv")
        assert response.status_code == 404
        assert client.get(f"/appgov/apps/{app_id}/reviews.csv").status_code == 404
    assert stored_reviews(host, other) == [] and stored_reviews(host, kaohsiung) == []
    # the city's reviewer sees the Tainan app, not Kaohsiung's
    login(client, "reviewer")
    assert client.get(f"/appgov/apps/{other}/reviews").status_code == 200
    assert client.get(f"/appgov/apps/{kaohsiung}/reviews").status_code == 404


def test_the_administrators_page_imports_for_any_app_and_refuses_everyone_else(host):
    with host.app_context():
        app_id = add_app("高雄評論", agency="kaohsiung-tb", android=False)
    client = host.test_client()
    for username in ("staff", "head", "reviewer"):
        login(client, username)
        assert client.get("/admin/appgov_store_reviews/").status_code == 403
    login(client, "admin")
    form = client.get("/admin/appgov_store_reviews/")
    assert form.status_code == 200 and "高雄評論" in form.get_data(as_text=True)
    rows = [["2026-11-05", "5", "好", "", "", "", "", "C1", "", ""]]
    data = {
        "app": str(app_id),
        "store": "ios",
        "kind": "reviews",
        "file": (io.BytesIO(to_csv(Table(IOS_HEADERS, rows))), "ios.csv"),
        "run": "1",
    }
    response = client.post(
        "/admin/appgov_store_reviews/", data=data, content_type="multipart/form-data"
    )
    assert response.status_code == 200
    assert [r.review_id for r in stored_reviews(host, app_id)] == ["C1"]
    refused = client.post(
        "/admin/appgov_store_reviews/",
        data={"app": "999999", "store": "ios", "kind": "reviews", "run": "1"},
        content_type="multipart/form-data",
    )
    assert (
        refused.status_code == 400
        and 'class="alert alert-danger error-summary"' in refused.get_data(as_text=True)
    )


# -- the page -------------------------------------------------------------------------------


def add_reviews(app_id: int, count: int, start: int = 0) -> None:
    base = dt.datetime(2026, 11, 1, 2, 0, tzinfo=dt.UTC)
    db.session.execute(
        sa.insert(StoreReview),
        [
            {
                "app_id": app_id,
                "store": "ios" if number % 2 else "android",
                "review_id": f"r{number}",
                "rating": 1 + number % 5,
                "text": f"評論{number}",
                "author": f"暱稱{number}",
                "reviewed_at": base + dt.timedelta(hours=number),
                "reply_text": "謝謝" if number % 3 == 0 else None,
                "imported_by": "staff",
            }
            for number in range(start, start + count)
        ],
    )
    db.session.add(
        StoreRating(
            app_id=app_id,
            store="android",
            on_date=dt.date(2026, 11, 5),
            average=Decimal("4.25"),
            ratings=1180,
            imported_by="staff",
        )
    )
    db.session.commit()


def test_the_reviews_page_in_chinese_and_english_with_filters_and_no_nicknames(host):
    with host.app_context():
        app_id = add_app("府城頁面")
        add_reviews(app_id, 12)
    client = host.test_client()
    login(client, "staff")
    app_page = client.get(f"/appgov/apps/{app_id}").get_data(as_text=True)
    assert f'href="/appgov/apps/{app_id}/reviews"' in app_page  # linked from the app page
    page = client.get(f"/appgov/apps/{app_id}/reviews").get_data(as_text=True)
    text = visible_text(page)
    assert page.count("<h1") == 1 and zh(host, "Store reviews and ratings") in text
    assert "115/11/01" in text and "民國 115 年 11 月 5 日" in text  # ROC dates (TIME-5)
    assert "2026-11-01" not in text and "暱稱" not in text  # nicknames kept, never shown
    assert "4.25" in text and "1,180" in text
    only = visible_text(
        client.get(f"/appgov/apps/{app_id}/reviews?store=ios&rating=2").get_data(as_text=True)
    )
    assert "評論1 " in only + " " and "評論0" not in only and "評論3" not in only
    bad = client.get(f"/appgov/apps/{app_id}/reviews?rating=9&store=x")
    bad_text = visible_text(bad.get_data(as_text=True))
    assert bad.status_code == 400  # each bad filter named
    assert zh(host, "Store: “%(value)s” is not a store.", value="x") in bad_text
    assert zh(host, "Stars: “%(value)s” is not a star rating from 1 to 5.", value="9") in bad_text
    assert client.post("/locale/en").status_code == 302
    english = visible_text(client.get(f"/appgov/apps/{app_id}/reviews").get_data(as_text=True))
    assert "Store reviews and ratings" in english and "2026-11-01" in english
    assert "115/11/01" not in english
    form = client.get(f"/appgov/apps/{app_id}/reviews/import").get_data(as_text=True)
    assert 'value="Check the file only (nothing is stored)"' in form
    assert "Google Play" in visible_text(form) and 'lang="en"' in form


def test_the_reviews_page_reads_a_constant_number_of_queries(host):
    with host.app_context():
        small = add_app("府城少量")
        large = add_app("府城大量")
        add_reviews(small, 3)
        add_reviews(large, 140)
    client = host.test_client()
    login(client, "reviewer")
    counts = []
    for app_id in (small, large):
        client.get(f"/appgov/apps/{app_id}/reviews")  # warm
        with counting_queries(host) as statements:
            assert client.get(f"/appgov/apps/{app_id}/reviews?page=1").status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1]
    page = client.get(f"/appgov/apps/{large}/reviews?page=3").get_data(as_text=True)
    assert "140" in visible_text(page) and "101–140" in visible_text(page)


def test_the_reviews_and_ratings_exports(host):
    with host.app_context():
        app_id = add_app("府城匯出")
        add_reviews(app_id, 4)
    client = host.test_client()
    login(client, "head")
    data = client.get(f"/appgov/apps/{app_id}/reviews.csv?store=android").data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert (
        len(rows) == 3
        and rows[0][2] == zh(host, "Stars")
        and {r[1] for r in rows[1:]} == {"Google Play"}
    )
    assert all("暱稱" not in cell for row in rows for cell in row)
    sheet = openpyxl.load_workbook(
        io.BytesIO(client.get(f"/appgov/apps/{app_id}/ratings.xlsx").data)
    ).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[1][2:] == [4.25, 1180]
    ods = client.get(f"/appgov/apps/{app_id}/reviews.ods")
    assert (
        ods.status_code == 200 and ods.mimetype == "application/vnd.oasis.opendocument.spreadsheet"
    )


def test_the_demo_app_has_reviews_and_ratings_of_both_stores(host):
    with host.app_context():
        stores = set(
            db.session.execute(
                sa.select(StoreReview.store, StoreRating.store).join(
                    StoreRating, StoreRating.app_id == StoreReview.app_id
                )
            ).all()
        )
        replied = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(StoreReview)
            .where(StoreReview.reply_text.is_not(None))
        )
    assert {a for a, _b in stores} == {"android", "ios"} and {b for _a, b in stores} == {
        "android",
        "ios",
    }
    assert replied >= 2
