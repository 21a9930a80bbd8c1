"""The form definitions of the city documents (forms/*.toml): each loads, speaks both
languages, cites real rules, is offered where its city's rules apply, validates a complete
realistic answer set (tests/form_samples.py) and refuses an incomplete one naming the field,
and its declared conditions do what the rules say.

The forms about one app of the registry (a field of type ``app``: the listing checklist, the
delisting application, the plan) are posted in the test intranet (tests/intranet.py), where
appgov has its state and database and the user filing belongs to the agency of the registry
app the samples name (``SAMPLE_APP``); every other form in a bare Flask application."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from pathlib import Path

import pytest
from flask import Flask
from flask_babel import Babel, force_locale
from flask_login import login_user
from form_samples import SAMPLE_APP, SAMPLES, VARIANTS, Upload, formdata, stored
from intranet import USERS, make_intranet
from markupsafe import escape

import appgov_plugin
from appgov_plugin import migrations
from appgov_plugin.apps.models import App
from appgov_plugin.forms import builder
from appgov_plugin.policy.rulebook import rule as known_rule

FORMS_DIR = Path(__file__).resolve().parent.parent / "forms"

#: form -> (the profile that files it, the profiles that do not offer it)
OFFERED = {
    "tn_self_assessment": ("tainan", ("kaohsiung", "taipei")),
    "kh_evaluation_plan": ("kaohsiung", ("tainan", "taipei")),
    "listing_checklist": ("kaohsiung", ("taipei",)),
    "delisting_application": ("tainan", ("kaohsiung", "taipei")),
    "improvement_marketing_plan": ("kaohsiung", ("tainan", "taipei")),
    "self_check_checklist": ("tainan", ("kaohsiung", "taipei")),
    "kpi_yearly_report": ("kaohsiung", ("tainan", "taipei")),
    "work_group_roster": ("taipei", ("tainan", "kaohsiung")),
    "admin_seed_nomination": ("taipei", ("tainan", "kaohsiung")),
    "training_enrollment": ("taipei", ("tainan", "kaohsiung")),
    "training_leave_request": ("taipei", ("tainan", "kaohsiung")),
    "support_ticket": ("taipei", ("tainan", "kaohsiung")),
}
FORMS = sorted(OFFERED)
#: forms of cases appgov opens where a rule says so, never filed by an agency (no sample):
#: form -> the profile whose rule opens it (rule KH-KPI-4: the forced delisting)
OPENED_BY_RULE = {
    "forced_delisting": "kaohsiung",
    "training_fitness_review": "taipei",
    "grade_review_report": "taipei",  # rule TP-GRADE-2
    "perf_review_report": "tainan",  # rule TN-PERF-3
}
SHIPPED = [*FORMS, *OPENED_BY_RULE]
#: the published version of each form: version 2 chooses the app from the registry (type
#: "app", its name stored beside it as app_name); the plan also asks the failing year
VERSIONS = {
    "listing_checklist": 2,
    "delisting_application": 2,
    "improvement_marketing_plan": 2,
    # version 2 names each person by employee id (the roll-out registry, issue 12)
    "work_group_roster": 2,
    "admin_seed_nomination": 2,
    # version 2: the course appgov keeps (its code) and the trainees by employee id (issue 13)
    "training_enrollment": 2,
    # version 2: the trainee by employee id, the course by code, the session by its date;
    # the filing date is the submission's (issue 13, TP-TRN-2)
    "training_leave_request": 2,
}
RULE_ID = re.compile(r"\b(?:(?:TN|KH|TP)-[A-Z]+-[0-9]+|(?:TIME|MAIL)-[0-9]+)\b")
CJK = re.compile(r"[\u4e00-\u9fff]")
BRANDS = re.compile(r"Apple App Store|Google Play|iOS|Android|UI/UX|App|Open Data|Open API")


@pytest.fixture
def app(tmp_path):
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY="t", WTF_CSRF_ENABLED=False, APPGOV_UPLOAD_DIR=str(tmp_path / "uploads")
    )
    Babel(app, default_locale="zh_Hant_TW")
    return app


#: The user filing in the test intranet (an agency's staff) and the name of the registry app
#: the samples are filed for unless a sample names it (``app_name``)
FILER = USERS["clerk"]
REGISTRY_APP_NAME = "高雄一指通"


def _raw(key: str) -> dict:
    return tomllib.loads((FORMS_DIR / f"{key}.toml").read_text(encoding="utf-8"))


def _chooses_an_app(key: str) -> bool:
    """The form has a field of type ``app`` (one app of the registry)."""
    return any(what == "field" and spec["type"] == "app" for what, spec in _all_specs(_raw(key)))


@pytest.fixture
def registry(tmp_path):
    """The test intranet with appgov's state on SQLite, migrated, with the registry app the
    samples are filed for (id ``SAMPLE_APP``, listed, version 1.4.2) of the agency of
    :data:`FILER`; requests of :func:`_submit` are the filer's."""
    intranet, db, _ = make_intranet(
        f"sqlite:///{tmp_path / 'registry.sqlite'}",
        WTF_CSRF_ENABLED=False,
        APPGOV_UPLOAD_DIR=str(tmp_path / "uploads"),
    )
    with intranet.app_context():
        migrations.upgrade(db.engine)
        state = intranet.extensions["appgov"]
        state.session.add(
            App(
                id=int(SAMPLE_APP),
                agency_code=FILER.agency_code,
                name=REGISTRY_APP_NAME,
                status="listed",
                version="1.4.2",
                listed_on=dt.date(2023, 3, 1),
            )
        )
        state.session.commit()
    yield intranet
    with intranet.app_context():
        db.engine.dispose()


@pytest.fixture
def app_for(request):
    """``app_for(key)``: the application form ``key`` is posted in (see the module's
    docstring)."""
    return lambda key: request.getfixturevalue("registry" if _chooses_an_app(key) else "app")


def _name_registry_app(app, answers: dict) -> None:
    """The registry app carries the name the answers store for it (``app_name``)."""
    with app.app_context():
        state = app.extensions["appgov"]
        registered = state.session.get(App, int(SAMPLE_APP))
        registered.name = answers.get("app_name", REGISTRY_APP_NAME)
        state.session.commit()


def _submit(app, key: str, profile: str, answers: dict, locale: str = "en"):
    """Post ``answers`` to form ``key`` as a ``profile`` deployment asks it; the validated
    form (``ok``, errors, answers) is returned. In the test intranet (:func:`registry`) the
    filer posts it."""
    definition = builder.load(key)
    policy = appgov_plugin.get_policy(profile)
    in_registry = "appgov" in app.extensions
    if in_registry:
        _name_registry_app(app, answers)
    with app.test_request_context(method="POST"), force_locale(locale):
        if in_registry:
            login_user(FILER)
        form = definition.form_for(policy, formdata=formdata(definition, answers))
        ok = form.validate()
        errors = {name: [str(e) for e in errs] for name, errs in form.errors.items() if errs}
        return ok, errors, (form.answers() if ok else None), form


def _without(answers: dict, *names: str) -> dict:
    return {k: v for k, v in answers.items() if k not in names}


def _with(answers: dict, **changes) -> dict:
    return {**answers, **changes}


# -- the files ------------------------------------------------------------------------------


def test_every_form_has_a_sample_and_ships():
    assert set(FORMS) <= set(builder.available())
    assert set(SAMPLES) == set(FORMS)


@pytest.mark.parametrize("key", SHIPPED)
def test_definition_loads(key):
    definition = builder.load(key)
    assert definition.key == key and definition.version == VERSIONS.get(key, 1)
    assert definition.source == f"forms/{key}.toml"
    assert definition.rules, "every city form names the rules that offer it"


def _texts(node, where=""):
    """Every bilingual text of a definition: (where, {language: text})."""
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{where}.{key}" if where else key
            if key in ("title", "intro", "label", "help", "text", "message", "must_be_message"):
                yield here, value
            else:
                yield from _texts(value, here)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            name = item.get("name") or item.get("value") if isinstance(item, dict) else None
            yield from _texts(item, f"{where}[{name or index}]")


@pytest.mark.parametrize("key", SHIPPED)
def test_every_visible_text_has_both_languages(key):
    texts = list(_texts(_raw(key)))
    assert len(texts) > (10 if key in FORMS else 5)  # the authority's short case form
    for where, text in texts:
        assert isinstance(text, dict) and set(text) == {"zh_Hant_TW", "en"}, where
        zh, en = text["zh_Hant_TW"].strip(), text["en"].strip()
        assert zh and en, where
        if CJK.search(zh) is None:  # only names: "iOS", "Apple App Store（iOS）"
            rest = re.sub(r"[\W\d_]+", "", BRANDS.sub("", zh))
            assert not rest, f"{where}: the Chinese text has no Chinese: {zh!r}"
            assert not CJK.search(en), f"{where}: the English text has Chinese: {en!r}"
    # the definition's texts reach the form in the reader's language
    definition = builder.load(key)
    assert CJK.search(definition.title.resolve("zh_Hant_TW"))
    assert not CJK.search(definition.title.resolve("en"))


@pytest.mark.parametrize("key", SHIPPED)
def test_every_cited_rule_exists(key):
    source = (FORMS_DIR / f"{key}.toml").read_text(encoding="utf-8")
    cited = set(RULE_ID.findall(source))
    assert cited, "a city form cites its rules"
    for rule_id in sorted(cited):
        known_rule(rule_id)  # ValueError names an unknown one
    # and the rule of a field is the city's own (or the form's adopters')
    raw = _raw(key)
    prefixes = {r.split("-")[0] for r in raw["rules"]}
    for _where, spec in _all_specs(raw):
        for rule_id in (
            [spec["rule"]] if isinstance(spec.get("rule"), str) else spec.get("rule", [])
        ):
            assert rule_id.split("-")[0] in prefixes, (key, spec["name"], rule_id)


def _all_specs(raw):
    for section in raw.get("sections", []):
        yield "section", section
        for spec in section["fields"]:
            yield "field", spec
    for spec in raw.get("fields", []):
        yield "field", spec


def test_every_field_type_is_used_somewhere():
    used = set()
    for key in FORMS:
        for what, spec in _all_specs(_raw(key)):
            if what == "field":
                used.add(spec["type"])
    assert used == set(builder.FIELD_TYPES)


# -- offered where the city's rules apply ---------------------------------------------------


@pytest.mark.parametrize("key", FORMS)
def test_offered_by_its_city_only(key):
    profile, not_there = OFFERED[key]
    definition = builder.load(key)
    assert definition.offered_by(appgov_plugin.get_policy(profile))
    for other in not_there:
        assert not definition.offered_by(appgov_plugin.get_policy(other)), other


def test_listing_checklist_asks_each_city_its_own_questions(app):
    definition = builder.load("listing_checklist")
    tainan = set(definition.asked(appgov_plugin.get_policy("tainan").applies))
    kaohsiung = set(definition.asked(appgov_plugin.get_policy("kaohsiung").applies))
    # rule TN-LIST-1/2: official account (or migration), agency administrator account
    assert {"official_account", "agency_admin_account"} <= tainan - kaohsiung
    # rule KH-LIST-1, KH-SEC-1: city account, service provider, keywords, security report
    assert {"city_account", "city_service_provider", "keywords", "security_report"} <= (
        kaohsiung - tainan
    )
    # rule KH-LIST-2 / TN-LIST-1: description, links and icon in both
    assert {"description", "download_link_ios", "icon", "new_version"} <= tainan & kaohsiung


# -- complete and incomplete answer sets ----------------------------------------------------

ALL_SAMPLES = [*SAMPLES.values(), *VARIANTS]


@pytest.mark.parametrize("sample", ALL_SAMPLES, ids=lambda s: f"{s.key}-{s.profile}")
@pytest.mark.parametrize("locale", ["en", "zh_Hant_TW"])
def test_complete_sample_validates_and_is_stored_as_given(app_for, sample, locale):
    app = app_for(sample.key)
    ok, errors, answers, form = _submit(app, sample.key, sample.profile, sample.answers, locale)
    assert ok, errors
    for name, value in stored(sample.answers).items():
        assert answers[name] == value, name
    for name, value in sample.answers.items():
        if isinstance(value, Upload):
            reference = answers[name]
            assert reference["name"] == value.name and len(reference["sha256"]) == 64
    policy = appgov_plugin.get_policy(sample.profile)
    if "download_target" in answers:  # rule KH-KPI-1, computed by the facade
        assert answers["download_target"] == policy.download_target(
            sample.answers["target_population"]
        )


def _statically_required(key: str, profile: str) -> list[str]:
    """Fields the sample's deployment asks that are required without any condition."""
    definition = builder.load(key)
    asked = set(definition.asked(appgov_plugin.get_policy(profile).applies))
    names = []
    for section in _raw(key).get("sections", [{"fields": _raw(key).get("fields", [])}]):
        if any(c in section for c in ("shown_when", "required_when", "required_by")):
            continue
        for spec in section["fields"]:
            conditional = any(c in spec for c in ("shown_when", "required_when", "required_by"))
            if spec["name"] in asked and spec.get("required") and not conditional:
                names.append(spec["name"])
    return names


REQUIRED_CASES = [
    (sample, name)
    for sample in ALL_SAMPLES
    for name in _statically_required(sample.key, sample.profile)
]


@pytest.mark.parametrize(
    ("sample", "name"), REQUIRED_CASES, ids=[f"{s.key}-{s.profile}-{n}" for s, n in REQUIRED_CASES]
)
def test_incomplete_sample_is_refused_naming_the_field(app_for, sample, name):
    assert name in sample.answers, f"the sample leaves out required {name!r}"
    ok, errors, _answers, _form = _submit(
        app_for(sample.key), sample.key, sample.profile, _without(sample.answers, name)
    )
    assert not ok
    assert name in errors, errors


#: the samples of the forms about one app of the registry (a field of type "app")
APP_SAMPLES = [s for s in ALL_SAMPLES if _chooses_an_app(s.key)]


@pytest.mark.parametrize("sample", APP_SAMPLES, ids=lambda s: f"{s.key}-{s.profile}")
def test_the_app_is_one_the_filer_may_file_for(registry, sample):
    # an app of the filer's agency in a status the form names; another agency's app, an app
    # in no such status, an id that is no app: not offered, refused naming the field
    with registry.app_context():
        session = registry.extensions["appgov"].session
        other_agency = App(agency_code="TN-SDC", name="Other", status="listed", version="1.0.0")
        proposed = App(agency_code=FILER.agency_code, name="Proposed", status="proposed")
        session.add_all([other_agency, proposed])
        session.commit()
        refused = [str(other_agency.id), str(proposed.id), "9" * 60, "1a", "-1"]
    ok, errors, answers, form = _submit(registry, sample.key, sample.profile, sample.answers)
    assert ok, errors
    assert answers["app"] == SAMPLE_APP
    assert answers["app_name"] == sample.answers.get("app_name", REGISTRY_APP_NAME)
    assert {choice.value for choice in form.app.choices} == {"", SAMPLE_APP}
    for app_id in refused:
        ok, errors, _a, _f = _submit(
            registry, sample.key, sample.profile, _with(sample.answers, app=app_id)
        )
        assert not ok and set(errors) == {"app"}, (app_id, errors)


def test_must_be_ticked_boxes_refuse_an_untick(app):
    sample = SAMPLES["tn_self_assessment"]
    for name in ("mayor_mailbox_link", "source_code_rights"):  # rule TN-EVAL-4, TN-EVAL-5
        ok, errors, _a, _f = _submit(
            app, sample.key, "tainan", _with(sample.answers, **{name: False})
        )
        assert not ok and name in errors


# -- conditions: Tainan self-assessment (TN-EVAL-2, TN-EVAL-3) --------------------------------


def test_open_data_reason_only_when_not_opened_first(app):
    # rule TN-EVAL-2
    answers = SAMPLES["tn_self_assessment"].answers
    ok, errors, _a, _f = _submit(
        app, "tn_self_assessment", "tainan", _without(answers, "open_data_reason")
    )
    assert not ok and "open_data_reason" in errors
    opened = _with(answers, open_data_first="yes")
    ok, errors, _a, _f = _submit(app, "tn_self_assessment", "tainan", opened)
    assert not ok and "open_data_url" in errors  # where it was opened
    opened["open_data_url"] = "https://data.tainan.gov.tw/dataset/sports-venues"
    ok, errors, stored_answers, _f = _submit(app, "tn_self_assessment", "tainan", opened)
    assert ok, errors
    assert "open_data_reason" not in stored_answers  # not shown: the reason is dropped


def test_ground_four_needs_the_necessity(app):
    # rule TN-EVAL-3: the necessity is stated in the form; the agency head approves it in the
    # proposal's workflow (head_approve), not by a tick in the form
    answers = SAMPLES["tn_self_assessment"].answers
    ok, errors, _a, _f = _submit(
        app, "tn_self_assessment", "tainan", _without(answers, "other_necessity")
    )
    assert not ok and "other_necessity" in errors
    only_three = _without(answers, "other_necessity")
    only_three["eligibility_grounds"] = ["trust_sensitive"]
    ok, errors, _a, _f = _submit(app, "tn_self_assessment", "tainan", only_three)
    assert ok, errors
    ok, errors, _a, _f = _submit(
        app, "tn_self_assessment", "tainan", _with(only_three, eligibility_grounds=[])
    )
    assert not ok and "eligibility_grounds" in errors


def test_requirements_specification_must_be_a_document(app):
    # rule TN-EVAL-1: pdf, odt or docx, by content
    answers = _with(
        SAMPLES["tn_self_assessment"].answers, requirements_spec=Upload("png", "spec.pdf")
    )
    ok, errors, _a, _f = _submit(app, "tn_self_assessment", "tainan", answers)
    assert not ok and "requirements_spec" in errors
    for kind in ("pdf", "odt"):
        answers["requirements_spec"] = Upload(kind, f"spec.{kind}")
        ok, errors, _a, _f = _submit(app, "tn_self_assessment", "tainan", answers)
        assert ok, errors


# -- conditions: Kaohsiung evaluation plan (KH-EVAL-1) ----------------------------------------


def test_open_data_answer_required_unless_the_exception_holds(app):
    # rule KH-EVAL-1 item 2
    answers = SAMPLES["kh_evaluation_plan"].answers
    ok, errors, _a, _f = _submit(app, "kh_evaluation_plan", "kaohsiung", answers)
    assert ok, errors  # personal data: no open-data answer needed
    plain = _with(_without(answers, "open_data_exception_note"), open_data_exception="none")
    ok, errors, _a, _f = _submit(app, "kh_evaluation_plan", "kaohsiung", plain)
    assert not ok and set(errors) == {"open_data_alternative"}
    plain["open_data_alternative"] = "案件統計資料可每月以開放資料提供，惟通報及推播仍須以App提供。"
    ok, errors, _a, _f = _submit(app, "kh_evaluation_plan", "kaohsiung", plain)
    assert ok, errors


def test_comparable_apps_listed_when_they_exist(app):
    answers = _without(SAMPLES["kh_evaluation_plan"].answers, "comparable_list")
    ok, errors, _a, _f = _submit(app, "kh_evaluation_plan", "kaohsiung", answers)
    assert not ok and "comparable_list" in errors
    ok, errors, _a, _f = _submit(
        app, "kh_evaluation_plan", "kaohsiung", _with(answers, comparable_exist="no")
    )
    assert ok, errors


@pytest.mark.parametrize(("population", "target"), [(2_750_000, 137_500), (35_000, 8_750)])
def test_download_target_is_computed_from_the_population(app, population, target):
    # rule KH-KPI-1, the seed's worked examples
    answers = _with(SAMPLES["kh_evaluation_plan"].answers, target_population=population)
    ok, errors, stored_answers, _f = _submit(app, "kh_evaluation_plan", "kaohsiung", answers)
    assert ok, errors
    assert stored_answers["download_target"] == target


# -- conditions: listing checklist (KH-SEC-1, KH-VER-1, KH-LIST-1/2, TN-LIST-2) ----------------


def test_security_report_for_a_new_major_version_not_for_a_patch(registry):
    # rule KH-SEC-1 (二), KH-VER-1
    answers = _without(SAMPLES["listing_checklist"].answers, "security_report")
    ok, errors, _a, _f = _submit(registry, "listing_checklist", "kaohsiung", answers)
    assert not ok and set(errors) == {"security_report"}  # 1.4.2 -> 2.0.0
    for new in ("1.4.3", "1.5.0"):  # from the registry's 1.4.2: a patch, a minor version
        ok, errors, _a, _f = _submit(
            registry, "listing_checklist", "kaohsiung", _with(answers, new_version=new)
        )
        assert ok, (new, errors)


def test_security_report_for_a_new_app(registry):
    # rule KH-SEC-1 (一)
    answers = _with(
        _without(SAMPLES["listing_checklist"].answers, "security_report", "previous_version"),
        kind="new_listing",
        new_version="1.0.0",
    )
    ok, errors, _a, _f = _submit(registry, "listing_checklist", "kaohsiung", answers)
    assert not ok and set(errors) == {"security_report"}


def test_security_report_for_relisting_after_a_security_takedown(registry):
    # rule KH-SEC-1 (三): same major version, but taken down for a security risk
    answers = _with(
        _without(SAMPLES["listing_checklist"].answers, "security_report"),
        kind="relisting",
        new_version="1.4.3",  # the registry's 1.4.2: the same major version
    )
    ok, errors, _a, _f = _submit(registry, "listing_checklist", "kaohsiung", answers)
    assert ok, errors  # a takedown for another reason
    ok, errors, _a, _f = _submit(
        registry, "listing_checklist", "kaohsiung", _with(answers, security_takedown=True)
    )
    assert not ok and set(errors) == {"security_report"}


def test_no_security_report_asked_in_tainan(registry):
    # rules.md "Profiles are real": Tainan applies no KH-SEC-1
    answers = _with(
        VARIANTS[0].answers,
        new_version="2.0.0",
        kind="version_change",
        previous_version="1.4.0",
        change_summary="新增線上繳費。",
    )
    ok, errors, stored_answers, form = _submit(registry, "listing_checklist", "tainan", answers)
    assert ok, errors
    assert "security_report" not in form and "keywords" not in form


def test_kaohsiung_store_account_and_keywords(registry):
    # rule KH-LIST-1
    answers = SAMPLES["listing_checklist"].answers
    for name in ("city_account", "city_service_provider"):
        ok, errors, _a, _f = _submit(
            registry, "listing_checklist", "kaohsiung", _with(answers, **{name: False})
        )
        assert not ok and name in errors


def test_at_least_one_download_link(registry):
    # rule KH-LIST-2
    answers = _without(
        SAMPLES["listing_checklist"].answers, "download_link_ios", "download_link_android"
    )
    ok, errors, _a, form = _submit(registry, "listing_checklist", "kaohsiung", answers)
    assert not ok and "download_link_ios" in errors
    ok, errors, _a, _f = _submit(
        registry,
        "listing_checklist",
        "kaohsiung",
        _with(answers, download_link_android="ftp://x.example"),
    )
    assert not ok and "download_link_android" in errors  # http/https only


def test_icon_must_be_an_image(registry):
    answers = _with(SAMPLES["listing_checklist"].answers, icon=Upload("pdf", "icon.png"))
    ok, errors, _a, _f = _submit(registry, "listing_checklist", "kaohsiung", answers)
    assert not ok and "icon" in errors


def test_agency_administrator_account_when_listing_in_tainan(registry):
    # rule TN-LIST-2
    answers = VARIANTS[0].answers
    ok, errors, _a, _f = _submit(
        registry, "listing_checklist", "tainan", _without(answers, "agency_admin_account")
    )
    assert not ok and "agency_admin_account" in errors
    ok, errors, _a, _f = _submit(
        registry,
        "listing_checklist",
        "tainan",
        _with(answers, agency_admin_account="not an address"),
    )
    assert not ok and "agency_admin_account" in errors


# -- conditions: delisting application (TN-DEL-1..3) ------------------------------------------


def test_delisting_date_too_soon_refused_unless_ground_five(registry):
    # rule TN-DEL-2, TIME-4: one calendar month after the announcement
    answers = SAMPLES["delisting_application"].answers
    earliest = appgov_plugin.get_policy("tainan").deadline(
        "delisting_notice", dt.date.fromisoformat(answers["announced_on"])
    )
    ok, errors, _a, _f = _submit(
        registry, "delisting_application", "tainan", _with(answers, delist_on=earliest.isoformat())
    )
    assert ok, errors
    too_soon = _with(answers, delist_on=(earliest - dt.timedelta(days=1)).isoformat())
    ok, errors, _a, _f = _submit(registry, "delisting_application", "tainan", too_soon)
    assert not ok and set(errors) == {"delist_on"}
    ok, errors, _a, _f = _submit(
        registry, "delisting_application", "tainan", _with(too_soon, grounds="severe_defect")
    )
    assert ok, errors  # ground (5): no month's notice


def test_short_term_takedown_needs_no_notice_nor_source_decision(registry):
    # rule TN-DEL-2 (special short-term takedown), TN-DEL-3 (only after a permanent delisting)
    answers = _with(
        _without(
            SAMPLES["delisting_application"].answers,
            "announced_on",
            "open_source",
            "not_open_reason",
            "not_open_approved",
            "not_open_approved_on",
        ),
        takedown_kind="short_term",
        grounds="other",
        grounds_other="配合場館整修，暫停服務兩週。",
        grounds_head_approved=True,
        delist_on="2026-04-06",
        short_term_until="2026-04-20",
    )
    ok, errors, stored_answers, _f = _submit(registry, "delisting_application", "tainan", answers)
    assert ok, errors
    ok, errors, _a, _f = _submit(
        registry, "delisting_application", "tainan", _with(answers, short_term_until="2026-04-06")
    )
    assert not ok and "short_term_until" in errors


def test_ground_eight_needs_a_text_and_the_heads_approval(registry):
    # rule TN-DEL-1 (8)
    answers = _with(SAMPLES["delisting_application"].answers, grounds="other")
    ok, errors, _a, _f = _submit(registry, "delisting_application", "tainan", answers)
    assert not ok and {"grounds_other", "grounds_head_approved"} <= set(errors)


def test_not_opening_the_source_needs_a_reason_and_approval(registry):
    # rule TN-DEL-3
    answers = SAMPLES["delisting_application"].answers
    for name in ("not_open_reason", "not_open_approved", "not_open_approved_on"):
        ok, errors, _a, _f = _submit(
            registry, "delisting_application", "tainan", _without(answers, name)
        )
        assert not ok and name in errors, name
    opened = _with(
        _without(answers, "not_open_reason", "not_open_approved", "not_open_approved_on"),
        open_source="open",
    )
    ok, errors, _a, _f = _submit(registry, "delisting_application", "tainan", opened)
    assert not ok and set(errors) == {"open_source_license"}
    ok, errors, _a, _f = _submit(
        registry, "delisting_application", "tainan", _with(opened, open_source_license="MIT")
    )
    assert ok, errors


# -- conditions: improvement and marketing plan (KH-KPI-1..3) ---------------------------------

PLAN = SAMPLES["improvement_marketing_plan"].answers
IMPROVEMENT_PART = [
    "ui_ux",
    "functions",
    "feedback",
    "improvement_from",
    "improvement_to",
    "data_update_cycle",
    "data_update_other",
    "security_standards",
    "security_measures",
    "release_planned",
    "funding_source",
    "improvement_costs",
    "expected_rating",
]
MARKETING_PART = [
    "market_segment",
    "target_group",
    "target_group_size",
    "target_group_evidence",
    "positioning",
    "marketing_band",
    "marketing_target",
    "marketing_basis",
    "marketing_actions",
    "marketing_funding_source",
    "marketing_costs",
]


def test_improvement_part_only_when_the_rating_fails(registry):
    # rule KH-KPI-2, KH-KPI-3: combined rating above 3.5 passes
    answers = _without(PLAN, *IMPROVEMENT_PART)
    long_marketing = {
        "market_segment": PLAN["market_segment"] * 4,
        "positioning": PLAN["positioning"] * 3,
        "target_group": PLAN["target_group"] * 4,
    }
    answers.update(long_marketing)  # the marketing part alone is still 1,500 characters
    ok, errors, _a, _f = _submit(registry, "improvement_marketing_plan", "kaohsiung", answers)
    assert not ok and {"ui_ux", "improvement_costs", "expected_rating"} <= set(errors)
    passing = _with(answers, rating_ios="4.1", rating_android="3.9")
    ok, errors, _a, _f = _submit(registry, "improvement_marketing_plan", "kaohsiung", passing)
    assert ok, errors
    exactly = _with(answers, rating_ios="3.5", rating_android="3.5")  # 3.5 fails
    ok, errors, _a, _f = _submit(registry, "improvement_marketing_plan", "kaohsiung", exactly)
    assert not ok and "ui_ux" in errors


def test_marketing_part_only_below_the_download_target(registry):
    # rule KH-KPI-1, KH-KPI-3: 1,986,191 people -> 99,309 downloads
    answers = _without(PLAN, *MARKETING_PART)
    answers.update(ui_ux=PLAN["ui_ux"] * 2, functions=PLAN["functions"] * 2)
    ok, errors, _a, _f = _submit(registry, "improvement_marketing_plan", "kaohsiung", answers)
    assert not ok and {"market_segment", "marketing_actions", "marketing_target"} <= set(errors)
    ok, errors, _a, _f = _submit(
        registry, "improvement_marketing_plan", "kaohsiung", _with(answers, downloads=99_309)
    )
    assert ok, errors


def test_marketing_target_at_least_the_computed_one(registry):
    # rule KH-KPI-1: a plan may set more (100,000), never less than 99,309
    ok, errors, _a, _f = _submit(
        registry, "improvement_marketing_plan", "kaohsiung", _with(PLAN, marketing_target=99_308)
    )
    assert not ok and set(errors) == {"marketing_target"}
    assert "99,309" in errors["marketing_target"][0]
    ok, errors, _a, _f = _submit(
        registry, "improvement_marketing_plan", "kaohsiung", _with(PLAN, marketing_target=99_309)
    )
    assert ok, errors


def test_plan_text_is_1500_to_3000_characters(registry):
    # rule KH-KPI-3
    short = _with(PLAN, ui_ux="介面改善。", functions="功能改善。")
    ok, errors, _a, form = _submit(registry, "improvement_marketing_plan", "kaohsiung", short)
    assert not ok and "ui_ux" in errors
    long = _with(PLAN, ui_ux=PLAN["ui_ux"] * 9)
    ok, errors, _a, _f = _submit(registry, "improvement_marketing_plan", "kaohsiung", long)
    assert not ok and "ui_ux" in errors


def test_cost_rows_are_summed(registry):
    ok, errors, _a, form = _submit(registry, "improvement_marketing_plan", "kaohsiung", PLAN)
    assert ok, errors
    assert form.improvement_costs.totals == {"amount": 400_000}  # the seed's 合計
    assert form.marketing_costs.totals == {"amount": 150_000}
    assert form.marketing_actions.totals["staff_count"] == 43  # 38 + 5, as in the seed


# -- conditions: Tainan self-check, Kaohsiung yearly report -------------------------------------


def test_self_check_no_needs_a_note_and_mailbox_apps_skip_reviews(app):
    # rule TN-PERF-2; apps linked to the mayor mailbox follow its process
    answers = SAMPLES["self_check_checklist"].answers
    ok, errors, _a, _f = _submit(
        app, "self_check_checklist", "tainan", _without(answers, "defects_fixed_note")
    )
    assert not ok and "defects_fixed_note" in errors
    linked = _with(
        _without(
            answers, "reviews_received", "reviews_answered", "handling", "reported_to_head_on"
        ),
        mailbox_linked="yes",
    )
    ok, errors, stored_answers, _f = _submit(app, "self_check_checklist", "tainan", linked)
    assert ok, errors
    assert "reviews_handled" not in stored_answers  # part 4 not shown: dropped


def test_self_check_poor_performance_needs_measures(app):
    # rule TN-PERF-3
    answers = _without(SAMPLES["self_check_checklist"].answers, "improvement_measures")
    ok, errors, _a, _f = _submit(app, "self_check_checklist", "tainan", answers)
    assert not ok and "improvement_measures" in errors
    met = _without(answers, "follow_up")
    met["targets_met"] = "yes"
    ok, errors, _a, _f = _submit(app, "self_check_checklist", "tainan", met)
    assert ok, errors


def test_yearly_report_needs_a_rating(app):
    # rule KH-KPI-2
    answers = _without(SAMPLES["kpi_yearly_report"].answers, "rating_ios", "rating_android")
    ok, errors, _a, _f = _submit(app, "kpi_yearly_report", "kaohsiung", answers)
    assert not ok and "rating_ios" in errors
    ok, errors, _a, _f = _submit(
        app,
        "kpi_yearly_report",
        "kaohsiung",
        _with(SAMPLES["kpi_yearly_report"].answers, rating_ios="5.5"),
    )
    assert not ok and "rating_ios" in errors


# -- conditions: Taipei roll-out --------------------------------------------------------------


def test_at_least_two_administrators_and_seed_users(app):
    # rule TP-ADM-1, TP-SEED-1
    answers = SAMPLES["admin_seed_nomination"].answers
    for name in ("admins", "seeds"):
        one = _with(answers, **{name: answers[name][:1]})
        ok, errors, _a, _f = _submit(app, "admin_seed_nomination", "taipei", one)
        assert not ok and name in errors, name


def test_roster_change_needs_its_effective_date(app):
    # rule TP-WG-2
    answers = SAMPLES["work_group_roster"].answers
    ok, errors, _a, _f = _submit(
        app, "work_group_roster", "taipei", _without(answers, "effective_on")
    )
    assert not ok and "effective_on" in errors
    formed = _with(_without(answers, "effective_on", "change_summary"), report_kind="formed")
    ok, errors, _a, _f = _submit(app, "work_group_roster", "taipei", formed)
    assert ok, errors
    bad_row = [*answers["members"][:3], {**answers["members"][3], "email": "no-at-sign"}]
    ok, errors, _a, _f = _submit(
        app, "work_group_roster", "taipei", _with(answers, members=bad_row)
    )
    assert not ok and "members" in errors


def test_lecturer_course_recommendation_is_asked(app):
    # rule TP-TRN-5: version 2 asks the recommendation of every nomination; the course's type
    # is appgov's record, so the nomination's workflow requires it for a lecturer course
    # (tests/test_training_enrollment.py)
    answers = _with(SAMPLES["training_enrollment"].answers, lecturer_recommendation="x" * 2001)
    ok, errors, _a, _f = _submit(app, "training_enrollment", "taipei", answers)
    assert not ok and "lecturer_recommendation" in errors


def test_leave_names_trainee_course_and_session_tp_trn_2(app):
    """rule TP-TRN-2, version 2: the trainee, the course and the session day are required,
    the hours are bounded; the filing date is no longer typed (the submission's). Whether
    leave in advance came before the session is checked when the case is submitted
    (training/leave_workflow.py, tests/test_training_attendance.py)."""
    answers = SAMPLES["training_leave_request"].answers
    ok, errors, filed, _f = _submit(app, "training_leave_request", "taipei", answers)
    assert ok, errors
    assert "filed_on" not in filed and filed["employee_id"] == answers["employee_id"]
    for name in ("employee_id", "course_code", "session_date", "leave_kind", "leave_hours"):
        ok, errors, _a, _f = _submit(
            app, "training_leave_request", "taipei", _without(answers, name)
        )
        assert not ok and name in errors, name
    for hours in ("0", "24.5"):
        ok, errors, _a, _f = _submit(
            app, "training_leave_request", "taipei", _with(answers, leave_hours=hours)
        )
        assert not ok and "leave_hours" in errors, hours


def test_malformed_version_is_refused(registry):
    # rule KH-VER-1
    answers = _with(
        _without(SAMPLES["listing_checklist"].answers, "security_report"), new_version="3.0"
    )
    ok, errors, _a, _f = _submit(registry, "listing_checklist", "kaohsiung", answers)
    assert not ok and "new_version" in errors


@pytest.mark.parametrize("key", SHIPPED)
def test_every_field_renders_in_both_languages(app_for, key):
    app = app_for(key)
    in_registry = "appgov" in app.extensions
    profile = OFFERED[key][0] if key in OFFERED else OPENED_BY_RULE[key]
    definition = builder.load(key)
    policy = appgov_plugin.get_policy(profile)
    raw_labels = {
        spec["name"]: spec["label"] for _what, spec in _all_specs(_raw(key)) if "label" in spec
    }
    for locale in ("zh_Hant_TW", "en"):
        with app.test_request_context(), force_locale(locale):
            if in_registry:
                login_user(FILER)
            form = definition.form_for(policy)
            html = "".join(str(field.label()) + str(field()) for field in form)
            if in_registry:  # the app's name is the registry's, not a text of the form
                assert str(escape(REGISTRY_APP_NAME)) in html
                html = html.replace(str(escape(REGISTRY_APP_NAME)), "")
            for name in definition.asked(policy.applies):
                if name in raw_labels and definition.spec(name)["type"] != "computed":
                    label = raw_labels[name][locale]
                    assert str(form[name].label.text) == label, (name, locale)
            # an empty form in English shows no Chinese, in Chinese it does
            assert bool(CJK.search(html)) == (locale == "zh_Hant_TW"), (locale, CJK.findall(html))
