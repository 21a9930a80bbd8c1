"""Two reviewers deciding the same case at once (issue 10, "Races"): exactly one decision,
exactly one app in the registry, and a clear "already decided" for the other.

Real threads, each with its own application context (its own session and connection),
released together by a :class:`threading.Barrier`, against PostgreSQL 50 times (the host
serialises steps with ``SELECT ... FOR UPDATE``); a lighter run on SQLite (the database's
write lock). Under the Kaohsiung profile the reviewer (the Information Center) approves
(KH-EVAL-1). The loser's page says the case was already decided, in both languages.
"""

from __future__ import annotations

import http.cookiejar
import re
import threading
import urllib.parse
import urllib.request

import pytest
import sqlalchemy as sa
from casework import add_user, history, new_proposal, visible_text
from conftest import serve
from flask_babel import force_locale, gettext
from hosting import login

from appgov_plugin.apps.models import App
from sample_host.cases import TransitionRefused, apply_transition, state_label
from sample_host.extensions import db
from sample_host.models import Case, CaseHistory, User

ALREADY_DECIDED = "This case was already decided (now “%(state)s”): nothing was changed."


def _user(username: str) -> User:
    return db.session.scalar(sa.select(User).where(User.username == username))


@pytest.fixture
def kaohsiung(make_host):
    app = make_host("kaohsiung")
    with app.app_context():
        add_user("reviewer2", "reviewer", "tainan-sdc")  # the same city as "reviewer"
    return app


def _race(app, case_id: int, steps: tuple[tuple[str, str, str], ...]) -> list:
    """Each (username, transition, comment) taken by its own thread at the same moment, as
    from a page that showed the case in review; the outcome of each: None (taken), the
    refusal's message, or the unexpected exception."""
    barrier = threading.Barrier(len(steps))
    outcomes: list = [None] * len(steps)

    def decide(index: int, username: str, name: str, comment: str) -> None:
        try:
            with app.app_context():
                case = db.session.get(Case, case_id)
                user = _user(username)
                barrier.wait(timeout=30)
                try:
                    apply_transition(case, name, user, comment, seen_state="in_review")
                except TransitionRefused as refusal:
                    outcomes[index] = str(refusal)
                finally:
                    db.session.remove()
        except Exception as exc:  # a database error is the failure this test is about
            outcomes[index] = exc

    threads = [
        threading.Thread(target=decide, args=(index, *step)) for index, step in enumerate(steps)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def _repetitions(database_url: str) -> int:
    return 50 if database_url.startswith("postgresql") else 10


def test_two_reviewers_approving_at_once_one_decision_one_app(kaohsiung, database_url):
    app = kaohsiung
    repetitions = _repetitions(database_url)
    with app.app_context():
        case_ids = [new_proposal(steps=("submit",)) for _ in range(repetitions)]
        apps_before = db.session.scalar(sa.select(sa.func.count(App.id)))
    winners = []
    for case_id in case_ids:
        outcomes = _race(app, case_id, (("reviewer", "approve", ""), ("reviewer2", "approve", "")))
        with app.app_context():
            approved = db.session.get(Case, case_id)
            expected = gettext(ALREADY_DECIDED, state=state_label(approved))
        assert sorted(outcomes, key=lambda o: o is not None) == [None, expected], outcomes
        winners.append(("reviewer", "reviewer2")[outcomes.index(None)])
    with app.app_context():
        for case_id in case_ids:
            rows = history(case_id)
            decisions = [r for r in rows if r.transition == "approve"]
            assert len(decisions) == 1, case_id  # exactly one history row of the decision
            assert [r.transition for r in rows] == ["open", "submit", "approve"]
            assert db.session.get(Case, case_id).status == "approved"
            apps = db.session.scalars(sa.select(App).where(App.proposal_case_id == case_id))
            assert len(list(apps)) == 1, case_id  # exactly one app per proposal
        assert db.session.scalar(sa.select(sa.func.count(App.id))) == apps_before + repetitions
    assert set(winners) <= {"reviewer", "reviewer2"}


def test_approve_and_return_at_once_one_wins_the_other_is_told(kaohsiung, database_url):
    """Different decisions at once: one is recorded (and the registry follows it), the other
    is refused as already decided, never a database error."""
    app = kaohsiung
    repetitions = _repetitions(database_url) // 5
    with app.app_context():
        case_ids = [new_proposal(steps=("submit",)) for _ in range(repetitions)]
    for case_id in case_ids:
        outcomes = _race(
            app, case_id, (("reviewer", "approve", ""), ("reviewer2", "return", "請補充預算。"))
        )
        assert outcomes.count(None) == 1, outcomes
        (refusal,) = [o for o in outcomes if o is not None]
        assert isinstance(refusal, str), refusal
        with app.app_context():
            rows = history(case_id)
            assert len(rows) == 3 and rows[-1].transition in {"approve", "return"}
            assert db.session.get(Case, case_id).status == rows[-1].to_state
            apps = list(db.session.scalars(sa.select(App).where(App.proposal_case_id == case_id)))
            assert len(apps) == (1 if rows[-1].transition == "approve" else 0)
            assert refusal == gettext(
                ALREADY_DECIDED, state=state_label(db.session.get(Case, case_id))
            )


# -- what the second reviewer reads ------------------------------------------------------------


def _decided_under_their_eyes(app):
    """reviewer2 has the case page open (in review); reviewer approves first."""
    with app.app_context():
        case_id = new_proposal(steps=("submit",))
    first, second = app.test_client(), app.test_client()
    login(first, "reviewer")
    login(second, "reviewer2")
    page = second.get(f"/cases/{case_id}").get_data(as_text=True)
    assert 'name="state" value="in_review"' in page  # the page says what it showed
    first.post(f"/cases/{case_id}/transition", data={"name": "approve", "state": "in_review"})
    return case_id, second


@pytest.mark.parametrize("locale", ["zh_Hant_TW", "en"])
def test_the_second_reviewer_reads_already_decided(kaohsiung, locale):
    app = kaohsiung
    with app.app_context():
        user = _user("reviewer2")
        user.locale = locale
        db.session.commit()
    case_id, second = _decided_under_their_eyes(app)
    answer = second.post(
        f"/cases/{case_id}/transition",
        data={"name": "approve", "comment": "同意", "state": "in_review"},
    )
    assert answer.status_code == 200
    text = visible_text(answer.get_data(as_text=True))
    with app.test_request_context(), force_locale(locale):
        approved = gettext("Approved")
        expected = gettext(ALREADY_DECIDED, state=approved)
    assert expected in text and approved in text
    if locale == "en":
        assert "This case was already decided (now “Approved”): nothing was changed." in text
    with app.app_context():
        rows = history(case_id)
        assert [r.transition for r in rows] == ["open", "submit", "approve"]
        assert rows[-1].actor.username == "reviewer"
        assert (
            db.session.scalar(
                sa.select(sa.func.count(CaseHistory.id)).where(CaseHistory.case_id == case_id)
            )
            == 3
        )
        assert (
            len(list(db.session.scalars(sa.select(App).where(App.proposal_case_id == case_id))))
            == 1
        )


def test_a_step_without_the_shown_state_keeps_the_plain_refusal(kaohsiung):
    """A client that does not say what it saw (an API, an old page) gets the general
    refusal; a case that changed without a decision says it changed."""
    app = kaohsiung
    with app.app_context():
        user = _user("reviewer2")
        user.locale = "en"
        db.session.commit()
    case_id, second = _decided_under_their_eyes(app)
    answer = second.post(f"/cases/{case_id}/transition", data={"name": "approve"})
    assert "“Approve” is not possible while the case is “Approved”." in visible_text(
        answer.get_data(as_text=True)
    )
    with app.app_context():
        draft = new_proposal()
        apply_transition(db.session.get(Case, draft), "submit", _user("staff"))
        with force_locale("en"), pytest.raises(TransitionRefused) as refused:
            apply_transition(
                db.session.get(Case, draft), "submit", _user("staff"), seen_state="draft"
            )
        assert str(refused.value) == (
            "This case changed since the page was shown (now “In review”): nothing was changed."
        )
        assert [r.transition for r in history(draft)] == ["open", "submit"]


# -- two browsers against a real server ---------------------------------------------------------


class _Browser:
    """A reviewer's browser on ``flask run``: cookies, the CSRF token of the page shown."""

    def __init__(self, base: str, username: str):
        self.base = base
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        token = self._token(self.opener.open(base + "/login").read().decode())
        form = {"username": username, "password": f"demo-{username}", "csrf_token": token}
        self.opener.open(base + "/login", data=urllib.parse.urlencode(form).encode())

    @staticmethod
    def _token(page: str) -> str:
        return re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', page).group(1)

    def show(self, case_id: int) -> dict:
        """The case page's decision form, as shown: its token and the state it shows."""
        page = self.opener.open(f"{self.base}/cases/{case_id}").read().decode()
        state = re.search(r'name="state" value="([^"]+)"', page).group(1)
        return {"csrf_token": self._token(page), "state": state}

    def decide(self, case_id: int, form: dict, name: str) -> str:
        data = urllib.parse.urlencode({**form, "name": name, "comment": ""}).encode()
        return (
            self.opener.open(f"{self.base}/cases/{case_id}/transition", data=data).read().decode()
        )


def test_two_browsers_deciding_at_once_against_flask_run(
    database_url, tmp_path, sample_host_factory
):
    """The same race through the real server (threaded ``flask run``), PostgreSQL only: the
    loser's page shows the refusal, one decision is recorded."""
    if not database_url.startswith("postgresql"):
        pytest.skip("the real server's race runs on PostgreSQL")
    server = serve(database_url, tmp_path, APPGOV_PROFILE="kaohsiung")
    base, _instance = next(server)
    try:
        local = sample_host_factory(APPGOV_PROFILE="kaohsiung", AUTO_SETUP=False)
        with local.app_context():
            add_user("reviewer2", "reviewer", "tainan-sdc")
            case_ids = [new_proposal(steps=("submit",)) for _ in range(10)]
        browsers = [_Browser(base, "reviewer"), _Browser(base, "reviewer2")]
        for case_id in case_ids:
            forms = [browser.show(case_id) for browser in browsers]
            assert [f["state"] for f in forms] == ["in_review", "in_review"]
            barrier = threading.Barrier(2)
            pages: list = [None, None]

            def post(index: int, case_id=case_id, forms=forms, barrier=barrier, pages=pages):
                barrier.wait(timeout=30)
                pages[index] = browsers[index].decide(case_id, forms[index], "approve")

            threads = [threading.Thread(target=post, args=(i,)) for i in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
            refusals = [p for p in pages if 'id="refusal"' in p]
            assert len(refusals) == 1, case_id
            with local.test_request_context(), force_locale("zh_Hant_TW"):
                expected = gettext(ALREADY_DECIDED, state=gettext("Approved"))
            assert expected in visible_text(refusals[0])
        with local.app_context():
            for case_id in case_ids:
                assert [r.transition for r in history(case_id)] == ["open", "submit", "approve"]
                apps = db.session.scalars(sa.select(App).where(App.proposal_case_id == case_id))
                assert len(list(apps)) == 1
    finally:
        next(server, None)  # the server stops (serve's code after its yield)
