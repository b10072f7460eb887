"""Names and labels that tie every object to its app, process type and release.

Selectors use only app and process type: they are immutable on a Deployment, and the
release label must change on every release so that pods roll.
"""

from __future__ import annotations

from typing import Any

from paas.runtime.kubernetes.settings import KubernetesSettings

MANAGED_BY = "app.kubernetes.io/managed-by"
MANAGER = "paas"
APP = "paas.io/app"
PROCESS_TYPE = "paas.io/process-type"
RELEASE = "paas.io/release"
#: Pod template annotation whose change rolls a Deployment (``paas ps:restart``).
RESTARTED_AT = "paas.io/restarted-at"

#: Process types of pods that are not Deployments: the release phase and one-off runs.
RELEASE_TYPE = "release"
RUN_TYPE = "run"
WEB = "web"


def namespace(app: str, settings: KubernetesSettings) -> str:
    return f"{settings.namespace_prefix}{app}"


def release_label(version: int) -> str:
    return f"v{version}"


def parse_release(value: str | None) -> int:
    """Release number from a label; 0 when absent or foreign."""
    if value and value.startswith("v") and value[1:].isdigit():
        return int(value[1:])
    return 0


def labels(app: str, process_type: str | None = None, version: int | None = None) -> dict[str, str]:
    out = {MANAGED_BY: MANAGER, APP: app, "app.kubernetes.io/name": app}
    if process_type is not None:
        out[PROCESS_TYPE] = process_type
    if version is not None:
        out[RELEASE] = release_label(version)
    return out


def selector(app: str, process_type: str) -> dict[str, str]:
    return {APP: app, PROCESS_TYPE: process_type}


def managed(app: str) -> str:
    """Label selector of every object paas manages for ``app``."""
    return f"{MANAGED_BY}={MANAGER},{APP}={app}"


def config_secret(version: int) -> str:
    return f"config-{release_label(version)}"


def nginx_config(version: int) -> str:
    return f"web-nginx-{release_label(version)}"


def release_job(version: int) -> str:
    return f"release-{release_label(version)}"


#: Queue autoscaling reads the broker from this Secret through a TriggerAuthentication.
BROKER = "broker"


#: A Kubernetes object as the API takes it: plain JSON-compatible data.
Manifest = dict[str, Any]


def metadata(
    name: str,
    namespace_: str | None,
    labels_: dict[str, str],
    annotations: dict[str, str] | None = None,
) -> Manifest:
    meta: Manifest = {"name": name, "labels": labels_}
    if namespace_ is not None:
        meta["namespace"] = namespace_
    if annotations:
        meta["annotations"] = annotations
    return meta
