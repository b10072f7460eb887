"""The OpenAPI document and the routes agree, and the document is valid OpenAPI 3.0."""

import re

import pytest

from paas.server.routes import all_routes
from paas.server.routes.openapi import document


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule)


def test_every_route_is_documented_and_every_documented_path_is_served():
    routes = {(_openapi_path(r.rule), m.lower()) for r in all_routes() for m in r.methods}
    documented = {(path, method) for path, ops in document()["paths"].items() for method in ops}
    assert documented == routes


def test_document_is_valid_openapi():
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(document())


def test_served_at_v1_openapi_json_without_a_token(api):
    resp = api.client.get("/v1/openapi.json")
    assert resp.status_code == 200
    assert resp.get_json()["openapi"].startswith("3.0")
