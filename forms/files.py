"""The upload field of appgov's forms (schema type ``file``).

``UploadField(label, validators, accept=("pdf",), max_bytes=10 * 2**20)`` is a WTForms field
for a ``FlaskForm`` (which hands it ``request.files``; the page's ``<form>`` needs
``enctype="multipart/form-data"``, :func:`needs_multipart`). It is flagged
``field.flags.upload``.

On submit, a chosen file is checked and stored at once (:func:`appgov_plugin.uploads.store`):
larger than the limit (``max_bytes``, at most ``APPGOV_UPLOAD_MAX_MB``) or empty, or its
content (magic bytes, not its name or the browser's Content-Type) none of the ``accept``
kinds -- refused with a message in the reader's language. A stored file makes ``field.data``
its reference ``{"sha256", "name", "size", "type"}``.

Nothing uploaded is lost when another field fails: the field renders, beside the file input,
a hidden input with a signed token of the stored reference (itsdangerous, the app's
``SECRET_KEY``), the line "kept: <name>" and a "Remove this file" tick box. The next submit
restores the reference from the token without a new upload; a new file replaces it; the
ticked box removes it. A token that was altered (or is older than :data:`KEPT_MAX_AGE`) is
refused with a message. ``process_data`` takes a stored reference, so editing a case keeps
its file.

The accepted kinds and the size limit are part of the field's help text
(``field.description``, after the definition's own help): hosts render it as they render
every field's help, tied to the input with ``aria-describedby``. The widget adds the id of
its kept-file line (``<id>-kept``) to the ``aria-describedby`` it is given, and leaves out
``required`` while a file is kept (the browser would demand a new one).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import wtforms
from flask import current_app, has_app_context
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from markupsafe import Markup, escape
from werkzeug.datastructures import FileStorage
from wtforms.utils import unset_value
from wtforms.validators import StopValidation

from appgov_plugin.i18n import _, format_number
from appgov_plugin.uploads import (
    KINDS,
    UploadRefused,
    as_reference,
    check_kinds,
    clean_name,
    detect_file,
    format_size,
    max_upload_bytes,
    store,
    stored_path,
)

#: Names of the companion inputs: ``<field name>-kept`` (the token), ``<field name>-remove``.
KEPT_SUFFIX = "-kept"
REMOVE_SUFFIX = "-remove"
#: Seconds a kept-file token is honoured (a form left open overnight still keeps its file).
KEPT_MAX_AGE = 24 * 3600
#: itsdangerous salt of the kept-file tokens (no other signed value of the app verifies).
TOKEN_SALT = "appgov.uploads.kept-file"
#: ``max_bytes``' default: 10 MB.
DEFAULT_MAX_BYTES = 10 * 2**20


def _serializer() -> URLSafeTimedSerializer:
    app = current_app
    if not app.secret_key:
        raise RuntimeError("appgov's upload field needs the application's SECRET_KEY")
    # SECRET_KEY_FALLBACKS (Flask 3.1): tokens signed before a key rotation still verify
    keys = [*(app.config.get("SECRET_KEY_FALLBACKS") or ()), app.secret_key]
    return URLSafeTimedSerializer(keys, salt=TOKEN_SALT)


def kept_token(reference: dict) -> str:
    """The signed token of a stored reference (what the hidden input carries)."""
    return _serializer().dumps(as_reference(reference))


def megabytes(size: int) -> str:
    """``size`` bytes as megabytes for a message: ``10``, ``2.5``, ``0.1``."""
    value = (Decimal(size) / 2**20).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return format_number(value.to_integral_value() if value == value.to_integral_value() else value)


def kinds_text(accept) -> str:
    """The accepted kinds for people: ``PDF, DOCX (Word)``."""
    return _(", ").join(str(KINDS[kind].label) for kind in accept)  # zh: 「、」


def accept_attribute(accept) -> str:
    """The ``accept`` hint of the file input: extensions and MIME types (the browser's file
    chooser only; the content is what is checked)."""
    hints: list[str] = []
    for kind in accept:
        hints.extend(KINDS[kind].extensions)
        hints.append(KINDS[kind].mime_type)
    return ",".join(dict.fromkeys(hints))


def needs_multipart(form) -> bool:
    """Whether ``form`` has an upload field (its ``<form>`` needs
    ``enctype="multipart/form-data"``)."""
    return any(getattr(field.flags, "upload", False) for field in form)


class UploadHelp:
    """A field's help text followed by its accepted kinds and size limit, in the reader's
    language when shown (``str``; escaped in templates unless the help is markup)."""

    def __init__(self, help_text, field: UploadField):
        self.help_text = help_text
        self.field = field

    def limits(self) -> str:
        return _(
            "Accepted: %(kinds)s. At most %(limit)s MB.",
            kinds=kinds_text(self.field.accept),
            limit=megabytes(self.field.limit_bytes),
        )

    def __str__(self) -> str:
        help_text = str(self.help_text or "").strip()
        return f"{help_text} {self.limits()}" if help_text else self.limits()

    def __html__(self) -> str:
        help_text = self.help_text
        if help_text and hasattr(help_text, "__html__"):
            return Markup(help_text.__html__()) + Markup(" ") + escape(self.limits())
        return str(escape(str(self)))

    def __bool__(self) -> bool:
        return True

    def __eq__(self, other) -> bool:
        return str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))


class UploadWidget:
    """The file input, the kept file's token and line, and the remove box."""

    field_flags = {"upload": True}

    def __call__(self, field: UploadField, **kwargs) -> Markup:
        kwargs.setdefault("id", field.id)
        input_id = kwargs["id"]
        kept = as_reference(field.data)
        describedby = [
            kwargs.pop("aria-describedby", None) or kwargs.pop("aria_describedby", None) or ""
        ]
        if kept:
            describedby.append(f"{input_id}-kept")
            # a kept file answers the field: the browser must not demand a new one
            kwargs.pop("required", None)
            kwargs.pop("aria-required", None)
            kwargs.pop("aria_required", None)
        elif field.flags.required:
            kwargs.setdefault("required", True)
        describedby = " ".join(part for part in describedby if part).strip()
        if describedby:
            kwargs["aria-describedby"] = describedby
        kwargs.pop("value", None)
        params = wtforms.widgets.html_params(
            type="file", name=field.name, accept=accept_attribute(field.accept), **kwargs
        )
        html = [Markup(f"<input {params}>")]
        if kept:
            name = kept["name"]
            html.append(
                Markup('<input type="hidden" name="{}" value="{}">').format(
                    field.name + KEPT_SUFFIX, kept_token(kept)
                )
            )
            html.append(
                Markup(
                    '<p class="appgov-upload-kept small mb-1" id="{}">{} '
                    '<span class="appgov-upload-size">({})</span> {}</p>'
                ).format(
                    f"{input_id}-kept",
                    _("kept: %(name)s", name=name),
                    format_size(kept["size"]),
                    _("Choose a new file to replace it."),
                )
            )
            html.append(
                Markup(
                    '<div class="form-check appgov-upload-remove">'
                    '<input class="form-check-input" type="checkbox" id="{}" name="{}" value="y">'
                    '<label class="form-check-label" for="{}">{}</label></div>'
                ).format(
                    f"{input_id}-remove",
                    field.name + REMOVE_SUFFIX,
                    f"{input_id}-remove",
                    _("Remove this file"),
                )
            )
        return Markup("").join(html)


class UploadField(wtforms.Field):
    """One uploaded file of the ``accept`` kinds (:data:`appgov_plugin.uploads.KINDS`), at
    most ``max_bytes`` bytes; ``data`` is the stored reference or ``None``."""

    widget = UploadWidget()

    def __init__(
        self,
        label=None,
        validators=None,
        accept=("pdf",),
        max_bytes=DEFAULT_MAX_BYTES,
        **kwargs,
    ):
        self.accept = check_kinds(accept)
        if int(max_bytes) < 1:
            raise ValueError("max_bytes: at least 1 byte")
        self.max_bytes = int(max_bytes)
        help_text = kwargs.pop("description", "")
        super().__init__(label, validators, **kwargs)
        self.description = UploadHelp(help_text, self)
        self._reset()

    def _reset(self):
        self.upload: FileStorage | None = None
        self._refusal: str | None = None
        self._stored = False

    @property
    def limit_bytes(self) -> int:
        """The limit in force: ``max_bytes``, at most ``APPGOV_UPLOAD_MAX_MB``."""
        if has_app_context():
            return min(self.max_bytes, max_upload_bytes())
        return self.max_bytes

    # -- data in ---------------------------------------------------------------------------

    def process(self, formdata, data=unset_value, extra_filters=None):
        self.process_errors = []
        self._reset()
        if data is unset_value:
            try:
                data = self.default()
            except TypeError:
                data = self.default
        self.object_data = data
        self.process_data(data)
        self.raw_data = []
        if formdata is None:
            return
        # what the submit carries decides: a new file, else the ticked box, else the token
        self.data = None
        sent = formdata.getlist(self.name) if self.name in formdata else []
        upload = next((v for v in sent if isinstance(v, FileStorage) and v.filename), None)
        token = formdata.get(self.name + KEPT_SUFFIX) or ""
        remove = bool(formdata.get(self.name + REMOVE_SUFFIX))
        kept, kept_problem = self._restore(token) if token else (None, None)
        if upload is not None:
            self.upload = upload
            self.raw_data = [upload]
            self.data = kept  # still kept if the new file is refused
        elif any(isinstance(v, str) and v.strip() for v in sent):
            # a file name as text: the page's <form> lacks enctype="multipart/form-data"
            self._refusal = _("The file did not arrive. Choose the file again.")
            self.raw_data = [v for v in sent if isinstance(v, str)]
            self.data = kept
        elif remove:
            return
        elif kept is not None:
            self.data = kept
            self.raw_data = [token]
        elif kept_problem:
            self._refusal = kept_problem
            self.raw_data = [token]

    def process_data(self, value):
        self.data = as_reference(value)

    def _restore(self, token: str) -> tuple[dict | None, str | None]:
        """The reference a kept-file token carries, or ``(None, message)``."""
        try:
            reference = as_reference(_serializer().loads(token, max_age=KEPT_MAX_AGE))
        except SignatureExpired:
            return None, _("The kept file has expired. Choose the file again.")
        except BadSignature:
            return None, _("The kept file could not be verified. Choose the file again.")
        if reference is None:
            return None, _("The kept file could not be verified. Choose the file again.")
        path = stored_path(reference["sha256"])
        # the stored file itself answers: this field's kinds and limit (a token of another
        # field does not smuggle a file past them)
        if not path.is_file():
            return None, _("The kept file is no longer available. Choose the file again.")
        kinds = [kind for kind in detect_file(path) if kind in self.accept]
        if not kinds or path.stat().st_size > self.limit_bytes:
            return None, _("The kept file could not be verified. Choose the file again.")
        reference["size"] = path.stat().st_size
        return reference, None

    # -- validation ------------------------------------------------------------------------

    def pre_validate(self, form):
        if self.upload is not None and not self._stored:
            self._stored = True  # stored once, however often the form is validated
            try:
                self.data = store(
                    self.upload.stream, self.upload.filename, self.accept, self.max_bytes
                )
            except UploadRefused as refused:
                self._refusal = self._message(refused)
        if self._refusal:
            raise StopValidation(self._refusal)

    def _message(self, refused: UploadRefused) -> str:
        name = clean_name(self.upload.filename)
        if refused.reason == "too_large":
            return _(
                "The file for “%(field)s” is larger than %(limit)s MB.",
                field=self.label.text,
                limit=megabytes(refused.limit),
            )
        if refused.reason == "empty":
            return _("“%(name)s” is empty.", name=name)
        return _(
            "“%(name)s” is not a file of an accepted kind (%(kinds)s): its content was "
            "checked, not its name.",
            name=name,
            kinds=kinds_text(self.accept),
        )

    def _value(self) -> str:
        return ""


__all__ = [
    "DEFAULT_MAX_BYTES",
    "KEPT_MAX_AGE",
    "KEPT_SUFFIX",
    "REMOVE_SUFFIX",
    "UploadField",
    "UploadHelp",
    "UploadWidget",
    "accept_attribute",
    "kept_token",
    "kinds_text",
    "megabytes",
    "needs_multipart",
]
