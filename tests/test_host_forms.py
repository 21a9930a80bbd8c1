"""Versioned low-code forms in the case host (issue 9), on SQLite and PostgreSQL.

A synthetic plug-in contributes a case type with two versions of one form, built with the
engine (``appgov_plugin.forms.builder.parse``): a case opened under version 1 is shown,
edited, corrected and validated with version 1 after version 2 is live; a new case gets
version 2; the form key is stored. ``CaseType.data_from`` stores row groups, file references
and computed values and skips notices and headings; the case page shows them. The host's
``casehost_case_for_reader`` answers per role. A body over ``MAX_CONTENT_LENGTH`` gets the
friendly 413 page in both languages. Migration c4d9e7f3a210 keeps the append-only triggers.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import re
from decimal import Decimal

import pytest
import sqlalchemy as sa
import wtforms
from alembic import command
from casework import add_user, insert_agency_and_user, raw_connection
from casework import visible_text as text_of
from flask_login import AnonymousUserMixin
from hosting import login
from sqlalchemy.exc import DBAPIError
from werkzeug.datastructures import MultiDict

from appgov_plugin.forms.builder import AppGovForm, parse
from appgov_plugin.host import CaseType, Transition, Workflow, hookimpl
from appgov_plugin.host.contract import ContractError, FormRef, jsonable
from sample_host.cases import create_case
from sample_host.database import MIGRATIONS_DIR
from sample_host.extensions import db, migrate
from sample_host.models import Case, CaseHistory, User

KEY = "h5_permit"

_SECTIONS = """
key = "h5_permit"
version = {version}
title = {{ zh_Hant_TW = "測試許可申請", en = "Test permit application" }}

[[sections]]
name = "basics"
title = {{ zh_Hant_TW = "一、基本資料", en = "1. Basics" }}

[[sections.fields]]
name = "read_first"
type = "notice"
text = {{ zh_Hant_TW = "請先閱讀申請須知。", en = "Read the instructions first." }}

[[sections.fields]]
name = "title"
type = "string"
label = {{ zh_Hant_TW = "{title_zh}", en = "{title_en}" }}
required = true
max_length = {title_max}
{extra}
[[sections]]
name = "budget"
title = {{ zh_Hant_TW = "二、經費", en = "2. Budget" }}

[[sections.fields]]
name = "items"
type = "rows"
label = {{ zh_Hant_TW = "經費明細", en = "Budget items" }}
min_rows = 1
max_rows = 5
totals = ["amount"]

[[sections.fields.columns]]
name = "item"
type = "string"
label = {{ zh_Hant_TW = "項目", en = "Item" }}
required = true
max_length = 40

[[sections.fields.columns]]
name = "amount"
type = "money"
label = {{ zh_Hant_TW = "金額", en = "Amount" }}
maximum = 1000000

[[sections.fields.columns]]
name = "due"
type = "date"
label = {{ zh_Hant_TW = "日期", en = "Due" }}

[[sections.fields]]
name = "population"
type = "integer"
label = {{ zh_Hant_TW = "目標人口", en = "Target population" }}
maximum = 3000000

[[sections.fields]]
name = "target"
type = "computed"
label = {{ zh_Hant_TW = "下載目標", en = "Download target" }}
check = "download_target"
args = {{ population = "population" }}

[[sections.fields]]
name = "plan"
type = "file"
label = {{ zh_Hant_TW = "計畫書", en = "Plan" }}
accept = ["pdf"]
max_size_mb = 5
"""

#: version 1: a short title; version 2: a longer title renamed, and a required reason
V1 = parse(
    _SECTIONS.format(version=1, title_zh="案名", title_en="Title", title_max=10, extra=""),
    "h5_permit v1",
)
V2 = parse(
    _SECTIONS.format(
        version=2,
        title_zh="計畫名稱",
        title_en="Project name",
        title_max=50,
        extra="""
[[sections.fields]]
name = "reason"
type = "string"
label = { zh_Hant_TW = "申請理由", en = "Reason" }
required = true
max_length = 200
""",
    ),
    "h5_permit v2",
)
DEFINITIONS = {1: V1, 2: V2}

WORKFLOW = Workflow(
    initial="draft",
    states={"draft": "Draft", "filed": "Filed"},
    transitions=(Transition("file", "draft", "filed", "agency_staff", "File"),),
    final_states=frozenset({"filed"}),
)


class VersionedPermits:
    """A plug-in whose form has two versions; ``live`` is the one new cases get."""

    __name__ = "h5_versioned_permits"

    def __init__(self):
        self.live = 1
        self.asked: list[tuple] = []

    def form_at(self, key, version):
        self.asked.append((key, version))
        assert key in (KEY, None)
        definition = DEFINITIONS[version or 1]  # not recorded: filed with version 1
        return definition.form_class

    @hookimpl
    def casehost_case_types(self, app, register):
        register(
            CaseType(
                key=KEY,
                label="Test permit",
                form=None,
                workflow=WORKFLOW,
                form_key=KEY,
                form_version=lambda: self.live,
                form_at=self.form_at,
            )
        )


@pytest.fixture
def plugin():
    return VersionedPermits()


@pytest.fixture
def app(sample_host_factory, plugin):
    app = sample_host_factory(plugins=[plugin], APPGOV_PROFILE="tainan")
    with app.app_context():
        add_user("ks-staff", "agency_staff", "kaohsiung-tb")
        add_user("staff2", "agency_staff", "tainan-tourism")
    return app


@pytest.fixture
def client(app):
    return app.test_client()


EN = {"Accept-Language": "en"}

ROW = {"items-0-item": "Posters", "items-0-amount": "1,200", "items-0-due": "115/12/01"}


def _answers(title="Harbour", **more) -> dict:
    return {"title": title, **ROW, "items-1-item": "Stands", "items-1-amount": "300", **more}


def _case(case_id: int) -> Case:
    db.session.expire_all()
    return db.session.get(Case, case_id)


def _opened(client, data) -> int:
    response = client.post(f"/cases/new/{KEY}", data=data)
    assert response.status_code == 302, text_of(response.text)
    return int(response.headers["Location"].rsplit("/", 1)[1])


# -- versions ---------------------------------------------------------------------------------


def test_a_case_keeps_the_version_it_was_filed_with_after_a_new_one_is_live(app, client, plugin):
    login(client, "staff")
    page = client.get(f"/cases/new/{KEY}", headers=EN).text
    assert 'enctype="multipart/form-data"' in page and "Reason" not in page
    case_id = _opened(client, _answers())
    with app.app_context():
        case = _case(case_id)
        assert (case.form_key, case.form_version) == (KEY, 1)
        assert case.data["items"][0] == {"item": "Posters", "amount": 1200, "due": "2026-12-01"}

    plugin.live = 2  # version 2 published: new cases only
    page = client.get(f"/cases/{case_id}", headers=EN).text
    assert "Title" in text_of(page) and "Project name" not in text_of(page)
    assert "Filed with version 1 of the form." in text_of(page)

    # the owner's edit: version 1's form and validation (10 characters, no reason asked)
    edit = client.get(f"/cases/{case_id}/edit", headers=EN).text
    assert 'enctype="multipart/form-data"' in edit
    assert 'name="reason"' not in edit and 'maxlength="10"' in edit
    refused = client.post(f"/cases/{case_id}/edit", data=_answers("A much longer title"))
    assert refused.status_code == 200 and "error-summary" in refused.text
    saved = client.post(f"/cases/{case_id}/edit", data=_answers("Harbour 2"))
    assert saved.status_code == 302
    with app.app_context():
        case = _case(case_id)
        assert case.data["title"] == "Harbour 2"
        assert (case.form_key, case.form_version) == (KEY, 1)  # an edit keeps the version
        assert (KEY, 1) in plugin.asked

    # a new case: version 2, its reason required, its longer title accepted
    refused = client.post(f"/cases/new/{KEY}", data=_answers("A much longer title"))
    assert refused.status_code == 200 and 'name="reason"' in refused.text
    new_id = _opened(client, _answers("A much longer title", reason="Festival"))
    with app.app_context():
        new = _case(new_id)
        assert (new.form_key, new.form_version) == (KEY, 2)
        assert new.data["reason"] == "Festival"
    assert "Project name" in text_of(client.get(f"/cases/{new_id}", headers=EN).text)

    # the administrator's correction validates with the case's own version too
    login(client, "admin")
    correct = client.get(f"/cases/{case_id}/correct", headers=EN).text
    assert 'name="reason"' not in correct.replace('name="correction-reason"', "")
    with app.app_context():
        case = _case(case_id)
        base = {"correction-agency": str(case.agency_id), "correction-owner": str(case.owner_id)}
    refused = client.post(
        f"/cases/{case_id}/correct",
        data={**_answers("A much longer title"), **base, "correction-reason": "typo"},
    )
    assert refused.status_code == 200 and "error-summary" in refused.text
    corrected = client.post(
        f"/cases/{case_id}/correct",
        data={**_answers("Harbour 3"), **base, "correction-reason": "typo"},
    )
    assert corrected.status_code == 302
    with app.app_context():
        case = _case(case_id)
        assert case.data["title"] == "Harbour 3" and case.form_version == 1


def test_the_live_version_is_read_when_a_case_is_opened_and_checked(plugin):
    case_type = CaseType(
        key="x", label="X", form=None, workflow=WORKFLOW, form_key=KEY,
        form_version=lambda: plugin.live, form_at=plugin.form_at,
    )  # fmt: skip
    assert case_type.current_form() == FormRef(KEY, 1)
    plugin.live = 2
    assert case_type.current_form_version() == 2 and case_type.current_form_key() == KEY
    assert case_type.form_for(KEY, 1) is V1.form_class
    assert case_type.form_for(None, None) is V1.form_class  # not recorded
    key, version = case_type.current_form()
    assert (key, version) == (KEY, 2)
    # a plain form class keeps working (backwards compatible): form_at absent
    plain = CaseType(key="p", label="P", form=V1.form_class, workflow=WORKFLOW, form_version=3)
    assert plain.form_for(KEY, 1) is V1.form_class and plain.current_form() == FormRef(None, 3)
    with pytest.raises(ContractError, match="needs a form or a form_at"):
        CaseType(key="n", label="N", form=None, workflow=WORKFLOW)
    with pytest.raises(ContractError, match="form_version must be a int"):
        CaseType(key="v", label="V", form=V1.form_class, workflow=WORKFLOW, form_version="2")
    bad = CaseType(key="b", label="B", form=V1.form_class, workflow=WORKFLOW, form_key=lambda: 7)
    with pytest.raises(ContractError, match="form_key must be a str"):
        bad.current_form()


# -- data_from and stored_form ------------------------------------------------------------------


class _Row(wtforms.Form):
    day = wtforms.DateField()
    share = wtforms.DecimalField()


class _PlainForm(AppGovForm):
    """A plug-in's own WTForms form (no ``answers()``): FieldList rows, a notice."""

    heading = wtforms.StringField()
    rows = wtforms.FieldList(wtforms.FormField(_Row), min_entries=1)
    upload = wtforms.Field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, meta={"csrf": False}, **kwargs)
        self.heading.flags.no_answer = True


REFERENCE = {"sha256": "ab" * 32, "name": "計畫書.pdf", "size": 2048, "type": "application/pdf"}


def test_data_from_stores_rows_files_computed_and_skips_notices_and_headings(app):
    case_type = app.extensions["casehost"].case_types[KEY]
    formdata = MultiDict(
        {"title": "Harbour", **ROW, "items-3-item": "", "population": "40000"}
    )  # a blank row: dropped
    with app.test_request_context(method="POST", data=formdata):
        form = case_type.form_for(KEY, 1)(formdata=formdata, meta={"csrf": False})
        assert form.validate(), form.errors
        data = case_type.data_from(form)
    assert "read_first" not in data and not any(k.endswith("_heading") for k in data)
    assert data["items"] == [{"item": "Posters", "amount": 1200, "due": "2026-12-01"}]
    assert data["target"] == 10_000  # computed by the policy (download target), stored
    assert data["plan"] is None

    with app.test_request_context():
        stored = case_type.stored_form({**data, "plan": REFERENCE}, key=KEY, version=1)
        again = case_type.data_from(stored)
    assert again["plan"] == REFERENCE and again["items"] == data["items"]

    # a plain WTForms form: FieldList of FormField, dates and decimals inside, a no-answer field
    with app.test_request_context():
        plain = CaseType(key="p", label="P", form=_PlainForm, workflow=WORKFLOW)
        form = plain.stored_form(
            {"rows": [{"day": "2026-12-01", "share": "12.50"}], "upload": REFERENCE}
        )
        assert form.rows[0].day.data == dt.date(2026, 12, 1)  # read back inside the rows
        assert form.rows[0].share.data == Decimal("12.50")
        assert plain.data_from(form) == {
            "rows": [{"day": "2026-12-01", "share": "12.50"}],
            "upload": REFERENCE,
        }
    assert jsonable({"a": (dt.date(2026, 1, 2), Decimal("1.5"), {"b": {1}})}) == {
        "a": ["2026-01-02", "1.5", {"b": [1]}]
    }


def test_a_field_hidden_by_its_condition_is_cleared_on_edit(app):
    form_class = parse(
        """
key = "h5_cond"
version = 1
title = { zh_Hant_TW = "條件", en = "Conditions" }
[[fields]]
name = "kind"
type = "choice"
label = { zh_Hant_TW = "類別", en = "Kind" }
choices = [{ value = "a", label = { zh_Hant_TW = "甲", en = "A" } },
           { value = "b", label = { zh_Hant_TW = "乙", en = "B" } }]
[[fields]]
name = "detail"
type = "string"
label = { zh_Hant_TW = "說明", en = "Detail" }
max_length = 20
shown_when = { field = "kind", in = ["b"] }
""",
        "h5_cond",
    ).form_class
    case_type = CaseType(key="c", label="C", form=form_class, workflow=WORKFLOW)
    formdata = MultiDict({"kind": "a", "detail": "left over"})
    with app.test_request_context(method="POST", data=formdata):
        form = case_type.stored_form({"kind": "b", "detail": "old"})
        assert form.validate(), form.errors
        assert case_type.data_from(form) == {"kind": "a", "detail": None}


# -- the case page and the form ------------------------------------------------------------------


def _stored_case(app, data, version=1) -> int:
    with app.app_context():
        staff = db.session.scalar(sa.select(User).where(User.username == "staff"))
        case_type = app.extensions["casehost"].case_types[KEY]
        case = create_case(case_type, staff.agency, staff, data, form=FormRef(KEY, version))
        db.session.commit()
        return case.id


def test_the_case_page_shows_headings_row_tables_with_totals_files_and_computed(app, client):
    case_id = _stored_case(
        app,
        {
            "title": "Harbour",
            "items": [
                {"item": "Posters", "amount": 1200, "due": "2026-12-01"},
                {"item": "Stands", "amount": 300, "due": None},
            ],
            "population": 40000,
            "target": 10000,
            "plan": REFERENCE,
        },
    )
    login(client, "staff")
    page = client.get(f"/cases/{case_id}", headers=EN).text
    text = " ".join(text_of(page).split())
    assert "1. Basics" in text and "2. Budget" in text
    assert "Read the instructions first." not in text  # a notice is no answer
    table = re.search(
        r'<table class="table table-sm table-bordered mb-0 answer-rows".*?</table>', page, re.S
    )
    assert table, page
    cells = " ".join(text_of(table.group(0)).split())
    assert "Item Amount Due" in cells and "Posters NT$1,200" in cells and "Stands NT$300" in cells
    assert "Total NT$1,500" in cells
    assert "10,000" in text and "(computed)" in text
    assert "計畫書.pdf" in text and "(2 KB)" in text
    if "appgov_files" in app.blueprints:  # helper H3's file route: a download link
        assert f'href="/appgov/files/cases/{case_id}/{REFERENCE["sha256"]}"' in page
    else:
        assert "answer-file" not in page

    zh = " ".join(text_of(client.get(f"/cases/{case_id}").text).split())
    assert "二、經費" in zh and "項目 金額 日期" in zh and "NT$1,500" in zh


def test_the_error_summary_links_a_refused_row_cell(app, client):
    login(client, "staff")
    data = {"title": "Harbour", "items-0-item": "Posters", "items-0-amount": "lots"}
    page = client.post(f"/cases/new/{KEY}", data=data, headers=EN).text
    summary = re.search(r'<div class="alert alert-danger error-summary".*?</div>', page, re.S)
    assert summary, page
    links = re.findall(r'<a href="#([^"]+)">(.*?)</a>', summary.group(0), re.S)
    assert (
        "items-0-amount",
        "Budget items, row 1, Amount: Enter a whole number, e.g. 1,860,000.",
    ) in [(anchor, html.unescape(message)) for anchor, message in links]
    assert 'id="items-0-amount"' in page  # the link's target exists
    assert 'data-appgov-field="title"' in page  # every field's block is the script's wrapper


def test_the_form_pages_load_appgovs_form_script(app, client):
    login(client, "staff")
    case_id = _opened(client, _answers())
    script = "appgov-forms.js"
    for url in (f"/cases/new/{KEY}", f"/cases/{case_id}/edit"):
        page = client.get(url).text
        assert script in page if "appgov" in app.blueprints else script not in page
    if "appgov" in app.blueprints:
        src = re.search(r'<script src="([^"]+appgov-forms\.js)"', page).group(1)
        assert client.get(src).status_code == 200
    assert script not in client.get(f"/cases/{case_id}").text  # no form on the case page


# -- the reader hook ---------------------------------------------------------------------------


def test_case_for_reader_answers_per_role_and_never_for_guessed_ids(app, client):
    login(client, "staff")
    case_id = _opened(client, _answers())
    client.post(f"/cases/{case_id}/transition", data={"name": "file"})
    draft_id = _opened(client, _answers("Draft"))
    pm = app.extensions["casehost"].pm
    with app.test_request_context():
        users = {u.username: u for u in db.session.scalars(sa.select(User))}

        def read(case_id, username):
            user = users[username] if isinstance(username, str) else username
            return pm.hook.casehost_case_for_reader(app=app, case_id=case_id, user=user)

        assert read(case_id, "staff").id == case_id  # the owner
        assert read(str(case_id), "staff2").id == case_id  # same agency, filed: text id too
        assert read(case_id, "itdept").id == case_id  # the city's IT department
        assert read(case_id, "admin").id == case_id
        assert read(case_id, "ks-staff") is None  # an agency user of another agency
        assert read(case_id, "helpdesk") is None  # status only: no answers, no files
        assert read(draft_id, "staff2") is None  # someone else's draft
        assert read(draft_id, "staff").id == draft_id
        for guessed in (999_999, "999999", "abc", "-1", "1e3", "", None, True, 2**40, "٣"):
            assert read(guessed, "admin") is None, guessed
        assert read(case_id, AnonymousUserMixin()) is None
        users["staff"].active = False
        assert read(case_id, "staff") is None  # a deactivated user reads nothing
        db.session.rollback()


# -- the 413 page ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "title", "limit"),
    [
        ({"Accept-Language": "zh-TW"}, "送出的資料太大", "1 MB"),
        (EN, "What you sent is too large", "This site accepts at most 1 MB in one submission"),
    ],
)
def test_a_body_over_the_limit_gets_the_friendly_413_page(
    sample_host_factory, plugin, headers, title, limit
):
    app = sample_host_factory(plugins=[plugin], MAX_CONTENT_LENGTH=1024 * 1024)
    client = app.test_client()
    login(client, "staff")
    with app.app_context():
        before = db.session.scalar(sa.select(sa.func.count(Case.id)))
    big = ("x" * (1024 * 1024 + 10)).encode()
    response = client.post(
        f"/cases/new/{KEY}",
        data={"title": "Harbour", "plan": (io.BytesIO(big), "plan.pdf")},
        headers=headers,
    )
    assert response.status_code == 413
    text = " ".join(text_of(response.text).split())
    assert title in text and limit in text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Case.id))) == before  # nothing saved


def test_the_default_limit_takes_the_largest_upload_and_the_environment(
    sample_host_factory, plugin, monkeypatch
):
    assert sample_host_factory(plugins=[plugin]).config["MAX_CONTENT_LENGTH"] >= 50 * 2**20
    monkeypatch.setenv("HOST_MAX_CONTENT_LENGTH", str(5 * 2**20))
    assert sample_host_factory(plugins=[plugin]).config["MAX_CONTENT_LENGTH"] == 5 * 2**20


# -- the migration -------------------------------------------------------------------------------


def test_the_form_key_migration_backfills_and_keeps_the_append_only_triggers(
    sample_host_factory, plugin
):
    app = sample_host_factory(plugins=[plugin], AUTO_SETUP=False)
    with app.app_context():
        config = migrate.get_config(str(MIGRATIONS_DIR))
        command.upgrade(config, "b8d4f2a1e032")
        with raw_connection() as conn:
            insert_agency_and_user(conn)
            for case_id, type_key in ((1, KEY), (2, "leave")):
                conn.execute(
                    sa.text(
                        "INSERT INTO host_case (id, type_key, agency_id, status, data, "
                        "form_version, owner_id, created_at, updated_at, search_text) VALUES "
                        "(:id, :type, 1, 'draft', '{}', 1, 1, :at, :at, '')"
                    ),
                    {"id": case_id, "type": type_key, "at": "2026-11-30 01:02:03"},
                )
        # a history row through the model: chained as the host chains it
        db.session.add(
            CaseHistory(case_id=1, actor_id=1, transition="open", to_state="draft", comment="")
        )
        db.session.commit()

        command.upgrade(config, "c4d9e7f3a210")
        rows = db.session.execute(sa.text("SELECT id, form_key FROM host_case ORDER BY id")).all()
        assert [tuple(r) for r in rows] == [(1, KEY), (2, None)]  # known type: backfilled
        _assert_history_is_append_only()

        command.downgrade(config, "b8d4f2a1e032")
        columns = {c["name"] for c in sa.inspect(db.engine).get_columns("host_case")}
        assert "form_key" not in columns and "form_version" in columns
        _assert_history_is_append_only()
        command.upgrade(config, "head")
        assert "form_key" in {c["name"] for c in sa.inspect(db.engine).get_columns("host_case")}
        _assert_history_is_append_only()


def _assert_history_is_append_only():
    for statement in (
        "UPDATE host_case_history SET comment = 'rewritten'",
        "DELETE FROM host_case_history",
    ):
        with pytest.raises(DBAPIError, match="append-only"), raw_connection() as conn:
            conn.execute(sa.text(statement))
    with pytest.raises(DBAPIError), raw_connection() as conn:  # SQLite: trigger; PostgreSQL: FK
        conn.execute(sa.text("DELETE FROM host_case WHERE id = 1"))
    with db.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM host_case_history")).scalar() == 1


PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def test_appgovs_file_route_serves_a_case_file_to_the_readers_the_host_allows(app, client):
    """helper H3's route asks casehost_case_for_reader before it sends a case's file."""
    uploads = pytest.importorskip("appgov_plugin.uploads")
    if "appgov_files" not in app.blueprints:
        pytest.skip("appgov's file route is not installed in this host")
    with app.app_context():
        reference = uploads.store(io.BytesIO(PDF), "plan.pdf", ("pdf",), 2**20)
    case_id = _stored_case(app, {"title": "Harbour", "items": [], "plan": reference})
    url = f"/appgov/files/cases/{case_id}/{reference['sha256']}"
    login(client, "staff")
    assert f'href="{url}"' in client.get(f"/cases/{case_id}").text
    assert client.get(url).status_code == 200
    for other in ("ks-staff", "helpdesk", "staff2"):  # another agency; status only; a draft
        login(client, other)
        assert client.get(url).status_code == 404, other


def test_the_search_finds_an_uploaded_file_by_its_name_only():
    from sample_host.models import searchable_text

    sha = "ab" * 32
    text = searchable_text(
        {
            "title": "港區計畫",
            "plan": {"sha256": sha, "name": "需求規格.PDF", "size": 10, "type": "application/pdf"},
            "rows": [{"item": "設計", "amount": 360000}],
        }
    )
    assert "需求規格.pdf" in text and "港區計畫" in text and "360000" in text
    assert sha not in text and "application/pdf" not in text
