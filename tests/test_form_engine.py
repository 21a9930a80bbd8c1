"""The declarative form engine (docs/forms.md): schema, fields, conditions, rendering."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from flask import Blueprint, Flask
from flask_babel import Babel, force_locale
from flask_login import login_user
from intranet import USERS
from werkzeug.datastructures import MultiDict

import appgov_plugin
from appgov_plugin.forms import builder, conditions
from appgov_plugin.forms.views import register_views

KAOHSIUNG = appgov_plugin.get_policy("kaohsiung")


def bi(en: str, zh: str | None = None) -> dict:
    return {"zh_Hant_TW": zh or f"中：{en}", "en": en}


def form_def(*fields, checks=None, **top):
    definition = {"key": "probe", "version": 1, "title": bi("Probe"), "fields": list(fields)}
    if checks:
        definition["checks"] = checks
    definition.update(top)
    return definition


def text(name, **kw):
    return {"name": name, "type": "text", "label": bi(name.title()), "max_length": 2000, **kw}


def choice(name, values=("a", "b"), kind="choice", **kw):
    return {
        "name": name,
        "type": kind,
        "label": bi(name.title()),
        "choices": [{"value": v, "label": bi(v.upper())} for v in values],
        **kw,
    }


def integer(name, kind="integer", **kw):
    return {"name": name, "type": kind, "label": bi(name.title()), "maximum": 10**9, **kw}


def date(name, **kw):
    return {"name": name, "type": "date", "label": bi(name.title()), **kw}


@pytest.fixture
def app():
    app = Flask(__name__)
    app.config.update(SECRET_KEY="t", WTF_CSRF_ENABLED=False, BABEL_DEFAULT_LOCALE="en")
    Babel(app)
    return app


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


def submit(definition, formdata, policy=KAOHSIUNG):
    built = builder.build(definition, source="forms/probe.toml")
    form = built.form_class(formdata=MultiDict(formdata), policy=policy)
    return form, form.validate()


# -- bad definitions ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        (
            form_def(
                {"name": "budget", "type": "money", "label": {"zh_Hant_TW": "經費"}, "maximum": 9}
            ),
            "field 'budget': label: missing language 'en'",
        ),
        (
            form_def(
                {
                    "name": "b",
                    "type": "money",
                    "label": {"zh_Hant_TW": " ", "en": "B"},
                    "maximum": 9,
                }
            ),
            "field 'b': label: empty text in 'zh_Hant_TW'",
        ),
        (
            form_def({"name": "b", "type": "money", "label": "B", "maximum": 9}),
            "field 'b': label: must be",
        ),
        (
            form_def({"name": "icon", "type": "picture", "label": bi("Icon")}),
            "field 'icon': type: unknown type 'picture'; known: string, text",
        ),
        (form_def(text("t", colour="red")), "field 't': colour: unknown key"),
        (
            form_def(text("t", max_length=0)),
            "field 't': max_length: must be a whole number 1..100000",
        ),
        (
            form_def(integer("n", minimum=10, maximum=1)),
            "field 'n': minimum: 10 exceeds the maximum 1",
        ),
        (form_def(integer("n", maximum=1.5)), "field 'n': maximum: must be a whole number"),
        (
            form_def(text("t", shown_when={"field": "nope", "in": ["a"]})),
            "field 't': shown_when: unknown field 'nope'",
        ),
        (
            form_def(choice("c"), text("t", required_when={"field": "c", "in": ["z"]})),
            "field 't': required_when: 'z' is no choice of field 'c'",
        ),
        (
            form_def(integer("n", at_least={"check": "download_target", "args": {"people": "n"}})),
            "field 'n': at_least: check 'download_target' has no parameter 'people'",
        ),
        (
            form_def(text("t", required_by={"check": "nope"})),
            "field 't': required_by: unknown check 'nope'; known: needs_security_report",
        ),
        (form_def(text("t", rule="XX-1")), "field 't': rule: unknown rule 'XX-1'"),
        (
            form_def(date("d", after={"field": "d", "months": 1})),
            "field 'd': after: field 'd' is no other date field",
        ),
        (
            form_def(date("a"), date("d", after={"field": "a", "weeks": 1})),
            "field 'd': after: unknown key",
        ),
        (
            form_def(
                {
                    "name": "r",
                    "type": "rows",
                    "label": bi("R"),
                    "max_rows": 51,
                    "columns": [text("c")],
                }
            ),
            "field 'r': max_rows: must be a whole number 1..50",
        ),
        (
            form_def(
                {
                    "name": "r",
                    "type": "rows",
                    "label": bi("R"),
                    "max_rows": 5,
                    "totals": ["c"],
                    "columns": [text("c")],
                }
            ),
            "field 'r': totals: 'c' is no money or integer column",
        ),
        (
            form_def(
                {
                    "name": "r",
                    "type": "rows",
                    "label": bi("R"),
                    "max_rows": 5,
                    "columns": [{**text("c"), "rule": "KH-EVAL-1"}],
                }
            ),
            "field 'r': column 'c': rule: unknown key",
        ),
        (
            form_def({"name": "f", "type": "file", "label": bi("F"), "max_size_mb": 51}),
            "field 'f': max_size_mb: must be a whole number 1..50",
        ),
        (
            form_def(
                {"name": "f", "type": "file", "label": bi("F"), "accept": ["exe"], "max_size_mb": 5}
            ),
            "field 'f': accept: unknown kind 'exe'",
        ),
        (
            form_def({"name": "note", "type": "notice", "text": {"en": "x"}}),
            "field 'note': text: missing language 'zh_Hant_TW'",
        ),
        (
            form_def(text("t"), checks=[{"kind": "at_least_one", "fields": ["t", "u"]}]),
            "check 1: fields: unknown field 'u'",
        ),
        (form_def(text("t"), checks=[{"kind": "sum"}]), "check 1: kind: unknown kind 'sum'"),
        ({**form_def(text("t")), "title": {"zh_Hant_TW": "x"}}, "title: missing language 'en'"),
        ({**form_def(text("t")), "version": 0}, "version: must be a whole number >= 1"),
        ({**form_def(text("t")), "sections": []}, "sections: a form has"),
        ({**form_def(text("t")), "colour": 1}, "colour: unknown key"),
    ],
)
def test_a_bad_definition_names_the_file_the_field_and_the_key(definition, message):
    with pytest.raises(ValueError) as caught:
        builder.build(definition, source="forms/probe.toml")
    assert str(caught.value).startswith("forms/probe.toml: ")
    assert message in str(caught.value)


def test_bad_toml_is_named():
    with pytest.raises(ValueError, match=r"^forms/x.toml: not valid TOML"):
        builder.parse("key = ", "forms/x.toml")


# -- simple fields and lengths ------------------------------------------------------------


def test_length_is_counted_in_characters_1500_chinese_characters_are_1500(ctx):
    definition = form_def(text("plan", min_length=1500, max_length=3000))
    form, ok = submit(definition, {"plan": "字" * 1500})
    assert ok, form.errors
    form, ok = submit(definition, {"plan": "字" * 1499})
    assert not ok and form.plan.errors == ["Write at least 1,500 characters (now 1,499)."]
    form, ok = submit(definition, {"plan": "字" * 3001})
    assert not ok and "now 3,001" in form.plan.errors[0]
    assert "字" * 3001 in form.plan()  # kept as typed


@pytest.mark.parametrize(
    ("kind", "good", "bad", "message"),
    [
        ("email", "a.b@kcg.gov.tw", "a@b", "Enter an e-mail address"),
        ("url", "https://www.kcg.gov.tw/x", "javascript:alert(1)", "Enter a web address"),
        ("url", "http://example.tw", "ftp://example.tw", "Enter a web address"),
    ],
)
def test_email_and_url(ctx, kind, good, bad, message):
    definition = form_def({"name": "x", "type": kind, "label": bi("X"), "required": True})
    form, ok = submit(definition, {"x": good})
    assert ok and form.x.data == good
    form, ok = submit(definition, {"x": bad})
    assert not ok and form.x.errors[0].startswith(message)
    assert f'type="{kind}"' in form.x() and bad.split(":")[0] in form.x()


def test_numbers_money_decimal_and_dates(ctx):
    definition = form_def(
        integer("people"),
        integer("budget", kind="money"),
        {"name": "score", "type": "decimal", "label": bi("Score"), "maximum": 5},
        date("day"),
        {"name": "ok", "type": "boolean", "label": bi("OK")},
    )
    form, ok = submit(
        definition,
        {
            "people": "１,８６０,０００",
            "budget": "NT$3,200,000",
            "score": "3.5",
            "day": "115/11/22",
            "ok": "y",
        },
    )
    assert ok, form.errors
    assert form.answers() == {
        "people": 1_860_000,
        "budget": 3_200_000,
        "score": "3.5",
        "day": "2026-11-22",
        "ok": True,
    }


# -- notices and headings ------------------------------------------------------------------


def test_notices_and_section_headings_store_nothing(ctx, app):
    definition = {
        "key": "probe",
        "version": 1,
        "title": bi("Probe"),
        "sections": [
            {
                "name": "one",
                "title": bi("1. First", "一、第一"),
                "help": bi("About one"),
                "fields": [
                    {"name": "hint", "type": "notice", "text": bi("Read this.", "請閱讀。")},
                    text("a"),
                ],
            },
            {"name": "two", "title": bi("2. Second", "二、第二"), "fields": [text("b")]},
        ],
    }
    built = builder.build(definition)
    form = built.form_class(formdata=MultiDict({"a": "x", "b": "y"}))
    assert [f.name for f in form] == ["one_heading", "hint", "a", "two_heading", "b"]
    assert form.one_heading.flags.heading and form.one_heading.flags.no_answer
    assert form.hint.flags.notice and form.hint.flags.no_answer
    assert form.validate() and form.answers() == {"a": "x", "b": "y"}
    assert '<h2 class="appgov-section-title" id="one_heading">1. First</h2>' in form.one_heading()
    assert "About one" in form.one_heading()
    assert "<p>Read this.</p>" in form.hint()
    with force_locale("zh_Hant_TW"):
        assert "一、第一" in form.one_heading() and "請閱讀。" in form.hint()
    assert built.names == ("hint", "a", "b")
    assert form.appgov_definition is built and str(form.appgov_definition.title) == "Probe"


# -- rows ---------------------------------------------------------------------------------

ROWS = {
    "name": "costs",
    "type": "rows",
    "label": bi("Costs", "經費"),
    "min_rows": 1,
    "max_rows": 4,
    "totals": ["amount"],
    "columns": [
        {
            "name": "item",
            "type": "string",
            "label": bi("Item", "項目"),
            "max_length": 50,
            "required": True,
        },
        {
            "name": "amount",
            "type": "money",
            "label": bi("Amount", "金額"),
            "maximum": 10**12,
            "required": True,
        },
    ],
}


def test_rows_drop_blank_rows_and_total_exactly(ctx):
    big = 10**12 - 1  # beyond a float's exact integers when added up
    form, ok = submit(
        form_def(ROWS),
        {
            "costs-0-item": "Design",
            "costs-0-amount": f"{big:,}",
            "costs-1-item": "",
            "costs-1-amount": "",
            "costs-2-item": "Hosting",
            "costs-2-amount": "NT$3",
        },
    )
    assert ok, form.errors
    assert form.costs.data == [{"item": "Design", "amount": big}, {"item": "Hosting", "amount": 3}]
    assert form.costs.totals == {"amount": big + 3}
    assert form.answers()["costs"] == form.costs.data
    html = form.costs()
    assert f"{big + 3:,}</output>" in html and 'data-appgov-total="amount"' in html


def test_rows_min_max_and_cell_errors_keep_what_was_typed(ctx):
    form, ok = submit(form_def(ROWS), {"costs-0-item": "", "costs-0-amount": ""})
    assert not ok and form.costs.errors == ["Fill in at least 1 rows (now 0)."]
    form, ok = submit(form_def(ROWS), {"costs-0-item": "Design", "costs-0-amount": "abc"})
    assert not ok
    assert form.costs.errors == ["Amount (row 1): Enter a whole number, e.g. 1,860,000."]
    html = form.costs()
    assert 'value="abc"' in html and 'aria-invalid="true"' in html
    many = {f"costs-{i}-item": f"x{i}" for i in range(6)} | {
        f"costs-{i}-amount": "1" for i in range(6)
    }
    form, ok = submit(form_def(ROWS), many)
    assert ok and len(form.costs.data) == 4  # at most max_rows rows are read


def test_rows_render_an_accessible_table_with_spare_rows(ctx, app):
    built = builder.build(form_def(ROWS))
    form = built.form_class(data={"costs": [{"item": "Design", "amount": 5}]})
    html = form.costs()
    assert form.costs.flags.rows and form.costs.flags.required
    assert (
        '<fieldset class="appgov-rows' in html
        and "<legend" in html
        and "<caption>Costs</caption>" in html
    )
    assert '<th scope="col">Amount</th>' in html
    assert 'aria-label="Amount (row 2)"' in html
    assert html.count("<tr data-appgov-row=") == 4  # 1 filled + 3 spare (max 4)
    assert html.count("data-appgov-spare") == 3
    assert " required" not in html.replace("aria-required", "")  # blank spare rows submit
    assert "data-appgov-add-row" in html and "<output" in html
    with force_locale("zh_Hant_TW"):
        assert '<th scope="col">金額</th>' in form.costs()


# -- computed and at_least (KH-KPI-1) ------------------------------------------------------


def test_computed_download_target_and_at_least(ctx):
    definition = form_def(
        integer("target_population", required=True),
        {
            "name": "download_target",
            "type": "computed",
            "label": bi("Download target"),
            "check": "download_target",
            "args": {"population": "target_population"},
        },
        integer(
            "marketing_target",
            at_least={"check": "download_target", "args": {"population": "target_population"}},
        ),
    )
    # rule KH-KPI-1: 1,986,191 -> 99,309
    form, ok = submit(
        definition,
        {"target_population": "1,986,191", "marketing_target": "100,000", "download_target": "1"},
    )
    assert ok, form.errors
    assert form.download_target.data == 99_309 and form.answers()["download_target"] == 99_309
    assert form.download_target.flags.computed
    assert "99,309</output>" in form.download_target()
    form, ok = submit(definition, {"target_population": "1986191", "marketing_target": "99308"})
    assert not ok and form.marketing_target.errors == ["Enter at least 99,309."]


# -- conditions ---------------------------------------------------------------------------


def test_shown_when_true_and_false(ctx):
    definition = form_def(
        choice("platform", ("ios", "android"), required=True),
        text("ios_link", required=True, shown_when={"field": "platform", "in": ["ios"]}),
    )
    form, ok = submit(definition, {"platform": "ios", "ios_link": ""})
    assert not ok and form.ios_link.errors == ["This field is required."]
    form, ok = submit(definition, {"platform": "android", "ios_link": "stale"})
    assert ok and "ios_link" not in form.answers() and form.ios_link.data is None
    html = builder.build(definition).form_class().ios_link()
    assert json.loads(_attr(html, "data-appgov-shown-when")) == [
        {"field": "platform", "in": ["ios"]}
    ]


def _attr(html: str, name: str) -> str:
    import html as html_module
    import re

    return html_module.unescape(re.search(rf'{name}="([^"]*)"', html).group(1))


def test_shown_when_of_a_section_and_a_boolean_and_a_multichoice(ctx):
    definition = {
        "key": "probe",
        "version": 1,
        "title": bi("Probe"),
        "sections": [
            {
                "name": "s0",
                "title": bi("0"),
                "fields": [
                    {"name": "tick", "type": "boolean", "label": bi("Tick")},
                    choice("m", ("x", "y"), kind="multichoice"),
                ],
            },
            {
                "name": "s1",
                "title": bi("1"),
                "shown_when": {"field": "tick", "in": [True]},
                "fields": [
                    text("a", required=True),
                    text("b", required=True, shown_when={"field": "m", "in": ["y"]}),
                ],
            },
        ],
    }
    form, ok = submit(definition, {})
    assert ok and form.answers() == {"tick": False, "m": []}
    form, ok = submit(definition, {"tick": "y"})
    assert not ok and form.a.errors and not form.b.errors
    form, ok = submit(definition, MultiDict([("tick", "y"), ("m", "x"), ("m", "y"), ("a", "1")]))
    assert not ok and form.b.errors == ["This field is required."]
    assert "data-appgov-shown-when" in form.s1_heading()


def test_required_when_true_and_false(ctx):
    definition = form_def(
        choice("opened", ("yes", "no")),
        text("reason", required_when={"field": "opened", "in": ["no"]}),
    )
    form, ok = submit(definition, {"opened": "no", "reason": "  "})
    assert not ok and form.reason.errors == ["This field is required."]
    assert submit(definition, {"opened": "yes"})[1]
    assert submit(definition, {"opened": "no", "reason": "x"})[1]
    assert not builder.build(definition).form_class().reason.flags.required
    assert "data-appgov-required-when" in builder.build(definition).form_class().reason()


@pytest.mark.parametrize(
    ("previous", "new", "required"),
    [("1.2.0", "2.0.0", True), ("1.2.0", "1.3.0", False), ("", "", False)],
)
def test_required_by_needs_security_report(ctx, previous, new, required):
    # rule KH-VER-1, KH-SEC-1: a major version asks for the security report
    definition = form_def(
        {"name": "previous", "type": "string", "label": bi("Previous"), "max_length": 20},
        {"name": "new", "type": "string", "label": bi("New"), "max_length": 20},
        text(
            "report",
            required_by={
                "check": "needs_security_report",
                "args": {"previous": "previous", "new": "new"},
            },
        ),
    )
    form, ok = submit(definition, {"previous": previous, "new": new})
    assert ok is not required
    assert bool(form.report.errors) is required


def test_required_by_of_a_section_rating_fails(ctx):
    # rule KH-KPI-2: exactly 3.5 fails, 3.6 passes; rows lose min_rows when not required
    definition = {
        "key": "probe",
        "version": 1,
        "title": bi("Probe"),
        "sections": [
            {
                "name": "s",
                "title": bi("S"),
                "fields": [{"name": "ios", "type": "decimal", "label": bi("iOS"), "maximum": 5}],
            },
            {
                "name": "improve",
                "title": bi("Improvement"),
                "required_by": {"check": "rating_fails", "args": {"ios": "ios"}},
                "fields": [text("plan", required=True), ROWS],
            },
        ],
    }
    form, ok = submit(definition, {"ios": "3.5"})
    assert not ok and form.plan.errors and form.costs.errors
    form, ok = submit(definition, {"ios": "3.6"})
    assert ok, form.errors
    assert submit(definition, {})[1]  # no rating: nothing asked


def test_downloads_below_target_check():
    check = conditions.CHECKS["downloads_below_target"]
    assert check(KAOHSIUNG, {"population": 35_000, "downloads": 8_749}) is True
    assert check(KAOHSIUNG, {"population": "35,000", "downloads": "8750"}) is False


@pytest.mark.parametrize(
    ("announced", "delisted", "ok"),
    [
        ("2026-01-31", "2026-02-28", True),  # TIME-4: no 31 February -> its last day
        ("2026-01-31", "2026-02-27", False),
        ("2028-01-31", "2028-02-29", True),  # leap year
        ("2026-03-31", "2026-04-30", True),
        ("2026-03-31", "2026-04-29", False),
        ("2026-11-22", "2026-12-22", True),
    ],
)
def test_after_months_at_month_ends(ctx, announced, delisted, ok):
    # rule TIME-4, TN-DEL-2: delisting at least one month after the announcement
    definition = form_def(
        date("announced_on"),
        choice("grounds", ("severe_defect", "other")),
        date(
            "delist_on",
            after={
                "field": "announced_on",
                "months": 1,
                "unless": {"field": "grounds", "in": ["severe_defect"]},
            },
        ),
    )
    form, valid = submit(
        definition, {"announced_on": announced, "delist_on": delisted, "grounds": "other"}
    )
    assert valid is ok, form.errors
    if not ok:
        assert form.delist_on.errors[0].startswith("Choose ")
        # unless: a severe defect may be delisted at once
        assert submit(
            definition,
            {"announced_on": announced, "delist_on": delisted, "grounds": "severe_defect"},
        )[1]


def test_after_days_and_deadline(ctx):
    by_days = form_def(date("a"), date("b", after={"field": "a", "days": 30}))
    assert submit(by_days, {"a": "2026-01-01", "b": "2026-01-31"})[1]
    assert not submit(by_days, {"a": "2026-01-01", "b": "2026-01-30"})[1]
    by_deadline = form_def(
        date("a"), date("b", after={"field": "a", "deadline": "delisting_notice"})
    )
    tainan = appgov_plugin.get_policy("tainan")
    earliest = tainan.deadline("delisting_notice", dt.date(2026, 1, 31))
    assert submit(by_deadline, {"a": "2026-01-31", "b": earliest.isoformat()}, policy=tainan)[1]
    before = (earliest - dt.timedelta(days=1)).isoformat()
    assert not submit(by_deadline, {"a": "2026-01-31", "b": before}, policy=tainan)[1]


def test_form_level_checks(ctx):
    definition = form_def(
        {"name": "ios", "type": "url", "label": bi("iOS link")},
        {"name": "android", "type": "url", "label": bi("Android link")},
        text("ui"),
        text("functions"),
        checks=[
            {"kind": "at_least_one", "fields": ["ios", "android"]},
            {
                "kind": "total_length",
                "fields": ["ui", "functions"],
                "min_length": 10,
                "max_length": 12,
            },
        ],
    )
    form, ok = submit(definition, {"ui": "字" * 5, "functions": "字" * 4})
    assert not ok
    assert form.ios.errors == ["Answer at least one of: iOS link, Android link."]
    assert form.ui.errors == ["Ui, Functions together: 10 to 12 characters (now 9)."]
    assert submit(definition, {"android": "https://x.tw", "ui": "字" * 6, "functions": "字" * 6})[1]
    assert not submit(
        definition, {"android": "https://x.tw", "ui": "字" * 7, "functions": "字" * 6}
    )[1]


# -- per deployment, languages, caching ----------------------------------------------------


def test_form_level_rules_and_section_rules():
    definition = builder.build(
        {
            "key": "probe",
            "version": 1,
            "title": bi("Probe"),
            "rules": ["KH-EVAL-1"],
            "sections": [
                {"name": "kh", "title": bi("KH"), "rule": "KH-EVAL-1", "fields": [text("a")]},
                {"name": "tn", "title": bi("TN"), "rule": "TN-EVAL-1", "fields": [text("b")]},
            ],
        }
    )
    tainan = appgov_plugin.get_policy("tainan")
    assert definition.offered_by(KAOHSIUNG) and not definition.offered_by(tainan)
    assert definition.asked(KAOHSIUNG.applies) == ("a",)
    assert definition.asked(tainan.applies) == ("b",)


def test_labels_switch_with_the_locale_one_cached_class(app):
    definition = builder.load("app_proposal")
    with app.test_request_context():
        first = definition.form_for(KAOHSIUNG)
        with force_locale("zh_Hant_TW"):
            second = definition.form_for(KAOHSIUNG)
            assert "App 名稱" in str(second.app_name.label) and "平台" in str(
                second.platforms.label
            )
            assert second.validate() is False and second.app_name.errors == ["此欄位是必需的。"]
        assert type(first) is type(second)
        assert "App name" in str(first.app_name.label)
        assert first.validate() is False and first.app_name.errors == ["This field is required."]


def test_every_shipped_definition_renders_in_both_languages(intranet_app):
    # in the test intranet, its agency staff logged in: a field of type "app" offers the apps
    # of the registry the user may file for (appgov's state and database, the request's user)
    app, _db = intranet_app
    for key in builder.available():
        definition = builder.load(key)
        with app.test_request_context():
            login_user(USERS["clerk"])
            for locale in ("zh_Hant_TW", "en"):
                with force_locale(locale):
                    form = definition.form_class()
                    for form_field in form:
                        assert str(form_field())  # renders
                        if not form_field.flags.no_answer:
                            assert str(form_field.label.text).strip(), (key, form_field.name)


def test_check_endpoint(intranet_app):
    # the real policy of the test intranet (Kaohsiung's rules: rule KH-KPI-1, KH-KPI-2)
    app, _db = intranet_app
    blueprint = Blueprint("forms_probe", __name__)
    register_views(blueprint)
    app.register_blueprint(blueprint, url_prefix="/probe")
    client = app.test_client()
    with app.app_context():
        from appgov_plugin.state import get_state

        expected = get_state().policy().download_target(35_000)
    # for logged-in officials only, like the forms it serves
    assert client.get("/probe/forms/check/download_target?population=1").status_code == 401
    client.get("/_login/clerk")
    answer = client.get("/probe/forms/check/download_target?population=35,000")
    assert answer.status_code == 200 and answer.get_json() == {"value": expected}
    bad = client.get("/probe/forms/check/download_target?population=many")
    assert bad.status_code == 400 and bad.get_json()["arg"] == "population"
    missing = client.get("/probe/forms/check/download_target")
    assert missing.status_code == 400 and missing.get_json()["arg"] == "population"
    unknown = client.get("/probe/forms/check/download_target?people=3")
    assert unknown.status_code == 400 and unknown.get_json()["arg"] == "people"
    assert client.get("/probe/forms/check/nope").status_code == 404
    assert client.get("/probe/forms/check/rating_fails?ios=1.0").get_json() == {"value": True}
    assert client.get("/probe/forms/check/rating_fails?ios=4.9").get_json() == {"value": False}


def test_every_example_of_the_docs_builds():
    import re
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[1] / "docs" / "forms.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```toml\n(.*?)```", doc, re.S)
    assert len(blocks) >= 12
    header = 'key = "doc"\nversion = 1\ntitle = { zh_Hant_TW = "例", en = "Example" }\n'
    types_seen = set()
    for block in blocks:
        source = block if block.startswith("key =") else header + block
        definition = builder.parse(source, "docs/forms.md")
        types_seen |= {spec["type"] for spec in definition.fields}
    from appgov_plugin.forms.schema import FIELD_TYPES

    assert types_seen == set(FIELD_TYPES)  # an example per field type
    for key in ("shown_when", "required_when", "required_by", "at_least", "after", "[[checks]]"):
        assert key in doc


# -- the browser script (appgov-forms.js), under a strict CSP ---------------------------------

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Probe</title></head>
<body><form method="post" id="probe">
{% for field in form %}
  {% if field.flags.rows or field.flags.computed or field.flags.heading or field.flags.notice %}
    {{ field() }}
  {% elif field.flags.fieldset %}
    <fieldset data-appgov-field="{{ field.name }}"><legend>{{ field.label.text }}</legend>
    {% for option in field %}{{ option() }} {{ option.label }}{% endfor %}</fieldset>
  {% else %}
    <div data-appgov-field="{{ field.name }}">{{ field.label }} {{ field() }}</div>
  {% endif %}
{% endfor %}
<button type="submit">Send</button></form>
<p id="answers">{{ answers }}</p>
<script src="{{ url_for('appgov.static', filename='appgov-forms.js') }}"></script>
</body></html>"""

BROWSER_FORM = form_def(
    choice("platform", ("ios", "android"), required=True),
    {
        "name": "ios_link",
        "type": "url",
        "label": bi("iOS link"),
        "required": True,
        "shown_when": {"field": "platform", "in": ["ios"]},
    },
    ROWS,
    integer("target_population"),
    {
        "name": "download_target",
        "type": "computed",
        "label": bi("Download target"),
        "check": "download_target",
        "args": {"population": "target_population"},
    },
)


@pytest.mark.slow
@pytest.mark.browser
def test_the_browser_script_shows_hides_adds_rows_totals_and_computes(tmp_path):
    import threading

    from flask import render_template_string, request
    from intranet import make_intranet
    from playwright.sync_api import expect
    from test_accessibility import _violations
    from test_browser import chromium
    from werkzeug.serving import make_server

    from appgov_plugin import migrations

    app, db, _ = make_intranet(f"sqlite:///{tmp_path / 'js.sqlite'}", WTF_CSRF_ENABLED=False)
    with app.app_context():
        migrations.upgrade(db.engine)
    definition = builder.build(BROWSER_FORM)
    probe = Blueprint("forms_probe", __name__)
    register_views(probe)

    @probe.route("/form", methods=["GET", "POST"])
    def form_page():
        from appgov_plugin.state import get_state

        form = definition.form_for(get_state().policy())
        answers = json.dumps(form.answers()) if request.method == "POST" and form.validate() else ""
        return render_template_string(PAGE, form=form, answers=answers)

    app.register_blueprint(probe, url_prefix="/probe")

    @app.after_request
    def strict_csp(response):
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'"
        )
        return response

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        with chromium() as browser:
            page = browser.new_context(locale="en").new_page()
            problems = []
            page.on(
                "console",
                lambda m: (
                    problems.append(m.text)
                    if m.type == "error" and "Failed to load resource" not in m.text  # favicon
                    else None
                ),
            )
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.goto(base + "/_login/clerk")  # the check endpoint answers logged-in users
            page.goto(base + "/probe/form")
            assert _violations(page) == []  # WCAG: the row table, notices, outputs
            # shown_when: hidden (and disabled) until iOS is chosen
            assert page.locator("#ios_link").is_hidden()
            assert page.locator("#ios_link").is_disabled()
            page.check("#platform-0")
            assert page.locator("#ios_link").is_visible()
            page.fill("#ios_link", "https://apps.apple.com/x")
            # rows: one blank row visible, "add a row" reveals the next spare one
            assert page.locator('tr[data-appgov-row="0"]').is_visible()
            assert page.locator('tr[data-appgov-row="1"]').is_hidden()
            page.fill("#costs-0-item", "Design")
            page.fill("#costs-0-amount", "1,000")
            page.click("[data-appgov-add-row]")
            assert page.locator('tr[data-appgov-row="1"]').is_visible()
            page.fill("#costs-1-item", "Hosting")
            page.fill("#costs-1-amount", "NT$2,500")
            expect(page.locator("#costs-total-amount")).to_have_text("3,500")
            # a fourth row is cloned when the spare rows run out (max_rows 4)
            page.click("[data-appgov-add-row]")
            page.click("[data-appgov-add-row]")
            assert page.locator('tr[data-appgov-row="3"]').is_visible()
            assert page.locator("#costs-3-amount").get_attribute("aria-label") == "Amount (row 4)"
            assert page.locator("[data-appgov-add-row]").is_hidden()
            # computed: the download target fetched from the check endpoint (KH-KPI-1)
            page.fill("#target_population", "35000")
            page.locator("#target_population").blur()
            expect(page.locator("#download_target")).to_have_text("8,750")
            # Android: the iOS link is hidden again and not sent; the server agrees
            page.check("#platform-1")
            assert page.locator("#ios_link").is_hidden()
            page.click("button[type=submit]")
            page.wait_for_selector("#answers:not(:empty)")
            answers = json.loads(page.text_content("#answers"))
            assert answers["platform"] == "android" and "ios_link" not in answers
            assert answers["costs"] == [
                {"item": "Design", "amount": 1000},
                {"item": "Hosting", "amount": 2500},
            ]
            assert answers["download_target"] == 8750
            assert problems == []  # no CSP violation, no script error
            # a refused row: the cell's error is tied to its input, still accessible
            page.fill("#costs-0-amount", "abc")
            page.click("button[type=submit]")
            page.wait_for_selector("#costs-0-amount-error")
            assert page.locator("#costs-0-amount").input_value() == "abc"
            assert page.locator("#costs-0-amount").get_attribute("aria-invalid") == "true"
            assert _violations(page) == []
    finally:
        server.shutdown()
        with app.app_context():
            db.engine.dispose()


def test_a_file_field_is_h3s_upload_field(ctx):
    definition = builder.build(
        form_def(
            {
                "name": "report",
                "type": "file",
                "label": bi("Report"),
                "accept": ["pdf", "png"],
                "max_size_mb": 2,
            }
        )
    )
    field = definition.form_class().report
    assert field.flags.upload and field.accept == ("pdf", "png")
    assert field.limit_bytes == 2 * 1024 * 1024


def test_a_stored_case_keeps_its_sections_questions(ctx):
    definition = builder.build(
        {
            "key": "probe",
            "version": 1,
            "title": bi("Probe"),
            "sections": [
                {"name": "all", "title": bi("All"), "fields": [text("a")]},
                {
                    "name": "tn",
                    "title": bi("Tainan"),
                    "rule": "TN-EVAL-1",
                    "fields": [text("b"), text("c", rule=["TN-EVAL-2", "KH-EVAL-1"])],
                },
            ],
        }
    )
    assert definition.asked(KAOHSIUNG.applies) == ("a",)  # the section's rule first
    form = definition.form_for(KAOHSIUNG, data={"a": "x", "b": "台南的答案"})
    assert [f.name for f in form] == ["all_heading", "a", "tn_heading", "b"]
    assert form.b.data == "台南的答案"


def test_what_was_typed_in_a_hidden_field_stays_when_the_form_is_refused(ctx):
    definition = form_def(
        choice("platform", ("ios", "android")),
        {
            "name": "ios_link",
            "type": "url",
            "label": bi("iOS link"),
            "shown_when": {"field": "platform", "in": ["ios"]},
        },
        text("required_text", required=True),
    )
    form, ok = submit(definition, {"platform": "android", "ios_link": "https://typed.example"})
    assert not ok and not form.ios_link.errors
    assert 'value="https://typed.example"' in form.ios_link()  # kept for the next try
    assert "ios_link" not in form.answers()
