"""Rule parameters as an official reads them and as an administrator edits them (issue 7):
values in words in both languages on the policy page, the admin list, the change form, the
history and pending changes; one form per parameter kind in Flask-Admin, validated by the
parameter's own validator, with errors beside the input and typed values kept; ROC dates."""

from __future__ import annotations

import datetime as dt
import html
import re
import types

import pytest
from flask_babel import force_locale

import appgov_plugin
from appgov_plugin.clock import today
from appgov_plugin.policy.changes import record_change
from appgov_plugin.policy.display import value_html, value_text
from appgov_plugin.policy.models import ParameterChange
from appgov_plugin.policy.parameters import KINDS, PARAMETERS

# backend-independent: how parameters read and their forms validate
# (the storage: test_parameter_changes.py)
pytestmark = pytest.mark.backend_independent

TODAY = today()
NEXT_MONTH = (TODAY.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
ROC_NEXT_MONTH = f"{NEXT_MONTH.year - 1911}/{NEXT_MONTH.month:02d}/01"
ZH, EN = {"Accept-Language": "zh-TW"}, {"Accept-Language": "en"}


@pytest.fixture
def admin(intranet_app):
    app, db = intranet_app
    client = app.test_client()
    client.get("/_login/root")
    return app, db, client


def stored(app):
    """Every recorded change as (name, value, effective date)."""
    with app.app_context():
        db = app.extensions["appgov"].db
        return [
            (c.name, c.value, c.effective_from)
            for c in db.session.query(ParameterChange).order_by(ParameterChange.id)
        ]


def recorded(app, name, value, day, reason="council decision"):
    with app.app_context():
        state = app.extensions["appgov"]
        made = record_change(state, name, value, day, reason, "root", confirm_retroactive=True)
        state.session.commit()
        return made.changed_at


def row_of(page, name):
    return re.search(
        rf'<tr id="param-{re.escape(name)}">.*?</tr>\s*(?=<tr id|</tbody>)', page, re.S
    )[0]


def text(fragment):
    """The visible text of an HTML fragment, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def post(client, name, headers=EN, **data):
    data.setdefault("effective_from", NEXT_MONTH.isoformat())
    data.setdefault("reason", "council decision")
    return client.post(f"/admin/appgov_parameters/{name}", data=data, headers=headers)


# -- 1. values in words -------------------------------------------------------------------

WORDS = {
    "zh_Hant_TW": {
        "deadline.roster_change": "3 個工作天",
        "deadline.plan_review": "14 日曆天（遇假日順延）",
        "deadline.delisting_notice": "1 個月",
        "download_target_bands": (
            "人口 0 – 99,999：25 %；100,000 – 1,000,000：10 %；超過 1,000,000：5 %"
        ),
        "grade_bands": "A+：95 分以上；A：90 分以上未滿 95 分；B：80 分以上未滿 90 分；"
        "C：70 分以上未滿 80 分；D：60 分以上未滿 70 分；E：未滿 60 分",
        "leave_dismissal_percent": "系統管理者課程：20 %；種子人員課程：20 %；講師課程：10 %；"
        "一般使用者數位學習課程：20 %；其他課程：20 %",
        "proposal_escalation_to_mayor": "否",
        "rating_bar": "3.5 顆星",
        "seed_user_min": "2 人",
        "seed_user_headcount_per_user": "每 20 名員額 1 名種子人員",
        "plan_text_length": "1,500 – 3,000 字",
        "learning_hours_per_year": "20 小時",
    },
    "en": {
        "deadline.roster_change": "3 working days",
        "deadline.plan_review": "14 calendar days (next working day if they end on a day off)",
        "deadline.delisting_notice": "1 month",
        "download_target_bands": (
            "population 0 – 99,999: 25 %; 100,000 – 1,000,000: 10 %; over 1,000,000: 5 %"
        ),
        "grade_bands": "A+: 95 and above; A: 90 to under 95; B: 80 to under 90; "
        "C: 70 to under 80; D: 60 to under 70; E: under 60",
        "leave_dismissal_percent": "system administrator course: 20 %; seed user course: 20 %; "
        "lecturer course: 10 %; general-user e-learning course: 20 %; other course: 20 %",
        "proposal_escalation_to_mayor": "No",
        "rating_bar": "3.5 stars",
        "seed_user_min": "2 persons",
        "seed_user_headcount_per_user": "one seed user per 20 staff",
        "plan_text_length": "1,500 – 3,000 characters",
        "learning_hours_per_year": "20 hours",
    },
}


@pytest.mark.parametrize("locale", ["zh_Hant_TW", "en"])
@pytest.mark.parametrize("name", sorted(WORDS["en"]))
def test_defaults_read_in_words(babel_app, locale, name):
    with babel_app.test_request_context(), force_locale(locale):
        assert value_text(name, PARAMETERS[name].default) == WORDS[locale][name]


@pytest.mark.parametrize("locale", ["zh_Hant_TW", "en"])
def test_no_value_reads_as_json_or_as_a_key(babel_app, locale):
    with babel_app.test_request_context(), force_locale(locale):
        for spec in PARAMETERS.values():
            for shown in (value_text(spec, spec.default), text(value_html(spec, spec.default))):
                assert not re.search(r'[\[\]{}"]|_days|working_|\bTrue\b|\bFalse\b', shown), (
                    spec.name,
                    shown,
                )
        assert {spec.kind for spec in PARAMETERS.values()} <= set(KINDS)


def test_singular_plural_and_separators(babel_app):
    with babel_app.test_request_context(), force_locale("en"):
        assert value_text("deadline.minutes", {"length": 1, "mode": "working_days"}) == (
            "1 working day"
        )
        assert value_text("seed_user_min", 1) == "1 person"
        assert value_text("kpi_failed_years_for_delisting", 0) == "never (no forced delisting)"
        assert value_text("base_profile", "tainan") == str(
            appgov_plugin.policy.rulebook.profile_label("tainan")
        )
        assert value_text("learning_hours_per_year", 12000) == "12,000 hours"
    with babel_app.test_request_context(), force_locale("zh_Hant_TW"):
        assert value_text("download_target_bands", [[0, "12.5"]]) == "人口 不分人口數：12.5 %"
        assert value_text("proposal_escalation_to_mayor", True) == "是"
        assert value_text("kpi_failed_years_for_delisting", 0) == "不逕行下架"


def test_bands_read_as_a_table(babel_app):
    with babel_app.test_request_context(), force_locale("zh_Hant_TW"):
        table = value_html("download_target_bands", PARAMETERS["download_target_bands"].default)
        assert "<table" in table
        cells = re.findall(r"<td[^>]*>(.*?)</td>", table)
        assert cells == [
            "0 – 99,999",
            "25 %",
            "100,000 – 1,000,000",
            "10 %",
            "超過 1,000,000",
            "5 %",
        ]
        grades = re.findall(
            r"<td[^>]*>(.*?)</td>",
            value_html(
                "grade_bands", [["A+", 95], ["A", 90], ["B", 80], ["C", 70], ["D", 60], ["E", 0]]
            ),
        )
        assert grades[:4] == ["A+", "95 分以上", "A", "90 分以上未滿 95 分"]
        courses = value_html(
            "leave_dismissal_percent", PARAMETERS["leave_dismissal_percent"].default
        )
        assert text(courses).split("講師課程", 1)[1].startswith(" 10 %")


@pytest.mark.parametrize(
    ("headers", "words"),
    [
        (
            ZH,
            [
                "3 個工作天",
                "14 日曆天（遇假日順延）",
                "1 個月",
                "超過 1,000,000",
                "95 分以上",
                "講師課程",
                "3.5 顆星",
            ],
        ),
        (
            EN,
            [
                "3 working days",
                "1 month",
                "over 1,000,000",
                "95 and above",
                "lecturer course",
                "3.5 stars",
            ],
        ),
    ],
)
def test_the_policy_page_shows_values_in_words_without_keys(intranet_app, headers, words):
    app, db = intranet_app
    client = app.test_client()
    client.get("/_login/clerk")
    page = client.get("/appgov/policy", headers=headers).get_data(as_text=True)
    table = page.split('class="table table-sm parameters"', 1)[1].split("</table>\n", 1)[0]
    for word in words:
        assert word in text(page), word
    # kaohsiung: escalation to the mayor (KH-EVAL-2) is on
    assert text(row_of(page, "proposal_escalation_to_mayor")).endswith(
        "是 是" if headers is ZH else "Yes Yes"
    )
    assert "&#34;" not in table and '{"length"' not in table and "[[0," not in table
    assert "param-key" not in page
    for name in PARAMETERS:
        assert f"<code>{name}</code>" not in table


def test_the_admin_list_shows_words_pending_changes_and_keys_in_small_print(admin):
    app, db, client = admin
    recorded(app, "deadline.minutes", {"length": 3, "mode": "working_days"}, NEXT_MONTH)
    page = client.get("/admin/appgov_parameters/", headers=ZH).get_data(as_text=True)
    minutes = row_of(page, "deadline.minutes")
    assert '<small class="text-muted param-key"><code>deadline.minutes</code></small>' in minutes
    assert f"自 {ROC_NEXT_MONTH} 起: 3 個工作天" in text(minutes)
    assert text(minutes).count("5 個工作天") == 2  # default and in force
    page = client.get("/admin/appgov_parameters/", headers=EN).get_data(as_text=True)
    assert f"From {NEXT_MONTH.isoformat()}: 3 working days" in text(
        row_of(page, "deadline.minutes")
    )


@pytest.mark.parametrize("headers", [ZH, EN])
def test_the_history_shows_old_and_new_in_words_and_taipei_time(admin, headers):
    app, db, client = admin
    at = recorded(app, "deadline.minutes", {"length": 3, "mode": "working_days"}, NEXT_MONTH)
    page = client.get("/admin/appgov_parameters/deadline.minutes", headers=headers)
    page = page.get_data(as_text=True)
    history = page.split('class="table table-sm history"', 1)[1]
    taipei = (at.replace(tzinfo=dt.UTC) if at.tzinfo is None else at) + dt.timedelta(hours=8)
    if headers is ZH:
        day = ROC_NEXT_MONTH
        stamp = f"{taipei.year - 1911}/{taipei:%m/%d %H:%M}"
        words = ("5 個工作天", "3 個工作天")
    else:
        day, stamp, words = (
            NEXT_MONTH.isoformat(),
            f"{taipei:%Y-%m-%d %H:%M}",
            ("5 working days", "3 working days"),
        )
    cells = [text(c) for c in re.findall(r"<td>(.*?)</td>", history.split("</tr>", 2)[1], re.S)]
    assert cells[:3] == [day, *words]
    assert cells[-1] == stamp


# -- 2. a form per kind -------------------------------------------------------------------

INPUTS = {
    "system_admin_min": ['type="number"', 'name="value"', 'min="1"', 'step="1"', "persons"],
    "rating_bar": ['name="value"', 'max="5"', 'min="0"', 'value="3.5"', "stars"],
    "proposal_escalation_to_mayor": ['type="radio"', 'value="true"', 'value="false"'],
    "base_profile": ["<select", '<option selected value="kaohsiung">', 'value="tainan"'],
    "download_target_bands": ['name="rows-2-population"', 'value="1000001"', 'name="rows-4-rate"'],
    "grade_bands": ['name="scores-0"', 'value="95"', 'name="scores-5"'],
    "leave_dismissal_percent": ['name="percent-lecturer"', 'value="10"', "lecturer course"],
    "deadline.plan_review": [
        'name="length"',
        'value="14"',
        '<option selected value="calendar_days">',
    ],
    "plan_text_length": ['name="minimum"', 'value="1500"', 'name="maximum"', 'value="3000"'],
    "adopted_rules": ['type="checkbox"', 'value="TN-LEARN-1"'],
}


@pytest.mark.parametrize("name", sorted(INPUTS))
def test_each_kind_is_edited_with_its_own_inputs(admin, name):
    app, db, client = admin
    page = client.get(f"/admin/appgov_parameters/{name}", headers=EN).get_data(as_text=True)
    form = page.split('class="mb-4 parameter-change"', 1)[1].split("</form>", 1)[0]
    for snippet in INPUTS[name]:
        assert snippet in form, snippet
    # JSON only as the administrators' advanced option, folded away
    assert '<details class="mt-2 advanced">' in form and 'name="advanced"' in form
    assert 'name="value"' not in form.split("<details", 1)[1]
    assert f'<code class="param-key">{name}</code>' in page


def test_bands_are_edited_as_rows_and_a_spare_row_adds_one(admin):
    app, db, client = admin
    response = post(
        client,
        "download_target_bands",
        **{
            "rows-0-population": "0",
            "rows-0-rate": "25",
            "rows-1-population": "100,000",  # separators are fine
            "rows-1-rate": "10",
            "rows-2-population": "1000001",
            "rows-2-rate": "5",
            "rows-3-population": "",  # an emptied row is ignored
            "rows-3-rate": "",
            "rows-4-population": "50000",  # out of order: the validator says so
            "rows-4-rate": "12.5",
        },
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Download target bands, row 4: bands overlap or are out of order" in page
    assert 'name="rows-4-population" step="1" type="number" value="50000"' in page
    assert stored(app) == []
    response = post(
        client,
        "download_target_bands",
        **{
            "rows-0-population": "0",
            "rows-0-rate": "25",
            "rows-1-population": "50000",
            "rows-1-rate": "12.5",
            "rows-2-population": "100000",
            "rows-2-rate": "10",
            "rows-3-population": "1000001",
            "rows-3-rate": "5",
            "rows-4-population": "",
            "rows-4-rate": "",
        },
    )
    assert response.status_code == 302
    assert stored(app) == [
        (
            "download_target_bands",
            [[0, 25], [50000, "12.5"], [100000, 10], [1000001, 5]],
            NEXT_MONTH,
        )
    ]
    # the change page offers spare rows again under the four bands
    page = client.get("/admin/appgov_parameters/download_target_bands").get_data(as_text=True)
    assert 'name="rows-2-population"' in page


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        (ZH, "下載量目標級距第 2 列（比率）：請輸入數值"),
        (EN, "Download target bands, row 2 (rate): enter a value"),
    ],
)
def test_a_bad_row_is_named_and_every_typed_value_kept(admin, headers, message):
    app, db, client = admin
    page = post(
        client,
        "download_target_bands",
        headers,
        **{
            "rows-0-population": "0",
            "rows-0-rate": "25",
            "rows-1-population": "80000",
            "rows-1-rate": "",
            "effective_from": "116/01/15",
            "reason": "級距調整",
        },
    ).get_data(as_text=True)
    assert message in page
    assert 'value="80000"' in page and 'value="116/01/15"' in page and "級距調整</textarea>" in page
    # the message sits beside the empty input
    cell = page.split('id="rows-1-rate"', 1)[1].split("</td>", 1)[0]
    assert message in cell
    assert stored(app) == []


@pytest.mark.parametrize(
    ("name", "data", "value", "flash"),
    [
        (
            "deadline.minutes",
            {"length": "4", "mode": "calendar_days"},
            {"length": 4, "mode": "calendar_days"},
            "4 日曆天（遇假日順延）",
        ),
        ("proposal_escalation_to_mayor", {"value": "false"}, False, "否"),
        ("base_profile", {"value": "taipei"}, "taipei", None),
        ("system_admin_min", {"value": "3"}, 3, "3 人"),
        ("rating_bar", {"value": "3.8"}, "3.8", "3.8 顆星"),
        (
            "plan_text_length",
            {"minimum": "1,000", "maximum": "2500"},
            [1000, 2500],
            "1,000 – 2,500 字",
        ),
        (
            "grade_bands",
            {
                "scores-0": "96",
                "scores-1": "90",
                "scores-2": "80",
                "scores-3": "70",
                "scores-4": "60",
                "scores-5": "0",
            },
            [["A+", 96], ["A", 90], ["B", 80], ["C", 70], ["D", 60], ["E", 0]],
            "A+：96 分以上",
        ),
        (
            "leave_dismissal_percent",
            {
                "percent-admin": "20",
                "percent-seed": "20",
                "percent-lecturer": "15",
                "percent-elearning": "20",
                "percent-other": "20",
            },
            {"admin": 20, "seed": 20, "lecturer": 15, "elearning": 20, "other": 20},
            "講師課程：15 %",
        ),
        (
            "adopted_rules",
            {"value": ["TN-LEARN-1", "TN-PERF-1"]},
            ["TN-LEARN-1", "TN-PERF-1"],
            "TN-LEARN-1",
        ),
    ],
)
def test_each_kind_records_the_stored_value(admin, name, data, value, flash):
    app, db, client = admin
    response = post(client, name, ZH, effective_from=ROC_NEXT_MONTH, **data)
    assert response.status_code == 302, text(response.get_data(as_text=True))[-1500:]
    assert stored(app) == [(name, value, NEXT_MONTH)]
    listing = client.get("/admin/appgov_parameters/", headers=ZH).get_data(as_text=True)
    if flash:
        assert flash in text(listing)  # the flash message, in words


@pytest.mark.parametrize(
    ("name", "data", "headers", "beside", "message"),
    [
        ("system_admin_min", {"value": "-1"}, ZH, "value", "每機關系統管理者下限：-1 低於下限 1"),
        (
            "system_admin_min",
            {"value": "two"},
            EN,
            "value",
            "Minimum system administrators per agency: “two” is not a whole number",
        ),
        (
            "proposal_escalation_to_mayor",
            {},
            ZH,
            "value-1",
            "不予核定者得簽請市長核可：請選擇「是」或「否」",
        ),
        (
            "deadline.minutes",
            {"length": "0", "mode": "working_days"},
            ZH,
            "length",
            "會議紀錄送達期限（期間）：0 低於下限 1",
        ),
        (
            "plan_text_length",
            {"minimum": "2000", "maximum": "1000"},
            ZH,
            "maximum",
            "改善及行銷方案全文字數：下限 2,000 高於上限 1,000",
        ),
        (
            "leave_dismissal_percent",
            {
                "percent-admin": "20",
                "percent-seed": "20",
                "percent-lecturer": "0",
                "percent-elearning": "20",
                "percent-other": "20",
            },
            ZH,
            "percent-lecturer",
            "退訓之請假比例（講師課程）：0 須大於 0 且不超過 100",
        ),
        (
            "grade_bands",
            {
                "scores-0": "95",
                "scores-1": "96",
                "scores-2": "80",
                "scores-3": "70",
                "scores-4": "60",
                "scores-5": "0",
            },
            EN,
            "scores-1",
            "Grade bands: grade order is not descending (A at 96 is not below A+ at 95)",
        ),
    ],
)
def test_a_refused_value_is_named_beside_its_input(admin, name, data, headers, beside, message):
    app, db, client = admin
    page = post(client, name, headers, **data).get_data(as_text=True)
    assert message in page
    # the first error after the input is this one
    after = page.split(f'id="{beside}"', 1)[1]
    assert html.unescape(re.search(r'class="invalid-feedback d-block">(.*?)</div>', after)[1]) == (
        message
    )
    for typed in (v for v in data.values() if isinstance(v, str)):
        assert f'value="{typed}"' in page
    assert stored(app) == []


def test_advanced_json_wins_and_an_unknown_profile_is_named_in_chinese(admin):
    app, db, client = admin
    assert post(client, "system_admin_min", value="4", advanced="5").status_code == 302
    assert stored(app) == [("system_admin_min", 5, NEXT_MONTH)]
    page = post(client, "base_profile", ZH, value="kaohsiung", advanced="gotham")
    page = page.get_data(as_text=True)
    assert "城市設定檔（基準）：「gotham」不是城市設定檔" in page
    assert '<details class="mt-2 advanced" open>' in page  # the error is shown unfolded
    assert len(stored(app)) == 1


# -- 3. and 4. through the admin form ------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "message", "mark"),
    [
        (ZH, "早於今日：此變更將追溯生效，並改變過去的評核結果。請勾選確認後再登錄。", "追溯生效"),
        (EN, "is before today: this change applies retroactively", "retroactive"),
    ],
)
def test_a_past_dated_change_in_the_form_needs_the_confirmation(admin, headers, message, mark):
    app, db, client = admin
    last_week = TODAY - dt.timedelta(days=7)
    page = post(
        client, "system_admin_min", headers, value="3", effective_from=last_week.isoformat()
    ).get_data(as_text=True)
    assert message in page.split('id="confirm_retroactive"', 1)[1]
    assert 'value="3"' in page and stored(app) == []
    # also named with another error in the same submission
    page = post(
        client,
        "system_admin_min",
        headers,
        value="3",
        reason="",
        effective_from=last_week.isoformat(),
    ).get_data(as_text=True)
    assert message in page and stored(app) == []
    response = post(
        client,
        "system_admin_min",
        headers,
        value="3",
        confirm_retroactive="y",
        effective_from=last_week.isoformat(),
    )
    assert response.status_code == 302
    assert stored(app) == [("system_admin_min", 3, last_week)]
    page = client.get("/admin/appgov_parameters/system_admin_min", headers=headers)
    assert f">{mark}</span>" in page.get_data(as_text=True)


@pytest.mark.parametrize(
    ("headers", "message"),
    [(ZH, "無變更：「每機關系統管理者下限」於"), (EN, "No change: Minimum system administrators")],
)
def test_submitting_the_value_in_force_is_refused_as_no_change(admin, headers, message):
    app, db, client = admin
    page = client.get("/admin/appgov_parameters/system_admin_min").get_data(as_text=True)
    assert 'value="2"' in page  # the form starts from the value in force
    page = post(client, "system_admin_min", headers, value="2").get_data(as_text=True)
    assert message in page and stored(app) == []


# -- 6. dates -----------------------------------------------------------------------------


def test_the_admin_list_takes_an_roc_or_iso_date_and_names_a_bad_one(admin):
    app, db, client = admin
    recorded(app, "rating_bar", "3.8", dt.date(2027, 3, 1))
    page = client.get("/admin/appgov_parameters/?as_of=116/03/01", headers=ZH)
    page = page.get_data(as_text=True)
    assert 'value="116/03/01"' in page
    assert text(row_of(page, "rating_bar")).endswith("3.5 顆星 3.8 顆星")
    page = client.get("/admin/appgov_parameters/?as_of=2027-02-28", headers=ZH)
    page = page.get_data(as_text=True)
    assert 'value="116/02/28"' in page and "自 116/03/01 起: 3.8 顆星" in text(page)
    response = client.get("/admin/appgov_parameters/?as_of=yesterday", headers=ZH)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "「yesterday」不是日期，請寫成 115/11/22（民國年）或 2026-11-22。" in page
    assert 'value="yesterday"' in page


def test_the_policy_page_takes_an_roc_date(intranet_app):
    app, db = intranet_app
    recorded(app, "rating_bar", "3.8", dt.date(2027, 3, 1))
    client = app.test_client()
    client.get("/_login/clerk")
    page = client.get("/appgov/policy?as_of=116/03/01", headers=ZH).get_data(as_text=True)
    assert "3.8 顆星" in text(row_of(page, "rating_bar"))
    response = client.get("/appgov/policy?as_of=116/13/01", headers=EN)
    assert response.status_code == 400
    assert "is not a date. Write it as 115/11/22 (ROC year) or 2026-11-22." in html.unescape(
        response.get_data(as_text=True)
    )


# -- 7. values come from the policy facade -------------------------------------------------


def test_a_hook_package_value_is_shown_and_edited_as_the_facade_answers(intranet_app, monkeypatch):
    app, db = intranet_app
    package = types.ModuleType("city_package")
    package.appgov_parameter = appgov_plugin.hookimpl(
        lambda policy, name, as_of: (
            {"length": 2, "mode": "calendar_days"} if name == "deadline.minutes" else None
        )
    )
    monkeypatch.setattr(app.extensions["appgov"], "policy_modules", (package,))
    client = app.test_client()
    client.get("/_login/root")
    page = client.get("/appgov/policy", headers=ZH).get_data(as_text=True)
    assert text(row_of(page, "deadline.minutes")).endswith(
        "2 日曆天（遇假日順延） 2 日曆天（遇假日順延）"
    )
    page = client.get("/admin/appgov_parameters/deadline.minutes").get_data(as_text=True)
    assert 'value="2"' in page and '<option selected value="calendar_days">' in page
