"""Fixtures of the Kubernetes journeys; see k8s_e2e.py for what they need to run."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from e2e.kubernetes.k8s_e2e import AppUnderTest, Platform, commit, git, write_app


@pytest.fixture(scope="session")
def kube():
    from kubernetes import client, config

    config.load_kube_config()
    return client


@pytest.fixture(scope="session")
def platform(kube) -> Platform:
    ns = os.environ.get("PAAS_E2E_NAMESPACE", "paas-system")
    name = os.environ.get("PAAS_E2E_RELEASE", "paas") + "-server"
    ingress = kube.NetworkingV1Api().read_namespaced_ingress(name, ns)
    host = ingress.spec.rules[0].host
    lb = (ingress.status.load_balancer.ingress or [None])[0]
    address = lb and (lb.ip or lb.hostname)
    deployment = kube.AppsV1Api().read_namespaced_deployment(name, ns)
    env = {e.name: e.value for e in deployment.spec.template.spec.containers[0].env}
    return Platform(
        namespace=ns,
        url=os.environ.get("PAAS_URL", f"http://{host}"),
        ingress=os.environ.get("PAAS_E2E_INGRESS", f"http://{address}"),
        domain=env["PAAS_DOMAIN"],
    )


@pytest.fixture
def app(platform: Platform, tmp_path: Path, kube) -> Iterator[AppUnderTest]:
    name = f"e2e-{uuid.uuid4().hex[:8]}"
    source = tmp_path / name
    source.mkdir()
    git(source, "init", "-q", "-b", "main")
    write_app(source)
    commit(source, "first")
    platform.cli("apps:create", name, "--remote", "paas", cwd=source)
    try:
        yield AppUnderTest(name, source, f"paas-{name}")
    finally:
        platform.cli("apps:destroy", name, "--confirm", name, check=False)
