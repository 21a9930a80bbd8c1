"""Who approves a development proposal, per profile (issue 10, point 0), in the sample host.

* rule TN-EVAL-1 (Tainan): the agency files, the Smart Development Center (role
  ``reviewer``) countersigns with its opinion (a decision, comment required) or returns it,
  the city government (role ``mayor``: the mayor or an authorised delegate) approves,
  returns or rejects; the app enters the registry on the city's approval;
* rule KH-EVAL-1/2 (Kaohsiung): the Information Center (``reviewer``) approves, rejects or
  returns; a rejection may go to the mayor;
* a deployment adopting TN-EVAL-1 (Taipei here) follows Tainan's path.

Each role's refusal answers with a clear message and writes nothing.
"""

from __future__ import annotations

import types

import pytest
import sqlalchemy as sa
from casework import add_user, history, new_proposal, status, visible_text
from hosting import login

from appgov_plugin.apps.case_types import PROPOSAL
from appgov_plugin.apps.models import App
from appgov_plugin.lifecycle.registry import history as app_history
from appgov_plugin.policy import hookimpl
from sample_host.cases import TransitionRefused, apply_transition
from sample_host.extensions import db
from sample_host.models import Case, User

OPINION = "本中心審查意見：功能與既有 App 無重複，建議核准。"


def _user(username: str) -> User:
    return db.session.scalar(sa.select(User).where(User.username == username))


def _act(client, case_id, name, comment=""):
    """A step posted as the case page posts it (the state shown included)."""
    with client.application.app_context():
        shown = db.session.get(Case, case_id).status
    answer = client.post(
        f"/cases/{case_id}/transition", data={"name": name, "comment": comment, "state": shown}
    )
    return answer, visible_text(answer.get_data(as_text=True))


def _offered(client, case_id) -> set[str]:
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    return {
        name
        for name in (
            "approve",
            "reject",
            "return",
            "countersign",
            "city_approve",
            "city_return",
            "city_reject",
        )
        if f'value="{name}"' in page
    }


def _apps_of(case_id) -> list[App]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(App).where(App.proposal_case_id == case_id)))


def _steps(case_id) -> list[tuple[str, str, str]]:
    return [(r.transition, r.actor.username, r.to_state) for r in history(case_id)]


@pytest.fixture
def tainan(make_host):
    app = make_host("tainan")
    with app.app_context():
        add_user("other-staff", "agency_staff", "tainan-secretariat")
        add_user("other-head", "agency_head", "tainan-secretariat")
        add_user("reviewer2", "reviewer", "tainan-sdc")
    return app


# -- Tainan, TN-EVAL-1 ---------------------------------------------------------------------


def test_tainan_the_center_countersigns_and_the_city_approves_tn_eval_1(tainan):
    app = tainan
    with app.app_context():
        case_id = new_proposal(steps=("submit",))
    client = app.test_client()
    login(client, "reviewer")
    # the center gives its opinion or returns; it neither approves nor rejects
    assert _offered(client, case_id) == {"countersign", "return"}
    for name in ("approve", "reject"):
        answer, text = _act(client, case_id, name, "核准")
        # the city approves (TN-EVAL-1): the center countersigns
        assert answer.status_code == 200 and "TN-EVAL-1" in text, name
    # the opinion is required
    answer, text = _act(client, case_id, "countersign")
    assert "需要填寫意見" in text  # “Countersign with your opinion” needs a comment
    with app.app_context():
        assert status(case_id) == "in_review" and _apps_of(case_id) == []
        assert [s[0] for s in _steps(case_id)] == ["open", "submit"]  # nothing written
    _act(client, case_id, "countersign", OPINION)
    with app.app_context():
        assert status(case_id) == "city_review"
        assert _apps_of(case_id) == []  # not approved yet: no app in the registry
        assert history(case_id)[-1].comment == OPINION
    # now the city government's: the center has nothing more to do
    assert _offered(client, case_id) == set()
    answer, text = _act(client, case_id, "city_approve")
    assert "市長" in text  # only the role "mayor or delegate"
    login(client, "mayor")
    assert case_id in {int(i) for i in _inbox_ids(client)}
    assert _offered(client, case_id) == {"city_approve", "city_return", "city_reject"}
    page = visible_text(client.get(f"/cases/{case_id}").get_data(as_text=True))
    assert OPINION in page  # the mayor reads the center's opinion
    _act(client, case_id, "city_approve")
    with app.app_context():
        assert status(case_id) == "approved"
        assert _steps(case_id)[1:] == [
            ("submit", "staff", "in_review"),
            ("countersign", "reviewer", "city_review"),
            ("city_approve", "mayor", "approved"),
        ]
        (registered,) = _apps_of(case_id)
        assert (registered.status, registered.agency_code) == ("in_development", "tainan-tourism")
        (event,) = app_history(registered.id)
        assert (event.kind, event.actor) == ("registered", "mayor")


def _inbox_ids(client) -> list[str]:
    import re

    return re.findall(r'href="/cases/(\d+)"', client.get("/inbox").get_data(as_text=True))


def test_tainan_the_city_returns_then_rejects_and_the_rejection_is_final(tainan):
    app = tainan
    with app.app_context():
        case_id = new_proposal(steps=("submit", "countersign"), actors=("staff", "reviewer"))
        mayor = _user("mayor")
        with pytest.raises(TransitionRefused, match="意見"):  # a return says why
            apply_transition(db.session.get(Case, case_id), "city_return", mayor, "")
        apply_transition(db.session.get(Case, case_id), "city_return", mayor, "請補充預算")
        assert status(case_id) == "returned"
        apply_transition(db.session.get(Case, case_id), "resubmit", _user("staff"))
        assert status(case_id) == "in_review"  # back to the center, which countersigns again
        apply_transition(db.session.get(Case, case_id), "countersign", _user("reviewer"), "同意")
        with pytest.raises(TransitionRefused, match="意見"):
            apply_transition(db.session.get(Case, case_id), "city_reject", mayor, "")
        apply_transition(db.session.get(Case, case_id), "city_reject", mayor, "與既有服務重複")
        assert status(case_id) == "rejected_by_mayor"
        assert _apps_of(case_id) == []
    client = app.test_client()
    login(client, "head")
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert 'value="escalate"' not in page  # final: no escalation in Tainan


def test_tainan_the_center_may_return_a_proposal(tainan):
    app = tainan
    with app.app_context():
        case_id = new_proposal(steps=("submit",))
        apply_transition(db.session.get(Case, case_id), "return", _user("reviewer"), "請補件")
        assert status(case_id) == "returned"


# -- each role's refusal ---------------------------------------------------------------------


def test_staff_cannot_countersign(tainan):
    app = tainan
    with app.app_context():
        add_user("staff2", "agency_staff", "tainan-tourism")
        case_id = new_proposal("staff2", steps=("submit",))
    client = app.test_client()
    login(client, "staff")  # a colleague of the owner, same agency
    assert _offered(client, case_id) == set()
    answer, text = _act(client, case_id, "countersign", OPINION)
    assert answer.status_code == 200 and "審查" in text  # only the role reviewer
    with app.app_context():
        assert status(case_id) == "in_review" and len(history(case_id)) == 2


def test_the_mayor_cannot_countersign(tainan):
    app = tainan
    with app.app_context():
        case_id = new_proposal(steps=("submit",))
        with pytest.raises(TransitionRefused) as refused:
            apply_transition(db.session.get(Case, case_id), "countersign", _user("mayor"), "可")
        assert "審查" in str(refused.value)  # only the role reviewer
        assert status(case_id) == "in_review" and len(history(case_id)) == 2


def test_the_reviewer_cannot_give_the_final_approval_in_tainan(tainan):
    app = tainan
    with app.app_context():
        case_id = new_proposal(steps=("submit",))
        with pytest.raises(TransitionRefused, match="TN-EVAL-1"):
            apply_transition(db.session.get(Case, case_id), "approve", _user("reviewer"))
        apply_transition(db.session.get(Case, case_id), "countersign", _user("reviewer"), "可")
        for name in ("city_approve", "city_reject"):
            with pytest.raises(TransitionRefused, match="市長"):  # only the mayor or delegate
                apply_transition(db.session.get(Case, case_id), name, _user("reviewer2"), "可")
        assert status(case_id) == "city_review" and _apps_of(case_id) == []


def test_another_agency_cannot_act_on_the_proposal(tainan):
    app = tainan
    with app.app_context():
        returned = new_proposal(steps=("submit", "return"), actors=("staff", "reviewer"))
        with pytest.raises(TransitionRefused, match="其他機關"):  # another agency
            apply_transition(db.session.get(Case, returned), "resubmit", _user("other-staff"))
        head_review = new_proposal(
            steps=("submit_to_head",),
            eligibility_grounds=["other_necessity"],
            other_necessity="配合市府重大政策。",
        )
        with pytest.raises(TransitionRefused, match="其他機關"):
            apply_transition(db.session.get(Case, head_review), "head_approve", _user("other-head"))
        assert status(returned) == "returned" and status(head_review) == "head_review"
    client = app.test_client()
    login(client, "other-staff")
    assert client.get(f"/cases/{returned}").status_code == 404  # not even readable
    answer = client.post(f"/cases/{returned}/transition", data={"name": "resubmit"})
    assert answer.status_code == 404
    with app.app_context():
        assert status(returned) == "returned"


def test_separation_of_duties_on_the_tainan_path(tainan):
    """The center's countersignature is a decision: whoever countersigned does not approve
    as the city, whoever filed does not countersign or approve, after any role change."""
    app = tainan
    with app.app_context():
        case_id = new_proposal(steps=("submit", "countersign"), actors=("staff", "reviewer"))
        reviewer = _user("reviewer")
        reviewer.role = "mayor"
        db.session.commit()
        with pytest.raises(TransitionRefused, match="職務分立"):
            apply_transition(db.session.get(Case, case_id), "city_approve", _user("reviewer"))
        staff = _user("staff")
        staff.role = "mayor"
        db.session.commit()
        with pytest.raises(TransitionRefused, match="職務分立"):
            apply_transition(db.session.get(Case, case_id), "city_approve", _user("staff"))
        assert status(case_id) == "city_review"
        apply_transition(db.session.get(Case, case_id), "city_approve", _user("mayor"))
        assert status(case_id) == "approved"
        other = new_proposal("other-staff", "tainan-secretariat", steps=("submit",))
        promoted = _user("other-staff")
        promoted.role = "reviewer"
        db.session.commit()
        with pytest.raises(TransitionRefused, match="職務分立"):
            apply_transition(db.session.get(Case, other), "countersign", promoted, "自己審")


def test_the_decisions_of_both_paths_are_marked(tainan):
    workflow = tainan.extensions["casehost"].case_types[PROPOSAL].workflow
    decisions = {t.name for t in workflow.transitions if t.decides}
    assert {"countersign", "city_approve", "city_return", "city_reject"} <= decisions
    assert {"approve", "reject", "return"} <= decisions
    assert next(t for t in workflow.transitions if t.name == "countersign").comment_required


# -- Kaohsiung, KH-EVAL-1/2 ------------------------------------------------------------------


def test_kaohsiung_the_information_center_approves_kh_eval_1(make_host):
    app = make_host("kaohsiung")
    with app.app_context():
        case_id = new_proposal(steps=("submit",))
    client = app.test_client()
    login(client, "reviewer")
    assert _offered(client, case_id) == {"approve", "reject", "return"}
    answer, text = _act(client, case_id, "countersign", OPINION)
    assert "KH-EVAL-1" in text
    with app.app_context():
        assert status(case_id) == "in_review"
    _act(client, case_id, "approve")
    with app.app_context():
        assert status(case_id) == "approved"
        assert _steps(case_id)[1:] == [
            ("submit", "staff", "in_review"),
            ("approve", "reviewer", "approved"),
        ]
        (registered,) = _apps_of(case_id)
        assert registered.status == "in_development"


def test_kaohsiung_the_mayor_overrides_a_rejection_kh_eval_2(make_host):
    app = make_host("kaohsiung")
    with app.app_context():
        case_id = new_proposal(
            steps=("submit", "reject", "escalate"), actors=("staff", "reviewer", "head")
        )
        with pytest.raises(TransitionRefused):  # the reviewer does not decide the appeal
            apply_transition(db.session.get(Case, case_id), "mayor_approve", _user("reviewer"))
        apply_transition(db.session.get(Case, case_id), "mayor_approve", _user("mayor"))
        assert status(case_id) == "approved" and len(_apps_of(case_id)) == 1


# -- a deployment that adopts TN-EVAL-1 -----------------------------------------------------


def _adopting_module():
    module = types.ModuleType("adopts_tainan_proposals")

    @hookimpl
    def appgov_parameter(policy, name, as_of):
        if name == "adopted_rules":
            return ["TN-EVAL-1", "TN-EVAL-2", "TN-EVAL-3", "TN-EVAL-4", "TN-EVAL-5"]
        return None

    module.appgov_parameter = appgov_parameter
    return module


def test_taipei_adopting_tn_eval_1_follows_the_tainan_path(sample_host_factory):
    app = sample_host_factory(APPGOV_PROFILE="taipei", APPGOV_POLICY_MODULES=(_adopting_module(),))
    with app.app_context():
        case_id = new_proposal(steps=("submit",))
        with pytest.raises(TransitionRefused, match="TN-EVAL-1"):
            apply_transition(db.session.get(Case, case_id), "approve", _user("reviewer"))
        apply_transition(db.session.get(Case, case_id), "countersign", _user("reviewer"), "可")
        apply_transition(db.session.get(Case, case_id), "city_approve", _user("mayor"))
        assert status(case_id) == "approved" and len(_apps_of(case_id)) == 1


def test_the_english_refusal_names_the_rule(tainan):
    app = tainan
    with app.app_context():
        case_id = new_proposal(steps=("submit",))
        reviewer = _user("reviewer")
        reviewer.locale = "en"
        db.session.commit()
    client = app.test_client()
    login(client, "reviewer")
    _answer, text = _act(client, case_id, "approve")
    assert "The city government gives the final approval (TN-EVAL-1)" in text
