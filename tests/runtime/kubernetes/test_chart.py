"""The chart renders and lints offline, and what it renders validates strictly.

Helm's own library renders the chart (``helm-python-sdk``); no cluster is contacted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.runtime.kubernetes.strict import validate_all

helm = pytest.importorskip("helm_python", reason="helm-python-sdk (test extra) is not installed")

CHART = Path(__file__).resolve().parents[3] / "charts" / "paas"

VALUES: dict[str, dict[str, Any]] = {
    "defaults": {},
    "external-everything": {
        "server": {
            "image": {"repository": "registry.example.com/paas/platform", "tag": "1.2.3"},
            "domain": "apps.corp.example",
            "extraEnv": [{"name": "PAAS_PIP_INDEX_URL", "value": "https://pypi.corp/simple"}],
            "nodeSelector": {"kubernetes.io/os": "linux"},
            "tolerations": [{"key": "paas", "operator": "Exists", "effect": "NoSchedule"}],
            "ingress": {"host": "paas.corp.example", "clusterIssuer": "letsencrypt"},
        },
        "apps": {"clusterIssuer": "letsencrypt", "namespacePrefix": "apps-"},
        "database": {"url": "postgresql://paas:pw@db.corp/paas"},
        "docker": {"mode": "external", "host": "tcp://builder.corp:2376"},
        "registry": {"enabled": False, "host": "registry.corp.example"},
        "stack": {"image": "registry.corp.example/paas-stack/python:bookworm-r2"},
        "redis": {"externalUrl": "redis://redis.corp:6379/0"},
        "persistence": {"storageClass": "fast", "size": "50Gi"},
    },
    "ingress-routing-legacy-profile": {
        "apps": {"routing": "ingress", "ingressProfile": "ingress-nginx",
                 "ingressClass": "legacy", "clusterIssuer": "letsencrypt"},
    },
    "bundled-services-no-ingress": {
        "server": {"ingress": {"enabled": False}, "service": {"type": "NodePort"}},
        "redis": {"enabled": True},
        "docker": {"persistence": {"enabled": True}},
        "registry": {"service": {"type": "ClusterIP"}, "persistence": {"enabled": False}},
        "persistence": {"enabled": False},
        "database": {"existingSecret": "paas-db"},
        "secretKey": {"existingSecret": "paas-keys"},
        "rbac": {"create": False},
        "serviceAccount": {"create": False, "name": "paas-operator"},
    },
}


def render(values: dict) -> dict[str, list[dict]]:
    chart = helm.Chart.load(CHART)
    try:
        rendered = chart.render(values=values, name="paas", namespace="paas-system")
    finally:
        chart.close()
    return {
        Path(path).name: [d for d in yaml.safe_load_all(text) if d]
        for path, text in rendered.items()
        if path.endswith(".yaml")
    }


def objects(values: dict) -> list[dict]:
    return [obj for docs in render(values).values() for obj in docs]


@pytest.mark.parametrize("name", VALUES)
def test_rendered_objects_validate_strictly(name):
    objs = objects(VALUES[name])
    assert objs
    validate_all(objs)


@pytest.mark.parametrize("name", VALUES)
def test_chart_lints_without_warnings(name):
    for kube in ("v1.32.0", "v1.37.0"):
        report = helm.lint(CHART, VALUES[name], strict=True, kube_version=kube)
        findings = [m for m in report["messages"] if m["severity"] >= 2]
        assert not findings and not report["errors"], (findings, report["errors"])


def test_template_names_follow_component_kind():
    short = {"pvc": "persistentvolumeclaim"}
    rendered = render({"redis": {"enabled": True}, "docker": {"persistence": {"enabled": True}}})
    for path in (CHART / "templates").glob("*.yaml"):
        component, _, kind = path.stem.partition("-")
        assert component in {"server", "docker", "registry", "redis"} and kind, path.name
        optional = {"server-secret.yaml", "server-role.yaml", "server-rolebinding.yaml"}
        assert rendered[path.name] or path.name in optional, path.name
        for doc in rendered[path.name]:
            assert doc["kind"].lower() == short.get(kind, kind), path.name


def by(objs: list[dict], kind: str, suffix: str) -> dict:
    return next(o for o in objs if o["kind"] == kind and o["metadata"]["name"].endswith(suffix))


def env_of(objs: list[dict]) -> dict[str, object]:
    server = by(objs, "Deployment", "-server")["spec"]["template"]["spec"]["containers"][0]
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in server["env"]}


def test_defaults_run_the_kubernetes_runtime_with_sqlite_docker_sidecar_and_registry():
    objs = objects({})
    pod = by(objs, "Deployment", "-server")["spec"]["template"]["spec"]
    assert pod["containers"][0]["command"][:4] == ["paas", "server", "--runtime", "kubernetes"]
    assert [c["name"] for c in pod["containers"]] == ["server", "docker"]
    env = env_of(objs)
    assert env["PAAS_HOME"] == "/var/lib/paas" and "PAAS_DATABASE_URL" not in env
    assert env["DOCKER_HOST"] == "tcp://127.0.0.1:2375"
    assert env["PAAS_REGISTRY"] == "127.0.0.1:30500"
    assert env["PAAS_REGISTRY_PUSH"] == "paas-registry.paas-system.svc.cluster.local:5000"
    assert by(objs, "PersistentVolumeClaim", "-server")
    assert "PAAS_STACK_IMAGE" not in env
    assert env["PAAS_K8S_INGRESS_NAMESPACE"] == "ingress-nginx"  # app NetworkPolicies
    assert not [o for o in objs if o["metadata"]["name"].endswith("-redis")]


def test_external_database_engine_and_registry():
    objs = objects(VALUES["external-everything"])
    env = env_of(objs)
    assert env["PAAS_DATABASE_URL"] == {
        "secretKeyRef": {"name": "paas-server", "key": "database-url"}
    }
    assert env["DOCKER_HOST"] == "tcp://builder.corp:2376"
    assert env["PAAS_REGISTRY"] == env["PAAS_REGISTRY_PUSH"] == "registry.corp.example"
    assert env["PAAS_STACK_IMAGE"] == "registry.corp.example/paas-stack/python:bookworm-r2"
    assert env["PAAS_K8S_CLUSTER_ISSUER"] == "letsencrypt"
    assert env["PAAS_BROKER_URL"] == "redis://redis.corp:6379/0"
    pod = by(objs, "Deployment", "-server")["spec"]["template"]["spec"]
    assert [c["name"] for c in pod["containers"]] == ["server"]
    assert not [o for o in objs if "registry" in o["metadata"]["name"]]
    tls = by(objs, "Ingress", "-server")["spec"]["tls"]
    assert tls == [{"hosts": ["paas.corp.example"], "secretName": "paas-server-tls"}]


def test_rbac_is_least_privilege():
    role = by(objects({}), "ClusterRole", "-server")
    verbs = {v for rule in role["rules"] for v in rule["verbs"]}
    groups = {g for rule in role["rules"] for g in rule["apiGroups"]}
    resources = {r for rule in role["rules"] for r in rule["resources"]}
    assert "*" not in verbs | groups | resources
    assert not verbs & {"escalate", "bind", "impersonate", "update", "deletecollection"}
    assert "rbac.authorization.k8s.io" not in groups and "nodes" not in resources
    assert {"keda.sh", "autoscaling", "apps", "batch", "networking.k8s.io", "policy"} <= groups


def test_external_docker_mode_needs_a_host():
    with pytest.raises(helm.HelmError, match=r"docker\.host is required"):
        render({"docker": {"mode": "external"}})


def test_gateway_routing_is_the_default_and_tls_may_patch_only_that_gateway():
    objs = objects({"apps": {"clusterIssuer": "letsencrypt",
                             "gateway": {"name": "edge", "namespace": "gw", "section": "http"}}})
    env = env_of(objs)
    assert env["PAAS_K8S_ROUTING"] == "gateway"
    assert (env["PAAS_K8S_GATEWAY"], env["PAAS_K8S_GATEWAY_NAMESPACE"],
            env["PAAS_K8S_GATEWAY_SECTION"]) == ("edge", "gw", "http")
    assert env["PAAS_K8S_INGRESS_PROFILE"] == "nginx-org"
    role = by(objs, "Role", "-listeners")
    assert role["metadata"]["namespace"] == "gw"
    assert role["rules"] == [{"apiGroups": ["gateway.networking.k8s.io"],
                              "resources": ["gateways"], "resourceNames": ["edge"],
                              "verbs": ["get", "patch"]}]
    assert by(objs, "RoleBinding", "-listeners")["roleRef"]["name"] == role["metadata"]["name"]
    assert not [o for o in objects({}) if o["kind"] == "Role"]
def test_the_secret_key_comes_from_a_secret_when_given():
    def env(values):
        deployment = render(values)["server-deployment.yaml"][0]
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        return {e["name"]: e for e in container["env"]}

    assert "PAAS_SECRET_KEY" not in env({})
    given = env({"secretKey": {"existingSecret": "paas-keys"}})["PAAS_SECRET_KEY"]
    assert given["valueFrom"] == {"secretKeyRef": {"name": "paas-keys", "key": "key"}}
