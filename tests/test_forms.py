"""Declarative form definitions (forms/*.toml) rendered as WTForms, per deployment."""

from __future__ import annotations

import types

import pytest
from flask import Flask
from flask_babel import Babel, force_locale
from werkzeug.datastructures import MultiDict

import appgov_plugin
from appgov_plugin.forms import builder

TAINAN_QUESTIONS = [
    "requirements_summary",  # TN-EVAL-1
    "open_data_first",  # TN-EVAL-2
    "open_data_reason",
    "eligibility_grounds",  # TN-EVAL-3
    "other_necessity",
    "mayor_mailbox_link",  # TN-EVAL-4
    "source_code_rights",  # TN-EVAL-5
]
KAOHSIUNG_QUESTIONS = [  # KH-EVAL-1
    "comparable_apps",
    "protected_data",
    "open_data_alternative",
    "web_alternative",
    "target_population",
    "kpi_attainable",
    "kpi_plan",
]
EVERYWHERE = ["app_name", "purpose", "platforms", "budget"]


@pytest.fixture
def app():
    app = Flask(__name__)
    app.config.update(SECRET_KEY="t", WTF_CSRF_ENABLED=False)
    Babel(app, default_locale="en")
    return app


@pytest.fixture
def request_context(app):
    with app.test_request_context():
        yield


def bi(en: str, zh: str | None = None) -> dict:
    """A bilingual text (zh defaults to a marked copy of the English)."""
    return {"zh_Hant_TW": zh or f"中：{en}", "en": en}


_TEXTS = ("label", "help", "must_be_message")


def _bilingual(spec: dict) -> dict:
    spec = dict(spec)
    for key in _TEXTS:
        if isinstance(spec.get(key), str):
            spec[key] = bi(spec[key])
    if spec.get("choices") and isinstance(spec["choices"][0], list):
        spec["choices"] = [{"value": v, "label": bi(label)} for v, label in spec["choices"]]
    if "required_if" in spec:
        ((other, value),) = spec.pop("required_if").items()
        spec["required_when"] = {"field": other, "in": [value]}
    return spec


def _definition(*fields, key="probe"):
    return {
        "key": key,
        "version": 1,
        "title": bi("Probe"),
        "fields": [_bilingual(f) for f in fields],
    }


def _form(*fields, data=None, formdata=None):
    definition = builder.build(_definition(*fields))
    form_class = definition.form_class
    if formdata is not None:
        return form_class(formdata=MultiDict(formdata))
    return form_class(data=data)


def test_shipped_definitions_build():
    assert "app_proposal" in builder.available()
    for key in builder.available():
        assert builder.load(key).key == key  # every shipped definition checks out
    definition = builder.load("app_proposal")
    assert definition.version == 2 and definition.fields[0]["name"] == "app_name"
    assert definition.source == "forms/app_proposal.toml"


def test_unknown_definition_lists_the_known_ones():
    with pytest.raises(ValueError, match="unknown form definition 'nope'; known: .*app_proposal"):
        builder.load("nope")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ([{"name": "x", "type": "colour", "label": "X"}], "field 'x': type: unknown type 'colour'"),
        (
            [{"name": "x", "type": "text", "label": "X", "max_length": 9, "required_if": {"y": 1}}],
            "field 'x': required_when: unknown field 'y'",
        ),
        ([{"name": "x", "type": "text", "label": "X"}], "field 'x': max_length: required"),
        ([{"name": "x", "type": "string", "label": "X"}], "field 'x': max_length: required"),
        (
            [{"name": "x", "type": "text", "label": "X", "max_length": 9, "min_length": 10}],
            "field 'x': min_length: must be a whole number 0..9, not 10",
        ),
        ([{"name": "n", "type": "integer", "label": "N"}], "field 'n': maximum: required"),
        ([{"name": "n", "type": "money", "label": "N"}], "field 'n': maximum: required"),
        (
            [{"name": "n", "type": "integer", "label": "N", "minimum": 5, "maximum": 1}],
            "field 'n': minimum: 5 exceeds the maximum 1",
        ),
        (
            [{"name": "n", "type": "integer", "label": "N", "maximum": 9, "maximun": 1}],
            "field 'n': maximun: unknown key\\(s\\)",
        ),
        ([{"name": "c", "type": "choice", "label": "C"}], "field 'c': choices: "),
        (
            [{"name": "x", "type": "text", "label": "X", "max_length": 9, "rule": "TN-EVAL-9"}],
            "field 'x': rule: unknown rule 'TN-EVAL-9'",
        ),
        (
            [
                {"name": "x", "type": "boolean", "label": "X"},
                {"name": "x", "type": "boolean", "label": "Y"},
            ],
            "field 'x': name: declared twice",
        ),
    ],
)
def test_broken_definitions_are_refused_naming_the_file_and_field(fields, message):
    with pytest.raises(ValueError, match=f"^form definition 'probe': .*{message}"):
        builder.build(_definition(*fields))
    with pytest.raises(ValueError, match=f"^forms/probe.toml: .*{message}"):
        builder.build(_definition(*fields), source="forms/probe.toml")


def test_every_shipped_text_has_a_length_and_every_number_a_bound():
    for key in builder.available():
        for spec in builder.load(key).fields:
            if spec["type"] in ("string", "text"):
                assert spec["max_length"] > 0, spec["name"]
            if spec["type"] in ("integer", "money", "decimal"):
                assert "maximum" in spec, spec["name"]


def test_proposal_bounds_are_those_of_a_city():
    fields = {spec["name"]: spec for spec in builder.load("app_proposal").fields}
    assert fields["target_population"]["maximum"] == 100_000_000
    assert fields["budget"]["maximum"] == 10_000_000_000
    assert fields["app_name"]["max_length"] == 100


def test_zero_is_an_answer_for_numbers(request_context):
    spec = {"name": "budget", "type": "money", "label": "Budget", "required": True}
    spec["maximum"] = 10
    assert _form(spec, formdata={"budget": "0"}).validate()
    form = _form(spec, formdata={"budget": "-1"})
    assert not form.validate() and form.budget.errors == ["Enter a number from 0 to 10."]


def test_required_if_and_must_be(request_context):
    fields = (
        {
            "name": "opened",
            "type": "choice",
            "label": "Opened?",
            "required": True,
            "choices": [["yes", "Yes"], ["no", "No"]],
        },
        {
            "name": "reason",
            "type": "text",
            "label": "Reason",
            "required_if": {"opened": "no"},
            "max_length": 100,
        },
        {
            "name": "agree",
            "type": "boolean",
            "label": "Agree",
            "must_be": True,
            "must_be_message": "You must agree.",
        },
    )
    form = _form(*fields, formdata={"opened": "no", "reason": "   "})
    assert not form.validate()
    assert form.reason.errors == ["This field is required."]  # blanks are no reason
    assert form.agree.errors == ["You must agree."]
    assert _form(*fields, formdata={"opened": "yes", "agree": "y"}).validate()
    assert _form(*fields, formdata={"opened": "no", "reason": "x", "agree": "y"}).validate()


def test_required_if_a_multichoice_holds_the_value(request_context):
    fields = (
        {
            "name": "grounds",
            "type": "multichoice",
            "label": "Grounds",
            "required": True,
            "choices": [["a", "A"], ["other", "Other"]],
        },
        {
            "name": "other",
            "type": "text",
            "label": "Other",
            "max_length": 50,
            "required_if": {"grounds": "other"},
        },
    )
    form = _form(*fields, formdata=MultiDict([("grounds", "a"), ("grounds", "other")]))
    assert not form.validate() and form.other.errors == ["This field is required."]
    assert _form(*fields, formdata={"grounds": "a"}).validate()
    form = _form(*fields, formdata={})
    assert not form.validate() and form.grounds.errors == ["Tick at least one."]


def test_multichoice_renders_tick_boxes_in_a_flagged_fieldset(request_context):
    form = _form(
        {
            "name": "platforms",
            "type": "multichoice",
            "label": "Platforms",
            "required": True,
            "choices": [["ios", "iOS"], ["android", "Android"]],
        }
    )
    field = form.platforms
    assert field.flags.fieldset and field.flags.required
    html = field()
    assert html.count('type="checkbox"') == 2
    assert "required" not in html  # one box is enough: no box is required on its own
    assert html.index('type="checkbox"') < html.index("<label")  # box before its label
    choice = _form(
        {"name": "c", "type": "choice", "label": "C", "choices": [["a", "A"]], "required": True}
    ).c
    assert choice.flags.fieldset and 'type="radio"' in choice()


def test_required_fields_are_flagged_for_rendering(request_context):
    form = _form(
        {"name": "name", "type": "string", "label": "Name", "required": True, "max_length": 5},
        {"name": "note", "type": "text", "label": "Note", "max_length": 5},
        {"name": "ok", "type": "boolean", "label": "OK", "must_be": True, "must_be_message": "!"},
    )
    assert form.name.flags.required and 'aria-required="true"' in form.name()
    assert " required" in form.name() and 'maxlength="5"' in form.name()
    assert not form.note.flags.required and "aria-required" not in form.note()
    assert 'maxlength="5"' in form.note()
    assert 'aria-required="true"' in form.ok()


def test_numbers_money_and_dates_are_typed_as_officials_type_them(request_context):
    fields = (
        {"name": "people", "type": "integer", "label": "People", "maximum": 100_000_000},
        {"name": "budget", "type": "money", "label": "Budget", "maximum": 10_000_000_000},
        {"name": "score", "type": "decimal", "label": "Score", "maximum": 5},
        {"name": "day", "type": "date", "label": "Day"},
    )
    form = _form(
        *fields,
        formdata={
            "people": "１,８６０,０００",
            "budget": "NT$3,200,000",
            "score": "3.5",
            "day": "115/11/22",
        },
    )
    assert form.validate(), form.errors
    assert form.people.data == 1_860_000 and form.budget.data == 3_200_000
    assert str(form.score.data) == "3.5" and form.day.data.isoformat() == "2026-11-22"
    assert form.budget.flags.money and not form.people.flags.money
    for name in ("people", "budget"):
        html = form[name]()
        assert 'inputmode="numeric"' in html and 'type="text"' in html
    assert 'type="date"' not in form.day()
    # a stored answer reads back with thousands separators
    assert 'value="1,860,000"' in _form(*fields, data={"people": 1_860_000}).people()


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("1.5", "Enter a whole number, e.g. 1,860,000."),
        ("abc", "Enter a whole number, e.g. 1,860,000."),
        ("100000001", "Enter a number from 0 to 100,000,000."),
        ("-3", "Enter a number from 0 to 100,000,000."),
    ],
)
def test_a_bad_number_keeps_what_the_user_typed(request_context, typed, message):
    form = _form(
        {"name": "people", "type": "integer", "label": "People", "maximum": 100_000_000},
        formdata={"people": typed},
    )
    assert not form.validate()
    assert form.people.errors == [message]
    assert f'value="{typed}"' in form.people()


def test_lengths_are_counted_in_characters(request_context):
    spec = {"name": "t", "type": "text", "label": "T", "min_length": 3, "max_length": 5}
    # five Chinese characters (15 bytes in UTF-8) fit; a browser's CRLF counts as one
    assert _form(spec, formdata={"t": "臺南市政府"}).validate()
    assert _form(spec, formdata={"t": "臺南\r\n市府"}).validate()
    form = _form(spec, formdata={"t": "臺南市政府觀"})
    assert not form.validate()
    assert form.t.errors == ["Write at most 5 characters (now 6)."]
    assert "臺南市政府觀" in form.t()  # kept as typed
    form = _form(spec, formdata={"t": "臺南"})
    assert not form.validate() and form.t.errors == ["Write at least 3 characters (now 2)."]


def test_field_help_states_the_length(app):
    form_class = builder.build(
        _definition({"name": "t", "type": "text", "label": "T", "help": "Why.", "max_length": 2000})
    ).form_class
    with app.test_request_context():
        assert str(form_class().t.description) == "Why. At most 2,000 characters."
        with force_locale("zh_Hant_TW"):
            assert "2,000" in str(form_class().t.description)


# -- per deployment: rules.md "Profiles are real" -------------------------------------------


def _asked(profile, plugins=()):
    policy = appgov_plugin.get_policy(profile, plugins=plugins)
    return list(builder.load("app_proposal").asked(policy.applies))


@pytest.mark.parametrize(
    ("profile", "asked", "not_asked"),
    [
        ("tainan", EVERYWHERE + TAINAN_QUESTIONS, KAOHSIUNG_QUESTIONS),
        ("kaohsiung", EVERYWHERE + KAOHSIUNG_QUESTIONS, TAINAN_QUESTIONS),
        ("taipei", EVERYWHERE, TAINAN_QUESTIONS + KAOHSIUNG_QUESTIONS),
    ],
)
def test_each_profile_asks_its_own_questions(request_context, profile, asked, not_asked):
    form = builder.load("app_proposal").form_for(appgov_plugin.get_policy(profile))
    names = [f.name for f in form]
    assert set(names) == set(asked)
    assert not set(names) & set(not_asked)
    assert names[:3] == ["app_name", "purpose", "platforms"]  # the definition's order


def test_fields_name_the_rule_that_asks_for_them():
    definition = builder.load("app_proposal")
    assert definition.rules_of("open_data_reason") == ("TN-EVAL-2",)
    assert definition.rules_of("eligibility_grounds") == ("TN-EVAL-3",)
    assert definition.rules_of("kpi_plan") == ("KH-EVAL-1",)
    assert definition.rules_of("budget") == ()


def test_an_adopted_rule_adds_its_questions():
    adopt = types.ModuleType("adopt_tn_eval_2")
    adopt.appgov_parameter = appgov_plugin.hookimpl(
        lambda policy, name, as_of: ["TN-EVAL-2"] if name == "adopted_rules" else None
    )
    asked = _asked("kaohsiung", plugins=[adopt])
    assert "open_data_first" in asked and "open_data_reason" in asked
    assert "eligibility_grounds" not in asked  # TN-EVAL-3 was not adopted


def test_a_stored_case_keeps_its_questions(request_context):
    # a Tainan self-assessment shown where Tainan's rules no longer apply
    stored = {"app_name": "台南好停車", "open_data_first": "no", "open_data_reason": "尚在整理"}
    definition = builder.load("app_proposal")
    form = definition.form_for(appgov_plugin.get_policy("kaohsiung"), data=stored)
    names = [f.name for f in form]
    assert "open_data_first" in names and "open_data_reason" in names
    assert "comparable_apps" in names  # and today's questions
    assert "eligibility_grounds" not in names  # not answered, not asked
    assert form.open_data_reason.data == "尚在整理"


def test_form_classes_are_cached_per_set_of_applied_rules(request_context):
    definition = builder.load("app_proposal")
    first = definition.form_for(appgov_plugin.get_policy("tainan"))
    again = definition.form_for(appgov_plugin.get_policy("tainan"))
    other = definition.form_for(appgov_plugin.get_policy("kaohsiung"))
    assert type(first) is type(again) and type(first) is not type(other)
    assert first is not again


def test_required_if_whose_other_field_is_not_asked_is_optional(request_context):
    definition = builder.load("app_proposal")
    # open_data_reason kept by a stored case, open_data_first not among its answers
    form_class = definition.form_class_for({"app_name", "open_data_reason"})
    form = form_class(formdata=MultiDict({"app_name": "x"}))
    assert form.validate(), form.errors


def test_the_asked_fields_are_kept_per_set_of_applied_rules():
    from appgov_plugin.forms import builder

    definition = builder.load("tn_self_assessment")
    calls = []

    def applies(rule):
        calls.append(rule)
        return rule.startswith("TN-")

    first = definition.asked(applies)
    assert len(calls) == len(set(calls))  # each rule asked once, not once per field
    assert definition.asked(applies) is first  # the same set of applied rules: kept
    none_apply = definition.asked(lambda rule: False)
    assert set(none_apply) < set(first)  # fields of rules that apply nowhere are not asked
