"""Fuzz the API from its own OpenAPI document (schemathesis): never a 500, answers as
documented. Runs against the real API, services and SQLite store in process, with an
admin token and an app with a release, so generated requests reach deep code paths."""

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import (  # noqa: E402
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.server.platform import make_platform  # noqa: E402


@pytest.fixture
def platform(tmp_path_factory):
    p = make_platform(tmp_path_factory.mktemp("fuzz"))
    p.deployed_app("shop", config={"A": "1"})
    p.call("POST", "/v1/users", json={"name": "bob"})
    return p


@pytest.fixture
def api_schema(platform):
    return schemathesis.openapi.from_wsgi("/v1/openapi.json", platform.client.application)


# A followed log stream never ends; run and the add-on console switch protocols: all
# have e2e journeys.
schema = schemathesis.pytest.from_fixture("api_schema").exclude(
    path_regex=r"/(logs|run|console)$")


@schema.parametrize()
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_api_never_fails_and_answers_as_documented(case, platform):
    case.call_and_validate(
        headers=platform.headers(),
        checks=[not_a_server_error, status_code_conformance, content_type_conformance,
                response_schema_conformance],
    )
