"""Pods of an app: a Deployment per process type, the release Job and one-off run pods.

All three share one container definition so that a migration in the release phase or a
``paas run`` sees exactly the image, config and limits the web process sees.

A process type's size (``paas ps:resize``) becomes its requests and limits: memory is
requested as much as it is limited (a node never overcommits memory into OOM-killing a
neighbour), CPU is requested in proportion to the size (the scheduler's weight, like
cpu shares on Docker) and capped only for the sizes that have a quota. The root
filesystem is read-only with an emptyDir ``/tmp``, unless an admin granted the app a
writable root. Process counts are the kubelet's ``podPidsLimit``, a node setting.
"""

from __future__ import annotations

import re

from paas.domain.app import App
from paas.domain.formation import SINGLETONS
from paas.domain.health import HealthCheck, with_config
from paas.domain.release import Build, Release
from paas.domain.sizes import DEFAULT, MIB, Size
from paas.errors import InvalidInput
from paas.runtime.kubernetes import labels as lb
from paas.runtime.kubernetes import probes, sidecar
from paas.runtime.kubernetes.labels import Manifest
from paas.runtime.kubernetes.settings import KubernetesSettings

APP_CONTAINER = "app"
#: The app container's writable /tmp under a read-only root filesystem.
APP_TMP = "app-tmp"
#: Where the sidecar's temp paths live: an emptyDir in the pod, not a host directory.
NGINX_TMP = "/tmp"  # noqa: S108
_SHELL_SYNTAX = re.compile(r"[;&|<>()`\n]|\$\(")


def build_of(release: Release) -> Build:
    if release.build is None:
        raise InvalidInput(f"release {release.label} of {release.app} has no build to run")
    return release.build


def command_line(command: str) -> list[str]:
    """Run a Procfile line through ``sh -c``, as Heroku does.

    A simple command is prefixed with ``exec`` so the server becomes PID 1 and gets the
    kubelet's SIGTERM itself: ``sh`` as PID 1 would ignore it and every stop would wait
    for SIGKILL. A line with shell operators keeps ``sh`` in charge of them.
    """
    if not command.strip():
        raise InvalidInput("empty process command")
    body = command if _SHELL_SYNTAX.search(command) else f"exec {command}"
    return ["/bin/sh", "-c", body]


def _container_security() -> Manifest:
    return {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
    }


def writable_root(app: App, release: Release) -> bool:
    """An admin's grant, or a build that found the app writing under /app (SQLite)."""
    return app.limits.writable_root or bool(release.build and release.build.writable_root)


def _app_security(writable_root: bool) -> Manifest:
    return {**_container_security(), "readOnlyRootFilesystem": not writable_root}


def resources(size: Size, settings: KubernetesSettings) -> Manifest:
    """Requests and limits of one replica of ``size``; ``cpu_request_m`` is one 1x."""
    memory = f"{size.memory // MIB}Mi"
    limits: Manifest = {"memory": memory}
    if size.cpu_quota is not None:
        limits["cpu"] = f"{round(size.cpu_quota * 1000)}m"
    return {
        "requests": {"cpu": f"{round(size.cpu * settings.cpu_request_m)}m", "memory": memory},
        # No CPU limit but where a size has a quota: throttling a Python server on an
        # idle node hurts latency more than sharing.
        "limits": limits,
    }


def tmp_volume(size: Size) -> Manifest:
    return {"name": APP_TMP, "emptyDir": {"medium": "Memory",
                                          "sizeLimit": f"{size.tmp_bytes // MIB}Mi"}}


def _pod_security(settings: KubernetesSettings) -> Manifest:
    return {
        "runAsNonRoot": True,
        "runAsUser": settings.run_as_user,
        "runAsGroup": settings.run_as_user,
        "fsGroup": settings.run_as_user,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def web_check(release: Release) -> HealthCheck:
    """The build's check with the config's overrides (``paas healthcheck:set``)."""
    return with_config(build_of(release).health, release.config)


def data_volumes(build: Build) -> list[Manifest]:
    """The build's data folders as folders of the pod (see ``data_note``)."""
    return [{"name": f"data-{i}", "emptyDir": {}} for i, _ in enumerate(build.data_dirs)]


def _data_mounts(build: Build) -> list[Manifest]:
    return [{"name": f"data-{i}", "mountPath": path}
            for i, path in enumerate(build.data_dirs)]


def data_note(build: Build) -> str | None:
    """What a deploy says about the build's data folders on this runtime: no volume the
    release Job and every replica share exists here, so each pod has its own."""
    if not build.data_dirs:
        return None
    return (f"Data: {', '.join(build.data_dirs)} is a folder of each pod on Kubernetes, "
            "not shared by the release phase and the replicas, and lost with the pod: "
            "use the PostgreSQL add-on")


def app_container(
    release: Release, process_type: str, command: str, settings: KubernetesSettings,
    size: Size = DEFAULT, writable_root: bool = False,
) -> Manifest:
    """The app's container; with a read-only root, its pod needs ``tmp_volume``."""
    build = build_of(release)
    env = [
        {"name": "PORT", "value": str(build.port)},
        {"name": "PAAS_APP", "value": release.app},
        {"name": "PAAS_RELEASE", "value": lb.release_label(release.version)},
        {"name": "PAAS_PROCESS_TYPE", "value": process_type},
    ]
    mounts = ([] if writable_root else [{"name": APP_TMP, "mountPath": "/tmp"}])  # noqa: S108
    mounts += _data_mounts(build)
    return {
        "name": APP_CONTAINER,
        "image": build.image,
        "imagePullPolicy": "IfNotPresent",
        "command": command_line(command),
        "env": env,
        "envFrom": [{"secretRef": {"name": lb.config_secret(release.version)}}],
        "resources": resources(size, settings),
        "securityContext": _app_security(writable_root),
        **({"volumeMounts": mounts} if mounts else {}),
    }


def _pod_spec(
    release: Release, containers: list[Manifest], settings: KubernetesSettings, restart: str,
    volumes: list[Manifest] | None = None,
) -> Manifest:
    spec: Manifest = {
        "containers": containers,
        "restartPolicy": restart,
        "securityContext": _pod_security(settings),
        "terminationGracePeriodSeconds": settings.stop_timeout,
        # Apps talk to no Kubernetes API, and service links would flood their env.
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
    }
    if settings.image_pull_secret:
        spec["imagePullSecrets"] = [{"name": settings.image_pull_secret}]
    if volumes:
        spec["volumes"] = volumes
    return spec


def _app_pod_spec(release: Release, process_type: str, command: str,
                  settings: KubernetesSettings, restart: str, size: Size,
                  writable_root: bool) -> Manifest:
    """A pod of the app container alone (workers, the release Job, one-off runs)."""
    container = app_container(release, process_type, command, settings, size, writable_root)
    return _pod_spec(release, [container], settings, restart,
                     ([] if writable_root else [tmp_volume(size)])
                     + data_volumes(build_of(release)))


def web_pod_spec(release: Release, settings: KubernetesSettings, size: Size = DEFAULT,
                 writable_root: bool = False) -> Manifest:
    """The web pod: probes on the app port, and the nginx sidecar when the build needs it."""
    build = build_of(release)
    app = app_container(release, lb.WEB, build.processes[lb.WEB], settings, size,
                        writable_root)
    app_volumes = ([] if writable_root else [tmp_volume(size)]) + data_volumes(build)
    found = probes.web_probes(build, web_check(release))
    app["startupProbe"] = found.startup
    app["readinessProbe"] = found.readiness
    app["livenessProbe"] = found.liveness
    if not sidecar.needed(build):
        app["ports"] = [{"name": "http", "containerPort": build.port}]
        return _pod_spec(release, [app], settings, "Always", app_volumes)

    app["ports"] = [{"name": "app", "containerPort": build.port}]
    static_mount = {"name": "static", "mountPath": sidecar.STATIC_ROOT}
    inits = [
        {
            "name": f"static-{i}",
            "image": build.image,
            "imagePullPolicy": "IfNotPresent",
            "command": ["cp", "-R", f"{mount.path.rstrip('/')}/.", sidecar.static_dir(i)],
            "volumeMounts": [static_mount],
            "resources": {"requests": {"cpu": "10m", "memory": "32Mi"}},
            "securityContext": _container_security(),
        }
        for i, mount in enumerate(build.static)
    ]
    nginx = {
        "name": "nginx",
        "image": settings.sidecar_image,
        "imagePullPolicy": "IfNotPresent",
        "command": ["nginx", "-c", f"{sidecar.CONF_DIR}/{sidecar.CONF_FILE}", "-g", "daemon off;"],
        "ports": [{"name": "http", "containerPort": sidecar.PORT}],
        "readinessProbe": probes.tcp(sidecar.PORT, period=5, failures=3),
        "livenessProbe": probes.tcp(sidecar.PORT, period=10, failures=3),
        "resources": {"requests": {"cpu": "20m", "memory": "32Mi"}, "limits": {"memory": "128Mi"}},
        "securityContext": {**_container_security(), "readOnlyRootFilesystem": True},
        "volumeMounts": [
            {"name": "nginx-conf", "mountPath": sidecar.CONF_DIR, "readOnly": True},
            {**static_mount, "readOnly": True},
            {"name": "nginx-tmp", "mountPath": NGINX_TMP},
        ],
    }
    spec = _pod_spec(release, [app, nginx], settings, "Always")
    if inits:
        spec["initContainers"] = inits
    spec["volumes"] = [
        {"name": "nginx-conf", "configMap": {"name": lb.nginx_config(release.version)}},
        {"name": "static", "emptyDir": {}},
        {"name": "nginx-tmp", "emptyDir": {}},
        *app_volumes,
    ]
    return spec


def deployment(
    app: str,
    release: Release,
    process_type: str,
    replicas: int | None,
    settings: KubernetesSettings,
    size: Size = DEFAULT,
    writable_root: bool = False,
) -> Manifest:
    """One process type at ``size``. ``replicas`` None leaves the count to an autoscaler.

    Rolling updates never take a ready replica away before its successor is ready
    (maxUnavailable 0). ``beat`` is recreated instead: two schedulers overlapping during
    a rollout would enqueue every periodic task twice.
    """
    build = build_of(release)
    if process_type == lb.WEB:
        pod = web_pod_spec(release, settings, size, writable_root)
    else:
        pod = _app_pod_spec(release, process_type, build.processes[process_type], settings,
                            "Always", size, writable_root)
    strategy: Manifest
    if process_type in SINGLETONS:
        strategy = {"type": "Recreate"}
        replicas = None if replicas is None else min(replicas, 1)
    else:
        strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}}
    spec: Manifest = {
        "selector": {"matchLabels": lb.selector(app, process_type)},
        "strategy": strategy,
        "revisionHistoryLimit": 5,
        "progressDeadlineSeconds": settings.rollout_timeout,
        "template": {
            "metadata": {"labels": lb.labels(app, process_type, release.version)},
            "spec": pod,
        },
    }
    if replicas is not None:
        spec["replicas"] = replicas
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": lb.metadata(
            process_type, lb.namespace(app, settings), lb.labels(app, process_type, release.version)
        ),
        "spec": spec,
    }


def release_job(app: str, release: Release, settings: KubernetesSettings,
                size: Size = DEFAULT, writable_root: bool = False) -> Manifest:
    """The release phase: one pod, no retries (a half-run migration must not rerun blindly).
    It runs at the web size, like one-off runs."""
    build = build_of(release)
    if not build.release_command:
        raise InvalidInput(f"release {release.label} has no release command")
    pod = _app_pod_spec(release, lb.RELEASE_TYPE, build.release_command, settings, "Never",
                        size, writable_root)
    job_labels = lb.labels(app, lb.RELEASE_TYPE, release.version)
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": lb.metadata(
            lb.release_job(release.version), lb.namespace(app, settings), job_labels
        ),
        "spec": {
            "backoffLimit": 0,
            "activeDeadlineSeconds": settings.release_timeout,
            "ttlSecondsAfterFinished": 86400,
            "template": {"metadata": {"labels": job_labels}, "spec": pod},
        },
    }


def run_pod(
    app: str, release: Release, name: str, command: str, settings: KubernetesSettings,
    size: Size = DEFAULT, writable_root: bool = False,
) -> Manifest:
    """A one-off ``paas run``: the release's container with another command, run once,
    at the web size."""
    pod = _app_pod_spec(release, lb.RUN_TYPE, command, settings, "Never", size, writable_root)
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": lb.metadata(
            name, lb.namespace(app, settings), lb.labels(app, lb.RUN_TYPE, release.version)
        ),
        "spec": pod,
    }
