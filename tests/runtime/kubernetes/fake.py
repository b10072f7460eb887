"""A small fake of the cluster: objects in a dict, calls recorded, a scripted kubelet.

``watch`` shows every matching object once, after ``settle`` has played the cluster's
part (rollouts finish, jobs and pods end; or fail, per ``failing``), then lets the
watch's time pass on ``now``, so timeouts happen without sleeping.
"""

from __future__ import annotations

import builtins
import copy
from typing import Any

Manifest = dict[str, Any]


def _merge(old: Any, new: Any) -> Any:
    if isinstance(old, dict) and isinstance(new, dict):
        return {**old, **{k: _merge(old.get(k), v) for k, v in new.items()}}
    return copy.deepcopy(new)


class FakeKube:
    def __init__(self, failing: tuple[str, ...] = ()) -> None:
        self.objects: dict[tuple[str, str | None, str], Manifest] = {}
        self.calls: list[tuple[str, str, str]] = []
        self.logs: dict[str, str] = {}
        self.failing = set(failing)  # kinds that fail: "Deployment", "Job", "Pod"
        self.now = 0.0
        self.replica_owners: set[tuple[str, str | None, str]] = set()

    def add(self, obj: Manifest) -> None:
        meta = obj["metadata"]
        self.objects[(obj["kind"], meta.get("namespace"), meta["name"])] = copy.deepcopy(obj)

    def apply(self, obj: Manifest, field_manager: str = "paas") -> Manifest:
        meta = obj["metadata"]
        key = (obj["kind"], meta.get("namespace"), meta["name"])
        self.calls.append((f"apply:{field_manager}", obj["kind"], meta["name"]))
        old = self.objects.get(key, {})
        if field_manager != "paas":  # a partial apply by another manager: merge it in
            self.replica_owners.add(key)
            new = _merge(old, obj)
        else:  # paas's apply replaces what paas set; fields others own stay
            new = {**copy.deepcopy(obj), "status": old.get("status", {})}
            if key in self.replica_owners and "replicas" not in new.get("spec", {}):
                new["spec"]["replicas"] = old["spec"]["replicas"]
        generation = old.get("metadata", {}).get("generation", 0)
        new["metadata"]["generation"] = generation + (old.get("spec") != new.get("spec"))
        self.objects[key] = new
        return copy.deepcopy(new)

    def get(self, api_version, kind, name, namespace=None):
        self.calls.append(("get", kind, name))
        return copy.deepcopy(self.objects.get((kind, namespace, name)))

    def list(self, api_version, kind, namespace, label_selector=""):
        wanted = dict(p.split("=", 1) for p in label_selector.split(",") if p)
        return [
            copy.deepcopy(o)
            for (k, ns, _), o in self.objects.items()
            if k == kind
            and ns == namespace
            and wanted.items() <= o["metadata"].get("labels", {}).items()
        ]

    def delete(self, api_version, kind, name, namespace=None, keep_dependents=False):
        self.calls.append(("delete", kind, name))
        self.objects.pop((kind, namespace, name), None)

    def watch(self, api_version, kind, namespace, label_selector, timeout):
        self.calls.append(("watch", kind, label_selector))
        for obj in self.list(api_version, kind, namespace, label_selector):
            self.settle(obj)
            yield self.objects[(kind, namespace, obj["metadata"]["name"])]
        self.now += timeout

    def settle(self, obj: Manifest) -> None:
        live = self.objects[
            (obj["kind"], obj["metadata"].get("namespace"), obj["metadata"]["name"])
        ]
        fail = obj["kind"] in self.failing
        if obj["kind"] == "Deployment":
            n = live["spec"].get("replicas", 1)
            live["status"] = {
                "observedGeneration": live["metadata"]["generation"],
                "replicas": n,
                "updatedReplicas": n,
                "availableReplicas": 0 if fail else n,
            }
        elif obj["kind"] == "StatefulSet":
            live["status"] = {"readyReplicas": 0 if fail else live["spec"].get("replicas", 1)}
        elif obj["kind"] == "Job":
            live["status"] = {
                "conditions": [{"type": "Failed" if fail else "Complete", "status": "True"}]
            }
        elif obj["kind"] == "Pod":
            code = 3 if fail else 0
            live["status"] = {
                "phase": "Failed" if fail else "Succeeded",
                "containerStatuses": [{"name": "app", "state": {"terminated": {"exitCode": code}}}],
            }

    def pod_log(self, namespace, pod, container, tail_lines=None, timestamps=False, previous=False):
        lines = self.logs.get(pod, "").splitlines()
        return "\n".join(lines[-tail_lines:] if tail_lines else lines)

    def clock(self) -> float:
        return self.now

    def applied(self, kind: str | None = None) -> builtins.list[str]:
        return [
            f"{k}/{n}" for verb, k, n in self.calls if verb == "apply:paas" and kind in (None, k)
        ]
