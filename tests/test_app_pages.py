"""The app list and the app page (issue 10): who sees which app, filters, search, pages,
query counts that do not grow with the registry, the page's content in both languages, the
icon route, Flask-Admin's read-only status and version with the recorded correction, and
the host's paged inbox. SQLite and PostgreSQL (the ``database_url`` fixture)."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
import sqlalchemy as sa
from casework import counting_queries, linked_case_ids
from casework import visible_text as raw_text
from form_samples import SAMPLE_FILES
from hosting import login

from appgov_plugin import uploads
from appgov_plugin.apps.case_types import PROPOSAL
from appgov_plugin.apps.models import App
from appgov_plugin.lifecycle.case_types import DELISTING, LISTING
from appgov_plugin.lifecycle.models import AppCase, AppEvent, Deadline
from sample_host.extensions import db
from sample_host.models import Agency, Case, CaseHistory, User

UTC = dt.UTC


def visible_text(page: str) -> str:
    """What a reader sees, blanks collapsed."""
    return " ".join(raw_text(page).split())


def demo_apps(app) -> set[str]:
    """The names of the apps the demo data brought (left out of the comparisons)."""
    with app.app_context():
        return set(db.session.scalars(sa.select(App.name)))


@pytest.fixture
def host(make_host):
    return make_host("tainan")


def add_app(name, agency="tainan-tourism", status="listed", version="1.0.0", **extra) -> int:
    app = App(name=name, agency_code=agency, status=status, version=version, **extra)
    db.session.add(app)
    db.session.commit()
    return app.id


def add_apps(count, agency="tainan-tourism", prefix="應用") -> None:
    """``count`` apps in one INSERT (executemany), half on both stores."""
    db.session.execute(
        sa.insert(App),
        [
            {
                "name": f"{prefix}{number:04d}",
                "agency_code": agency,
                "status": "listed",
                "version": "1.0.0",
                "description": "",
                "ios_url": "https://apps.apple.com/tw/app/id1" if number % 2 else None,
                "android_url": "https://play.google.com/store/apps/details?id=x",
            }
            for number in range(count)
        ],
    )
    db.session.commit()


def add_history(app_id, count, start=dt.datetime(2026, 1, 5, 2, 0, tzinfo=UTC)) -> None:
    """``count`` version steps of app ``app_id``, each with a linked listing case and an open
    deadline (case ids from 10,000 up: the page reads the links, not the host's cases)."""
    base = 10_000 + app_id * 1000
    for number in range(count):
        case_id = base + number
        db.session.add(
            AppEvent(
                app_id=app_id,
                at=start + dt.timedelta(days=number),
                kind="version",
                actor="reviewer",
                case_id=case_id,
                from_status="listed",
                to_status="listed",
                version=f"1.{number + 1}.0",
                details={"security_report": {"sha256": "0" * 64}} if number % 2 else {},
            )
        )
        db.session.add(
            AppCase(
                case_id=case_id,
                app_id=app_id,
                type_key=LISTING,
                status="submitted",
                agency_code="tainan-tourism",
            )
        )
        db.session.add(
            Deadline(
                case_id=case_id,
                app_id=app_id,
                type_key=LISTING,
                state="submitted",
                kind="plan_review",
                started_on=dt.date(2026, 1, 5),
                due_on=dt.date(2026, 1, 20) + dt.timedelta(days=number),
            )
        )
    db.session.commit()


def page_text(client, url, **query) -> str:
    response = client.get(url, query_string=query) if query else client.get(url)
    assert response.status_code == 200, (url, query, response.status_code)
    return response.get_data(as_text=True)


def listed_names(page: str) -> list[str]:
    page = re.sub(r'<span lang="zh-Hant-TW">([^<]*)</span>', r"\1", page)  # language marks
    return re.findall(r'<a href="/appgov/apps/\d+">([^<]+)</a>', page)


def speak(client, locale):
    assert client.post(f"/locale/{locale}").status_code == 302


# -- who sees what ------------------------------------------------------------------------


def test_each_role_sees_the_apps_of_its_scope_and_404_for_others(host):
    with host.app_context():
        own = add_app("府城觀光導覽")
        city = add_app("智慧南市", agency="tainan-sdc")
        other = add_app("高雄好行", agency="kaohsiung-tb")
    demo = demo_apps(host) - {"府城觀光導覽", "智慧南市", "高雄好行"}
    client = host.test_client()
    seen = {
        # agency staff and head: their own agency's apps only
        "staff": {"府城觀光導覽"},
        "head": {"府城觀光導覽"},
        # city-wide roles: every agency of their city
        "reviewer": {"府城觀光導覽", "智慧南市"},
        "helpdesk": {"府城觀光導覽", "智慧南市"},
        # the administrator: every city's
        "admin": {"府城觀光導覽", "智慧南市", "高雄好行"},
    }
    ids = {"府城觀光導覽": own, "智慧南市": city, "高雄好行": other}
    for username, names in seen.items():
        login(client, username)
        listed = set(listed_names(page_text(client, "/appgov/"))) - demo
        assert listed == names, username
        for name, app_id in ids.items():
            expected = 200 if name in names else 404
            assert client.get(f"/appgov/apps/{app_id}").status_code == expected, (username, name)
            # the icon route answers alike: 404 for an app out of scope (and none stored)
            assert client.get(f"/appgov/apps/{app_id}/icon").status_code == 404
    # a guessed id answers the same 404
    assert client.get("/appgov/apps/999999").status_code == 404
    # another agency's code in the filter: refused by name, not shown
    login(client, "staff")
    refused = client.get("/appgov/", query_string={"agency": "kaohsiung-tb"})
    assert refused.status_code == 400
    assert "高雄好行" not in refused.get_data(as_text=True)


def test_the_agency_filter_offers_the_visible_agencies_in_the_readers_language(host):
    client = host.test_client()
    login(client, "reviewer")
    page = page_text(client, "/appgov/")
    options = re.search(r'<select[^>]*name="agency".*?</select>', page, re.S).group(0)
    assert "臺南市政府觀光旅遊局" in options and "臺南市政府智慧發展中心" in options
    assert "kaohsiung" not in options and "高雄" not in options
    speak(client, "en")
    options = re.search(
        r'<select[^>]*name="agency".*?</select>', page_text(client, "/appgov/"), re.S
    )
    assert "Tainan City Tourism Bureau" in options.group(0)


# -- filters, search, pages ---------------------------------------------------------------


def test_filters_and_search(host):
    demo = demo_apps(host)
    with host.app_context():
        add_app(
            "府城好行",
            ios_url="https://apps.apple.com/tw/app/id1",
            android_url="https://play.google.com/store/apps/details?id=a",
        )
        add_app("Tainan Go", status="in_development", version=None)
        add_app("臺南美食地圖", android_url="https://play.google.com/store/apps/details?id=b")
        add_app("智慧南市", agency="tainan-sdc", status="suspended")
    client = host.test_client()
    login(client, "reviewer")

    def names(**query):
        return set(listed_names(page_text(client, "/appgov/", **query))) - demo

    assert names(status="in_development") == {"Tainan Go"}
    assert names(status="suspended") == {"智慧南市"}
    assert names(platform="ios") == {"府城好行"}
    assert names(platform="android") == {"府城好行", "臺南美食地圖"}
    assert names(agency="tainan-sdc") == {"智慧南市"}
    # search: case-insensitive, a Chinese substring
    assert names(q="tainan GO") == {"Tainan Go"}
    assert names(q="好行") == {"府城好行"}
    assert names(q="美食") == {"臺南美食地圖"}
    assert names(q="臺南", platform="android") == {"臺南美食地圖"}
    assert names(q="%") == set()  # a LIKE wildcard is a character like any other
    none = page_text(client, "/appgov/", q="不存在的App")
    assert "No app matches these filters." in none or "沒有" in none


@pytest.mark.parametrize(
    "query, named",
    [
        ({"status": "bogus"}, "Status"),
        ({"platform": "windows"}, "Platform"),
        ({"agency": "nowhere"}, "Agency"),
        ({"page": "abc"}, "Page"),
        ({"page": "-1"}, "Page"),
        ({"page": "99999999999"}, "Page"),
    ],
)
def test_a_bad_filter_is_named_never_a_500(host, query, named):
    client = host.test_client()
    login(client, "reviewer")
    speak(client, "en")
    response = client.get("/appgov/", query_string=query)
    assert response.status_code == 400
    text = visible_text(response.get_data(as_text=True))
    assert f"{named}: “{next(iter(query.values()))}”" in text
    assert "Correct the filters above to see the apps." in text


def test_pages_of_fifty_with_the_total_and_a_constant_query_count(host):
    client = host.test_client()
    login(client, "reviewer")
    demo = len(demo_apps(host))
    assert demo < 10
    with host.app_context():
        add_apps(10 - demo)  # with the demo apps: 10

    def measured(**query):
        with counting_queries(host) as statements:
            page = page_text(client, "/appgov/", **query)
        return len(statements), page

    measured()  # the first request of a process reads what it keeps (policy, forms)
    few, page = measured()
    assert len(listed_names(page)) == 10 and 'aria-label="Page 2"' not in page
    with host.app_context():
        add_apps(190, prefix="程式")  # 200 in all
        # cases and deadlines on many apps: still one grouped query each
        ids = db.session.scalars(sa.select(App.id).order_by(App.id).limit(60)).all()
        for app_id in ids:
            db.session.add(
                AppCase(
                    case_id=50_000 + app_id,
                    app_id=app_id,
                    type_key=LISTING,
                    status="submitted",
                    agency_code="tainan-tourism",
                )
            )
        db.session.commit()
    many, page = measured()
    assert few == many, (few, many)
    assert len(listed_names(page)) == 50
    speak(client, "en")
    page = page_text(client, "/appgov/")
    assert "200 apps, 1–50 shown" in visible_text(page)
    assert 'aria-label="Page 2"' in page and 'aria-label="Page 4"' in page
    assert 'aria-current="page"' in page and 'aria-label="Next page"' in page
    last_count, last = measured(page="4")
    assert last_count == few
    assert len(listed_names(last)) == 50 and "200 apps, 151–200 shown" in visible_text(last)
    # filters stay in the page links
    filtered = page_text(client, "/appgov/", q="程式")
    assert "190 apps, 1–50 shown" in visible_text(filtered)
    assert re.search(r'href="/appgov/\?q=%E7%A8%8B%E5%BC%8F&amp;page=2"', filtered)
    beyond = page_text(client, "/appgov/", page="9")
    assert "There is no such page." in beyond
    # the open cases column counts the linked cases (one each on the first apps)
    first = page_text(client, "/appgov/")
    assert re.search(r"<td>1</td>", first)


# -- the app page --------------------------------------------------------------------------


def store_icon(app) -> dict:
    with app.test_request_context():
        return uploads.store(io.BytesIO(SAMPLE_FILES["png"]), "圖示.png", ["png", "jpeg"], 10**6)


def test_the_app_page_in_chinese_and_english(host):
    icon = store_icon(host)
    with host.app_context():
        app_id = add_app(
            "府城好行",
            version="1.2.0",
            ios_url="https://apps.apple.com/tw/app/id1234567890",
            android_url="https://play.google.com/store/apps/details?id=tw.gov.tainan.go",
            icon=icon,
            listed_on=dt.date(2026, 1, 5),
        )
        add_history(app_id, 2)
        db.session.add(
            AppCase(
                case_id=777,
                app_id=app_id,
                type_key=DELISTING,
                status="draft",
                agency_code="tainan-tourism",
            )
        )
        db.session.commit()
    client = host.test_client()
    login(client, "staff")
    page = page_text(client, f"/appgov/apps/{app_id}")
    text = visible_text(page)
    assert "府城好行" in text and "臺南市政府觀光旅遊局" in text and "已上架" in text
    assert "民國 115 年 1 月 5 日" in text  # listed on, ROC (TIME-5)
    assert "115/01/05" in text and "115/01/06" in text  # version dates, ROC
    assert "2026-01-05" not in text
    # store links leave the page without handing it to the store
    assert 'href="https://apps.apple.com/tw/app/id1234567890" rel="noopener noreferrer"' in page
    assert (
        'href="https://play.google.com/store/apps/details?id=tw.gov.tainan.go" rel="noopener'
        in page
    )
    # the icon through its own route, to anyone who may see the app
    assert f'src="/appgov/apps/{app_id}/icon"' in page
    served = client.get(f"/appgov/apps/{app_id}/icon")
    assert served.status_code == 200 and served.data == SAMPLE_FILES["png"]
    assert served.headers["Content-Type"] == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    # the cases, linked to the host's case page, with type, state and due date
    assert 'href="/cases/777"' in page and f'href="/cases/{10_000 + app_id * 1000}"' in page
    assert "115/01/20" in text  # the first listing case's due date, ROC
    # the staff of the app's agency may open the next lifecycle cases for it
    assert f'href="/cases/new/{LISTING}?app={app_id}"' in page
    assert f'href="/cases/new/{DELISTING}?app={app_id}"' in page

    speak(client, "en")
    text = visible_text(page_text(client, f"/appgov/apps/{app_id}"))
    assert "Listed on 2026-01-05" in text.replace(": ", " ") or "2026-01-05" in text
    assert "Version history" in text and "1.2.0" in text and "1.1.0" in text
    # the version history: version, date, step, case, security test report yes/no
    rows = re.findall(
        r"<tr>\s*<td>(1\.\d\.0)</td>.*?</tr>", page_text(client, f"/appgov/apps/{app_id}"), re.S
    )
    assert rows[:2] == ["1.2.0", "1.1.0"]
    versions = page_text(client, f"/appgov/apps/{app_id}").split('class="table table-sm versions"')[
        1
    ]
    versions = visible_text(versions.split("</table>")[0])
    assert re.search(r"1\.2\.0 2026-01-06 New version #\d+ Yes", versions), versions
    assert re.search(r"1\.1\.0 2026-01-05 New version #\d+ No", versions), versions
    assert "Overdue" in text  # past due dates, in words
    # the mayor-mailbox section (appgov_plugin/mailbox): TN-EVAL-4 asks for the link
    assert "Linked to the mayor mailbox No" in text and "TN-EVAL-4" in text
    assert "File a version change" in text


def test_the_next_case_buttons_follow_status_role_and_agency(host):
    with host.app_context():
        developing = add_app("開發中App", status="in_development", version=None)
        delisted = add_app("已下架App", status="delisted")
    client = host.test_client()
    login(client, "staff")
    page = page_text(client, f"/appgov/apps/{developing}")
    assert f'href="/cases/new/{LISTING}?app={developing}"' in page
    assert f"/cases/new/{DELISTING}" not in page  # nothing listed to delist
    assert "/cases/new/" not in page_text(client, f"/appgov/apps/{delisted}")
    # the reviewer decides, never files: no buttons
    login(client, "reviewer")
    assert "/cases/new/" not in page_text(client, f"/appgov/apps/{developing}")


def test_the_app_page_costs_the_same_queries_with_3_or_30_cases(host):
    with host.app_context():
        small = add_app("小App")
        large = add_app("大App")
        add_history(small, 3)
        add_history(large, 30)
    client = host.test_client()
    login(client, "staff")
    page_text(client, f"/appgov/apps/{small}")  # the process's first read of the policy
    counts = []
    for app_id in (small, large):
        with counting_queries(host) as statements:
            page = page_text(client, f"/appgov/apps/{app_id}")
        counts.append(len(statements))
        assert len(re.findall(r'href="/cases/1\d{4}"', page)) >= 3
    assert counts[0] == counts[1], counts


def test_an_icon_that_is_not_an_image_is_not_served(host):
    with host.test_request_context():
        pdf = uploads.store(io.BytesIO(SAMPLE_FILES["pdf"]), "icon.png", ["pdf"], 10**6)
    with host.app_context():
        app_id = add_app("假圖示", icon=pdf)
    client = host.test_client()
    login(client, "staff")
    assert client.get(f"/appgov/apps/{app_id}/icon").status_code == 404


# -- Flask-Admin: status and version read-only, the recorded correction --------------------


def app_row(app, app_id):
    with app.app_context():
        db.session.expire_all()
        row = db.session.get(App, app_id)
        return row.status, row.version


def events(app, app_id):
    with app.app_context():
        return [
            (e.kind, e.actor, e.from_status, e.to_status, e.version, e.reason, e.details)
            for e in db.session.scalars(
                sa.select(AppEvent).where(AppEvent.app_id == app_id).order_by(AppEvent.id)
            )
        ]


def test_admin_cannot_move_status_or_version_through_the_edit_form(host):
    with host.app_context():
        app_id = add_app("府城好行", version="1.4.2")
    client = host.test_client()
    login(client, "admin")
    form = page_text(client, f"/admin/appgov_app/edit/?id={app_id}")
    assert 'name="status"' not in form and 'name="version"' not in form
    client.post(
        f"/admin/appgov_app/edit/?id={app_id}",
        data={
            "name": "府城好行",
            "agency_code": "tainan-tourism",
            "status": "delisted",
            "version": "v9-beta",
        },
    )
    assert app_row(host, app_id) == ("listed", "1.4.2")
    assert events(host, app_id) == []


def test_admin_corrects_with_a_reason_recorded_in_the_history(host):
    with host.app_context():
        app_id = add_app("府城好行", version="1.4.2")
    client = host.test_client()
    login(client, "admin")
    speak(client, "en")
    assert client.get(f"/admin/appgov_app/correct/?id={app_id}").status_code == 200
    # KH-VER-1: a malformed version refused by name; no reason refused by name
    refused = client.post(
        f"/admin/appgov_app/correct/?id={app_id}",
        data={"status": "listed", "version": "v9-beta", "reason": ""},
    )
    text = visible_text(refused.get_data(as_text=True))
    assert refused.status_code == 200
    assert "“v9-beta” is not a version number" in text and "KH-VER-1" in text
    assert "Please correct: Version, Reason." in text
    unknown = client.post(
        f"/admin/appgov_app/correct/?id={app_id}",
        data={"status": "retired", "version": "1.4.2", "reason": "x"},
    )
    assert "Please correct: Status." in visible_text(unknown.get_data(as_text=True))
    assert app_row(host, app_id) == ("listed", "1.4.2") and events(host, app_id) == []

    done = client.post(
        f"/admin/appgov_app/correct/?id={app_id}",
        data={"status": "suspended", "version": "1.5.0", "reason": "上架資料誤植"},
    )
    assert done.status_code == 302
    assert app_row(host, app_id) == ("suspended", "1.5.0")
    [step] = events(host, app_id)
    assert step[:6] == ("corrected", "admin", "listed", "suspended", "1.5.0", "上架資料誤植")
    assert step[6]["from_version"] == "1.4.2" and step[6]["to_version"] == "1.5.0"
    page = visible_text(page_text(client, f"/appgov/apps/{app_id}"))
    assert "Corrected by an administrator" in page and "1.4.2 → 1.5.0" in page
    assert "上架資料誤植" in page

    # registering an app is a recorded step too, with its reason
    created = client.post(
        "/admin/appgov_app/new/",
        data={
            "name": "既有App",
            "agency_code": "tainan-tourism",
            "status": "listed",
            "version": "2.0.0",
            "registration_reason": "系統上線前已上架",
        },
    )
    assert created.status_code == 302
    with host.app_context():
        new_id = db.session.scalar(sa.select(App.id).where(App.name == "既有App"))
    assert [e[:6] for e in events(host, new_id)] == [
        ("registered", "admin", "listed", "listed", "2.0.0", "系統上線前已上架")
    ]


@pytest.mark.parametrize("username", ["staff", "reviewer", "helpdesk"])
def test_a_non_admin_gets_403_on_the_correction(host, username):
    with host.app_context():
        app_id = add_app("府城好行", version="1.4.2")
    client = host.test_client()
    login(client, username)
    assert client.get(f"/admin/appgov_app/correct/?id={app_id}").status_code == 403
    response = client.post(
        f"/admin/appgov_app/correct/?id={app_id}",
        data={"status": "delisted", "version": "9.0.0", "reason": "x"},
    )
    assert response.status_code == 403
    assert app_row(host, app_id) == ("listed", "1.4.2") and events(host, app_id) == []


# -- the host's inbox, paged ---------------------------------------------------------------


def add_submitted_proposals(count) -> None:
    """``count`` proposals of staff in review, in two INSERTs (cases, then their submit
    steps): the reviewer's inbox."""
    staff = db.session.scalar(sa.select(User).where(User.username == "staff"))
    agency = db.session.scalar(sa.select(Agency).where(Agency.code == "tainan-tourism"))
    first = (db.session.scalar(sa.select(sa.func.max(Case.id))) or 0) + 1
    now = dt.datetime(2026, 11, 1, tzinfo=UTC)
    db.session.execute(
        sa.insert(Case),
        [
            {
                "id": first + n,
                "type_key": PROPOSAL,
                "agency_id": agency.id,
                "status": "in_review",
                "data": {"app_name": f"批次{n}"},
                "owner_id": staff.id,
                "created_at": now,
                "updated_at": now + dt.timedelta(minutes=n),
                "search_text": "",
            }
            for n in range(count)
        ],
    )
    db.session.execute(
        sa.insert(CaseHistory),
        [
            {
                "case_id": first + n,
                "actor_id": staff.id,
                "at": now,
                "transition": "submit",
                "from_state": "draft",
                "to_state": "in_review",
                "comment": "",
                "previous_hash": "0" * 64,
                "row_hash": f"{first + n:064d}",
            }
            for n in range(count)
        ],
    )
    db.session.commit()


def test_the_inbox_pages_each_section_with_one_query_each(host):
    client = host.test_client()
    login(client, "reviewer")

    def measured(**query):
        with counting_queries(host) as statements:
            page = page_text(client, "/inbox", **query)
        return len(statements), page

    with host.app_context():
        add_submitted_proposals(5)
    measured()  # the process's first read of the policy and forms
    few, page = measured()
    with host.app_context():
        add_submitted_proposals(115)
    many, page = measured()
    assert few == many, (few, many)
    waiting = page.split("待您處理", 1)[1].split("您提出的案件", 1)[0]
    assert len(linked_case_ids(waiting)) == 50
    speak(client, "en")
    _count, page = measured()
    text = visible_text(page)
    assert re.search(r"1\d\d cases in all", text)
    assert 'href="/inbox?act_page=2"' in page and "Page 1 of 3" in text
    third_count, third = measured(act_page="3")
    assert third_count == few
    waiting = third.split("Waiting for you", 1)[1].split("Cases you opened", 1)[0]
    assert 0 < len(linked_case_ids(waiting)) <= 50
    assert 'href="/inbox?act_page=2"' in third  # back a page
    # the staff member's own cases: the other section, paged alike
    login(client, "staff")
    page = page_text(client, "/inbox")
    owned = (
        page.split("Cases you opened", 1)[1]
        if "Cases you opened" in page
        else page.split("您提出的案件", 1)[1]
    )
    assert len(linked_case_ids(owned)) == 50 and "own_page=2" in page
