"""Hostile input is refused with a clear message, never a 500 (issue 8), in the sample host
and in appgov embedded in another intranet, on SQLite and PostgreSQL: control characters
at the edge (400 naming the field), NaN and infinities in number fields, calendar years
outside the holidays' range (404, one year computed at a time), parsed values bounded in
size and depth, Flask-Admin ids and pages that cannot name a record."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
import sqlalchemy as sa
import wtforms
from flask_admin.contrib.sqla import ModelView
from hosting import login
from intranet import make_intranet
from wtforms.validators import NumberRange, Optional

from appgov_plugin import migrations, safe_input
from appgov_plugin.admin import MAX_PAGE, AdminConverter, AdminForm, BoundedJSONField
from appgov_plugin.apps.models import App
from appgov_plugin.forms.builder import AppGovForm, Bounds, DecimalNumberField
from appgov_plugin.policy.calendar import WorkingCalendar, supported_years
from appgov_plugin.policy.models import ParameterChange
from appgov_plugin.safe_input import InputTooLarge, loads
from appgov_plugin.state import get_state
from sample_host.extensions import db
from sample_host.forms import HostForm
from sample_host.models import Agency, Case, CaseHistory, User

#: the zh_Hant_TW message (default locale) and its English original
REFUSED_ZH = "含有控制字元"
REFUSED_EN = "contains a control character"
NEXT_YEAR = dt.date.today().year + 1


@pytest.fixture
def host(make_host):
    app = make_host()
    client = app.test_client()
    login(client, "admin")
    return app, client


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def first_id(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(model.id).order_by(model.id))


def refused(response, label: str | None = None, english: bool = False) -> str:
    page = response.get_data(as_text=True)
    assert response.status_code == 400, (response.status_code, page[:300])
    assert (REFUSED_EN if english else REFUSED_ZH) in page
    if label:
        assert (f"“{label}”" if english else f"「{label}」") in page, page[:2000]
    return page


# -- 1. control characters: 400 naming the field, nothing stored -------------------------


def test_login_with_a_nul_byte_is_refused_anonymously(make_host):
    app = make_host()
    client = app.test_client()
    response = client.post("/login", data={"username": "ad\x00min", "password": "x"})
    refused(response, "帳號")  # the login form's label for "username"
    english = client.post(
        "/login",
        data={"username": "admin", "password": "x\x1by"},
        headers={"Accept-Language": "en"},
    )
    refused(english, "Password", english=True)
    # the JSON answer of a client that asks for JSON
    as_json = client.post(
        "/login", data={"username": "\x00"}, headers={"Accept": "application/json"}
    )
    assert as_json.status_code == 400 and REFUSED_ZH in as_json.get_json()["detail"]


@pytest.mark.parametrize(
    "character", ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1f", "\x7f", "\ufffe", "\uffff"]
)
def test_every_refused_character_in_a_comment(host, character):
    app, client = host
    case_id, before = first_id(app, Case), count(app, CaseHistory)
    response = client.post(
        f"/cases/{case_id}/transition", data={"name": "submit", "comment": f"好{character}"}
    )
    refused(response, "意見")  # the host's label of the comment box
    assert count(app, CaseHistory) == before


def test_tab_and_line_breaks_in_multi_line_text_are_no_control_characters(host):
    app, client = host
    case_id = first_id(app, Case)
    response = client.post(
        f"/cases/{case_id}/transition", data={"name": "no-such-step", "comment": "一\t二\r\n三"}
    )
    assert response.status_code != 400 and response.status_code < 500


def test_query_parameters_and_admin_forms_of_host_and_appgov(host):
    app, client = host
    # Flask-Admin search and filters, the case search, appgov's pages
    for url in (
        "/admin/host_user/?search=a%00b",
        "/admin/appgov_app/?search=%00",
        "/admin/host_user/?flt0_0=%00",
        "/cases?q=%00",
        "/appgov/policy?as_of=%00",
        "/appgov/kpi?evaluation=%01",
        "/?x%00y=1",  # a parameter's name
    ):
        refused(client.get(url))
    # a Flask-Admin form: named by the view's own label
    agencies = count(app, Agency)
    response = client.post(
        "/admin/host_agency/new/",
        data={"code": "X-1", "name_zh": "測\x00試", "name_en": "Test", "city": "tainan"},
    )
    refused(response, "中文名稱")
    assert count(app, Agency) == agencies
    # appgov's rule-parameter form: the reason
    response = client.post(
        "/admin/appgov_parameters/rating_bar",
        data={"effective_from": "2099-01-01", "reason": "因\x00為", "value": "4"},
    )
    refused(response, "理由")
    assert count(app, ParameterChange) == 0
    # a JSON body may carry a lone surrogate, which forms and query strings cannot
    response = client.post(
        "/appgov/kpi",
        data='{"rows": [{"note": "\\ud800"}]}',
        content_type="application/json",
    )
    refused(response, "rows")  # named by the body's top-level key


def test_one_check_per_application_and_appgov_guarded_when_embedded(host, database_url):
    app, _ = host
    guard = app.extensions["appgov_safe_input"]
    assert guard.blueprints is None  # the host guards every request
    assert app.before_request_funcs[None].count(guard.check) == 1
    assert app.before_request_funcs[None][0] == guard.check  # before anything reads input

    intranet, intranet_db, _ = make_intranet(database_url, WTF_CSRF_ENABLED=False)

    @intranet.get("/own")
    def own():  # the intranet's own page: its own business
        return "own"

    with intranet.app_context():
        migrations.upgrade(intranet_db.engine)
    try:
        client = intranet.test_client()
        client.get("/_login/root")
        assert client.get("/own?q=%00").status_code == 200
        assert client.get("/appgov/kpi?evaluation=%00").status_code == 400
        assert client.get("/admin/appgov_app/?search=%00").status_code == 400
        response = client.post(
            "/admin/appgov_calendar_override/new/",
            data={"day": "2099-01-05", "name": "颱風\x00", "name_en": "T", "reason": ""},
        )
        assert response.status_code == 400
        assert "中文名稱" in response.get_data(as_text=True)
        assert safe_input.is_installed(intranet, "appgov")
        assert not safe_input.is_installed(intranet)
    finally:
        with intranet.app_context():
            intranet_db.engine.dispose()


# -- 2. NaN and infinities in every decimal field -----------------------------------------

NOT_NUMBERS = ["sNaN", "NaN", "nan", "inf", "-Infinity", "1e999"]


class PlainDecimals(AppGovForm):
    """A plug-in form with WTForms' own fields (NumberRange raises on a signalling NaN)."""

    rating = wtforms.DecimalField(validators=[Optional(), NumberRange(0, 5)])
    share = wtforms.FloatField(validators=[Optional(), NumberRange(0, 100)])
    stars = DecimalNumberField(validators=[Optional(), Bounds(Decimal(0), Decimal(5))])


class HostDecimals(HostForm):
    rating = wtforms.DecimalField(validators=[Optional(), NumberRange(0, 5)])
    share = wtforms.FloatField(validators=[Optional(), NumberRange(0, 100)])


class AdminDecimals(AdminForm):
    rating = wtforms.DecimalField(validators=[Optional(), NumberRange(0, 5)])


@pytest.mark.parametrize("text", NOT_NUMBERS)
def test_decimal_fields_refuse_nan_and_infinities(make_host, text):
    app = make_host()
    with app.test_request_context(
        method="POST", data={"rating": text, "share": text, "stars": text}
    ):
        form = PlainDecimals(meta={"csrf": False})
        assert not form.validate()
        if text == "1e999":  # a finite Decimal, only too large: the range's own message
            assert len(form.rating.errors) == 1 and "5" in form.rating.errors[0]
        else:
            assert form.rating.errors == ["不是有效的十進位數值。"]  # WTForms' message, zh_TW
            assert form.rating.data is None
        assert form.share.data is None  # 1e999 is an infinite float
        assert form.share.errors == ["不是有效的浮點數值。"]
        assert form.stars.errors == ["請填寫數字，例如 3.5。"]
        host_form = HostDecimals(meta={"csrf": False})
        assert not host_form.validate() and len(host_form.rating.errors) == 1


@pytest.mark.parametrize("text", NOT_NUMBERS)
def test_admin_form_decimal_refuses_nan(babel_app, text):
    from werkzeug.datastructures import MultiDict

    with babel_app.test_request_context():
        form = AdminDecimals(MultiDict({"rating": text}))
        assert not form.validate() and len(form.rating.errors) == 1
        assert (form.rating.data is None) == (text != "1e999")  # 1e999: a Decimal, too large


def test_stored_nan_is_no_number(make_host):
    app = make_host()
    with app.test_request_context():
        form = PlainDecimals(meta={"csrf": False}, data={"stars": "NaN", "rating": Decimal("sNaN")})
        assert form.stars.data is None and form.rating.data is None
        assert form.validate()


@pytest.mark.parametrize("text", NOT_NUMBERS)
def test_kpi_page_refuses_nan_with_the_fields_message(make_host, text):
    app = make_host("kaohsiung")
    client = app.test_client()
    login(client, "admin")
    assert client.get(f"/appgov/kpi?ios_average={text}").status_code == 200
    response = client.post(
        "/appgov/kpi?evaluation=kaohsiung",
        data={
            "evaluated_on": "2026-01-05",
            "population": "50000",
            "downloads": "10",
            "ios_average": text,
        },
    )
    assert response.status_code == 200
    assert "請填寫數字，例如 3.5。" in response.get_data(as_text=True)


# -- 3. the calendar: the supported years only, one year at a time ------------------------


def test_calendar_pages_serve_the_supported_years_only(host):
    app, client = host
    first, last = 1998, 2100  # holidays' Taiwan range; the shipped DGPA table is inside
    for year in (first, last):
        assert client.get(f"/appgov/calendar/{year}").status_code == 200, year
    for year in (0, 1, first - 1, 1912, last + 1, 9997, 9998, 9999, 10**20):
        assert client.get(f"/appgov/calendar/{year}").status_code == 404, year
    assert client.get("/appgov/calendar/").status_code == 200  # this year
    assert WorkingCalendar().years == supported_years() == range(first, last + 1)
    with app.test_request_context():
        computed = get_state(app).policy().calendar.computed_years()
    # the edges and this year, never the years between
    assert set(computed) <= {first, last, dt.date.today().year, NEXT_YEAR}, computed


def test_a_year_is_computed_without_the_years_between():
    calendar = WorkingCalendar()
    assert calendar.non_working_days(2100)
    assert calendar.computed_years() == [2100]
    assert calendar.make_up_days(1998) is not None
    assert calendar.computed_years() == [1998, 2100]
    # a deadline crosses only the years it needs
    calendar.add_working_days(dt.date(2099, 12, 30), 3)
    assert calendar.computed_years() == [1998, 2099, 2100]
    with pytest.raises(ValueError, match="outside the supported calendar"):
        calendar.add_working_days(dt.date(2100, 12, 30), 5)
    with pytest.raises(ValueError, match="9998 is outside"):
        calendar.is_working_day(dt.date(9998, 1, 1))


# -- 4. parsed values: bounded size and depth --------------------------------------------


def test_bounded_loads():
    assert loads('{"a": [1, 2.5, "x"]}') == {"a": [1, 2.5, "x"]}
    assert loads("[" * 20 + "]" * 20)
    for text, limit in (
        ("[" * 100_000, "characters"),
        ("[" * 21 + "]" * 21, "levels"),
        ('["[[[[[[[[[[[[[[[[[[[[[[[[[[[["]', None),  # brackets inside a string do not nest
        ("1" * 5000, "digits"),
        ("1e999", "too large"),
        ("NaN", "not a number"),
        ("[-Infinity]", "not a number"),
    ):
        if limit is None:
            assert loads(text)
            continue
        with pytest.raises(InputTooLarge):
            loads(text)
    with pytest.raises(json.JSONDecodeError):
        loads("kaohsiung")


@pytest.mark.parametrize("value", ["[" * 100_000, "{" * 50, "9" * 5000])
def test_parameter_values_are_bounded(host, value):
    app, client = host
    response = client.post(
        "/admin/appgov_parameters/download_target_bands",
        data={"effective_from": "2099-01-01", "reason": "測試", "advanced": value},
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert any(word in page for word in ("字元", "層", "位數")), page[:500]
    assert count(app, ParameterChange) == 0


def test_admin_json_columns_are_parsed_within_bounds(host):
    app, client = host
    # every JSON column of a Flask-Admin view is a bounded JSON input
    with app.app_context():
        view = ModelView(Case, db, endpoint="probe_case")
        view.form_base_class = AdminForm
        view.model_form_converter = AdminConverter
        form_class = view.scaffold_form()
        assert vars(form_class)["data"].field_class is BoundedJSONField
    with app.test_request_context():
        from werkzeug.datastructures import MultiDict

        form = form_class(MultiDict({"data": "[" * 100_000, "type_key": "x", "status": "x"}))
        assert not form.validate()
        errors = form["data"].errors
        assert len(errors) == 1 and "層" in errors[0], errors  # nested too deep
    # the host's case form: never a 500 (refused, or read-only)
    case_id = first_id(app, Case)
    response = client.post(f"/admin/host_case/edit/?id={case_id}", data={"data": "[" * 100_000})
    assert response.status_code < 500


def test_json_bodies_are_bounded(make_host):
    client = make_host().test_client()
    response = client.post("/login", data="[" * 100_000, content_type="application/json")
    assert response.status_code == 400
    huge = json.dumps({"x": "a" * 500_000})  # beyond MAX_JSON_BODY: refused unread
    assert client.post("/login", data=huge, content_type="application/json").status_code == 413


# -- 5. Flask-Admin: ids and pages that name no record -----------------------------------


def _app_row(app) -> int:
    with app.app_context():
        row = App(agency_code="TN-TOUR", name="待刪除", status="listed")
        db.session.add(row)
        db.session.commit()
        return row.id


def test_admin_ids_that_name_no_record(host):
    app, client = host
    user_id = first_id(app, User)
    bad_ids = ("abc", "1.5", "1,2", "", "99999999999999999999999", "2147483648", "-0x1", "１")
    for view in ("host_user", "appgov_app"):
        for page in ("edit", "details"):
            for bad in bad_ids:
                response = client.get(f"/admin/{view}/{page}/?id={bad}")
                assert response.status_code in (302, 404), (view, page, bad)
        response = client.post(f"/admin/{view}/delete/", data={"id": "abc"})
        assert response.status_code == 302
    assert client.get(f"/admin/host_user/edit/?id={user_id}").status_code == 200
    # "Delete selected": the ids that name no record are left out, the others deleted
    row = _app_row(app)
    users, apps = count(app, User), count(app, App)
    response = client.post(
        "/admin/host_user/action/", data={"action": "delete", "rowid": ["abc", "1e3"]}
    )
    assert response.status_code == 302 and count(app, User) == users
    response = client.post(
        "/admin/appgov_app/action/",
        data={"action": "delete", "rowid": ["abc", str(row)]},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "找不到這筆資料" in response.get_data(as_text=True)
    assert count(app, App) == apps - 1
    with app.app_context():
        assert db.session.get(App, row) is None


def test_admin_pages_and_sorting_from_the_address(host):
    app, client = host
    for view in ("host_user", "host_case_history", "appgov_app", "appgov_calendar_override"):
        for query in (
            "page=-1",
            "page=-99999999999999999999",
            f"page={MAX_PAGE + 1}",
            "page=99999999999999999999",
            "page=abc",
            "sort=abc",
            "sort=999",
            "sort=-1&desc=x",
            "page_size=-5",
        ):
            response = client.get(f"/admin/{view}/?{query}")
            assert response.status_code == 200, (view, query, response.status_code)
    # the case search of the host
    for query in ("page=-1", "page=99999999999999999999", "page=abc"):
        assert client.get(f"/cases?{query}").status_code == 200, query


def test_admin_ids_in_an_embedded_appgov(intranet_app):
    app, intranet_db = intranet_app
    client = app.test_client()
    client.get("/_login/root")
    for url in (
        "/admin/appgov_app/edit/?id=abc",
        "/admin/appgov_app/details/?id=abc",
        "/admin/appgov_calendar_override/edit/?id=1,2",
    ):
        assert client.get(url).status_code in (302, 404), url
    assert client.get("/admin/appgov_app/?page=-1").status_code == 200
    response = client.post("/admin/appgov_app/action/", data={"action": "delete", "rowid": "x"})
    assert response.status_code == 302
