"""An app's add-on on Kubernetes, as data: any kind from its record (rule 9).

- a Secret with the add-on's password and the files its container reads (mode 0400);
- a headless Service, so app pods reach it at ``<kind>`` in their namespace;
- a StatefulSet of one pod with a PersistentVolumeClaim for its data, readiness by the
  kind's own check (exec), running as the image's service uid under the ``restricted``
  Pod Security Standard of the app namespace;
- a NetworkPolicy that admits, on the kind's port, only the app's own pods;
- for kinds with backups, a PVC for backups and one Job per capture or restore that
  runs the kind's command against the Service and writes to (reads from) that PVC.

Pure: the same app, add-on and settings give the same objects; the Kubernetes runtime
applies them (server-side apply). Nothing here names a kind.
"""

from __future__ import annotations

import base64
import shlex
from pathlib import PurePosixPath

from paas.domain.addons import Addon, AddonKind, kind_of
from paas.domain.backups import validate_id
from paas.runtime.kubernetes import labels as lb
from paas.runtime.kubernetes.labels import Manifest
from paas.runtime.kubernetes.settings import KubernetesSettings

PASSWORD_KEY = "password"  # noqa: S105 - the key name in the Secret
BACKUPS_MOUNT = "/backups"


def addon_type(kind: str) -> str:
    """The process-type label of an add-on's pods (``addon-postgres``)."""
    return f"addon-{kind}"


def secret_name(kind: str) -> str:
    return f"addon-{kind}"


def backups_claim(kind: str) -> str:
    return f"addon-{kind}-backups"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _file_key(path: str) -> str:
    return PurePosixPath(path).name


def _namespace(addon: Addon, settings: KubernetesSettings) -> str:
    return lb.namespace(addon.app, settings)


def _labels(addon: Addon) -> dict[str, str]:
    return lb.labels(addon.app, addon_type(addon.kind))


def addon_secret(addon: Addon, settings: KubernetesSettings) -> Manifest:
    kind = kind_of(addon)
    data = {PASSWORD_KEY: _b64(addon.password)}
    data.update({_file_key(f.path): _b64(f.render(addon.password)) for f in kind.files})
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": lb.metadata(secret_name(addon.kind), _namespace(addon, settings),
                                _labels(addon)),
        "type": "Opaque",
        "data": data,
    }


def addon_service(addon: Addon, settings: KubernetesSettings) -> Manifest:
    kind = kind_of(addon)
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": lb.metadata(addon.kind, _namespace(addon, settings), _labels(addon)),
        "spec": {
            "clusterIP": "None",
            "selector": lb.selector(addon.app, addon_type(addon.kind)),
            "ports": [{"name": addon.kind, "port": kind.port, "targetPort": kind.port}],
        },
    }


def host(addon: Addon, settings: KubernetesSettings) -> str:
    """Where app pods reach the add-on: its Service, fully qualified."""
    return f"{addon.kind}.{_namespace(addon, settings)}.svc"


def _security(kind: AddonKind) -> tuple[Manifest, Manifest]:
    uid = kind.uid if kind.uid is not None else 999
    pod = {"runAsNonRoot": True, "runAsUser": uid, "runAsGroup": uid, "fsGroup": uid,
           "seccompProfile": {"type": "RuntimeDefault"}}
    container = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}
    return pod, container


def _env(addon: Addon, kind: AddonKind, client: bool) -> list[Manifest]:
    """The container's environment; with ``client``, the client's password variables
    come from the Secret by reference, so no pod spec holds a secret value."""
    env: list[Manifest] = [{"name": k, "value": v}
                           for k, v in sorted(kind.environment(addon.password).items())]
    if client:
        env += [{"name": k, "valueFrom": {"secretKeyRef": {
            "name": secret_name(addon.kind), "key": PASSWORD_KEY}}}
            for k in sorted(kind.client_environment(addon.password))]
    return env


def addon_statefulset(addon: Addon, image: str, settings: KubernetesSettings,
                      storage: str = "10Gi") -> Manifest:
    kind = kind_of(addon)
    pod_security, container_security = _security(kind)
    mounts: list[Manifest] = [{"name": "data", "mountPath": kind.volume_dir or kind.data_dir}]
    mounts += [{"name": "secret", "mountPath": f.path, "subPath": _file_key(f.path),
                "readOnly": True} for f in kind.files]
    container: Manifest = {
        "name": addon.kind,
        "image": image,
        "ports": [{"name": addon.kind, "containerPort": kind.port}],
        "env": _env(addon, kind, client=True),
        "volumeMounts": mounts,
        "securityContext": container_security,
        "readinessProbe": {"exec": {"command": list(kind.ready)}, "periodSeconds": 5,
                           "failureThreshold": 3},
        "resources": {"requests": {"cpu": "100m", "memory": "256Mi"},
                      "limits": {"memory": "1Gi"}},
    }
    if kind.command is not None:
        container["command"] = list(kind.command)
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": lb.metadata(addon.kind, _namespace(addon, settings), _labels(addon)),
        "spec": {
            "serviceName": addon.kind,
            "replicas": 1,
            "selector": {"matchLabels": lb.selector(addon.app, addon_type(addon.kind))},
            "template": {
                "metadata": {"labels": _labels(addon)},
                "spec": {
                    "securityContext": pod_security,
                    "automountServiceAccountToken": False,
                    "containers": [container],
                    "volumes": [{"name": "secret", "secret": {
                        "secretName": secret_name(addon.kind), "defaultMode": 0o440}}],
                },
            },
            "volumeClaimTemplates": [{
                "metadata": {"name": "data", "labels": _labels(addon)},
                "spec": {"accessModes": ["ReadWriteOnce"],
                         "resources": {"requests": {"storage": storage}}},
            }],
            # the claim outlives a deleted StatefulSet: data goes only with the namespace
            "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain",
                                                     "whenScaled": "Retain"},
        },
    }


def addon_network_policy(addon: Addon, settings: KubernetesSettings) -> Manifest:
    """Only the app's own pods (its namespace, its app label) reach the add-on's port."""
    kind = kind_of(addon)
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": lb.metadata(f"addon-{addon.kind}", _namespace(addon, settings),
                                _labels(addon)),
        "spec": {
            "podSelector": {"matchLabels": lb.selector(addon.app, addon_type(addon.kind))},
            "policyTypes": ["Ingress"],
            "ingress": [{
                "from": [{"podSelector": {"matchLabels": {lb.APP: addon.app}}}],
                "ports": [{"protocol": "TCP", "port": kind.port}],
            }],
        },
    }


def backups_pvc(addon: Addon, settings: KubernetesSettings, storage: str = "20Gi"
                ) -> Manifest:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": lb.metadata(backups_claim(addon.kind), _namespace(addon, settings),
                                _labels(addon)),
        "spec": {"accessModes": ["ReadWriteOnce"],
                 "resources": {"requests": {"storage": storage}}},
    }


def addon_objects(addon: Addon, image: str, settings: KubernetesSettings) -> list[Manifest]:
    """Everything the add-on needs, in the order to apply them."""
    objects = [addon_secret(addon, settings), addon_service(addon, settings),
               addon_network_policy(addon, settings)]
    if kind_of(addon).backup is not None:
        objects.append(backups_pvc(addon, settings))
    objects.append(addon_statefulset(addon, image, settings))
    return objects


def _remote(argv: tuple[str, ...], addon: Addon, settings: KubernetesSettings
            ) -> list[str]:
    """The kind's command aimed at the Service instead of the container's loopback."""
    out = list(argv)
    if "127.0.0.1" in out:
        out[out.index("127.0.0.1")] = host(addon, settings)
    return out


def backup_job(addon: Addon, image: str, backup_id: str, settings: KubernetesSettings,
               restore: bool = False) -> Manifest:
    """A Job that captures ``backup_id`` into the backups PVC (or restores it from
    there): the kind's own command, reaching the add-on through its Service."""
    kind = kind_of(addon)
    command = kind.restore if restore else kind.backup
    if command is None:
        raise ValueError(f"the {kind.name} add-on has no {'restore' if restore else 'backup'}")
    path = f"{BACKUPS_MOUNT}/{validate_id(backup_id)}.dump"
    argv = shlex.join(_remote(command, addon, settings))
    # write to a partial file and rename when whole, as the Docker runtime does
    script = (f"{argv} < {path}" if restore
              else f"{argv} > {path}.partial && mv {path}.partial {path}")
    pod_security, container_security = _security(kind)
    action = "restore" if restore else "backup"
    job_labels = {**_labels(addon), "paas.io/backup": backup_id}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": lb.metadata(f"{addon.kind}-{action}-{backup_id}",
                                _namespace(addon, settings), job_labels),
        "spec": {
            "backoffLimit": 0,
            "ttlSecondsAfterFinished": 86400,
            "template": {
                "metadata": {"labels": job_labels},
                "spec": {
                    "restartPolicy": "Never",
                    "securityContext": pod_security,
                    "automountServiceAccountToken": False,
                    "containers": [{
                        "name": action,
                        "image": image,
                        "command": ["sh", "-c", script],
                        "env": _env(addon, kind, client=True),
                        "volumeMounts": [{"name": "backups", "mountPath": BACKUPS_MOUNT}],
                        "securityContext": container_security,
                    }],
                    "volumes": [{"name": "backups", "persistentVolumeClaim": {
                        "claimName": backups_claim(addon.kind)}}],
                },
            },
        },
    }
