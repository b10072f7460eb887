"""Fixtures of the Kubernetes journeys: the chart installed with helm, a registry, and
the platform server out of the cluster under the chart's ServiceAccount (k8s_e2e.py)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from e2e.harness import Platform
from e2e.kubernetes.k8s_e2e import (
    CHART,
    DOMAIN,
    GATEWAY,
    GATEWAY_SECTION,
    RELEASE,
    ROLLOUT_TIMEOUT,
    SYSTEM_NS,
    helm_binary,
    require_cluster,
)
from e2e.registry import Registry, running_registry


@pytest.fixture(scope="session")
def admin_kubeconfig() -> str:
    return require_cluster()


@pytest.fixture(scope="session")
def kube(admin_kubeconfig: str) -> Any:
    """The official client's API client with the admin credentials (for assertions)."""
    from kubernetes import config

    return config.new_client_from_config(config_file=admin_kubeconfig)


def helm(kubeconfig: str, *args: str) -> str:
    done = subprocess.run([helm_binary(), "--kubeconfig", kubeconfig, "-n", SYSTEM_NS, *args],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, f"helm {' '.join(args)}: {done.stdout}{done.stderr}"
    return done.stdout


@pytest.fixture(scope="session")
def chart(admin_kubeconfig: str, kube: Any) -> Iterator[list[dict[str, Any]]]:
    """The chart installed (every rendered object accepted by the API server), removed
    at the end; the rendered objects."""
    from kubernetes.dynamic import DynamicClient

    helm(admin_kubeconfig, "upgrade", "--install", RELEASE, str(CHART),
         "--set", f"server.domain={DOMAIN}",
         "--set", f"apps.gateway.name={GATEWAY}",
         "--set", f"apps.gateway.section={GATEWAY_SECTION}")
    rendered = [d for d in yaml.safe_load_all(helm(admin_kubeconfig, "get", "manifest",
                                                   RELEASE)) if d]
    dynamic = DynamicClient(kube)
    for obj in rendered:
        resource = dynamic.resources.get(api_version=obj["apiVersion"], kind=obj["kind"])
        namespace = SYSTEM_NS if resource.namespaced else None
        live = resource.get(name=obj["metadata"]["name"], namespace=namespace)
        assert live.metadata.uid, obj["metadata"]["name"]
    try:
        yield rendered
    finally:
        helm(admin_kubeconfig, "uninstall", RELEASE, "--wait", "--timeout", "2m")


def service_account_of(rendered: list[dict[str, Any]]) -> str:
    return next(o["metadata"]["name"] for o in rendered if o["kind"] == "ServiceAccount")


@pytest.fixture(scope="session")
def server_kubeconfig(chart: list[dict[str, Any]], admin_kubeconfig: str, kube: Any,
                      tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A kubeconfig holding a token of the chart's ServiceAccount (TokenRequest API):
    the server runs with the chart's RBAC and nothing more."""
    from kubernetes import client

    account = service_account_of(chart)
    request = client.AuthenticationV1TokenRequest(
        spec=client.V1TokenRequestSpec(audiences=[], expiration_seconds=4 * 3600))
    token = client.CoreV1Api(kube).create_namespaced_service_account_token(
        account, SYSTEM_NS, request).status.token
    admin = yaml.safe_load(Path(admin_kubeconfig).read_text())
    cluster = admin["clusters"][0]["cluster"]
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "paas", "cluster": cluster}],
        "users": [{"name": account, "user": {"token": token}}],
        "contexts": [{"name": account, "context": {"cluster": "paas", "user": account}}],
        "current-context": account,
    }
    path = tmp_path_factory.mktemp("server-kubeconfig") / "kubeconfig"
    path.write_text(yaml.safe_dump(config))
    path.chmod(0o600)
    return path


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    with running_registry(tmp_path_factory.mktemp("k8s-registry")) as r:
        yield r


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory, stack_images: None,
             registry: Registry, server_kubeconfig: Path) -> Iterator[Platform]:
    p = Platform(
        tmp_path_factory.mktemp("platform-k8s"),
        server_args=("--runtime", "kubernetes"),
        server_env={
            "KUBECONFIG": str(server_kubeconfig),
            "PAAS_REGISTRY": f"{registry.host}/apps",
            "PAAS_DOMAIN": DOMAIN,
            "PAAS_K8S_GATEWAY": GATEWAY,
            "PAAS_K8S_GATEWAY_NAMESPACE": SYSTEM_NS,
            "PAAS_K8S_GATEWAY_SECTION": GATEWAY_SECTION,
            "PAAS_K8S_ROLLOUT_TIMEOUT": str(ROLLOUT_TIMEOUT),
        },
    )
    try:
        p.start()
        p.login()
        yield p
    finally:
        p.cleanup()
