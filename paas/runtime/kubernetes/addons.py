"""An app's add-on on Kubernetes, as data: any kind from its record (rule 9).

- a Secret with the add-on's password and the files its container reads (mode 0400);
- a headless Service, so app pods reach it at ``<kind>`` in their namespace;
- a StatefulSet of one pod with a PersistentVolumeClaim for its data, readiness by the
  kind's own check (exec), running as the image's service uid under the ``restricted``
  Pod Security Standard of the app namespace;
- a NetworkPolicy that admits, on the kind's port, only the app's own pods;
- for kinds with backups (``paas.runtime.kubernetes.backups`` applies them): one
  PersistentVolumeClaim per app for backups, made when the first one is; a Job per
  capture or restore that runs the kind's command against the Service and writes to
  (reads from) that claim; a CronJob per schedule that captures and keeps the last N.

Pure: the same app, add-on and settings give the same objects; the Kubernetes runtime
applies them (server-side apply). Nothing here names a kind.
"""

from __future__ import annotations

import base64
import shlex
from pathlib import PurePosixPath

from paas.domain.addons import Addon, AddonKind, kind_of
from paas.domain.backups import SCHEDULED, Schedule, validate_id, validate_keep
from paas.runtime.kubernetes import labels as lb
from paas.runtime.kubernetes.labels import Manifest
from paas.runtime.kubernetes.settings import KubernetesSettings
from paas.runtime.kubernetes.state import ADDON_TYPE_PREFIX

PASSWORD_KEY = "password"  # noqa: S105 - the key name in the Secret
BACKUPS_MOUNT = "/backups"


def addon_type(kind: str) -> str:
    """The process-type label of an add-on's pods (``addon-postgres``)."""
    return f"{ADDON_TYPE_PREFIX}{kind}"


def secret_name(kind: str) -> str:
    return f"{ADDON_TYPE_PREFIX}{kind}"


#: The claim of an app's backups, and the process type of what it belongs to: not the
#: add-on's, so destroying the add-on keeps them (they go with the app's namespace).
BACKUPS = "backups"
#: Label of a backup Job: the id it captures or restores, and which of the two.
BACKUP_ID = "paas.io/backup"
BACKUP_ACTION = "paas.io/backup-action"
CAPTURE = "capture"
RESTORE = "restore"
#: The label the Job controller sets on its pods (Kubernetes 1.27 and later): a
#: scheduled capture names its file after its Job.
JOB_NAME_LABEL = "batch.kubernetes.io/job-name"
JOB_NAME_ENV = "PAAS_BACKUP_JOB"


def backup_type(kind: str) -> str:
    """The process-type label of a backup Job's pods (``addon-postgres-backup``): not the
    add-on's own, or its Service would send the app's connections to them."""
    return f"{addon_type(kind)}-backup"


def backup_schedule_name(kind: str) -> str:
    return f"{kind}-backups"


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


def host(app: str, kind: str, settings: KubernetesSettings) -> str:
    """Where app pods reach the add-on: its Service, fully qualified."""
    return f"{kind}.{lb.namespace(app, settings)}.svc"


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


def addon_objects(addon: Addon, image: str, settings: KubernetesSettings) -> list[Manifest]:
    """Everything the add-on needs, in the order to apply them."""
    return [addon_secret(addon, settings), addon_service(addon, settings),
            addon_network_policy(addon, settings), addon_statefulset(addon, image, settings)]


def backups_pvc(app: str, settings: KubernetesSettings, storage: str) -> Manifest:
    """The app's claim for backups (``storage``: PAAS_K8S_BACKUP_STORAGE)."""
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": lb.metadata(BACKUPS, lb.namespace(app, settings),
                                lb.labels(app, BACKUPS)),
        "spec": {"accessModes": ["ReadWriteOnce"],
                 "resources": {"requests": {"storage": storage}}},
    }


def backup_path(backup_id: str) -> str:
    """Where a backup lives on the claim; the id is checked before it becomes a path."""
    return f"{BACKUPS_MOUNT}/{validate_id(backup_id)}.dump"


def _command(addon: Addon, restore: bool, settings: KubernetesSettings) -> tuple[str, ...]:
    """The kind's command, run in a pod of its own: it reaches the add-on's Service."""
    kind = kind_of(addon)
    command = kind.restore if restore else kind.backup
    if command is None:
        raise ValueError(f"the {kind.name} add-on has no {RESTORE if restore else CAPTURE}")
    return command(host(addon.app, addon.kind, settings))


def capture_script(addon: Addon, settings: KubernetesSettings, path: str) -> str:
    """Dump to ``path.partial``, rename when whole (a listed file is always whole, as on
    the Docker runtime), print its size for the platform to read from the log. A failed
    dump leaves no file behind. ``path`` is one shell word, quoted by the caller."""
    argv = shlex.join(_command(addon, restore=False, settings=settings))
    partial = f"{path}.partial"
    return (f"set -e; umask 077; trap \"rm -f {partial}\" EXIT; {argv} > {partial}; "
            f"mv {partial} {path}; stat -c %s {path}")


def restore_script(addon: Addon, settings: KubernetesSettings, path: str) -> str:
    """The kind's restore reads the file: one transaction, so a broken dump leaves the
    data as it was."""
    argv = shlex.join(_command(addon, restore=True, settings=settings))
    return f"set -e; {argv} < {shlex.quote(path)}"


def _backup_pod(addon: Addon, image: str, settings: KubernetesSettings, action: str,
                script: str, labels: dict[str, str],
                extra_env: list[Manifest] | None = None) -> Manifest:
    """The pod template of every backup Job: the kind's image and uid, the password from
    the add-on's Secret by reference, the app's backups claim at ``/backups``."""
    kind = kind_of(addon)
    pod_security, container_security = _security(kind)
    return {
        "metadata": {"labels": labels},
        "spec": {
            "restartPolicy": "Never",
            "securityContext": pod_security,
            "automountServiceAccountToken": False,
            "containers": [{
                "name": action,
                "image": image,
                "command": ["sh", "-c", script],
                "env": _env(addon, kind, client=True) + (extra_env or []),
                "volumeMounts": [{"name": BACKUPS, "mountPath": BACKUPS_MOUNT}],
                "securityContext": container_security,
                "resources": {"requests": {"cpu": "100m", "memory": "128Mi"},
                              "limits": {"memory": "512Mi"}},
            }],
            "volumes": [{"name": BACKUPS, "persistentVolumeClaim": {"claimName": BACKUPS}}],
        },
    }


def _job_labels(addon: Addon, action: str, backup_id: str | None) -> dict[str, str]:
    out = {**lb.labels(addon.app, backup_type(addon.kind)), BACKUP_ACTION: action}
    if backup_id is not None:
        out[BACKUP_ID] = backup_id
    return out


def backup_job_name(kind: str, action: str, backup_id: str, run: str | None = None) -> str:
    return f"{kind}-{action}-{validate_id(backup_id)}" + (f"-{run}" if run else "")


def backup_job(addon: Addon, image: str, backup_id: str, settings: KubernetesSettings,
               restore: bool = False, run: str | None = None,
               timeout: int | None = None) -> Manifest:
    """A Job that captures ``backup_id`` into the backups claim (or restores it from
    there): the kind's own command, reaching the add-on through its Service. A restore
    may run more than once for one id: ``run`` makes its name unique. One attempt
    (``backoffLimit`` 0): a failure is reported, never retried behind the user's back."""
    path = backup_path(backup_id)
    action = RESTORE if restore else CAPTURE
    script = (restore_script(addon, settings, path) if restore
              else capture_script(addon, settings, shlex.quote(path)))
    labels = _job_labels(addon, action, backup_id)
    spec: Manifest = {
        "backoffLimit": 0,
        "ttlSecondsAfterFinished": 86400,
        "template": _backup_pod(addon, image, settings, action, script, labels),
    }
    if timeout is not None:
        spec["activeDeadlineSeconds"] = timeout
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": lb.metadata(backup_job_name(addon.kind, action, backup_id, run),
                                _namespace(addon, settings), labels),
        "spec": spec,
    }


def scheduled_script(addon: Addon, settings: KubernetesSettings, keep: int) -> str:
    """A scheduled capture names its file ``a<N>.dump`` after its Job
    (``<cronjob>-<N>``, N the scheduled minute since the epoch, which the CronJob
    controller puts in every Job name), then deletes all but the newest ``keep``
    scheduled files: the command keeps the last N where the files are, whether or not the
    platform server is up at that hour. Captures people asked for (``b``) stay."""
    # n is checked to be digits before the path is used
    capture = capture_script(addon, settings, f"{BACKUPS_MOUNT}/{SCHEDULED}${{n}}.dump")
    prune = (f"ls -1 {BACKUPS_MOUNT}/{SCHEDULED}*.dump | sort -r | "
             f"tail -n +{validate_keep(keep) + 1} | while read -r old; do rm -f -- \"$old\"; done")
    return (f'n="${{{JOB_NAME_ENV}##*-}}"; case "$n" in ""|*[!0-9]*) exit 2;; esac; '
            f"{capture}; {prune}")


def backup_cronjob(addon: Addon, image: str, schedule: Schedule,
                   settings: KubernetesSettings, timeout: int | None = None) -> Manifest:
    """The daily capture as a CronJob (UTC). Its Jobs are the record of scheduled
    backups: the successful ones it keeps are the ``keep`` files the command keeps."""
    labels = _job_labels(addon, CAPTURE, None)
    job_name = {"name": JOB_NAME_ENV, "valueFrom": {"fieldRef": {
        "fieldPath": f"metadata.labels['{JOB_NAME_LABEL}']"}}}
    job_spec: Manifest = {
        "backoffLimit": 0,
        "template": _backup_pod(addon, image, settings, CAPTURE,
                                scheduled_script(addon, settings, schedule.keep), labels,
                                [job_name]),
    }
    if timeout is not None:
        job_spec["activeDeadlineSeconds"] = timeout
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": lb.metadata(backup_schedule_name(addon.kind), _namespace(addon, settings),
                                labels),
        "spec": {
            "schedule": f"{schedule.at.minute} {schedule.at.hour} * * *",
            "timeZone": "Etc/UTC",
            "concurrencyPolicy": "Forbid",
            # a server or controller down at the hour catches up within the hour
            "startingDeadlineSeconds": 3600,
            "successfulJobsHistoryLimit": schedule.keep,
            "failedJobsHistoryLimit": 3,
            "jobTemplate": {"metadata": {"labels": labels}, "spec": job_spec},
        },
    }
