"""Every form of the seeds filed as a case in the sample host, on the profile that offers it,
in both languages (issue 9's "Done when"); the demo cases validate with their own version;
a case type is offered only where its form's rules apply."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask_login import login_user
from form_samples import answers_for, formdata
from hosting import login
from markupsafe import escape

from appgov_plugin.forms import store
from appgov_plugin.host.plugin import CASE_TYPES
from sample_host.extensions import db
from sample_host.models import Case
from sample_host.plugins import current_host

ZH = {"Accept-Language": "zh-TW"}
EN = {"Accept-Language": "en"}

#: case type -> (form key, the profile that files it)
FILED = {
    "appgov_app_proposal": [("tn_self_assessment", "tainan"), ("kh_evaluation_plan", "kaohsiung")],
    "appgov_listing_checklist": [
        ("listing_checklist", "tainan"),
        ("listing_checklist", "kaohsiung"),
    ],
    "appgov_delisting_application": [("delisting_application", "tainan")],
    "appgov_improvement_plan": [("improvement_marketing_plan", "kaohsiung")],
    "appgov_self_check": [("self_check_checklist", "tainan")],
    "appgov_kpi_report": [("kpi_yearly_report", "kaohsiung")],
    "appgov_work_group_roster": [("work_group_roster", "taipei")],
    "appgov_admin_seed_nomination": [("admin_seed_nomination", "taipei")],
    "appgov_training_enrollment": [("training_enrollment", "taipei")],
    "appgov_training_leave": [("training_leave_request", "taipei")],
    "appgov_support_ticket": [("support_ticket", "taipei")],
}
CASES = [(t, key, profile) for t, filed in FILED.items() for key, profile in filed]
#: case type -> its form: opened by appgov where a rule says so, never filed by an agency
#: (rule KH-KPI-4: the authority's forced delisting, lifecycle/plans.py)
OPENED_BY_RULE = {
    "appgov_forced_delisting": "forced_delisting",
    # rule TP-TRN-4: the IT department opens the fitness review from a flag
    "appgov_training_fitness": "training_fitness_review",
    # rule TP-GRADE-2: the IT department opens the review report of a D or E
    "appgov_grade_review": "grade_review_report",
    # rule TN-PERF-3: the authority asks a poor performer for a review report
    "appgov_perf_review": "perf_review_report",
}
#: the published version of each form: version 2 chooses the app from the registry (type
#: "app"); the plan also asks the failing year
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
#: demo cases per profile (each capability's demo.py; Taipei applies no app-lifecycle rules)
DEMO_CASES = {"tainan": 9, "kaohsiung": 10, "taipei": 8}  # Taipei: 3 support tickets, a D's review;
# Kaohsiung: its accepted yearly KPI report (KH-KPI-6, the PDF reply)


def test_every_case_type_of_appgov_is_covered():
    types = {case_type.key: case_type for module in CASE_TYPES for case_type in module.case_types()}
    assert set(types) == set(FILED) | set(OPENED_BY_RULE)
    for type_key, key in OPENED_BY_RULE.items():
        assert types[type_key].current_form_key() == key


def _text(text, locale):
    return text.resolve(locale) if hasattr(text, "resolve") else text[locale]


def _answers(app, key, profile):
    with app.test_request_context():
        policy = app.extensions["appgov"].policy()
        definition = store.live(key)
        asked = set(definition.asked(policy.applies))
        answers = {k: v for k, v in answers_for(key, profile).items() if k in asked}
        return definition, answers, asked


@pytest.mark.parametrize(("type_key", "key", "profile"), CASES)
def test_each_form_is_filed_as_a_case_in_both_languages(make_host, type_key, key, profile):
    app = make_host(profile)
    client = app.test_client()
    login(client, "staff")
    definition, answers, asked = _answers(app, key, profile)
    labels = [s["label"] for s in definition.fields if s.get("label") and s["name"] in asked]
    for headers, lang, locale in ((ZH, "zh-Hant-TW", "zh_Hant_TW"), (EN, "en", "en")):
        page = client.get(f"/cases/new/{type_key}", headers=headers)
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert f'<html lang="{lang}"' in html
        assert all(str(escape(_text(label, locale))) in html for label in labels), locale
        response = client.post(
            f"/cases/new/{type_key}", data=formdata(definition, answers), headers=headers
        )
        assert response.status_code == 302, re.findall(
            r'class="invalid-feedback[^>]*>(.*?)</div>', response.get_data(as_text=True), re.S
        )
        case_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
        with app.app_context():
            case = db.session.get(Case, case_id)
            version = VERSIONS.get(key, 1)
            assert definition.version == version
            assert (case.type_key, case.form_key, case.form_version) == (type_key, key, version)
            assert case.status == "draft"
        shown = client.get(f"/cases/{case_id}", headers=headers)
        assert shown.status_code == 200
        assert str(escape(_text(labels[0], locale))) in shown.get_data(as_text=True)


@pytest.mark.parametrize("profile", ["tainan", "kaohsiung", "taipei"])
def test_offered_only_where_the_rules_apply(make_host, profile):
    app = make_host(profile)
    client = app.test_client()
    login(client, "staff")
    offered = {t for t, filed in FILED.items() if any(p == profile for _, p in filed)}
    home = client.get("/").get_data(as_text=True)
    for type_key in (*FILED, *OPENED_BY_RULE):
        answer = client.get(f"/cases/new/{type_key}").status_code
        assert answer == (200 if type_key in offered else 404), (profile, type_key)
        assert (f"/cases/new/{type_key}" in home) == (type_key in offered), (profile, type_key)


@pytest.mark.parametrize("profile", ["tainan", "kaohsiung", "taipei"])
def test_demo_cases_validate_with_their_own_version(make_host, profile):
    app = make_host(profile)
    with app.app_context():
        ids = db.session.scalars(sa.select(Case.id).order_by(Case.id)).all()
    assert len(ids) == DEMO_CASES[profile]
    for case_id in ids:
        # as its owner, an agency's staff: a field of type "app" offers the apps of the user's
        # agency
        with app.test_request_context():
            case = db.session.get(Case, case_id)
            assert case.owner.role == "agency_staff" and login_user(case.owner)
            case_type = current_host().case_types[case.type_key]
            form = case_type.case_form(case)
            assert form.validate(), (case.type_key, form.errors)


def test_the_demo_deployment_takes_its_profile_from_the_environment(
    sample_host_factory, monkeypatch
):
    monkeypatch.setenv("APPGOV_PROFILE", "taipei")
    app = sample_host_factory()
    assert app.config["APPGOV_PROFILE"] == "taipei"
    with app.app_context():
        types = {c.type_key for c in db.session.scalars(sa.select(Case))}
    filed = {t for t, filed in FILED.items() if any(p == "taipei" for _, p in filed)}
    # rule TP-GRADE-2: the demo's E agency submitted its review report
    assert types == filed | {"appgov_grade_review"}


def test_the_form_shows_its_own_title_and_introduction(make_host):
    app = make_host("tainan")
    client = app.test_client()
    login(client, "staff")
    definition = store_definition(app, "delisting_application")
    for headers, locale in ((ZH, "zh_Hant_TW"), (EN, "en")):
        html = client.get("/cases/new/appgov_delisting_application", headers=headers).text
        assert f'<p class="lead form-title">{escape(_text(definition.title, locale))}</p>' in html
        if definition.intro:
            assert str(escape(_text(definition.intro, locale))) in html


def store_definition(app, key):
    with app.test_request_context():
        return store.live(key)


def test_an_edit_in_flask_admin_reaches_new_cases_and_old_cases_keep_theirs(make_host):
    # issue 9's "Done when": the administrator changes a label and adds a field of the live
    # Tainan self-assessment; the next new case shows both, the demo proposal filed with
    # version 1 still shows and validates with version 1
    from test_form_admin import edit_page, form_of, index_of, published, send

    key, url = "tn_self_assessment", "/admin/appgov_forms/tn_self_assessment/edit"
    app = make_host("tainan")
    admin = app.test_client()
    login(admin, "admin")
    _page, fields = edit_page(admin, key)
    row = index_of(fields, "app_name")
    fields[f"f{row}-label_zh"], fields[f"f{row}-label_en"] = "App 正式名稱", "Official app name"
    fields = form_of(send(admin, url, fields, "add"), "form-editor")
    new = int(fields["count"]) - 1
    fields.update(
        {
            f"f{new}-name": "contact_phone",
            f"f{new}-label_zh": "承辦人聯絡電話",
            f"f{new}-label_en": "Contact phone",
            f"f{new}-max_length": "30",
            f"f{new}-required": "y",
        }
    )
    published(admin, url, {**fields, "reason": "加列聯絡電話（市府通知）"}, key=key)

    staff = app.test_client()
    login(staff, "staff")
    html = staff.get("/cases/new/appgov_app_proposal", headers=ZH).text
    assert "App 正式名稱" in html and "承辦人聯絡電話" in html and 'name="contact_phone"' in html
    english = staff.get("/cases/new/appgov_app_proposal", headers=EN).text
    assert "Official app name" in english and "Contact phone" in english
    definition, answers, _asked = _answers(app, key, "tainan")
    assert definition.version == 2
    missing = staff.post("/cases/new/appgov_app_proposal", data=formdata(definition, answers))
    assert missing.status_code == 200 and "承辦人聯絡電話" in missing.text  # the new required field
    filed = staff.post(
        "/cases/new/appgov_app_proposal",
        data=formdata(definition, {**answers, "contact_phone": "06-2991111"}),
    )
    assert filed.status_code == 302
    with app.test_request_context():
        new_case = db.session.get(Case, int(filed.headers["Location"].rsplit("/", 1)[1]))
        assert (new_case.form_key, new_case.form_version) == (key, 2)
        old = db.session.scalars(
            sa.select(Case).where(Case.type_key == "appgov_app_proposal").order_by(Case.id)
        ).first()
        assert (old.form_key, old.form_version) == (key, 1)
        form = current_host().case_types["appgov_app_proposal"].case_form(old)
        assert "contact_phone" not in form and form.validate(), form.errors
    login(staff, "reviewer")
    shown = staff.get(f"/cases/{old.id}", headers=ZH).text
    assert "行動應用軟體名稱" in shown and "App 正式名稱" not in shown  # version 1's label
    assert "承辦人聯絡電話" not in shown
