"""The host's navigation by role (casehost_nav_links' ``visible`` and ``badge_label``): the
feedback link only for the roles that read citizens' feedback (the others' page is a 403;
appgov_plugin/mailbox/privacy.py, 個人資料保護法 第5條), the sample mailbox's link for its
officers and the administrator, the badge's words for a screen reader in both languages,
and a plug-in's old three-argument registration working as before. On SQLite
(backend-independent)."""

from __future__ import annotations

import re
import types

import pytest
import sqlalchemy as sa
from flask import Blueprint
from hosting import login

from appgov_plugin.apps.models import App
from appgov_plugin.host import hookimpl
from appgov_plugin.mailbox import privacy
from appgov_plugin.mailbox.models import Feedback
from sample_host.demo import USERS
from sample_host.extensions import db

# backend-independent: which links each role sees
pytestmark = pytest.mark.backend_independent

#: demo username -> role
ROLES = {username: role for username, _name, role, _agency in USERS}
FEEDBACK_READERS = {"staff", "head", "reviewer", "mayor", "admin"}
MAILBOX_OFFICERS = {"officer", "admin"}


def nav_of(client, url="/") -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True).split("</nav>", 1)[0]


def nav_link(nav: str, href: str) -> str | None:
    """The navigation's ``<a>`` to ``href`` (its inner HTML), or ``None``."""
    found = re.search(rf'<a class="nav-link" href="{re.escape(href)}"[^>]*>(.*?)</a>', nav, re.S)
    return found.group(1) if found else None


def test_the_readers_of_feedback_are_the_privacy_modules():
    # the link's rule is the pages' rule, not a copy that could drift apart
    assert {ROLES[u] for u in FEEDBACK_READERS - {"admin"}} == privacy.READER_ROLES


@pytest.fixture
def host(make_host):
    return make_host("tainan")


def test_each_role_sees_only_the_links_to_pages_it_may_open(host):
    for username in sorted(ROLES):  # one host, each role logged in on it in turn
        client = host.test_client()
        login(client, username)
        response = client.get("/")
        assert response.status_code == 200, username
        home = response.get_data(as_text=True)
        nav = home.split("</nav>", 1)[0]
        reads = username in FEEDBACK_READERS
        assert (nav_link(nav, "/appgov/feedback") is not None) is reads, username
        # the home page's "Other sections" lists the same links
        assert ('<li><a href="/appgov/feedback">' in home) is reads, username
        # and the page agrees
        assert (client.get("/appgov/feedback").status_code == 200) is reads, username
        officer = username in MAILBOX_OFFICERS
        assert (nav_link(nav, "/mailbox/") is not None) is officer, username
        assert (client.get("/mailbox/").status_code == 200) is officer, username
        # every logged-in role keeps the links without a rule
        assert nav_link(nav, "/appgov/") is not None and nav_link(nav, "/appgov/messages")


def test_the_feedback_badge_says_open_items_in_both_languages(host):
    with host.app_context():
        own_open = db.session.scalar(
            sa.select(sa.func.count(Feedback.id))
            .join(App, App.id == Feedback.app_id)
            .where(App.agency_code == "tainan-tourism", Feedback.status == "open")
        )
    assert own_open >= 2  # the demo's feedback (appgov_plugin/mailbox/demo_feedback.py)
    client = host.test_client()
    login(client, "staff")
    link = nav_link(nav_of(client), "/appgov/feedback")
    # the number shown, hidden from a screen reader, which reads the words (with the number)
    assert f'<span aria-hidden="true" class="badge badge-light">{own_open}</span>' in link
    assert f'<span class="sr-only">{own_open} 則未結案</span>' in link
    assert "則新訊息" not in link
    assert client.post("/locale/en").status_code == 302
    link = nav_link(nav_of(client), "/appgov/feedback")
    assert f'<span class="sr-only">{own_open} open items</span>' in link
    assert " new<" not in link


def test_the_messages_badge_keeps_new_messages(host):
    client = host.test_client()
    login(client, "staff")
    client.get("/appgov/messages")  # nothing is read by looking at the list
    link = nav_link(nav_of(client), "/appgov/messages")
    count = re.search(
        r'<span class="badge badge-light">(\d+)<span class="sr-only">(.*?)</span>', link
    )
    assert count, link
    assert count.group(2) == " 則新訊息"
    assert client.post("/locale/en").status_code == 302
    link = nav_link(nav_of(client), "/appgov/messages")
    assert re.search(r'<span class="badge badge-light">\d+<span class="sr-only"> new</span>', link)


def _city_links_plugin():
    """A throw-away plug-in: one link registered the old way (three positional arguments),
    one with a rule and badge words of its own."""
    module = types.ModuleType("city_links")
    pages = Blueprint("city_links", __name__)
    pages.add_url_rule("/city-old", "old", lambda: "old")
    pages.add_url_rule("/city-permits", "permits", lambda: "permits")

    @hookimpl
    def casehost_blueprints(app, register):
        register(pages)

    @hookimpl
    def casehost_nav_links(app, register):
        register("Old link", "city_links.old", lambda: 2)
        register(
            "Permits",
            "city_links.permits",
            badge=lambda: 1,
            visible=lambda user: user.role == "agency_head",
            badge_label="%(num)d permits waiting",
        )

    module.casehost_blueprints = casehost_blueprints
    module.casehost_nav_links = casehost_nav_links
    return module


def test_a_three_argument_registration_works_as_before(sample_host_factory):
    host = sample_host_factory(plugins=(_city_links_plugin(),), APPGOV_PROFILE="tainan")
    client = host.test_client()
    login(client, "staff")
    nav = nav_of(client)
    old = nav_link(nav, "/city-old")
    assert (
        old
        == 'Old link <span class="badge badge-light">2<span class="sr-only"> 則新訊息</span></span>'
    )
    assert nav_link(nav, "/city-permits") is None
    login(client, "head")
    permits = nav_link(nav_of(client), "/city-permits")
    assert permits == (
        'Permits <span aria-hidden="true" class="badge badge-light">1</span>'
        '<span class="sr-only">1 permits waiting</span>'
    )
