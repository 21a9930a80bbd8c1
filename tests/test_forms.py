"""Declarative form definitions (forms/*.toml) rendered as WTForms."""

from __future__ import annotations

import pytest
from flask import Flask
from flask_babel import Babel
from werkzeug.datastructures import MultiDict

from appgov_plugin.forms import builder


@pytest.fixture
def request_context():
    app = Flask(__name__)
    app.config.update(SECRET_KEY="t", WTF_CSRF_ENABLED=False)
    Babel(app, default_locale="en")
    with app.test_request_context():
        yield


def _definition(*fields):
    return {"key": "probe", "version": 1, "title": "Probe", "fields": list(fields)}


def test_shipped_definitions_build():
    assert builder.available() == ["app_proposal"]
    definition = builder.load("app_proposal")
    assert definition.version == 1 and definition.fields[0]["name"] == "app_name"


def test_unknown_definition_lists_the_known_ones():
    with pytest.raises(ValueError, match="unknown form definition 'nope'; known: app_proposal"):
        builder.load("nope")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ([{"name": "x", "type": "colour", "label": "X"}], "unknown type 'colour'"),
        (
            [{"name": "x", "type": "text", "label": "X", "required_if": {"y": "no"}}],
            "required_if names unknown field 'y'",
        ),
    ],
)
def test_broken_definitions_are_refused(fields, message):
    with pytest.raises(ValueError, match=message):
        builder.build(_definition(*fields))


def test_zero_is_an_answer_for_numbers(request_context):
    form_class = builder.build(
        _definition(
            {"name": "budget", "type": "money", "label": "Budget", "required": True, "minimum": 0}
        )
    ).form_class
    assert form_class(formdata=MultiDict({"budget": "0"})).validate()
    form = form_class(formdata=MultiDict({"budget": "-1"}))
    assert not form.validate() and form.budget.errors


def test_required_if_and_must_be(request_context):
    form_class = builder.build(
        _definition(
            {
                "name": "opened",
                "type": "choice",
                "label": "Opened?",
                "required": True,
                "choices": [["yes", "Yes"], ["no", "No"]],
            },
            {"name": "reason", "type": "text", "label": "Reason", "required_if": {"opened": "no"}},
            {
                "name": "agree",
                "type": "boolean",
                "label": "Agree",
                "must_be": True,
                "must_be_message": "You must agree.",
            },
        )
    ).form_class
    form = form_class(formdata=MultiDict({"opened": "no"}))
    assert not form.validate()
    assert form.reason.errors == ["This field is required."]
    assert form.agree.errors == ["You must agree."]
    assert form_class(formdata=MultiDict({"opened": "yes", "agree": "y"})).validate()
    assert form_class(formdata=MultiDict({"opened": "no", "reason": "x", "agree": "y"})).validate()
