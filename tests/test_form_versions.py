"""Versioned form definitions (issue 9): the shipped files are version 1 of each form, an
administrator's publish stores the next version with who, when and why, an invalid one is
refused with the engine's message and nothing written, history is append-only in the
database, two publishes at the same moment get distinct versions, and built forms are
cached per version across requests while a new version (from any process) is in force from
the next request. Every test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import tomllib
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask import request

from appgov_plugin.forms import store
from appgov_plugin.forms.cli import forms_group
from appgov_plugin.forms.store import FormVersion

KEY = "app_proposal"


def en_title(title) -> str:
    """The English title of a definition (a TOML table, or the engine's ``Text``)."""
    if isinstance(title, dict):
        return title["en"]
    return title.texts["en"] if hasattr(title, "texts") else title


def revised(text: str, suffix: str = " (revised)") -> str:
    """``text`` with its English title changed (a real change of the definition)."""
    title = en_title(tomllib.loads(text)["title"])
    assert f'"{title}"' in text
    return text.replace(f'"{title}"', f'"{title}{suffix}"', 1)


def rows(engine) -> list:
    with engine.connect() as conn:
        return conn.execute(
            sa.select(FormVersion.__table__).order_by(FormVersion.key, FormVersion.version)
        ).all()


@contextmanager
def counting(engine):
    """The SQL statements sent to ``engine`` inside the block."""
    statements: list[str] = []

    def listen(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", listen)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", listen)


@pytest.fixture
def ctx(appgov_context):
    app, db, state = appgov_context
    return app, db.engine


# -- shipped files: version 1, recorded on first use ---------------------------------------


def test_each_shipped_file_is_its_forms_first_version(ctx):
    app, engine = ctx
    assert rows(engine) == []  # the migration records nothing: first use does
    shipped = store.shipped_files()
    assert KEY in shipped
    assert store.keys() == sorted(shipped)
    for key, item in shipped.items():
        (info,) = store.history(key)
        assert (info.version, info.created_by, info.reason) == (item.version, "appgov", "shipped")
        assert info.shipped and info.sha256 == item.sha256
        assert store.text_of(key) == item.text
        assert store.live(key).version == item.version
    # recorded once: a second process (a second record_shipped) adds nothing
    before = len(rows(engine))
    assert store.record_shipped(engine) == []
    assert len(rows(engine)) == before


def test_the_shipped_definition_is_the_engines_own(ctx):
    from appgov_plugin.forms import builder

    assert store.live(KEY) is builder.load(KEY)  # one set of form classes for both


def test_a_shipped_file_whose_version_is_stored_with_other_content_is_refused(ctx, caplog):
    app, engine = ctx
    item = store.shipped_files()[KEY]
    other = revised(item.text, " (typed in the database)")
    with engine.begin() as conn:
        store._insert(conn, KEY, item.version, other, "someone", "stored before")
    with caplog.at_level(logging.ERROR, logger="appgov_plugin.forms.store"):
        refused = store.conflicts()
    assert len(refused) == 1 and f"forms/{KEY}.toml" in refused[0]
    assert f"version {item.version} is already stored with other content" in refused[0]
    assert any("already stored with other content" in r.getMessage() for r in caplog.records)
    # the stored version stays in force; the shipped file replaced nothing
    assert store.text_of(KEY) == other
    assert [r.created_by for r in rows(engine) if r.key == KEY] == ["someone"]


# -- publish --------------------------------------------------------------------------------


def test_publish_stores_the_next_version_with_who_when_and_why(ctx):
    app, engine = ctx
    first = store.live(KEY)
    text = store.with_version(revised(store.text_of(KEY)), 99)  # the typed version is ignored
    definition = store.publish(KEY, text, "admin", "  title names the revision  ")
    assert definition.version == first.version + 1
    assert "(revised)" in en_title(definition.title)
    live = store.live(KEY)
    assert live is definition and live.version == first.version + 1
    newest, shipped = store.history(KEY)
    assert (newest.version, newest.created_by, newest.reason) == (
        first.version + 1,
        "admin",
        "title names the revision",
    )
    assert newest.created_at.tzinfo is not None
    assert newest.created_at.astimezone(dt.UTC).date() == dt.datetime.now(dt.UTC).date()
    assert shipped.shipped and shipped.version == first.version
    stored = store.text_of(KEY, first.version + 1)
    assert f"version = {first.version + 1}" in stored and "version = 99" not in stored
    assert store.get(KEY, first.version) is first  # older versions stay readable
    assert store.verify() is None  # hash chain intact


def test_an_invalid_definition_is_refused_with_the_engines_message_and_nothing_written(ctx):
    app, engine = ctx
    live = store.live(KEY)
    before = rows(engine)
    text = store.text_of(KEY)
    broken = {
        "not TOML": text + "\n[[[",
        "unknown type": text.replace('type = "string"', 'type = "picture"', 1),
        "other key": text.replace(f'key = "{KEY}"', 'key = "something_else"', 1),
    }
    for what, typed in broken.items():
        with pytest.raises(ValueError) as refused:
            store.publish(KEY, typed, "admin", "a reason")
        assert f"forms/{KEY}.toml" in str(refused.value), what
    with pytest.raises(ValueError, match="picture"):
        store.publish(KEY, broken["unknown type"], "admin", "a reason")
    with pytest.raises(ValueError, match="reason"):
        store.publish(KEY, revised(text), "admin", "   ")
    with pytest.raises(ValueError, match="no change"):
        store.publish(KEY, text, "admin", "the same again")
    with pytest.raises(LookupError):
        store.publish("no_such_form", text, "admin", "a reason")
    assert rows(engine) == before
    assert store.live(KEY) is live


# -- append-only ----------------------------------------------------------------------------


def test_the_database_refuses_to_change_or_remove_a_version(ctx, database_url):
    app, engine = ctx
    store.keys()
    statements = [
        "UPDATE appgov_form_version SET reason = 'rewritten'",
        "UPDATE appgov_form_version SET definition = 'x'",
        "DELETE FROM appgov_form_version",
    ]
    if database_url.startswith("postgresql"):
        statements.append("TRUNCATE appgov_form_version")
    for statement in statements:
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(sa.text(statement))
    assert len(rows(engine)) == len(store.shipped_files())


def test_the_orm_refuses_to_change_or_remove_a_version(appgov_context):
    app, db, state = appgov_context
    store.keys()
    version = db.session.scalar(sa.select(FormVersion).where(FormVersion.key == KEY))
    version.reason = "rewritten"
    with pytest.raises(store.AppendOnlyError):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(store.AppendOnlyError):
        db.session.execute(sa.delete(FormVersion))
    db.session.rollback()
    assert db.session.scalar(sa.select(FormVersion.reason).where(FormVersion.key == KEY)) == (
        "shipped"
    )


def test_a_version_altered_outside_appgov_is_not_used(ctx, database_url, caplog):
    app, engine = ctx
    shipped = store.live(KEY)
    store.publish(KEY, revised(store.text_of(KEY)), "admin", "second")
    store.clear_cache()
    # someone drops the triggers and rewrites the new version's text in place
    with engine.begin() as conn:
        if database_url.startswith("postgresql"):
            conn.execute(
                sa.text("DROP TRIGGER appgov_form_version_no_update_delete ON appgov_form_version")
            )
        else:
            conn.execute(sa.text("DROP TRIGGER appgov_form_version_no_update"))
        conn.execute(
            sa.text(
                "UPDATE appgov_form_version SET definition = definition || '# x' WHERE version = :v"
            ),
            {"v": shipped.version + 1},
        )
    with caplog.at_level(logging.ERROR, logger="appgov_plugin.forms.store"):
        live = store.live(KEY)
    assert live.version == shipped.version  # the genuine version before it
    assert any("altered outside appgov" in r.getMessage() for r in caplog.records)
    broken = store.verify()
    assert broken is not None and broken.chain == KEY
    # and the audit of every history finds it (exit status 1, the form and row named)
    audit = app.test_cli_runner().invoke(args=["appgov", "audit", "verify"])
    assert audit.exit_code == 1
    assert f"BROKEN: form {KEY!r}, change #" in audit.output


def test_the_audit_walks_the_form_versions_too(ctx):
    app, _engine = ctx
    store.publish(KEY, revised(store.text_of(KEY)), "admin", "second")
    before = app.test_cli_runner().invoke(args=["appgov", "audit", "verify"])
    assert before.exit_code == 0, before.output
    lines = before.output.splitlines()
    assert any(line.startswith("form versions: OK: ") for line in lines)
    assert any(line.startswith("rule parameters: OK: ") for line in lines)
    store.publish(KEY, revised(store.text_of(KEY), " (3)"), "admin", "third")
    after = app.test_cli_runner().invoke(args=["appgov", "audit", "verify"])
    assert after.output.splitlines()[-1] != lines[-1]  # the heads digest follows the forms


# -- two administrators at once ---------------------------------------------------------------


def test_publishes_at_the_same_moment_get_distinct_versions(ctx):
    app, engine = ctx
    first = store.live(KEY).version
    text = store.text_of(KEY)
    writers = 4
    barrier = threading.Barrier(writers)
    results, errors = [], []

    def publish(number):
        with app.app_context():
            barrier.wait()
            try:
                definition = store.publish(
                    KEY, revised(text, f" (edit {number})"), f"admin{number}", f"edit {number}"
                )
                results.append(definition.version)
            except Exception as exc:  # reported below
                errors.append(exc)

    threads = [threading.Thread(target=publish, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(results) == list(range(first + 1, first + 1 + writers))
    history = store.history(KEY)
    assert [v.version for v in history] == list(range(first + writers, first - 1, -1))
    assert store.verify() is None  # each version chained to the one before it


# -- caching --------------------------------------------------------------------------------


def form_class(app):
    state = app.extensions["appgov"]
    return type(store.live(KEY).form_for(state.policy(), meta={"csrf": False}))


def test_built_forms_are_cached_per_version_across_requests(ctx, database_url):
    app, engine = ctx
    with app.test_request_context():
        first = form_class(app)  # first use: shipped files recorded, definition built
    with app.test_request_context():
        with counting(engine) as statements:
            definition = store.live(KEY)
            store.live(KEY)
            store.keys()
        assert len(statements) == 1, statements  # one small query a request
        assert form_class(app) is first
    with app.test_request_context():
        assert form_class(app) is first

    # another process publishes (its own engine): the next request builds the new version
    other = sa.create_engine(database_url)
    try:
        newer = store.publish(KEY, revised(store.text_of(KEY, engine=other)), "admin", "x", other)
    finally:
        other.dispose()
    with app.test_request_context():
        assert store.live(KEY) is not definition
        with counting(engine) as statements:
            second = form_class(app)
        assert second is not first
        assert store.live(KEY).version == newer.version
    with app.test_request_context():
        with counting(engine) as statements:
            assert form_class(app) is second
        # the live-version query (the policy reads its own fingerprint)
        assert sum("appgov_form_version" in s for s in statements) == 1, statements


def test_a_publish_is_live_in_the_same_request(ctx):
    app, engine = ctx
    with app.test_request_context():
        before = store.live(KEY)
        store.publish(KEY, revised(store.text_of(KEY)), "admin", "now")
        assert store.live(KEY).version == before.version + 1
        assert getattr(request, "_appgov_live_forms", None)


# -- the command line -----------------------------------------------------------------------


def test_the_command_line_lists_shows_and_publishes(ctx, tmp_path):
    app, engine = ctx
    runner = app.test_cli_runner()
    assert "forms" in app.cli.commands["appgov"].commands
    assert app.cli.commands["appgov"].commands["forms"] is forms_group
    first = store.shipped_files()[KEY]
    listed = runner.invoke(args=["appgov", "forms", "list"])
    assert listed.exit_code == 0 and f"{KEY}  version {first.version}" in listed.output
    assert "appgov: shipped" in listed.output
    shown = runner.invoke(args=["appgov", "forms", "show", KEY])
    assert shown.exit_code == 0 and shown.output == first.text

    bad = tmp_path / "bad.toml"
    bad.write_text(first.text.replace('type = "string"', 'type = "picture"', 1), "utf-8")
    refused = runner.invoke(args=["appgov", "forms", "publish", KEY, str(bad), "--reason", "x"])
    assert refused.exit_code == 1 and "picture" in refused.output
    assert store.live(KEY).version == first.version

    good = tmp_path / "good.toml"
    good.write_text(revised(first.text), "utf-8")
    published = runner.invoke(
        args=["appgov", "forms", "publish", KEY, str(good), "--reason", "clearer", "--by", "ops"]
    )
    assert published.exit_code == 0, published.output
    assert f"version {first.version + 1} published by ops" in published.output
    old = runner.invoke(args=["appgov", "forms", "show", KEY, "--version", str(first.version)])
    assert old.output == first.text
    history = runner.invoke(args=["appgov", "forms", "history", KEY])
    assert "ops: clearer" in history.output and "appgov: shipped" in history.output
    verified = runner.invoke(args=["appgov", "forms", "verify"])
    assert verified.exit_code == 0 and "intact" in verified.output


def test_a_draft_of_an_older_version_is_refused(ctx):
    app, engine = ctx
    first = store.live(KEY).version
    text = store.text_of(KEY)
    store.publish(KEY, revised(text, " (one)"), "a", "one", based_on=first)
    with pytest.raises(store.StaleDraft) as refused:
        store.publish(KEY, revised(text, " (two)"), "b", "two", based_on=first)
    assert refused.value.live.version == first + 1 and refused.value.live.created_by == "a"
    assert store.live(KEY).version == first + 1
