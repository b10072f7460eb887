"""Autoscaling policies: validated against the app, stored runtime-independently.

The same stored policy drives the Docker loop (paas.autoscale.loop) and the Kubernetes
HPA/ScaledObject objects: each runtime brings its ScalingStrategy, chosen once by the
composition root.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from paas.domain.addons import KINDS
from paas.domain.app import App
from paas.domain.autoscale import AutoscalePolicy, Metric
from paas.domain.celery import celery_queues
from paas.domain.formation import NOT_SCALABLE
from paas.domain.limits import ReplicaBounds, check_network, per_type
from paas.domain.scaling import Decision
from paas.errors import InvalidInput
from paas.store.port import Store


class ScalingStrategy(Protocol):
    """Who acts on the stored policies: the platform's own loop (Docker) or the
    cluster's controllers (HPA and KEDA objects on Kubernetes)."""

    def policies_changed(self, app: App, process_type: str,
                         policies: Sequence[AutoscalePolicy],
                         config: Mapping[str, str]) -> None:
        """``process_type``'s policy was set or removed; ``policies`` is what is left."""
        ...

    def decisions(self, app: str) -> tuple[list[Decision], list[Decision]]:
        """(the latest decision of each policy, the recent ones that changed a count)."""
        ...


def _has_redis_broker(store: Store, app: str, config: Mapping[str, str]) -> bool:
    """The queue probe reads Redis lists: a broker add-on, or a redis URL set by hand."""
    if any(KINDS[a.kind].broker_var for a in store.list_addons(app) if a.kind in KINDS):
        return True
    return config.get("CELERY_BROKER_URL", "").startswith(("redis://", "rediss://"))


class AutoscaleService:
    def __init__(self, store: Store, scaling: ScalingStrategy,
                 bounds: ReplicaBounds | None = None) -> None:
        self.store = store
        self.scaling = scaling
        self.bounds = bounds or ReplicaBounds()

    def set(self, app_name: str, policy: AutoscalePolicy) -> AutoscalePolicy:
        app = self.store.get_app(app_name)
        release = self.store.current_release(app_name)
        config = dict(release.config) if release else {}
        t = policy.process_type
        most = per_type(self.bounds, app.limits)
        if policy.max_replicas > most:
            raise InvalidInput(
                f"autoscale: --max {policy.max_replicas} refused: {app_name} may run at most "
                f"{most} replicas of a process type")
        # the autoscaler's top step must fit the app's network too (Docker)
        check_network(app_name, {**app.formation, t: policy.max_replicas}, self.bounds)
        if t in NOT_SCALABLE:
            raise InvalidInput(f"{t} is not a long-running process and cannot be autoscaled")
        if release is not None and release.build is not None:
            processes = release.build.processes
            if t not in processes:
                listed = ", ".join(sorted(p for p in processes if p not in NOT_SCALABLE))
                raise InvalidInput(f"unknown process type {t!r} (this app has: {listed})")
            queues = celery_queues(processes[t])
            if policy.metric is Metric.QUEUE and queues and policy.queue not in queues:
                raise InvalidInput(
                    f"{t} consumes {', '.join(queues)}, not {policy.queue!r}: "
                    f"use --queue {queues[0]}")
        if policy.metric is Metric.QUEUE and not _has_redis_broker(self.store, app_name, config):
            raise InvalidInput(
                f"a queue policy needs a Redis broker: run `paas addons:create redis -a "
                f"{app_name}` first")
        self.store.set_policy(app_name, policy)
        self._changed(app, t)
        return policy

    def unset(self, app_name: str, process_type: str) -> None:
        app = self.store.get_app(app_name)
        self.store.delete_policy(app_name, process_type)
        self._changed(app, process_type)

    def list(self, app_name: str) -> list[AutoscalePolicy]:
        self.store.get_app(app_name)
        return self.store.list_policies(app_name)

    def decisions(self, app_name: str) -> tuple[Sequence[Decision], Sequence[Decision]]:
        self.store.get_app(app_name)
        return self.scaling.decisions(app_name)

    def _changed(self, app: App, process_type: str) -> None:
        release = self.store.current_release(app.name)
        self.scaling.policies_changed(app, process_type, self.store.list_policies(app.name),
                                      dict(release.config) if release else {})
