"""Autoscaling policies: validated against the app, stored runtime-independently.

The same stored policy drives the Docker loop (paas.autoscale.loop) and the Kubernetes
HPA/ScaledObject objects (when the runtime can apply them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

from paas.domain.app import App
from paas.domain.autoscale import AutoscalePolicy, Metric
from paas.domain.celery import celery_queues
from paas.domain.formation import NOT_SCALABLE
from paas.errors import InvalidInput
from paas.store.port import Store


@runtime_checkable
class AppliesAutoscaling(Protocol):
    """A runtime with autoscalers of its own (Kubernetes): it gets the policies."""

    def apply_autoscaling(
        self,
        app: App,
        policies: Sequence[AutoscalePolicy],
        config: Mapping[str, str] | None = None,
    ) -> None: ...


def _has_redis_broker(store: Store, app: str, config: Mapping[str, str]) -> bool:
    if any(a.kind == "redis" for a in store.list_addons(app)):
        return True
    return config.get("CELERY_BROKER_URL", "").startswith(("redis://", "rediss://"))


class AutoscaleService:
    def __init__(self, store: Store, runtime: object) -> None:
        self.store = store
        self.runtime = runtime

    def set(self, app_name: str, policy: AutoscalePolicy) -> AutoscalePolicy:
        app = self.store.get_app(app_name)
        release = self.store.current_release(app_name)
        config = dict(release.config) if release else {}
        t = policy.process_type
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
        self._apply(app)
        return policy

    def unset(self, app_name: str, process_type: str) -> None:
        app = self.store.get_app(app_name)
        self.store.delete_policy(app_name, process_type)
        self._apply(app)

    def list(self, app_name: str) -> list[AutoscalePolicy]:
        self.store.get_app(app_name)
        return self.store.list_policies(app_name)

    def _apply(self, app: App) -> None:
        if isinstance(self.runtime, AppliesAutoscaling):
            release = self.store.current_release(app.name)
            self.runtime.apply_autoscaling(app, self.store.list_policies(app.name),
                                           dict(release.config) if release else {})
