"""Hostile input never reaches a 5xx: generated values in every form field and every query
parameter of the sample host and appgov, as the roles that see them, on both databases.

The forms and query parameters are found by crawling (``walk.Walker.walk(submit=False)``) as
every demo role; each distinct form (method, endpoint, field names) and each distinct query
pattern is then fuzzed with hypothesis as the first, least privileged role that saw it. The
values: any Unicode text (no surrogates: they cannot be sent), control characters, NUL,
bidi overrides, huge strings, numbers as text (NaN, sNaN, infinities, 400 digits, negative,
exponents), ROC and ISO dates in and out of range, nested brackets (``"[" * 100000``), JSON,
markup, the field's own value, one of its options, or nothing at all.

Bounded for CI: a few examples per target (``EXAMPLES``), no shrinking, derandomised (the
same examples on every run), no example database. On PostgreSQL only the sweep runs: what
that run adds is the database's own refusals (NUL in text, numbers out of range, values too
long for their column), and the sweep sends each of those into every field; the generated
examples try the pages' parsing, which does not depend on the database (the SQLite run).
Forms that end the session (log-out) are left out; forms that destroy (Flask-Admin delete
and bulk actions, workflow transitions) run last and never get the row's own id, so the
fuzz keeps its demo data.
Every answer of 500 or more is collected with the values that caused it; the test fails
listing them all.
"""

from __future__ import annotations

import contextlib
import io
import re
import traceback
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from walk import ANONYMOUS, ROLES, Walker, make_demo_app, open_draft_copies
from werkzeug.datastructures import MultiDict

from sample_host.extensions import db

#: Generated examples per form or query pattern (each one request), after the sweep (SQLite).
EXAMPLES = 3
#: The sweep: each of these in every field at once, for every target (one request each).
SWEEP = (
    "a\x00b",
    "\x1b[31m\x07",
    "sNaN",
    "-Infinity",
    "9" * 400,
    "-1",
    "[" * 100_000,
    "x" * 100_001,
    "10000-01-01",
    "\u202e🙂𠀀",
)
#: Never submitted: it ends the session the rest of the fuzz needs.
NEVER = re.compile(r"^/logout\b")
#: Submitted last, never with the row's own id: these change or delete what they name.
DESTRUCTIVE = re.compile(r"/(?:transition|withdraw|cancel|revoke|archive|delete)\b|/action/")
#: Fields whose page value names a record: a destructive form gets only generated values.
ID_FIELDS = re.compile(r"^(?:id|rowid|url|next)$")

NASTY = [
    "",
    " ",
    "0",
    "-1",
    "-0",
    "1e309",
    "-1e309",
    "1E-400",
    "NaN",
    "nan",
    "sNaN",
    "-sNaN",
    "inf",
    "-Infinity",
    "9" * 400,
    "0x1F",
    "1_000",
    "1,000",
    "１２３",
    "٣",
    "115/02/30",
    "115/13/01",
    "31/02/2026",
    "2026-02-30",
    "0000-00-00",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "-2026-01-01",
    "民國115年1月1日",
    "1912",
    "9998",
    "[" * 100_000,
    "{" * 10_000,
    "[[[[[[[[]]]]]]]]",
    '{"a": [1, {"b": null}], "c": "\\u0000"}',
    "[1, 2, NaN]",
    "\x00",
    "a\x00b",
    "\x1b[31m\x07\x08",
    "\r\n\r\n",
    "\t",
    "\u202eevil",
    "\ufeff",
    "\u200b",
    "𠀀𪚥",
    "🙂" * 50,
    "<script>alert(1)</script>",
    "' OR '1'='1' --",
    "%s%n%(x)s{0}{}",
    "{{7*7}}",
    "../../etc/passwd",
    "//evil.example/",
    "javascript:alert(1)",
    "x" * 100_001,
    "None",
    "null",
    "true",
    "on",
]

VALUES = st.one_of(
    st.sampled_from(NASTY),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=40),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats().map(str),
    st.decimals().map(str),
    st.dates().map(lambda d: f"{d.year - 1911}/{d.month:02d}/{d.day:02d}"),
    st.dates().map(lambda d: d.isoformat()),
    st.lists(st.sampled_from(["[", "]", "{", "}", ",", '"', ":", "1"]), max_size=60).map("".join),
)


@dataclass
class Target:
    """One form or query pattern, as one role."""

    role: str
    method: str  # "get" or "post"
    action: str  # path + query the fields are sent to
    fields: list[tuple[str, str, tuple[str, ...]]]  # (name, page value, options)
    destructive: bool
    label: str

    def strategy(self):
        parts = []
        for name, value, options in self.fields:
            keep = not (self.destructive and ID_FIELDS.match(name))
            choices = [st.none(), st.sampled_from(NASTY), VALUES]
            if keep:
                choices.append(st.just(value))
                if options:
                    choices.append(st.sampled_from(options))
            parts.append(st.tuples(st.just(name), st.one_of(*choices)))
        return st.tuples(*parts)


def _targets(app, locale: str) -> list[Target]:
    """Every distinct POST form (method, endpoint, field names) and, per endpoint, every
    query parameter (GET forms' fields and the links' own parameters merged), as the first
    role (least privileged first) that meets it; destructive ones last."""
    walker = Walker(app)
    targets: dict[tuple, Target] = {}

    def add_query(role, path, endpoint, fields):
        key = ("get", endpoint)
        if key not in targets:
            targets[key] = Target(role, "get", path, [], bool(DESTRUCTIVE.search(path)), "")
        target = targets[key]
        known = {name for name, _, _ in target.fields}
        target.fields += [f for f in fields if f[0] not in known and not known.add(f[0])]
        names = ", ".join(dict.fromkeys(name for name, _, _ in target.fields))
        target.label = f"GET {target.action}?[{names}]"

    for role in (ANONYMOUS, *ROLES):
        result = walker.walk(role, locale, submit=False)
        for action, form in result.forms:
            path = urlsplit(action).path
            if NEVER.search(path):
                continue
            endpoint, _ = walker.endpoint_pattern(action)
            fields = [(f.name, f.value, tuple(f.options)) for f in form.fields]
            if form.method != "post":
                pairs = parse_qsl(urlsplit(action).query, keep_blank_values=True)
                add_query(role, path, endpoint, fields + [(n, v, ()) for n, v in pairs])
                continue
            if form.submit and form.submit[0]:  # the button says which action (a transition)
                fields.append((form.submit[0], form.submit[1], (form.submit[1],)))
            names = tuple(name for name, _, _ in fields)
            destructive = bool(DESTRUCTIVE.search(path))
            # a workflow step is a different step for each role that may take it
            key = ("post", endpoint, names, role if destructive else None)
            if key not in targets:
                targets[key] = Target(
                    role,
                    "post",
                    action,
                    fields,
                    destructive,
                    f"POST {path} [{', '.join(dict.fromkeys(names))}]",
                )
        for method, url, status in result.pages:
            if method != "GET" or "?" not in url or status >= 400:
                continue
            path, query = url.split("?", 1)
            pairs = parse_qsl(query, keep_blank_values=True)
            add_query(role, path, walker.endpoint_pattern(url)[0], [(n, v, ()) for n, v in pairs])
    return sorted(targets.values(), key=lambda t: t.destructive)


def _send(client, target: Target, values) -> tuple[int, str]:
    """(status, what went wrong) of one submission; an exception the app let through
    (TESTING propagates them) counts as a 500."""
    pairs = [(name, value) for name, value in values if value is not None]
    try:
        if target.method == "post":
            response = client.post(target.action, data=MultiDict(pairs))
        else:
            base, _, query = target.action.partition("?")
            query = urlencode(parse_qsl(query, keep_blank_values=True) + pairs)
            response = client.get(base + ("?" + query if query else ""))
    except Exception as exc:
        where = traceback.extract_tb(exc.__traceback__)[-1]
        return (
            500,
            f"{type(exc).__name__}: {str(exc)[:200]} ({Path(where.filename).name}:{where.lineno})",
        )
    if response.status_code >= 500:
        return response.status_code, response.get_data(as_text=True)[:200]
    return response.status_code, ""


class ServerError(AssertionError):
    pass


def _fuzz(client, target: Target, failures: list[str], examples: int = EXAMPLES) -> int:
    """Run the sweep and ``examples`` generated examples for ``target``; returns how many
    requests were sent."""
    sent = []

    @settings(
        max_examples=max(examples, 1),  # run() is not called without examples
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(target.strategy())
    def run(values):
        status, detail = _send(client, target, values)
        sent.append(status)
        if status >= 500:
            shown = {
                name: (value[:60] + "…" if len(value) > 60 else value)
                for name, value in values
                if value is not None
            }
            raise ServerError(
                f"{target.label} as {target.role}: HTTP {status} {detail} with {shown!r}"
            )

    for nasty in SWEEP:
        values = [(name, nasty) for name, _value, _options in target.fields]
        status, detail = _send(client, target, values)
        sent.append(status)
        if status >= 500:
            failures.append(
                f"{target.label} as {target.role}: HTTP {status} {detail} with "
                f"{nasty[:60]!r} in every field"
            )
            return len(sent)
    if not examples:
        return len(sent)
    try:
        run()
    except ServerError as exc:
        failures.append(str(exc).splitlines()[0])
    return len(sent)


def _login(app, role: str, locale: str):
    client = app.test_client()
    client.post(f"/locale/{locale}")
    client.get(f"/locale/{locale}")
    if role != ANONYMOUS:
        response = client.post("/login", data={"username": role, "password": f"demo-{role}"})
        assert response.status_code == 302, f"{role} could not log in"
    return client


def test_no_generated_input_reaches_a_5xx(database_url, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    on_postgresql = database_url.startswith("postgresql")
    locale = "zh_Hant_TW" if on_postgresql else "en"
    with contextlib.redirect_stdout(io.StringIO()):  # the demo logins
        app = make_demo_app(database_url, str(tmp_path / "instance"))
    try:
        assert open_draft_copies(app) >= 1  # cases being written: their edit forms
        targets = _targets(app, locale)
        labels = {re.split(r"\?? \[|\?\[", t.label)[0] for t in targets}
        # the crawl found the forms that matter, so the fuzz cannot pass by finding nothing
        for expected in (
            "POST /login",
            "POST /cases/new/appgov_app_proposal",
            "GET /cases",
            "POST /appgov/kpi",
            "POST /admin/host_user/new/",
            "POST /admin/appgov_app/new/",
            "POST /admin/appgov_calendar_override/new/",
        ):
            assert expected in labels, sorted(labels)
        assert any(label.startswith("POST /admin/appgov_parameters/") for label in labels)
        assert any(t.label.startswith("GET /admin/") and "search" in t.label for t in targets)
        failures: list[str] = []
        clients: dict[str, object] = {}
        requests = 0
        for target in targets:
            if target.role not in clients:
                clients[target.role] = _login(app, target.role, locale)
            examples = 0 if on_postgresql else EXAMPLES  # the sweep only (module docstring)
            requests += _fuzz(clients[target.role], target, failures, examples)
        with capsys.disabled():
            print(f"\nfuzzed {len(targets)} forms and query patterns, {requests} requests:")
            for target in targets:
                print(f"  {target.label} as {target.role}")
    finally:
        with app.app_context():
            db.engine.dispose()
    assert not failures, "\n".join(failures)
