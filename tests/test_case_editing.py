"""Owners correct and withdraw their cases: edits in the states the workflow declares, every
change in the append-only history, withdrawal instead of deletion -- in the sample host with
the real appgov plug-in (both databases), plus the contract's new workflow declarations."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from casework import ANSWERS, GROUND_FOUR, add_user, history, new_proposal, posted, status
from casework import visible_text as text_of
from flask_wtf import FlaskForm
from hosting import login
from wtforms import DateField, DecimalField, StringField
from wtforms.validators import DataRequired

from appgov_plugin.host import CaseType, ContractError, Transition, Workflow
from appgov_plugin.host.hookspecs import hookimpl
from sample_host.cases import TransitionRefused, edit_case, withdraw_case
from sample_host.extensions import db
from sample_host.models import Case, User


def edit_post(client, case_id, **changes):
    return client.post(f"/cases/{case_id}/edit", data=posted({**ANSWERS, **changes}))


def _user(username):
    return db.session.scalar(sa.select(User).where(User.username == username))


@pytest.fixture
def app(make_host):
    app = make_host("tainan")
    with app.app_context():
        add_user("staff2", "agency_staff", "tainan-tourism")
    return app


@pytest.mark.parametrize(
    ("locale", "saved", "row"),
    [
        (
            "zh_Hant_TW",
            "已儲存您的修改：行動應用軟體名稱、預算金額（新臺幣元）。",
            "預算金額（新臺幣元）：NT$3,200,000 → NT$2,800,000",
        ),
        (
            "en",
            "Your changes were saved: App name, Budget (NT$).",
            "Budget (NT$): NT$3,200,000 → NT$2,800,000",
        ),
    ],
)
def test_the_owner_edits_a_draft_and_the_history_shows_what_changed(app, locale, saved, row):
    with app.app_context():
        case_id = new_proposal()
    client = app.test_client()
    login(client, "staff")
    client.post(f"/locale/{locale}")
    assert f'href="/cases/{case_id}/edit"' in client.get(f"/cases/{case_id}").text
    form = client.get(f"/cases/{case_id}/edit").text
    assert 'value="府城好停車"' in form  # prefilled with the stored answers
    assert 'name="csrf_token"' in form
    done = edit_post(client, case_id, app_name="府城停車通", budget=2_800_000)
    assert done.status_code == 302 and done.location == f"/cases/{case_id}"
    page = client.get(f"/cases/{case_id}").text
    assert saved in text_of(page)
    assert row in text_of(page)
    assert "府城好停車 → 府城停車通" in text_of(page)
    with app.app_context():
        case = db.session.get(Case, case_id)
        assert (case.status, case.data["app_name"], case.data["budget"]) == (
            "draft",
            "府城停車通",
            2_800_000,
        )
        edit = history(case_id)[-1]
        assert (edit.transition, edit.from_state, edit.to_state, edit.actor.username) == (
            "edit",
            "draft",
            "draft",
            "staff",
        )
        assert edit.changes == {
            "app_name": ["府城好停車", "府城停車通"],
            "budget": [3_200_000, 2_800_000],
        }
        # the search finds the case under its new name only
        assert "府城停車通" in case.search_text and "府城好停車" not in case.search_text


def test_an_edit_that_changes_nothing_records_nothing(app):
    with app.app_context():
        case_id = new_proposal()
    client = app.test_client()
    login(client, "staff")
    page = client.post(f"/cases/{case_id}/edit", data=posted(ANSWERS), follow_redirects=True).text
    assert "內容沒有變更，因此未留下紀錄。" in page
    with app.app_context():
        assert [row.transition for row in history(case_id)] == ["open"]


def test_an_invalid_edit_names_the_field_keeps_the_input_and_writes_nothing(app):
    with app.app_context():
        case_id = new_proposal()
    client = app.test_client()
    login(client, "staff")
    page = edit_post(client, case_id, app_name="府城新名稱", purpose="太短").text
    assert "目的及提供之服務：請至少填寫 20 字" in text_of(page)  # the summary names the field
    assert 'value="府城新名稱"' in page  # typed values stay
    assert re.search(r">\s*太短</textarea>", page)
    with app.app_context():
        assert db.session.get(Case, case_id).data["app_name"] == "府城好停車"
        assert len(history(case_id)) == 1


def test_only_the_owner_edits_and_only_in_an_editable_state(app):
    with app.app_context():
        in_review = new_proposal(steps=("submit",))
    client = app.test_client()
    login(client, "staff2")  # a colleague reads the case but may not edit it
    assert client.get(f"/cases/{in_review}").status_code == 200
    assert client.get(f"/cases/{in_review}/edit").status_code == 403
    assert edit_post(client, in_review, app_name="別人的修改").status_code == 403
    login(client, "staff")  # the owner, but the case is in review
    assert f"/cases/{in_review}/edit" not in client.get(f"/cases/{in_review}").text
    refused = edit_post(client, in_review, app_name="審查中偷改")
    assert refused.status_code == 302
    page = client.get(refused.location).text
    assert "案件為「審查中」時不能修改。" in page
    with app.app_context():
        assert db.session.get(Case, in_review).data["app_name"] == "府城好停車"
        assert [row.transition for row in history(in_review)] == ["open", "submit"]
        # the engine checks again, whatever the page did
        with pytest.raises(TransitionRefused, match="不能修改"):
            edit_case(db.session.get(Case, in_review), _user("staff"), {"app_name": "x"})
        with pytest.raises(TransitionRefused, match="提出者"):
            edit_case(db.session.get(Case, in_review), _user("staff2"), {"app_name": "x"})


def test_a_returned_proposal_is_corrected_and_goes_to_the_head_tn_eval_3(app):
    """Returned: the owner adds ground (4); resubmitting then goes to the agency head."""
    with app.app_context():
        case_id = new_proposal(steps=("submit", "return"), actors=("staff", "reviewer"))
    client = app.test_client()
    login(client, "staff")
    assert edit_post(client, case_id, **GROUND_FOUR).status_code == 302
    page = client.get(f"/cases/{case_id}").text
    assert 'value="resubmit_to_head"' in page and 'value="resubmit"' not in page
    assert (
        "2. 民間行動應用軟體未具備特色功能性或未具備整合性應用。 → "
        "4. 具其他發展必要性且經機關首長核准。"
    ) in text_of(page)
    client.post(f"/cases/{case_id}/transition", data={"name": "resubmit_to_head"})
    login(client, "head")
    refused = client.post(f"/cases/{case_id}/transition", data={"name": "head_return"})
    assert "需要填寫意見" in refused.text  # a return needs the head's reason
    client.post(
        f"/cases/{case_id}/transition", data={"name": "head_return", "comment": "請補充必要性"}
    )
    with app.app_context():
        assert status(case_id) == "returned"
    login(client, "staff")
    edit_post(client, case_id, **{**GROUND_FOUR, "other_necessity": "配合市府重大政策與觀光季。"})
    client.post(f"/cases/{case_id}/transition", data={"name": "resubmit_to_head"})
    login(client, "head")
    client.post(f"/cases/{case_id}/transition", data={"name": "head_approve"})
    with app.app_context():
        assert status(case_id) == "in_review"
        assert [row.transition for row in history(case_id)] == [
            "open",
            "submit",
            "return",
            "edit",
            "resubmit_to_head",
            "head_return",
            "edit",
            "resubmit_to_head",
            "head_approve",
        ]


def test_edits_need_the_csrf_token(make_host):
    app = make_host("tainan")
    with app.app_context():
        case_id = new_proposal()
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/login").text)
    client.post(
        "/login", data={"username": "staff", "password": "demo-staff", "csrf_token": token[1]}
    )
    assert edit_post(client, case_id, app_name="沒有權杖").status_code == 400
    assert client.post(f"/cases/{case_id}/withdraw").status_code == 400
    with app.app_context():
        assert db.session.get(Case, case_id).data["app_name"] == "府城好停車"
        assert len(history(case_id)) == 1


# -- withdrawal ----------------------------------------------------------------------------


@pytest.mark.parametrize("locale", ["zh_Hant_TW", "en"])
def test_the_owner_withdraws_a_draft_instead_of_deleting_it(app, locale):
    with app.app_context():
        case_id = new_proposal()
    client = app.test_client()
    login(client, "staff")
    client.post(f"/locale/{locale}")
    confirm = text_of(client.get(f"/cases/{case_id}/withdraw").text)
    assert ("草稿無法刪除" if locale == "zh_Hant_TW" else "A draft cannot be deleted") in confirm
    done = client.post(f"/cases/{case_id}/withdraw", data={"comment": "重複建立"})
    assert done.status_code == 302
    page = text_of(client.get(f"/cases/{case_id}").text)
    assert ("已撤回" if locale == "zh_Hant_TW" else "Withdrawn") in page
    with app.app_context():
        assert status(case_id) == "withdrawn"
        last = history(case_id)[-1]
        assert (last.transition, last.from_state, last.to_state, last.comment) == (
            "withdraw",
            "draft",
            "withdrawn",
            "重複建立",
        )
    assert f"/cases/{case_id}/edit" not in client.get(f"/cases/{case_id}").text
    again = client.post(f"/cases/{case_id}/withdraw")
    assert again.status_code == 302  # final: nothing more to withdraw
    # a discarded draft stays the owner's: neither the head nor a colleague ever sees it
    for other in ("head", "staff2", "reviewer"):
        login(client, other)
        assert client.get(f"/cases/{case_id}").status_code == 404, other


def test_withdrawal_is_refused_in_review_and_by_others(app):
    with app.app_context():
        in_review = new_proposal(steps=("submit",))
        returned = new_proposal(steps=("submit", "return"), actors=("staff", "reviewer"))
    client = app.test_client()
    login(client, "staff2")
    assert client.post(f"/cases/{returned}/withdraw").status_code == 403
    login(client, "staff")
    assert f"/cases/{in_review}/withdraw" not in client.get(f"/cases/{in_review}").text
    client.post(f"/cases/{in_review}/withdraw")
    too_long = "撤" * 2001
    page = client.post(f"/cases/{returned}/withdraw", data={"comment": too_long}).text
    assert "意見：最多 2,000 字" in page and f">{too_long}</textarea>" in page
    with app.app_context():
        assert status(in_review) == "in_review" and status(returned) == "returned"
        with pytest.raises(TransitionRefused, match="提出者"):
            withdraw_case(db.session.get(Case, returned), _user("staff2"))
    client.post(f"/cases/{returned}/withdraw")
    with app.app_context():
        assert status(returned) == "withdrawn"
    login(client, "reviewer")  # it was in review: the reviewer still reads it
    assert client.get(f"/cases/{returned}").status_code == 200


# -- the contract, with a plug-in of its own -----------------------------------------------


class PermitForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired()])
    start = DateField("First day", validators=[DataRequired()])
    fee = DecimalField("Fee", places=2)


class PermitPlugin:
    """A plug-in whose owner may edit while filed and withdraw; records the hook calls."""

    __name__ = "permits"

    def __init__(self):
        self.calls: list[tuple[str, str]] = []
        self.veto: str | None = None

    @hookimpl
    def casehost_case_types(self, app, register):
        register(
            CaseType(
                key="permit",
                label="Permit",
                form=PermitForm,
                workflow=Workflow(
                    initial="draft",
                    states={
                        "draft": "Draft",
                        "filed": "Filed",
                        "granted": "Granted",
                        "withdrawn": "Withdrawn",
                    },
                    transitions=(
                        Transition("file", "draft", "filed", "agency_staff", "File"),
                        Transition("grant", "filed", "granted", "reviewer", "Grant"),
                    ),
                    final_states=frozenset({"granted", "withdrawn"}),
                    editable_states=frozenset({"draft", "filed"}),
                    withdrawable_states=frozenset({"filed"}),
                    withdrawn_state="withdrawn",
                ),
            )
        )

    @hookimpl
    def casehost_before_transition(self, case, transition, user, comment):
        return self.veto

    @hookimpl
    def casehost_after_transition(self, case, transition, user, comment):
        self.calls.append((transition.name, transition.role))


@pytest.fixture
def permits(sample_host_factory):
    plugin = PermitPlugin()
    return sample_host_factory([plugin], load_entrypoints=False), plugin


def test_a_plugin_declares_its_editable_and_withdrawable_states(permits):
    app, plugin = permits
    client = app.test_client()
    login(client, "staff")
    opened = client.post(
        "/cases/new/permit", data={"title": "Street fair", "start": "2026-12-24", "fee": "12.50"}
    )
    case_id = int(opened.location.rsplit("/", 1)[1])
    page = client.get(f"/cases/{case_id}").text
    assert "/withdraw" not in page  # not from a draft, as this workflow says
    client.post(f"/cases/{case_id}/transition", data={"name": "file"})
    form = client.get(f"/cases/{case_id}/edit").text  # filed: still editable here
    assert 'value="2026-12-24"' in form and 'value="12.50"' in form  # stored ISO read back
    client.post(
        f"/cases/{case_id}/edit",
        data={"title": "Street fair", "start": "2026-12-25", "fee": "12.5"},
    )
    with app.app_context():
        edit = history(case_id)[-1]
        assert edit.changes == {"start": ["2026-12-24", "2026-12-25"]}  # 12.5 == 12.50
    assert "115/12/24 → 115/12/25" in text_of(client.get(f"/cases/{case_id}").text)

    plugin.veto = "The fair needs a decision first."
    page = client.post(f"/cases/{case_id}/withdraw", data={"comment": ""}).text
    assert "The fair needs a decision first." in page
    with app.app_context():
        assert status(case_id) == "filed"
    plugin.veto = None
    client.post(f"/cases/{case_id}/withdraw")
    with app.app_context():
        assert status(case_id) == "withdrawn"
    assert plugin.calls == [("file", "agency_staff"), ("withdraw", "agency_staff")]


@pytest.mark.parametrize(
    ("declaration", "message"),
    [
        ({"editable_states": frozenset({"done"})}, "editable_states names final state"),
        ({"editable_states": frozenset({"nowhere"})}, "undeclared state"),
        ({"withdrawable_states": frozenset({"new"})}, "need a withdrawn_state"),
        (
            {"withdrawable_states": frozenset({"new"}), "withdrawn_state": "new"},
            "must be one of the final states",
        ),
    ],
)
def test_broken_owner_declarations_are_contract_errors(declaration, message):
    with pytest.raises(ContractError, match=message):
        Workflow(
            initial="new",
            states={"new": "N", "done": "D"},
            transitions=(Transition("go", "new", "done", "reviewer", "Go"),),
            final_states=frozenset({"done"}),
            **declaration,
        )


@pytest.mark.parametrize("name", ["open", "edit", "withdraw"])
def test_host_step_names_are_reserved(name):
    with pytest.raises(ContractError, match="reserved"):
        Workflow(
            initial="new",
            states={"new": "N", "done": "D"},
            transitions=(Transition(name, "new", "done", "reviewer", "Go"),),
        )


def test_the_default_editable_state_is_the_initial_one():
    workflow = Workflow(
        initial="new",
        states={"new": "N", "done": "D"},
        transitions=(Transition("go", "new", "done", "reviewer", "Go"),),
    )
    assert workflow.editable_states == frozenset({"new"})
    assert workflow.is_editable("new") and not workflow.is_editable("done")
    assert not workflow.may_withdraw_from("new")
    assert workflow.label_of("go") == "Go" and workflow.label_of("nope") == "nope"
