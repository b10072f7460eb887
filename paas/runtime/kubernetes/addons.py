"""Add-ons on a cluster, as data: any ``AddonKind`` becomes a StatefulSet with its own
volume claim, a Secret, a Service and a NetworkPolicy, in the app's namespace.

Generic over the kind record (``paas.domain.addons``): image, port, data directory,
command, files, environment and readiness check all come from it, so a new kind
(PostgreSQL) is a new record and no new object here. Secrets (the kind's files, rendered
from the add-on's password, and its environment) live in the Secret and are mounted or
referenced, never written into the pod spec.

Add-on objects carry their own ``managed-by`` value, so the app's deploys, which prune
what they did not apply, never see them.
"""

from __future__ import annotations

import base64
import posixpath
from collections.abc import Mapping

from paas.domain.addons import Addon, AddonKind
from paas.runtime.kubernetes import labels as lb
from paas.runtime.kubernetes.labels import Manifest
from paas.runtime.kubernetes.settings import KubernetesSettings

MANAGER = "paas-addons"
ADDON = "paas.io/addon"
#: Kinds an add-on is made of, in the order they are applied (and deleted in reverse).
KINDS = (
    ("v1", "Secret"),
    ("v1", "Service"),
    ("networking.k8s.io/v1", "NetworkPolicy"),
    ("apps/v1", "StatefulSet"),
    ("v1", "PersistentVolumeClaim"),
)
DATA_VOLUME = "data"
#: Size each add-on's volume claim asks for.
DATA_SIZE = "1Gi"


def name(kind: str) -> str:
    """Objects of add-on ``kind``; prefixed so they never meet a process type's name."""
    return f"addon-{kind}"


def hostname(app: str, kind: str, settings: KubernetesSettings) -> str:
    """The name app pods reach the add-on by: its Service, inside the cluster."""
    return f"{name(kind)}.{lb.namespace(app, settings)}.svc"


def labels(app: str, kind: str | None = None) -> dict[str, str]:
    out = {lb.MANAGED_BY: MANAGER, lb.APP: app}
    if kind is not None:
        out[ADDON] = kind
    return out


def selector(app: str, kind: str | None = None) -> str:
    """Label selector of one add-on of ``app`` (every add-on without ``kind``)."""
    return ",".join(f"{k}={v}" for k, v in labels(app, kind).items())


def _file_key(path: str) -> str:
    return posixpath.basename(path)


def _b64(values: Mapping[str, str]) -> dict[str, str]:
    return {k: base64.b64encode(v.encode()).decode() for k, v in sorted(values.items())}


def secret(addon: Addon, kind: AddonKind, settings: KubernetesSettings) -> Manifest:
    """The kind's files and environment, rendered from the add-on's password."""
    data = {_file_key(f.path): f.render(addon.password) for f in kind.files}
    data.update(kind.environment(addon.password))
    data.update(kind.ready_environment(addon.password))
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": lb.metadata(name(kind.name), lb.namespace(addon.app, settings),
                                labels(addon.app, kind.name)),
        "type": "Opaque",
        "data": _b64(data),
    }


def service(addon: Addon, kind: AddonKind, settings: KubernetesSettings) -> Manifest:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": lb.metadata(name(kind.name), lb.namespace(addon.app, settings),
                                labels(addon.app, kind.name)),
        "spec": {
            "type": "ClusterIP",
            "selector": labels(addon.app, kind.name),
            "ports": [{"name": kind.name, "port": kind.port, "targetPort": kind.port,
                       "protocol": "TCP"}],
        },
    }


def network_policy(addon: Addon, kind: AddonKind, settings: KubernetesSettings) -> Manifest:
    """Only the app's own process pods (they carry a process type) reach the add-on, on
    its port; nothing else in the cluster does, other apps' pods included."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": lb.metadata(name(kind.name), lb.namespace(addon.app, settings),
                                labels(addon.app, kind.name)),
        "spec": {
            "podSelector": {"matchLabels": labels(addon.app, kind.name)},
            "policyTypes": ["Ingress"],
            "ingress": [{
                "from": [{"podSelector": {
                    "matchLabels": {lb.APP: addon.app},
                    "matchExpressions": [{"key": lb.PROCESS_TYPE, "operator": "Exists"}],
                }}],
                "ports": [{"protocol": "TCP", "port": kind.port}],
            }],
        },
    }


def _env(kind: AddonKind, password: str, secret_name: str) -> list[Manifest]:
    keys = {**kind.environment(password), **kind.ready_environment(password)}
    return [{"name": k, "valueFrom": {"secretKeyRef": {"name": secret_name, "key": k}}}
            for k in sorted(keys)]


def stateful_set(addon: Addon, kind: AddonKind, image: str,
                 settings: KubernetesSettings) -> Manifest:
    """One replica with a volume claim of its own, kept when the pod moves node."""
    obj_name = name(kind.name)
    dirs = sorted({posixpath.dirname(f.path) for f in kind.files})
    volumes = [
        {"name": f"files-{i}", "secret": {
            "secretName": obj_name, "defaultMode": 0o400,
            "items": [{"key": _file_key(f.path), "path": posixpath.basename(f.path),
                       "mode": f.mode} for f in kind.files
                      if posixpath.dirname(f.path) == d]}}
        for i, d in enumerate(dirs)
    ]
    mounts = [{"name": DATA_VOLUME, "mountPath": kind.data_dir}] + [
        {"name": f"files-{i}", "mountPath": d, "readOnly": True} for i, d in enumerate(dirs)
    ]
    container: Manifest = {
        "name": kind.name,
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "ports": [{"name": kind.name, "containerPort": kind.port}],
        "env": _env(kind, addon.password, obj_name),
        "volumeMounts": mounts,
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"},
                      "limits": {"memory": settings.memory_limit}},
        "securityContext": {"allowPrivilegeEscalation": False,
                            "capabilities": {"drop": ["ALL"]}},
    }
    if kind.command:
        container["command"] = list(kind.command)
    if kind.ready:
        container["readinessProbe"] = {"exec": {"command": list(kind.ready)},
                                       "periodSeconds": 5, "failureThreshold": 3}
    pod_labels = labels(addon.app, kind.name)
    pod: Manifest = {
        "containers": [container],
        "volumes": volumes,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": settings.run_as_user,
            "runAsGroup": settings.run_as_user,
            "fsGroup": settings.run_as_user,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
    }
    if settings.image_pull_secret:
        pod["imagePullSecrets"] = [{"name": settings.image_pull_secret}]
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": lb.metadata(obj_name, lb.namespace(addon.app, settings), pod_labels),
        "spec": {
            "replicas": 1,
            "serviceName": obj_name,
            "selector": {"matchLabels": pod_labels},
            "template": {"metadata": {"labels": pod_labels}, "spec": pod},
            "volumeClaimTemplates": [{
                "metadata": {"name": DATA_VOLUME, "labels": pod_labels},
                "spec": {"accessModes": ["ReadWriteOnce"],
                         "resources": {"requests": {"storage": DATA_SIZE}}},
            }],
        },
    }


def addon_objects(addon: Addon, kind: AddonKind, image: str,
                  settings: KubernetesSettings) -> list[Manifest]:
    """Every object of one add-on, in the order they are applied."""
    return [
        secret(addon, kind, settings),
        service(addon, kind, settings),
        network_policy(addon, kind, settings),
        stateful_set(addon, kind, image, settings),
    ]
