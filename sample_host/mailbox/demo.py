"""Demo requests in the sample mayor mailbox: feedback on the demo's listed app of the
Tourism Bureau (appgov's demo registers "臺南市政府觀光旅遊局行動服務"), one of them replied
and closed by the demo officer (``officer``). Citizens' addresses are on the reserved
example domain and the phone numbers are made up.

appgov's own demo shows two feedback items as already forwarded, with the mailbox's numbers
1150000901 and 1150000902 (``appgov_plugin/mailbox/demo_feedback.py``): the sample mailbox
holds them under those numbers, the second one answered and closed, so ``flask appgov mailbox
sync`` on a fresh demo finds every item it asks for."""

from __future__ import annotations

import datetime as dt

from flask import current_app

from ..extensions import db
from ..models import Agency
from . import DEMO_API_KEY, store
from .open311 import SERVICE_CODE

#: (last name, first name, e-mail, phone, description, days ago)
REQUESTS = (
    (
        "李",
        "怡君",
        "citizen1@example.org",
        "0912-345-678",
        "活動頁面的地圖在手機上無法放大，希望能改善。",
        9,
    ),
    (
        "Chen",
        "David",
        "citizen2@example.org",
        None,
        "The English event list shows last year's lantern festival dates.",
        4,
    ),
    ("張", "志明", None, "06-2991111", "App 推播通知太頻繁，能否讓使用者選擇類別？", 2),
)
#: The two items appgov's demo records as forwarded: (number, last name, first name, e-mail,
#: phone, description, days ago, the officer's reply that closed it or None).
FORWARDED = (
    (
        "1150000901",
        "林",
        "志豪",
        None,
        "0922123456",
        "活動報名頁面送出後沒有收到確認信，請問要如何確認報名成功？聯絡電話 0922-123-456。",
        6,
        None,
    ),
    (
        "1150000902",
        "張",
        "雅婷",
        "yating@example.org",
        None,
        "建議在景點介紹加入無障礙設施資訊，例如電梯與無障礙廁所的位置。",
        12,
        "感謝您的建議。本局已於景點介紹新增無障礙設施欄位，將於下一版 App 上線。",
    ),
)
#: The demo officer's reply to the first request, which is then closed.
REPLY = "感謝您的建議。觀光旅遊局已於新版 App 修正地圖縮放功能，請更新至最新版本。"


def load(users) -> None:
    """Add the demo requests (inside the seeding transaction; nothing is committed here)."""
    agency = db.session.query(Agency).filter_by(code="tainan-tourism").one_or_none()
    officer = next((u for u in users if u.role == "mailbox_officer"), None)
    now = dt.datetime.now(dt.UTC)
    given = [
        (None, *request, REPLY if index == 0 else None) for index, request in enumerate(REQUESTS)
    ]
    for index, (number, last, first, email, phone, text, days, reply) in enumerate(
        [*given, *FORWARDED], start=1
    ):
        received = now - dt.timedelta(days=days)
        row = store.MailboxRequest(
            service_code=SERVICE_CODE,
            idempotency_key=f"demo-mailbox-{index}",
            description=text,
            last_name=last,
            first_name=first,
            email=email,
            phone=phone,
            app_name=f"{agency.name_zh}行動服務" if agency else None,
            agency_code=agency.code if agency else None,
            agency_name=agency.name_zh if agency else None,
            locale="en" if last == "Chen" else "zh_Hant_TW",
            requested_at=received,
            received_at=received,
            updated_at=received,
            status="open",
        )
        db.session.add(row)
        db.session.flush()
        row.service_request_id = number or store.number_for(row.id, received)
        if officer is not None and reply:
            row.status_notes = reply
            row.agency_responsible = row.agency_name
            store.record(row, officer, "reply", reply)
            row.status = "closed"
            store.record(row, officer, "close")
    db.session.flush()


def notes() -> list[str]:
    """What the first start prints beside the demo logins: the mailbox's Open311 address and
    key, when the key is the demo's (a deployment's own key is never printed)."""
    if current_app.config.get("HOST_MAILBOX_API_KEY") != DEMO_API_KEY:
        return []
    return [
        "sample_host: the mayor mailbox's Open311 endpoint is /mailbox/open311/v2 "
        f"(api_key {DEMO_API_KEY}, service_code {SERVICE_CODE}); its officer logs in as officer."
    ]
