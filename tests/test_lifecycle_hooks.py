"""A city adds a step or a check with a hook module and no change to appgov (issue 10).

The hooks of ``appgov_plugin/lifecycle/hookspecs.py`` are documented in
``docs/lifecycle_hooks.md`` and its examples run (mirroring tests/test_docs.py). A
throw-away module written to the test's tmp dir, on ``sys.path`` and named in
``APPGOV_POLICY_MODULES``, adds a legal review after "submitted" on the listing checklist
and a check refusing a listing without a privacy statement; a listing walks through both
over HTTP in the sample host, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
import types
from pathlib import Path

import pytest
import sqlalchemy as sa
from casework import history, new_proposal, status, visible_text
from form_samples import answers_for, formdata
from hosting import login

import appgov_plugin
from appgov_plugin.apps.models import App
from appgov_plugin.forms import store
from appgov_plugin.host.contract import ContractError
from appgov_plugin.lifecycle import hookspecs as lifecycle_hookspecs
from appgov_plugin.lifecycle.case_types import LISTING
from appgov_plugin.lifecycle.steps import extended_workflow, through_steps
from appgov_plugin.submissions import filing_workflow
from sample_host.cases import TransitionRefused, apply_transition
from sample_host.extensions import db
from sample_host.models import Case, User

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "lifecycle_hooks.md"
PRIVACY_REFUSAL = "上架說明須載明隱私權政策，才能核准上架。"
READY = 2  # the demo's app approved and in development, ready to list


def _hook_names(module, prefix):
    return {name for name in dir(module) if name.startswith(prefix)}


def _documented(doc: Path, prefix: str) -> set[str]:
    return set(re.findall(rf"^## ({prefix}\w+)\(", doc.read_text(encoding="utf-8"), re.M))


def _blocks(doc: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", doc.read_text(encoding="utf-8"), re.S)


def _examples_module(name: str, blocks) -> types.ModuleType:
    module = types.ModuleType(name)
    module.hookimpl = appgov_plugin.hookimpl
    for block in blocks:
        exec(compile(block, str(DOC), "exec"), module.__dict__)
    return module


# -- the documentation -----------------------------------------------------------------------


def test_every_lifecycle_hook_is_documented():
    names = _hook_names(lifecycle_hookspecs, "appgov_")
    assert names == {"appgov_workflow_steps", "appgov_check_transition"}
    assert _documented(DOC, "appgov_") == names
    for name in names:
        assert getattr(lifecycle_hookspecs, name).__doc__.strip(), name


def test_the_documented_examples_run_and_implement_every_hook():
    module = _examples_module("lifecycle_doc_examples", _blocks(DOC))
    pm = appgov_plugin.get_policy("tainan", plugins=[module]).plugin_manager  # check_pending
    for name in _hook_names(lifecycle_hookspecs, "appgov_"):
        assert module in [i.plugin for i in getattr(pm.hook, name).get_hookimpls()], name
    # the legal review before listing
    workflow = extended_workflow(filing_workflow("reviewer"), LISTING, pm)
    assert str(workflow.states["legal_review"]) == "法制審查 (TN-LIST-1)"
    assert workflow.transition("draft", "submit").target == "legal_review"
    assert workflow.transition("returned", "resubmit").target == "legal_review"
    approve = workflow.transition("legal_review", "legal_review_approve")
    back = workflow.transition("legal_review", "legal_review_return")
    assert (approve.target, approve.role, approve.decides) == ("submitted", "agency_head", True)
    assert (back.target, back.comment_required, back.decides) == ("returned", True, True)
    assert workflow.transition("submitted", "accept").target == "accepted"  # as before
    # other case types are left alone
    untouched = filing_workflow("reviewer")
    assert extended_workflow(untouched, "appgov_self_check", pm) == untouched
    # the privacy check
    check = pm.hook.appgov_check_transition
    accept = types.SimpleNamespace(name="accept", target="accepted")
    bare = types.SimpleNamespace(type_key=LISTING, data={"description": "查詢場館"})
    stated = types.SimpleNamespace(
        type_key=LISTING, data={"description": "查詢場館。隱私權政策：https://example.tw/p"}
    )
    assert check(case=bare, transition=accept, user=None, comment="") == PRIVACY_REFUSAL
    assert check(case=stated, transition=accept, user=None, comment="") is None
    other = types.SimpleNamespace(type_key="appgov_self_check", data={})
    assert check(case=other, transition=accept, user=None, comment="") is None


def _module_with(body: str) -> types.ModuleType:
    module = types.ModuleType("bad_steps")
    module.hookimpl = appgov_plugin.hookimpl
    exec(
        "@hookimpl\ndef appgov_workflow_steps(case_type, add_step):\n    " + body,
        module.__dict__,
    )
    return module


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('add_step("sent", "x", "X", "reviewer", "A", "R")', "after_state 'sent'"),
        ('add_step("submitted", "draft", "X", "reviewer", "A", "R")', "state 'draft'"),
        ('add_step("submitted", "x", "X", "lawyer", "A", "R")', "unknown role 'lawyer'"),
        ('add_step("submitted", "x", "X", "reviewer", "A", "R", rule="TN-XX-9")', "TN-XX-9"),
    ],
)
def test_a_bad_step_stops_with_a_message_naming_it(body, message):
    pm = appgov_plugin.get_policy("tainan", plugins=[_module_with(body)]).plugin_manager
    with pytest.raises(ContractError, match=re.escape(message)) as error:
        extended_workflow(filing_workflow("reviewer"), LISTING, pm)
    assert "appgov_workflow_steps for 'appgov_listing_checklist'" in str(error.value)


def test_two_steps_after_one_state_follow_each_other_and_demo_steps_pass_through():
    body = (
        'add_step("submitted", "legal", "L", "agency_head", "A", "R")\n'
        '    add_step("submitted", "privacy", "P", "it_department", "A", "R")'
    )
    pm = appgov_plugin.get_policy("tainan", plugins=[_module_with(body)]).plugin_manager
    workflow = extended_workflow(filing_workflow("reviewer"), LISTING, pm)
    assert workflow.transition("draft", "submit").target == "legal"
    assert workflow.transition("legal", "legal_approve").target == "privacy"
    assert workflow.transition("privacy", "privacy_approve").target == "submitted"
    assert through_steps(workflow, ["submit", "accept"]) == [
        ("submit", False),
        ("legal_approve", True),
        ("privacy_approve", True),
        ("accept", False),
    ]
    assert through_steps(workflow, ["submit"]) == [("submit", False)]  # waits in the step


# -- a throw-away module in the sample host ------------------------------------------------


def _write_module(tmp_path, name: str, blocks) -> str:
    source = "from appgov_plugin.policy import hookimpl\n\n" + "\n\n".join(blocks)
    (tmp_path / f"{name}.py").write_text(source, encoding="utf-8")
    return name


@pytest.fixture
def city_modules(tmp_path, monkeypatch):
    """Two throw-away hook modules from the doc's examples: the legal review (a step) and
    the privacy check (a check), importable by name."""
    step_block, check_block = _blocks(DOC)
    folder = tmp_path / "city"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    suffix = tmp_path.name.replace("-", "_")
    step = _write_module(folder, f"city_legal_review_{suffix}", [step_block])
    check = _write_module(
        folder, f"city_privacy_check_{suffix}", [f'LISTING = "{LISTING}"', check_block]
    )
    return step, check


def _user(username: str) -> User:
    return db.session.scalar(sa.select(User).where(User.username == username))


def _listing_form(app, app_id: int, **changes):
    with app.test_request_context():
        policy = app.extensions["appgov"].policy()
        definition = store.live("listing_checklist")
        asked = set(definition.asked(policy.applies))
        answers = dict(answers_for("listing_checklist", policy.profile))
    answers.pop("security_report", None)
    answers.update(app=str(app_id), kind="new_listing", new_version="1.0.0", **changes)
    answers = {k: v for k, v in answers.items() if k in asked and v is not None}
    return formdata(definition, answers)


def _step(client, case_id, name, comment=""):
    answer = client.post(f"/cases/{case_id}/transition", data={"name": name, "comment": comment})
    return answer, visible_text(answer.get_data(as_text=True))


def test_a_city_adds_a_legal_review_and_a_privacy_check_without_changing_appgov(
    sample_host_factory, city_modules
):
    step, check = city_modules
    # the deployment runs with the legal review: its demo data passes through it
    first = sample_host_factory(APPGOV_PROFILE="tainan", APPGOV_POLICY_MODULES=step)
    workflow = first.extensions["casehost"].case_types[LISTING].workflow
    assert "legal_review" in workflow.states
    with first.app_context():
        demo = db.session.scalars(
            sa.select(Case).where(Case.type_key == LISTING, Case.status == "accepted")
        ).all()
        assert demo  # the demo's listed app: its checklists went through the legal review
        for case in demo:
            steps = [(r.transition, r.actor.role) for r in history(case.id)]
            assert ("legal_review_approve", "agency_head") in steps, steps
    # then the city adds its privacy check too (same database, no change to appgov)
    app = sample_host_factory(APPGOV_PROFILE="tainan", APPGOV_POLICY_MODULES=f"{step},{check}")
    client = app.test_client()
    login(client, "staff")
    filed = client.post("/cases/new/appgov_listing_checklist", data=_listing_form(app, READY))
    assert filed.status_code == 302, visible_text(filed.get_data(as_text=True))[:1500]
    case_id = int(filed.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    _step(client, case_id, "submit")
    with app.app_context():
        assert status(case_id) == "legal_review"
    page = visible_text(client.get(f"/cases/{case_id}").get_data(as_text=True))
    assert "法制審查 (TN-LIST-1)" in page  # the state, in the city's words
    # only the agency head clears the legal review; the reviewer waits for it
    _answer, text = _step(client, case_id, "legal_review_approve")
    assert "機關首長" in text
    # the reviewer reads the checklist once it reaches them, not during the legal review
    login(client, "reviewer")
    answer, _text = _step(client, case_id, "accept")
    assert answer.status_code == 404
    with app.app_context():
        assert status(case_id) == "legal_review"
        with pytest.raises(TransitionRefused, match="法制審查"):  # not possible in the review
            apply_transition(db.session.get(Case, case_id), "accept", _user("reviewer"))
    login(client, "head")
    answer, _text = _step(client, case_id, "legal_review_return")  # a return says why
    assert "需要填寫意見" in visible_text(answer.get_data(as_text=True))
    _step(client, case_id, "legal_review_approve")
    with app.app_context():
        assert status(case_id) == "submitted"
    # the check: no listing without a privacy statement; nothing written
    login(client, "reviewer")
    _answer, text = _step(client, case_id, "accept")
    assert PRIVACY_REFUSAL in text
    with app.app_context():
        assert status(case_id) == "submitted"
        assert db.session.get(App, READY).status == "in_development"
        before = len(history(case_id))
    _step(client, case_id, "return", "請於說明載明隱私權政策。")
    # the agency states its privacy policy and files it again: legal review, then listing
    login(client, "staff")
    description = "查詢各區運動場館即時使用情形並線上預約。隱私權政策：https://example.tw/privacy"
    edited = client.post(
        f"/cases/{case_id}/edit", data=_listing_form(app, READY, description=description)
    )
    assert edited.status_code == 302, visible_text(edited.get_data(as_text=True))[:1500]
    _step(client, case_id, "resubmit")
    with app.app_context():
        assert status(case_id) == "legal_review"  # back through the legal review
    login(client, "head")
    _step(client, case_id, "legal_review_approve")
    login(client, "reviewer")
    _step(client, case_id, "accept")
    with app.app_context():
        assert status(case_id) == "accepted"
        listed = db.session.get(App, READY)
        assert (listed.status, listed.version) == ("listed", "1.0.0")
        steps = [r.transition for r in history(case_id)][before - 1 :]
        assert steps == [
            "legal_review_approve",
            "return",
            "edit",
            "resubmit",
            "legal_review_approve",
            "accept",
        ]


def test_a_city_check_covers_the_proposals_too(sample_host_factory, tmp_path, monkeypatch):
    """``appgov_check_transition`` is asked for every case appgov contributes, the
    development proposal included (not only the lifecycle's)."""
    monkeypatch.syspath_prepend(str(tmp_path))
    name = f"city_budget_check_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text(
        "from appgov_plugin.policy import hookimpl\n\n"
        "@hookimpl\n"
        "def appgov_check_transition(case, transition, user, comment):\n"
        "    budget = int((case.data or {}).get('budget') or 0)\n"
        "    if case.type_key == 'appgov_app_proposal' and transition.name == 'submit'"
        " and budget > 50_000_000:\n"
        "        return '逾五千萬元之開發案，請先提報市府資訊發展委員會。'\n"
        "    return None\n",
        encoding="utf-8",
    )
    app = sample_host_factory(APPGOV_PROFILE="tainan", APPGOV_POLICY_MODULES=name)
    with app.app_context():
        large = new_proposal(budget=60_000_000)
        with pytest.raises(TransitionRefused, match="資訊發展委員會"):
            apply_transition(db.session.get(Case, large), "submit", _user("staff"))
        assert status(large) == "draft" and len(history(large)) == 1
        small = new_proposal(steps=("submit",))
        assert status(small) == "in_review"
