"""Uploaded files (schema type ``file``): the upload field, its storage and the file route.

Real files are built here: a minimal PDF, PNG and JPEG, OpenDocument text and spreadsheet
(zipfile with a stored ``mimetype`` member first), Word and Excel files (minimal Office
Open XML). The field is tested in a small Flask app with Flask-WTF (a real multipart
request); the file route in the sample host with the real appgov plug-in on SQLite and
PostgreSQL, where the host's ``casehost_case_for_reader`` decides who reads a case.
"""

from __future__ import annotations

import hashlib
import io
import re
import struct
import urllib.parse
import zipfile
import zlib

import pluggy
import pytest
import sqlalchemy as sa
from casework import add_user, new_proposal, visible_text
from flask import Flask, jsonify
from flask_babel import Babel, force_locale
from flask_login import LoginManager, UserMixin, login_user
from flask_wtf import FlaskForm
from hosting import login
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from wtforms import StringField
from wtforms.validators import InputRequired, Optional

from appgov_plugin import uploads
from appgov_plugin.forms import files
from appgov_plugin.forms.builder import parse
from appgov_plugin.forms.files import UploadField, kept_token, needs_multipart
from appgov_plugin.host import CaseType, Transition, Workflow, hookimpl, hookspecs
from appgov_plugin.i18n import domain
from sample_host.extensions import db
from sample_host.models import Case

MB = 2**20

# -- real files -------------------------------------------------------------------------------


def pdf_bytes(padding: int = 0) -> bytes:
    body = (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    )
    return body + b"%" + b"x" * padding + b"\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def png_bytes() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def jpeg_bytes() -> bytes:
    # SOI, a JFIF APP0 segment, EOI
    return bytes.fromhex("ffd8ffe000104a46494600010100000100010000") + b"\xff\xd9"


def put(archive: zipfile.ZipFile, name: str, text: str, compress=zipfile.ZIP_DEFLATED) -> None:
    """A member with a fixed date: the same builder gives the same bytes."""
    archive.writestr(zipfile.ZipInfo(name, date_time=(2026, 12, 1, 0, 0, 0)), text, compress)


def odf_bytes(mimetype: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        put(archive, "mimetype", mimetype, zipfile.ZIP_STORED)  # first, stored (ODF 3.3)
        manifest = (
            '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:'
            'manifest:1.0"><manifest:file-entry manifest:full-path="/" '
            f'manifest:media-type="{mimetype}"/></manifest:manifest>'
        )
        put(archive, "META-INF/manifest.xml", manifest)
        put(archive, "content.xml", "<office:document-content/>")
    return out.getvalue()


ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
EXCEL_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
WORD_MACRO_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"


def ooxml_bytes(part: str, content_type: str) -> bytes:
    out = io.BytesIO()
    types = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/{part}" ContentType="{content_type}"/></Types>'
    )
    rels = (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        f'relationships/officeDocument" Target="{part}"/></Relationships>'
    )
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        put(archive, "[Content_Types].xml", types)
        put(archive, "_rels/.rels", rels)
        put(archive, part, "<document/>")
    return out.getvalue()


def docx_bytes() -> bytes:
    return ooxml_bytes("word/document.xml", WORD_MAIN)


def xlsx_bytes() -> bytes:
    return ooxml_bytes("xl/workbook.xml", EXCEL_MAIN)


def zip_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        put(archive, "說明.txt", "附件")
        put(archive, "word/document.xml", "<not-really/>")  # a name alone proves nothing
    return out.getvalue()


HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"

GOOD = {
    "pdf": (pdf_bytes(), "application/pdf"),
    "png": (png_bytes(), "image/png"),
    "jpeg": (jpeg_bytes(), "image/jpeg"),
    "odt": (odf_bytes(ODT), ODT),
    "ods": (odf_bytes(ODS), ODS),
    "docx": (
        docx_bytes(),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    "xlsx": (xlsx_bytes(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "zip": (zip_bytes(), "application/zip"),
}


# -- a small app with one form ------------------------------------------------------------------


def make_app(tmp_path, **config) -> Flask:
    app = Flask(__name__, instance_path=str(tmp_path / "instance"))
    app.config.update(
        SECRET_KEY="upload-test", WTF_CSRF_ENABLED=False, BABEL_DEFAULT_LOCALE="en", **config
    )
    Babel(app, locale_selector=lambda: app.config["BABEL_DEFAULT_LOCALE"])
    accept = app.config.get("TEST_ACCEPT", ("pdf", "docx"))
    max_bytes = app.config.get("TEST_MAX_BYTES", MB)
    required = app.config.get("TEST_REQUIRED", True)

    class PlanForm(FlaskForm):
        title = StringField("Title", validators=[InputRequired()])
        plan = UploadField(
            "Evaluation plan",
            validators=[InputRequired() if required else Optional()],
            accept=accept,
            max_bytes=max_bytes,
            description="The signed plan.",
        )

    @app.route("/plan", methods=["GET", "POST"])
    def plan():
        form = PlanForm(data=app.config.get("TEST_STORED"))
        valid = form.validate_on_submit()
        return jsonify(
            valid=valid,
            errors=form.errors,
            data=form.plan.data,
            html=str(form.plan(**{"aria-describedby": "plan-help"})),
            help=str(form.plan.description),
        )

    return app


@pytest.fixture
def app(tmp_path):
    return make_app(tmp_path)


def post(client, data: dict, url="/plan", **kwargs):
    response = client.post(url, data=data, content_type="multipart/form-data", **kwargs)
    assert response.status_code == 200
    return response.get_json()


def upload(content: bytes, name: str, content_type: str | None = None):
    if content_type:
        return (io.BytesIO(content), name, content_type)
    return (io.BytesIO(content), name)


def stored_files(app) -> list:
    root = uploads.upload_root(app)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def token_of(html: str) -> str:
    return re.search(r'name="plan-kept" value="([^"]+)"', html).group(1)


# -- kinds by content -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(GOOD))
def test_each_kind_is_read_from_its_content_and_stored_under_its_hash(tmp_path, kind):
    content, mime = GOOD[kind]
    app = make_app(tmp_path, TEST_ACCEPT=(kind,))
    answer = post(app.test_client(), {"title": "t", "plan": upload(content, f"附件.{kind}")})
    assert answer["valid"], answer["errors"]
    sha = hashlib.sha256(content).hexdigest()
    assert answer["data"] == {
        "sha256": sha,
        "name": f"附件.{kind}",
        "size": len(content),
        "type": mime,
    }
    path = uploads.upload_root(app) / sha[:2] / sha
    assert path.read_bytes() == content
    assert stored_files(app) == [path]  # no temporary file left beside it


def test_detection_tells_opendocument_and_office_files_from_a_plain_zip():
    def kinds(content):
        return uploads.detect_kinds(io.BytesIO(content))

    assert kinds(odf_bytes(ODT)) == ["odt", "zip"]
    assert kinds(odf_bytes(ODS)) == ["ods", "zip"]
    assert kinds(docx_bytes()) == ["docx", "zip"]
    assert kinds(xlsx_bytes()) == ["xlsx", "zip"]
    assert kinds(zip_bytes()) == ["zip"]  # puremagic alone calls it a Word document
    # macro-enabled Word and an OpenDocument presentation are none of the office kinds
    assert kinds(ooxml_bytes("word/document.xml", WORD_MACRO_MAIN)) == ["zip"]
    assert kinds(odf_bytes("application/vnd.oasis.opendocument.presentation")) == ["zip"]
    # the main part named in [Content_Types].xml must be in the archive
    assert kinds(ooxml_bytes("word/document.xml", WORD_MAIN)[:-1]) == []  # damaged archive
    assert kinds(HTML) == [] and kinds(b"just text") == []
    assert kinds(png_bytes()) == ["png"] and kinds(jpeg_bytes()) == ["jpeg"]


@pytest.mark.parametrize(
    ("accept", "content", "name"),
    [
        (("pdf",), png_bytes(), "plan.pdf"),  # a PNG named .pdf
        (("pdf",), HTML, "plan.pdf"),  # a page with a script named .pdf
        (("pdf",), b"#!/bin/sh\nrm -rf /\n", "plan.pdf"),
        (("docx",), zip_bytes(), "plan.docx"),  # a plain zip named .docx
        (("docx",), odf_bytes(ODT), "plan.docx"),
        (("docx",), ooxml_bytes("word/document.xml", WORD_MACRO_MAIN), "plan.docx"),
        (("odt",), docx_bytes(), "plan.odt"),
        (("xlsx",), docx_bytes(), "plan.xlsx"),
        (("png", "jpeg"), pdf_bytes(), "photo.png"),
    ],
)
def test_a_spoofed_file_is_refused_and_nothing_is_kept(tmp_path, accept, content, name):
    app = make_app(tmp_path, TEST_ACCEPT=accept)
    answer = post(app.test_client(), {"title": "t", "plan": upload(content, name)})
    assert not answer["valid"]
    (message,) = answer["errors"]["plan"]
    assert f"“{name}”" in message and "its content was checked, not its name" in message
    assert answer["data"] is None
    assert stored_files(app) == []
    assert 'name="plan-kept"' not in answer["html"]


def test_the_browsers_content_type_is_not_believed(app):
    client = app.test_client()
    answer = post(client, {"title": "t", "plan": upload(png_bytes(), "a.pdf", "application/pdf")})
    assert not answer["valid"] and answer["data"] is None
    answer = post(client, {"title": "t", "plan": upload(pdf_bytes(), "a.png", "image/png")})
    assert answer["valid"] and answer["data"]["type"] == "application/pdf"
    assert answer["data"]["name"] == "a.png"  # the name is shown as given, never trusted


def test_a_zip_field_takes_any_zip_archive(tmp_path):
    app = make_app(tmp_path, TEST_ACCEPT=("zip",))
    answer = post(app.test_client(), {"title": "t", "plan": upload(docx_bytes(), "a.zip")})
    assert answer["valid"]
    assert answer["data"]["type"] == GOOD["docx"][1]  # what it is, not what was accepted


# -- sizes ----------------------------------------------------------------------------------------


def test_an_oversized_file_is_refused_naming_the_field_and_the_limit(app):
    client = app.test_client()
    exact = pdf_bytes(MB - len(pdf_bytes()))
    assert len(exact) == MB
    answer = post(client, {"title": "t", "plan": upload(exact, "exact.pdf")})
    assert answer["valid"], answer["errors"]
    answer = post(client, {"title": "t", "plan": upload(exact + b"\n", "big.pdf")})
    assert answer["errors"]["plan"] == ["The file for “Evaluation plan” is larger than 1 MB."]
    assert answer["data"] is None
    assert len(stored_files(app)) == 1  # only the first


def test_the_overall_cap_wins_over_a_larger_field_limit(tmp_path):
    app = make_app(tmp_path, TEST_MAX_BYTES=10 * MB, APPGOV_UPLOAD_MAX_MB=1)
    client = app.test_client()
    answer = post(client, {"title": "t", "plan": upload(pdf_bytes(MB + MB // 2), "a.pdf")})
    assert answer["errors"]["plan"] == ["The file for “Evaluation plan” is larger than 1 MB."]
    assert "At most 1 MB." in answer["help"]
    assert stored_files(app) == []


class EndlessUpload(io.RawIOBase):
    """A client that never stops sending: counts what was read."""

    def __init__(self):
        self.read_bytes = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        size = len(buffer)
        buffer[:size] = (b"%PDF-1.4\n" + b"x" * size)[:size]
        self.read_bytes += size
        return size


def test_storage_stops_reading_past_the_limit(app):
    stream = EndlessUpload()
    with app.app_context(), pytest.raises(uploads.UploadRefused) as refused:
        uploads.store(io.BufferedReader(stream), "x.pdf", ("pdf",), 2 * MB)
    assert refused.value.reason == "too_large" and refused.value.limit == 2 * MB
    assert 2 * MB < stream.read_bytes <= 2 * MB + uploads.CHUNK + io.DEFAULT_BUFFER_SIZE
    assert stored_files(app) == []


def test_an_empty_file_is_refused(app):
    answer = post(app.test_client(), {"title": "t", "plan": upload(b"", "empty.pdf")})
    assert answer["errors"]["plan"] == ["“empty.pdf” is empty."]


def test_the_help_text_names_kinds_and_limit_in_both_languages(tmp_path):
    app = make_app(tmp_path, TEST_ACCEPT=("pdf", "odt", "docx"), TEST_MAX_BYTES=5 * MB // 2)
    answer = app.test_client().get("/plan").get_json()
    assert answer["help"] == (
        "The signed plan. Accepted: PDF, ODT (OpenDocument text), DOCX (Word). At most 2.5 MB."
    )
    app.config["BABEL_DEFAULT_LOCALE"] = "zh_Hant_TW"
    with app.test_request_context(), force_locale("zh_Hant_TW"):
        translated = domain.gettext("Accepted: %(kinds)s. At most %(limit)s MB.")
    if translated == "Accepted: %(kinds)s. At most %(limit)s MB.":
        pytest.skip("the zh_Hant_TW catalog does not have the upload messages yet (lead)")
    chinese = app.test_client().get("/plan").get_json()["help"]
    assert "2.5 MB" in chinese and "PDF" in chinese and "Accepted" not in chinese


# -- the kept file --------------------------------------------------------------------------------


def test_a_kept_file_survives_a_failed_submit_without_a_new_upload(app):
    client = app.test_client()
    first = post(client, {"title": "", "plan": upload(pdf_bytes(), "計畫書.pdf")})
    assert not first["valid"] and "plan" not in first["errors"]  # the title failed
    reference = first["data"]
    html = first["html"]
    assert "kept: 計畫書.pdf" in html
    assert 'type="file"' in html and " required" not in html  # no new file demanded
    assert 'aria-describedby="plan-help plan-kept"' in html and 'id="plan-kept"' in html
    assert 'name="plan-remove"' in html and '<label class="form-check-label" for="plan-remove">'
    # a second failed submit keeps it again, then the good one stores it: one file in all
    second = post(client, {"title": "", "plan-kept": token_of(html)})
    assert second["data"] == reference and "kept: 計畫書.pdf" in second["html"]
    third = post(client, {"title": "定稿", "plan-kept": token_of(second["html"])})
    assert third["valid"] and third["data"] == reference
    assert len(stored_files(app)) == 1


def test_a_tampered_kept_token_is_refused(app):
    client = app.test_client()
    html = post(client, {"title": "", "plan": upload(pdf_bytes(), "a.pdf")})["html"]
    token = token_of(html)
    payload, _, rest = token.partition(".")
    other = uploads.as_reference(
        {"sha256": hashlib.sha256(b"another case's file").hexdigest(), "name": "x.pdf"}
    )
    forged = [
        token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB"),  # signature altered
        URLSafeTimedSerializer("a guessed key", salt=files.TOKEN_SALT).dumps(other),
        URLSafeTimedSerializer("upload-test", salt="another salt").dumps(other),
        URLSafeTimedSerializer("upload-test").dumps(other),
        "not a token at all",
    ]
    for value in forged:
        answer = post(client, {"title": "t", "plan-kept": value})
        assert not answer["valid"], value
        assert answer["errors"]["plan"] == [
            "The kept file could not be verified. Choose the file again."
        ]
        assert answer["data"] is None


def test_an_expired_token_and_a_vanished_file_are_refused(app):
    class LongAgo(TimestampSigner):
        def get_timestamp(self):
            return super().get_timestamp() - files.KEPT_MAX_AGE - 60

    client = app.test_client()
    reference = post(client, {"title": "", "plan": upload(pdf_bytes(), "a.pdf")})["data"]
    old = URLSafeTimedSerializer("upload-test", salt=files.TOKEN_SALT, signer=LongAgo)
    old = old.dumps(reference)
    answer = post(client, {"title": "t", "plan-kept": old})
    assert answer["errors"]["plan"] == ["The kept file has expired. Choose the file again."]
    with app.test_request_context():
        fresh = kept_token(reference)
        uploads.stored_path(reference["sha256"]).unlink()
    answer = post(client, {"title": "t", "plan-kept": fresh})
    assert answer["errors"]["plan"] == [
        "The kept file is no longer available. Choose the file again."
    ]


def test_a_token_does_not_carry_a_file_past_another_fields_kinds_or_limit(tmp_path):
    images = make_app(tmp_path, TEST_ACCEPT=("png",), TEST_MAX_BYTES=10 * MB)
    html = post(images.test_client(), {"title": "", "plan": upload(png_bytes(), "a.png")})["html"]
    pdf_only = make_app(tmp_path, TEST_ACCEPT=("pdf",))  # same instance folder and key
    answer = post(pdf_only.test_client(), {"title": "t", "plan-kept": token_of(html)})
    assert answer["errors"]["plan"] == [
        "The kept file could not be verified. Choose the file again."
    ]
    big = post(
        images.test_client(), {"title": "", "plan": upload(png_bytes() + b"0" * MB, "b.png")}
    )
    small = make_app(tmp_path, TEST_ACCEPT=("png",), TEST_MAX_BYTES=MB)
    answer = post(small.test_client(), {"title": "t", "plan-kept": token_of(big["html"])})
    assert answer["errors"]["plan"] and answer["data"] is None


def test_the_remove_box_and_a_new_file(tmp_path):
    app = make_app(tmp_path, TEST_REQUIRED=False)
    client = app.test_client()
    html = post(client, {"title": "", "plan": upload(pdf_bytes(), "old.pdf")})["html"]
    token = token_of(html)
    removed = post(client, {"title": "t", "plan-kept": token, "plan-remove": "y"})
    assert removed["valid"] and removed["data"] is None
    assert 'name="plan-kept"' not in removed["html"]
    new = pdf_bytes(10)
    replaced = post(client, {"title": "t", "plan-kept": token, "plan": upload(new, "new.pdf")})
    assert replaced["valid"] and replaced["data"]["name"] == "new.pdf"
    assert replaced["data"]["sha256"] == hashlib.sha256(new).hexdigest()
    # a refused replacement leaves the kept file kept
    refused = post(client, {"title": "t", "plan-kept": token, "plan": upload(HTML, "x.pdf")})
    assert not refused["valid"] and refused["data"]["name"] == "old.pdf"
    assert "kept: old.pdf" in refused["html"]


def test_removing_a_required_file_asks_for_one(app):
    client = app.test_client()
    token = token_of(post(client, {"title": "", "plan": upload(pdf_bytes(), "a.pdf")})["html"])
    answer = post(client, {"title": "t", "plan-kept": token, "plan-remove": "y"})
    assert answer["errors"]["plan"] == ["This field is required."]
    assert " required" in answer["html"]  # the browser asks for a file again


def test_editing_a_stored_case_keeps_its_file(tmp_path):
    app = make_app(tmp_path)
    content = docx_bytes()
    with app.test_request_context():
        reference = uploads.store(io.BytesIO(content), "評估計畫.docx", ("docx",), MB)
    app.config["TEST_STORED"] = {"title": "舊案", "plan": reference}
    client = app.test_client()
    page = client.get("/plan").get_json()
    assert page["data"] == reference and "kept: 評估計畫.docx" in page["html"]
    saved = post(client, {"title": "舊案", "plan-kept": token_of(page["html"])})
    assert saved["valid"] and saved["data"] == reference
    # the submit decides: without the token (and without a file) the answer is gone
    emptied = post(client, {"title": "舊案"})
    assert emptied["errors"]["plan"] == ["This field is required."]


def test_a_form_sent_without_multipart_says_the_file_did_not_arrive(app):
    response = app.test_client().post("/plan", data={"title": "t", "plan": "a.pdf"})
    assert response.get_json()["errors"]["plan"] == [
        "The file did not arrive. Choose the file again."
    ]


def test_the_clients_file_name_is_never_a_path(app):
    client = app.test_client()
    for given, shown in [
        ("../../../etc/passwd.pdf", "passwd.pdf"),
        ("/home/staff/計畫書.pdf", "計畫書.pdf"),
        ("report\u202efdp.exe.pdf", "reportfdp.exe.pdf"),  # a right-to-left override dropped
    ]:
        answer = post(client, {"title": "t", "plan": upload(pdf_bytes(), given)})
        assert answer["data"]["name"] == shown
    root = uploads.upload_root(app)
    sha = hashlib.sha256(pdf_bytes()).hexdigest()
    assert stored_files(app) == [root / sha[:2] / sha]
    assert not (tmp_path_of(app) / "etc").exists()
    with pytest.raises(ValueError):
        uploads.stored_path("../" + "a" * 61, app)
    # an old browser's full Windows path (Werkzeug's form parser already unquotes it)
    assert uploads.clean_name("C:\\fakepath\\計畫書.pdf") == "計畫書.pdf"
    assert uploads.clean_name("..") == "file" and uploads.clean_name("\x00") == "file"
    assert len(uploads.clean_name("長" * 300 + ".pdf")) == uploads.MAX_NAME_LENGTH
    assert uploads.clean_name("長" * 300 + ".pdf").endswith("長.pdf")


def tmp_path_of(app):
    from pathlib import Path

    return Path(app.instance_path).parent


def test_the_widget_and_its_flags(app):
    with app.test_request_context():

        class Form(FlaskForm):
            plan = UploadField("Plan", accept=("pdf", "jpeg"), max_bytes=3 * MB)

        form = Form()
        assert form.plan.flags.upload and needs_multipart(form)
        html = str(form.plan(**{"class": "form-control"}))
        assert 'accept=".pdf,application/pdf,.jpg,.jpeg,image/jpeg"' in html
        assert 'type="file"' in html and 'class="form-control"' in html
        assert 'name="plan-kept"' not in html and "kept:" not in html
        assert str(form.plan.description) == "Accepted: PDF, JPEG. At most 3 MB."
        with pytest.raises(ValueError, match="unknown kind 'gif'"):
            UploadField("x", accept=("gif",), _form=form, name="x")


def test_validating_twice_stores_once(app):
    with app.test_request_context(
        "/plan",
        method="POST",
        data={"title": "t", "plan": upload(pdf_bytes(), "a.pdf")},
        content_type="multipart/form-data",
    ):

        class Form(FlaskForm):
            plan = UploadField("Plan")

        form = Form()
        assert form.validate() and form.validate()
        assert form.plan.data["name"] == "a.pdf"


# -- serving, in a small app with its own host hook --------------------------------------------


class Reader(UserMixin):
    def __init__(self, user_id):
        self.id = user_id


class SmallHost:
    """A host whose case 1 (answers with a file) is readable by user "alice" only."""

    def __init__(self, data):
        self.data = data

    @hookspecs.hookimpl
    def casehost_case_for_reader(self, app, case_id, user):
        if case_id == 1 and getattr(user, "id", None) == "alice":
            return type("Case", (), {"id": 1, "data": self.data})()
        return None


def serving_app(tmp_path, data_for):
    app = make_app(tmp_path)
    manager = LoginManager(app)
    manager.user_loader(Reader)
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    with app.app_context():
        data = data_for()
    pm.register(SmallHost(data))
    app.extensions["casehost"] = type("Host", (), {"pm": pm})()
    uploads.register(app)
    uploads.register(app)  # once only

    @app.post("/as/<user_id>")
    def as_user(user_id):
        login_user(Reader(user_id))
        return ""

    return app, data


def test_the_file_route_answers_with_the_download_headers(tmp_path):
    content = pdf_bytes()

    def data():
        reference = uploads.store(io.BytesIO(content), "評估計畫 v2.pdf", ("pdf",), MB)
        return {"plan": reference}

    app, stored = serving_app(tmp_path, data)
    sha = stored["plan"]["sha256"]
    client = app.test_client()
    assert client.get(f"/appgov/files/cases/1/{sha}").status_code == 401  # no login view
    client.post("/as/alice")
    response = client.get(f"/appgov/files/cases/1/{sha}")
    assert response.status_code == 200 and response.data == content
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "private, no-store"
    quoted = urllib.parse.quote("評估計畫 v2.pdf", safe="")
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename=\"v2.pdf\"; filename*=UTF-8''{quoted}"
    )
    client.post("/as/bob")
    assert client.get(f"/appgov/files/cases/1/{sha}").status_code == 404


def test_the_ascii_fallback_name():
    sha = "ab" * 32
    assert (
        uploads.content_disposition("plan.pdf", sha, ["pdf"]) == 'attachment; filename="plan.pdf"'
    )
    chinese = uploads.content_disposition("計畫書.pdf", sha, ["pdf"])
    assert chinese.startswith(f"attachment; filename=\"file-{sha[:12]}.pdf\"; filename*=UTF-8''")
    assert urllib.parse.unquote(chinese.split("''", 1)[1]) == "計畫書.pdf"
    tricky = uploads.content_disposition('a"b;\r\nc.pdf', sha, ["pdf"])
    assert "\r" not in tricky and "\n" not in tricky and 'filename="a_b_c.pdf"' in tricky
    assert uploads.content_disposition("無副檔名", sha, ["docx"]).startswith(
        f'attachment; filename="file-{sha[:12]}.docx"'
    )


# -- serving, in the sample host ------------------------------------------------------------------


@pytest.fixture
def host(make_host):
    """Tainan; staff's proposal carries a plan (a PDF) and, in a row group, a spreadsheet;
    another staff case carries another file; ks works in Kaohsiung."""
    app = make_host("tainan")
    if "appgov_files" not in app.blueprints:
        uploads.register(app)  # until the plug-in mounts it (appgov_plugin/host/plugin.py)
    with app.app_context():
        add_user("ks", "agency_staff", "kaohsiung-tb")
        plan = uploads.store(io.BytesIO(pdf_bytes()), "評估計畫書.pdf", ("pdf",), MB)
        sheet = uploads.store(io.BytesIO(xlsx_bytes()), "預算.xlsx", ("xlsx",), MB)
        other = uploads.store(io.BytesIO(png_bytes()), "截圖.png", ("png",), MB)
        case_id = new_proposal(
            steps=("submit",), plan_file=plan, budget_rows=[{"item": "開發", "attachment": sheet}]
        )
        other_case = new_proposal(screenshot=other)
    return app, case_id, other_case, {"plan": plan, "sheet": sheet, "other": other}


def url(case_id, reference):
    return f"/appgov/files/cases/{case_id}/{reference['sha256']}"


def test_a_reader_of_the_case_downloads_its_files(host):
    app, case_id, _other, refs = host
    client = app.test_client()
    for username in ("staff", "reviewer", "admin"):
        login(client, username)
        response = client.get(url(case_id, refs["plan"]))
        assert response.status_code == 200, username
        assert response.data == pdf_bytes()
        assert response.mimetype == "application/pdf"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        # appgov's own answer, which the host's no-store for logged-in pages leaves alone
        assert response.headers["Cache-Control"] == "private, no-store"
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith('attachment; filename="file-')
        assert disposition.endswith("''" + urllib.parse.quote("評估計畫書.pdf", safe=""))
    in_rows = client.get(url(case_id, refs["sheet"]))  # a file inside a row group
    assert in_rows.status_code == 200 and in_rows.data == xlsx_bytes()
    assert in_rows.mimetype == GOOD["xlsx"][1]


def test_the_type_served_is_the_one_read_from_the_content(host):
    app, case_id, _other, refs = host
    with app.app_context():
        case = db.session.get(Case, case_id)
        lying = {**refs["plan"], "type": "text/html"}
        case.data = {**case.data, "plan_file": lying}
        db.session.commit()
    client = app.test_client()
    login(client, "staff")
    assert client.get(url(case_id, refs["plan"])).mimetype == "application/pdf"


def test_who_may_not_read_the_case_gets_404_like_a_missing_one(host):
    app, case_id, other_case, refs = host
    client = app.test_client()
    login(client, "ks")  # another agency (and city)
    client.get("/inbox")  # the welcome message shown
    hidden = client.get(url(case_id, refs["plan"]))
    missing = client.get(url(999_999, refs["plan"]))
    assert hidden.status_code == missing.status_code == 404
    assert visible_text(hidden.text) == visible_text(missing.text)  # the same page
    login(client, "helpdesk")  # sees the submitted case's status, not its answers
    assert client.get(f"/cases/{case_id}").status_code == 200
    assert client.get(url(case_id, refs["plan"])).status_code == 404
    login(client, "reviewer")  # other_case is a draft: not in review
    assert client.get(url(other_case, refs["other"])).status_code == 404
    login(client, "staff")
    # a file of another case, asked for under this one: 404 though both are staff's
    assert client.get(url(case_id, refs["other"])).status_code == 404
    assert client.get(url(other_case, refs["other"])).status_code == 200
    # a hash no case refers to, and anything that is no hash
    assert client.get(url(case_id, {"sha256": "0" * 64})).status_code == 404
    for junk in ("..%2F..%2Fsecret", refs["plan"]["sha256"].upper(), "abc"):
        assert client.get(f"/appgov/files/cases/{case_id}/{junk}").status_code == 404, junk
    # a referenced file that is gone from storage
    with app.app_context():
        uploads.stored_path(refs["sheet"]["sha256"]).unlink()
    assert client.get(url(case_id, refs["sheet"])).status_code == 404


def test_an_anonymous_visitor_is_sent_to_log_in(host):
    app, case_id, _other, refs = host
    response = app.test_client().get(url(case_id, refs["plan"]))
    assert response.status_code == 302 and response.location.startswith("/login")


def test_the_files_live_outside_the_web_root(host):
    app, _case_id, _other, refs = host
    with app.app_context():
        path = uploads.stored_path(refs["plan"]["sha256"])
        assert str(path).startswith(app.instance_path)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) >= 2
    client = app.test_client()
    login(client, "staff")
    sha = refs["plan"]["sha256"]
    for guess in (f"/static/{sha}", f"/appgov_uploads/{sha[:2]}/{sha}", f"/instance/{sha}"):
        assert client.get(guess).status_code == 404


# -- the whole way, in the sample host: a case type whose form has a file field ----------------

E2E_KEY = "h3_upload_permit"
E2E_FORM = parse(
    """
key = "h3_upload_permit"
version = 1
title = { zh_Hant_TW = "附件測試申請", en = "Attachment test application" }

[[fields]]
name = "title"
type = "string"
label = { zh_Hant_TW = "案名", en = "Title" }
required = true
max_length = 50

[[fields]]
name = "plan"
type = "file"
label = { zh_Hant_TW = "計畫書", en = "Plan" }
help = { zh_Hant_TW = "請上傳核章後的計畫書。", en = "Upload the signed plan." }
required = true
accept = ["pdf", "odt"]
max_size_mb = 1
""",
    "h3_upload_permit",
)


class UploadPermits:
    __name__ = "h3_upload_permits"

    @hookimpl
    def casehost_case_types(self, app, register):
        workflow = Workflow(
            initial="draft",
            states={"draft": "Draft", "filed": "Filed"},
            transitions=(Transition("file", "draft", "filed", "agency_staff", "File"),),
            final_states=frozenset({"filed"}),
        )
        register(
            CaseType(
                key=E2E_KEY, label="Attachment test", form=E2E_FORM.form_class, workflow=workflow
            )
        )


@pytest.fixture
def permit_host(sample_host_factory):
    app = sample_host_factory(plugins=[UploadPermits()], APPGOV_PROFILE="tainan")
    if "appgov_files" not in app.blueprints:
        uploads.register(app)  # until the plug-in mounts it
    with app.app_context():
        add_user("ks", "agency_staff", "kaohsiung-tb")
    return app


def test_a_file_answer_from_the_new_case_page_to_the_download(permit_host):
    app = permit_host
    client = app.test_client()
    login(client, "staff")
    page = client.get(f"/cases/new/{E2E_KEY}").text
    assert 'enctype="multipart/form-data"' in page
    assert 'type="file"' in page and 'accept=".pdf,application/pdf,.odt,' in page
    assert "1 MB" in page  # the limit in the help text
    # a spoofed file: refused, no case
    refused = client.post(
        f"/cases/new/{E2E_KEY}", data={"title": "港區", "plan": upload(HTML, "plan.pdf")}
    )
    assert refused.status_code == 200 and "「plan.pdf」" in refused.text  # the zh message
    # the title is missing: the file is kept, then the next submit opens the case with it
    content = odf_bytes(ODT)
    first = client.post(
        f"/cases/new/{E2E_KEY}", data={"title": "", "plan": upload(content, "計畫書.odt")}
    )
    assert first.status_code == 200 and "計畫書.odt" in visible_text(first.text)
    token = re.search(r'name="plan-kept" value="([^"]+)"', first.text).group(1)
    opened = client.post(f"/cases/new/{E2E_KEY}", data={"title": "港區", "plan-kept": token})
    assert opened.status_code == 302
    case_id = int(opened.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        stored = db.session.get(Case, case_id).data["plan"]
    sha = hashlib.sha256(content).hexdigest()
    assert stored == {"sha256": sha, "name": "計畫書.odt", "size": len(content), "type": ODT}
    link = f"/appgov/files/cases/{case_id}/{sha}"
    assert f'href="{link}"' in client.get(f"/cases/{case_id}").text
    download = client.get(link)
    assert download.status_code == 200 and download.data == content
    assert download.mimetype == ODT
    # editing keeps the file without a new upload
    edit_page = client.get(f"/cases/{case_id}/edit").text
    assert "計畫書.odt" in visible_text(edit_page)
    token = re.search(r'name="plan-kept" value="([^"]+)"', edit_page).group(1)
    saved = client.post(f"/cases/{case_id}/edit", data={"title": "港區二期", "plan-kept": token})
    assert saved.status_code == 302
    with app.app_context():
        case = db.session.get(Case, case_id)
        assert case.data["title"] == "港區二期" and case.data["plan"] == stored
    login(client, "ks")
    assert client.get(link).status_code == 404
