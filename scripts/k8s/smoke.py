"""Smoke check of a cluster started by `scripts/cluster up`, with the official client.

    eval "$(scripts/cluster up)" && .venv/bin/python scripts/k8s/smoke.py

Checks what the platform relies on: a Deployment's pod turns Ready on the kwok node, a
pod labelled paas.test/unready stays unready, a Job completes, a namespace deletion
finishes, a claim binds to a volume of the pool, a service-account token authenticates,
and an HPA (autoscaling/v2), a KEDA ScaledObject and TriggerAuthentication and a Gateway
API HTTPRoute are accepted.
Exits non-zero when one fails.
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

NODE = "kwok-node-0"
GATEWAY = ("paas-system", "paas-gateway")


def wait(what: str, check: Callable[[], bool], timeout: float = 60.0) -> float:
    start = time.monotonic()
    while True:
        if check():
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise AssertionError(f"timed out after {timeout:.0f}s: {what}")
        time.sleep(0.25)


def labels(name: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    return {"app": name} | (extra or {})


def deployment(name: str, extra_labels: dict[str, str] | None = None) -> dict[str, Any]:
    pod_labels = labels(name, extra_labels)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": labels(name)},
            "template": {
                "metadata": {"labels": pod_labels},
                "spec": {
                    "containers": [
                        {
                            "name": "web",
                            "image": "registry.invalid/smoke:1",
                            "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}},
                        }
                    ]
                },
            },
        },
    }


def pods_of(core: Any, ns: str, name: str) -> list[Any]:
    return list(core.list_namespaced_pod(ns, label_selector=f"app={name}").items)


def pod_ready(pod: Any) -> bool:
    conditions = pod.status.conditions or []
    return any(c.type == "Ready" and c.status == "True" for c in conditions)


class Smoke:
    def __init__(self) -> None:
        config.load_kube_config(config_file=os.environ.get("KUBECONFIG"))  # type: ignore[no-untyped-call]
        self.api = client.ApiClient()
        self.core: Any = client.CoreV1Api(self.api)
        self.apps: Any = client.AppsV1Api(self.api)
        self.batch: Any = client.BatchV1Api(self.api)
        self.autoscaling: Any = client.AutoscalingV2Api(self.api)
        self.custom: Any = client.CustomObjectsApi(self.api)
        self.ns = f"paas-smoke-{uuid.uuid4().hex[:6]}"
        self.passed: list[str] = []
        self.failed: list[str] = []

    def check(self, name: str, fn: Callable[[], str]) -> None:
        try:
            detail = fn()
        except Exception as e:  # report every failure and go on
            self.failed.append(name)
            print(f"FAIL {name}: {e}", file=sys.stderr)
        else:
            self.passed.append(name)
            print(f"ok   {name}: {detail}")

    def version(self) -> str:
        version_api: Any = client.VersionApi(self.api)
        info = version_api.get_code()
        want = os.environ.get("PAAS_K8S_VERSION")
        assert info.git_version != "v0.0.0", "binaries report v0.0.0"
        assert not want or info.git_version == want, f"{info.git_version} != {want}"
        return f"apiserver {info.git_version}"

    def node(self) -> str:
        node = self.core.read_node(NODE)
        assert node.metadata.annotations.get("kwok.x-k8s.io/node") == "fake"
        assert any(c.type == "Ready" and c.status == "True" for c in node.status.conditions)
        return f"{NODE} Ready"

    def namespace(self) -> str:
        self.core.create_namespace({"metadata": {"name": self.ns}})
        wait(
            "default service account",
            lambda: bool(self.core.list_namespaced_service_account(self.ns).items),
        )
        return self.ns

    def ready_deployment(self) -> str:
        self.apps.create_namespaced_deployment(self.ns, deployment("web"))

        def available() -> bool:
            d = self.apps.read_namespaced_deployment_status("web", self.ns)
            return (d.status.available_replicas or 0) == 1

        took = wait("deployment web available", available)
        pod = pods_of(self.core, self.ns, "web")[0]
        assert pod.spec.node_name == NODE, pod.spec.node_name
        assert pod.status.phase == "Running" and pod_ready(pod)
        # Logs go apiserver -> kwok's kubelet endpoint -> the placeholder log file.
        text = self.core.read_namespaced_pod_log(pod.metadata.name, self.ns)
        assert "placeholder log line" in text, text
        return f"pod {pod.metadata.name} Ready on {NODE} in {took:.1f}s, logs readable"

    def unready_deployment(self) -> str:
        self.apps.create_namespaced_deployment(
            self.ns, deployment("sick", {"paas.test/unready": "true"})
        )

        def running() -> bool:
            pods = pods_of(self.core, self.ns, "sick")
            return bool(pods) and pods[0].status.phase == "Running"

        wait("pod of sick running", running)
        time.sleep(3)
        pod = pods_of(self.core, self.ns, "sick")[0]
        assert pod.status.phase == "Running" and not pod_ready(pod), "pod turned Ready"
        d = self.apps.read_namespaced_deployment_status("sick", self.ns)
        assert not d.status.available_replicas, d.status
        return "pod Running, not Ready"

    def job(self) -> str:
        body = {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": "release"},
            "spec": {
                "backoffLimit": 0,
                "template": {
                    "spec": {
                        "restartPolicy": "Never",
                        "containers": [{"name": "release", "image": "registry.invalid/smoke:1"}],
                    }
                },
            },
        }
        self.batch.create_namespaced_job(self.ns, body)

        def complete() -> bool:
            j = self.batch.read_namespaced_job_status("release", self.ns)
            return (j.status.succeeded or 0) == 1 and any(
                c.type == "Complete" and c.status == "True" for c in j.status.conditions or []
            )

        took = wait("job release complete", complete)
        return f"Complete in {took:.1f}s"

    def hpa(self) -> str:
        body = {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "web"},
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                "minReplicas": 1,
                "maxReplicas": 4,
                "metrics": [
                    {
                        "type": "Resource",
                        "resource": {
                            "name": "cpu",
                            "target": {"type": "Utilization", "averageUtilization": 70},
                        },
                    }
                ],
            },
        }
        created = self.autoscaling.create_namespaced_horizontal_pod_autoscaler(self.ns, body)
        return f"autoscaling/v2 {created.metadata.name} accepted"

    def keda(self) -> str:
        auth = {
            "apiVersion": "keda.sh/v1alpha1",
            "kind": "TriggerAuthentication",
            "metadata": {"name": "redis"},
            "spec": {"secretTargetRef": [{"parameter": "password", "name": "r", "key": "p"}]},
        }
        self.custom.create_namespaced_custom_object(
            "keda.sh", "v1alpha1", self.ns, "triggerauthentications", auth
        )
        scaled: dict[str, Any] = {
            "apiVersion": "keda.sh/v1alpha1",
            "kind": "ScaledObject",
            "metadata": {"name": "worker"},
            "spec": {
                "scaleTargetRef": {"name": "web"},
                "minReplicaCount": 0,
                "maxReplicaCount": 5,
                "triggers": [
                    {
                        "type": "redis",
                        "metadata": {
                            "address": "redis:6379",
                            "listName": "celery",
                            "listLength": "10",
                        },
                        "authenticationRef": {"name": "redis"},
                    }
                ],
            },
        }
        self.custom.create_namespaced_custom_object(
            "keda.sh", "v1alpha1", self.ns, "scaledobjects", scaled
        )
        # The CRD's schema validation is real: a wrong type is refused.
        bad = {
            **scaled,
            "metadata": {"name": "bad"},
            "spec": {**scaled["spec"], "maxReplicaCount": "many"},
        }
        try:
            self.custom.create_namespaced_custom_object(
                "keda.sh", "v1alpha1", self.ns, "scaledobjects", bad
            )
        except ApiException as e:
            assert e.status == 422, e
        else:
            raise AssertionError("an invalid ScaledObject was accepted")
        return "TriggerAuthentication and ScaledObject accepted, invalid one refused"

    def httproute(self) -> str:
        gw_ns, gw_name = GATEWAY
        self.custom.get_namespaced_custom_object(
            "gateway.networking.k8s.io", "v1", gw_ns, "gateways", gw_name
        )
        route = {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "HTTPRoute",
            "metadata": {"name": "web"},
            "spec": {
                "parentRefs": [{"name": gw_name, "namespace": gw_ns, "sectionName": "http"}],
                "hostnames": ["web.example.test"],
                "rules": [
                    {
                        "matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                        "backendRefs": [{"name": "web", "port": 80}],
                    }
                ],
            },
        }
        self.custom.create_namespaced_custom_object(
            "gateway.networking.k8s.io", "v1", self.ns, "httproutes", route
        )
        return f"HTTPRoute attached to {gw_ns}/{gw_name} accepted"

    def volume(self) -> str:
        self.core.create_namespaced_persistent_volume_claim(
            self.ns,
            {
                "metadata": {"name": "data"},
                "spec": {
                    "accessModes": ["ReadWriteOnce"],
                    "resources": {"requests": {"storage": "1Gi"}},
                },
            },
        )

        def bound() -> bool:
            claim = self.core.read_namespaced_persistent_volume_claim("data", self.ns)
            return bool(claim.status.phase == "Bound")

        took = wait("claim data bound", bound)
        return f"PersistentVolumeClaim bound in {took:.1f}s"

    def service_account_token(self) -> str:
        self.core.create_namespaced_service_account(self.ns, {"metadata": {"name": "robot"}})
        token = self.core.create_namespaced_service_account_token(
            "robot", self.ns, {"spec": {"expirationSeconds": 600}}
        ).status.token
        cfg = client.Configuration()
        cfg.host = self.api.configuration.host
        cfg.ssl_ca_cert = self.api.configuration.ssl_ca_cert
        cfg.api_key = {"authorization": f"Bearer {token}"}
        with client.ApiClient(cfg) as robot:
            auth: Any = client.AuthenticationV1Api(robot)
            review = auth.create_self_subject_review(
                {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}
            )
        user = review.status.user_info.username
        assert user == f"system:serviceaccount:{self.ns}:robot", user
        return f"token authenticates as {user}"

    def delete_namespace(self) -> str:
        self.core.delete_namespace(self.ns)

        def gone() -> bool:
            try:
                self.core.read_namespace(self.ns)
            except ApiException as e:
                return bool(e.status == 404)
            return False

        took = wait(f"namespace {self.ns} deleted", gone, timeout=120)
        return f"{self.ns} gone in {took:.1f}s"

    def run(self) -> int:
        self.check("version", self.version)
        self.check("node", self.node)
        self.check("namespace", self.namespace)
        if "namespace" in self.failed:
            return 1
        try:
            self.check("deployment ready", self.ready_deployment)
            self.check("deployment never ready", self.unready_deployment)
            self.check("job", self.job)
            self.check("hpa", self.hpa)
            self.check("keda", self.keda)
            self.check("httproute", self.httproute)
            self.check("volume", self.volume)
            self.check("service account token", self.service_account_token)
        finally:
            self.check("namespace deletion", self.delete_namespace)
        print(f"smoke: {len(self.passed)} passed, {len(self.failed)} failed")
        return 1 if self.failed else 0


if __name__ == "__main__":
    sys.exit(Smoke().run())
