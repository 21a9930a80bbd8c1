"""The override story: a city's own hook package, pip-installed, registered under the
entry-point group ``appgov``, seen through the facade, the web UI and the CLI alike."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from decimal import Decimal

import pytest
from intranet import make_intranet

import appgov_plugin
from appgov_plugin.policy import hook_modules, reset_cache

HOOKS = '''
from appgov_plugin import hookimpl


@hookimpl
def appgov_parameter(policy, name, as_of):
    """KH-KPI-2: the council raised the bar."""
    return "3.8" if name == "rating_bar" else None


@hookimpl
def appgov_min_system_admins(policy):
    """TP-ADM-1: three administrators per agency."""
    return 3
'''

PYPROJECT = """
[build-system]
requires = ["setuptools>=69"]
build-backend = "setuptools.build_meta"

[project]
name = "throwaway-city-hooks"
version = "0.1"

[project.entry-points.appgov]
throwaway_city = "throwaway_city_hooks"

[tool.setuptools]
py-modules = ["throwaway_city_hooks"]
"""


@pytest.fixture(scope="module")
def installed_site(tmp_path_factory):
    source = tmp_path_factory.mktemp("throwaway")
    (source / "throwaway_city_hooks.py").write_text(textwrap.dedent(HOOKS))
    (source / "pyproject.toml").write_text(textwrap.dedent(PYPROJECT))
    site = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", site, source],
        check=True,
        capture_output=True,
        text=True,
    )
    return site


@pytest.fixture
def city_package(installed_site, monkeypatch):
    monkeypatch.syspath_prepend(str(installed_site))
    reset_cache()
    yield
    sys.modules.pop("throwaway_city_hooks", None)
    reset_cache()


@pytest.mark.slow
def test_installed_hook_package_overrides_only_what_it_defines(city_package):
    policy = appgov_plugin.get_policy("kaohsiung")
    assert hook_modules(policy)[:2] == ["throwaway_city", "appgov.kaohsiung"]
    assert policy.min_system_admins() == 3
    assert policy.param("rating_bar") == Decimal("3.8")
    assert policy.rating_passes(ios=(3.7, 100), android=(3.7, 100)) is False
    # everything it does not define keeps the profile's answer
    assert policy.param("proposal_escalation_to_mayor") is True
    assert policy.download_target(2_750_000) == 137_500


@pytest.mark.slow
def test_the_override_shows_in_the_web_ui_and_the_cli(city_package, tmp_path):
    app, db, _ = make_intranet(
        f"sqlite:///{tmp_path / 'intranet.sqlite'}", APPGOV_AUTO_UPGRADE=True
    )
    client = app.test_client()
    client.get("/_login/clerk")
    page = client.get("/appgov/policy").get_data(as_text=True)
    row = re.search(r'id="param-rating_bar".*?</tr>', page, re.S).group(0)
    assert "throwaway_city" in page and "3.8" in row
    output = app.test_cli_runner().invoke(args=["appgov", "policy", "show"]).output
    assert "  throwaway_city\n" in output
    assert '  rating_bar = "3.8"  [KH-KPI-2]  (default "3.8")' in output


@pytest.mark.slow
def test_without_the_package_the_profile_answers_again(installed_site):
    reset_cache()
    policy = appgov_plugin.get_policy("kaohsiung")
    assert "throwaway_city" not in hook_modules(policy)
    assert policy.min_system_admins() == 2
