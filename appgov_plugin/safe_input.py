"""Hostile input refused at the edge, for appgov and the hosts that embed it (issue 8).

Three classes of input never reach the database or a parser that could fail on them:

* **Control characters** -- C0 controls (U+0000..U+001F) except tab, line feed and carriage
  return, DEL (U+007F), the non-characters U+FFFE/U+FFFF and lone surrogates (U+D800..DFFF,
  which only a JSON body can carry: Werkzeug decodes forms and query strings with
  replacement). PostgreSQL cannot store a NUL and answers 500; the others are never typed by
  a person. :func:`install` adds a ``before_request`` check over the query string, the form
  (names and values), uploaded files' names, the URL's own variables and JSON bodies
  (keys and strings, parsed within :func:`loads`' limits; at most the ``MAX_JSON_BODY``
  setting's characters, default 100,000), answering **400** with a
  translated message naming the field (its form label when known, else its name).
* **Unbounded JSON** -- :func:`loads` parses a JSON text of at most ``max_chars``
  characters nested at most ``max_depth`` deep, without NaN or infinities and without
  numbers of more than :data:`MAX_NUMBER_DIGITS` digits; anything else is a
  :class:`InputTooLarge` (a ``ValueError``) saying which limit it broke. Python's own
  ``json.loads`` of ``"[" * 100000`` is a ``RecursionError``.
* **Non-finite numbers** -- :class:`FiniteNumbersMeta` is a WTForms ``Meta`` mixin (used by
  ``AppGovForm``, the host's ``HostForm`` and Flask-Admin's ``AdminForm``) that binds every
  ``DecimalField`` and ``FloatField`` as a subclass refusing NaN, sNaN and infinities with
  the field's own "not a number" message (WTForms' ``NumberRange`` raises on a signalling
  NaN).

:func:`install` is idempotent per application: the sample host guards the whole application
(``install(app)``), appgov guards its own blueprint and admin views
(``install(app, blueprints=...)``), which is then a no-op where the whole application is
already guarded.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import wtforms
from flask import abort, current_app, request
from wtforms.fields.core import UnboundField
from wtforms.validators import StopValidation

from .i18n import _, format_number

#: Characters refused in any text input (tab, line feed and carriage return are allowed).
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")

#: Default limits of :func:`loads`: characters of the whole text, and nesting depth.
MAX_JSON_CHARS = 100_000
MAX_JSON_DEPTH = 20
#: Digits of one JSON number (Python refuses to read integers of more than 4,300 digits).
MAX_NUMBER_DIGITS = 100

_EXTENSION = "appgov_safe_input"


def has_control_character(text: str) -> bool:
    """Whether ``text`` holds a character :data:`CONTROL_CHARACTERS` refuses."""
    return CONTROL_CHARACTERS.search(text) is not None


def visible(text: str, limit: int = 60) -> str:
    """``text`` shortened, with refused characters shown as ``\\x00``/``\\ud800`` escapes."""
    shown = CONTROL_CHARACTERS.sub(lambda m: repr(m.group(0))[1:-1], text)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


# -- bounded JSON -------------------------------------------------------------------------


class InputTooLarge(ValueError):
    """A parsed input broke a size, depth or number limit (the message says which)."""


def _depth_of(text: str, max_depth: int) -> None:
    """Raise :class:`InputTooLarge` when ``text`` nests arrays/objects deeper than
    ``max_depth`` (a linear scan that skips strings; the parser itself recurses)."""
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > max_depth:
                raise InputTooLarge(
                    _(
                        "The value is nested more than %(depth)s levels deep.",
                        depth=format_number(max_depth),
                    )
                )
        elif char in "]}":
            depth -= 1


def _number(text: str, kind):
    if len(text) > MAX_NUMBER_DIGITS:
        raise InputTooLarge(
            _(
                "A number in the value has more than %(digits)s digits.",
                digits=format_number(MAX_NUMBER_DIGITS),
            )
        )
    number = kind(text)
    if isinstance(number, float) and not math.isfinite(number):
        raise InputTooLarge(_("A number in the value is too large."))
    return number


def _no_constant(name: str):
    raise InputTooLarge(_("“%(name)s” is not a number.", name=name))


def loads(text: str, *, max_chars: int = MAX_JSON_CHARS, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` of a user's text within limits.

    :raises InputTooLarge: more than ``max_chars`` characters, nested deeper than
        ``max_depth``, ``NaN``/``Infinity``, a number too long or too large for a float.
    :raises json.JSONDecodeError: the text is not JSON.
    """
    if len(text) > max_chars:
        raise InputTooLarge(
            _(
                "The value is too long: at most %(maximum)s characters (now %(count)s).",
                maximum=format_number(max_chars),
                count=format_number(len(text)),
            )
        )
    _depth_of(text, max_depth)
    return json.loads(
        text,
        parse_int=lambda s: _number(s, int),
        parse_float=lambda s: _number(s, float),
        parse_constant=_no_constant,
    )


# -- non-finite numbers in WTForms --------------------------------------------------------


def is_finite(value: Any) -> bool:
    """``None`` and finite numbers; not NaN, sNaN or an infinity."""
    if isinstance(value, Decimal):
        return value.is_finite()
    if isinstance(value, float):
        return math.isfinite(value)
    return True


class FiniteNumber:
    """Mixin of a WTForms number field: NaN, sNaN and infinities are refused with the
    field's own message, and the validators after it (``NumberRange``) are skipped."""

    def process_data(self, value):
        super().process_data(value)
        if not is_finite(self.data):
            self.data = None

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if not is_finite(self.data):
            self.data = None
            default = (
                "Not a valid float value."
                if isinstance(self, wtforms.FloatField)
                else "Not a valid decimal value."
            )
            raise ValueError(getattr(self, "invalid_value_message", None) or self.gettext(default))

    def pre_validate(self, form):
        if self.process_errors:
            raise StopValidation()  # the message is already there; no bounds message after it
        super().pre_validate(form)


_FINITE_CLASSES: dict[type, type] = {}


def finite_class(field_class: type) -> type:
    """``field_class`` with :class:`FiniteNumber` mixed in (cached; itself if already)."""
    if issubclass(field_class, FiniteNumber):
        return field_class
    if field_class not in _FINITE_CLASSES:
        _FINITE_CLASSES[field_class] = type(
            field_class.__name__, (FiniteNumber, field_class), {"__module__": __name__}
        )
    return _FINITE_CLASSES[field_class]


class FiniteNumbersMeta:
    """WTForms ``Meta`` mixin: every ``DecimalField``/``FloatField`` of the form is bound
    as its :func:`finite_class`. Put it before the form's other ``Meta`` base."""

    def bind_field(self, form, unbound_field, options):
        cls = unbound_field.field_class
        if issubclass(cls, wtforms.DecimalField | wtforms.FloatField) and not issubclass(
            cls, FiniteNumber
        ):
            unbound_field = UnboundField(
                finite_class(cls), *unbound_field.args, **unbound_field.kwargs
            )
        return super().bind_field(form, unbound_field, options)


# -- field labels for the messages --------------------------------------------------------

#: field name -> (module, label) of the form classes that have a field of that name
_FORM_LABELS: dict[str, list[tuple[str, Any]]] = {}


def _label_of(unbound: Any) -> Any:
    """The label an unbound field was declared with (``None``: none given)."""
    if not isinstance(unbound, UnboundField):
        return None
    if "label" in unbound.kwargs:
        return unbound.kwargs["label"]
    # FieldList(unbound_field, label) and FormField(form_class, label): the label comes second
    position = 1 if issubclass(unbound.field_class, wtforms.FieldList | wtforms.FormField) else 0
    label = unbound.args[position] if len(unbound.args) > position else None
    return None if isinstance(label, UnboundField | type) else label


def register_form_labels(form_class: type) -> None:
    """Remember the labels of ``form_class``'s fields (``__init_subclass__`` of the shared
    form bases calls it), to name a refused field by its label."""
    for name, value in vars(form_class).items():
        label = _label_of(value)
        if label is not None:
            _FORM_LABELS.setdefault(name, []).append((form_class.__module__, label))


def _admin_view_label(name: str) -> Any:
    """The label of field ``name`` in the Flask-Admin view this request goes to."""
    admin = current_app.extensions.get("admin")
    blueprint = request.blueprint
    if not admin or not blueprint:
        return None
    for each in admin if isinstance(admin, list) else [admin]:
        for view in getattr(each, "_views", ()):
            if getattr(view, "endpoint", None) != blueprint:
                continue
            for attribute in ("_create_form_class", "_edit_form_class"):
                label = _label_of(getattr(getattr(view, attribute, None), name, None))
                if label is not None:
                    return label
            labels = getattr(view, "column_labels", None) or {}
            return labels.get(name)
    return None


def field_label(name: str) -> str:
    """How the message names parameter ``name``: the label of the request's own form field
    when it can be told (a label the application registered for this endpoint; a
    Flask-Admin view's form; a label registered for the name; the label of the forms
    nearest the view's module), else ``name``."""
    guard = current_app.extensions.get(_EXTENSION)
    own = guard.labels if guard else {}
    for label in (
        own.get((request.endpoint, name)),
        _admin_view_label(name),
        own.get(name),
    ):
        if label is not None:
            return str(label)
    label = _form_label(name)
    return visible(name) if label is None else label


def _shared_prefix(a: str, b: str) -> int:
    count = 0
    for x, y in zip(a.split("."), b.split("."), strict=False):
        if x != y:
            break
        count += 1
    return count


def _form_label(name: str) -> str | None:
    """The label of the forms with a field ``name`` closest to the request's view (the
    most module path in common with the view function's module), when they agree."""
    candidates = _FORM_LABELS.get(name, ())
    if not candidates:
        return None
    view = current_app.view_functions.get(request.endpoint or "")
    module = getattr(view, "__module__", "") or ""
    best = max(_shared_prefix(module, m) for m, _label in candidates)
    labels = {str(label) for m, label in candidates if _shared_prefix(module, m) == best}
    return labels.pop() if len(labels) == 1 else None


# -- the edge check -----------------------------------------------------------------------


def _json_strings(value: Any) -> Iterable[tuple[str, str]]:
    """``(top-level key, string)`` of every key and string in a parsed JSON value."""
    stack = [("", value)]
    while stack:
        key, item = stack.pop()
        if isinstance(item, str):
            yield key, item
        elif isinstance(item, list):
            stack.extend((key, x) for x in item)
        elif isinstance(item, dict):
            for k, v in item.items():
                yield key or k, k
                stack.append((key or k, v))


def refused_parameter() -> str | None:
    """The name of the first query, form, URL or JSON parameter of the request that holds a
    control character, else ``None``; 400 for a JSON body beyond :func:`loads`' limits."""
    for source in (request.args, request.form):
        for key, values in source.lists():
            if has_control_character(key) or any(has_control_character(v) for v in values):
                return key
    for key, uploads in request.files.lists():
        if has_control_character(key) or any(
            has_control_character(upload.filename or "") for upload in uploads
        ):
            return key
    for key, value in (request.view_args or {}).items():
        if isinstance(value, str) and has_control_character(value):
            return key
    if request.is_json:
        limit = current_app.config.get("MAX_JSON_BODY", MAX_JSON_CHARS)
        if (request.content_length or 0) > 4 * limit:  # at most 4 bytes a character
            abort(413)
        text = request.get_data(cache=True, as_text=True)
        try:
            body = loads(text, max_chars=limit)
        except InputTooLarge as exc:
            abort(400, description=str(exc))
        except ValueError:
            return None  # not JSON: the view says so
        for key, string in _json_strings(body):
            if has_control_character(string):
                return key or "JSON"
    return None


class _Guard:
    def __init__(self):
        #: blueprint names to check; ``None``: every request
        self.blueprints: set[str] | None = set()
        #: ``name`` or ``(endpoint, name)`` -> label (parameters that are no form field)
        self.labels: dict[Any, Any] = {}

    def check(self):
        if self.blueprints is not None and not self._guarded(request.blueprint):
            return None
        name = refused_parameter()
        if name is not None:
            abort(
                400,
                description=_(
                    "The field “%(field)s” contains a control character (an invisible "
                    "character such as NUL), which this site does not accept. Remove it "
                    "(retype the text instead of pasting it) and send again.",
                    field=field_label(name),
                ),
            )
        return None

    def _guarded(self, blueprint: str | None) -> bool:
        if not blueprint:
            return False
        return any(
            blueprint == name or blueprint.startswith(name + ".") for name in self.blueprints
        )


def install(
    app,
    *,
    blueprints: Iterable[str] | None = None,
    labels: Mapping[Any, Any] | None = None,
) -> None:
    """Refuse control characters in the requests of ``app`` (all of them, or only those
    of ``blueprints``) with a 400 naming the field. Idempotent: installing for the whole
    app and for blueprints adds one check; the whole app wins.

    :param labels: ``{name: label}`` or ``{(endpoint, name): label}`` for parameters that
        are no WTForms field (a comment typed in a plain ``<textarea>``).
    """
    guard = app.extensions.get(_EXTENSION)
    if guard is None:
        guard = app.extensions[_EXTENSION] = _Guard()
        # first of all before_request functions: nothing reads the request before it
        app.before_request_funcs.setdefault(None, []).insert(0, guard.check)
    if blueprints is None:
        guard.blueprints = None
    elif guard.blueprints is not None:
        guard.blueprints.update(blueprints)
    guard.labels.update(labels or {})


def is_installed(app, blueprint: str | None = None) -> bool:
    """Whether ``app``'s requests (of ``blueprint``, when given) are checked."""
    guard = app.extensions.get(_EXTENSION)
    if guard is None:
        return False
    return guard.blueprints is None or (blueprint is not None and guard._guarded(blueprint))


__all__ = [
    "CONTROL_CHARACTERS",
    "FiniteNumber",
    "FiniteNumbersMeta",
    "InputTooLarge",
    "MAX_JSON_CHARS",
    "MAX_JSON_DEPTH",
    "MAX_NUMBER_DIGITS",
    "field_label",
    "finite_class",
    "has_control_character",
    "install",
    "is_finite",
    "is_installed",
    "loads",
    "refused_parameter",
    "register_form_labels",
    "visible",
]
