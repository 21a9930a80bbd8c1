"""The rule-parameter history is safe by construction (issue 8, "Audit trail enforced by the
database"): the database itself refuses UPDATE and DELETE of ``appgov_parameter_change``
(triggers of migration 0005, on SQLite and PostgreSQL), every row is hash-chained to the
row before it of its parameter so ``flask appgov audit verify`` finds a raw-SQL tamper,
the policy cache notices an in-place edit without a restart, and two changes of one
parameter recorded at the same moment are serialised."""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
from decimal import Decimal

import pytest
import sqlalchemy as sa
from intranet import make_intranet

from appgov_plugin import migrations
from appgov_plugin.audit import chain_hash
from appgov_plugin.clock import today
from appgov_plugin.policy.changes import record_change
from appgov_plugin.policy.models import AppendOnlyError, ParameterChange

TODAY = today()
TABLE = "appgov_parameter_change"


def change(state, name, value, effective=TODAY, reason="council decision", who="root"):
    made = record_change(state, name, value, effective, reason, who, confirm_retroactive=True)
    state.session.commit()
    return made


def history(db):
    """Every stored row, read with raw SQL (not through the ORM's identity map)."""
    with db.engine.connect() as conn:
        return conn.execute(sa.text(f"SELECT * FROM {TABLE} ORDER BY id")).all()


def verify(app):
    return app.test_cli_runner().invoke(args=["appgov", "audit", "verify"])


def drop_triggers(db):
    """What an attacker with the database's rights does first."""
    db.session.rollback()  # PostgreSQL's DROP TRIGGER waits for the session's open reads
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text(f"DROP TRIGGER {TABLE}_no_update_delete ON {TABLE}"))
        else:
            conn.execute(sa.text(f"DROP TRIGGER {TABLE}_no_update"))
            conn.execute(sa.text(f"DROP TRIGGER {TABLE}_no_delete"))


def raw(db, statement, **params):
    with db.engine.begin() as conn:
        conn.execute(sa.text(statement), params)


# --- append-only, enforced by the database ----------------------------------------------

ATTEMPTS = {
    "raw SQL UPDATE": lambda db, id: db.session.execute(
        sa.text(f"UPDATE {TABLE} SET value = '\"9.9\"' WHERE id = :id"), {"id": id}
    ),
    "raw SQL DELETE": lambda db, id: db.session.execute(
        sa.text(f"DELETE FROM {TABLE} WHERE id = :id"), {"id": id}
    ),
    "Core update()": lambda db, id: db.session.connection().execute(
        sa.update(ParameterChange.__table__)
        .where(ParameterChange.__table__.c.id == id)
        .values(reason="rewritten")
    ),
    "Core delete()": lambda db, id: db.session.connection().execute(
        sa.delete(ParameterChange.__table__)
    ),
    "ORM bulk update()": lambda db, id: db.session.execute(
        sa.update(ParameterChange).where(ParameterChange.id == id).values(value="9.9")
    ),
    "ORM bulk delete()": lambda db, id: db.session.execute(sa.delete(ParameterChange)),
    # the ORM statement sent past the ORM guard (a connection, not the session)
    "ORM update() on a connection": lambda db, id: db.session.connection().execute(
        sa.update(ParameterChange).values(changed_by="mallory")
    ),
    "raw SQL DELETE on a separate connection": lambda db, id: raw(db, f"DELETE FROM {TABLE}"),
}


@pytest.mark.parametrize("attempt", list(ATTEMPTS))
def test_appgov_history_cannot_be_rewritten_by_any_route(appgov_context, attempt):
    app, db, state = appgov_context
    made = change(state, "rating_bar", "3.8")
    change(state, "rating_bar", "3.9", reason="second thoughts")
    before = history(db)
    with pytest.raises((sa.exc.IntegrityError, AppendOnlyError), match="append-only|history"):
        ATTEMPTS[attempt](db, made.id)
        db.session.commit()
    db.session.rollback()
    assert history(db) == before
    assert verify(app).exit_code == 0


def test_appgov_postgresql_refuses_truncate(appgov_context):
    app, db, state = appgov_context
    if db.engine.dialect.name != "postgresql":
        pytest.skip("TRUNCATE is PostgreSQL's; SQLite runs `DELETE FROM` (refused above)")
    change(state, "rating_bar", "3.8")
    with pytest.raises(sa.exc.IntegrityError, match="append-only.*TRUNCATE refused"):
        raw(db, f"TRUNCATE {TABLE}")
    assert len(history(db)) == 1


def test_appgov_downgrade_drops_the_triggers_and_upgrade_restores_them(appgov_context):
    app, db, state = appgov_context
    change(state, "rating_bar", "3.8")
    migrations.downgrade(db.engine, "0004")
    raw(db, f"UPDATE {TABLE} SET reason = 'edited while downgraded'")
    migrations.upgrade(db.engine)
    # the backfill hashes the row as it is now, and the triggers are back
    assert verify(app).exit_code == 0
    with pytest.raises(sa.exc.IntegrityError, match="append-only"):
        raw(db, f"UPDATE {TABLE} SET reason = 'again'")
    assert history(db)[0].reason == "edited while downgraded"


# --- the hash chain ----------------------------------------------------------------------


def test_appgov_each_change_is_chained_to_the_previous_change_of_its_parameter(appgov_context):
    app, db, state = appgov_context
    first = change(state, "rating_bar", "3.8")
    other = change(state, "seed_user_min", 3)
    second = change(state, "rating_bar", "3.9", reason="second thoughts")
    assert first.previous_hash is None and other.previous_hash is None
    assert second.previous_hash == first.row_hash
    for made in (first, other, second):
        assert made.row_hash == chain_hash(made.previous_hash, made.content())
        assert len(made.row_hash) == 64
    result = verify(app)
    assert result.exit_code == 0, result.output
    assert "rule parameters: OK: 3 rows in 2 chains" in result.output.splitlines()


def test_appgov_the_migration_backfills_existing_rows_per_parameter(database_url):
    app, db, _ = make_intranet(database_url)
    with app.app_context():
        migrations.upgrade(db.engine, "0004")
        for name, value, at in [
            ("rating_bar", '"3.8"', "2026-11-01 09:00:00"),
            ("seed_user_min", "3", "2026-11-02 09:00:00"),
            ("rating_bar", '"3.9"', "2026-11-03 09:00:00"),
        ]:
            raw(
                db,
                f"INSERT INTO {TABLE} (name, value, previous_value, effective_from, reason, "
                "changed_by, changed_at) VALUES (:name, :value, NULL, '2027-01-01', 'r', "
                "'root', :at)",
                name=name,
                value=value,
                at=at,
            )
        migrations.upgrade(db.engine)
        rows = history(db)
        assert [row.previous_hash for row in rows] == [None, None, rows[0].row_hash]
        result = verify(app)
        assert "rule parameters: OK: 3 rows in 2 chains" in result.output.splitlines()
        # and recording goes on from the backfilled chain
        made = change(app.extensions["appgov"], "rating_bar", "4.0", dt.date(2027, 1, 1))
        assert made.previous_hash == rows[2].row_hash
        assert verify(app).exit_code == 0
        db.session.remove()
        db.engine.dispose()


def test_appgov_audit_verify_reports_a_value_edited_with_raw_sql(appgov_context):
    app, db, state = appgov_context
    change(state, "rating_bar", "3.8")
    edited = change(state, "rating_bar", "3.9", reason="second thoughts")
    change(state, "rating_bar", "4.0", reason="third thoughts")
    drop_triggers(db)
    raw(db, f"UPDATE {TABLE} SET value = '\"3.0\"' WHERE id = :id", id=edited.id)
    result = verify(app)
    assert result.exit_code == 1
    assert (
        f"BROKEN: parameter 'rating_bar', change #{edited.id}: its content does not match its hash"
    ) in result.output


def test_appgov_audit_verify_reports_a_row_deleted_with_raw_sql(appgov_context):
    app, db, state = appgov_context
    change(state, "rating_bar", "3.8")
    removed = change(state, "rating_bar", "3.9", reason="second thoughts")
    after = change(state, "rating_bar", "4.0", reason="third thoughts")
    drop_triggers(db)
    raw(db, f"DELETE FROM {TABLE} WHERE id = :id", id=removed.id)
    result = verify(app)
    assert result.exit_code == 1
    assert (
        f"BROKEN: parameter 'rating_bar', change #{after.id}: "
        "its previous-row hash does not match the row before it"
    ) in result.output


def test_appgov_audit_verify_heads_digest_changes_when_the_last_row_is_rewritten(appgov_context):
    """A rewrite of a chain's last row with a recomputed hash leaves every link intact;
    only the digest of the chain heads (kept elsewhere) tells."""
    app, db, state = appgov_context
    change(state, "rating_bar", "3.8")
    last = change(state, "rating_bar", "3.9", reason="second thoughts")
    before = verify(app).output.splitlines()
    drop_triggers(db)
    content = {**last.content(), "value": "3.0"}
    raw(
        db,
        f"UPDATE {TABLE} SET value = '\"3.0\"', row_hash = :hash WHERE id = :id",
        hash=chain_hash(last.previous_hash, content),
        id=last.id,
    )
    after = verify(app).output.splitlines()
    assert "rule parameters: OK: 2 rows in 1 chains" in after and before[:-1] == after[:-1]
    assert after[-1].startswith("heads: ") and after[-1] != before[-1]


# --- the policy cache notices an in-place edit ------------------------------------------


def in_force(client, name, language="en"):
    """The "in force" cell of parameter ``name`` on the policy page (a request)."""
    page = client.get("/appgov/policy", headers={"Accept-Language": language})
    assert page.status_code == 200
    row = re.search(rf'<tr id="param-{name}">(.*?)</tr>', page.get_data(as_text=True), re.S)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
    return " ".join(cells[3].split())


def test_appgov_policy_cache_refuses_a_row_edited_in_place(intranet_app, caplog):
    app, db = intranet_app
    client = app.test_client()
    client.get("/_login/clerk")
    with app.app_context():
        state = app.extensions["appgov"]
        made = change(state, "rating_bar", "3.8").id
    assert in_force(client, "rating_bar") == "3.8 stars"
    with app.app_context():
        drop_triggers(db)
        raw(db, f"UPDATE {TABLE} SET value = '\"1.0\"' WHERE id = :id", id=made)
    with caplog.at_level(logging.ERROR, logger="appgov_plugin.policy.database"):
        # the next request, no restart: the edited row is refused, the code value is used
        assert in_force(client, "rating_bar") == "3.5 stars"  # KH-KPI-2's default
        assert in_force(client, "rating_bar") == "3.5 stars"
    assert [str(link) for link in state.database_layer.broken] == [
        f"chain rating_bar: row {made}: its content does not match its hash: refused"
    ]
    assert f"rule parameter 'rating_bar' is broken at change #{made}" in caplog.text
    assert len(caplog.records) == 1  # logged at the reload, not at every request

    # and administrators are told, in their language
    client.get("/_login/root")
    page = client.get("/admin/appgov_parameters/").get_data(as_text=True)
    assert f"「須超過之評分」的第 {made} 號變更已在 appgov 之外遭到修改" in page
    assert "請以 flask appgov audit verify 檢查完整的變更紀錄。" in page
    page = client.get("/admin/appgov_parameters/", headers={"Accept-Language": "en"})
    assert f"Change #{made} of Star rating to exceed was altered outside appgov" in page.get_data(
        as_text=True
    )


def test_appgov_the_admin_page_names_a_removed_row(intranet_app):
    app, db = intranet_app
    with app.app_context():
        state = app.extensions["appgov"]
        change(state, "rating_bar", "3.8")
        removed = change(state, "rating_bar", "3.9", reason="second thoughts").id
        after = change(state, "rating_bar", "4.0", reason="third thoughts").id
        drop_triggers(db)
        raw(db, f"DELETE FROM {TABLE} WHERE id = :id", id=removed)
    client = app.test_client()
    client.get("/_login/root")
    page = client.get("/admin/appgov_parameters/", headers={"Accept-Language": "en"})
    assert f"rows before change #{after} were removed or added" in page.get_data(as_text=True)
    assert in_force(client, "rating_bar") == "4 stars"  # the later row (4.0) is genuine


def test_appgov_policy_cache_sees_an_in_place_edit_with_a_recomputed_hash(appgov_context):
    app, db, state = appgov_context
    made = change(state, "rating_bar", "3.8")
    assert state.policy().param("rating_bar") == Decimal("3.8")
    drop_triggers(db)
    content = {**made.content(), "value": "3.6"}
    raw(
        db,
        f"UPDATE {TABLE} SET value = '\"3.6\"', row_hash = :hash WHERE id = :id",
        hash=chain_hash(made.previous_hash, content),
        id=made.id,
    )
    # same count, same last id: the content aggregate of the fingerprint changed
    assert state.policy().param("rating_bar") == Decimal("3.6")
    assert state.database_layer.broken == []


def test_appgov_policy_cache_sees_a_change_of_the_effective_date(appgov_context):
    app, db, state = appgov_context
    made = change(state, "rating_bar", "3.8", TODAY + dt.timedelta(days=30))
    assert state.policy().param("rating_bar") == Decimal("3.5")
    drop_triggers(db)
    raw(db, f"UPDATE {TABLE} SET effective_from = :day WHERE id = :id", day=TODAY, id=made.id)
    assert state.policy().param("rating_bar") == Decimal("3.5")  # refused, not pending
    assert state.database_layer.broken[0].row_id == made.id


# --- concurrent changes of one parameter ------------------------------------------------

RACES = 25


def test_appgov_concurrent_changes_of_one_parameter_are_serialised(appgov_context):
    """2 x 25 races: both administrators' threads record a change of the same parameter at
    the same moment; each row's previous value is the row before it, and the chain holds."""
    app, db, state = appgov_context
    day = TODAY + dt.timedelta(days=1)
    errors = []

    def administrator(value, barrier):
        with app.app_context():
            try:
                barrier.wait()
                record_change(state, "system_admin_min", value, day, "race", "root")  # TP-ADM-1
                state.session.commit()
            except Exception as exc:  # reported below, with the thread's own traceback
                state.session.rollback()
                errors.append(exc)
            finally:
                db.session.remove()

    for race in range(RACES):
        barrier = threading.Barrier(2)
        threads = [
            threading.Thread(target=administrator, args=(10 + 2 * race + i, barrier))
            for i in range(2)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    rows = history(db)
    assert len(rows) == 2 * RACES
    changes = db.session.scalars(sa.select(ParameterChange).order_by(ParameterChange.id)).all()
    assert changes[0].previous_value == 2  # TP-ADM-1's default
    wrong = [
        (later.id, later.previous_value, earlier.value)
        for earlier, later in zip(changes, changes[1:], strict=False)
        if later.previous_value != earlier.value
    ]
    assert wrong == []
    result = verify(app)
    assert f"rule parameters: OK: {2 * RACES} rows in 1 chains" in result.output.splitlines(), (
        result.output
    )
