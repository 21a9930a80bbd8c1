"""An Open311 client for the intake's tests: every answer validated against the published
OpenAPI description (``appgov_plugin/mailbox/openapi.yaml``, with openapi-core), and the
request too when it is meant to be valid."""

from __future__ import annotations

import functools
import json
from urllib.parse import urlencode

from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from appgov_plugin.mailbox.open311 import openapi_description

PREFIX = "/open311/v2"
FORM = "application/x-www-form-urlencoded"


@functools.cache
def spec(prefix: str = PREFIX) -> OpenAPI:
    """The OpenAPI description, its server the endpoint's prefix (checked when loaded)."""
    return OpenAPI.from_dict({**openapi_description(), "servers": [{"url": prefix}]})


class Answer:
    def __init__(self, response):
        self.response = response
        self.status = response.status_code
        self.text = response.get_data(as_text=True)
        self.json = json.loads(self.text) if response.mimetype == "application/json" else None

    @property
    def descriptions(self) -> list[str]:
        """The descriptions of an Open311 error body."""
        return [error["description"] for error in self.json]

    def __repr__(self):
        return f"<Answer {self.status} {self.text[:300]}>"


class Open311:
    """``get(path, **query)`` / ``post(path, data)`` on the Flask test client; every answer is
    validated against the OpenAPI description, requests with ``valid=True``."""

    def __init__(self, client, prefix: str = PREFIX, *, address: str = "127.0.0.1"):
        self.client, self.prefix, self.address = client, prefix, address

    def _validate(self, method, path, args, body, content_type, response, valid):
        request = MockRequest(
            "http://localhost",
            method,
            self.prefix + path,
            args=args or {},
            data=body,
            content_type=content_type,
        )
        if valid:
            spec(self.prefix).validate_request(request)
        spec(self.prefix).validate_response(
            request,
            MockResponse(
                response.get_data(),
                status_code=response.status_code,
                headers=dict(response.headers),
                content_type=response.mimetype,
            ),
        )

    def get(self, path, *, headers=None, valid=False, **query) -> Answer:
        response = self.client.get(
            self.prefix + path,
            query_string=query,
            headers=headers or {},
            environ_base={"REMOTE_ADDR": self.address},
        )
        self._validate("get", path, query, None, "application/json", response, valid)
        return Answer(response)

    def post(self, path, data, *, headers=None, valid=False) -> Answer:
        body = urlencode(data, doseq=True).encode()
        response = self.client.post(
            self.prefix + path,
            data=body,
            content_type=FORM,
            headers=headers or {},
            environ_base={"REMOTE_ADDR": self.address},
        )
        self._validate("post", path, None, body, FORM, response, valid)
        return Answer(response)
