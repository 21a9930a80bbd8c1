"""The roll call of a training session on a phone (390 px) and with the keyboard only (issue
13, section 3; TP-TRN-2, TP-TRN-3): nothing scrolls sideways, every mark's target is at least
44 px high, the keyboard chooses the marks and types the hours, bad hours bring the error
summary naming the trainee, and axe finds no violation. Debian's Chromium through Playwright
against ``flask run`` on the Taipei profile."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from conftest import serve
from test_browser import chromium, log_in
from test_browser_layout import PHONE, axe_violations, layout_problems

from appgov_plugin import clock

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture
def database_url(tmp_path):
    return f"sqlite:///{tmp_path / 'browser.sqlite'}"


def _session_with_trainees(database_url: str, folder) -> tuple[int, list[int]]:
    """A course of 12 h with one 3 h session yesterday and three trainees of the Tourism
    Bureau, written beside the running server."""
    from appgov_plugin.rollout.models import MajorSystem, RolloutPerson
    from appgov_plugin.training.models import Course, Enrollment, TrainingSession
    from sample_host import create_app
    from sample_host.extensions import db

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "test",
            "INSTANCE_PATH": str(folder / "instance"),
            "APPGOV_PROFILE": "taipei",
        }
    )
    with app.app_context():
        system = MajorSystem(code="BR-EDOC", name_zh="公文", name_en="E-doc", phase="golive")
        db.session.add(system)
        db.session.flush()
        course = Course(
            code="BR-ADM-01",
            course_type="admin",
            system_id=system.id,
            title_zh="系統管理者課程（一個很長的課程名稱，手機上也要換行）",
            title_en="System administrators, a long course title that wraps on a phone",
            hours=Decimal(12),
        )
        db.session.add(course)
        db.session.flush()
        session = TrainingSession(
            course_id=course.id,
            on=clock.today() - dt.timedelta(days=1),
            starts_at=dt.time(9),
            ends_at=dt.time(12),
            hours=Decimal(3),
            place="資訊局第一教室",
        )
        db.session.add(session)
        people = [
            RolloutPerson(
                employee_id=f"BR-{n:03d}",
                name=name,
                agency_code="tainan-tourism",
            )
            for n, name in enumerate(("王大明", "歐陽慕容雪兒", "Christopher Montgomery-Smith"), 1)
        ]
        db.session.add_all(people)
        db.session.flush()
        enrollments = [
            Enrollment(course_id=course.id, person_id=p.id, agency_code=p.agency_code)
            for p in people
        ]
        db.session.add_all(enrollments)
        db.session.commit()
        result = session.id, [e.id for e in enrollments]
        db.engine.dispose()
    return result


def test_roll_call_on_a_phone_with_the_keyboard(database_url, tmp_path):
    server = serve(database_url, tmp_path, APPGOV_PROFILE="taipei")
    base, _instance = next(server)
    try:
        session_id, enrollment_ids = _session_with_trainees(database_url, tmp_path)
        with chromium() as browser:
            for locale in ("zh-TW", "en"):
                context = browser.new_context(locale=locale, viewport=PHONE, device_scale_factor=2)
                page = context.new_page()
                log_in(page, base, "itdept")
                url = f"{base}/appgov/training/sessions/{session_id}/roll-call"
                page.goto(url)
                assert layout_problems(page) == [], locale
                heights = page.eval_on_selector_all(
                    ".appgov-rollcall-mark label, .appgov-rollcall-hours input",
                    "els => els.map(el => el.getBoundingClientRect().height)",
                )
                assert len(heights) == 12 and min(heights) >= 44, heights
                assert axe_violations(page, context="main") == [], locale
                context.close()
            # the keyboard only: the first trainee present, the second on leave with
            # letters for hours
            context = browser.new_context(locale="en", viewport=PHONE)
            page = context.new_page()
            log_in(page, base, "itdept")
            page.goto(f"{base}/appgov/training/sessions/{session_id}/roll-call")
            first, second, _third = enrollment_ids
            page.focus(f"#mark-{first}-present")
            page.keyboard.press("Space")
            assert page.is_checked(f"#mark-{first}-present")
            page.focus(f"#mark-{second}-present")
            page.keyboard.press("ArrowRight")  # radio group: the next mark, on leave
            assert page.is_checked(f"#mark-{second}-leave")
            page.keyboard.press("Tab")  # to the hours of leave
            assert page.evaluate("document.activeElement.id") == f"hours-{second}"
            page.keyboard.type("two")
            with page.expect_navigation():
                page.keyboard.press("Enter")  # submits the form
            summary = page.locator("#error-summary")
            assert summary.is_visible()
            assert "BR-002" in summary.inner_text() and "two" in summary.inner_text()
            assert layout_problems(page) == []
            page.click(f'#error-summary a[href="#hours-{second}"]')
            assert page.evaluate("document.activeElement.id") == f"hours-{second}"
            page.fill(f"#hours-{second}", "2.4")
            with page.expect_navigation():
                page.click(".appgov-rollcall-save")
            text = page.inner_text("main")
            assert "2.4 h of leave of a 12 h course reaches 20 % (TP-TRN-3)" in text
            assert layout_problems(page) == []
            context.close()
    finally:
        server.close()
