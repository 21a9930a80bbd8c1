"""The Open311 intake's OpenAPI description (``appgov_plugin/mailbox/openapi.yaml``): a valid
OpenAPI 3 document, shipped as package data, served at ``{prefix}/openapi.json``, naming
exactly the endpoint's routes and the intake's field sizes; the tests of the endpoint
(tests/test_open311_intake.py) validate every answer against it with openapi-core."""

from __future__ import annotations

import configparser
import json
from pathlib import Path

import pytest
from open311_client import Open311, spec
from openapi_core.testing import MockRequest, MockResponse
from openapi_core.validation.response.exceptions import InvalidData
from openapi_spec_validator import validate

from appgov_plugin.mailbox import open311
from appgov_plugin.mailbox.models import LIMITS

ROOT = Path(__file__).resolve().parents[1]


def test_the_description_is_valid_openapi_and_shipped():
    description = open311.openapi_description()
    validate(description)
    assert description["openapi"].startswith("3.")
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    shipped = config["options.package_data"]["appgov_plugin.mailbox"]
    assert "openapi.yaml" in [glob.strip() for glob in shipped.split(",")]


def test_the_field_sizes_are_the_intakes():
    fields = open311.openapi_description()["components"]["schemas"]["NewRequest"]["properties"]
    for name, limit in LIMITS.items():
        if name in fields:
            assert fields[name]["maxLength"] == limit, name
    assert {"description", "email", "phone", "media_url", "address_string"} <= fields.keys()


def test_the_paths_are_the_blueprints_routes(sample_host_factory):
    host = sample_host_factory()
    prefix = host.config["APPGOV_OPEN311_PREFIX"]
    routes = {
        (rule.rule.removeprefix(prefix).replace("<path:", "{").replace(">", "}"), method.lower())
        for rule in host.url_map.iter_rules()
        if rule.endpoint.startswith(open311.blueprint.name + ".")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    described = {
        (path, method)
        for path, operations in open311.openapi_description()["paths"].items()
        for method in operations
    }
    assert routes == described


def test_the_description_is_served_with_the_configured_prefix(sample_host_factory):
    host = sample_host_factory(APPGOV_OPEN311_PREFIX="/city/open311")
    client = host.test_client()
    served = Open311(client, "/city/open311").get("/openapi.json")
    assert served.status == 200
    assert served.json["servers"] == [{"url": "/city/open311"}]
    assert {k: v for k, v in served.json.items() if k != "servers"} == {
        k: v for k, v in open311.openapi_description().items() if k != "servers"
    }
    assert client.get("/open311/v2/services.json").status_code == 404
    services = Open311(client, "/city/open311").get("/services.json", valid=True)
    assert services.status == 200 and services.json


def test_the_validator_refuses_what_the_description_forbids():
    # a status answer carrying the citizen's description or e-mail is not the API's
    request = MockRequest(
        "http://localhost", "get", "/open311/v2/requests.json", args={"api_key": "k"}
    )
    item = {
        "service_request_id": "1150000001",
        "token": "t",
        "status": "open",
        "status_notes": None,
        "service_name": "App",
        "service_code": "app-1",
        "agency_responsible": None,
        "service_notice": "",
        "requested_datetime": "2026-12-02T09:00:00+08:00",
        "updated_datetime": "2026-12-02T09:00:00+08:00",
    }
    spec().validate_response(request, MockResponse(json.dumps([item]).encode()))
    for extra in ({"description": "路燈不亮"}, {"email": "a@example.org"}, {"status": "pending"}):
        with pytest.raises(InvalidData):
            spec().validate_response(
                request, MockResponse(json.dumps([{**item, **extra}]).encode())
            )
    error = MockResponse(b'[{"code": 400}]', status_code=400)
    with pytest.raises(InvalidData):
        spec().validate_response(request, error)
