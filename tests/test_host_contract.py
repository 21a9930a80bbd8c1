"""The case-host contract: entry-point discovery, registration order and its errors."""

from __future__ import annotations

import types

import pluggy
import pytest
from flask import Flask

from appgov_plugin.host import (
    CaseType,
    ContractError,
    Transition,
    Workflow,
    get_host_plugin_manager,
    hookimpl,
)
from appgov_plugin.host import hookspecs as host_hookspecs
from appgov_plugin.host import plugin as appgov_host_plugin
from appgov_plugin.host.manager import collect_case_types, collect_translation_dirs


def _workflow():
    return Workflow(
        initial="new",
        states={"new": "New", "done": "Done"},
        transitions=(Transition("finish", "new", "done", "reviewer", "Finish"),),
    )


def _plugin(name: str, key: str):
    module = types.ModuleType(name)

    @hookimpl
    def casehost_case_types(app, register):
        register(CaseType(key=key, label=key, form=lambda: None, workflow=_workflow()))

    module.casehost_case_types = casehost_case_types
    return module


def test_appgov_is_discovered_through_the_casehost_entry_point():
    pm = get_host_plugin_manager()
    assert pm.get_plugin("appgov") is appgov_host_plugin


def test_every_hookspec_is_implemented_by_appgov():
    specs = {n for n in dir(host_hookspecs) if n.startswith("casehost_")}
    implemented = {n for n in dir(appgov_host_plugin) if n.startswith("casehost_")}
    assert specs == implemented


def test_duplicate_case_type_key_names_both_plugins():
    pm = get_host_plugin_manager(
        load_entrypoints=False,
        plugins=[_plugin("city_a", "permit"), _plugin("city_b", "permit")],
    )
    with pytest.raises(
        ContractError, match=r"'permit' is registered twice: by city_a and by city_b"
    ):
        collect_case_types(Flask(__name__), pm)


def test_distinct_keys_are_collected_in_registration_order():
    pm = get_host_plugin_manager(
        load_entrypoints=False, plugins=[_plugin("a", "first"), _plugin("b", "second")]
    )
    registry = collect_case_types(Flask(__name__), pm)
    assert [ct.key for ct in registry] == ["first", "second"]
    assert registry.owner("second") == "b"


def test_misspelt_hook_fails_loudly():
    module = types.ModuleType("typo")

    @hookimpl
    def casehost_case_type(app, register):  # missing "s"
        pass

    module.casehost_case_type = casehost_case_type
    with pytest.raises(pluggy.PluginValidationError, match="casehost_case_type"):
        get_host_plugin_manager(load_entrypoints=False, plugins=[module])


@pytest.mark.parametrize(
    ("transitions", "message"),
    [
        ((Transition("go", "new", "nowhere", "reviewer", "Go"),), "undeclared state 'nowhere'"),
        ((Transition("go", "new", "done", "janitor", "Go"),), "unknown role 'janitor'"),
        (
            (
                Transition("go", "new", "done", "reviewer", "Go"),
                Transition("go", "new", "done", "mayor", "Go"),
            ),
            "declared twice",
        ),
    ],
)
def test_broken_workflows_are_refused(transitions, message):
    with pytest.raises(ContractError, match=message):
        Workflow(initial="new", states={"new": "N", "done": "D"}, transitions=transitions)


def test_appgov_contributes_its_catalogs():
    pm = get_host_plugin_manager()
    dirs = collect_translation_dirs(Flask(__name__), pm)
    assert "appgov" in [domain for _, domain in dirs]
