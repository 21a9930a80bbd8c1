"""The roll-out meetings (issue 12, section 3: TP-WG-3, TP-WG-4) in the sample host under the
Taipei profile: the cadence by phase and the next meeting due per body, minutes late across
Lunar New Year 2027 (``policy.deadline("minutes", ...)``), three consecutive council meetings
missed in person lose the seat (two do not; online is not in person) and the agency is asked
to appoint another (TP-WG-4 on its page and in the compliance), the pages' permissions per
role, bad input answered naming the field with nothing written, zh (ROC dates) and en, the
exports, and a number of statements on the list that does not grow with the meetings.
SQLite and PostgreSQL (the ``database_url`` fixture)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile

import pytest
import sqlalchemy as sa
from casework import counting_queries, visible_text
from hosting import login
from test_rollout_dashboard import clear_registry

import appgov_plugin
from appgov_plugin.rollout import meeting_views, meetings
from appgov_plugin.rollout.compliance import compliance
from appgov_plugin.rollout.models import (
    MajorSystem,
    RolloutAgency,
    RolloutPerson,
    SystemScope,
)
from appgov_plugin.rollout.models_meetings import ATTENDANCE, CouncilSeat, Meeting
from sample_host.extensions import db

#: The pages' day (a Wednesday after Lunar New Year 2027): 民國 116 年 3 月 3 日.
DAY = dt.date(2027, 3, 3)
#: A meeting just before Lunar New Year 2027 (the holidays run 4 to 10 February).
BEFORE_NEW_YEAR = dt.date(2027, 2, 3)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
OWN = "tainan-tourism"  # the demo's agency staff and head
OTHER = "rt-other"
FAR = "tp-far"  # an agency of another city


@pytest.fixture
def host(make_host, monkeypatch):
    monkeypatch.setattr(meeting_views, "today", lambda: DAY)
    return make_host("taipei")


def clear() -> None:
    """No registry rows but the test's own (the demo's removed with what refers to it)."""
    clear_registry()


_numbers = iter(range(1, 10**6))


def person(code: str, name: str | None = None) -> str:
    number = next(_numbers)
    employee_id = f"M{number:06d}"
    db.session.add(
        RolloutPerson(employee_id=employee_id, name=name or f"代表{number}", agency_code=code)
    )
    return employee_id


def registry(phase: str = "golive", agencies=(OWN, OTHER)) -> None:
    db.session.add(MajorSystem(code="erp", name_zh="公文系統", name_en="ERP", phase=phase))
    db.session.flush()
    system = db.session.scalar(sa.select(MajorSystem.id).where(MajorSystem.code == "erp"))
    for code in agencies:
        db.session.add(
            RolloutAgency(
                code=code,
                name_zh=f"{code} 機關",
                name_en=f"{code} agency",
                city="taipei" if code == FAR else "tainan",
                kind="level2",
                headcount=100,
                headcount_on=DAY,
            )
        )
        db.session.add(SystemScope(system_id=system, agency_code=code))
    db.session.flush()


def build(app, make=registry, **kwargs) -> dict:
    with app.app_context():
        clear()
        make(**kwargs)
        ids = {"own": person(OWN, "王代表"), "other": person(OTHER, "李代表")}
        ids["own2"] = person(OWN, "陳代表")
        db.session.commit()
    return ids


def enter(client, username: str, locale: str = "en") -> None:
    login(client, username)
    assert client.post(f"/locale/{locale}").status_code == 302


def record(client, expect=303, **fields):
    data = {
        "system": "erp",
        "body": "council",
        "held_on": DAY.isoformat(),
        "mode": "in_person",
        "attendance": "",
        **fields,
    }
    response = client.post(
        "/appgov/rollout/meetings/new", data=data, content_type="multipart/form-data"
    )
    assert response.status_code == expect, (fields, response.get_data(as_text=True)[-3000:])
    return response


def meeting_count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Meeting))


# -- cadence and next due (TP-WG-4, TP-WG-3) --------------------------------------------------


def test_cadence_by_phase_tp_wg_4():
    for phase in ("planning", "development", "golive", "operations"):
        assert meetings.cadence("council", phase) == 2
    assert [meetings.cadence("steering", p) for p in ("planning", "development", "golive")] == [
        1,
        1,
        1,
    ]
    assert meetings.cadence("steering", "operations") == 3
    assert meetings.cadence("work_group", "golive") == 1
    # TP-WG-3: as needed in operations (and the rules set none before go-live)
    assert meetings.cadence("work_group", "operations") is None
    assert meetings.cadence("work_group", "planning") is None
    with pytest.raises(ValueError, match="'board'"):
        meetings.cadence("board", "golive")


def test_next_due_from_the_last_meeting_and_overdue():
    last = dt.date(2026, 12, 31)
    assert meetings.next_due(last, "council", "golive", DAY) == (dt.date(2027, 2, 28), True)
    assert meetings.next_due(last, "steering", "golive", dt.date(2027, 1, 31)) == (
        dt.date(2027, 1, 31),
        False,
    )
    assert meetings.next_due(last, "steering", "golive", dt.date(2027, 2, 1))[1] is True
    assert meetings.next_due(last, "steering", "operations", DAY) == (dt.date(2027, 3, 31), False)
    assert meetings.next_due(last, "work_group", "operations", DAY) == (None, False)
    assert meetings.next_due(None, "council", "golive", DAY) == (DAY, False)  # due now
    assert meetings.add_months(dt.date(2028, 1, 31), 1) == dt.date(2028, 2, 29)


def test_next_due_shown_per_body_and_system(host):
    build(host, phase="operations")
    client = host.test_client()
    enter(client, "itdept")
    record(client, body="council", held_on="2026-12-20")
    record(client, body="steering", held_on="2027-01-10")
    text = client.get("/appgov/rollout/meetings").get_data(as_text=True)
    rows = {
        body: " ".join(visible_text(row).split())
        for body, row in re.findall(
            r'<tr data-system="erp" data-body="(\w+)" data-agency="[^"]*"[^>]*>(.*?)</tr>',
            text,
            flags=re.S,
        )
    }
    assert 'data-body="council" data-agency="" class="table-warning"' in text  # 20 Feb passed
    assert "overdue (TP-WG-4)" in rows["council"]
    assert 'data-body="steering" data-agency="">' in text  # quarterly: 10 April, not overdue
    assert "2027-01-10 2027-04-10" in rows["steering"]  # last, next due (en: ISO dates)
    assert "every 3 months" in rows["steering"] and "every 2 months" in rows["council"]
    assert f'data-body="work_group" data-agency="{OWN}">' in text  # as needed: never overdue
    assert "as needed" in rows["work_group"] and "overdue" not in rows["work_group"]


# -- minutes (TP-WG-3) ------------------------------------------------------------------------


def test_minutes_late_across_lunar_new_year_tp_wg_3(host):
    policy = appgov_plugin.get_policy("taipei")
    due = policy.deadline("minutes", BEFORE_NEW_YEAR)
    assert due == dt.date(2027, 2, 17)  # 5 working days, the New Year's holidays skipped
    ids = build(host)
    client = host.test_client()
    enter(client, "itdept")
    on_time = record(
        client,
        body="work_group",
        agency=OWN,
        held_on=BEFORE_NEW_YEAR.isoformat(),
        attendance=f"{ids['own']} in_person",
        minutes=(io.BytesIO(PDF), "會議紀錄.pdf"),
        received_on=due.isoformat(),
    )
    late = record(
        client,
        body="work_group",
        agency=OWN,
        held_on=BEFORE_NEW_YEAR.isoformat(),
        minutes=(io.BytesIO(PDF), "late.pdf"),
        received_on=(due + dt.timedelta(days=1)).isoformat(),
    )
    first = client.get(on_time.headers["Location"]).get_data(as_text=True)
    assert 'data-state="on_time"' in first
    second = client.get(late.headers["Location"]).get_data(as_text=True)
    assert 'data-state="late"' in second and "TP-WG-3" in second
    minutes = client.get(on_time.headers["Location"] + "/minutes")
    assert minutes.status_code == 200 and minutes.data == PDF
    assert "filename*=UTF-8''" in minutes.headers["Content-Disposition"]
    with host.test_request_context():
        result = compliance(db.session, policy, DAY)
        breaches = {(s.agency_code, b.rule): b for s in result.statuses for b in s.breaches}
        assert breaches[(OWN, "TP-WG-3")].have == 1
        assert breaches[(OWN, "TP-WG-3")].due == due
        assert (OTHER, "TP-WG-3") not in breaches
    # in zh the deadline is a ROC date: 民國 116 年 2 月 17 日
    enter(client, "itdept", "zh_Hant_TW")
    zh = visible_text(client.get(late.headers["Location"]).get_data(as_text=True))
    assert "116" in zh and "2027" not in zh


# -- council seats (TP-WG-4) ------------------------------------------------------------------


def test_three_consecutive_meetings_missed_in_person_lose_the_seat_tp_wg_4(host):
    ids = build(host)
    client = host.test_client()
    enter(client, "itdept")
    days = ["2026-09-01", "2026-11-01", "2027-01-05", "2027-03-01"]
    # own: in person, then online, absent, represented (three missed: lost at the fourth);
    # other: absent, absent, in person, absent (never three in a row)
    own = ["in_person", "online", "absent", "represented"]
    other = ["absent", "absent", "in_person", "absent"]
    for number, day in enumerate(days):
        record(
            client,
            held_on=day,
            attendance=f"{ids['own']} {own[number]}\n{ids['other']} {other[number]}",
            mode="online" if number == 1 else "in_person",
        )
        with host.app_context():
            lost = {
                seat.agency_code: seat.lost_on
                for seat in db.session.scalars(sa.select(CouncilSeat))
                if seat.lost_on
            }
        if number < 3:
            assert lost == {}, (number, lost)  # two missed do not lose it
    assert lost == {OWN: dt.date(2027, 3, 1)}
    with host.test_request_context():
        policy = appgov_plugin.get_policy("taipei")
        rules = {
            (s.agency_code, b.rule)
            for s in compliance(db.session, policy, DAY).statuses
            for b in s.breaches
        }
    assert (OWN, "TP-WG-4") in rules and (OTHER, "TP-WG-4") not in rules
    # the agency's page asks it to appoint another
    enter(client, "staff")
    text = client.get(f"/appgov/rollout/agencies/{OWN}/meetings").get_data(as_text=True)
    assert "seat-lost" in text and "Appoint another representative" in text
    assert "王代表" in text
    # the form lists the seats still held (the other agency's), not the lost one
    enter(client, "itdept")
    form = client.get("/appgov/rollout/meetings/new?system=erp&body=council")
    text = form.get_data(as_text=True)
    assert "council-seats" in text and "李代表" in text and "王代表" not in text
    assert f"{ids['other']} \n" in text and f"{ids['own']} " not in text
    # the line left as prefilled names the line to complete
    response = record(client, expect=400, attendance=f"{ids['other']} \n")
    assert "Attendance, line 1: an employee id and how" in visible_text(
        response.get_data(as_text=True)
    )
    # another person of the agency at the next meeting takes the seat: the breach is gone
    record(client, held_on=DAY.isoformat(), attendance=f"{ids['own2']} in_person")
    with host.test_request_context():
        rules = {
            (s.agency_code, b.rule)
            for s in compliance(db.session, policy, DAY).statuses
            for b in s.breaches
        }
    assert (OWN, "TP-WG-4") not in rules


def test_online_attendance_is_not_in_person(host):
    ids = build(host)
    client = host.test_client()
    enter(client, "admin")
    for day in ("2026-09-01", "2026-11-01", "2027-01-05"):
        record(client, held_on=day, mode="online", attendance=f"{ids['other']} online")
    with host.app_context():
        seat = db.session.scalar(sa.select(CouncilSeat))
        assert seat.agency_code == OTHER and seat.lost_on == dt.date(2027, 1, 5)


# -- permissions per role ---------------------------------------------------------------------


def test_roles_read_and_record_what_they_may(host):
    ids = build(host, agencies=(OWN, OTHER, FAR))
    client = host.test_client()
    enter(client, "itdept")
    council = record(client, held_on="2027-02-01").headers["Location"]
    other_wg = record(
        client, body="work_group", agency=OTHER, attendance=f"{ids['other']} in_person"
    ).headers["Location"]
    for username in ("staff", "head"):
        enter(client, username)
        assert client.get("/appgov/rollout/meetings").status_code == 200
        assert client.get(council).status_code == 200
        assert client.get(other_wg).status_code == 404  # another agency's meeting
        assert client.get(other_wg + "/minutes").status_code == 404
        assert client.get(f"/appgov/rollout/agencies/{OTHER}/meetings").status_code == 404
        assert client.get("/appgov/rollout/meetings/999999").status_code == 404
        record(client, expect=403, body="council")  # not offered to an agency
        own = record(client, body="work_group", agency=OTHER + "x", held_on="2027-02-02")
        # an agency always records for itself, whatever the form says
        with host.app_context():
            made = db.session.get(Meeting, int(own.headers["Location"].rsplit("/", 1)[1]))
            assert made.agency_code == OWN and made.minutes_received_on is None
        listed = client.get("/appgov/rollout/meetings").get_data(as_text=True)
        assert other_wg.rsplit("/", 1)[1] not in [
            part.split('"')[0] for part in listed.split('data-meeting="')[1:]
        ]
    # the agency uploads its own minutes: received today
    meeting_id = own.headers["Location"].rsplit("/", 1)[1]
    response = client.post(
        f"/appgov/rollout/meetings/{meeting_id}/minutes",
        data={"minutes": (io.BytesIO(PDF), "m.pdf"), "received_on": "2027-02-02"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    with host.app_context():
        assert db.session.get(Meeting, int(meeting_id)).minutes_received_on == DAY
    # once received, the minutes (and the day they came) stand
    response = client.post(
        f"/appgov/rollout/meetings/{meeting_id}/minutes",
        data={"minutes": (io.BytesIO(PDF + b" "), "again.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "Minutes: already received on" in visible_text(response.get_data(as_text=True))
    with host.app_context():
        assert db.session.get(Meeting, int(meeting_id)).minutes_name == "m.pdf"
    # but not the council's
    council_id = council.rsplit("/", 1)[1]
    response = client.post(
        f"/appgov/rollout/meetings/{council_id}/minutes",
        data={"minutes": (io.BytesIO(PDF), "m.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 403
    for username in ("reviewer", "mayor", "helpdesk", "officer"):
        enter(client, username)
        assert client.get("/appgov/rollout/meetings").status_code == 403, username
        assert client.get(council).status_code == 403, username
        assert client.get("/appgov/rollout/meetings.csv").status_code == 403
        record(client, expect=403)
    enter(client, "admin")
    assert client.get(other_wg).status_code == 200
    far = record(client, body="work_group", agency=FAR).headers["Location"]
    # the IT department of Tainan: a Taipei agency's meeting is not there
    enter(client, "itdept")
    assert client.get(far).status_code == 404
    assert client.get(f"/appgov/rollout/agencies/{FAR}/meetings").status_code == 404
    response = record(client, expect=400, body="work_group", agency=FAR)
    assert f"Agency: {FAR} is not in the scope" in visible_text(response.get_data(as_text=True))
    listed = client.get("/appgov/rollout/meetings").get_data(as_text=True)
    assert f'data-meeting="{far.rsplit("/", 1)[1]}"' not in listed and FAR not in listed
    anonymous = host.test_client()
    assert anonymous.get("/appgov/rollout/meetings").status_code in (302, 401)


def test_bad_input_names_the_field_and_writes_nothing(host):
    ids = build(host)
    client = host.test_client()
    enter(client, "itdept")
    cases = [
        ({"attendance": f"{ids['own']} in_person\nNOBODY absent"}, "Attendance, line 2"),
        ({"attendance": f"{ids['own']} asleep"}, "Attendance, line 1"),
        ({"attendance": f"{ids['own']} online\n{ids['own']} absent"}, "listed twice"),
        ({"held_on": "2027-03-04"}, "Date: a meeting not yet held"),
        ({"body": "work_group"}, "Agency: a work group"),
        ({"body": "work_group", "agency": "nowhere"}, "Agency: nowhere is not in the scope"),
        (
            {"body": "work_group", "agency": OWN, "attendance": f"{ids['other']} in_person"},
            "is not of the work group",
        ),
        ({"minutes": (io.BytesIO(b"plain text, no pdf"), "m.pdf")}, "Minutes: not a PDF"),
        ({"minutes": (io.BytesIO(PDF), "m.pdf"), "received_on": "2027-01-01"}, "not before"),
        ({"received_on": "2027-03-03"}, "upload the minutes with the date"),
    ]
    for fields, message in cases:
        response = record(client, expect=400, **fields)
        assert message in visible_text(response.get_data(as_text=True)), message
    assert meeting_count(host) == 0
    with host.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CouncilSeat)) == 0
    # the minutes uploaded later: refused by content, nothing written
    meeting = record(client, held_on="2027-02-01").headers["Location"]
    for data, message in (
        ({"minutes": (io.BytesIO(b"PK\x03\x04 not really"), "m.docx")}, "Minutes: not a PDF"),
        ({"minutes": (io.BytesIO(b""), "m.pdf")}, "Minutes: "),
        ({"minutes": (io.BytesIO(PDF), "m.pdf"), "received_on": "2027-03-04"}, "not after today"),
    ):
        response = client.post(meeting + "/minutes", data=data, content_type="multipart/form-data")
        assert response.status_code == 400
        assert message in visible_text(response.get_data(as_text=True)), message
    with host.app_context():
        assert db.session.scalar(sa.select(Meeting.minutes_sha256)) is None
    text = client.get("/appgov/rollout/meetings?body=board&from=tomorrow").get_data(as_text=True)
    assert "Body: choose one" in text and "From: not a date" in text


# -- languages, exports, statements -----------------------------------------------------------


def test_pages_in_zh_with_roc_dates_and_in_en(host):
    ids = build(host)
    client = host.test_client()
    enter(client, "itdept", "zh_Hant_TW")
    location = record(
        client, held_on=BEFORE_NEW_YEAR.isoformat(), attendance=f"{ids['own']} in_person"
    ).headers["Location"]
    zh = visible_text(client.get(location).get_data(as_text=True))
    assert "116" in zh and "2027" not in zh
    assert "王代表" in zh
    # the attendance in the reader's words (the catalog's word for "Online" in zh)
    with host.test_request_context(headers={"Accept-Language": "zh-TW"}):
        from flask_babel import force_locale

        with force_locale("zh_Hant_TW"):
            online = str(ATTENDANCE["online"])
    typed = record(client, held_on="2027-02-24", attendance=f"{ids['other']} {online}")
    with host.app_context():
        made = db.session.get(Meeting, int(typed.headers["Location"].rsplit("/", 1)[1]))
        assert [a.status for a in made.attendance] == ["online"]
    response = record(client, expect=400, attendance=f"{ids['other']} 睡著")
    assert "「睡著」" in response.get_data(as_text=True) or "“睡著”" in response.get_data(
        as_text=True
    )
    enter(client, "itdept", "en")
    en = visible_text(client.get(location).get_data(as_text=True))
    assert "Coordination council" in en and "2027" in en and "In person" in en


def test_exports_in_three_formats(host):
    ids = build(host)
    client = host.test_client()
    enter(client, "itdept")
    record(
        client, held_on="2027-02-01", attendance=f"{ids['own']} in_person\n{ids['other']} absent"
    )
    csv_text = client.get("/appgov/rollout/meetings.csv").get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(csv_text)))
    assert rows[0][:3] == ["Date", "System", "Body"]
    assert rows[1][0] == "2027-02-01" and rows[1][2] == "Coordination council"
    assert rows[1][6:10] == ["1", "0", "1", "0"]
    for fmt in ("xlsx", "ods"):
        response = client.get(f"/appgov/rollout/meetings.{fmt}")
        assert response.status_code == 200
        assert zipfile.is_zipfile(io.BytesIO(response.data))


def test_the_list_costs_the_same_statements_whatever_the_meetings(host):
    ids = build(host)
    client = host.test_client()

    def statements() -> list[int]:
        counts = []
        for username, url in (
            ("itdept", "/appgov/rollout/meetings"),
            ("staff", "/appgov/rollout/meetings"),
            ("staff", f"/appgov/rollout/agencies/{OWN}/meetings"),
        ):
            enter(client, username)
            client.get(url)  # warm
            with counting_queries(host) as sent:
                assert client.get(url).status_code == 200
            counts.append(len(sent))
        enter(client, "itdept")
        return counts

    enter(client, "itdept")
    record(client, held_on="2027-01-01", attendance=f"{ids['own']} in_person")
    few = statements()
    for month in range(1, 13):
        record(
            client,
            body="work_group" if month % 2 else "steering",
            agency=OWN if month % 4 == 1 else OTHER,
            held_on=dt.date(2026, month, 2).isoformat(),
            attendance=f"{ids['own2']} online" if month % 4 == 1 else "",
        )
    assert statements() == few


@pytest.mark.parametrize("username", ["staff"])
def test_agency_records_its_work_group_with_minutes(host, username):
    ids = build(host)
    client = host.test_client()
    enter(client, username)
    form = client.get("/appgov/rollout/meetings/new").get_data(as_text=True)
    assert 'value="work_group"' in form and 'value="council"' not in form
    location = record(
        client,
        body="work_group",
        held_on="2027-02-24",
        attendance=f"{ids['own']} in_person\n{ids['own2']} online",
        minutes=(io.BytesIO(PDF), "紀錄.pdf"),
    ).headers["Location"]
    page = client.get(location).get_data(as_text=True)
    assert 'data-state="on_time"' in page and "紀錄.pdf" in visible_text(page)


def test_a_deployment_without_the_rules_says_so(make_host, monkeypatch):
    monkeypatch.setattr(meeting_views, "today", lambda: DAY)
    host = make_host("tainan")
    build(host)
    client = host.test_client()
    enter(client, "itdept")
    text = visible_text(client.get("/appgov/rollout/meetings").get_data(as_text=True))
    assert "does not apply these rules" in text and "TP-WG-3, TP-WG-4" in text
    taipei = make_host("taipei").test_client()
    enter(taipei, "itdept")
    text = visible_text(taipei.get("/appgov/rollout/meetings").get_data(as_text=True))
    assert "does not apply these rules" not in text
