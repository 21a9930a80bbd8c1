"""Check a parsed form definition against the schema (docs/forms.md).

:func:`check_definition` refuses a definition that breaks the schema with a ``ValueError``
naming the file, the field (or section, or check) and the key, e.g.
``forms/x.toml: field 'budget': label: missing language 'en'``. :class:`Text` is a bilingual
text, resolved in the request's language when it is rendered.
"""

from __future__ import annotations

from typing import Any

from markupsafe import escape

from appgov_plugin.i18n import SUPPORTED_LOCALES, current_locale

LANGUAGES = SUPPORTED_LOCALES  # ("zh_Hant_TW", "en")

FIELD_TYPES = (
    "string",
    "text",
    "integer",
    "money",
    "decimal",
    "date",
    "boolean",
    "choice",
    "multichoice",
    "email",
    "url",
    "file",
    "rows",
    "notice",
    "computed",
    "app",
)
TEXT_TYPES = ("string", "text")
#: ``format`` of a ``string`` field: ``version`` is MAJOR.MINOR.PATCH (rule KH-VER-1)
STRING_FORMATS = ("version",)
NUMBER_TYPES = ("integer", "money", "decimal")
CHOICE_TYPES = ("choice", "multichoice")
COLUMN_TYPES = (
    "string",
    "text",
    "integer",
    "money",
    "decimal",
    "date",
    "choice",
    "boolean",
    "email",
    "url",
)
#: Kinds of file an upload may accept (checked by content, forms/files.py).
FILE_KINDS = ("pdf", "png", "jpeg", "odt", "ods", "docx", "xlsx", "zip")
#: Default and greatest length of an e-mail / web address.
ADDRESS_LENGTHS = {"email": 254, "url": 2000}
MAX_ROWS = 50
MAX_FILE_MB = 50

CONDITION_KEYS = ("shown_when", "required_when", "required_by")
COMMON_KEYS = frozenset({"name", "type", "label", "help", "rule", "required", *CONDITION_KEYS})
TYPE_KEYS: dict[str, frozenset[str]] = {
    "string": frozenset({"min_length", "max_length", "format"}),
    "text": frozenset({"min_length", "max_length"}),
    "integer": frozenset({"minimum", "maximum", "at_least"}),
    "money": frozenset({"minimum", "maximum", "at_least"}),
    "decimal": frozenset({"minimum", "maximum", "at_least"}),
    "date": frozenset({"after"}),
    "boolean": frozenset({"must_be", "must_be_message"}),
    "choice": frozenset({"choices"}),
    "multichoice": frozenset({"choices"}),
    "email": frozenset({"max_length"}),
    "url": frozenset({"max_length"}),
    "file": frozenset({"accept", "max_size_mb"}),
    "rows": frozenset({"columns", "min_rows", "max_rows", "totals"}),
    "notice": frozenset({"text"}),
    "computed": frozenset({"check", "args"}),
    # one app of the registry the agency files for, in one of ``statuses`` (default: any)
    "app": frozenset({"statuses"}),
}
#: The notice has no label, help nor answer.
NOTICE_KEYS = frozenset({"name", "type", "text", "rule", "shown_when"})
FORM_KEYS = frozenset({"key", "version", "title", "intro", "rules", "checks", "sections", "fields"})
SECTION_KEYS = frozenset({"name", "title", "help", "rule", *CONDITION_KEYS, "fields"})
CHECK_KINDS = {
    "at_least_one": frozenset({"kind", "fields", "message"}),
    "total_length": frozenset({"kind", "fields", "min_length", "max_length", "message"}),
}
#: Names a field may not take (attributes of the form object).
RESERVED_NAMES = frozenset(
    {
        "answers",
        "appgov_definition",
        "csrf_token",
        "data",
        "errors",
        "form_errors",
        "meta",
        "policy",
        "populate_obj",
        "process",
        "validate",
        "validate_on_submit",
        "hidden_tag",
        "is_submitted",
    }
)


class Text:
    """A text in both languages, shown in the request's language when rendered (``str()``
    or ``{{ text }}`` in a template): one cached form class serves both languages."""

    __slots__ = ("texts",)

    def __init__(self, texts: dict[str, str]):
        self.texts = dict(texts)

    def resolve(self, locale: str | None = None) -> str:
        return self.texts[locale or current_locale()]

    def __str__(self) -> str:
        return self.resolve()

    def __html__(self) -> str:
        return str(escape(self.resolve()))

    def __len__(self) -> int:
        return len(self.resolve())

    def __bool__(self) -> bool:
        return True

    def __eq__(self, other) -> bool:
        if isinstance(other, Text):
            return self.texts == other.texts
        return str(self) == other

    def __hash__(self) -> int:
        return hash(tuple(sorted(self.texts.items())))

    def __repr__(self) -> str:
        return f"Text({self.texts!r})"


def is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value) -> bool:
    return is_int(value) or isinstance(value, float)


def rules_of(spec: dict) -> tuple[str, ...]:
    rules = spec.get("rule", ())
    return (rules,) if isinstance(rules, str) else tuple(rules)


class _Checker:
    def __init__(self, source: str, definition: dict):
        self.source = source
        self.definition = definition
        self.specs: dict[str, dict] = {}  # every field by name (not columns)
        self.section_of: dict[str, dict | None] = {}

    # errors
    def fail(self, where: str, key: str, message: str):
        where = f"{where}: " if where else ""
        raise ValueError(f"{self.source}: {where}{key}: {message}")

    # pieces
    def text(self, where: str, key: str, value: Any, optional: bool = False) -> None:
        if value is None and optional:
            return
        if not isinstance(value, dict):
            self.fail(where, key, 'must be { zh_Hant_TW = "…", en = "…" }')
        for language in LANGUAGES:
            if language not in value:
                self.fail(where, key, f"missing language {language!r}")
        for language, text in value.items():
            if language not in LANGUAGES:
                self.fail(
                    where, key, f"unknown language {language!r}; known: {', '.join(LANGUAGES)}"
                )
            if not isinstance(text, str) or not text.strip():
                self.fail(where, key, f"empty text in {language!r}")

    def rules(self, where: str, spec: dict) -> None:
        from appgov_plugin.policy.rulebook import rule as known_rule

        value = spec.get("rule")
        if value is None:
            return
        values = [value] if isinstance(value, str) else value
        if (
            not isinstance(values, list)
            or not values
            or not all(isinstance(v, str) for v in values)
        ):
            self.fail(where, "rule", "a rule ID or a list of rule IDs")
        for rule_id in values:
            try:
                known_rule(rule_id)
            except ValueError:
                self.fail(where, "rule", f"unknown rule {rule_id!r}")

    def whole(self, where, key, value, low, high=None):
        if not is_int(value) or value < low or (high is not None and value > high):
            bound = f"{low}..{high}" if high is not None else f">= {low}"
            self.fail(where, key, f"must be a whole number {bound}, not {value!r}")

    def condition(self, where: str, key: str, value: Any, own: str | None = None) -> None:
        if not isinstance(value, dict) or set(value) != {"field", "in"}:
            self.fail(where, key, '{ field = "<name>", in = [<values>] }')
        other = value["field"]
        if other not in self.specs:
            self.fail(where, key, f"unknown field {other!r}")
        if other == own:
            self.fail(where, key, "a field cannot depend on itself")
        values = value["in"]
        if not isinstance(values, list) or not values:
            self.fail(where, key, "'in' must be a non-empty list")
        target = self.specs[other]
        kind = target["type"]
        if kind in ("notice", "rows", "file", "computed"):
            self.fail(where, key, f"field {other!r} ({kind}) has no value to compare")
        if kind == "boolean":
            if not all(isinstance(v, bool) for v in values):
                self.fail(where, key, f"field {other!r} is a tick box: in = [true] or [false]")
        elif kind in CHOICE_TYPES:
            known = {c.get("value") for c in target.get("choices", []) if isinstance(c, dict)}
            for v in values:
                if v not in known:
                    self.fail(where, key, f"{v!r} is no choice of field {other!r}")
        elif not all(isinstance(v, str | int) and not isinstance(v, bool) for v in values):
            self.fail(where, key, "values must be text or whole numbers")

    def policy_check(self, where: str, key: str, value: Any, returns: str, own=None) -> None:
        from appgov_plugin.forms.conditions import CHECKS

        if not isinstance(value, dict) or set(value) - {"check", "args"} or "check" not in value:
            self.fail(where, key, '{ check = "<name>", args = { <param> = "<field>" } }')
        name = value["check"]
        check = CHECKS.get(name)
        wanted = [n for n, c in CHECKS.items() if c.returns == returns]
        if check is None or check.returns != returns:
            self.fail(where, key, f"unknown check {name!r}; known: {', '.join(wanted)}")
        args = value.get("args", {})
        if not isinstance(args, dict):
            self.fail(where, key, 'args = { <param> = "<field>" }')
        for param, field_name in args.items():
            if param not in check.params:
                self.fail(
                    where,
                    key,
                    f"check {name!r} has no parameter {param!r}; known: {', '.join(check.params)}",
                )
            if field_name not in self.specs:
                self.fail(where, key, f"unknown field {field_name!r}")
            if field_name == own:
                self.fail(where, key, "a field cannot depend on itself")
        missing = [p for p in check.needed if p not in args]
        if missing:
            self.fail(where, key, f"check {name!r} needs {', '.join(missing)}")

    def after(self, where: str, value: Any, own: str) -> None:
        from appgov_plugin.policy.parameters import DEADLINE_KINDS

        if not isinstance(value, dict):
            self.fail(where, "after", '{ field = "<date field>", months = 1 }')
        unknown = set(value) - {"field", "days", "months", "deadline", "unless"}
        if unknown:
            self.fail(where, "after", f"unknown key(s) {', '.join(sorted(unknown))}")
        other = value.get("field")
        if other not in self.specs or self.specs[other]["type"] != "date" or other == own:
            self.fail(where, "after", f"field {other!r} is no other date field of the form")
        given = [k for k in ("days", "months", "deadline") if k in value]
        if len(given) != 1:
            self.fail(where, "after", "give exactly one of days, months, deadline")
        if "days" in value:
            self.whole(where, "after.days", value["days"], 0, 3660)
        if "months" in value:
            self.whole(where, "after.months", value["months"], 0, 120)
        if "deadline" in value and value["deadline"] not in DEADLINE_KINDS:
            self.fail(
                where,
                "after.deadline",
                f"unknown deadline {value['deadline']!r}; known: {', '.join(DEADLINE_KINDS)}",
            )
        if "unless" in value:
            self.condition(where, "after.unless", value["unless"], own)

    # a field
    def name(self, where: str, spec: dict) -> str:
        name = spec.get("name")
        if not isinstance(name, str) or not name.isidentifier() or name.startswith("_"):
            self.fail(where, "name", f"not a valid identifier: {name!r}")
        return name

    def field_shape(self, spec: Any, where_prefix: str = "field") -> str:
        if not isinstance(spec, dict):
            raise ValueError(f"{self.source}: a field must be a table, not {spec!r}")
        name = self.name(f"a {where_prefix}", spec)
        where = f"{where_prefix} {name!r}"
        kind = spec.get("type")
        if kind not in FIELD_TYPES:
            self.fail(where, "type", f"unknown type {kind!r}; known: {', '.join(FIELD_TYPES)}")
        return name

    def field(self, spec: dict, column_of: str | None = None) -> None:
        name, kind = spec["name"], spec["type"]
        where = f"field {column_of!r}: column {name!r}" if column_of else f"field {name!r}"
        allowed = NOTICE_KEYS if kind == "notice" else COMMON_KEYS | TYPE_KEYS[kind]
        if column_of:
            allowed = allowed - set(CONDITION_KEYS) - {"rule", "at_least", "after"}
        unknown = set(spec) - allowed
        if unknown:
            self.fail(
                where,
                ", ".join(sorted(unknown)),
                f"unknown key(s) for a {kind} {'column' if column_of else 'field'}; "
                f"known: {', '.join(sorted(allowed))}",
            )
        if kind == "notice":
            self.text(where, "text", spec.get("text"))
        else:
            self.text(where, "label", spec.get("label"))
            self.text(where, "help", spec.get("help"), optional=True)
        if "required" in spec and not isinstance(spec["required"], bool):
            self.fail(where, "required", "true or false")
        if kind in ("computed",) and spec.get("required"):
            self.fail(where, "required", "a computed field is never typed")
        self.rules(where, spec)
        if kind in TEXT_TYPES:
            if "max_length" not in spec:
                self.fail(where, "max_length", "required for a text field (characters, >= 1)")
            self.whole(where, "max_length", spec["max_length"], 1, 100_000)
            self.whole(where, "min_length", spec.get("min_length", 0), 0, spec["max_length"])
        if "format" in spec and spec["format"] not in STRING_FORMATS:
            self.fail(where, "format", f"one of {', '.join(STRING_FORMATS)}")
        if kind in ADDRESS_LENGTHS and "max_length" in spec:
            self.whole(where, "max_length", spec["max_length"], 1, ADDRESS_LENGTHS[kind])
        if kind in NUMBER_TYPES:
            if "maximum" not in spec:
                self.fail(where, "maximum", "required for a number field")
            maximum, minimum = spec["maximum"], spec.get("minimum", 0)
            for key, value in (("maximum", maximum), ("minimum", minimum)):
                if not is_number(value) or (kind != "decimal" and not is_int(value)):
                    what = "a number" if kind == "decimal" else "a whole number"
                    self.fail(where, key, f"must be {what}, not {value!r}")
            if minimum > maximum:
                self.fail(where, "minimum", f"{minimum!r} exceeds the maximum {maximum!r}")
            if "at_least" in spec:
                self.policy_check(where, "at_least", spec["at_least"], "number", own=name)
        if kind == "app" and "statuses" in spec:
            from appgov_plugin.apps.models import APP_STATUSES

            statuses = spec["statuses"]
            if not isinstance(statuses, list) or not statuses:
                self.fail(
                    where, "statuses", f"a list of app statuses from {', '.join(APP_STATUSES)}"
                )
            for status in statuses:
                if status not in APP_STATUSES:
                    self.fail(
                        where,
                        "statuses",
                        f"unknown app status {status!r}; known: {', '.join(APP_STATUSES)}",
                    )
        if kind in CHOICE_TYPES:
            choices = spec.get("choices")
            if not isinstance(choices, list) or not choices:
                self.fail(where, "choices", '[{ value = "…", label = { zh_Hant_TW, en } }, ...]')
            seen = set()
            for choice in choices:
                if not isinstance(choice, dict) or set(choice) != {"value", "label"}:
                    self.fail(where, "choices", '{ value = "…", label = { zh_Hant_TW, en } }')
                value = choice["value"]
                if not isinstance(value, str) or not value or value in seen:
                    self.fail(where, "choices", f"value {value!r}: empty, not text or twice")
                seen.add(value)
                self.text(where, f"choices.{value}.label", choice["label"])
        if kind == "boolean":
            if "must_be" in spec:
                if not isinstance(spec["must_be"], bool):
                    self.fail(where, "must_be", "true or false")
                self.text(where, "must_be_message", spec.get("must_be_message"))
            elif "must_be_message" in spec:
                self.fail(where, "must_be_message", "only with must_be")
        if kind == "file":
            accept = spec.get("accept", ["pdf"])
            if not isinstance(accept, list) or not accept:
                self.fail(where, "accept", f"a list of kinds from {', '.join(FILE_KINDS)}")
            for each in accept:
                if each not in FILE_KINDS:
                    self.fail(
                        where, "accept", f"unknown kind {each!r}; known: {', '.join(FILE_KINDS)}"
                    )
            if "max_size_mb" not in spec:
                self.fail(where, "max_size_mb", "required for a file (1..50)")
            self.whole(where, "max_size_mb", spec["max_size_mb"], 1, MAX_FILE_MB)
        if kind == "rows":
            self.rows(where, spec)
        if kind == "computed":
            self.policy_check(
                where,
                "check",
                {"check": spec.get("check"), "args": spec.get("args", {})},
                "number",
                own=name,
            )
        if kind == "date" and "after" in spec:
            self.after(where, spec["after"], name)
        self.conditions(where, spec, own=name)

    def rows(self, where: str, spec: dict) -> None:
        if "max_rows" not in spec:
            self.fail(where, "max_rows", f"required for rows (1..{MAX_ROWS})")
        self.whole(where, "max_rows", spec["max_rows"], 1, MAX_ROWS)
        self.whole(where, "min_rows", spec.get("min_rows", 0), 0, spec["max_rows"])
        columns = spec.get("columns")
        if not isinstance(columns, list) or not columns:
            self.fail(where, "columns", "a non-empty list of field specs")
        seen = {}
        for column in columns:
            cname = self.field_shape(column, f"column of {spec['name']!r}: column")
            if column["type"] not in COLUMN_TYPES:
                self.fail(
                    where,
                    f"columns.{cname}.type",
                    f"{column['type']!r} cannot be a column; known: {', '.join(COLUMN_TYPES)}",
                )
            if cname in seen:
                self.fail(where, "columns", f"column {cname!r} declared twice")
            seen[cname] = column
            self.field(column, column_of=spec["name"])
        totals = spec.get("totals", [])
        if not isinstance(totals, list):
            self.fail(where, "totals", "a list of column names")
        for total in totals:
            if total not in seen or seen[total]["type"] not in ("money", "integer"):
                self.fail(where, "totals", f"{total!r} is no money or integer column")

    def conditions(self, where: str, spec: dict, own: str | None = None) -> None:
        for key in ("shown_when", "required_when"):
            if key in spec:
                self.condition(where, key, spec[key], own)
        if "required_by" in spec:
            self.policy_check(where, "required_by", spec["required_by"], "bool", own=own)

    def form_checks(self) -> None:
        checks = self.definition.get("checks", [])
        if not isinstance(checks, list):
            raise ValueError(f"{self.source}: checks: a list of [[checks]] tables")
        for number, check in enumerate(checks, 1):
            where = f"check {number}"
            if not isinstance(check, dict) or check.get("kind") not in CHECK_KINDS:
                kind = check.get("kind") if isinstance(check, dict) else check
                self.fail(where, "kind", f"unknown kind {kind!r}; known: {', '.join(CHECK_KINDS)}")
            unknown = set(check) - CHECK_KINDS[check["kind"]]
            if unknown:
                self.fail(where, ", ".join(sorted(unknown)), "unknown key(s)")
            fields = check.get("fields")
            if not isinstance(fields, list) or len(fields) < 1:
                self.fail(where, "fields", "a list of field names")
            for name in fields:
                if name not in self.specs:
                    self.fail(where, "fields", f"unknown field {name!r}")
                if check["kind"] == "total_length" and self.specs[name]["type"] not in TEXT_TYPES:
                    self.fail(where, "fields", f"field {name!r} is no text field")
            self.text(where, "message", check.get("message"), optional=True)
            if check["kind"] == "total_length":
                if "min_length" not in check and "max_length" not in check:
                    self.fail(where, "max_length", "give min_length, max_length or both")
                self.whole(where, "min_length", check.get("min_length", 0), 0)
                if "max_length" in check:
                    self.whole(where, "max_length", check["max_length"], 1)
                    if check.get("min_length", 0) > check["max_length"]:
                        self.fail(where, "min_length", "exceeds max_length")

    def run(self) -> list[tuple[dict | None, dict]]:
        """Check everything; the (section, field spec) pairs in the form's order."""
        d = self.definition
        if not isinstance(d, dict):
            raise ValueError(f"{self.source}: a form definition is a table")
        unknown = set(d) - FORM_KEYS
        if unknown:
            self.fail(
                "",
                ", ".join(sorted(unknown)),
                f"unknown key(s); known: {', '.join(sorted(FORM_KEYS))}",
            )
        for key in ("key", "version", "title"):
            if key not in d:
                self.fail("", key, "missing")
        if not isinstance(d["key"], str) or not d["key"].isidentifier():
            self.fail("", "key", f"not a valid identifier: {d['key']!r}")
        self.whole("", "version", d["version"], 1)
        self.text("", "title", d["title"])
        self.text("", "intro", d.get("intro"), optional=True)
        rules = d.get("rules", [])
        if not isinstance(rules, list):
            self.fail("", "rules", "a list of rule IDs")
        if rules:
            self.rules("", {"rule": rules})
        if ("sections" in d) == ("fields" in d):
            self.fail("", "sections", "a form has [[sections]] or [[fields]], not both, not none")
        pairs: list[tuple[dict | None, dict]] = []
        sections = d.get("sections")
        if sections is not None:
            if not isinstance(sections, list) or not sections:
                self.fail("", "sections", "a non-empty list of [[sections]]")
            section_names = set()
            for section in sections:
                if not isinstance(section, dict):
                    self.fail("", "sections", "each section is a table")
                sname = self.name("a section", section)
                where = f"section {sname!r}"
                if sname in section_names:
                    self.fail(where, "name", "declared twice")
                section_names.add(sname)
                unknown = set(section) - SECTION_KEYS
                if unknown:
                    self.fail(
                        where,
                        ", ".join(sorted(unknown)),
                        f"unknown key(s); known: {', '.join(sorted(SECTION_KEYS))}",
                    )
                self.text(where, "title", section.get("title"))
                self.text(where, "help", section.get("help"), optional=True)
                self.rules(where, section)
                fields = section.get("fields")
                if not isinstance(fields, list) or not fields:
                    self.fail(where, "fields", "a non-empty list of [[sections.fields]]")
                pairs += [(section, spec) for spec in fields]
        else:
            fields = d["fields"]
            if not isinstance(fields, list) or not fields:
                self.fail("", "fields", "a non-empty list of [[fields]]")
            pairs = [(None, spec) for spec in fields]
        for section, spec in pairs:
            name = self.field_shape(spec)
            if name in self.specs:
                self.fail(f"field {name!r}", "name", "declared twice")
            if name in RESERVED_NAMES:
                self.fail(f"field {name!r}", "name", "reserved (an attribute of the form)")
            self.specs[name] = spec
            self.section_of[name] = section
        headings = {heading_name(s["name"]) for s in sections or ()}
        clash = headings & set(self.specs)
        if clash:
            self.fail(f"field {sorted(clash)[0]!r}", "name", "clashes with a section's heading")
        for _section, spec in pairs:
            self.field(spec)
        for section in sections or ():
            self.conditions(f"section {section['name']!r}", section)
        self.form_checks()
        return pairs


def heading_name(section_name: str) -> str:
    """The name of the heading pseudo-field of section ``section_name``."""
    return f"{section_name}_heading"


def check_definition(definition: dict, source: str) -> list[tuple[dict | None, dict]]:
    """Check ``definition``; return its (section or None, field spec) pairs in order."""
    return _Checker(source, definition).run()


__all__ = [
    "FIELD_TYPES",
    "LANGUAGES",
    "Text",
    "check_definition",
    "heading_name",
    "rules_of",
]
