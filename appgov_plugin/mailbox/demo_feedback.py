"""Demonstration feedback for the feedback pages (:mod:`.views`): a handful of citizens'
items on the demo's listed apps that are linked to the mayor mailbox (TN-EVAL-4), one in
each state a reader meets -- waiting to be forwarded (first try, and after failed attempts),
parked as failed, forwarded with the mailbox's number, closed with the mailbox's reply.

Runs after the intake's demo (``mailbox/demo.py``, which links the demo apps and issues the
demo keys). Each item's fields pass the intake's own checks (:func:`.intake.clean_feedback`);
the rows are written inside the demo's transaction (the host commits the whole demo once;
the intake's ``store_feedback`` commits on its own and dates each item now). The names,
e-mail addresses (``example.org``) and phone numbers are invented.
"""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from ..access import agency_name
from ..apps.models import App
from ..db import utcnow
from ..state import get_state
from .intake import clean_feedback
from .models import Feedback, FeedbackOutbox

#: (days ago, description, given name, family name, e-mail, phone, outbox state, attempts,
#: the mailbox's number, status, reply)
ITEMS = (
    (
        0,
        "公車動態頁面的到站時間和實際差了十分鐘以上，請協助確認資料來源。",
        "小明",
        "王",
        "wang.xiaoming@example.org",
        "0912345678",
        "pending",
        0,
        None,
        "open",
        None,
    ),
    (
        1,
        "App 裡的停車場空位數一直顯示 0，可是現場還有很多空位。",
        "美玲",
        "陳",
        "meiling@example.org",
        "0933111222",
        "pending",
        2,
        None,
        "open",
        None,
    ),
    (
        3,
        "The English page of the night market map has no opening hours. Could you add them?",
        "John",
        "Smith",
        "john.smith@example.org",
        "+886 987 654 321",
        "failed",
        12,
        None,
        "open",
        None,
    ),
    (
        6,
        "活動報名頁面送出後沒有收到確認信，請問要如何確認報名成功？聯絡電話 0922-123-456。",
        "志豪",
        "林",
        None,
        "0922123456",
        "sent",
        1,
        "1150000901",
        "open",
        None,
    ),
    (
        12,
        "建議在景點介紹加入無障礙設施資訊，例如電梯與無障礙廁所的位置。",
        "雅婷",
        "張",
        "yating@example.org",
        None,
        "sent",
        1,
        "1150000902",
        "closed",
        "感謝您的建議。本局已於景點介紹新增無障礙設施欄位，將於下一版 App 上線。",
    ),
)


def load(open_case, users) -> None:
    session = get_state().session
    apps = session.scalars(
        sa.select(App)
        .where(App.status == "listed", App.linked_to_mayor_mailbox.is_(True))
        .order_by(App.id)
    ).all()
    if not apps:
        return
    now = utcnow()
    for number, item in enumerate(ITEMS):
        (days, text, first, last, email, phone, state, attempts, mailbox_number, status, reply) = (
            item
        )
        app = apps[number % len(apps)]
        when = now - dt.timedelta(days=days, hours=number)
        forwarded = when + dt.timedelta(minutes=2) if mailbox_number else None
        given = {"description": text, "first_name": first, "last_name": last}
        given |= {"email": email, "phone": phone}
        fields = clean_feedback(MultiDict({k: v for k, v in given.items() if v}))
        feedback = Feedback(
            app_id=app.id,
            service_code=app.code,
            token=str(uuid.uuid4()),
            idempotency_key=str(uuid.uuid4()),
            **fields,
            locale="en" if first == "John" else "zh_Hant_TW",
            requested_at=when,
            updated_at=when + dt.timedelta(days=2) if reply else (forwarded or when),
            status=status,
            status_notes=reply,
            agency_responsible=agency_name(app.agency_code) if mailbox_number else None,
            service_request_id=mailbox_number,
            forwarded_at=forwarded,
            synced_at=when + dt.timedelta(days=2) if reply else None,
        )
        session.add(feedback)
        session.flush()
        session.add(
            FeedbackOutbox(
                feedback_id=feedback.id,
                state=state,
                attempts=attempts,
                next_attempt_at=now + dt.timedelta(minutes=5) if attempts else when,
                last_error="ConnectError: [Errno 111] Connection refused" if attempts > 1 else None,
                created_at=when,
                sent_at=forwarded,
            )
        )
    session.flush()
