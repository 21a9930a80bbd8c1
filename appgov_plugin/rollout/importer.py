"""Bulk import of the roll-out registry: agencies, people and system scope (issue 12, §1).

A city has about 1,000 agencies and schools and tens of thousands of staff; the IT
department keeps them in a spreadsheet. :func:`import_file` reads one file
(:func:`appgov_plugin.imports.read_table`: CSV in UTF-8, UTF-16 or Big5, XLSX, ODS) of one
``kind`` (``agencies``, ``people`` or ``scope``; the columns of :data:`COLUMNS`, Chinese or
English headers, docs/rollout_import.md) and answers a :class:`Report`:

* every rejected row is in the report with its row number, column and reason (in the
  reader's language), and every unknown column -- a dry run stores nothing and lists them
  all, not only the first;
* the import itself is all-or-nothing: one transaction, and any rejected row means nothing
  is written;
* importing again updates the rows of the codes (employee ids, system and agency pairs)
  the registry has already, never duplicates them; rows that did not change are left alone.
  Rows the registry has and the file does not are kept (an import never deletes).

The number of SQL statements does not grow with the rows: the registry's codes are read
into dictionaries with one query per table, and the new and changed rows are written with
one ``executemany`` each (``tests/test_rollout_import.py`` counts them;
``benchmarks/rollout_import.py`` times 1,000 agencies and 20,000 people).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ..access import host_agencies
from ..db import utcnow
from ..i18n import _, _l, parse_date
from ..import_columns import (
    Column,
    Report,
    RowProblem,
    RowReader,
    as_text,
    column,
    match_columns,
    normalise_label,
)
from ..imports import ImportedTable, ImportRefused, read_table
from ..state import get_state
from .models import AGENCY_KINDS, LIMITS, MajorSystem, RolloutAgency, RolloutPerson, SystemScope

#: What a file holds.
KINDS = {
    "agencies": _l("Agencies"),
    "people": _l("People"),
    "scope": _l("System scope"),
}
#: The longest username kept (RolloutPerson.username).
USERNAME_LIMIT = 80
#: The longest city key kept (RolloutAgency.city).
CITY_LIMIT = 40


#: The accepted columns of each kind. docs/rollout_import.md says the same.
COLUMNS: dict[str, tuple[Column, ...]] = {
    "agencies": (
        column("code", "code", "agency code", "機關代碼", "代碼", required=True),
        column("name_zh", "name_zh", "name", "chinese name", "名稱", "機關名稱", "中文名稱"),
        column("name_en", "name_en", "english name", "英文名稱"),
        column("kind", "kind", "type", "agency kind", "機關類型", "類型", "類別", required=True),
        column("parent_code", "parent code", "parent", "上級機關代碼", "上級機關"),
        column("headcount", "headcount", "staff", "員額", "人數", "員工人數", required=True),
        column(
            "headcount_on",
            "counted on",
            "counted date",
            "headcount date",
            "headcount_on",
            "員額日期",
            "人數計算日期",
            "計算日期",
            required=True,
        ),
        column("city", "city", "縣市", "城市"),
    ),
    "people": (
        column("employee_id", "employee id", "employee_id", "員工編號", "人員編號", required=True),
        column("name", "name", "姓名", required=True),
        column("agency_code", "agency code", "agency", "機關代碼", "機關", required=True),
        column("title", "title", "職稱"),
        column("email", "e-mail", "email", "電子郵件", "電子郵件信箱", "email address"),
        column("username", "username", "account", "帳號", "登入帳號"),
        column("unit_head", "unit head", "unit_head", "單位主管", "一級單位主管以上"),
    ),
    "scope": (
        column("system_code", "system code", "system", "系統代碼", "系統", required=True),
        column("agency_code", "agency code", "agency", "機關代碼", "機關", required=True),
    ),
}

#: Kinds of agency as a file may write them (the key, its English and Chinese names).
KIND_NAMES: dict[str, str] = {
    **{key: key for key in AGENCY_KINDS},
    "level-1 agency": "level1",
    "level 1": "level1",
    "一級機關": "level1",
    "level-2 agency": "level2",
    "level 2": "level2",
    "二級機關": "level2",
    "municipal enterprise": "enterprise",
    "市營事業": "enterprise",
    "事業機構": "enterprise",
    "公營事業": "enterprise",
    "district office": "district",
    "區公所": "district",
    "school": "school",
    "學校": "school",
}
#: Yes and no as a file may write them (unit head).
YES = frozenset({"yes", "y", "true", "1", "是", "v", "✓", "x"})
NO = frozenset({"no", "n", "false", "0", "否", "-"})
#: An e-mail address's shape: something@domain.tld, no blanks, one @.
EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")


def as_kind(value: Any) -> str:
    key = KIND_NAMES.get(normalise_label(value))
    if key is None:
        raise RowProblem(
            _(
                "“%(value)s” is not a kind of agency. Write one of: %(kinds)s.",
                value=value,
                kinds=_(", ").join(f"{key} ({label})" for key, label in AGENCY_KINDS.items()),
            )
        )
    return key


def as_headcount(value: Any) -> int:
    """A headcount: a whole number, 0 or more (``1,234`` is read as 1234)."""
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, Decimal):
        number = int(value) if value == value.to_integral_value() else None
    else:
        text = str(value).strip().replace(",", "")
        sign, digits = (text[0], text[1:]) if text[:1] in "+-" else ("", text)
        whole = digits.isascii() and digits.isdigit() and len(digits) < 10
        number = (-1 if sign == "-" else 1) * int(digits) if whole else None
    if number is None:
        raise RowProblem(_("“%(value)s” is not a whole number of staff.", value=value))
    if number < 0:
        raise RowProblem(_("The headcount cannot be negative (%(value)s).", value=value))
    if number > 2**31 - 1:
        raise RowProblem(_("“%(value)s” is not a whole number of staff.", value=value))
    return number


def as_date(value: Any) -> dt.date:
    """A date: ROC ``115/11/22``, ISO ``2026-11-22`` or a spreadsheet's date cell."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return parse_date(str(value))
    except ValueError as exc:
        raise RowProblem(str(exc)) from None


def as_yes_no(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = normalise_label(value)
    if text in YES:
        return True
    if text in NO:
        return False
    raise RowProblem(
        _("“%(value)s” is neither yes nor no. Write yes or no (Y or N, 1 or 0).", value=value)
    )


def as_email(value: Any) -> str:
    text = as_text(value, LIMITS["email"])
    if not EMAIL.fullmatch(text):
        raise RowProblem(_("“%(value)s” is not an e-mail address.", value=text))
    return text


# -- the registry as dictionaries (one query per table) ----------------------------------------

AGENCY_FIELDS = ("name_zh", "name_en", "kind", "parent_code", "headcount", "headcount_on", "city")
PERSON_FIELDS = ("name", "agency_code", "title", "email", "username", "unit_head")


def _host_codes() -> set[str]:
    return {agency.code for agency in host_agencies() or ()}


def _existing(session, model, key: str, fields: Sequence[str]) -> dict[str, dict]:
    columns = [model.id, getattr(model, key), *(getattr(model, name) for name in fields)]
    return {
        row[1]: {"id": row[0], **dict(zip(fields, row[2:], strict=True))}
        for row in session.execute(sa.select(*columns))
    }


# -- the three kinds ---------------------------------------------------------------------------


def _agencies(session, table, mapped, report) -> tuple[list[dict], list[dict]]:
    columns = COLUMNS["agencies"]
    existing = _existing(session, RolloutAgency, "code", AGENCY_FIELDS)
    host = _host_codes()
    first_row: dict[str, int] = {}
    rows: list[tuple[Any, RowReader, dict]] = []
    for row in table:
        cells = RowReader(row, mapped, report, columns)
        code = cells.text("code", LIMITS["code"], required=True)
        values = {
            "name_zh": cells.text("name_zh", LIMITS["name"]),
            "name_en": cells.text("name_en", LIMITS["name"]),
            "kind": cells.get("kind", as_kind, required=True),
            "parent_code": cells.text("parent_code", LIMITS["code"]),
            "headcount": cells.get("headcount", as_headcount, required=True),
            "headcount_on": cells.get("headcount_on", as_date, required=True),
            "city": cells.text("city", CITY_LIMIT),
        }
        if code is not None:
            if code in first_row:
                cells.fail(
                    "code",
                    _(
                        "The code %(code)s is in row %(row)s already: each agency once.",
                        code=code,
                        row=first_row[code],
                    ),
                )
            else:
                first_row[code] = row.number
        rows.append((row, cells, values | {"code": code}))
    codes = set(first_row) | set(existing)
    # the parents after the import: the registry's, as the file changes them
    parents = {code: old["parent_code"] for code, old in existing.items() if old["parent_code"]}
    for row, _cells, values in rows:
        code, parent = values["code"], values["parent_code"]
        if parent is not None and code is not None and first_row[code] == row.number:
            parents[code] = parent
    inserts, updates = [], []
    for row, cells, values in rows:
        code, parent = values["code"], values["parent_code"]
        if parent is not None:
            if parent == code:
                cells.fail("parent_code", _("An agency cannot be its own parent agency."))
            elif parent not in codes:
                cells.fail(
                    "parent_code",
                    _(
                        "The parent agency %(code)s is neither in the file nor in the registry.",
                        code=parent,
                    ),
                )
            elif first_row.get(code) == row.number and (loop := _loop(parents, code)):
                cells.fail(
                    "parent_code",
                    _(
                        "The parent agencies go round in a circle: %(loop)s.",
                        loop=" → ".join(loop),
                    ),
                )
        old = existing.get(code) if code else None
        if code and code not in host and not values["name_zh"] and not (old and old["name_zh"]):
            cells.fail(
                "name_zh",
                _("The host does not know the agency %(code)s: give its name.", code=code),
            )
        if cells.bad:
            continue
        if code not in host and not values["city"] and not (old and old["city"]):
            # the city's IT department sees the agencies of its city only (access rule)
            report.warn(
                cells.row.number,
                cells.label("city"),
                _(
                    "No city for %(code)s, which the host does not know: only the "
                    "administrator sees it until it has one.",
                    code=code,
                ),
            )
        _plan(values, old, AGENCY_FIELDS, inserts, updates, report)
    return inserts, updates


def _loop(parents: dict[str, str], code: str) -> list[str] | None:
    """The codes from ``code`` up its parents back to ``code``, when they lead back to it."""
    seen, current = [code], parents.get(code)
    while current is not None and current not in seen and len(seen) <= len(parents):
        seen.append(current)
        current = parents.get(current)
    return [*seen, code] if current == code else None


def _plan(values, old, fields, inserts, updates, report) -> None:
    """The row as a new one, a change of ``old``, or nothing (unchanged). Empty optional
    cells of a known row keep what it had: a file without a column changes nothing of it."""
    if old is None:
        inserts.append(values)
        report.new += 1
        return
    merged = {name: old[name] if values.get(name) is None else values[name] for name in fields}
    if any(merged[name] != old[name] for name in fields):
        # every field written (the unchanged ones as they were): one UPDATE for all rows
        updates.append({"id": old["id"], **merged})
        report.updated += 1
    else:
        report.unchanged += 1


def _people(session, table, mapped, report) -> tuple[list[dict], list[dict]]:
    columns = COLUMNS["people"]
    existing = _existing(session, RolloutPerson, "employee_id", PERSON_FIELDS)
    agencies = {code for (code,) in session.execute(sa.select(RolloutAgency.code))}
    agencies |= _host_codes()
    first_row: dict[str, int] = {}
    rows: list[tuple[Any, RowReader, dict]] = []
    for row in table:
        cells = RowReader(row, mapped, report, columns)
        employee = cells.text("employee_id", LIMITS["employee_id"], required=True)
        values = {
            "employee_id": employee,
            "name": cells.text("name", LIMITS["name"], required=True),
            "agency_code": cells.text("agency_code", LIMITS["code"], required=True),
            "title": cells.text("title", LIMITS["title"]),
            "email": cells.get("email", as_email),
            "username": cells.text("username", USERNAME_LIMIT),
            "unit_head": cells.get("unit_head", as_yes_no),
        }
        if employee is not None:
            if employee in first_row:
                cells.fail(
                    "employee_id",
                    _(
                        "The employee id %(id)s is in row %(row)s already: each person once.",
                        id=employee,
                        row=first_row[employee],
                    ),
                )
            else:
                first_row[employee] = row.number
        agency = values["agency_code"]
        if agency is not None and agency not in agencies:
            cells.fail(
                "agency_code",
                _(
                    "The agency %(code)s is not in the registry: import the agencies first.",
                    code=agency,
                ),
            )
        rows.append((row, cells, values))
    # a username links one person to the host's user: after the import, each is one person's
    holder = {old["username"]: emp for emp, old in existing.items() if old["username"]}
    for _row, _cells, values in rows:  # the file's usernames replace the registry's
        employee, username = values["employee_id"], values["username"]
        old = existing.get(employee)
        if username and old and old["username"] and holder.get(old["username"]) == employee:
            del holder[old["username"]]
    given: dict[str, tuple[int, str]] = {}
    inserts, updates = [], []
    for row, cells, values in rows:
        employee, username = values["employee_id"], values["username"]
        if username is not None and employee is not None:
            if username in given and given[username][1] != employee:
                cells.fail(
                    "username",
                    _(
                        "The username %(name)s is given to row %(row)s already.",
                        name=username,
                        row=given[username][0],
                    ),
                )
            elif holder.get(username, employee) != employee:
                cells.fail(
                    "username",
                    _(
                        "The username %(name)s belongs to the employee %(id)s already.",
                        name=username,
                        id=holder[username],
                    ),
                )
            given.setdefault(username, (row.number, employee))
        if cells.bad:
            continue
        old = existing.get(employee)
        if old is None and values["unit_head"] is None:
            values["unit_head"] = False
        _plan(values, old, PERSON_FIELDS, inserts, updates, report)
    return inserts, updates


def _scope(session, table, mapped, report) -> tuple[list[dict], list[dict]]:
    columns = COLUMNS["scope"]
    systems = {
        code: id_ for id_, code in session.execute(sa.select(MajorSystem.id, MajorSystem.code))
    }
    agencies = {code for (code,) in session.execute(sa.select(RolloutAgency.code))}
    agencies |= _host_codes()
    existing = set(session.execute(sa.select(SystemScope.system_id, SystemScope.agency_code)))
    first_row: dict[tuple[str, str], int] = {}
    inserts: list[dict] = []
    for row in table:
        cells = RowReader(row, mapped, report, columns)
        system = cells.text("system_code", LIMITS["code"], required=True)
        agency = cells.text("agency_code", LIMITS["code"], required=True)
        if system is not None and system not in systems:
            cells.fail("system_code", _("The system %(code)s is not in the registry.", code=system))
        if agency is not None and agency not in agencies:
            cells.fail(
                "agency_code",
                _(
                    "The agency %(code)s is not in the registry: import the agencies first.",
                    code=agency,
                ),
            )
        if system is not None and agency is not None:
            if (system, agency) in first_row:
                cells.fail(
                    "agency_code",
                    _(
                        "The system %(system)s and agency %(code)s are in row %(row)s already.",
                        system=system,
                        code=agency,
                        row=first_row[(system, agency)],
                    ),
                )
            else:
                first_row[(system, agency)] = row.number
        if cells.bad:
            continue
        if (systems[system], agency) in existing:
            report.unchanged += 1  # in scope already; an exclusion it has is kept
            continue
        inserts.append({"system_id": systems[system], "agency_code": agency})
        report.new += 1
    return inserts, []


_PLANNERS = {"agencies": _agencies, "people": _people, "scope": _scope}
_MODELS = {"agencies": RolloutAgency, "people": RolloutPerson, "scope": SystemScope}


def _write(session, model, inserts: list[dict], updates: list[dict]) -> None:
    """Bulk writes: one executemany for the new rows and one for the changed ones (no
    per-row statement, no RETURNING)."""
    now = utcnow()
    stamped = hasattr(model, "updated_at")
    table = model.__table__
    if inserts:
        if stamped:
            inserts = [{**row, "created_at": now, "updated_at": now} for row in inserts]
        session.execute(sa.insert(table), inserts)
    if not updates:
        return
    # rows of one kind change the same columns (_plan): one UPDATE, an executemany
    groups: dict[tuple[str, ...], list[dict]] = {}
    for row in updates:
        groups.setdefault(tuple(sorted(k for k in row if k != "id")), []).append(row)
    for names, rows in groups.items():
        values = {name: sa.bindparam(f"v_{name}") for name in names}
        if stamped:
            values["updated_at"] = sa.bindparam("v_updated_at")
        statement = sa.update(table).where(table.c.id == sa.bindparam("k_id")).values(values)
        params = [
            {"k_id": row["id"], **{f"v_{name}": row[name] for name in names}}
            | ({"v_updated_at": now} if stamped else {})
            for row in rows
        ]
        session.execute(statement, params)


def import_table(
    kind: str, table: ImportedTable, *, dry_run: bool, filename: str = "", commit: bool = True
) -> Report:
    """Check ``table`` as a file of ``kind`` and, unless ``dry_run`` or a row is rejected,
    write it in one transaction (committed unless ``commit`` is false)."""
    if kind not in COLUMNS:
        raise ValueError(f"unknown import kind {kind!r}; one of {', '.join(COLUMNS)}")
    report = Report(kind, dry_run, filename, table.format, table.encoding, len(table.rows))
    mapped = match_columns(
        table,
        COLUMNS[kind],
        report,
        _("Unknown column: not imported (docs/rollout_import.md lists the columns)."),
    )
    session = get_state().session
    if not report.ok:
        session.rollback()
        return report
    if not table.rows:
        report.error(None, None, _("The file has a header but no rows."))
        return report
    inserts, updates = _PLANNERS[kind](session, table, mapped, report)
    if dry_run or not report.ok:
        session.rollback()
        if not report.ok:
            report.new = report.updated = report.unchanged = 0
        return report
    try:
        _write(session, _MODELS[kind], inserts, updates)
        if commit:
            session.commit()
        else:
            session.flush()
    except IntegrityError:
        # another import of the same codes in between: nothing of this one is kept
        session.rollback()
        report.new = report.updated = report.unchanged = 0
        report.error(
            None,
            None,
            _("Someone changed the registry during the import: nothing was stored, import again."),
        )
        return report
    except Exception:
        session.rollback()
        raise
    report.stored = bool(inserts or updates)
    return report


def import_file(
    kind: str,
    data: bytes,
    filename: str,
    *,
    dry_run: bool,
    max_rows: int | None = None,
    max_bytes: int | None = None,
    commit: bool = True,
) -> Report:
    """Read ``data`` (the file named ``filename``: .csv, .xlsx or .ods) as ``kind`` and
    import it (:func:`import_table`). A file that cannot be read at all is a report with
    one error for the file."""
    try:
        table = read_table(data, filename, max_rows=max_rows, max_bytes=max_bytes)
    except ImportRefused as refused:
        report = Report(kind, dry_run, filename)
        report.error(None, None, str(refused))
        return report
    return import_table(kind, table, dry_run=dry_run, filename=filename, commit=commit)


def accepted_columns(kind: str) -> list[tuple[str, bool]]:
    """(the header names accepted, required) of each column of ``kind``, for the page."""
    return [(" / ".join(column.names), column.required) for column in COLUMNS[kind]]
