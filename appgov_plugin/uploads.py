"""Uploaded files: what a file is (read from its content), where it is kept, who may fetch it.

**Kinds.** :data:`KINDS` names the kinds a form's ``file`` field may accept: ``pdf``,
``png``, ``jpeg``, ``odt``, ``ods``, ``docx``, ``xlsx``, ``zip``. A file's kind is read from
its bytes, never from its name or the browser's Content-Type (:func:`detect_kinds`):
`puremagic <https://pypi.org/project/puremagic/>`_ reads the signature (PDF, PNG, JPEG, a ZIP
container); a ZIP container is then opened and its members decide -- an OpenDocument file
has a ``mimetype`` member naming its type, an Office Open XML file a ``[Content_Types].xml``
whose main part is a Word document or an Excel workbook (macro-enabled files and templates
are neither). puremagic alone takes any ZIP for a Word document. ``zip`` accepts any ZIP
archive (OpenDocument and Office files are ZIP archives too); ``docx`` never accepts a plain
ZIP archive renamed ``.docx``.

**Storage** (:func:`store`): outside the web root, in
``<instance folder>/appgov_uploads/<sha256[:2]>/<sha256>`` (``APPGOV_UPLOAD_DIR`` to put it
elsewhere, e.g. storage shared by several servers). The file is read in chunks into a
temporary file beside the others and moved into place with ``os.replace`` once its size,
kind and SHA-256 are known, so a reader never sees half a file; reading stops past the
size limit (the field's, and at most ``APPGOV_UPLOAD_MAX_MB`` megabytes, default 50). The
client's file name never becomes a path: it is kept, cleaned, in the reference only. The
same content uploaded twice is stored once.

A stored file is named by its **reference**, what a case keeps in its answers:
``{"sha256": ..., "name": ..., "size": ..., "type": ...}`` (``type``: the MIME type of the
kind read from the content).

**Serving**: the blueprint :data:`blueprint` (``appgov_files``, mounted at
``APPGOV_URL_PREFIX``) answers ``/files/cases/<case_id>/<sha256>`` to a logged-in user who may
read the case -- the host decides, through the contract's ``casehost_case_for_reader`` -- and
only for a file the case's answers refer to (any field, rows included). Everything else is
404, alike: a guessed case id or file hash tells nothing. The file goes out as an attachment
under its original name (RFC 6266 / RFC 5987 ``filename*`` for Chinese names, with an ASCII
fallback), with its detected Content-Type, ``X-Content-Type-Options: nosniff`` and
``Cache-Control: private, no-store``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import unicodedata
import urllib.parse
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import puremagic
from flask import Blueprint, abort, current_app, send_file
from flask_login import current_user, login_required

from .i18n import lazy_gettext

#: ``APPGOV_UPLOAD_MAX_MB``'s default: no upload beyond this many megabytes (2**20 bytes).
DEFAULT_MAX_MB = 50
#: The folder under the instance folder (``APPGOV_UPLOAD_DIR`` overrides the whole path).
FOLDER = "appgov_uploads"
#: Bytes read at a time.
CHUNK = 64 * 1024
#: Longest original file name kept in a reference (characters).
MAX_NAME_LENGTH = 200
#: Bytes of a ZIP member read to tell OpenDocument and Office files apart.
MEMBER_LIMIT = 512 * 1024

SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Kind:
    """A kind of file a ``file`` field may accept."""

    key: str
    mime_type: str
    #: file name extensions (for the browser's ``accept`` hint and the ASCII fallback name)
    extensions: tuple[str, ...]
    label: Any  # str or lazy string, in the reader's language


KINDS: dict[str, Kind] = {
    kind.key: kind
    for kind in (
        Kind("pdf", "application/pdf", (".pdf",), "PDF"),
        Kind("png", "image/png", (".png",), "PNG"),
        Kind("jpeg", "image/jpeg", (".jpg", ".jpeg"), "JPEG"),
        Kind(
            "odt",
            "application/vnd.oasis.opendocument.text",
            (".odt",),
            lazy_gettext("ODT (OpenDocument text)"),
        ),
        Kind(
            "ods",
            "application/vnd.oasis.opendocument.spreadsheet",
            (".ods",),
            lazy_gettext("ODS (OpenDocument spreadsheet)"),
        ),
        Kind(
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            (".docx",),
            lazy_gettext("DOCX (Word)"),
        ),
        Kind(
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            (".xlsx",),
            lazy_gettext("XLSX (Excel)"),
        ),
        Kind("zip", "application/zip", (".zip",), lazy_gettext("ZIP (compressed folder)")),
    )
}

#: The type a served file gets when its content is none of :data:`KINDS`.
UNKNOWN_TYPE = "application/octet-stream"

# OpenDocument: the ``mimetype`` member's text (ODF 1.2 part 3, 3.3)
_ODF_TYPES = {KINDS["odt"].mime_type: "odt", KINDS["ods"].mime_type: "ods"}
# Office Open XML: the main part's content type in [Content_Types].xml (ECMA-376 part 2)
_OOXML_MAIN = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": "xlsx",
}
_OOXML_PARTS = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml"}
_TYPE_ELEMENT = re.compile(rb"<(?:\w+:)?(Override|Default)\b([^>]*)>")
_ATTRIBUTE = re.compile(rb"""(\w+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
# puremagic's answers for the three plain signatures
_SIGNATURES = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpeg"}


def check_kinds(accept: Iterable[str]) -> tuple[str, ...]:
    """``accept`` as a tuple of known kinds; ``ValueError`` naming an unknown one."""
    kinds = tuple(accept)
    if not kinds:
        raise ValueError("accept: no kind of file; known: " + ", ".join(KINDS))
    for kind in kinds:
        if kind not in KINDS:
            raise ValueError(f"accept: unknown kind {kind!r}; known: {', '.join(KINDS)}")
    return kinds


# -- what a file is -------------------------------------------------------------------------


def _signature_matches(stream) -> list:
    """puremagic's best matches for the stream (all of the highest confidence)."""
    stream.seek(0)
    try:
        matches = puremagic.magic_stream(stream)  # no file name: the content alone decides
    except (puremagic.PureError, ValueError):
        return []
    finally:
        stream.seek(0)
    if not matches:
        return []
    best = max(match.confidence for match in matches)
    return [match for match in matches if match.confidence == best]


def _is_zip_match(match) -> bool:
    mime = (getattr(match, "mime_type", "") or "").lower()
    signature = getattr(match, "byte_match", b"") or b""
    if isinstance(signature, str):
        signature = signature.encode("latin-1", "replace")
    return (
        signature.startswith(b"PK")
        or "zip" in mime
        or "opendocument" in mime
        or "openxmlformats" in mime
    )


def _read_member(archive: zipfile.ZipFile, name: str) -> bytes | None:
    try:
        with archive.open(name) as member:
            return member.read(MEMBER_LIMIT)  # bounded: a compressed bomb is never inflated
    except (KeyError, zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError, EOFError):
        return None  # missing, damaged, encrypted or an unsupported compression


def _container_kinds(stream) -> list[str]:
    """Kinds of a ZIP archive: ``["odt", "zip"]``, ``["docx", "zip"]``, ``["zip"]`` or ``[]``
    (not a ZIP archive Python can read)."""
    stream.seek(0)
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return []
    with archive:
        names = set(archive.namelist())
        if "mimetype" in names:
            text = (_read_member(archive, "mimetype") or b"").strip()
            kind = _ODF_TYPES.get(text.decode("ascii", "replace"))
            return [kind, "zip"] if kind else ["zip"]
        if "[Content_Types].xml" in names:
            kind = _ooxml_kind(_read_member(archive, "[Content_Types].xml") or b"", names)
            return [kind, "zip"] if kind else ["zip"]
        return ["zip"]


def _ooxml_kind(types: bytes, names: set[str]) -> str | None:
    """``docx``/``xlsx`` when ``[Content_Types].xml`` gives a part of the archive the main
    content type of a Word document or an Excel workbook (an ``Override`` of that part, or a
    ``Default`` for its extension)."""
    for element in _TYPE_ELEMENT.finditer(types):
        attributes = {
            m.group(1): (m.group(2) if m.group(2) is not None else m.group(3)).decode(
                "utf-8", "replace"
            )
            for m in _ATTRIBUTE.finditer(element.group(2))
        }
        kind = _OOXML_MAIN.get(attributes.get(b"ContentType", "").strip())
        if not kind:
            continue
        if element.group(1) == b"Override":
            if attributes.get(b"PartName", "").lstrip("/") in names:
                return kind
        elif _OOXML_PARTS[kind] in names and _OOXML_PARTS[kind].endswith(
            "." + attributes.get(b"Extension", "").lower()
        ):
            return kind
    return None


def detect_kinds(stream) -> list[str]:
    """The :data:`KINDS` the content of the binary, seekable ``stream`` is, most specific
    first (``[]``: none); the name and Content-Type are not consulted. The stream is left
    at its start."""
    try:
        matches = _signature_matches(stream)
        for match in matches:
            kind = _SIGNATURES.get((getattr(match, "mime_type", "") or "").lower())
            if kind:
                return [kind]
        if any(_is_zip_match(match) for match in matches):
            return _container_kinds(stream)
        return []
    finally:
        stream.seek(0)


def detect_file(path: str | os.PathLike) -> list[str]:
    """:func:`detect_kinds` of the file at ``path``."""
    with open(path, "rb") as stream:
        return detect_kinds(stream)


def mime_type(kinds: list[str]) -> str:
    """The Content-Type of a file of these kinds (the most specific)."""
    return KINDS[kinds[0]].mime_type if kinds else UNKNOWN_TYPE


# -- storage ----------------------------------------------------------------------------------


class UploadRefused(ValueError):
    """A file refused by :func:`store`; ``reason`` is ``"too_large"``, ``"empty"`` or
    ``"kind"`` and ``limit`` the byte limit that applied."""

    def __init__(self, reason: str, limit: int):
        super().__init__(reason)
        self.reason = reason
        self.limit = limit


def max_upload_bytes(app=None) -> int:
    """``APPGOV_UPLOAD_MAX_MB`` (default :data:`DEFAULT_MAX_MB`) in bytes."""
    app = app or current_app
    megabytes = app.config.get("APPGOV_UPLOAD_MAX_MB", DEFAULT_MAX_MB)
    return int(float(megabytes) * 2**20)


def upload_root(app=None) -> Path:
    """Where uploads are kept: ``APPGOV_UPLOAD_DIR``, else ``<instance folder>/appgov_uploads``."""
    app = app or current_app
    configured = app.config.get("APPGOV_UPLOAD_DIR")
    return Path(configured) if configured else Path(app.instance_path) / FOLDER


def stored_path(sha256: str, app=None) -> Path:
    """The path of the stored file ``sha256`` (``ValueError`` for anything but 64 hex digits,
    so no text from a request becomes a path)."""
    if not isinstance(sha256, str) or not SHA256.fullmatch(sha256):
        raise ValueError("not a SHA-256 in hexadecimal")
    return upload_root(app) / sha256[:2] / sha256


def is_stored(sha256: str, app=None) -> bool:
    try:
        return stored_path(sha256, app).is_file()
    except ValueError:
        return False


def clean_name(name: str | None) -> str:
    """The client's file name as a name to show: its last path component (``C:\\fakepath\\``
    and ``../`` dropped), without control or format characters (bidirectional overrides that
    disguise an extension), at most :data:`MAX_NAME_LENGTH` characters, keeping the
    extension; ``"file"`` when nothing is left."""
    text = unicodedata.normalize("NFC", str(name or "")).replace("\\", "/")
    text = PurePosixPath(text).name if "/" in text else text
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] not in ("C",)).strip()
    text = text.strip(". ") or ""
    if len(text) > MAX_NAME_LENGTH:
        stem, dot, extension = text.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            text = stem[: MAX_NAME_LENGTH - len(extension) - 1] + "." + extension
        else:
            text = text[:MAX_NAME_LENGTH]
    return text or "file"


def _chunks(stream, limit: int) -> Iterator[bytes]:
    """The stream's bytes, chunk by chunk, raising past ``limit`` bytes (never reads more
    than one chunk beyond it)."""
    total = 0
    while True:
        chunk = stream.read(CHUNK)
        if not chunk:
            return
        total += len(chunk)
        if total > limit:
            raise UploadRefused("too_large", limit)
        yield chunk


def store(stream, name: str | None, accept: Iterable[str], max_bytes: int) -> dict:
    """Read the binary ``stream`` (an upload) into storage and answer its reference.

    Refused (:class:`UploadRefused`, nothing kept): more than ``max_bytes`` bytes (or than
    ``APPGOV_UPLOAD_MAX_MB``), empty, or content of none of the ``accept`` kinds.
    """
    kinds_accepted = check_kinds(accept)
    limit = min(int(max_bytes), max_upload_bytes())
    root = upload_root()
    root.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    handle, temporary = tempfile.mkstemp(prefix=".upload-", dir=root)
    try:
        with os.fdopen(handle, "w+b") as out:
            for chunk in _chunks(stream, limit):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
            if size == 0:
                raise UploadRefused("empty", limit)
            out.flush()
            kinds = detect_kinds(out)
        if not any(kind in kinds_accepted for kind in kinds):
            raise UploadRefused("kind", limit)
        sha256 = digest.hexdigest()
        target = stored_path(sha256)
        target.parent.mkdir(exist_ok=True)
        os.replace(temporary, target)  # atomic: the same content twice is the same file
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return {"sha256": sha256, "name": clean_name(name), "size": size, "type": mime_type(kinds)}


def as_reference(value: Any) -> dict | None:
    """``value`` as a file reference (a copy with the four keys), or ``None`` when it is not
    one (no ``sha256`` of 64 hex digits)."""
    if not isinstance(value, Mapping):
        return None
    sha256 = value.get("sha256")
    if not isinstance(sha256, str) or not SHA256.fullmatch(sha256):
        return None
    size = value.get("size")
    return {
        "sha256": sha256,
        "name": clean_name(value.get("name")),
        "size": size if isinstance(size, int) and not isinstance(size, bool) else 0,
        "type": str(value.get("type") or UNKNOWN_TYPE),
    }


def references(data: Any) -> Iterator[dict]:
    """Every file reference in a case's answers: any field, rows (lists of dicts) included."""
    if isinstance(data, Mapping):
        reference = as_reference(data)
        if reference is not None:
            yield reference
            return
        for value in data.values():
            yield from references(value)
    elif isinstance(data, list | tuple):
        for value in data:
            yield from references(value)


def format_size(size: int) -> str:
    """A size for people: ``532 KB``, ``1.4 MB`` (1 KB = 1,024 bytes)."""
    if size < 2**20:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / 2**20:.1f} MB"


# -- serving ----------------------------------------------------------------------------------

blueprint = Blueprint("appgov_files", __name__)


def content_disposition(name: str, sha256: str, kinds: list[str]) -> str:
    """``attachment`` with an ASCII ``filename`` and the UTF-8 ``filename*`` (RFC 6266, RFC
    5987): ``attachment; filename="file-1a2b3c4d.pdf"; filename*=UTF-8''%E8%A8%88...``."""
    name = clean_name(name)

    def ascii_only(text: str) -> str:
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
        return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._-")

    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    extension = ascii_only(extension).lower()
    if not re.fullmatch(r"[a-z0-9]{1,10}", extension):
        extension = KINDS[kinds[0]].extensions[0].lstrip(".") if kinds else ""
    # nothing readable left of the stem (a Chinese name): a name made of the hash
    stem = ascii_only(stem) or f"file-{sha256[:12]}"
    ascii_name = f"{stem}.{extension}" if extension else stem
    header = f'attachment; filename="{ascii_name}"'
    if ascii_name != name:
        header += "; filename*=UTF-8''" + urllib.parse.quote(name, safe="")
    return header


def case_for_reader(case_id: int, user) -> Any:
    """The host's answer to ``casehost_case_for_reader`` (``None`` without such a hook: no
    case is shown that the host has not allowed)."""
    app = current_app._get_current_object()
    pm = getattr(app.extensions.get("casehost"), "pm", None)
    hook = getattr(getattr(pm, "hook", None), "casehost_case_for_reader", None)
    if hook is None:
        return None
    return hook(app=app, case_id=case_id, user=user)


@blueprint.get("/files/cases/<int:case_id>/<sha256>")
@login_required
def case_file(case_id: int, sha256: str):
    """A file uploaded with case ``case_id``, to a user allowed to read the case."""
    if not SHA256.fullmatch(sha256):
        abort(404)
    user = getattr(current_user, "_get_current_object", lambda: current_user)()
    case = case_for_reader(case_id, user)
    if case is None:
        abort(404)
    reference = next(
        (ref for ref in references(getattr(case, "data", None) or {}) if ref["sha256"] == sha256),
        None,
    )
    path = stored_path(sha256)
    if reference is None or not path.is_file():
        abort(404)
    kinds = detect_file(path)
    response = send_file(
        path,
        mimetype=mime_type(kinds),
        as_attachment=True,
        download_name=reference["name"],
        conditional=True,
        etag=False,
        max_age=None,
    )
    response.headers["Content-Disposition"] = content_disposition(reference["name"], sha256, kinds)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers.setdefault("Content-Security-Policy", "default-src 'none'; sandbox")
    return response


def file_url(case_id: int, reference: Mapping) -> str:
    """The address of a case's file (for a link on the case page)."""
    from flask import url_for

    return url_for("appgov_files.case_file", case_id=case_id, sha256=reference["sha256"])


def register(app) -> None:
    """Mount :data:`blueprint` at ``APPGOV_URL_PREFIX`` (once)."""
    if blueprint.name not in app.blueprints:
        app.register_blueprint(blueprint, url_prefix=app.config.get("APPGOV_URL_PREFIX", "/appgov"))


__all__ = [
    "DEFAULT_MAX_MB",
    "KINDS",
    "Kind",
    "UploadRefused",
    "as_reference",
    "blueprint",
    "case_file",
    "check_kinds",
    "clean_name",
    "content_disposition",
    "detect_file",
    "detect_kinds",
    "file_url",
    "format_size",
    "is_stored",
    "max_upload_bytes",
    "mime_type",
    "references",
    "register",
    "store",
    "stored_path",
    "upload_root",
]
