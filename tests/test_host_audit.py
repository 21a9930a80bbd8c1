"""The host's case history as an audit trail (issue 8, "Audit trail enforced by the
database"), on SQLite and PostgreSQL:

* append-only in the database: raw SQL, Core and ORM bulk ``UPDATE``/``DELETE`` are refused
  by triggers (migration a7c3e1f09d21), the row stays as it was;
* tamper-evident: every row is hash-chained per case; ``flask host audit verify`` reports the
  first broken link after an attacker with database rights drops the triggers and edits or
  deletes a row; concurrent steps on one case never fork the chain;
* case data is read-only in Flask-Admin; an administrator's correction is a recorded step
  ``correct`` with a required reason and ``{field: [old, new]}``, shown in the history.
"""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from casework import (
    ANSWERS,
    add_user,
    history,
    insert_agency_and_user,
    new_proposal,
    posted,
    raw_connection,
)
from casework import visible_text as text_of
from hosting import login
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from appgov_plugin.audit import GENESIS, chain_hash
from appgov_plugin.host.contract import CORRECTED, HOST_STEPS
from sample_host.cases import (
    AGENCY_CHANGE,
    OWNER_CHANGE,
    CaseRefused,
    TransitionRefused,
    apply_transition,
    correct_case,
    edit_case,
)
from sample_host.database import MIGRATIONS_DIR
from sample_host.extensions import db, migrate
from sample_host.models import (
    Agency,
    AppendOnlyError,
    Case,
    CaseHistory,
    User,
    _refuse_bulk_history_changes,
    history_content,
)

VERIFY = ["host", "audit", "verify"]


@pytest.fixture
def app(make_host):
    app = make_host("tainan")
    with app.app_context():
        add_user("staff2", "agency_staff", "tainan-tourism")
        add_user("ks-staff", "agency_staff", "kaohsiung-tb")
    return app


def _user(username: str) -> User:
    return db.session.scalar(sa.select(User).where(User.username == username))


def _agency(code: str) -> Agency:
    return db.session.scalar(sa.select(Agency).where(Agency.code == code))


def _raw_rows(case_id: int) -> list[tuple]:
    with db.engine.connect() as conn:
        return conn.execute(
            sa.text(
                "SELECT id, transition, comment, previous_hash, row_hash FROM host_case_history "
                "WHERE case_id = :case ORDER BY id"
            ),
            {"case": case_id},
        ).all()


def _drop_history_triggers(conn) -> None:
    """What an attacker with the database's rights does first."""
    if conn.dialect.name == "sqlite":
        for name in ("host_case_history_no_update", "host_case_history_no_delete"):
            conn.execute(sa.text(f"DROP TRIGGER {name}"))
    else:
        conn.execute(
            sa.text("DROP TRIGGER host_case_history_no_update_delete ON host_case_history")
        )


def _approved_proposal() -> int:
    """A proposal opened, submitted, countersigned by the center and approved by the city
    government (TN-EVAL-1): four history rows."""
    case_id = new_proposal(steps=("submit", "countersign"), actors=("staff", "reviewer"))
    apply_transition(db.session.get(Case, case_id), "city_approve", _user("mayor"), "")
    return case_id


# -- append-only, enforced by the database ---------------------------------------------------


def test_raw_sql_and_core_updates_and_deletes_are_refused_by_the_database(app):
    with app.app_context():
        case_id = _approved_proposal()
        before = _raw_rows(case_id)
        history_table = CaseHistory.__table__
        attempts = [
            sa.text("UPDATE host_case_history SET comment = 'rewritten' WHERE case_id = :case"),
            sa.text("DELETE FROM host_case_history WHERE case_id = :case"),
            history_table.update()
            .where(history_table.c.case_id == sa.bindparam("case"))
            .values(comment="core"),
            history_table.delete().where(history_table.c.case_id == sa.bindparam("case")),
        ]
        for statement in attempts:
            with pytest.raises(DBAPIError, match="append-only"), raw_connection() as conn:
                conn.execute(statement, {"case": case_id})
        assert _raw_rows(case_id) == before


def test_orm_bulk_changes_are_refused_by_the_orm_and_by_the_database(app):
    with app.app_context():
        case_id = _approved_proposal()
        before = _raw_rows(case_id)
        statements = [
            sa.update(CaseHistory).where(CaseHistory.case_id == case_id).values(comment="bulk"),
            sa.delete(CaseHistory).where(CaseHistory.case_id == case_id),
        ]
        for statement in statements:
            with pytest.raises(AppendOnlyError, match="bulk"):
                db.session.execute(statement)
            db.session.rollback()
        # the ORM's guard taken away (a script with its own session): the database refuses
        event.remove(Session, "do_orm_execute", _refuse_bulk_history_changes)
        try:
            for statement in statements:
                with Session(db.engine) as session:
                    with pytest.raises(DBAPIError, match="append-only"):
                        session.execute(statement, execution_options={"synchronize_session": False})
                    session.rollback()
        finally:
            event.listen(Session, "do_orm_execute", _refuse_bulk_history_changes)
        row = db.session.scalars(
            sa.select(CaseHistory).where(CaseHistory.case_id == case_id).order_by(CaseHistory.id)
        ).first()
        row.comment = "changed in place"
        with pytest.raises(AppendOnlyError, match="UPDATE refused"):
            db.session.commit()
        db.session.rollback()
        assert _raw_rows(case_id) == before


def test_truncate_and_deleting_a_case_with_history_are_refused(app):
    with app.app_context():
        case_id = _approved_proposal()
        before = _raw_rows(case_id)
        if db.engine.dialect.name == "postgresql":
            with pytest.raises(DBAPIError, match="append-only: TRUNCATE"), raw_connection() as c:
                c.execute(sa.text("TRUNCATE host_case_history"))
        # SQLite: the revision's trigger; PostgreSQL: the foreign key
        with pytest.raises(DBAPIError), raw_connection() as conn:
            conn.execute(sa.text("DELETE FROM host_case WHERE id = :id"), {"id": case_id})
        assert _raw_rows(case_id) == before
        assert db.session.get(Case, case_id) is not None


# -- the hash chain ------------------------------------------------------------------------


def test_every_history_row_is_chained_to_the_case_row_before_it(app):
    with app.app_context():
        case_id = _approved_proposal()
        other_id = new_proposal()
        rows = history(case_id)
        assert [row.transition for row in rows] == ["open", "submit", "countersign", "city_approve"]
        previous = GENESIS
        for row in rows:
            assert row.previous_hash == previous
            assert row.row_hash == chain_hash(previous, history_content(row))
            previous = row.row_hash
        assert len({row.row_hash for row in rows}) == 4
        # another case's chain starts on its own
        assert history(other_id)[0].previous_hash == GENESIS


def test_rows_added_in_one_flush_follow_each_other(app):
    with app.app_context():
        case = db.session.get(Case, new_proposal())
        staff = _user("staff")
        for comment in ("first", "second"):
            db.session.add(
                CaseHistory(
                    case=case,
                    actor=staff,
                    transition="note",
                    from_state="draft",
                    to_state="draft",
                    comment=comment,
                )
            )
        db.session.commit()
        rows = history(case.id)
        assert [r.comment for r in rows] == ["", "first", "second"]
        assert [r.previous_hash for r in rows] == [GENESIS, rows[0].row_hash, rows[1].row_hash]
        result = app.test_cli_runner().invoke(args=VERIFY)
        assert result.exit_code == 0, result.output


def test_verify_reports_ok_with_the_counts(app):
    with app.app_context():
        _approved_proposal()
        cases = db.session.scalar(sa.select(sa.func.count(Case.id)))
        rows = db.session.scalar(sa.select(sa.func.count(CaseHistory.id)))
    result = app.test_cli_runner().invoke(args=VERIFY)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"OK: {cases} cases, {rows} history rows;")


def _heads(output: str) -> str:
    line = [line for line in output.splitlines() if line.startswith("heads: ")]
    assert len(line) == 1, output
    return line[0].removeprefix("heads: ")


def test_verify_heads_digest_shows_a_last_row_rewritten_with_its_hash(app):
    """An attacker who rewrites a case's last row and recomputes its hash keeps the chain
    whole; the digest of the chains' heads, kept outside the database, changes."""
    with app.app_context():
        case_id = _approved_proposal()
    before = app.test_cli_runner().invoke(args=VERIFY)
    assert before.exit_code == 0, before.output
    with app.app_context():
        last_id = _raw_rows(case_id)[-1].id
        last = db.session.get(CaseHistory, last_id)
        forged = chain_hash(last.previous_hash, {**history_content(last), "comment": "forged"})
        with raw_connection() as conn:
            _drop_history_triggers(conn)
            conn.execute(
                sa.text(
                    "UPDATE host_case_history SET comment = 'forged', row_hash = :h WHERE id = :id"
                ),
                {"h": forged, "id": last_id},
            )
    after = app.test_cli_runner().invoke(args=VERIFY)
    assert after.exit_code == 0, after.output  # the chain alone cannot tell
    assert _heads(after.output) != _heads(before.output)


def test_verify_reports_a_comment_edited_behind_the_triggers(app):
    with app.app_context():
        case_id = _approved_proposal()
        _open, submit, _countersign, _approve = _raw_rows(case_id)
        with raw_connection() as conn:
            _drop_history_triggers(conn)
            conn.execute(
                sa.text("UPDATE host_case_history SET comment = 'looks fine' WHERE id = :id"),
                {"id": submit.id},
            )
    result = app.test_cli_runner().invoke(args=VERIFY)
    assert result.exit_code == 1
    assert (
        f"BROKEN: case {case_id}, history row {submit.id}: its content does not match its hash"
        in result.output
    )


def test_verify_reports_the_row_after_a_deleted_one(app):
    with app.app_context():
        case_id = _approved_proposal()
        _open, submit, countersign, _approve = _raw_rows(case_id)
        with raw_connection() as conn:
            _drop_history_triggers(conn)
            conn.execute(sa.text("DELETE FROM host_case_history WHERE id = :id"), {"id": submit.id})
    result = app.test_cli_runner().invoke(args=VERIFY)
    assert result.exit_code == 1
    assert (
        f"case {case_id}, history row {countersign.id}: "
        "its previous-row hash does not match the row before it"
    ) in result.output


def test_verify_reports_a_removed_last_row_by_the_case_state(app):
    with app.app_context():
        case_id = _approved_proposal()
        _open, _submit, countersign, approve = _raw_rows(case_id)
        with raw_connection() as conn:
            _drop_history_triggers(conn)
            conn.execute(
                sa.text("DELETE FROM host_case_history WHERE id = :id"), {"id": approve.id}
            )
    result = app.test_cli_runner().invoke(args=VERIFY)
    assert result.exit_code == 1
    assert f"case {case_id}, history row {countersign.id}: the case is 'approved'" in result.output


def test_concurrent_edits_of_one_case_are_serialised_and_never_fork_the_chain(app):
    """Eight owners' edits of one draft at the same moment: each one waits for the case's
    lock, follows the row committed before it, and the chain verifies."""
    with app.app_context():
        case_id = new_proposal()
    workers, errors = 8, []
    barrier = threading.Barrier(workers)

    def edit(number: int) -> None:
        try:
            with app.app_context():
                case = db.session.get(Case, case_id)
                owner = _user("staff")
                barrier.wait(timeout=30)
                edit_case(case, owner, {"app_name": f"府城好停車 {number}"})
        except Exception as exc:  # reported below, with the thread's number
            errors.append((number, repr(exc)))

    threads = [threading.Thread(target=edit, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    with app.app_context():
        rows = history(case_id)
        assert [r.transition for r in rows] == ["open"] + ["edit"] * workers
        assert len({r.previous_hash for r in rows}) == len(rows)
        # each edit recorded the answer the one before it left
        for before, after in zip(rows[1:], rows[2:], strict=False):
            assert after.changes["app_name"][0] == before.changes["app_name"][1]
    result = app.test_cli_runner().invoke(args=VERIFY)
    assert result.exit_code == 0, result.output


def test_two_reviewers_deciding_at_once_one_wins_the_other_is_refused(app):
    """Countersign and return at the same moment: one decision is recorded, the other is refused
    as the case is no longer in review (never a database error), the chain verifies."""
    with app.app_context():
        add_user("reviewer2", "reviewer", "tainan-sdc")
        case_id = new_proposal(steps=("submit",))
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def decide(username: str, step: str, comment: str) -> None:
        try:
            with app.app_context():
                case = db.session.get(Case, case_id)
                reviewer = _user(username)
                barrier.wait(timeout=30)
                apply_transition(case, step, reviewer, comment)
            outcomes[step] = "taken"
        except TransitionRefused:
            outcomes[step] = "refused"
        except Exception as exc:  # a database error is the failure this test is about
            outcomes[step] = repr(exc)

    threads = [
        # rule TN-EVAL-1: the center's decision is its countersignature
        threading.Thread(target=decide, args=("reviewer", "countersign", "同意。")),
        threading.Thread(target=decide, args=("reviewer2", "return", "請補充預算說明。")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(outcomes.values()) == ["refused", "taken"], outcomes
    with app.app_context():
        rows = history(case_id)
        assert [r.transition for r in rows][:2] == ["open", "submit"] and len(rows) == 3
        assert db.session.get(Case, case_id).status == rows[-1].to_state
    assert app.test_cli_runner().invoke(args=VERIFY).exit_code == 0


def test_a_fork_of_the_chain_is_refused_by_the_database(app):
    """Two rows after the same one (what an unserialised writer would add) cannot both be
    stored: the unique index on (case_id, previous_hash)."""
    with app.app_context():
        case_id = new_proposal()
        (opened,) = _raw_rows(case_id)
        staff = _user("staff")
        with pytest.raises(DBAPIError), raw_connection() as conn:
            conn.execute(
                CaseHistory.__table__.insert().values(
                    case_id=case_id,
                    actor_id=staff.id,
                    at=sa.func.now(),
                    transition="edit",
                    from_state="draft",
                    to_state="draft",
                    comment="",
                    previous_hash=GENESIS,
                    row_hash="0" * 64,
                )
            )
        assert _raw_rows(case_id) == [opened]


# -- the migration -------------------------------------------------------------------------


def test_the_migration_chains_existing_rows_and_downgrades(sample_host_factory):
    app = sample_host_factory(APPGOV_PROFILE="tainan", AUTO_SETUP=False)
    with app.app_context():
        config = migrate.get_config(str(MIGRATIONS_DIR))
        command.upgrade(config, "3f1c2a9d7b40")
        with raw_connection() as conn:
            insert_agency_and_user(conn)
            for case_id, status in ((1, "submitted"), (2, "draft")):
                conn.execute(
                    sa.text(
                        "INSERT INTO host_case (id, type_key, agency_id, status, data, owner_id, "
                        "created_at, updated_at, search_text) "
                        "VALUES (:id, 'leave', 1, :status, '{}', 1, :at, :at, '')"
                    ),
                    {"id": case_id, "status": status, "at": "2026-11-30 01:02:03"},
                )
            rows = [
                (1, 1, "open", None, "draft", None),
                (2, 2, "open", None, "draft", None),
                (3, 1, "edit", "draft", "draft", '{"title": ["a", "b"]}'),
                (4, 1, "submit", "draft", "submitted", None),
            ]
            for row_id, case_id, step, source, target, changes in rows:
                conn.execute(
                    sa.text(
                        "INSERT INTO host_case_history (id, case_id, actor_id, at, transition, "
                        "from_state, to_state, comment, changes) VALUES "
                        "(:id, :case, 1, :at, :step, :source, :target, '', :changes)"
                    ),
                    {
                        "id": row_id,
                        "case": case_id,
                        "at": "2026-11-30 01:02:03",
                        "step": step,
                        "source": source,
                        "target": target,
                        "changes": changes,
                    },
                )
        command.upgrade(config, "a7c3e1f09d21")
        stored = {
            row.id: row
            for row in db.session.scalars(sa.select(CaseHistory).order_by(CaseHistory.id))
        }
        assert stored[3].previous_hash == stored[1].row_hash
        assert stored[4].previous_hash == stored[3].row_hash
        assert stored[2].previous_hash == GENESIS
        assert stored[3].row_hash == chain_hash(stored[1].row_hash, history_content(stored[3]))
        assert stored[3].changes == {"title": ["a", "b"]}
        db.session.rollback()
        result = app.test_cli_runner().invoke(args=VERIFY)
        assert result.exit_code == 0, result.output
        assert "OK: 2 cases, 4 history rows" in result.output
        with pytest.raises(DBAPIError), raw_connection() as conn:
            conn.execute(sa.text("UPDATE host_case_history SET comment = 'x'"))

        db.session.rollback()
        command.downgrade(config, "3f1c2a9d7b40")
        columns = {c["name"] for c in sa.inspect(db.engine).get_columns("host_case_history")}
        assert not {"previous_hash", "row_hash"} & columns
        with raw_connection() as conn:  # no trigger left
            conn.execute(sa.text("UPDATE host_case_history SET comment = 'x' WHERE id = 1"))
            conn.execute(sa.text("DELETE FROM host_case_history WHERE id = 2"))
        command.upgrade(config, "head")


def test_host_models_match_the_migrations(app):
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "include_name": lambda name, type_, parents: (
                    type_ != "table" or name.startswith("host_")
                ),
                "compare_type": True,
            },
        )
        assert compare_metadata(context, db.metadata) == []


# -- corrections -----------------------------------------------------------------------------


def _correction(case: Case, reason: str = "機關名稱誤植，依簽呈更正。", **changes) -> dict:
    data = posted({**ANSWERS, **case.data})  # a MultiDict: each change replaces the answer
    for name, value in {
        "correction-agency": str(case.agency_id),
        "correction-owner": str(case.owner_id),
        "correction-reason": reason,
        **changes,
    }.items():
        data[name] = value
    return data


@pytest.mark.parametrize(
    ("locale", "step", "agency_row", "budget_row"),
    [
        (
            "zh_Hant_TW",
            "由系統管理者更正",  # the same words as the app history's (both catalogs)
            "機關：臺南市政府觀光旅遊局 (tainan-tourism) → 臺南市政府秘書處 (tainan-secretariat)",
            "預算金額（新臺幣元）：NT$3,200,000 → NT$2,800,000",
        ),
        (
            "en",
            "Corrected by an administrator",
            "Agency: Tainan City Tourism Bureau (tainan-tourism) → "
            "Tainan City Government Secretariat (tainan-secretariat)",
            "Budget (NT$): NT$3,200,000 → NT$2,800,000",
        ),
    ],
)
def test_the_administrator_corrects_an_approved_case_and_the_history_says_who_why_what(
    app, locale, step, agency_row, budget_row
):
    with app.app_context():
        case_id = _approved_proposal()
        add_user("sec-staff", "agency_staff", "tainan-secretariat")
        case = db.session.get(Case, case_id)
        secretariat, new_owner = _agency("tainan-secretariat"), _user("sec-staff")
        data = _correction(
            case,
            **{
                "correction-agency": str(secretariat.id),
                "correction-owner": str(new_owner.id),
                "budget": "2800000",
            },
        )
        rows_before = len(history(case_id))
    client = app.test_client()
    login(client, "admin")
    client.post(f"/locale/{locale}")
    page = client.get(f"/cases/{case_id}").text
    assert f'href="/cases/{case_id}/correct"' in page
    form = client.get(f"/cases/{case_id}/correct")
    assert form.status_code == 200
    assert 'value="府城好停車"' in form.text  # the case type's form, prefilled
    done = client.post(f"/cases/{case_id}/correct", data=data)
    assert done.status_code == 302 and done.location == f"/cases/{case_id}"
    shown = text_of(client.get(f"/cases/{case_id}").text)
    assert step in shown
    assert "機關名稱誤植，依簽呈更正。" in shown
    assert agency_row in shown
    assert budget_row in shown
    assert "sec-staff 測試 (sec-staff)" in shown  # the new owner
    with app.app_context():
        case = db.session.get(Case, case_id)
        assert (case.status, case.agency.code, case.owner.username, case.data["budget"]) == (
            "approved",
            "tainan-secretariat",
            "sec-staff",
            2_800_000,
        )
        rows = history(case_id)
        assert len(rows) == rows_before + 1
        row = rows[-1]
        assert (row.transition, row.actor.username, row.from_state, row.to_state) == (
            CORRECTED,
            "admin",
            "approved",
            "approved",
        )
        assert row.comment == "機關名稱誤植，依簽呈更正。"
        assert row.changes == {
            AGENCY_CHANGE: ["tainan-tourism", "tainan-secretariat"],
            OWNER_CHANGE: ["staff", "sec-staff"],
            "budget": [3_200_000, 2_800_000],
        }
    assert CORRECTED in HOST_STEPS
    assert app.test_cli_runner().invoke(args=VERIFY).exit_code == 0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"correction-reason": ""}, "Reason for the correction: This field is required."),
        ({"correction-reason": "x" * 2001}, "Reason for the correction: Field cannot be longer"),
        ({"budget": "abc"}, "Budget (NT$): "),
        ({"correction-agency": "no-such-agency"}, "Agency: Not a valid choice."),
        ({}, "Nothing was changed, so nothing was recorded."),
        ({"correction-owner": "KS"}, "Owner: ks-staff 測試 does not belong to the case's agency"),
    ],
)
def test_a_refused_correction_names_the_field_and_writes_nothing(app, changes, message):
    with app.app_context():
        case_id = _approved_proposal()
        case = db.session.get(Case, case_id)
        if changes.get("correction-owner") == "KS":
            changes = {"correction-owner": str(_user("ks-staff").id)}
        data = _correction(case, **changes)
        before = (_raw_rows(case_id), dict(case.data), case.agency_id, case.owner_id)
    client = app.test_client()
    login(client, "admin")
    client.post("/locale/en")
    answer = client.post(f"/cases/{case_id}/correct", data=data)
    assert answer.status_code == 200
    assert message in text_of(answer.text)
    with app.app_context():
        db.session.expire_all()
        case = db.session.get(Case, case_id)
        assert (_raw_rows(case_id), dict(case.data), case.agency_id, case.owner_id) == before


def test_only_the_administrator_corrects(app):
    with app.app_context():
        case_id = _approved_proposal()
        before = _raw_rows(case_id)
        with pytest.raises(CaseRefused, match="只有系統管理者可以更正案件"):
            correct_case(db.session.get(Case, case_id), _user("staff"), "because")
    client = app.test_client()
    for username, status in (("staff", 403), ("reviewer", 403), ("ks-staff", 404)):
        with app.app_context():  # a post of its own each time (its file is sent again)
            data = _correction(db.session.get(Case, case_id), budget="1")
        login(client, username)
        page = client.get(f"/cases/{case_id}").text
        assert f"/cases/{case_id}/correct" not in page
        assert client.get(f"/cases/{case_id}/correct").status_code == status, username
        assert client.post(f"/cases/{case_id}/correct", data=data).status_code == status
    login(client, "admin")
    assert client.get("/cases/999999/correct").status_code == 404
    with app.app_context():
        assert _raw_rows(case_id) == before


def test_flask_admin_shows_cases_read_only_and_links_the_correction(app):
    with app.app_context():
        case_id = _approved_proposal()
        case = db.session.get(Case, case_id)
        before = (_raw_rows(case_id), dict(case.data), case.agency_id, case.owner_id)
        other_agency, other_owner = _agency("tainan-secretariat").id, _user("staff2").id
    client = app.test_client()
    login(client, "admin")
    client.post("/locale/en")
    listing = client.get("/admin/host_case/").text
    assert f'href="/cases/{case_id}/correct"' in listing
    assert "/admin/host_case/edit/" not in listing
    details = client.get(f"/admin/host_case/details/?id={case_id}")
    assert details.status_code == 200
    assert f'href="/cases/{case_id}/correct"' in details.text
    assert "府城好停車" in text_of(details.text)  # the answers, as the case page shows them
    assert "App name" in text_of(details.text)
    edit_url = f"/admin/host_case/edit/?id={case_id}"
    assert client.get(edit_url).status_code == 302
    posted_edit = client.post(
        edit_url,
        data={"agency": str(other_agency), "owner": str(other_owner), "data": '{"app_name": "x"}'},
    )
    assert posted_edit.status_code == 302
    with app.app_context():
        db.session.expire_all()
        case = db.session.get(Case, case_id)
        assert (_raw_rows(case_id), dict(case.data), case.agency_id, case.owner_id) == before
