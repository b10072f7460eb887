"""The web pod's probes follow the app's health check, as far as the kubelet can."""

from __future__ import annotations

from typing import Any

import pytest

from paas.domain.health import HealthCheck
from paas.domain.release import WebProtocol
from paas.runtime.kubernetes import manifests, probes, workloads
from paas.runtime.kubernetes.settings import KubernetesSettings
from tests.runtime.kubernetes.apps import build, release

SETTINGS = KubernetesSettings(domain="apps.example.com")
HTTP_HEALTH = {"path": "/health", "port": 5000, "scheme": "HTTP",
               "httpHeaders": [{"name": "Host", "value": "localhost"}]}


def _app(pod: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in pod["containers"] if c["name"] == workloads.APP_CONTAINER)


def test_the_default_check_stays_a_tcp_probe() -> None:
    found = probes.web_probes(build(), HealthCheck())
    assert found.startup == {"tcpSocket": {"port": 5000}, "periodSeconds": 2,
                             "failureThreshold": 60}
    assert found.readiness["tcpSocket"] == {"port": 5000} and found.note is None


def test_a_configured_status_becomes_an_http_get_with_its_timeout() -> None:
    found = probes.web_probes(build(), HealthCheck("/health", 200, 30.0))
    assert found.readiness == {"httpGet": HTTP_HEALTH, "periodSeconds": 5,
                               "failureThreshold": 3, "timeoutSeconds": 2}
    # the startup window is the check's timeout: 15 probes 2 s apart
    assert found.startup == {"httpGet": HTTP_HEALTH, "periodSeconds": 2,
                             "failureThreshold": 15, "timeoutSeconds": 2}
    assert found.liveness == {"tcpSocket": {"port": 5000}, "periodSeconds": 10,
                              "failureThreshold": 3}
    assert found.note is None


def test_a_path_without_a_status_is_an_http_get_and_says_it_is_stricter() -> None:
    found = probes.web_probes(build(), HealthCheck("/health"))
    assert found.readiness["httpGet"] == HTTP_HEALTH
    assert found.note == ("Health check: the kubelet passes only statuses 200-399, so "
                          "GET /health must answer one of those on Kubernetes")


@pytest.mark.parametrize("status", [101, 401, 404, 503])
def test_a_status_the_kubelet_cannot_accept_falls_back_to_tcp_and_says_so(status: int
                                                                          ) -> None:
    found = probes.web_probes(build(), HealthCheck("/private", status))
    assert "httpGet" not in found.readiness and found.readiness["tcpSocket"] == {"port": 5000}
    assert found.note == (f"Health check: the kubelet passes only statuses 200-399, so "
                          f"GET /private answering {status} is checked as an open port "
                          "on Kubernetes")


def test_uwsgi_is_probed_by_tcp() -> None:
    uwsgi = build(web_protocol=WebProtocol.UWSGI)
    assert probes.web_probes(uwsgi, HealthCheck()).note is None
    found = probes.web_probes(uwsgi, HealthCheck("/health", 200))
    assert "tcpSocket" in found.readiness and found.note is not None


def test_the_deployment_carries_the_check_of_paas_healthcheck_set() -> None:
    """Config vars override the build's check, as on Docker."""
    r = release(b=build(health=HealthCheck("/", 200)), PAAS_HEALTHCHECK_PATH="/ready",
                PAAS_HEALTHCHECK_STATUS="204", PAAS_HEALTHCHECK_TIMEOUT="9")
    pod = workloads.deployment("shop", r, "web", 1, SETTINGS)["spec"]["template"]["spec"]
    app = _app(pod)
    assert app["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert app["startupProbe"]["failureThreshold"] == 5  # 9 s, in 2 s steps
    assert manifests.deploy_notes(r) == []


def test_a_data_folder_is_a_folder_of_each_pod_and_the_deploy_says_so() -> None:
    r = release(b=build(data_dirs=("/app/instance",), release_command="flask init-db"))
    for pod in (workloads.deployment("shop", r, "web", 1, SETTINGS)["spec"]["template"]["spec"],
                workloads.release_job("shop", r, SETTINGS)["spec"]["template"]["spec"]):
        assert {"name": "data-0", "emptyDir": {}} in pod["volumes"]
        assert {"name": "data-0", "mountPath": "/app/instance"} in _app(pod)["volumeMounts"]
        assert _app(pod)["securityContext"]["readOnlyRootFilesystem"] is True
    assert manifests.deploy_notes(r) == [
        "Data: /app/instance is a folder of each pod on Kubernetes, not shared by the release "
        "phase and the replicas, and lost with the pod: use the PostgreSQL add-on"]
