"""Listing an app and changing its version over HTTP in the sample host (issue 10, workflows
1 and 2), on the Tainan and the Kaohsiung profile, SQLite and PostgreSQL.

The demo data gives the registry: app 1, listed 1.4.2, registered as approved before appgov
(the apps demo); app 2, approved and in development, ready to list; app 3, approved and listed with
three versions (1.0.0, 1.1.0, 2.0.0); 「臺南夜市地圖」, listed 1.0.0 without approval
(KH-EVAL-3, the lifecycle demo). Every refusal names the field in both languages and
writes nothing.
"""

from __future__ import annotations

import re
import threading

import pytest
import sqlalchemy as sa
from casework import add_user, counting_queries, history, visible_text
from flask_login import login_user
from form_samples import SAMPLE_FILES, Upload, answers_for, formdata
from hosting import login

from appgov_plugin.apps.models import App
from appgov_plugin.clock import today
from appgov_plugin.forms import store
from appgov_plugin.i18n import _
from appgov_plugin.lifecycle import registry
from appgov_plugin.lifecycle.models import AppEvent
from appgov_plugin.notifications.models import Message
from appgov_plugin.state import get_state
from sample_host.cases import TransitionRefused, apply_transition
from sample_host.extensions import db
from sample_host.models import Case, User

ZH = {"Accept-Language": "zh-TW"}
EN = {"Accept-Language": "en"}
NEW = "/cases/new/appgov_listing_checklist"
APPROVED_BEFORE, READY, LISTED = 1, 2, 3  # the demo's apps (see the module's docstring)
#: the demo's app listed without approval (KH-EVAL-3)
UNAPPROVED_NAME = "臺南夜市地圖（示範：未經核准上架）"


@pytest.fixture(params=["tainan", "kaohsiung"])
def profile(request):
    return request.param


@pytest.fixture
def host(make_host, profile):
    app = make_host(profile)
    with app.app_context():
        add_user("reviewer2", "reviewer", "tainan-sdc")  # a second reviewer of the city
        add_user("kstaff", "agency_staff", "kaohsiung-tb")  # another agency's staff
        add_user("kreviewer", "reviewer", "kaohsiung-ic")  # another city's reviewer
    return app


def _policy(app):
    return app.extensions["appgov"].policy()


def _answers(app, app_id, kind, new, previous=None, report=False, takedown=None, **changes):
    """The checklist's sample answers for ``app_id`` as the deployment asks them."""
    with app.test_request_context():
        policy = _policy(app)
        definition = store.live("listing_checklist")
        asked = set(definition.asked(policy.applies))
        answers = dict(answers_for("listing_checklist", policy.profile))
    answers.pop("security_report", None)
    answers.update(app=str(app_id), kind=kind, new_version=new, previous_version=previous)
    answers["change_summary"] = "修正錯誤並改善效能。" if kind != "new_listing" else None
    answers["security_takedown"] = takedown
    if report:
        answers["security_report"] = Upload("pdf", f"資安檢測報告-{new}.pdf")
    answers.update(changes)
    answers = {k: v for k, v in answers.items() if k in asked and v is not None}
    return definition, answers


def _file(client, app, answers_pair, headers=ZH):
    definition, answers = answers_pair
    return client.post(NEW, data=formdata(definition, answers), headers=headers)


def _case_id(response) -> int:
    assert response.status_code == 302, _errors(response)
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def _errors(response) -> dict[str, str]:
    """Field id -> its error text, as the form page shows them."""
    html = response.get_data(as_text=True)
    return {
        name: visible_text(text).strip()
        for name, text in re.findall(
            r'<div id="([\w-]+)-error" class="invalid-feedback[^"]*">(.*?)</div>', html, re.S
        )
    }


def _step(client, case_id, name, comment="", headers=ZH):
    return client.post(
        f"/cases/{case_id}/transition", data={"name": name, "comment": comment}, headers=headers
    )


def _refusal(response) -> str:
    html = response.get_data(as_text=True)
    found = re.search(
        r'<div class="alert alert-danger" role="alert" id="refusal">(.*?)</div>', html, re.S
    )
    assert found, visible_text(html)[:2000]
    return visible_text(found.group(1)).strip()


def _label(app, name, locale):
    with app.test_request_context():
        return store.live("listing_checklist").spec(name)["label"][locale]


def _app(app, app_id) -> App:
    with app.app_context():
        found = db.session.get(App, app_id)
        db.session.expunge(found)
        return found


def _events(app, app_id) -> list[AppEvent]:
    with app.app_context():
        events = registry.history(app_id)
        for event in events:
            db.session.expunge(event)
        return events


def _status(app, case_id) -> str:
    with app.app_context():
        return db.session.get(Case, case_id).status


def _approve(app, pair, staff="staff", reviewer="reviewer"):
    """File, submit and approve a checklist; the case id."""
    client = app.test_client()
    login(client, staff)
    case_id = _case_id(_file(client, app, pair))
    assert _step(client, case_id, "submit").status_code == 302
    login(client, reviewer)
    response = _step(client, case_id, "accept")
    assert response.status_code == 302, _refusal(response)
    assert _status(app, case_id) == "accepted"
    return case_id


def _reference(upload_kind: str) -> str:
    import hashlib

    return hashlib.sha256(SAMPLE_FILES[upload_kind]).hexdigest()


def _kh(profile) -> bool:
    return profile == "kaohsiung"


# -- workflow 1: listing ----------------------------------------------------------------------


def test_listing_an_app_in_development(host, profile):
    app = host
    before = _events(app, READY)
    pair = _answers(app, READY, "new_listing", "1.0.0", report=_kh(profile))  # rule KH-SEC-1
    client = app.test_client()
    login(client, "staff")
    page = client.get(f"{NEW}?app={READY}").get_data(as_text=True)
    assert re.search(rf'<option selected value="{READY}">|<option value="{READY}" selected', page)
    case_id = _case_id(_file(client, app, pair))
    assert _step(client, case_id, "submit").status_code == 302
    login(client, "reviewer")
    for headers in (ZH, EN):
        with app.test_request_context(headers=headers):
            text = str(_("Approve listing"))  # the listing's own decision label
        assert text in client.get(f"/cases/{case_id}", headers=headers).get_data(as_text=True)
    assert _step(client, case_id, "accept").status_code == 302
    listed = _app(app, READY)
    answers = pair[1]
    assert (listed.status, listed.version, listed.listed_on) == ("listed", "1.0.0", today())
    assert listed.ios_url == answers.get("download_link_ios")
    assert listed.android_url == answers["download_link_android"]
    icon_kind = answers["icon"].kind
    assert listed.icon["sha256"] == _reference(icon_kind)  # rule KH-LIST-2
    events = _events(app, READY)
    assert len(events) == len(before) + 1
    event = events[-1]
    assert (event.kind, event.version, event.case_id, event.actor) == (
        "listed",
        "1.0.0",
        case_id,
        "reviewer",
    )
    assert (event.from_status, event.to_status) == ("in_development", "listed")
    assert event.details["icon"]["sha256"] == listed.icon["sha256"]
    assert event.details["android_url"] == listed.android_url
    report = event.details["security_report"]
    if _kh(profile):
        assert report["sha256"] == _reference("pdf")
    else:
        assert report is None
    with app.app_context():  # the reviewers were told of the submission, the owner of it
        told = {
            (m.recipient, m.event)
            for m in db.session.scalars(sa.select(Message).where(Message.case_id == case_id))
        }
    assert {("reviewer", "listing_submitted"), ("staff", "listing_approved")} <= told
    assert ("reviewer2", "listing_submitted") in told  # every reviewer of the city
    assert ("staff", "listing_submitted") not in told
    assert not any(user == "kreviewer" for user, _event in told)  # not another city's
    # the app page shows the listing in the version history
    login(client, "staff")
    page = visible_text(client.get(f"/appgov/apps/{READY}").get_data(as_text=True))
    assert "1.0.0" in page


# -- workflow 2: version changes --------------------------------------------------------------


def test_minor_update_without_report(host, profile):
    app = host
    case_id = _approve(app, _answers(app, LISTED, "version_change", "2.1.0", previous="2.0.0"))
    listed = _app(app, LISTED)
    assert (listed.status, listed.version) == ("listed", "2.1.0")
    event = _events(app, LISTED)[-1]
    assert (event.kind, event.version, event.case_id) == ("version", "2.1.0", case_id)
    assert event.details["from_version"] == "2.0.0"
    assert event.details["security_report"] is None
    # every version with its date and report kept (KH-SEC-1 where it applies)
    versions = [(e.kind, e.version) for e in _events(app, LISTED) if e.kind != "registered"]
    assert versions == [
        ("listed", "1.0.0"),
        ("version", "1.1.0"),
        ("version", "2.0.0"),
        ("version", "2.1.0"),
    ]
    reports = [bool(e.details.get("security_report")) for e in _events(app, LISTED)[1:]]
    assert reports == ([True, False, True, False] if _kh(profile) else [False] * 4)


@pytest.mark.parametrize("profile", ["kaohsiung"], indirect=True)
def test_major_update_with_report(host):
    app = host
    _approve(app, _answers(app, LISTED, "version_change", "3.0.0", previous="2.0.0", report=True))
    event = _events(app, LISTED)[-1]
    assert (event.kind, event.version) == ("version", "3.0.0")
    assert event.details["security_report"]["name"] == "資安檢測報告-3.0.0.pdf"
    assert _app(app, LISTED).version == "3.0.0"


@pytest.mark.parametrize("profile", ["kaohsiung"], indirect=True)
def test_major_update_without_report_refused_naming_the_field(host):
    app = host
    client = app.test_client()
    login(client, "staff")
    pair = _answers(app, LISTED, "version_change", "3.0.0", previous="2.0.0")
    with app.app_context():
        cases = db.session.scalar(sa.select(sa.func.count(Case.id)))
    for headers, locale, required in (
        (ZH, "zh_Hant_TW", "此欄位是必需的。"),
        (EN, "en", "This field is required."),
    ):
        response = _file(client, app, pair, headers)
        assert response.status_code == 200
        errors = _errors(response)
        assert errors.get("security_report") == required, errors  # rule KH-SEC-1
        assert _label(app, "security_report", locale) in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Case.id))) == cases  # nothing written
    assert _app(app, LISTED).version == "2.0.0"


@pytest.mark.parametrize("profile", ["tainan"], indirect=True)
def test_tainan_is_asked_for_no_security_report(host):
    app = host
    client = app.test_client()
    login(client, "staff")
    page = client.get(NEW).get_data(as_text=True)
    assert 'name="security_report"' not in page and 'name="security_takedown"' not in page
    assert not _policy_applies(app, "KH-SEC-1")
    _approve(app, _answers(app, LISTED, "version_change", "3.0.0", previous="2.0.0"))
    event = _events(app, LISTED)[-1]
    assert (event.kind, event.version, event.details["security_report"]) == (
        "version",
        "3.0.0",
        None,
    )


def _policy_applies(app, rule_id):
    with app.test_request_context():
        return _policy(app).applies(rule_id)


@pytest.mark.parametrize("new", ["2.0.0", "1.9.9"])
def test_version_not_higher_refused_naming_the_field(host, profile, new):
    app = host
    client = app.test_client()
    login(client, "staff")
    case_id = _case_id(_file(client, app, _answers(app, LISTED, "version_change", new, "2.0.0")))
    rows = _rows(app, case_id)
    for headers, locale in ((ZH, "zh_Hant_TW"), (EN, "en")):
        response = _step(client, case_id, "submit", headers=headers)
        assert response.status_code == 200
        message = _refusal(response)
        assert message.startswith(_label(app, "new_version", locale)), message  # rule KH-VER-1
        assert "2.0.0" in message and new in message
        assert ("KH-VER-1" in message) == _kh(profile)
    assert _status(app, case_id) == "draft"
    assert _rows(app, case_id) == rows  # nothing written
    assert _app(app, LISTED).version == "2.0.0"


@pytest.mark.parametrize("new", ["2.1", "v2.1.0", "2.1.0-beta", "二.一.〇"])
def test_malformed_version_refused_naming_the_field(host, new):
    app = host
    client = app.test_client()
    login(client, "staff")
    with app.app_context():
        cases = db.session.scalar(sa.select(sa.func.count(Case.id)))
    for headers in (ZH, EN):
        response = _file(
            client, app, _answers(app, LISTED, "version_change", new, "2.0.0"), headers
        )
        assert response.status_code == 200
        errors = _errors(response)
        assert "new_version" in errors, errors  # rule KH-VER-1: MAJOR.MINOR.PATCH
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Case.id))) == cases


def test_previous_version_must_be_the_registrys(host, profile):
    app = host
    client = app.test_client()
    login(client, "staff")
    case_id = _case_id(
        _file(client, app, _answers(app, LISTED, "version_change", "3.0.1", previous="3.0.0"))
    )
    for headers, locale in ((ZH, "zh_Hant_TW"), (EN, "en")):
        message = _refusal(_step(client, case_id, "submit", headers=headers))
        assert message.startswith(_label(app, "previous_version", locale)), message
        assert "2.0.0" in message and "3.0.0" in message
    assert _status(app, case_id) == "draft"


# -- relisting after a security takedown (KH-SEC-1 (3)) ---------------------------------------


def _take_down(app, app_id, security=True):
    """The app taken down (KH-SEC-1 (3) when ``security``), through the registry."""
    with app.test_request_context():
        locked = registry.locked_app(app_id)
        locked.security_takedown = security
        registry.record(locked, "taken_down", "reviewer", status="suspended", reason="資安風險")
        get_state().session.commit()


def test_relisting_after_a_security_takedown_needs_the_report(host, profile):
    app = host
    _take_down(app, LISTED)
    client = app.test_client()
    login(client, "staff")
    if _kh(profile):
        # the form asks for the report when the takedown is ticked (required_by)
        pair = _answers(app, LISTED, "relisting", "2.0.1", previous="2.0.0", takedown=True)
        errors = _errors(_file(client, app, pair))
        assert "security_report" in errors, errors
        # unticked, the registry's takedown refuses the submission, naming the tick box
        pair = _answers(app, LISTED, "relisting", "2.0.1", previous="2.0.0", takedown=False)
        case_id = _case_id(_file(client, app, pair))
        for headers, locale in ((ZH, "zh_Hant_TW"), (EN, "en")):
            message = _refusal(_step(client, case_id, "submit", headers=headers))
            assert message.startswith(_label(app, "security_takedown", locale)), message
        assert _status(app, case_id) == "draft"
        pair = _answers(
            app, LISTED, "relisting", "2.0.1", previous="2.0.0", takedown=True, report=True
        )
    else:  # rule KH-SEC-1 is Kaohsiung's: Tainan is asked for no report
        pair = _answers(app, LISTED, "relisting", "2.0.1", previous="2.0.0")
    _approve(app, pair)
    relisted = _app(app, LISTED)
    assert (relisted.status, relisted.version, relisted.security_takedown) == (
        "listed",
        "2.0.1",
        False,
    )
    event = _events(app, LISTED)[-1]
    assert (event.kind, event.from_status) == ("relisted", "suspended")
    assert bool(event.details["security_report"]) == _kh(profile)


def test_relisting_may_bring_back_the_same_version(host, profile):
    app = host
    _take_down(app, LISTED, security=False)
    _approve(app, _answers(app, LISTED, "relisting", "2.0.0", previous="2.0.0", takedown=False))
    assert (_app(app, LISTED).status, _app(app, LISTED).version) == ("listed", "2.0.0")


# -- KH-EVAL-3: no approval, no listing -------------------------------------------------------


def test_an_app_without_an_approved_proposal_cannot_be_listed(host, profile):
    app = host
    with app.app_context():
        rogue = App(agency_code="tainan-tourism", name="未經核准App", status="in_development")
        db.session.add(rogue)
        db.session.commit()
        rogue_id = rogue.id
        unapproved = db.session.scalar(sa.select(App).where(App.name == UNAPPROVED_NAME))
        assert (unapproved.status, unapproved.version) == ("listed", "1.0.0")
        assert not registry.was_approved(unapproved)
        unapproved_id = unapproved.id
    client = app.test_client()
    login(client, "staff")
    rule = "KH-EVAL-3" if _kh(profile) else "TN-EVAL-1"
    for app_id, kind, new, previous in (
        (rogue_id, "new_listing", "1.0.0", None),
        (unapproved_id, "version_change", "1.5.0", "1.0.0"),
    ):
        pair = _answers(app, app_id, kind, new, previous, report=_kh(profile))
        case_id = _case_id(_file(client, app, pair))
        for headers, locale in ((ZH, "zh_Hant_TW"), (EN, "en")):
            message = _refusal(_step(client, case_id, "submit", headers=headers))
            assert message.startswith(_label(app, "app", locale)), message
            assert rule in message
        assert _status(app, case_id) == "draft"
    assert _app(app, rogue_id).status == "in_development"
    assert _app(app, unapproved_id).version == "1.0.0"
    # registered by an administrator as approved before appgov, with the approving
    # document's number (as the admin form records it): listed
    with app.test_request_context():
        session = get_state().session
        registry.record(
            session.get(App, rogue_id),
            "registered",
            "admin",
            reason="已核准",
            details={"by": "flask-admin", "approved": True, "approval_reference": "府觀字第1號"},
        )
        session.commit()
    _approve(app, _answers(app, rogue_id, "new_listing", "1.0.0", report=_kh(profile)))
    assert _app(app, rogue_id).status == "listed"


def test_the_kind_must_fit_the_apps_status(host):
    app = host
    client = app.test_client()
    login(client, "staff")
    case_id = _case_id(
        _file(client, app, _answers(app, LISTED, "new_listing", "9.0.0", report=True))
    )
    for headers, locale in ((ZH, "zh_Hant_TW"), (EN, "en")):
        message = _refusal(_step(client, case_id, "submit", headers=headers))
        assert message.startswith(_label(app, "kind", locale)), message
    assert _status(app, case_id) == "draft"


# -- permissions ------------------------------------------------------------------------------


def test_another_agencys_staff_cannot_choose_the_app(host):
    app = host
    client = app.test_client()
    login(client, "kstaff")
    page = client.get(f"{NEW}?app={READY}").get_data(as_text=True)
    assert f'value="{READY}"' not in page and "臺南" not in page
    with app.app_context():
        cases = db.session.scalar(sa.select(sa.func.count(Case.id)))
    for app_id in (READY, LISTED, 999):  # another agency's apps, a guessed id
        response = _file(client, app, _answers(app, app_id, "new_listing", "1.0.0", report=True))
        assert response.status_code == 200
        assert "app" in _errors(response), _errors(response)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Case.id))) == cases
    assert client.get(f"/appgov/apps/{READY}").status_code == 404


def test_only_the_reviewer_approves_and_never_their_own(host):
    app = host
    client = app.test_client()
    login(client, "staff")
    case_id = _case_id(
        _file(client, app, _answers(app, LISTED, "version_change", "2.0.1", "2.0.0"))
    )
    assert _step(client, case_id, "submit").status_code == 302
    rows = _rows(app, case_id)
    for username in ("staff", "head", "mayor", "itdept", "kreviewer"):
        login(client, username)
        response = _step(client, case_id, "accept")
        assert response.status_code in (200, 403, 404), username
        assert _status(app, case_id) == "submitted", username
        assert _rows(app, case_id) == rows, username
    # a reviewer who filed a case never decides it (separation of duties)
    with app.app_context():
        staff = db.session.scalar(sa.select(User).where(User.username == "staff"))
        staff.role = "reviewer"
        db.session.commit()
    login(client, "staff")
    response = _step(client, case_id, "accept")
    assert response.status_code == 200 and _status(app, case_id) == "submitted"
    assert _app(app, LISTED).version == "2.0.0"
    login(client, "reviewer")
    assert _step(client, case_id, "accept").status_code == 302
    assert _app(app, LISTED).version == "2.0.1"


def _rows(app, case_id):
    with app.app_context():
        return len(history(case_id))


def test_returned_checklist_is_corrected_and_resubmitted(host):
    app = host
    client = app.test_client()
    login(client, "staff")
    case_id = _case_id(
        _file(client, app, _answers(app, LISTED, "version_change", "2.0.1", "2.0.0"))
    )
    assert _step(client, case_id, "submit").status_code == 302
    login(client, "reviewer")
    assert _step(client, case_id, "return", comment="請補充改版內容。").status_code == 302
    with app.app_context():
        told = db.session.scalars(
            sa.select(Message.event).where(Message.case_id == case_id, Message.recipient == "staff")
        ).all()
    assert "listing_returned" in told
    login(client, "staff")
    assert _step(client, case_id, "resubmit").status_code == 302
    login(client, "reviewer")
    assert _step(client, case_id, "accept").status_code == 302
    assert _app(app, LISTED).version == "2.0.1"


# -- races ------------------------------------------------------------------------------------


def _user(username):
    return db.session.scalar(sa.select(User).where(User.username == username))


def _race(app, steps):
    """Each (case id, reviewer) approved by its own thread at the same moment: the outcome
    of each, None (approved), the refusal's message or the unexpected exception."""
    barrier = threading.Barrier(len(steps))
    outcomes: list = [None] * len(steps)

    def decide(index, case_id, username):
        try:
            with app.test_request_context(headers=EN):
                case = db.session.get(Case, case_id)
                user = _user(username)
                barrier.wait(timeout=30)
                try:
                    apply_transition(case, "accept", user, "")
                except TransitionRefused as refusal:
                    outcomes[index] = str(refusal)
                finally:
                    db.session.remove()
        except Exception as exc:  # a database error is what this test is about
            outcomes[index] = exc

    threads = [threading.Thread(target=decide, args=(i, *step)) for i, step in enumerate(steps)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.mark.parametrize("profile", ["kaohsiung"], indirect=True)
def test_two_listings_of_one_app_approved_at_once_leave_one_version(host, database_url):
    app = host
    client = app.test_client()
    repetitions = 20 if database_url.startswith("postgresql") else 5
    label = _label(app, "new_version", "en")
    for number in range(repetitions):
        current = _app(app, LISTED).version
        major, minor, patch = (int(p) for p in current.split("."))
        new = f"{major}.{minor}.{patch + 1}"
        login(client, "staff")
        case_ids = []
        for _twice in range(2):
            case_id = _case_id(
                _file(client, app, _answers(app, LISTED, "version_change", new, current))
            )
            assert _step(client, case_id, "submit").status_code == 302
            case_ids.append(case_id)
        events = len(_events(app, LISTED))
        outcomes = _race(app, ((case_ids[0], "reviewer"), (case_ids[1], "reviewer2")))
        assert outcomes.count(None) == 1, (number, outcomes)
        refusal = next(o for o in outcomes if o is not None)
        assert isinstance(refusal, str) and refusal.startswith(label), (number, outcomes)
        statuses = sorted(_status(app, c) for c in case_ids)
        assert statuses == ["accepted", "submitted"], number
        assert _app(app, LISTED).version == new
        assert len(_events(app, LISTED)) == events + 1  # one version recorded


def test_the_demo_listings_validate_with_their_own_version(host, profile):
    from sample_host.plugins import current_host

    app = host
    with app.test_request_context():
        login_user(_user("staff"))  # the app field offers the apps the reader may file for
        cases = db.session.scalars(
            sa.select(Case).where(Case.type_key == "appgov_listing_checklist").order_by(Case.id)
        ).all()
        assert [case.status for case in cases] == ["accepted"] * 3
        for case in cases:
            form = current_host().case_types[case.type_key].case_form(case)
            assert form.validate(), form.errors
        ready = db.session.get(App, READY)
        assert (ready.status, ready.proposal_case_id is not None) == ("in_development", True)


@pytest.mark.parametrize("profile", ["kaohsiung"], indirect=True)
def test_an_approval_costs_the_same_queries_however_long_the_history(host):
    app = host
    client = app.test_client()
    counts = []
    for number in range(7):
        current = _app(app, LISTED).version
        new = f"2.0.{int(current.rsplit('.', 1)[1]) + 1}"
        login(client, "staff")
        case_id = _case_id(
            _file(client, app, _answers(app, LISTED, "version_change", new, current))
        )
        assert _step(client, case_id, "submit").status_code == 302
        login(client, "reviewer")
        with counting_queries(app) as statements:
            assert _step(client, case_id, "accept").status_code == 302
        counts.append(len(statements))
        assert _app(app, LISTED).version == new, number
    assert len(_events(app, LISTED)) == 1 + 3 + 7  # registered, the demo's three, these
    assert counts[1] == counts[-1], counts  # the history's length costs no query
