"""Embedding appgov in an existing Flask intranet that does not use pluggy: AppGov(app)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from intranet import make_intranet

from appgov_plugin import AppGov
from appgov_plugin.apps.case_types import PROPOSAL
from appgov_plugin.apps.models import App


def test_extension_installs_pages_admin_cli_and_case_types(database_url):
    app, db, _ = make_intranet(database_url)
    state = app.extensions["appgov"]
    assert state.profile == "kaohsiung"
    assert PROPOSAL in state.case_types
    # Kaohsiung's profile lets a rejected proposal go to the mayor (KH-EVAL-2)
    workflow = state.case_types[PROPOSAL].workflow
    assert workflow.transition("rejected", "escalate").role == "agency_head"

    result = app.test_cli_runner().invoke(args=["appgov", "db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        tables = set(sa.inspect(db.engine).get_table_names())
        assert {"appgov_app", "appgov_alembic_version"} <= tables
        db.session.add(App(agency_code="TN-TOUR", name="台南旅遊", status="listed"))
        db.session.add(App(agency_code="KH-TRAF", name="高雄交通", status="listed"))
        db.session.commit()

    client = app.test_client()
    assert client.get("/appgov/").status_code == 401  # login required, no login view here
    assert client.get("/admin/appgov_app/").status_code == 401
    client.get("/_login/clerk")
    page = client.get("/appgov/", headers={"Accept-Language": "zh-TW"}).get_data(as_text=True)
    assert "台南旅遊" in page and "高雄交通" not in page  # own agency only
    assert "App 清單" in page  # appgov's own catalog, zh_Hant_TW by default
    assert client.get("/admin/appgov_app/").status_code == 403  # not an administrator

    client.get("/_login/root")
    assert client.get("/admin/appgov_app/").status_code == 200
    english = client.get("/appgov/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Apps" in english and "高雄交通" in english


def test_extension_can_upgrade_its_tables_at_start(database_url):
    app, db, _ = make_intranet(database_url, APPGOV_AUTO_UPGRADE=True)
    with app.app_context():
        assert "appgov_app" in sa.inspect(db.engine).get_table_names()


def test_extension_refuses_an_unknown_profile(tmp_path):
    with pytest.raises(ValueError, match="unknown profile 'gotham'; known profiles: tainan"):
        make_intranet(f"sqlite:///{tmp_path / 'x.sqlite'}", APPGOV_PROFILE="gotham")


def test_extension_without_flask_login_says_so(tmp_path):
    app = Flask("bare")
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'x.sqlite'}"
    with pytest.raises(RuntimeError, match="need Flask-Login"):
        AppGov(app, db=SQLAlchemy(app))
