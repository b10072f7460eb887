"""Reading the cluster's answers: rollout and job progress, what to prune, what to restore.

Pure functions over the objects the API returns, so the decisions the runtime takes on
them are tested without a cluster.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from paas.runtime.kubernetes import labels as lb
from paas.runtime.kubernetes.labels import Manifest

#: Kinds a deploy changes in place, snapshotted so a failed rollout can be undone.
ROLLBACK_KINDS = (
    ("apps/v1", "Deployment"),
    ("v1", "Service"),
    ("networking.k8s.io/v1", "Ingress"),
    ("gateway.networking.k8s.io/v1", "HTTPRoute"),
    ("policy/v1", "PodDisruptionBudget"),
)
AUTOSCALE_KINDS = (
    ("autoscaling/v2", "HorizontalPodAutoscaler"),
    ("keda.sh/v1alpha1", "ScaledObject"),
)
PER_RELEASE_KINDS = (("v1", "ConfigMap"), ("v1", "Secret"))
PRUNE_KINDS = (
    *ROLLBACK_KINDS,
    *PER_RELEASE_KINDS,
    *AUTOSCALE_KINDS,
    ("keda.sh/v1alpha1", "TriggerAuthentication"),
)
#: Process type label prefix of add-on objects (``paas.runtime.kubernetes.addons``).
ADDON_TYPE_PREFIX = "addon-"


def is_addon(obj: Manifest) -> bool:
    """An add-on's object (process type ``addon-KIND``): its provider's, not a release's;
    its pods run no app container."""
    return (label(obj, lb.PROCESS_TYPE) or "").startswith(ADDON_TYPE_PREFIX)
_SERVER_ANNOTATIONS = (
    "deployment.kubernetes.io/revision",
    "kubectl.kubernetes.io/last-applied-configuration",
)


def _get(obj: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def name_of(obj: Manifest) -> str:
    return str(obj["metadata"]["name"])


def label(obj: Manifest, key: str) -> str | None:
    value = _get(obj, "metadata", "labels", key)
    return None if value is None else str(value)


def pod_template(dep: Manifest) -> Any:
    """A Deployment's pod template without the restart stamp: what, when it changes,
    makes the Deployment controller roll the pods."""
    template = _get(dep, "spec", "template")
    if not isinstance(template, dict):
        return template
    annotations = {k: v for k, v in (_get(template, "metadata", "annotations") or {}).items()
                   if k != lb.RESTARTED_AT}
    return {**template, "metadata": {**template.get("metadata", {}),
                                     "annotations": annotations}}


@dataclass(frozen=True)
class Progress:
    done: bool
    failed: str | None = None


def deployment_progress(dep: Manifest) -> Progress:
    """``kubectl rollout status``'s rule: the new ReplicaSet is fully up, the old gone."""
    generation = _get(dep, "metadata", "generation") or 0
    status = dep.get("status") or {}
    if (status.get("observedGeneration") or 0) < generation:
        return Progress(False)
    for cond in status.get("conditions") or []:
        if cond.get("type") == "Progressing" and cond.get("reason") == "ProgressDeadlineExceeded":
            return Progress(False, f"{name_of(dep)} exceeded its progress deadline")
    wanted = _get(dep, "spec", "replicas")
    wanted = 1 if wanted is None else int(wanted)
    updated = status.get("updatedReplicas") or 0
    total = status.get("replicas") or 0
    available = status.get("availableReplicas") or 0
    return Progress(updated >= wanted and total <= updated and available >= updated)


def job_progress(job: Manifest) -> Progress:
    for cond in _get(job, "status", "conditions") or []:
        if cond.get("status") != "True":
            continue
        if cond.get("type") == "Complete":
            return Progress(True)
        if cond.get("type") == "Failed":
            reason = cond.get("message") or cond.get("reason") or "the job failed"
            return Progress(True, str(reason))
    return Progress(False)


def pod_exit_code(pod: Manifest) -> int | None:
    """Exit code of the pod's first container once the pod has finished."""
    if _get(pod, "status", "phase") not in ("Succeeded", "Failed"):
        return None
    for status in _get(pod, "status", "containerStatuses") or []:
        terminated = _get(status, "state", "terminated")
        if terminated is not None:
            return int(terminated.get("exitCode", 1))
    return 0 if _get(pod, "status", "phase") == "Succeeded" else 1


def pod_state(pod: Manifest) -> str:
    """A short state for ``paas ps``: the container's own reason when it is stuck."""
    if _get(pod, "metadata", "deletionTimestamp"):
        return "terminating"
    for status in _get(pod, "status", "containerStatuses") or []:
        if status.get("name") != "app":
            continue
        waiting = _get(status, "state", "waiting", "reason")
        if waiting:
            return str(waiting)
        if _get(status, "state", "terminated") is not None:
            return "crashed"
        if _get(status, "state", "running") is not None:
            return "up" if status.get("ready") else "starting"
    return str(_get(pod, "status", "phase") or "pending").lower()


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def warnings(events: Iterable[Manifest], owners: Collection[str], limit: int = 10) -> list[str]:
    """The latest Warning events about ``owners`` or their ReplicaSets and pods."""

    def about(event: Manifest) -> bool:
        name = str(_get(event, "involvedObject", "name") or "")
        return any(name == o or name.startswith(o + "-") for o in owners)

    def when(event: Manifest) -> str:
        return str(
            event.get("lastTimestamp")
            or event.get("eventTime")
            or _get(event, "metadata", "creationTimestamp")
            or ""
        )

    picked = sorted((e for e in events if e.get("type") == "Warning" and about(e)), key=when)
    return [
        f"{_get(e, 'involvedObject', 'kind')} {_get(e, 'involvedObject', 'name')}: "
        f"{e.get('reason', '')}: {str(e.get('message', '')).strip()}"
        for e in picked[-limit:]
    ]


def restorable(live: Manifest, keep_replicas: bool = True) -> Manifest:
    """A live object as paas would apply it again: no status, no server-owned metadata.

    ``keep_replicas`` is False for autoscaled Deployments, whose count the autoscaler owns.
    """
    meta = live["metadata"]
    annotations = {
        k: v for k, v in (meta.get("annotations") or {}).items() if k not in _SERVER_ANNOTATIONS
    }
    out_meta: Manifest = {"name": meta["name"], "labels": dict(meta.get("labels") or {})}
    if meta.get("namespace"):
        out_meta["namespace"] = meta["namespace"]
    if annotations:
        out_meta["annotations"] = annotations
    spec = dict(live.get("spec") or {})
    if not keep_replicas:
        spec.pop("replicas", None)
    return {
        "apiVersion": live["apiVersion"],
        "kind": live["kind"],
        "metadata": out_meta,
        "spec": spec,
    }


def stale(
    live: Iterable[Manifest],
    applied: Collection[tuple[str, str]],
    process_types: Collection[str],
    keep_releases: Collection[int],
) -> list[Manifest]:
    """Objects of the app that no longer belong to it after a deploy.

    - objects another controller owns (KEDA's HPA) are left to their owner;
    - per-release Secrets/ConfigMaps live while their release may still run (the new
      one and the previous, which a rollback returns to);
    - autoscale objects live while their process type exists; the broker credentials
      while some ScaledObject uses them;
    - everything else lives only if this deploy applied it.
    """
    # Add-on objects (process type ``addon-KIND``) belong to their provider, not to
    # a release: a deploy never prunes them.
    objects = [o for o in live if not _get(o, "metadata", "ownerReferences")
               and not is_addon(o)]
    scaled = [
        o
        for o in objects
        if o["kind"] == "ScaledObject" and label(o, lb.PROCESS_TYPE) in process_types
    ]
    out = []
    for obj in objects:
        kind = obj["kind"]
        if kind in ("HorizontalPodAutoscaler", "ScaledObject"):
            keep = label(obj, lb.PROCESS_TYPE) in process_types
        elif kind == "TriggerAuthentication" or (kind == "Secret" and name_of(obj) == lb.BROKER):
            keep = bool(scaled)
        elif kind in ("Secret", "ConfigMap"):
            keep = lb.parse_release(label(obj, lb.RELEASE)) in keep_releases
        else:
            keep = (kind, name_of(obj)) in applied
        if not keep:
            out.append(obj)
    return out
