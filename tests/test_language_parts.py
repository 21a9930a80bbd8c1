"""The language of parts (WCAG 2.1 SC 3.1.2): Chinese data on an English page is marked
``lang="zh-Hant-TW"`` (appgov_plugin/language_parts.py); a Chinese page is left alone."""

from __future__ import annotations

import pytest

from appgov_plugin.language_parts import mark_language_parts

SPAN = '<span lang="zh-Hant-TW">'


def page(body: str, lang: str = "en") -> str:
    head = "<head><title>臺南 | appgov</title></head>"
    return f'<!doctype html><html lang="{lang}">{head}<body>{body}</body></html>'


def test_each_chinese_run_of_the_text_is_marked_and_the_english_around_it_is_not():
    marked = mark_language_parts(page("<p>Agency: 臺南市政府觀光旅遊局 (tainan-tourism)</p>"))
    assert f"<p>Agency: {SPAN}臺南市政府觀光旅遊局</span> (tainan-tourism)</p>" in marked


def test_a_chinese_text_with_latin_words_digits_and_punctuation_is_one_part():
    text = "請上傳 JPG、GIF、PNG 格式，或掃描 QRcode。"
    assert f"<td>{SPAN}{text}</span></td>" in mark_language_parts(page(f"<td>{text}</td>"))
    marked = mark_language_parts(page("<li>Trainee 觀光5 (seat 3)</li>"))
    assert f"<li>Trainee {SPAN}觀光5</span> (seat 3)</li>" in marked
    target = "目標 1,986,191×5%=99,309，"  # the Kaohsiung template's worked example
    assert f"{SPAN}{target}</span>" in mark_language_parts(page(f"<p>{target}</p>"))


def test_holiday_names_in_a_table_cell_are_marked():
    marked = mark_language_parts(page("<td>2026-01-01</td><td>中華民國開國紀念日</td>"))
    assert f"<td>{SPAN}中華民國開國紀念日</span></td>" in marked


def test_an_option_is_marked_with_its_own_attribute():
    marked = mark_language_parts(
        page(
            '<select name="a"><option value="1">王小明'
            '<option value="2" selected>Bob</option></select>'
        )
    )
    assert '<option value="1" lang="zh-Hant-TW">王小明' in marked
    assert '<option value="2" selected>Bob</option>' in marked


def test_a_textarea_holding_chinese_is_marked_with_its_own_attribute():
    marked = mark_language_parts(
        page("<textarea name=t>王小明\n<b></textarea><textarea>Bob</textarea>")
    )
    assert (
        '<textarea name=t lang="zh-Hant-TW">王小明\n<b></textarea><textarea>Bob</textarea>'
        in marked
    )


@pytest.mark.parametrize(
    "raw",
    [
        "<script>var name = '臺南';</script>",
        "<style>/* 臺南 */</style>",
        "<!-- 王小明 -->",
        '<input value="王小明" title="a > b 臺南">',
        '<a href="/x" aria-label="臺南 > 高雄">x</a>',
    ],
)
def test_scripts_styles_form_values_attributes_and_comments_are_copied_as_they_are(raw):
    assert raw in mark_language_parts(page(raw))


def test_a_chinese_page_and_a_page_without_chinese_are_returned_unchanged():
    chinese = page("<p>臺南市政府觀光旅遊局</p>", lang="zh-Hant-TW")
    assert mark_language_parts(chinese) is chinese
    english = page("<p>Tainan City Government</p>")
    assert mark_language_parts(english) is english


def test_the_title_names_the_page_unmarked():
    assert "<title>臺南 | appgov</title>" in mark_language_parts(page("<p>臺南</p>"))


@pytest.mark.backend_independent
def test_the_sample_host_marks_chinese_data_on_english_pages_only(make_host):
    app = make_host()
    client = app.test_client()
    client.post("/login", data={"username": "reviewer", "password": "demo-reviewer"})
    client.post("/locale/en")
    body = client.get("/appgov/").get_data(as_text=True)
    assert '<html lang="en"' in body
    assert f"{SPAN}臺南" in body  # the demo's app names
    client.post("/locale/zh_Hant_TW")
    body = client.get("/appgov/").get_data(as_text=True)
    assert SPAN not in body.split("<main", 1)[1]
    client.post("/locale/en")
    admin = app.test_client()
    admin.post("/login", data={"username": "admin", "password": "demo-admin"})
    admin.post("/locale/en")
    listed = admin.get("/admin/host_agency/").get_data(as_text=True)
    assert f"{SPAN}臺南市政府" in listed  # Flask-Admin's list cells too
