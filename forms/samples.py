"""Realistic, complete answer sets for every shipped form definition (``forms/*.toml``).

The sample host's demo data files them as cases (each capability's ``demo.py``); the tests
validate each form with its sample and refuse it with a field taken out
(``tests/test_form_definitions.py``), and ``benchmarks/forms.py`` takes them as its workload.
Answers are given as a case stores them (``case.data``): dates ISO, decimals as text,
``rows`` as lists of dicts, a multichoice as a list. A ``file`` answer is an
:class:`Upload` (what to send); once the form stored it, the stored answer is the reference
``{"sha256", "name", "size", "type"}`` (:func:`stored_files` stores them).

:func:`formdata` turns an answer set into what a browser posts (dates typed as ROC dates,
money with separators, files as ``FileStorage`` of small valid files of their kind), so the
real parsing path is exercised; :data:`SAMPLES` names each form's profile.

The people named here are invented (王小明 and so on); the figures follow the seed
documents' own examples (高雄一指通: 1,986,191 people aged 15-64, target 99,309).
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import FileStorage, MultiDict

# -- files ----------------------------------------------------------------------------------

_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)
_JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b0b0c1912130f"
    "141d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432ffc0000b080001000101011100"
    "ffc4001f0000010501010101010100000000000000000102030405060708090a0bffda0008010100003f00d2cf20ffd9"
)
_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


def _ooxml(main_part: str, content_type: str) -> bytes:
    types = (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
        'package/2006/content-types">'
        f'<Override PartName="/{main_part}" ContentType="{content_type}"/></Types>'
    ).encode()
    return _zip({"[Content_Types].xml": types, main_part: b"<x/>"})


#: A small file of each kind the schema knows, recognised by its content.
SAMPLE_FILES: dict[str, bytes] = {
    "pdf": _PDF,
    "png": _PNG,
    "jpeg": _JPEG,
    "odt": _zip({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<x/>"}),
    "ods": _zip(
        {"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"}
    ),
    "docx": _ooxml(
        "word/document.xml",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    ),
    "xlsx": _ooxml(
        "xl/workbook.xml",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    ),
    "zip": _zip({"readme.txt": b"statistics"}),
}


@dataclass(frozen=True)
class Upload:
    """A file answer to send: a small valid file of ``kind`` named ``name``."""

    kind: str
    name: str

    def storage(self) -> FileStorage:
        return FileStorage(stream=io.BytesIO(SAMPLE_FILES[self.kind]), filename=self.name)


@dataclass(frozen=True)
class Sample:
    """A form's complete answer set for a deployment on ``profile``."""

    key: str
    profile: str
    answers: dict[str, Any] = field(default_factory=dict)


def roc(day: str) -> str:
    """ISO ``2026-11-22`` as an official types it: ``115/11/22``."""
    date = dt.date.fromisoformat(day)
    return f"{date.year - 1911}/{date.month:02d}/{date.day:02d}"


def _typed(kind: str, value: Any) -> str | None:
    if value is None or value is False:
        return None
    if kind == "date":
        return roc(value)
    if kind == "money":
        return f"{value:,}"
    if kind == "boolean":
        return "y"
    return str(value)


#: The answers a field type stores beside its own (apps.fields.AppField.derived_answers).
DERIVED: dict[str, tuple[str, ...]] = {"app": ("app_name",)}


def formdata(definition, answers: dict[str, Any]) -> MultiDict:
    """The POST data a browser sends for ``answers`` to the form of ``definition``.

    A derived answer that is no field of the form (:data:`DERIVED`: ``app_name``, stored
    beside an ``app`` field) is not posted: the form derives it. Any other name must be a
    field's."""
    data = MultiDict()
    fields = set(definition.names)
    derived = {
        name for spec in definition.fields for name in DERIVED.get(spec["type"], ())
    } - fields
    for name, value in answers.items():
        if name in derived:
            continue
        spec = definition.spec(name)
        kind = spec["type"]
        if kind == "rows":
            columns = {c["name"]: c["type"] for c in spec["columns"]}
            for index, row in enumerate(value):
                for column, cell in row.items():
                    text = _typed(columns[column], cell)
                    if text is not None:
                        data.add(f"{name}-{index}-{column}", text)
        elif kind == "multichoice":
            for item in value:
                data.add(name, item)
        elif kind == "file":
            if value is not None:
                data.add(name, value.storage())
        else:
            text = _typed(kind, value)
            if text is not None:
                data.add(name, text)
    return data


def stored(answers: dict[str, Any]) -> dict[str, Any]:
    """The answers as stored, files left out (their reference depends on the content)."""
    return {k: v for k, v in answers.items() if not isinstance(v, Upload)}


# -- the answer sets ----------------------------------------------------------------------

_PURPOSE_TN = (
    "提供市民查詢本市各區公共運動場館之即時使用情形、線上預約場地及繳費，並推播場館休館"
    "及活動訊息，減少市民往返現場排隊之時間。"
)

TN_SELF_ASSESSMENT = {
    "app_name": "臺南運動場館通",
    "purpose": _PURPOSE_TN,
    "platforms": ["ios", "android"],
    "budget": 1_860_000,
    "requirements_spec": Upload("docx", "需求規格內容.docx"),
    "requirements_summary": (
        "場館即時人流、場地預約與線上繳費、休館及活動推播、意見回饋連結市長信箱；"
        "後台與現有場館管理系統介接。"
    ),
    "open_data_first": "no",
    "open_data_reason": (
        "場館即時人流資料目前由委外廠商系統產生，介接格式尚未定案，預計於系統上線後三個月內"
        "於本府資料開放平台開放。"
    ),
    "eligibility_grounds": ["missing_function", "other_necessity"],
    "other_necessity": "配合本府智慧場館政策，須整合各區場館之預約及繳費服務。",
    "mayor_mailbox_link": True,
    "source_code_rights": True,
}

KH_EVALUATION_PLAN = {
    "app_name": "高雄一指通",
    "purpose": "提供市民以單一窗口通報路燈、道路、環境衛生等案件，並查詢處理進度及里民防災卡。",
    "platforms": ["ios", "android"],
    "budget": 2_400_000,
    "comparable_exist": "yes",
    "comparable_list": [
        {
            "name": "高雄市里政線上e指通",
            "provider": "高雄市政府民政局",
            "link": "https://example.gov.tw/apps/li-e",
            "difference": "僅提供里政服務，不受理跨局處通報案件。",
        }
    ],
    "comparable_apps": "民政局App以里政服務為主；本App整合各局處通報，民眾無須下載多個App。",
    "open_data_exception": "personal_data",
    "open_data_exception_note": "通報案件含通報人姓名、電話及位置等個人資料，不宜以開放資料提供。",
    "web_can_replace": "partly",
    "web_alternative": "查詢功能另以響應式網頁提供；拍照定位通報及推播須以App提供。",
    "target_population": 1_986_191,
    "population_basis": "本市15-64歲人口，依民政局人口統計資料。",
    "population_band": "over_1m",
    "kpi_attainable": "yes",
    "kpi_plan": "透過各區公所臨櫃推廣及市長信箱回覆問卷推薦安裝，預估二年內達成下載人次標準。",
}

#: The app a listing sample is filed for: the registry's first app, which the sample host's
#: demo data lists (version 1.4.2) for the demo staff's agency (appgov_plugin/apps/demo.py).
SAMPLE_APP = "1"

LISTING_KH = {
    "kind": "version_change",
    "app": SAMPLE_APP,
    "platforms": ["ios", "android"],
    "city_account": True,
    "city_service_provider": True,
    "keywords": "高雄,通報,市長信箱,1999",
    "description": "市民可拍照定位通報路燈、道路及環境衛生案件，查詢處理進度，並瀏覽里民防災卡。",
    "download_link_ios": "https://apps.apple.com/tw/app/id0000000001",
    "download_link_android": "https://play.google.com/store/apps/details?id=tw.gov.kcg.example",
    "icon": Upload("png", "icon.png"),
    "previous_version": "1.4.2",  # rule KH-VER-1: the registry's current version
    "new_version": "2.0.0",
    "change_summary": "報修可一次上傳多張圖片；調整系統分流機制；里民防災卡內嵌於App。",
    "security_report": Upload("pdf", "資安檢測報告.pdf"),
}

LISTING_TN = {
    "kind": "new_listing",
    "app": SAMPLE_APP,
    "platforms": ["android"],
    "official_account": "yes",
    "agency_admin_account": "sports-app@example.tainan.gov.tw",
    "description": "查詢各區運動場館即時使用情形、線上預約場地及繳費，並接收休館及活動通知。",
    "download_link_android": "https://play.google.com/store/apps/details?id=tw.gov.tainan.example",
    "icon": Upload("jpeg", "icon.jpg"),
    "new_version": "1.0.0",
}

#: version 2: the app chosen from the registry (its id; the demo and the tests give the id of
#: an app of the filing agency), its name stored beside it
DELISTING = {
    "app": "1",
    "app_name": "臺南古都燈會",
    "platforms": ["ios", "android"],
    "takedown_kind": "permanent",
    "grounds": "event_ended",
    "evaluation": (
        "本App為115年燈會活動所發展，活動已於115年3月結束，相關資訊已移至本府觀光旅遊網。"
    ),
    "announced_on": "2026-04-01",
    "delist_on": "2026-05-04",
    "open_source": "not_open",
    "not_open_reason": "程式含委外廠商之商用地圖元件授權，無法再授權民眾利用。",
    "not_open_approved": True,
    "not_open_approved_on": "2026-03-25",
}

_UI_UX = (
    "預計增修報修上傳圖片功能。目前報修上傳圖片僅能上傳單筆檔案，無法提供使用者一次上傳多檔，"
    "民眾反應通報一件道路坑洞案件時須重複操作多次，操作不便且容易中斷。未來上傳方式將提供民眾"
    "可於上傳前透過checkbox進行多檔選擇，並支援JPG、GIF、PNG等圖檔格式，於上傳前先行壓縮圖片"
    "以減少行動網路流量。介面部分將重新設計通報流程為三個步驟：選擇案件類別、拍照或選擇圖片、"
    "確認位置後送出，每一步驟皆顯示進度，並放大主要按鈕以符合無障礙設計規範，方便年長者操作。"
    "情境描述：市民於路上發現路燈故障，開啟App後點選「路燈」類別，一次選取三張照片，系統自動"
    "帶入目前位置，確認後即可送出，全程預計可於一分鐘內完成。"
)
_FUNCTIONS = (
    "1. 民眾使用App常反應連線異常，經查相關紀錄確認為瞬間流量爆增之問題，預計調整系統分流機制，"
    "將通報受理與查詢服務分離部署，並增設快取伺服器，進行整體連線數提昇改善；連線中斷時，"
    "App將暫存使用者已填寫之資料，恢復連線後自動續傳，避免民眾重新輸入。"
    "2. 民眾反應使用里民防災卡無法預覽，經查係因使用者選完區、里之後，畫面會跳出App進行一般"
    "網站瀏覽，為解決無法於App畫面瀏覽之問題，預計將相關里民防災卡資訊內嵌於App，並提供離線"
    "下載，避免連結異常導致無法預覽之情形。"
    "3. 新增案件處理進度推播通知，案件分派、處理完成時主動通知通報人，減少民眾來電查詢。"
)
_FEEDBACK = (
    "彙整近一年軟體市集評論及市長信箱意見共計三百餘則，主要反應如下："
    "1. 報修上傳圖片只能上傳一張。2. 連線常常異常，又要重打資料。3. 里民防災卡無法預覽。"
    "4. 案件處理進度不易查詢，希望主動通知。5. 夜間通報時地圖定位偏移，需手動調整位置。"
    "6. 年長者反應字體過小、按鈕不易點選。上述意見已逐項納入本次改版之UI/UX改善及功能提昇項目，"
    "並將於改版上架後一個月內再次蒐集評論，檢視改善成效。"
)
_SECURITY = (
    "改版後將符合經濟部工業局行動應用App基本資安規範及檢測基準（最新版），委託合格檢測實驗室"
    "完成基本資安檢測並提供檢測報告；傳輸全程使用TLS 1.2以上加密，通報人個人資料於後台加密"
    "儲存並依個人資料保護法限制存取，僅承辦人員得檢視；後台管理介面限本府內部網路連線並採雙因素"
    "驗證，每年辦理弱點掃描及滲透測試，發現之弱點於一個月內完成修補。"
)
_MARKET_SEGMENT = (
    "目前雖有其他機關，如民政局高雄市里政線上e指通，但與本App目標市場區隔仍有不同。高雄一指通"
    "原則希望民眾以本App為單一窗口，整合各局處之通報及查詢服務，減少民眾下載過多App；民間雖有"
    "地圖及社群通報工具，但無法直接分案至本府權責機關並追蹤處理進度，亦無法與市長信箱及1999"
    "話務系統整合，故有別於民間服務。"
)
_TARGET_GROUP = (
    "行銷目標對象為本市市民，預估下載人口年齡層介於15至64歲人口，依高雄市政府民政局網站人口統計"
    "資料，計有1,986,191人；另以各區公所臨櫃洽公民眾為優先推廣對象，每月臨櫃人次約十二萬人次。"
)
_POSITIONING = (
    "目前雖相關功能及介面仍需調整，惟目前下載量亦在本府App下載次數前幾名，且民間並無相似App可"
    "取代，故透過加強行銷觸及潛在使用人口，冀望能繼續提供市民朋友快速簡易的反應問題管道，並作為"
    "本府各項通報服務之單一入口。未來將持續依民眾回饋以子版本號及階段版本號定期優化，使本App"
    "成為市民處理生活大小事之首選工具，並與1999話務、市長信箱等管道資料互通，提升整體為民服務效能。"
)
_MARKETING_BASIS = (
    "依高雄市政府民政局網站人口統計資料，目標對象15-64歲人口為1,986,191人，故1,986,191×5%="
    "99,309，本App下載標準人次訂為10萬人次。預期效果：100,000×0.5（以半數目標對象為潛在使用者），"
    "預期成長50,000人，84,340+50,000=134,340（下載總次數）大於100,000（下載目標）。"
)

#: version 2: the app chosen from the registry (its id; the demo and the tests give the id of
#: an app of the filing agency), its name stored beside it, and the year whose KPI it failed
IMPROVEMENT_MARKETING_PLAN = {
    "app": SAMPLE_APP,
    "app_name": "高雄一指通",
    "year": 2026,
    "target_population": 1_986_191,
    "downloads": 84_340,
    "rating_ios": "3.2",
    "rating_android": "3.4",
    "ui_ux": _UI_UX,
    "functions": _FUNCTIONS,
    "feedback": _FEEDBACK,
    "improvement_from": "2027-01-04",
    "improvement_to": "2027-06-30",
    "data_update_cycle": "other",
    "data_update_other": "資訊為即時更新。",
    "security_standards": [
        "basic_spec",
        "testing_standard",
        "self_testing",
        "dev_guide",
        "test_report",
    ],
    "security_measures": _SECURITY,
    "release_planned": "2027-07-15",
    "funding_source": "編列年度預算",
    "improvement_costs": [
        {"item": "增修報修上傳圖片多個以上", "description": "如UI/UX改善說明", "amount": 50_000},
        {"item": "降低App連線異常狀況", "description": "如功能提昇說明(1)", "amount": 50_000},
        {"item": "里民防災卡無法預覽", "description": "如功能提昇說明(2)", "amount": 100_000},
        {
            "item": "資訊安全防護措施",
            "description": "如(六)敘明相關資訊安全防護措施",
            "amount": 200_000,
        },
    ],
    "expected_rating": "4.0",
    "market_segment": _MARKET_SEGMENT,
    "target_group": _TARGET_GROUP,
    "target_group_size": 1_986_191,
    "target_group_evidence": Upload("pdf", "民政局人口統計.pdf"),
    "positioning": _POSITIONING,
    "marketing_band": "over_1m",
    "marketing_target": 100_000,
    "marketing_basis": _MARKETING_BASIS,
    "marketing_actions": [
        {
            "action": (
                "各區公所臨櫃櫃檯放置大型看版及QRcode，由公所人員推薦民眾臨櫃辦理案件掃描安裝。"
            ),
            "staff": "38區公所臨櫃人員",
            "staff_count": 38,
            "expected_effect": "每月觸及臨櫃洽公民眾約十二萬人次。",
            "expected_downloads": 35_000,
        },
        {
            "action": "市長信箱回覆案件滿意度調查時，於問卷上推薦安裝App及下載之QRcode。",
            "staff": "研考會資訊人員",
            "staff_count": 5,
            "expected_effect": "每月觸及市長信箱陳情民眾約一萬人。",
            "expected_downloads": 15_000,
        },
    ],
    "marketing_funding_source": "編列年度預算",
    "marketing_costs": [
        {"item": "大型看版及QRcode", "description": "如行銷內容說明", "amount": 100_000},
        {"item": "市長信箱回覆案件樣式增修", "description": "如行銷內容說明", "amount": 50_000},
    ],
}

_CHECK_ITEMS_YES = {
    name: "yes"
    for name in (
        "perf_assessed",
        "content_updated",
        "backend_maintained",
        "official_account",
        "admin_account",
        "portal_current",
        "store_reviews_collected",
        "feedback_collected",
    )
}

SELF_CHECK = {
    "app_name": "臺南運動場館通",
    "period_from": "2026-07-01",
    "period_to": "2026-12-31",
    "mailbox_linked": "no",
    **_CHECK_ITEMS_YES,
    "defects_fixed": "no",
    "defects_fixed_note": "11月預約金流異常，委外廠商於9日後修復。",
    "reviews_handled": "no",
    "reviews_handled_note": "尚有3則評論待場館管理單位回覆。",
    "installs": 12_480,
    "installs_target": 10_000,
    "uninstalls": 1_320,
    "uninstalls_limit": 2_000,
    "store_rating": "3.9",
    "rating_target": "4.0",
    "targets_met": "no",
    "follow_up": "improve",
    "improvement_measures": (
        "評價未達自訂目標：改善預約流程、縮短金流異常修復時間，並於下期檢核追蹤。"
    ),
    "reviews_received": 86,
    "reviews_answered": 83,
    "reviews_target_percent": 90,
    "handling": "每週彙整軟體市集評論，轉請場館管理單位回覆；金流異常評論已逐則致歉說明。",
    "reported_to_head_on": "2027-01-08",
}

KPI_YEARLY_REPORT = {
    "app_name": "e啦原住民",
    "year": 115,
    "target_population": 35_000,
    "population_basis": "本市原住民人口，依原住民族事務委員會統計資料。",
    "downloads": 9_120,
    "rating_ios": "4.1",
    "rating_count_ios": 120,
    "rating_android": "3.8",
    "rating_count_android": 310,
    "kpi_met": ["downloads", "rating"],
    "results_summary": (
        "年度累計下載9,120人次，已達下載人次標準8,750人次；合計平均星等高於3.5星等。"
    ),
    "feedback_summary": "蒐集軟體市集評論42則，主要為活動報名流程建議，已於2.3版改善。",
    "releases": [
        {"version": "2.2.1", "released_on": "2026-03-10", "changes": "修正活動推播時間錯誤。"},
        {
            "version": "2.3.0",
            "released_on": "2026-08-20",
            "changes": "活動報名流程簡化為兩個步驟。",
        },
    ],
    "statistics": Upload("xlsx", "115年下載統計.xlsx"),
}

_PEOPLE = [
    ("王小明", "科長", "資訊室", "02-2720-8889#1234", "wang.xm@example.gov.taipei"),
    ("李美華", "專員", "資訊室", "02-2720-8889#1235", "li.mh@example.gov.taipei"),
    ("陳志強", "管理師", "資訊室", "02-2720-8889#1236", "chen.cc@example.gov.taipei"),
    ("林雅婷", "科員", "秘書室", "02-2720-8889#1237", "lin.yt@example.gov.taipei"),
    ("張家豪", "科員", "人事室", "02-2720-8889#1238", "chang.jh@example.gov.taipei"),
]


def _person(index: int) -> dict[str, str]:
    name, title, unit, phone, email = _PEOPLE[index]
    person = {"name": name, "title": title, "unit": unit, "phone": phone, "email": email}
    return {"employee_id": f"TP{100 + index:04d}", **person}  # the roll-out registry's id


WORK_GROUP_ROSTER = {
    "system_name": "臺北市政府公文管理系統",
    "report_kind": "change",
    "effective_on": "2026-11-02",
    "change_summary": "系統種子人員張家豪調任，由林雅婷接任。",
    "reported_on": "2026-11-04",
    "members": [
        {"role": "convener", **_person(0), "title": "主任"},
        {"role": "admin", **_person(1)},
        {"role": "admin", **_person(2)},
        {"role": "seed", **_person(3)},
    ],
    "convener_level": True,
}

ADMIN_SEED_NOMINATION = {
    "system_name": "臺北市政府公文管理系統",
    "change_kind": "initial",
    "admins": [_person(1), _person(2)],
    "seeds": [
        {**_person(3), "duties": "秘書室、總務科"},
        {**_person(4), "duties": "人事室、會計室"},
    ],
}

#: version 2: a course the IT department keeps (its code) and the trainees by employee id
TRAINING_ENROLLMENT = {
    "course_code": "TP-EDOC-SEED-03",
    "trainees": [
        {"employee_id": "T0001", "name": "林雅婷", "retake": False},
        {"employee_id": "T0002", "name": "張家豪", "retake": False},
    ],
}

TRAINING_LEAVE_REQUEST = {
    # version 2: the trainee by employee id, the course by code, the session by its date
    "employee_id": "T0001",
    "course_code": "TP-EDOC-SEED-03",
    "session_date": "2026-12-10",
    "leave_kind": "emergency",
    "leave_hours": "3",
    "reason": "當日家人送醫急診，無法事先請假。",
    "proof": Upload("pdf", "急診證明.pdf"),
}

SUPPORT_TICKET = {
    "system_name": "公文線上簽核系統",
    "subject": "無法登入公文線上簽核系統",
    "description": "輸入帳號密碼後出現錯誤代碼 E401，已清除瀏覽器快取仍無法登入。",
    "contact": "分機 1234",
}

#: One complete answer set per shipped form, for the profile that files it.
SAMPLES: dict[str, Sample] = {
    s.key: s
    for s in (
        Sample("tn_self_assessment", "tainan", TN_SELF_ASSESSMENT),
        Sample("kh_evaluation_plan", "kaohsiung", KH_EVALUATION_PLAN),
        Sample("listing_checklist", "kaohsiung", LISTING_KH),
        Sample("delisting_application", "tainan", DELISTING),
        Sample("improvement_marketing_plan", "kaohsiung", IMPROVEMENT_MARKETING_PLAN),
        Sample("self_check_checklist", "tainan", SELF_CHECK),
        Sample("kpi_yearly_report", "kaohsiung", KPI_YEARLY_REPORT),
        Sample("work_group_roster", "taipei", WORK_GROUP_ROSTER),
        Sample("admin_seed_nomination", "taipei", ADMIN_SEED_NOMINATION),
        Sample("training_enrollment", "taipei", TRAINING_ENROLLMENT),
        Sample("training_leave_request", "taipei", TRAINING_LEAVE_REQUEST),
        Sample("support_ticket", "taipei", SUPPORT_TICKET),
    )
}

#: Further complete answer sets: the same form filed on another profile.
VARIANTS: list[Sample] = [
    Sample("listing_checklist", "tainan", LISTING_TN),
]


def stored_files(answers: dict[str, Any]) -> dict[str, Any]:
    """The answers as a case stores them, each :class:`Upload` stored in the upload folder
    (inside an application running appgov) and replaced by its reference."""
    from appgov_plugin import uploads

    result = {}
    for name, value in answers.items():
        if isinstance(value, Upload):
            content = io.BytesIO(SAMPLE_FILES[value.kind])
            value = uploads.store(content, value.name, (value.kind,), len(SAMPLE_FILES[value.kind]))
        result[name] = value
    return result


def answers_for(key: str, profile: str) -> dict[str, Any] | None:
    """The sample answers of form ``key`` as filed on ``profile`` (else on its own)."""
    for sample in (*VARIANTS, SAMPLES[key]):
        if sample.key == key and sample.profile == profile:
            return sample.answers
    return SAMPLES[key].answers if key in SAMPLES else None


def plan_text_length(answers: dict[str, Any], fields) -> int:
    """Characters of ``fields`` together (KH-KPI-3's count)."""
    return sum(len(answers.get(name) or "") for name in fields)


__all__ = [
    "DERIVED",
    "SAMPLE_APP",
    "SAMPLES",
    "SAMPLE_FILES",
    "VARIANTS",
    "Sample",
    "Upload",
    "answers_for",
    "formdata",
    "roc",
    "stored",
    "stored_files",
]
