"""The documents an authority sends or files, as PDF (issue 16), in the sample host: the
decision letter of a development proposal (KH-EVAL-1, KH-EVAL-2's mayor outcome), the written
reply to a yearly KPI report (KH-KPI-6) and a trainee's transcript (TN-LEARN-1). Each is read
back with pypdf: the Chinese text (app names as stored, the decision, ROC dates) in zh, the
English in en, the CJK font embedded; who may download it is who may read its page (others
404, ids guessed or not); a case not decided yet answers 404 with a message. SQLite and
PostgreSQL (the ``database_url`` fixture)."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
import sqlalchemy as sa
from casework import add_user, new_proposal, visible_text
from hosting import login
from pypdf import PdfReader
from test_training_hours import add_agency, add_course, add_person, add_session_id, attend, enrol

from appgov_plugin.demo import filed_answers
from appgov_plugin.lifecycle.case_types import KPI_REPORT
from appgov_plugin.pdf import FontMissing, find_font
from sample_host.cases import apply_transition, open_case
from sample_host.extensions import db
from sample_host.models import Case, User

REJECTION = "本案與既有「高雄好停車」功能重複，請整合既有服務。"
MAYOR = "維持資訊中心意見，不予核可。"
RETURNED = "下載人次統計期間有誤，請更正後再送。"


def pdf_text(data: bytes) -> str:
    """The document's text, whitespace removed (pypdf spaces CJK glyphs apart)."""
    reader = PdfReader(io.BytesIO(data))
    text = "".join(page.extract_text() for page in reader.pages)
    return re.sub(r"[\s\x00]+", "", text)


def embedded_fonts(data: bytes) -> list[str]:
    """The base fonts whose program is embedded (FontFile2/FontFile3) on the first page."""
    reader = PdfReader(io.BytesIO(data))
    found = []
    for font in reader.pages[0]["/Resources"]["/Font"].values():
        font = font.get_object()
        for descendant in font.get("/DescendantFonts", []):
            descriptor = descendant.get_object()["/FontDescriptor"].get_object()
            if "/FontFile2" in descriptor or "/FontFile3" in descriptor:
                found.append(str(font["/BaseFont"]))
    return found


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def enter(client, username: str, locale: str = "zh_Hant_TW") -> None:
    login(client, username)
    assert client.post(f"/locale/{locale}").status_code == 302


def download(client, url: str) -> bytes:
    answer = client.get(url)
    assert answer.status_code == 200, (url, answer.status_code)
    assert answer.mimetype == "application/pdf"
    assert answer.headers["Content-Disposition"].startswith("attachment; filename=")
    assert answer.get_data()[:5] == b"%PDF-"
    return answer.get_data()


def _user(username: str) -> User:
    return db.session.scalar(sa.select(User).where(User.username == username))


def _decide(case_id: int, name: str, username: str, comment: str = "") -> None:
    apply_transition(db.session.get(Case, case_id), name, _user(username), comment)


def document_url(case_id: int) -> str:
    return f"/appgov/cases/{case_id}/document.pdf"


def test_the_font_is_found_and_a_wrong_setting_is_named():
    path, index = find_font()
    assert path.endswith((".ttc", ".otf", ".ttf"))
    if path.endswith(".ttc"):
        assert index == 3  # Noto Sans CJK TC in the collection
    with pytest.raises(FontMissing, match="APPGOV_PDF_FONT"):
        find_font("/nowhere/font.ttf")


@pytest.fixture
def kaohsiung(make_host):
    app = make_host("kaohsiung")
    with app.app_context():
        add_user("other-staff", "agency_staff", "tainan-secretariat")
    return app


def test_the_proposal_decision_letter_kh_eval_1_and_the_mayors_outcome_kh_eval_2(kaohsiung):
    app = kaohsiung
    with app.app_context():
        approved = new_proposal(
            steps=("submit", "approve"), actors=("staff", "reviewer"), app_name="高雄公車通"
        )
        rejected = new_proposal(steps=("submit",), app_name="高雄停車樂")
        _decide(rejected, "reject", "reviewer", REJECTION)
        _decide(rejected, "escalate", "head", "請市長核示。")
        _decide(rejected, "mayor_reject", "mayor", MAYOR)
        pending = new_proposal(steps=("submit",), app_name="高雄審查中")
        # who decided comes from the host's history (casehost_case_history)
        pm = app.extensions["casehost"].pm
        steps = pm.hook.casehost_case_history(app=app, case=db.session.get(Case, approved))
        assert [(s.transition, s.actor_username, s.actor_role) for s in steps] == [
            ("open", "staff", "agency_staff"),
            ("submit", "staff", "agency_staff"),
            ("approve", "reviewer", "reviewer"),
        ]
    client = app.test_client()
    enter(client, "staff")
    # the case page links the letter ("PDF", its accessible name the document's)
    page = client.get(f"/cases/{approved}").get_data(as_text=True)
    assert f'href="{document_url(approved)}"' in page and ">PDF</a>" in page
    assert 'aria-label="核定函 (PDF)"' in page or "(PDF)" in page
    letter = download(client, document_url(approved))
    assert embedded_fonts(letter)
    text = pdf_text(letter)
    # the decision as the case page names it (核定); the letter's sentence says 核准 once the
    # lead merges its translation
    for words in ("高雄公車通", "核定", "民國", "KH-EVAL-1", "林志豪"):
        assert squeeze(words) in text, words
    this_year = dt.date.today().year - 1911
    assert f"民國{this_year}年" in text
    # the mayor's outcome of an escalated rejection (KH-EVAL-2), with the steps before it
    text = pdf_text(download(client, document_url(rejected)))
    for words in ("高雄停車樂", "市長不予核可", squeeze(MAYOR), squeeze(REJECTION), "KH-EVAL-2"):
        assert words in text, words
    # not decided yet: no link, and 404 with a message
    assert document_url(pending) not in client.get(f"/cases/{pending}").get_data(as_text=True)
    answer = client.get(document_url(pending))
    assert answer.status_code == 404
    assert f"#{pending}" in visible_text(answer.get_data(as_text=True))
    # English
    enter(client, "reviewer", "en")
    text = pdf_text(download(client, document_url(approved)))
    for words in ("Decisionontheappdevelopmentproposal", "approved", "高雄公車通", "KH-EVAL-1"):
        assert words in text, words
    assert re.search(r"\d{4}-\d{2}-\d{2}", text) and "民國" not in text
    # who may not: another agency's staff (the id guessed), the helpdesk (status only), and
    # a visitor who is not logged in
    for username in ("other-staff", "helpdesk"):
        enter(client, username)
        for case_id in (approved, rejected, 999_999):
            assert client.get(document_url(case_id)).status_code == 404, (username, case_id)
    client.get("/logout")
    assert client.get(document_url(approved)).status_code in (302, 401, 404)


def test_the_written_reply_to_a_yearly_kpi_report_kh_kpi_6(kaohsiung):
    app = kaohsiung
    with app.app_context():
        answers = {**filed_answers("kpi_yearly_report"), "app_name": "高雄好行App", "year": 114}
        returned = open_case(KPI_REPORT, "tainan-tourism", "staff", answers, ("submit",)).id
        accepted = open_case(KPI_REPORT, "tainan-tourism", "staff", answers, ("submit",)).id
        draft = open_case(KPI_REPORT, "tainan-tourism", "staff", answers).id
        db.session.commit()
        _decide(returned, "return", "reviewer", RETURNED)
        _decide(accepted, "accept", "reviewer")
        population = int(answers["target_population"])
    client = app.test_client()
    enter(client, "staff")
    page = client.get(f"/cases/{returned}").get_data(as_text=True)
    assert f'href="{document_url(returned)}"' in page
    reply = download(client, document_url(returned))
    assert embedded_fonts(reply)
    text = pdf_text(reply)
    for words in ("高雄好行App", "民國114年", "退回補正", squeeze(RETURNED), "KH-KPI-6", "林志豪"):
        assert words in text, words
    assert f"{population:,}" in text  # the target population reported
    text = pdf_text(download(client, document_url(accepted)))
    assert "已受理" in text
    # a draft is nobody's document yet; a submitted report waits for the review
    assert client.get(document_url(draft)).status_code == 404
    enter(client, "reviewer", "en")
    text = pdf_text(download(client, document_url(returned)))
    for words in ("ReviewoftheyearlyAppKPIreport", "Returnedforrevision", "2025", "高雄好行App"):
        assert words in text, words
    for username in ("other-staff", "helpdesk"):
        enter(client, username)
        assert client.get(document_url(returned)).status_code == 404, username


@pytest.fixture
def taipei(make_host):
    return make_host("taipei")


def test_the_transcript_as_pdf_to_the_readers_of_the_page_tn_learn_1(taipei):
    app = taipei
    day = dt.date.today()
    with app.app_context():
        add_agency("pdf-other")
        person = add_person("tainan-tourism", name="王小明")
        stranger = add_person("pdf-other", name="李四")
        course = add_course("PDF-1", "3")
        session_id = add_session_id(course.id, day, "3")
        attend(session_id, enrol(course.id, person), "present")
        db.session.commit()
        person_id, stranger_id = person.id, stranger.id
    url = f"/appgov/training/people/{person_id}/transcript.pdf"
    client = app.test_client()
    enter(client, "staff")
    page = client.get(f"/appgov/training/people/{person_id}").get_data(as_text=True)
    assert f'href="{url}"' in page and ">PDF</a>" in page
    data = download(client, url)
    assert embedded_fonts(data)
    text = pdf_text(data)
    for words in ("王小明", "PDF-1課程", f"民國{day.year - 1911}年", "3.0"):
        assert words in text, words
    enter(client, "itdept", "en")
    text = pdf_text(download(client, url))
    assert "Learningtranscript:王小明" in text and "PDF-1course" in text
    assert day.isoformat() in text
    # the page's readers only: others 404, ids guessed or not
    enter(client, "staff")
    assert client.get(f"/appgov/training/people/{stranger_id}/transcript.pdf").status_code == 404
    assert client.get("/appgov/training/people/999999/transcript.pdf").status_code == 404
    enter(client, "officer")
    assert client.get(url).status_code == 404
