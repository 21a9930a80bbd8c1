"""rules.md "Profiles are real", end to end in the sample host (on SQLite; backend-independent): the
proposal form, the app evaluation page and the policy page of each profile, in both
languages, and rules adopted by an administrator's rule parameter in the database."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from casework import ANSWERS, KH_ANSWERS, posted
from flask_babel import force_locale
from hosting import login

from appgov_plugin.apps.case_types import PROPOSAL
from appgov_plugin.clock import today
from appgov_plugin.policy import PARAMETERS
from appgov_plugin.policy.changes import record_change
from sample_host.extensions import db
from sample_host.models import Case

# backend-independent: which rules each profile shows
# (the parameters' storage: test_parameter_changes.py)
pytestmark = pytest.mark.backend_independent

NEW_PROPOSAL = f"/cases/new/{PROPOSAL}"
#: the parameters no process reads yet (KH-KPI-4, KH-KPI-3's plan, TN-LEARN-1, TP-WG-4)
UNUSED_PARAMETERS = (
    "kpi_failed_years_for_delisting",
    "plan_text_length",
    "learning_hours_per_year",
    "council_missed_meetings_seat_loss",
)


def _main(page: str) -> str:
    """The page's own content (not the host's header and navigation)."""
    return page.split('id="main"', 1)[1]


def _section(page: str, anchor: str) -> str:
    """The part of the policy page from heading ``anchor`` to the next heading with an id."""
    rest = page.split(f'id="{anchor}"', 1)[1]
    return re.split(r'<h2 id="', rest, maxsplit=1)[0]


def _rule_ids(html: str) -> set[str]:
    return set(re.findall(r'id="rule-([A-Z0-9-]+)"', html))


def _fields(page: str) -> set[str]:
    return set(re.findall(r'name="([a-z_]+)"', _main(page))) - {"csrf_token"}


def _adopt(app, rules, effective=None):
    with app.app_context():
        state = app.extensions["appgov"]
        record_change(
            state, "adopted_rules", rules, effective or today(), "市務會議決議採用", "admin"
        )
        state.session.commit()


def _english(client):
    client.post("/locale/en")


# -- the proposal form ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("profile", "asked", "not_asked", "label_zh", "absent_zh", "budget_en"),
    [
        (
            # Tainan's self-assessment (tn_self_assessment, TN-EVAL-1..5)
            "tainan",
            {"requirements_spec", "requirements_summary", "open_data_first", "eligibility_grounds"},
            {"comparable_apps", "open_data_exception", "kpi_plan", "target_population"},
            "需求規格摘要",
            "得否以響應式網頁替代",
            "Budget (NT$)",
        ),
        (
            # Kaohsiung's development evaluation plan (kh_evaluation_plan, KH-EVAL-1)
            "kaohsiung",
            {"comparable_apps", "open_data_exception", "web_alternative", "target_population"},
            {
                "open_data_first",
                "eligibility_grounds",
                "mayor_mailbox_link",
                "source_code_rights",
                "requirements_spec",
            },
            "得否以響應式網頁替代",
            "提列預算發展之情形",
            "Development budget (NT$)",
        ),
    ],
)
def test_the_proposal_form_asks_the_profiles_questions(
    make_host, profile, asked, not_asked, label_zh, absent_zh, budget_en
):
    app = make_host(profile)
    client = app.test_client()
    login(client, "staff")
    page = client.get(NEW_PROPOSAL).get_data(as_text=True)
    fields = _fields(page)
    assert asked <= fields and not fields & not_asked, fields
    assert label_zh in page and absent_zh not in page
    _english(client)
    page = client.get(NEW_PROPOSAL).get_data(as_text=True)
    assert _fields(page) == fields
    assert budget_en in page


def test_taipei_files_no_proposal(make_host):
    """Taipei's profile has no app-governance rules: no proposal form is offered, and its
    new-case page answers 404."""
    app = make_host("taipei")
    client = app.test_client()
    login(client, "staff")
    assert client.get(NEW_PROPOSAL).status_code == 404
    assert client.post(NEW_PROPOSAL, data=posted(ANSWERS)).status_code == 404
    assert NEW_PROPOSAL not in client.get("/").get_data(as_text=True)
    with app.app_context():
        assert db.session.query(Case).filter_by(type_key=PROPOSAL).count() == 0


def test_a_kaohsiung_proposal_files_the_evaluation_plan(make_host):
    app = make_host("kaohsiung")
    client = app.test_client()
    login(client, "staff")
    answers = {
        **KH_ANSWERS,
        "app_name": "高雄好行",
        "purpose": "提供市民查詢公車、輕軌與公共自行車即時資訊並整合轉乘規劃的服務。",
        "open_data_exception": "personal_data",  # no Open Data alternative to explain
        "open_data_alternative": None,
        "target_population": "2,750,000",
        "budget": "NT$3,200,000",
        "open_data_first": "no",  # a Tainan question: not asked here, so not stored
    }
    response = client.post(NEW_PROPOSAL, data=posted(answers))
    assert response.status_code == 302, _main(response.get_data(as_text=True))[:3000]
    with app.app_context():
        case = db.session.query(Case).order_by(Case.id.desc()).first()
        assert case.data["target_population"] == 2_750_000 and case.data["budget"] == 3_200_000
        assert case.data["comparable_list"] == KH_ANSWERS["comparable_list"]
        assert "open_data_first" not in case.data and "eligibility_grounds" not in case.data
        assert "requirements_spec" not in case.data
        assert (case.form_key, case.form_version) == ("kh_evaluation_plan", 1)


def test_the_kaohsiung_form_explains_open_data_unless_personal_data(make_host):
    app = make_host("kaohsiung")
    client = app.test_client()
    login(client, "staff")
    page = client.post(
        NEW_PROPOSAL, data={"open_data_exception": "none", "target_population": "1億"}
    ).get_data(as_text=True)
    error = re.search(r'id="open_data_alternative-error".*?</div>', page, re.S).group(0)
    assert "此欄位是必需的。" in error  # KH-EVAL-1: no personal data, so explain Open Data
    assert 'value="1億"' in page and "請填寫整數，例如 1,860,000。" in page  # kept as typed
    page = client.post(NEW_PROPOSAL, data={"open_data_exception": "personal_data"}).get_data(
        as_text=True
    )
    assert 'id="open_data_alternative-error"' not in page  # the exception holds


def test_an_adopted_rule_adds_its_questions_from_its_effective_date(make_host):
    """Kaohsiung adopts Tainan's TN-EVAL-1 and TN-EVAL-2 (rule parameter adopted_rules): from
    the effective date it files Tainan's self-assessment, with the questions of the adopted
    rules only."""
    app = make_host("kaohsiung")
    tomorrow = today() + dt.timedelta(days=1)
    _adopt(app, ["TN-EVAL-1", "TN-EVAL-2"], effective=tomorrow)
    client = app.test_client()
    login(client, "staff")
    fields = _fields(client.get(NEW_PROPOSAL).get_data(as_text=True))
    assert "open_data_first" not in fields and "comparable_apps" in fields
    _adopt(app, ["TN-EVAL-1", "TN-EVAL-2"])
    fields = _fields(client.get(NEW_PROPOSAL).get_data(as_text=True))
    assert {"requirements_spec", "open_data_first", "open_data_reason"} <= fields
    assert "eligibility_grounds" not in fields  # TN-EVAL-3 was not adopted
    assert "mayor_mailbox_link" not in fields  # nor TN-EVAL-4


def test_a_stored_case_keeps_its_questions_after_the_profile_changes(make_host):
    app = make_host("tainan")
    with app.app_context():
        demo = db.session.query(Case).filter_by(type_key=PROPOSAL).first()
        demo_id, demo_data = demo.id, dict(demo.data)
        demo_form = (demo.form_key, demo.form_version)
        state = app.extensions["appgov"]
        record_change(state, "base_profile", "kaohsiung", today(), "改採高雄市設定", "admin")
        state.session.commit()
    assert demo_form == ("tn_self_assessment", 1)
    client = app.test_client()
    login(client, "reviewer")
    page = client.get(f"/cases/{demo_id}").get_data(as_text=True)
    # the demo case answered Tainan's TN-EVAL-1/2/3 questions: shown with their labels
    assert "相關資料是否已先於本府資料開放平台開放？" in page
    assert "其他發展必要性之說明" in page and "需求規格摘要" in page
    assert "得否以響應式網頁替代" not in page  # not Kaohsiung's plan, the profile's today
    with app.test_request_context():
        case_type = app.extensions["casehost"].case_types[PROPOSAL]
        assert case_type.current_form_key() == "kh_evaluation_plan"  # new cases: Kaohsiung's
        form = case_type.stored_form(demo_data, *demo_form)
        assert "open_data_first" in form and "requirements_summary" in form
        assert "requirements_spec" in form and "comparable_apps" not in form


# -- the app evaluation page ----------------------------------------------------------------


def _kpi(client, **data):
    return client.post("/appgov/kpi", data=data).get_data(as_text=True)


def test_tainan_evaluates_against_the_agencys_own_targets(make_host):
    app = make_host("tainan")
    client = app.test_client()
    login(client, "staff")
    page = _main(client.get("/appgov/kpi").get_data(as_text=True))
    assert "TN-PERF-1" in page and "機關自訂安裝數目標（至少）" in page
    assert "KH-KPI" not in page and "改善及行銷" not in page and "下載量目標值" not in page
    assert 'name="population"' not in page
    result = _main(
        _kpi(
            client,
            evaluated_on="115/11/22",
            installs="9,000",
            installs_target="10,000",
            uninstalls="300",
            uninstalls_limit="500",
            rating="4.2",
            rating_target="4",
            reviews="40",
            reviews_handled="37",
            handled_target_percent="90",
        )
    )
    assert "評核結果（民國 115 年 11 月 22 日）" in result
    installs = re.search(r'id="measure-installs".*?</tr>', result, re.S).group(0)
    assert "9,000" in installs and "至少 10,000" in installs and "未達成" in installs
    handling = re.search(r'id="measure-review_handling".*?</tr>', result, re.S).group(0)
    assert "92.5 %" in handling and "未達成" not in handling
    assert "未達成機關自訂目標共 1 項（TN-PERF-1）" in result
    assert "TN-PERF-3" in result and "TN-DEL-1 第 6 款" in result
    assert "改善及行銷" not in result and "KH-KPI" not in result
    _english(client)
    page = _main(client.get("/appgov/kpi").get_data(as_text=True))
    assert "against the targets the agency set itself (TN-PERF-1)" in page
    assert "marketing plan" not in page


def test_tainan_measures_come_with_their_targets(make_host):
    app = make_host("tainan")
    client = app.test_client()
    login(client, "staff")
    page = _kpi(client, evaluated_on="2026-11-22", installs="9000", rating="4.5")
    assert "請一併填寫機關為此項目自訂之目標。" in page
    assert 'value="9000"' in page and 'value="4.5"' in page  # kept as typed
    page = _kpi(client, evaluated_on="2026-11-22", reviews="10", reviews_handled="12")
    assert "已處理則數超過評論則數（10 則）。" in page
    page = _kpi(client, evaluated_on="2026-11-22")
    assert "請至少填寫一項實際數值及機關自訂之目標（TN-PERF-1）。" in page


def test_kaohsiung_runs_its_kpi_evaluation_with_the_plan(make_host):
    app = make_host("kaohsiung")
    client = app.test_client()
    login(client, "staff")
    page = _main(client.get("/appgov/kpi").get_data(as_text=True))
    assert "KH-KPI-1" in page and "KH-KPI-3" in page and "TN-PERF" not in page
    assert 'type="date"' not in page  # TaiwanDateField: ROC or ISO, typed
    result = _main(
        _kpi(
            client,
            evaluated_on="115/11/22",
            population="1,986,191",
            downloads="90000",
            ios_average="3.4",
            ios_count="100",
        )
    )
    assert "下載量目標值 (KH-KPI-1)" in result and "99,309" in result and "90,000" in result
    assert "目標族群人數 1,986,191 人" in result
    # the name of the seed's template (forms/improvement_marketing_plan.toml's title)
    assert "改善及行銷計畫書 (KH-KPI-3)" in result
    assert "須提改善部分（評分）。" in result


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("population", "100,000,001", "請填寫 0 至 100,000,000 之間的數字。"),
        ("population", "12abc", "請填寫整數，例如 1,860,000。"),
        ("downloads", "-5", "請填寫 0 至 1,000,000,000 之間的數字。"),
        ("ios_average", "5.5", "請填寫 0 至 5 之間的數字。"),
        ("evaluated_on", "115/13/01", "「115/13/01」不是日期"),
    ],
)
def test_bad_kpi_input_is_named_and_kept(make_host, field, typed, message):
    app = make_host("kaohsiung")
    client = app.test_client()
    login(client, "staff")
    data = {
        "evaluated_on": "115/11/22",
        "population": "35000",
        "downloads": "9000",
        "ios_average": "4",
        field: typed,
    }
    page = _kpi(client, **data)
    error = re.search(rf'id="{field}-error".*?</div>', page, re.S).group(0)
    assert message in error
    assert f'value="{typed}"' in page
    assert "評核結果" not in page


def test_taipei_says_which_evaluation_it_could_adopt(make_host):
    app = make_host("taipei")
    client = app.test_client()
    login(client, "staff")
    page = _main(client.get("/appgov/kpi").get_data(as_text=True))
    assert "臺北市設定檔本身沒有此類規定" in page
    assert "高雄市績效指標評核" in page and "臺南市依機關自訂績效目標評核" in page
    assert "KH-KPI-1, KH-KPI-2, KH-KPI-3" in page and "TN-PERF-1, TN-PERF-2, TN-PERF-3" in page
    assert "<form" not in page and "本系統採用之他市規定" in page
    assert client.post("/appgov/kpi?evaluation=kaohsiung").status_code == 404
    _english(client)
    page = _main(client.get("/appgov/kpi").get_data(as_text=True))
    assert "the Taipei City profile has none of its own" in page


def test_a_deployment_applying_both_evaluations_offers_both(make_host):
    app = make_host("kaohsiung")
    _adopt(app, ["TN-PERF-1", "TN-PERF-3"])
    client = app.test_client()
    login(client, "staff")
    page = _main(client.get("/appgov/kpi").get_data(as_text=True))
    assert 'href="/appgov/kpi?evaluation=tainan"' in page and 'name="population"' in page
    page = _main(client.get("/appgov/kpi?evaluation=tainan").get_data(as_text=True))
    assert 'name="installs_target"' in page


def test_an_evaluation_date_before_the_adoption_is_refused(make_host):
    app = make_host("taipei")
    _adopt(app, ["TN-PERF-1"])
    client = app.test_client()
    login(client, "staff")
    page = _kpi(client, evaluated_on="2020-01-02", installs="1", installs_target="1")
    assert "本系統於民國 109 年 1 月 2 日未適用 TN-PERF-1。" in page
    page = _kpi(client, evaluated_on=today().isoformat(), installs="1", installs_target="1")
    assert "本 App 已達成機關自訂之各項目標（TN-PERF-1）。" in page


def test_under_tainan_kaohsiungs_evaluation_is_not_offered(make_host):
    app = make_host("tainan")
    client = app.test_client()
    login(client, "staff")
    assert client.get("/appgov/kpi?evaluation=kaohsiung").status_code == 404


# -- the policy page ------------------------------------------------------------------------


def test_the_tainan_policy_page_names_its_rules_and_what_it_could_adopt(make_host):
    app = make_host("tainan")
    client = app.test_client()
    login(client, "staff")
    page = _main(client.get("/appgov/policy").get_data(as_text=True))
    assert '<strong class="profile">臺南市</strong>' in page
    assert "資料庫中的規則參數變更 → 臺南市規定 → 共同預設" in page
    assert "appgov.tainan" not in page  # keys are for administrators
    login(client, "admin")
    admin_page = _main(client.get("/appgov/policy").get_data(as_text=True))
    keys = re.search(r'<small class="text-muted module-keys">(.*?)</small>', admin_page)
    assert keys.group(1) == "appgov.database → appgov.tainan → appgov.defaults"  # small print
    login(client, "staff")
    applied = _section(page, "applied")
    assert {"TN-EVAL-2", "TN-PERF-1", "TIME-1"} <= _rule_ids(applied)
    assert not {"KH-EVAL-1", "KH-KPI-1", "KH-SEC-1"} & _rule_ids(applied)
    assert "App 開發評估申請表單" in applied and "App 績效評核頁面" in applied
    adoptable = _section(page, "adoptable")
    assert {"KH-EVAL-1", "KH-KPI-1", "KH-KPI-3"} <= _rule_ids(adoptable)
    assert "高雄市規定，未採用" in adoptable
    unused = _section(page, "unused")
    assert {"KH-KPI-4", "TN-LEARN-1", "TP-WG-4", "KH-SEC-1"} <= _rule_ids(unused)
    # the four parameters nothing reads are marked where they are shown (KH-KPI-3's plan
    # length beside its rule among the adoptable ones)
    marked = re.findall(r'<div class="parameter-use-unused">(.*?)</div>', page, re.S)
    with app.test_request_context(), force_locale("zh_Hant_TW"):
        labels = {str(PARAMETERS[name].label) for name in UNUSED_PARAMETERS}
    assert {m.split("<")[0].strip() for m in marked} == labels
    assert all("（尚無流程使用）" in m or "(尚無流程使用)" in m for m in marked)
    _english(client)
    page = _main(client.get("/appgov/policy").get_data(as_text=True))
    assert "Tainan City" in page and "Rules of other cities this deployment could adopt" in page
    assert "Rule parameter changes in the database → Tainan City rules → Shared defaults" in page
    assert "not used by any process yet" in _section(page, "unused")


def test_the_kaohsiung_policy_page_lists_tainans_rules_as_adoptable(make_host):
    app = make_host("kaohsiung")
    client = app.test_client()
    login(client, "staff")
    page = _main(client.get("/appgov/policy").get_data(as_text=True))
    assert "高雄市" in page and "高雄市規定" in page
    assert {"KH-EVAL-1", "KH-EVAL-2", "KH-KPI-1"} <= _rule_ids(_section(page, "applied"))
    assert {"TN-EVAL-2", "TN-PERF-1"} <= _rule_ids(_section(page, "adoptable"))
    assert "TN-EVAL-2" not in _rule_ids(_section(page, "applied"))


def test_the_taipei_policy_page_has_no_app_rules_of_its_own(make_host):
    app = make_host("taipei")
    client = app.test_client()
    login(client, "staff")
    page = _main(client.get("/appgov/policy").get_data(as_text=True))
    applied = _rule_ids(_section(page, "applied"))
    assert not {r for r in applied if r.startswith(("TN-", "KH-"))}
    assert {"TN-EVAL-1", "KH-EVAL-1", "KH-KPI-1", "TN-PERF-1"} <= _rule_ids(
        _section(page, "adoptable")
    )
    unused = _section(page, "unused")
    row = re.search(r'id="rule-TP-WG-4".*?</tr>', unused, re.S).group(0)
    assert "是" in row and "臺北市規定" in row  # Taipei's own rule, no process yet


def test_a_rule_adopted_in_the_database_moves_to_the_applied_rules(make_host):
    app = make_host("taipei")
    _adopt(app, ["KH-EVAL-1"])
    client = app.test_client()
    login(client, "staff")
    page = _main(client.get("/appgov/policy").get_data(as_text=True))
    applied = _section(page, "applied")
    row = re.search(r'id="rule-KH-EVAL-1".*?</tr>', applied, re.S).group(0)
    assert "已採用（規則參數）" in row
    assert "KH-EVAL-1" not in _rule_ids(_section(page, "adoptable"))
    assert "comparable_apps" in _fields(client.get(NEW_PROPOSAL).get_data(as_text=True))


def test_the_index_shows_the_profile_as_a_city(make_host):
    app = make_host("kaohsiung")
    client = app.test_client()
    login(client, "staff")
    page = _main(client.get("/appgov/").get_data(as_text=True))
    assert '<strong class="profile">高雄市</strong>' in page and "kaohsiung" not in page
