"""Every hook is documented, its examples run, and some test exercises it (datasette style)."""

from __future__ import annotations

import re
import types
from pathlib import Path

import pytest

from appgov_plugin.host import hookimpl as host_hookimpl
from appgov_plugin.host import hookspecs as host_hookspecs
from appgov_plugin.host.manager import get_host_plugin_manager

ROOT = Path(__file__).resolve().parents[1]
HOST_DOC = ROOT / "docs" / "host_hooks.md"


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
