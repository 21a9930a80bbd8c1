"""The host hooks plug-ins ask the sample host, or answer it, for work they do themselves:
``casehost_users`` (whom to notify), ``casehost_open_case`` (a case a rule demands) and
``casehost_case_deadlines`` (due dates the host shows)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa
from casework import add_user, visible_text
from hosting import login

from appgov_plugin.host.contract import ContractError
from appgov_plugin.lifecycle.case_types import DELISTING
from appgov_plugin.lifecycle.models import Deadline
from sample_host.extensions import db
from sample_host.models import Case, CaseHistory, User


def _hook(app):
    return app.extensions["casehost"].pm.hook


def test_casehost_users_follow_the_acting_scope(make_host):
    app = make_host()
    with app.app_context():
        add_user("kh-reviewer", "reviewer", "kaohsiung-ic")
        quitter = add_user("old-reviewer", "reviewer", "tainan-sdc")
        quitter.active = False
        db.session.commit()
        hook = _hook(app)
        staff = hook.casehost_users(app=app, roles=("agency_staff",), agency_code="tainan-tourism")
        assert [u.username for u in staff] == ["staff"]
        # city-wide roles of the agency's city; never the administrator, never the inactive
        city = hook.casehost_users(
            app=app, roles=("reviewer", "mayor", "sysadmin"), agency_code="tainan-tourism"
        )
        assert sorted(u.username for u in city) == ["mayor", "reviewer"]
        assert city[0].email.endswith("@example.org")
        assert hook.casehost_users(app=app, roles=("reviewer",), agency_code="nowhere") == []
        # another agency of the same city has no staff of its own
        assert hook.casehost_users(app=app, roles=("agency_staff",), agency_code="tainan-sdc") == []


def test_casehost_open_case_opens_for_the_agency_with_its_reason(make_host):
    app = make_host()
    with app.app_context():
        hook = _hook(app)
        case = hook.casehost_open_case(
            app=app,
            type_key=DELISTING,
            agency_code="tainan-tourism",
            data={"app_name": "府城好行"},
            owner_username="nobody-of-that-name",  # unknown: the agency's staff owns it
            comment="依規定開立（TN-DEL-1）",
        )
        db.session.commit()
        stored = db.session.get(Case, case.id)
        assert stored.owner.username == "staff" and stored.status == "draft"
        assert stored.form_key == "delisting_application" and stored.form_version
        opening = db.session.scalars(
            sa.select(CaseHistory).where(CaseHistory.case_id == case.id)
        ).one()
        assert opening.comment == "依規定開立（TN-DEL-1）" and opening.actor.username == "staff"
        with pytest.raises(ContractError, match="no active agency_staff"):
            hook.casehost_open_case(
                app=app,
                type_key=DELISTING,
                agency_code="tainan-sdc",
                data={},
                owner_username=None,
                comment="",
            )
        with pytest.raises(ContractError, match="unknown case type"):
            hook.casehost_open_case(
                app=app,
                type_key="nope",
                agency_code="tainan-tourism",
                data={},
                owner_username=None,
                comment="",
            )


def test_casehost_case_deadlines_reach_the_inbox_and_the_case_page(make_host):
    app = make_host()
    with app.app_context():
        owner = db.session.scalar(sa.select(User).where(User.username == "staff"))
        case = db.session.scalars(
            sa.select(Case).where(Case.owner_id == owner.id).order_by(Case.id)
        ).first()
        past, future = dt.date(2026, 1, 5), dt.date(2099, 12, 31)
        db.session.add(
            Deadline(
                case_id=case.id,
                type_key=case.type_key,
                state=case.status,
                kind="plan_review",
                started_on=past,
                due_on=past,
            )
        )
        db.session.commit()
        answered = _hook(app).casehost_case_deadlines(app=app, case_ids=[case.id, 10**6])
        merged = {k: v for answer in answered for k, v in answer.items()}
        assert set(merged) == {case.id} and merged[case.id].overdue
        case_id = case.id
    client = app.test_client()
    login(client, "staff")
    inbox = visible_text(client.get("/inbox").get_data(as_text=True))
    assert re.search(r"115/01/05\s+逾期", inbox)  # TIME-5: ROC dates; overdue said in words
    page = visible_text(client.get(f"/cases/{case_id}").get_data(as_text=True))
    assert "逾期" in page
    with app.app_context():
        db.session.execute(sa.update(Deadline).values(due_on=future))
        db.session.commit()
    client.post("/locale/en", data={"next": "/inbox"})
    inbox = visible_text(client.get("/inbox").get_data(as_text=True))
    assert "2099-12-31" in inbox and "Overdue" not in inbox
