"""Every hook is documented, its examples run, and some test exercises it (datasette style)."""

from __future__ import annotations

import datetime as dt
import re
import types
from decimal import Decimal
from pathlib import Path

import pytest

import appgov_plugin
from appgov_plugin.host import hookimpl as host_hookimpl
from appgov_plugin.host import hookspecs as host_hookspecs
from appgov_plugin.host.manager import get_host_plugin_manager
from appgov_plugin.policy import hookspecs as policy_hookspecs

ROOT = Path(__file__).resolve().parents[1]
HOST_DOC = ROOT / "docs" / "host_hooks.md"
POLICY_DOC = ROOT / "docs" / "policy_hooks.md"


def _hook_names(module, prefix):
    return {name for name in dir(module) if name.startswith(prefix)}


def _documented(doc: Path, prefix: str) -> set[str]:
    return set(re.findall(rf"^## ({prefix}\w+)\(", doc.read_text(encoding="utf-8"), re.M))


def _examples_module(doc: Path, name: str, **namespace) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__dict__.update(namespace)
    for block in re.findall(r"```python\n(.*?)```", doc.read_text(encoding="utf-8"), re.S):
        exec(compile(block, str(doc), "exec"), module.__dict__)
    return module


def test_every_host_hook_is_documented():
    assert _documented(HOST_DOC, "casehost_") == _hook_names(host_hookspecs, "casehost_")


def test_host_hook_examples_run_and_implement_every_hook():
    module = _examples_module(HOST_DOC, "host_doc_examples", hookimpl=host_hookimpl)
    pm = get_host_plugin_manager(load_entrypoints=False, plugins=[module])  # check_pending()
    for name in _hook_names(host_hookspecs, "casehost_"):
        assert [i.plugin for i in getattr(pm.hook, name).get_hookimpls()] == [module], name


@pytest.mark.parametrize("name", sorted(_hook_names(host_hookspecs, "casehost_")))
def test_every_host_hook_is_exercised_by_a_test(name):
    tests = [p for p in (ROOT / "tests").glob("test_*.py") if p.name != "test_docs.py"]
    assert any(name in p.read_text(encoding="utf-8") for p in tests), f"no test calls {name}"


def test_every_policy_hook_is_documented():
    assert _documented(POLICY_DOC, "appgov_") == _hook_names(policy_hookspecs, "appgov_")


def test_policy_hook_examples_run_and_override_through_the_facade():
    module = _examples_module(POLICY_DOC, "policy_doc_examples", hookimpl=appgov_plugin.hookimpl)
    policy = appgov_plugin.get_policy("kaohsiung", plugins=[module])
    for name in _hook_names(policy_hookspecs, "appgov_"):
        assert module in [
            i.plugin for i in getattr(policy.plugin_manager.hook, name).get_hookimpls()
        ]
    later = appgov_plugin.get_policy("kaohsiung", plugins=[module], as_of=dt.date(2027, 1, 1))
    assert policy.param("rating_bar") == Decimal("3.5")
    assert later.param("rating_bar") == Decimal("3.8")
    assert policy.min_system_admins() == 3
    assert policy.rating_passes(ios=(4.9, 3)) is False
    assert policy.seed_user_limits(1500) == (3, 100) and policy.seed_user_limits(100) == (2, 5)
    assert policy.grade(100) == "A+" and policy.grade(50) == "E"
    assert policy.download_target(0) == 0 and policy.download_target(35_000) == 8_750
    assert policy.deadline("minutes", dt.date(2026, 11, 20)) == dt.date(2026, 11, 26)
    assert not policy.is_working_day(dt.date(2026, 12, 24))  # the example's city holiday
    # 12/24 the example's holiday, 12/25 Constitution Day, then the weekend
    assert policy.add_working_days(dt.date(2026, 12, 23), 1) == dt.date(2026, 12, 28)
    assert policy.needs_security_report("1.2.0", "1.3.0") is True
    assert policy.training_status("elearning", 10, 9, 0) == "active"
    assert policy.fitness_review_needed(["fail", "pass", "fail", "fail"]) is True
    # appgov_rule_applies: Tainan's TN-LEARN-1 adopted, Kaohsiung's KH-SEC-1 dropped
    assert policy.applies("TN-LEARN-1") is True and policy.applies("KH-SEC-1") is False
    assert policy.applies("KH-KPI-1") is True  # the rest as the profile says
    assert appgov_plugin.get_policy("tainan", plugins=[module]).applies("KH-SEC-1") is False


@pytest.mark.parametrize("name", sorted(_hook_names(policy_hookspecs, "appgov_")))
def test_every_policy_hook_is_exercised_by_a_test(name):
    facade_method = {
        "appgov_parameter": "param",
        "appgov_calendar": "calendar",
        "appgov_rule_applies": "applies",
    }.get(name, name.removeprefix("appgov_"))
    tests = [p for p in (ROOT / "tests").glob("test_*.py") if p.name != "test_docs.py"]
    assert any(
        re.search(rf"\.{facade_method}\b|{name}", p.read_text(encoding="utf-8")) for p in tests
    ), f"no test calls {name}"


def test_readme_city_hook_module_works_when_copied():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Writing a city hook module", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    module = types.ModuleType("my_city_hooks")
    exec(compile(code, "README.md", "exec"), module.__dict__)
    policy = appgov_plugin.get_policy("kaohsiung", plugins=[module])
    assert policy.param("rating_bar") == Decimal("3.8")
    assert policy.min_system_admins() == 3
    assert policy.grade(95) == "A+"  # untouched hooks keep the profile's answer
