"""Flask-Admin **Forms** (issue 9): an administrator changes a label and adds a field with the
structured editor and with the TOML editor, previews the edit in Traditional Chinese and in
English, publishes it with a reason as a new version; an invalid definition is refused with
the engine's message beside the editor, what was typed stays, and the live version is
unchanged. Only administrators reach the pages (403 for agency staff, reviewers and the IT
department). Everything works without JavaScript (plain form posts). On SQLite
(backend-independent: the versions' storage runs on both in tests/test_form_versions.py)."""

from __future__ import annotations

import html
import re
import tomllib
from html.parser import HTMLParser

import pytest
from hosting import login

from appgov_plugin.forms import admin as forms_admin
from appgov_plugin.forms import store

# backend-independent: the form editor's pages (the versions' storage: test_form_versions.py)
pytestmark = pytest.mark.backend_independent

KEY = "app_proposal"
SECTIONED = "kh_evaluation_plan"
BASE = "/admin/appgov_forms"


class FormFields(HTMLParser):
    """The values a browser would send for the ``<form id=form_id>`` of a page (buttons
    left out: the test names the pressed one)."""

    def __init__(self, form_id: str):
        super().__init__(convert_charrefs=True)
        self.form_id, self.inside, self.fields = form_id, False, []
        self._textarea = self._select = None
        self._options: list = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        if not self.inside:
            return
        if tag == "input" and attrs.get("name"):
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.fields.append((attrs["name"], attrs.get("value", "on")))
            elif kind not in ("submit", "button"):
                self.fields.append((attrs["name"], attrs.get("value", "")))
        elif tag == "textarea":
            self._textarea = [attrs["name"], ""]
        elif tag == "select":
            self._select, self._options = attrs["name"], []
        elif tag == "option" and self._select:
            self._options.append((attrs.get("value", ""), "selected" in attrs))

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "textarea" and self._textarea is not None:
            value = self._textarea[1]
            self.fields.append((self._textarea[0], value[1:] if value[:1] == "\n" else value))
            self._textarea = None
        elif tag == "select" and self._select:
            chosen = [v for v, selected in self._options if selected] or [self._options[0][0]]
            self.fields.append((self._select, chosen[0]))
            self._select = None


def form_of(page: str, form_id: str) -> dict:
    parser = FormFields(form_id)
    parser.feed(page)
    values: dict = {}
    for name, value in parser.fields:
        values.setdefault(name, []).append(value)
    return {name: v if len(v) > 1 else v[0] for name, v in values.items()}


def text_of(page: str) -> str:
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def index_of(fields: dict, name: str) -> int:
    """The editor row of field ``name``."""
    return next(
        int(k[1:].split("-")[0]) for k, v in fields.items() if k.endswith("-name") and v == name
    )


def preview_of(page: str, lang: str) -> str:
    """The preview card of one language (up to the next card)."""
    cards = re.split(r'<div class="card form-preview" lang="', page)
    card = next((c for c in cards[1:] if c.startswith(f'{lang}"')), None)
    assert card is not None, f"no {lang} preview"
    return card.split("</section>")[0]


@pytest.fixture
def host(sample_host_factory):
    app = sample_host_factory(APPGOV_PROFILE="tainan")
    client = app.test_client()
    login(client, "admin")
    return app, client


def live(app, key=KEY):
    with app.app_context():
        return store.live(key)


def versions(app, key=KEY):
    with app.app_context():
        return store.history(key)


def edit_page(client, key=KEY) -> tuple[str, dict]:
    response = client.get(f"{BASE}/{key}/edit")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    return page, form_of(page, "form-editor")


def send(client, url, fields, action) -> str:
    response = client.post(url, data={**fields, "action": action})
    assert response.status_code == 200, (response.status_code, response.location)
    return response.get_data(as_text=True)


def published(client, url, fields, key=KEY) -> str:
    """Publish: the answer is the form's page (302), with the success message."""
    response = client.post(url, data={**fields, "action": "publish"})
    assert response.status_code == 302, text_of(response.get_data(as_text=True))[:2000]
    assert response.location.endswith(f"{BASE}/{key}/")
    page = client.get(response.location).get_data(as_text=True)
    assert "alert-success" in page
    return page


# -- who may edit ---------------------------------------------------------------------------


PAGES = ("/", f"/{KEY}/", f"/{KEY}/1/", f"/{KEY}/edit", f"/{KEY}/toml")


@pytest.mark.parametrize("username", ["staff", "reviewer", "itdept"])
def test_only_administrators_reach_the_forms_pages(host, username):
    app, client = host
    login(client, username)
    for page in PAGES:
        assert client.get(BASE + page).status_code == 403, (username, page)
    for page in (f"/{KEY}/edit", f"/{KEY}/toml"):
        answer = client.post(BASE + page, data={"toml": "x", "action": "publish", "reason": "r"})
        assert answer.status_code == 403
    assert len(versions(app)) == 1


def test_the_administrator_reaches_every_page(host):
    app, client = host
    first = live(app).version
    for page in ("/", f"/{KEY}/", f"/{KEY}/{first}/", f"/{KEY}/edit", f"/{KEY}/toml"):
        response = client.get(BASE + page)
        assert response.status_code == 200, page
        body = response.get_data(as_text=True)
        # strict CSP: no inline script, style or event handler in the page's own markup
        own = body[body.index("<h1") : body.rindex("</form>") if "</form>" in body else None]
        assert "<script" not in own and "<style" not in own, page
        assert not re.search(r"<[^>]+\s(on[a-z]+|style)\s*=", own), page
    assert client.get(f"{BASE}/no_such_form/").status_code == 404
    assert client.get(f"{BASE}/{KEY}/99/").status_code == 404


def test_the_list_names_every_form_its_version_and_last_change(host):
    app, client = host
    seen = text_of(client.get(BASE + "/").get_data(as_text=True))
    with app.app_context():
        keys = store.keys()
    assert KEY in keys and SECTIONED in keys
    for key in keys:
        assert key in seen
    assert "App 開發評估申請" in seen  # titles in the reader's language (zh_Hant_TW)
    assert seen.count("appgov") >= len(keys)  # shipped: published by appgov


# -- structured editor ----------------------------------------------------------------------


def test_the_structured_editor_changes_a_label_and_adds_a_field(host):
    app, client = host
    first = live(app)
    url = f"{BASE}/{KEY}/edit"
    page, fields = edit_page(client)
    row = index_of(fields, "app_name")
    assert fields[f"f{row}-label_zh"] == "App 名稱" and fields[f"f{row}-label_en"] == "App name"
    fields[f"f{row}-label_zh"] = "App 正式名稱"
    fields[f"f{row}-label_en"] = "Official app name"
    # add a field: a new row appears (what was typed above stays)
    page = send(client, url, fields, "add")
    fields = form_of(page, "form-editor")
    assert fields[f"f{row}-label_en"] == "Official app name"
    new = int(fields["count"]) - 1
    assert fields[f"f{new}-name"] == "new_field_1" and fields[f"f{new}-type"] == "string"
    fields.update(
        {
            f"f{new}-name": "contact_phone",
            f"f{new}-label_zh": "聯絡電話",
            f"f{new}-label_en": "Contact phone",
            f"f{new}-help_zh": "含區碼",
            f"f{new}-help_en": "With the area code",
            f"f{new}-max_length": "30",
            f"f{new}-required": "y",
        }
    )
    # move it up to just after the app name
    for _ in range(new - row - 1):
        page = send(client, url, fields, f"up:{index_of(fields, 'contact_phone')}")
        fields = form_of(page, "form-editor")
    assert index_of(fields, "contact_phone") == row + 1
    published(client, url, {**fields, "reason": "電話欄位（市府通知）"})
    newer = live(app)
    assert newer.version == first.version + 1
    assert newer.names[row : row + 2] == ("app_name", "contact_phone")
    spec = newer.spec("contact_phone")
    assert spec["label"] == {"zh_Hant_TW": "聯絡電話", "en": "Contact phone"}
    assert spec["required"] is True and spec["max_length"] == 30
    assert newer.spec("app_name")["label"]["en"] == "Official app name"
    # everything the editor does not manage is kept (rules, other fields)
    for name in first.names:
        assert first.rules_of(name) == newer.rules_of(name)
    top = versions(app)[0]
    assert (top.created_by, top.reason) == ("admin", "電話欄位（市府通知）")


def test_choices_conditions_limits_and_removal(host):
    app, client = host
    url = f"{BASE}/{KEY}/edit"
    page, fields = edit_page(client)
    platforms = index_of(fields, "platforms")
    assert "ios | iOS | iOS" in fields[f"f{platforms}-choices"]
    fields[f"f{platforms}-choices"] = (
        "ios | iOS | iOS\nandroid | Android | Android\nweb | 網頁 | Web"
    )
    purpose = index_of(fields, "purpose")
    fields[f"f{purpose}-max_length"] = "2,500"
    fields[f"f{purpose}-shown_when_field"] = "platforms"
    fields[f"f{purpose}-shown_when_values"] = "ios, web"
    page = send(client, url, fields, "apply")
    assert "表單定義正確" in text_of(page)  # "The definition is valid. Publish it ..."
    fields = form_of(page, "form-editor")
    last = int(fields["count"]) - 1
    removed = fields[f"f{last}-name"]
    page = send(client, url, fields, f"remove:{last}")
    fields = form_of(page, "form-editor")
    assert int(fields["count"]) == last
    published(client, url, {**fields, "reason": "web version"})
    newer = live(app)
    assert [c["value"] for c in newer.spec("platforms")["choices"]] == ["ios", "android", "web"]
    assert newer.spec("platforms")["choices"][2]["label"] == {"zh_Hant_TW": "網頁", "en": "Web"}
    assert newer.spec("purpose")["max_length"] == 2500
    assert newer.spec("purpose")["shown_when"] == {"field": "platforms", "in": ["ios", "web"]}
    assert removed not in newer.names


def test_a_field_moves_between_sections(host):
    app, client = host
    url = f"{BASE}/{SECTIONED}/edit"
    page, fields = edit_page(client, SECTIONED)
    first = live(app, SECTIONED)
    row = index_of(fields, "budget")
    assert fields[f"f{row}-section"] == "basic"
    sections = [s.name for s in first.sections]
    fields[f"f{row}-section"] = sections[-1]
    page = send(client, url, fields, "apply")
    fields = form_of(page, "form-editor")
    moved = index_of(fields, "budget")
    assert fields[f"f{moved}-section"] == sections[-1]
    assert moved == int(fields["count"]) - 1  # the end of the last section
    published(client, url, {**fields, "reason": "budget last"}, SECTIONED)
    newer = live(app, SECTIONED)
    assert newer.version == first.version + 1
    assert newer.raw["sections"][-1]["fields"][-1]["name"] == "budget"


def test_the_structured_editor_keeps_what_was_typed_when_refused(host):
    app, client = host
    first = live(app)
    url = f"{BASE}/{KEY}/edit"
    page, fields = edit_page(client)
    row = index_of(fields, "app_name")
    fields[f"f{row}-max_length"] = "abc"
    fields[f"f{row}-label_zh"] = "已輸入的標籤"
    page = send(client, url, {**fields, "reason": "r"}, "publish")
    seen = text_of(page)
    assert "error-summary" in page and f'href="#f{row}-max_length"' in page
    after = form_of(page, "form-editor")
    assert after[f"f{row}-max_length"] == "abc" and after[f"f{row}-label_zh"] == "已輸入的標籤"
    assert f'id="f{row}-max_length-error"' in page and 'aria-invalid="true"' in page
    # the engine refuses an English label left empty: its message beside the editor
    fields[f"f{row}-max_length"] = "100"
    fields[f"f{row}-label_en"] = ""
    page = send(client, url, {**fields, "reason": "r"}, "publish")
    seen = text_of(page)
    assert "forms/app_proposal.toml" in seen and "app_name" in seen
    assert 'class="alert alert-danger engine-problem"' in page
    assert form_of(page, "form-editor")[f"f{row}-label_zh"] == "已輸入的標籤"
    # a valid definition without a reason is not published either
    fields[f"f{row}-label_en"] = "Typed label"
    page = send(client, url, {**fields, "reason": "  "}, "publish")
    assert 'id="reason-error"' in page and 'href="#reason"' in page
    assert live(app).version == first.version and len(versions(app)) == 1


# -- TOML editor and preview ----------------------------------------------------------------


def test_the_toml_editor_previews_in_both_languages_and_publishes(host):
    app, client = host
    first = live(app)
    url = f"{BASE}/{KEY}/toml"
    fields = form_of(client.get(url).get_data(as_text=True), "form-toml")
    text = fields["toml"]
    assert f"version = {first.version}" in text
    text = text.replace('"App 名稱"', '"應用程式名稱"').replace('"App name"', '"Application name"')
    text += (
        '\n[[fields]]\nname = "remarks"\ntype = "text"\n'
        'label = { zh_Hant_TW = "備註", en = "Remarks" }\nmax_length = 500\n'
    )
    page = send(client, url, {**fields, "toml": text}, "preview")
    zh, en = preview_of(page, "zh-Hant-TW"), preview_of(page, "en")
    assert "應用程式名稱" in zh and "備註" in zh and "Application name" not in zh
    assert "Application name" in en and "Remarks" in en and "應用程式名稱" not in en
    assert live(app).version == first.version  # a preview stores nothing
    published(client, url, {**fields, "toml": text, "reason": "clearer names"})
    newer = live(app)
    assert newer.version == first.version + 1
    assert newer.names[-1] == "remarks"
    assert newer.spec("app_name")["label"] == {
        "zh_Hant_TW": "應用程式名稱",
        "en": "Application name",
    }
    # its page: the history with who and why; the version as TOML and rendered
    history = text_of(client.get(f"{BASE}/{KEY}/").get_data(as_text=True))
    assert "clearer names" in history and "admin" in history
    version_page = client.get(f"{BASE}/{KEY}/{newer.version}/").get_data(as_text=True)
    assert "Remarks" in preview_of(version_page, "en")
    assert f"version = {newer.version}" in html.unescape(version_page)


def test_the_toml_editor_refuses_an_invalid_definition_and_keeps_the_text(host):
    app, client = host
    first = live(app)
    url = f"{BASE}/{KEY}/toml"
    fields = form_of(client.get(url).get_data(as_text=True), "form-toml")
    typed = fields["toml"].replace('type = "string"', 'type = "picture"', 1)
    page = send(client, url, {**fields, "toml": typed, "reason": "new type"}, "publish")
    seen = text_of(page)
    assert "picture" in seen and "forms/app_proposal.toml" in seen
    assert 'id="toml-error"' in page and 'aria-describedby="toml-help toml-error"' in page
    assert 'href="#toml"' in page  # the error summary leads to the editor
    assert form_of(page, "form-toml")["toml"] == typed
    assert live(app).version == first.version and len(versions(app)) == 1


def test_the_two_editors_hand_the_draft_to_each_other(host):
    app, client = host
    page, fields = edit_page(client)
    row = index_of(fields, "app_name")
    fields[f"f{row}-label_en"] = "Name of the app"
    toml_page = send(client, f"{BASE}/{KEY}/edit", fields, "toml")
    text = form_of(toml_page, "form-toml")["toml"]
    assert tomllib.loads(text)["fields"][row]["label"]["en"] == "Name of the app"
    back = send(client, f"{BASE}/{KEY}/toml", {"toml": text, "reason": ""}, "structured")
    assert form_of(back, "form-editor")[f"f{row}-label_en"] == "Name of the app"


def test_the_pages_speak_english_too(host):
    app, client = host
    assert client.post("/locale/en").status_code == 302
    seen = text_of(client.get(f"{BASE}/{KEY}/edit").get_data(as_text=True))
    assert "Structured editor" in seen and "Label (English)" in seen and "Publish version" in seen
    assert 'lang="en"' in client.get(f"{BASE}/").get_data(as_text=True)


# -- the TOML writer ------------------------------------------------------------------------


def test_every_shipped_definition_survives_the_toml_writer():
    for key, item in store.shipped_files().items():
        data = tomllib.loads(item.text)
        assert tomllib.loads(forms_admin.dumps(data)) == data, key


def test_every_shipped_form_goes_through_both_editors_unchanged(host):
    """Opening a form in the structured editor and checking it changes nothing: every
    key the editor does not manage (rules, rows' columns, computed checks...) is kept."""
    app, client = host
    with app.app_context():
        shipped = store.shipped_files()
    for key, item in shipped.items():
        page, fields = edit_page(client, key)
        page = send(client, f"{BASE}/{key}/edit", fields, "apply")
        assert "engine-problem" not in page, (key, text_of(page)[:3000])
        draft = tomllib.loads(form_of(page, "form-editor")["draft"])
        assert draft == tomllib.loads(item.text), key
        version = client.get(f"{BASE}/{key}/{item.version}/")
        assert version.status_code == 200, key
        assert preview_of(version.get_data(as_text=True), "en"), key


def test_a_version_published_meanwhile_is_never_overwritten_unseen(host):
    app, client = host
    first = live(app)
    page, fields = edit_page(client)  # the administrator starts from the live version
    assert fields["based_on"] == str(first.version)
    row = index_of(fields, "app_name")
    fields[f"f{row}-label_en"] = "Mine"
    # meanwhile a colleague publishes from the TOML editor
    other = app.test_client()
    login(other, "admin")
    theirs = form_of(other.get(f"{BASE}/{KEY}/toml").get_data(as_text=True), "form-toml")
    theirs["toml"] = theirs["toml"].replace('"App name"', '"Theirs"', 1)
    published(other, f"{BASE}/{KEY}/toml", {**theirs, "reason": "colleague"})
    page = send(client, f"{BASE}/{KEY}/edit", {**fields, "reason": "mine"}, "publish")
    assert "stale-draft" in page and "colleague" in text_of(page)
    assert live(app).version == first.version + 1
    assert live(app).spec("app_name")["label"]["en"] == "Theirs"
    kept = form_of(page, "form-editor")
    assert kept[f"f{row}-label_en"] == "Mine"  # the draft is kept
    assert kept["based_on"] == str(first.version + 1)  # told: publishing again is deliberate
    published(client, f"{BASE}/{KEY}/edit", {**kept, "reason": "mine, seen theirs"})
    assert live(app).version == first.version + 2
    assert live(app).spec("app_name")["label"]["en"] == "Mine"


def test_hostile_definitions_are_refused_never_a_500(host):
    app, client = host
    url = f"{BASE}/{KEY}/toml"
    for typed in ("a = " + "[" * 100_000, "x" * (store.MAX_DEFINITION_CHARS + 10), "[[["):
        for action in ("preview", "publish", "structured"):
            answer = client.post(url, data={"toml": typed, "reason": "r", "action": action})
            assert answer.status_code == 200, (action, answer.status_code)
            assert 'id="toml-error"' in answer.get_data(as_text=True)
    edit = f"{BASE}/{KEY}/edit"
    assert (
        client.post(edit, data={"draft": "a = " + "[" * 100_000, "count": "0"}).status_code == 400
    )
    assert client.post(edit, data={"draft": "", "count": "7"}).status_code == 400
    assert client.post(edit, data={"draft": "", "count": "x"}).status_code == 400
    assert len(versions(app)) == 1


def test_another_citys_form_is_previewed_whole(host):
    """The Tainan deployment does not offer Kaohsiung's evaluation plan: its preview shows
    every field, and says so."""
    app, client = host
    definition = live(app, SECTIONED)
    page = client.get(f"{BASE}/{SECTIONED}/{definition.version}/").get_data(as_text=True)
    en = preview_of(page, "en")
    assert "every field is shown" in en
    for name in definition.names:
        assert f'data-appgov-field="{name}"' in en, name
